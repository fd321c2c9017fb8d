"""Stage 3, lower: :class:`Spec` (SymPy) → :class:`Program` (the IR).

SymPy's canonical forms make lowering deterministic: sums and products are taken in
SymPy's printing order (``as_ordered_terms`` / ``as_ordered_factors``), so the same
mathematics gives the same IR whichever front end built it.
"""

from __future__ import annotations

import sympy
from sympy.core.function import AppliedUndef

from . import _ir as ir
from ._errors import PinnError, Span
from ._spec import Observed, Spec

__all__ = ["lower"]

# SymPy function class name → IR function name.
FUNCTIONS = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "log": "log",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "atan": "arctan",
    "asin": "arcsin",
    "acos": "arccos",
    "Abs": "abs",
    "sign": "sign",
}


class _Lowering:
    def __init__(self, spec: Spec):
        self.variables = {s.name for s, _, _ in spec.variables}
        self.unknowns = {s.name for s, _ in spec.unknowns}
        self.fields = {f.func.__name__: f.args for f in spec.fields}

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
        if isinstance(e, sympy.Symbol):
            if e.name in self.variables:
                return ir.Var(e.name)
            if e.name in self.unknowns:
                return ir.Unknown(e.name)
            raise PinnError(f"the symbol '{e.name}' is neither a variable nor an unknown")
        if isinstance(e, AppliedUndef):
            return self.field(e, {})
        if isinstance(e, sympy.Derivative):
            if not isinstance(e.expr, AppliedUndef):
                raise PinnError(f"cannot differentiate {e.expr}", help="write the derivative of a field or expression")
            counts = {}
            for symbol, k in e.variable_count:
                counts[symbol] = counts.get(symbol, 0) + int(k)
            return self.field(e.expr, counts)
        if isinstance(e, sympy.Function) and type(e).__name__ in FUNCTIONS and len(e.args) == 1:
            return ir.Call(FUNCTIONS[type(e).__name__], self.expr(e.args[0]))
        raise PinnError(
            f"cannot compile {type(e).__name__}: {e}",
            help=f"supported functions: {', '.join(sorted(set(FUNCTIONS.values())))}",
        )

    def field(self, applied: AppliedUndef, counts: dict) -> ir.Field:
        name = applied.func.__name__
        args = self.fields.get(name)
        if args is None:
            raise PinnError(f"'{name}' is not a declared field")
        if applied.args != args:
            raise PinnError(f"{applied}: fields at fixed coordinates are not supported yet")
        return ir.Field(name, tuple(counts.get(a, 0) for a in args))


def _term_names(spec: Spec) -> list[str]:
    """pde, bc, ic (a face of t), energy; numbered when one kind appears again."""
    base = []
    for term in spec.terms:
        if term.region.kind == "data":
            base.append("data")
        elif term.kind == "energy":
            base.append("energy" if term.region.kind == "interior" else "energy_boundary")
        elif term.region.kind == "interior":
            base.append("pde")
        elif term.region.kind == "face" and term.region.variable == "t":
            base.append("ic")
        else:
            base.append("bc")
    names, seen = [], {}
    for b in base:
        seen[b] = seen.get(b, 0) + 1
        names.append(b if base.count(b) == 1 else f"{b}{seen[b]}")
    return names


def lower(spec: Spec) -> ir.Program:
    """Translate the SymPy form of a problem into the IR."""
    lowering = _Lowering(spec)
    terms = []
    for name, t in zip(_term_names(spec), spec.terms):
        try:
            expr = lowering.expr(t.expr)
        except PinnError as err:
            if err.span is None and t.line is not None:
                err.span = Span(t.line, 1)
            raise err.with_source(spec.source, spec.filename) if spec.source is not None else err from None
        terms.append(ir.Term(name, t.kind, t.region, expr, float(t.weight), t.label))
    terms = tuple(terms)
    return ir.Program(
        variables=tuple(ir.Variable(s.name, float(lo), float(hi)) for s, lo, hi in spec.variables),
        fields=tuple(ir.FieldDecl(f.func.__name__, tuple(a.name for a in f.args)) for f in spec.fields),
        unknowns=tuple((s.name, float(v)) for s, v in spec.unknowns),
        terms=terms,
        exact=tuple((name, lowering.expr(e)) for name, e in spec.exact),
    )
