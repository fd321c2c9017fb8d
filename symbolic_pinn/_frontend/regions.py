"""Where a term's points live: the interior, the boundary, one face, or a data file's points.

Each kind of region is a frozen value that knows how it is written, how a generated
module names it (its ``REGIONS`` entry, which the runtime's ``sample_region`` reads),
how many points a training run draws on it, and how large it is.  The stages ask
the region; none of them branches on a kind's name.

:class:`Resolver` is the one place where a condition's "where" (``on ∂Ω``, ``at x = 1``,
``on ∂hole`` in text; ``on="boundary"``, ``on={x: 1}``, ``on=hole`` from SymPy) becomes a
region, with every check both front ends make; each front end only reads its own syntax.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable, Mapping

from .._errors import PinnError, Span
from .._runtime.geometry import Affine, PlanePart, SurfacePart

__all__ = [
    "Region",
    "Interior",
    "Boundary",
    "Face",
    "Part",
    "Faces",
    "Data",
    "INTERIOR",
    "BOUNDARY",
    "Domain",
    "Resolver",
    "Spelling",
    "TEXT",
    "SYMPY",
]


class Domain(typing.Protocol):
    """What a region's measure reads of a problem (the IR's ``Program`` is one): the variables
    (each with ``name``, ``lo``, ``hi``), the shape ``(variables, Shape)`` or None, the parameters."""

    variables: tuple
    shape: tuple | None
    parameters: tuple[str, ...]


class Region:
    """What every region answers; ``kind`` is its name in the generated module."""

    kind: typing.ClassVar[str]
    points_setting: typing.ClassVar[str | None]  # the training setting that counts its points

    def describe(self) -> str:
        return self.kind

    def sampled(self) -> tuple:
        """The region as the runtime's ``sample_region`` takes it: ``("interior",)``, ``("face", "x", 1.0)``."""
        return (self.kind,)

    def literal(self) -> str:
        """The region as Python source, for the generated module's ``REGIONS``."""
        return repr(self.sampled()).replace("'", '"')

    def measure(self, program: Domain) -> float:
        """The volume (a boundary: the area) of the region of ``program``'s domain."""
        raise NotImplementedError(f"the {self.kind} region has no measure")


def _volume_and_widths(program: Domain) -> tuple[float, dict[str, float]]:
    """Ω = shape × the other intervals: its volume, and the width of each interval."""
    shaped = program.shape[0] if program.shape else ()
    widths = {v.name: v.hi - v.lo for v in program.variables if v.name not in shaped}
    shape = program.shape[1].measure() if program.shape else 1.0
    return shape * math.prod(widths.values()), widths


@dataclasses.dataclass(frozen=True)
class Interior(Region):
    kind = "interior"
    points_setting = "interior_points"

    def measure(self, program: Domain) -> float:
        return _volume_and_widths(program)[0]


@dataclasses.dataclass(frozen=True)
class Boundary(Region):
    """The spatial boundary at every time (time has no faces here: initial conditions are faces)."""

    kind = "boundary"
    points_setting = "boundary_points"

    def measure(self, program: Domain) -> float:
        volume, widths = _volume_and_widths(program)
        time = math.prod(widths.pop(v, 1.0) for v in (program.time, *program.parameters))  # not space: no faces
        area = sum(2.0 * volume / time / w for w in widths.values())
        if program.shape:
            area += program.shape[1].measure(boundary=True) * math.prod(widths.values())
        return area * time


@dataclasses.dataclass(frozen=True)
class Face(Region):
    """The plane ``variable = value`` of the domain."""

    variable: str
    value: float

    kind = "face"
    points_setting = "face_points"

    def describe(self) -> str:
        return f"{self.variable} = {self.value:g}"

    def sampled(self) -> tuple:
        return ("face", self.variable, self.value)

    def literal(self) -> str:
        return f'("face", "{self.variable}", {_number(self.value)})'

    def measure(self, program: Domain) -> float:
        volume, widths = _volume_and_widths(program)
        return volume / widths[self.variable]


