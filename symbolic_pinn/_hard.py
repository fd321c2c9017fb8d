"""Hard Dirichlet constraints: a field becomes u = g + φ·N, so ``u = g on ∂Ω`` holds exactly.

φ is zero on the boundary and positive inside — for a box Πᵢ (xᵢ − aᵢ)(bᵢ − xᵢ) over the
spatial variables, for a disk or ball r² − |x − c|², each scaled to be of order one —
and g is the condition's right-hand side, a function of the coordinates, extended into
the domain as it is written.  The network N is then free in the interior, and the
boundary term leaves the loss: no weight to balance against the equation.
"""

from __future__ import annotations

import dataclasses

from . import _ir as ir
from ._algebra import linear_in
from ._errors import PinnError
from ._runtime.geometry import Ball

__all__ = ["constrain"]


def constrain(program: ir.Program) -> tuple[ir.Program, dict[str, tuple[ir.Expr, ir.Expr]]]:
    """The program without its hard-constrained terms, and each constrained field's (g, φ).

    A term ``u = g on ∂Ω`` is imposed when it is a residual on the whole boundary, linear
    in the field's value with g free of fields, unknowns and data, and the field takes
    every spatial variable.  Other boundary conditions stay in the loss.
    """
    constrained: dict[str, tuple[ir.Expr, ir.Expr]] = {}
    kept = []
    for term in program.terms:
        split = _dirichlet(term, program)
        if split is None or split[0] in constrained:
            kept.append(term)
            continue
        field, g = split
        constrained[field] = (g, _distance(program))
    if not constrained:
        raise PinnError(
            "hard_constraints needs a Dirichlet condition `u = g on ∂Ω` to impose, and this problem has none",
            help="write the boundary condition as `u = g on ∂Ω` (g a function of the coordinates), "
            "or train without hard_constraints",
        )
    return dataclasses.replace(program, terms=tuple(kept)), constrained


def _dirichlet(term: ir.Term, program: ir.Program) -> tuple[str, ir.Expr] | None:
    """(field, g) if the term is ``u = g on ∂Ω`` in the sense of :func:`constrain`."""
    if term.kind != "residual" or term.region != ir.BOUNDARY:
        return None
    nodes = [
        n for n in ir.walk(term.expr) if isinstance(n, (ir.Field, ir.Unknown, ir.Observed, ir.Normal, ir.Integral))
    ]
    if len(nodes) != 1 or not isinstance(nodes[0], ir.Field):
        return None
    node = nodes[0]
    if any(node.alpha) or node.at is not None or set(program.spatial) - set(program.field(node.name).args):
        return None
    split = linear_in(term.expr, lambda n: n == node)
    if split is None:
        return None
    coefficients, rest, _ = split
    c = coefficients.get(node, 0.0)
    if c == 0:
        return None
    if not rest:
        return node.name, ir.Num(0.0)
    parts = tuple(_times(-1.0 / c, r) for r in rest)  # c·u + rest = 0: u = −rest / c
    return node.name, parts[0] if len(parts) == 1 else ir.Add(parts)


def _times(k: float, e: ir.Expr) -> ir.Expr:
    """k·e, folding k into a leading number."""
    if isinstance(e, ir.Num):
        return ir.Num(k * e.value)
    if isinstance(e, ir.Mul) and isinstance(e.args[0], ir.Num):
        k, e = k * e.args[0].value, (ir.Mul(e.args[1:]) if len(e.args) > 2 else e.args[1])
    return e if k == 1 else ir.Mul((ir.Num(k), e))


def _distance(program: ir.Program) -> ir.Expr:
    """φ of the domain's spatial part: zero on the boundary, positive inside, order one."""
    if program.shape is None:
        scale, factors = 1.0, []
        for v in program.variables:
            if v.name in program.spatial:
                scale *= 4.0 / (v.hi - v.lo) ** 2
                factors += [_minus(ir.Var(v.name), v.lo), _minus(ir.Num(v.hi), ir.Var(v.name))]
        return ir.Mul(tuple(([ir.Num(scale)] if scale != 1 else []) + factors))
    variables, tree = program.shape
    if isinstance(tree, Ball) and set(variables) == set(program.spatial):
        centre, radius = tree.centre, tree.radius
        squares = ir.Add(
            tuple(ir.Pow(_minus(ir.Var(name), float(c)), ir.Num(2.0)) for name, c in zip(variables, centre))
        )
        # (r² − |x − c|²) / r²
        return ir.Add(
            (ir.Num(1.0), ir.Mul((ir.Num(-1.0 / radius**2), squares) if radius != 1 else (ir.Num(-1.0), squares)))
        )
    raise PinnError(
        "hard_constraints are built for boxes, disks and balls; this domain is a combination of shapes",
        help="train without hard_constraints: the boundary condition then stays a term of the loss",
    )


def _minus(a: ir.Expr, b: float | ir.Expr) -> ir.Expr:
    """a − b, without a zero."""
    if isinstance(b, ir.Expr):
        return ir.Add((a, ir.Mul((ir.Num(-1.0), b))))
    return a if b == 0 else ir.Add((a, ir.Num(-b)))
