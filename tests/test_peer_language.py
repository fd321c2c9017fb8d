"""What users of PhysicsNeMo and PINNacle write (issue #28): detach, point-dependent weights.

References are independent of the generated code: gradients written by hand with
``jax.vjp`` of the network alone, and weighted means computed here with numpy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn as sp
from symbolic_pinn._functions import detach

LINE = "x in [0, 1]\nfield u(x)\n"


def _compile(text: str) -> sp.CompiledProblem:
    return sp.compile(sp.parse(text), width=6, depth=1, hard_constraints=False)


@pytest.fixture(scope="module")
def energies():
    """∫ detach(u)·u and ∫ u², with the same initial networks."""
    return _compile(LINE + "minimize ∫ (detach(u)*u)\n"), _compile(LINE + "minimize ∫ u^2\n")


POINTS = np.linspace(0.05, 0.95, 13)  # made jnp inside x64 tests


# ---- detach -------------------------------------------------------------------------------------


def test_detach_halves_the_gradient_of_u_squared(energies, x64):
    """∂/∂θ ∫ detach(u)·u = ∫ u·∂u/∂θ (hand-derived, by a vjp of the network), half of ∂/∂θ ∫ u²."""
    detached, plain = energies
    x = jnp.asarray(POINTS)
    params = detached.init_params(jax.random.PRNGKey(0))
    (name,) = detached.module.WEIGHTS
    points = {name: (x,)}
    grad = jax.grad(detached.module.loss)(params, points)
    full = jax.grad(plain.module.loss)(params, points)
    u, pullback = jax.vjp(lambda p: detached.module.fields(p)["u"](x), params)
    (hand,) = pullback(u / len(x))  # the measure of [0, 1] is 1
    for got, want, twice in zip(jax.tree.leaves(grad), jax.tree.leaves(hand), jax.tree.leaves(full)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(2 * got, twice, rtol=1e-12, atol=1e-14)
    assert max(float(jnp.max(jnp.abs(g))) for g in jax.tree.leaves(grad)) > 1e-3  # not trivially zero
    assert jnp.allclose(detached.module.loss(params, points), plain.module.loss(params, points))  # same value


def test_derivatives_along_coordinates_act_inside_detach(x64):
    """Dx(detach(u^2)) is the value 2·u·u_x, with no gradient to the parameters."""
    compiled = _compile(LINE + "Dx(detach(u^2)) = 1\n")
    x = jnp.asarray(POINTS)
    assert "jax.lax.stop_gradient(2 * u * u_x)" in compiled.source
    params = compiled.init_params(jax.random.PRNGKey(1))
    u = compiled.module.fields(params)["u"]
    u_x = jax.vmap(jax.grad(lambda s: u(s[None])[0]))(x)
    residual = compiled.module.residuals(params, {"pde": (x,)})["pde"]
    np.testing.assert_allclose(residual, 2 * u(x) * u_x - 1, rtol=1e-12)
    grad = jax.grad(compiled.module.loss)(params, {"pde": (x,)})
    assert all(float(jnp.max(jnp.abs(g))) == 0 for g in jax.tree.leaves(grad))


def test_detach_spellings_and_numbers():
    a, b = (sp.parse(LINE + f"Dxx(u) = {w}(u)*x\nu = 0 on ∂Ω\n").terms[0].expr for w in ("detach", "stop_gradient"))
    assert a == b
    assert (
        sp.parse(LINE + "Dxx(u) = detach(2)*x\nu = 0 on ∂Ω\n").terms[0].expr
        == sp.parse(LINE + "Dxx(u) = 2*x\nu = 0 on ∂Ω\n").terms[0].expr
    )


def test_derive_treats_a_detached_value_as_a_constant():
    """∂/∂θ ∫ (u'²/2 + detach(u)·u²) = ∫ (u'·∂u' + 2u·detach(u)·∂u): the strong form has 2u·detach(u), not 3u²."""
    text = sp.derive(sp.parse(LINE + "minimize ∫ (Dx(u)^2/2 + detach(u)*u^2)\nu = 0 on ∂Ω\n"))
    assert "2*u*detach(u) - D(u, x, x) = 0" in text
    assert sp.parse(text).terms[0].expr.has(detach)  # and it reads back
