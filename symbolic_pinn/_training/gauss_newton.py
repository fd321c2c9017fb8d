"""Matrix-free Gauss–Newton: Levenberg–Marquardt whose damped normal equations are solved by
conjugate gradients, with J·v and Jᵀ·w products only, so no Jacobian and no n × n matrix is stored.

The loss is one sum of squares, ‖r(θ)‖² with r = concat_t √(w_t / N_t) · res_t (as in
:mod:`.least_squares`).  With J = ∂r/∂θ and g = Jᵀr, a step δ solves, inexactly,

    (JᵀJ + μI) δ = −g

by preconditioned conjugate gradients (truncated: at most ``gn_cg_steps`` iterations, or
until the residual is below ``CG_RTOL`` · ‖g‖, an inexact Newton step in the manner of
Steihaug).  Each iteration is one J·v (``jax.linearize``: the forward pass is linearised
once per step and reused) and one Jᵀ·w (its transpose, ``jax.linear_transpose``); memory is
that of one backward pass plus a few vectors of θ's size.  From δ₀ = 0 every CG iterate
lowers the damped model, so a truncated δ is still a descent direction.

The damping is Nielsen's rule, as :mod:`.least_squares`: the gain ratio
ρ = (‖r‖² − ‖r(θ+δ)‖²) / (‖r‖² − ‖r + Jδ‖²) compares the fall of the loss with the fall the
linear model predicts (written for an inexact δ: one more J·v); accepted (ρ > 0),
μ ← μ·max(1/3, 1 − (2ρ − 1)³) and ν ← 2; rejected, μ ← μν, ν ← 2ν, and the step is solved
again (up to ``MAX_TRIALS`` times).  μ starts at ``TAU`` · λ₁, λ₁ the largest eigenvalue of
JᵀJ estimated by ``POWER_STEPS`` power iterations (λ₁ ≥ max diag(JᵀJ), the dense LM's scale), and
never falls below machine epsilon times it.

The preconditioner (``gn_rank`` = ℓ > 0) is the randomized Nyström approximation of JᵀJ
(Frangella, Tropp & Udell 2023; used for PINNs by Rathore et al., ICML 2024): with
Y = JᵀJ Ω for a Gaussian P × ℓ Ω, JᵀJ ≈ U Λ̂ Uᵀ, and

    M⁻¹ = (λ̂_ℓ + μ) U (Λ̂ + μI)⁻¹ Uᵀ + (I − U Uᵀ),

which costs ℓ products per Jacobian (batched with ``vmap``) and P × ℓ numbers.

We write our own CG (20 lines) instead of ``jax.scipy.sparse.linalg.cg``: that one returns
no iteration count and no residual (its ``info`` is None), which the step needs to report;
lineax and optimistix are not dependencies of this project.  Energy terms are not squares:
the problem is refused as :mod:`.least_squares` refuses it (the ``auto`` finisher then picks
L-BFGS instead, and says why).
"""

from __future__ import annotations

import typing
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .._errors import PinnError
from .least_squares import MAX_TRIALS, TAU, not_squares, term_residuals

__all__ = ["GNState", "GaussNewtonCG", "gauss_newton_cg", "conjugate_gradients", "nystrom_preconditioner"]

CG_RTOL = 1e-3  # CG stops once ‖(JᵀJ + μI)δ + g‖ ≤ CG_RTOL · ‖g‖
POWER_STEPS = 10  # power iterations for λ₁(JᵀJ), the scale of the first μ


class GNState(typing.NamedTuple):
    """The damping μ (0 before the first step: then it is set from λ₁(JᵀJ)), its growth factor ν,
    λ₁ at the first step (μ's floor is machine epsilon times it), the steps taken and the CG
    iterations of the last step (reported, never read back)."""

    damping: jax.Array
    growth: jax.Array
    scale: jax.Array
    count: jax.Array
    cg_iterations: jax.Array


class GaussNewtonCG(typing.NamedTuple):
    """An optimiser as a pair of pure functions, like optax's: ``init(params) -> GNState``;
    ``step(params, state, points, weights=None, terms_wanted=True) -> (params, state, loss, terms)``
    (jitted), ``loss`` and ``terms`` those of the parameters given."""

    init: Callable
    step: Callable


