"""Parts of a boundary (`on ∂hole`, `on ∂box(...)`, faces of a shape, the rest of ∂Ω),
and equations at fixed coordinates (`u(0, y) = x + y` means x = 0 on both sides).

Geometry is checked with plain numpy against formulas written here: the plate
[-1, 1]² minus the disk of radius 1/4 has an outer boundary of length 8 and a hole of
length π/2; the normal on the hole points into it, −(x, y)/|(x, y)|.  The channel
[0, 3]×[0, 1] minus the step [0, 1]×[0, 1/2] has an inlet x = 0 of length 1/2, an
outlet x = 3 of length 1 and a step face x = 1 of length 1/2.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn import PinnError
from symbolic_pinn._runtime.geometry import PlanePart, RestPart, SurfacePart

PLATE = """\
let hole = disk((0, 0), 0.25)
(x, y) in box((-1, -1), (1, 1)) \\ hole
field u(x, y)
let ue = exp(x/2)*sin(pi*y/2) + x*y^2
-Δu = -Δ(ue)
Dn(u) = -(x*Dx(ue) + y*Dy(ue))/0.25 on ∂hole
u = ue on ∂Ω
exact u = ue
"""

CHANNEL = """\
(x, y) in box((0, 0), (3, 1)) \\ box((0, 0), (1, 0.5))
field u(x, y)
let ue = cos(x)*exp(y) + x^2
-Δu = -Δ(ue)
u = ue at x = 0
Dx(u) = Dx(ue) at x = 3
Dn(u) = -Dx(ue) at x = 1
u = ue on ∂Ω
exact u = ue
"""


def points_of(module, term, n=400, seed=0):
    """The module's own sample of a term's region: coordinates and outward normals."""
    columns = module.sample_region(seed, module.REGIONS[term], n, module.DOMAIN, module.SHAPE, True)
    return np.stack(columns[:2], axis=1), np.stack(columns[2:], axis=1)


@pytest.fixture(scope="module")
def plate():
    return sp.compile(PLATE, width=8, depth=1)


@pytest.fixture(scope="module")
def channel():
    return sp.compile(CHANNEL, width=8, depth=1)


# ---- geometry, against formulas -------------------------------------------------------


def test_the_hole_has_points_on_the_circle_and_normals_into_it(plate):
    m = plate.module
    assert m.REGIONS["bc1"] == ("part", m.SurfacePart(1))
    p, n = points_of(m, "bc1")
    r = np.linalg.norm(p, axis=1)
    assert np.allclose(r, 0.25, atol=1e-12)
    assert np.allclose(n, -p / r[:, None], atol=1e-12)  # out of Ω is into the hole
    angles = np.arctan2(p[:, 1], p[:, 0])
    counts, _ = np.histogram(angles, bins=4, range=(-np.pi, np.pi))
    assert counts.min() > 0.6 * len(p) / 4  # spread around the circle


def test_the_rest_of_the_boundary_is_the_outer_square(plate):
    m = plate.module
    assert m.REGIONS["bc2"] == ("part", m.RestPart((m.SurfacePart(1),)))
    p, n = points_of(m, "bc2")
    assert np.allclose(np.max(np.abs(p), axis=1), 1.0)
    on_side = np.isclose(np.abs(p), 1.0)
    assert np.allclose(n, np.where(on_side, np.sign(p), 0.0))
    for axis in (0, 1):  # every side of the square is sampled
        assert np.any(p[:, axis] == -1.0) and np.any(p[:, axis] == 1.0)


def test_boundary_points_go_to_parts_by_length(plate):
    shape = plate.module.SHAPE[1]
    rng = np.random.default_rng(1)
    p, _ = shape.boundary(20000, lambda k, d: rng.random((k, d)), rng)
    on_hole = np.isclose(np.linalg.norm(p, axis=1), 0.25)
    expected = (np.pi / 2) / (8 + np.pi / 2)
    assert abs(on_hole.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / len(p))


def test_part_measures(plate, channel):
    plate_shape, channel_shape = plate.module.SHAPE[1], channel.module.SHAPE[1]
    assert plate_shape.part_measure(SurfacePart(1)) == pytest.approx(np.pi / 2, rel=0.03)
    assert plate_shape.part_measure(RestPart((SurfacePart(1),))) == pytest.approx(8, rel=0.03)
    assert channel_shape.part_measure(PlanePart(0, 0.0)) == pytest.approx(0.5, rel=0.05)
    assert channel_shape.part_measure(PlanePart(0, 3.0)) == pytest.approx(1.0, rel=0.05)
    assert channel_shape.part_measure(PlanePart(0, 1.0)) == pytest.approx(0.5, rel=0.05)
    assert channel_shape.part_measure(PlanePart(0, 0.5)) == 0.0


def test_channel_inlet_outlet_step_and_walls(channel):
    m = channel.module
    inlet, n = points_of(m, "bc1")
    assert np.all(inlet[:, 0] == 0) and np.all((inlet[:, 1] >= 0.5) & (inlet[:, 1] <= 1)) and np.all(n == [-1, 0])
    outlet, n = points_of(m, "bc2")
    assert np.all(outlet[:, 0] == 3) and np.all(n == [1, 0])
    step, n = points_of(m, "bc3")
    assert np.all(step[:, 0] == 1) and np.all(step[:, 1] <= 0.5) and np.all(n == [-1, 0])  # into the step
    walls, n = points_of(m, "bc4")
    assert not np.any(np.isin(walls[:, 0], [0.0, 1.0, 3.0]) & (n[:, 0] != 0))
    horizontal = np.isin(walls[:, 1], [0.0, 0.5, 1.0])
    assert np.all(horizontal) and np.all(n[:, 0] == 0)
    assert np.all(n[walls[:, 1] == 1.0] == [0, 1]) and np.all(n[walls[:, 1] < 1.0] == [0, -1])


# ---- manufactured solutions: the compiled residuals vanish on the exact solution ------


@pytest.mark.parametrize("problem", ["plate", "channel"])
def test_manufactured_solution(problem, request, x64):
    m = request.getfixturevalue(problem).module
    exact = m.EXACT["u"]
    for term, region in m.REGIONS.items():
        residual = getattr(m, f"residual_{term}")
        p, n = points_of(m, term, n=200, seed=7)
        args = [jnp.asarray(p[:, 0]), jnp.asarray(p[:, 1])]
        if term in m.NORMALS:
            args += [jnp.asarray(n[:, 0]), jnp.asarray(n[:, 1])]
        assert float(jnp.max(jnp.abs(residual(exact, *args)))) < 1e-9, (term, region)
        wrong = residual(lambda x, y: exact(x, y) + 0.01 * (x * x + y * y + 1), *args)
        assert float(jnp.max(jnp.abs(wrong))) > 1e-4, (term, region)


@pytest.mark.slow  # compiling the training step costs about 30 s; the CLI run of examples/plate_hole.pinn trains it
def test_a_short_training_lowers_the_loss(plate):
    result = plate.train(adam_steps=5, bfgs_steps=0, interior_points=32, boundary_points=32, progress=False)
    assert result.metrics["loss"] < result.history[0]["loss"]


# ---- the SymPy front end ----------------------------------------------------------------


def test_the_sympy_front_end_gives_the_same_plate():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    ue = sympy.exp(x / 2) * sympy.sin(sympy.pi * y / 2) + x * y**2
    hole = sp.disk((0, 0), 0.25)
    dn = sp.normal_derivative(u, (x, y))
    spec = sp.from_sympy(
        variables={x: (-1, 1), y: (-1, 1)},
        fields=[u],
        terms=[
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), -(ue.diff(x, 2) + ue.diff(y, 2))),
            sp.Equation(sympy.Eq(dn, -(x * ue.diff(x) + y * ue.diff(y)) / sympy.Float(0.25)), on=hole),
            sp.Equation(sympy.Eq(u, ue), on="boundary"),
        ],
        exact={u: ue},
        shape=((x, y), sp.box((-1, -1), (1, 1)) - hole),
    )
    text = sp.parse(PLATE)
    assert [t.region.sampled() for t in spec.terms] == [t.region.sampled() for t in text.terms]
    assert [sympy.simplify(a.expr - b.expr) for a, b in zip(spec.terms, text.terms)] == [0, 0, 0]


def test_the_sympy_front_end_has_faces_of_a_shape():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    channel = sp.box((0, 0), (3, 1)) - sp.box((0, 0), (1, 0.5))
    spec = sp.from_sympy(
        variables={x: (0, 3), y: (0, 1)},
        fields=[u],
        terms=[sympy.Eq(u.diff(x, 2), 0), sp.Equation(sympy.Eq(u, 1), on={x: 0}), sp.Equation(u, on="boundary")],
        shape=((x, y), channel),
    )
    assert [t.region.sampled() for t in spec.terms[1:]] == [
        ("part", PlanePart(0, 0.0)),
        ("part", RestPart((PlanePart(0, 0.0),))),
    ]
    with pytest.raises(PinnError, match="no flat piece"):
        sp.from_sympy(
            variables={x: (0, 3), y: (0, 1)},
            fields=[u],
            terms=[sympy.Eq(u.diff(x, 2), 0), sp.Equation(sympy.Eq(u, 1), on={x: 0.5})],
            shape=((x, y), channel),
        )
    with pytest.raises(PinnError, match="not one of the shapes"):
        sp.from_sympy(
            variables={x: (0, 3), y: (0, 1)},
            fields=[u],
            terms=[sympy.Eq(u.diff(x, 2), 0), sp.Equation(sympy.Eq(u, 1), on=sp.disk((0, 0), 1))],
            shape=((x, y), channel),
        )


# ---- located errors ---------------------------------------------------------------------

HEAD = "let hole = disk((0, 0), 0.25)\n(x, y) in box((-1, -1), (1, 1)) \\ hole\nfield u(x, y)\n-Δu = 1\n"


@pytest.mark.parametrize(
    "line, message, column",
    [
        ("u = 0 at x = 0", "holds no flat piece of the boundary", 10),
        ("u = 0 on ∂hol", "'hol' is not a shape", 11),
        ("u = 0 on ∂box((0, 0), (1, 1))", "is not one of the shapes the domain is made of", 11),
        ("u = 0 on ∂Ω\nu = 1 on ∂hole\nu = 2 on ∂box((-1, -1), (1, 1))", "nothing is left of ∂Ω", 1),
        ("u = 0 on ∂Ω(hole)", "written ∂name or boundary", 10),
    ],
)
def test_parts_that_are_not_on_the_boundary_are_located_errors(line, message, column):
    with pytest.raises(PinnError, match=message) as info:
        sp.parse(HEAD + line)
    assert info.value.span is not None and info.value.span.line == 5
    if column is not None:
        assert info.value.span.column == column


def test_a_named_shape_must_be_in_the_domain():
    text = "let hole = disk((0, 0), 0.25)\nlet other = disk((0.5, 0.5), 0.1)\n(x, y) in box((-1, -1), (1, 1)) \\ hole\n"
    with pytest.raises(PinnError, match="'other' is not part of the domain") as info:
        sp.parse(text + "field u(x, y)\n-Δu = 1\nu = 0 on ∂other\n")
    assert info.value.span.line == 6
    with pytest.raises(PinnError, match="needs a shaped domain"):
        sp.parse("x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂box((0, 0), (1, 1))\n")
    with pytest.raises(PinnError, match="'hole' is a shape, not a value") as info:
        sp.parse(HEAD + "u = hole on ∂Ω\n")
    assert (info.value.span.line, info.value.span.column) == (5, 5)
    with pytest.raises(PinnError, match="'nope' is not a shape") as info:
        sp.parse("(x, y) in box((-1, -1), (1, 1)) \\ nope\nfield u(x, y)\n-Δu = 1\n")
    assert (info.value.span.line, info.value.span.column) == (1, 35)


def test_ascii_spelling_and_written_out_shape_name_the_same_parts():
    unicode = sp.parse(HEAD + "u = 0 on ∂hole\nu = 1 on ∂box((-1, -1), (1, 1))\n")
    ascii = sp.parse(HEAD + "u = 0 on boundary(hole)\nu = 1 on boundary(box((-1, -1), (1, 1)))\n")
    assert [t.region.sampled() for t in unicode.terms] == [t.region.sampled() for t in ascii.terms]
    assert [t.region.sampled() for t in unicode.terms][1:] == [("part", SurfacePart(1)), ("part", SurfacePart(0))]


def test_the_rest_is_per_field():
    """A system: v's condition on ∂Ω keeps the whole boundary when only u has one on the hole."""
    spec = sp.parse(
        HEAD.replace("field u(x, y)", "field u(x, y), v(x, y)")
        + "-Δv = 1\nDn(u) = 0 on ∂hole\nu = 0 on ∂Ω\nv = 0 on ∂Ω\n"
    )
    assert [t.region.sampled() for t in spec.terms[2:]] == [
        ("part", SurfacePart(1)),
        ("part", RestPart((SurfacePart(1),))),
        ("boundary",),
    ]


