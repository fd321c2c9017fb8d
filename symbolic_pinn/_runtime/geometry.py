"""Shapes of non-box domains, as values: boxes and balls combined by ∪, \\ and ∩.

A shape knows its signed distance (negative inside), bounding box, volume and
boundary area, and draws points inside it and on its boundary with outward normals; a
shape that can carry exact Dirichlet conditions also gives φ, a smooth function zero on
its boundary and positive inside (:meth:`Shape.exact_distance`).
Combinations follow constructive solid geometry: the distance of a union is the min
of its parts', of an intersection the max, of a difference max(a, −b) (exact on the
boundary, a bound elsewhere).  The compiler builds these values, and a generated
module that has a shaped domain holds a copy of the classes it uses; only numpy is
needed (imported inside, as the generated module imports only JAX at its top).
"""

import dataclasses


class ShapeError(ValueError):
    """A shape written wrong: ``argument`` is the index of the argument at fault, or None."""

    def __init__(self, message, help, argument=None):
        super().__init__(message)
        self.help = help
        self.argument = argument


class Shape:
    """What every shape can do, given its ``distance``, ``bounds`` and ``parts``.

    A shape that a problem can name (``box(...)``) says so with ``names``, the kinds of
    its ``arguments`` ("point" or "number") and a ``build`` classmethod that checks
    them: the checker and the SymPy front end find it by name among ``Shape``'s
    subclasses, so adding a shape is adding a class.
    """

    names = ()  # how a problem names it
    arguments = ()  # the kind of each argument: "point" or "number"; ("point", ...) for any number of points
    example = ""  # a correct call, for error messages

    @classmethod
    def argument_kinds(cls, given):
        """The kind of each of ``given`` arguments, or None if the shape does not take that many."""
        if cls.arguments[-1:] == (...,):
            return cls.arguments[:1] * given
        return cls.arguments if len(cls.arguments) == given else None

    @classmethod
    def check_dimension(cls, name, d):
        """Refuse (ShapeError) a shape called ``name`` in ``d`` dimensions that cannot be."""

    def __or__(self, other):
        return Union(self, other)

    def __sub__(self, other):
        return Difference(self, other)

    def __and__(self, other):
        return Intersection(self, other)

    def parts(self, sign=1.0):
        """The boxes and balls of the shape, each with +1, or −1 where its inside is cut away."""
        return [(self, sign)]

    def surrounds(self, other):
        """Whether ``other`` lies strictly inside, its boundary apart from this one's (known for a box)."""
        return False

    def exact_distance(self, x, algebra):
        """φ for exact Dirichlet conditions (u = g + φ·N), or None if the shape has none.

        φ is a smooth expression of the coordinates ``x`` (one per variable of the shape),
        zero on the boundary, positive inside and of order one, built with ``algebra``:
        ``num(value)``, ``add(*terms)``, ``mul(*factors)``, ``square(e)`` and
        ``minus(e, value)`` (e − value).  The compiler passes an algebra that builds its IR;
        a test, one of numbers.  A shape without a smooth φ (corners, combinations)
        returns None, and its Dirichlet conditions stay loss terms.
        """
        return None

    def measure_expression(self, algebra, boundary=False):
        """The volume (with ``boundary=True`` the area of the boundary) as an expression of
        ``algebra`` (see :meth:`exact_distance`; also ``value(number)`` and ``power(e, k)``),
        for a shape whose numbers may be params' functions (:class:`Family`); None where none."""
        return None

    @classmethod
    def build_template(cls, name, values):
        """The shape with some numbers functions of params (:class:`Affine`), unchecked: the
        checker has built it at the corners of the params' box (:meth:`build`)."""
        return cls(*(tuple(v) if isinstance(v, (list, tuple)) else v for v in values))

    def curves(self):
        """A 2-D primitive's boundary as curves, each with its own outward normal
        (``("segment", ax, ay, bx, by, nx, ny)``, ``("arc", cx, cy, r)``), or None (3-D)."""
        return None

    def pieces(self):
        """The pieces of the boundary of a 2-D shape, exactly: ``(curve, s0, s1, sign)`` for each
        stretch ``s0 ≤ s ≤ s1`` of a primitive's curve on the whole shape's boundary (``sign``:
        −1 where the primitive is cut away, its normal turned around), or None where a
        primitive has no curves.  Each curve is cut where it meets another primitive's, and a
        stretch is kept when three points of it are on the boundary (:meth:`on_boundary`)."""
        import numpy as np

        parts = self.parts()
        curves = [part.curves() for part, _ in parts]
        if any(c is None for c in curves):
            return None
        found = []
        for index, ((_, sign), own) in enumerate(zip(parts, curves)):
            others = [c for j, cs in enumerate(curves) if j != index for c in cs]
            stretches, points, normals = [], [], []
            for curve in own:
                cuts = sorted({0.0, 1.0, *(s for o in others for s in _crossings(curve, o) if 0.0 < s < 1.0)})
                for s0, s1 in zip(cuts[:-1], cuts[1:]):
                    if s1 - s0 > 1e-15:
                        p, n = _curve_points(curve, s0 + (s1 - s0) * np.array([0.25, 0.5, 0.75]))
                        stretches.append((curve, s0, s1, sign))
                        points.append(p)
                        normals.append(n)
            if stretches:
                kept = self.on_boundary(parts, index, np.concatenate(points), sign * np.concatenate(normals))
                found += [c for c, k in zip(stretches, kept.reshape(-1, 3).all(axis=1)) if k]
        return found

    def measure(self, boundary=False):
        """The volume, or with ``boundary=True`` the area of the boundary.

        Exact for a box, a ball or a polygon (they override this) and for any combination
        in 2-D (the length of :meth:`pieces`, the area by the divergence theorem,
        ½∮ x·n ds, each exact for segments and arcs); for a combination in 3-D, estimated
        from 2^16 quasi-random points (a fixed seed, so a shape always gives one number).
        """
        import numpy as np

        pieces = self.pieces()
        if pieces is not None:
            if boundary:
                return float(sum(_curve_length(c, s0, s1) for c, s0, s1, _ in pieces))
            return float(sum(sign * _curve_flux(c, s0, s1) for c, s0, s1, sign in pieces) / 2)
        rng = np.random.default_rng(0)
        lo, hi = self.bounds()
        if not boundary:
            from scipy.stats import qmc  # a slow import: only here

            points = lo + (hi - lo) * qmc.Sobol(len(lo), scramble=True, seed=rng).random_base2(16)
            return float(np.prod(hi - lo) * np.mean(self.distance(points) <= 0))
        total = 0.0
        parts = self.parts()
        for index, (part, sign) in enumerate(parts):
            points, normals = part.surface(2**14, lambda m, k: rng.random((m, k)), rng)
            kept = self.on_boundary(parts, index, points, sign * normals)
            total += part.measure(boundary=True) * np.mean(kept)
        return total

    def on_boundary(self, parts, index, points, normals):
        """Which points of part ``index``'s surface (with the whole shape's outward
        ``normals``) are on the whole shape's boundary, each piece of it counted once.

        A point is on it when it is on the boundary, just inside along the normal is in
        the shape and just outside is not (edges a cut-away part shares with the rest
        are not); where two parts share a piece of boundary, it belongs to the first.
        """
        import numpy as np

        lo, hi = self.bounds()
        scale = float(np.max(hi - lo))
        step = 1e-6 * scale
        kept = np.abs(self.distance(points)) <= 1e-9 * scale
        kept &= (self.distance(points - step * normals) < 0) & (self.distance(points + step * normals) > 0)
        for earlier, _ in parts[:index]:
            kept &= np.abs(earlier.distance(points)) > 1e-9 * scale
        return kept

    def interior(self, n, unit):
        """``n`` points inside: quasi-random points of the bounding box that fall inside."""
        import numpy as np

        lo, hi = self.bounds()
        found, count = [], 0
        while count < n:
            candidates = lo + (hi - lo) * unit(max(2 * n, 64), len(lo))
            inside = candidates[self.distance(candidates) < 0]
            found.append(inside)
            count += len(inside)
        return np.concatenate(found)[:n]

    def boundary(self, n, unit, rng):
        """``n`` points on the boundary, spread by area, and their outward unit normals.

        Each box and ball contributes points of its own surface in proportion to its
        area; those on the boundary of the whole shape are kept (:meth:`on_boundary`),
        and where a part is cut away its normal is turned around.
        """
        import numpy as np

        parts = self.parts()
        areas = np.array([part.measure(boundary=True) for part, _ in parts])
        points, normals, count = [], [], 0
        while count < n:
            for index, ((part, sign), area) in enumerate(zip(parts, areas)):
                m = max(1, int(np.ceil(2 * n * area / areas.sum())))
                p, normal = part.surface(m, unit, rng)
                kept = self.on_boundary(parts, index, p, sign * normal)
                points.append(p[kept])
                normals.append(sign * normal[kept])
                count += int(kept.sum())
        order = rng.permutation(count)[:n]
        return np.concatenate(points)[order], np.concatenate(normals)[order]

    def in_part(self, part, points, normals=None):
        """Which boundary ``points`` (with the shape's outward ``normals``, where known) lie on
        ``part`` of the boundary (a :class:`BoundaryPart`)."""
        import numpy as np

        lo, hi = self.bounds()
        return part.contains(self, points, 1e-9 * float(np.max(hi - lo)), normals)

    def part_boundary(self, n, unit, rng, part):
        """``n`` points on ``part`` of the boundary, and outward normals: the part's own sampling."""
        return part.sample(self, n, unit, rng)

    def part_measure(self, part):
        """The area (in 2-D the length) of ``part`` of the boundary.

        In 2-D exact: the length of the :meth:`pieces` that lie on the part (three points of
        each).  In 3-D the share of 2^14 boundary points on it times the boundary's area (a
        fixed seed: one number); fewer than 8 of those points is 0: a plane that touches a
        curved surface catches a point now and then, but holds no piece of the boundary.
        """
        import numpy as np

        pieces = self.pieces()
        if pieces is not None:
            lo, hi = self.bounds()
            tolerance = 1e-9 * float(np.max(hi - lo))
            if not pieces:
                return 0.0
            thirds = np.array([0.25, 0.5, 0.75])
            drawn = [(_curve_points(c, s0 + (s1 - s0) * thirds), sign) for c, s0, s1, sign in pieces]
            points = np.concatenate([p for (p, _), _ in drawn])
            normals = np.concatenate([sign * q for (_, q), sign in drawn])  # the whole shape's outward normal
            on = part.contains(self, points, tolerance, normals).reshape(-1, 3).all(axis=1)
            return float(sum(_curve_length(c, s0, s1) for (c, s0, s1, _), k in zip(pieces, on) if k))
        rng = np.random.default_rng(0)
        points, normals = self.boundary(2**14, lambda m, k: rng.random((m, k)), rng)
        on = self.in_part(part, points, normals)
        return float(np.mean(on) * self.measure(boundary=True)) if on.sum() >= 8 else 0.0


