"""Dense self-scaled quasi-Newton: SSBroyden and self-scaled BFGS, with a strong-Wolfe line search.

With θ the flat parameter vector, g = ∇loss(θ) and H ≈ (∇²loss)⁻¹ a dense n × n
symmetric positive definite matrix, a step is

    p = −H g,    θ⁺ = θ + α p,

α from optax's zoom line search, which meets the strong Wolfe conditions

    loss(θ + αp) ≤ loss(θ) + c₁ α gᵀp,    |∇loss(θ + αp)ᵀp| ≤ c₂ |gᵀp|     (c₁ = 1e-4, c₂ = 0.9).

With s = θ⁺ − θ, y = g⁺ − g and ρ = 1 / yᵀs, H is updated by the self-scaled Broyden family
(Al-Baali 1998; Al-Baali & Khalfan; as used for PINNs by Urbán, Stefanou & Pons 2025 and
Kiyani et al. 2025):

    H⁺ = (1/τ) [H − H y yᵀH / yᵀHy + φ (yᵀHy) v vᵀ] + ρ s sᵀ,    v = ρ s − H y / yᵀHy.

φ = 1 is BFGS and φ = 0 DFP.  With b = ρ sᵀH⁻¹s = −α ρ sᵀg (H⁻¹s = −α g) and
h = ρ yᵀHy, a = bh − 1 ≥ 0 (Cauchy–Schwarz) measures how far H is from mapping y to s.

- ``ssbfgs``: φ = 1, τ = min(1, 1/b): H is shrunk when it overestimates the
  curvature along s.
- ``ssbroyden``: θ_B = max(θ⁻, min(θ⁺, (1 − b)/b)), with c = √(a/(1+a)), ρ⁻ = min(1, h(1 − c)),
  θ⁻ = (ρ⁻ − 1)/a, θ⁺ = 1/ρ⁻; φ = (1 − θ_B)/(1 + aθ_B); σ = 1 + aθ_B and
  τ = min(1, 1/b) · min(|σ|^{1/(1−n)}, 1/θ_B) if θ_B > 0, else min(min(1, 1/b) |σ|^{1/(1−n)}, σ).

At the first update (H = I) τ = h / (1 + aθ_B) instead, which scales H to the
curvature seen along s (θ_B = 0 for ``ssbfgs``).  Every member with τ > 0 and
φ > φ_c (the degenerate value, excluded by θ⁻ ≤ θ_B ≤ θ⁺) keeps H positive definite when yᵀs > 0,
which the strong Wolfe conditions guarantee.  In floating point they may still fail (a line
search that found no step, rounding once the loss stalls), so an update whose yᵀs is not
positive relative to ‖s‖‖y‖, or whose numbers are not finite, is skipped and counted.  H is
kept exactly symmetric by writing the update as three symmetric rank-one terms ±w wᵀ.

Cost: n² memory and O(n²) work per step besides the loss's gradient, so this is for
networks of a few thousand parameters; above that, L-BFGS (``optax.lbfgs``).  optax has
no dense BFGS, hence this module; its line search is optax's.
"""

from __future__ import annotations

import typing

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

__all__ = ["METHODS", "QuasiNewtonState", "inverse_hessian_update", "scale_by_self_scaled", "self_scaled"]

METHODS = ("ssbroyden", "ssbfgs")  # the bfgs_method setting's choices (_config)
LINESEARCH_STEPS = 30  # evaluations of loss and gradient per line search, at most


class QuasiNewtonState(typing.NamedTuple):
    """The inverse-Hessian approximation and what the next update needs from this step."""

    count: jax.Array  # steps taken (int32)
    skipped: jax.Array  # updates skipped for non-positive curvature (int32)
    inverse_hessian: jax.Array  # n × n, symmetric positive definite
    # named apart from the line search's `grad`, which optax.value_and_grad_from_state looks up
    last_params: jax.Array  # flat parameters at the last step
    last_grad: jax.Array  # the gradient there
    last_direction: jax.Array  # the direction taken from there


def inverse_hessian_update(h_inv, s, y, grad, first, n: int, method: str = "ssbroyden", direction=None):
    """H⁺ from H, s, y and the gradient g at the start of the step (see the module docstring).

    ``direction``, the step's direction (−Hg unless given), gives the step length α.

    Returns ``(H⁺, skipped)``: H itself, and True, when the curvature yᵀs is not positive.

    >>> import jax.numpy as jnp
    >>> h, skipped = inverse_hessian_update(jnp.eye(2), jnp.array([1.0, 0]), jnp.array([2.0, 0]),
    ...                                     jnp.array([-2.0, 0]), True, 2, "ssbfgs")
    >>> h @ jnp.array([2.0, 0])  # the secant equation H⁺y = s
    Array([1., 0.], dtype=float32)
    """
    ys = y @ s
    hy = h_inv @ y
    yhy = y @ hy
    tiny = jnp.finfo(s.dtype).tiny
    curvature = ys > jnp.sqrt(jnp.finfo(s.dtype).eps) * jnp.linalg.norm(s) * jnp.linalg.norm(y)
    rho = 1 / jnp.where(curvature, ys, 1)
    yhy = jnp.where(curvature & (yhy > tiny), yhy, 1)
    h = rho * yhy
    # b = ρ sᵀH⁻¹s = −α ρ sᵀg with s = α p, p = −Hg: α = sᵀs / sᵀp
    p = -(h_inv @ grad) if direction is None else direction
    alpha = (s @ s) / jnp.where(s @ p != 0, s @ p, 1)
    b = -alpha * rho * (s @ grad)
    b = jnp.maximum(b, tiny)
    a = jnp.maximum(b * h - 1, 0.0)
    if method == "ssbfgs":
        theta = jnp.zeros_like(a)
        tau = jnp.where(first, h, jnp.minimum(1.0, 1 / b))
    else:
        theta, tau = _ssbroyden_scaling(a, b, h, first, n)
    phi = (1 - theta) / (1 + a * theta)
    v = rho * s - hy / yhy
    # H⁺ = H/τ + Σ ±w wᵀ over the formula's three rank-one terms, w = √|coefficient| · vector:
    # entry (i, j) of each term, ±wᵢwⱼ, is the same number as entry (j, i) (a fused multiply-add
    # too), so H⁺ stays exactly symmetric in one elementwise pass, without the transpose that a
    # symmetrisation (H⁺ + H⁺ᵀ)/2 costs (most of a step's time at a few thousand parameters)
    terms = ((-1 / (tau * yhy), hy), (phi * yhy / tau, v), (rho, s))
    new = h_inv / tau
    for coefficient, vector in terms:
        w = jnp.sqrt(jnp.abs(coefficient)) * vector
        new = new + jnp.sign(coefficient) * (w[:, None] * w[None, :])
    finite = jnp.isfinite(tau) & jnp.isfinite(phi) & jnp.all(jnp.isfinite(hy)) & jnp.all(jnp.isfinite(v))
    ok = curvature & (tau > 0) & finite
    return jnp.where(ok, new, h_inv), ~ok


