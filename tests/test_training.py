"""Training end to end: the seed's energy falls, Poisson converges, NaN stops cleanly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._runtime import derivative


def _mean_abs_dx(compiled, params):
    axes = np.meshgrid(np.linspace(-1, 1, 101), np.linspace(-1, 1, 101), indexing="ij")
    x, y = (jnp.asarray(a.ravel(), jnp.float32) for a in axes)
    u = compiled.module.fields(params)["u"]
    return float(jnp.mean(jnp.abs(derivative(u, 0)(x, y))))


@pytest.mark.slow  # minutes of the suite's budget; `pytest -m slow` runs it
def test_seed_mean_dx_falls_100_times(examples_dir):
    # Adam alone on the 3×64 network this test was written for (the default was 3×64 then)
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(examples_dir / "seed.pinn"), width=64)
    initial = _mean_abs_dx(compiled, compiled.init_params(jax.random.PRNGKey(0)))
    result = compiled.train(adam_steps=1000, bfgs_steps=0, progress=False)
    final = _mean_abs_dx(compiled, result.params)
    assert initial / final >= 100, (initial, final)
    assert result.metrics["stopped"] is None


@pytest.mark.slow  # minutes of the suite's budget; `pytest -m slow` runs it
def test_poisson_1d_converges_to_closed_form():
    text = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
    compiled = symbolic_pinn.compile(text, width=32, depth=2)
    result = compiled.train(adam_steps=500, bfgs_steps=300, interior_points=256, progress=False)
    assert result.metrics["rel_l2"]["u"] <= 1e-3
    assert set(result.metrics["losses"]) == {"pde"}  # u = 0 on ∂Ω is built into the network
    assert result.history[0]["loss"] > 100 * result.metrics["loss"]


def test_nan_loss_stops_and_keeps_finite_parameters():
    compiled = symbolic_pinn.compile("x in [0, 1]\nfield u(x)\nsqrt(u - 1000) = 0")
    result = compiled.train(adam_steps=50, bfgs_steps=0, progress=False)
    assert "nan" in result.metrics["stopped"]
    leaves = jax.tree.leaves(result.params)
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in leaves)


def test_unknowns_are_trained_and_reported():
    # u'' = -k with u = 0 at both ends and u(1/2) pinned by a face condition on a 2-D strip
    text = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nunknown k = 0.5\nDxx(u) + 2 = 0\nu = 0 on ∂Ω\nk*Dx(u) = 1 at x = 0"
    compiled = symbolic_pinn.compile(text)
    result = compiled.train(adam_steps=20, bfgs_steps=0, progress=False)
    assert set(result.metrics["unknowns"]) == {"k"}
    assert result.metrics["unknowns"]["k"] != 0.5
