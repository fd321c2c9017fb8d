"""Write docs/gallery.md from training runs: each problem's text, its errors and its plots.

    python docs/make_gallery.py runs/poisson runs/heat ...          # from finished runs
    python docs/make_gallery.py --train examples/poisson.pinn ...    # train each first (minutes each)

Each run directory is one written by ``symbolic-pinn train``.  The plots are copied
next to the page (``docs/gallery/<run name>/``) so the page links to files that stay.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys

from symbolic_pinn._product.run import METRICS_FILE, PLOT_FILES, PROBLEM_FILE  # the run directory's layout

PLOTS = tuple(PLOT_FILES[kind].format("*") for kind in ("solution", "error", "loss"))


def section(run: pathlib.Path, images: pathlib.Path, page: pathlib.Path) -> str:
    """The gallery's section for one run directory; copies its plots into ``images``."""
    metrics = json.loads((run / METRICS_FILE).read_text())
    problem = (run / PROBLEM_FILE).read_text(encoding="utf-8").strip()
    name = pathlib.Path(metrics.get("problem") or run.name).stem  # a problem given without a file: the run's name
    lines = [f"## {name}", "", "```", problem, "```", ""]
    errors = ", ".join(f"{field} {value:.2e}" for field, value in metrics.get("rel_l2", {}).items())
    if not errors and metrics.get("rel_l2_reference"):  # written by benchmarks/accuracy.py (Burgers: Cole–Hopf)
        errors = ", ".join(f"{f} {v:.2e}" for f, v in metrics["rel_l2_reference"].items()) + " (against a reference)"
    unknowns = ", ".join(f"{k} = {v:.6g}" for k, v in metrics.get("unknowns", {}).items())
    phases = {"adam_steps": "Adam", "bfgs_steps": "BFGS", "lbfgs_steps": "L-BFGS", "lm_steps": "LM"}
    steps = " + ".join(f"{metrics[k]} {name}" for k, name in phases.items() if metrics.get(k)) + " steps"
    lines.append(f"- relative L2 error: {errors or 'no exact solution given'}")
    for parameter, values in metrics.get("rel_l2_by_param", {}).items():  # a `param`: the error at each value
        at = "; ".join(
            f"{parameter} = {value}: " + ", ".join(f"{f} {e:.2e}" for f, e in errs.items())
            for value, errs in values.items()
        )
        lines.append(f"- by value of {parameter}: {at}")
    if unknowns:
        lines.append(f"- recovered: {unknowns}")
    lines.append(f"- {steps}, {metrics['seconds']:.0f} s; final loss {metrics['loss']:.2e}")
    lines.append("")
    images.mkdir(parents=True, exist_ok=True)
    for pattern in PLOTS:
        for plot in sorted(run.glob(pattern)):
            shutil.copyfile(plot, images / plot.name)
            link = os.path.relpath(images / plot.name, page.parent)
            lines.append(f"![{name}: {plot.stem}]({pathlib.PurePath(link).as_posix()})")
    lines.append("")
    return "\n".join(lines)


def write_gallery(runs: list[pathlib.Path], page: pathlib.Path, intro: str = "") -> None:
    """Write the gallery page for ``runs``, with their plots in ``<page dir>/gallery/<run>/``."""
    parts = [
        "# Gallery",
        "",
        "Examples trained by `symbolic-pinn train`; this page is written by `docs/make_gallery.py`.",
        "",
    ] + ([intro, ""] if intro else [])
    for run in runs:
        parts.append(section(run, page.parent / "gallery" / run.name, page))
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n".join(parts), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", type=pathlib.Path, help="run directories written by `symbolic-pinn train`")
    parser.add_argument("--train", nargs="+", type=pathlib.Path, default=[], metavar="FILE", help="train these first")
    parser.add_argument(
        "--runs-dir", type=pathlib.Path, default=pathlib.Path("runs/gallery"), help="where --train runs go"
    )
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path(__file__).parent / "gallery.md")
    parser.add_argument("--intro", default="", help="a paragraph under the title: when and how the runs were made")
    args = parser.parse_args(argv)
    runs = list(args.runs)
    for problem in args.train:
        out = args.runs_dir / problem.stem
        command = [sys.executable, "-m", "symbolic_pinn", "train", str(problem), "--out", str(out), "--overwrite"]
        if subprocess.run(command).returncode != 0:
            print(f"training {problem} failed; left out of the gallery", file=sys.stderr)
            continue
        runs.append(out)
    missing = [run for run in runs if not (run / METRICS_FILE).is_file() or not (run / PROBLEM_FILE).is_file()]
    if missing:
        print(f"not a finished run: {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    if not runs:
        parser.error("give run directories, or problems to --train")
    write_gallery(runs, args.out, args.intro)
    print(f"wrote {args.out} ({len(runs)} examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
