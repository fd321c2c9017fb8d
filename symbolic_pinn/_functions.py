"""The elementary functions: one table that every stage reads.

A row says how a function is written in a problem, which SymPy function the checker
builds (so SymPy's differentiation gives its derivatives), which name it has in the IR,
and what the emitted JAX code calls.  Adding a function is adding a row (and a test
that its derivatives match SymPy's); nothing else in the compiler names functions.

Some rows are never written by a user but arise from SymPy's calculus: ``sign`` is
d|x|/dx.  Some SymPy functions print as something else: ``sqrt(x)`` is ``x**(1/2)`` in
SymPy, so it reaches the IR as a power and the emitter prints it as ``jnp.sqrt``.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable

import sympy

from ._errors import PinnError

__all__ = ["Function", "FUNCTIONS", "by_sympy", "in_text", "lookup", "names"]


@dataclasses.dataclass(frozen=True)
class Function:
    """One elementary function of one argument."""

    name: str  # the name in the IR and the one printed back into problem text
    sympy: Callable[[sympy.Expr], sympy.Expr]  # what the checker builds
    jax: str  # what the generated module calls
    spellings: tuple[str, ...] = ()  # how a problem may write it, when not only by its name
    sympy_class: str | None = None  # SymPy's class name when it differs from the name (None: the name)
    written: bool = True  # False: only SymPy's calculus produces it

    @property
    def words(self) -> tuple[str, ...]:
        """How a problem may write it."""
        return (self.spellings or (self.name,)) if self.written else ()


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
    Function("abs", sympy.Abs, "jnp.abs", sympy_class="Abs"),
    Function("erf", sympy.erf, "jax.scipy.special.erf"),
    # d|x|/dx; not written by users
    Function("sign", sympy.sign, "jnp.sign", written=False),
)

_BY_SPELLING = {word: f for f in FUNCTIONS for word in f.words}
_BY_SYMPY = {f.sympy_class or f.name: f for f in FUNCTIONS if f.sympy_class != "Pow"}
_BY_NAME = {f.name: f for f in FUNCTIONS}


def names() -> list[str]:
    """The function names a problem may write, in the table's order."""
    return list(_BY_SPELLING)


def in_text(spelling: str) -> Function | None:
    """The function a problem means by ``spelling``, or None if it is not one."""
    return _BY_SPELLING.get(spelling)


def by_sympy(expr: sympy.Basic) -> Function | None:
    """The row of a SymPy function application (``sympy.atan(x)`` → arctan), or None."""
    return _BY_SYMPY.get(type(expr).__name__)


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