@dataclasses.dataclass(frozen=True)
class Box(Shape):
    """The box lo ≤ x ≤ hi (per coordinate)."""

    lo: tuple
    hi: tuple

    names = ("box",)
    arguments = ("point", "point")
    example = "box((0, 0), (1, 1))"

    @classmethod
    def build(cls, name, values):
        lo, hi = values
        if not all(a < b for a, b in zip(lo, hi)):
            raise ShapeError(
                "the box is empty: each lower corner coordinate must be below the upper one",
                "write box(lower corner, upper corner), e.g. box((0, 0), (1, 1))",
            )
        return cls(tuple(lo), tuple(hi))

    def __str__(self):
        return f"box({_point(self.lo)}, {_point(self.hi)})"

    def distance(self, p):
        import numpy as np

        lo, hi = _columns(self.lo, len(p)), _columns(self.hi, len(p))  # numbers, or one per point (a family)
        q = np.abs(p - (lo + hi) / 2) - (hi - lo) / 2
        return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)

    def bounds(self):
        import numpy as np

        return np.asarray(self.lo, float), np.asarray(self.hi, float)

    def surrounds(self, other):
        import numpy as np

        (lo, hi), (olo, ohi) = self.bounds(), other.bounds()
        return bool(np.all(lo < olo) and np.all(ohi < hi))

    def measure(self, boundary=False):
        import numpy as np

        width = np.asarray(self.hi, float) - np.asarray(self.lo, float)
        if boundary:
            return float(2 * sum(np.prod(np.delete(width, i)) for i in range(len(width))))
        return float(np.prod(width))

    def measure_expression(self, algebra, boundary=False):
        widths = [algebra.difference(algebra.value(b), a) for a, b in zip(self.lo, self.hi)]
        if not boundary:
            return algebra.mul(*widths)
        faces = [algebra.mul(*(w for j, w in enumerate(widths) if j != i)) for i in range(len(widths))]
        return algebra.mul(algebra.num(2.0), algebra.add(*(f if len(widths) > 1 else algebra.num(1.0) for f in faces)))

    def curves(self):
        if len(self.lo) != 2:
            return None
        (x0, y0), (x1, y1) = self.lo, self.hi
        return [
            ("segment", x0, y0, x1, y0, 0.0, -1.0),
            ("segment", x1, y0, x1, y1, 1.0, 0.0),
            ("segment", x1, y1, x0, y1, 0.0, 1.0),
            ("segment", x0, y1, x0, y0, -1.0, 0.0),
        ]

    def surface(self, n, unit, rng):
        """``n`` points on the faces, spread by area, and outward normals."""
        import numpy as np

        lo, hi = self.bounds()
        d = len(lo)
        areas = np.array([np.prod(np.delete(hi - lo, i)) for i in range(d)])
        face = rng.choice(2 * d, size=n, p=np.repeat(areas, 2) / (2 * areas.sum()))
        points = lo + (hi - lo) * unit(n, d)
        normals = np.zeros((n, d))
        axis, upper = face // 2, face % 2 == 1
        points[np.arange(n), axis] = np.where(upper, hi[axis], lo[axis])
        normals[np.arange(n), axis] = np.where(upper, 1.0, -1.0)
        return points, normals


