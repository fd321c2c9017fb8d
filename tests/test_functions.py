"""The function table: every row compiles, and its derivatives are SymPy's.

For each function a problem may write, ``Dx(F(u)) = 0`` and ``Dxx(F(u)) = 0`` are
compiled; the generated residual, evaluated with u replaced by a closed form g, must
equal SymPy's own derivative of F(g(x)), evaluated by ``sympy.lambdify`` (an
independent reference: SymPy differentiates, the generated code uses JAX).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn import _functions
from symbolic_pinn._errors import PinnError

X = sympy.Symbol("x", real=True)
# the inner function keeps every argument inside each function's domain on [0.1, 0.4]
INNER = 0.3 + 0.5 * X**2
INNER_TEXT = "0.3 + 0.5*x^2"


def _closed_form(expr):
    # detach's value is its argument's (it only stops gradients to parameters)
    return sympy.lambdify(X, expr, modules=[{"detach": lambda v: v}, "scipy", "numpy"])


# A function of two arguments gets u and 0.2*x (below u on [0.1, 0.4]: max and min do not switch).
SECOND = ("0.2*x", 0.2 * X)
# Derivatives that are Dirac deltas somewhere, which have no value at points: SymPy's
# derivative of a jump (sign, heaviside) or of a kink (abs, max, min, relu) twice.
DIRAC = {("sign", 1), ("heaviside", 1)} | {(w, 2) for w in ("abs", "sign", "heaviside", "max", "min", "relu")}
CASES = [(word, order) for word in _functions.names() for order in (1, 2) if (word, order) not in DIRAC]


def _applied(word: str) -> tuple[str, sympy.Expr]:
    """``word`` applied to u (and a second argument): as text, and to INNER in SymPy."""
    function = _functions.in_text(word)
    if function.arity == 2:
        return f"{word}(u, {SECOND[0]})", function.sympy(INNER, SECOND[1])
    return f"{word}(u)", function.sympy(INNER)


@pytest.mark.parametrize(("word", "order"), CASES)
def test_derivatives_match_sympy(word, order, x64):
    text, reference_expr = _applied(word)
    d = "Dx" if order == 1 else "Dxx"
    compiled = sp.compile(f"x in [0.1, 0.4]\nfield u(x)\n{d}({text}) = 0\nu = {INNER_TEXT} at x = 0.1\n")
    residual = compiled.module.residual_pde

    def u(x):
        return 0.3 + 0.5 * x**2

    xs = np.linspace(0.1, 0.4, 7)
    got = np.asarray(residual(u, jnp.asarray(xs)))
    reference = _closed_form(sympy.diff(reference_expr, X, order))(xs)
    np.testing.assert_allclose(got, reference, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("word", "order"), sorted(DIRAC))
def test_a_dirac_delta_is_a_located_error(word, order):
    text, _ = _applied(word)
    d = "Dx" if order == 1 else "Dxx"
    with pytest.raises(PinnError, match="Dirac delta") as info:
        sp.compile(f"x in [0.1, 0.4]\nfield u(x)\n{d}({text}) = 0\nu = 1 at x = 0.1\n")
    assert ":3:1" in str(info.value) and "if c then a else b" in str(info.value)


def test_values_match_scipy(x64):
    """The values themselves (not only derivatives): Bessel J_n beyond where jax's bessel_jn fails."""
    import scipy.special

    compiled = sp.compile(
        "x in [0, 60]\nfield u(x)\n"
        "u = besselj0(x) + 2*besselj1(x) + 3*sech(x/10) + 4*erfc(x/30) + 5*log10(x + 1) + 6*atan2(x, 7)\n"
    )
    xs = np.array([0.0, 1e-9, 0.5, 7.0, 33.0, 60.0])
    got = np.asarray(compiled.module.residual_pde(lambda x: 0 * x, jnp.asarray(xs)))
    reference = -(
        scipy.special.j0(xs)
        + 2 * scipy.special.j1(xs)
        + 3 / np.cosh(xs / 10)
        + 4 * scipy.special.erfc(xs / 30)
        + 5 * np.log10(xs + 1)
        + 6 * np.arctan2(xs, 7)
    )
    np.testing.assert_allclose(got, reference, rtol=1e-12, atol=1e-13)


def test_a_wrong_derivative_is_detected(x64):
    """The reference can fail: d/dx sin(g) is not d/dx cos(g)."""
    compiled = sp.compile(f"x in [0.1, 0.4]\nfield u(x)\nDx(sin(u)) = 0\nu = {INNER_TEXT} at x = 0.1\n")
    xs = np.linspace(0.1, 0.4, 7)
    got = np.asarray(compiled.module.residual_pde(lambda x: 0.3 + 0.5 * x**2, jnp.asarray(xs)))
    wrong = _closed_form(sympy.diff(sympy.cos(INNER), X))(xs)
    assert not np.allclose(got, wrong, rtol=1e-3)


@pytest.mark.parametrize(
    "row", [f for f in _functions.FUNCTIONS if f.sympy_class != "Pow" and not f.composite], ids=lambda f: f.name
)
def test_sympy_maps_back_to_its_row(row):
    """Lowering and `derive` find a row from the SymPy function the checker built."""
    args = sympy.symbols(f"z:{row.arity}")
    assert _functions.by_sympy(row.sympy(*args)) is row


def test_sign_arises_from_abs_and_compiles(x64):
    """d|u|/dx = sign(u)·u_x."""
    compiled = sp.compile("x in [0.1, 0.4]\nfield u(x)\nDx(abs(u)) = 0\nu = 1 at x = 0.1\n")
    assert "jnp.sign" in compiled.source


def test_a_missing_row_is_a_sentence():
    with pytest.raises(PinnError, match="no elementary function 'sgn'.*did you mean 'sign'"):
        _functions.lookup("sgn")


def test_an_unknown_function_in_text_is_located():
    with pytest.raises(PinnError, match="unknown function 'erff'") as info:
        sp.compile("x in [0, 1]\nfield u(x)\nDxx(u) = erff(x)\nu = 0 on ∂Ω\n")
    assert "did you mean 'erf'" in str(info.value)
    assert ":3:" in str(info.value)


def test_bessely_values_match_scipy(x64):
    """Y₀ and Y₁ (jax.scipy.special has none): the runtime's series and Hankel expansion against scipy."""
    import scipy.special

    compiled = sp.compile("x in [0.001, 60]\nfield u(x)\nu = bessely0(x) + 2*bessely1(x)\n")
    xs = np.array([0.001, 0.3, 1.0, 5.0, 11.9, 12.1, 30.0, 60.0])
    got = np.asarray(compiled.module.residual_pde(lambda x: 0 * x, jnp.asarray(xs)))
    reference = -(scipy.special.y0(xs) + 2 * scipy.special.y1(xs))
    np.testing.assert_allclose(got, reference, rtol=1e-11, atol=1e-11)


def test_bessely_of_higher_orders_from_the_runtime_match_scipy(x64):
    """Y_n for n up to 9 (SymPy's derivatives bring them in), by recurrence; nan where Y is not real."""
    import scipy.special

    from symbolic_pinn._runtime.special import bessely

    xs = np.concatenate([np.geomspace(1e-3, 1, 20), np.linspace(1, 100, 200)])
    for n in range(10):
        got, want = np.asarray(bessely(n, jnp.asarray(xs))), scipy.special.yn(n, xs)
        np.testing.assert_array_less(np.abs(got - want) / np.maximum(1, np.abs(want)), 1e-11)
    assert np.isnan(np.asarray(bessely(0, jnp.asarray([0.0, -1.0])))).all()
