"""Polygons: geometry checked with plain numpy against independent formulas, then the
whole pipeline on an L-shaped domain (text and SymPy, manufactured solution, training).

The references here do not use the shape's own code: the L-shape
[0, 2]×[0, 1] ∪ [0, 1]×[0, 2] has area 3 and perimeter 8, its inside is two box
tests, its edges are listed by hand with their outward normals.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn as sp
from symbolic_pinn import PinnError
from symbolic_pinn._runtime.geometry import Polygon

L_VERTICES = ((0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2))
L_TEXT = "(x, y) in polygon((0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2))\n"
# the L's edges by hand: (start, end, outward normal)
L_EDGES = [
    ((0, 0), (2, 0), (0, -1)),
    ((2, 0), (2, 1), (1, 0)),
    ((2, 1), (1, 1), (0, 1)),
    ((1, 1), (1, 2), (1, 0)),
    ((1, 2), (0, 2), (0, 1)),
    ((0, 2), (0, 0), (-1, 0)),
]


def in_l(p):
    x, y = p[:, 0], p[:, 1]
    return ((0 < x) & (x < 2) & (0 < y) & (y < 1)) | ((0 < x) & (x < 1) & (0 < y) & (y < 2))


def edge_of(p, tol=1e-9):
    """Index of the hand-listed edge each point lies on (-1 if none)."""
    found = np.full(len(p), -1)
    for i, (a, b, _) in enumerate(L_EDGES):
        a, b = np.asarray(a, float), np.asarray(b, float)
        t = np.clip(((p - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
        on = np.linalg.norm(p - (a + t[:, None] * (b - a)), axis=1) < tol
        found[on & (found < 0)] = i
    return found


@pytest.mark.parametrize("vertices", [L_VERTICES, L_VERTICES[::-1]], ids=["counter-clockwise", "clockwise"])
def test_area_perimeter_and_bounds(vertices):
    shape = Polygon.build("polygon", vertices)
    assert shape.measure() == pytest.approx(3.0, rel=1e-14)
    assert shape.measure(boundary=True) == pytest.approx(8.0, rel=1e-14)
    lo, hi = shape.bounds()
    assert lo.tolist() == [0, 0] and hi.tolist() == [2, 2]


def test_signed_distance_against_hand_computed_values():
    shape = Polygon.build("polygon", L_VERTICES)
    points = np.array([[0.5, 0.5], [1.5, 1.5], [1.5, 0.5], [3.0, 0.5], [0.5, 1.9], [-1.0, -1.0], [1.2, 1.1]])
    expected = [-0.5, 0.5, -0.5, 1.0, -0.1, np.hypot(1, 1), 0.1]  # (1.5, 1.5): 0.5 to the edge y = 1 (and x = 1)
    np.testing.assert_allclose(shape.distance(points), expected, atol=1e-12)


def test_inside_agrees_with_the_box_test_on_random_points():
    shape = Polygon.build("polygon", L_VERTICES)
    p = np.random.default_rng(0).uniform(-0.5, 2.5, (20_000, 2))
    np.testing.assert_array_equal(shape.distance(p) < 0, in_l(p))


@pytest.mark.parametrize("vertices", [L_VERTICES, L_VERTICES[::-1]], ids=["counter-clockwise", "clockwise"])
def test_boundary_points_by_length_with_outward_normals(vertices):
    shape = Polygon.build("polygon", vertices)
    rng = np.random.default_rng(1)
    n = 8000
    points, normals = shape.boundary(n, lambda m, k: rng.random((m, k)), rng)
    which = edge_of(points)
    assert np.all(which >= 0), "a boundary point is off the boundary"
    lengths = np.array([np.hypot(*np.subtract(b, a)) for a, b, _ in L_EDGES])
    shares = np.bincount(which, minlength=6) / n
    sigma = np.sqrt(lengths / 8 * (1 - lengths / 8) / n)
    assert np.all(np.abs(shares - lengths / 8) < 5 * sigma), shares
    expected = np.array([L_EDGES[i][2] for i in which], float)
    inner = ~np.isclose(points, np.round(points)).all(axis=1)  # vertices have no single normal
    np.testing.assert_allclose(normals[inner], expected[inner], atol=1e-12)


def test_interior_points_are_inside():
    shape = Polygon.build("polygon", L_VERTICES)
    rng = np.random.default_rng(2)
    points = shape.interior(3000, lambda m, k: rng.random((m, k)))
    assert len(points) == 3000 and np.all(in_l(points))


BAD = {
    "two vertices": ("polygon((0, 0), (1, 1))", "at least 3 vertices"),
    "crossing edges": ("polygon((0, 0), (1, 1), (1, 0), (0, 1))", "cross"),
    "on one line": ("polygon((0, 0), (1, 1), (2, 2))", "no area"),
    "a repeated vertex": ("polygon((0, 0), (1, 0), (1, 0), (0, 1))", "repeats a vertex"),
}


@pytest.mark.parametrize(("shape", "message"), BAD.values(), ids=BAD.keys())
def test_bad_polygons_are_located_errors(shape, message):
    with pytest.raises(PinnError, match=message) as info:
        sp.parse(f"(x, y) in {shape}\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω\n")
    assert info.value.span is not None and info.value.span.line == 1


def test_a_polygon_in_3d_is_refused():
    with pytest.raises(PinnError, match="a polygon is 2-D"):
        sp.parse("(x, y, z) in polygon((0, 0), (1, 0), (0, 1))\nfield u(x, y, z)\nu = 0 on ∂Ω\n")


L_PROBLEM = L_TEXT + (
    "field u(x, y)\n-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)\nu = sin(pi*x)*sin(pi*y) on ∂Ω\nexact u = sin(pi*x)*sin(pi*y)\n"
)


def test_manufactured_solution_makes_the_residuals_vanish(x64):
    compiled = sp.compile(L_PROBLEM, width=4, depth=1)
    m = compiled.module
    rng = np.random.default_rng(3)
    inside = m.SHAPE[1].interior(500, lambda k, d: rng.random((k, d)))
    assert np.all(in_l(inside))
    edge = m.SHAPE[1].boundary(300, lambda k, d: rng.random((k, d)), rng)[0]
    exact = m.EXACT["u"]
    pde = m.residual_pde(exact, jnp.asarray(inside[:, 0]), jnp.asarray(inside[:, 1]))
    bc = m.residual_bc(exact, jnp.asarray(edge[:, 0]), jnp.asarray(edge[:, 1]))
    assert float(jnp.max(jnp.abs(pde))) < 1e-9 and float(jnp.max(jnp.abs(bc))) < 1e-12
    wrong = m.residual_pde(lambda x, y: 1.01 * exact(x, y), jnp.asarray(inside[:, 0]), jnp.asarray(inside[:, 1]))
    assert float(jnp.max(jnp.abs(wrong))) > 1e-2


def test_the_sympy_front_end_gives_the_same_problem():
    import sympy

    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    exact = sympy.sin(sympy.pi * x) * sympy.sin(sympy.pi * y)
    spec = sp.from_sympy(
        variables={x: (0, 2), y: (0, 2)},
        fields=[u],
        terms=[
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), 2 * sympy.pi**2 * exact),
            sp.Equation(sympy.Eq(u, exact), on="boundary"),
        ],
        exact={u: exact},
        shape=((x, y), sp.polygon(*L_VERTICES)),
    )
    assert spec.shape == sp.parse(L_PROBLEM).shape
    from_text, from_sympy = sp.compile(L_PROBLEM).ir, sp.compile(spec).ir

    def meaning(program):  # the labels quote each front end's own spelling
        return program.shape, [(t.name, t.kind, t.region, t.expr) for t in program.terms], program.exact

    assert meaning(from_sympy) == meaning(from_text)


def test_a_short_training_lowers_the_loss():
    compiled = sp.compile(L_PROBLEM, width=8, depth=1)
    result = compiled.train(adam_steps=30, bfgs_steps=0, interior_points=128, boundary_points=64, progress=False)
    first, last = result.history[0]["loss"], result.metrics["loss"]
    assert last < first
