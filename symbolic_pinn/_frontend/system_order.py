"""How many conditions a system of equations in one space variable needs: its order.

An equation of order n in x needs n conditions at the ends of x, whether it is written
as one field (``Dxxxx(u) = 1``: four conditions on u and its derivatives) or as a
system of lower-order fields (``Dx(u) = v; Dx(v) = w; Dx(w) = m; Dx(m) = 1``: four
conditions spread over u, v, w, m).  So the conditions are counted per system, not per
field: the fields that share equations inside Ω form a system, and its order in x is
Jacobi's bound

    max over the ways σ of giving each field its own equation of  Σ_f order(f in equation σ(f)),

the order of the system when its leading coefficients are independent (the general
case; when they are not, the true order is lower, and fewer conditions are needed).  A
condition counts once at each point of x it holds on: at a face of x one, on ∂Ω both
ends, a field at a fixed x (``u(0) = u(1)``) one, an integral constraint one.

The count is made only where it is sound: one space variable, an interval domain with
finite ends, every equation of the system a strong-form residual, no field observed in
data, and no end where an equation is singular (``x*Dxx(u) + Dx(u)`` at x = 0, or
``Dr(u)/r`` at r = 0: a bounded solution there needs no condition).  Elsewhere
:func:`.spec.warn_ill_posed` keeps its per-field rule.
"""

from __future__ import annotations

import dataclasses
import math

import sympy
from sympy.core.function import AppliedUndef

from .regions import BOUNDARY, INTERIOR, Face, Faces, underlying

__all__ = ["System", "systems", "short_of_conditions"]


@dataclasses.dataclass(frozen=True)
class System:
    """Fields that share equations in one space variable, the conditions they need and have."""

    fields: tuple[str, ...]  # in declaration order
    variable: str
    needed: int  # the system's order in ``variable``
    given: int  # conditions at points of ``variable``
    lines: tuple[int, ...]  # the lines of its equations
    end: float  # the upper end of ``variable``, for the example in the warning

    @property
    def short(self) -> bool:
        return self.given < self.needed


def systems(spec) -> list[System]:
    """The systems of ``spec`` whose conditions can be counted (see the module's docstring)."""
    spatial = [(s, lo, hi) for s, lo, hi in spec.variables if s.name != spec.time and s.name not in spec.parameters]
    if len(spatial) != 1 or spec.shape is not None or spec.homes:
        return []
    x, lo, hi = spatial[0]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    observed = {name for d in spec.data for name in d.observed}
    names = [f.func.__name__ for f in spec.fields]
    equations = [t for t in spec.terms if underlying(t.region) == INTERIOR and not _pinned(t.expr, spec.fields, None)]
    found = []
    for group in _groups(names, equations):
        own = [t for t in equations if _used(t.expr) & group]
        if group & observed or any(t.kind != "residual" for t in own) or len(own) < len(group):
            continue
        fields = [f for f in spec.fields if f.func.__name__ in group]
        needed = _jacobi_bound([[_order(t.expr, f, x) for f in fields] for t in own])
        if needed is None or any(_singular(t.expr, x, end) for t in own for end in (lo, hi)):
            continue
        conditions = [t for t in spec.terms if t not in own and _used(t.expr) & group]
        given = sum(_points(t, x, spec.fields) for t in conditions)
        lines = tuple(t.line for t in own if t.line is not None)
        found.append(System(tuple(n for n in names if n in group), x.name, needed, given, lines, hi))
    return found


def short_of_conditions(system: System) -> str:
    """The warning for a system with fewer conditions than its order."""
    names = ", ".join(f"'{n}'" for n in system.fields)
    lines = sorted(set(system.lines))
    where = f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))})" if lines else ""
    who = f"the system of {names}{where} has" if len(system.fields) > 1 else f"{names}{where} has"
    plural = "s" if system.given != 1 else ""
    return (
        f"{who} order {system.needed} in {system.variable} but {system.given} condition{plural} at points of "
        f"{system.variable}: its solution is not unique; add {system.needed - system.given} more (an equation "
        f"rewritten as lower-order fields needs as many conditions as it did), e.g. "
        f"`{system.fields[0]} = 0 at {system.variable} = {system.end:g}`"
    )


def _used(expr) -> set[str]:
    return {a.func.__name__ for a in expr.atoms(AppliedUndef)}


