"""What users of PhysicsNeMo and PINNacle write (issue #28): detach, point-dependent weights.

References are independent of the generated code: gradients written by hand with
``jax.vjp`` of the network alone, and weighted means computed here with numpy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

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


# ---- point-dependent weights --------------------------------------------------------------------

WEIGHTED = """\
x in [-1, 1]; y in [0, 1]
field u(x, y)
-Δu = 1 weight x^2 + y^2
u = 0 at y = 1 weight 2*(1 - abs(x))
u = 0 at y = 0
u = 0 at x = -1
u = 0 at x = 1
"""


@pytest.fixture(scope="module")
def weighted():
    return _compile(WEIGHTED)


def test_a_point_weight_multiplies_each_squared_residual(weighted, x64):
    """losses are mean(w·r²), with r from jax.hessian of the network and w computed here."""
    module = weighted.module
    assert 'jnp.mean(weight_pde(*points["pde"][:2]) * r["pde"] ** 2)' in weighted.source
    assert "def weight_bc1(x, y):\n" in weighted.source and "return 2 - 2 * jnp.abs(x)" in weighted.source
    params = weighted.init_params(jax.random.PRNGKey(2))
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 1, 17), rng.uniform(0, 1, 17)
    points = {t.name: (jnp.asarray(x), jnp.asarray(y)) for t in weighted.ir.terms}
    points["bc1"] = (jnp.asarray(x), jnp.ones(17))
    losses = module.losses(params, points)
    u = module.fields(params)["u"]
    hessian = jax.vmap(jax.hessian(lambda p: u(p[0:1], p[1:2])[0]))(jnp.stack([x, y], axis=1))
    residual = -(hessian[:, 0, 0] + hessian[:, 1, 1]) - 1
    np.testing.assert_allclose(losses["pde"], np.mean((x**2 + y**2) * np.asarray(residual) ** 2), rtol=1e-10)
    boundary = np.asarray(u(jnp.asarray(x), jnp.ones(17)))
    np.testing.assert_allclose(losses["bc1"], np.mean(2 * (1 - np.abs(x)) * boundary**2), rtol=1e-10)
    assert not np.isclose(losses["pde"], np.mean(np.asarray(residual) ** 2))  # the weight mattered


def test_levenberg_marquardt_sees_the_weighted_squares(weighted, x64):
    from symbolic_pinn._training.least_squares import residual_vector

    params = weighted.init_params(jax.random.PRNGKey(4))
    rng = np.random.default_rng(5)
    points = {
        t.name: (jnp.asarray(rng.uniform(-1, 1, 9)), jnp.asarray(rng.uniform(0, 1, 9))) for t in weighted.ir.terms
    }
    r = residual_vector(weighted)(params, points)
    np.testing.assert_allclose(r @ r, weighted.module.loss(params, points), rtol=1e-10)


def test_point_weights_are_shown_and_read_back(weighted):
    assert "weight 1 × (x^2 + y^2)" in weighted.format_ir()
    from symbolic_pinn._frontend.unparse import unparse

    again = sp.parse(unparse(sp.parse(WEIGHTED)))
    assert [t.point_weight for t in again.terms] == [t.point_weight for t in sp.parse(WEIGHTED).terms]


def test_an_energy_weight_joins_the_integrand():
    """`minimize ∫ (u'²/2 − u) weight 1 + x` is ∫ (1 + x)(u'²/2 − u): its strong form is −((1+x)u')' = 1 + x."""
    spec = sp.parse(LINE + "minimize ∫ (Dx(u)^2/2 - u) weight 1 + x\nu = 0 on ∂Ω\n")
    (x,) = [s for s, _, _ in spec.variables]
    (u,) = spec.fields
    assert (spec.terms[0].expr - (1 + x) * (u.diff(x) ** 2 / 2 - u)).expand() == 0
    strong = sp.parse(sp.derive(spec)).terms[0].expr
    assert (strong - (-((1 + x) * u.diff(x)).diff(x) - (1 + x))).expand() == 0


