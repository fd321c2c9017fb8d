"""Params inside shapes: `disk((0, 0), r)` with `param r in [0.5, 1.5]`, `x in [0, L]`.

One network for a family of domains.  The references are written here: a disk of radius
r has area πr² and boundary length 2πr, so ∫ πr² dr over [0.5, 1.5] is π(1.5³ − 0.5³)/3
and ∫ 2πr dr is π(1.5² − 0.5²); u = (r² − x² − y²)/4 solves −Δu = 1 with u = 0 on the
circle of radius r; the triangle (0, 0), (L, 0), (0, 1) has area L/2.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn as sp
from symbolic_pinn import PinnError
from symbolic_pinn._compiler import exact, ir
from symbolic_pinn._runtime import geometry
from symbolic_pinn._training import domain

DISKS = """\
param r in [0.5, 1.5]
(x, y) in disk((0, 0), r)
field u(x, y, r)
-Δu = 1
u = 0 on ∂Ω
exact u = (r^2 - x^2 - y^2)/4
"""
VOLUME = math.pi * (1.5**3 - 0.5**3) / 3  # ∫ πr² dr
LENGTH = math.pi * (1.5**2 - 0.5**2)  # ∫ 2πr dr


@pytest.fixture(scope="module")
def disks():
    return sp.compile(DISKS, width=8, depth=1)


def _columns(compiled, region, n=512):
    """Sampled points of a region as a dict of columns (normals as n_<variable>)."""
    program = compiled.ir
    array = domain.sample(program, region, n, seed=3, normals=True)
    names = [v.name for v in program.variables] + [f"n_{v}" for v in program.spatial]
    return dict(zip(names, array.T))


def test_interior_points_lie_in_the_disk_of_their_own_radius(disks):
    p = _columns(disks, ir.INTERIOR)
    assert np.all(p["x"] ** 2 + p["y"] ** 2 < p["r"] ** 2)
    assert np.all((p["r"] >= 0.5) & (p["r"] <= 1.5))
    assert len(np.unique(p["r"])) == 512 // geometry.Family.PER_VALUE  # many radii, not one
    # the points reach beyond the smallest disk: the radius is not the smallest one's
    assert np.max(p["x"] ** 2 + p["y"] ** 2) > 1.0


def test_boundary_points_lie_on_their_own_circle_with_outward_normals(disks):
    p = _columns(disks, ir.BOUNDARY)
    radius = np.hypot(p["x"], p["y"])
    assert np.allclose(radius, p["r"], atol=1e-12)
    assert np.allclose(p["n_x"], p["x"] / p["r"]) and np.allclose(p["n_y"], p["y"] / p["r"])
    assert np.ptp(p["r"]) > 0.5


def test_measures_are_per_radius(disks):
    family = disks.ir.shape[1]
    for r in (0.5, 0.8, 1.5):
        assert family.instance([r]).measure() == pytest.approx(math.pi * r * r, rel=1e-12)
        assert family.instance([r]).measure(boundary=True) == pytest.approx(2 * math.pi * r, rel=1e-12)
    assert ir.INTERIOR.measure(disks.ir) == pytest.approx(VOLUME, rel=1e-12)
    assert ir.BOUNDARY.measure(disks.ir) == pytest.approx(LENGTH, rel=1e-12)


@pytest.mark.parametrize(
    ("integral", "measure"),
    [("∫ u = 1", lambda r: math.pi * r * r * 1.0 / VOLUME), ("∮ u = 1", lambda r: 2 * math.pi * r / LENGTH)],
)
def test_an_integral_weighs_each_radius_by_its_measure(integral, measure, x64):
    # with u = 1 the integrand is the factor |Ω(r)| / mean |Ω|: MEASURES times the mean of it over
    # points drawn radius by radius is ∫ |Ω(r)| dr, the integral of 1 over the family
    text = DISKS.replace("-Δu = 1\nu = 0 on ∂Ω\n", f"-Δu = 0\n{integral}\n").replace("(r^2 - x^2 - y^2)/4", "1")
    compiled = sp.compile(text, width=8, depth=1)
    m = compiled.module
    r = np.array([0.5, 0.9, 1.5])
    one = m.integrand_integral(m.EXACT["u"], jnp.asarray(r), jnp.zeros(3), jnp.zeros(3))
    assert np.allclose(np.asarray(one), [measure(v) for v in r], rtol=1e-12)
    assert m.MEASURES["integral"] == pytest.approx(VOLUME if integral.startswith("∫") else LENGTH, rel=1e-12)


def test_the_exact_family_satisfies_the_generated_module(disks, x64):
    m = disks.module
    inside, on = _columns(disks, ir.INTERIOR, 64), _columns(disks, ir.BOUNDARY, 64)
    at = {name: jnp.asarray(c) for name, c in inside.items()}
    pde = m.residual_pde(m.EXACT["u"], at["r"], at["x"], at["y"])
    assert float(jnp.max(jnp.abs(pde))) < 1e-12
    assert np.max(np.abs(m.EXACT["u"](on["x"], on["y"], on["r"]))) < 1e-12
    # the reference Laplacian: −Δ of twice the solution is 2, so the residual is 1
    twice = m.residual_pde(lambda *a: 2 * m.EXACT["u"](*a), at["r"], at["x"], at["y"])
    assert np.allclose(np.asarray(twice), 1.0)


@pytest.mark.slow  # ~5 s: compiles the module again and jits its residuals
def test_checks_warning_finds_a_solution_of_one_disk_only():
    # a solution for r = 1 only is wrong on every other circle (examples/disk_family.pinn's own
    # solution passes the same check in test_exact_check.py)
    wrong = exact.unsatisfied(DISKS.replace("(r^2 - x^2 - y^2)/4", "(1 - x^2 - y^2)/4"))
    assert len(wrong) == 1 and "u = 0 on ∂Ω" in wrong[0]


def test_the_exact_condition_uses_the_distance_of_each_radius(disks, x64):
    m = disks.module
    p = _columns(disks, ir.BOUNDARY, 64)
    phi = m.distance_u(jnp.asarray(p["x"]), jnp.asarray(p["y"]), jnp.asarray(p["r"]))
    assert float(jnp.max(jnp.abs(phi))) < 1e-12
    inside = _columns(disks, ir.INTERIOR, 64)
    phi = np.asarray(m.distance_u(jnp.asarray(inside["x"]), jnp.asarray(inside["y"]), jnp.asarray(inside["r"])))
    assert np.allclose(phi, 1 - (inside["x"] ** 2 + inside["y"] ** 2) / inside["r"] ** 2)
    assert np.all(phi > 0)


def test_outside_is_decided_by_each_points_own_radius(disks):
    variables, family = disks.ir.shape
    assert variables == ("x", "y", "r")
    points = np.array([[0.6, 0.0, 0.5], [0.6, 0.0, 1.0], [1.2, 0.0, 1.0], [1.2, 0.0, 1.5]])
    assert list(family.distance(points) > 0) == [True, False, True, False]
    # many radii at once: the distance to the circle of each point's own radius, |x| − r
    many = np.random.default_rng(0).uniform([-1.5, -1.5, 0.5], [1.5, 1.5, 1.5], (1000, 3))
    assert np.allclose(family.distance(many), np.hypot(many[:, 0], many[:, 1]) - many[:, 2], atol=1e-14)
    # a polygon family goes value by value: the triangle (0, 0), (r, 0), (0, 1) holds (0.4, 0.3)
    # for r = 1, not for r = 0.5
    triangle = sp.parse(DISKS.replace("disk((0, 0), r)", "polygon((0, 0), (r, 0), (0, 1))")).shape[1]
    assert list(triangle.distance(np.array([[0.4, 0.3, 1.0], [0.4, 0.3, 0.5]])) < 0) == [True, False]


def test_a_box_whose_side_is_a_param():
    text = "param L in [1, 2]\nx in [0, L]\ny in [0, 1]\nfield u(x, y, L)\n-Δu = 1\nu = 0 at x = 0\nu = 1 on ∂Ω\n"
    compiled = sp.compile(text, width=8, depth=1)
    assert [(v.name, v.lo, v.hi) for v in compiled.ir.variables] == [("L", 1, 2), ("x", 0, 2), ("y", 0, 1)]
    p = _columns(compiled, ir.INTERIOR)
    assert np.all(p["x"] < p["L"]) and np.max(p["x"]) > 1.2
    face = next(t.region for t in compiled.ir.terms if t.name == "bc1")
    on = _columns(compiled, face, 64)
    assert np.all(on["x"] == 0) and np.all(on["n_x"] == -1)
    rest = _columns(compiled, next(t.region for t in compiled.ir.terms if t.name == "bc2"), 256)
    right = np.isclose(rest["x"], rest["L"])
    assert right.any() and np.all(rest["n_x"][right] == 1)
    assert np.all(right | np.isclose(rest["y"], 0) | np.isclose(rest["y"], 1))  # x = 0 is the other condition's
    # the volume of the family: ∫ L dL over [1, 2]
    assert ir.INTERIOR.measure(compiled.ir) == pytest.approx(1.5, rel=1e-12)


@pytest.mark.parametrize("clockwise", [False, True])
def test_a_polygon_whose_vertex_is_a_param(clockwise):
    corners = ["(0, 0)", "(L, 0)", "(0, 1)"]
    shape = f"polygon({', '.join(corners[::-1] if clockwise else corners)})"
    text = f"param L in [1, 3]\n(x, y) in {shape}\nfield u(x, y, L)\n-Δu = 1\n∫ u = 1\n"
    compiled = sp.compile(text, width=8, depth=1)
    family = compiled.ir.shape[1]
    assert family.instance([2.0]).measure() == pytest.approx(1.0)
    term = next(t for t in compiled.ir.terms if t.kind == "integral")
    # the integrand is (|Ω(L)| / mean |Ω|)·u with |Ω(L)| = L/2 and mean |Ω| = 1
    values = {"L": 3.0, "x": 0.1, "y": 0.1}
    assert _evaluate(term.expr, values, u=1.0) == pytest.approx(1.5, rel=1e-12)
    p = _columns(compiled, ir.INTERIOR)
    assert np.all(p["x"] / p["L"] + p["y"] < 1)


def _evaluate(expr, values, u):
    """An IR expression of numbers, variables, sums, products and powers, with the field u a number."""
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Var):
        return values[expr.name]
    if isinstance(expr, ir.Field):
        return u
    if isinstance(expr, ir.Add):
        return sum(_evaluate(a, values, u) for a in expr.args)
    if isinstance(expr, ir.Mul):
        return math.prod(_evaluate(a, values, u) for a in expr.args)
    assert isinstance(expr, ir.Pow), expr
    return _evaluate(expr.base, values, u) ** _evaluate(expr.exp, values, u)


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("(x, y) in disk((0, 0), r^2)", "a radius may depend on params only linearly", (2, 24)),
        ("(x, y) in disk((0, 0), r - 1)", r"the radius -0.5 is not positive \(at r = 0.5\)", (2, 24)),
        ("(x, y) in disk((0, r*0), sin(r))", "a radius may depend on params only linearly", (2, 26)),
        ("(x, y) in box((0, 0), (r, 1)) \\ disk((0, 0), 2*r)", None, None),
        ("x in [0, r]\n(y, z) in disk((0, 0), 1)", "a shaped domain beside an interval with a param", (3, 1)),
        ("(x, y, z) in cylinder((0, 0, 0), (0, 0, r), 1)", "cylinder cannot depend on a param", (2, 14)),
        ("t in [0, r]\nx in [0, 1]", "time's interval cannot depend on a param", (2, 1)),
        ("x in [r, 1]", r"the interval of 'x' is empty at r = 1\.5", (2, 1)),
    ],
)
def test_what_cannot_be_a_family_is_refused_where_it_is_written(text, message, where):
    source = f"param r in [0.5, 1.5]\n{text}\nfield u(x)\n-Δu = 1\n"
    if message is None:  # a combination of shapes with params compiles
        sp.parse(source)
        return
    with pytest.raises(PinnError, match=message) as info:
        sp.parse(source)
    assert (info.value.span.line, info.value.span.column) == where


def test_an_integral_over_part_of_a_familys_boundary_is_refused():
    text = DISKS.replace("(x, y) in disk((0, 0), r)", "(x, y) in box((0, 0), (r, 1))").replace(
        "u = 0 on ∂Ω\nexact u = (r^2 - x^2 - y^2)/4", "∫ u = 1 at x = 0"
    )
    with pytest.raises(PinnError, match="an integral over x = 0 of .* is not supported") as info:
        sp.compile(text, width=8, depth=1)
    assert info.value.span.line == 5


def test_a_face_that_moves_with_a_param():
    text = "param L in [1, 2]\nx in [0, L]\nfield u(x, L)\n-Dxx(u) = 1\nu = 0 at x = 0\nDx(u) = 0 at x = L\n"
    compiled = sp.compile(text, width=8, depth=1)
    end = next(t.region for t in compiled.ir.terms if t.name == "bc2")
    assert end.describe() == "x = L"
    p = _columns(compiled, end, 64)
    assert np.allclose(p["x"], p["L"]) and np.all(p["n_x"] == 1) and np.ptp(p["L"]) > 0.5
    with pytest.raises(PinnError, match="the face x = L moves with a param") as info:
        sp.parse("param L in [1, 2]\nx in [0, 2]\nt in [0, 1]\nfield u(x, t, L)\nDt(u) = Dxx(u)\nu = 0 at x = L\n")
    assert (info.value.span.line, info.value.span.column) == (6, 14)


def test_a_hole_whose_centre_and_radius_are_params():
    text = """\
