"""Collapsed Taylor mode: the fused forward Laplacian against independent references.

The reference for a network is ``jax.hessian`` point by point (reverse-over-forward,
computed a completely different way); for the planner's rewrite, the same residual
evaluated through the fused pass and through plain nested jvp must agree.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._runtime import Network, init_mlp, value_grad_laplacian


def _network(d, seed=0):
    layers = init_mlp(jax.random.PRNGKey(seed), (d, 24, 24, 1))
    rng = np.random.default_rng(seed)
    centre = tuple(rng.uniform(-1, 1, d))
    half = tuple(rng.uniform(0.5, 2, d))
    return Network(layers, centre, half)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_forward_laplacian_matches_jax_hessian(x64, d):
    seed = d  # a different network and weights in each dimension
    net = _network(d, seed)
    rng = np.random.default_rng(10 + seed)
    points = jnp.asarray(rng.uniform(-1, 1, (9, d)))
    weights = tuple(rng.choice([-2.0, -0.5, 0.0, 1.0, 3.0], d))
    # jitted: op by op, each of the many small operations of a Hessian is compiled on its own
    value, gradient, second = jax.jit(lambda p: value_grad_laplacian(net, weights)(*p.T))(points)

    def at_point(p):
        return net(*[p[i : i + 1] for i in range(d)])[0]

    hessians, grads, values = jax.jit(
        lambda p: (jax.vmap(jax.hessian(at_point))(p), jax.vmap(jax.grad(at_point))(p), jax.vmap(at_point)(p))
    )(points)
    expected = jnp.einsum("nii,i->n", hessians, jnp.asarray(weights))
    np.testing.assert_allclose(second, expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(jnp.stack(gradient, -1), grads, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(value, values, rtol=1e-12)


PROBLEMS = [
    "x in [0, 1]; y in [0, 2]\nfield u(x, y)\n-Δu = sin(x)*y",
    "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) + u*Dx(u) = 0.01/pi*Dxx(u)",
    "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(Dt(u)) - 4*Dxx(u) = 0",
    "x in [0, 1]; y in [0, 1]; z in [0, 1]\nfield u(x, y, z)\nΔu - 2*Dzz(u) + Dx(u)*Dy(u) = x",
    "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nDxx(u)^2 + Dxy(u)*u = 1",
    "x in [0, 1]; y in [0, 1]\nfield u(x, y), v(x, y)\nΔu + v = 0\nΔv - Dyy(u) = u*v",
]


@pytest.mark.parametrize("text", PROBLEMS)
def test_fused_and_nested_paths_give_the_same_residual(x64, text):
    compiled = symbolic_pinn.compile(text)
    params = compiled.init_params(jax.random.PRNGKey(3))
    networks = compiled.module.fields(params)
    rng = np.random.default_rng(4)
    coords = tuple(jnp.asarray(rng.uniform(0, 1, 11)) for _ in compiled.ir.variables)
    for term in compiled.ir.terms:
        residual = getattr(compiled.module, f"residual_{term.name}")
        fields = [f.field for f in compiled.schedule.term(term.name).fields]
        fused = residual(*[networks[f] for f in fields], *coords)
        # a plain function is not a Network: value_grad_laplacian falls back to nested jvp
        plain = residual(*[(lambda net: lambda *xs: net(*xs))(networks[f]) for f in fields], *coords)
        np.testing.assert_allclose(fused, plain, rtol=1e-9, atol=1e-9)


def test_planner_collapses_linear_second_order_terms_only():
    laplace = symbolic_pinn.compile("x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1").format_plan()
    assert "lap_u = u_xx + u_yy  — collapsed Taylor mode" in laplace
    nonlinear = symbolic_pinn.compile("x in [0, 1]; y in [0, 1]\nfield u(x, y)\nDxx(u)*Dyy(u) = 1").format_plan()
    assert "collapsed" not in nonlinear
    assert "u_xx, u_yy  — nested forward mode" in nonlinear
