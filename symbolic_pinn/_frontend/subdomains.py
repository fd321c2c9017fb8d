"""Subdomains: named regions of Ω, fields that live in one, and the interfaces between them.

A region (``region A = x < 0.5``) is a box of some variables inside Ω: ``bounds``, a tuple
``((variable, lo, hi), ...)`` clipped to the intervals (the variables not named keep
theirs).  A field declared ``in A`` (``field u1(x) in A``) lives there only, so each term
that holds one is restricted to A by :func:`restrict`: an equation's points are drawn in A,
a condition's on the part of its face or of ∂Ω that A touches (a face wholly in A stays
that face, so a condition built into the network stays built in; one only partly in A
is a loss term on its points in A).  ``on interface(A, B)`` is the plane where the boxes
meet (:func:`interface`), with the normal from A into B.

A region may instead be a shape (``region A = disk((0.5, 0.5), 0.25)``, ``region B = Ω \\ A``):
``shape``, the shape cut to Ω, in the spatial variables (:func:`shaped`).  Its terms are
sampled as the domain that shape makes (a ``Within`` with a ``shape``); ∂Ω or a face in it is a
``Part`` of the shape's boundary, and ``on interface(A, B)`` the part of A's boundary on B's
(``FacingPart``: a circle, an arc), with A's outward normal.  Measures come from the shapes
(exact in 2-D and for a ball).

The checks are exact box arithmetic: two regions whose fields would both hold on a piece
of Ω overlap (an error); a piece of Ω where no equation holds (a warning).  With shapes they
are the same checks, by the measure of the shapes' intersection and of what their union
leaves of Ω.  Both front ends call these functions; each reads only its own syntax (regions
given by shapes come from the text only).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import warnings

from sympy.core.function import AppliedUndef

from .._errors import IllPosedWarning, PinnError, Span
from .._runtime import geometry
from .regions import BOUNDARY, INTERIOR, Data, Face, Faces, Interface, Part, Region, Within
from .spec import Spec, TermSpec

__all__ = ["Subdomain", "box", "space", "shaped", "as_shape", "written", "interface", "restrict", "check_regions"]

Bounds = tuple[tuple[str, float, float], ...]


@dataclasses.dataclass(frozen=True)
class Subdomain:
    """A named region: its box ``bounds`` and the line that declares it; or, for a region given by a
    shape, ``shape`` (``(variables, Shape)``, already cut to Ω), ``domain``, Ω's own shape in
    those variables, and ``given``, the shape as written (``bounds`` is then empty)."""

    name: str
    bounds: Bounds
    line: int | None = None
    shape: tuple | None = None
    domain: geometry.Shape | None = None
    given: geometry.Shape | None = None  # the shape as written, before it was cut to Ω

    def range(self, variable: str, intervals: dict[str, tuple[float, float]]) -> tuple[float, float]:
        return next(((lo, hi) for v, lo, hi in self.bounds if v == variable), intervals[variable])

    @property
    def whole(self) -> bool:
        """Whether the region is all of Ω (no bound, no shape)."""
        return not self.bounds and self.shape is None

    @property
    def home(self) -> tuple:
        """Where a field living here lives, as the runtime's ``in_home`` reads it: the box's
        ``(variable, lo, hi)``, or ``((variables), Shape)``."""
        return (self.shape,) if self.shape is not None else self.bounds

    def interior(self) -> Region:
        """The region's part of Ω, where an equation `in` it holds."""
        if self.whole:
            return INTERIOR
        return Within(INTERIOR, self.bounds, self.name, self.shape)


