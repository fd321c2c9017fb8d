"""Causal weights on and off on the long-window benchmarks: the error against training time and across the window.

    python benchmarks/causal.py                                   # allen_cahn, kdv, convection; off, then on
    python benchmarks/causal.py --only convection --variants off on on_weighted
    python benchmarks/causal.py --only kdv --variants off on --set adam_steps=4000

Each (problem, variant) is one training, one at a time, with the defaults plus the variant's
settings (``VARIANTS``) and those of ``--set``.  Every ``--every`` steps a callback measures
the relative L2 error of u against the problem's reference on its grid (the Fourier–ETDRK4
solutions of benchmarks/references for Allen–Cahn and KdV, sin(x − 40t) for convection, on
512 x × 201 t), so the table shows the error against the seconds of training; at the end
the error is also given on each quarter of the time window, where a network that went
wrong early shows it late.  The results are written as JSON under benchmarks/results/.
Measuring takes a few seconds per evaluation, counted in the seconds shown (as in a run
that reported its error as often).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import pathlib
import platform
import time

import jax.numpy as jnp
import numpy as np
import records  # benchmarks/records.py: the references and the records
from rich.console import Console
from rich.table import Table

import symbolic_pinn
from symbolic_pinn._training.train import result_precision

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUARTERS = 4

VARIANTS = {
    "off": {"causal": "off"},
    "on": {"causal": "on"},
    "on_weighted": {"causal": "on", "causal_finish": "weighted"},
    "on_tol10": {"causal": "on", "causal_tol": 10.0},
    "on_tol0.1": {"causal": "on", "causal_tol": 0.1},
}


@functools.cache
def grid(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t, u) columns of the reference of ``name`` on 512 x × 201 t."""
    if name == "convection":
        x = np.linspace(0.0, 2 * np.pi, records.X_POINTS, endpoint=False)
        xx, tt = np.meshgrid(x, records.TIMES)
        return xx.ravel(), tt.ravel(), np.sin(xx - 40.0 * tt).ravel()
    return records.spectral_reference(name)


def errors(name: str, compiled, params) -> tuple[float, list[float]]:
    """The relative L2 error of u on the whole grid, and on each quarter of the time window."""
    x, t, exact = grid(name)
    with result_precision(params):
        dtype = jnp.result_type(float)
        u = compiled.module.fields(params)["u"]
        predicted = np.asarray(u(jnp.asarray(x, dtype), jnp.asarray(t, dtype)), dtype=float)
    quarter = np.minimum((t * QUARTERS).astype(int), QUARTERS - 1)

    def rel(mask):
        return float(np.linalg.norm(predicted[mask] - exact[mask]) / np.linalg.norm(exact[mask]))

    return rel(np.ones_like(t, bool)), [rel(quarter == q) for q in range(QUARTERS)]


def train(name: str, variant: str, extra: dict, every: int) -> dict:
    """One training of problem ``name`` with the variant's settings: its row."""
    path = ROOT / "examples" / f"{records.PROBLEMS[name].example}.pinn"
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(path))
    settings = {"progress": False} | VARIANTS[variant] | extra
    curve = []
    start = time.perf_counter()

    def callback(info) -> bool:
        if info.step % every == 0:
            curve.append((info.step, info.phase, time.perf_counter() - start, errors(name, compiled, info.params)[0]))
        return False

    result = compiled.train(callback=callback, **settings)
    error, by_quarter = errors(name, compiled, result.params)
    return {
        "problem": name,
        "variant": variant,
        "settings": settings,
        "rel_l2": error,
        "rel_l2_by_quarter": by_quarter,
        "seconds": result.metrics["seconds"],
        "steps": result.metrics["steps"],
        "ended": result.metrics["ended"],
        "causal": result.metrics["causal"],
        "curve": curve,  # (step, phase, seconds, error)
    }


def value(text: str):
    """A --set value: a whole number, a number, true/false, or a string."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text, text)


def table(rows: list[dict]) -> Table:
    out = Table(title="causal weights: relative L2 error of u (shared 2-core CPU, under load)")
    for column in ("problem", "variant", "error", "by quarter of the window", "seconds", "steps", "ended"):
        out.add_column(column)
    for r in rows:
        quarters = " ".join(f"{e:.1e}" for e in r["rel_l2_by_quarter"])
        ended = "; ".join(f"{k}: {v}" for k, v in r["ended"].items())
        out.add_row(
            r["problem"], r["variant"], f"{r['rel_l2']:.2e}", quarters, f"{r['seconds']:.0f}", str(r["steps"]), ended
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="*", default=["allen_cahn", "kdv", "convection"], choices=list(records.PROBLEMS)
    )
    parser.add_argument("--variants", nargs="*", default=["off", "on"], choices=list(VARIANTS))
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="settings for every training")
    parser.add_argument("--every", type=int, default=500, help="steps between error measurements")
    parser.add_argument("--json", help="where to write the results (default: benchmarks/results/causal_DATE.json)")
    args = parser.parse_args()
    extra = {k: value(v) for k, v in (s.split("=", 1) for s in args.set)}
    rows = []
    for name in args.only:
        for variant in args.variants:  # one training at a time: the timings share the machine with nothing of ours
            rows.append(train(name, variant, extra, args.every))
            r = rows[-1]
            print(f"{name} {variant} {extra}: {r['rel_l2']:.3e} in {r['seconds']:.0f} s, {r['ended']}", flush=True)
    Console().print(table(rows))
    date = datetime.date.today().isoformat()
    out = pathlib.Path(args.json) if args.json else ROOT / "benchmarks" / "results" / f"causal_{date}.json"
    out.write_text(
        json.dumps({"date": date, "machine": platform.processor() or platform.machine(), "rows": rows}, indent=1)
    )


if __name__ == "__main__":
    main()
