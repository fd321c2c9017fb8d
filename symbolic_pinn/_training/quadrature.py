"""Gauss–Legendre quadrature of an energy's integral over a box: the nodes its loss is taken at.

An energy's loss is its integral, ∫_Ω f ≈ Σᵢ wᵢ f(xᵢ).  On random or quasi-random points
(the ``sampler``'s) the weights are all |Ω|/N: a Monte Carlo estimate, whose error falls
like N^-1.5 for scrambled Sobol points and a smooth integrand.  The network minimises that
discrete energy, so its minimiser is off from the true one by the quadrature's error: on
``examples/poisson_ritz.pinn`` the solution's error was 6.6e-5 at 4,096 Sobol points and
8.3e-6 at 16,384, the N^-1.5 rate.

On a box (every variable an interval: space, time, parameters) the integral is a tensor
product of one-dimensional rules, and Gauss–Legendre's converges like h^(2p) for a
smooth integrand.  Each axis is cut into P panels of p nodes (composite Gauss–Legendre,
``numpy.polynomial.legendre.leggauss``): with ``n`` interior points in d dimensions, about
n^(1/d) nodes per axis, P = round(n^(1/d) / p).  On the examples with an energy, p = 4, 8,
16 and 64 gave the same errors (benchmarks/energy_quadrature.py): the rule no longer bounds
them.  p = 8 keeps whole panels down to 8 nodes per axis, and panel edges on simple
fractions of each interval, where a coefficient's jump (``if x < 0.5``) is then integrated
to the rule's order.

The weights travel with the nodes as one more column of the term's points (relative to
the mean, so they sum to N: :func:`symbolic_pinn._runtime.quadrature_weights`), so they
are split over devices, cut into micro-batches, checkpointed and resumed with them.  A
rule is fixed, so nothing draws fresh points for it: resampling is refused with it and
chooses Monte Carlo under ``auto``; the finish's held-out loss is the same energy under a
second rule with p + 1 nodes per panel (another, independent quadrature, not a re-draw).

``energy_quadrature`` chooses: ``gauss``, ``mean`` (Monte Carlo), or ``auto`` — Gauss–Legendre
when every interior term is an energy on a box domain with at least ORDER nodes per axis,
nothing redraws the interior points and no derivatives are shared with another term;
:func:`choose` says which and why.
"""

from __future__ import annotations

import numpy as np

from .._compiler import ir
from .._config import TrainConfig
from .._errors import PinnError

__all__ = ["CHOICES", "LABELS", "NO_ENERGY", "ORDER", "choose", "rule", "nodes"]

CHOICES = ("auto", "gauss", "mean")
assert CHOICES == TrainConfig.__dataclass_fields__["energy_quadrature"].metadata["choices"]
NO_ENERGY = "no energy on the interior"  # choose's reason where there is nothing to integrate
LABELS = {"gauss": "Gauss–Legendre", "mean": "Monte Carlo (the mean over the points)"}
ORDER = 8  # nodes per panel: 4, 8, 16 and 64 tie on the examples (docs/training.md); see the module docstring


