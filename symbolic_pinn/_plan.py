"""Stage 4, plan: which derivative of which field each term needs, and how to get it.

Every derivative is computed in forward mode, never by nested ``jax.grad`` over the
batch.  Two strategies, chosen per field and per term:

**Collapsed Taylor mode.**  Where a term is linear, with constant coefficients, in a
field's pure second derivatives (``Δu``, ``u_t − ν u_xx``, ``u_tt − c² u_xx``), the
planner rewrites those into one :class:`~._ir.SecondOrderSum` Σᵢ wᵢ ∂ᵢᵢu.  It is
computed, with the value and the whole gradient, by one fused pass through the
network (the forward Laplacian: value, gradient directions and a single summed
second-order coefficient are carried layer by layer), instead of one nested jvp
per second derivative.  A field used in a single second derivative in any way
(``u_xx²``, ``k·u_xx``) collapses too, with one non-zero weight.

**Taylor mode** (opt-in, ``taylor_from_order``).  A pure derivative of order K along
one axis (``u_xxx``, ``u_xxxx``) and all lower ones along it come from one K-jet
(``jax.experimental.jet``), whose cost grows like K² instead of 2^K — asymptotically;
at K = 3 and 4 it measured slower than nested jvp here, hence off by default.

**Nested forward mode**, for everything else (mixed derivatives, low orders).  A multi-index ``alpha`` is reached along its canonical chain — differentiate
along the first argument ``alpha[0]`` times, then the second, ... — so
``u_xxy`` = ∂y ∂x ∂x u.  Chains that share a prefix share the derivative functions
(``u_xx`` and ``u_xy`` both start from ``u_x``), and when a term needs both a
derivative and its parent, one ``value_and_derivative`` pass yields the two: the
primal of a jvp is the lower order, for free.
"""

from __future__ import annotations

import dataclasses
import math

from . import _ir as ir

__all__ = ["plan", "Schedule", "format_schedule"]

# Taylor mode is opt-in (``compile(..., taylor_from_order=3)``): on this project's CPU
# benchmark (benchmarks/derivatives.py, 2026-11-24) one jet was slower than nested jvp
# for u_xxx (KdV, 36 vs 29 ms per train step) and u_xxxx (biharmonic, 51 vs 44 ms).
TAYLOR_FROM_ORDER = None


# Steps name derivatives by multi-index (a tuple of ints over the field's arguments):
# the function ∂^alpha u, or its value at the points.  The emitter chooses the Python
# identifiers, so no user name can be confused with a generated one.
Alpha = tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Derive:
    """Define the function ∂^name u = ∂/∂(argument ``arg``) of the function ∂^parent u."""

    name: Alpha
    parent: Alpha
    arg: int


@dataclasses.dataclass(frozen=True)
class Evaluate:
    """Evaluate at the points: ∂^fn u → ``outputs[0]``; or, with ``arg`` set, one jvp
    of ∂^fn u along ``arg`` → ``outputs``: (∂^fn u, its derivative) or just the derivative."""

    fn: Alpha
    outputs: tuple[Alpha, ...]
    arg: int | None = None


@dataclasses.dataclass(frozen=True)
class Collapse:
    """One fused pass of ∂^fn u → value, gradient and ``output`` = Σ wᵢ ∂ᵢᵢ u.

    ``value`` and each ``gradient`` entry is the multi-index it yields, or None if unused.
    """

    fn: Alpha
    weights: tuple[float, ...]
    value: Alpha | None
    gradient: tuple[Alpha | None, ...]
    output: ir.SecondOrderSum


@dataclasses.dataclass(frozen=True)
class Taylor:
    """One jet of ∂^fn u along ``arg`` to ``order``: ``outputs[k]`` is the multi-index
    of the k-th derivative along the axis (k = 0 is the value), or None if unused."""

    fn: Alpha
    arg: int
    order: int
    outputs: tuple[Alpha | None, ...]


@dataclasses.dataclass(frozen=True)
class FieldPlan:
    """The derivatives of one field at one point: its own coordinates, or ``at``."""

    field: str
    needed: tuple[tuple[int, ...], ...]
    steps: tuple[Derive | Evaluate | Collapse | Taylor, ...]
    collapsed: ir.SecondOrderSum | None = None
    taylor: tuple[tuple[int, int], ...] = ()  # (axis, order) of each Taylor-mode jet
    at: tuple[ir.Expr, ...] | None = None