BAD_WEIGHTS = {
    "a negative number": ("u = 0 on ∂Ω weight -2", "negative", "-2"),
    "a field": ("u = 0 on ∂Ω weight u^2", "number or a real expression of the variables", "u^2"),
    "an unknown": ("u = 0 on ∂Ω weight k*x", "number or a real expression of the variables", "k*x"),
    "a derivative": ("u = 0 on ∂Ω weight Dx(u)", "number or a real expression of the variables", "Dx(u)"),
    "a constraint": ("∫ u = 1 weight 1 + x", "integral constraint must be a number", "1 + x"),
}


@pytest.mark.parametrize("case", list(BAD_WEIGHTS), ids=list(BAD_WEIGHTS))
def test_bad_weights_are_located_errors(case):
    line, message, caret_at = BAD_WEIGHTS[case]
    with pytest.raises(sp.PinnError, match=message) as err:
        sp.parse(LINE + "unknown k = 1\n-Dxx(u) = 1\n" + line + "\n")
    assert err.value.span.line == 5
    assert line[err.value.span.column - 1 :].startswith(caret_at)


def test_a_weight_negative_somewhere_warns():
    with pytest.warns(sp.IllPosedWarning, match="line 3: the weight is -0.5 at x = 0.75"):
        sp.parse(LINE + "-Dxx(u) = 1 weight 1 - 2*x\nu = 0 on ∂Ω\n")


# ---- shapes named by a `let`, and `-` as a difference -------------------------------------------

REST = "field u(x, y)\n-Δu = 1\nu = 0 on ∂Ω\n"


@pytest.mark.parametrize(
    "domain",
    [
        "let ring = disk((0, 0), 1) \\ disk((0, 0), 0.5)\n(x, y) in ring\n",
        "let ring = disk((0, 0), 1) - disk((0, 0), 0.5)\n(x, y) in ring\n",
        "let hole = disk((0, 0), 0.5)\n(x, y) in disk((0, 0), 1) - hole\n",
        "let outer = disk((0, 0), 1)\nlet hole = disk((0, 0), 0.5)\nlet ring = outer minus hole\n(x, y) in ring\n",
    ],
    ids=["let with \\", "let with -", "domain with -", "let of lets"],
)
def test_a_combination_of_shapes_can_be_named(domain):
    expected = sp.parse("(x, y) in disk((0, 0), 1) \\ disk((0, 0), 0.5)\n" + REST).shape
    assert sp.parse(domain + REST).shape == expected


def test_a_union_of_named_shapes_and_a_box_minus_a_hole():
    text = "let a = box((0, 0), (2, 1)) ∪ box((0, 0), (1, 2))\nlet hole = disk((0.5, 0.5), 0.25)\n(x, y) in a - hole\n"
    expected = "(x, y) in (box((0, 0), (2, 1)) ∪ box((0, 0), (1, 2))) \\ disk((0.5, 0.5), 0.25)\n"
    assert sp.parse(text + REST).shape == sp.parse(expected + REST).shape


@pytest.mark.parametrize(
    ("line", "caret_at"),
    [("-Δu = x ∩ y", "x ∩ y"), ("let a = x ∪ 1", "x ∪ 1"), ("let a = disk((0, 0), 1) \\ 2", "disk")],
)
def test_shape_operators_between_values_are_located_errors(line, caret_at):
    with pytest.raises(sp.PinnError, match="combines shapes|is a shape|unknown function") as err:
        sp.parse("x in [0, 1]; y in [0, 1]\nfield u(x, y)\n" + line + "\nu = 0 on ∂Ω\n")
    assert err.value.span.line == 3
    assert line[err.value.span.column - 1 :].startswith(caret_at)


def test_detach_from_sympy_is_the_text_one():
    x = sympy.Symbol("x", real=True)
    u = sympy.Function("u")(x)
    terms = [sympy.Eq(sp.detach(u**2).diff(x), 1), sp.Equation(sympy.Eq(u, 0), on="boundary")]
    spec = sp.from_sympy(variables={x: (0, 1)}, fields=[u], terms=terms)
    assert spec.terms[0].expr == sp.parse(LINE + "Dx(detach(u^2)) = 1\nu = 0 on ∂Ω\n").terms[0].expr
