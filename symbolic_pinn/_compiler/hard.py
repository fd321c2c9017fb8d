"""Exact constraints: a field's network is built so that some of its conditions hold exactly.

A field becomes u = G + φ·N(x̃), whatever the network N's weights:

- **initial conditions** ``u = g(x) at t = t₀`` (or ``u(x, t₀) = g(x)``): G = g, φ = τ,
  τ = (t − t₀)/(t₁ − t₀) the scaled time; with also ``Dt(u) = h(x) at t = t₀`` and an
  equation of second order in t: G = g + (t − t₀)·h, φ = τ²;
- **Dirichlet conditions** ``u = g on ∂Ω``: G = g, φ zero on the boundary and positive
  inside — for a box Πᵢ (xᵢ − aᵢ)(bᵢ − xᵢ) over the spatial variables, for a disk or
  ball r² − |x − c|², each scaled to be of order one; or ``u = g_a at x = a`` and
  ``u = g_b at x = b`` (or ``u(a, y) = g_a``) on the faces of one spatial variable: G interpolates g_a and g_b
  linearly in x, φ = (x − a)(b − x) scaled (one face alone: φ = (x − a)/(b − a));
- **both**: φ is the product, and G = G_D + (g − G_D|t₀) (+ (t − t₀)·(h − ∂ₜG_D|t₀)):
  equal to g at t₀ always, and to G_D on the boundary where the data agree at the
  corners (g = G_D and h = ∂ₜG_D on ∂Ω at t₀), which is checked at sample points;
  when they do not agree, only the initial condition is built in;
- **periodic pairs** ``u(a, t) = u(b, t)`` (and ``Dx(u)(a, t) = Dx(u)(b, t)``) for x in
  [a, b]: N sees cos θ and sin θ, θ = 2π(x − a)/(b − a), in place of x, so u and every
  derivative take equal values at a and b.

Each imposed term leaves the loss: no weight to balance against the equation.  A
condition that cannot be made exact stays a loss term, and so does one whose data have a
kink or a jump (``max(S − K, 0)``, ``abs``, ``if``, a table): N would have to undo it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import _functions as functions
from . import ir
from .algebra import constant, linear_in

__all__ = ["Exact", "constrain", "format_exact", "built_in"]

# the initial and boundary data must agree at the corners to this (relative) tolerance
_CORNER_TOLERANCE = 1e-10


@dataclasses.dataclass(frozen=True)
class Exact:
    """How one field's network is built: u = lift + distance·N, N seeing ``periodic`` coordinates embedded.

    ``lift`` (G) and ``distance`` (φ) are field-free expressions of the coordinates, or
    None when no value condition is built in; ``periodic`` holds (variable, a, b) for
    each coordinate embedded as cos and sin; ``imposed`` the terms that G and φ meet,
    ``pairs`` the periodic pairs the embedding meets.
    """

    lift: ir.Expr | None = None
    distance: ir.Expr | None = None
    periodic: tuple[tuple[str, float, float], ...] = ()
    imposed: tuple[ir.Term, ...] = ()
    pairs: tuple[ir.Term, ...] = ()

    time: str | None = None  # the program's time variable

    @property
    def dirichlet(self) -> bool:
        """Whether a condition on the spatial boundary is built in."""
        return any(t.region == ir.BOUNDARY or (isinstance(t.region, ir.Face) and t.region.variable != self.time)
                   or (isinstance(t.region, ir.Within) and t.region.base == ir.BOUNDARY)
                   for t in self.imposed)  # fmt: skip


def constrain(
    program: ir.Program,
    *,
    dirichlet: bool = False,
    initial: bool = True,
    periodic: bool = True,
    shared: bool = False,
) -> tuple[ir.Program, dict[str, Exact]]:
    """The program without the terms built into the networks, and each changed field's :class:`Exact`.

    ``dirichlet``, ``initial`` and ``periodic`` choose which kinds of condition are built
    in (see the module docstring); ``shared`` (one network for all fields) embeds a
    periodic coordinate only where every field has the same periodic pairs.
    """
    removed: set[str] = set()
    exact: dict[str, Exact] = {}
    embedded = _periodic(program) if periodic else {}
    if shared and len({embedded.get(f.name, ((), []))[0] for f in program.fields}) > 1:
        embedded = {}
    for f in program.fields:
        keys, pair_terms = embedded.get(f.name, ((), []))
        spatial = _spatial(program, f, {key[0] for key in keys}) if dirichlet else None
        initial_part = _initial(program, f) if initial else None
        lift, distance, imposed = _combine(program, f, spatial, initial_part)
        if not _periodic_lift(program, f, lift, keys):  # data not periodic: the initial condition alone?
            lift, distance, imposed = _combine(program, f, None, initial_part)
            if not _periodic_lift(program, f, lift, keys):
                lift, distance, imposed = None, None, []
        if not imposed and not keys:
            continue
        exact[f.name] = Exact(lift, distance, keys, tuple(imposed), tuple(pair_terms), program.time)
        removed |= {t.name for t in imposed + pair_terms}
    kept = tuple(t for t in program.terms if t.name not in removed)
    return dataclasses.replace(program, terms=kept), exact


def built_in(exact: dict[str, Exact]) -> dict[str, list[str]]:
    """The conditions built into each field's network, as written (periodic pairs included)."""
    return {name: [t.label or t.name for t in e.imposed + e.pairs] for name, e in exact.items() if e.imposed or e.pairs}


