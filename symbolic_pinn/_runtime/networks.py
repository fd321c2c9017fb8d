"""The networks a field can be: the tanh MLP (with its own fused passes), random Fourier
features, the modified MLP, a field with conditions built in (u = g + φ·N), and a
network with periodic coordinates embedded."""

import jax
import jax.numpy as jnp


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
    """A field u = g + φ·N: equal to g wherever φ = 0, whatever the network N.

    ``boundary`` (g) and ``distance`` (φ) are functions of the coordinates: φ vanishes on
    the boundary (a Dirichlet condition), at t = t₀ (an initial condition; φ = τ² also
    fixes ∂ₜu there), or on both.  Derivatives of u go through the generic forward-mode
    paths (it is not a plain network).
    """

    def __init__(self, network, boundary, distance):
        self.network = network
        self.boundary = boundary
        self.distance = distance

    def __call__(self, *xs):
        return self.boundary(*xs) + self.distance(*xs) * self.network(*xs)


class PeriodicInputs:
    """A network N that sees cos θ and sin θ, θ = 2π(x − a)/(b − a), in place of each periodic coordinate x.

    u = N(…, cos θ, sin θ, …) and every derivative of it along x take equal values at
    x = a and x = b, whatever N's weights: periodic pairs hold exactly.  ``periodic``
    holds (argument index, a, b) of each embedded coordinate; N takes one input more
    per such coordinate.  Derivatives go through the generic forward-mode paths.
    """

    def __init__(self, network, periodic):
        self.network = network
        self.periodic = {i: (a, b) for i, a, b in periodic}

    def __call__(self, *xs):
        inputs = []
        for i, x in enumerate(xs):
            if i in self.periodic:
                a, b = self.periodic[i]
                theta = (2 * jnp.pi / (b - a)) * (x - a)
                inputs += [jnp.cos(theta), jnp.sin(theta)]
            else:
                inputs.append(x)
        return self.network(*inputs)


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
    return {
        "B": scale * jax.random.normal(kb, (sizes[0], half)),
        "layers": init_mlp(km, (2 * half,) + tuple(sizes[1:])),
    }


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
