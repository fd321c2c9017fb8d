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

**Collapsed Taylor mode of high order.**  Where a term is linear, with constant
coefficients, in a field's derivatives of its highest order K ≥ 3 (Δ²u = u_xxxx +
2u_xxyy + u_yyyy, ``u_xxx``), or uses a single such derivative in any way, the planner
rewrites them into one :class:`~._ir.DerivativeSum` Σ c_α ∂^α u.  By polarisation it
is Σⱼ λⱼ D_{vⱼ}^K u, K-th derivatives along a few directions vⱼ (three for Δ² in 2-D:
0°, 60°, 120°), and one jet of order K through the network carries every direction's
lower coefficients and only the one weighted sum of the K-th (Dangel et al. 2025).
Directions along an axis give the pure lower derivatives along it for free (u_x and
u_xx from the jet of u_xxx).  ``taylor_from_order`` sets the lowest K (default 3;
None keeps nested jvp).

**Nested forward mode**, for everything else (mixed derivatives, low orders).  A
multi-index ``alpha`` is reached along its canonical chain — differentiate along the
first argument ``alpha[0]`` times, then the second, ... — so ``u_xxy`` = ∂y ∂x ∂x u.
Chains that share a prefix share the derivative functions (``u_xx`` and ``u_xy`` both
start from ``u_x``), and when a term needs both a derivative and its parent, one
``value_and_derivative`` pass yields the two: the primal of a jvp is the lower order,
for free.
"""

from __future__ import annotations

import dataclasses
import fractions
import functools
import math

from . import ir
from .algebra import linear_in

__all__ = ["plan", "Schedule", "SharedPlan", "format_schedule"]

# Derivatives of this order and above collapse into jets (``compile(..., taylor_from_order=)``).
# jax.experimental.jet lost to nested jvp on this CPU (KdV 36 vs 29 ms per train step);
# the network's own jet propagation (network_jet) wins: benchmarks/derivatives.py.
TAYLOR_FROM_ORDER = 3


# Steps name derivatives by multi-index (a tuple of ints over the field's arguments):
# the function ∂^alpha u, or its value at the points.  The emitter chooses the Python
# identifiers, so no user name can be confused with a generated one.
Alpha = tuple[int, ...]


def _value(field: ir.FieldDecl, alpha) -> str:
    return ir.derivative_name(field.name, alpha, field.args) if alpha is not None else "_"


def _fn(field: ir.FieldDecl, alpha) -> str:
    return _value(field, alpha) + "_fn"


@dataclasses.dataclass(frozen=True)
class Derive:
    """Define the function ∂^name u = ∂/∂(argument ``arg``) of the function ∂^parent u."""

    name: Alpha
    parent: Alpha
    arg: int

    def describe(self, field: ir.FieldDecl) -> str:
        return f"{_fn(field, self.name)} = ∂/∂{field.args[self.arg]} {_fn(field, self.parent)}"


@dataclasses.dataclass(frozen=True)
class Evaluate:
    """Evaluate at the points: ∂^fn u → ``outputs[0]``; or, with ``arg`` set, one jvp
    of ∂^fn u along ``arg`` → ``outputs``: (∂^fn u, its derivative) or just the derivative."""

    fn: Alpha
    outputs: tuple[Alpha, ...]
    arg: int | None = None

    def describe(self, field: ir.FieldDecl) -> str:
        outputs = ", ".join(_value(field, o) for o in self.outputs)
        if self.arg is None:
            return f"{outputs} = {_fn(field, self.fn)}(points)"
        both = " (value and derivative)" if len(self.outputs) == 2 else ""
        return f"{outputs} = jvp of {_fn(field, self.fn)} along {field.args[self.arg]}{both}"


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
    samples: int = 0  # > 0: estimated from this many coordinates drawn at random (no gradient)

    def describe(self, field: ir.FieldDecl) -> str:
        total = ir.second_order_name(self.output, field.args)
        if self.samples:
            n = sum(w != 0 for w in self.weights)
            return (
                f"{_value(field, self.value)}, {total} = jet of {_fn(field, self.fn)} along {self.samples} of the {n}"
                f" coordinates eᵢ, drawn at random, weights wᵢ·{n}/{self.samples}"
            )
        outputs = [_value(field, self.value)] + [_value(field, g) for g in self.gradient] + [total]
        return f"{', '.join(outputs)} = one fused pass of {_fn(field, self.fn)} (value, gradient, Σ wᵢ∂ᵢᵢ)"


@dataclasses.dataclass(frozen=True)
class Jet:
    """One collapsed jet of ∂^fn u of order K along ``directions``: the value, each
    direction's derivatives of orders 1 … K − 1, and ``output`` = Σⱼ λⱼ D_{vⱼ}^K u.

    ``value`` and each entry of ``series[j]`` is the multi-index it yields (a direction
    along an axis yields pure derivatives along it), or None if unused.
    """

    fn: Alpha
    directions: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]
    value: Alpha | None
    series: tuple[tuple[Alpha | None, ...], ...]
    output: ir.DerivativeSum

    @property
    def order(self) -> int:
        return self.output.order

    def describe(self, field: ir.FieldDecl) -> str:
        lower = ", ".join(_value(field, a) for series in self.series for a in series if a is not None)
        weights = " + ".join(
            ("" if w == 1 else f"{w:.4g}·") + f"D_{describe_direction(v, field)}^{self.order}"
            for v, w in zip(self.directions, self.weights)
        ).replace("+ -", "- ")
        return (
            f"{ir.derivative_sum_name(self.output, field.args)} = {weights}; one jet of {_fn(field, self.fn)}"
            + (f", also {_value(field, self.value)}" if self.value is not None else "")
            + (f" and, along the axes, {lower}" if lower else "")
        )


@dataclasses.dataclass(frozen=True)
class FieldPlan:
    """The derivatives of one field at one point: its own coordinates, or ``at``."""

    field: str
    needed: tuple[tuple[int, ...], ...]
    steps: tuple[Derive | Evaluate | Collapse | Jet, ...]
    collapsed: ir.SecondOrderSum | None = None
    high: ir.DerivativeSum | None = None  # computed by one collapsed jet
    at: tuple[ir.Expr, ...] | None = None

    @property
    def samples(self) -> int:
        """Coordinates drawn for the randomised estimate of ``collapsed`` (0: exact)."""
        return next((st.samples for st in self.steps if isinstance(st, Collapse) and st.samples), 0)

    @property
    def jet(self) -> Jet | None:
        """The step that computes ``high``."""
        return next((st for st in self.steps if isinstance(st, Jet)), None)

    @property
    def channels(self) -> int:
        """About how many values per point and neuron the passes carry at once (the value, each
        derivative, a collapsed sum's tangents along each axis, a jet's series): a memory estimate."""
        count = 1 + len(self.gives)
        for st in self.steps:
            if isinstance(st, Collapse):
                count += 2 * len(st.weights)
            elif isinstance(st, Jet):
                count += len(st.directions) * (1 + max((len(s) for s in st.series), default=1))
        return count

    @property
    def gives(self) -> set[Alpha]:
        """Every derivative the term reads from these steps: ``needed``, and what a fused pass
        or a jet yields besides its sum (the value, first or lower derivatives along axes)."""
        extra: set = set()
        for st in self.steps:
            if isinstance(st, Collapse):
                extra |= {st.value, *st.gradient}
            elif isinstance(st, Jet):
                extra |= {st.value, *(a for series in st.series for a in series)}
        return set(self.needed) | (extra - {None})


@dataclasses.dataclass(frozen=True)
class IntegralPlan:
    """A definite integral inside a term: its integrand is a scope planned on its own,
    evaluated at the quadrature nodes of the integration variable."""

    node: ir.Integral
    expr: ir.Expr
    fields: tuple[FieldPlan, ...]
    integrals: tuple[IntegralPlan, ...] = ()


@dataclasses.dataclass(frozen=True)
class TermPlan:
    """How one term is computed: its expression after rewriting, and per-field steps."""

    term: str
    expr: ir.Expr
    fields: tuple[FieldPlan, ...]
    integrals: tuple[IntegralPlan, ...] = ()

    def field_plans(self) -> list[FieldPlan]:
        """Every field plan of the term, integrands' included, outer scopes first."""
        plans: list[FieldPlan] = []
        scopes: list = [self]
        while scopes:
            scope = scopes.pop(0)
            plans += scope.fields
            scopes += scope.integrals
        return plans

    def field_names(self) -> list[str]:
        """The fields the term uses, integrands included, each once, in plan order."""
        return list(dict.fromkeys(fp.field for fp in self.field_plans()))