def format_exact(exact: dict[str, Exact], program: ir.Program) -> str:
    """What each field's network is built to satisfy exactly (the head of ``--emit plan``)."""
    lines = []
    for name, e in exact.items():
        args = program.field(name).args
        inputs = []
        for a in args:
            period = next((p for p in e.periodic if p[0] == a), None)
            if period is None:
                inputs.append(a)
            else:
                inputs.append(f"cos θ_{a}, sin θ_{a}")
        network = f"N({', '.join(inputs)})"
        if e.lift is not None:
            distance = ir.format_expr(e.distance, program)
            distance = f"({distance})" if isinstance(e.distance, ir.Add) else distance
            lift = "" if _zero(e.lift) else ir.format_expr(e.lift, program) + " + "
            lines.append(f"{name} = {lift}{distance}·{network}    exact constraints:")
        else:
            lines.append(f"{name} = {network}    exact constraints:")
        for a, lo, hi in e.periodic:
            shift = ir.format_expr(_minus(ir.Var(a), lo), program)
            lines.append(f"  θ_{a} = 2π({shift})/{hi - lo:g}: {name} and every derivative periodic in {a}")
        lines += [f"  {t.label}    (term {t.name} leaves the loss)" for t in e.imposed + e.pairs]
    lines += _kept_initial(exact, program)
    return "\n".join(lines) + "\n" if lines else ""


def _kept_initial(exact: dict[str, Exact], program: ir.Program) -> list[str]:
    """A line for each initial value condition left in the loss for a reason the plan can name:
    data with a kink or a jump, or data not periodic where the field's coordinate is embedded."""
    start = next((v.lo for v in program.variables if v.name == program.time), None)
    lines = []
    for t in program.terms:
        c = _value_condition(t, program)
        if c is None or c[2] != program.time or c[3] != start or any(c[1]):
            continue
        periodic = exact[c[0]].periodic if c[0] in exact else ()
        if not _smooth(c[4]):
            why = "its data have a kink or a jump, which N would have to undo"
        elif periodic and not _periodic_lift(program, program.field(c[0]), c[4], periodic):
            names = ", ".join(p[0] for p in periodic)
            why = f"its data are not periodic in {names} (with their derivatives), as N of cos θ and sin θ is"
        else:
            continue
        lines.append(f"term {t.name}: {t.label}    initial ({program.time} is time), but stays a loss term: {why}")
    return lines


# ---- finding the conditions ---------------------------------------------------------


def _condition(term: ir.Term, program: ir.Program):
    """(field, alpha, variable, value, g) if the term is ``∂^α u = g`` on the face ``variable = value``
    with smooth data g (:func:`_smooth`): a condition that can be built in."""
    c = _value_condition(term, program)
    return c if c is not None and _smooth(c[4]) else None


