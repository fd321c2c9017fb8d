"""Train the examples with the default settings and print a table of their errors.

    python benchmarks/accuracy.py              # every example, defaults (about 30 min)
    python benchmarks/accuracy.py --only poisson --json out.json
    python benchmarks/accuracy.py --only burgers --set rar=true --json rar.json   # other settings
    python benchmarks/accuracy.py --runs runs   # keep each run directory (for docs/make_gallery.py)

For each example: relative L2 error against its `exact` (the seed has none: its
column is the factor by which the mean |∂ₓu| over the domain fell from its initial
value; Burgers has none either: its error is against the Cole–Hopf solution of
examples/burgers_cole_hopf.py, on the same grid; Schrödinger's is the error of |h| against
the split-step Fourier solution of examples/schrodinger_reference.py), training time, steps.  Results
are also written as JSON, with each example's time-to-accuracy curve: its error
against training wall time, measured every couple of seconds (the clock stops while
the error is computed), drawn in a PNG beside the JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import importlib.util
import json
import pathlib
import platform
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from rich.console import Console
from rich.table import Table

import symbolic_pinn
from symbolic_pinn._config import NetworkConfig
from symbolic_pinn._product import run as _run
from symbolic_pinn._runtime import derivative
from symbolic_pinn._training.domain import test_grid
from symbolic_pinn._training.monitor import ERROR_PREFIX, ErrorMonitor
from symbolic_pinn._training.train import result_precision

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = [
    "poisson",
    "poisson_ritz",
    "seed",
    "heat_inverse",
    "heat",
    "wave",
    "allen_cahn",
    "neumann",
    "beam",
    "stokes",
    "burgers",
    "periodic",
    "volterra",
    "disk_poisson",
    "annulus",
    "l_shape",
    "plate_hole",
    "parametric",
    "black_scholes",
    "interface",
    "kovasznay",
    "schrodinger",
    "tabulated",
]
TARGETS = {
    "poisson": 1e-3,
    "poisson_ritz": 3e-2,
    # the gallery: bounds above the first measurement (docs/benchmarks.md), for every field
    "heat": 1e-3,
    "neumann": 1e-3,
    "allen_cahn": 1e-3,
    "beam": 1e-4,
    "wave": 3e-2,
    "stokes": 1e-1,
    "burgers": 1e-4,  # issue #11's goal
    "periodic": 1e-3,
    "volterra": 1e-3,
    "disk_poisson": 1e-2,
    "annulus": 1e-2,
}
UNKNOWNS = {"heat_inverse": {"k": 0.1}}  # true values of the unknowns the examples recover


def mean_abs_dx(compiled, params) -> float:
    """Mean |∂u/∂(first variable)| on a 101×101 grid."""
    program = compiled.ir
    axes = [np.linspace(v.lo, v.hi, 101) for v in program.variables]
    mesh = [jnp.asarray(m.ravel(), jnp.float32) for m in np.meshgrid(*axes, indexing="ij")]
    u = compiled.module.fields(params)[program.fields[0].name]
    return float(jnp.mean(jnp.abs(derivative(u, 0)(*mesh))))


@functools.cache
def example_module(stem: str):
    """A reference solver shipped with the examples (``examples/<stem>.py``), imported once."""
    spec = importlib.util.spec_from_file_location(stem, ROOT / "examples" / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cole_hopf(x, t):
    """Burgers' exact solution, from examples/burgers_cole_hopf.py."""
    return example_module("burgers_cole_hopf").cole_hopf(x, t)


@functools.cache
def x_t_grid(program) -> tuple[np.ndarray, np.ndarray]:
    """The x and t columns of the grid `exact` errors use."""
    grid = test_grid(program)
    names = [v.name for v in program.variables]
    return grid[:, names.index("x")], grid[:, names.index("t")]


@functools.cache
def cole_hopf_values(program) -> np.ndarray:
    """Cole–Hopf's u on that grid, computed once (the error curve asks for it every few seconds)."""
    return cole_hopf(*x_t_grid(program))


