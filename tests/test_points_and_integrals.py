"""Fields at other coordinates and integrals inside equations, against SymPy.

``u(-1, t)``, ``Dx(u)(1, t)``, ``u(x/2, t)`` and ``∫(f, s, a, b)`` compile to code
that evaluates the field's network at other points and integrates by Gauss–Legendre
quadrature.  As in ``test_derivatives``, closed forms stand in for the networks
(``sympy.lambdify(..., "jax")``) and the references are computed by SymPy alone:
``sympy.diff``, ``.subs`` and ``sympy.integrate`` (closed forms, never quadrature),
evaluated with NumPy.  Nothing here compares the compiler with itself.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from test_derivatives import (
    T,
    X,
    assert_close,
    call_terms,
    declarations,
    jax_function,
    random_points,
    reference,
    smooth_functions,
)

import symbolic_pinn as sp
from symbolic_pinn._compiler import ir

S, R = sympy.symbols("s r", real=True)
XT = (X, T)
HEADER = f"{declarations('xt')}\nfield u(x, t)\n"
pi, sin, cos, exp, tanh = sympy.pi, sympy.sin, sympy.cos, sympy.exp, sympy.tanh


def compile_terms(*equations: str, header: str = HEADER, **settings) -> tuple[sp.CompiledProblem, list[str]]:
    """A problem of the header and the equations; its term names, in statement order."""
    settings = {"periodic_embedding": False, "exact_initial": False} | settings  # every term stays a term
    compiled = sp.compile(header + "\n".join(equations) + "\n", **settings)
    names = [term.name for term in compiled.ir.terms]
    assert len(names) == len(equations), names
    return compiled, names


def sympy_problem(*equations):
    """The problem of HEADER from the SymPy front end (plain symbols: assumptions do not matter)."""
    x, t = sympy.symbols("x t")
    return sp.from_sympy(variables={x: (-1, 1), t: (0, 1)}, fields=[sympy.Function("u")(x, t)], terms=list(equations))


def at(expr: sympy.Expr, **point) -> sympy.Expr:
    """SymPy's value of ``expr`` at other coordinates, e.g. ``at(f, x=-1)``."""
    return expr.subs({sympy.Symbol(k, real=True): v for k, v in point.items()}, simultaneous=True)


def d(expr: sympy.Expr, *symbols) -> sympy.Expr:
    return sympy.diff(expr, *symbols)


# ---- fields and derivatives at other coordinates ---------------------------------------

POINT_TERMS = [
    # (equation, residual lhs - rhs as a SymPy function of the closed form f)
    ("u(-1, t) = u(1, t)", lambda f: at(f, x=-1) - at(f, x=1)),
    ("Dx(u)(-1, t) = Dx(u)(1, t)", lambda f: at(d(f, X), x=-1) - at(d(f, X), x=1)),
    ("Dxx(u)(1, t) = 0", lambda f: at(d(f, X, 2), x=1)),
    ("Dxt(u)(0, t) = 0", lambda f: at(d(f, X, T), x=0)),
    ("u(0, 0.5) = 0", lambda f: at(f, x=0, t=sympy.Rational(1, 2))),
    ("u(x/2, t) = 0", lambda f: at(f, x=X / 2)),
    ("Dx(u(x/2, t)) = 0", lambda f: d(at(f, x=X / 2), X)),
    ("Dt(u(x, t/2)) = cos(x)", lambda f: d(at(f, t=T / 2), T) - cos(X)),
    ("Dx(u)(t - 1, t) = 0", lambda f: at(d(f, X), x=T - 1)),
    ("u(x, 0) + Dt(u)(x, 0) = 0", lambda f: at(f + d(f, T), t=0)),
    # own coordinates and other points mixed in one term
    ("Dt(u) = u(1, t)*Dx(u) + Dxx(u)(-1, t)", lambda f: d(f, T) - at(f, x=1) * d(f, X) - at(d(f, X, 2), x=-1)),
    ("Dxx(u) + Dxx(u)(1, t) = u(-1, 0)", lambda f: d(f, X, 2) + at(d(f, X, 2), x=1) - at(f, x=-1, t=0)),
]