param L in [2, 3]
param r in [0.1, 0.3]
let hole = disk((L/2, 0.5), r)
(x, y) in box((0, 0), (L, 1)) \\ hole
field u(x, y, L, r)
-Δu = 1
Dn(u) = 0 on ∂hole
u = 0 on ∂Ω
"""
    compiled = sp.compile(text, width=8, depth=1)
    p = _columns(compiled, ir.INTERIOR)
    assert np.all(np.hypot(p["x"] - p["L"] / 2, p["y"] - 0.5) > p["r"]) and np.all(p["x"] < p["L"])
    hole = next(t.region for t in compiled.ir.terms if t.name == "bc1")
    q = _columns(compiled, hole, 128)
    assert np.allclose(np.hypot(q["x"] - q["L"] / 2, q["y"] - 0.5), q["r"])
    assert np.allclose(q["n_x"], -(q["x"] - q["L"] / 2) / q["r"])  # out of Ω: into the hole
    # the area of the family: ∫∫ (L − πr²) dL dr over [2, 3] × [0.1, 0.3]
    area = 0.2 * 2.5 - math.pi * (0.3**3 - 0.1**3) / 3
    assert ir.INTERIOR.measure(compiled.ir) == pytest.approx(area, rel=1e-12)


def test_a_family_is_printed_back_as_the_same_problem():
    from symbolic_pinn._frontend.unparse import unparse

    spec = sp.parse(DISKS)
    text = unparse(spec)
    assert "(x, y) in disk((0.0, 0.0), r)" in text
    again = sp.parse(text)
    assert again.shape == spec.shape and [t.expr for t in again.terms] == [t.expr for t in spec.terms]


def test_a_family_in_time_keeps_its_param_out_of_space():
    text = DISKS.replace("(x, y) in disk((0, 0), r)\n", "(x, y) in disk((0, 0), r)\nt in [0, 1]\n").replace(
        "field u(x, y, r)\n-Δu = 1\n", "field u(x, y, t, r)\nDt(u) = Δu + 1\nu = (r^2 - x^2 - y^2)/4 at t = 0\n"
    )
    compiled = sp.compile(text, width=8, depth=1)  # both conditions built in: the boundary is drawn in (x, y)
    p = _columns(compiled, ir.BOUNDARY, 64)
    assert set(p) == {"r", "x", "y", "t", "n_x", "n_y"}
    assert np.allclose(np.hypot(p["x"], p["y"]), p["r"]) and np.allclose(np.hypot(p["n_x"], p["n_y"]), 1)
    assert np.ptp(p["t"]) > 0.5


# ---- the same families from SymPy: from_sympy(shape=..., parameters=[r]) ----


def _from_sympy(shape, parameters, intervals, terms=None):
    import sympy

    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y, *parameters)
    lap = u.diff(x, 2) + u.diff(y, 2)
    terms = terms(u) if terms else [sympy.Eq(-lap, 1), sp.Equation(sympy.Eq(u, 0), on="boundary")]
    return sp.from_sympy(variables=intervals, fields=[u], terms=terms, shape=((x, y), shape), parameters=parameters)


@pytest.mark.parametrize(
    ("written", "shape"),
    [
        ("disk((0, 0), r)", lambda r: sp.disk((0, 0), r)),
        ("disk((r - 0.5, 0), 2*r + 1)", lambda r: sp.disk((r - 0.5, 0), 2 * r + 1)),
        ("polygon((0, 0), (r, 0), (0, 1))", lambda r: sp.polygon((0, 0), (r, 0), (0, 1))),
        (
            "box((0, 0), (r, 1)) \\ disk((0.25, 0.5), r/10)",
            lambda r: sp.box((0, 0), (r, 1)) - sp.disk((0.25, 0.5), r / 10),
        ),
    ],
)
def test_a_family_from_sympy_is_the_texts(written, shape):
    import sympy

    r = sympy.Symbol("r")
    spec = _from_sympy(shape(r), [r], {r: (0.5, 1.5)})
    text = sp.parse(f"param r in [0.5, 1.5]\n(x, y) in {written}\nfield u(x, y, r)\n-Δu = 1\nu = 0 on ∂Ω\n")
    assert isinstance(spec.shape[1], geometry.Family)
    assert spec.shape == text.shape and spec.variables == text.variables and spec.parameters == text.parameters
    assert [(t.region, t.expr) for t in spec.terms] == [(t.region, t.expr) for t in text.terms]


def test_a_hole_of_a_family_is_a_part_of_its_boundary_from_sympy():
    import sympy

    r = sympy.Symbol("r")
    hole = sp.disk((0, 0), r)
    spec = _from_sympy(
        sp.box((-1, -1), (1, 1)) - hole,
        [r],
        {r: (0.2, 0.5)},
        lambda u: [sympy.Eq(-(u.diff(sympy.Symbol("x"), 2)), 1), sp.Equation(sympy.Eq(u, 0), on=hole)],
    )
    text = sp.parse(
        "param r in [0.2, 0.5]\nlet hole = disk((0, 0), r)\n(x, y) in box((-1, -1), (1, 1)) \\ hole\n"
        "field u(x, y, r)\n-Dxx(u) = 1\nu = 0 on ∂hole\n"
    )
    assert spec.terms[1].region.part == text.terms[1].region.part == geometry.SurfacePart(1)


@pytest.mark.parametrize(
    ("make", "parameters", "message"),
    [
        (lambda r: sp.disk((0, 0), r**2), True, "may depend on params only linearly"),
        (lambda r: sp.disk((0, 0), r - 1), True, r"the radius -0.5 is not positive \(at r = 0.5\)"),
        (lambda r: sp.disk((0, 0), r), False, r"the shape depends on r, which is not among parameters"),
        (lambda r: sp.shape("cylinder", (0, 0, 0), (0, 0, r), 1), True, "cylinder cannot depend on a param"),
    ],
)
def test_what_cannot_be_a_family_is_refused_from_sympy(make, parameters, message):
    import sympy

    r = sympy.Symbol("r")
    with pytest.raises(PinnError, match=message):
        _from_sympy(make(r), [r] if parameters else [], {r: (0.5, 1.5)})


def test_a_param_of_a_shape_without_an_interval_is_refused_from_sympy():
    import sympy

    r = sympy.Symbol("r")
    with pytest.raises(PinnError, match="the param r of the shape has no interval"):
        _from_sympy(sp.disk((0, 0), r), [r], {})
