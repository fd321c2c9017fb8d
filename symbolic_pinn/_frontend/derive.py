"""`symbolic-pinn derive`: the strong form of an energy, as a problem in our language.

For ``minimize ∫ L(x, u, ∇u) + ∮ g(x, u)`` the minimiser satisfies the
Euler–Lagrange equations (SymPy's ``euler_equations``)

    ∂L/∂u − Σᵢ ∂/∂xᵢ (∂L/∂uᵢ) = 0   in Ω,

and, wherever the boundary carries no condition on the field itself, the natural
boundary condition  Σᵢ nᵢ ∂L/∂uᵢ + ∂g/∂u = 0.  On the faces of a box the normal is
±eᵢ, so that condition reads ∂L/∂uᵢ ± ∂g/∂u = 0 at xᵢ = hi / lo.

The result is text that ``parse`` accepts: the declarations, the strong form, the
problem's other conditions as written, the natural conditions, and ``exact`` lines.
"""

from __future__ import annotations

import sympy
from sympy.calculus.euler import euler_equations
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

from .. import _functions as functions
from .._errors import PinnError
from .regions import BOUNDARY, INTERIOR, Face, Faces, Restricted, Within
from .spec import Spec, variable
from .table import Tabulated

__all__ = ["derive", "to_text"]


class _TextPrinter(StrPrinter):
    """SymPy expressions in the problem language: ``D(u, x, x)``, ``e``, ``arctan``."""

    def _print_Derivative(self, expr):
        variables = ", ".join(str(v) for v, k in expr.variable_count for _ in range(int(k)))
        return f"D({self._print(expr.expr)}, {variables})"

    def _print_Function(self, expr):
        name = type(expr).__name__
        if isinstance(expr, Tabulated) and [str(a) for a in expr.args] == list(expr.table.variables):
            table = expr.table  # table("coef.csv", x), differentiated as SymPy asked
            if table.expression is not None:  # table(exp(-x^2), x in [0, 1] by 101)
                text = f"table({self._print(table.expression)}, {table.grid_text()})"
            elif table.scattered:  # table("probes.csv", x in [0, 1] by 65, ...)
                text = f'table("{table.file}", {table.grid_text()})'
            else:
                text = f'table("{table.file}", {", ".join(table.variables)})'
            along = [v for v, k in zip(table.variables, expr.alpha) for _ in range(k)]
            return f"D({text}, {', '.join(along)})" if along else text
        if isinstance(expr, AppliedUndef):
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        function = functions.by_sympy(expr)
        args = function.arguments(expr) if function else expr.args
        if function and function.name == "heaviside" and args[1:] == (sympy.S.Half,):
            args = args[:1]  # the language's heaviside(0) is SymPy's default, 1/2
        return f"{function.name if function else name}({', '.join(self._print(a) for a in args)})"

    _print_Max = _print_Min = _print_Heaviside = _print_Function

    def _print_Piecewise(self, expr):
        *pieces, (otherwise, _) = expr.args
        text = self._print(otherwise)
        for value, cond in reversed(pieces):
            text = f"(if {self._print(cond)} then {self._print(value)} else {text})"
        return text

    def _print_And(self, expr):
        return " and ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr):
        return " or ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr):
        return f"not ({self._print(expr.args[0])})"

    def _print_Exp1(self, expr):
        return "e"

    def _print_Pi(self, expr):
        return "pi"

    def _print_Pow(self, expr, rational=False):
        if expr.exp == sympy.S.Half:
            return f"sqrt({self._print(expr.base)})"
        if expr.base == sympy.E:
            return f"exp({self._print(expr.exp)})"
        return super()._print_Pow(expr, rational)


def to_text(expr: sympy.Expr) -> str:
    """A SymPy expression as the problem language writes it (``**`` is accepted for ``^``)."""
    return _TextPrinter({"order": None}).doprint(expr)


def _own(field: sympy.Expr, expr: sympy.Expr) -> str:
    """``u`` for u(x, y) at its own coordinates, to read like the user's text."""
    return to_text(expr).replace(to_text(field), field.func.__name__)