# ---- u(0, y) = x + y --------------------------------------------------------------------


def test_fixed_coordinates_are_substituted_on_both_sides():
    spec = sp.parse("x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\nu(0, y) = x + y\nDx(u)(1, y) = x*y\n")
    x, y = sympy.symbols("x y", real=True)
    u = sympy.Function("u", real=True)
    assert spec.terms[1].expr == u(0, y) - y
    assert sympy.simplify(spec.terms[2].expr - (sympy.Subs(u(x, y).diff(x), x, 1) - y)) == 0
    # a variable the fields do depend on stays a variable
    assert sp.parse("x in [0, 1]\nfield u(x)\nu(x) = u(0) + x\n").terms[0].expr.has(x)


def test_fixed_coordinates_from_sympy():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    spec = sp.from_sympy(variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=[sympy.Eq(u.subs(x, 0), x + y)])
    xs, ys = sympy.symbols("x y", real=True)
    assert spec.terms[0].expr == sympy.Function("u", real=True)(0, ys) - ys


def test_an_ambiguous_fixed_coordinate_is_a_located_error():
    with pytest.raises(PinnError, match="'x' is ambiguous here") as info:
        sp.parse("x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu(-1, t) - u(1, t) = x\n")
    assert info.value.span.line == 4
    assert "x = -1 and x = 1" in str(info.value)


def test_a_part_at_every_time():
    """(x, y) over a shape, t over [0, 2]: a part's points cover the times, normals only in space."""
    from symbolic_pinn._runtime.geometry import Ball, Box
    from symbolic_pinn._runtime.sampling import sample_region

    shape = (("x", "y"), Box((-1.0, -1.0), (1.0, 1.0)) - Ball((0.0, 0.0), 0.25))
    domain = {"x": (-1.0, 1.0), "t": (0.0, 2.0), "y": (-1.0, 1.0)}
    x, t, y, nx, ny = sample_region(3, ("part", SurfacePart(1)), 300, domain, shape, normals=True)
    assert np.allclose(np.hypot(x, y), 0.25) and np.allclose(nx, -x / 0.25) and np.allclose(ny, -y / 0.25)
    assert t.min() < 0.1 and t.max() > 1.9
