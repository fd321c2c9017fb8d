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
from .. import identifiers, time_variable
from .. import syntax as ast
from ..regions import Region
from ..spec import DataSpec

CONSTANTS = {"pi": sympy.pi, "π": sympy.pi, "e": sympy.E}
OPERATORS = ("D", "grad", "div", "laplace", "dot", "integral")
# `D(u, x)` stays the derivative, but a value that is never called may be named D (`const D = 0.1`,
# a diffusivity): the declaration is what `D` alone means, D(...) and D[v](u) the operator
DERIVATIVE = "D"
# likewise Δ: a value may be named Δ (`const Δ = 0.1`), and then Δ alone is that value; Δ followed by an
# operand (Δu, Δ(u)) is refused as ambiguous in such a problem (laplace(u) and ∇²u stay the Laplacian)
LAPLACIAN = "Δ"
VALUE_KINDS = ("const", "let", "unknown")
# operators whose names a problem may still declare for itself (`const re = 100`): a declaration wins
SOFT_OPERATORS = ("re", "im", "conj", "delta", "sum")
ALIASES = {"dirac": "delta", "δ": "delta"}  # other spellings of soft operators, as soft (a declaration wins)
DELTA_WIDTH = 0.01  # the standard deviation of delta(s) unless the problem gives one
IMAGINARY_UNIT = "i"  # the imaginary unit, unless the problem declares a name `i`
TIME = time_variable.NAME  # a variable of this name is always time; the program's time is self.time


@dataclasses.dataclass
class _Declared:
    kind: str  # variable | field | const | let | shape | unknown | exact | region
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
        self.indices: dict[str, sympy.Integer] = {}  # the indices of the sums in scope, at their values
        self.limits: dict[sympy.Symbol, tuple[float, float]] = {}  # their ranges, sampled from their limits
        self.shape: tuple | None = None  # (variable names, Shape) of `(x, y) in disk(...)`
        self.boxed: list = []  # `x in [0, L]`: the sides (name, lo, hi) of the box whose sides depend on params
        self.params: dict[str, object] = {}  # the parameters of the user function being inlined
        self.defining: str | None = None  # the user function whose body is being checked
        self.inlined = 0  # syntax nodes of user functions inlined into the statement being checked
        self.inlining = False  # inside a user function's body, whose calls its size counts
        self.function_sizes: dict[str, int] = {}  # each user function's body, its own calls inlined
        self.parameters: list[str] = []  # `param k in [1, 3]`
        self.maps: list = []  # `x in [0, ∞) with x = s/(1 - s), s in [0, 1]`: the .maps.VariableMap of each
        self.homes: dict[str, str] = {}  # `field u1(x) in A`: the field's name → its region's
        self.built: dict[str, geometry.Shape] = {}  # the shapes named by `let` that the domain uses
        self.tables: dict[tuple, type] = {}  # (file, variables) → the SymPy class of table(file, variables)
        self.time = time_variable.from_syntax(program)  # Δ and ∇ act on every variable but time
        self.variable_names = _declared_variables(program)  # every variable, declared before or after
        self.delta_value = _delta_value(program)  # `const Δ = 0.1`, wherever in the program: its name, or None

    def _declare(self, name: ast.Name, kind: str, value=None) -> None:
        if name.name in self.names:
            first = self.names[name.name]
            raise PinnError(
                f"'{name.name}' is already declared (as a {first.kind} on line {first.span.line})",
                name.span,
                help="choose another name, or remove one of the declarations",
            )
        if name.name == DERIVATIVE and kind not in VALUE_KINDS:
            raise PinnError(
                f"'D' is the derivative operator, D(u, x): a {kind} named D would be called like it",
                name.span,
                help="a value may be named D (`const D = 0.1`, `unknown D = 1`, `let D = ...`); "
                "choose another name for this one",
            )
        if name.name in CONSTANTS or functions.in_text(name.name) or name.name in OPERATORS and name.name != DERIVATIVE:
            raise PinnError(
                f"'{name.name}' is a built-in name and cannot be redeclared",
                name.span,
                help="choose another name",
            )
        self._not_look_alike(name)
        self._not_a_derivative(name)
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

    def _intervals(self) -> dict[sympy.Symbol, tuple[float, float]]:
        """The interval of each variable, and the range of each integration variable in scope."""
        return {**{s: (lo, hi) for s, lo, hi in self.variables}, **self.limits}

    def _shaped(self) -> tuple | None:
        """``(names, shape)`` of the shaped domain, or None."""
        return self.shape

    def _not_look_alike(self, name: ast.Name) -> None:
        """Refuse a name drawn like one already declared or built in (Cyrillic а beside Latin a)."""
        plain = identifiers.skeleton(name.name)
        for other in [*self.names, *CONSTANTS, *functions.names(), *OPERATORS]:
            if other != name.name and identifiers.skeleton(other) == plain:
                where = self.names[other] if other in self.names else None
                declared = f"declared on line {where.span.line}" if where else "built in"
                raise PinnError(
                    f"{identifiers.spelled(name.name)} looks the same as {identifiers.spelled(other)} ({declared}) "
                    "but is a different name",
                    name.span,
                    help=f"use one spelling; if two names are meant, choose names that look different (not {other})",
                )

    def _not_a_derivative(self, name: ast.Name) -> None:
        """Refuse ``Dx`` (D then variables' letters) as a name: ``Dx(u)`` would stop meaning ∂u/∂x."""
        text = name.name
        if len(text) < 2 or text[0] != "D" or not text[1:].isalpha():
            return
        letters = set(text[1:])
        variables = self.variable_names | {"n"}
        if letters <= variables:
            raise PinnError(
                f"'{text}' is the derivative operator ({text}(u) = ∂u/∂{'∂'.join(text[1:])} with these "
                "variables), so it cannot be a name",
                name.span,
                help=f"choose another name, e.g. {text[0].lower()}{text[1:]} or {text}_",
            )


def _delta_value(program: ast.Program) -> ast.Name | None:
    """The name of a value the program calls Δ (`const Δ = 0.1`, `let Δ = ...`, `unknown Δ = 1`), or None."""
    for statement in program.statements:
        if isinstance(statement, ast.Definition) and statement.name.name == LAPLACIAN:
            return statement.name
    return None


def _declared_variables(program: ast.Program) -> set[str]:
    """The names of every variable the program declares, wherever in it."""
    names = set()
    for statement in program.statements:
        if isinstance(statement, (ast.VariableDecl, ast.IndexedDecl)):
            names.add(statement.name.name)
        elif isinstance(statement, ast.DomainDecl):
            names.update(n.name for n in statement.names)
    return names