def cole_hopf_error(compiled, params) -> dict[str, float]:
    """Relative L2 error of Burgers' u against Cole–Hopf, on the grid `exact` errors use."""
    x, t = x_t_grid(compiled.ir)
    u = compiled.module.fields(params)["u"]
    dtype = jnp.result_type(float)  # float64 for parameters trained in float64 (result_precision)
    predicted = np.asarray(u(jnp.asarray(x, dtype), jnp.asarray(t, dtype)), dtype=float)
    exact = cole_hopf_values(compiled.ir)
    return {"u": float(np.linalg.norm(predicted - exact) / np.linalg.norm(exact))}


@functools.cache
def schrodinger_modulus(program) -> np.ndarray:
    """|h| on that grid by the split-step Fourier solution of examples/schrodinger_reference.py
    (computed once: tens of seconds on a loaded machine)."""
    return np.abs(example_module("schrodinger_reference").schrodinger(*x_t_grid(program)))


def schrodinger_error(compiled, params) -> dict[str, float]:
    """Relative L2 error of |h| against the split-step Fourier reference, on the grid `exact`
    errors use: the error the classic benchmark reports (the modulus has no arbitrary phase)."""
    x, t = x_t_grid(compiled.ir)
    exact = schrodinger_modulus(compiled.ir)
    net = compiled.module.fields(params)
    dtype = jnp.result_type(float)
    xt = (jnp.asarray(x, dtype), jnp.asarray(t, dtype))
    predicted = np.hypot(np.asarray(net["h_re"](*xt), dtype=float), np.asarray(net["h_im"](*xt), dtype=float))
    return {"|h|": float(np.linalg.norm(predicted - exact) / np.linalg.norm(exact))}


# examples without `exact`: their error against a reference
REFERENCES = {"burgers": cole_hopf_error, "schrodinger": schrodinger_error}


NETWORK = {f.name for f in dataclasses.fields(NetworkConfig)}  # settings of compile(), not of train()
CURVE_PERIOD = 2.0  # seconds of training between two points of a time-to-accuracy curve


class Curve:
    """A training callback that records the error against training wall time.

    Every ``period`` seconds it evaluates ``error(params)``; the time that takes is not
    counted, so the curve's clock is the training's own (compilation included).
    """

    def __init__(self, error, period: float = CURVE_PERIOD):
        self.error, self.period = error, period
        self.points: list[dict] = []
        self.paused = 0.0
        self.start = self.last = time.perf_counter()

    def clock(self) -> float:
        return time.perf_counter() - self.start - self.paused

    def due(self) -> bool:
        return time.perf_counter() - self.last >= self.period

    def sample(self, errors, **where) -> None:
        """Append ``errors()`` (a dict) at the current training time, with ``where`` (step, phase)."""
        seconds, measuring = self.clock(), time.perf_counter()
        self.points.append({"seconds": round(seconds, 3), **where, **errors()})
        self.last = time.perf_counter()
        self.paused += self.last - measuring

    def __call__(self, info) -> None:
        if self.due():
            self.sample(lambda: self.error(info.params), step=info.step, phase=info.phase)


def error_function(name: str, compiled):
    """``params -> {field: relative L2 error}`` for the example, or None if it has no reference."""
    if name in REFERENCES:
        return lambda params: REFERENCES[name](compiled, params)
    with jax.enable_x64(True):  # its grid and reference in float64: the finish's parameters are (else a 1e-8 floor)
        monitor = ErrorMonitor(compiled)
    if not monitor.names:
        return None
    return lambda params: {k.removeprefix(ERROR_PREFIX): v for k, v in monitor(params).items()}


