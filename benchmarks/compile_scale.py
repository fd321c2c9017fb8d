"""Seconds to parse, check and compile a problem against its number of lines (issue #27).

    python benchmarks/compile_scale.py                        # 1k, 10k, 100k lines
    python benchmarks/compile_scale.py --lines 1000 2000 5000 --stages parse check
    python benchmarks/compile_scale.py --profile 5000         # cProfile of check + compile at 5k lines

The problem is one field u(x, y) on the unit square with a Poisson equation, then blocks of
four statement lines, each block a constant, a `let` that uses it and the field, a condition
at a point and a condition on a face:

    const c7 = 0.007
    let a7 = c7*x + Dx(u)
    u(0.5, 0.3) = c7
    a7 + u = c7 at x = 0

so the number of terms grows with the lines (half of them are terms).  The problem's length
limit (``SYMBOLIC_PINN_MAX_PROBLEM_CHARACTERS``, 50,000 characters: about 2,000 such lines)
is raised for the run.  Each stage is timed once per size in this process (parse: text →
syntax tree; check: → Spec; compile: lowering, derivative plan, emission and loading of the
module), and the slope of log(time) against log(lines) between successive sizes is printed:
1 is linear, 2 quadratic.  Writes JSON (default benchmarks/results/compile_scale.json).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pathlib
import pstats
import sys
import time
import warnings

STAGES = ("parse", "check", "compile")


def problem(lines: int) -> str:
    """A problem of about ``lines`` statement lines (see the module docstring)."""
    text = ["x in [0, 1]", "y in [0, 1]", "field u(x, y)", "-Δu = 1", "u = 0 on ∂Ω"]
    for i in range(max(1, (lines - len(text)) // 4)):
        text += [
            f"const c{i} = {i / 1000:g}",
            f"let a{i} = c{i}*x + Dx(u)",
            f"u({(i % 97 + 1) / 99:.4f}, {(i % 89 + 1) / 91:.4f}) = c{i}",
            f"a{i} + u = c{i} at x = 0",
        ]
    return "\n".join(text) + "\n"


def measure(lines: int, stages: tuple[str, ...]) -> dict:
    from symbolic_pinn._compiler.pipeline import compile
    from symbolic_pinn._frontend.check import check
    from symbolic_pinn._frontend.parse import parse_text

    text = problem(lines)
    row = {"lines": text.count("\n"), "characters": len(text)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        tree = parse_text(text, "scale.pinn")
        row["parse"] = time.perf_counter() - start
        if "check" in stages or "compile" in stages:
            start = time.perf_counter()
            spec = check(tree)
            row["check"] = time.perf_counter() - start
            row["terms"] = len(spec.terms)
        if "compile" in stages:
            start = time.perf_counter()
            compile(spec)
            row["compile"] = time.perf_counter() - start
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--profile", type=int, metavar="LINES", help="profile check and compile at this size instead")
    parser.add_argument("--json", default="benchmarks/results/compile_scale.json")
    args = parser.parse_args()
    os.environ["SYMBOLIC_PINN_MAX_PROBLEM_CHARACTERS"] = str(100 * max([*args.lines, args.profile or 0]))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    measure(100, tuple(args.stages))  # imports and the parser's tables, outside the timings
    if args.profile:
        cProfile.runctx("measure(args.profile, STAGES)", globals(), locals(), "compile_scale.prof")
        pstats.Stats("compile_scale.prof").sort_stats("cumulative").print_stats(30)
        return
    rows = []
    print(f"{'lines':>8} {'terms':>7} " + " ".join(f"{s + ' s':>10} {'slope':>6}" for s in args.stages))
    for lines in args.lines:
        row = measure(lines, tuple(args.stages))
        previous = rows[-1] if rows else None
        cells = []
        for stage in args.stages:
            slope = ""
            if previous and previous[stage] > 0 and row[stage] > 0:
                slope = f"{math.log(row[stage] / previous[stage]) / math.log(row['lines'] / previous['lines']):.2f}"
                row[f"{stage}_slope"] = float(slope)
            cells.append(f"{row[stage]:10.2f} {slope:>6}")
        print(f"{row['lines']:8,} {row.get('terms', 0):7,} " + " ".join(cells), flush=True)
        rows.append(row)
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