def _value_condition(term: ir.Term, program: ir.Program):
    """(field, alpha, variable, value, g) if the term is ``∂^α u = g`` on the face ``variable = value``.

    The face is the term's region (``u = g at t = 0``) or the point the field is taken at
    (``u(x, 0) = g``, sampled inside); g is free of fields, unknowns, data and normals,
    and the field enters linearly with a constant coefficient.
    """
    if term.kind != "residual":
        return None
    nodes = _leaves(term.expr)
    if len(set(nodes)) != 1 or not isinstance(nodes[0], ir.Field):
        return None
    node = nodes[0]
    args = program.field(node.name).args
    if isinstance(term.region, ir.Face) and node.at is None:
        variable, value = term.region.variable, term.region.value
    elif term.region == ir.INTERIOR and node.at is not None:
        fixed = [(a, p) for a, p in zip(args, node.at) if p != ir.Var(a)]
        if len(fixed) != 1 or not isinstance(fixed[0][1], ir.Num):
            return None
        ((variable, point),) = fixed
        value = point.value
    else:
        return None
    if variable not in args:
        return None
    split = linear_in(term.expr, lambda n: n == node)
    if split is None:
        return None
    coefficients, rest, _ = split
    c = coefficients.get(node, 0.0)
    if c == 0:
        return None
    g = ir.Add(tuple(_times(-1.0 / c, r) for r in rest)) if rest else ir.Num(0.0)  # c·u + rest = 0
    g = _simplify(ir.replace(g, {ir.Var(variable): ir.Num(value)}))
    if any(isinstance(n, ir.Var) and n.name not in args for n in ir.walk(g)):
        return None
    return node.name, node.alpha, variable, value, g


def _smooth(g: ir.Expr) -> bool:
    """Whether data g are smooth: no kink or jump (a function row marked not smooth, an ``if``)
    and no tabulated values.  Data with one are not built in: u − g would carry it into the
    smooth network N, and near the face (u − g)/φ is singular where the solution smooths the
    kink at once (a payoff max(S − K, 0) at the start of a diffusion: (u − g)/τ grows like
    τ^(-1/2) at S = K)."""
    for n in ir.walk(g):
        if isinstance(n, (ir.Call, ir.CallMany)) and not functions.lookup(n.fn).smooth:
            return False
        if isinstance(n, (ir.Table, ir.Where, ir.Compare, ir.Logic)):
            return False
    return True


def _initial(program: ir.Program, field: ir.FieldDecl):
    """(t₀, g, h, terms) of the field's initial conditions that can be built in, or None.

    h (the initial ∂ₜu) is used only when an equation is of second order in t.
    """
    if program.time not in field.args:
        return None
    i = field.args.index(program.time)
    interior = [t for t in program.terms if t.region == ir.INTERIOR]
    order = max((n.alpha[i] for t in interior for n in ir.walk(t.expr) if isinstance(n, ir.Field)
                 and n.name == field.name and n.at is None), default=0)  # fmt: skip
    found = {}
    for term in program.terms:
        c = _condition(term, program)
        if c is None or c[0] != field.name or c[2] != program.time:
            continue
        _, alpha, _, t0, g = c
        if any(a for j, a in enumerate(alpha) if j != i) or alpha[i] > 1 or (alpha[i] == 1 and order < 2):
            continue
        found.setdefault((t0, alpha[i]), (g, term))
    starts = sorted({t0 for t0, k in found if k == 0})
    if len(starts) != 1:
        return None  # none, or conditions at two times (a boundary-value problem in t): leave them
    t0 = starts[0]
    g, value_term = found[t0, 0]
    h, slope_term = found.get((t0, 1), (None, None))
    return t0, g, h, [value_term] + ([slope_term] if slope_term else [])