def box(name: str, ranges: dict, intervals: dict, shaped: tuple = (), line: int | None = None, span=None) -> Subdomain:
    """The region ``name`` whose variables range over ``ranges`` (``{variable: (lo, hi)}``, each
    clipped to its interval): a located error if it is empty or cuts a variable of a shape."""
    clipped = {}
    for v, (lo, hi) in ranges.items():
        if v in shaped:
            raise PinnError(
                f"regions cut by {v}, a variable of the shaped domain, are not supported yet",
                span,
                help="regions are boxes of interval variables: declare the domain as intervals, `x in [0, 1]`",
            )
        a, b = max(lo, intervals[v][0]), min(hi, intervals[v][1])
        if not a < b:
            raise PinnError(
                f"the region {name} is empty: it asks for {lo:g} < {v} < {hi:g}",
                span,
                help=f"{v} ranges over [{intervals[v][0]:g}, {intervals[v][1]:g}]",
            )
        if (a, b) != intervals[v]:
            clipped[v] = (a, b)
    return Subdomain(name, tuple((v, *clipped[v]) for v in intervals if v in clipped), line)


# ---- regions given by shapes -------------------------------------------------------------

_SLACK = 1e-9  # a measure below this share of Ω's is none (2-D measures are exact; see Shape.measure)


def space(intervals: dict, spatial: tuple, shape: tuple | None, span: Span | None = None) -> tuple:
    """Ω as a shape of the spatial variables, ``(variables, Shape)``: the box of their intervals,
    or the shaped domain's own shape (which must then hold every spatial variable, and no param)."""
    if shape is None:
        variables = tuple(v for v in intervals if v in spatial)
        if not variables:
            raise PinnError("a region given by a shape needs a spatial variable", span)
        return variables, _box((), variables, intervals)
    variables, tree = shape
    if isinstance(tree, geometry.Family) or set(variables) != set(spatial):
        raise PinnError(
            "regions given by shapes need a domain whose shape holds every spatial variable and no param",
            span,
            help="declare the domain as intervals (`x in [0, 1]; y in [0, 1]`) or as one shape of all of them",
        )
    return variables, tree


def shaped(name: str, tree: geometry.Shape, domain: tuple, line: int | None = None, span=None) -> Subdomain:
    """The region ``name`` given by the shape ``tree`` (in the variables of ``domain``, Ω as
    :func:`space` gives it): the part of Ω inside the shape.  A located error if it is empty."""
    variables, outer = domain
    size = outer.measure()
    (lo, hi), (a, b) = tree.bounds(), outer.bounds()
    boxed = isinstance(outer, geometry.Box) and all(lo >= a) and all(hi <= b)  # no estimate needed in 3-D
    if boxed or geometry.Difference(tree, outer).measure() <= _SLACK * size:
        cut = tree  # inside Ω: the shape itself, whose measure and sampler are its own
    else:
        cut = geometry.Intersection(outer, tree)
    if cut.measure() <= _SLACK * size:
        raise PinnError(
            f"the region {name} is empty: {tree} holds no part of Ω ({outer})",
            span,
            help="give the shape in the coordinates of the domain: " + ", ".join(variables),
        )
    return Subdomain(name, (), line, (variables, cut), outer, tree)


def as_shape(region: Subdomain, domain: tuple, intervals: dict, span: Span | None = None) -> geometry.Shape:
    """The shape of a region in the variables of ``domain`` (Ω's, from :func:`space`): its own, Ω
    for all of it, the box of its bounds; a located error for a box that bounds another variable."""
    variables, outer = domain
    if region.shape is not None:
        return region.shape[1]
    return written(region, domain, intervals, span)


def written(region: Subdomain, domain: tuple, intervals: dict, span: Span | None = None) -> geometry.Shape:
    """The shape of a region as another region's shape names it (`region B = Ω \\ A`): as written,
    not cut to Ω, since the signed distance of a combination is exact only on its boundary, and
    Ω \\ (Ω ∩ S) would count the part of ∂Ω in S as a boundary of B (Ω \\ S is the same set)."""
    variables, outer = domain
    if region.given is not None:
        return region.given
    if region.whole:
        return outer
    others = [v for v, _, _ in region.bounds if v not in variables]
    if others:
        raise PinnError(
            f"the region {region.name} bounds {others[0]}, which no shape of the other regions has",
            span,
            help="beside regions given by shapes, bound only the spatial variables: " + ", ".join(variables),
        )
    return _box(region.bounds, variables, intervals)