U_POINTS = [
    sympy.sin(1.3 * X - 0.7 * T) * exp(X * T / 2) + X**3 * T**2 - tanh(X + 2 * T),
    cos(pi * X) * exp(-T) + X**2 * T + sin(3 * X * T),
]


@pytest.fixture(scope="module")
def point_problem():
    return compile_terms(*(text for text, _ in POINT_TERMS))


def check_point_terms(point_problem, f, seed):
    compiled, names = point_problem
    points = random_points(compiled.module, seed)
    got = call_terms(compiled.module, names, {"u": jax_function(f, XT)}, points)
    for name, (text, residual) in zip(names, POINT_TERMS):
        assert_close(got[name], reference(residual(f), XT, points), f"{text} with u = {f}")


@pytest.mark.parametrize("index", range(len(U_POINTS)))
def test_fields_and_derivatives_at_other_coordinates(x64, point_problem, index):
    check_point_terms(point_problem, U_POINTS[index], seed=index)


@settings(max_examples=2, deadline=None)
@given(f=smooth_functions([X, T]), seed=st.integers(0, 2**32 - 1))
def test_fields_at_other_coordinates_of_random_functions(point_problem, f, seed):
    with jax.enable_x64(True):
        check_point_terms(point_problem, f, seed)


def test_point_terms_are_sampled_in_the_interior_and_collapse_at_a_point(point_problem):
    compiled, names = point_problem
    assert all(compiled.module.REGIONS[n] == ("interior",) for n in names)
    # Dxx(u)(1, t) goes through the collapsed (forward Laplacian) path at the point x = 1
    plan = compiled.schedule.term(names[2])
    (field_plan,) = plan.fields
    assert field_plan.collapsed is not None and field_plan.at is not None
    # in the last term, u_xx at the collocation point and at (1, t) are two collapsed sums
    mixed = compiled.schedule.term(names[-1])
    collapsed = [fp.at for fp in mixed.fields if fp.collapsed is not None]
    assert len(collapsed) == 2 and None in collapsed, mixed.fields


def test_high_derivatives_at_a_point_in_taylor_mode(x64):
    f = U_POINTS[0]
    terms = [
        ("Dxxx(u)(1, t) = 0", at(d(f, X, 3), x=1)),
        ("Dtttt(u)(x, 0) + Dxxxx(u)(-1, t) = 0", at(d(f, T, 4), t=0) + at(d(f, X, 4), x=-1)),
    ]
    for taylor in (None, 3):
        compiled, names = compile_terms(*(text for text, _ in terms), taylor_from_order=taylor)
        points = random_points(compiled.module, 11)
        got = call_terms(compiled.module, names, {"u": jax_function(f, XT)}, points)
        for name, (text, want) in zip(names, terms):
            assert_close(got[name], reference(want, XT, points), f"{text} (taylor_from_order={taylor})")
        if taylor is not None:
            assert any(fp.high is not None for fp in compiled.schedule.term(names[0]).fields)


def test_periodic_residual_vanishes_only_for_a_periodic_field(x64, point_problem):
    """Negative control: the periodic terms are zero for a periodic u, not for a perturbed one."""
    compiled, names = point_problem
    periodic = cos(pi * X) * exp(-T) + sin(pi * X) * T
    perturbed = periodic + (X**2 + X) / 10
    points = random_points(compiled.module, 5)
    got = call_terms(compiled.module, names[:2], {"u": jax_function(periodic, XT)}, points)
    for name in names[:2]:
        assert np.max(np.abs(got[name])) < 1e-12, (name, got[name])
    got = call_terms(compiled.module, names[:2], {"u": jax_function(perturbed, XT)}, points)
    for name, (text, residual) in zip(names[:2], POINT_TERMS[:2]):
        want = reference(residual(perturbed), XT, points)
        assert np.min(np.abs(want)) > 0.1  # -0.2 and -0.4: the control can tell them apart
        assert_close(got[name], want, f"{text} with u = {perturbed}")


def test_periodic_conditions_are_both_named_as_conditions():
    """Both periodic conditions are conditions (bc), though sampled in the interior."""
    compiled = sp.compile(
        HEADER + "Dt(u) = Dxx(u)\nu(-1, t) = u(1, t)\nDx(u)(-1, t) = Dx(u)(1, t)\n", periodic_embedding=False
    )
    assert [term.name for term in compiled.ir.terms] == ["pde", "bc1", "bc2"]


