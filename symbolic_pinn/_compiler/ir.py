"""The IR: frozen, hashable nodes; derivatives are structured, never strings.

A derivative of a field is ``Field(name, alpha)`` where ``alpha`` is a multi-index
over the field's arguments: for ``field u(x, y)``, ``Field("u", (2, 0))`` is ∂²u/∂x².
Equal nodes compare and hash equal, so common subexpressions are found by a dict.

The text form (``--emit ir``) is meant to be read::

    term pde: residual on interior, weight 1
      -u_xx - u_yy - 2*pi^2*sin(pi*x)*sin(pi*y)
"""

from __future__ import annotations

import dataclasses

from .._frontend.regions import (  # noqa: F401 - the IR's regions
    BOUNDARY,
    INTERIOR,
    Boundary,
    Data,
    Face,
    Interface,
    Interior,
    Part,
    Region,
    Within,
    home_words,
)


class Expr:
    """Base class of expression nodes."""

    __slots__ = ()


@dataclasses.dataclass(frozen=True)
class Num(Expr):
    value: float


@dataclasses.dataclass(frozen=True)
class Const(Expr):
    """A named mathematical constant: ``pi`` or ``e``."""

    name: str


@dataclasses.dataclass(frozen=True)
class Var(Expr):
    """An independent variable (a coordinate of the points)."""

    name: str


@dataclasses.dataclass(frozen=True)
class Unknown(Expr):
    """A trainable scalar (inverse problems)."""

    name: str


@dataclasses.dataclass(frozen=True)
class Observed(Expr):
    """The observed value of a field at a data point (inverse problems)."""

    name: str


@dataclasses.dataclass(frozen=True)
class Field(Expr):
    """∂^alpha of a field: ``alpha[i]`` derivatives along the field's i-th argument.

    ``at`` is the point where it is evaluated, one expression per argument, when that
    is not the field's own coordinates: ``u(-1, t)`` is ``Field("u", (0, 0), (Num(-1),
    Var("t")))``, and inside ``∫(u(s, t), s, 0, x)`` the integrand holds ``u`` at
    ``(Var("s"), Var("t"))``.  None means the collocation point itself.
    """

    name: str
    alpha: tuple[int, ...]
    at: tuple[Expr, ...] | None = None

    @property
    def order(self) -> int:
        return sum(self.alpha)


@dataclasses.dataclass(frozen=True)
class SecondOrderSum(Expr):
    """Σᵢ weights[i] ∂²/∂(argument i)² of a field — a collapsed sum of second derivatives.

    Never produced by lowering: the planner introduces it where a term is linear,
    with constant coefficients, in a field's pure second derivatives (Δu, u_t − ν u_xx).
    """

    name: str
    weights: tuple[float, ...]
    at: tuple[Expr, ...] | None = None  # as in Field


@dataclasses.dataclass(frozen=True)
class DerivativeSum(Expr):
    """Σ c_α ∂^α of a field over multi-indices α of one order K ≥ 3 — a collapsed sum.

    Never produced by lowering: the planner introduces it where a term is linear, with
    constant coefficients, in a field's derivatives of its highest order K (Δ²u,
    ``u_xxxx``, ``u_xxy + u_xyy``), or uses one such derivative in any way (``u·u_xxx``).
    One collapsed Taylor-mode jet along a few directions computes it.
    """

    name: str
    terms: tuple[tuple[tuple[int, ...], float], ...]  # (α, c_α), α sorted
    at: tuple[Expr, ...] | None = None  # as in Field

    @property
    def order(self) -> int:
        return sum(self.terms[0][0])


@dataclasses.dataclass(frozen=True)
class Add(Expr):
    args: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Mul(Expr):
    args: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Pow(Expr):
    base: Expr
    exp: Expr


@dataclasses.dataclass(frozen=True)
class Call(Expr):
    """An elementary function applied to one argument: ``sin``, ``exp``, ``abs``, ..."""

    fn: str
    arg: Expr


@dataclasses.dataclass(frozen=True)
class CallMany(Expr):
    """A function of several arguments from the table: ``max(a, b)``, ``atan2(y, x)``."""

    fn: str
    args: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Table(Expr):
    """∂^alpha of the interpolant of a tabulated function (``table("coef.csv", x)``) at ``args``.

    Its values are in :attr:`Program.tables` under ``name``; the interpolant is multilinear,
    so ``alpha`` has entries 0 or 1 (higher derivatives are zero and never reach the IR).
    """

    name: str
    alpha: tuple[int, ...]
    args: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Compare(Expr):
    """``left op right`` with ``op`` one of ``< <= > >= == !=``: a condition, true or false."""

    op: str
    left: Expr
    right: Expr