def _spatial(program: ir.Program, field: ir.FieldDecl, periodic: dict):
    """(G_D, φ_D, terms) of the field's Dirichlet conditions that can be built in, or None."""
    spatial = [
        v for v in program.variables if v.name != program.time and v.name in field.args and v.name not in periodic
    ]
    for term in program.terms:
        c = _whole_boundary(term, program, field)
        if c is not None and not periodic:
            if _pinned_on_boundary(program, field, term):
                return None  # another condition gives the field on a piece of ∂Ω: u = g + φ·N would break it
            distance = _distance(program)
            return (c, distance, [term]) if distance is not None else None
    faces: dict[str, dict[float, tuple]] = {}
    for term in program.terms:
        c = _condition(term, program)
        if c is None or c[0] != field.name or any(c[1]):  # `u = g at x = a`, or `u(a) = g`: the same condition
            continue
        _, _, variable, value, g = c
        if any(v.name == variable and value in (v.lo, v.hi) for v in spatial) and program.shape is None:
            faces.setdefault(variable, {}).setdefault(value, (g, term))
    if not faces:
        return None
    v = next(v for v in spatial if v.name in faces)  # the first variable with a Dirichlet face
    ends = faces[v.name]
    x, width = ir.Var(v.name), v.hi - v.lo
    if len(ends) == 2:
        (ga, ta), (gb, tb) = ends[v.lo], ends[v.hi]
        lift = _add(
            _mul(ga, _scaled(_minus(ir.Num(v.hi), x), 1 / width)), _mul(gb, _scaled(_minus(x, v.lo), 1 / width))
        )
        distance = _scaled(ir.Mul((_minus(x, v.lo), _minus(ir.Num(v.hi), x))), 4 / width**2)
        return lift, distance, [ta, tb]
    ((value, (g, term)),) = ends.items()
    distance = _scaled(_minus(x, v.lo) if value == v.lo else _minus(ir.Num(v.hi), x), 1 / width)
    return g, distance, [term]


def _pinned_on_boundary(program: ir.Program, field: ir.FieldDecl, whole: ir.Term) -> bool:
    """Whether a term other than ``whole`` gives the field's value on an end face of a spatial
    interval (``u = 1 at y = 1``, ``u(0, y) = 1``) or on a part of a shaped boundary.  The front ends
    read ``on ∂Ω`` beside such a condition as the rest of ∂Ω, so this holds only for a program
    built otherwise; it is checked here so that no condition is built in while another
    contradicts it."""
    ends = {(v.name, end) for v in program.variables if v.name in program.spatial for end in (v.lo, v.hi)}
    for term in program.terms:
        if term is whole:
            continue
        if isinstance(term.region, ir.Part) and any(
            isinstance(n, ir.Field) and n.name == field.name for n in ir.walk(term.expr)
        ):
            return True
        c = _value_condition(term, program)
        if c is not None and c[0] == field.name and not any(c[1]) and (c[2], c[3]) in ends:
            return True
    return False


def _on_boundary(term: ir.Term, field: ir.FieldDecl) -> bool:
    """Whether the term holds on ∂Ω, or on the part of it in the region where the field lives
    (`field u1(x, y) in A`, `u1 = 0 on ∂Ω`): φ vanishing on all of ∂Ω is then right for it, since
    the field is used in its region only, and φ is not 0 on the region's interface (inside Ω)."""
    if term.region == ir.BOUNDARY:
        return True
    region = term.region
    return isinstance(region, ir.Within) and region.base == ir.BOUNDARY and region.bounds == field.region != ()


def _whole_boundary(term: ir.Term, program: ir.Program, field: ir.FieldDecl) -> ir.Expr | None:
    """g if the term is ``u = g on ∂Ω`` for this field, which takes every spatial variable."""
    if not _on_boundary(term, field) or set(program.spatial) - set(field.args):
        return None
    nodes = _leaves(term.expr)
    if len(nodes) != 1 or nodes[0] != ir.Field(field.name, (0,) * len(field.args)):
        return None
    split = linear_in(term.expr, lambda n: n == nodes[0])
    if split is None or split[0].get(nodes[0], 0.0) == 0:
        return None
    coefficients, rest, _ = split
    c = coefficients[nodes[0]]
    if not rest:
        return ir.Num(0.0)
    parts = tuple(_times(-1.0 / c, r) for r in rest)  # c·u + rest = 0: u = −rest / c
    g = parts[0] if len(parts) == 1 else ir.Add(parts)
    return g if _smooth(g) else None


def _periodic(program: ir.Program) -> dict[str, tuple[tuple[tuple[str, float, float], ...], list[ir.Term]]]:
    """Each field's periodic coordinates (variable, a, b), and the pair terms they make exact.

    A coordinate is embedded only when its value pair ``u(a, …) = u(b, …)`` is present;
    derivative pairs of it then leave the loss too.
    """
    found: dict[str, dict[tuple, list]] = {}
    for term in program.terms:
        pair = _pair(term, program)
        if pair is not None:
            name, alpha, key = pair
            found.setdefault(name, {}).setdefault(key, []).append((alpha, term))
    embedded = {}
    for name, by_key in found.items():
        keys = tuple(key for key, terms in by_key.items() if any(not any(alpha) for alpha, _ in terms))
        if keys:
            embedded[name] = (keys, [term for key in keys for _, term in by_key[key]])
    return embedded


