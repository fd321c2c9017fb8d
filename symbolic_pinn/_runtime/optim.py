"""Plain Adam, so that a generated module trains with JAX alone (``python loss.py``)."""

import jax
import jax.numpy as jnp


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