@dataclasses.dataclass(frozen=True)
class Logic(Expr):
    """``and`` / ``or`` of conditions, or ``not`` of one."""

    op: str
    args: tuple[Expr, ...]


@dataclasses.dataclass(frozen=True)
class Where(Expr):
    """``if cond then then else otherwise``, evaluated pointwise (``jnp.where``)."""

    cond: Expr
    then: Expr
    otherwise: Expr


@dataclasses.dataclass(frozen=True)
class Integral(Expr):
    """∫ integrand d(dummy) from ``lo`` to ``hi``, a definite integral inside an equation.

    ``dummy`` is a variable bound in ``integrand`` only; the limits may depend on the
    coordinates.  Computed by Gauss–Legendre quadrature.
    """

    integrand: Expr
    dummy: str
    lo: Expr
    hi: Expr


@dataclasses.dataclass(frozen=True)
class Normal(Expr):
    """The component along ``variable`` of the outward unit normal of the boundary.

    Defined only on boundary points; the sampler provides it with the points.
    """

    variable: str


# ---- the program ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    lo: float
    hi: float


@dataclasses.dataclass(frozen=True)
class FieldDecl:
    name: str
    args: tuple[str, ...]
    # `field u1(x) in A`: the box it lives in, ((variable, lo, hi), ...), or the shape, ((variables, Shape),)
    # (the runtime's in_home reads either); () for all of Ω
    region: tuple[tuple[str, float, float], ...] = ()


@dataclasses.dataclass(frozen=True)
class Term:
    """A loss term: ``residual`` (mean square of ``expr``), ``energy`` (∫ ``expr``) or
    ``integral`` (a constraint: (∫ ``expr`` − ``target``)²).

    ``label`` is provenance (the source text of the statement): it is printed, but
    not part of the term's identity, so equal mathematics gives equal terms.
    """

    name: str
    kind: str
    region: Region
    expr: Expr
    weight: float
    label: str = dataclasses.field(default="", compare=False)
    target: float = 0.0  # the value ∫ ``expr`` must have, in an ``integral`` term
    point_weight: Expr | None = None  # `weight 1 - 20*abs(x)`: multiplies each point's squared residual


@dataclasses.dataclass(frozen=True)
class Program:
    variables: tuple[Variable, ...]
    fields: tuple[FieldDecl, ...]
    unknowns: tuple[tuple[str, float], ...]
    terms: tuple[Term, ...]
    exact: tuple[tuple[str, Expr], ...]
    # (variables, tree): variables ranging together over a shape (see _runtime.shape_distance)
    shape: tuple | None = None
    parameters: tuple[str, ...] = ()  # `param k in [1, 3]`: network inputs, not coordinates of space
    tables: tuple = ()  # the _table.TableData of every table the terms and exact solutions use, by name
    time: str | None = None  # the time variable, found by the front end (_frontend.time_variable)

    @property
    def spatial(self) -> tuple[str, ...]:
        """The spatial variables: all but time and the parameters, in declaration order."""
        return tuple(v.name for v in self.variables if v.name != self.time and v.name not in self.parameters)

    @property
    def non_spatial(self) -> tuple[str, ...]:
        """The parameters and time: the variables the runtime's ``sample_region`` is told are not space."""
        return (*self.parameters, *([self.time] if self.time else []))

    def field(self, name: str) -> FieldDecl:
        return next(f for f in self.fields if f.name == name)


class ALGEBRA:
    """The algebra a shape builds its φ and its measure with (``Shape.exact_distance``,
    ``Shape.measure_expression``): IR nodes."""

    num = Num

    @staticmethod
    def add(*terms: Expr) -> Expr:
        return Add(terms)

    @staticmethod
    def mul(*factors: Expr) -> Expr:
        return Mul(factors)

    @staticmethod
    def square(e: Expr) -> Expr:
        return Pow(e, Num(2.0))

    @staticmethod
    def minus(e: Expr, value: float) -> Expr:
        """e − value, without a zero."""
        return e if value == 0 else Add((e, Num(-value)))

    @staticmethod
    def power(e: Expr, k: float) -> Expr:
        return Pow(e, Num(k))