def conjugate_gradients(apply: Callable, b: jax.Array, rtol: float, steps: int, precondition: Callable = None):
    """``(x, iterations)`` with A x ≈ b, A = ``apply`` symmetric positive definite, from x = 0,
    stopping after ``steps`` iterations or once ‖b − Ax‖ ≤ rtol · ‖b‖.

    >>> import jax.numpy as jnp
    >>> a = jnp.array([[4.0, 1.0], [1.0, 3.0]])
    >>> x, k = conjugate_gradients(lambda v: a @ v, jnp.array([1.0, 2.0]), 1e-6, 10)
    >>> bool(jnp.allclose(a @ x, jnp.array([1.0, 2.0]), atol=1e-5)), int(k)
    (True, 2)
    """
    precondition = precondition or (lambda v: v)
    limit = (rtol * jnp.linalg.norm(b)) ** 2
    z = precondition(b)
    start = (jnp.zeros_like(b), b, z, z, b @ z, jnp.zeros((), jnp.int32))

    def going(carry):
        _, res, _, _, _, k = carry
        return (k < steps) & (res @ res > limit)

    def iterate(carry):
        x, res, _, p, rz, k = carry
        ap = apply(p)
        alpha = rz / (p @ ap)
        x, res = x + alpha * p, res - alpha * ap
        z = precondition(res)
        rz_new = res @ z
        return x, res, z, z + (rz_new / rz) * p, rz_new, k + 1

    x, _, _, _, _, k = jax.lax.while_loop(going, iterate, start)
    return x, k


def nystrom_preconditioner(gram: Callable, n: int, rank: int, key, dtype) -> tuple[Callable, jax.Array]:
    """``(apply(μ) -> (v -> M⁻¹v), λ̂₁)``: the randomized Nyström preconditioner of ``gram`` (JᵀJ)
    of rank ``rank`` (Frangella, Tropp & Udell 2023, Algorithm 2.1), and its largest eigenvalue."""
    omega, _ = jnp.linalg.qr(jax.random.normal(key, (n, rank), dtype))
    y = jax.lax.map(gram, omega.T).T  # one product at a time: vmap over the tangents ran 10× slower per product on CPU
    shift = jnp.sqrt(n) * jnp.finfo(dtype).eps * jnp.linalg.norm(y)
    y = y + shift * omega
    c = jnp.linalg.cholesky(omega.T @ y)
    b = jax.scipy.linalg.solve_triangular(c, y.T, lower=True).T
    u, s, _ = jnp.linalg.svd(b, full_matrices=False)
    lam = jnp.maximum(s**2 - shift, 0.0)

    def apply(mu):
        scale = (lam[-1] + mu) / (lam + mu)

        def inverse(v):
            coefficients = u.T @ v
            return v + u @ ((scale - 1) * coefficients)

        return inverse

    return apply, lam[0]


