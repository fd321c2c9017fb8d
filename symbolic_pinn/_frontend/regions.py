"""Where a term's points live: the interior, the boundary, one face, or a data file's points.

Each kind of region is a frozen value that knows how it is written, how a generated
module names it (its ``REGIONS`` entry, which the runtime's ``sample_region`` reads),
how many points a training run draws on it, and how large it is.  The stages ask
the region; none of them branches on a kind's name.
"""

from __future__ import annotations

import dataclasses
import math
import typing

if typing.TYPE_CHECKING:  # pragma: no cover
    from .._compiler.ir import Program

__all__ = ["Region", "Interior", "Boundary", "Face", "Part", "Data", "INTERIOR", "BOUNDARY"]


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

    def measure(self, program: Program) -> float:
        """The volume (a boundary: the area) of the region of ``program``'s domain."""
        raise NotImplementedError(f"the {self.kind} region has no measure")


def _volume_and_widths(program: Program) -> tuple[float, dict[str, float]]:
    """Ω = shape × the other intervals: its volume, and the width of each interval."""
    shaped = program.shape[0] if program.shape else ()
    widths = {v.name: v.hi - v.lo for v in program.variables if v.name not in shaped}
    shape = program.shape[1].measure() if program.shape else 1.0
    return shape * math.prod(widths.values()), widths


@dataclasses.dataclass(frozen=True)
class Interior(Region):
    kind = "interior"
    points_setting = "interior_points"

    def measure(self, program: Program) -> float:
        return _volume_and_widths(program)[0]


@dataclasses.dataclass(frozen=True)
class Boundary(Region):
    """The spatial boundary at every time (time has no faces here: initial conditions are faces)."""

    kind = "boundary"
    points_setting = "boundary_points"

    def measure(self, program: Program) -> float:
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
        value = str(int(self.value)) if float(self.value).is_integer() and abs(self.value) < 1e15 else repr(self.value)
        return f'("face", "{self.variable}", {value})'

    def measure(self, program: Program) -> float:
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

    def measure(self, program: Program) -> float:
        _, widths = _volume_and_widths(program)
        return program.shape[1].part_measure(self.part) * math.prod(widths.values())


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


INTERIOR = Interior()
BOUNDARY = Boundary()