def walk(expr: Expr, *, into_integrals: bool = True):
    """Every node of an expression, parents before children.

    With ``into_integrals=False`` the integrand of an :class:`Integral` is skipped
    (its limits are not): what one scope of evaluation computes itself.
    """
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (Add, Mul, CallMany, Logic, Table)):
            stack.extend(reversed(node.args))
        elif isinstance(node, Compare):
            stack.extend((node.right, node.left))
        elif isinstance(node, Where):
            stack.extend((node.otherwise, node.then, node.cond))
        elif isinstance(node, Pow):
            stack.extend((node.exp, node.base))
        elif isinstance(node, Call):
            stack.append(node.arg)
        elif isinstance(node, Field) and node.at is not None:
            stack.extend(reversed(node.at))
        elif isinstance(node, Integral):
            stack.extend((node.hi, node.lo))
            if into_integrals:
                stack.append(node.integrand)


def unknowns_of(term: Term) -> list[str]:
    """The unknowns a term uses, sorted by name."""
    return sorted({n.name for n in walk(term.expr) if isinstance(n, Unknown)})


def uses_normals(term: Term) -> bool:
    """Whether a term needs the outward normal at its points (∂ₙ, Dn)."""
    return any(isinstance(n, Normal) for n in walk(term.expr))


def observed_fields(program: Program, term: Term) -> list[str]:
    """The fields whose observations a term compares with, in declaration order."""
    names = {n.name for n in walk(term.expr) if isinstance(n, Observed)}
    return [f.name for f in program.fields if f.name in names]


def replace(expr: Expr, mapping: dict) -> Expr:
    """``expr`` with every node found in ``mapping`` replaced by its value."""
    if expr in mapping:
        return mapping[expr]
    if isinstance(expr, (Add, Mul)):
        return type(expr)(tuple(replace(a, mapping) for a in expr.args))
    if isinstance(expr, Pow):
        return Pow(replace(expr.base, mapping), replace(expr.exp, mapping))
    if isinstance(expr, Call):
        return Call(expr.fn, replace(expr.arg, mapping))
    if isinstance(expr, CallMany):
        return CallMany(expr.fn, tuple(replace(a, mapping) for a in expr.args))
    if isinstance(expr, Logic):
        return Logic(expr.op, tuple(replace(a, mapping) for a in expr.args))
    if isinstance(expr, Table):
        return Table(expr.name, expr.alpha, tuple(replace(a, mapping) for a in expr.args))
    if isinstance(expr, Compare):
        return Compare(expr.op, replace(expr.left, mapping), replace(expr.right, mapping))
    if isinstance(expr, Where):
        return Where(*(replace(a, mapping) for a in (expr.cond, expr.then, expr.otherwise)))
    if isinstance(expr, Integral):  # the integrand is a scope of its own: limits only
        return Integral(expr.integrand, expr.dummy, replace(expr.lo, mapping), replace(expr.hi, mapping))
    return expr


def derivative_name(field: str, alpha: tuple[int, ...], args: tuple[str, ...]) -> str:
    """``u``, ``u_x``, ``u_xxy``; ``u_x1_x2`` when a variable name is longer than a letter."""
    letters = [name for name, k in zip(args, alpha) for _ in range(k)]
    if not letters:
        return field
    sep = "" if all(len(a) == 1 for a in args) else "_"
    return f"{field}_{sep.join(letters)}"


def second_order_name(node: SecondOrderSum, args: tuple[str, ...] | None) -> str:
    """``lap_u`` for the Laplacian, ``u_xx`` for one term, else ``L_u_<weights>``."""
    nonzero = [i for i, w in enumerate(node.weights) if w != 0]
    if len(nonzero) == 1 and node.weights[nonzero[0]] == 1 and args is not None:
        alpha = tuple(2 if i == nonzero[0] else 0 for i in range(len(node.weights)))
        return derivative_name(node.name, alpha, args)
    if all(w == 1 for w in node.weights):
        return f"lap_{node.name}"
    return f"L_{node.name}"


def derivative_sum_name(node: DerivativeSum, args: tuple[str, ...] | None) -> str:
    """``u_xxx`` for one term, ``bilap_u`` for Δ² over all the field's arguments, else ``L4_u``."""
    terms = dict(node.terms)
    if len(terms) == 1 and args is not None and next(iter(terms.values())) == 1:
        return derivative_name(node.name, next(iter(terms)), args)
    d = len(node.terms[0][0])
    bilaplacian = {}
    for i in range(d):
        for j in range(d):
            alpha = tuple(2 * (k == i) + 2 * (k == j) for k in range(d))
            bilaplacian[alpha] = bilaplacian.get(alpha, 0.0) + 1.0
    if terms == bilaplacian:
        return f"bilap_{node.name}"
    return f"L{node.order}_{node.name}"


# ---- text form --------------------------------------------------------------------

_PRECEDENCE = {Add: 1, Mul: 2, Pow: 3}


def format_expr(expr: Expr, program: Program | None = None) -> str:
    """Infix text of an expression, for `--emit ir` and messages."""
    return _fmt(expr, program, 0)


