"""The elementary functions: one table that every stage reads.

A row says how a function is written in a problem, which SymPy function the checker
builds (so SymPy's differentiation gives its derivatives), which name it has in the IR,
and what the emitted JAX code calls.  Adding a function is adding a row (and a test
that its derivatives match SymPy's); nothing else in the compiler names functions.

Some rows are never written by a user but arise from SymPy's calculus: J₁' is
(J₀ − J₂)/2, so Bessel functions of orders above 1 have rows.  Some SymPy functions
print as something else: ``sqrt(x)`` is ``x**(1/2)`` in SymPy, so it reaches the IR as a
power and the emitter prints it as ``jnp.sqrt``; ``relu(x)`` is ``Max(x, 0)`` and
``log10(x)`` is ``log(x)/log(10)`` (rows marked ``composite``).

Non-smooth functions take SymPy's derivatives, which hold almost everywhere:
d|x|/dx = sign(x), d max(x, 0)/dx = heaviside(x); the derivative of ``sign`` or
``heaviside`` is a Dirac delta, which the checker refuses (it has no value at points).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Callable

import sympy

from ._errors import PinnError

__all__ = ["Function", "FUNCTIONS", "by_sympy", "in_text", "lookup", "names"]


@dataclasses.dataclass(frozen=True)
class Function:
    """One elementary function: its spellings, its SymPy form and its JAX call."""

    name: str  # the name in the IR and the one printed back into problem text
    sympy: Callable[..., sympy.Expr]  # what the checker builds
    jax: str  # what the generated module calls: a function name, or a template with {} per argument
    spellings: tuple[str, ...] = ()  # how a problem may write it, when not only by its name
    sympy_class: str | None = None  # SymPy's class name when it differs from the name (None: the name)
    written: bool = True  # False: only SymPy's calculus produces it
    arity: int = 1  # how many arguments (at least, when variadic)
    variadic: bool = False  # max(a, b, c): folded pairwise in the generated code
    composite: bool = False  # built from other rows by SymPy (relu is Max(x, 0)): never met when lowering
    index: int | None = None  # a fixed first argument of the SymPy function: the Bessel order ν
    smooth: bool = True  # False: a kink or a jump (abs, max, sign), never built into a network as data
    real: bool = False  # defined by the order of real numbers (max, sign): no complex argument

    @property
    def words(self) -> tuple[str, ...]:
        """How a problem may write it."""
        return (self.spellings or (self.name,)) if self.written else ()

    def call(self, args: list[str]) -> str:
        """The JAX source of this function applied to argument sources."""
        if self.variadic and len(args) > self.arity:
            args = [*args[: self.arity - 1], self.call(args[self.arity - 1 :])]
        if "{}" in self.jax:
            return self.jax.format(*args)
        return f"{self.jax}({', '.join(args)})"

    def arguments(self, expr: sympy.Basic) -> tuple:
        """The arguments of a SymPy application of this row (besselj(ν, x) → (x,))."""
        return expr.args[1:] if self.index is not None else expr.args


class detach(sympy.Function):  # noqa: N801 - SymPy names a function's class after the function
    """detach(f): the value of f, through which training sends no gradient to the parameters
    (PhysicsNeMo's ``detach``; ``jax.lax.stop_gradient`` in the generated code).

    It stops gradients with respect to the networks' parameters and the unknowns, not
    derivatives along the coordinates: ∂ₓ detach(f) = detach(∂ₓ f), taken by SymPy before
    the value is detached (``lax.stop_gradient`` would make a jet's ∂ₓ zero).  With respect to
    a field (the Euler–Lagrange equations of ``derive``) it is a constant, as in training.  Numbers and
    expressions without fields or unknowns have no gradient to stop: detach(2) is 2.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_number:
            return arg
        if isinstance(arg, detach):  # detached once is detached
            return arg
        return None

    def _eval_derivative(self, s):
        if isinstance(s, sympy.Dummy):  # SymPy's stand-in for a field, d/du (Euler–Lagrange): a constant
            return sympy.S.Zero
        return detach(self.args[0].diff(s))

    def _eval_is_real(self):
        return self.args[0].is_real


def _besselj(order: int, x: sympy.Expr) -> sympy.Expr:
    return sympy.besselj(order, x)


def _bessely(order: int, x: sympy.Expr) -> sympy.Expr:
    return sympy.bessely(order, x)


# J_ν for ν = 0, 1 is written; SymPy's derivatives of J_ν bring in J_{ν+1}
# (J₁' = (J₀ − J₂)/2), so the higher orders have rows too.  The runtime's besselj
# (_runtime/special.py) says why it is not jax.scipy.special.bessel_jn.
_BESSEL_ORDERS = 10  # J₁ differentiated to the derivative-order limit (8) brings in J₉


FUNCTIONS = (
    Function("sin", sympy.sin, "jnp.sin"),
    Function("cos", sympy.cos, "jnp.cos"),
    Function("tan", sympy.tan, "jnp.tan"),
    Function("exp", sympy.exp, "jnp.exp"),
    Function("log", sympy.log, "jnp.log"),
    # SymPy writes sqrt(x) as x**(1/2): it reaches the IR as a power, printed jnp.sqrt
    Function("sqrt", sympy.sqrt, "jnp.sqrt", sympy_class="Pow"),
    Function("tanh", sympy.tanh, "jnp.tanh"),
    Function("sinh", sympy.sinh, "jnp.sinh"),
    Function("cosh", sympy.cosh, "jnp.cosh"),
    Function("arctan", sympy.atan, "jnp.arctan", ("arctan", "atan"), "atan"),
    Function("arcsin", sympy.asin, "jnp.arcsin", sympy_class="asin"),
    Function("arccos", sympy.acos, "jnp.arccos", sympy_class="acos"),
    Function("abs", sympy.Abs, "jnp.abs", sympy_class="Abs", smooth=False),
    Function("erf", sympy.erf, "jax.scipy.special.erf"),
    Function("erfc", sympy.erfc, "jax.scipy.special.erfc"),
    Function("sech", sympy.sech, "jnp.reciprocal(jnp.cosh({}))"),
    Function("csch", sympy.csch, "jnp.reciprocal(jnp.sinh({}))"),
    Function("coth", sympy.coth, "jnp.reciprocal(jnp.tanh({}))"),
    Function("atan2", sympy.atan2, "jnp.arctan2", ("atan2", "arctan2"), arity=2, real=True),
    # SymPy writes log10(x) as log(x)/log(10)
    Function("log10", lambda x: sympy.log(x, 10), "jnp.log10", composite=True),
    # non-smooth and discontinuous: derivatives almost everywhere (see the module docstring)
    Function("sign", sympy.sign, "jnp.sign", smooth=False, real=True),
    # SymPy's Heaviside(x) carries its value at 0, H0 = 1/2, as a second argument
    Function("heaviside", sympy.Heaviside, "jnp.heaviside", sympy_class="Heaviside", smooth=False, real=True),
    Function("max", sympy.Max, "jnp.maximum", sympy_class="Max", arity=2, variadic=True, smooth=False, real=True),
    Function("min", sympy.Min, "jnp.minimum", sympy_class="Min", arity=2, variadic=True, smooth=False, real=True),
    Function("relu", lambda x: sympy.Max(x, 0), "jax.nn.relu", composite=True, smooth=False, real=True),
    # the value, without gradient to the parameters (see `detach`): PhysicsNeMo's detach
    Function("detach", detach, "jax.lax.stop_gradient", ("detach", "stop_gradient")),
    *(
        Function(
            f"besselj{order}",
            functools.partial(_besselj, order),
            f"besselj({order}, {{}})",
            sympy_class="besselj",
            written=order < 2,
            index=order,
        )
        for order in range(_BESSEL_ORDERS)
    ),
    # Y_ν, the second kind, likewise (Y₁' = (Y₀ − Y₂)/2); real for x > 0 only (nan elsewhere)
    *(
        Function(
            f"bessely{order}",
            functools.partial(_bessely, order),
            f"bessely({order}, {{}})",
            sympy_class="bessely",
            written=order < 2,
            index=order,
        )
        for order in range(_BESSEL_ORDERS)
    ),
)

_BY_SPELLING = {word: f for f in FUNCTIONS for word in f.words}
_BY_SYMPY = {(f.sympy_class or f.name, f.index): f for f in FUNCTIONS if f.sympy_class != "Pow" and not f.composite}
_BY_NAME = {f.name: f for f in FUNCTIONS}


def names() -> list[str]:
    """The function names a problem may write, in the table's order."""
    return list(_BY_SPELLING)


def in_text(spelling: str) -> Function | None:
    """The function a problem means by ``spelling``, or None if it is not one."""
    return _BY_SPELLING.get(spelling)


def by_sympy(expr: sympy.Basic) -> Function | None:
    """The row of a SymPy function application (``sympy.atan(x)`` → arctan), or None."""
    name = type(expr).__name__
    if (name, None) in _BY_SYMPY:
        return _BY_SYMPY[name, None]
    first = expr.args[0] if expr.args else None
    index = int(first) if isinstance(first, sympy.Integer) else None
    return _BY_SYMPY.get((name, index))


def lookup(name: str) -> Function:
    """The row of an IR function name; a name without a row is a sentence, not a KeyError."""
    row = _BY_NAME.get(name)
    if row is None:
        close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
        raise PinnError(
            f"no elementary function '{name}' in the function table"
            + (f" (did you mean '{close[0]}'?)" if close else ""),
            help="the functions are rows of symbolic_pinn/_functions.py; add a row there to support a new one",
        )
    return row
