"""The checker's state and names: what every part of the checker reads and writes.

:class:`Scope` holds the declarations found so far (``names``), the variables, fields,
unknowns and terms the :class:`Spec` is made of, and what is in scope while an
expression is checked (integration variables, a user function's parameters).  The
other modules of this package each add the methods of one concern to it.
"""

from __future__ import annotations

import dataclasses

import sympy

from ... import _functions as functions
from ..._errors import PinnError, Span
from ..._runtime import geometry
from .. import syntax as ast
from .. import time_variable
from ..regions import Region
from ..spec import DataSpec

CONSTANTS = {"pi": sympy.pi, "π": sympy.pi, "e": sympy.E}
OPERATORS = ("D", "grad", "div", "laplace", "dot", "integral")
# operators whose names a problem may still declare for itself (`const re = 100`): a declaration wins
SOFT_OPERATORS = ("re", "im", "conj", "delta")
DELTA_WIDTH = 0.01  # the standard deviation of delta(s) unless the problem gives one
IMAGINARY_UNIT = "i"  # the imaginary unit, unless the problem declares a name `i`
TIME = time_variable.NAME  # a variable of this name is always time; the program's time is self.time


@dataclasses.dataclass
class _Declared:
    kind: str  # variable | field | const | let | shape | unknown | exact
    span: Span
    value: object = None


class Scope:
    """Declarations and terms found so far; the names in scope."""

    def __init__(self, program: ast.Program):
        self.program = program
        self.names: dict[str, _Declared] = {}
        self.variables: list[tuple[sympy.Symbol, float, float]] = []
        self.fields: list[sympy.Expr] = []
        self.unknowns: list[tuple[sympy.Symbol, float]] = []
        self.terms: list[tuple[ast.Node, str, Region, sympy.Expr, float]] = []
        self.exact: list[tuple[str, sympy.Expr]] = []
        self.data_statements: list[ast.DataDecl] = []
        self.data: list[DataSpec] = []
        self.bound: dict[str, sympy.Symbol] = {}  # integration variables in scope
        self.shape: tuple | None = None  # (variable names, Shape) of `(x, y) in disk(...)`
        self.params: dict[str, object] = {}  # the parameters of the user function being inlined
        self.defining: str | None = None  # the user function whose body is being checked
        self.inlined = 0  # syntax nodes of user functions inlined into the statement being checked
        self.inlining = False  # inside a user function's body, whose calls its size counts
        self.function_sizes: dict[str, int] = {}  # each user function's body, its own calls inlined
        self.parameters: list[str] = []  # `param k in [1, 3]`
        self.built: dict[str, geometry.Shape] = {}  # the shapes named by `let` that the domain uses
        self.tables: dict[tuple, type] = {}  # (file, variables) → the SymPy class of table(file, variables)
        self.time = time_variable.from_syntax(program)  # Δ and ∇ act on every variable but time

    def _declare(self, name: ast.Name, kind: str, value=None) -> None:
        if name.name in self.names:
            first = self.names[name.name]
            raise PinnError(
                f"'{name.name}' is already declared (as a {first.kind} on line {first.span.line})",
                name.span,
                help="choose another name, or remove one of the declarations",
            )
        if name.name in CONSTANTS or functions.in_text(name.name) or name.name in OPERATORS:
            raise PinnError(
                f"'{name.name}' is a built-in name and cannot be redeclared",
                name.span,
                help="choose another name",
            )
        if name.name.startswith("_"):
            raise PinnError(
                f"names may not start with an underscore: '{name.name}'",
                name.span,
                help="choose a name that starts with a letter",
            )
        self.names[name.name] = _Declared(kind, name.span, value)

    def _list(self, kind: str) -> str:
        names = [n for n, d in self.names.items() if d.kind == kind]
        return ", ".join(names) if names else "none"

    def _spatial_names(self) -> tuple[str, ...]:
        """The spatial variables (all but time and the parameters): those of Δ, ∇, ∂Ω and the normal."""
        return tuple(v.name for v, _, _ in self.variables if v.name not in (self.time, *self.parameters))
