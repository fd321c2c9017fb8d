"""Solids of 3-D domains: cylinders, cones, tori, extruded sections, rigid motions, triangle meshes.

Each is a :class:`~symbolic_pinn._runtime.geometry.Shape` (found by name like a box or a
ball, combined by ∪, \\ and ∩), with an exact volume and surface area, a signed distance
that is zero on the surface and negative inside, and surface points spread by area with
their outward unit normals: each piece of a surface (a cylinder's side and caps, a cone's
mantle and base, a mesh's triangles) gets points in proportion to its area, and within a
curved piece the points follow its area element (a cone's mantle is denser near the
base, a torus's outer side than its inner one).  Only numpy is needed.
"""

import dataclasses

from .geometry import Shape, ShapeError, _point


def _frame(axis):
    """The unit vector along ``axis`` and two unit vectors perpendicular to it and each other."""
    import numpy as np

    u = np.asarray(axis, float) / np.linalg.norm(axis)
    helper = np.eye(3)[int(np.argmin(np.abs(u)))]
    e1 = np.cross(u, helper)
    e1 /= np.linalg.norm(e1)
    return u, e1, np.cross(u, e1)


def _disk_extent(axis, radius):
    """Half the extent, per coordinate, of a disk of ``radius`` perpendicular to ``axis``."""
    import numpy as np

    u = np.asarray(axis, float) / np.linalg.norm(axis)
    return radius * np.sqrt(np.clip(1 - u**2, 0, 1))


def _capped(radial, axial):
    """The signed distance of the intersection of two slabs, given each one's signed distance."""
    import numpy as np

    outside = np.sqrt(np.maximum(radial, 0) ** 2 + np.maximum(axial, 0) ** 2)
    return outside + np.minimum(np.maximum(radial, axial), 0)


def _pieces(n, areas, rng):
    """How many of ``n`` points fall on each piece of a surface, drawn in proportion to ``areas``."""
    import numpy as np

    areas = np.asarray(areas, float)
    return np.bincount(rng.choice(len(areas), size=n, p=areas / areas.sum()), minlength=len(areas))


def _boundary_of(shape, n, unit, rng):
    """``n`` points on the boundary of ``shape`` and outward normals: its own surface if it is one piece."""
    parts = shape.parts()
    if len(parts) == 1 and parts[0][0] is shape:
        return shape.surface(n, unit, rng)
    return shape.boundary(n, unit, rng)


def _three_d(cls, name, d):
    if d != 3:
        raise ShapeError(f"a {name} is 3-D, but {d} variables are declared", f"declare (x, y, z): e.g. {cls.example}")