def test_derivative_of_a_field_at_a_fixed_coordinate_is_refused():
    """Dx(u(-1, t)) is identically zero: an equation reducing to 0 = 0 trains nothing."""
    with pytest.raises(sp.PinnError, match="holds whatever the fields are"):
        sp.parse(HEADER + "Dx(u(-1, t)) = 0\n")
    # ... whereas the derivative taken first, then evaluated, is accepted
    sp.parse(HEADER + "Dx(u)(-1, t) = 0\n")


def test_a_let_of_fields_evaluated_at_coordinates_means_the_expression_written_out():
    """`let w = Dx(u) + u` then `w(-1, t)`, and a vector `let U = (u, v)` then `U(-1, t)`: the
    same conditions as the expressions written out at those coordinates (issue #28)."""
    head = f"{declarations('xt')}\nfield u(x, t), v(x, t)\nDt(u) = Dxx(u)\nDt(v) = Dxx(v)\n"
    spelled = sp.parse(head + "Dx(u)(-1, t) + u(-1, t) = 0\nu(-1, t) = 0\nv(-1, t) = 1\n")
    let = sp.parse(head + "let w = Dx(u) + u\nlet U = (u, v)\nw(-1, t) = 0\nU(-1, t) = (0, 1)\n")
    assert [(t.expr, t.region) for t in let.terms] == [(t.expr, t.region) for t in spelled.terms]
    assert str(let.terms[3].expr) == "u(-1, t)"  # the field itself at x = -1, not u(x, t)
    with pytest.raises(sp.PinnError, match="1 coordinates given, but the expression is a function of"):
        sp.parse(head + "let U = (u, v)\nU(-1) = (0, 1)\n")
    with pytest.raises(sp.PinnError, match="'c' is a let, not a function"):  # no field in it: nothing to move
        sp.parse(head + "let c = 2*x\nu(-1, t) = c(1, t)\n")


def test_a_system_where_fields_are_evaluated_at_points(x64):
    header = f"{declarations('xt')}\nfield u(x, t), w(x, t), v(x)\n"
    fu = sin(X + 2 * T) * exp(X * T / 2) + X**2
    fw = cos(2 * X - T) + X * T**2
    fv = tanh(X) + X**3 / 3
    terms = [
        ("Dt(u) = w(1, t)*Dx(u) - Dx(w)(0, t)*u", d(fu, T) - at(fw, x=1) * d(fu, X) + at(d(fw, X), x=0) * fu),
        ("u(-1, t) = w(1, t)", at(fu, x=-1) - at(fw, x=1)),
        ("Dt(u) + v(1)*u = Dx(v)(-1)*u(0, t) + v", d(fu, T) + at(fv, x=1) * fu - at(d(fv, X), x=-1) * at(fu, x=0) - fv),
        ("u(x, 0) = v(x/2) + Dxx(w)(x, 1)", at(fu, t=0) - at(fv, x=X / 2) - at(d(fw, X, 2), t=1)),
    ]
    compiled, names = compile_terms(*(text for text, _ in terms), header=header)
    points = random_points(compiled.module, 3)
    fields = {"u": jax_function(fu, XT), "w": jax_function(fw, XT), "v": jax_function(fv, (X,))}
    got = call_terms(compiled.module, names, fields, points)
    for name, (text, want) in zip(names, terms):
        assert_close(got[name], reference(want, XT, points), text)


# ---- integrals inside equations -------------------------------------------------------

# closed forms that sympy.integrate handles, and their names in test ids
U_INTEGRALS = {
    "poly-cos": exp(-T) * (X**3 - X) + T * cos(pi * X / 2),
    "sin-exp": sin(X + T) * exp(X / 2) + X * T,
}


def integral(expr, *limits):
    """SymPy's closed form (expanded first: sums of simple integrals are fast to integrate)."""
    value = sympy.integrate(sympy.expand(expr), *limits, conds="none")
    assert not value.has(sympy.Integral), f"SymPy did not integrate {expr} in closed form"
    return value


