"""Stage 3, lower: :class:`Spec` (SymPy) → :class:`Program` (the IR).

SymPy's canonical forms make lowering deterministic: sums and products are taken in
SymPy's printing order (``as_ordered_terms`` / ``as_ordered_factors``), so the same
mathematics gives the same IR whichever front end built it.
"""

from __future__ import annotations

import sympy
from sympy.core.function import AppliedUndef

from .. import _functions as functions
from .._errors import PinnError, Span
from .._frontend.regions import underlying
from .._frontend.spec import NormalComponent, Observed, Spec
from .._frontend.table import Tabulated
from .._runtime.geometry import Family
from . import ir

__all__ = ["lower"]


class _Lowering:
    def __init__(self, spec: Spec):
        self.variables = {s.name for s, _, _ in spec.variables}
        self.unknowns = {s.name for s, _ in spec.unknowns}
        self.fields = {f.func.__name__: f.args for f in spec.fields}
        self.bound: set[str] = set()  # integration variables of the integrals being lowered
        self.tables: dict = {}  # name → TableData of the tables met

    def expr(self, e: sympy.Basic) -> ir.Expr:
        if isinstance(e, sympy.Add):
            return ir.Add(tuple(self.expr(a) for a in e.as_ordered_terms()))
        if isinstance(e, sympy.Mul):
            return ir.Mul(tuple(self.expr(a) for a in e.as_ordered_factors()))
        if isinstance(e, sympy.Pow):
            return ir.Pow(self.expr(e.base), self.expr(e.exp))
        if e is sympy.pi:
            return ir.Const("pi")
        if e is sympy.E:
            return ir.Const("e")
        if isinstance(e, sympy.Number):
            value = float(e)
            return ir.Num(value)
        if isinstance(e, Observed):
            return ir.Observed(e.name)
        if isinstance(e, NormalComponent):
            return ir.Normal(e.variable)
        if isinstance(e, sympy.Symbol):
            if e.name in self.variables or e.name in self.bound:
                return ir.Var(e.name)
            if e.name in self.unknowns:
                return ir.Unknown(e.name)
            raise PinnError(f"the symbol '{e.name}' is neither a variable nor an unknown")
        if isinstance(e, AppliedUndef):
            return self.field(e, {})
        if isinstance(e, Tabulated):
            return self.table(e)
        if isinstance(e, sympy.Derivative):
            return self.derivative(e)
        if isinstance(e, sympy.Subs) and isinstance(e.expr, sympy.Derivative):
            # ∂u evaluated where an argument is an expression: u_x at (x + 1, t)
            return self.derivative(e.expr, dict(zip(e.variables, e.point)))
        if isinstance(e, sympy.Integral):
            return self.integral(e)
        if isinstance(e, sympy.Piecewise):
            return self.piecewise(e)
        if isinstance(e, (sympy.core.relational.Relational, sympy.logic.boolalg.BooleanFunction)):
            return self.condition(e)
        if isinstance(e, sympy.DiracDelta):
            raise PinnError(
                f"{e} is a Dirac delta: the derivative of a jump (heaviside, sign) has no value at points",
                help="differentiate where the expression is smooth, or write the jump as a condition on a face",
            )
        function = functions.by_sympy(e)
        if function is not None:
            args = tuple(self.expr(a) for a in function.arguments(e))
            return ir.Call(function.name, args[0]) if len(args) == 1 else ir.CallMany(function.name, args)
        raise PinnError(
            f"cannot compile {type(e).__name__}: {e}",
            help=f"supported functions: {', '.join(functions.names())}",
        )

    def table(self, e: Tabulated) -> ir.Table:
        """A tabulated function; its values go into the program's tables under its name."""
        known = self.tables.setdefault(e.table.name, e.table)
        if known != e.table:
            raise PinnError(
                f"two different tables are named '{e.table.name}' ({known.describe()}; {e.table.describe()})",
                help="give them different names",
            )
        return ir.Table(e.table.name, e.alpha, tuple(self.expr(a) for a in e.args))

    def piecewise(self, e: sympy.Piecewise) -> ir.Where:
        """SymPy's (value, condition) pairs, first true wins, as nested ``jnp.where``."""
        *pieces, (last, otherwise) = e.args
        if otherwise is not sympy.true:
            raise PinnError(
                f"the piecewise expression {e} has no value where no condition holds",
                help="end it with an otherwise branch: Piecewise(..., (value, True)), or `if c then a else b`",
            )
        node = self.expr(last)
        for value, cond in reversed(pieces):
            node = ir.Where(self.condition(cond), self.expr(value), node)
        return node

    _COMPARISONS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}
    _LOGIC = {sympy.And: "and", sympy.Or: "or", sympy.Not: "not"}

    def condition(self, c) -> ir.Expr:
        if isinstance(c, sympy.core.relational.Relational) and c.rel_op in self._COMPARISONS:
            return ir.Compare(c.rel_op, self.expr(c.lhs), self.expr(c.rhs))
        if type(c) in self._LOGIC:
            return ir.Logic(self._LOGIC[type(c)], tuple(self.condition(a) for a in c.args))
        raise PinnError(f"cannot compile the condition {c}", help="use comparisons < <= > >= joined by and, or, not")

    def derivative(self, e: sympy.Derivative, point: dict | None = None) -> ir.Field:
        if not isinstance(e.expr, AppliedUndef):
            raise PinnError(f"cannot differentiate {e.expr}", help="write the derivative of a field or expression")
        counts = {}
        for symbol, k in e.variable_count:
            counts[symbol] = counts.get(symbol, 0) + int(k)
        return self.field(e.expr, counts, point or {})

    def field(self, applied: AppliedUndef, counts: dict, point: dict | None = None) -> ir.Field:
        """∂^counts of a field; at its own coordinates, or at ``applied``'s arguments."""
        name = applied.func.__name__
        args = self.fields.get(name)
        if args is None:
            raise PinnError(f"'{name}' is not a declared field")
        # differentiation is along the field's argument slots, whatever sits in them
        alpha = tuple(counts.get(a, 0) if isinstance(a, sympy.Symbol) else 0 for a in applied.args)
        if sum(alpha) != sum(counts.values()):
            raise PinnError(f"cannot compile the derivative of {applied}", help="differentiate along its arguments")
        if applied.args == args and not point:
            return ir.Field(name, alpha)
        at = tuple(self.expr(a.xreplace(point or {})) for a in applied.args)
        own = tuple(ir.Var(a.name) for a in args)
        return ir.Field(name, alpha, None if at == own else at)

    def integral(self, e: sympy.Integral) -> ir.Integral:
        """∫(f, s, a, b); SymPy merges nested integrals into one with several limits, innermost first."""
        if any(len(limit) != 3 for limit in e.limits):
            raise PinnError(f"cannot compile the integral {e}", help="inside an equation write ∫(f, s, a, b)")
        dummies = [limit[0] for limit in e.limits]
        if any(d.name in self.variables for d in dummies):
            raise PinnError(
                "an integral over the whole domain cannot be part of an equation",
                help="energies go in `minimize ∫ ...`; inside an equation write ∫(f, s, a, b) over a new variable",
            )
        names = {d.name for d in dummies} - self.bound
        self.bound |= names
        try:
            node = self.expr(e.function)
            for dummy, lo, hi in e.limits:
                node = ir.Integral(node, dummy.name, self.expr(lo), self.expr(hi))
        finally:
            self.bound -= names
        return node