@dataclasses.dataclass(frozen=True)
class Cylinder(Shape):
    """The solid cylinder of ``radius`` around the segment from ``a`` to ``b`` (the centres of its caps)."""

    a: tuple
    b: tuple
    radius: float

    names = ("cylinder",)
    arguments = ("point", "point", "number")
    example = "cylinder((0, 0, 0), (0, 0, 1), 0.5)"

    check_dimension = classmethod(_three_d)

    @classmethod
    def build(cls, name, values):
        a, b, radius = values
        if radius <= 0:
            raise ShapeError(f"the radius {radius:g} is not positive", "use a radius > 0", argument=2)
        if tuple(a) == tuple(b):
            raise ShapeError("the cylinder's two ends are the same point", f"e.g. {cls.example}", argument=1)
        return cls(tuple(float(c) for c in a), tuple(float(c) for c in b), float(radius))

    def __str__(self):
        return f"cylinder({_point(self.a)}, {_point(self.b)}, {self.radius!r})"

    def _axis(self):
        import numpy as np

        a, b = np.asarray(self.a, float), np.asarray(self.b, float)
        return a, float(np.linalg.norm(b - a)), _frame(b - a)

    def distance(self, p):
        import numpy as np

        a, h, (u, _, _) = self._axis()
        t = (p - a) @ u
        rho = np.linalg.norm(p - a - t[:, None] * u, axis=1)
        return _capped(rho - self.radius, np.abs(t - h / 2) - h / 2)

    def bounds(self):
        import numpy as np

        a, b = np.asarray(self.a, float), np.asarray(self.b, float)
        extent = _disk_extent(b - a, self.radius)
        return np.minimum(a, b) - extent, np.maximum(a, b) + extent

    def measure(self, boundary=False):
        import math

        _, h, _ = self._axis()
        r = self.radius
        return 2 * math.pi * r * (h + r) if boundary else math.pi * r * r * h

    def surface(self, n, unit, rng):
        """Points on the side (uniform in height and angle) and on the two caps (uniform in area)."""
        import numpy as np

        a, h, (u, e1, e2) = self._axis()
        r = self.radius
        side, bottom, top = _pieces(n, [2 * np.pi * r * h, np.pi * r * r, np.pi * r * r], rng)
        s, t = unit(n, 2).T
        angle = 2 * np.pi * t
        radial = np.cos(angle)[:, None] * e1 + np.sin(angle)[:, None] * e2
        height = np.concatenate([h * s[:side], np.zeros(bottom), np.full(top, h)])
        rho = np.concatenate([np.full(side, r), r * np.sqrt(s[side:])])
        points = a + height[:, None] * u + rho[:, None] * radial
        normals = np.concatenate([radial[:side], np.tile(-u, (bottom, 1)), np.tile(u, (top, 1))])
        return points, normals


@dataclasses.dataclass(frozen=True)
class Cone(Shape):
    """The solid right circular cone: its base a disk of ``radius`` centred at ``base``, its tip at ``apex``."""

    base: tuple
    apex: tuple
    radius: float

    names = ("cone",)
    arguments = ("point", "point", "number")
    example = "cone((0, 0, 0), (0, 0, 1), 0.5)"

    check_dimension = classmethod(_three_d)

    @classmethod
    def build(cls, name, values):
        base, apex, radius = values
        if radius <= 0:
            raise ShapeError(f"the radius {radius:g} is not positive", "use a radius > 0", argument=2)
        if tuple(base) == tuple(apex):
            raise ShapeError("the cone's apex is the centre of its base", f"e.g. {cls.example}", argument=1)
        return cls(tuple(float(c) for c in base), tuple(float(c) for c in apex), float(radius))

    def __str__(self):
        return f"cone({_point(self.base)}, {_point(self.apex)}, {self.radius!r})"

    def _axis(self):
        import numpy as np

        c, tip = np.asarray(self.base, float), np.asarray(self.apex, float)
        return c, float(np.linalg.norm(tip - c)), _frame(tip - c)

    def distance(self, p):
        """max(distance beyond the mantle's plane, below the base): exact inside and on the surface, a bound outside."""
        import numpy as np

        c, h, (u, _, _) = self._axis()
        r = self.radius
        z = (p - c) @ u
        rho = np.linalg.norm(p - c - z[:, None] * u, axis=1)
        return np.maximum((h * rho + r * z - r * h) / np.hypot(h, r), -z)

    def bounds(self):
        import numpy as np

        c, tip = np.asarray(self.base, float), np.asarray(self.apex, float)
        extent = _disk_extent(tip - c, self.radius)
        return np.minimum(c - extent, tip), np.maximum(c + extent, tip)

    def measure(self, boundary=False):
        import math

        _, h, _ = self._axis()
        r = self.radius
        return math.pi * r * (math.hypot(h, r) + r) if boundary else math.pi * r * r * h / 3

    def surface(self, n, unit, rng):
        """Points on the mantle (density ∝ distance from the apex, as its area element) and the base."""
        import numpy as np

        c, h, (u, e1, e2) = self._axis()
        r = self.radius
        slant = np.hypot(h, r)
        mantle, base = _pieces(n, [np.pi * r * slant, np.pi * r * r], rng)
        s, t = unit(n, 2).T
        angle = 2 * np.pi * t
        radial = np.cos(angle)[:, None] * e1 + np.sin(angle)[:, None] * e2
        f = np.sqrt(s)  # the share of the way from the apex to the rim (mantle), or the rim radius (base)
        height = np.concatenate([h * (1 - f[:mantle]), np.zeros(base)])
        points = c + height[:, None] * u + (r * f)[:, None] * radial
        normals = np.concatenate([(h * radial[:mantle] + r * u) / slant, np.tile(-u, (base, 1))])
        return points, normals


