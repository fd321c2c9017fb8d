"""Collapsed Taylor mode of order 3 and 4 (and above): polarisation, the network's own
jet propagation, and the plans that use them — against SymPy's differentiation."""

import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symbolic_pinn
from symbolic_pinn._compiler.plan import polarize
from symbolic_pinn._runtime import Network, collapsed_jet, network_jet

X, Y, Z = sympy.symbols("x y z", real=True)


S = sympy.Symbol("s", real=True)


def directional(expr, symbols, v, k):
    """D_v^k of a SymPy expression: the k-th derivative of s ↦ expr(x + s v) at s = 0."""
    return _along(expr, tuple(symbols), tuple(v), k).subs(S, 0)


@functools.cache
def _along(expr, symbols, v, k):
    # the k-th derivative in s from the (k-1)-th, kept: a test asks for D_v, D_v², ... of one
    # large network formula in turn, and each differentiation from scratch would repeat the last
    if k == 0:
        return expr.subs({x: x + c * S for x, c in zip(symbols, v) if c}, simultaneous=True)
    return sympy.diff(_along(expr, symbols, v, k - 1), S)


def numeric(expr, symbols, *values):
    """Evaluate a (large) SymPy expression with NumPy, common subexpressions shared."""
    f = sympy.lambdify(symbols, expr, "numpy", cse=True)
    return np.broadcast_to(f(*values), values[0].shape)


# ---- polarisation: Σ λⱼ D_{vⱼ}^K = Σ c_α ∂^α, checked as polynomials ----------------------

OPERATORS = {
    "biharmonic 2-D": (((4, 0), 1.0), ((2, 2), 2.0), ((0, 4), 1.0)),
    "biharmonic 3-D": tuple(
        (tuple(2 * (k == i) + 2 * (k == j) for k in range(3)), 1.0 if i == j else 2.0)
        for i in range(3)
        for j in range(i, 3)
    ),
    "u_xxy + 3 u_xyy": (((2, 1), 1.0), ((1, 2), 3.0)),
    "u_xxxy": (((3, 1), 1.0),),
    "u_xyz": (((1, 1, 1), 1.0),),
    "u_xxxx - 5 u_yyyy": (((4, 0), 1.0), ((0, 4), -5.0)),
    "u_xxyy alone": (((2, 2), 1.0),),
}


@pytest.mark.parametrize("name", list(OPERATORS))
def test_polarisation_reproduces_the_operator(name):
    """Σ λⱼ (vⱼ·∇)^K applied to a generic polynomial of degree K equals Σ c_α ∂^α of it."""
    terms = OPERATORS[name]
    d = len(terms[0][0])
    order = sum(terms[0][0])
    symbols = (X, Y, Z)[:d]
    coefficients = sympy.symbols(f"a0:{order**d + 50}")
    monomials = [m for m in itertools.product(range(order + 1), repeat=d) if sum(m) == order]
    poly = sum(a * sympy.prod(s**k for s, k in zip(symbols, m)) for a, m in zip(coefficients, monomials))
    want = sum(c * sympy.diff(poly, *[s for s, k in zip(symbols, alpha) for _ in range(k)]) for alpha, c in terms)
    directions, weights = polarize(terms)
    got = sum(w * directional(poly, symbols, v, order) for v, w in zip(directions, weights))
    difference = sympy.expand(got - want)
    assert (
        all(abs(float(c)) < 1e-9 for c in sympy.Poly(difference, *coefficients).coeffs()) if difference != 0 else True
    )


def test_polarisation_uses_few_directions():
    assert len(polarize(OPERATORS["biharmonic 2-D"])[0]) == 3  # isotropic: 0°, 60°, 120°
    assert polarize(((((3, 0)), 2.0),)) == (((1.0, 0.0),), (2.0,))  # pure: the axis itself
    assert len(polarize(OPERATORS["u_xxy + 3 u_xyy"])[0]) <= 3


# ---- the runtime: network_jet and the generic fallback --------------------------


def _network(seed=0, d=2, width=7):
    rng = np.random.default_rng(seed)
    sizes = (d, width, width, 1)
    layers = [
        (jnp.asarray(rng.standard_normal((m, n)) / np.sqrt(m)), jnp.asarray(0.5 * rng.standard_normal(n)))
        for m, n in zip(sizes[:-1], sizes[1:])
    ]
    centre, half = (0.5, -0.2, 0.1)[:d], (0.5, 1.5, 2.0)[:d]
    return Network(layers, centre, half), layers, centre, half