@dataclasses.dataclass(frozen=True)
class IntegralPlan:
    """A definite integral inside a term: its integrand is a scope planned on its own,
    evaluated at the quadrature nodes of the integration variable."""

    node: ir.Integral
    expr: ir.Expr
    fields: tuple[FieldPlan, ...]
    integrals: tuple["IntegralPlan", ...] = ()


@dataclasses.dataclass(frozen=True)
class TermPlan:
    """How one term is computed: its expression after rewriting, and per-field steps."""

    term: str
    expr: ir.Expr
    fields: tuple[FieldPlan, ...]
    integrals: tuple[IntegralPlan, ...] = ()

    def field_names(self) -> list[str]:
        """The fields the term uses, integrands included, each once, in plan order."""
        names: list[str] = []
        scopes: list = [self]
        while scopes:
            scope = scopes.pop(0)
            for fp in scope.fields:
                if fp.field not in names:
                    names.append(fp.field)
            scopes += scope.integrals
        return names


@dataclasses.dataclass(frozen=True)
class Schedule:
    terms: tuple[TermPlan, ...]

    def term(self, name: str) -> TermPlan:
        return next(t for t in self.terms if t.term == name)


def _parent(alpha: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The canonical parent of a multi-index and the argument that leads to it."""
    last = max(i for i, k in enumerate(alpha) if k)
    parent = list(alpha)
    parent[last] -= 1
    return tuple(parent), last


def _constant(expr: ir.Expr) -> float | None:
    """The value of a product of numbers and constants, or None."""
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Const):
        return {"pi": math.pi, "e": math.e}[expr.name]
    if isinstance(expr, ir.Mul):
        values = [_constant(a) for a in expr.args]
        return None if None in values else math.prod(values)
    if isinstance(expr, ir.Pow):
        base, exp = _constant(expr.base), _constant(expr.exp)
        return None if base is None or exp is None else base**exp
    return None


def _collapse(expr: ir.Expr, field: ir.FieldDecl, at=None) -> tuple[ir.Expr, ir.SecondOrderSum | None]:
    """Rewrite a field's pure second derivatives at one point in ``expr`` into one SecondOrderSum."""
    d = len(field.args)

    def pure(node):
        return (
            isinstance(node, ir.Field)
            and node.name == field.name
            and node.at == at
            and sorted(node.alpha) == [0] * (d - 1) + [2]
        )

    members = {n for n in ir.walk(expr, into_integrals=False) if pure(n)}
    if not members:
        return expr, None
    if len(members) == 1:
        (node,) = members
        weights = tuple(1.0 if k == 2 else 0.0 for k in node.alpha)
        collapsed = ir.SecondOrderSum(field.name, weights, at)
        return ir.replace(expr, {node: collapsed}), collapsed
    weights = [0.0] * d
    rest: list[ir.Expr] = []
    position = None
    for arg in expr.args if isinstance(expr, ir.Add) else (expr,):
        factors = arg.args if isinstance(arg, ir.Mul) else (arg,)
        found = [f for f in factors if pure(f)]
        others = [f for f in factors if not pure(f)]
        coefficient = _constant(ir.Mul(tuple(others))) if others else 1.0
        if len(found) == 1 and coefficient is not None:
            weights[found[0].alpha.index(2)] += coefficient
            position = len(rest) if position is None else position
        elif any(pure(n) for n in ir.walk(arg, into_integrals=False)):
            return expr, None  # used non-linearly: leave to nested forward mode
        else:
            rest.append(arg)
    nonzero = {w for w in weights if w != 0}
    scale = nonzero.pop() if len(nonzero) == 1 else 1.0
    collapsed = ir.SecondOrderSum(field.name, tuple(w / scale for w in weights), at)
    term = collapsed if scale == 1 else ir.Mul((ir.Num(scale), collapsed))
    rest.insert(position, term)
    return (ir.Add(tuple(rest)) if len(rest) > 1 else rest[0]), collapsed


def _field_plan(
    field: ir.FieldDecl,
    needed: set[tuple[int, ...]],
    collapsed: ir.SecondOrderSum | None = None,
    taylor_from_order: int | None = TAYLOR_FROM_ORDER,
    at: tuple[ir.Expr, ...] | None = None,
) -> FieldPlan:
    # Steps name derivatives by multi-index; the emitter picks the identifiers.
    zero = (0,) * len(field.args)
    steps: list[Derive | Evaluate | Collapse | Taylor] = []
    if collapsed is not None:
        # the fused pass yields the value and every first derivative too
        first = [tuple(int(j == i) for j in range(len(field.args))) for i in range(len(field.args))]
        steps.append(
            Collapse(
                zero,
                collapsed.weights,
                zero if zero in needed else None,
                tuple(a if a in needed else None for a in first),
                collapsed,
            )
        )
        needed = needed - {zero, *first}
    # Taylor mode (if asked for): pure derivatives along one axis, every order in one jet.
    jets = []
    for axis in range(len(field.args)):
        along = {a[axis]: a for a in needed if a[axis] and sum(a) == a[axis]}
        order = max(along, default=0)
        if taylor_from_order is not None and order >= max(taylor_from_order, 1):
            outputs = tuple(along.get(k) if k else (zero if zero in needed else None) for k in range(order + 1))
            steps.append(Taylor(zero, axis, order, outputs))
            needed = needed - {o for o in outputs if o is not None}
            jets.append((axis, order))
    # Derivative functions needed: every proper prefix of a needed chain.
    functions = set()
    for alpha in needed:
        while any(alpha):
            alpha, _ = _parent(alpha)
            functions.add(alpha)
    for alpha in sorted(functions - {zero}, key=lambda a: (sum(a), tuple(-k for k in a))):
        parent, arg = _parent(alpha)
        steps.append(Derive(alpha, parent, arg))
    done = set()
    order = sorted(needed, key=lambda a: (-sum(a), tuple(-k for k in a)))
    for alpha in order:
        if alpha in done:
            continue
        if not any(alpha):
            steps.append(Evaluate(alpha, (alpha,)))
            done.add(alpha)
            continue
        parent, arg = _parent(alpha)
        if parent in needed and parent not in done:
            steps.append(Evaluate(parent, (parent, alpha), arg))
            done.update({parent, alpha})
        else:
            steps.append(Evaluate(parent, (alpha,), arg))
            done.add(alpha)
    ordered_needed = tuple(sorted(needed, key=lambda a: (sum(a), tuple(-k for k in a))))
    return FieldPlan(field.name, ordered_needed, tuple(steps), collapsed, tuple(jets), at)


def _plan_scope(expr: ir.Expr, program: ir.Program, taylor_from_order):
    """Plan one scope of evaluation: a term, or the integrand of an integral in it.

    Returns the rewritten expression, a :class:`FieldPlan` per field and point, and
    an :class:`IntegralPlan` per integral (each planned as a scope of its own).
    """
    points: dict[str, list] = {f.name: [] for f in program.fields}  # each field's points, first seen first
    for node in ir.walk(expr, into_integrals=False):
        if isinstance(node, ir.Field) and node.at not in points[node.name]:
            points[node.name].append(node.at)
    collapsed = {}
    for field in program.fields:
        for at in points[field.name]:
            expr, collapsed[field.name, at] = _collapse(expr, field, at)
    needed: dict[tuple, set] = {}
    integrals = []
    for node in ir.walk(expr, into_integrals=False):
        if isinstance(node, ir.Field):
            needed.setdefault((node.name, node.at), set()).add(node.alpha)
        elif isinstance(node, ir.SecondOrderSum):
            needed.setdefault((node.name, node.at), set())
        elif isinstance(node, ir.Integral):
            inner, fields, nested = _plan_scope(node.integrand, program, taylor_from_order)
            integrals.append(IntegralPlan(node, inner, fields, nested))
    fields = tuple(
        _field_plan(f, needed[f.name, at], collapsed[f.name, at], taylor_from_order, at)
        for f in program.fields
        for at in points[f.name]
        if (f.name, at) in needed
    )
    return expr, fields, tuple(integrals)


def plan(program: ir.Program, *, taylor_from_order: int | None = TAYLOR_FROM_ORDER) -> Schedule:
    """The derivative schedule of every term of a program.

    Args:
        program: the IR.
        taylor_from_order: use one Taylor-mode jet for pure derivatives of at least
            this order along one axis; None (the default) keeps nested jvp.
    """
    terms = []
    for term in program.terms:
        expr, fields, integrals = _plan_scope(term.expr, program, taylor_from_order)
        terms.append(TermPlan(term.name, expr, fields, integrals))
    return Schedule(tuple(terms))


def format_schedule(schedule: Schedule, program: ir.Program) -> str:
    """The schedule as text (`symbolic-pinn compile --emit plan`)."""
    lines = []
    for term_plan, term in zip(schedule.terms, program.terms):
        lines.append(f"term {term.name}    # {term.label}")
        if not term_plan.fields and not term_plan.integrals:
            lines.append("  no field derivatives")
        lines += _format_scope(term_plan.fields, term_plan.integrals, program, "  ")
    return "\n".join(lines) + "\n"


def _format_scope(fields, integrals, program: ir.Program, indent: str) -> list[str]:
    lines = []
    for fp in fields:
        decl = program.field(fp.field)
        label = fp.field
        if fp.at is not None:
            label += " at (" + ", ".join(ir.format_expr(a, program) for a in fp.at) + ")"
        if fp.collapsed is not None:
            lines.append(f"{indent}{label}: {describe_sum(fp.collapsed, decl)}  — collapsed Taylor mode (forward Laplacian)")
        for axis, order in fp.taylor:
            names = ", ".join(
                ir.derivative_name(fp.field, tuple(k if j == axis else 0 for j in range(len(decl.args))), decl.args)
                for k in range(1, order + 1)
            )
            lines.append(f"{indent}{label}: {names}  — Taylor mode (one jet of order {order} along {decl.args[axis]})")
        if fp.needed:
            names = ", ".join(ir.derivative_name(fp.field, a, decl.args) for a in fp.needed)
            highest = max(sum(a) for a in fp.needed)
            how = "nested forward mode (jax.jvp)" if highest else "the network's value"
            lines.append(f"{indent}{label}: {names}  — {how}, order ≤ {highest}")
        for step in fp.steps:
            lines.append(f"{indent}  {describe_step(step, decl)}")
    for ip in integrals:
        node = ip.node
        lo, hi = ir.format_expr(node.lo, program), ir.format_expr(node.hi, program)
        lines.append(f"{indent}∫ d{node.dummy} from {lo} to {hi}  — Gauss–Legendre quadrature; the integrand:")
        lines += _format_scope(ip.fields, ip.integrals, program, indent + "  ")
    return lines


def describe_sum(node: ir.SecondOrderSum, field: ir.FieldDecl) -> str:
    parts = []
    for arg, w in zip(field.args, node.weights):
        if w:
            name = ir.derivative_name(field.name, tuple(2 if a == arg else 0 for a in field.args), field.args)
            parts.append(name if w == 1 else f"{w:g}*{name}")
    return f"{ir.second_order_name(node, field.args)} = " + " + ".join(parts)


def describe_step(step: Derive | Evaluate | Collapse, field: ir.FieldDecl) -> str:
    def value(alpha):
        return ir.derivative_name(field.name, alpha, field.args) if alpha is not None else "_"

    def fn(alpha):
        return value(alpha) + "_fn"

    if isinstance(step, Taylor):
        outputs = ", ".join(value(o) for o in step.outputs)
        return f"{outputs} = jet of {fn(step.fn)} along {field.args[step.arg]}, order {step.order}"
    if isinstance(step, Collapse):
        outputs = [value(step.value)] + [value(g) for g in step.gradient] + [ir.second_order_name(step.output, field.args)]
        return f"{', '.join(outputs)} = one fused pass of {fn(step.fn)} (value, gradient, Σ wᵢ∂ᵢᵢ)"
    if isinstance(step, Derive):
        return f"{fn(step.name)} = ∂/∂{field.args[step.arg]} {fn(step.parent)}"
    if step.arg is None:
        return f"{value(step.outputs[0])} = {fn(step.fn)}(points)"
    along = field.args[step.arg]
    if len(step.outputs) == 2:
        return f"{value(step.outputs[0])}, {value(step.outputs[1])} = jvp of {fn(step.fn)} along {along} (value and derivative)"
    return f"{value(step.outputs[0])} = jvp of {fn(step.fn)} along {along}"