def derive(spec: Spec) -> str:
    """The strong form and natural boundary conditions of a ``minimize`` problem."""
    restricted = next((t for t in spec.terms if isinstance(t.region, Within)), None)
    if spec.homes or restricted is not None:  # the text it prints has no regions yet
        raise PinnError(
            "derive does not handle subdomains yet (fields that live in a region, terms `in A` or on an interface)",
            help="train the problem as written (`symbolic-pinn train FILE`)",
        )
    energies = [t for t in spec.terms if t.kind == "energy"]
    interior = [t for t in energies if t.region == INTERIOR]
    if not interior:
        raise PinnError(
            "derive needs a `minimize` statement with an integral over the domain",
            help="e.g. `minimize ∫ (|∇u|^2/2 - f*u)`; the strong form is then printed",
        )
    constraint = next((t for t in spec.terms if t.kind == "integral"), None)
    if constraint is not None:
        raise PinnError(
            f"derive cannot keep the integral constraint `{constraint.label}`: its Euler–Lagrange form "
            "needs a Lagrange multiplier, which derive does not add",
            help="train the energy with its constraint as written (`symbolic-pinn train FILE`)",
        )
    symbols = [s for s, _, _ in spec.variables]
    lagrangian = sum(sympy.nsimplify(t.weight) * t.expr for t in interior)
    boundary = sum((sympy.nsimplify(t.weight) * t.expr for t in energies if t.region == BOUNDARY), sympy.Integer(0))
    fields = list(spec.fields)
    if any(f.args != tuple(symbols) for f in fields):
        raise PinnError(
            "derive needs every field to depend on all the variables",
            help="declare each field with all the variables, e.g. `field u(x, y)`",
        )
    try:
        equations = euler_equations(lagrangian, fields, symbols)
    except (TypeError, ValueError) as err:
        raise PinnError(f"SymPy cannot form the Euler–Lagrange equations: {err}") from None

    lines = [f"# Euler–Lagrange form of {spec.filename or 'the problem'}, derived by symbolic-pinn"]
    shaped = spec.shape[0] if spec.shape else ()
    if spec.shape:
        lines.append(f"({', '.join(shaped)}) in {spec.shape[1]}")
    for s, lo, hi in spec.variables:
        if s.name not in shaped:
            lines.append(f"{s.name} in [{_number(lo)}, {_number(hi)}]")
    lines.append("field " + ", ".join(f"{f.func.__name__}({', '.join(a.name for a in f.args)})" for f in fields))
    for s, value in spec.unknowns:
        lines.append(f"unknown {s.name} = {value!r}")
    for field, eq in zip(fields, equations):
        strong = _expand(eq.lhs)
        lines.append(f"{_own(field, strong)} = 0")
    pinned = _pinned(spec)
    for t in spec.terms:
        if t.kind == "residual":
            lines.append(t.label)
    for field in fields:
        where = pinned.get(("boundary", field), sympy.false)
        if spec.shape and where != sympy.true:
            lines.append(_curved_condition(field, lagrangian, boundary, spec, where))
    for field in fields:
        for s, lo, hi in spec.variables:
            if s.name in shaped or s.name == spec.time or s.name in spec.parameters:
                continue
            for value, sign in ((lo, -1), (hi, 1)):
                where = sympy.Or(
                    pinned.get(("boundary", field), sympy.false), pinned.get((s.name, value, field), sympy.false)
                )
                if where == sympy.true:
                    continue
                flux = sign * sympy.diff(lagrangian, sympy.Derivative(field, s)) + sympy.diff(boundary, field)
                flux = _expand(flux)
                if flux != 0:
                    lines.append(f"{_own(field, _elsewhere(flux, where))} = 0 at {s.name} = {_number(value)}")
    for name, expr in spec.exact:
        lines.append(f"exact {name} = {to_text(expr)}")
    return "\n".join(lines) + "\n"


def _curved_condition(field, lagrangian, boundary, spec: Spec, where=sympy.false) -> str:
    """Σᵢ nᵢ ∂L/∂uᵢ + ∂g/∂u = 0 on ∂Ω, when the flux is c ∇u (then it is c ∂ₙu + ∂g/∂u)."""
    spatial = [s for s, _, _ in spec.variables if s.name != spec.time and s.name not in spec.parameters]
    ratios = set()
    for s in spatial:
        gradient = sympy.Derivative(field, s)
        ratios.add(sympy.simplify(sympy.diff(lagrangian, gradient) / gradient))
    (c,) = ratios if len(ratios) == 1 else (None,)
    if c is None or c.has(sympy.Derivative):
        return "# the natural condition on the curved boundary, Σᵢ nᵢ ∂L/∂(∂ᵢu) + ∂g/∂u = 0, is not of the form c·Dn(u)"
    name = field.func.__name__
    condition = _expand(c * sympy.Symbol(f"Dn({name})") + sympy.diff(boundary, field))
    return f"{_own(field, _elsewhere(condition, where))} = 0 on ∂Ω"


