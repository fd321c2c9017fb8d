"""One network with an output per field (``compile(..., shared_network=True)``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn as sp
from symbolic_pinn._runtime import derivative

SYSTEM = """x in [0, 1]; y in [0, 1]
field u(x, y), v(x, y)
-Δu = v
-Δv = 1
u = 0 on ∂Ω
v = 0 on ∂Ω
"""


def test_one_network_with_an_output_per_field():
    compiled = sp.compile(SYSTEM, shared_network=True, width=8, depth=2, hard_constraints=False)  # the bare network
    assert compiled.module.LAYERS == {"_shared": (2, 8, 8, 2)}
    params = compiled.init_params(jax.random.PRNGKey(0))
    assert set(params) == {"_shared", "unknowns"}
    net = compiled.module.fields(params)
    x, y = jnp.linspace(0.1, 0.9, 7), jnp.linspace(0.8, 0.2, 7)
    h = jnp.stack([(x - 0.5) / 0.5, (y - 0.5) / 0.5], axis=-1)  # the MLP by hand: tanh layers, linear output
    for w, b in params["_shared"][:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params["_shared"][-1]
    np.testing.assert_allclose(net["u"](x, y), h @ w[:, 0] + b[0], rtol=1e-6)
    np.testing.assert_allclose(net["v"](x, y), h @ w[:, 1] + b[1], rtol=1e-6)
    assert not np.allclose(net["u"](x, y), net["v"](x, y))


@pytest.mark.parametrize("field", ["u", "v"])
def test_forward_laplacian_of_each_output(x64, field):
    compiled = sp.compile(SYSTEM, shared_network=True, width=8, depth=2, hard_constraints=False)  # the bare network
    net = compiled.module.fields(compiled.init_params(jax.random.PRNGKey(1)))[field]
    x, y = jnp.linspace(0.1, 0.9, 5), jnp.linspace(0.3, 0.7, 5)
    value, gradient, laplacian = net.forward_laplacian((x, y), (1.0, 1.0))
    reference = derivative(derivative(net, 0), 0)(x, y) + derivative(derivative(net, 1), 1)(x, y)
    np.testing.assert_allclose(laplacian, reference, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gradient[0], derivative(net, 0)(x, y), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(value, net(x, y), rtol=1e-12)


def test_fields_of_different_variables_cannot_share():
    with pytest.raises(sp.PinnError, match="same variables"):
        sp.compile("x in [0, 1]; t in [0, 1]\nfield u(x, t), v(x)\nDt(u) = v\nv = 1", shared_network=True)


def test_a_shared_network_trains():
    compiled = sp.compile(SYSTEM, shared_network=True, width=16, depth=2)
    result = compiled.train(adam_steps=150, bfgs_steps=0, interior_points=128, boundary_points=64, progress=False)
    first, last = result.history[0]["loss"], result.metrics["loss"]
    assert np.isfinite(last) and last < first / 5, (first, last)


def test_cli_flag(tmp_path):
    from symbolic_pinn._product import cli as _cli

    problem = tmp_path / "system.pinn"
    problem.write_text(SYSTEM)
    assert _cli.main(["compile", "--shared-network", "--emit", "jax", str(problem)]) == 0