def gauss_newton_cg(
    compiled,
    constrain: Callable[[dict], dict] = lambda points: points,
    cg_steps: int = 10,
    rank: int = 0,
    rtol: float = CG_RTOL,
) -> GaussNewtonCG:
    """Matrix-free Levenberg–Marquardt on ``compiled``'s residuals (see the module docstring).

    >>> import symbolic_pinn, jax
    >>> p = symbolic_pinn.compile("x in [0, 1]\\nfield u(x)\\nu = x", width=4, depth=1)
    >>> params, points = p.init_params(jax.random.PRNGKey(0)), {"pde": (jax.numpy.linspace(0, 1, 9),)}
    >>> gn = gauss_newton_cg(p)
    >>> new, state, before, terms = gn.step(params, gn.init(params), points)
    >>> bool(p.loss(new, points) < before)
    True
    """
    why = not_squares(compiled)
    if why:
        raise PinnError(
            f"the Gauss–Newton finish (finisher gn) minimises a sum of squared residuals, and {why}",
            help="use finisher = auto (which picks dense BFGS or L-BFGS for this problem), bfgs or lbfgs; or train "
            "its Euler–Lagrange equations, which `symbolic-pinn derive FILE` writes as a problem of residuals",
        )
    residuals = term_residuals(compiled)
    fixed = compiled.module.WEIGHTS

    def init(params) -> GNState:
        dtype = jnp.result_type(*jax.tree.leaves(params))
        zero = jnp.zeros((), jnp.int32)
        return GNState(jnp.zeros((), dtype), jnp.full((), 2.0, dtype), jnp.zeros((), dtype), zero, zero)

    @jax.jit
    def step(params, state: GNState, points, weights=None, terms_wanted=True):
        del terms_wanted  # each term's loss comes with the residuals at no cost
        weights = fixed if weights is None else weights
        points = constrain(points)
        theta, unravel = ravel_pytree(params)
        scale = {k: jnp.sqrt(weights[k] / points[k][0].shape[0]) for k in points}

        def raw_of(theta):
            return residuals(unravel(theta), points)

        def r_of(theta):
            return {k: scale[k] * v for k, v in raw_of(theta).items()}

        # the forward pass linearised once: J v and Jᵀ w reuse it (no Jacobian is formed)
        raw, linear = jax.linearize(raw_of, theta)
        transpose = jax.linear_transpose(linear, theta)
        r = {k: scale[k] * v for k, v in raw.items()}

        def jvp(v):  # J v
            return {k: scale[k] * jv for k, jv in linear(v).items()}

        def vjp(w):  # Jᵀ w
            return transpose({k: scale[k] * wk for k, wk in w.items()})[0]

        def gram(v):
            return vjp(jvp(v))

        def squares(tree):
            return sum(jnp.sum(v**2) for v in tree.values())

        terms = {k: jnp.mean(v**2) for k, v in raw.items()}
        value = squares(r)
        g = vjp(r)
        n, dtype = theta.shape[0], theta.dtype
        key = jax.random.fold_in(jax.random.PRNGKey(0), state.count)
        if rank:
            preconditioner, largest = nystrom_preconditioner(gram, n, min(rank, n), key, dtype)
        else:
            preconditioner = None
            largest = jax.lax.cond(state.damping > 0, lambda: state.scale, lambda: _largest(gram, n, key, dtype))
        first = state.damping == 0
        largest = jnp.where(first, largest, state.scale)
        mu = jnp.where(first, TAU * largest, state.damping)
        floor = jnp.finfo(dtype).eps * largest

        def loss_at(candidate):
            return squares(r_of(candidate))

        def trial(carry):
            tries, mu, nu, _, _, _ = carry
            delta, k = conjugate_gradients(
                lambda v: gram(v) + mu * v, -g, rtol, cg_steps, preconditioner and preconditioner(mu)
            )
            predicted = value - squares({name: r[name] + jd for name, jd in jvp(delta).items()})
            rho = (value - loss_at(theta + delta)) / predicted
            accepted = jnp.isfinite(rho) & (rho > 0)
            mu = jnp.where(accepted, mu * jnp.maximum(1 / 3, 1 - (2 * rho - 1) ** 3), mu * nu)
            nu = jnp.where(accepted, 2.0, 2 * nu)
            return tries + 1, jnp.maximum(mu, floor), nu, accepted, jnp.where(accepted, theta + delta, theta), k

        def again(carry):
            tries, _, _, accepted, _, _ = carry
            return (tries < MAX_TRIALS) & ~accepted

        start = (0, jnp.maximum(mu, floor), state.growth, jnp.array(False), theta, jnp.zeros((), jnp.int32))
        _, mu, nu, _, theta, iterations = jax.lax.while_loop(again, trial, start)
        total = sum(weights[k] * v for k, v in terms.items())
        kept = (mu.astype(state.damping.dtype), nu.astype(state.growth.dtype), largest.astype(state.scale.dtype))
        new = GNState(*kept, state.count + 1, iterations)
        return unravel(theta), new, total, terms

    return GaussNewtonCG(init, step)


def _largest(gram: Callable, n: int, key, dtype) -> jax.Array:
    """λ₁(JᵀJ) from ``POWER_STEPS`` power iterations (a lower bound, close after a few)."""
    v = jax.random.normal(key, (n,), dtype)
    v = v / jnp.linalg.norm(v)

    def power(_, carry):
        v, _ = carry
        w = gram(v)
        size = jnp.linalg.norm(w)
        return w / jnp.where(size > 0, size, 1), size

    _, size = jax.lax.fori_loop(0, POWER_STEPS, power, (v, jnp.zeros((), v.dtype)))
    return size