def run(name: str, settings: dict | None = None, runs: pathlib.Path | None = None) -> dict:
    settings = settings or {}
    out = runs / name if runs is not None else None
    if out is not None and out.exists() and any(out.iterdir()):  # checked before minutes of training
        raise SystemExit(f"{out} holds an earlier run: give --runs another folder, or move that run away")
    network = {k: v for k, v in settings.items() if k in NETWORK}
    problem_file = ROOT / "examples" / f"{name}.pinn"
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(problem_file), **network)
    error = error_function(name, compiled)
    curve = Curve(error) if error else None
    result = compiled.train(progress=False, callback=curve, **{k: v for k, v in settings.items() if k not in NETWORK})
    seconds = curve.clock() if curve else result.metrics["seconds"]
    row = {
        "example": name,
        "seconds": seconds,
        "steps": result.metrics["steps"],
        "rel_l2": result.metrics["rel_l2"],
        "unknowns": result.metrics["unknowns"],
        "settings": settings or {},
        "weights": result.metrics["weights"],
    }
    kept = ("finisher", "ended", "held_out", "adam_steps", "lbfgs_steps", "bfgs_steps", "loss")
    row |= {k: result.metrics.get(k) for k in kept}
    with result_precision(result.params):
        if name in REFERENCES:
            row["rel_l2"] = REFERENCES[name](compiled, result.params)
        if name == "seed":
            initial = mean_abs_dx(compiled, compiled.init_params(jax.random.PRNGKey(0)))
            final = mean_abs_dx(compiled, result.params)  # 0 once every tanh saturates (see docs/benchmarks.md)
            row["mean_abs_dx_drop"] = initial / final if final > 0 else float("inf")
    if curve:
        final = {"seconds": round(seconds, 3), "step": result.metrics["steps"], "phase": "end", **row["rel_l2"]}
        row["curve"] = curve.points + [final]
    if out is not None:
        if name in REFERENCES:  # the run's own metrics have no error (no `exact`): add the reference's
            result.metrics["rel_l2_reference"] = row["rel_l2"]
        _run.create(out)
        _run.write(out, compiled, result, settings, problem_file.relative_to(ROOT))
    return row


def plot_curves(rows: list[dict], path: pathlib.Path, title: str) -> None:
    """Each example's worst-field error against training seconds, log-log, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5.5), layout="constrained")
    styles = ("-", "--", ":")  # the colour cycle has 10 colours: each next ten lines another style
    for index, row in enumerate(rows):
        points = [p for p in row.get("curve", []) if p["seconds"] > 0]
        if not points:
            continue
        fields = [k for k in points[-1] if k not in ("seconds", "step", "phase")]
        worst = [max(p[f] for f in fields) for p in points]
        style = styles[index // 10 % len(styles)]
        axes.loglog([p["seconds"] for p in points], worst, style, label=row.get("label", row["example"]))
    axes.set_xlabel("training wall time (s), compilation included")
    axes.set_ylabel("relative L2 error (worst field)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small", ncols=2)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=EXAMPLES, help="examples to run")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "accuracy.json"))
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="training settings, as in TOML")
    parser.add_argument("--runs", type=pathlib.Path, help="write each example's run directory under this folder")
    args = parser.parse_args()
    settings = {}
    for item in args.set:  # rar=true, sampler="halton" (or sampler=halton), rar_points=64
        key, _, value = item.partition("=")
        try:
            settings[key] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            settings[key] = value
    rows = [run(name, settings, args.runs) for name in args.only]
    given = ", ".join(f"{k}={v}" for k, v in settings.items()) or "the defaults"
    table = Table(title=f"symbolic_pinn {symbolic_pinn.__version__}: examples trained with {given}")
    for column in ("example", "result", "target", "time (s)", "steps"):
        table.add_column(column)
    for row in rows:
        if "mean_abs_dx_drop" in row:
            result, target = f"mean |∂ₓu| fell {row['mean_abs_dx_drop']:.0f}×", "≥ 100×"
        else:
            result = ", ".join(f"rel L2 {k} {v:.2e}" for k, v in row["rel_l2"].items())
            target = f"≤ {TARGETS[row['example']]:.0e}" if row["example"] in TARGETS else ""
            for unknown, truth in UNKNOWNS.get(row["example"], {}).items():
                found = row["unknowns"][unknown]
                result += f"; {unknown} = {found:.5g} ({abs(found - truth) / truth:.2%} off {truth:g})"
                target = (target + "; " if target else "") + "unknown within 1%"
        table.add_row(row["example"], result, target, f"{row['seconds']:.0f}", str(row["steps"]))
    Console().print(table)
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
        f"jax {jax.__version__} on {jax.devices()[0].platform}",
    }
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    plot_curves(rows, out.with_suffix(".png"), f"time to accuracy with {given} ({meta['date']})")
    print(f"wrote {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