def _pair(term: ir.Term, program: ir.Program):
    """(field, alpha, (variable, a, b)) if the term is ``∂^α u(a, …) = ∂^α u(b, …)``, x in [a, b]."""
    if term.kind != "residual" or term.region != ir.INTERIOR:
        return None
    nodes = set(_leaves(term.expr))
    if len(nodes) != 2 or not all(isinstance(n, ir.Field) and n.at is not None for n in nodes):
        return None
    first, second = sorted(nodes, key=repr)
    if first.name != second.name or first.alpha != second.alpha:
        return None
    split = linear_in(term.expr, lambda n: n in nodes)
    if split is None or split[1] or split[0].get(first, 0.0) == 0:
        return None
    if split[0][first] != -split[0].get(second, 0.0):
        return None
    args = program.field(first.name).args
    differ = [i for i, (p, q) in enumerate(zip(first.at, second.at)) if p != q]
    same = all(p == ir.Var(a) for i, (a, p) in enumerate(zip(args, first.at)) if i not in differ)
    if len(differ) != 1 or not same:
        return None
    i = differ[0]
    p, q = first.at[i], second.at[i]
    variable = next(v for v in program.variables if v.name == args[i])
    if program.shape is not None and variable.name in program.shape[0]:
        return None
    # the ends as the numbers they are: `u(0, t) = u(2*pi, t)` on x in [0, 2*pi] is a pair
    ends = sorted(v for v in (constant(p), constant(q)) if v is not None)
    bounds = (variable.lo, variable.hi)
    if len(ends) != 2 or not all(math.isclose(e, b, rel_tol=1e-12, abs_tol=1e-12) for e, b in zip(ends, bounds)):
        return None
    return first.name, first.alpha, (variable.name, variable.lo, variable.hi)


# ---- combining them -----------------------------------------------------------------


def _combine(program: ir.Program, field: ir.FieldDecl, spatial, initial):
    """(G, φ, imposed terms) of the conditions built into one field."""
    if spatial is None and initial is None:
        return None, None, []
    if initial is None:
        lift, distance, terms = spatial
        return lift, distance, list(terms)
    t0, g, h, initial_terms = initial
    time = next(v for v in program.variables if v.name == program.time)
    tau = _scaled(_minus(ir.Var(time.name), t0), 1 / (time.hi - time.lo))
    steps = _minus(ir.Var(time.name), t0)
    lift_t = g if h is None else _add(g, _mul(steps, h))
    distance_t = tau if h is None else ir.Pow(tau, ir.Num(2.0))
    if spatial is None:
        return lift_t, distance_t, list(initial_terms)
    lift_d, distance_d, spatial_terms = spatial
    depends_on_time = any(n == ir.Var(time.name) for n in ir.walk(lift_d))
    if depends_on_time and h is not None:
        return lift_t, distance_t, list(initial_terms)  # ∂ₜG_D would be needed: the Dirichlet part stays a term
    at_start = _simplify(ir.replace(lift_d, {ir.Var(time.name): ir.Num(t0)}))
    if not _agree(program, field, at_start, g) or (h is not None and not _agree(program, field, ir.Num(0.0), h)):
        return lift_t, distance_t, list(initial_terms)  # the data disagree at the corners
    # G = G_D + (g − G_D|t₀) (+ (t − t₀)·h): when G_D is free of t that is g (+ (t − t₀)·h)
    lift = _add(lift_d, _add(g, _times(-1.0, at_start))) if depends_on_time else lift_t
    if h is not None and depends_on_time:
        lift = _add(lift, _mul(steps, h))
    return lift, ir.Mul((distance_d, distance_t)), list(initial_terms) + list(spatial_terms)


def _agree(program: ir.Program, field: ir.FieldDecl, a: ir.Expr, b: ir.Expr) -> bool:
    """Whether a = b at sample points of the spatial boundary (both free of t)."""
    from .._runtime import sample_region

    domain = {v.name: (v.lo, v.hi) for v in program.variables}
    # time is not space; the parameters' ends are still sampled here, as before time had one home
    points = sample_region(7, ("boundary",), 64, domain, program.shape, parameters=(program.time,))
    return _equal(lambda: (_evaluate(a, dict(zip(domain, points))), _evaluate(b, dict(zip(domain, points)))))


