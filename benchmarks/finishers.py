"""The finishers after Adam at equal wall time: dense BFGS, L-BFGS and matrix-free Gauss–Newton.

    python benchmarks/finishers.py                                    # poisson, heat, burgers; 3×20; 20 s each
    python benchmarks/finishers.py --only poisson --width 256 --depth 4 --finishers lbfgs gn --seconds 60
    python benchmarks/finishers.py --only poisson --width 48 --finishers bfgs gn   # near the crossover

For each example: one Adam run (the defaults' schedule, ``--adam-steps``), then, from the
very same parameters, each finisher in float64 for ``--seconds`` of wall time after its
first step (its compilation, reported apart), on the same points, with no held-out
checks or fresh points (the optimiser alone).  The table gives the loss and the relative
L2 error at the end (Burgers: against Cole–Hopf), steps taken, seconds per step, and the
ratio of each finisher's error to the first one's, all from the same process.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import pathlib
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
from rich.console import Console
from rich.table import Table

import symbolic_pinn
from symbolic_pinn._training import steps
from symbolic_pinn._training import weights as _weights
from symbolic_pinn._training.metrics import relative_l2
from symbolic_pinn._training.points import initial_points
from symbolic_pinn._training.train import TrainConfig, parameter_count

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def error(compiled, name: str, params) -> float:
    """The relative L2 error of the first field (Burgers: against Cole–Hopf, as accuracy.py)."""
    if name == "burgers":
        from accuracy import cole_hopf_error

        return cole_hopf_error(compiled, params)["u"]
    return next(iter(relative_l2(compiled, params).values()))


def finish(stepper, params, points, weights, seconds: float) -> dict:
    """Step one finisher from ``params`` for ``seconds`` after its first (compiling) step."""
    state = steps.strong(stepper.optimizer.init(params))
    started = time.perf_counter()
    params, state, value, _ = stepper.step(params, state, points, weights, terms_wanted=False)
    value = float(value)
    compile_seconds = time.perf_counter() - started
    count, started = 1, time.perf_counter()
    while time.perf_counter() - started < seconds:
        params, state, value, _ = stepper.step(params, state, points, weights, terms_wanted=False)
        value = float(value)  # the loss before this step: waits for it
        count += 1
    elapsed = time.perf_counter() - started
    final = float(stepper.step(params, state, points, weights, terms_wanted=False)[2])  # the loss at the end
    return {
        "params": params,
        "loss": final,
        "steps": count,
        "compile_s": compile_seconds,
        "s_per_step": elapsed / count,
    }


def run(name: str, args) -> list[dict]:
    problem = symbolic_pinn.parse_file(ROOT / "examples" / f"{name}.pinn")
    compiled = symbolic_pinn.compile(problem, width=args.width, depth=args.depth)
    n = parameter_count(compiled)
    base = TrainConfig(adam_steps=args.adam_steps, interior_points=args.points, progress=False)
    rows = []
    with jax.enable_x64(True):
        config = dataclasses.replace(base, gn_cg_steps=args.cg_steps, gn_rank=args.rank)
        adam = steps.step_functions(compiled, config, "lbfgs")["adam"]
        params = compiled.init_params(jax.random.PRNGKey(config.seed))
        params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), params)
        points, weights = initial_points(compiled, config, jnp.float32), _weights.initial_weights(compiled, jnp.float32)
        state = adam.optimizer.init(params)
        started = time.perf_counter()
        for _ in range(config.adam_steps):
            params, state, value, _ = adam.step(params, state, points, weights)
        adam_loss, adam_s = float(value), time.perf_counter() - started
        start, points, weights = steps.upcast((params, points, weights))
        for finisher in args.finishers:
            stepper = steps.step_functions(compiled, dataclasses.replace(config, finisher=finisher), finisher)[finisher]
            result = finish(stepper, start, points, weights, args.seconds)
            rows.append(
                {
                    "example": name, "parameters": n, "finisher": finisher, "adam_loss": adam_loss,
                    "adam_s": adam_s, "error": error(compiled, name, result.pop("params"))
                } | result
            )  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=["poisson", "heat", "burgers"])
    parser.add_argument("--finishers", nargs="+", default=["bfgs", "lbfgs", "gn"])
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--points", type=int, default=2048, help="interior points")
    parser.add_argument("--adam-steps", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0, help="each finisher's wall time after compiling")
    parser.add_argument("--cg-steps", type=int, default=TrainConfig().gn_cg_steps)
    parser.add_argument("--rank", type=int, default=0, help="gn_rank: the Nyström preconditioner's")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    rows = [row for name in args.only for row in run(name, args)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    title = (
        f"finishers at equal wall time ({args.seconds:g} s after compiling), {args.depth}×{args.width}, "
        f"{args.points} interior points, Adam {args.adam_steps}; {datetime.date.today()}, commit {commit.strip()}"
    )
    table = Table(title=title, title_justify="left")
    for column in ("example", "params", "finisher", "steps", "s/step", "compile s", "loss", "rel L2", "error ratio"):
        table.add_column(column, justify="left" if column in ("example", "finisher") else "right")
    for row in rows:
        first = next(r for r in rows if r["example"] == row["example"])
        table.add_row(
            row["example"], f"{row['parameters']:,}", row["finisher"], str(row["steps"]), f"{row['s_per_step']:.3g}",
            f"{row['compile_s']:.1f}", f"{row['loss']:.2e}", f"{row['error']:.2e}",
            f"{row['error'] / first['error']:.3g}",
        )  # fmt: skip
    Console(width=160).print(table)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"title": title, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
