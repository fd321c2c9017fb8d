"""Residual-based attention (RBA): a weight per collocation point, from that point's residual history.

Anagnostopoulos, Toscano, Stergiopulos & Karniadakis 2024, "Residual-based attention in
physics-informed neural networks", CMAME 421; the form used here is that of Toscano et
al.'s vRBA code (2025), where each point's multiplier weights its squared residual.
Every point i of a weighted term carries a multiplier λᵢ (1 at the start), updated at
every Adam step from the residuals r at the step's parameters, before the gradient:

    λᵢ ← γ λᵢ + η |rᵢ| / max_j |r_j|,           loss_t = mean_i(λᵢ · rᵢ²)

(γ = ``point_weights_decay``, 0.999; η = ``point_weights_rate``, 0.01, as published).
λ is bounded, by max(1, η / (1 − γ)) = 10, and is not differentiated: it is a weight,
not a parameter.  The original RBA paper writes the multiplier inside the square,
(λᵢ rᵢ)²; PINA's RBAPINN and the vRBA code weight rᵢ² by λᵢ, which is what is done here.

The multipliers are part of the run's state: they live in the weights (``weights[KEY]``,
one array per term), so they are checkpointed, replicated over devices and resumed with
them.  Adam's objective updates them (``objective(..., updating=True)`` returns the new
ones as ``terms[KEY]``, which the loop moves into the weights, :func:`taken`); every
finisher keeps them fixed, as the vRBA + SSBroyden runs do: a quasi-Newton method's
curvature assumes one objective.  When the points change (resampling, RAR, a fresh draw
of the finish), their multipliers start again at the value the update converges to for
the residuals at the new points, η / (1 − γ) · |rᵢ| / max|r| (:func:`restart`).

Which terms: the equations on the interior (``rba``), and with
``point_weights_boundary`` every residual term on collocation points (data terms never).
The loss must be made of mean squares: a problem with an energy, an integral constraint
or an estimated Laplacian is refused, as is ``micro_batch`` > 1.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._compiler import ir
from .._config import TrainConfig
from .._errors import PinnError

__all__ = [
    "KEY",
    "CHOICES",
    "weighted_terms",
    "check",
    "attach",
    "update",
    "restart",
    "Restarts",
    "losses",
    "taken",
    "without",
]

KEY = "@points"  # the weights' entry of the multipliers: not a term name (those are identifiers)
CHOICES = ("none", "rba")
assert CHOICES == TrainConfig.__dataclass_fields__["point_weights"].metadata["choices"]


def weighted_terms(compiled, config) -> tuple[str, ...]:
    """The terms whose points carry multipliers under ``config`` (none when point weights are off)."""
    if config.point_weights == "none":
        return ()
    return tuple(
        t.name
        for t in compiled.ir.terms
        if t.kind == "residual"
        and not isinstance(t.region, ir.Data)
        and (t.region == ir.INTERIOR or config.point_weights_boundary)
    )


def check(compiled, config) -> None:
    """Refuse point weights for a problem or settings they do not fit (before training starts)."""
    if config.point_weights == "none":
        return
    help_ = "train this problem with --point-weights none"
    other = next((t for t in compiled.ir.terms if t.kind != "residual"), None)
    if other is not None:
        what = "an integral constraint" if other.kind == "integral" else "an energy"
        raise PinnError(
            f"point_weights = {config.point_weights} weights squared residuals, and term {other.name!r}"
            f" ({other.label or what}) is {what}",
            help=help_,
        )
    if getattr(compiled.module, "RANDOMIZED", ()):
        raise PinnError(
            f"point_weights = {config.point_weights} needs each point's residual, and this problem's Laplacian"
            " is estimated from random directions (laplacian_samples)",
            help=help_ + ", or leave laplacian_samples at 0",
        )
    if config.micro_batch > 1:
        raise PinnError(
            f"point_weights = {config.point_weights} keeps one multiplier per point, which micro_batch = "
            f"{config.micro_batch} does not split",
            help=help_ + ", or leave micro_batch at 1",
        )
    if not weighted_terms(compiled, config):
        raise PinnError(
            f"point_weights = {config.point_weights} weights the equations on the interior, and this problem has none",
            help=help_ + ", or add --point-weights-boundary",
        )


def attach(weights: dict, compiled, config, points: dict, dtype) -> dict:
    """``weights`` with every weighted term's multipliers at 1, one per point of ``points``."""
    names = weighted_terms(compiled, config)
    if not names:
        return weights
    return weights | {KEY: {name: jnp.ones(len(points[name][0]), dtype) for name in names}}


def update(lam, r, decay, rate):
    """One RBA step: γλ + η |r| / max|r| (where every residual is 0, λ only decays)."""
    size = jnp.abs(r)
    top = jnp.max(size)
    return decay * lam + rate * size / jnp.where(top > 0, top, 1)


def restart(r, decay, rate):
    """The multipliers the update converges to for residuals ``r``: η / (1 − γ) · |r| / max|r|."""
    return update(jnp.zeros_like(r), r, decay, rate) / (1 - decay)


def losses(residuals, pointwise: dict, count: int, points: dict, multipliers: dict, config, updating: bool):
    """Each term's loss, mean(pointwise weight · λ · r²), from ``residuals(points) -> {term: r}``; and
    the updated multipliers (None unless ``updating``).  ``pointwise``: the problem's ``POINT_WEIGHTS``
    (of the first ``count`` columns)."""
    r = residuals(points)
    new = {}
    terms = {}
    for name, values in r.items():
        square = values**2
        if name in pointwise:
            square = pointwise[name](*points[name][:count]) * square
        lam = multipliers.get(name)
        if lam is not None:
            if updating:  # before the gradient, from this step's residuals, as the vRBA code does
                lam = update(lam, jax.lax.stop_gradient(values), config.point_weights_decay, config.point_weights_rate)
                new[name] = lam
            square = jax.lax.stop_gradient(lam) * square
        terms[name] = jnp.mean(square)
    return terms, (new if updating else None)


class Restarts:
    """The multipliers of the terms whose points changed: :func:`restart` at the new points."""

    def __init__(self, compiled, config):
        self.config, self.names = config, weighted_terms(compiled, config)
        self._residuals = jax.jit(compiled.module.residuals)

    def __call__(self, weights: dict, params, old: dict, new: dict) -> dict:
        changed = [n for n in self.names if new[n] is not old[n]] if KEY in weights else []
        if not changed:
            return weights
        r = self._residuals(params, {n: new[n] for n in changed})
        lam = weights[KEY]
        decay, rate = self.config.point_weights_decay, self.config.point_weights_rate
        return weights | {KEY: lam | {n: restart(r[n], decay, rate).astype(lam[n].dtype) for n in changed}}


def taken(terms: dict, weights: dict) -> tuple[dict, dict]:
    """A step's terms without the new multipliers it may carry, and the weights holding them."""
    if KEY not in terms:
        return terms, weights
    terms = dict(terms)
    return terms, weights | {KEY: terms.pop(KEY)}


def without(weights: dict) -> dict:
    """The weights without multipliers: for points they do not belong to (the held-out points)."""
    return {k: v for k, v in weights.items() if k != KEY} if KEY in weights else weights
