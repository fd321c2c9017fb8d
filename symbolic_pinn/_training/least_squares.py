"""Levenberg–Marquardt: damped Gauss–Newton on the residuals of a problem.

The training loss is a weighted sum of mean squares, so it is one sum of squares,

    loss(θ) = Σ_t w_t · mean(res_t(θ)²) = ‖r(θ)‖²,   r = concat_t √(w_t / N_t) · res_t,

where ``res_t`` is term t's pointwise residual at its N_t points.  With the Jacobian
J = ∂r/∂θ (N × P), a step δ solves the damped normal equations

    (JᵀJ + μI) δ = −Jᵀr          (P ≤ N: a P × P Cholesky factorisation), or
    δ = −Jᵀ(JJᵀ + μI)⁻¹ r         (N < P: an N × N one; the same δ).

The step is taken if the loss falls.  The gain ratio ρ = (‖r‖² − ‖r(θ+δ)‖²) / δᵀ(μδ − Jᵀr)
compares the fall with the one the linear model predicts, and sets the damping
(Nielsen's rule): accepted, μ ← μ·max(1/3, 1 − (2ρ − 1)³) and ν ← 2; rejected,
μ ← μν and ν ← 2ν, and the step is tried again with the same J (up to ``MAX_TRIALS``
times).  μ starts at ``TAU`` · max diag(JᵀJ) and never falls below machine epsilon
times it.  A NaN or inf in a trial is a rejection.

J is built one point at a time: every residual is pointwise, so J's row for a point is
the gradient of that point's residual, and ``vmap`` over points of ``grad`` costs about
one batched backward pass (``jacfwd`` over θ would cost P forward passes).  Energy terms
(``minimize ∫ ...``) are not squares, so problems with one are refused.
"""

from __future__ import annotations

import typing
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .._errors import PinnError

__all__ = ["LMState", "LevenbergMarquardt", "levenberg_marquardt", "term_residuals", "not_squares", "residual_vector"]

TAU = 1e-3  # the first μ, relative to the largest diagonal entry of JᵀJ
MAX_TRIALS = 10  # steps tried, with growing damping, per Jacobian


class LMState(typing.NamedTuple):
    """The damping μ (0 before the first step: then it is set from JᵀJ) and its growth factor ν."""

    damping: jax.Array
    growth: jax.Array


class LevenbergMarquardt(typing.NamedTuple):
    """An optimiser as a pair of pure functions, like optax's.

    ``init(params) -> LMState``; ``step(params, state, points) -> (params, state, loss, terms)``
    (jitted), where ``loss`` and ``terms`` are those of the parameters given.
    """

    init: Callable
    step: Callable


def term_residuals(compiled) -> Callable[[dict, dict], dict[str, jax.Array]]:
    """``residuals(params, points) -> {term: pointwise residual}``, as ``losses`` calls them.

    Refuses a problem with an energy term, which is not a mean square.

    >>> import symbolic_pinn, jax
    >>> p = symbolic_pinn.compile("x in [0, 1]\\nfield u(x)\\nu = x", width=4, depth=1)
    >>> params = p.init_params(jax.random.PRNGKey(0))
    >>> term_residuals(p)(params, {"pde": (jax.numpy.zeros(3),)})["pde"].shape
    (3,)
    """
    why = not_squares(compiled)
    if why:
        raise PinnError(
            f"Levenberg–Marquardt minimises a sum of squared residuals, and {why}",
            help="train this problem without --lm-steps (Adam and L-BFGS), or train its Euler–Lagrange "
            "equations, which `symbolic-pinn derive FILE` writes as a problem of residuals, with LM",
        )
    negative = {name: w for name, w in compiled.module.WEIGHTS.items() if not w >= 0}
    if negative:
        raise PinnError(f"Levenberg–Marquardt needs weights ≥ 0, got {negative}")
    pointwise = getattr(compiled.module, "POINT_WEIGHTS", {})
    if pointwise:  # `weight 1 - 20*abs(x)`: √w·r, so that the squares are the weighted loss's
        return _weighted(compiled.module.residuals, pointwise, len(compiled.module.DOMAIN))
    # the module's own `residuals`: called as `losses` calls it (an estimated Laplacian
    # takes the draw it takes without a key: a fixed one)
    return compiled.module.residuals


def not_squares(compiled) -> str | None:
    """Why the loss of ``compiled`` is not a sum of squares ("term 'energy' (...) is an energy,
    not a square"); None when it is."""
    energies = [t for t in compiled.ir.terms if t.kind != "residual"]
    if not energies:
        return None
    term = energies[0]
    what = " an integral constraint, not a mean square" if term.kind == "integral" else " an energy, not a square"
    return f"term {term.name!r} ({term.label or 'an energy'}) is{what}"


def _weighted(residuals, pointwise: dict, count: int):
    def weighted(params, points, *key):
        r = residuals(params, points, *key)
        return {k: jnp.sqrt(pointwise[k](*points[k][:count])) * v if k in pointwise else v for k, v in r.items()}

    return weighted