def _fmt(e: Expr, program, outer: int) -> str:
    if isinstance(e, Num):
        text = repr(int(e.value)) if e.value.is_integer() and abs(e.value) < 1e15 else repr(e.value)
        return f"({text})" if e.value < 0 and outer > 1 else text
    if isinstance(e, (Const, Var, Unknown)):
        return e.name
    if isinstance(e, Observed):
        return f"{e.name}_observed"
    if isinstance(e, Field):
        args = program.field(e.name).args if program else tuple(f"#{i}" for i in range(len(e.alpha)))
        name = derivative_name(e.name, e.alpha, args)
        if e.at is not None:
            name += "(" + ", ".join(_fmt(a, program, 0) for a in e.at) + ")"
        return name
    if isinstance(e, Integral):
        integrand, lo, hi = (_fmt(a, program, 0) for a in (e.integrand, e.lo, e.hi))
        return f"∫({integrand}, {e.dummy}, {lo}, {hi})"
    if isinstance(e, Normal):
        return f"n_{e.variable}"
    if isinstance(e, Call):
        return f"{e.fn}({_fmt(e.arg, program, 0)})"
    if isinstance(e, CallMany):
        return f"{e.fn}({', '.join(_fmt(a, program, 0) for a in e.args)})"
    if isinstance(e, Table):
        table = next((t for t in program.tables if t.name == e.name), None) if program else None
        name = derivative_name(e.name, e.alpha, table.variables) if table else e.name
        if table is None and any(e.alpha):
            name = f"D{list(e.alpha)}({e.name})"
        return f"{name}({', '.join(_fmt(a, program, 0) for a in e.args)})"
    if isinstance(e, Compare):
        return f"{_fmt(e.left, program, 1)} {e.op} {_fmt(e.right, program, 1)}"
    if isinstance(e, Logic):
        if e.op == "not":
            return f"not ({_fmt(e.args[0], program, 0)})"
        return f" {e.op} ".join(f"({_fmt(a, program, 0)})" for a in e.args)
    if isinstance(e, Where):
        parts = (_fmt(a, program, 0) for a in (e.cond, e.then, e.otherwise))
        return "(if {} then {} else {})".format(*parts)
    if isinstance(e, SecondOrderSum):
        return second_order_name(e, program.field(e.name).args if program else None)
    if isinstance(e, DerivativeSum):
        return derivative_sum_name(e, program.field(e.name).args if program else None)
    if isinstance(e, Add):
        text = _fmt(e.args[0], program, 1)
        for a in e.args[1:]:
            part = _fmt(a, program, 1)
            text += f" - {part[1:]}" if part.startswith("-") else f" + {part}"
        return f"({text})" if outer > 1 else text
    if isinstance(e, Mul):
        if isinstance(e.args[0], Num) and e.args[0].value == -1:
            text = "-" + _fmt(Mul(e.args[1:]) if len(e.args) > 2 else e.args[1], program, 2)
        else:
            text = "*".join(_fmt(a, program, 2) for a in e.args)
        return f"({text})" if outer > 2 else text
    if isinstance(e, Pow):
        return f"{_fmt(e.base, program, 4)}^{_fmt(e.exp, program, 4)}"
    raise TypeError(f"not an IR expression: {e!r}")


def format_program(program: Program) -> str:
    """The whole program as readable text (`symbolic-pinn compile --emit ir`)."""
    lines = []
    for v in program.variables:
        kind = "param" if v.name in program.parameters else "variable"
        lines.append(f"{kind} {v.name} in [{v.lo:g}, {v.hi:g}]")
    for table in program.tables:
        lines.append(table.describe())
    if program.shape is not None:
        lines.append(f"domain ({', '.join(program.shape[0])}) in {program.shape[1]}")
    for f in program.fields:
        where = home_words(f.region)
        lines.append(f"field {f.name}({', '.join(f.args)})" + (f" in {where}" if where else ""))
    for name, init in program.unknowns:
        lines.append(f"unknown {name} = {init:g}")
    for t in program.terms:
        value = f" = {t.target:g}" if t.kind == "integral" else ""
        weight = f"{t.weight:g}" + ("" if t.point_weight is None else f" × ({format_expr(t.point_weight, program)})")
        lines.append(f"term {t.name}: {t.kind}{value} on {t.region.describe()}, weight {weight}    # {t.label}")
        lines.append(f"  {format_expr(t.expr, program)}")
    for name, expr in program.exact:
        lines.append(f"exact {name} = {format_expr(expr, program)}")
    return "\n".join(lines) + "\n"