@dataclasses.dataclass(frozen=True)
class Torus(Shape):
    """A ring torus about the z axis through ``centre``: a tube of radius ``minor`` round a ring of ``major``."""

    centre: tuple
    major: float
    minor: float

    names = ("torus",)
    arguments = ("point", "number", "number")
    example = "torus((0, 0, 0), 1, 0.25)"

    check_dimension = classmethod(_three_d)

    @classmethod
    def build(cls, name, values):
        centre, major, minor = values
        if minor <= 0:
            raise ShapeError(f"the tube radius {minor:g} is not positive", "use a radius > 0", argument=2)
        if major <= minor:
            raise ShapeError(
                f"the ring radius {major:g} is not larger than the tube radius {minor:g}",
                f"a ring torus has a hole: e.g. {cls.example}",
                argument=1,
            )
        return cls(tuple(float(c) for c in centre), float(major), float(minor))

    def __str__(self):
        return f"torus({_point(self.centre)}, {self.major!r}, {self.minor!r})"

    def distance(self, p):
        import numpy as np

        q = p - np.asarray(self.centre, float)
        return np.hypot(np.hypot(q[:, 0], q[:, 1]) - self.major, q[:, 2]) - self.minor

    def bounds(self):
        import numpy as np

        reach = np.array([self.major + self.minor, self.major + self.minor, self.minor])
        return np.asarray(self.centre, float) - reach, np.asarray(self.centre, float) + reach

    def measure(self, boundary=False):
        import math

        big, small = self.major, self.minor
        return 4 * math.pi**2 * big * small if boundary else 2 * math.pi**2 * big * small**2

    def surface(self, n, unit, rng):
        """Points with the area element (R + r cos φ) r dθ dφ: φ by inverting its distribution (bisection)."""
        import numpy as np

        big, small = self.major, self.minor
        s, t = unit(n, 2).T
        theta = 2 * np.pi * t
        target = 2 * np.pi * big * s  # R φ + r sin φ, increasing in φ from 0 to 2πR
        lo, hi = np.zeros(n), np.full(n, 2 * np.pi)
        for _ in range(60):
            mid = (lo + hi) / 2
            below = big * mid + small * np.sin(mid) < target
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        phi = (lo + hi) / 2
        normals = np.stack([np.cos(phi) * np.cos(theta), np.cos(phi) * np.sin(theta), np.sin(phi)], axis=1)
        ring = np.stack([big * np.cos(theta), big * np.sin(theta), np.zeros(n)], axis=1)
        return np.asarray(self.centre, float) + ring + small * normals, normals


@dataclasses.dataclass(frozen=True)
class Translate(Shape):
    """``shape`` moved by ``offset``."""

    shape: Shape
    offset: tuple

    names = ("translate",)
    arguments = ("shape", "point")
    example = "translate(ball((0, 0, 0), 1), (1, 0, 0))"

    @classmethod
    def build(cls, name, values):
        shape, offset = values
        return cls(shape, tuple(float(c) for c in offset))

    def __str__(self):
        return f"translate({self.shape}, {_point(self.offset)})"

    def distance(self, p):
        import numpy as np

        return self.shape.distance(p - np.asarray(self.offset, float))

    def bounds(self):
        import numpy as np

        lo, hi = self.shape.bounds()
        return lo + np.asarray(self.offset, float), hi + np.asarray(self.offset, float)

    def measure(self, boundary=False):
        return self.shape.measure(boundary)

    def surface(self, n, unit, rng):
        import numpy as np

        points, normals = _boundary_of(self.shape, n, unit, rng)
        return points + np.asarray(self.offset, float), normals


