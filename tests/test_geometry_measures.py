"""The measures of combined shapes in 2-D are exact (lines and arcs), checked against values
worked out by hand to 1e-12; on main they were Monte Carlo estimates (an annulus outlet of
length 2 measured as 1.958), which integral constraints then trained towards."""

import math
import time

import pytest

import symbolic_pinn as sp
from symbolic_pinn._runtime.geometry import Ball, Box, PlanePart, Polygon, RestPart, SurfacePart

HALF_ANNULUS = (Ball((0.0, 0.0), 2.0) - Ball((0.0, 0.0), 1.0)) & Box((-2.0, 0.0), (2.0, 2.0))
PLATE = Box((-1.0, -1.0), (1.0, 1.0)) - Ball((0.0, 0.0), 0.25)
# a unit square with a disk of radius 1/2 centred on its right side: half of it bulges out
BULGE = Box((0.0, 0.0), (1.0, 1.0)) | Ball((1.0, 0.5), 0.5)
L_HOLE = Polygon(((0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0))) - Box(
    (0.25, 0.25), (0.75, 0.75)
)

CASES = [
    # shape, what, value by hand
    (HALF_ANNULUS, lambda s: s.measure(), 1.5 * math.pi),  # (π·2² − π·1²)/2
    (HALF_ANNULUS, lambda s: s.measure(boundary=True), 3 * math.pi + 2),  # 2π + π + two flat pieces of 1
    (HALF_ANNULUS, lambda s: s.part_measure(PlanePart(1, 0.0)), 2.0),  # the outlet y = 0
    (HALF_ANNULUS, lambda s: s.part_measure(SurfacePart(1)), math.pi),  # the inner half circle
    (PLATE, lambda s: s.measure(), 4 - math.pi / 16),
    (PLATE, lambda s: s.measure(boundary=True), 8 + math.pi / 2),
    (PLATE, lambda s: s.part_measure(RestPart((SurfacePart(1),))), 8.0),
    (PLATE, lambda s: s.part_measure(PlanePart(0, -1.0)), 2.0),
    (PLATE, lambda s: s.part_measure(PlanePart(0, 0.25)), 0.0),  # touches the hole at one point
    (BULGE, lambda s: s.measure(), 1 + math.pi / 8),
    (BULGE, lambda s: s.measure(boundary=True), 3 + math.pi / 2),
    (BULGE, lambda s: s.part_measure(PlanePart(0, 1.0)), 0.0),  # the side under the bulge is inside
    (L_HOLE, lambda s: s.measure(), 3 - 0.25),
    (L_HOLE, lambda s: s.measure(boundary=True), 8 + 2),
]


@pytest.mark.parametrize("shape, measure, expected", CASES)
def test_measures_of_combined_shapes_are_exact(shape, measure, expected):
    assert measure(shape) == pytest.approx(expected, abs=1e-12, rel=1e-12)


def test_a_flux_through_the_outlet_is_measured_exactly_in_the_generated_module():
    text = (
        "(x, y) in (disk((0, 0), 2) \\ disk((0, 0), 1)) ∩ box((-2, 0), (2, 2))\nfield u(x, y)\n-Δu = 0\n"
        "u = 0 on ∂Ω\n∫ u = 2 at y = 0\n"
    )
    spec = sp.parse(text, "p.pinn")
    from symbolic_pinn._compiler.lower import lower

    program = lower(spec)
    assert program.terms[-1].region.measure(program) == pytest.approx(2.0, abs=1e-12)


def test_an_80_vertex_polygon_with_a_hole_is_checked_quickly():
    n = 79
    ring = [(math.cos(math.pi * k / (n - 1)), math.sin(math.pi * k / (n - 1))) for k in range(n)]
    vertices = ", ".join(f"({x:.6f}, {y:.6f})" for x, y in ring) + ", (0, -0.0001)"
    text = (
        f"let p = polygon({vertices})\n(x, y) in p \\ disk((0, 0.5), 0.1)\nfield u(x, y)\n-Δu = 1\n"
        "Dn(u) = 0 on ∂disk((0, 0.5), 0.1)\nu = 0 on ∂Ω\n∫ u = 1 on ∂p\n"
    )
    sp.parse(text, "p.pinn")  # imports, the parser
    start = time.perf_counter()
    sp.parse(text, "p.pinn")
    assert time.perf_counter() - start < 3.0  # 25 s on main (Monte Carlo with 2^16 points × 80 edges)