def _intervals(spec: Spec) -> dict[str, tuple[float, float]]:
    return {s.name: (float(lo), float(hi)) for s, lo, hi in spec.variables}


def interface(first: Subdomain, second: Subdomain, intervals: dict, span: Span | None = None) -> Interface:
    """The plane where the boxes of ``first`` and ``second`` meet, inside both; its normal points
    from ``first`` into ``second``.  A located error if they do not meet on a piece of a plane."""
    label = f"interface({first.name}, {second.name})"
    if first.name == second.name:
        raise PinnError(f"{label} joins a region to itself", span, help="name two regions that touch")
    if first.shape is not None or second.shape is not None:
        return _curved(first, second, intervals, label, span)
    touching, overlap = [], []
    for v in intervals:
        (a, b), (c, d) = first.range(v, intervals), second.range(v, intervals)
        if b == c or d == a:
            touching.append((v, b if b == c else a))
        elif min(b, d) > max(a, c):
            overlap.append((v, max(a, c), min(b, d)))  # an interval left whole is dropped below
        else:
            touching = None
            break
    if touching is None or len(touching) != 1 or len(overlap) != len(intervals) - 1:
        raise PinnError(
            f"the regions {first.name} and {second.name} do not meet, so {label} does not exist",
            span,
            help="an interface is where two regions touch along a plane: e.g. `region A = x < 0.5` and "
            "`region B = x > 0.5` meet at x = 0.5",
        )
    variable, value = touching[0]
    bounds = ((variable, *first.range(variable, intervals)), *(b for b in overlap if b[1:] != intervals[b[0]]))
    return Interface(Face(variable, value), tuple(sorted(bounds)), label)


def _curved(first: Subdomain, second: Subdomain, intervals: dict, label: str, span: Span | None) -> Interface:
    """Where two regions meet when one is given by a shape: the points of the boundary of
    ``first`` that are on the boundary of ``second`` (a circle, an arc), with ``first``'s
    outward normal; sampled on ``first``'s boundary, measured exactly in 2-D."""
    given = first if first.shape is not None else second
    domain = (given.shape[0], given.domain)
    inner, outer = as_shape(first, domain, intervals, span), as_shape(second, domain, intervals, span)
    size = domain[1].measure()
    if geometry.Intersection(inner, outer).measure() > _SLACK * size:
        raise PinnError(
            f"the regions {first.name} and {second.name} overlap, so {label} does not exist",
            span,
            help=f"an interface is where two regions touch: e.g. `region {first.name} = disk((0.5, 0.5), 0.25)` "
            f"and `region {second.name} = Ω \\ {first.name}` meet on the circle",
        )
    part = geometry.FacingPart(outer)
    if inner.part_measure(part) <= _SLACK * domain[1].measure(boundary=True):
        raise PinnError(
            f"the regions {first.name} and {second.name} do not meet, so {label} does not exist",
            span,
            help=f"an interface is where two regions touch: e.g. `region {first.name} = disk((0.5, 0.5), 0.25)` "
            f"and `region {second.name} = Ω \\ {first.name}` meet on the circle",
        )
    return Interface(Part(label, part), (), label, (domain[0], inner))


def _fields_living(expr, homes: dict[str, Subdomain]) -> dict[str, Subdomain]:
    return {f.func.__name__: homes[f.func.__name__] for f in expr.atoms(AppliedUndef) if f.func.__name__ in homes}


def _contains(outer: Subdomain, inner: Bounds, intervals: dict) -> bool:
    ranges = {v: (lo, hi) for v, lo, hi in inner}
    return all(
        outer.range(v, intervals)[0] <= ranges.get(v, intervals[v])[0]
        and ranges.get(v, intervals[v])[1] <= outer.range(v, intervals)[1]
        for v in intervals
    )


