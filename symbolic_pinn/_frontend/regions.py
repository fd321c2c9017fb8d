"""Where a term's points live: the interior, the boundary, one face, or a data file's points.

Each kind of region is a frozen value that knows how it is written, how a generated
module names it (its ``REGIONS`` entry, which the runtime's ``sample_region`` reads),
how many points a training run draws on it, and how large it is.  The stages ask
the region; none of them branches on a kind's name.

:class:`Resolver` is the one place where a condition's "where" (``on ∂Ω``, ``at x = 1``,
``on ∂hole`` in text; ``on="boundary"``, ``on={x: 1}``, ``on=hole`` from SymPy) becomes a
region, with every check both front ends make; each front end only reads its own syntax.
A predicate (``where x < 0.5``; ``where=`` from SymPy) restricts a region to its points
that satisfy it: a :class:`Restricted` region.
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
    "Restricted",
    "Curve",
    "Within",
    "underlying",
    "Interface",
    "home_literal",
    "home_words",
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

    def inside(self) -> bool:
        """Whether the region is Ω or a part of it with volume (an equation's points, not a condition's)."""
        return False


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

    def inside(self) -> bool:
        return True

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


@dataclasses.dataclass(frozen=True)
class Restricted(Region):
    """The points of ``base`` that satisfy ``predicate``, a SymPy condition on the variables
    (``u = 1 at y = 1 where x < 0.5``); ``fraction`` is the share of ``base``'s measure it keeps
    (exact where the predicate bounds one variable of a face, else estimated: see
    :func:`kept_fraction`).  The runtime draws its points by rejection (``sample_points``)."""

    base: Region
    predicate: typing.Any  # a sympy Boolean: And, Or, Not of relations
    text: str  # the predicate as written
    fraction: float
    rest: bool = False  # made by reading `on ∂Ω` as the rest of it, not written with `where`

    kind = "where"

    @property
    def points_setting(self) -> str | None:  # type: ignore[override]
        return self.base.points_setting

    def describe(self) -> str:
        return f"{self.base.describe()} where {self.text}"

    def sampled(self) -> tuple:
        return ("where", self.base.sampled(), predicate_literal(self.predicate))

    def literal(self) -> str:
        return f'("where", {self.base.literal()}, {_predicate_source(predicate_literal(self.predicate))})'

    def measure(self, program: Domain) -> float:
        return self.base.measure(program) * self.fraction


@dataclasses.dataclass(frozen=True)
class Curve(Region):
    """A curve inside Ω, in the plane of two spatial variables, at every value of the others.

    ``curve`` is the runtime's form (``geometry._curve_points``): ``("segment", ax, ay, bx, by,
    nx, ny)``, its normal (nx, ny) the direction a → b turned clockwise, or ``("arc", cx, cy, r)``
    (a whole circle), its normal outward; ``name`` is how the problem wrote it.
    """

    variables: tuple[str, str]
    curve: tuple
    name: str

    kind = "curve"
    points_setting = "boundary_points"

    def describe(self) -> str:
        return self.name

    def sampled(self) -> tuple:
        return ("curve", self.variables, self.curve)

    def length(self) -> float:
        """The exact length: |b − a| for a segment, 2πr for a circle."""
        if self.curve[0] == "segment":
            _, ax, ay, bx, by, _, _ = self.curve
            return math.hypot(bx - ax, by - ay)
        return 2 * math.pi * self.curve[3]

    def measure(self, program: Domain) -> float:
        """The length times the width of every other variable's interval (time and params included)."""
        _, widths = _volume_and_widths(program)
        return self.length() * math.prod(w for v, w in widths.items() if v not in self.variables)


def underlying(region: Region) -> Region:
    """The region a term holds on, its predicate (`at y = 1 where x < 0.5`: the face y = 1) and
    its `region` (`field u1(x) in A`: the whole it is part of) aside; an interface stays itself."""
    while isinstance(region, Restricted) or (isinstance(region, Within) and not isinstance(region, Interface)):
        region = region.base
    return region


# ---- predicates: a condition as the runtime's sample_points reads it ---------------------

_RELATIONS = {"StrictLessThan": "<", "LessThan": "<=", "StrictGreaterThan": ">", "GreaterThan": ">=", "Equality": "=="}
_LOGIC = {"And": "and", "Or": "or", "Not": "not"}


