"""3-D solids: cylinders, cones, tori, extrusions and rigid motions, checked with plain numpy
against closed forms worked out by hand (not the shapes' own code).

Surface points are checked by integrating known functions over the surface: the mean of f
over points spread by area, times the area, estimates ∫ f dS; a sampler that spreads its
points wrongly within a piece (uniform in slant on a cone, uniform in φ on a torus, caps
weighted like the side) moves the estimate by many standard errors.  Inside tests are
compared with hand-written ones, volumes with Monte Carlo counts, normals with the
gradients of the hand-written implicit functions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import symbolic_pinn as sp
from symbolic_pinn import PinnError
from symbolic_pinn._runtime.geometry import Polygon
from symbolic_pinn._runtime.solids import Cone, Cylinder, Extrude, Rotate, Torus, Translate

N = 40_000
Z = 6  # standard errors allowed: a false alarm about once in 10^9 runs


def rng_unit(seed):
    rng = np.random.default_rng(seed)
    return rng, lambda m, k: rng.random((m, k))


def surface_integral(shape, f, seed=0):
    """(estimate of ∫ f dS from the shape's own points, its standard error)."""
    rng, unit = rng_unit(seed)
    points, normals = shape.boundary(N, unit, rng)
    values = f(points)
    area = shape.measure(boundary=True)
    return area * values.mean(), area * values.std() / math.sqrt(N)


def volume_fraction(shape, inside, seed=0):
    """(Monte Carlo volume from the hand-written ``inside`` over the shape's bounding box, its standard error)."""
    lo, hi = shape.bounds()
    p = lo + (hi - lo) * np.random.default_rng(seed).random((200_000, len(lo)))
    hit = inside(p)
    box = float(np.prod(hi - lo))
    return box * hit.mean(), box * hit.std() / math.sqrt(len(p)), p, hit


# ---- a cylinder along z: r = 0.5, 0 ≤ z ≤ 2 ---------------------------------------------
R, H = 0.5, 2.0
CYLINDER = Cylinder.build("cylinder", [(0, 0, 0), (0, 0, H), R])


def in_cylinder(p):
    return (np.hypot(p[:, 0], p[:, 1]) < R) & (p[:, 2] > 0) & (p[:, 2] < H)


def test_cylinder_volume_area_and_inside():
    assert CYLINDER.measure() == pytest.approx(math.pi * R**2 * H, rel=1e-14)
    assert CYLINDER.measure(boundary=True) == pytest.approx(2 * math.pi * R * H + 2 * math.pi * R**2, rel=1e-14)
    volume, error, p, hit = volume_fraction(CYLINDER, in_cylinder)
    np.testing.assert_array_equal(CYLINDER.distance(p) < 0, hit)
    assert abs(volume - CYLINDER.measure()) < Z * error


@pytest.mark.parametrize(
    ("f", "exact"),
    [
        (lambda p: p[:, 2] ** 2, 2 * math.pi * R * H**3 / 3 + math.pi * R**2 * H**2),  # side + top cap
        (lambda p: p[:, 0] ** 2, math.pi * R**3 * H + 2 * math.pi * R**4 / 4),  # side + two caps (∫ρ²cos² on a disk)
        (lambda p: np.ones(len(p)), 2 * math.pi * R * (H + R)),
    ],
    ids=["z^2", "x^2", "1"],
)
def test_cylinder_surface_integrals(f, exact):
    estimate, error = surface_integral(CYLINDER, f)
    assert abs(estimate - exact) < Z * error + 1e-12


def test_cylinder_normals_are_the_unit_outward_ones():
    rng, unit = rng_unit(1)
    p, n = CYLINDER.surface(5000, unit, rng)
    rho = np.hypot(p[:, 0], p[:, 1])
    bottom, top = np.isclose(p[:, 2], 0, atol=1e-12), np.isclose(p[:, 2], H, atol=1e-12)
    side = ~bottom & ~top
    assert np.allclose(rho[side], R) and np.all(rho <= R + 1e-12)
    expected = np.zeros_like(p)
    expected[side, :2] = p[side, :2] / rho[side, None]
    expected[bottom, 2], expected[top, 2] = -1, 1
    np.testing.assert_allclose(n, expected, atol=1e-12)


def test_a_tilted_cylinder_is_the_same_solid_turned():
    """A cylinder from (1, 2, 3) along (1, 2, 2) (length 3): inside test and ∫ |x − a|² dS by hand."""
    a, direction = np.array([1.0, 2, 3]), np.array([1.0, 2, 2]) / 3
    tilted = Cylinder.build("cylinder", [tuple(a), tuple(a + 3 * direction), R])

    def inside(p):
        t = (p - a) @ direction
        return (np.linalg.norm(p - a - t[:, None] * direction, axis=1) < R) & (t > 0) & (t < 3)

    volume, error, p, hit = volume_fraction(tilted, inside)
    np.testing.assert_array_equal(tilted.distance(p) < 0, hit)
    assert abs(volume - math.pi * R**2 * 3) < Z * error
    # |x − a|² = t² + ρ²: side 2πR(∫t² + R²·3), bottom cap ∫ρ² = πR⁴/2, top cap π R² 9 + πR⁴/2
    exact = 2 * math.pi * R * (9 + 3 * R**2) + math.pi * R**4 + 9 * math.pi * R**2
    estimate, error = surface_integral(tilted, lambda q: np.sum((q - a) ** 2, axis=1))
    assert abs(estimate - exact) < Z * error


# ---- a cone: base radius 1 at z = 0, apex at z = 2 -------------------------------------
CR, CH = 1.0, 2.0
SLANT = math.hypot(CR, CH)
CONE = Cone.build("cone", [(0, 0, 0), (0, 0, CH), CR])


def test_cone_volume_area_and_inside():
    assert CONE.measure() == pytest.approx(math.pi * CR**2 * CH / 3, rel=1e-14)
    assert CONE.measure(boundary=True) == pytest.approx(math.pi * CR * SLANT + math.pi * CR**2, rel=1e-14)

    def inside(p):
        return (np.hypot(p[:, 0], p[:, 1]) < CR * (1 - p[:, 2] / CH)) & (p[:, 2] > 0)

    volume, error, p, hit = volume_fraction(CONE, inside)
    np.testing.assert_array_equal(CONE.distance(p) < 0, hit)
    assert abs(volume - CONE.measure()) < Z * error


def test_cone_surface_integral_follows_the_mantles_area_element():
    """∫ z dS: the mantle's circles at distance s from the apex have length 2πR s/L, so π R H L / 3."""
    estimate, error = surface_integral(CONE, lambda p: p[:, 2])
    assert abs(estimate - math.pi * CR * CH * SLANT / 3) < Z * error
    on_base, base_error = surface_integral(CONE, lambda p: (p[:, 2] < 1e-12).astype(float))
    assert abs(on_base - math.pi * CR**2) < Z * base_error


def test_cone_normals_are_the_gradient_of_its_implicit_function():
    rng, unit = rng_unit(2)
    p, n = CONE.surface(5000, unit, rng)
    rho = np.hypot(p[:, 0], p[:, 1])
    base = np.isclose(p[:, 2], 0, atol=1e-12)
    assert np.allclose(rho[~base], CR * (1 - p[~base, 2] / CH))
    # F = H ρ + R z − R H vanishes on the mantle; ∇F = (H x/ρ, H y/ρ, R)
    grad = np.column_stack([CH * p[:, 0] / rho, CH * p[:, 1] / rho, np.full(len(p), CR)])
    expected = np.where(base[:, None], [0.0, 0.0, -1.0], grad / np.linalg.norm(grad, axis=1, keepdims=True))
    np.testing.assert_allclose(n, expected, atol=1e-9)


# ---- a torus: ring radius 1, tube 0.3, centred at (0, 0, 1) -----------------------------
TR, Tr = 1.0, 0.3
TORUS = Torus.build("torus", [(0, 0, 1), TR, Tr])


def test_torus_volume_area_and_inside():
    assert TORUS.measure() == pytest.approx(2 * math.pi**2 * TR * Tr**2, rel=1e-14)
    assert TORUS.measure(boundary=True) == pytest.approx(4 * math.pi**2 * TR * Tr, rel=1e-14)

    def inside(p):
        return (np.hypot(p[:, 0], p[:, 1]) - TR) ** 2 + (p[:, 2] - 1) ** 2 < Tr**2

    volume, error, p, hit = volume_fraction(TORUS, inside)
    np.testing.assert_array_equal(TORUS.distance(p) < 0, hit)
    assert abs(volume - TORUS.measure()) < Z * error


@pytest.mark.parametrize(
    ("f", "exact"),
    [
        (lambda p: (p[:, 2] - 1) ** 2, 2 * math.pi**2 * TR * Tr**3),
        # ∫ ρ² dS = 2πr ∫ (R + r cos φ)³ dφ
        (lambda p: p[:, 0] ** 2 + p[:, 1] ** 2, 4 * math.pi**2 * Tr * TR**3 + 6 * math.pi**2 * TR * Tr**3),
    ],
    ids=["z^2", "rho^2"],
)
def test_torus_surface_integrals_follow_its_area_element(f, exact):
    estimate, error = surface_integral(TORUS, f)
    assert abs(estimate - exact) < Z * error


def test_torus_normals_point_away_from_the_ring():
    rng, unit = rng_unit(3)
    p, n = TORUS.surface(5000, unit, rng)
    ring = np.column_stack([p[:, :2] * TR / np.hypot(p[:, 0], p[:, 1])[:, None], np.ones(len(p))])
    np.testing.assert_allclose(np.linalg.norm(p - ring, axis=1), Tr, atol=1e-12)
    np.testing.assert_allclose(n, (p - ring) / Tr, atol=1e-12)


# ---- rigid motions and extrusion ---------------------------------------------------------


def test_rotation_about_x_turns_the_cylinder_onto_minus_y():
    """A quarter turn about x takes z to −y: the same solid as the cylinder built along −y."""
    turned = Rotate.build("rotate", [CYLINDER, (1, 0, 0), math.pi / 2])
    along = Cylinder.build("cylinder", [(0, 0, 0), (0, -H, 0), R])
    np.testing.assert_allclose(turned.bounds(), along.bounds(), atol=1e-12)
    p = np.random.default_rng(4).uniform(-2.5, 2.5, (20_000, 3))
    np.testing.assert_allclose(turned.distance(p), along.distance(p), atol=1e-12)
    assert turned.measure() == CYLINDER.measure() and turned.measure(boundary=True) == CYLINDER.measure(True)
    rng, unit = rng_unit(5)
    q, n = turned.surface(3000, unit, rng)
    assert np.max(np.abs(along.distance(q))) < 1e-12
    side = (q[:, 1] < -1e-9) & (q[:, 1] > -H + 1e-9)
    np.testing.assert_allclose(n[side][:, [0, 2]], q[side][:, [0, 2]] / R, atol=1e-12)
    estimate, error = surface_integral(turned, lambda p: p[:, 1] ** 2)
    assert abs(estimate - (2 * math.pi * R * H**3 / 3 + math.pi * R**2 * H**2)) < Z * error


def test_translation_moves_points_but_not_normals_or_measures():
    moved = Translate.build("translate", [TORUS, (1, -2, 0.5)])
    p = np.random.default_rng(6).uniform(-3, 3, (10_000, 3))
    np.testing.assert_allclose(moved.distance(p), TORUS.distance(p - [1, -2, 0.5]), atol=1e-15)
    assert moved.measure(True) == TORUS.measure(True)
    estimate, error = surface_integral(moved, lambda q: (q[:, 2] - 1.5) ** 2)
    assert abs(estimate - 2 * math.pi**2 * TR * Tr**3) < Z * error


L_SHAPE = Polygon.build("polygon", [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])  # area 3, perimeter 8


def test_an_extruded_l_shape():
    prism = Extrude.build("extrude", [L_SHAPE, 0, 1.5])
    assert prism.measure() == pytest.approx(3 * 1.5, rel=1e-14)
    assert prism.measure(boundary=True) == pytest.approx(8 * 1.5 + 2 * 3, rel=1e-14)

    def inside(p):
        x, y, z = p.T
        in_l = ((0 < x) & (x < 2) & (0 < y) & (y < 1)) | ((0 < x) & (x < 1) & (0 < y) & (y < 2))
        return in_l & (0 < z) & (z < 1.5)

    volume, error, p, hit = volume_fraction(prism, inside)
    np.testing.assert_array_equal(prism.distance(p) < 0, hit)
    assert abs(volume - 4.5) < Z * error
    # ∫ z² dS: the sides 8 ∫₀^1.5 z² dz = 9, the top 3 · 1.5², the bottom 0
    estimate, error = surface_integral(prism, lambda q: q[:, 2] ** 2)
    assert abs(estimate - (9 + 3 * 2.25)) < Z * error
    rng, unit = rng_unit(7)
    q, n = prism.surface(4000, unit, rng)
    ends = np.isclose(q[:, 2], 0) | np.isclose(q[:, 2], 1.5)
    np.testing.assert_allclose(np.abs(n[ends, 2]), 1)
    np.testing.assert_allclose(n[~ends, 2], 0)
    assert np.max(np.abs(L_SHAPE.distance(q[~ends, :2]))) < 1e-12  # the sides stand on the L's edges
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1)