@dataclasses.dataclass(frozen=True)
class SharedPlan:
    """Terms on the same points whose field derivatives are computed once for all of them.

    The trainer gives every term on a region the same points, and a field's steps serve
    every derivative they yield: where one equation needs Δu (one fused pass: the value,
    the gradient and the Laplacian) and another u_x, the pass gives both.  Each field's
    plan here is planned from the union of what the terms read of it.  The terms' own
    plans stay: a term evaluated alone (Levenberg–Marquardt's Jacobian, RAR's scores)
    still follows its own.
    """

    terms: tuple[str, ...]
    fields: tuple[FieldPlan, ...]


@dataclasses.dataclass(frozen=True)
class Schedule:
    terms: tuple[TermPlan, ...]
    shared: tuple[SharedPlan, ...] = ()

    def term(self, name: str) -> TermPlan:
        return self._by_name[name]

    @functools.cached_property
    def _by_name(self) -> dict[str, TermPlan]:  # one look-up per term: a search each was quadratic
        return {t.term: t for t in reversed(self.terms)}  # the first of a name, as a search finds

    def field_plans(self) -> list[FieldPlan]:
        """Every field plan of every term, integrands included."""
        return [fp for term in self.terms for fp in term.field_plans()]


def _parent(alpha: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The canonical parent of a multi-index and the argument that leads to it."""
    last = max(i for i, k in enumerate(alpha) if k)
    parent = list(alpha)
    parent[last] -= 1
    return tuple(parent), last


def _substitute(rest: list, position: int, collapsed: ir.Expr, scale: float) -> ir.Expr:
    """The expression with the collapsed sum (times ``scale``) back in its place."""
    term = collapsed if scale == 1 else ir.Mul((ir.Num(scale), collapsed))
    rest = rest[:position] + [term] + rest[position:]
    return ir.Add(tuple(rest)) if len(rest) > 1 else rest[0]


def _common_scale(values) -> float:
    """The one non-zero value all coefficients share, else 1."""
    nonzero = {v for v in values if v != 0}
    return nonzero.pop() if len(nonzero) == 1 else 1.0


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
    split = linear_in(expr, pure)
    if split is None:
        return expr, None  # used non-linearly: leave to nested forward mode
    coefficients, rest, position = split
    weights = [0.0] * d
    for node, c in coefficients.items():
        weights[node.alpha.index(2)] += c
    scale = _common_scale(weights)
    collapsed = ir.SecondOrderSum(field.name, tuple(w / scale for w in weights), at)
    return _substitute(rest, position, collapsed, scale), collapsed


def _collapse_high(
    expr: ir.Expr, field: ir.FieldDecl, at=None, from_order: int | None = TAYLOR_FROM_ORDER
) -> tuple[ir.Expr, ir.DerivativeSum | None]:
    """Rewrite a field's derivatives of its highest order K ≥ ``from_order`` at one point
    into one DerivativeSum: all of them if they enter linearly with constant coefficients,
    or the one there is, however it is used."""
    if from_order is None:
        return expr, None
    fields = [
        n
        for n in ir.walk(expr, into_integrals=False)
        if isinstance(n, ir.Field) and n.name == field.name and n.at == at
    ]
    order = max((sum(n.alpha) for n in fields), default=0)
    if order < max(from_order, 2):
        return expr, None
    members = {n for n in fields if sum(n.alpha) == order}
    if len(members) == 1:
        (node,) = members
        collapsed = ir.DerivativeSum(field.name, ((node.alpha, 1.0),), at)
        if not _jet_pays(collapsed, 1):
            return expr, None
        return ir.replace(expr, {node: collapsed}), collapsed
    split = linear_in(expr, lambda n: n in members)
    if split is None:
        return expr, None
    coefficients, rest, position = split
    terms: dict[Alpha, float] = {}
    for node, c in coefficients.items():
        terms[node.alpha] = terms.get(node.alpha, 0.0) + c
    scale = _common_scale(terms.values())
    collapsed = ir.DerivativeSum(
        field.name, tuple(sorted(((a, c / scale) for a, c in terms.items() if c), reverse=True)), at
    )
    if not collapsed.terms or not _jet_pays(collapsed, len(members)):
        return expr, None
    return _substitute(rest, position, collapsed, scale), collapsed


def _jet_pays(node: ir.DerivativeSum, derivatives: int) -> bool:
    """Whether one jet (m directions: m·(K − 1) + 2 streams through the network) is
    cheaper than nested jvp (2^K streams for each derivative).  A lone mixed derivative
    such as u_xyt is not: polarising it takes more directions than it saves."""
    directions, _ = polarize(node.terms)
    return len(directions) * (node.order - 1) + 2 < derivatives * 2**node.order


def _jet_gives_second_derivatives(expr: ir.Expr, field: ir.FieldDecl, at, high: ir.DerivativeSum | None) -> bool:
    """Whether every pure second derivative of the field in ``expr`` lies along an axis
    the field's jet runs along: the jet's lower coefficients then give them for free."""
    if high is None or high.order < 3:
        return False
    axes = {_axis(v) for v in polarize(high.terms)[0]} - {None}
    seconds = {
        n.alpha.index(2)
        for n in ir.walk(expr, into_integrals=False)
        if isinstance(n, ir.Field) and n.name == field.name and n.at == at and sorted(n.alpha)[-1] == 2 == sum(n.alpha)
    }
    return seconds <= axes


def _axis(v: tuple[float, ...]) -> int | None:
    """The argument a direction runs along if it is a unit axis eᵢ, else None."""
    return v.index(1.0) if sorted(v) == [0.0] * (len(v) - 1) + [1.0] else None


def _multinomial(alpha: Alpha) -> int:
    return math.factorial(sum(alpha)) // math.prod(math.factorial(k) for k in alpha)


@functools.lru_cache(maxsize=256)
def polarize(terms: tuple[tuple[Alpha, float], ...]) -> tuple[tuple[tuple[float, ...], ...], tuple[float, ...]]:
    """Directions vⱼ and weights λⱼ with Σⱼ λⱼ D_{vⱼ}^K = Σ c_α ∂^α (every |α| = K).

    D_v^K u = Σ_{|α|=K} K!/α! v^α ∂^α u, so the λ solve a linear system over the
    monomials.  Pure derivatives need only their axes.  Otherwise the fewest directions
    that solve it exactly are searched for among the axes, eᵢ ± eⱼ, eᵢ ± 2eⱼ, 2eᵢ ± eⱼ
    and, for two variables, the directions at 60° and 120° (with them Δ² in 2-D takes
    three: the average of D_v⁴ over equally spaced directions is isotropic).
    """
    import itertools

    import numpy as np

    d = len(terms[0][0])
    order = sum(terms[0][0])
    if all(max(a) == order for a, _ in terms):
        return tuple(tuple(float(k == order) for k in a) for a, _ in terms), tuple(c for _, c in terms)
    used = sorted({i for a, _ in terms for i, k in enumerate(a) if k})
    n = len(used)
    monomials = [m for m in itertools.product(range(order + 1), repeat=n) if sum(m) == order]
    target = np.zeros(len(monomials))
    for a, c in terms:
        target[monomials.index(tuple(a[i] for i in used))] += c
    eye = np.eye(n)
    candidates = [eye[i] for i in range(n)]  # eᵢ, then pairs: eᵢ ± eⱼ, eᵢ ± 2eⱼ, 2eᵢ ± eⱼ
    for i, j in itertools.combinations(range(n), 2):
        candidates += [eye[i] + s * eye[j] for s in (1.0, -1.0, 2.0, -2.0)] + [
            2 * eye[i] + s * eye[j] for s in (1.0, -1.0)
        ]
    if n == 2:
        candidates += [np.array([0.5, math.sqrt(3) / 2]), np.array([-0.5, math.sqrt(3) / 2])]
    A = np.array([[_multinomial(m) * np.prod(v ** np.array(m)) for v in candidates] for m in monomials])

    def solve(columns):
        lam, *_ = np.linalg.lstsq(A[:, columns], target, rcond=None)
        return lam if np.abs(A[:, columns] @ lam - target).max() < 1e-9 * max(1.0, np.abs(target).max()) else None

    best = None
    if len(candidates) <= 12:  # exhaustive: the fewest directions
        for size in range(1, len(monomials) + 1):
            for columns in itertools.combinations(range(len(candidates)), size):
                lam = solve(list(columns))
                if lam is not None:
                    best = (list(columns), lam)
                    break
            if best:
                break
    if best is None:  # many variables: all candidates, then drop directions while it still solves
        columns = list(range(len(candidates)))
        if solve(columns) is None:
            # the multi-indices themselves as directions always solve it (Griewank, Utke
            # and Walther 2000: the interpolation system is non-singular)
            candidates += [np.array(m, dtype=float) for m in monomials]
            A = np.array([[_multinomial(m) * np.prod(v ** np.array(m)) for v in candidates] for m in monomials])
            columns = list(range(len(candidates)))
        for c in reversed(range(len(candidates))):
            fewer = [k for k in columns if k != c]
            if fewer and solve(fewer) is not None:
                columns = fewer
        best = (columns, solve(columns))
    directions, weights = [], []
    for column, lam in zip(*best):
        full = [0.0] * d
        for i, value in zip(used, candidates[column]):
            full[i] = float(value)
        directions.append(tuple(full))
        simple = fractions.Fraction(float(lam)).limit_denominator(1000)  # 2/3, not 0.6666666666666669
        weights.append(float(simple) if abs(float(simple) - lam) < 1e-12 else float(lam))
    return tuple(directions), tuple(weights)


def _field_plan(
    field: ir.FieldDecl,
    needed: set[tuple[int, ...]],
    collapsed: ir.SecondOrderSum | None = None,
    high: ir.DerivativeSum | None = None,
    at: tuple[ir.Expr, ...] | None = None,
    samples: int = 0,
) -> FieldPlan:
    # Steps name derivatives by multi-index; the emitter picks the identifiers.
    d = len(field.args)
    zero = (0,) * d
    steps: list[Derive | Evaluate | Collapse | Jet] = []
    if high is not None:
        # one jet: the value, and along each axis direction its pure lower derivatives
        directions, weights = polarize(high.terms)
        series = []
        for v in directions:
            axis = _axis(v)
            along = [
                tuple(k * (j == axis) for j in range(d)) if axis is not None else None for k in range(1, high.order)
            ]
            series.append(tuple(a if a in needed else None for a in along))
        steps.append(Jet(zero, directions, weights, zero if zero in needed else None, tuple(series), high))
        needed = needed - {zero} - {a for s in series for a in s}
    terms = sum(w != 0 for w in collapsed.weights) if collapsed is not None else 0
    if collapsed is not None and 0 < samples < terms:
        # the randomised estimator: the value, and Σ wᵢ∂ᵢᵢ from `samples` random coordinates
        steps.append(
            Collapse(zero, collapsed.weights, zero if zero in needed else None, (None,) * d, collapsed, samples)
        )
        needed = needed - {zero}
    elif collapsed is not None:
        # the fused pass yields the value and every first derivative too
        first = [tuple(int(j == i) for j in range(d)) for i in range(d)]
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
    return FieldPlan(field.name, ordered_needed, tuple(steps), collapsed, high, at)


def _plan_scope(expr: ir.Expr, program: ir.Program, taylor_from_order, samples: int = 0):
    """Plan one scope of evaluation: a term, or the integrand of an integral in it.

    Returns the rewritten expression, a :class:`FieldPlan` per field and point, and
    an :class:`IntegralPlan` per integral (each planned as a scope of its own).
    """
    points: dict[str, list] = {f.name: [] for f in program.fields}  # each field's points, first seen first
    for node in ir.walk(expr, into_integrals=False):
        if isinstance(node, ir.Field) and node.at not in points[node.name]:
            points[node.name].append(node.at)
    collapsed, high = {}, {}
    for field in program.fields:
        for at in points[field.name]:
            expr, high[field.name, at] = _collapse_high(expr, field, at, taylor_from_order)
            collapsed[field.name, at] = None
            if not _jet_gives_second_derivatives(expr, field, at, high[field.name, at]):
                expr, collapsed[field.name, at] = _collapse(expr, field, at)
    needed: dict[tuple, set] = {}
    integrals = []
    for node in ir.walk(expr, into_integrals=False):
        if isinstance(node, ir.Field):
            needed.setdefault((node.name, node.at), set()).add(node.alpha)
        elif isinstance(node, (ir.SecondOrderSum, ir.DerivativeSum)):
            needed.setdefault((node.name, node.at), set())
        elif isinstance(node, ir.Integral):
            inner, fields, nested = _plan_scope(node.integrand, program, taylor_from_order, samples)
            integrals.append(IntegralPlan(node, inner, fields, nested))
    fields = tuple(
        _field_plan(f, needed[f.name, at], collapsed[f.name, at], high[f.name, at], at, samples)
        for f in program.fields
        for at in points[f.name]
        if (f.name, at) in needed
    )
    return expr, fields, tuple(integrals)


def plan(
    program: ir.Program, *, taylor_from_order: int | None = TAYLOR_FROM_ORDER, laplacian_samples: int = 0
) -> Schedule:
    """The derivative schedule of every term of a program.

    Args:
        program: the IR.
        taylor_from_order: collapse a field's highest derivatives into one
            Taylor-mode jet when their order is at least this (default 3); None
            keeps nested jvp for every derivative above the second.
        laplacian_samples: if > 0, estimate each Σ wᵢ∂ᵢᵢ of more terms than this
            from that many coordinates drawn at random (unbiased; STDE's sparse
            estimator), instead of computing it exactly.
    """
    terms = []
    for term in program.terms:
        expr, fields, integrals = _plan_scope(term.expr, program, taylor_from_order, laplacian_samples)
        terms.append(TermPlan(term.name, expr, fields, integrals))
    return Schedule(tuple(terms), _share(program, terms))


def _shareable(term: ir.Term, term_plan: TermPlan) -> bool:
    """Whether a term's derivatives may be computed with other terms': an equation on a sampled
    region (whose points the trainer shares by region), its fields at its own points, without
    integrals, the outward normal or randomly drawn coordinates (those stay per term)."""
    return (
        term.kind == "residual"
        and term.region.points_setting is not None
        and not term_plan.integrals
        and not ir.uses_normals(term)
        and all(fp.at is None and not fp.samples for fp in term_plan.fields)
    )


def _merge(plans: list[FieldPlan]) -> tuple[set, ir.SecondOrderSum | None, ir.DerivativeSum | None] | None:
    """What one plan of a field must give the terms planned apart as ``plans``, or None where
    their passes differ: two sums of second derivatives, two jets, or a sum and a jet."""
    collapsed = {fp.collapsed for fp in plans} - {None}
    high = {fp.high for fp in plans} - {None}
    if len(collapsed) > 1 or len(high) > 1 or (collapsed and high):
        return None
    gives = set().union(*(fp.gives for fp in plans))
    return gives, next(iter(collapsed), None), next(iter(high), None)


def _distinct_passes(plans: list[FieldPlan]) -> list[FieldPlan]:
    """One plan per distinct (collapsed, high) pass: all that decides whether another plan merges."""
    return list({(fp.collapsed, fp.high): fp for fp in plans}.values())


def _share(program: ir.Program, term_plans: list[TermPlan]) -> tuple[SharedPlan, ...]:
    """The groups of terms on one region that use a field in common, each field planned once.

    Terms join in program order; a term whose pass over a field would differ from the
    group's (another Laplacian, a jet) stays apart.
    """
    by_region: dict = {}
    for term, term_plan in zip(program.terms, term_plans):
        if _shareable(term, term_plan):
            by_region.setdefault(term.region, []).append(term_plan)
    groups = []
    for candidates in by_region.values():
        members: list[TermPlan] = []
        passes: dict[str, list[FieldPlan]] = {}  # each field's distinct passes so far, so a join costs O(1)
        for term_plan in candidates:
            trial = {
                f: passes.get(f, []) + [fp for fp in term_plan.fields if fp.field == f] for f in term_plan.field_names()
            }
            if all(_merge(plans) for plans in trial.values()):
                members.append(term_plan)
                passes |= {f: _distinct_passes(plans) for f, plans in trial.items()}
        uses = [f for tp in members for f in tp.field_names()]
        if len(members) < 2 or len(set(uses)) == len(uses):  # nothing in common: nothing to share
            continue
        fields = []
        for decl in program.fields:
            plans = [fp for tp in members for fp in tp.fields if fp.field == decl.name]
            if plans:
                gives, collapsed, high = _merge(plans)
                fields.append(_field_plan(decl, gives, collapsed, high))
        groups.append(SharedPlan(tuple(tp.term for tp in members), tuple(fields)))
    return tuple(groups)


def format_schedule(schedule: Schedule, program: ir.Program) -> str:
    """The schedule as text (`symbolic-pinn compile --emit plan`)."""
    lines = []
    for term_plan, term in zip(schedule.terms, program.terms):
        lines.append(f"term {term.name}    # {term.label}")
        if not term_plan.fields and not term_plan.integrals:
            lines.append("  no field derivatives")
        lines += _format_scope(term_plan.fields, term_plan.integrals, program, "  ")
    for shared in schedule.shared:
        lines.append(f"terms {', '.join(shared.terms)}    # at the same points: each field's derivatives once for all")
        lines += _format_scope(shared.fields, (), program, "  ")
    return "\n".join(lines) + "\n"


def _format_scope(fields, integrals, program: ir.Program, indent: str) -> list[str]:
    lines = []
    for fp in fields:
        decl = program.field(fp.field)
        label = fp.field
        if fp.at is not None:
            label += " at (" + ", ".join(ir.format_expr(a, program) for a in fp.at) + ")"
        if fp.collapsed is not None and fp.samples:
            lines.append(
                f"{indent}{label}: {describe_sum(fp.collapsed, decl)}  — estimated, unbiased: "
                f"{fp.samples} random coordinates per evaluation (collapsed Taylor mode)"
            )
        elif fp.collapsed is not None:
            lines.append(
                f"{indent}{label}: {describe_sum(fp.collapsed, decl)}  — collapsed Taylor mode (forward Laplacian)"
            )
        if fp.high is not None:
            jet = fp.jet
            lines.append(
                f"{indent}{label}: {describe_derivative_sum(fp.high, decl)}  — collapsed Taylor mode "
                f"(one jet of order {jet.order} along {len(jet.directions)} direction{'s' * (len(jet.directions) > 1)})"
            )
        if fp.needed:
            names = ", ".join(ir.derivative_name(fp.field, a, decl.args) for a in fp.needed)
            highest = max(sum(a) for a in fp.needed)
            how = "nested forward mode (jax.jvp)" if highest else "the network's value"
            lines.append(f"{indent}{label}: {names}  — {how}, order ≤ {highest}")
        for step in fp.steps:
            lines.append(f"{indent}  {step.describe(decl)}")
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
    text = " + ".join(parts)
    name = ir.second_order_name(node, field.args)
    return text if name == text else f"{name} = {text}"


def describe_derivative_sum(node: ir.DerivativeSum, field: ir.FieldDecl) -> str:
    parts = []
    for alpha, c in node.terms:
        name = ir.derivative_name(field.name, alpha, field.args)
        parts.append(name if c == 1 else f"{c:g}*{name}")
    text = " + ".join(parts).replace("+ -", "- ")
    name = ir.derivative_sum_name(node, field.args)
    return text if name == text else f"{name} = {text}"


def describe_direction(v: tuple[float, ...], field: ir.FieldDecl) -> str:
    """``x`` for an axis, else the vector: ``(1, -1)``, ``(0.5, 0.866)``."""
    if _axis(v) is not None:
        return field.args[_axis(v)]
    return "(" + ", ".join(f"{c:.4g}" for c in v) + ")"
