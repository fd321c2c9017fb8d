"""Train the hard benchmarks with the defaults and set their errors beside the best published PINN errors.

Each example trains with the settings of its own TOML where it has one (`<example>.toml`, as
`symbolic-pinn train` reads it: causal weights for convection and Allen–Cahn).

    python benchmarks/records.py                          # every problem, defaults (hours: the 2-D ones 20 min each)
    python benchmarks/records.py --only convection --budget 20
    python benchmarks/records.py --only allen_cahn kdv --json out.json

For each problem: the relative L2 error of our trained field against its reference, our
training time (compilation included), the best PINN error we know of in the literature
with its source, method and hardware, and the ratio of the two (> 1: ours is worse).
``--budget SECONDS`` stops each problem's training after so many seconds (the setting
``time_limit``: a budget that ends inside Adam skips the quasi-Newton finish).

References (none of them imports symbolic_pinn; each one's convergence is tested):

| problem | example | reference | grid of the error |
|---|---|---|---|
| allen_cahn | allen_cahn_periodic.pinn | Fourier–ETDRK4, references/allen_cahn.py | 512 x × 201 t (as AC.mat) |
| kdv | kdv.pinn | Fourier–ETDRK4, references/kdv.py | 512 x × 201 t |
| convection | convection.pinn | its `exact` line, sin(x − 40t) | the gallery's test grid |
| gray_scott | gray_scott.pinn | 2-D Fourier–ETDRK4, references/gray_scott.py (u, v) | 200² x, y × 101 t (jaxpi) |
| ginzburg_landau | ginzburg_landau.pinn | 2-D Fourier–ETDRK4, references/ginzburg_landau.py | 200² x, y × 101 t |
| cavity | cavity.pinn | ψ–ω finite differences + Richardson, references/cavity.py (u, v) | 129 × 129 nodes |
| burgers | burgers.pinn | Cole–Hopf, examples/burgers_cole_hopf.py | the gallery's test grid |
| schrodinger | schrodinger.pinn | split-step Fourier (of |h|), examples/schrodinger_reference.py | the test grid |
| black_scholes | black_scholes.pinn | its `exact` line (the closed-form price) | the gallery's test grid |
| ritz | poisson_ritz.pinn | its `exact` line | the gallery's test grid |

The published errors are each paper's own measure (relative L2 on its own grid), so a
ratio compares like with like only roughly; see each record's note.  Results are written
as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import pathlib
import platform
from collections.abc import Callable

import accuracy  # benchmarks/accuracy.py: the gallery's references (Cole–Hopf, split-step Fourier)
import jax
import jax.numpy as jnp
import numpy as np
from references import allen_cahn, cavity, etdrk4, ginzburg_landau, gray_scott, kdv
from rich.console import Console
from rich.table import Table

import symbolic_pinn
from symbolic_pinn import _settings
from symbolic_pinn._training.train import result_precision

ROOT = pathlib.Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Record:
    """A published PINN error: the paper's relative L2 error and how it was reached."""

    error: float
    source: str
    method: str
    hardware: str
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Problem:
    """A benchmark: its example, the error of a trained network against its reference, and the records."""

    example: str  # examples/<example>.pinn
    error: Callable | None  # (compiled, params) -> {quantity: relative L2}; None: the example's `exact`
    records: tuple[Record, ...] = ()

    def best(self) -> Record | None:
        return min(self.records, key=lambda r: r.error, default=None)


# ---- the references on their grids ----------------------------------------------------------------

TIMES = np.linspace(0.0, 1.0, 201)  # the time grid of Raissi's AC.mat and KdV.mat, which jaxpi measures on
X_POINTS = 512  # their x grid: 512 points of the periodic grid on [−1, 1)


