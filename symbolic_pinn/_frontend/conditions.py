"""Where each condition holds, and whether the conditions agree: one meaning for ``on ∂Ω``.

``on ∂Ω`` next to conditions on parts or faces of the boundary means the rest of it,
decided per field, on every domain: on a shaped domain the parts with a condition on one
of the same fields are left out (a ``RestPart``), on a product of intervals the end faces
with one (a :class:`~.regions.Faces` region).  Then two conditions that give the same
quantity of a field (``u``, ``Dx(u)``) on the same points are compared at sample points:
different values there are a located error naming both lines.  Two value conditions that
meet (the lid ``y = 1`` and the wall ``x = 0``; the initial condition and the boundary)
are compared where they meet: a jump there is a :class:`ReadingWarning` with its size.

The data are evaluated with SymPy's ``evalf`` at numbers (no code is generated or run);
data that are not numbers there (unknowns, tables, normals) are not compared.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from .._errors import PinnError, ReadingWarning, Span
from .._runtime.geometry import RestPart
from .._runtime.sampling import predicate_holds
from .regions import BOUNDARY, INTERIOR, Face, Faces, Part, Restricted, kept_fraction, predicate_literal
from .spec import Spec, TermSpec, variable

__all__ = ["settle", "rest_of_boundary", "coverage"]

_TOLERANCE = 1e-9  # relative: data closer than this agree
_POINTS = 16  # sample points of each set compared


def settle(spec: Spec) -> Spec:
    """``spec`` with ``on ∂Ω`` read as the rest of the boundary where other conditions take parts
    of it; a PinnError where two conditions contradict, a warning where data jump at a corner."""
    spec = dataclasses.replace(spec, terms=rest_of_boundary(spec))
    values = _values(spec)
    _contradictions(spec, values)
    _corners(spec, values)
    return spec


# ---- the rest of the boundary ---------------------------------------------------------


def _field_names(expr) -> set[str]:
    return {f.func.__name__ for f in expr.atoms(AppliedUndef)}


def _spatial(spec: Spec) -> dict[str, tuple[float, float]]:
    """The spatial variables with intervals (not in a shape): their ends are faces of ∂Ω."""
    shaped = set(spec.shape[0]) if spec.shape else set()
    return {
        s.name: (lo, hi)
        for s, lo, hi in spec.variables
        if s.name != spec.time and s.name not in spec.parameters and s.name not in shaped
    }


def _face_of(term: TermSpec, spec: Spec) -> Face | None:
    """The face a condition is on: ``at x = 1``, or ``u(1, y) = 0`` (every field taken there)."""
    if isinstance(term.region, Face):
        return term.region
    if term.region == INTERIOR and term.kind == "residual":
        fixed = {_fixed(a, spec) for a in term.expr.atoms(AppliedUndef)}
        if len(fixed) == 1 and None not in fixed:
            return Face(*next(iter(fixed)))
    return None


def _end_face(term: TermSpec, spec: Spec) -> Face | None:
    """The end face of a spatial interval a condition is on: ``at x = 1``, or ``u(1, y) = 0``."""
    ends = _spatial(spec)
    face = _face_of(term, spec)
    return face if face is not None and face.variable in ends and face.value in ends[face.variable] else None


def _fixed(applied, spec: Spec) -> tuple[str, float] | None:
    """(variable, value) where a field is taken at one fixed number: ``u(1, y)`` → ("x", 1.0)."""
    own = next((f.args for f in spec.fields if f.func == applied.func), None)
    if own is None:
        return None
    fixed = [(a.name, b) for a, b in zip(own, applied.args) if a != b]
    if len(fixed) != 1 or not fixed[0][1].is_number:
        return None
    return fixed[0][0], float(fixed[0][1])


def rest_of_boundary(spec: Spec) -> tuple[TermSpec, ...]:
    """The terms, with each condition ``on ∂Ω`` on the rest of the boundary for its fields.

    The parts of a shaped domain's boundary (or the end faces of an interval domain) that
    carry a condition on one of the same fields are left out: with ``u = 1 at y = 1``,
    ``u = 0 on ∂Ω`` holds on x = 0, x = 1 and y = 0.  A condition left with nothing is an error.
    """
    terms = list(spec.terms)
    conditions = [t for t in terms if t.kind == "residual"]
    parts = [(t.region, _field_names(t.expr)) for t in conditions if isinstance(t.region, Part)]
    faces = [(f, _field_names(t.expr)) for t in conditions if (f := _end_face(t, spec)) is not None]
    restricted = [t for t in conditions if isinstance(t.region, Restricted)]
    ends = _spatial(spec)
    every = tuple(Face(v, value) for v, (lo, hi) in ends.items() for value in (lo, hi))
    result = []
    for t in terms:
        if t.region != BOUNDARY or t.kind != "residual":
            result.append(t)
            continue
        used = _field_names(t.expr)
        taken_parts = tuple(dict.fromkeys(part for part, other in parts if other & used))  # Part regions
        taken_faces = {face for face, other in faces if other & used}
        pieces = _restricted_pieces(t, [r for r in restricted if _field_names(r.expr) & used], ends, taken_faces)
        region = t.region
        if taken_parts and spec.shape:
            names = ", ".join(dict.fromkeys(p.name for p in taken_parts))
            rest = RestPart(tuple(dict.fromkeys(p.part for p in taken_parts)))
            region = Part(f"the rest of ∂Ω (all but {names})", rest)
            empty = spec.shape[1].part_measure(region.part) <= 0
        elif taken_faces and spec.shape is None:
            region = Faces(tuple(f for f in every if f not in taken_faces))
            empty = not region.faces
        else:
            empty = False
        if pieces and not empty:  # the points of the restricted conditions are left out too
            predicate = sympy.Not(sympy.Or(*(p for p, _ in pieces)))
            text = "not (" + " or ".join(words for _, words in pieces) + ")"
            fraction = kept_fraction(region, predicate, _intervals(spec), spec.shape, _non_spatial(spec))
            region, empty = Restricted(region, predicate, text, fraction, rest=True), fraction <= 0
        if empty:
            raise PinnError(
                "nothing is left of ∂Ω for this condition: the parts of the boundary with their own "
                f"conditions on {', '.join(sorted(used))} cover it",
                Span(t.line, 1) if t.line is not None else None,
                help="remove this condition, or give it on a part: `on ∂name` (or a face: `at x = 1`)",
            )
        result.append(dataclasses.replace(t, region=region))
    return tuple(result)


def _restricted_pieces(t: TermSpec, restricted: list[TermSpec], ends: dict, taken: set) -> list[tuple]:
    """The sets of ∂Ω that conditions restricted by a predicate take from ``t`` (``on ∂Ω``), each
    (SymPy condition, words): ``y = 1 and x < 0.5`` for ``u = 1 at y = 1 where x < 0.5``.  A face
    already taken whole, and faces that are not ends of a spatial interval (time, a plane inside),
    take nothing more."""
    pieces = []
    for r in restricted:
        base, predicate = r.region.base, r.region.predicate
        if base == BOUNDARY:
            pieces.append((predicate, r.region.text))
        elif isinstance(base, Face) and base.variable in ends and base.value in ends[base.variable]:
            if base not in taken:
                on_face = sympy.Eq(variable(base.variable), sympy.Float(base.value))
                pieces.append((sympy.And(on_face, predicate), f"{base.describe()} and ({r.region.text})"))
        elif isinstance(base, Part):
            raise PinnError(
                f"`{t.label}` would hold on the rest of ∂Ω, but line {r.line} (`{r.label}`) restricts a condition "
                "on a part of a shaped domain's boundary, which cannot be left out of the rest yet",
                Span(t.line, 1) if t.line is not None else None,
                help="give this condition where it holds with its own predicate: `on ∂Ω where ...`",
            )
    return pieces


def _intervals(spec: Spec) -> dict[str, tuple[float, float]]:
    return {s.name: (float(lo), float(hi)) for s, lo, hi in spec.variables}


def _non_spatial(spec: Spec) -> tuple[str, ...]:
    return tuple(n for n in (spec.time, *spec.parameters) if n is not None)


def coverage(spec: Spec) -> list[str]:
    """For each condition on ∂Ω read as the rest of it, or covering faces where other fields have
    their own conditions, where it holds for its fields: a line each (``check`` prints them)."""
    lines = []
    others = [t for t in spec.terms if t.kind == "residual" and t.region not in (INTERIOR, BOUNDARY)]
    for t in spec.terms:
        base = t.region.base if isinstance(t.region, Restricted) else t.region
        rest = isinstance(base, Faces) or isinstance(base, Part) and isinstance(base.part, RestPart)
        rest = rest or isinstance(t.region, Restricted) and t.region.rest
        if t.kind != "residual" or not (t.region == BOUNDARY or rest):
            continue
        used = _field_names(t.expr)
        where = "all of ∂Ω" if t.region == BOUNDARY else t.region.describe()
        line = f"  line {t.line}: `{t.label}` holds on {where} for {', '.join(sorted(used))}"
        shared = []
        for other in others:
            face = _end_face(other, spec) if not isinstance(other.region, Part) else None
            covered = (
                isinstance(t.region, Faces)
                and face in t.region.faces
                or t.region == BOUNDARY
                and (face is not None or isinstance(other.region, Part))
            )
            if covered and not _field_names(other.expr) & used:
                where = other.region.describe() if face is None else face.describe()
                given = ", ".join(sorted(_field_names(other.expr)))
                shared.append(f"{where}, where line {other.line} gives only {given}")
        if shared:
            line += "; it also covers " + "; ".join(shared)
        if shared or rest:  # all of ∂Ω, with no other condition on it: nothing to say
            lines.append(line)
    return lines


# ---- value conditions ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Value:
    """A condition ``∂^α u = g`` on a set of points: ``pieces`` are the faces it covers, each
    ``(fixed coordinates, part of the shape or None)``; ``whole`` is the set as written, a predicate
    that restricts it aside."""

    term: TermSpec
    field: str
    derivative: tuple
    data: sympy.Expr
    pieces: tuple
    whole: object
    predicate: object = None  # `where x < 0.5`: only the points of ``whole`` where it holds


def _values(spec: Spec) -> list[_Value]:
    """The conditions that give one quantity of one field, with their data and where they hold."""
    found = []
    for t in spec.terms:
        if t.kind != "residual" or t.region == INTERIOR and _face_of(t, spec) is None:
            continue
        if t.expr.atoms(sympy.Subs):
            continue
        quantities = set(_quantities(t.expr, spec))
        if len(quantities) != 1:
            continue
        (quantity,) = quantities
        d = sympy.Dummy()
        e = t.expr.xreplace({quantity: d})
        c = e.diff(d)
        if c == 0 or c.free_symbols or e.diff(d, 2) != 0:
            continue
        data = -e.xreplace({d: 0}) / c
        if data.atoms(AppliedUndef):
            continue
        applied = quantity.expr if isinstance(quantity, sympy.Derivative) else quantity
        derivative = (
            tuple(sorted((v.name, int(k)) for v, k in quantity.variable_count))
            if isinstance(quantity, sympy.Derivative)
            else ()
        )
        restricted = isinstance(t.region, Restricted)
        pieces, whole = _pieces(dataclasses.replace(t, region=t.region.base) if restricted else t, spec)
        if pieces:
            predicate = t.region.predicate if restricted else None
            found.append(_Value(t, applied.func.__name__, derivative, data, pieces, whole, predicate))
    return found


def _quantities(expr, spec: Spec):
    """The field parts of ``expr``: fields and their derivatives, as written (not inside one another)."""
    names = {f.func for f in spec.fields}
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, sympy.Derivative) and isinstance(e.expr, AppliedUndef) and e.expr.func in names:
            yield e
        elif isinstance(e, AppliedUndef) and e.func in names:
            yield e
        else:
            stack.extend(e.args)


def _face_piece(variable: str, value: float) -> tuple:
    """The piece of the set ``variable = value``: its fixed coordinates, and no part of a shape."""
    return ((variable, value),), None


def _pieces(term: TermSpec, spec: Spec) -> tuple[tuple, object]:
    """The faces (fixed coordinates, shape part) a condition covers, and a key of the whole set."""
    region = term.region
    ends = _spatial(spec)
    face = _face_of(term, spec)
    if face is not None:
        return (_face_piece(face.variable, face.value),), face
    if isinstance(region, Faces):
        return tuple(_face_piece(f.variable, f.value) for f in region.faces), region
    if region == BOUNDARY:
        flat = tuple(_face_piece(v, value) for v, (lo, hi) in ends.items() for value in (lo, hi))
        return flat + (((), "boundary"),) if spec.shape else flat, region
    if isinstance(region, Part):
        return (((), region.part),), region
    return (), None


# ---- comparing them ------------------------------------------------------------------


def _located(value: _Value) -> str:
    return f"line {value.term.line}" if value.term.line is not None else f"`{value.term.label}`"


def _contradictions(spec: Spec, values: list[_Value]) -> None:
    """Two conditions giving one quantity of a field different values on the same points: an error."""
    for i, b in enumerate(values):
        for a in values[:i]:
            if (a.field, a.derivative, a.whole) != (b.field, b.derivative, b.whole):
                continue
            keep = [v.predicate for v in (a, b) if v.predicate is not None]
            jumps = [_jump(spec, a.data, b.data, piece, None, keep) for piece in a.pieces]
            jump = max((j for j in jumps if j is not None), default=None)
            if jump is not None and jump > 0:
                quantity = a.term.label.split("=")[0].strip() if a.derivative else a.field
                where = b.whole.describe() + (" (where both predicates hold)" if keep else "")
                raise PinnError(
                    f"this condition contradicts {_located(a)} (`{a.term.label}`): both give {quantity} on "
                    f"{where}, and their values differ there by up to {jump:.3g}",
                    Span(b.term.line, 1) if b.term.line is not None else None,
                    help="remove one of them, or give them on different parts of the boundary",
                )


def _corners(spec: Spec, values: list[_Value]) -> None:
    """Two value conditions of a field that meet (an edge, a corner, the initial time on the
    boundary) and disagree there: a warning with the size of the jump."""
    plain = [v for v in values if not v.derivative]
    for i, b in enumerate(plain):
        for a in plain[:i]:
            if a.field != b.field or a.whole == b.whole:
                continue
            worst = None
            keep = [v.predicate for v in (a, b) if v.predicate is not None]
            for pa in a.pieces:
                for pb in b.pieces:
                    jump = _jump(spec, a.data, b.data, pa, pb, keep)
                    if jump is not None and (worst is None or jump > worst[0]):
                        worst = (jump, pa, pb)
            if worst is not None and worst[0] > 0:
                where = _describe_meeting(worst[1], worst[2])
                warnings.warn(
                    f"{_located(b)} (`{b.term.label}`) and {_located(a)} (`{a.term.label}`) give {a.field} "
                    f"different values where they meet ({where}): they differ by up to {worst[0]:.3g} there, so "
                    f"{a.field} jumps and no smooth solution meets both; make the data agree there "
                    "(a smoothed lid, initial data that vanish on the walls)",
                    ReadingWarning,
                    stacklevel=4,
                )


def _describe_meeting(a, b) -> str:
    fixed = dict(a[0]) | dict(b[0])
    text = ", ".join(f"{v} = {value:g}" for v, value in fixed.items())
    part = a[1] if a[1] is not None else b[1]
    if part is not None:
        text = (text + " on " if text else "on ") + ("the shape's boundary" if part == "boundary" else "its part")
    return text


def _jump(spec: Spec, g, h, pa, pb, keep=()) -> float | None:
    """The largest |g − h| on the points both pieces hold (pb None: on pa) where the predicates
    ``keep`` hold, or None where the pieces do not meet (no point satisfies the predicates) or the
    data are not numbers there; 0 where they agree to rounding."""
    fixed = dict(pa[0])
    part = pa[1]
    if pb is not None:
        for v, value in pb[0]:
            if v in fixed and fixed[v] != value:
                return None
            fixed[v] = value
        if pa[1] is not None and pb[1] is not None:
            return None  # two parts of a shape's boundary: not compared
        part = part if part is not None else pb[1]
        if part is not None and spec.shape and set(fixed) & set(spec.shape[0]):
            return None
    points = _points(spec, fixed, part, keep)
    if points is None:
        return None
    if g == h:
        return 0.0
    a, b = _evaluate(g, points), _evaluate(h, points)
    if a is None or b is None:
        return None
    scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    jump = float(np.max(np.abs(a - b)))
    return jump if jump > _TOLERANCE * scale else 0.0


def _points(spec: Spec, fixed: dict, part, keep=()) -> dict | None:
    """Sample points of the set ``fixed`` (on ``part`` of the shape's boundary, if not None) where
    the predicates ``keep`` hold (of 64 times as many candidates), or None where none does."""
    rng = np.random.default_rng(3)
    shaped = spec.shape[0] if spec.shape else ()
    points = {}
    count = _POINTS * (64 if keep else 1)
    for s, lo, hi in spec.variables:
        if s.name in fixed:
            points[s] = np.full(count, fixed[s.name])
        elif s.name not in shaped or part is None:
            points[s] = np.concatenate([[lo, hi], rng.uniform(lo, hi, count - 2)])  # the ends, where jumps are
    if part is not None:
        shape = spec.shape[1]

        def unit(m, k):
            return rng.random((m, k))

        try:
            if part == "boundary":
                on, _ = shape.boundary(count, unit, rng)
            else:
                on, _ = shape.part_boundary(count, unit, rng, part)
        except ValueError:
            return None
        for j, name in enumerate(shaped):
            points[next(s for s, _, _ in spec.variables if s.name == name)] = on[:count, j]
    if not keep:
        return points
    values = {s.name: column for s, column in points.items()}
    with np.errstate(all="ignore"):
        held = np.logical_and.reduce(
            [np.broadcast_to(predicate_holds(predicate_literal(p), values), count) for p in keep]
        )
    if not held.any():
        return None
    return {s: column[held][:_POINTS] for s, column in points.items()}


def _evaluate(expr: sympy.Expr, points: dict) -> np.ndarray | None:
    """``expr`` at each point (SymPy's evalf at numbers), or None where it is not a number there."""
    symbols = [s for s in points if s in expr.free_symbols]
    if expr.free_symbols - set(symbols):
        return None
    out = []
    for i in range(len(next(iter(points.values())))):
        value = expr.xreplace({s: sympy.Float(float(points[s][i])) for s in symbols}).evalf()
        try:
            number = complex(value)
        except (TypeError, ValueError):
            return None
        if not (math.isfinite(number.real) and math.isfinite(number.imag)):
            return None
        out.append(number)
    return np.asarray(out)
