"""Training until the solution is done (``--until-done``) against the fixed step budget.

    python benchmarks/until_done.py                               # poisson, heat, burgers, allen_cahn
    python benchmarks/until_done.py --only burgers --time-limit 300

Each example of ``examples/`` is trained twice in one process, with its defaults (the
finish ends on its step budget or on a held-out stall) and with ``until_done`` under a
time limit (the finish goes on while the held-out loss still falls by 1% every few
evaluations).  The table gives each run's relative L2 error of its first field, as
accuracy.py measures it (in float64; Burgers against Cole–Hopf), its wall time, its finisher's steps and why the
finish ended.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

from rich.console import Console
from rich.table import Table

import symbolic_pinn
from symbolic_pinn._training.train import TrainConfig, result_precision, train

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

EXAMPLES = ("poisson", "heat", "burgers", "allen_cahn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=list(EXAMPLES))
    parser.add_argument("--time-limit", type=float, default=240.0, help="seconds, for the until_done runs")
    parser.add_argument("--modes", nargs="*", default=["step budget", "until done"], help="the runs to make")
    args = parser.parse_args()
    from accuracy import error_function

    table = Table(title=f"until_done (time limit {args.time_limit:g} s) against the step budget, one process")
    for column in ("example", "mode", "rel. L2", "seconds", "finisher steps", "finish ended"):
        table.add_column(column)
    for name in args.only:
        compiled = symbolic_pinn.compile(ROOT / "examples" / f"{name}.pinn")
        configs = {
            "step budget": TrainConfig(progress=False),
            "until done": TrainConfig(progress=False, until_done=True, time_limit=args.time_limit),
        }
        for mode in args.modes:
            config = configs[mode]
            started = time.perf_counter()
            result = train(compiled, config)
            seconds = time.perf_counter() - started
            metrics = result.metrics
            finisher = metrics["finisher"]
            with result_precision(result.params):  # float64 parameters: the error in float64 (no 1e-7 floor)
                error = next(iter(error_function(name, compiled)(result.params).values()))
            row = (name, mode, f"{error:.3g}", f"{seconds:.0f}")
            row += (str(metrics[f"{finisher}_steps"]), metrics["ended"].get(finisher, ""))
            print(name, mode, metrics["held_out"], flush=True)
            print(" | ".join(row), flush=True)
            table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
