"""Forward-mode derivatives of pointwise functions: nested ``jax.jvp``, the fused
forward Laplacian of a network, and collapsed Taylor-mode jets (the maths is in each
function's docstring)."""

import jax
import jax.numpy as jnp

from .networks import HardDirichlet, Network


def value_and_derivative(f, i):
    """(f, ∂f/∂ argument i) of a pointwise function, by one forward-mode pass.

    ``f(x0, x1, ...)`` maps coordinate arrays of shape (N,) to values of shape (N,),
    each point independently, so a jvp with a tangent of ones gives the partial
    derivative at every point of the batch at once.
    """

    def f_and_df(*xs):
        def along(xi):
            return f(*xs[:i], xi, *xs[i + 1 :])

        return jax.jvp(along, (xs[i],), (jnp.ones_like(xs[i]),))

    return f_and_df


def derivative(f, i):
    """∂f/∂ argument i, as a function of the same arguments (nest it for higher orders)."""

    def df(*xs):
        return value_and_derivative(f, i)(*xs)[1]

    return df


def value_grad_laplacian(f, weights):
    """(f, ∇f, Σᵢ wᵢ ∂²f/∂xᵢ²) of a pointwise function — collapsed Taylor mode.

    A network (a :class:`Network`) carries value, gradient and the one weighted sum
    of second derivatives through its layers together, in a single fused pass
    (the forward Laplacian); a field g + φ·N (:class:`HardDirichlet`) combines the
    three of g, φ and N by the product rule, so its network keeps that pass.  Any
    other function falls back to nested ``jax.jvp``.
    """

    def run(*xs):
        if isinstance(f, Network):
            return f.forward_laplacian(xs, weights)
        if isinstance(f, HardDirichlet):
            # u = g + φ·N by the product rule: N by its own pass (fused for a Network), g and φ by jvp
            g, dg, lg = value_grad_laplacian(f.boundary, weights)(*xs)
            p, dp, lp = value_grad_laplacian(f.distance, weights)(*xs)
            n, dn, ln = value_grad_laplacian(f.network, weights)(*xs)
            gradient = tuple(a + n * b + p * c for a, b, c in zip(dg, dp, dn))
            cross = sum(2 * w * b * c for w, b, c in zip(weights, dp, dn) if w != 0)
            return g + p * n, gradient, lg + n * lp + cross + p * ln
        gradient = tuple(derivative(f, i)(*xs) for i in range(len(xs)))
        second = [w * derivative(derivative(f, i), i)(*xs) for i, w in enumerate(weights) if w != 0]
        return f(*xs), gradient, sum(second) if second else jnp.zeros_like(xs[0])

    return run


def collapsed_jet(f, directions, weights, order):
    """(f, lower, Σⱼ λⱼ D_{vⱼ}^K f) of a pointwise function — collapsed Taylor mode.

    D_v^k f is the k-th derivative of f along the direction v (a tuple over f's
    arguments).  ``lower[j][k - 1]`` is D_{vⱼ}^k f for k = 1 .. K − 1, the lower
    coefficients of direction j; the last output is the one weighted sum of the K-th
    coefficients over all directions (``weights`` are the λⱼ).  By polarisation such a
    sum is any constant-coefficient combination of K-th derivatives: Δ²u in 2-D is
    ⅔(D_x⁴ + D_y⁴) + ⅙(D_{(1,1)}⁴ + D_{(1,−1)}⁴).  A :class:`Network` propagates all
    directions' coefficients through its layers together and sums the K-th as it goes
    (:func:`network_jet`); any other function takes one jet per direction.
    """

    def run(*xs):
        if isinstance(f, Network) and order <= 4:
            return network_jet(f, xs, directions, weights, order)
        from jax.experimental.jet import jet

        lower, top = [], jnp.zeros_like(xs[0])
        value = None
        for v, w in zip(directions, weights):
            tangents = tuple(jnp.full_like(x, vi) for x, vi in zip(xs, v))
            zeros = tuple((jnp.zeros_like(x),) * (order - 1) for x in xs)
            value, series = jet(f, xs, tuple((t, *z) for t, z in zip(tangents, zeros)))
            lower.append(tuple(series[: order - 1]))
            top = top + w * series[order - 1]
        return (f(*xs) if value is None else value), tuple(lower), top

    return run