def _sympy_network(layers, centre, half, symbols):
    h = [(s - c) / hw for s, c, hw in zip(symbols, centre, half)]
    for w, b in layers[:-1]:
        w, b = np.asarray(w), np.asarray(b)
        h = [sympy.tanh(sum(float(w[i, j]) * h[i] for i in range(len(h))) + float(b[j])) for j in range(w.shape[1])]
    w, b = (np.asarray(a) for a in layers[-1])
    return sum(float(w[i, 0]) * h[i] for i in range(len(h))) + float(b[0])


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_network_jet_against_sympy(x64, order):
    """Value, every direction's lower coefficients and the collapsed top, of a random
    network, against SymPy's derivatives of the same network written as a formula."""
    net, layers, centre, half = _network(order, width=2)
    formula = _sympy_network(layers, centre, half, (X, Y))
    directions = ((1.0, 0.0), (0.3, -1.2), (-0.5, 0.8660254037844386))
    weights = (0.7, -1.3, 2.0)
    rng = np.random.default_rng(10 + order)
    xs, ys = rng.uniform(-0.5, 1.5, 5), rng.uniform(-1, 1, 5)
    value, lower, top = jax.jit(lambda a, b: network_jet(net, (a, b), directions, weights, order))(xs, ys)

    def at(expr):
        return numeric(expr, (X, Y), xs, ys)

    np.testing.assert_allclose(value, at(formula), rtol=1e-12)
    for j, v in enumerate(directions):
        assert len(lower[j]) == order - 1
        for k in range(1, order):
            np.testing.assert_allclose(lower[j][k - 1], at(directional(formula, (X, Y), v, k)), rtol=1e-10, atol=1e-10)
    want = sum(w * at(directional(formula, (X, Y), v, order)) for v, w in zip(directions, weights))
    np.testing.assert_allclose(top, want, rtol=1e-10, atol=1e-10)


def test_network_jet_of_a_shared_output(x64):
    """With several outputs, the jet differentiates the field's own output."""
    rng = np.random.default_rng(3)
    layers = [(jnp.asarray(rng.standard_normal((2, 5))), jnp.asarray(rng.standard_normal(5)))]
    layers.append((jnp.asarray(rng.standard_normal((5, 3))), jnp.asarray(rng.standard_normal(3))))
    x, y = jnp.asarray([0.2, -0.4]), jnp.asarray([0.1, 0.9])
    for output in range(3):
        net = Network(layers, (0.0, 0.0), (1.0, 1.0), output)
        generic = collapsed_jet(lambda a, b, net=net: net(a, b), ((1.0, 1.0),), (1.0,), 3)(x, y)
        fused = network_jet(net, (x, y), ((1.0, 1.0),), (1.0,), 3)
        np.testing.assert_allclose(fused[2], generic[2], rtol=1e-10)
        np.testing.assert_allclose(fused[1][0][1], generic[1][0][1], rtol=1e-10)


def test_generic_jet_on_a_closed_form(x64):
    """Any other function goes through jax.experimental.jet, order 5 included."""

    def f(x, y):
        return jnp.sin(3 * x) * jnp.exp(y) + x**5 * y

    expr = sympy.sin(3 * X) * sympy.exp(Y) + X**5 * Y
    x, y = np.array([0.1, 0.4, -0.7]), np.array([0.3, -0.2, 0.5])
    directions, weights = ((1.0, 0.0), (1.0, -2.0)), (0.5, 3.0)
    value, lower, top = collapsed_jet(f, directions, weights, 5)(jnp.asarray(x), jnp.asarray(y))
    ref = sympy.lambdify((X, Y), sum(w * directional(expr, (X, Y), v, 5) for v, w in zip(directions, weights)))
    np.testing.assert_allclose(top, ref(x, y), rtol=1e-12)
    ref3 = sympy.lambdify((X, Y), directional(expr, (X, Y), (1.0, -2.0), 3))
    np.testing.assert_allclose(lower[1][2], ref3(x, y), rtol=1e-12)
    np.testing.assert_allclose(value, f(x, y), rtol=1e-14)


# ---- plans: which terms collapse, and the generated code against SymPy ------------------

