"""Where an expression of the coordinates goes over the domain: the one check of "outside Ω".

A field evaluated at a point, at a shifted argument (``u(x + 1)``), inside a definite
integral (``∫(u(s), s, 0, 5)``), and the centre of a point source (``delta(x - 5)``) all
name coordinates; a coordinate outside the variable's interval asks for the field where
it is not defined (the network extrapolates, silently).  Both front ends ask this module
for the range of such an expression, so they refuse the same things.

The range is sampled, not bounded: the corners of the variables' box when the expression
is linear in each of them (its extremes are there), else a grid over it, corners
included (inside the shape, for shaped variables).  Interval arithmetic would refuse
``u(4*x*(1 - x))`` on [0, 1] (its enclosure is [0, 4]); sampling can miss a narrow
excursion between grid points, never invent one.  The expressions are small (a
coordinate, a limit), so SymPy evaluates them point by point.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import sympy
from sympy.core.function import AppliedUndef

from .._errors import PinnError

__all__ = ["value_range", "outside", "check_fields_inside", "POINTS"]

POINTS = 64  # about how many points a range is sampled at
TOLERANCE = 1e-9  # relative to the interval's length: 1 - x at x = 1 is inside
LARGE = 200  # expression nodes above which only the corners of the box are sampled (each point is an evalf)


def value_range(
    expr: sympy.Expr, intervals: Mapping[sympy.Symbol, tuple[float, float]], shape: tuple | None = None
) -> tuple[float, float] | None:
    """The smallest and largest value of ``expr`` sampled over the intervals of its symbols.

    None when ``expr`` has a symbol without an interval (a user function's parameter, an
    unknown), or does not evaluate to a real number.  ``shape`` is ``(names, Shape)`` of a
    shaped domain: its variables are sampled inside it.
    """
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    if any(s not in intervals for s in symbols):
        return None
    shaped = shape is not None and set(shape[0]) <= {s.name for s in symbols}  # a box's corners may lie outside
    per = (
        (2 if not shaped and _corners_suffice(expr, symbols) else max(2, int(POINTS ** (1 / len(symbols)))))
        if symbols
        else 1
    )
    axes = [
        [lo + (hi - lo) * k / (per - 1) for k in range(per)] if per > 1 else [lo]
        for lo, hi in (intervals[s] for s in symbols)
    ]
    points = list(itertools.product(*axes))
    inside = _inside(symbols, points, shape)
    values = []
    for point in (p for p, keep in zip(points, inside) if keep):
        try:
            value = complex(expr.xreplace({s: sympy.Float(c) for s, c in zip(symbols, point)}).evalf())
        except (TypeError, ValueError):
            return None
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)) or not math.isfinite(value.real):
            return None
        values.append(value.real)
    return (min(values), max(values)) if values else None


def _corners_suffice(expr: sympy.Expr, symbols) -> bool:
    """Whether the box's corners are enough: ``expr`` is linear in each variable (x + 1, 2*x*t; its extremes are
    at corners), or too long to sample more (each point is an evalf)."""
    if sum(1 for _ in sympy.preorder_traversal(expr)) > LARGE:
        return True
    if not expr.is_polynomial(*symbols):
        return False
    return all(sympy.degree(expr, s) <= 1 for s in symbols)


def _inside(symbols, points, shape) -> list[bool]:
    """Which of ``points`` lie in the shape (all of them without one)."""
    if shape is None or not points:
        return [True] * len(points)
    names, region = shape
    index = [[s.name for s in symbols].index(n) if n in [s.name for s in symbols] else None for n in names]
    if any(i is None for i in index):  # the expression uses only some of the shaped variables: the box is exact
        return [True] * len(points)
    import numpy as np

    lo, hi = region.bounds()
    p = np.array([[point[i] for i in index] for point in points], float)
    return list(region.distance(p) <= 1e-9 * float(np.max(np.asarray(hi) - np.asarray(lo))))


def outside(found: tuple[float, float] | None, lo: float, hi: float) -> bool:
    """Whether a sampled range leaves [lo, hi] (beyond rounding)."""
    if found is None:
        return False
    slack = TOLERANCE * (hi - lo)
    return found[0] < lo - slack or found[1] > hi + slack


def spread(found: tuple[float, float]) -> str:
    """A sampled range in words: "5" or "[-1, 2]"."""
    return f"{found[0]:g}" if found[0] == found[1] else f"[{found[0]:g}, {found[1]:g}]"


def check_fields_inside(
    expr: sympy.Expr,
    intervals: Mapping[sympy.Symbol, tuple[float, float]],
    fields: Mapping[str, tuple],
    shape: tuple | None = None,
) -> None:
    """Refuse a field evaluated outside its variables' intervals anywhere in ``expr``.

    The SymPy front end's form of the text checker's carets: each definite integral's
    variable ranges over its limits (themselves sampled over the domain).
    """
    by_name = {s.name: (lo, hi) for s, (lo, hi) in intervals.items()}

    def visit(e: sympy.Basic, known: dict) -> None:
        if isinstance(e, sympy.Integral):
            inner = dict(known)
            for limit in e.limits:
                if len(limit) != 3:
                    continue
                symbol, a, b = limit
                ends = [value_range(v, known, shape) for v in (a, b)]
                if None in ends:
                    continue
                inner[symbol] = (min(r[0] for r in ends), max(r[1] for r in ends))
            visit(e.function, inner)
            return
        moved = []  # (coordinate, the variable it is given for)
        if isinstance(e, AppliedUndef) and e.func.__name__ in fields:
            moved = list(zip(e.args, fields[e.func.__name__]))
        elif isinstance(e, sympy.Subs):  # a derivative taken at a point: Dx(u) at x = s
            moved = list(zip(e.point, e.variables))
        if moved:
            for arg, own in moved:
                slot = own.name
                if arg == own or slot not in by_name:
                    continue
                lo, hi = by_name[slot]
                found = value_range(arg, known, shape)
                if outside(found, lo, hi):
                    raise PinnError(
                        f"{e}: the coordinate {arg} for {slot} takes the values {spread(found)}, outside the "
                        f"interval [{lo:g}, {hi:g}] of {slot}: the field is not defined there",
                        help=f"keep every coordinate for {slot} in [{lo:g}, {hi:g}] (integration limits included)",
                    )
        for a in e.args:
            visit(a, known)

    visit(expr, dict(intervals))