@dataclasses.dataclass(frozen=True)
class Part(Region):
    """A part of a shaped domain's boundary, at every value of the other variables.

    ``part`` says which: a ``geometry.BoundaryPart`` (a shape's surface
    ``SurfacePart(i)``, a flat face ``PlanePart(axis, value)`` or the rest
    ``RestPart((part, ...))``); ``name`` is how the problem wrote it (``∂hole``).
    """

    name: str
    part: object

    kind = "part"
    points_setting = "boundary_points"

    def describe(self) -> str:
        return self.name

    def sampled(self) -> tuple:
        return ("part", self.part)

    def measure(self, program: Domain) -> float:
        _, widths = _volume_and_widths(program)
        return program.shape[1].part_measure(self.part) * math.prod(widths.values())


@dataclasses.dataclass(frozen=True)
class Faces(Region):
    """Some of the end faces of the spatial intervals: what ``on ∂Ω`` means on an interval
    domain next to conditions on faces of the same field (the rest of the boundary)."""

    faces: tuple[Face, ...]

    kind = "faces"
    points_setting = "boundary_points"

    def describe(self) -> str:
        return "the rest of ∂Ω (" + ", ".join(f.describe() for f in self.faces) + ")"

    def sampled(self) -> tuple:
        return ("faces", tuple((f.variable, f.value) for f in self.faces))

    def literal(self) -> str:
        return '("faces", (' + "".join(f'("{f.variable}", {_number(f.value)}), ' for f in self.faces) + "))"

    def measure(self, program: Domain) -> float:
        return sum(f.measure(program) for f in self.faces)


@dataclasses.dataclass(frozen=True)
class Data(Region):
    """The points of the observations in a data file (``path`` as written in the problem)."""

    path: str

    kind = "data"
    points_setting = None  # the file's rows

    def describe(self) -> str:
        return f"the observations in {self.path}"

    def sampled(self) -> tuple:
        return ("data", self.path)

    def literal(self) -> str:
        return f'("data", {str(self.path)!r})'


