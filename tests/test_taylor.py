"""Taylor mode (jets) for high-order derivatives along one axis, against nested jvp."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._runtime import derivative, taylor_derivatives

PROBLEMS = [
    "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) + u*Dx(u) + 0.0025*Dxxx(u) = 0",
    "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nDxxxx(u) + Dyyyy(u) + Dxxx(u)*u = sin(x)",
    "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nDxxxx(u) - Dxxy(u)*Dx(u) + Dyyy(u)^2 = 0",
]


@pytest.mark.parametrize("text", PROBLEMS)
def test_taylor_mode_matches_nested_jvp_on_the_network(x64, text):
    compiled = symbolic_pinn.compile(text, taylor_from_order=3)
    assert "Taylor mode" in compiled.format_plan()
    assert "Taylor mode" not in symbolic_pinn.compile(text).format_plan()  # opt-in
    params = compiled.init_params(jax.random.PRNGKey(5))
    net = compiled.module.fields(params)["u"]
    rng = np.random.default_rng(6)
    coords = tuple(jnp.asarray(rng.uniform(0, 1, 13)) for _ in compiled.ir.variables)
    residual = compiled.module.residual_pde
    # the generated code (jets) against a hand-built nested-jvp reference of each derivative
    jets = residual(net, *coords)

    def nested(alpha):
        f = net
        for axis, k in enumerate(alpha):
            for _ in range(k):
                f = derivative(f, axis)
        return f(*coords)

    values = {}
    for node in symbolic_pinn._ir.walk(compiled.ir.terms[0].expr):
        if isinstance(node, symbolic_pinn._ir.Field):
            values[node] = nested(node.alpha)
    expected = _evaluate(compiled.ir.terms[0].expr, values, dict(zip([v.name for v in compiled.ir.variables], coords)))
    np.testing.assert_allclose(jets, expected, rtol=1e-8, atol=1e-8)


def _evaluate(expr, fields, variables):
    """Evaluate an IR expression with given field values: an interpreter independent of the emitter."""
    from symbolic_pinn import _ir as ir

    if isinstance(expr, ir.Field):
        return fields[expr]
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Const):
        return {"pi": np.pi, "e": np.e}[expr.name]
    if isinstance(expr, ir.Var):
        return variables[expr.name]
    if isinstance(expr, ir.Add):
        return sum(_evaluate(a, fields, variables) for a in expr.args)
    if isinstance(expr, ir.Mul):
        out = 1.0
        for a in expr.args:
            out = out * _evaluate(a, fields, variables)
        return out
    if isinstance(expr, ir.Pow):
        return _evaluate(expr.base, fields, variables) ** _evaluate(expr.exp, fields, variables)
    if isinstance(expr, ir.Call):
        return getattr(jnp, expr.fn)(_evaluate(expr.arg, fields, variables))
    raise TypeError(expr)


def test_one_jet_gives_every_order_along_the_axis(x64):
    def f(x, y):
        return jnp.sin(3 * x) * jnp.exp(y) + x**5

    x, y = jnp.array([0.1, 0.4, -0.7]), jnp.array([0.3, -0.2, 0.5])
    value, d1, d2, d3, d4 = taylor_derivatives(f, 0, 4)(x, y)
    e = jnp.exp(y)
    np.testing.assert_allclose(value, f(x, y), rtol=1e-13)
    np.testing.assert_allclose(d1, 3 * jnp.cos(3 * x) * e + 5 * x**4, rtol=1e-12)
    np.testing.assert_allclose(d2, -9 * jnp.sin(3 * x) * e + 20 * x**3, rtol=1e-12)
    np.testing.assert_allclose(d3, -27 * jnp.cos(3 * x) * e + 60 * x**2, rtol=1e-12)
    np.testing.assert_allclose(d4, 81 * jnp.sin(3 * x) * e + 120 * x, rtol=1e-12)