def predicate_literal(expr) -> tuple | str | float:
    """A SymPy condition on the variables as nested tuples (the runtime's ``predicate_holds``
    evaluates them): ``x < 0.5`` → ``("<", "x", 0.5)``.  A ValueError names what has no form."""
    import numpy as np
    import sympy

    from .. import _functions as functions

    name = type(expr).__name__
    if name in _RELATIONS:
        return (_RELATIONS[name], predicate_literal(expr.lhs), predicate_literal(expr.rhs))
    if name in _LOGIC:
        return (_LOGIC[name], *(predicate_literal(a) for a in expr.args))
    if isinstance(expr, sympy.Symbol):
        return expr.name
    if expr.is_number and expr.is_real:
        return float(expr)
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        return ("+" if isinstance(expr, sympy.Add) else "*", *(predicate_literal(a) for a in expr.args))
    if isinstance(expr, sympy.Pow):
        return ("^", predicate_literal(expr.base), predicate_literal(expr.exp))
    row = functions.by_sympy(expr)
    numpy_name = row.jax.removeprefix("jnp.") if row is not None and row.jax.startswith("jnp.") else ""
    if row is not None and row.index is None and numpy_name.isidentifier() and hasattr(np, numpy_name):
        args = [predicate_literal(a) for a in expr.args]
        while len(args) > 2:  # max(a, b, c): NumPy's maximum takes two
            args = [*args[:-2], (numpy_name, args[-2], args[-1])]
        return (numpy_name, *args)
    raise ValueError(str(expr))


def predicate_words(expr) -> str:
    """A SymPy condition as the language writes one: ``(x > 0.25) & (x < 0.75)`` → ``x > 0.25 and x < 0.75``."""
    import sympy

    name = type(expr).__name__
    if name in _RELATIONS:
        sides = (sympy.sstr(side, full_prec=False).replace("**", "^") for side in (expr.lhs, expr.rhs))
        return f" {_RELATIONS[name]} ".join(sides)
    if name in ("And", "Or"):
        parts = (predicate_words(a) if type(a).__name__ in _RELATIONS else f"({predicate_words(a)})" for a in expr.args)
        return f" {_LOGIC[name]} ".join(parts)
    if name == "Not":
        return f"not ({predicate_words(expr.args[0])})"
    return sympy.sstr(expr)


def _predicate_source(node) -> str:
    """A predicate literal as Python source (strings in double quotes)."""
    if isinstance(node, str):
        return f'"{node}"'
    if isinstance(node, tuple):
        items = [_predicate_source(a) for a in node]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return _number(node)


_ESTIMATE_POINTS = 1 << 16  # lattice points of the base region where a fraction is estimated


def kept_fraction(base: Region, predicate, domain: dict, shape, non_spatial: tuple[str, ...]) -> float:
    """The share of ``base``'s measure where ``predicate`` holds: exact on a face of intervals where
    the predicate bounds one other variable (SymPy solves it: ``x < 0.5`` keeps half of [0, 1]),
    else the share of 2^16 points of a lattice on ``base`` that satisfy it (to about 1e-3)."""
    import numpy as np
    import sympy

    from .._runtime.sampling import predicate_holds, sample_region

    free = predicate.free_symbols
    shaped = shape[0] if shape else ()
    if isinstance(base, Face) and len(free) == 1:
        (v,) = free
        if v.name in domain and v.name not in shaped and v.name != base.variable:
            lo, hi = domain[v.name]
            try:
                kept = _as_set(predicate).intersect(sympy.Interval(lo, hi)).measure
                return float(kept) / (hi - lo)
            except (NotImplementedError, TypeError, ValueError):
                pass  # not solvable by SymPy: estimated below
    columns = sample_region(0, base.sampled(), _ESTIMATE_POINTS, domain, shape, False, "lattice", non_spatial)
    with np.errstate(all="ignore"):
        keep = np.asarray(predicate_holds(predicate_literal(predicate), dict(zip(domain, columns))), bool)
    return float(np.broadcast_to(keep, columns[0].shape).mean())