def rule(bounds, per_axis: int, order: int = ORDER) -> tuple[np.ndarray, np.ndarray]:
    """Tensor composite Gauss–Legendre nodes, shape (N, d), and weights (N,) on the box ``bounds``.

    ``bounds`` is one (lo, hi) per axis; each axis has ``per_axis`` nodes in panels of
    ``order`` (one panel of ``per_axis`` nodes when fewer).  The weights sum to the box's
    volume; the rule integrates exactly every polynomial of degree ≤ 2·order − 1 per axis
    on each panel.

    >>> x, w = rule([(0.0, 1.0)], 8, 4)
    >>> round(float(w @ x[:, 0] ** 7), 12)  # ∫₀¹ x⁷ dx
    0.125
    """
    order = min(order, per_axis)
    panels = max(1, per_axis // order)
    t, v = np.polynomial.legendre.leggauss(order)  # on [-1, 1]
    axes, weights = [], []
    for lo, hi in bounds:
        edges = np.linspace(lo, hi, panels + 1)
        half = (edges[1:] - edges[:-1])[:, None] / 2
        axes.append(((edges[:-1, None] + edges[1:, None]) / 2 + half * t).ravel())
        weights.append((half * v).ravel())
    grid = np.meshgrid(*axes, indexing="ij")
    w = np.ones(())
    for wk in weights:  # the outer product, in the meshgrid's order
        w = np.multiply.outer(w, wk)
    return np.stack([g.ravel() for g in grid], axis=-1), w.ravel()


def per_axis(n: int, d: int) -> int:
    """Nodes per axis for about ``n`` nodes in ``d`` dimensions: whole panels of ORDER where n allows."""
    m, order = (n ** (1 / d) if d else 1), ORDER
    return max(1, round(m / order)) * order if m >= order else max(1, round(m))


def nodes(program: ir.Program, n: int, held_out: bool = False) -> np.ndarray:
    """The interior's nodes, shape (N, number of variables + 1): the coordinates, then each node's
    weight relative to the mean (N·wᵢ / |Ω|).  ``held_out``: the rule with one more node per panel."""
    d = len(program.variables)
    m = per_axis(n, d)
    order = min(ORDER, m)
    if held_out:
        m, order = m // order * (order + 1), order + 1
    x, w = rule([(v.lo, v.hi) for v in program.variables], m, order)
    return np.concatenate([x, (len(w) * w / w.sum())[:, None]], axis=1)


def choose(compiled, config: TrainConfig) -> tuple[str, str]:
    """How energies on the interior are integrated, "gauss" or "mean", and why, in words.

    Raises PinnError where ``energy_quadrature = "gauss"`` cannot apply."""
    program = compiled.ir
    energies = [t for t in program.terms if t.kind == "energy" and t.region == ir.INTERIOR]
    if not energies:
        if config.energy_quadrature == "gauss":
            raise PinnError(
                "energy_quadrature = gauss integrates an energy over the interior, and this problem has none",
                help="leave energy_quadrature at auto",
            )
        return "mean", NO_ENERGY
    why_not = _why_not(compiled, config)
    d = len(program.variables)
    if config.energy_quadrature == "mean":
        return "mean", "set by energy_quadrature = mean"
    if config.energy_quadrature == "gauss":
        if why_not:
            raise PinnError(f"energy_quadrature = gauss cannot apply: {why_not}", help="use energy_quadrature = mean")
        return "gauss", f"set by energy_quadrature = gauss ({_describe(config.interior_points, d)})"
    if not why_not and per_axis(config.interior_points, d) < ORDER:
        why_not = f"{config.interior_points:,} points in {d} dimensions give fewer than {ORDER} nodes per axis"
    if why_not:
        return "mean", f"Monte Carlo: {why_not}"
    return "gauss", f"the domain is a box ({_describe(config.interior_points, d)})"


def _describe(n: int, d: int) -> str:
    m = per_axis(n, d)
    order = min(ORDER, m)
    panels = m // order
    return f"{panels} panel{'s' if panels > 1 else ''} × {order} Gauss–Legendre nodes per axis, {m**d:,} nodes"


def _why_not(compiled, config: TrainConfig) -> str | None:
    """Why a Gauss–Legendre rule cannot carry the interior's energies, or None."""
    program = compiled.ir
    if program.shape is not None:
        return "the domain is not a box"
    other = next((t for t in program.terms if t.region == ir.INTERIOR and t.kind != "energy"), None)
    if other is not None:
        return f"`{other.label or other.name}` shares the interior's points and is not an energy"
    shared = {n for group in getattr(compiled.module, "SHARED", ()) for n in group}
    energy = next((t for t in program.terms if t.region == ir.INTERIOR and t.name in shared), None)
    if energy is not None:
        return f"`{energy.label or energy.name}` shares its derivatives with another term"
    redraw = next((s for s in ("resample_every", "bfgs_resample_every") if getattr(config, s)), None)
    if redraw:
        return f"{redraw} draws fresh interior points, and a quadrature rule has none to draw"
    return None