def _periodic_lift(program: ir.Program, field: ir.FieldDecl, lift: ir.Expr | None, keys) -> bool:
    """Whether G and its derivatives along each embedded coordinate agree at its two ends.

    u = G + φ·N(embedded) meets the periodic pairs only then; checked up to the highest
    order along that coordinate that the problem uses, at points drawn in the others.
    """
    if lift is None:
        return True
    import jax.numpy as jnp

    rng = np.random.default_rng(11)
    for name, lo, hi in keys:
        i = field.args.index(name)
        order = _order(program, field, i, program.terms)
        base = {v.name: rng.uniform(v.lo, v.hi, 16) for v in program.variables}

        def g(x, base=base, name=name):
            return _evaluate(lift, base | {name: x})

        def ends(g=g, lo=lo, hi=hi, order=order):
            f, left, right = g, [], []
            for _ in range(order + 1):
                left.append(f(jnp.full(16, lo)))
                right.append(f(jnp.full(16, hi)))
                f = _derivative(f)
            return jnp.stack(left), jnp.stack(right)

        if not _equal(ends):
            return False
    return True


def _derivative(f):
    """x ↦ f'(x) of a pointwise function, by one jax.jvp."""
    import jax
    import jax.numpy as jnp

    return lambda x: jax.jvp(f, (x,), (jnp.ones_like(x),))[1]


def _order(program: ir.Program, field: ir.FieldDecl, i: int, terms) -> int:
    """The highest order of a derivative of the field along its argument i in these terms."""
    return max(
        (n.alpha[i] for t in terms for n in ir.walk(t.expr) if isinstance(n, ir.Field) and n.name == field.name),
        default=0,
    )


def _equal(compute) -> bool:
    """Whether the two arrays ``compute()`` gives (in float64) agree to rounding."""
    import jax

    with jax.enable_x64(True):
        a, b = (np.asarray(v, dtype=float) for v in compute())
    scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return bool(np.all(np.isfinite(a - b))) and bool(np.max(np.abs(a - b)) <= _CORNER_TOLERANCE * scale)


def _evaluate(expr: ir.Expr, values: dict):
    """A field-free expression at points, with jax.numpy: for the checks of this module only.

    The data of a condition that :func:`_condition` accepts hold only these nodes; any
    other is an internal error, raised (never read as "the data disagree").
    """
    import jax.numpy as jnp

    like = jnp.asarray(next(iter(values.values())), dtype=float)
    if isinstance(expr, ir.Num):
        return jnp.full_like(like, expr.value)
    if isinstance(expr, ir.Const):
        return jnp.full_like(like, {"pi": math.pi, "e": math.e}[expr.name])
    if isinstance(expr, ir.Var):
        return jnp.asarray(values[expr.name], dtype=float)
    if isinstance(expr, ir.Add):
        return sum((_evaluate(a, values) for a in expr.args[1:]), _evaluate(expr.args[0], values))
    if isinstance(expr, ir.Mul):
        return math.prod((_evaluate(a, values) for a in expr.args[1:]), start=_evaluate(expr.args[0], values))
    if isinstance(expr, ir.Pow):
        return _evaluate(expr.base, values) ** _evaluate(expr.exp, values)
    if isinstance(expr, ir.Call):
        return _apply(functions.lookup(expr.fn), [_evaluate(expr.arg, values)])
    if isinstance(expr, ir.CallMany):
        return _apply(functions.lookup(expr.fn), [_evaluate(a, values) for a in expr.args])
    raise TypeError(f"internal error: the exact-constraint checks cannot evaluate {type(expr).__name__} nodes")