def _only_at_points(expr: ir.Expr) -> bool:
    """Whether every field in ``expr`` is evaluated at other coordinates than its own."""
    fields = [n for n in ir.walk(expr, into_integrals=False) if isinstance(n, ir.Field)]
    return bool(fields) and all(f.at is not None for f in fields)


def _term_names(spec: Spec, exprs: list[ir.Expr]) -> list[str]:
    """pde, bc, ic (the first time), tc (another time), energy, integral; numbered when one kind appears again."""
    base = []
    for term, expr in zip(spec.terms, exprs):
        face = underlying(term.region)  # `at t = 0` in A, or `where x < 0.5`: still ic
        if isinstance(term.region, ir.Data):
            base.append("data")
        elif term.kind == "energy":
            base.append("energy" if term.region.inside() else "energy_boundary")
        elif term.kind == "integral":
            base.append("integral")
        elif term.region.inside() and _only_at_points(expr):
            base.append("bc")  # u(-1, t) = u(1, t): a condition, though sampled in the interior
        elif term.region.inside():
            base.append("pde")
        elif isinstance(face, ir.Face) and face.variable == spec.time:
            start = next(lo for s, lo, _ in spec.variables if s.name == spec.time)
            base.append("ic" if face.value == start else "tc")  # initial, or terminal (at a later time); `where` aside
        else:
            base.append("bc")
    names, seen = [], {}
    for b in base:
        seen[b] = seen.get(b, 0) + 1
        names.append(b if base.count(b) == 1 else f"{b}{seen[b]}")
    return names