@dataclasses.dataclass(frozen=True)
class Rotate(Shape):
    """``shape`` turned by ``angle`` (radians, right-handed) about ``axis`` through the origin."""

    shape: Shape
    axis: tuple
    angle: float

    names = ("rotate",)
    arguments = ("shape", "point", "number")
    example = "rotate(cylinder((0, 0, 0), (0, 0, 1), 0.5), (1, 0, 0), pi/2)"

    check_dimension = classmethod(_three_d)

    @classmethod
    def build(cls, name, values):
        shape, axis, angle = values
        if not any(axis):
            raise ShapeError("the axis of rotation is the zero vector", f"e.g. {cls.example}", argument=1)
        return cls(shape, tuple(float(c) for c in axis), float(angle))

    def __str__(self):
        return f"rotate({self.shape}, {_point(self.axis)}, {self.angle!r})"

    def matrix(self):
        """The rotation matrix (Rodrigues' formula): a point p goes to matrix @ p."""
        import numpy as np

        k = np.asarray(self.axis, float) / np.linalg.norm(self.axis)
        cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        c, s = np.cos(self.angle), np.sin(self.angle)
        return c * np.eye(3) + s * cross + (1 - c) * np.outer(k, k)

    def distance(self, p):
        return self.shape.distance(p @ self.matrix())  # row p ↦ Rᵀp, the point before the turn

    def bounds(self):
        import itertools

        import numpy as np

        lo, hi = self.shape.bounds()
        corners = np.array([np.where(c, hi, lo) for c in itertools.product([False, True], repeat=3)])
        turned = corners @ self.matrix().T
        return turned.min(axis=0), turned.max(axis=0)

    def measure(self, boundary=False):
        return self.shape.measure(boundary)

    def surface(self, n, unit, rng):
        points, normals = _boundary_of(self.shape, n, unit, rng)
        m = self.matrix()
        return points @ m.T, normals @ m.T


@dataclasses.dataclass(frozen=True)
class Extrude(Shape):
    """The prism of a 2-D ``section`` (a polygon, disk, box or a combination) in (x, y), from z = ``lo`` to ``hi``."""

    section: Shape
    lo: float
    hi: float

    names = ("extrude",)
    arguments = ("section", "number", "number")
    example = "extrude(polygon((0, 0), (1, 0), (0, 1)), 0, 1)"

    check_dimension = classmethod(_three_d)

    @classmethod
    def build(cls, name, values):
        section, lo, hi = values
        if not lo < hi:
            raise ShapeError(f"the extrusion from z = {lo:g} to z = {hi:g} is empty", "give lo < hi", argument=2)
        return cls(section, float(lo), float(hi))

    def __str__(self):
        return f"extrude({self.section}, {self.lo!r}, {self.hi!r})"

    def distance(self, p):
        import numpy as np

        mid, half = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2
        return _capped(self.section.distance(p[:, :2]), np.abs(p[:, 2] - mid) - half)

    def bounds(self):
        import numpy as np

        lo, hi = self.section.bounds()
        return np.append(lo, self.lo), np.append(hi, self.hi)

    def measure(self, boundary=False):
        height = self.hi - self.lo
        area = self.section.measure()
        return self.section.measure(boundary=True) * height + 2 * area if boundary else area * height

    def surface(self, n, unit, rng):
        """Points on the side (the section's boundary, spread by length, times the height) and the two ends."""
        import numpy as np

        height = self.hi - self.lo
        area = self.section.measure()
        side, bottom, top = _pieces(n, [self.section.measure(boundary=True) * height, area, area], rng)
        edge, outward = _boundary_of(self.section, side, unit, rng) if side else (np.zeros((0, 2)), np.zeros((0, 2)))
        ends = self.section.interior(bottom + top, unit) if bottom + top else np.zeros((0, 2))
        z = np.concatenate([self.lo + height * unit(side, 1)[:, 0], np.full(bottom, self.lo), np.full(top, self.hi)])
        points = np.column_stack([np.concatenate([edge, ends]), z])
        normals = np.zeros((n, 3))
        normals[:side, :2] = outward
        normals[side : side + bottom, 2] = -1.0
        normals[side + bottom :, 2] = 1.0
        return points, normals