INTEGRAL_TERMS = [
    # (equation, residual as a SymPy function of the closed form f)
    ("∫(u(s, t)*exp(s - x), s, -1, x) = 0", lambda f: integral(at(f, x=S) * exp(S - X), (S, -1, X))),
    ("integral(u(s, t), s, -1, 1) = 0", lambda f: integral(at(f, x=S), (S, -1, 1))),
    ("∫(Dx(u)(s, t)*s, s, -1, x) = 0", lambda f: integral(at(d(f, X), x=S) * S, (S, -1, X))),
    ("∫(s*∫(u(r, t), r, -1, s), s, -1, x) = 0", lambda f: integral(S * integral(at(f, x=R), (R, -1, S)), (S, -1, X))),
    ("Dx(∫(u(s, t), s, -1, x)) = 0", lambda f: f),  # Leibniz: the integrand at the upper limit
    (
        "Dx(∫(u(s, t)*exp(s - x), s, -1, x)) = 0",
        lambda f: d(integral(at(f, x=S) * exp(S - X), (S, -1, X)), X),
    ),
    ("Dt(∫(u(s, t), s, -1, x)) = 0", lambda f: d(integral(at(f, x=S), (S, -1, X)), T)),
    ("∫(u(x, r), r, 0, t) = 0", lambda f: integral(at(f, t=R), (R, 0, T))),
    ("∫(u(s, t), s, t - 1, x) = 0", lambda f: integral(at(f, x=S), (S, T - 1, X))),
    (
        "Dt(u) = u*∫(u(s, t)^2, s, -1, 1) - Dxx(u)",
        lambda f: d(f, T) - f * integral(at(f**2, x=S), (S, -1, 1)) + d(f, X, 2),
    ),
    ("u - ∫(x*s^2, s, 0, 1) = 0", lambda f: f - X / 3),  # an integrand without fields
    # the field at the collocation point inside an integrand, and a derivative at a fixed x
    ("∫(u*s + Dx(u)*s^2, s, 0, 1) = 0", lambda f: f / 2 + d(f, X) / 3),
    ("∫(Dx(u)(1, r), r, 0, t) = 0", lambda f: integral(at(d(f, X), x=1, t=R), (R, 0, T))),
    (
        "Dxx(∫(u(s, t)*exp(s - x), s, -1, x)) = 0",
        lambda f: d(integral(at(f, x=S) * exp(S - X), (S, -1, X)), X, 2),
    ),
]


@pytest.fixture(scope="module")
def integral_problem():
    return compile_terms(*(text for text, _ in INTEGRAL_TERMS))


@pytest.mark.parametrize("name", list(U_INTEGRALS))
def test_integrals_against_sympy_integrate(x64, integral_problem, name):
    f = U_INTEGRALS[name]
    compiled, names = integral_problem
    assert compiled.module.QUADRATURE_ORDER == 10  # the default, as documented
    points = random_points(compiled.module, 7)
    got = call_terms(compiled.module, names, {"u": jax_function(f, XT)}, points)
    for term, (text, residual) in zip(names, INTEGRAL_TERMS):
        assert_close(got[term], reference(residual(f), XT, points), f"{text} with u = {f}")


def derivative_in_the_integrand_reference(f):
    """∫(D(u(s, t), s)*s, s, 0, x): the derivative along the bound variable s."""
    return integral(d(at(f, x=S), S) * S, (S, 0, X))


def check_derivative_along_the_integration_variable(compiled):
    (name,) = [term.name for term in compiled.ir.terms]
    points = random_points(compiled.module, 4)
    for f in U_INTEGRALS.values():
        got = call_terms(compiled.module, [name], {"u": jax_function(f, XT)}, points)[name]
        assert_close(got, reference(derivative_in_the_integrand_reference(f), XT, points), f"D(u(s, t), s) of {f}")


def test_derivative_along_the_integration_variable_from_text(x64):
    check_derivative_along_the_integration_variable(sp.compile(HEADER + "∫(D(u(s, t), s)*s, s, 0, x) = 0\n"))


def test_derivative_along_the_integration_variable_from_sympy(x64):
    x, t, s = sympy.symbols("x t s")
    integrand = sympy.Derivative(sympy.Function("u")(s, t), s) * s
    compiled = sp.compile(sympy_problem(sympy.Eq(sympy.Integral(integrand, (s, 0, x)), 0)))
    check_derivative_along_the_integration_variable(compiled)