def _as_set(predicate):
    """The set of one variable where ``predicate`` holds: bounds by numbers (``x > 0.25 and x < 0.75``)
    directly, anything else by SymPy's solvers (``4*x^2 < 1``; slower: they take a second)."""
    import sympy

    relations = predicate.args if isinstance(predicate, sympy.And) else (predicate,)
    bounds = {
        "<": lambda c: sympy.Interval.open(-sympy.oo, c),
        "<=": lambda c: sympy.Interval(-sympy.oo, c),
        ">": lambda c: sympy.Interval.open(c, sympy.oo),
        ">=": lambda c: sympy.Interval(c, sympy.oo),
    }
    if all(getattr(r, "rel_op", None) in bounds and r.rhs.is_number and r.lhs.is_Symbol for r in relations):
        return sympy.Intersection(*(bounds[r.rel_op](r.rhs) for r in relations))
    return predicate.as_set()


@dataclasses.dataclass(frozen=True)
class Within(Region):
    """The points of ``base`` (the interior, a face, the boundary) inside a `region`: the box
    ``bounds`` (``((variable, lo, hi), ...)``; the variables not named keep their intervals), or,
    with ``shape`` (``(variables, Shape)``, the region already cut to Ω), the points of ``base``
    of the domain that shape makes (``region A = disk((0.5, 0.5), 0.25)``: its ``base`` is then
    the interior, a face of time, or a ``Part`` of the shape's boundary)."""

    base: Region
    bounds: tuple[tuple[str, float, float], ...]
    name: str  # the region as the problem names it
    shape: tuple | None = None

    kind = "within"

    @property
    def points_setting(self) -> str | None:
        return self.base.points_setting

    def describe(self) -> str:
        return f"{self.base.describe()} in {self.name}"

    def inside(self) -> bool:
        return self.base.inside()

    def sampled(self) -> tuple:
        if self.shape is not None:
            return ("shaped", self.base.sampled(), self.shape)
        return ("within", self.base.sampled(), self.bounds)

    def literal(self) -> str:
        if self.shape is not None:
            return f'("shaped", {self.base.literal()}, {_shape_literal(self.shape)})'
        bounds = "".join(f'("{v}", {_number(lo)}, {_number(hi)}), ' for v, lo, hi in self.bounds)
        return f'("within", {self.base.literal()}, ({bounds}))'

    def measure(self, program: Domain) -> float:
        """In a box: the base's measure times the fraction of each restricted interval (exact: Ω is
        a box there).  In a shape: the base's measure on the domain the shape makes (exact in 2-D
        and for a ball; see ``Shape.measure``)."""
        if self.shape is not None:
            return self.base.measure(_Narrowed(program.variables, self.shape, program.parameters, program.time))
        if not isinstance(self.base, (Interior, Face)):
            raise NotImplementedError(f"the measure of {self.describe()}")
        widths = {v.name: v.hi - v.lo for v in program.variables}
        face = self.base.variable if isinstance(self.base, Face) else None
        return self.base.measure(program) * math.prod((hi - lo) / widths[v] for v, lo, hi in self.bounds if v != face)


@dataclasses.dataclass(frozen=True)
class _Narrowed:
    """A problem's domain with its shape replaced by a region's (what a measure reads: :class:`Domain`)."""

    variables: tuple
    shape: tuple | None
    parameters: tuple[str, ...]
    time: str | None


def home_literal(home: tuple) -> str:
    """Where a field lives (``FieldDecl.region``: ``(variable, lo, hi)`` entries, or one
    ``(variables, Shape)``) as Python source, for the generated module's ``HOMES``."""
    return "(" + "".join((_shape_literal(e) if len(e) == 2 else f'("{e[0]}", {_number(e[1])}, {_number(e[2])})') + ", "
                         for e in home) + ")"  # fmt: skip


def home_words(home: tuple) -> str:
    """Where a field lives, as ``--emit ir`` prints it: ``0 ≤ x ≤ 0.5``, ``disk((0.5, 0.5), 0.25)``."""
    return ", ".join(str(e[1]) if len(e) == 2 else f"{e[1]:g} ≤ {e[0]} ≤ {e[2]:g}" for e in home)


def _shape_literal(shape: tuple) -> str:
    """``(variables, Shape)`` as Python source: the shape's dataclass repr (the generated module
    holds the classes it names)."""
    variables, tree = shape
    names = ", ".join(f'"{v}"' for v in variables) + ("," if len(variables) == 1 else "")
    return f"(({names}), {tree!r})"