def _triangle_distance(p, a, b, c):
    """The distance from each of the points ``p`` (k, 3) to the nearest of the triangles (a, b, c) (each m, 3).

    Where a point's foot on a triangle's plane falls inside the triangle, the distance to
    the plane; elsewhere the nearest of the three edges.
    """
    import numpy as np

    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    rel = p[:, None, :] - a[None]  # (k, m, 3)
    height = np.sum(rel * normal, axis=2)
    foot = p[:, None, :] - height[..., None] * normal
    inside = np.ones(height.shape, bool)
    nearest = np.full(height.shape, np.inf)
    for start, end in ((a, b), (b, c), (c, a)):
        edge = end - start
        inside &= np.sum(np.cross(edge, foot - start) * normal, axis=2) >= 0
        along = p[:, None, :] - start
        t = np.clip(np.sum(along * edge, axis=2) / np.sum(edge * edge, axis=1), 0, 1)
        nearest = np.minimum(nearest, np.linalg.norm(along - t[..., None] * edge, axis=2))
    return np.min(np.where(inside, np.abs(height), nearest), axis=1)


def _winding(p, a, b, c):
    """The winding number of the closed triangle surface (a, b, c) around each point: Σ solid angles / 4π.

    Each triangle's solid angle by Van Oosterom and Strackee's formula; about 1 inside a
    closed, outward-oriented surface and 0 outside, whatever the surface's shape.
    """
    import numpy as np

    ra, rb, rc = a[None] - p[:, None, :], b[None] - p[:, None, :], c[None] - p[:, None, :]
    la, lb, lc = (np.linalg.norm(r, axis=2) for r in (ra, rb, rc))
    det = np.sum(ra * np.cross(rb, rc), axis=2)
    dots = la * lb * lc + np.sum(ra * rb, axis=2) * lc + np.sum(rb * rc, axis=2) * la + np.sum(rc * ra, axis=2) * lb
    return np.sum(2 * np.arctan2(det, dots), axis=1) / (4 * np.pi)


def _turned(points, turn):
    """``points`` (m, 3) turned about the x, y and z axes in turn by the angles ``turn``."""
    import numpy as np

    turned = np.array(points, float)  # a copy: the caller's points stay as they are
    for axis, angle in enumerate(turn):
        i, j = [k for k in range(3) if k != axis]
        cos, sin = np.cos(angle), np.sin(angle)
        column_i, column_j = turned[:, i].copy(), turned[:, j].copy()
        turned[:, i], turned[:, j] = cos * column_i - sin * column_j, sin * column_i + cos * column_j
    return turned