def test_interior_points_are_uniform_in_volume():
    rng, unit = rng_unit(8)
    p = CONE.interior(N, unit)
    assert np.all(CONE.distance(p) < 0)
    below = np.mean(p[:, 2] < CH / 2)  # the lower half of a cone holds 7/8 of its volume
    assert abs(below - 7 / 8) < Z * math.sqrt(7 / 64 / N)


# ---- the language ------------------------------------------------------------------------


def problem(domain):
    return f"{domain}\nfield u(x, y, z)\n-Δu = 1\nu = 0 on ∂Ω\n"


def test_solids_in_a_problem_and_from_sympy():
    text = "let c = cylinder((0, 0, 0), (0, 0, 2), 0.5)\n" + problem(
        "(x, y, z) in rotate(translate(c, (0, 0, -1)), (1, 0, 0), pi/2) ∪ "
        "extrude(polygon((0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)), 0, 1.5) \\ torus((0, 0, 1), 1, 0.3)"
    )
    shape = sp.parse(text).shape[1]
    turned = sp.shape("rotate", sp.shape("translate", CYLINDER, (0, 0, -1)), (1, 0, 0), math.pi / 2)
    prism = sp.shape("extrude", L_SHAPE, 0, 1.5)
    assert shape == (turned | prism) - TORUS