PROBLEMS = {
    # text of the equation (fields u(x, y)) → SymPy of its left side minus right side
    "Δ(Δu) = 0": lambda u: sympy.diff(u, X, 4) + 2 * sympy.diff(u, X, 2, Y, 2) + sympy.diff(u, Y, 4),
    "Dy(u) + u*Dx(u) + 0.0025*Dxxx(u) = 0": lambda u: (
        sympy.diff(u, Y) + u * sympy.diff(u, X) + 0.0025 * sympy.diff(u, X, 3)
    ),
    "Dxxxx(u) + Dyyyy(u) + Dxxx(u)*u = sin(x)": lambda u: (
        sympy.diff(u, X, 4) + sympy.diff(u, Y, 4) + sympy.diff(u, X, 3) * u - sympy.sin(X)
    ),
    "Dxxy(u) + 3*Dxyy(u) - Dx(u)*Dxx(u) = 1": lambda u: (
        sympy.diff(u, X, 2, Y) + 3 * sympy.diff(u, X, Y, 2) - sympy.diff(u, X) * sympy.diff(u, X, 2) - 1
    ),
    "Dxxxx(u) - Dxxy(u)*Dx(u) + Dyyy(u)^2 = 0": lambda u: (
        sympy.diff(u, X, 4) - sympy.diff(u, X, 2, Y) * sympy.diff(u, X) + sympy.diff(u, Y, 3) ** 2
    ),
    "Dxxxxx(u) + u = 0": lambda u: sympy.diff(u, X, 5) + u,
}
COLLAPSED = {  # the name of the collapsed sum each plan must show, if any
    "Δ(Δu) = 0": "bilap_u = u_xxxx + 2*u_xxyy + u_yyyy",
    "Dy(u) + u*Dx(u) + 0.0025*Dxxx(u) = 0": "u_xxx",
    "Dxxxx(u) + Dyyyy(u) + Dxxx(u)*u = sin(x)": "L4_u = u_xxxx + u_yyyy",
    "Dxxy(u) + 3*Dxyy(u) - Dx(u)*Dxx(u) = 1": "L3_u = u_xxy + 3*u_xyy",
    "Dxxxx(u) - Dxxy(u)*Dx(u) + Dyyy(u)^2 = 0": "u_xxxx",
    "Dxxxxx(u) + u = 0": "u_xxxxx",
}


@pytest.mark.parametrize("text", list(PROBLEMS))
def test_generated_jets_against_sympy(x64, text):
    """The residual on the module's own network, against SymPy's derivatives of that
    network written as a formula; and the plan says which sum it collapsed."""
    problem = f"x in [0, 1]; y in [-1, 1]\nfield u(x, y)\n{text}"
    compiled = symbolic_pinn.compile(problem, width=2, depth=2)
    plan = compiled.format_plan()
    assert f"{COLLAPSED[text]}  — collapsed Taylor mode" in plan
    assert "one jet" not in symbolic_pinn.compile(problem, taylor_from_order=None).format_plan()
    rng = np.random.default_rng(2)
    sizes = compiled.module.LAYERS["u"]
    layers = [
        (jnp.asarray(rng.standard_normal((m, n)) / np.sqrt(m)), jnp.asarray(0.5 * rng.standard_normal(n)))
        for m, n in zip(sizes[:-1], sizes[1:])
    ]
    net = compiled.module.fields({"u": layers, "unknowns": {}})["u"]
    formula = _sympy_network(layers, net.centre, net.half_width, (X, Y))
    xs, ys = rng.uniform(0, 1, 9), rng.uniform(-1, 1, 9)
    got = jax.jit(lambda a, b: compiled.module.residual_pde(net, a, b))(xs, ys)  # jitted: one compile, not one per op
    want = numeric(PROBLEMS[text](formula), (X, Y), xs, ys)
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)


def test_non_linear_uses_of_several_top_derivatives_stay_nested():
    """u_xxx·u_yyy cannot be one weighted sum: both stay with nested jvp."""
    plan = symbolic_pinn.compile("x in [0, 1]; y in [0, 1]\nfield u(x, y)\nDxxx(u)*Dyyy(u) = 1").format_plan()
    assert "collapsed" not in plan
    assert "u_xxx, u_yyy  — nested forward mode" in plan


@settings(max_examples=20, deadline=None)
@given(
    coefficients=st.lists(st.integers(-3, 3), min_size=5, max_size=5).filter(any),
    seed=st.integers(0, 2**16),
)
def test_any_fourth_order_operator_in_2d(coefficients, seed):
    """Random constant-coefficient 4th-order operators: the jet's value equals the
    same operator by SymPy on a closed-form function (the generic path)."""
    with jax.enable_x64(True):
        alphas = [(4, 0), (3, 1), (2, 2), (1, 3), (0, 4)]
        names = ["Dxxxx", "Dxxxy", "Dxxyy", "Dxyyy", "Dyyyy"]
        text = " + ".join(f"{c}*{n}(u)" for c, n in zip(coefficients, names) if c) + " = 0"
        compiled = symbolic_pinn.compile(f"x in [0, 1]; y in [0, 1]\nfield u(x, y)\n{text}")
        expr = sympy.sin(2 * X + Y) * sympy.exp(X * Y / 2) + X**3 * Y**2
        f = sympy.lambdify((X, Y), expr, "jax")
        want_expr = sum(c * sympy.diff(expr, X, a[0], Y, a[1]) for c, a in zip(coefficients, alphas) if c)
        rng = np.random.default_rng(seed)
        xs, ys = rng.uniform(0, 1, 6), rng.uniform(0, 1, 6)
        got = compiled.module.residual_pde(f, jnp.asarray(xs), jnp.asarray(ys))
        want = sympy.lambdify((X, Y), want_expr, "numpy")(xs, ys)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * max(1, np.abs(want).max()))
        assert "collapsed Taylor mode" in compiled.format_plan()
        assert math.isfinite(float(np.sum(got)))