@dataclasses.dataclass(frozen=True)
class Ball(Shape):
    """The ball |x − centre| ≤ radius; a disk in 2-D."""

    centre: tuple
    radius: float

    names = ("disk", "ball")
    arguments = ("point", "number")
    example = "disk((0, 0), 1)"

    @classmethod
    def check_dimension(cls, name, d):
        if name == "disk" and d != 2:
            raise ShapeError(f"a disk is 2-D, but {d} variables are declared", "use ball(centre, radius)")

    @classmethod
    def build(cls, name, values):
        centre, radius = values
        if radius <= 0:
            raise ShapeError(f"the radius {radius:g} is not positive", "use a radius > 0", argument=1)
        return cls(tuple(centre), float(radius))

    def __str__(self):
        return f"{'disk' if len(self.centre) == 2 else 'ball'}({_point(self.centre)}, {_text(self.radius)})"

    def distance(self, p):
        import numpy as np

        return np.linalg.norm(p - _columns(self.centre, len(p)), axis=1) - self.radius

    def exact_distance(self, x, algebra):
        """φ = (r² − |x − c|²)/r² (in a :class:`Family`, r and c may be functions of params)."""
        if not _has_params(self):
            squares = algebra.add(*(algebra.square(algebra.minus(xi, float(c))) for xi, c in zip(x, self.centre)))
            return algebra.add(algebra.num(1.0), algebra.mul(algebra.num(-1.0 / self.radius**2), squares))
        squares = algebra.add(*(algebra.square(algebra.difference(xi, c)) for xi, c in zip(x, self.centre)))
        inverse = algebra.power(algebra.value(self.radius), -2.0)
        return algebra.add(algebra.num(1.0), algebra.mul(algebra.num(-1.0), inverse, squares))

    def measure_expression(self, algebra, boundary=False):
        import math

        d = len(self.centre)
        unit = math.pi ** (d / 2) / math.gamma(d / 2 + 1)  # the volume of the unit ball
        if boundary:
            return algebra.mul(algebra.num(d * unit), algebra.power(algebra.value(self.radius), float(d - 1)))
        return algebra.mul(algebra.num(unit), algebra.power(algebra.value(self.radius), float(d)))

    def bounds(self):
        import numpy as np

        centre = np.asarray(self.centre, float)
        return centre - self.radius, centre + self.radius

    def measure(self, boundary=False):
        import math

        d = len(self.centre)
        volume = math.pi ** (d / 2) / math.gamma(d / 2 + 1) * self.radius**d
        return d * volume / self.radius if boundary else volume

    def curves(self):
        if len(self.centre) != 2:
            return None
        return [("arc", float(self.centre[0]), float(self.centre[1]), float(self.radius))]

    def surface(self, n, unit, rng):
        """``n`` points on the sphere, spread evenly, and outward normals."""
        import math

        import numpy as np

        centre = np.asarray(self.centre, float)
        if len(centre) == 2:
            angle = 2 * math.pi * unit(n, 1)[:, 0]
            normals = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        else:
            normals = rng.standard_normal((n, len(centre)))
            normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        return centre + self.radius * normals, normals


