"""Small facts about IR expressions that several stages ask: the value of a constant
product, and the split of a sum into constant multiples of chosen nodes plus the rest."""

from __future__ import annotations

import math

from . import ir

__all__ = ["constant", "linear_in"]


def constant(expr: ir.Expr) -> float | None:
    """The value of a product of numbers and constants, or None."""
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Const):
        return {"pi": math.pi, "e": math.e}[expr.name]
    if isinstance(expr, ir.Mul):
        values = [constant(a) for a in expr.args]
        return None if None in values else math.prod(values)
    if isinstance(expr, ir.Pow):
        base, exp = constant(expr.base), constant(expr.exp)
        return None if base is None or exp is None else base**exp
    return None


def linear_in(expr: ir.Expr, member) -> tuple[dict, list, int] | None:
    """Split ``expr`` = Σ c_m·m + rest over the nodes ``m`` that satisfy ``member``.

    Returns the constant coefficient of each member, the other summands, and where
    among them the collapsed sum goes; None if a member appears other than linearly
    with a constant coefficient.
    """
    coefficients: dict[ir.Expr, float] = {}
    rest: list[ir.Expr] = []
    position = None
    for arg in expr.args if isinstance(expr, ir.Add) else (expr,):
        factors = arg.args if isinstance(arg, ir.Mul) else (arg,)
        found = [f for f in factors if member(f)]
        others = [f for f in factors if not member(f)]
        coefficient = constant(ir.Mul(tuple(others))) if others else 1.0
        if len(found) == 1 and coefficient is not None:
            coefficients[found[0]] = coefficients.get(found[0], 0.0) + coefficient
            position = len(rest) if position is None else position
        elif any(member(n) for n in ir.walk(arg, into_integrals=False)):
            return None  # used non-linearly
        else:
            rest.append(arg)
    return coefficients, rest, position
