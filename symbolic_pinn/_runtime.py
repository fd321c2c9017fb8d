"""Functions that every generated module contains, copied verbatim by the emitter.

They are written here as ordinary, tested Python so that the generated source is
self-contained — it needs only JAX — and the package and the generated code share
one implementation.  Nothing in this file may use a name other than ``jax``, ``jnp``
and the functions defined here; functions that need numpy or scipy (both come with
JAX) import them inside.
"""

import jax
import jax.numpy as jnp


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
    (the forward Laplacian).  Any other function falls back to nested ``jax.jvp``.
    """

    def run(*xs):
        if isinstance(f, Network):
            return f.forward_laplacian(xs, weights)
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


def gauss_legendre(f, lo, hi, order, like):
    """∫ f(s) ds from ``lo`` to ``hi`` at every point of a batch, by Gauss–Legendre quadrature.

    ``f`` maps integration points of shape (N,) to values (N,), pointwise; ``lo`` and
    ``hi`` are numbers or (N,) arrays; ``like`` is an (N,) array of the batch.  With
    ``order`` nodes the rule is exact for polynomials of degree 2·order − 1.
    """
    import numpy as np

    nodes, weights = np.polynomial.legendre.leggauss(order)
    half, mid = (hi - lo) / 2, (hi + lo) / 2
    s = mid + half * jnp.asarray(nodes, like.dtype)[:, None] + jnp.zeros_like(like)  # (order, N)
    values = jax.vmap(f)(s)
    return half * jnp.tensordot(jnp.asarray(weights, like.dtype), values, axes=1)


class Network:
    """A field represented by a tanh MLP on coordinates scaled to [-1, 1].

    Calling it evaluates the network; :meth:`forward_laplacian` evaluates it with
    its gradient and a weighted sum of its pure second derivatives in one pass.
    """

    def __init__(self, layers, centre, half_width, output=0):
        self.layers = layers
        self.centre = centre
        self.half_width = half_width
        self.output = output  # which output of the MLP: fields may share one network

    def __call__(self, *xs):
        return mlp(self.layers, tuple((x - c) / h for x, c, h in zip(xs, self.centre, self.half_width)), self.output)

    def forward_laplacian(self, xs, weights):
        """(value, gradient tuple, Σᵢ wᵢ ∂ᵢᵢ value) at a batch of points.

        Per layer, with z = h W + b and t = tanh(z), s = 1 - t²:
        ∇z = ∇h W,  Lz = Lh W,  ∇t = s ∇z,  Lt = s Lz − 2 t s Σᵢ wᵢ (∂ᵢz)².
        """
        h = jnp.stack([(x - c) / hw for x, c, hw in zip(xs, self.centre, self.half_width)], axis=-1)
        w2 = jnp.asarray(weights, h.dtype)[None, :, None]
        # first layer: the input's Jacobian is the constant diag(1/half_width), its Laplacian 0
        w, b = self.layers[0]
        t = jnp.tanh(h @ w + b)
        s = 1 - t * t
        jz = (w / jnp.asarray(self.half_width, h.dtype)[:, None])[None]  # (1, d, width), same at every point
        jacobian = s[:, None, :] * jz
        lap = -2 * t * s * jnp.sum(w2 * jz * jz, axis=1)
        h = t
        for w, b in self.layers[1:-1]:
            z = h @ w + b
            jz = jacobian @ w
            lz = lap @ w
            t = jnp.tanh(z)
            s = 1 - t * t
            h = t
            jacobian = s[:, None, :] * jz
            lap = s * lz - 2 * t * s * jnp.sum(w2 * jz * jz, axis=1)
        w, b = self.layers[-1]
        w, b = w[:, self.output : self.output + 1], b[self.output : self.output + 1]  # this field's output only
        value = (h @ w + b)[:, 0]
        gradient = (jacobian @ w)[:, :, 0]
        return value, tuple(gradient[:, i] for i in range(len(xs))), (lap @ w)[:, 0]


class HardDirichlet:
    """A field u = g + φ·N: equal to g wherever φ = 0 (the boundary), whatever the network N.

    ``boundary`` (g) and ``distance`` (φ) are functions of the coordinates.  Derivatives
    of u go through the generic forward-mode paths (it is not a plain network).
    """

    def __init__(self, network, boundary, distance):
        self.network = network
        self.boundary = boundary
        self.distance = distance

    def __call__(self, *xs):
        return self.boundary(*xs) + self.distance(*xs) * self.network(*xs)


def init_mlp(key, sizes):
    """Glorot-normal weights and zero biases for layer sizes (inputs, hidden..., outputs)."""
    layers = []
    keys = jax.random.split(key, len(sizes) - 1)
    for k, m, n in zip(keys, sizes[:-1], sizes[1:]):
        w = jax.random.normal(k, (m, n)) * jnp.sqrt(2.0 / (m + n))
        layers.append((w, jnp.zeros(n)))
    return layers


def mlp(layers, inputs, output=0):
    """A tanh MLP on a batch: ``inputs`` is a tuple of (N,) arrays, the result (N,), its ``output``-th output."""
    h = jnp.stack(inputs, axis=-1)
    for w, b in layers[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = layers[-1]
    return h @ w[:, output] + b[output]


class FourierNetwork:
    """A field represented by random Fourier features, then a tanh MLP, on coordinates scaled to [-1, 1].

    The scaled point x (a row of d numbers) becomes [sin(2π x B), cos(2π x B)], B of
    shape (d, width/2) drawn once at initialisation (:func:`init_fourier`) and kept
    fixed: its gradient is stopped, so no optimiser moves it.  Not a :class:`Network`,
    so its derivatives take the generic paths (nested jax.jvp, jet).
    """

    def __init__(self, params, centre, half_width, output=0):
        self.features = jax.lax.stop_gradient(params["B"])
        self.layers = params["layers"]
        self.centre = centre
        self.half_width = half_width
        self.output = output  # which output of the MLP: fields may share one network

    def __call__(self, *xs):
        x = jnp.stack([(x - c) / h for x, c, h in zip(xs, self.centre, self.half_width)], axis=-1)
        angle = 2 * jnp.pi * (x @ self.features)
        h = jnp.concatenate([jnp.sin(angle), jnp.cos(angle)], axis=-1)
        for w, b in self.layers[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = self.layers[-1]
        return h @ w[:, self.output] + b[self.output]


def init_fourier(key, sizes, scale):
    """B ~ N(0, scale²) of shape (inputs, width/2), and a Glorot tanh MLP on its 2·(width/2) features."""
    kb, km = jax.random.split(key)
    half = sizes[1] // 2
    return {"B": scale * jax.random.normal(kb, (sizes[0], half)), "layers": init_mlp(km, (2 * half,) + tuple(sizes[1:]))}


class ModifiedNetwork:
    """A field represented by the modified MLP of Wang, Teng & Perdikaris (2021), on coordinates scaled to [-1, 1].

    Two encoders U = tanh(x W_u + b_u), V = tanh(x W_v + b_v) of the scaled point x;
    from H = x, each hidden layer takes Z = tanh(H W + b) and H ← (1 − Z) ⊙ U + Z ⊙ V;
    the output is linear in the last H.  Not a :class:`Network`, so its derivatives
    take the generic paths (nested jax.jvp, jet).
    """

    def __init__(self, params, centre, half_width, output=0):
        self.encoders = (params["U"], params["V"])
        self.layers = params["layers"]
        self.centre = centre
        self.half_width = half_width
        self.output = output  # which output of the network: fields may share one network

    def __call__(self, *xs):
        x = jnp.stack([(x - c) / h for x, c, h in zip(xs, self.centre, self.half_width)], axis=-1)
        (wu, bu), (wv, bv) = self.encoders
        u, v = jnp.tanh(x @ wu + bu), jnp.tanh(x @ wv + bv)
        h = x
        for w, b in self.layers[:-1]:
            z = jnp.tanh(h @ w + b)
            h = (1 - z) * u + z * v
        w, b = self.layers[-1]
        return h @ w[:, self.output] + b[self.output]


def init_modified(key, sizes):
    """The encoders U, V (inputs → width) and the layers of a Glorot tanh MLP of these sizes."""
    ku, kv, km = jax.random.split(key, 3)
    return {"U": init_mlp(ku, sizes[:2])[0], "V": init_mlp(kv, sizes[:2])[0], "layers": init_mlp(km, sizes)}


def shape_distance(shape, p):
    """Signed distance of points ``p`` (n, d) to a shape: negative inside, 0 on the boundary.

    ``shape`` is a tuple: ``("box", lo, hi)``, ``("ball", centre, radius)``, or
    ``("union" | "difference" | "intersection", a, b)`` of two shapes.  Unions,
    differences and intersections take the min/max of their parts' distances
    (exact on the boundary, a bound elsewhere), as in constructive solid geometry.
    """
    import numpy as np

    kind = shape[0]
    if kind == "box":
        lo, hi = np.asarray(shape[1], float), np.asarray(shape[2], float)
        q = np.abs(p - (lo + hi) / 2) - (hi - lo) / 2
        return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)
    if kind == "ball":
        return np.linalg.norm(p - np.asarray(shape[1], float), axis=1) - shape[2]
    a, b = shape_distance(shape[1], p), shape_distance(shape[2], p)
    if kind == "union":
        return np.minimum(a, b)
    if kind == "intersection":
        return np.maximum(a, b)
    return np.maximum(a, -b)  # difference


def shape_bounds(shape):
    """The bounding box (lo, hi) of a shape, as numpy arrays."""
    import numpy as np

    kind = shape[0]
    if kind == "box":
        return np.asarray(shape[1], float), np.asarray(shape[2], float)
    if kind == "ball":
        centre = np.asarray(shape[1], float)
        return centre - shape[2], centre + shape[2]
    (alo, ahi), (blo, bhi) = shape_bounds(shape[1]), shape_bounds(shape[2])
    if kind == "union":
        return np.minimum(alo, blo), np.maximum(ahi, bhi)
    if kind == "intersection":
        return np.maximum(alo, blo), np.minimum(ahi, bhi)
    return alo, ahi  # difference: within the first part


def _primitives(shape, sign=1.0):
    """The boxes and balls of a shape, each with +1, or −1 where its inside is cut away."""
    if shape[0] in ("box", "ball"):
        return [(shape, sign)]
    second = -sign if shape[0] == "difference" else sign
    return _primitives(shape[1], sign) + _primitives(shape[2], second)


def _primitive_boundary(shape, n, unit, rng):
    """``n`` points on the boundary of a box or ball, spread by area, and outward normals."""
    import math

    import numpy as np

    if shape[0] == "ball":
        centre, radius = np.asarray(shape[1], float), shape[2]
        d = len(centre)
        if d == 2:
            angle = 2 * math.pi * unit(n, 1)[:, 0]
            normals = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        else:
            normals = rng.standard_normal((n, d))
            normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        return centre + radius * normals, normals
    lo, hi = np.asarray(shape[1], float), np.asarray(shape[2], float)
    d = len(lo)
    areas = np.array([np.prod(np.delete(hi - lo, i)) for i in range(d)])
    face = rng.choice(2 * d, size=n, p=np.repeat(areas, 2) / (2 * areas.sum()))
    points = lo + (hi - lo) * unit(n, d)
    normals = np.zeros((n, d))
    axis, upper = face // 2, face % 2 == 1
    points[np.arange(n), axis] = np.where(upper, hi[axis], lo[axis])
    normals[np.arange(n), axis] = np.where(upper, 1.0, -1.0)
    return points, normals


def shape_measure(shape, boundary=False):
    """The volume of a shape, or with ``boundary=True`` the area of its boundary.

    Exact for a box or a ball; for a combination, estimated from 2^16 quasi-random
    points (a fixed seed, so the same shape always gives the same number).
    """
    import math

    import numpy as np
    from scipy.stats import qmc

    kind = shape[0]
    if kind in ("box", "ball"):
        lo, hi = shape_bounds(shape)
        d = len(lo)
        if kind == "box":
            width = hi - lo
            return float(2 * sum(np.prod(np.delete(width, i)) for i in range(d)) if boundary else np.prod(width))
        volume = math.pi ** (d / 2) / math.gamma(d / 2 + 1) * shape[2] ** d
        return d * volume / shape[2] if boundary else volume
    rng = np.random.default_rng(0)
    lo, hi = shape_bounds(shape)
    if not boundary:
        points = lo + (hi - lo) * qmc.Sobol(len(lo), scramble=True, seed=rng).random_base2(16)
        return float(np.prod(hi - lo) * np.mean(shape_distance(shape, points) <= 0))
    total = 0.0
    parts = _primitives(shape)
    for index, (part, sign) in enumerate(parts):
        points, normals = _primitive_boundary(part, 2**14, lambda m, k: rng.random((m, k)), rng)
        kept = _on_boundary(shape, parts, index, points, sign * normals)
        total += shape_measure(part, boundary=True) * np.mean(kept)
    return total


def _on_boundary(shape, parts, index, points, normals):
    """Which points of part ``index``'s boundary (with the whole shape's outward
    ``normals``) are on the whole shape's boundary, each piece of it counted once.

    A point is on it when it is on the shape's boundary, just inside along the normal
    is in the shape and just outside is not (edges that a cut-away part shares with
    the rest are not); where two parts share a piece of boundary, it belongs to the first.
    """
    import numpy as np

    lo, hi = shape_bounds(shape)
    scale = float(np.max(hi - lo))
    step = 1e-6 * scale
    kept = np.abs(shape_distance(shape, points)) <= 1e-9 * scale
    kept &= (shape_distance(shape, points - step * normals) < 0) & (shape_distance(shape, points + step * normals) > 0)
    for earlier, _ in parts[:index]:
        kept &= np.abs(shape_distance(earlier, points)) > 1e-9 * scale
    return kept


def shape_interior(shape, n, unit):
    """``n`` points inside a shape: quasi-random points of its bounding box that fall inside."""
    import numpy as np

    lo, hi = shape_bounds(shape)
    found, count = [], 0
    while count < n:
        candidates = lo + (hi - lo) * unit(max(2 * n, 64), len(lo))
        inside = candidates[shape_distance(shape, candidates) < 0]
        found.append(inside)
        count += len(inside)
    return np.concatenate(found)[:n]


def shape_boundary(shape, n, unit, rng):
    """``n`` points on a shape's boundary, spread by area, and their outward unit normals.

    Each box and ball contributes points of its own boundary in proportion to its
    area; those on the boundary of the whole shape are kept (see :func:`_on_boundary`),
    and where a part is cut away (the second operand of a difference) its normal is
    turned around.
    """
    import numpy as np

    parts = _primitives(shape)
    areas = np.array([shape_measure(part, boundary=True) for part, _ in parts])
    points, normals, count = [], [], 0
    while count < n:
        for index, ((part, sign), area) in enumerate(zip(parts, areas)):
            m = max(1, int(np.ceil(2 * n * area / areas.sum())))
            p, normal = _primitive_boundary(part, m, unit, rng)
            kept = _on_boundary(shape, parts, index, p, sign * normal)
            points.append(p[kept])
            normals.append(sign * normal[kept])
            count += int(kept.sum())
    order = rng.permutation(count)[:n]
    return np.concatenate(points)[order], np.concatenate(normals)[order]


def unit_cube(m, k, rng, sampler="sobol"):
    """``m`` points of the unit cube [0, 1]^k, drawn with the generator ``rng``.

    ``sampler`` is "sobol" or "halton" (scrambled quasi-random points, which cover the
    cube more evenly than random ones) or "uniform" (independent uniform random points).
    """
    import numpy as np
    from scipy.stats import qmc

    if k == 0:
        return np.zeros((m, 0))
    if sampler == "uniform":
        return rng.random((m, k))
    if sampler == "halton":
        return qmc.Halton(k, scramble=True, seed=rng).random(m)
    if sampler == "sobol":  # a power of two keeps Sobol points balanced; the first m of them
        return qmc.Sobol(k, scramble=True, seed=rng).random_base2(max(0, int(np.ceil(np.log2(max(m, 1))))))[:m]
    raise ValueError(f"unknown sampler {sampler!r}: choose sobol, halton or uniform")


def sample_region(seed, region, n, domain, shape=None, normals=False, sampler="sobol"):
    """``n`` points of a region of the domain, as a tuple of coordinate arrays.

    ``domain`` maps each variable to its interval; ``shape``, if not None, is
    ``(variables, tree)``: those variables range together over the shape ``tree``
    (see :func:`shape_distance`), the others over their intervals.  ``region`` is
    ``("interior",)``, ``("boundary",)`` or ``("face", variable, value)``.  The
    boundary of a time-dependent problem is the spatial boundary at every time: a
    variable ``t`` has no faces there (initial conditions are faces of their own),
    and boundary points are spread over the parts of the boundary by area.  With
    ``normals=True`` the outward unit normal follows, one array per spatial variable.

    Points are scrambled Sobol points unless ``sampler`` says "halton" or "uniform"
    (see :func:`unit_cube`); the same seed gives the same points.
    """
    import numpy as np

    rng = np.random.default_rng(seed)

    def unit(m, k):  # m points of the unit cube [0, 1]^k
        return unit_cube(m, k, rng, sampler)

    names = list(domain)
    spatial = [v for v in names if v != "t"]
    lo = np.array([domain[v][0] for v in names], float)
    hi = np.array([domain[v][1] for v in names], float)
    shaped = [names.index(v) for v in shape[0]] if shape else []
    boxed = [i for i in range(len(names)) if i not in shaped]

    def fill(points, columns, count):
        points[:, columns] = lo[columns] + (hi - lo)[columns] * unit(count, len(columns))

    def inside(count, axis=None, value=None):
        """Points of the domain, or of its plane ``names[axis] = value``."""
        points = np.empty((count, len(names)))
        fill(points, [i for i in boxed if i != axis], count)
        if shape:
            points[:, shaped] = shape_interior(shape[1], count, unit)
        if axis is not None:
            points[:, axis] = value
        return points

    def along(count, axis, sign):
        """The outward normal ±e of an end face of the spatial variable ``names[axis]``."""
        normal = np.zeros((count, len(spatial)))
        normal[:, spatial.index(names[axis])] = sign
        return normal

    normal = None  # no normal inside the domain, nor on a face that is not an end
    if region[0] == "interior":
        points = inside(n)
    elif region[0] == "face":
        axis = names.index(region[1])
        points = inside(n, axis, region[2])
        if names[axis] in spatial and region[2] in (lo[axis], hi[axis]):
            normal = along(n, axis, 1.0 if region[2] == hi[axis] else -1.0)
    else:  # the boundary: the shape's, then each face of a spatial interval
        pieces = []  # (area, sampler of count points → (points, normals))
        rest = [i for i in boxed if names[i] in spatial]
        widths = hi - lo

        def curved(count):
            points = np.empty((count, len(names)))
            fill(points, boxed, count)
            on, outward = shape_boundary(shape[1], count, unit, rng)
            points[:, shaped] = on
            normal = np.zeros((count, len(spatial)))
            normal[:, [spatial.index(names[i]) for i in shaped]] = outward
            return points, normal

        def flat(axis, value, sign):
            return lambda count: (inside(count, axis, value), along(count, axis, sign))

        base = shape_measure(shape[1]) if shape else 1.0
        if shape:
            pieces.append((shape_measure(shape[1], boundary=True) * np.prod(widths[rest]), curved))
        for axis in rest:
            area = base * np.prod(widths[[i for i in rest if i != axis]])
            pieces += [(area, flat(axis, lo[axis], -1.0)), (area, flat(axis, hi[axis], 1.0))]
        areas = np.array([a for a, _ in pieces])
        counts = np.maximum(1, np.round(n * areas / areas.sum())).astype(int)
        if len(spatial) == 1 and not shape and len(names) == 1:
            counts[:] = 1  # the two ends of an interval
        parts = [sampler(int(c)) for (_, sampler), c in zip(pieces, counts)]
        points = np.concatenate([p for p, _ in parts])
        normal = np.concatenate([q for _, q in parts])
    columns = [points[:, j] for j in range(len(names))]
    if normals:
        normal = np.zeros((len(points), len(spatial))) if normal is None else normal
        columns += [normal[:, j] for j in range(len(spatial))]
    return tuple(columns)


def load_observations(path, columns):
    """The named columns of a CSV (with a header row) or NPZ file, as a tuple of arrays."""
    import numpy as np

    if str(path).endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            return tuple(jnp.asarray(archive[c], dtype=float).ravel() for c in columns)
    table = np.genfromtxt(path, delimiter=",", names=True, autostrip=True)
    return tuple(jnp.asarray(table[c], dtype=float) for c in columns)


def load_params(path):
    """The parameters a training run saved (its ``params.npz``), laid out as ``init_params`` makes them.

    Each array is stored under its path in the parameter tree, as ``jax.tree_util.keystr``
    writes it (``['u'][0][0]``: field u, first layer, weights).
    """
    import numpy as np

    template = jax.eval_shape(init_params, jax.random.PRNGKey(0))  # noqa: F821 - the generated module's own
    paths, treedef = jax.tree_util.tree_flatten_with_path(template)
    leaves = []
    with np.load(path, allow_pickle=False) as saved:
        for key, like in paths:
            name = jax.tree_util.keystr(key)
            if name not in saved.files or saved[name].shape != like.shape:
                raise ValueError(f"{path} has no array {name} of shape {like.shape}: saved for another problem?")
            leaves.append(jnp.asarray(saved[name]))
    return jax.tree_util.tree_unflatten(treedef, leaves)


def adam(loss, params, points, steps, learning_rate=1e-3):
    """Plain Adam on ``loss(params, points)``; prints the loss now and then."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = jax.tree.map(jnp.zeros_like, params)
    v = jax.tree.map(jnp.zeros_like, params)

    @jax.jit
    def step(params, m, v, t):
        value, grads = jax.value_and_grad(loss)(params, points)
        m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        lr = learning_rate * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        params = jax.tree.map(lambda p, m, v: p - lr * m / (jnp.sqrt(v) + eps), params, m, v)
        return params, m, v, value

    for t in range(1, steps + 1):
        params, m, v, value = step(params, m, v, t)
        if t == 1 or t % max(1, steps // 10) == 0:
            print(f"step {t:6d}  loss {float(value):.3e}")
    return params
