"""Residual-based point weights (``point_weights = rba``) against none, at equal wall time.

    python benchmarks/point_weights.py                       # six examples, 120 s each way
    python benchmarks/point_weights.py --only burgers --seconds 600

Each example is trained twice with the same time limit (``time_limit``, compilation
included), alternating rba and none one training at a time, with the other settings at
their defaults; the errors are those of benchmarks/accuracy.py (Burgers against the
Cole–Hopf solution, Schrödinger's |h| against the split-step Fourier one).  The table shows
each one's worst-field relative L2 error and the ratio rba / none (below 1: rba is better).
On a shared machine the times are rough: both variants of an example run back to back.
"""

from __future__ import annotations

import argparse
import json
import pathlib

from accuracy import ROOT, run, tomllib
from rich.console import Console
from rich.table import Table

EXAMPLES = ["burgers", "allen_cahn", "poisson", "heat", "schrodinger", "black_scholes"]
VARIANTS = ("rba", "none")


def worst(row: dict) -> float:
    return max(row["rel_l2"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=EXAMPLES, help="examples to run")
    parser.add_argument("--seconds", type=float, default=120.0, help="each training's time limit")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="other settings (TOML values)")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "point_weights.json"))
    args = parser.parse_args()
    extra = {k: tomllib.loads(f"v = {v}")["v"] for k, _, v in (item.partition("=") for item in args.set)}
    rows = []
    for name in args.only:
        for variant in VARIANTS:  # one after the other: the same load for both, as far as it goes
            row = run(name, extra | {"point_weights": variant, "time_limit": args.seconds})
            row["variant"] = variant
            rows.append(row)
            print(f"{name} {variant}: {worst(row):.3e} in {row['seconds']:.0f} s, {row['steps']} steps", flush=True)
    table = Table(title=f"point weights at equal wall time ({args.seconds:g} s each, compilation included)")
    for column in ("example", "rba", "none", "rba / none", "steps rba / none"):
        table.add_column(column)
    for name in args.only:
        by = {r["variant"]: r for r in rows if r["example"] == name}
        rba, none = worst(by["rba"]), worst(by["none"])
        table.add_row(
            name, f"{rba:.2e}", f"{none:.2e}", f"{rba / none:.2g}", f"{by['rba']['steps']} / {by['none']['steps']}"
        )
    Console().print(table)
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seconds": args.seconds, "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