@dataclasses.dataclass(frozen=True)
class Polygon(Shape):
    """The inside of a simple polygon in 2-D, convex or not, with these vertices in order."""

    vertices: tuple

    names = ("polygon",)
    arguments = ("point", ...)
    example = "polygon((0, 0), (1, 0), (1, 1), (0, 1))"

    @classmethod
    def check_dimension(cls, name, d):
        if d != 2:
            raise ShapeError(f"a polygon is 2-D, but {d} variables are declared", "use box(...) or ball(...)")

    @classmethod
    def build(cls, name, values):
        import numpy as np

        if len(values) < 3:
            raise ShapeError(f"a polygon needs at least 3 vertices, got {len(values)}", f"e.g. {cls.example}")
        shape = cls(tuple(tuple(float(c) for c in v) for v in values))
        a, b = shape._edges()
        m = len(a)
        if len(set(shape.vertices)) != m or np.any(np.linalg.norm(b - a, axis=1) == 0):
            raise ShapeError("the polygon repeats a vertex", "list each corner once")
        for i in range(m):  # edges that do not share a vertex must not meet
            for j in range(i + 2, m - (i == 0)):
                if _segments_meet(a[i], b[i], a[j], b[j]):
                    raise ShapeError(
                        f"the polygon's edges {i + 1} and {j + 1} cross", "list the vertices in order around it"
                    )
        if shape.measure() <= 0:
            raise ShapeError("the polygon has no area (its vertices are on one line)", "give the corners in order")
        return shape

    @classmethod
    def build_template(cls, name, values):
        return cls(tuple(tuple(v) for v in values))

    def __str__(self):
        return f"polygon({', '.join(_point(v) for v in self.vertices)})"

    def _edges(self):
        import numpy as np

        a = np.asarray(self.vertices, float)
        return a, np.roll(a, -1, axis=0)

    def distance(self, p):
        import numpy as np

        a, b = self._edges()
        edge = b - a  # (m, 2)
        rel = p[:, None, :] - a[None]  # (n, m, 2)
        t = np.clip(np.sum(rel * edge, axis=2) / np.sum(edge * edge, axis=1), 0, 1)
        nearest = np.min(np.linalg.norm(rel - t[..., None] * edge, axis=2), axis=1)
        # even-odd rule: a ray along +x from p crosses the boundary an odd number of times iff p is inside
        y, x = p[:, 1:2], p[:, 0:1]
        spans = (a[None, :, 1] > y) != (b[None, :, 1] > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            cross_x = a[None, :, 0] + (y - a[None, :, 1]) * edge[None, :, 0] / edge[None, :, 1]
        inside = np.sum(spans & (x < cross_x), axis=1) % 2 == 1
        return np.where(inside, -nearest, nearest)

    def bounds(self):
        import numpy as np

        a = np.asarray(self.vertices, float)
        return a.min(axis=0), a.max(axis=0)

    def measure(self, boundary=False):
        import numpy as np

        a, b = self._edges()
        if boundary:
            return float(np.sum(np.linalg.norm(b - a, axis=1)))
        return abs(float(np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]))) / 2  # the shoelace formula

    def measure_expression(self, algebra, boundary=False):
        """The signed shoelace formula (positive counter-clockwise; a :class:`Family` takes its
        size), or the sum of the edges' lengths."""
        pairs = list(zip(self.vertices, self.vertices[1:] + self.vertices[:1]))
        if boundary:
            return algebra.add(
                *(
                    algebra.power(
                        algebra.add(*(algebra.square(algebra.difference(algebra.value(q), p)) for p, q in zip(a, b))),
                        0.5,
                    )
                    for a, b in pairs
                )
            )
        v, minus_one = algebra.value, algebra.num(-1.0)
        twice = algebra.add(
            *(algebra.add(algebra.mul(v(a[0]), v(b[1])), algebra.mul(minus_one, v(b[0]), v(a[1]))) for a, b in pairs)
        )
        return algebra.mul(algebra.num(0.5), twice)

    def curves(self):
        import numpy as np

        a, b = self._edges()
        edge = b - a
        clockwise = np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]) < 0
        outward = np.stack([edge[:, 1], -edge[:, 0]], axis=1) / np.linalg.norm(edge, axis=1)[:, None]
        outward = -outward if clockwise else outward
        return [("segment", *map(float, (*p, *q, *n))) for p, q, n in zip(a, b, outward)]

    def surface(self, n, unit, rng):
        """``n`` points on the edges, spread by length, and outward normals."""
        import numpy as np

        a, b = self._edges()
        edge = b - a
        lengths = np.linalg.norm(edge, axis=1)
        which = rng.choice(len(a), size=n, p=lengths / lengths.sum())
        t = unit(n, 1)[:, 0]
        points = a[which] + t[:, None] * edge[which]
        clockwise = np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]) < 0
        outward = np.stack([edge[:, 1], -edge[:, 0]], axis=1) / lengths[:, None]  # right of a counter-clockwise edge
        return points, (-outward if clockwise else outward)[which]


