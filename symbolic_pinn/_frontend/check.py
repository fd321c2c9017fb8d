"""Stage 2, check: syntax tree → :class:`Spec`, rejecting what does not make sense.

The checker resolves every name (variables, fields, constants, ``let`` macros,
unknowns, built-in functions), turns each expression into SymPy — derivatives of
expressions by SymPy's chain rule — and reports every semantic error with the line,
column and a caret.  User text reaches SymPy only as symbols and numbers built here;
nothing is ever handed to ``eval``, ``exec`` or ``sympify``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import pathlib

import mpmath
import sympy

from .. import _limits
from .._compiler import functions
from .._errors import PinnError, Span
from .._runtime import geometry
from . import syntax as ast
from . import time_variable
from .data import observations
from .regions import BOUNDARY, INTERIOR, Data, Face, Part, Region
from .spec import (
    BoundaryIntegral,
    DataSpec,
    NormalComponent,
    Observed,
    Spec,
    TermSpec,
    normal,
    real_imag,
    rest_of_boundary,
    split_constraint,
    split_integrals,
    substitute_fixed,
    variable,
    warn_ill_posed,
)
from .table import check_covers, read_table, tabulated

__all__ = ["check"]

CONSTANTS = {"pi": sympy.pi, "π": sympy.pi, "e": sympy.E}
OPERATORS = ("D", "grad", "div", "laplace", "dot", "integral")
# operators whose names a problem may still declare for itself (`const re = 100`): a declaration wins
SOFT_OPERATORS = ("re", "im", "conj", "delta")
DELTA_WIDTH = 0.01  # the standard deviation of delta(s) unless the problem gives one
IMAGINARY_UNIT = "i"  # the imaginary unit, unless the problem declares a name `i`
TIME = time_variable.NAME  # a variable of this name is always time; the program's time is self.time
_COMBINATIONS = {"union": geometry.Union, "difference": geometry.Difference, "intersection": geometry.Intersection}


@dataclasses.dataclass
class _Declared:
    kind: str  # variable | field | const | let | shape | unknown | exact
    span: Span
    value: object = None


class _Checker:
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
        self.parameters: list[str] = []  # `param k in [1, 3]`
        self.built: dict[str, geometry.Shape] = {}  # the shapes named by `let` that the domain uses
        self.tables: dict[tuple, type] = {}  # (file, variables) → the SymPy class of table(file, variables)
        self.time = time_variable.from_syntax(program)  # Δ and ∇ act on every variable but time

    # ---- statements ---------------------------------------------------------------

    def run(self) -> Spec:
        for statement in self.program.statements:
            try:
                getattr(self, f"_stmt_{type(statement).__name__}")(statement)
            except RecursionError:
                raise PinnError(
                    "the expression is nested too deeply", statement.span, help="split it with `let` definitions"
                ) from None
        if not self.fields:
            raise PinnError(
                "the problem declares no field",
                help="declare the unknown function, e.g. `field u(x, y)`",
            )
        for statement in self.data_statements:
            self._read_data(statement)
        if not self.terms:
            raise PinnError(
                "the problem has no equation and nothing to minimize",
                help="add an equation such as `-Δu = f` or an energy `minimize ∫ ...`",
            )
        for node, _, _, expr, *_ in self.terms:
            _finite(expr, node)
        for name, expr in self.exact:
            _finite(
                expr,
                next(
                    s
                    for s in self.program.statements
                    if isinstance(s, ast.Definition) and name in (s.name.name, f"{s.name.name}_re", f"{s.name.name}_im")
                ),
            )
        lines = self.program.source.splitlines()
        terms = rest_of_boundary(
            [
                TermSpec(kind, region, expr, weight, _label(lines, node.span), node.span.line, *target)
                for node, kind, region, expr, weight, *target in self.terms
            ],
            self.shape,
        )
        return Spec(
            variables=tuple(self.variables),
            fields=tuple(self.fields),
            unknowns=tuple(self.unknowns),
            terms=terms,
            exact=tuple(self.exact),
            source=self.program.source,
            filename=self.program.filename,
            data=tuple(self.data),
            shape=self.shape,
            parameters=tuple(self.parameters),
            time=self.time,
        )

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

    def _stmt_VariableDecl(self, s: ast.VariableDecl) -> None:
        lo = self._number(s.lo, "the lower end of an interval")
        hi = self._number(s.hi, "the upper end of an interval")
        if not lo < hi:
            raise PinnError(
                f"the interval [{lo:g}, {hi:g}] of '{s.name.name}' is empty",
                s.span,
                help="write the lower end first, e.g. `x in [0, 1]`",
            )
        symbol = variable(s.name.name)
        if s.parameter and s.name.name == TIME:
            raise PinnError(f"'{TIME}' is time, not a parameter", s.name.span, help=f"declare it as `{TIME} in [0, 1]`")
        self._declare(s.name, "variable", (symbol, lo, hi))
        self.variables.append((symbol, lo, hi))
        if s.parameter:
            self.parameters.append(s.name.name)

    def _stmt_DomainDecl(self, s: ast.DomainDecl) -> None:
        if self.shape is not None:
            raise PinnError(
                "the problem already has a shaped domain",
                s.span,
                help="combine shapes in one declaration: `(x, y) in disk((0, 0), 1) ∪ box((0, 0), (2, 1))`",
            )
        for name in s.names:
            if name.name == TIME:
                raise PinnError(
                    f"'{TIME}' is time: it has an interval, not a shape",
                    name.span,
                    help=f"declare it on its own: `{TIME} in [0, 1]`",
                )
        tree = self._shape(s.shape, len(s.names))
        lo, hi = tree.bounds()
        for name, a, b in zip(s.names, lo, hi):
            if name.name in [n.name for n in s.names[: s.names.index(name)]]:
                raise PinnError(f"'{name.name}' appears twice", name.span, help="list each variable once")
            symbol = variable(name.name)
            self._declare(name, "variable", (symbol, float(a), float(b)))
            self.variables.append((symbol, float(a), float(b)))
        self.shape = (tuple(n.name for n in s.names), tree)

    def _shape(self, node: ast.Node, d: int) -> geometry.Shape:
        """The shape a declaration names: a Box, a Ball, or a combination of shapes."""
        if isinstance(node, ast.ShapeOp):
            return _COMBINATIONS[node.op](self._shape(node.left, d), self._shape(node.right, d))
        if isinstance(node, ast.Name):
            declared = self.names.get(node.name)
            if declared is None or declared.kind != "shape":
                raise PinnError(
                    f"'{node.name}' is not a shape",
                    node.span,
                    help=f"name a shape before the domain: `let {node.name} = disk((0, 0), 0.25)`",
                )
            self.built[node.name] = self._shape(declared.value, d)
            return self.built[node.name]
        name = node.name.name
        kind = geometry.named(name)
        if kind is None:
            raise PinnError(
                f"unknown shape '{name}'",
                node.name.span,
                help="shapes: disk(centre, radius), ball(centre, radius), box(lower corner, upper corner), "
                "polygon(p1, p2, ...)",
            )
        kinds = kind.argument_kinds(len(node.args))
        if kinds is None:
            usage = kind.example.replace(kind.names[0], name, 1)
            raise PinnError(
                f"{name} takes {len(kind.arguments)} arguments, got {len(node.args)}",
                node.span,
                help=f"write e.g. {usage}",
            )
        try:
            kind.check_dimension(name, d)
            values = [
                self._point(argument, d)
                if what == "point"
                else self._number(argument, "a radius" if kind is geometry.Ball else "a number")
                for argument, what in zip(node.args, kinds)
            ]
            return kind.build(name, values)
        except geometry.ShapeError as err:
            span = node.args[err.argument].span if err.argument is not None else node.span
            raise PinnError(str(err), span, help=err.help) from None

    def _point(self, node: ast.Node, d: int) -> tuple[float, ...]:
        items = _items(node)
        if len(items) != d:
            raise PinnError(
                f"expected a point with {d} coordinates, got {len(items)}",
                node.span,
                help="one coordinate per declared variable, e.g. (0, 0)",
            )
        return tuple(self._number(item, "a coordinate") for item in items)

    def _stmt_FieldDecl(self, s: ast.FieldDecl) -> None:
        for sig in s.fields:
            args = []
            for arg in sig.args:
                declared = self.names.get(arg.name)
                if declared is None or declared.kind != "variable":
                    raise PinnError(
                        f"'{arg.name}' is not a declared variable",
                        arg.span,
                        help=f"declare it before the field, e.g. `{arg.name} in [0, 1]`",
                    )
                if declared.value[0] in args:
                    raise PinnError(
                        f"'{arg.name}' appears twice among the arguments", arg.span, help="list each variable once"
                    )
                args.append(declared.value[0])
            if sig.complex:  # two real networks, psi_re and psi_im; psi is psi_re + i*psi_im
                parts = []
                for suffix in ("re", "im"):
                    part = sympy.Function(f"{sig.name.name}_{suffix}", real=True)(*args)
                    self._declare(ast.Name(sig.name.span, part.func.__name__), "field", part)
                    self.fields.append(part)
                    parts.append(part)
                self._declare(sig.name, "complex", tuple(parts))
                continue
            applied = sympy.Function(sig.name.name, real=True)(*args)
            self._declare(sig.name, "field", applied)
            self.fields.append(applied)

    def _stmt_Definition(self, s: ast.Definition) -> None:
        if s.keyword == "exact":
            declared = self.names.get(s.name.name)
            if declared is not None and declared.kind == "complex":  # its real and imaginary parts
                value = self._scalar(s.expr)
                self._no_fields(value, s.expr, "an exact solution")
                for part, expr in zip(declared.value, real_imag(value)):
                    self.exact.append((part.func.__name__, expr))
                return
            if declared is None or declared.kind != "field":
                raise PinnError(
                    f"'{s.name.name}' is not a field",
                    s.name.span,
                    help="`exact` gives the reference solution of a declared field: `exact u = ...`",
                )
            if any(name == s.name.name for name, _ in self.exact):
                raise PinnError(
                    f"'{s.name.name}' already has an exact solution",
                    s.name.span,
                    help="keep one `exact` line per field",
                )
            expr = self._scalar(s.expr)
            self._no_fields(expr, s.expr, "an exact solution")
            self.exact.append((s.name.name, expr))
            return
        if s.keyword == "const":
            value = self._number(s.expr, "a constant")
            self._declare(
                s.name, "const", sympy.Float(value) if not float(value).is_integer() else sympy.Integer(int(value))
            )
            exact = self._expr(s.expr)
            self.names[s.name.name].value = exact
            return
        if s.keyword == "unknown":
            value = self._number(s.expr, "the initial value of an unknown")
            symbol = variable(s.name.name)
            self._declare(s.name, "unknown", symbol)
            self.unknowns.append((symbol, value))
            return
        if isinstance(s.expr, ast.Call) and geometry.named(s.expr.name.name) and s.expr.name.name not in self.names:
            self._declare(s.name, "shape", s.expr)  # built by the domain, which knows the dimension
            return
        self._declare(s.name, "let", self._expr(s.expr))

    def _stmt_FunctionDecl(self, s: ast.FunctionDecl) -> None:
        """`let g(x, y) = ...`: the body is checked now (parameters as placeholders), inlined at each call."""
        names = [p.name for p in s.params]
        for i, param in enumerate(s.params):
            if param.name in names[:i]:
                raise PinnError(f"the parameter '{param.name}' appears twice", param.span, help="name each once")
            if param.name in CONSTANTS or functions.in_text(param.name):
                raise PinnError(f"'{param.name}' is a built-in name", param.span, help="choose another parameter name")
        placeholders = {p.name: sympy.Dummy(p.name, real=True) for p in s.params}
        outer, self.params, self.defining = self.params, placeholders, s.name.name
        try:
            self._expr(s.expr)
        finally:
            self.params, self.defining = outer, None
        self._declare(s.name, "function", s)

    def _call_user(self, node: ast.Call, function: ast.FunctionDecl):
        """The body of a user function with its parameters bound to the call's arguments."""
        if len(node.args) != len(function.params):
            count = len(function.params)
            signature = f"{function.name.name}({', '.join(p.name for p in function.params)})"
            raise PinnError(
                f"'{function.name.name}' takes {count} argument{'s' if count != 1 else ''}, got {len(node.args)}",
                node.span,
                help=f"it is declared on line {function.span.line} as {signature}",
            )
        values = {p.name: self._expr(a) for p, a in zip(function.params, node.args)}
        outer, self.params = self.params, values
        try:
            return self._expr(function.expr)
        finally:
            self.params = outer

    def _stmt_DataDecl(self, s: ast.DataDecl) -> None:
        self.data_statements.append(s)  # read once every variable and field is declared

    def _read_data(self, s: ast.DataDecl) -> None:
        """The observations of a `data` line (read and validated by _data), as a term per observed field."""
        base = pathlib.Path(self.program.filename).parent if self.program.filename else pathlib.Path.cwd()
        fields = {f.func.__name__: tuple(a.name for a in f.args) for f in self.fields}
        intervals = {v.name: (lo, hi) for v, lo, hi in self.variables}
        try:
            data = observations(s.path, base, fields, intervals)
        except PinnError as err:
            err.span = s.span
            raise
        self.data.append(data)
        region = Data(s.path)
        for f in self.fields:
            if f.func.__name__ in data.observed:
                self.terms.append((s, "residual", region, f - Observed(f.func.__name__), 1.0))

    def _stmt_Equation(self, s: ast.Equation) -> None:
        lhs, rhs = self._expr(s.lhs), self._expr(s.rhs)
        if isinstance(lhs, tuple) or isinstance(rhs, tuple):  # a vector equation: one term per component
            if not (isinstance(lhs, tuple) and isinstance(rhs, tuple) and len(lhs) == len(rhs)):
                scalar = s.rhs if isinstance(lhs, tuple) else s.lhs
                n = len(lhs) if isinstance(lhs, tuple) else len(rhs)
                raise PinnError(
                    f"one side of this equation is a {_shape(lhs)}, the other a {_shape(rhs)}",
                    scalar.span,
                    help=f"write a vector of {n} components on both sides, e.g. ({', '.join(['0'] * n)}); "
                    "or equate scalars: a component, dot(a, b), div(v), |v|",
                )
            for left, right in zip(lhs, rhs):
                self._equation(s, left, right)
            return
        self._equation(s, lhs, rhs)

    def _equation(self, s: ast.Equation, lhs, rhs) -> None:
        """One scalar equation (a component of a vector one) as a residual term; a complex
        equation as two, its real and imaginary parts."""
        if (lhs - rhs).has(sympy.I) and any(d.kind == "complex" for d in self.names.values()):
            difference = real_imag(lhs - rhs)
            for part in difference:
                if part != 0:
                    self._equation(s, part, sympy.Integer(0))
            return
        domain = {v for v, _, _ in self.variables}
        if (lhs - rhs).has(BoundaryIntegral) or any(
            {limit[0] for limit in i.limits} & domain for i in (lhs - rhs).atoms(sympy.Integral)
        ):
            self._integral_constraint(s, lhs - rhs)
            return
        region = self._region(s.where)
        self._normals_defined(lhs - rhs, region, s)
        try:  # u(0, y) = x + y means x = 0 on both sides
            face = [variable(region.variable)] if isinstance(region, Face) else []
            residual = substitute_fixed(lhs - rhs, self.fields, face)
        except PinnError as err:
            err.span = s.span
            raise
        if residual == 0:  # SymPy's automatic simplification only: no simplify() on user input
            raise PinnError(
                "this equation holds whatever the fields are (both sides are equal)",
                s.span,
                help="such a term trains nothing; note that Dx(u(-1, t)) is 0 — to differentiate first, "
                "write Dx(u)(-1, t)",
            )
        self.terms.append((s, "residual", region, residual, self._weight(s.weight)))

    def _integral_constraint(self, s: ast.Equation, difference) -> None:
        """`∫ p = 1`: one scalar term, (∫ p − 1)², over Ω, a face (`at t = 0`) or ∂Ω (`∮`)."""
        try:
            interior, boundary, target = split_constraint(difference, [v for v, _, _ in self.variables])
        except PinnError as err:
            err.span = s.span
            raise
        if interior is not None and boundary is not None:
            raise PinnError(
                "one constraint cannot add an integral over Ω (∫) to one over the boundary (∮)",
                s.span,
                help="write two constraints, one for each",
            )
        integrand = interior if interior is not None else boundary
        region = self._region(s.where) if s.where is not None else (INTERIOR if boundary is None else BOUNDARY)
        if boundary is not None and region != BOUNDARY:
            raise PinnError(
                f"∮ is over the whole boundary, not over {region.describe()}",
                s.where.span,
                help="for the integral over a face write ∫, e.g. `∫ u = 1 at t = 0`",
            )
        if not integrand.atoms(sympy.core.function.AppliedUndef):
            raise PinnError(
                "this integral involves no field: it is a fixed number, and the constraint trains nothing",
                s.lhs.span,
                help="integrate an expression of the fields, e.g. `∫ p = 1`",
            )
        self._normals_defined(integrand, region, s)
        self.terms.append((s, "integral", region, integrand, self._weight(s.weight), target))

    def _stmt_Minimize(self, s: ast.Minimize) -> None:
        expr = self._scalar(s.expr)
        weight = self._weight(s.weight)
        try:
            interior, boundary = split_integrals(expr, [v for v, _, _ in self.variables])
        except PinnError as err:
            err.span = s.expr.span
            raise
        if interior is None and boundary is None:
            raise PinnError(
                "`minimize` needs an integral",
                s.expr.span,
                help="write the energy as an integral over the domain, e.g. `minimize ∫ (Dx(u))^2`",
            )
        if interior is not None:
            self.terms.append((s, "energy", INTERIOR, interior, weight))
        if boundary is not None:
            self.terms.append((s, "energy", BOUNDARY, boundary, weight))

    def _normals_defined(self, expr, region: Region, s: ast.Node) -> None:
        """The outward normal (∂ₙ, Dn) exists on the boundary and on the ends of a spatial interval."""
        if not expr.atoms(NormalComponent):
            return
        if region == BOUNDARY or isinstance(region, Part):
            return
        if isinstance(region, Face):
            _, lo, hi = self.names[region.variable].value
            if region.variable not in (self.time, *self.parameters) and region.value in (lo, hi):
                return
        raise PinnError(
            "the normal derivative ∂ₙ (Dn) is defined only on the boundary",
            s.span,
            help="add `on ∂Ω`, or `at x = 1` on an end of a spatial interval",
        )

    def _region(self, where) -> Region:
        if where is None:
            return INTERIOR
        if isinstance(where, ast.OnBoundary):
            if not any(v.name not in (self.time, *self.parameters) for v, _, _ in self.variables):
                raise PinnError(
                    "∂Ω is the spatial boundary, but there is no spatial variable",
                    where.span,
                    help="an initial condition is a face of t: `at t = 0`",
                )
            return BOUNDARY
        if isinstance(where, ast.OnPart):
            return self._part(where)
        declared = self.names.get(where.variable.name)
        if declared is None or declared.kind != "variable":
            raise PinnError(
                f"'{where.variable.name}' is not a declared variable",
                where.variable.span,
                help=f"a face is named by a variable: `at x = 1`; declared variables: {self._list('variable')}",
            )
        if where.variable.name in self.parameters:
            raise PinnError(
                f"'{where.variable.name}' is a parameter: it has no faces",
                where.variable.span,
                help=f"a condition for one value of it gives the field there, e.g. `u(0, {where.variable.name}) = 0` "
                "for u(x, k) — or make it a variable",
            )
        value = self._number(where.value, "the coordinate of a face")
        if self.shape is not None and where.variable.name in self.shape[0]:
            self._parts_allowed(where)
            axis = self.shape[0].index(where.variable.name)
            part = Part(f"{where.variable.name} = {value:g}", geometry.PlanePart(axis, value))
            if self.shape[1].part_measure(part.part) <= 0:
                raise PinnError(
                    f"the plane {where.variable.name} = {value:g} holds no flat piece of the boundary of "
                    f"{self.shape[1]}",
                    where.variable.span,
                    help="a face of a shaped domain is a straight piece of its boundary (a side of a box "
                    "or polygon); use `on ∂Ω` or `on ∂name` for curved parts, or a field at a point: `u(0, 0) = 1`",
                )
            return part
        _, lo, hi = declared.value
        if not lo <= value <= hi:
            raise PinnError(
                f"{where.variable.name} = {value:g} is outside the interval [{lo:g}, {hi:g}]",
                where.value.span,
                help=f"a condition `at {where.variable.name} = a` needs {lo:g} ≤ a ≤ {hi:g}",
            )
        return Face(where.variable.name, value)

    def _parts_allowed(self, where) -> None:
        """A part of the boundary needs a shaped domain holding every spatial variable."""
        if self.shape is None:
            raise PinnError(
                "a part of the boundary needs a shaped domain",
                where.span,
                help="declare one, e.g. `(x, y) in box((0, 0), (1, 1)) \\ hole`; the ends of an interval "
                "are faces: `at x = 1`",
            )
        loose = [v.name for v, _, _ in self.variables if v.name not in (self.time, *self.parameters, *self.shape[0])]
        if loose:
            raise PinnError(
                f"parts of the boundary need every spatial variable in the shape, but {', '.join(loose)} "
                "has an interval",
                where.span,
                help="use `on ∂Ω` here, or faces `at x = a`",
            )

    def _part(self, where: ast.OnPart) -> Part:
        """`on ∂hole`, `on ∂box(...)`: the part of ∂Ω on the surface of one shape of the domain."""
        self._parts_allowed(where)
        names, domain = self.shape
        node = where.shape
        if isinstance(node, ast.Name):
            declared = self.names.get(node.name)
            if declared is None or declared.kind != "shape":
                shapes = self._list("shape")
                raise PinnError(
                    f"'{node.name}' is not a shape",
                    node.span,
                    help=f"name a shape with `let {node.name} = disk((0, 0), 0.25)` and use it in the domain; "
                    f"shapes named here: {shapes}",
                )
            if node.name not in self.built:
                raise PinnError(
                    f"the shape '{node.name}' is not part of the domain",
                    node.span,
                    help=f"use it in the domain's declaration, e.g. `({', '.join(names)}) in box(...) \\ {node.name}`",
                )
            shape, label = self.built[node.name], f"∂{node.name}"
        else:
            shape = self._shape(node, len(names))
            label = f"∂{shape}"
        primitives = [p for p, _ in domain.parts()]
        if shape not in primitives:
            raise PinnError(
                f"{shape} is not one of the shapes the domain is made of",
                node.span,
                help=f"the domain's shapes: {', '.join(map(str, primitives))}",
            )
        part = Part(label, geometry.SurfacePart(primitives.index(shape)))
        if domain.part_measure(part.part) <= 0:
            raise PinnError(
                f"{label} is not on the boundary of the domain (other shapes cover it)",
                node.span,
                help="name a shape whose surface bounds the domain",
            )
        return part

    def _weight(self, node) -> float:
        if node is None:
            return 1.0
        value = self._number(node, "a weight")
        if value < 0:
            raise PinnError(f"the weight {value:g} is negative", node.span, help="weights must be zero or positive")
        return value

    def _number(self, node: ast.Node, what: str) -> float:
        expr = self._scalar(node)
        if expr.free_symbols or expr.atoms(sympy.Derivative, sympy.core.function.AppliedUndef):
            raise PinnError(
                f"{what} must be a number",
                node.span,
                help="use numbers, `pi`, `e` and constants declared with `const`",
            )
        number = complex(expr.evalf())
        if number.imag != 0:
            raise PinnError(f"{what} evaluates to the complex number {number}", node.span, help="use a real value")
        value = number.real
        if not math.isfinite(value):
            raise PinnError(f"{what} evaluates to {value}", node.span, help="use a finite value")
        return value

    def _no_fields(self, expr, node, what: str) -> None:
        if expr.atoms(sympy.core.function.AppliedUndef):
            raise PinnError(f"{what} may not use fields", node.span, help="write it in the variables only")

    def _list(self, kind: str) -> str:
        names = [n for n, d in self.names.items() if d.kind == kind]
        return ", ".join(names) if names else "none"

    # ---- expressions --------------------------------------------------------------

    def _scalar(self, node: ast.Node) -> sympy.Expr:
        value = self._expr(node)
        if isinstance(value, tuple):
            raise PinnError(
                f"expected a scalar here, found a vector of {len(value)} components",
                node.span,
                help="take a component-free scalar such as |v|, dot(v, w) or div(v)",
            )
        return value

    def _vector(self, node: ast.Node) -> tuple:
        value = self._expr(node)
        if not isinstance(value, tuple):
            raise PinnError("expected a vector here, found a scalar", node.span, help="write a vector as (a, b)")
        return value

    def _expr(self, node: ast.Node):
        return getattr(self, f"_expr_{type(node).__name__}")(node)

    def _expr_Number(self, node: ast.Number):
        if not math.isfinite(node.value):
            raise PinnError(
                f"the number {node.text[:20]}{'…' if len(node.text) > 20 else ''} is too large",
                node.span,
                help="numbers must be below about 1.8e308 (double precision)",
            )
        if node.text.isdigit() and len(node.text) <= 18:
            return sympy.Integer(int(node.text))
        return sympy.Float(node.value)

    def _expr_Name(self, node: ast.Name):
        if node.name in self.params:
            return self.params[node.name]
        if node.name in self.bound:
            return self.bound[node.name]
        declared = self.names.get(node.name)
        if declared is None:
            if node.name in CONSTANTS:
                return CONSTANTS[node.name]
            if node.name == IMAGINARY_UNIT:
                return sympy.I
            raise self._unknown_name(node)
        if declared.kind == "variable":
            return declared.value[0]
        if declared.kind == "exact":
            raise self._unknown_name(node)
        if declared.kind == "complex":
            re, im = declared.value
            return re + sympy.I * im
        if declared.kind == "function":
            params = ", ".join(p.name for p in declared.value.params)
            raise PinnError(
                f"'{node.name}' is a function of ({params})",
                node.span,
                help=f"call it with arguments: {node.name}({params})",
            )
        if declared.kind == "shape":
            raise PinnError(
                f"'{node.name}' is a shape, not a value",
                node.span,
                help=f"a shape goes in the domain, `(x, y) in box(...) \\ {node.name}`, and in conditions, "
                f"`on ∂{node.name}`",
            )
        return declared.value

    def _unknown_name(self, node: ast.Name) -> PinnError:
        if any(ch in node.name for ch in "²³"):
            base = node.name.rstrip("²³")
            return PinnError(
                f"'{node.name}': a superscript is not a power",
                node.span,
                help=f"write {base}^{'2' if node.name.endswith('²') else '3'}",
            )
        known = sorted(self.names) + sorted(CONSTANTS)
        close = difflib.get_close_matches(node.name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return PinnError(
            f"unknown name '{node.name}'",
            node.span,
            help=f"{hint}declare it first (`field`, `const`, `let`, `unknown`, or `{node.name} in [a, b]`); "
            f"names in scope: {', '.join(known)}",
        )

    def _expr_Neg(self, node: ast.Neg):
        value = self._expr(node.arg)
        if isinstance(value, tuple):
            return tuple(-v for v in value)
        return -value

    def _expr_BinOp(self, node: ast.BinOp):
        # long left-leaning chains (a + b + c + ...) are folded in a loop, not by recursion
        group = "+-" if node.op in "+-" else "*/" if node.op in "*/" else None
        if group is None:
            return self._binop(node, self._expr(node.left), self._expr(node.right))
        chain = [node]
        while isinstance(chain[-1].left, ast.BinOp) and chain[-1].left.op in group:
            chain.append(chain[-1].left)
        first = self._expr(chain[-1].left)
        operands = [(link, self._expr(link.right)) for link in reversed(chain)]
        if isinstance(first, tuple) or any(isinstance(v, tuple) for _, v in operands):
            value = first
            for link, right in operands:
                value = self._binop(link, value, right)
            return value
        for link, right in operands:  # scalars: check each step, build the sum at once
            if link.op == "/" and right == 0:
                self._binop(link, first, right)
        if group == "+-":
            return sympy.Add(first, *[right if link.op == "+" else -right for link, right in operands])
        return sympy.Mul(first, *[right if link.op == "*" else 1 / right for link, right in operands])

    def _binop(self, node: ast.BinOp, left, right):
        lv, rv = isinstance(left, tuple), isinstance(right, tuple)
        if node.op in "+-":
            if lv != rv or (lv and len(left) != len(right)):
                raise PinnError(
                    f"cannot {'add' if node.op == '+' else 'subtract'} a {_shape(left)} and a {_shape(right)}",
                    node.span,
                    help="both sides of + and - must be scalars, or vectors of the same length",
                )
            sign = 1 if node.op == "+" else -1
            if lv:
                return tuple(a + sign * b for a, b in zip(left, right))
            return left + sign * right
        if node.op == "*":
            if lv and rv:
                raise PinnError("cannot multiply two vectors with *", node.span, help="use dot(a, b)")
            if lv:
                return tuple(a * right for a in left)
            if rv:
                return tuple(left * b for b in right)
            return left * right
        if rv:
            raise PinnError(
                f"cannot {'divide by' if node.op == '/' else 'raise to'} a vector",
                node.right.span,
                help="divide by a scalar such as |v|",
            )
        if node.op == "/":
            if right == 0:
                raise PinnError("division by zero", node.right.span, help="the divisor is identically zero")
            return tuple(a / right for a in left) if lv else left / right
        if lv:
            raise PinnError("cannot raise a vector to a power", node.span, help="use |v|^2 or dot(v, v)")
        _power_bounded(left, right, node)
        return left**right

    def _expr_Vector(self, node: ast.Vector):
        return tuple(self._scalar(item) for item in node.items)

    def _expr_Conditional(self, node: ast.Conditional):
        cond = self._condition(node.cond)
        then, otherwise = self._scalar(node.then), self._scalar(node.otherwise)
        return sympy.Piecewise((then, cond), (otherwise, True))

    _RELATIONS = {
        "<": sympy.StrictLessThan,
        "<=": sympy.LessThan,
        ">": sympy.StrictGreaterThan,
        ">=": sympy.GreaterThan,
    }

    def _condition(self, node: ast.Node):
        """A condition of `if`: comparisons of scalars joined by and, or, not."""
        if isinstance(node, ast.Logic):
            args = [self._condition(a) for a in node.args]
            return {"and": sympy.And, "or": sympy.Or, "not": sympy.Not}[node.op](*args)
        if isinstance(node, ast.Comparison):
            values = [self._scalar(a) for a in node.operands]
            return sympy.And(*(self._RELATIONS[op](a, b) for op, a, b in zip(node.ops, values, values[1:])))
        raise PinnError(
            "expected a condition here",
            node.span,
            help="a condition compares two expressions: `x < 0.5`, `0 < x <= 1`; join them with and, or, not",
        )

    def _expr_Comparison(self, node: ast.Comparison):
        raise PinnError(
            "a comparison has no numeric value",
            node.span,
            help="use it as the condition of `if c then a else b`, or heaviside(b - a) for a step",
        )

    _expr_Logic = _expr_Comparison

    def _expr_Norm(self, node: ast.Norm):
        value = self._expr(node.arg)
        if isinstance(value, tuple):
            return sympy.sqrt(sum(v**2 for v in value))
        if value.has(sympy.I):  # |z|, and |z|^2 = re² + im² without a square root
            re, im = real_imag(value)
            return sympy.sqrt(re**2 + im**2)
        return sympy.Abs(value)

    def _expr_Integral(self, node: ast.Integral):
        if isinstance(node.arg, ast.Vector) and not node.boundary:
            return self._definite_integral(node, node.arg.items)
        integrand = self._scalar(node.arg)
        if node.boundary:
            return BoundaryIntegral(integrand)
        return sympy.Integral(integrand, *[(s, lo, hi) for s, lo, hi in self.variables])

    def _definite_integral(self, node: ast.Node, items) -> sympy.Expr:
        """∫(f, s, a, b): a new variable ``s`` bound in ``f``, limits in the coordinates."""
        if len(items) != 4:
            raise PinnError(
                f"a definite integral takes 4 parts (integrand, variable, lower, upper), got {len(items)}",
                node.span,
                help="write ∫(f, s, a, b), e.g. ∫(u(s, t), s, 0, x)",
            )
        integrand, dummy, lo_node, hi_node = items
        if not isinstance(dummy, ast.Name):
            raise PinnError("expected the name of the integration variable", dummy.span, help="write ∫(f, s, a, b)")
        if dummy.name in self.names or dummy.name in CONSTANTS or dummy.name in self.bound:
            raise PinnError(
                f"the integration variable '{dummy.name}' is already a name in scope",
                dummy.span,
                help="integrate over a new name, e.g. ∫(u(s, t), s, 0, x)",
            )
        lo, hi = self._scalar(lo_node), self._scalar(hi_node)
        for limit, limit_node in ((lo, lo_node), (hi, hi_node)):
            self._no_fields(limit, limit_node, "the limits of an integral")
        symbol = variable(dummy.name)
        self.bound[dummy.name] = symbol
        try:
            f = self._scalar(integrand)
        finally:
            del self.bound[dummy.name]
        return sympy.Integral(f, (symbol, lo, hi))

    def _expr_Laplace(self, node: ast.Laplace):
        return self._laplace(self._expr(node.arg), node)

    def _laplace(self, value, node):
        """Δ of a scalar; of a vector, component by component."""
        if isinstance(value, tuple):
            return tuple(self._laplace(v, node) for v in value)
        return sum(_diff(_diff(value, s, node.span), s, node.span) for s in self._spatial(node))

    def _expr_Nabla(self, node: ast.Nabla):
        value = self._scalar(node.arg)
        return tuple(_diff(value, s, node.span) for s in self._spatial(node))

    def _spatial(self, node) -> list[sympy.Symbol]:
        spatial = [s for s, _, _ in self.variables if s.name not in (self.time, *self.parameters)]
        if not spatial:
            raise PinnError("Δ and ∇ need a spatial variable", node.span, help="declare e.g. `x in [0, 1]`")
        return spatial

    def _expr_Partial(self, node: ast.Partial):
        _limits.DERIVATIVE_ORDER.check(len(node.variables), node.span, "this derivative")
        value = self._expr(node.arg)
        for letter in node.variables:
            value = self._diff(value, letter, node.span, node)
        return value

    def _diff(self, value, letter: str, span: Span, node: ast.Node):
        """∂/∂letter (of a vector: of each component); ``n`` (when no variable has that name) is
        the outward normal: ∂ₙ = n·∇."""
        if isinstance(value, tuple):
            return tuple(self._diff(v, letter, span, node) for v in value)
        if letter == "n" and "n" not in self.names:
            return sum(normal(s.name) * _diff(value, s, span) for s in self._spatial(node))
        return _diff(value, self._variable_named(letter, span), span)

    def _variable_named(self, name: str, span: Span) -> sympy.Symbol:
        if name in self.bound:  # an integration variable, inside its integral
            return self.bound[name]
        declared = self.names.get(name)
        if declared is None or declared.kind != "variable":
            raise PinnError(
                f"derivative with respect to '{name}', which is not a declared variable",
                span,
                help=f"declared variables: {self._list('variable')}",
            )
        return declared.value[0]

    def _expr_Directional(self, node: ast.Directional):
        if node.name.name != "D":
            raise PinnError(f"unknown operator '{node.name.name}[...]'", node.name.span, help="write D[v](u)")
        direction = self._vector(node.direction)
        value = self._expr(node.arg)
        spatial = self._spatial(node)
        if len(direction) != len(spatial):
            raise PinnError(
                f"the direction has {len(direction)} components but there are {len(spatial)} spatial variables",
                node.direction.span,
                help=f"give one component per spatial variable ({', '.join(s.name for s in spatial)})",
            )
        if isinstance(value, tuple):  # (v·∇)U: each component of U along v
            return tuple(sum(d * _diff(c, s, node.span) for d, s in zip(direction, spatial)) for c in value)
        return sum(d * _diff(value, s, node.span) for d, s in zip(direction, spatial))

    def _expr_Call(self, node: ast.Call):
        name = node.name.name
        if name == self.defining:
            raise PinnError(
                f"'{name}' calls itself: user functions are inlined, so they cannot be recursive",
                node.name.span,
                help="write the expression without recursion",
            )
        declared = self.names.get(name)
        if declared is not None and name not in self.params:
            if declared.kind == "field":
                return self._field_call(node, declared.value)
            if declared.kind == "complex":  # psi(0, t): both parts there
                re, im = (self._field_call(node, part) for part in declared.value)
                return re + sympy.I * im
            if declared.kind == "function":
                return self._call_user(node, declared.value)
            raise PinnError(
                f"'{name}' is a {declared.kind}, not a function",
                node.name.span,
                help=f"use it without arguments: {name}",
            )
        function = functions.in_text(name)
        if function is not None:
            if len(node.args) != function.arity and not (function.variadic and len(node.args) > function.arity):
                count = f"{'at least ' if function.variadic else ''}{function.arity}"
                usage = ", ".join("ab"[: function.arity]) if function.arity > 1 else "expression"
                raise PinnError(
                    f"{name} takes {count} argument{'s' if function.arity > 1 else ''}, got {len(node.args)}",
                    node.span,
                    help=f"write {name}({usage})",
                )
            args = [self._scalar(a) for a in node.args]
            if function.arity == 1:
                _function_of_number_bounded(function.name, args[0], node)
            return function.sympy(*args)
        if name in OPERATORS or name in SOFT_OPERATORS:
            return getattr(self, f"_call_{name}")(node)
        if len(name) > 1 and name[0] == "D" and name[1:].isalpha():
            return self._call_subscripted(node)
        if name == "table":
            raise PinnError(
                "table takes the quoted name of its file first",
                node.span,
                help='write table("coef.csv", x) for values tabulated over x in coef.csv',
            )
        close = difflib.get_close_matches(name, functions.names() + list(OPERATORS), n=1)
        return_hint = f"did you mean '{close[0]}'? " if close else ""
        raise PinnError(
            f"unknown function '{name}'",
            node.name.span,
            help=f"{return_hint}functions: {', '.join(functions.names())}; "
            "operators: Dx(u), D(u, x), grad, div, laplace, dot",
        )

    def _expr_FileCall(self, node: ast.FileCall):
        """`table("coef.csv", x, y)`: values on a grid in a file beside the problem, interpolated (_table)."""
        if node.name.name != "table":
            raise PinnError(
                f"'{node.name.name}' does not take a file name: only table(...) does",
                node.path_span,
                help='write table("coef.csv", x) for values tabulated over x',
            )
        if not node.args:
            raise PinnError(
                "table needs the variables its values are tabulated over",
                node.span,
                help=f'write table("{node.path}", x) or table("{node.path}", x, y)',
            )
        variables = {}
        for arg in node.args:
            declared = self.names.get(arg.name) if isinstance(arg, ast.Name) else None
            if declared is None or declared.kind != "variable" or arg.name in self.params or arg.name in self.bound:
                raise PinnError(
                    "the arguments of table are variables, each naming a column of the file",
                    arg.span,
                    help=f'write table("{node.path}", x, y) with declared variables',
                )
            if arg.name in variables:
                raise PinnError(f"table names the variable '{arg.name}' twice", arg.span)
            _, lo, hi = declared.value
            variables[arg.name] = (float(lo), float(hi))
        key = (node.path, tuple(variables))
        if key not in self.tables:
            base = pathlib.Path(self.program.filename).parent if self.program.filename else pathlib.Path.cwd()
            stem = "".join(c if c.isalnum() or c == "_" else "_" for c in pathlib.PurePath(node.path).stem) or "table"
            name, i = (stem if stem.isidentifier() else f"table_{stem}"), 2
            taken = {c.table.name for c in self.tables.values()}
            while name in taken:
                name, i = f"{stem}_{i}", i + 1
            try:
                data = read_table(name, node.path, base, list(variables))
                check_covers(data, variables)
            except PinnError as err:
                err.span = node.path_span if "column" not in err.message else node.span
                raise
            self.tables[key] = tabulated(data)
        return self.tables[key](*(self.names[v].value[0] for v in variables))

    def _field_call(self, node: ast.Call, applied: sympy.Expr):
        args = [self._scalar(a) for a in node.args]
        if len(args) != len(applied.args):
            count = len(applied.args)
            raise PinnError(
                f"'{node.name.name}' takes {count} argument{'s' if count != 1 else ''}, got {len(args)}",
                node.span,
                help=f"it is declared as {applied}",
            )
        if tuple(args) == applied.args:
            return applied
        for arg, arg_node, slot in zip(args, node.args, applied.args):
            self._coordinate(arg, arg_node, slot)
        return applied.func(*args)

    def _coordinate(self, value: sympy.Expr, node: ast.Node, slot: sympy.Symbol) -> None:
        """Check a coordinate given for the variable ``slot``: no fields, inside its interval."""
        self._no_fields(value, node, "a coordinate")
        _, lo, hi = self.names[slot.name].value
        if value.is_number and not lo <= float(value) <= hi:
            raise PinnError(
                f"{slot} = {float(value):g} is outside the interval [{lo:g}, {hi:g}] of '{slot}'",
                node.span,
                help=f"a coordinate for {slot} must lie in [{lo:g}, {hi:g}]",
            )

    def _expr_Apply(self, node: ast.Apply):
        """`Dx(u)(-1, t)`: the value of an expression of fields at other coordinates.

        The coordinates are given in the order of the fields' arguments, so every
        field in the expression must take the same ones.
        """
        value = self._scalar(node.head)
        fields = value.atoms(sympy.core.function.AppliedUndef)
        signatures = {f.args for f in fields}
        if len(signatures) != 1:
            raise PinnError(
                "evaluating at coordinates needs an expression of fields with the same arguments",
                node.head.span,
                help="write e.g. `Dx(u)(-1, t)` for u(x, t)",
            )
        (slots,) = signatures
        if len(node.args) != len(slots):
            raise PinnError(
                f"{len(node.args)} coordinates given, but the expression is a function of "
                f"({', '.join(map(str, slots))})",
                node.span,
                help="give one coordinate per argument, in that order",
            )
        point = {}
        for slot, arg_node in zip(slots, node.args):
            point[slot] = self._scalar(arg_node)
            self._coordinate(point[slot], arg_node, slot)
        return value.subs(point, simultaneous=True)

    def _one_arg(self, node: ast.Call):
        if len(node.args) != 1:
            raise PinnError(f"{node.name.name} takes one argument, got {len(node.args)}", node.span)
        return node.args[0]

    def _call_subscripted(self, node: ast.Call):
        _limits.DERIVATIVE_ORDER.check(len(node.name.name) - 1, node.name.span, "this derivative")
        arg = self._one_arg(node)
        value = self._expr(arg)
        for letter in node.name.name[1:]:
            value = self._diff(value, letter, node.name.span, node)
        return value

    def _call_D(self, node: ast.Call):
        if len(node.args) < 2:
            raise PinnError(
                "D needs an expression and at least one variable", node.span, help="write D(u, x) or D(u, x, y)"
            )
        _limits.DERIVATIVE_ORDER.check(len(node.args) - 1, node.span, "this derivative")
        value = self._expr(node.args[0])
        for arg in node.args[1:]:
            if not isinstance(arg, ast.Name):
                raise PinnError("expected a variable name", arg.span, help="write D(u, x, y)")
            symbol = self._variable_named(arg.name, arg.span)
            if isinstance(value, tuple):
                value = tuple(_diff(v, symbol, node.span) for v in value)
            else:
                value = _diff(value, symbol, node.span)
        return value

    def _call_grad(self, node: ast.Call):
        return self._expr_Nabla(ast.Nabla(node.span, self._one_arg(node)))

    def _call_laplace(self, node: ast.Call):
        return self._laplace(self._expr(self._one_arg(node)), node)

    def _call_div(self, node: ast.Call):
        value = self._vector(self._one_arg(node))
        spatial = self._spatial(node)
        if len(value) != len(spatial):
            raise PinnError(
                f"div of a vector of {len(value)} components, but there are {len(spatial)} spatial variables",
                node.span,
            )
        return sum(_diff(v, s, node.span) for v, s in zip(value, spatial))

    def _call_dot(self, node: ast.Call):
        if len(node.args) != 2:
            raise PinnError(f"dot takes two vectors, got {len(node.args)} arguments", node.span)
        a, b = self._vector(node.args[0]), self._vector(node.args[1])
        if len(a) != len(b):
            raise PinnError(f"dot of vectors of lengths {len(a)} and {len(b)}", node.span)
        return sum(x * y for x, y in zip(a, b))

    def _call_re(self, node: ast.Call):
        return real_imag(self._scalar(self._one_arg(node)))[0]

    def _call_im(self, node: ast.Call):
        return real_imag(self._scalar(self._one_arg(node)))[1]

    def _call_conj(self, node: ast.Call):
        re, im = real_imag(self._scalar(self._one_arg(node)))
        return re - sympy.I * im

    def _call_delta(self, node: ast.Call):
        """delta(s) or delta(s, width): a point source as a normalised Gaussian of standard deviation
        ``width`` (collocation points cannot see a true Dirac delta; the PINN literature smooths it)."""
        if len(node.args) not in (1, 2):
            raise PinnError(
                f"delta takes 1 or 2 arguments, got {len(node.args)}",
                node.span,
                help=f"write delta(x - x0), or delta(x - x0, width) (width {DELTA_WIDTH:g} by default)",
            )
        s = self._scalar(node.args[0])
        width = self._number(node.args[1], "the width of delta") if len(node.args) == 2 else DELTA_WIDTH
        if width <= 0:
            raise PinnError(f"the width {width:g} of delta is not positive", node.args[1].span, help="e.g. 0.01")
        width = sympy.Float(width)
        return sympy.exp(-(s**2) / (2 * width**2)) / (sympy.sqrt(2 * sympy.pi) * width)

    def _call_integral(self, node: ast.Call):
        if len(node.args) > 1:
            return self._definite_integral(node, node.args)
        return self._expr_Integral(ast.Integral(node.span, self._one_arg(node), boundary=False))


def _finite(expr: sympy.Expr, node: ast.Node) -> None:
    """Reject expressions that SymPy already knows to be infinite or undefined."""
    if expr.has(sympy.I):
        raise PinnError(
            "this expression has an imaginary part (the square root or log of a negative number?)",
            node.span,
            help="fields and equations are real-valued, unless a field is declared complex: `field psi(x, t) complex`",
        )
    bad = [a for a in (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan) if expr.has(a)]
    if bad or any(isinstance(a, sympy.Float) and not math.isfinite(float(a)) for a in expr.atoms(sympy.Float)):
        raise PinnError(
            "this expression is infinite or undefined (a division by zero, log(0), or a number too large?)",
            node.span,
            help="check the constants and functions in it",
        )


def _items(node: ast.Node) -> tuple:
    """The coordinates written in a point: ``(0, 1)``, or one number."""
    return node.items if isinstance(node, ast.Vector) else (node,)


def _diff(value, symbol: sympy.Symbol, span: Span):
    """``sympy.diff`` within the limits (_limits): the order of any derivative, the size of the result.

    The size of a derivative is estimated before it is taken (the product rule turns a
    product of k factors into k products), so the Laplacian of a product of 50 factors is
    refused at once instead of after minutes of SymPy.
    """
    size = _tree_size(value)
    widest = max((len(m.args) for m in sympy.preorder_traversal(value) if m.is_Mul), default=1)
    _limits.EXPRESSION_SIZE.check(size * widest, span, "this derivative would be too large")
    result = sympy.diff(value, symbol)
    if result.has(sympy.DiracDelta):
        raise PinnError(
            f"this derivative with respect to {symbol} is a Dirac delta: "
            "the expression jumps (heaviside, sign, or a derivative of |.|, max or min)",
            span,
            help="a jump has no derivative at points; for the derivative almost everywhere write the "
            "jump as `if c then a else b`, whose derivative is taken branch by branch",
        )
    orders = [sum(count for _, count in d.variable_count) for d in result.atoms(sympy.Derivative)]
    _limits.DERIVATIVE_ORDER.check(max(orders, default=0), span, "this derivative")
    _limits.EXPRESSION_SIZE.check(_tree_size(result), span, "this derivative is too large")
    return result


def _tree_size(expr) -> int:
    return sum(1 for _ in sympy.preorder_traversal(expr))


def _power_bounded(left, right, node: ast.BinOp) -> None:
    """A numeric exponent of at most _limits.EXPONENT; a power of numbers between 1e-300 and 1e300.

    SymPy computes a power of exact numbers exactly: (1/3)^100000000 would take hours.
    """
    if not right.is_Number or not right.is_finite:  # nan, zoo: refused by _finite
        return
    _limits.EXPONENT.check(10 ** min(_log10(right), 300), node.right.span, "this power")
    if left.is_Number and left.is_finite and left != 0:
        digits = float(right) * _log10(left)
        if abs(digits) > 300:
            raise PinnError(
                f"this power is too {'large' if digits > 0 else 'small'} to compute (about 1e{digits:.0f})",
                node.span,
                help="numbers must stay between about 1e-300 and 1e300",
            )


def _function_of_number_bounded(name: str, arg, node: ast.Node) -> None:
    """exp(exp(exp(100))) is a number SymPy would try to compute to its last digit (for hours):
    a built-in function of a number must give a float below about 1e308."""
    if not arg.is_number or name not in ("exp", "sinh", "cosh"):
        return
    try:
        value = float(arg.evalf(15))  # arg was bounded when it was built, so this is quick
        finite = math.isfinite(getattr(math, name)(value))
    except (OverflowError, TypeError, ValueError):
        finite = False
    if not finite:
        raise PinnError(
            f"{name} of this number is too large to compute",
            node.span,
            help="numbers must stay below about 1e308 (double precision)",
        )


def _log10(number: sympy.Number) -> float:
    """log10 |number| of a nonzero SymPy number, however large or small (exact for rationals)."""
    if number.is_Rational:
        return math.log10(abs(number.p)) - math.log10(number.q)
    return float(mpmath.log10(abs(mpmath.mpf(number._mpf_))))  # a Float: mpmath's exponent is unbounded


def _shape(value) -> str:
    return f"vector of {len(value)}" if isinstance(value, tuple) else "scalar"


def _label(lines: list[str], span: Span) -> str:
    if 1 <= span.line <= len(lines):
        line = lines[span.line - 1]
        end = span.end_column if span.end_line == span.line and span.end_column else len(line) + 1
        return line[span.column - 1 : end - 1].strip()
    return ""


def check(program: ast.Program) -> Spec:
    """Resolve names and build the SymPy form of a parsed problem."""
    try:
        spec = _Checker(program).run()
    except PinnError as err:
        raise err.with_source(program.source, program.filename) from None
    except RecursionError:
        raise PinnError(
            "the expression is nested too deeply",
            help="split it with `let` definitions",
            source=program.source,
            filename=program.filename,
        ) from None
    warn_ill_posed(spec)
    return spec