def restrict(spec: Spec, homes: dict[str, Subdomain], spatial: tuple) -> Spec:
    """``spec`` with each term that holds a field living in a region restricted to that region.

    ``homes`` maps a field's name to its region; ``spatial`` names the spatial variables
    (their ends are the faces of ∂Ω).  A term that mixes fields of two regions outside
    their interface, or asks for a field where it does not live, is a located error.
    """
    if not homes:
        return spec
    intervals = _intervals(spec)
    terms = tuple(_restricted(t, homes, intervals, spatial) for t in spec.terms)
    return dataclasses.replace(spec, terms=terms, homes=tuple((f, r.home) for f, r in homes.items()))


def _restricted(term: TermSpec, homes: dict, intervals: dict, spatial: tuple) -> TermSpec:
    living = _fields_living(term.expr, homes)
    if not living:
        return term
    span = Span(term.line, 1) if term.line else None
    region = term.region
    places = sorted({r.name for r in living.values()})
    if isinstance(region, Interface):
        sides = {region.name[len("interface(") : -1].split(", ")[i] for i in (0, 1)}
        stray = [f for f, r in living.items() if r.name not in sides]
        if stray:
            raise PinnError(
                f"{stray[0]} lives in {living[stray[0]].name}, which is not a side of {region.name}",
                span,
                help="a condition on an interface may use the fields of its two regions and fields of all of Ω",
            )
        return term
    if isinstance(region, Data):
        raise PinnError(
            f"observations of {', '.join(living)}, which live{'s' if len(living) == 1 else ''} in a region, "
            "are not supported yet",
            span,
            help="observe a field declared on all of Ω",
        )
    if isinstance(region, Within):
        for field, home in living.items():
            if not _holds_region(home, region, intervals):
                raise PinnError(
                    f"{field} lives in {home.name}, which does not hold all of {region.name}",
                    span,
                    help=f"restrict the equation to a region inside {home.name} (`in {home.name}`)",
                )
        return term
    if len(places) > 1:
        raise PinnError(
            f"this term uses fields of the regions {' and '.join(places)}, which hold on different parts of Ω",
            span,
            help=f"join them where the regions meet: `... on interface({places[0]}, {places[1]})`",
        )
    home = next(iter(living.values()))
    if home.whole:
        return term
    inside = _inside_shape if home.shape is not None else _inside
    return dataclasses.replace(term, region=inside(region, home, intervals, spatial, span, term.kind))


def _holds_region(home: Subdomain, region: Within, intervals: dict) -> bool:
    """Whether the region ``home`` holds all of ``region`` (an equation's `in B`)."""
    if home.whole or home.name == region.name:
        return True
    if home.shape is None and region.shape is None:
        return _contains(home, region.bounds, intervals)
    variables = (home.shape or region.shape)[0]
    inner = region.shape[1] if region.shape is not None else _box(region.bounds, variables, intervals)
    outer = home.shape[1] if home.shape is not None else _box(home.bounds, variables, intervals)
    return geometry.Difference(inner, outer).measure() <= _SLACK * inner.measure()


def _box(bounds: Bounds, variables: tuple, intervals: dict) -> geometry.Box:
    """The box ``bounds`` cuts out, as a shape in ``variables``."""
    ranges = [next(((lo, hi) for w, lo, hi in bounds if w == v), intervals[v]) for v in variables]
    return geometry.Box(tuple(lo for lo, _ in ranges), tuple(hi for _, hi in ranges))


