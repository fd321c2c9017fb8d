"""Stage 4, plan: which derivative of which field each term needs, and how to get it.

Every derivative is computed in forward mode, never by nested ``jax.grad`` over the
batch.  A multi-index ``alpha`` is reached along its canonical chain — differentiate
along the first argument ``alpha[0]`` times, then the second, ... — so
``u_xxy`` = ∂y ∂x ∂x u.  Chains that share a prefix share the derivative functions
(``u_xx`` and ``u_xy`` both start from ``u_x``), and when a term needs both a
derivative and its parent, one ``value_and_derivative`` pass yields the two: the
primal of a jvp is the lower order, for free.
"""

from __future__ import annotations

import dataclasses

from . import _ir as ir

__all__ = ["plan", "Schedule", "format_schedule"]


@dataclasses.dataclass(frozen=True)
class Derive:
    """Define ``name = derivative(parent, arg)``: a derivative *function*."""

    name: str
    parent: str
    arg: int


@dataclasses.dataclass(frozen=True)
class Evaluate:
    """Evaluate at the points: ``fn(coords)`` → ``outputs[0]``, or with ``arg`` set,
    ``value_and_derivative(fn, arg)(coords)`` → ``outputs`` = (value of fn, derivative)."""

    fn: str
    outputs: tuple[str, ...]
    arg: int | None = None


@dataclasses.dataclass(frozen=True)
class FieldPlan:
    field: str
    needed: tuple[tuple[int, ...], ...]
    steps: tuple[Derive | Evaluate, ...]


@dataclasses.dataclass(frozen=True)
class TermPlan:
    term: str
    fields: tuple[FieldPlan, ...]


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


def _field_plan(field: ir.FieldDecl, needed: set[tuple[int, ...]]) -> FieldPlan:
    def fn_name(alpha):
        return f"{ir.derivative_name(field.name, alpha, field.args)}_fn"

    def value_name(alpha):
        return ir.derivative_name(field.name, alpha, field.args)

    # Derivative functions needed: every proper prefix of a needed chain.
    functions = set()
    for alpha in needed:
        while any(alpha):
            alpha, _ = _parent(alpha)
            functions.add(alpha)
    steps: list[Derive | Evaluate] = []
    for alpha in sorted(functions - {(0,) * len(field.args)}, key=lambda a: (sum(a), tuple(-k for k in a))):
        parent, arg = _parent(alpha)
        steps.append(Derive(fn_name(alpha), fn_name(parent), arg))
    done = set()
    order = sorted(needed, key=lambda a: (-sum(a), tuple(-k for k in a)))
    for alpha in order:
        if alpha in done:
            continue
        if not any(alpha):
            steps.append(Evaluate(fn_name(alpha), (value_name(alpha),)))
            done.add(alpha)
            continue
        parent, arg = _parent(alpha)
        if parent in needed and parent not in done:
            steps.append(Evaluate(fn_name(parent), (value_name(parent), value_name(alpha)), arg))
            done.update({parent, alpha})
        else:
            steps.append(Evaluate(fn_name(parent), (value_name(alpha),), arg))
            done.add(alpha)
    ordered_needed = tuple(sorted(needed, key=lambda a: (sum(a), tuple(-k for k in a))))
    return FieldPlan(field.name, ordered_needed, tuple(steps))


def plan(program: ir.Program) -> Schedule:
    """The derivative schedule of every term of a program."""
    terms = []
    for term in program.terms:
        needed: dict[str, set] = {}
        for node in ir.walk(term.expr):
            if isinstance(node, ir.Field):
                needed.setdefault(node.name, set()).add(node.alpha)
        fields = tuple(_field_plan(f, needed[f.name]) for f in program.fields if f.name in needed)
        terms.append(TermPlan(term.name, fields))
    return Schedule(tuple(terms))


def format_schedule(schedule: Schedule, program: ir.Program) -> str:
    """The schedule as text (`symbolic-pinn compile --emit plan`)."""
    lines = []
    for term_plan, term in zip(schedule.terms, program.terms):
        lines.append(f"term {term.name}    # {term.label}")
        if not term_plan.fields:
            lines.append("  no field derivatives")
        for fp in term_plan.fields:
            decl = program.field(fp.field)
            names = ", ".join(ir.derivative_name(fp.field, a, decl.args) for a in fp.needed)
            highest = max(sum(a) for a in fp.needed)
            how = "nested forward mode (jax.jvp)" if highest else "the network's value"
            lines.append(f"  {fp.field}: {names}  — {how}, order ≤ {highest}")
            for step in fp.steps:
                lines.append(f"    {describe_step(step, decl)}")
    return "\n".join(lines) + "\n"


def describe_step(step: Derive | Evaluate, field: ir.FieldDecl) -> str:
    if isinstance(step, Derive):
        return f"{step.name} = ∂/∂{field.args[step.arg]} {step.parent}"
    if step.arg is None:
        return f"{step.outputs[0]} = {step.fn}(points)"
    if len(step.outputs) == 2:
        return f"{step.outputs[0]}, {step.outputs[1]} = jvp of {step.fn} along {field.args[step.arg]} (value and derivative)"
    return f"{step.outputs[0]} = jvp of {step.fn} along {field.args[step.arg]}"
