"""Functions that every generated module contains, copied verbatim by the emitter.

They are written here as ordinary, tested Python so that the generated source is
self-contained — it needs only JAX — and the package and the generated code share
one implementation.  Nothing in this file may use a name other than ``jax``, ``jnp``
and the functions defined here.
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


def taylor_derivatives(f, i, order):
    """(f, ∂f, ∂²f, ..., ∂^order f) along argument i, by one Taylor-mode pass.

    ``jax.experimental.jet`` pushes a truncated Taylor series of the path
    x_i + s through f: one jet of order K gives every derivative up to K along the
    axis, at a cost growing like K², where K nested jvps cost like 2^K.
    """
    from jax.experimental.jet import jet

    def run(*xs):
        def along(xi):
            return f(*xs[:i], xi, *xs[i + 1 :])

        ones, zeros = jnp.ones_like(xs[i]), jnp.zeros_like(xs[i])
        value, series = jet(along, (xs[i],), ((ones,) + (zeros,) * (order - 1),))
        return (value, *series)

    return run


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

    def __init__(self, layers, centre, half_width):
        self.layers = layers
        self.centre = centre
        self.half_width = half_width

    def __call__(self, *xs):
        return mlp(self.layers, tuple((x - c) / h for x, c, h in zip(xs, self.centre, self.half_width)))

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
        value = (h @ w + b)[:, 0]
        gradient = (jacobian @ w)[:, :, 0]
        return value, tuple(gradient[:, i] for i in range(len(xs))), (lap @ w)[:, 0]


def init_mlp(key, sizes):
    """Glorot-normal weights and zero biases for layer sizes (inputs, hidden..., 1)."""
    layers = []
    keys = jax.random.split(key, len(sizes) - 1)
    for k, m, n in zip(keys, sizes[:-1], sizes[1:]):
        w = jax.random.normal(k, (m, n)) * jnp.sqrt(2.0 / (m + n))
        layers.append((w, jnp.zeros(n)))
    return layers


def mlp(layers, inputs):
    """A tanh MLP on a batch: ``inputs`` is a tuple of (N,) arrays, the result (N,)."""
    h = jnp.stack(inputs, axis=-1)
    for w, b in layers[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = layers[-1]
    return (h @ w + b)[..., 0]


def sample_region(key, region, n, domain):
    """``n`` uniform random points of a box region, as a tuple of coordinate arrays.

    ``region`` is ``("interior",)``, ``("boundary",)`` (faces chosen in proportion to
    their area) or ``("face", variable, value)``; ``domain`` maps each variable to
    its interval.
    """
    names = list(domain)
    lo = jnp.array([domain[v][0] for v in names])
    hi = jnp.array([domain[v][1] for v in names])
    key_points, key_faces, key_sides = jax.random.split(key, 3)
    points = lo + (hi - lo) * jax.random.uniform(key_points, (n, len(names)))
    if region[0] == "face":
        points = points.at[:, names.index(region[1])].set(region[2])
    elif region[0] == "boundary" and len(names) > 1:
        width = hi - lo
        area = jnp.prod(width) / width
        axis = jax.random.choice(key_faces, len(names), (n,), p=area / area.sum())
        side = jax.random.bernoulli(key_sides, 0.5, (n,))
        on_face = jnp.where(side, hi[axis], lo[axis])
        points = points.at[jnp.arange(n), axis].set(on_face)
    elif region[0] == "boundary":
        points = jnp.where(jax.random.bernoulli(key_sides, 0.5, (n, 1)), hi, lo)
    return tuple(points[:, j] for j in range(len(names)))


def load_observations(path, columns):
    """The named columns of a CSV (with a header row) or NPZ file, as a tuple of arrays."""
    import numpy as np

    if str(path).endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            return tuple(jnp.asarray(archive[c], dtype=float).ravel() for c in columns)
    table = np.genfromtxt(path, delimiter=",", names=True, autostrip=True)
    return tuple(jnp.asarray(table[c], dtype=float) for c in columns)


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