def _inside_shape(region: Region, home: Subdomain, intervals: dict, spatial: tuple, span, kind: str) -> Region:
    """The part of ``region`` in the region ``home`` given by a shape: a part of the shape's boundary
    (∂Ω in it, a face of a spatial variable in it), or the region at every point of the shape (the
    interior, a face of time).  ∂Ω or a face wholly in the region stays itself (built in as before)."""
    variables, tree = home.shape
    if region == INTERIOR or (isinstance(region, Face) and region.variable not in variables):
        return Within(region, (), home.name, home.shape)
    if region == BOUNDARY:
        if _covers_boundary(tree, home.domain):
            return region
        part = Part("∂Ω", geometry.SharedPart(home.domain))
        whole = home.domain.measure(boundary=True)
    elif isinstance(region, (Face, Faces)):
        faces = (region,) if isinstance(region, Face) else region.faces
        planes = tuple(geometry.PlanePart(variables.index(f.variable), f.value) for f in faces)
        plane = planes[0] if len(planes) == 1 else geometry.AnyPart(planes)
        whole = home.domain.part_measure(plane)
        if abs(tree.part_measure(plane) - whole) <= _SLACK * whole:
            return region  # wholly in the region: the face stays itself (built into the network as before)
        part = Part(region.describe(), plane)
    else:
        raise PinnError(
            f"a condition on {region.describe()} for a field that lives in {home.name}, a region given by a "
            "shape, is not supported yet",
            span,
            help="give it on ∂Ω, on a face (`at x = 0`) or `on interface(...)`",
        )
    if tree.part_measure(part.part) <= _SLACK * whole:
        raise PinnError(
            f"{part.describe()} is not in the region {home.name}, where the fields of this condition live",
            span,
            help=f"give the condition where {home.name} is: on a face it touches, or `on interface(...)`",
        )
    return Within(part, (), home.name, home.shape)


def _covers_boundary(tree: geometry.Shape, outer: geometry.Shape) -> bool:
    """Whether the closed shape ``tree`` holds every point of ∂Ω (the boundary of ``outer``): 4,096
    points of it (a fixed seed), and the corners of a box, since a shape may be cut there."""
    import numpy as np

    rng = np.random.default_rng(0)
    points, _ = outer.boundary(4096, lambda m, k: rng.random((m, k)), rng)
    lo, hi = outer.bounds()
    tolerance = 1e-9 * float(np.max(hi - lo))
    return bool(np.all(tree.distance(points) <= tolerance))


def _inside(region: Region, home: Subdomain, intervals: dict, spatial: tuple, span, kind: str) -> Region:
    """The part of ``region`` in the box of ``home``; a face wholly inside it stays the face."""
    if region == INTERIOR:
        return Within(INTERIOR, home.bounds, home.name)
    faces = None
    if isinstance(region, Face):
        faces = (region,)
    elif isinstance(region, Faces):
        faces = region.faces
    elif region == BOUNDARY and all(v in intervals for v in spatial):
        faces = tuple(Face(v, end) for v in spatial for end in intervals[v])
    if faces is not None:
        kept = [
            f for f in faces if home.range(f.variable, intervals)[0] <= f.value <= home.range(f.variable, intervals)[1]
        ]
        if not kept:
            what = faces[0].describe() if len(faces) == 1 else "the boundary"
            raise PinnError(
                f"{what} is not in the region {home.name}, where the fields of this condition live",
                span,
                help=f"give the condition where {home.name} is: on a face it touches, or `on interface(...)`",
            )
        whole = all(home.range(v, intervals) == intervals[v] for f in kept for v in intervals if v != f.variable)
        base = region if region == BOUNDARY else kept[0] if len(kept) == 1 else Faces(tuple(kept))
        if whole and base != BOUNDARY:
            return base
        if kind != "residual" and not isinstance(base, Face):
            raise PinnError(
                f"an integral over part of the boundary of {home.name} is not supported yet",
                span,
                help="integrate over a face: `... at x = 0`",
            )
        return Within(base, home.bounds, home.name)
    if kind != "residual":
        raise PinnError(
            f"an integral over {region.describe()} in the region {home.name} is not supported yet",
            span,
            help="integrate over Ω or a face",
        )
    return Within(region, home.bounds, home.name)


# ---- whether the regions make sense ----------------------------------------------------


def _cells(intervals: dict, boxes: list[Bounds]):
    """The boxes the region boundaries cut Ω into: each a ``{variable: (lo, hi)}`` and its centre."""
    cuts = {v: sorted({lo, hi, *(c for b in boxes for w, lo_, hi_ in b if w == v for c in (lo_, hi_))})
            for v, (lo, hi) in intervals.items()}  # fmt: skip
    for pieces in itertools.product(*(zip(c[:-1], c[1:]) for c in cuts.values())):
        yield dict(zip(cuts, pieces))