def residual_vector(compiled) -> Callable[[dict, dict], jax.Array]:
    """``r(params, points)``, the residuals scaled by √(weight / points), so ‖r‖² is the loss.

    >>> import symbolic_pinn, jax
    >>> p = symbolic_pinn.compile("x in [0, 1]\\nfield u(x)\\nu = x", width=4, depth=1)
    >>> params, points = p.init_params(jax.random.PRNGKey(0)), {"pde": (jax.numpy.linspace(0, 1, 5),)}
    >>> bool(jax.numpy.isclose(jax.numpy.sum(residual_vector(p)(params, points) ** 2), p.loss(params, points)))
    True
    """
    residuals = term_residuals(compiled)
    weights = compiled.module.WEIGHTS

    def vector(params, points):
        return jnp.concatenate([_scale(weights[k], points[k]) * v for k, v in residuals(params, points).items()])

    return vector


def _scale(weight, columns):
    return jnp.sqrt(weight / columns[0].shape[0])


def levenberg_marquardt(compiled, constrain: Callable[[dict], dict] = lambda points: points) -> LevenbergMarquardt:
    """Levenberg–Marquardt on ``compiled``'s residuals (see the module docstring).

    ``constrain`` places the points inside the step (``_devices.Placement.constrain``): on
    several devices J's rows are split with them, and XLA sums each device's share of JᵀJ
    and Jᵀr across devices; the P × P solve is replicated.

    >>> import symbolic_pinn, jax
    >>> p = symbolic_pinn.compile("x in [0, 1]\\nfield u(x)\\nu = x", width=4, depth=1)
    >>> params, points = p.init_params(jax.random.PRNGKey(0)), {"pde": (jax.numpy.linspace(0, 1, 9),)}
    >>> lm = levenberg_marquardt(p)
    >>> new, state, before, terms = lm.step(params, lm.init(params), points)
    >>> bool(p.loss(new, points) < before)
    True
    """
    residuals = term_residuals(compiled)
    fixed = compiled.module.WEIGHTS

    def init(params) -> LMState:
        dtype = jnp.result_type(*jax.tree.leaves(params))
        return LMState(jnp.zeros((), dtype), jnp.full((), 2.0, dtype))

    @jax.jit
    def step(params, state: LMState, points, weights=None):
        # the problem's weights, or those adaptive weighting arrived at during Adam
        weights = fixed if weights is None else weights
        points = constrain(points)
        theta, unravel = ravel_pytree(params)
        res = residuals(params, points)
        terms = {k: jnp.mean(v**2) for k, v in res.items()}
        r = jnp.concatenate([_scale(weights[k], points[k]) * v for k, v in res.items()])
        jac = jnp.concatenate(
            [_scale(weights[k], points[k]) * _rows(residuals, k, unravel, theta, points[k]) for k in res]
        )
        value = r @ r
        g = jac.T @ r
        solve, largest = _damped_solver(jac, r, g)
        floor = jnp.finfo(theta.dtype).eps * largest
        mu = jnp.where(state.damping > 0, state.damping, TAU * largest)

        def loss_at(candidate):
            new = residuals(unravel(candidate), points)
            return sum(_scale(weights[k], points[k]) ** 2 * jnp.sum(v**2) for k, v in new.items())

        def trial(carry):
            tries, mu, nu, _, _ = carry
            delta = solve(mu)
            candidate = theta + delta
            rho = (value - loss_at(candidate)) / (delta @ (mu * delta - g))
            accepted = jnp.isfinite(rho) & (rho > 0)
            mu = jnp.where(accepted, mu * jnp.maximum(1 / 3, 1 - (2 * rho - 1) ** 3), mu * nu)
            nu = jnp.where(accepted, 2.0, 2 * nu)
            return tries + 1, jnp.maximum(mu, floor), nu, accepted, jnp.where(accepted, candidate, theta)

        def again(carry):
            tries, _, _, accepted, _ = carry
            return (tries < MAX_TRIALS) & ~accepted

        start = (0, jnp.maximum(mu, floor), state.growth, jnp.array(False), theta)
        _, mu, nu, _, theta = jax.lax.while_loop(again, trial, start)
        total = sum(weights[k] * v for k, v in terms.items())
        return unravel(theta), LMState(mu.astype(state.damping.dtype), nu.astype(state.growth.dtype)), total, terms

    return LevenbergMarquardt(init, step)


def _rows(residuals, term, unravel, theta, columns):
    """The Jacobian of a term's residual: one row per point, the gradient of its residual there."""

    def at_point(theta, *point):
        return residuals(unravel(theta), {term: tuple(c[None] for c in point)})[term][0]

    return jax.vmap(jax.grad(at_point), in_axes=(None,) + (0,) * len(columns))(theta, *columns)


def _damped_solver(jac, r, g):
    """``solve(μ) -> δ`` with (JᵀJ + μI) δ = −g, in whichever form is the smaller; and max diag(JᵀJ)."""
    n, p = jac.shape
    if p <= n:
        gram = jac.T @ jac
        eye = jnp.eye(p, dtype=jac.dtype)

        def solve(mu):
            return -jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(gram + mu * eye), g)

        return solve, jnp.max(jnp.diag(gram))
    kernel = jac @ jac.T
    eye = jnp.eye(n, dtype=jac.dtype)

    def solve(mu):
        return -jac.T @ jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(kernel + mu * eye), r)

    return solve, jnp.max(jnp.sum(jac * jac, axis=0))