@functools.cache
def spectral_reference(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t, u) columns of a Fourier reference on 512 x × 201 t, computed once."""
    module = {"allen_cahn": allen_cahn, "kdv": kdv}[name]
    step, rest = divmod(module.POINTS, X_POINTS)
    if rest or not step:
        raise ValueError(f"{name}'s reference grid ({module.POINTS} points) does not hold the {X_POINTS} of the data")
    u = module.solve(TIMES)  # (201, POINTS)
    x, u = module.grid()[::step], u[:, ::step]
    xx, tt = np.meshgrid(x, TIMES)
    return xx.ravel(), tt.ravel(), u.ravel()


def spectral_error(name: str) -> Callable:
    """The relative L2 error of u against the Fourier reference ``name``, on its grid."""

    def error(compiled, params) -> dict[str, float]:
        x, t, exact = spectral_reference(name)
        u = compiled.module.fields(params)["u"]
        dtype = jnp.result_type(float)  # float64 for parameters trained in float64 (result_precision)
        predicted = np.asarray(u(jnp.asarray(x, dtype), jnp.asarray(t, dtype)), dtype=float)
        return {"u": float(np.linalg.norm(predicted - exact) / np.linalg.norm(exact))}

    return error


# jaxpi's 2-D data (grey_scott.mat, ginzburg_landau_square.mat): x and y at linspace(−1, 1, 200), both ends
# included, and 101 times over the window; the reference's Fourier sum is evaluated there exactly
PLANE_POINTS = 200
PLANE_TIMES = 101


@functools.cache
def plane_reference(name: str) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(s, t, {field: values (t, x, y)}) of a 2-D Fourier reference on jaxpi's grid, computed once."""
    module = {"gray_scott": gray_scott, "ginzburg_landau": ginzburg_landau}[name]
    t = np.linspace(0.0, module.END, PLANE_TIMES)
    s = np.linspace(*module.INTERVAL, PLANE_POINTS)
    solution = etdrk4.interpolate_2d(module.solve(t), module.INTERVAL, s, s)
    if name == "gray_scott":  # (t, 2, x, y): u and v
        return s, t, {"u": solution[:, 0], "v": solution[:, 1]}
    return s, t, {"A_re": solution.real, "A_im": solution.imag}  # A complex: its two networks


def plane_error(name: str) -> Callable:
    """The relative L2 error of each field against the 2-D reference ``name``, over jaxpi's grid."""

    def error(compiled, params) -> dict[str, float]:
        s, times, exact = plane_reference(name)
        fields = compiled.module.fields(params)
        dtype = jnp.result_type(float)
        x, y = (jnp.asarray(a, dtype) for a in np.meshgrid(s, s, indexing="ij"))
        out = {}
        for field, reference in exact.items():
            f = jax.jit(fields[field])
            predicted = np.stack(
                [np.asarray(f(x, y, jnp.full_like(x, t)), dtype=float) for t in times]
            )  # a slice at a time
            out[field] = float(np.linalg.norm(predicted - reference) / np.linalg.norm(reference))
        return out

    return error


@functools.cache
def cavity_reference() -> tuple[np.ndarray, ...]:
    """(x, y, u, v) columns of the cavity's Richardson-extrapolated velocity at the coarse grid's nodes."""
    s, u, v = cavity.velocity()
    x, y = np.meshgrid(s, s, indexing="ij")
    return x.ravel(), y.ravel(), u.ravel(), v.ravel()


def cavity_error(compiled, params) -> dict[str, float]:
    """The relative L2 errors of u and v against the cavity's reference, at its nodes."""
    x, y, *exact = cavity_reference()
    fields = compiled.module.fields(params)
    dtype = jnp.result_type(float)
    xy = (jnp.asarray(x, dtype), jnp.asarray(y, dtype))
    return {
        name: float(np.linalg.norm(np.asarray(fields[name](*xy), dtype=float) - e) / np.linalg.norm(e))
        for name, e in zip(("u", "v"), exact)
    }


# ---- the problems and their records ------------------------------------------------------------------

VRBA = "Toscano et al. 2025, arXiv:2509.14198"
VRBA_NOTE = "the number as issue #26 quotes it; the paper was found, its table not read here"
PIRATE = "Wang et al. 2024, PirateNets, arXiv:2402.00326 (jaxpi)"
PIRATE_NOTE = "checked against the PirateNets README of jaxpi"
PIRATE_GPU_NOTE = (
    "the README of jaxpi's `pirate` branch; its problem setup read from that branch's examples/ (configs/pirate.py:"
    " 3 PirateNet blocks of 256, 100,000 Adam steps per window); jaxpi's code is GPU-only, the card is not stated there"
)