BAD = {
    "a cylinder in 2-D": ("(x, y) in cylinder((0, 0), (0, 1), 1)", "3-D", "x, y"),
    "a flat cylinder": ("(x, y, z) in cylinder((0, 0, 0), (0, 0, 0), 1)", "same point", "x, y, z"),
    "a negative radius": ("(x, y, z) in cone((0, 0, 0), (0, 0, 1), -1)", "not positive", "x, y, z"),
    "a horn torus": ("(x, y, z) in torus((0, 0, 0), 0.3, 0.3)", "not larger", "x, y, z"),
    "a zero axis": ("(x, y, z) in rotate(ball((0, 0, 0), 1), (0, 0, 0), 1)", "zero vector", "x, y, z"),
    "a number for a shape": ("(x, y, z) in translate(1, (0, 0, 1))", "takes a shape", "x, y, z"),
    "an empty extrusion": ("(x, y, z) in extrude(disk((0, 0), 1), 1, 1)", "empty", "x, y, z"),
    "a 3-D section": ("(x, y, z) in extrude(ball((0, 0, 0), 1), 0, 1)", "2 coordinates", "x, y, z"),
}


@pytest.mark.parametrize(("domain", "message", "variables"), BAD.values(), ids=BAD.keys())
def test_bad_solids_are_located_errors(domain, message, variables):
    with pytest.raises(PinnError, match=message) as info:
        sp.parse(f"{domain}\nfield u({variables})\nu = 0 on ∂Ω\n")
    assert info.value.span is not None and info.value.span.line == 1


@pytest.mark.parametrize(
    "shape",
    [
        CYLINDER,
        CONE,
        TORUS,
        Translate.build("translate", [TORUS, (1, -2, 0.5)]),
        Rotate.build("rotate", [CONE, (1, 1, 0), 0.25]),
        Extrude.build("extrude", [L_SHAPE, 0, 1.5]),
    ],
    ids=lambda s: type(s).__name__,
)
def test_a_solid_prints_as_the_text_that_builds_it(shape):
    assert sp.parse(problem(f"(x, y, z) in {shape}")).shape[1] == shape