@pytest.mark.parametrize("front_end", ["text", "sympy"])
def test_nested_integrals(x64, front_end):
    """∫(∫(u(r, t), r, -1, s), s, -1, x), the iterated integral, against sympy.integrate."""
    if front_end == "text":
        compiled = sp.compile(HEADER + "∫(∫(u(r, t), r, -1, s), s, -1, x) = 0\n")
    else:
        x, t, s, r = sympy.symbols("x t s r")
        inner = sympy.Integral(sympy.Function("u")(r, t), (r, -1, s))
        compiled = sp.compile(sympy_problem(sympy.Eq(sympy.Integral(inner, (s, -1, x)), 0)))
    (name,) = [term.name for term in compiled.ir.terms]
    points = random_points(compiled.module, 6)
    for f in U_INTEGRALS.values():
        got = call_terms(compiled.module, [name], {"u": jax_function(f, XT)}, points)[name]
        want = reference(integral(integral(at(f, x=R), (R, -1, S)), (S, -1, X)), XT, points)
        assert_close(got, want, f"nested integral of {f}")


def test_integral_terms_are_not_identically_zero(x64, integral_problem):
    """Negative control: the references above are not zero, so a term dropped or
    computed as 0 would fail; and a wrong field gives a wrong Volterra integral."""
    compiled, names = integral_problem
    f, g = U_INTEGRALS["poly-cos"], U_INTEGRALS["poly-cos"] + X**2
    points = random_points(compiled.module, 7)
    for text, residual in INTEGRAL_TERMS:
        assert np.max(np.abs(reference(residual(f), XT, points))) > 1e-2, text
    assert np.max(np.abs(reference(derivative_in_the_integrand_reference(f), XT, points))) > 1e-2
    got = call_terms(compiled.module, names[:1], {"u": jax_function(g, XT)}, points)[names[0]]
    want_f = reference(INTEGRAL_TERMS[0][1](f), XT, points)
    assert np.max(np.abs(got - want_f)) > 1e-2


@pytest.mark.filterwarnings("ignore::symbolic_pinn.QuadratureWarning")  # orders 1–3 are coarse on purpose
@pytest.mark.parametrize("n", [1, 2, 3])
def test_quadrature_order_is_honoured(x64, n):
    """n Gauss–Legendre nodes integrate degree 2n − 1 exactly, and degree 2n not."""
    compiled, (name,) = compile_terms("∫(u(s, t), s, -1, x) = 0", quadrature_order=n)
    assert compiled.module.QUADRATURE_ORDER == n
    points = random_points(compiled.module, 2)
    exact = (1 + T) * (X + sympy.Rational(1, 3)) ** (2 * n - 1) + X ** (2 * n - 2)
    got = call_terms(compiled.module, [name], {"u": jax_function(exact, XT)}, points)[name]
    assert_close(got, reference(integral(at(exact, x=S), (S, -1, X)), XT, points), f"degree {2 * n - 1}, {n} nodes")
    inexact = (1 + T) * X ** (2 * n)
    got = call_terms(compiled.module, [name], {"u": jax_function(inexact, XT)}, points)[name]
    want = reference(integral(at(inexact, x=S), (S, -1, X)), XT, points)
    assert np.max(np.abs(got - want)) > 1e-4, f"degree {2 * n} integrated exactly by {n} nodes"
    # one more node and degree 2n is exact again
    compiled, (name,) = compile_terms("∫(u(s, t), s, -1, x) = 0", quadrature_order=n + 1)
    got = call_terms(compiled.module, [name], {"u": jax_function(inexact, XT)}, points)[name]
    assert_close(got, want, f"degree {2 * n}, {n + 1} nodes")


def test_quadrature_order_out_of_range_is_refused():
    for order in (0, 1001):
        with pytest.raises(sp.PinnError, match="quadrature_order"):
            sp.compile(HEADER + "∫(u(s, t), s, -1, x) = 0\n", quadrature_order=order)


# ---- the SymPy front end gives the same IR ------------------------------------------------