PROBLEMS = {
    "allen_cahn": Problem(
        "allen_cahn_periodic",
        spectral_error("allen_cahn"),
        (
            Record(2.24e-5, PIRATE, "PirateNet, causal weights, Adam", "GPU", PIRATE_NOTE),
            Record(1.9e-6, VRBA, "vRBA + SSBroyden", "GPU", VRBA_NOTE),
        ),
    ),
    "kdv": Problem(
        "kdv",
        spectral_error("kdv"),
        (
            Record(4.27e-4, PIRATE, "PirateNet, causal weights, Adam", "GPU", PIRATE_NOTE),
            Record(2.2e-6, VRBA, "vRBA + SSBroyden", "GPU", VRBA_NOTE),
        ),
    ),
    "convection": Problem(
        "convection",
        None,
        (
            Record(
                1.9e-3,
                "Rathore et al. 2024, ICML, arXiv:2402.01868",
                "Adam + L-BFGS + NysNewton-CG",
                "GPU",
                "the number as issue #26 quotes it; the paper was found, its table not read here",
            ),
        ),
    ),
    "gray_scott": Problem(
        "gray_scott",
        plane_error("gray_scott"),
        (Record(3.61e-3, PIRATE, "PirateNet, causal weights, 10 time windows, Adam", "GPU", PIRATE_GPU_NOTE),),
    ),
    "ginzburg_landau": Problem(
        "ginzburg_landau",
        plane_error("ginzburg_landau"),
        (Record(1.49e-2, PIRATE, "PirateNet, causal weights, 5 time windows, Adam", "GPU", PIRATE_GPU_NOTE),),
    ),
    "cavity": Problem("cavity", cavity_error),  # no published PINN error for this lid found yet
    "burgers": Problem(
        "burgers", accuracy.cole_hopf_error, (Record(4.9e-9, VRBA, "vRBA + SSBroyden", "GPU", VRBA_NOTE),)
    ),
    "schrodinger": Problem(
        "schrodinger",
        accuracy.schrodinger_error,
        (
            Record(
                1.97e-3,
                "Raissi et al. 2019, J. Comput. Phys. 378:686–707",
                "PINN, L-BFGS",
                "not stated",
                "the error of |h|, as here",
            ),
        ),
    ),
    "black_scholes": Problem("black_scholes", None),
    "ritz": Problem("poisson_ritz", None),
}


def train(name: str, budget: float | None) -> dict:
    """Train one problem with the defaults (and the time budget, if any); its row of the table."""
    problem = PROBLEMS[name]
    path = ROOT / "examples" / f"{problem.example}.pinn"
    # the example's own settings (<example>.toml), as `symbolic-pinn train` reads them
    toml = _settings.problem_toml(path)
    shipped = _settings.read_toml(toml) if toml else {}
    network = {k: v for k, v in shipped.items() if k in {s.name for s in _settings.NETWORK}}
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(path), **network)
    settings = {k: v for k, v in shipped.items() if k not in network} | {"progress": False}
    settings |= {"time_limit": budget} if budget else {}
    result = compiled.train(**settings)
    if problem.error is None:  # the example's `exact`: training measured it, on the gallery's test grid
        errors = result.metrics["rel_l2"]
    else:
        with result_precision(result.params):
            errors = problem.error(compiled, result.params)
    best = problem.best()
    error = max(errors.values())
    return {
        "problem": name,
        "example": f"examples/{problem.example}.pinn",
        "settings": shipped,
        "rel_l2": errors,
        "seconds": result.metrics["seconds"],
        "steps": result.metrics["steps"],
        "ended": result.metrics["ended"],  # why each phase ended ("time limit (20 s)" on the budget)
        "budget": budget,
        "records": [dataclasses.asdict(r) for r in problem.records],
        "ratio": error / best.error if best else None,
    }


def table(rows: list[dict], title: str) -> Table:
    out = Table(title=title)
    for column in ("problem", "our error", "our time (s)", "best published", "source, method, hardware", "ratio"):
        out.add_column(column)
    for row in rows:
        ours = ", ".join(f"{k} {v:.2e}" for k, v in row["rel_l2"].items())
        best = min(row["records"], key=lambda r: r["error"], default=None)
        published = f"{best['error']:.2e}" if best else "—"
        where = f"{best['source']}; {best['method']}; {best['hardware']}" if best else "none found"
        ratio = f"{row['ratio']:.3g}" if row["ratio"] is not None else "—"
        out.add_row(row["problem"], ours, f"{row['seconds']:.0f}", published, where, ratio)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(PROBLEMS), choices=list(PROBLEMS), help="problems to run")
    parser.add_argument("--budget", type=float, help="seconds of training per problem (default: none)")
    parser.add_argument("--json", help="where to write the results (default: benchmarks/results/records_DATE.json)")
    args = parser.parse_args()
    date = datetime.date.today().isoformat()
    out = pathlib.Path(args.json or ROOT / "benchmarks" / "results" / f"records_{date}.json")
    rows = [train(name, args.budget) for name in args.only]
    budget = f"a budget of {args.budget:g} s" if args.budget else "no time budget"
    Console(width=200).print(
        table(rows, f"symbolic_pinn {symbolic_pinn.__version__}, defaults, {budget}: ours and the records")
    )
    meta = {
        "date": date,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
        f"jax {jax.__version__} on {jax.devices()[0].platform}",
        "budget": args.budget,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