def _per_value(spec: Spec, term, expr: ir.Expr) -> ir.Expr:
    """An integral's integrand over a family of shapes (``disk((0, 0), r)``), times |Ω(r)| / mean |Ω|.

    Its points are drawn value by value (r, then points in the disk of that r), so the mean of
    f over them weighs each value of r alike; ∫ dr ∫_Ω(r) f dx weighs each by |Ω(r)|.  The
    region's measure (∫ |Ω(r)| dr) times the mean of f·|Ω(r)|/mean |Ω| is that integral.
    """
    if term.kind not in ("energy", "integral") or spec.shape is None or not isinstance(spec.shape[1], Family):
        return expr
    variables, family = spec.shape
    loose = [s.name for s, _, _ in spec.variables if s.name not in variables and s.name != spec.time]
    loose = [v for v in loose if v not in spec.parameters]
    on_boundary = term.region == ir.BOUNDARY and not loose
    measure = None
    if term.region == ir.INTERIOR or isinstance(term.region, ir.Face) and term.region.variable not in variables:
        measure = family.measure_expression([ir.Var(v) for v in variables], ir.ALGEBRA)
    elif on_boundary:
        measure = family.measure_expression([ir.Var(v) for v in variables], ir.ALGEBRA, boundary=True)
    if measure is None:
        raise PinnError(
            f"an integral over {term.region.describe()} of {family} is not supported",
            Span(term.line, 1) if term.line is not None else None,
            help="integrals over a family of shapes are over the interior or the whole boundary of one "
            "disk, ball, box or polygon whose numbers depend on params",
        )
    widths = 1.0
    for lo, hi in family.ranges:
        widths *= hi - lo
    return ir.Mul((ir.Num(widths / family.measure(boundary=on_boundary)), measure, expr))


def lower(spec: Spec) -> ir.Program:
    """Translate the SymPy form of a problem into the IR."""
    lowering = _Lowering(spec)
    exprs, point_weights = [], []
    for t in spec.terms:
        try:
            exprs.append(lowering.expr(t.expr))
            point_weights.append(None if t.point_weight is None else lowering.expr(t.point_weight))
        except PinnError as err:
            if err.span is None and t.line is not None:
                err.span = Span(t.line, 1)
            raise err.with_source(spec.source, spec.filename) if spec.source is not None else err from None
    exprs = [_per_value(spec, t, e) for t, e in zip(spec.terms, exprs)]
    terms = [
        ir.Term(name, t.kind, t.region, expr, float(t.weight), t.label, float(t.target), w)
        for name, t, expr, w in zip(_term_names(spec, exprs), spec.terms, exprs, point_weights)
    ]
    terms = tuple(terms)
    return ir.Program(
        variables=tuple(ir.Variable(s.name, float(lo), float(hi)) for s, lo, hi in spec.variables),
        fields=tuple(
            ir.FieldDecl(f.func.__name__, tuple(a.name for a in f.args), dict(spec.homes).get(f.func.__name__, ()))
            for f in spec.fields
        ),
        unknowns=tuple((s.name, float(v)) for s, v in spec.unknowns),
        terms=terms,
        exact=tuple((name, lowering.expr(e)) for name, e in spec.exact),
        shape=spec.shape,
        parameters=spec.parameters,
        time=spec.time,
        tables=tuple(lowering.tables[name] for name in sorted(lowering.tables)),
    )