def _expand(expr: sympy.Expr) -> sympy.Expr:
    """``sympy.expand`` of the sums and products, not inside functions.

    Expanding inside exp(−5000 (x − 0.5)²), a smoothed delta, pulls out a factor
    exp(−1250) = 7e−543, which underflows to 0 in double precision: the source would
    vanish from the printed problem.
    """
    inside = {f: sympy.Dummy() for f in expr.atoms(sympy.Function) if not isinstance(f, AppliedUndef)}
    inside.update({p: sympy.Dummy() for p in expr.atoms(sympy.Pow) if p.base == sympy.E})
    back = {d: f for f, d in inside.items()}
    return sympy.expand(expr.xreplace(inside)).xreplace(back)


def _elsewhere(condition: sympy.Expr, where) -> sympy.Expr:
    """A natural condition where the boundary carries no condition on the field (``where`` is where it does)."""
    if where == sympy.false:
        return condition
    return sympy.Piecewise((0, where), (condition, True))


def _number(value: float) -> str:
    """A coordinate exactly as the checker holds it: 1 for 1.0, else the shortest exact repr."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _pinned(spec: Spec) -> dict:
    """Where a condition fixes a field's value: ("boundary", u) or (variable, value, u), each mapped to the
    condition (of the coordinates) under which it does: ``true`` for all of it, ``y < 0.5`` for
    ``(if y < 0.5 then u else 0) = 0 at x = 0``."""
    pinned: dict = {}
    ends = {s: (lo, hi) for s, lo, hi in spec.variables}

    def add(key, where) -> None:
        pinned[key] = sympy.Or(pinned.get(key, sympy.false), where)

    for t in spec.terms:
        if t.kind != "residual":
            continue
        # `at x = 0 where y < 0.5`: the face, on the points where the predicate holds
        region = t.region.base if isinstance(t.region, Restricted) else t.region
        restriction = t.region.predicate if isinstance(t.region, Restricted) else sympy.true
        for field in spec.fields:
            if region == BOUNDARY or isinstance(region, (Face, Faces)):
                if t.expr.has(field) and not any(d.expr == field for d in t.expr.atoms(sympy.Derivative)):
                    where = _where_fixed(t.expr, field)
                    if region == BOUNDARY and restriction != sympy.true and spec.shape is None:
                        for s, lo, hi in spec.variables:  # on each end face, the predicate there
                            if s.name not in (spec.time, *spec.parameters):
                                for value in (lo, hi):
                                    add(
                                        (s.name, float(value), field), sympy.And(where, _on_face(restriction, s, value))
                                    )
                    elif region == BOUNDARY:
                        add(("boundary", field), sympy.And(where, restriction))
                    else:  # a face, or the faces of the rest of ∂Ω
                        for f in region.faces if isinstance(region, Faces) else (region,):
                            on_face = _on_face(restriction, variable(f.variable), f.value)
                            add((f.variable, f.value, field), sympy.And(where, on_face))
                continue
            # u(0, y) = g: the field's value on the face x = 0, sampled over the other variables
            for applied in t.expr.atoms(AppliedUndef):
                if applied.func != field.func:
                    continue
                moved = [(own, a) for own, a in zip(field.args, applied.args) if a != own]
                if len(moved) == 1 and moved[0][1].is_number and float(moved[0][1]) in ends[moved[0][0]]:
                    add((moved[0][0].name, float(moved[0][1]), field), sympy.true)
    return pinned


def _on_face(predicate, variable: sympy.Symbol, value: float):
    """A predicate on the face ``variable = value``; an equation that still names another variable
    holds on a line of the face, a set of no area, and is false there (the rest of ∂Ω's
    ``not (x = 0 and y < 0.5)`` on y = 0 is all of it)."""
    on_face = predicate.subs(variable, value)
    lines = {eq: sympy.false for eq in on_face.atoms(sympy.Eq)} | {ne: sympy.true for ne in on_face.atoms(sympy.Ne)}
    return on_face.xreplace(lines)


def _where_fixed(condition: sympy.Expr, field: sympy.Expr):
    """Where ``condition = 0`` involves the field's value: where its derivative in that value is not 0.

    ``true`` unless the dependence is a conditional (an ``if``, a heaviside) that is 0 on a piece.
    """
    value = sympy.Dummy("value")
    slope = sympy.diff(condition.xreplace({field: value}), value).rewrite(sympy.Piecewise)
    slope = sympy.piecewise_fold(slope)
    if slope == 0:
        return sympy.false
    if not isinstance(slope, sympy.Piecewise):
        return sympy.true
    where, covered = sympy.false, sympy.false
    for piece, cond in slope.args:
        if piece != 0:
            where = sympy.Or(where, sympy.And(cond, sympy.Not(covered)))
        covered = sympy.Or(covered, cond)
    return sympy.simplify_logic(where) if where.free_symbols else where
