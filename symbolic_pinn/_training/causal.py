"""Causal weights: the equations at later times count once those at earlier times hold.

Wang, Sankaran & Perdikaris 2024, "Respecting causality for training physics-informed
neural networks", CMAME 421 (and jaxpi, their code).  A network trained on the whole
time window at once can lower the residual at late times by fitting a wrong solution
there before the early times, from which the late ones follow, are right.  So the time
window [t₀, t₁] is cut into M chunks of equal length, chunk k holding the interior
points with (t − t₀)/(t₁ − t₀) in [k/M, (k + 1)/M), and each interior equation's loss
becomes

    L_e = 1/M' Σ_k w_k L_{k,e},      w_k = exp(−ε Σ_{j<k} L_j),   L_j = Σ_e λ_e L_{j,e},

L_{k,e} the mean square of equation e on chunk k, λ_e its weight, M' the chunks that hold
points, ε the tolerance (``causal_tol``).  The weights are constants of the step (their
gradient is stopped): chunk k is trained in earnest only once the chunks before it have
a small loss.  With ε = 0 every w_k is 1 and L_e is the mean of the chunks' means, the
plain loss where the chunks hold equally many points.

The points are grouped by the chunk their time falls in, whatever drew them (scrambled
Sobol points are stratified: 4,096 of them give each of 32 chunks exactly 128), so RAD's,
RAR's and resampled points group the same way.  Each point's loss is its squared residual
from the generated ``residuals`` (times its point weight), all points in one batched call.
"""

from __future__ import annotations

import typing
from collections.abc import Callable

import jax
import jax.numpy as jnp

from .._compiler import ir
from .._errors import PinnError

# why "auto" does not weight a problem with time (see docs/training.md#causal-weights-for-long-time-windows)
AUTO = (
    "they helped on two of three long-window benchmarks (convection and Allen–Cahn, whose TOML files set"
    " causal = on; not KdV) and are not yet measured on the gallery's other problems with time"
)

__all__ = ["AUTO", "Plan", "choose", "chunk_of", "chunk_means", "chunk_weights", "weighted", "in_phase"]


class Plan(typing.NamedTuple):
    """Whether a run weights its equations causally, why, and how."""

    used: bool
    reason: str
    chunks: int = 0
    tol: float = 0.0
    column: int = 0  # the time's column among an interior term's points
    window: tuple[float, float] = (0.0, 1.0)
    terms: tuple[str, ...] = ()  # the interior equations it weights

    def describe(self) -> dict:
        """For metrics.json: whether it was used, why, and its settings."""
        return {"used": self.used, "reason": self.reason} | (
            {"chunks": self.chunks, "tol": self.tol, "terms": list(self.terms)} if self.used else {}
        )


def choose(compiled, config) -> Plan:
    """The plan of ``config.causal`` for this problem and why: "on" weights a problem with time
    whose interior terms are all equations, and refuses another; "auto" says why it does not
    (:data:`AUTO`); "off" does not."""
    program = compiled.ir
    setting = config.causal
    if setting == "off":
        return Plan(False, "set by causal = off")
    interior = [t for t in program.terms if t.region == ir.INTERIOR]
    why_not = None
    if program.time is None:
        why_not = "the problem has no time variable"
    elif not interior:
        why_not = "no term on the interior"
    elif any(t.kind != "residual" for t in interior):
        other = next(t for t in interior if t.kind != "residual")
        why_not = f"the interior term `{other.label}` is not an equation (an energy or an integral)"
    elif config.micro_batch > 1:
        why_not = f"micro_batch = {config.micro_batch} splits the points across time chunks"
    elif config.point_weights != "none":
        why_not = f"point_weights = {config.point_weights} weights the points already (the two do not combine yet)"
    if why_not is not None:
        if setting == "on":
            raise PinnError(
                f"causal = on weights the equations by time chunk, and {why_not}",
                help="use causal = auto or off for this problem",
            )
        return Plan(False, why_not)
    if setting == "auto":
        return Plan(False, f"the problem evolves in {program.time}, and causal = auto leaves the weights off: {AUTO}")
    names = [v.name for v in program.variables]
    time = program.variables[names.index(program.time)]
    return Plan(
        True,
        f"set by causal = on: {config.causal_chunks} chunks of {time.name}, tolerance {config.causal_tol:g}",
        config.causal_chunks,
        config.causal_tol,
        names.index(time.name),
        (float(time.lo), float(time.hi)),
        tuple(t.name for t in interior),
    )


def in_phase(plan: Plan, phase, config) -> bool:
    """Whether ``phase`` (a ``phases.Phase``) minimises the causally weighted loss: Adam does; a
    finisher only with ``causal_finish = weighted`` (Gauss–Newton's and LM's residuals stay plain)."""
    if not plan.used:
        return False
    return phase.adapts or (phase.finisher and config.causal_finish == "weighted")


def chunk_of(t, window: tuple[float, float], chunks: int):
    """The chunk of each time ``t`` (an array): ⌊M (t − t₀)/(t₁ − t₀)⌋, the end t₁ in the last.

    >>> chunk_of(jnp.array([0.0, 0.49, 0.5, 1.0]), (0.0, 1.0), 2).tolist()
    [0, 0, 1, 1]
    """
    lo, hi = window
    k = jnp.floor((t - lo) / (hi - lo) * chunks).astype(jnp.int32)
    return jnp.clip(k, 0, chunks - 1)


def chunk_means(values, chunk, chunks: int):
    """Each chunk's mean of ``values`` (0 where a chunk holds none), and whether it holds any."""
    sums = jax.ops.segment_sum(values, chunk, num_segments=chunks)
    counts = jax.ops.segment_sum(jnp.ones_like(values), chunk, num_segments=chunks)
    return sums / jnp.maximum(counts, 1), counts > 0


def chunk_weights(losses, tol):
    """w_k = exp(−tol Σ_{j<k} losses_j), the gradient stopped (w₀ = 1).

    >>> chunk_weights(jnp.array([1.0, 2.0, 3.0]), 0.5).tolist() == [1.0, float(jnp.exp(-0.5)), float(jnp.exp(-1.5))]
    True
    """
    before = jnp.cumsum(losses) - losses  # Σ_{j<k}
    return jax.lax.stop_gradient(jnp.exp(-tol * before))


def weighted(losses: Callable, pointwise: Callable, plan: Plan) -> Callable:
    """``terms(params, points, weights, key) -> (weighted, plain)`` from ``losses(params, points, key)``
    (each term's loss) and ``pointwise(params, points, key)`` (each equation of ``points``'s loss at
    each of its points): ``weighted`` has each equation of ``plan`` as the module docstring says,
    ``plain`` every term's usual loss (the mean over its points), for the progress and the history."""
    equations = plan.terms

    def terms(params, points, weights, key=None):
        each = pointwise(params, {k: points[k] for k in equations}, key)
        # the other terms, with the equations at one point each (not used: their loss is `each`'s)
        others = losses(params, points | {k: tuple(c[:1] for c in points[k]) for k in equations}, key)
        plain = others | {k: each[k].mean() for k in equations}
        chunk = chunk_of(points[equations[0]][plan.column], plan.window, plan.chunks)
        means = {k: chunk_means(each[k], chunk, plan.chunks) for k in equations}
        held = means[equations[0]][1]
        w = chunk_weights(sum(weights[k] * means[k][0] for k in equations), plan.tol)
        share = jnp.where(held, w, 0) / jnp.maximum(held.sum(), 1)
        return plain | {k: jnp.sum(share * means[k][0]) for k in equations}, plain

    return terms