@dataclasses.dataclass(frozen=True)
class Interface(Within):
    """Where the regions ``first`` and ``second`` meet: the plane ``variable = value`` inside both.

    Its normal points from ``first`` into ``second`` (the outward normal of ``first``), so
    ``Dn(u1) = k*Dn(u2) on interface(A, B)`` is a flux condition across it.
    """

    kind = "interface"
    points_setting = "boundary_points"

    def describe(self) -> str:
        return self.name


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

    def restrict(self, region: Region, predicate, text: str, span: Span | None = None) -> Region:
        """``region`` restricted to where ``predicate`` (a SymPy condition on the variables) holds;
        a located error where the predicate names something else, a variable fixed on the face,
        a function with no numeric form, or holds nowhere on the region."""
        import sympy

        if region == INTERIOR:
            raise PinnError(
                "a predicate (`where ...`) restricts a condition on the boundary or a face, not an equation in Ω",
                span,
                help=f"write the condition with where it holds first: {self.spelling.boundary} where ..., or "
                f"{self.spelling.face.format('x', 1)} where ...",
            )
        if not isinstance(predicate, sympy.logic.boolalg.Boolean):
            raise PinnError(
                f"the predicate {text} is not a condition",
                span,
                help="compare expressions of the variables: `x < 0.5`, `0.25 < x < 0.75`, `x^2 + y^2 > 1`; "
                "join comparisons with and, or, not",
            )
        if predicate == sympy.true:
            return region
        if predicate == sympy.false:
            raise self._nowhere(region, text, span)
        others = sorted(str(s) for s in predicate.free_symbols if s.name not in self.intervals)
        if others or predicate.atoms(sympy.core.function.AppliedUndef, sympy.Derivative, sympy.Integral):
            raise PinnError(
                f"the predicate {text} depends on {', '.join(others) or 'a field'}: it may use only the variables",
                span,
                help=f"compare expressions of the variables ({', '.join(self.intervals)}), numbers and constants",
            )
        fixed = self._fixed(region)
        if fixed is not None and sympy.Symbol(fixed[0], real=True) in predicate.free_symbols:
            raise PinnError(
                f"{fixed[0]} is {fixed[1]:g} at every point of the face {region.describe()}, so the "
                "predicate holds there everywhere or nowhere",
                span,
                help="restrict the face by the other variables "
                f"({', '.join(v for v in self.intervals if v != fixed[0])})",
            )
        try:
            predicate_literal(predicate)
        except ValueError as err:
            raise PinnError(
                f"the predicate {text} uses {err}, which has no numeric form for sampling points",
                span,
                help="use + - * / ^, numbers, constants and the elementary functions (sin, exp, abs, ...)",
            ) from None
        fraction = self.fraction(region, predicate)
        if fraction <= 0:
            raise self._nowhere(region, text, span)
        return Restricted(region, predicate, text, fraction)

    def _nowhere(self, region: Region, text: str, span: Span | None) -> PinnError:
        intervals = ", ".join(f"{v} in [{lo:g}, {hi:g}]" for v, (lo, hi) in self.intervals.items())
        return PinnError(
            f"the predicate {text} holds nowhere on {region.describe()}: the condition would have no points",
            span,
            help=f"check the comparisons against the intervals ({intervals})",
        )

    def _fixed(self, region: Region) -> tuple[str, float] | None:
        """The variable a face fixes, and its value there: ``at y = 1`` → ("y", 1.0)."""
        if isinstance(region, Face):
            return region.variable, region.value
        if isinstance(region, Part) and isinstance(region.part, PlanePart):
            return self.shape[0][region.part.axis], region.part.value
        return None

    def fraction(self, region: Region, predicate) -> float:
        """The share of ``region``'s measure where ``predicate`` holds (see :func:`kept_fraction`)."""
        non_spatial = tuple(v for v in self.intervals if v not in self.spatial)
        return kept_fraction(region, predicate, dict(self.intervals), self.shape, non_spatial)

    def has_normal(self, region: Region) -> bool:
        """Whether the outward normal (∂ₙ, Dn) exists on ``region``: on the boundary, its parts,
        and the ends of a spatial interval."""
        if isinstance(region, Restricted):
            return self.has_normal(region.base)
        if region == BOUNDARY or isinstance(region, (Part, Faces, Interface, Curve)):
            return True
        if isinstance(region, Face) and region.variable in self.spatial:
            return region.value in self.intervals[region.variable]
        return False
