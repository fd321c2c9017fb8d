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
    return sympy.lambdify(X, expr, modules=["scipy", "numpy"])


# |u|'' is a Dirac delta, which has no value at points: only the first derivative
CASES = [(word, order) for word in _functions.names() for order in (1, 2) if (word, order) != ("abs", 2)]


@pytest.mark.parametrize(("word", "order"), CASES)
def test_derivatives_match_sympy(word, order, x64):
    function = _functions.in_text(word)
    d = "Dx" if order == 1 else "Dxx"
    compiled = sp.compile(f"x in [0.1, 0.4]\nfield u(x)\n{d}({word}(u)) = 0\nu = {INNER_TEXT} at x = 0.1\n")
    residual = compiled.module.residual_pde

    def u(x):
        return 0.3 + 0.5 * x**2

    xs = np.linspace(0.1, 0.4, 7)
    got = np.asarray(residual(u, jnp.asarray(xs)))
    reference = _closed_form(sympy.diff(function.sympy(INNER), X, order))(xs)
    np.testing.assert_allclose(got, reference, rtol=1e-10, atol=1e-12)


def test_a_wrong_derivative_is_detected(x64):
    """The reference can fail: d/dx sin(g) is not d/dx cos(g)."""
    compiled = sp.compile(f"x in [0.1, 0.4]\nfield u(x)\nDx(sin(u)) = 0\nu = {INNER_TEXT} at x = 0.1\n")
    xs = np.linspace(0.1, 0.4, 7)
    got = np.asarray(compiled.module.residual_pde(lambda x: 0.3 + 0.5 * x**2, jnp.asarray(xs)))
    wrong = _closed_form(sympy.diff(sympy.cos(INNER), X))(xs)
    assert not np.allclose(got, wrong, rtol=1e-3)


@pytest.mark.parametrize("row", [f for f in _functions.FUNCTIONS if f.sympy_class != "Pow"], ids=lambda f: f.name)
def test_sympy_maps_back_to_its_row(row):
    """Lowering and `derive` find a row from the SymPy function the checker built."""
    assert _functions.by_sympy(row.sympy(sympy.Symbol("z"))) is row


def test_sign_arises_from_abs_and_compiles(x64):
    """d|u|/dx = sign(u)·u_x: `sign` is never written but must compile."""
    compiled = sp.compile("x in [0.1, 0.4]\nfield u(x)\nDx(abs(u)) = 0\nu = 1 at x = 0.1\n")
    assert "jnp.sign" in compiled.source
    assert "sign" not in _functions.names()


def test_a_missing_row_is_a_sentence():
    with pytest.raises(PinnError, match="no elementary function 'sgn'.*did you mean 'sign'"):
        _functions.lookup("sgn")


def test_an_unknown_function_in_text_is_located():
    with pytest.raises(PinnError, match="unknown function 'erff'") as info:
        sp.compile("x in [0, 1]\nfield u(x)\nDxx(u) = erff(x)\nu = 0 on ∂Ω\n")
    assert "did you mean 'erf'" in str(info.value)
    assert ":3:" in str(info.value)