def _groups(names: list[str], equations) -> list[set[str]]:
    """The fields joined by sharing an equation (connected components), each field in one group."""
    groups = [{n} for n in names]
    for t in equations:
        joined = [g for g in groups if g & _used(t.expr)]
        if len(joined) > 1:
            groups = [g for g in groups if g not in joined] + [set().union(*joined)]
    return [g for g in groups if any(g & _used(t.expr) for t in equations)]


def _order(expr, field, x) -> float:
    """The highest order of a derivative of ``field`` along ``x`` in ``expr``; -inf where it is absent."""
    if not expr.has(field.func):
        return -math.inf
    return max(
        (dict(d.variable_count).get(x, 0) for d in expr.atoms(sympy.Derivative) if d.expr == field),
        default=0,
    )


_MAX_EQUATIONS = 12  # the maps below are tried over subsets of equations: 2^12 of them at most


def _jacobi_bound(orders: list[list[float]]) -> int | None:
    """max over injective maps field → equation of the summed orders; None where every map meets an absent field
    (or the system has more than _MAX_EQUATIONS equations).

    The best map by dynamic programming over the sets of equations taken (exact, as SciPy's
    ``linear_sum_assignment`` would be, but without importing scipy.optimize, which takes longer than the
    whole check of a problem).
    """
    equations, fields = len(orders), len(orders[0])
    if equations > _MAX_EQUATIONS:
        return None
    best = {0: 0.0}  # the set of equations taken by the fields so far → the largest sum
    for j in range(fields):
        following: dict[int, float] = {}
        for taken, total in best.items():
            for i in range(equations):
                if not taken >> i & 1 and orders[i][j] > -math.inf:
                    key = taken | 1 << i
                    following[key] = max(following.get(key, -math.inf), total + orders[i][j])
        best = following
    return int(max(best.values())) if best else None


def _pinned(expr, fields, x) -> bool:
    """Whether ``expr`` evaluates a field at a number in the slot of ``x`` (any slot where ``x`` is None):
    ``u(0) = u(1)``, ``Dx(u)(1)``; ``u(s)`` under an integral is not pinned."""
    slots = {f.func: f.args for f in fields}
    for a in expr.atoms(AppliedUndef):
        for slot, arg in zip(slots.get(a.func, ()), a.args):
            if (x is None or slot == x) and arg.is_number:
                return True
    return any(
        s.expr.has(AppliedUndef) and (x is None or slot == x) and point.is_number
        for s in expr.atoms(sympy.Subs)
        for slot, point in zip(s.variables, s.point)
    )


def _points(term, x, fields) -> int:
    """How many conditions ``term`` places at points of ``x``."""
    region = underlying(term.region)
    if region == BOUNDARY:
        return 2  # the two ends of x
    if isinstance(region, Face):
        return int(region.variable == x.name)
    if isinstance(region, Faces):
        return sum(f.variable == x.name for f in region.faces)
    if term.kind == "integral":
        return 1
    return int(_pinned(term.expr, fields, x))


def _singular(expr, x, end: float) -> bool:
    """Whether the equation ``expr`` = 0 is singular at ``x = end``: a term blows up there, or the coefficient
    of a highest derivative vanishes (no condition is needed there for a bounded solution).  An equation
    with an integral, a max/min or a case split is taken as singular: SymPy cannot always order or
    evaluate those at a point (`max(x, ∫(0.0, s, 0, 1))` at x = 0 is "not comparable", and with
    1e308 it took 16 s), and the per-field count, which is the safe one, is used instead."""
    if expr.has(sympy.Integral, sympy.Max, sympy.Min, sympy.Piecewise):
        return True
    try:
        return _vanishes_or_blows_up(expr, x, end)
    except (ValueError, TypeError):  # SymPy could not evaluate it there: count per field
        return True


def _vanishes_or_blows_up(expr, x, end: float) -> bool:
    derivatives = sorted(expr.atoms(sympy.Derivative), key=sympy.default_sort_key)
    names = sympy.symbols(f"_d0:{len(derivatives)}")
    plain = expr.subs(dict(zip(derivatives, names)), simultaneous=True)
    at_end = sympy.Float(end) if end != int(end) else sympy.Integer(int(end))
    if plain.subs(x, at_end).has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        return True
    top = max((dict(d.variable_count).get(x, 0) for d in derivatives), default=0)
    return any(
        dict(d.variable_count).get(x, 0) == top and sympy.diff(plain, n).subs(x, at_end) == 0
        for d, n in zip(derivatives, names)
    )