def _apply(row: functions.Function, args: list):
    """A row of the function table applied to arrays: the very JAX source the generated module
    runs (``row.call``: a name, or a template such as ``jnp.reciprocal(jnp.cosh({}))``).

    The source is the table's, never user text, and it is not run: its syntax tree is walked
    here, and only names (jax, jnp, the arguments, the runtime's definitions), attributes,
    constants and calls are followed (no ``eval``: the package's only ``exec`` is the loader's).
    """
    import ast

    import jax
    import jax.numpy as jnp
    import jax.scipy.special  # noqa: F401 - rows name jax.scipy.special.erf

    from .. import _runtime

    names = [f"_{i}" for i in range(len(args))]
    scope = {"jax": jax, "jnp": jnp, **dict(zip(names, args))}

    def value(node: ast.expr):
        if isinstance(node, ast.Name):
            if node.id in scope:
                return scope[node.id]
            if node.id in _runtime.definitions():
                return getattr(_runtime, node.id)
        elif isinstance(node, ast.Attribute):
            return getattr(value(node.value), node.attr)
        elif isinstance(node, ast.Constant):
            return node.value
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        elif isinstance(node, ast.Call) and not node.keywords:
            return value(node.func)(*(value(a) for a in node.args))
        raise TypeError(f"internal error: the function table's {row.name} is written with {ast.dump(node)}")

    return value(ast.parse(row.call(names), mode="eval").body)


def _distance(program: ir.Program) -> ir.Expr | None:
    """φ of the domain's spatial part: zero on the boundary, positive inside, order one; None if not built."""
    if program.shape is None:
        scale, factors = 1.0, []
        for v in program.variables:
            if v.name in program.spatial:
                scale *= 4.0 / (v.hi - v.lo) ** 2
                factors += [_minus(ir.Var(v.name), v.lo), _minus(ir.Num(v.hi), ir.Var(v.name))]
        return ir.Mul(tuple(([ir.Num(scale)] if scale != 1 else []) + factors))
    variables, tree = program.shape  # a family of shapes (`disk((0, 0), r)`): its params last, φ depends on them
    if set(variables) - set(program.parameters) != set(program.spatial):
        return None
    return tree.exact_distance([ir.Var(name) for name in variables], _IR_ALGEBRA)


_IR_ALGEBRA = ir.ALGEBRA


# ---- small expression builders ------------------------------------------------------


def _leaves(expr: ir.Expr) -> list[ir.Expr]:
    """The nodes of an expression that are not functions of the coordinates alone: fields, unknowns, data."""
    return [n for n in ir.walk(expr) if isinstance(n, (ir.Field, ir.Unknown, ir.Observed, ir.Normal, ir.Integral))]


def _times(k: float, e: ir.Expr) -> ir.Expr:
    """k·e, folding k into a leading number."""
    if isinstance(e, ir.Num):
        return ir.Num(k * e.value)
    if isinstance(e, ir.Mul) and isinstance(e.args[0], ir.Num):
        k, e = k * e.args[0].value, (ir.Mul(e.args[1:]) if len(e.args) > 2 else e.args[1])
    return e if k == 1 else ir.Mul((ir.Num(k), e))


def _scaled(e: ir.Expr, k: float) -> ir.Expr:
    return e if k == 1 else ir.Mul((ir.Num(k), e))


def _minus(a: ir.Expr, b: float | ir.Expr) -> ir.Expr:
    """a − b, without a zero."""
    if isinstance(b, ir.Expr):
        return ir.Add((a, ir.Mul((ir.Num(-1.0), b))))
    return a if b == 0 else ir.Add((a, ir.Num(-b)))


def _zero(e: ir.Expr) -> bool:
    return isinstance(e, ir.Num) and e.value == 0


def _add(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    """a + b, without a zero."""
    if _zero(a) or _zero(b):
        return b if _zero(a) else a
    return ir.Add((*(a.args if isinstance(a, ir.Add) else (a,)), *(b.args if isinstance(b, ir.Add) else (b,))))


def _mul(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    """a·b, zero if either is."""
    if _zero(a) or _zero(b):
        return ir.Num(0.0)
    return ir.Mul((a, b))


def _simplify(e: ir.Expr) -> ir.Expr:
    """Products with a zero factor and sums of zeros removed (after putting a number for t)."""
    if isinstance(e, ir.Add):
        args = [a for a in (_simplify(a) for a in e.args) if not _zero(a)]
        return ir.Num(0.0) if not args else args[0] if len(args) == 1 else ir.Add(tuple(args))
    if isinstance(e, ir.Mul):
        args = [_simplify(a) for a in e.args]
        return ir.Num(0.0) if any(map(_zero, args)) else ir.Mul(tuple(args))
    return e
