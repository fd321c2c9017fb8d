"""What a trained network is worth: its relative L2 error against an ``exact`` solution, and
the summary table of a run's metrics.

The errors are measured on a test grid (``domain.test_grid``), ``chunk_size`` points at a
time; with parameters (``param k``) also at :func:`parameter_values` of each.  Where the
exact solution or the network is not finite the error is None, and a note says why.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .._compiler import ir
from .._config import TrainConfig
from . import devices, domain, phases, quadrature

__all__ = [
    "relative_l2",
    "relative_l2_by_parameter",
    "parameter_values",
    "parameter_label",
    "phase_metrics",
    "summary_table",
]

CHUNK_SIZE = TrainConfig.__dataclass_fields__["chunk_size"].default
PARAMETER_VALUES = 3  # values of each `param` at which the error is reported and the fields plotted


def relative_l2(
    compiled, params, total: int = 10_000, notes: list[str] | None = None, chunk_size: int = CHUNK_SIZE
) -> dict[str, float | None]:
    """‖u − exact‖ / ‖exact‖ on a test grid, for each field with an `exact`.

    The fields are evaluated ``chunk_size`` points at a time (see ``devices.in_chunks``).

    Where the exact solution (say sqrt(x - 0.5) on [0, 1]) or the network is not a
    finite number at some test point, the error is ``None``, and a sentence saying why
    (how many points, the first one) is appended to ``notes``: never a silent NaN.
    """
    return _errors_on(compiled, params, domain.test_grid(compiled.ir, total), compiled.module.EXACT, notes, chunk_size)


def parameter_values(program: ir.Program) -> dict[str, list[float]]:
    """The values of each parameter at which errors are reported and fields plotted:
    ``PARAMETER_VALUES`` evenly spaced over its interval, both ends included."""
    bounds = {v.name: (float(v.lo), float(v.hi)) for v in program.variables}
    return {k: [float(c) for c in np.linspace(*bounds[k], PARAMETER_VALUES)] for k in program.parameters}


def parameter_label(value: float) -> str:
    """A parameter value as a key of ``rel_l2_by_param`` and a plot title: ``2``, ``1.5708``."""
    return f"{value:.6g}"


def relative_l2_by_parameter(
    compiled, params, total: int = 10_000, notes: list[str] | None = None, chunk_size: int = CHUNK_SIZE
) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{k: {"2": {u: error}}}``: the relative L2 error of each field that takes a
    parameter, at each of :func:`parameter_values`, on a test grid of the other variables.

    Empty for a problem without parameters or without an ``exact``.
    """
    program = compiled.ir
    out = {}
    for k, values in parameter_values(program).items():
        exact = {name: f for name, f in compiled.module.EXACT.items() if k in program.field(name).args}
        for value in values if exact else ():
            grid = domain.test_grid(program, total, {k: value})
            where = f" at {k} = {parameter_label(value)}"
            out.setdefault(k, {})[parameter_label(value)] = _errors_on(
                compiled, params, grid, exact, notes, chunk_size, where
            )
    return out


def _errors_on(compiled, params, grid, exact_fields: dict, notes, chunk_size: int, where: str = "") -> dict:
    """The relative L2 error of each field of ``exact_fields`` on the points ``grid``."""
    program = compiled.ir
    names = [v.name for v in program.variables]
    fields = compiled.module.fields(params)
    errors = {}
    for name, exact in exact_fields.items():
        points = domain.home(program, grid, name)
        args = [jnp.asarray(points[:, names.index(a)], dtype=jnp.result_type(float)) for a in program.field(name).args]
        predicted = np.asarray(devices.in_chunks(fields[name], args, chunk_size), dtype=float)
        reference = np.asarray(devices.in_chunks(exact, args, chunk_size), dtype=float)
        reason = _not_finite_at(reference, f"the exact solution of {name}", args, program.field(name).args)
        reason = reason or _not_finite_at(predicted, f"the trained {name}", args, program.field(name).args)
        if reason:
            errors[name] = None
            if notes is not None:
                notes.append(f"no relative L2 error for {name}{where}: {reason}")
            continue
        scale = np.linalg.norm(reference)
        diff = np.linalg.norm(predicted - reference)
        errors[name] = float(diff / scale) if scale > 0 else float(diff / math.sqrt(len(reference)))
    return errors


def _not_finite_at(values: np.ndarray, what: str, args, names) -> str | None:
    """A sentence saying where ``values`` are NaN or infinite (None if nowhere)."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    first = int(np.argmax(bad))
    point = ", ".join(f"{n} = {float(a[first]):.4g}" for n, a in zip(names, args))
    return f"{what} is {values[first]} at {int(bad.sum()):,} of {len(values):,} test points, e.g. at {point}"


def phase_metrics(steps: dict[str, int], finisher: str, config: TrainConfig) -> dict:
    """For metrics.json: each phase's steps (``adam_steps``, ...; 0 for a phase the run did not go
    through), the finisher, and the settings only a phase reads (None where it did not run)."""
    counts = {p.steps_key: steps.get(p.name, 0) for p in phases.PHASES}
    ran = {s: getattr(config, s) if p.name in steps else None for p in phases.PHASES for s in p.settings}
    return counts | {"finisher": finisher} | ran


# ---- display -------------------------------------------------------------------------


def summary_table(metrics: dict):
    """A rich table of the result: every term's final loss, errors, unknowns, steps."""
    from rich.table import Table

    table = Table(title="training result", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("loss (weighted sum)", f"{metrics['loss']:.3e}")
    for name, value in metrics["losses"].items():
        table.add_row(f"  term {name}", f"{value:.3e}")
    for name, value in metrics["rel_l2"].items():
        table.add_row(f"relative L2 error of {name}", "not computed" if value is None else f"{value:.3e}")
    for k, by_value in metrics.get("rel_l2_by_param", {}).items():
        for value, errors in by_value.items():
            for name, error in errors.items():
                table.add_row(f"  of {name} at {k} = {value}", "not computed" if error is None else f"{error:.3e}")
    for name, value in metrics["unknowns"].items():
        table.add_row(f"unknown {name}", f"{value:.6g}")
    for name, labels in metrics.get("built_in", {}).items():
        table.add_row(f"built into {name}", "; ".join(labels))
    finisher = metrics.get("finisher", "lbfgs")  # metrics from before the dense finisher existed: L-BFGS
    shown = [p for p in phases.PHASES if not p.finisher or p.name == finisher]
    steps = " + ".join(f"{metrics[p.steps_key]}" for p in shown)
    table.add_row(f"steps ({' + '.join(p.label for p in shown)})", steps)
    if metrics.get("finisher_reason"):
        table.add_row(f"finished with {phases.label(finisher)}", metrics["finisher_reason"])
    integration = metrics.get("energy_quadrature")  # absent from metrics before 2026-12-08
    if integration and integration["reason"] != quadrature.NO_ENERGY:
        table.add_row("energy quadrature", f"{quadrature.LABELS[integration['choice']]}: {integration['reason']}")
    if metrics.get("causal"):
        causal = metrics["causal"]
        table.add_row("causal weights", f"{'used' if causal['used'] else 'not used'}: {causal['reason']}")
    for phase, reason in metrics.get("ended", {}).items():
        table.add_row(f"{phases.label(phase)} ended", reason)
    table.add_row("time", f"{metrics['seconds']:.1f} s")
    return table