def network_jet(net, xs, directions, weights, order):
    """(value, lower, collapsed top) of a :class:`Network` along ``directions``: see :func:`collapsed_jet`.

    Per layer, z = h W + b carries each direction's derivatives z₁ … z_{K−1} and one
    collapsed Z_K = Σⱼ λⱼ z_K⁽ʲ⁾ (linear, so W applies to the sum).  Through
    t = tanh z, with σₖ the k-th derivative of tanh at z (Faà di Bruno):
    t₁ = σ₁z₁, t₂ = σ₁z₂ + σ₂z₁², t₃ = σ₁z₃ + 3σ₂z₁z₂ + σ₃z₁³,
    t₄ = σ₁z₄ + σ₂(4z₁z₃ + 3z₂²) + 6σ₃z₁²z₂ + σ₄z₁⁴; the collapsed T_K is σ₁Z_K plus
    Σⱼ λⱼ times the other terms of direction j.  At the first layer z₁ = v W / half
    width is the same at every point and z₂ = z₃ = … = 0.
    """
    if not 1 <= order <= 4:
        raise ValueError(f"collapsed_jet propagates orders 1 to 4, not {order}")
    h = jnp.stack([(x - c) / hw for x, c, hw in zip(xs, net.centre, net.half_width)], axis=-1)
    V = jnp.asarray(directions, h.dtype) / jnp.asarray(net.half_width, h.dtype)  # (m, d)
    lam = jnp.asarray(weights, h.dtype)
    m = len(directions)

    def through_tanh(z, zs, top):
        # zs: the lower coefficients z₁ … z_{K−1}, each (N, m, width); top: (N, width)
        t = jnp.tanh(z)
        s1 = 1 - t * t
        s = [s1]
        if order > 1:
            s.append(-2 * t * s1)
        if order > 2:
            s.append(-2 * s1 * s1 - 2 * t * s[1])
        if order > 3:
            s.append(-6 * s1 * s[1] - 2 * t * s[2])
        s1, s2, s3, s4 = ([d[:, None, :] for d in s] + [None] * 3)[:4]  # broadcast over directions
        z1, z2, z3 = (list(zs) + [None] * 3)[:3]
        lower = []
        if order > 1:
            lower.append(s1 * z1)
        if order > 2:
            lower.append(s1 * z2 + s2 * z1 * z1)
        if order > 3:
            lower.append(s1 * z3 + 3 * s2 * z1 * z2 + s3 * z1 * z1 * z1)
        if order == 2:
            rest = s2 * z1 * z1
        elif order == 3:
            rest = s2 * 3 * z1 * z2 + s3 * z1 * z1 * z1
        elif order == 4:
            z11 = z1 * z1
            rest = s2 * (4 * z1 * z3 + 3 * z2 * z2) + s3 * 6 * z11 * z2 + s4 * z11 * z11
        top = s[0] * top
        if order > 1:
            top = top + jnp.einsum("j,njw->nw", lam, rest)  # Σⱼ λⱼ (rest of direction j)
        return t, lower, top

    def times(a, w):  # (N, m, width) @ W as one 2-D product
        return (a.reshape(-1, a.shape[-1]) @ w).reshape(a.shape[:-1] + w.shape[1:])

    w, b = net.layers[0]
    z = h @ w + b
    vw = V @ w  # (m, width): z₁ of each direction, the same at every point
    first = jnp.broadcast_to(vw[None], (z.shape[0], m, z.shape[1]))
    zeros = jnp.zeros_like(first)
    top = jnp.broadcast_to(lam @ vw, z.shape) if order == 1 else jnp.zeros_like(z)
    t, lower, top = through_tanh(z, [first] + [zeros] * (order - 2), top)
    for w, b in net.layers[1:-1]:
        t, lower, top = through_tanh(t @ w + b, [times(a, w) for a in lower], top @ w)
    w, b = net.layers[-1]
    w, b = w[:, net.output], b[net.output]  # this field's output only
    series = tuple(tuple(a[:, j] @ w for a in lower) for j in range(m))
    return t @ w + b, series, top @ w


def sampled_coordinates(key, index, weights, samples):
    """Directions and weights whose :func:`collapsed_jet` of order 2 estimates Σᵢ wᵢ ∂ᵢᵢ f.

    Of the n coordinates with wᵢ ≠ 0, ``samples`` are drawn uniformly without
    replacement (``index`` tells the sums of one term apart), so each is drawn with
    probability samples / n; weighting a drawn one by wᵢ · n / samples makes the
    estimate unbiased — the sparse estimator of STDE (Shi et al. 2024) — at the cost of
    ``samples`` directions instead of n.
    """
    import numpy as np

    nonzero = np.flatnonzero(np.asarray(weights))
    chosen = jax.random.choice(jax.random.fold_in(key, index), jnp.asarray(nonzero), (samples,), replace=False)
    directions = jax.nn.one_hot(chosen, len(weights))
    return directions, jnp.asarray(weights, directions.dtype)[chosen] * (len(nonzero) / samples)