def _number(value: float) -> str:
    """A coordinate as Python source: ``1`` for 1.0, else its repr."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


INTERIOR = Interior()
BOUNDARY = Boundary()


# ---- resolving where a condition holds ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Spelling:
    """How a front end writes regions, for the help of the resolver's errors.

    ``face`` and ``part`` are formats: ``face.format("x", 1)``, ``part.format("name")``.
    """

    face: str
    boundary: str
    part: str
    shaped_domain: str


TEXT = Spelling(
    face="`at {} = {}`",
    boundary="`on ∂Ω`",
    part="`on ∂{}`",
    shaped_domain="`(x, y) in box((0, 0), (1, 1)) \\ hole`",
)
SYMPY = Spelling(
    face="on={{{}: {}}}",
    boundary='on="boundary"',
    part="on={}",
    shaped_domain="shape=((x, y), box((0, 0), (1, 1)) - hole)",
)


@dataclasses.dataclass(frozen=True)
class Resolver:
    """Turns where a condition holds into a :class:`Region` of one problem's domain, or a located error.

    Args:
        intervals: each variable's name and interval, in declaration order.
        parameters: the variables that are parameters (no faces, no boundary).
        spatial: the spatial variables (neither time nor parameters), which make the boundary.
        shape: ``(variable names, Shape)`` of a shaped domain, or None.
        spelling: how the front end writes regions (:data:`TEXT`, :data:`SYMPY`).

    >>> Resolver({"x": (0.0, 1.0)}, (), ("x",), None).face("x", lambda: 1.0)
    Face(variable='x', value=1.0)
    """

    intervals: Mapping[str, tuple[float, float]]
    parameters: tuple[str, ...]
    spatial: tuple[str, ...]
    shape: tuple | None
    spelling: Spelling = TEXT

    def boundary(self, span: Span | None = None) -> Region:
        """∂Ω, the spatial boundary at every time."""
        if not self.spatial:
            raise PinnError(
                "∂Ω is the spatial boundary, but there is no spatial variable",
                span,
                help=f"an initial condition is a face of t: {self.spelling.face.format('t', 0)}",
            )
        return BOUNDARY

    def face(
        self,
        name: str,
        value: Callable[[], float | Affine],
        *,
        name_span: Span | None = None,
        value_span: Span | None = None,
        span: Span | None = None,
    ) -> Region:
        """The face ``name = value()`` (on a shaped domain: the flat part of its boundary there).

        ``value`` is read only once ``name`` is known to be a variable with faces.
        ``name_span``, ``value_span`` and ``span`` locate the variable, the value and the whole.
        """
        if name not in self.intervals:
            declared = ", ".join(self.intervals) or "none"
            raise PinnError(
                f"'{name}' is not a declared variable",
                name_span,
                help=f"a face is named by a variable: {self.spelling.face.format('x', 1)}; "
                f"declared variables: {declared}",
            )
        if name in self.parameters:
            raise PinnError(
                f"'{name}' is a parameter: it has no faces",
                name_span,
                help=f"a condition for one value of it gives the field there, e.g. `u(0, {name}) = 0` "
                "for u(x, k) — or make it a variable",
            )
        number = value()
        if isinstance(number, Affine) and (self.shape is None or name not in self.shape[0]):
            raise PinnError(
                f"the face {name} = {number} moves with a param, but {name} is not a side of a shape with params",
                value_span,
                help=f"a face may move with a param on a shape whose sides do: `{name} in [0, L]`, "
                "`box((0, 0), (L, 1))`",
            )
        if self.shape is not None and name in self.shape[0]:
            self.parts_allowed(span)
            axis = self.shape[0].index(name)
            text = str(number) if isinstance(number, Affine) else f"{number:g}"
            part = Part(f"{name} = {text}", PlanePart(axis, number))
            if self.shape[1].part_measure(part.part) <= 0:
                raise PinnError(
                    f"the plane {name} = {text} holds no flat piece of the boundary of {self.shape[1]}",
                    name_span,
                    help="a face of a shaped domain is a straight piece of its boundary (a side of a box "
                    f"or polygon); use {self.spelling.boundary} or {self.spelling.part.format('name')} for curved "
                    "parts, or a field at a point: `u(0, 0) = 1`",
                )
            return part
        lo, hi = self.intervals[name]
        if not lo <= number <= hi:
            raise PinnError(
                f"{name} = {number:g} is outside the interval [{lo:g}, {hi:g}]",
                value_span,
                help=f"a condition {self.spelling.face.format(name, 'a')} needs {lo:g} ≤ a ≤ {hi:g}",
            )
        return Face(name, number)

    def parts_allowed(self, span: Span | None = None) -> None:
        """A part of the boundary needs a shaped domain holding every spatial variable."""
        if self.shape is None:
            raise PinnError(
                "a part of the boundary needs a shaped domain",
                span,
                help=f"declare one, e.g. {self.spelling.shaped_domain}; the ends of an interval "
                f"are faces: {self.spelling.face.format('x', 1)}",
            )
        loose = [v for v in self.spatial if v not in self.shape[0]]
        if loose:
            raise PinnError(
                f"parts of the boundary need every spatial variable in the shape, but {', '.join(loose)} "
                "has an interval",
                span,
                help=f"use {self.spelling.boundary} here, or faces {self.spelling.face.format('x', 'a')}",
            )

    def part(self, shape, label: str, span: Span | None = None) -> Part:
        """The part of ∂Ω on the surface of ``shape``, one of the shapes the domain is made of
        (``label``: how the problem names it, ``∂hole``). Call :meth:`parts_allowed` first."""
        domain = self.shape[1]
        primitives = [p for p, _ in domain.parts()]
        if shape not in primitives:
            raise PinnError(
                f"{shape} is not one of the shapes the domain is made of",
                span,
                help=f"the domain's shapes: {', '.join(map(str, primitives))}",
            )
        part = Part(label, SurfacePart(primitives.index(shape)))
        if domain.part_measure(part.part) <= 0:
            raise PinnError(
                f"{label} is not on the boundary of the domain (other shapes cover it)",
                span,
                help="name a shape whose surface bounds the domain",
            )
        return part

    def has_normal(self, region: Region) -> bool:
        """Whether the outward normal (∂ₙ, Dn) exists on ``region``: on the boundary, its parts,
        and the ends of a spatial interval."""
        if region == BOUNDARY or isinstance(region, (Part, Faces)):
            return True
        if isinstance(region, Face) and region.variable in self.spatial:
            return region.value in self.intervals[region.variable]
        return False