def _ssbroyden_scaling(a, b, h, first, n: int):
    """θ_B and τ of the SSBroyden update (see the module docstring); a ≈ 0 leaves BFGS (θ_B = 0)."""
    small = a < 1e-12
    safe_a = jnp.where(small, 1.0, a)
    c = jnp.sqrt(safe_a / (1 + safe_a))
    rho_minus = jnp.minimum(1.0, h * (1 - c))
    theta_minus = (rho_minus - 1) / safe_a
    theta_plus = 1 / jnp.where(rho_minus > 0, rho_minus, 1.0)
    theta = jnp.maximum(theta_minus, jnp.minimum(theta_plus, (1 - b) / b))
    theta = jnp.where(small, 0.0, theta)
    sigma = 1 + a * theta
    shrink = jnp.minimum(1.0, 1 / b)
    sigma_n = jnp.abs(sigma) ** (1.0 / (1 - n)) if n > 1 else jnp.ones_like(sigma)
    later = jnp.where(
        theta > 0,
        shrink * jnp.minimum(sigma_n, 1 / jnp.where(theta > 0, theta, 1.0)),
        jnp.minimum(shrink * sigma_n, sigma),
    )
    return theta, jnp.where(first, h / sigma, later)


def scale_by_self_scaled(method: str = "ssbroyden") -> optax.GradientTransformation:
    """The quasi-Newton direction −Hg, H updated from the step before (to chain with a line search).

    Like optax's ``scale_by_lbfgs``, s and y come from the parameters and gradient of
    this call and the previous one.
    """
    if method not in METHODS:
        raise ValueError(f"unknown quasi-Newton method {method!r}; choose one of {', '.join(METHODS)}")

    def init(params) -> QuasiNewtonState:
        flat, _ = ravel_pytree(params)
        n = flat.shape[0]
        # distinct arrays, no one shared: training donates the state to each step
        count, skipped = (jnp.zeros((), jnp.int32) for _ in range(2))
        vectors = (jnp.zeros_like(flat) for _ in range(3))
        return QuasiNewtonState(count, skipped, jnp.eye(n, dtype=flat.dtype), *vectors)

    def update(updates, state: QuasiNewtonState, params=None):
        grad, unravel = ravel_pytree(updates)
        flat, _ = ravel_pytree(params)
        n = flat.shape[0]
        # the first call has no step to learn from: s = 0 fails the curvature test, H stays I
        s, y = jnp.where(state.count > 0, flat - state.last_params, 0), grad - state.last_grad
        first = state.count == 1
        h_inv, skipped = inverse_hessian_update(
            state.inverse_hessian, s, y, state.last_grad, first, n, method, state.last_direction
        )
        skipped = state.skipped + (skipped & (state.count > 0)).astype(jnp.int32)
        direction = -(h_inv @ grad)
        # H approximates a positive definite inverse Hessian; if rounding made −Hg an ascent
        # direction anyway, fall back to steepest descent for this step
        direction = jnp.where(direction @ grad < 0, direction, -grad)
        return unravel(direction), QuasiNewtonState(state.count + 1, skipped, h_inv, flat, grad, direction)

    return optax.GradientTransformation(init, update)


def self_scaled(method: str = "ssbroyden", linesearch_steps: int = LINESEARCH_STEPS):
    """A dense self-scaled quasi-Newton optimiser: ``scale_by_self_scaled`` then optax's zoom line search.

    Use it as ``optax.lbfgs``: the update needs ``value``, ``grad`` and ``value_fn``.

    >>> import jax.numpy as jnp, optax
    >>> f = lambda x: jnp.sum((x - 3.0) ** 2 * jnp.arange(1.0, 4.0))
    >>> opt, x = self_scaled(), jnp.zeros(3)
    >>> state = opt.init(x)
    >>> for _ in range(6):
    ...     value, grad = optax.value_and_grad_from_state(f)(x, state=state)
    ...     updates, state = opt.update(grad, state, x, value=value, grad=grad, value_fn=f)
    ...     x = optax.apply_updates(x, updates)
    >>> bool(jnp.allclose(x, 3.0))
    True
    """
    return optax.chain(
        scale_by_self_scaled(method),
        # strong Wolfe; the first guess α = 1 is the quasi-Newton step
        optax.scale_by_zoom_linesearch(max_linesearch_steps=linesearch_steps, initial_guess_strategy="one"),
    )
