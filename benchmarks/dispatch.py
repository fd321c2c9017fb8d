"""Adam steps per second with K steps per dispatch (``--steps-per-dispatch K``), K = 1, 10, 50.

    python benchmarks/dispatch.py                          # poisson, burgers, heat, kovasznay, allen_cahn_periodic
    python benchmarks/dispatch.py --only poisson --ks 1 5 20 100 --steps 1000

Each example is trained by ``train`` (Adam only, its default points and network, the
loop as a user runs it: history rows, errors every 100 steps, no progress display) once
per K and per round, the variants alternating inside one process so that the load of a
shared machine falls on all of them alike.  Steps per second are read from the history's
wall-time column between the dispatch that took step 101 and the last one, so compiling
(the first dispatch) is left out; the table gives the median over the rounds and its ratio to K = 1.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics

from rich.console import Console
from rich.table import Table

import symbolic_pinn
from symbolic_pinn._training.train import TrainConfig, train

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ("poisson", "burgers", "heat", "kovasznay", "allen_cahn_periodic")


def rate(history: list[dict], k: int) -> float:
    """Steps per second between the dispatch that took step 101 and the last (compiling excluded).

    A row's wall time is that of the end of the dispatch that took its step: with K dividing
    100 (the errors' rows begin dispatches) that dispatch ends after ⌈step / K⌉·K steps."""
    start = next(row for row in history if row["step"] > 100)
    end = history[-1]
    done = -(-start["step"] // k) * k
    return (end["step"] - done) / (end["seconds"] - start["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=list(EXAMPLES))
    parser.add_argument("--ks", nargs="*", type=int, default=[1, 10, 50])
    parser.add_argument("--steps", type=int, default=500, help="Adam steps per run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    table = Table(title=f"Adam steps/s by steps per dispatch ({args.steps} steps, median of {args.rounds} rounds)")
    table.add_column("example")
    for k in args.ks:
        table.add_column(f"K={k}")
    for name in args.only:
        compiled = symbolic_pinn.compile(ROOT / "examples" / f"{name}.pinn")
        rates: dict[int, list[float]] = {k: [] for k in args.ks}
        for _ in range(args.rounds):
            for k in args.ks:
                config = TrainConfig(adam_steps=args.steps, bfgs_steps=0, progress=False, steps_per_dispatch=k)
                rates[k].append(rate(train(compiled, config).history, k))
        base = statistics.median(rates[args.ks[0]])
        cells = [f"{statistics.median(rates[k]):.0f} ({statistics.median(rates[k]) / base:.2f}×)" for k in args.ks]
        print(name, " | ".join(cells), {k: [round(r) for r in v] for k, v in rates.items()}, flush=True)
        table.add_row(name, *cells)
    Console().print(table)


if __name__ == "__main__":
    main()