def _ray_crossings(p, a, b, c, turn):
    """Whether each point is inside the closed surface (a, b, c) by the parity of the triangles a ray from
    it crosses, and which points the ray met at an edge, a vertex or the point itself (decide those otherwise).

    The winding number costs each point a solid angle per triangle; a ray meets only the triangles whose
    shadow covers the point, so the triangles are put into the cells of a grid on the plane across the ray
    (each into the cells its shadow's bounding box touches) and each point tries those of its own cell.
    Edge functions are taken with both ends moved to the point, so the two triangles of an edge get
    exactly opposite values and a crossing is never counted twice; a value of exactly zero (the ray through
    an edge or a vertex) marks the point as undecided.  The ray leaves along +z of the frame turned by
    ``turn`` (:attr:`Mesh.ray_turn`).
    """
    import numpy as np

    p, a, b, c = (_turned(v, turn) for v in (p, a, b, c))
    corners = np.stack([a, b, c])  # (3, m, 3)
    lo, hi = corners[..., :2].min(axis=(0, 1)), corners[..., :2].max(axis=(0, 1))
    side = max(1, int(np.sqrt(len(a))))  # about one triangle per cell
    size = np.maximum(hi - lo, 1e-300) / side
    low = np.clip(((corners[..., :2].min(axis=0) - lo) // size).astype(int), 0, side - 1)
    high = np.clip(((corners[..., :2].max(axis=0) - lo) // size).astype(int), 0, side - 1)
    span = high - low + 1
    count = span[:, 0] * span[:, 1]
    triangle = np.repeat(np.arange(len(a)), count)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    cell = (low[triangle, 0] + local % span[triangle, 0]) * side + low[triangle, 1] + local // span[triangle, 0]
    order = np.argsort(cell, kind="stable")
    members, starts = triangle[order], np.searchsorted(cell[order], np.arange(side * side + 1))
    where = np.floor((p[:, :2] - lo) / size).astype(int)
    shadowed = np.all((where >= 0) & (where < side), axis=1)  # outside the surface's shadow the ray meets nothing
    own = np.where(shadowed, np.clip(where[:, 0], 0, side - 1) * side + np.clip(where[:, 1], 0, side - 1), 0)
    tries = np.where(shadowed, starts[own + 1] - starts[own], 0)
    point = np.repeat(np.arange(len(p)), tries)
    tri = members[np.repeat(starts[own], tries) + np.arange(tries.sum()) - np.repeat(np.cumsum(tries) - tries, tries)]
    q = p[point]
    u, v, w = a[tri] - q, b[tri] - q, c[tri] - q
    e = np.stack([u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0], v[:, 0] * w[:, 1] - v[:, 1] * w[:, 0]])
    e = np.concatenate([e, (w[:, 0] * u[:, 1] - w[:, 1] * u[:, 0])[None]])  # (3, pairs): twice the sub-areas
    through = np.all(e > 0, axis=0) | np.all(e < 0, axis=0)
    grazed = np.any(e == 0, axis=0) & ~(np.any(e > 0, axis=0) & np.any(e < 0, axis=0))
    total = e.sum(axis=0)
    height = np.divide(e[1] * u[:, 2] + e[2] * v[:, 2] + e[0] * w[:, 2], total, where=through, out=np.zeros(len(e[0])))
    crossed = through & (height > 0)
    undecided = np.zeros(len(p), bool)
    undecided[point[grazed | (through & (height == 0))]] = True
    return np.bincount(point[crossed], minlength=len(p)) % 2 == 1, undecided


@dataclasses.dataclass(frozen=True)
class Mesh(Shape):
    """The solid a closed triangle mesh bounds: ``vertices`` (x, y, z) and ``faces``, three vertex indices each,
    ordered anticlockwise seen from outside (:meth:`build` turns them so).

    ``mesh("part.stl")`` in a problem reads the file (STL, OBJ, PLY or OFF, with the optional
    extra ``mesh``: trimesh); the compiler keeps the triangles, so the generated module needs
    numpy alone.  Inside is where the winding number is above ½; the distance is to the
    nearest triangle; volume and area are the polyhedron's own, exact.
    """

    vertices: tuple
    faces: tuple

    names = ("mesh",)
    arguments = ("file",)
    example = 'mesh("part.stl")'
    chunk = 1 << 18  # point–triangle pairs at a time
    # the ray of _ray_crossings leaves along z turned about x, y, z by these angles (no simple relation to π),
    # so the axis-aligned faces and edges common in meshes are never grazed by it
    ray_turn = (0.6180339887498949, 0.41421356237309503, 0.7320508075688772)

    check_dimension = classmethod(_three_d)

    @classmethod
    def build(cls, name, values):
        """The mesh of ``values``, (vertices, faces): refused unless closed, consistently oriented, of some volume."""
        import numpy as np

        vertices, faces = np.asarray(values[0], float), np.asarray(values[1], int)
        if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.ndim != 2 or faces.shape[1] != 3 or not len(faces):
            raise ShapeError("the mesh has no triangles", "give a closed surface of triangles")
        if not np.all(np.isfinite(vertices)) or faces.min() < 0 or faces.max() >= len(vertices):
            raise ShapeError("the mesh has a vertex that is not a finite point", "repair the mesh file")
        edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
        directed = {tuple(e) for e in edges.tolist()}
        if len(directed) != len(edges) or any((b, a) not in directed for a, b in directed):
            raise ShapeError(
                "the mesh is not a closed, consistently oriented surface: some edge is not shared by exactly "
                "two triangles running it in opposite directions",
                "close the holes and fix the orientation of the mesh (trimesh's repair, or a mesh editor)",
            )
        a, b, c = (vertices[faces[:, i]] for i in range(3))
        if np.any(np.linalg.norm(np.cross(b - a, c - a), axis=1) == 0):
            raise ShapeError("the mesh has a triangle of no area", "remove the degenerate triangles")
        volume = np.sum(a * np.cross(b, c)) / 6
        if volume == 0:
            raise ShapeError("the mesh encloses no volume", "give a closed surface around a solid")
        if volume < 0:  # the triangles face inwards: turn them
            faces = faces[:, ::-1]
        return cls(tuple(map(tuple, vertices.tolist())), tuple(map(tuple, faces.tolist())))

    def __str__(self):
        return f"mesh({len(self.faces)} triangles)"

    def triangles(self):
        """The corners a, b, c of every triangle, (m, 3) each."""
        import numpy as np

        vertices, faces = np.asarray(self.vertices, float), np.asarray(self.faces, int)
        return tuple(vertices[faces[:, i]] for i in range(3))

    def _chunks(self, p, function):
        import numpy as np

        a, b, c = self.triangles()
        step = max(1, self.chunk // len(a))
        return np.concatenate([function(p[i : i + step], a, b, c) for i in range(0, len(p), step)] or [np.zeros(0)])

    def contains(self, p):
        """Which of the points ``p`` are inside."""
        return self.distance(p) < 0

    def normals(self):
        """Outward unit normals of the faces, (m, 3); of each face's edges ab, bc, ca (the sum of the two
        faces' normals), (m, 3, 3); and of the vertices, angle-weighted, (v, 3): Bærentzen and Aanæs's
        pseudo-normals, whose side of the nearest point of the surface a point lies on is its inside or out."""
        import numpy as np

        vertices, faces = np.asarray(self.vertices, float), np.asarray(self.faces, int)
        a, b, c = self.triangles()
        face = np.cross(b - a, c - a)
        face /= np.linalg.norm(face, axis=1, keepdims=True)
        m, count = len(faces), len(vertices)
        keys = faces * count + np.roll(faces, -1, axis=1)  # the directed edges ab, bc, ca
        order = np.argsort(keys, axis=None)
        twins = order[np.searchsorted(keys.ravel()[order], (np.roll(faces, -1, axis=1) * count + faces).ravel())]
        edge = face[:, None, :] + face[twins // 3].reshape(m, 3, 3)
        vertex = np.zeros((count, 3))
        corners = (a, b, c)
        for i in range(3):
            u, w = corners[(i + 1) % 3] - corners[i], corners[(i + 2) % 3] - corners[i]
            cosine = np.sum(u * w, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(w, axis=1))
            np.add.at(vertex, faces[:, i], np.arccos(np.clip(cosine, -1, 1))[:, None] * face)
        return face, edge, vertex

    def distance(self, p):
        """The distance to the nearest triangle, negative inside.

        Only the 16 triangles whose centres are nearest each point are tried.  Where one of
        them is provably the nearest (every other centre farther than its distance plus the
        largest triangle's reach: near the surface), the distance is exact and the sign is the
        side of its nearest point's pseudo-normal; elsewhere the distance is the nearest of
        those 16 (a bound, as for combinations of shapes) and the sign is whether a ray from
        the point crosses the surface an odd number of times (:func:`_ray_crossings`, which tries only
        the triangles in the ray's way), or the winding number over all triangles where the ray
        meets an edge or a vertex.
        """
        import numpy as np
        from scipy.spatial import cKDTree

        p = np.asarray(p, float)
        if not len(p):
            return np.zeros(0)
        a, b, c = self.triangles()
        faces = np.asarray(self.faces, int)
        centre = (a + b + c) / 3
        reach = float(np.max(np.linalg.norm(np.stack([a, b, c]) - centre, axis=2)))
        k = min(16, len(a))
        gaps, near = cKDTree(centre).query(p, k)
        gaps, near = gaps.reshape(len(p), k), near.reshape(len(p), k)
        face, edge_normal, vertex_normal = self.normals()
        # each point against each of its k triangles: the nearest point there and the normal of its feature
        pa, pb, pc = a[near], b[near], c[near]  # (n, k, 3)
        n_face = face[near]
        q = p[:, None, :]
        height = np.sum((q - pa) * n_face, axis=2)
        foot = q - height[..., None] * n_face
        inside = np.ones(height.shape, bool)
        best = np.full(height.shape, np.inf)
        nearest, normal = foot.copy(), n_face.copy()
        for i, (start, end) in enumerate(((pa, pb), (pb, pc), (pc, pa))):
            edge = end - start
            inside &= np.sum(np.cross(edge, foot - start) * n_face, axis=2) >= 0
            t = np.clip(np.sum((q - start) * edge, axis=2) / np.sum(edge * edge, axis=2), 0, 1)
            point = start + t[..., None] * edge
            gap = np.linalg.norm(q - point, axis=2)
            closer = gap < best
            feature = np.where(
                (t == 0)[..., None],
                vertex_normal[faces[near, i]],
                np.where((t == 1)[..., None], vertex_normal[faces[near, (i + 1) % 3]], edge_normal[near, i]),
            )
            best = np.where(closer, gap, best)
            nearest = np.where((closer & ~inside)[..., None], point, nearest)
            normal = np.where((closer & ~inside)[..., None], feature, normal)
        gap = np.where(inside, np.abs(height), best)
        nearest = np.where(inside[..., None], foot, nearest)
        normal = np.where(inside[..., None], n_face, normal)
        j = np.argmin(gap, axis=1)
        rows = np.arange(len(p))
        d = gap[rows, j]
        side = np.sum((p - nearest[rows, j]) * normal[rows, j], axis=1)
        signed = np.where(side < 0, -d, d)
        unsure = (k < len(a)) & (gaps[:, -1] - reach <= d)
        if np.any(unsure):  # far from the surface: the distance is a bound, the sign a ray's crossings
            inner, undecided = _ray_crossings(p[unsure], a, b, c, self.ray_turn)
            if np.any(undecided):  # the ray met an edge or a vertex: the winding number decides
                far = p[unsure][undecided]
                inner[undecided] = self._chunks(far, _winding) > 0.5
            signed[unsure] = np.where(inner, -d[unsure], d[unsure])
        return signed

    def bounds(self):
        import numpy as np

        vertices = np.asarray(self.vertices, float)
        return vertices.min(axis=0), vertices.max(axis=0)

    def measure(self, boundary=False):
        import numpy as np

        a, b, c = self.triangles()
        if boundary:
            return float(np.sum(np.linalg.norm(np.cross(b - a, c - a), axis=1)) / 2)
        return float(np.sum(a * np.cross(b, c)) / 6)  # the divergence theorem, triangle by triangle

    def surface(self, n, unit, rng):
        """Points uniform on the triangles, each triangle chosen in proportion to its area; its normal."""
        import numpy as np

        a, b, c = self.triangles()
        cross = np.cross(b - a, c - a)
        doubled = np.linalg.norm(cross, axis=1)
        which = rng.choice(len(a), size=n, p=doubled / doubled.sum())
        s, t = unit(n, 2).T
        folded = s + t > 1  # the unit square's far half, folded onto the triangle
        s, t = np.where(folded, 1 - s, s), np.where(folded, 1 - t, t)
        points = a[which] + s[:, None] * (b - a)[which] + t[:, None] * (c - a)[which]
        return points, (cross / doubled[:, None])[which]