def _holds(box: Bounds, cell: dict) -> bool:
    return all(lo <= cell[v][0] and cell[v][1] <= hi for v, lo, hi in box)


def _describe(cell: dict, intervals: dict) -> str:
    return ", ".join(f"{v} in [{a:g}, {b:g}]" for v, (a, b) in cell.items() if (a, b) != intervals[v]) or "all of Ω"


def check_regions(spec: Spec, homes: dict[str, Subdomain]) -> None:
    """Regions of fields that overlap: a located error.  A piece of Ω where no equation holds
    (the equations restricted to regions that leave it out): an ``IllPosedWarning``."""
    intervals = _intervals(spec)
    used = {r.name: r for r in homes.values() if not r.whole}
    for first, second in itertools.combinations(used.values(), 2):
        if first.shape is not None or second.shape is not None:
            _overlap(first, second, intervals)
            continue
        for cell in _cells(intervals, [first.bounds, second.bounds]):
            if _holds(first.bounds, cell) and _holds(second.bounds, cell):
                raise PinnError(
                    f"the regions {first.name} (line {first.line}) and {second.name} overlap where "
                    f"{_describe(cell, intervals)}, and fields live in both",
                    Span(second.line, 1) if second.line else None,
                    help="make them meet without overlapping, e.g. `region A = x < 0.5` and `region B = x > 0.5`",
                )
    if not any(isinstance(t.region, Within) for t in spec.terms):
        return  # every equation holds on all of Ω
    equations = [t for t in spec.terms if t.kind == "residual" and t.region.inside() and t.expr.atoms(AppliedUndef)]
    if not equations or any(t.region == INTERIOR for t in equations):
        return
    if any(t.region.shape is not None for t in equations):
        _covered(spec, equations, intervals)
        return
    boxes = [t.region.bounds for t in equations]
    for cell in _cells(intervals, boxes):
        if not any(_holds(box, cell) for box in boxes):
            _uncovered(equations, f"where {_describe(cell, intervals)}")
            return


def _uncovered(equations: list[TermSpec], piece: str) -> None:
    """The ``IllPosedWarning`` for a ``piece`` of Ω where none of ``equations`` holds."""
    where = f"line {equations[0].line}: " if equations[0].line else ""
    warnings.warn(
        f"{where}no equation holds {piece}: the regions of the equations "
        f"({', '.join(sorted({t.region.name for t in equations}))}) do not cover Ω",
        IllPosedWarning,
        stacklevel=4,
    )


def _overlap(first: Subdomain, second: Subdomain, intervals: dict) -> None:
    """Two regions where fields live, one given by a shape, that share an area: a located error."""
    given = first if first.shape is not None else second
    domain = (given.shape[0], given.domain)
    span = Span(second.line, 1) if second.line else None
    common = geometry.Intersection(as_shape(first, domain, intervals, span), as_shape(second, domain, intervals, span))
    size = common.measure()
    if size > _SLACK * given.domain.measure():
        raise PinnError(
            f"the regions {first.name} (line {first.line}) and {second.name} overlap (on an area of {size:.4g}), "
            "and fields live in both",
            span,
            help=f"make them meet without overlapping, e.g. `region {second.name} = Ω \\ {first.name}`",
        )


def _covered(spec: Spec, equations: list[TermSpec], intervals: dict) -> None:
    """A piece of Ω where no equation holds, some of them in regions given by shapes: an ``IllPosedWarning``."""
    variables = next(t.region.shape[0] for t in equations if t.region.shape is not None)
    outer = spec.shape[1] if spec.shape is not None else _box((), variables, intervals)
    pieces = [t.region.shape[1] if t.region.shape is not None else _box(t.region.bounds, variables, intervals)
              for t in equations]  # fmt: skip
    left = geometry.Difference(outer, functools.reduce(geometry.Union, pieces)).measure()
    if left > _SLACK * outer.measure():
        _uncovered(equations, f"on a part of Ω of measure {left:.4g}")