@dataclasses.dataclass(frozen=True)
class Union(Shape):
    """Points in a or in b."""

    a: Shape
    b: Shape

    def __str__(self):
        return f"({self.a} ∪ {self.b})"

    def distance(self, p):
        import numpy as np

        return np.minimum(self.a.distance(p), self.b.distance(p))

    def bounds(self):
        import numpy as np

        (alo, ahi), (blo, bhi) = self.a.bounds(), self.b.bounds()
        return np.minimum(alo, blo), np.maximum(ahi, bhi)

    def parts(self, sign=1.0):
        return self.a.parts(sign) + self.b.parts(sign)


@dataclasses.dataclass(frozen=True)
class Difference(Shape):
    """Points in a and not in b."""

    a: Shape
    b: Shape

    def __str__(self):
        return f"({self.a} \\ {self.b})"

    def distance(self, p):
        import numpy as np

        return np.maximum(self.a.distance(p), -self.b.distance(p))

    def bounds(self):
        return self.a.bounds()

    def parts(self, sign=1.0):
        return self.a.parts(sign) + self.b.parts(-sign)

    def measure(self, boundary=False):
        """Exact where ``b`` lies strictly inside a box ``a`` (a ball cut out of a cube: the volumes
        subtract and the areas add, with ``b``'s own measure), else :meth:`Shape.measure`."""
        if not _has_params(self) and self.a.surrounds(self.b):
            return self.a.measure(boundary) + (1.0 if boundary else -1.0) * self.b.measure(boundary)
        return super().measure(boundary)


@dataclasses.dataclass(frozen=True)
class Intersection(Shape):
    """Points in a and in b."""

    a: Shape
    b: Shape

    def __str__(self):
        return f"({self.a} ∩ {self.b})"

    def distance(self, p):
        import numpy as np

        return np.maximum(self.a.distance(p), self.b.distance(p))

    def bounds(self):
        import numpy as np

        (alo, ahi), (blo, bhi) = self.a.bounds(), self.b.bounds()
        return np.maximum(alo, blo), np.minimum(ahi, bhi)

    def parts(self, sign=1.0):
        return self.a.parts(sign) + self.b.parts(sign)


@dataclasses.dataclass(frozen=True)
class Affine:
    """A number of a shape that depends on params: ``constant + Σ coefficient·param``.

    ``disk((0, 0), r)`` with ``param r in [0.5, 1.5]`` holds ``Affine(0.0, (("r", 1.0),))``
    as its radius; :class:`Family` puts the params' values in (:func:`_substitute`).
    """

    constant: float
    terms: tuple  # ((param name, coefficient), ...)

    def at(self, values):
        """The number at the params' ``values`` (a mapping of names to numbers)."""
        return self.constant + sum(c * values[name] for name, c in self.terms)

    def __str__(self):
        parts = [repr(self.constant)] if self.constant else []
        parts += [name if c == 1 else f"{c!r}*{name}" for name, c in self.terms]
        return " + ".join(parts) or "0.0"