def test_periodic_condition_from_text_and_sympy_give_identical_ir():
    x, t = sympy.symbols("x t")
    U = sympy.Function("u")
    u = U(x, t)
    text = sp.compile(HEADER + "Dt(u) = 0.1*Dxx(u)\nu(-1, t) = u(1, t)\nDx(u)(-1, t) = Dx(u)(1, t)\nu(0, 0.5) = 1\n")
    from_sympy = sp.compile(
        sympy_problem(
            sympy.Eq(u.diff(t), 0.1 * u.diff(x, 2)),
            sympy.Eq(U(-1, t), U(1, t)),
            sympy.Eq(u.diff(x).subs(x, -1), u.diff(x).subs(x, 1)),
            sympy.Eq(U(0, sympy.Rational(1, 2)), 1),
        )
    )
    assert from_sympy.ir == text.ir
    # and the IR does hold the points (the comparison is not between two empty things)
    assert any(isinstance(n, ir.Field) and n.at is not None for term in text.ir.terms for n in ir.walk(term.expr))


def test_volterra_integral_from_text_and_sympy_give_identical_ir():
    x, t, s = sympy.symbols("x t s")
    U = sympy.Function("u")
    u = U(x, t)
    text = sp.compile(HEADER + "Dt(u) = ∫(u(s, t)*exp(s - x), s, -1, x) + Dx(∫(u(s, t), s, 0, x))\n")
    from_sympy = sp.compile(
        sympy_problem(
            sympy.Eq(
                u.diff(t),
                sympy.Integral(U(s, t) * sympy.exp(s - x), (s, -1, x)) + sympy.Integral(U(s, t), (s, 0, x)).diff(x),
            )
        )
    )
    assert from_sympy.ir == text.ir
    assert any(isinstance(n, ir.Integral) for n in ir.walk(text.ir.terms[0].expr))
    # a different integral gives a different IR
    other = sp.compile(sympy_problem(sympy.Eq(u.diff(t), sympy.Integral(U(s, t) * sympy.exp(s - x), (s, 0, x)))))
    assert other.ir != text.ir


# ---- training and the command line --------------------------------------------------------

PERIODIC = (
    "x in [-1, 1]; t in [0, 1]\n"
    "field u(x, t)\n"
    "Dt(u) = 0.1*Dxx(u)\n"
    "u = cos(pi*x) at t = 0\n"
    "u(-1, t) = u(1, t)\n"
    "Dx(u)(-1, t) = Dx(u)(1, t)\n"
)


def test_periodic_problem_trains():
    """With the periodic embedding and the initial condition built in (the defaults)."""
    compiled = sp.compile(PERIODIC, width=16, depth=2)
    result = compiled.train(
        adam_steps=100,
        bfgs_steps=0,
        learning_rate=1e-2,
        final_learning_rate=1e-3,
        interior_points=128,
        face_points=64,
        boundary_points=64,
        progress=False,
    )
    assert result.metrics["stopped"] is None
    assert result.metrics["adam_steps"] == 100
    losses = [h["loss"] for h in result.history]
    assert all(np.isfinite(losses)) and np.isfinite(result.metrics["loss"])
    assert all(np.isfinite(v) for v in result.metrics["losses"].values())
    assert set(result.metrics["losses"]) == {"pde"}  # the periodic pairs and the initial condition are built in
    assert result.metrics["loss"] < 0.5 * losses[0], (losses[0], result.metrics["loss"])


def test_cli_prints_the_plan_with_the_integral_and_the_point(tmp_path):
    problem = tmp_path / "periodic_volterra.pinn"
    problem.write_text(PERIODIC + "Dt(u) = ∫(u(s, t)*exp(s - x), s, -1, x)\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "symbolic_pinn", "compile", "--emit", "plan", "--no-periodic-embedding", str(problem)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=pathlib.Path(__file__).parent,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "u(-1, t) = u(1, t)" in out and "Dx(u)(-1, t) = Dx(u)(1, t)" in out  # the terms' labels
    assert "u at (-1, t)" in out and "u at (1, t)" in out  # the points
    assert "∫ ds from -1 to x" in out and "Gauss–Legendre" in out  # the integral
    assert "u at (s, t)" in out  # the integrand's point
