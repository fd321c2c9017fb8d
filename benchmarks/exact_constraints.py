"""Exact constraints on and off: fixed-step trainings of the same examples, in one process, alternating.

    python benchmarks/exact_constraints.py                     # Adam 500 + quasi-Newton 500 each
    python benchmarks/exact_constraints.py --only burgers heat --steps 1000 2000 --json out.json

For each example, trained with the same seed and steps under each variant:
``before`` (no condition built in: exact_initial and periodic_embedding off),
``defaults`` (initial conditions and periodic pairs built in), ``hard`` (the defaults
and hard_constraints: Dirichlet conditions built in too).  A variant that changes
nothing for an example (no initial condition, no Dirichlet condition) is skipped.
The variants alternate within one process, so a busy machine slows them alike; compare
errors, and read the times as pessimistic.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import accuracy  # noqa: E402 - the reference errors (Burgers against Cole–Hopf)

import symbolic_pinn  # noqa: E402
from symbolic_pinn._training.train import result_precision  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ["poisson", "heat", "wave", "burgers", "disk_poisson", "periodic"]
VARIANTS = {
    "before": {"exact_initial": False, "periodic_embedding": False},
    "defaults": {},
    "hard": {"hard_constraints": True},
}


def run(name: str, variant: str, adam: int, finish: int) -> dict | None:
    spec = symbolic_pinn.parse_file(ROOT / "examples" / f"{name}.pinn")
    try:
        compiled = symbolic_pinn.compile(spec, **VARIANTS[variant])
    except symbolic_pinn.PinnError:
        return None  # hard_constraints with no Dirichlet condition
    if variant != "defaults":
        default = symbolic_pinn.compile(spec)
        if default.source == compiled.source:
            return None  # the same problem as the defaults'
    start = time.perf_counter()
    result = compiled.train(progress=False, adam_steps=adam, lbfgs_steps=finish, seed=0)
    seconds = time.perf_counter() - start
    with result_precision(result.params):
        errors = accuracy.REFERENCES[name](compiled, result.params) if name in accuracy.REFERENCES else None
    return {
        "example": name,
        "variant": variant,
        "rel_l2": errors or result.metrics["rel_l2"],
        "seconds": round(seconds, 1),
        "terms": list(compiled.module.WEIGHTS),
        "loss": result.metrics.get("loss"),
        "ended": result.metrics.get("ended"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", default=EXAMPLES)
    parser.add_argument("--steps", nargs=2, type=int, default=(500, 500), metavar=("ADAM", "FINISH"))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    rows = []
    for name in args.only:
        for variant in args.variants:
            row = run(name, variant, *args.steps)
            if row is None:
                continue
            rows.append(row)
            errors = ", ".join(f"{k} {v:.3g}" for k, v in row["rel_l2"].items())
            print(f"{name:13s} {variant:9s} {errors:24s} {row['seconds']:7.1f} s  terms {row['terms']}", flush=True)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