def _substitute(value, values, number=float):
    """``value`` (a shape, a part of a boundary, a tuple, a number) with each :class:`Affine` in it
    replaced by its number at the params' ``values`` (``number``: arrays, one value per point)."""
    if isinstance(value, Affine):
        return number(value.at(values))
    if isinstance(value, tuple):
        return tuple(_substitute(v, values, number) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _substitute(getattr(value, f.name), values, number) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    return value


def _params_of(value):
    """The names of the params an :class:`Affine` in ``value`` depends on, in order of appearance."""
    if isinstance(value, Affine):
        return [name for name, _ in value.terms]
    if isinstance(value, tuple):
        return [name for v in value for name in _params_of(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [name for f in dataclasses.fields(value) for name in _params_of(getattr(value, f.name))]
    return []


def _has_params(value):
    return bool(_params_of(value))


def _takes_params(kind) -> bool:
    """Whether a shape's numbers may be params' affine functions (disk, ball, box, polygon; their ∪, \\, ∩)."""
    return kind in (Ball, Box, Polygon)


class _Valued:
    """An algebra (``Shape.exact_distance``) that can also write a shape's numbers, params' functions
    included (``value``), and ``difference(e, v)`` (e − v) and ``power(e, k)``; ``params`` maps each
    param's name to the algebra's value of it."""

    def __init__(self, algebra, params):
        self.algebra, self.params = algebra, params

    def __getattr__(self, name):
        return getattr(self.algebra, name)

    def value(self, v):
        a = self.algebra
        if not isinstance(v, Affine):
            return a.num(float(v))
        terms = [a.mul(a.num(float(c)), self.params[name]) if c != 1 else self.params[name] for name, c in v.terms]
        return (
            a.add(*([a.num(float(v.constant))] if v.constant else []), *terms)
            if len(terms) > 1 or v.constant
            else terms[0]
        )

    def difference(self, e, v):
        if not isinstance(v, Affine):
            return self.algebra.minus(e, float(v))
        return self.algebra.add(e, self.algebra.mul(self.algebra.num(-1.0), self.value(v)))


class _Numbers:
    """The algebra of numbers, to evaluate a measure's expression (``Shape.measure_expression``)."""

    num = staticmethod(float)
    square = staticmethod(lambda e: e * e)
    minus = staticmethod(lambda e, value: e - value)
    power = staticmethod(lambda e, k: e**k)

    @staticmethod
    def add(*terms):
        return sum(terms)

    @staticmethod
    def mul(*factors):
        import math

        return math.prod(factors)


@dataclasses.dataclass(frozen=True)
class Family(Shape):
    """One shape for each value of some params: ``disk((0, 0), r)`` with ``param r in [0.5, 1.5]``.

    ``template`` is the shape with :class:`Affine` numbers; ``parameters`` their names and
    ``ranges`` their intervals.  A family's points have the coordinates of space first and
    the params last, so its :meth:`distance` is the distance to the shape of each point's own
    params, and its samples are drawn as written: the params first (``PER_VALUE`` points for
    each value), then the points in (on) the shape of that value.  Its measures are integrals
    over the params (Gauss–Legendre, ``numpy.polynomial.legendre.leggauss``: exact for the
    polynomial measures of balls, boxes and polygons' areas).
    """

    template: Shape
    parameters: tuple
    ranges: tuple

    PER_VALUE = 16  # points drawn in the shape of one value of the params
    NODES = 8  # Gauss–Legendre nodes per param for a measure (exact for polynomials of degree 15)

    def __str__(self):
        ranges = ", ".join(f"{p} in [{lo!r}, {hi!r}]" for p, (lo, hi) in zip(self.parameters, self.ranges))
        return f"{self.template} for {ranges}"

    def instance(self, values):
        """The shape at the params' ``values`` (in the order of ``parameters``)."""
        return _substitute(self.template, dict(zip(self.parameters, map(float, values))))

    def _at(self, values, part):
        return _substitute(part, dict(zip(self.parameters, map(float, values))))

    def _corners(self):
        import itertools

        return list(itertools.product(*self.ranges))

    def _each(self, points, answer):
        """``answer(shape, coordinates, rows)`` for each value of the params among ``points``
        (coordinates, then params), its rows' answers put back in order."""
        import numpy as np

        k = len(self.parameters)
        x, q = points[:, :-k], points[:, -k:]
        values, which = np.unique(q, axis=0, return_inverse=True)
        which = which.reshape(-1)
        out = None
        for j, value in enumerate(values):
            rows = which == j
            got = np.asarray(answer(self.instance(value), x[rows], value))
            if out is None:
                out = np.empty((len(points), *got.shape[1:]), got.dtype)
            out[rows] = got
        return out if out is not None else np.zeros(0)

    def distance(self, p):
        """The distance of each point to the shape of its own params.  Boxes and balls (and their
        combinations) take one number per point, so all points go at once; a polygon goes value by
        value (10⁴ distinct values took 8 s so)."""
        import numpy as np

        if all(isinstance(part, (Box, Ball)) for part, _ in self.template.parts()):
            k = len(self.parameters)
            values = {name: p[:, p.shape[1] - k + i] for i, name in enumerate(self.parameters)}
            return _substitute(self.template, values, np.asarray).distance(p[:, : p.shape[1] - k])
        return self._each(p, lambda shape, x, _: shape.distance(x))

    def bounds(self):
        """The box that holds every shape of the family (the corners of the params' box bound an
        affine family's numbers), then the params' intervals."""
        import numpy as np

        boxes = [self.instance(c).bounds() for c in self._corners()]
        lo = np.min([b[0] for b in boxes], axis=0)
        hi = np.max([b[1] for b in boxes], axis=0)
        ranges = np.asarray(self.ranges, float)
        return np.concatenate([lo, ranges[:, 0]]), np.concatenate([hi, ranges[:, 1]])

    def parts(self, sign=1.0):
        return self.template.parts(sign)

    def _integral(self, of):
        """∫ of(shape at p) dp over the params' box, by Gauss–Legendre."""
        import itertools

        import numpy as np

        nodes, weights = np.polynomial.legendre.leggauss(self.NODES)
        total = 0.0
        for index in itertools.product(range(self.NODES), repeat=len(self.ranges)):
            value = [(lo + hi) / 2 + (hi - lo) / 2 * nodes[i] for i, (lo, hi) in zip(index, self.ranges)]
            weight = np.prod([weights[i] * (hi - lo) / 2 for i, (lo, hi) in zip(index, self.ranges)])
            total += weight * of(value)
        return float(total)

    def measure(self, boundary=False):
        """∫ over the params of the shape's volume (area of its boundary)."""
        return self._integral(lambda value: self.instance(value).measure(boundary))

    def part_measure(self, part):
        return self._integral(lambda value: self.instance(value).part_measure(self._at(value, part)))

    def measure_expression(self, x, algebra, boundary=False):
        """The volume (area of the boundary) of the shape of the params ``x[-k:]`` as an expression of
        ``algebra``, or None where the template has none (a combination of shapes)."""
        k = len(self.parameters)
        valued = _Valued(algebra, dict(zip(self.parameters, x[len(x) - k :])))
        expression = self.template.measure_expression(valued, boundary)
        if expression is None:
            return None
        middle = [(lo + hi) / 2 for lo, hi in self.ranges]
        numbers = _Valued(_Numbers, dict(zip(self.parameters, middle)))
        if self.template.measure_expression(numbers, boundary) < 0:  # a clockwise polygon's signed area
            return algebra.mul(algebra.num(-1.0), expression)
        return expression

    def exact_distance(self, x, algebra):
        k = len(self.parameters)
        return self.template.exact_distance(
            x[: len(x) - k], _Valued(algebra, dict(zip(self.parameters, x[len(x) - k :])))
        )

    def _draw(self, n, unit, draw):
        """``n`` rows of ``draw(shape, m, value)``'s points (then the params' columns) and normals, for
        ⌈n / PER_VALUE⌉ values of the params drawn from ``unit``."""
        import numpy as np

        lo, hi = np.asarray(self.ranges, float).T
        values = lo + (hi - lo) * unit(-(-n // self.PER_VALUE), len(lo))
        points, normals = [], []
        for value in values:
            got = draw(self.instance(value), self.PER_VALUE, value)
            p, normal = got if isinstance(got, tuple) else (got, None)
            points.append(np.hstack([p, np.tile(value, (len(p), 1))]))
            normals.append(normal)
        points = np.concatenate(points)[:n]
        return points if normals[0] is None else (points, np.concatenate(normals)[:n])

    def interior(self, n, unit):
        return self._draw(n, unit, lambda shape, m, _: shape.interior(m, unit))

    def boundary(self, n, unit, rng):
        return self._draw(n, unit, lambda shape, m, _: shape.boundary(m, unit, rng))

    def part_boundary(self, n, unit, rng, part):
        return self._draw(n, unit, lambda shape, m, value: shape.part_boundary(m, unit, rng, self._at(value, part)))

    def in_part(self, part, points, normals=None):
        return self._each(points, lambda shape, x, value: shape.in_part(self._at(value, part), x))


class BoundaryPart:
    """A piece of a shape's boundary that a condition names (``on ∂hole``, ``at x = 0``).

    A part is a frozen value that knows which boundary points are on it
    (:meth:`contains`) and how to draw points on it (:meth:`sample`); the shape answers
    for a part by asking it (``Shape.in_part``, ``Shape.part_boundary``), so a new kind of
    part is one class.
    """

    def contains(self, shape, points, tolerance, normals=None):
        """Which of ``points`` (on the boundary of ``shape``, whose outward unit ``normals`` there
        are given where known) are on this part, to ``tolerance``."""
        raise NotImplementedError(f"{type(self).__name__} does not say which points it holds")

    def sample(self, shape, n, unit, rng):
        """``n`` points on this part of ``shape``'s boundary, and outward normals.

        Points of the whole boundary (spread by area, ``Shape.boundary``) that lie on
        the part, so the part's points are spread by area too; its normals point out
        of the shape (into a hole).
        """
        import numpy as np

        points, normals, count = [], [], 0
        for _ in range(1000):
            p, normal = shape.boundary(max(2 * n, 256), unit, rng)
            kept = shape.in_part(self, p, normal)
            points.append(p[kept])
            normals.append(normal[kept])
            count += int(kept.sum())
            if count >= n:
                order = rng.permutation(count)[:n]
                return np.concatenate(points)[order], np.concatenate(normals)[order]
        raise ValueError(f"the part {self!r} of the boundary is too small to sample")


@dataclasses.dataclass(frozen=True)
class SurfacePart(BoundaryPart):
    """The surface of the ``index``-th box, ball or polygon of ``Shape.parts`` (``on ∂hole``)."""

    index: int

    def contains(self, shape, points, tolerance, normals=None):
        import numpy as np

        return np.abs(shape.parts()[self.index][0].distance(points)) <= tolerance


@dataclasses.dataclass(frozen=True)
class PlanePart(BoundaryPart):
    """The boundary's points on the plane coordinate[axis] = value (``at x = 0`` on a shape)."""

    axis: int
    value: float

    def contains(self, shape, points, tolerance, normals=None):
        import numpy as np

        return np.abs(points[:, self.axis] - self.value) <= tolerance


@dataclasses.dataclass(frozen=True)
class RestPart(BoundaryPart):
    """The boundary's points on none of ``parts`` (``on ∂Ω`` beside conditions on parts)."""

    parts: tuple

    def contains(self, shape, points, tolerance, normals=None):
        import numpy as np

        taken = np.zeros(len(points), bool)
        for other in self.parts:
            taken |= other.contains(shape, points, tolerance, normals)
        return ~taken


@dataclasses.dataclass(frozen=True)
class SharedPart(BoundaryPart):
    """The boundary's points that are also on the boundary of the shape ``other``, which holds the
    shape: ∂Ω in a region of a problem given by a shape (``u1 = 0 on ∂Ω`` for ``field u1 in A``)."""

    other: object

    def contains(self, shape, points, tolerance, normals=None):
        import numpy as np

        return np.abs(self.other.distance(points)) <= tolerance


@dataclasses.dataclass(frozen=True)
class AnyPart(BoundaryPart):
    """The boundary's points on one of ``parts`` at least (the faces ``on ∂Ω`` leaves to a field
    that lives in a region given by a shape)."""

    parts: tuple

    def contains(self, shape, points, tolerance, normals=None):
        import numpy as np

        held = np.zeros(len(points), bool)
        for part in self.parts:
            held |= part.contains(shape, points, tolerance, normals)
        return held


@dataclasses.dataclass(frozen=True)
class FacingPart(BoundaryPart):
    """The boundary's points where the shape ``other`` lies across it: on the boundary of ``other``,
    and just outside along the outward normal, in ``other`` (``on interface(A, B)``: the circle of
    a disk, seen from the disk, across which is the rest of the square).  Without normals, the
    points on ``other``'s boundary.  The normal's test keeps out a piece of boundary that both
    shapes have only because their signed distances meet there (the side of Ω that both the box
    ``x < 0.5`` and ``Ω \\ that box`` touch: a combination's distance is exact on its boundary
    only, and vanishes there too)."""

    other: object

    def contains(self, shape, points, tolerance, normals=None):
        import numpy as np

        on = np.abs(self.other.distance(points)) <= tolerance
        if normals is not None:
            on &= self.other.distance(points + 1e3 * tolerance * normals) < 0
        return on


def _curve_points(curve, s):
    """Points of a curve (:meth:`Shape.curves`) at parameters ``s`` in [0, 1], and its outward normals."""
    import numpy as np

    s = np.asarray(s, float)
    if curve[0] == "segment":
        _, ax, ay, bx, by, nx, ny = curve
        points = np.stack([ax + s * (bx - ax), ay + s * (by - ay)], axis=1)
        return points, np.tile([nx, ny], (len(s), 1))
    _, cx, cy, r = curve
    normals = np.stack([np.cos(2 * np.pi * s), np.sin(2 * np.pi * s)], axis=1)
    return np.array([cx, cy]) + r * normals, normals


def _curve_length(curve, s0, s1):
    """The length of a curve between parameters s0 and s1."""
    import math

    if curve[0] == "segment":
        _, ax, ay, bx, by, _, _ = curve
        return math.hypot(bx - ax, by - ay) * (s1 - s0)
    return 2 * math.pi * curve[3] * (s1 - s0)


def _curve_flux(curve, s0, s1):
    """∫ x·n ds over a curve between s0 and s1, n its own outward normal (twice the area it adds)."""
    import math

    if curve[0] == "segment":
        _, ax, ay, bx, by, nx, ny = curve
        m = (s0 + s1) / 2
        return ((ax + m * (bx - ax)) * nx + (ay + m * (by - ay)) * ny) * _curve_length(curve, s0, s1)
    _, cx, cy, r = curve
    t0, t1 = 2 * math.pi * s0, 2 * math.pi * s1
    return r * (cx * (math.sin(t1) - math.sin(t0)) - cy * (math.cos(t1) - math.cos(t0))) + r * r * (t1 - t0)


def _crossings(curve, other):
    """The parameters of ``curve`` where it meets ``other`` (where a collinear segment overlaps it:
    the ends of the overlap)."""
    import math

    if curve[0] == "arc":
        _, cx, cy, r = curve
        if other[0] == "segment":
            points = [_segment_at(other, u) for u in _segment_circle(other, cx, cy, r)]
        else:
            points = _circles_meet((cx, cy, r), other[1:])
        return [(math.atan2(y - cy, x - cx) / (2 * math.pi)) % 1.0 for x, y in points]
    if other[0] == "arc":
        return _segment_circle(curve, *other[1:])
    _, ax, ay, bx, by, _, _ = curve
    _, qx, qy, ex, ey, _, _ = other
    dx, dy, fx, fy, wx, wy = bx - ax, by - ay, ex - qx, ey - qy, qx - ax, qy - ay
    cross = dx * fy - dy * fx
    scale = math.hypot(dx, dy) * math.hypot(fx, fy)
    if abs(cross) > 1e-12 * scale:
        s, u = (wx * fy - wy * fx) / cross, (wx * dy - wy * dx) / cross
        return [s] if -1e-12 <= u <= 1 + 1e-12 else []
    if abs(wx * dy - wy * dx) > 1e-12 * math.hypot(dx, dy) * (math.hypot(wx, wy) + math.hypot(dx, dy)):
        return []  # parallel, apart
    length = dx * dx + dy * dy
    return [(wx * dx + wy * dy) / length, ((ex - ax) * dx + (ey - ay) * dy) / length]


def _segment_at(segment, u):
    _, ax, ay, bx, by, _, _ = segment
    return ax + u * (bx - ax), ay + u * (by - ay)


def _segment_circle(segment, cx, cy, r):
    """The parameters in [0, 1] of a segment where it meets the circle (cx, cy, r)."""
    import math

    _, ax, ay, bx, by, _, _ = segment
    dx, dy, px, py = bx - ax, by - ay, ax - cx, ay - cy
    a, b, c = dx * dx + dy * dy, 2 * (dx * px + dy * py), px * px + py * py - r * r
    disc = b * b - 4 * a * c
    if disc < -1e-12 * b * b:
        return []
    root = math.sqrt(max(disc, 0.0))
    return [u for u in ((-b - root) / (2 * a), (-b + root) / (2 * a)) if -1e-12 <= u <= 1 + 1e-12]


def _circles_meet(first, second):
    """The points where two circles (cx, cy, r) meet."""
    import math

    (x1, y1, r1), (x2, y2, r2) = first, second
    d = math.hypot(x2 - x1, y2 - y1)
    if d == 0 or d > r1 + r2 or d < abs(r1 - r2):
        return []
    a = (r1 * r1 - r2 * r2 + d * d) / (2 * d)
    h = math.sqrt(max(r1 * r1 - a * a, 0.0))
    ux, uy = (x2 - x1) / d, (y2 - y1) / d
    mx, my = x1 + a * ux, y1 + a * uy
    return [(mx - h * uy, my + h * ux), (mx + h * uy, my - h * ux)]


def _columns(point, n):
    """A point's coordinates as an (n, d) array: each a number, or (in a :class:`Family`) one per point."""
    import numpy as np

    return np.stack([np.broadcast_to(np.asarray(c, float), (n,)) for c in point], axis=1)


def _point(values):
    return "(" + ", ".join(_text(v) for v in values) + ")"


def _text(value):
    """A number of a shape as text: ``0.5``, or an :class:`Affine`'s ``0.5 + 2*r``."""
    return str(value) if isinstance(value, Affine) else repr(float(value))


def named(name):
    """The class of the shape a problem calls ``name``, or None."""
    todo = list(Shape.__subclasses__())
    while todo:
        cls = todo.pop()
        if name in cls.names:
            return cls
        todo += cls.__subclasses__()
    return None


def _segments_meet(p, q, r, s):
    """Whether the closed segments pq and rs have a point in common."""

    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    def between(a, b, c):  # c on the line ab: within its extent?
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    d1, d2, d3, d4 = side(r, s, p), side(r, s, q), side(p, q, r), side(p, q, s)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4):
        return True
    return any(
        d == 0 and between(*ends) for d, ends in ((d1, (r, s, p)), (d2, (r, s, q)), (d3, (p, q, r)), (d4, (p, q, s)))
    )
