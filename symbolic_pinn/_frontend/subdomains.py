"""Subdomains: named regions of Ω, fields that live in one, and the interfaces between them.

A region (``region A = x < 0.5``) is a box of some variables inside Ω: ``bounds``, a tuple
``((variable, lo, hi), ...)`` clipped to the intervals (the variables not named keep
theirs).  A field declared ``in A`` (``field u1(x) in A``) lives there only, so each term
that holds one is restricted to A by :func:`restrict`: an equation's points are drawn in A,
a condition's on the part of its face or of ∂Ω that A touches (a face wholly in A stays
that face, so a condition built into the network stays built in; one only partly in A
is a loss term on its points in A).  ``on interface(A, B)`` is the plane where the boxes
meet (:func:`interface`), with the normal from A into B.

The checks are exact box arithmetic: two regions whose fields would both hold on a piece
of Ω overlap (an error); a piece of Ω where no equation holds (a warning).  Both front
ends call these functions; each reads only its own syntax.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings

from sympy.core.function import AppliedUndef

from .._errors import IllPosedWarning, PinnError, Span
from .regions import BOUNDARY, INTERIOR, Data, Face, Faces, Interface, Region, Within
from .spec import Spec, TermSpec

__all__ = ["Subdomain", "box", "interface", "restrict", "check_regions"]

Bounds = tuple[tuple[str, float, float], ...]


@dataclasses.dataclass(frozen=True)
class Subdomain:
    """A named region: its box ``bounds`` and the line that declares it."""

    name: str
    bounds: Bounds
    line: int | None = None

    def range(self, variable: str, intervals: dict[str, tuple[float, float]]) -> tuple[float, float]:
        return next(((lo, hi) for v, lo, hi in self.bounds if v == variable), intervals[variable])


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


def _intervals(spec: Spec) -> dict[str, tuple[float, float]]:
    return {s.name: (float(lo), float(hi)) for s, lo, hi in spec.variables}


def interface(first: Subdomain, second: Subdomain, intervals: dict, span: Span | None = None) -> Interface:
    """The plane where the boxes of ``first`` and ``second`` meet, inside both; its normal points
    from ``first`` into ``second``.  A located error if they do not meet on a piece of a plane."""
    label = f"interface({first.name}, {second.name})"
    if first.name == second.name:
        raise PinnError(f"{label} joins a region to itself", span, help="name two regions that touch")
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
    return dataclasses.replace(spec, terms=terms, homes=tuple((f, r.bounds) for f, r in homes.items()))


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
            if not _contains(home, region.bounds, intervals):
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
    if not home.bounds:
        return term
    return dataclasses.replace(term, region=_inside(region, home, intervals, spatial, span, term.kind))


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
    used = {r.name: r for r in homes.values() if r.bounds}
    boxes = [r.bounds for r in used.values()]
    for first, second in itertools.combinations(used.values(), 2):
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
    boxes = [t.region.bounds for t in equations]
    for cell in _cells(intervals, boxes):
        if not any(_holds(box, cell) for box in boxes):
            where = f"line {equations[0].line}: " if equations[0].line else ""
            warnings.warn(
                f"{where}no equation holds where {_describe(cell, intervals)}: the regions of the equations "
                f"({', '.join(sorted({t.region.name for t in equations}))}) do not cover Ω",
                IllPosedWarning,
                stacklevel=2,
            )
            return
