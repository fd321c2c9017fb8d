"""Subdomains: `region A = x < 0.5`, fields living in one (`field u1(x) in A`), equations
`in A`, and conditions `on interface(A, B)` with the normal from A into B.

The references are written here by hand: a piecewise solution of -(a u')' = f with a
coefficient jump (1-D: u1 = x² on [0, 1/2] with a = 1, u2 = (x² + 3/4)/4 on [1/2, 1] with
a = 4, so u and a·u' are continuous, both 1/4 and 1 at x = 1/2), and 2-D
(examples/two_materials.pinn: u = sin(2πx) sin(πy)/a with a = 1 | 10, whose flux a·∂u/∂x
is continuous and not zero on the interface).  The compiled residuals of these solutions
vanish at the module's own points; a perturbed solution's do not.
"""

from __future__ import annotations

import pathlib
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn import IllPosedWarning, PinnError
from symbolic_pinn._frontend.unparse import unparse
from symbolic_pinn._product import plots
from symbolic_pinn._runtime import geometry
from symbolic_pinn._training import domain, metrics

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

ROD = """\
x in [0, 1]
region A = x < 0.5
region B = x > 0.5
field u1(x) in A, u2(x) in B
-Dxx(u1) = -2
-4*Dxx(u2) = -2
u1 = u2 on interface(A, B)
Dn(u1) = 4*Dn(u2) on interface(A, B)
u1 = 0 at x = 0
u2 = 0.4375 at x = 1
exact u1 = x^2
exact u2 = (x^2 + 0.75)/4
"""


@pytest.fixture(scope="module")
def rod():
    return sp.compile(ROD, width=4, depth=1)


@pytest.fixture(scope="module")
def plate():
    return sp.compile(sp.parse_file(EXAMPLES / "two_materials.pinn"), width=4, depth=1)


@pytest.fixture(scope="module")
def soft_plate():
    """The same problem with no condition built into the networks: every condition is sampled."""
    return sp.compile(sp.parse_file(EXAMPLES / "two_materials.pinn"), width=4, depth=1, hard_constraints=False)


def sample(module, term, n=256, seed=3):
    """The module's own points of a term: coordinates (n, d) and normals (n, d)."""
    d = len(module.DOMAIN)
    columns = module.sample_region(seed, module.REGIONS[term], n, module.DOMAIN, module.SHAPE, True)
    return np.stack(columns[:d], 1), np.stack(columns[d:], 1)


# ---- points of each region --------------------------------------------------------------


def test_equations_hold_in_their_regions(plate):
    m = plate.module
    left, _ = sample(m, "pde1")
    right, _ = sample(m, "pde2")
    assert left[:, 0].max() <= 0.5 and right[:, 0].min() >= 0.5
    # spread over the whole half, not a corner of it
    assert left[:, 0].min() < 0.02 and left[:, 0].max() > 0.48 and right[:, 0].max() > 0.98
    assert left[:, 1].min() < 0.02 and left[:, 1].max() > 0.98


def test_interface_points_are_on_the_interface_with_the_normal_from_a_to_b(plate):
    points, normals = sample(plate.module, "bc2")
    assert np.all(points[:, 0] == 0.5)
    assert points[:, 1].min() < 0.02 and points[:, 1].max() > 0.98
    np.testing.assert_array_equal(normals, np.tile([1.0, 0.0], (len(points), 1)))


def test_the_interface_read_the_other_way_has_the_opposite_normal():
    compiled = sp.compile(ROD.replace("Dn(u1) = 4*Dn(u2) on interface(A, B)", "4*Dn(u2) = Dn(u1) on interface(B, A)"))
    _, normals = sample(compiled.module, "bc2", n=16)
    np.testing.assert_array_equal(normals, -np.ones((16, 1)))


def test_a_condition_on_the_boundary_holds_on_the_part_in_the_field_s_region(soft_plate):
    m = soft_plate.module
    for term, lo, hi in (("bc3", 0.0, 0.5), ("bc4", 0.5, 1.0)):
        points, normals = sample(m, term)
        x, y = points.T
        assert np.all((lo <= x) & (x <= hi))
        on = np.isclose(x, 0) | np.isclose(x, 1) | np.isclose(y, 0) | np.isclose(y, 1)
        assert np.all(on), term
        assert not np.any(np.isclose(x, 0.5) & (0 < y) & (y < 1)), "the interface is not ∂Ω"
        outward = np.where(np.isclose(y, 0)[:, None], [0, -1], np.where(np.isclose(y, 1)[:, None], [0, 1], 0))
        sides = ~np.isclose(x, 0) & ~np.isclose(x, 1)
        np.testing.assert_array_equal(normals[sides], outward[sides])


# ---- residuals of the exact piecewise solutions --------------------------------------


@pytest.mark.parametrize("problem", ["rod", "plate", "soft_plate"])
def test_the_exact_piecewise_solution_makes_every_residual_vanish(problem, request, x64):
    m = request.getfixturevalue(problem).module
    d = len(m.DOMAIN)
    exact = dict(m.EXACT)
    for term in m.REGIONS:
        residual = getattr(m, f"residual_{term}")
        points, normals = sample(m, term, n=128)
        args = [jnp.asarray(c) for c in points.T] + ([jnp.asarray(c) for c in normals.T] if term in m.NORMALS else [])
        fields = [
            name for name in residual.__code__.co_varnames[: residual.__code__.co_argcount] if name.endswith("_fn")
        ]
        right = residual(*(exact[f[:-3]] for f in fields), *args)
        assert float(jnp.max(jnp.abs(right))) < 1e-12, term
        bump = lambda f: lambda *xs: f(*xs) + 0.01 * (1 + sum(x * x for x in xs[:d]))  # noqa: E731
        wrong = residual(*(bump(exact[f[:-3]]) if i == 0 else exact[f[:-3]] for i, f in enumerate(fields)), *args)
        assert float(jnp.max(jnp.abs(wrong))) > 1e-3, term


# ---- conditions built into the networks ---------------------------------------------


def test_conditions_built_in_hold_where_the_field_lives_and_leave_the_interface_free(rod, plate):
    assert {t.name for t in rod.ir.terms} == {"pde1", "pde2", "bc1", "bc2"}  # x = 0 and x = 1 built in

    def moved(params):  # biases not zero, so that the network is not 0 at the centre of the domain
        return jax.tree_util.tree_map(lambda a: a + 0.1, params)

    net = rod.module.fields(moved(rod.module.init_params(jax.random.PRNGKey(1))))
    end, interface = np.asarray(jax.jit(net["u1"])(jnp.array([0.0, 0.5])))
    assert end == 0.0 and abs(interface) > 1e-6  # free at the interface
    end, interface = np.asarray(jax.jit(net["u2"])(jnp.array([1.0, 0.5])))
    assert end == 0.4375 and abs(interface - 0.4375) > 1e-6
    net = plate.module.fields(moved(plate.module.init_params(jax.random.PRNGKey(1))))
    y = np.linspace(0.1, 0.9, 5)
    x = np.concatenate([np.zeros(5), np.full(5, 0.25), np.full(5, 0.5)])  # x = 0, y = 0 (∂Ω in A), the interface
    values = np.abs(np.asarray(jax.jit(net["u1"])(jnp.asarray(x), jnp.asarray(np.concatenate([y, np.zeros(5), y])))))
    assert values[:10].max() == 0.0 and values[10:].min() > 1e-8  # the interface is inside Ω


def test_a_face_partly_in_the_region_stays_a_loss_term_there():
    text = """\
x in [0, 1]; t in [0, 1]
region A = x < 0.5
region B = x > 0.5
field u1(x, t) in A, u2(x, t) in B
Dt(u1) = Dxx(u1)
Dt(u2) = 2*Dxx(u2)
u1 = u2 on interface(A, B)
Dn(u1) = 2*Dn(u2) on interface(A, B)
u1 = sin(pi*x) at t = 0
u2 = sin(pi*x) at t = 0
u1 = 0 at x = 0
u2 = 0 at x = 1
"""
    compiled = sp.compile(text, width=4, depth=1)
    kept = {t.label: (t.name, t.region.describe()) for t in compiled.ir.terms}
    assert kept["u1 = sin(pi*x) at t = 0"] == ("ic1", "t = 0 in A")  # not built in: it holds on half the face
    points, _ = sample(compiled.module, next(t.name for t in compiled.ir.terms if t.label.startswith("u2 = sin")))
    assert np.all(points[:, 1] == 0) and points[:, 0].min() >= 0.5


# ---- errors where each field is measured ----------------------------------------------


def test_a_field_s_error_is_measured_in_its_region_only(rod):
    exact = rod.module.EXACT
    # right in its region, nonsense outside it: the error must be 0
    wrong_outside = {
        "u1": lambda x: jnp.where(x <= 0.5, exact["u1"](x), 7.0),
        "u2": lambda x: jnp.where(x >= 0.5, exact["u2"](x), -3.0),
    }
    compiled = types.SimpleNamespace(
        ir=rod.ir, module=types.SimpleNamespace(fields=lambda p: wrong_outside, EXACT=exact)
    )
    errors = metrics.relative_l2(compiled, None, total=101)
    assert errors == {"u1": pytest.approx(0, abs=1e-7), "u2": pytest.approx(0, abs=1e-7)}
    grid = domain.test_grid(rod.ir, 101)
    assert domain.home(rod.ir, grid, "u2")[:, 0].min() == 0.5 and len(domain.home(rod.ir, grid, "u1")) == 51


# ---- located errors and warnings -------------------------------------------------------

TWO = """\
x in [0, 1]; y in [0, 1]
region A = x < 0.5
region B = x > 0.5
field u1(x, y) in A, u2(x, y) in B
"""


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (TWO + "-Δu1 = 1\nu1 = u2 on interface(A, C)\n", 6, "'C' is not a region"),
        (TWO.replace("x > 0.5", "x > 0.6") + "-Δu1 = 1\nu1 = u2 on interface(A, B)\n", 6, "do not meet"),
        (TWO + "-Δu1 = 1\nu1 = u2 on interface(A, A)\n", 6, "joins a region to itself"),
        (TWO.replace("x > 0.5", "x > 0.4") + "-Δu1 = 1\n-Δu2 = 1\n", 3, r"overlap where x in \[0.4, 0.5\]"),
        (TWO + "-Δu1 = 1\nu1 = 0 at x = 1\n", 6, "x = 1 is not in the region A"),
        (TWO + "-Δu1 = u2\n", 5, "fields of the regions A and B"),
        (TWO + "-Δu1 = 1 in B\n", 5, "u1 lives in A, which does not hold all of B"),
        (TWO.replace("x < 0.5", "x < 0.5 or y < 0.5") + "-Δu1 = 1\n", 2, "a region is a box"),
        (TWO.replace("x < 0.5", "x < -1") + "-Δu1 = 1\n", 2, "the region A is empty"),
        (TWO.replace("x < 0.5", "x^2 < 0.5") + "-Δu1 = 1\n", 2, "compares a variable with a number"),
        (TWO.replace("u2(x, y) in B", "u2(x, y) in D") + "-Δu1 = 1\n", 4, "'D' is not a region"),
        (
            "(x, y) in disk((0, 0), 1)\nregion A = x < 0\nfield u(x, y) in A\n-Δu = 1\n",
            2,
            "variable of the shaped domain",
        ),
    ],
)
def test_a_region_that_makes_no_sense_is_a_located_error(text, line, message):
    with pytest.raises(PinnError, match=message) as info:
        sp.parse(text)
    assert info.value.span is not None and info.value.span.line == line


def test_a_piece_of_the_domain_without_an_equation_is_a_warning():
    text = TWO.replace("x > 0.5", "x > 0.6") + "-Δu1 = 1\n-Δu2 = 1\nu1 = 0 on ∂Ω\nu2 = 0 on ∂Ω\n"
    with pytest.warns(IllPosedWarning, match=r"^line 5: no equation holds where x in \[0.5, 0.6\]"):
        sp.parse(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllPosedWarning)
        sp.parse(TWO + "-Δu1 = 1\n-Δu2 = 1\nu1 = 0 on ∂Ω\nu2 = 0 on ∂Ω\nu1 = u2 on interface(A, B)\n")


def test_the_sympy_front_end_reads_the_same_problem():
    x = sympy.Symbol("x")
    u1, u2 = sympy.Function("u1")(x), sympy.Function("u2")(x)
    interface = sp.Interface("A", "B")
    terms = [
        sympy.Eq(-u1.diff(x, 2), -2),
        sympy.Eq(-4 * u2.diff(x, 2), -2),
        sp.Equation(sympy.Eq(u1, u2), on=interface),
        sp.Equation(sympy.Eq(sp.normal_derivative(u1, [x]), 4 * sp.normal_derivative(u2, [x])), on=interface),
        sp.Equation(sympy.Eq(u1, 0), on={x: 0}),
        sp.Equation(sympy.Eq(u2, sympy.Rational(7, 16)), on={x: 1}),
    ]
    regions = {"A": {x: (0, 0.5)}, "B": {x: (0.5, 1)}}
    spec = sp.from_sympy({x: (0, 1)}, [u1, u2], terms, regions=regions, living={u1: "A", u2: "B"})
    text = sp.parse(ROD)
    assert [t.region for t in spec.terms] == [t.region for t in text.terms]
    assert [sympy.simplify(a.expr - b.expr) for a, b in zip(spec.terms, text.terms)] == [0] * 6
    assert spec.homes == text.homes == (("u1", (("x", 0.0, 0.5),)), ("u2", (("x", 0.5, 1.0),)))
    with pytest.raises(PinnError, match="do not meet"):
        sp.from_sympy({x: (0, 1)}, [u1, u2], terms, regions={**regions, "B": {x: (0.6, 1)}}, living={u1: "A"})


def test_a_problem_with_subdomains_from_sympy_is_not_written_back_as_other_text():
    x = sympy.Symbol("x")
    u1 = sympy.Function("u1")(x)
    spec = sp.from_sympy(
        {x: (0, 1)},
        [u1],
        [sympy.Eq(-u1.diff(x, 2), 1), sp.Equation(sympy.Eq(u1, 0), on="boundary")],
        regions={"A": {x: (0, 1)}},
        living={u1: "A"},
    )
    with pytest.raises(PinnError, match="lives in a region"):
        unparse(spec)


def test_a_missing_condition_is_seen_through_the_regions():
    text = """\
x in [0, 1]; t in [0, 1]
region A = x < 0.5
region B = x > 0.5
field u1(x, t) in A, u2(x, t) in B
Dt(u1) = Dxx(u1)
Dt(u2) = 2*Dxx(u2)
u1 = u2 on interface(A, B)
Dn(u1) = 2*Dn(u2) on interface(A, B)
u1 = sin(pi*x) at t = 0
u1 = 0 at x = 0
"""
    with pytest.warns(IllPosedWarning) as caught:
        sp.parse(text)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2, messages
    assert messages[0].startswith("'u2' changes in time (line 6) but has no initial condition")
    assert messages[1].startswith("'u2' has second derivatives in space (line 6) but no condition on the boundary")


def test_derive_refuses_subdomains_rather_than_printing_another_problem():
    text = TWO + "minimize ∫ (|∇u1|^2/2 - u1)\nminimize ∫ (|∇u2|^2/2 - u2)\nu1 = u2 on interface(A, B)\n"
    spec = sp.parse(text)
    assert {t.region.describe() for t in spec.terms if t.kind == "energy"} == {"interior in A", "interior in B"}
    with pytest.raises(PinnError, match="does not handle subdomains"):
        sp.derive(spec)


def test_an_energy_in_a_region_is_integrated_over_that_region():
    text = TWO.replace("x < 0.5", "x < 0.25") + "minimize ∫ (|∇u1|^2/2 - u1)\n"
    text = text.replace("x > 0.5", "x > 0.25 and y < 0.5") + "u1 = 0 on ∂Ω\n"
    compiled = sp.compile(text, width=4, depth=1)
    assert compiled.module.MEASURES == {"energy": 0.25}  # the area of [0, 1/4] × [0, 1]


# ---- regions given by shapes, curved interfaces ----------------------------------------
#
# examples/inclusion.pinn: the disk A of radius R = 1/4 at (1/2, 1/2) and B = Ω \ A in the unit
# square.  Hand-computed measures: |A| = πR² = π/16, |B| = 1 − π/16, the circle 2πR = π/2.

CENTRE, R = np.array([0.5, 0.5]), 0.25


@pytest.fixture(scope="module")
def inclusion():
    return sp.compile(sp.parse_file(EXAMPLES / "inclusion.pinn"), width=4, depth=1)


def test_points_of_a_disk_and_of_its_complement_are_where_each_region_is(inclusion):
    inner, _ = sample(inclusion.module, "pde1", n=512)
    outer, _ = sample(inclusion.module, "pde2", n=512)
    r_in, r_out = (np.linalg.norm(p - CENTRE, axis=1) for p in (inner, outer))
    assert r_in.max() <= R and r_in.max() > 0.24 and r_in.min() < 0.03  # the whole disk, not a ring of it
    assert r_out.min() >= R and np.all((0 <= outer) & (outer <= 1)) and outer.min() < 0.01 and outer.max() > 0.99
    # uniform by area: the share of the disk's points within R/2 of the centre is 1/4
    assert abs(np.mean(r_in < R / 2) - 0.25) < 0.05


def test_a_curved_interface_has_its_points_on_the_circle_and_the_normal_from_a_into_b(inclusion):
    points, normals = sample(inclusion.module, "bc2", n=512)
    offset = points - CENTRE
    np.testing.assert_allclose(np.linalg.norm(offset, axis=1), R, atol=1e-14)
    np.testing.assert_allclose(normals, offset / R, atol=1e-14)  # out of the disk: from A into B
    angles = np.arctan2(offset[:, 1], offset[:, 0])
    assert np.histogram(angles, bins=8, range=(-np.pi, np.pi))[0].min() > 40  # all round the circle
    flipped = sp.compile(
        (EXAMPLES / "inclusion.pinn").read_text().replace("on interface(A, B)", "on interface(B, A)"), width=4, depth=1
    )
    points, normals = sample(flipped.module, "bc2", n=64)
    np.testing.assert_allclose(normals, -(points - CENTRE) / R, atol=1e-14)  # out of B: into the disk


def test_measures_of_regions_given_by_shapes_are_exact(inclusion):
    measures = {t.name: t.region.measure(inclusion.ir) for t in inclusion.ir.terms}
    assert measures["pde1"] == pytest.approx(np.pi / 16, rel=1e-12)
    assert measures["pde2"] == pytest.approx(1 - np.pi / 16, rel=1e-12)
    assert measures["bc1"] == measures["bc2"] == pytest.approx(np.pi / 2, rel=1e-12)
    # a disk cut by the box, centred on the side x = 0: a half disk, a half circle, 0.6 of ∂Ω
    text = (
        "x in [0, 1]; y in [0, 1]\nregion A = disk((0, 0.5), 0.3)\nregion B = Ω \\ A\n"
        "field u1(x, y) in A, u2(x, y) in B\n-Δu1 = 1\n-Δu2 = 1\n"
        "u1 = u2 on interface(A, B)\nDn(u1) = Dn(u2) on interface(A, B)\n"
        "u1 = 0 on ∂Ω\nu2 = 0 on ∂Ω\n∫ u1 = 1\n"
    )
    cut = sp.compile(text, width=4, depth=1)
    measures = {t.name: t.region.measure(cut.ir) for t in cut.ir.terms}
    assert measures["pde1"] == pytest.approx(np.pi * 0.09 / 2, rel=1e-12)
    assert measures["bc1"] == pytest.approx(np.pi * 0.3, rel=1e-12)  # the arc, not the piece of x = 0 in A
    assert measures["bc3"] == pytest.approx(0.6, rel=1e-12) and measures["bc4"] == pytest.approx(3.4, rel=1e-12)
    assert cut.module.MEASURES == {"integral": pytest.approx(np.pi * 0.09 / 2, rel=1e-12)}
    points, normals = sample(cut.module, "bc3", n=128)  # ∂Ω in A: the side x = 0 within the disk
    assert np.all(points[:, 0] == 0) and np.all(np.abs(points[:, 1] - 0.5) <= 0.3)
    np.testing.assert_array_equal(normals, np.tile([-1.0, 0.0], (128, 1)))
    points, _ = sample(cut.module, "bc1", n=128)
    np.testing.assert_allclose(np.hypot(points[:, 0], points[:, 1] - 0.5), 0.3, atol=1e-14)
    face = sp.parse(text.replace("u1 = 0 on ∂Ω", "u1 = 0 at x = 0")).terms[4].region  # the same piece, as a face
    assert face.describe() == "x = 0 in A" and face.base.part == geometry.PlanePart(0, 0.0)


def test_a_box_region_and_the_rest_of_the_square_meet_on_their_common_side_only():
    text = (
        "x in [0, 1]; y in [0, 1]\nregion A = x < 0.5\nregion B = Ω \\ A\nfield u1(x, y) in A, u2(x, y) in B\n"
        "-Δu1 = 1\n-Δu2 = 1\nu1 = u2 on interface(A, B)\nDn(u1) = Dn(u2) on interface(A, B)\n"
        "u1 = 0 on ∂Ω\nu2 = 0 on ∂Ω\n"
    )
    compiled = sp.compile(text, width=4, depth=1)
    interface = next(t for t in compiled.ir.terms if t.name == "bc1")
    # the line x = 1/2, not the sides y = 0, y = 1 and x = 0 of A, where Ω's and A's boxes both end
    assert interface.region.measure(compiled.ir) == pytest.approx(1.0, rel=1e-12)
    points, normals = sample(compiled.module, "bc1", n=128)
    assert np.all(points[:, 0] == 0.5) and points[:, 1].min() < 0.05 and points[:, 1].max() > 0.95
    np.testing.assert_array_equal(normals, np.tile([1.0, 0.0], (128, 1)))


def test_a_ball_in_a_cube_is_measured_exactly():
    text = (
        "x in [0, 1]; y in [0, 1]; z in [0, 1]\nregion A = ball((0.5, 0.5, 0.5), 0.25)\nregion B = Ω \\ A\n"
        "field u1(x, y, z) in A, u2(x, y, z) in B\n-Δu1 = 1\n-Δu2 = 1\n"
        "u1 = u2 on interface(A, B)\nDn(u1) = Dn(u2) on interface(A, B)\nu2 = 0 on ∂Ω\n"
    )
    compiled = sp.compile(text, width=4, depth=1)
    measures = {t.name: t.region.measure(compiled.ir) for t in compiled.ir.terms}
    ball = 4 * np.pi / 3 * R**3
    assert measures["pde1"] == pytest.approx(ball, rel=1e-12)
    assert measures["pde2"] == pytest.approx(1 - ball, rel=1e-12)
    assert measures["bc1"] == pytest.approx(4 * np.pi * R**2, rel=1e-12)


def test_an_inclusion_is_well_posed_and_its_outer_condition_is_built_in(inclusion):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # u1 has no condition on ∂Ω: the circle, all its boundary, has two
        sp.parse_file(EXAMPLES / "inclusion.pinn")
    assert {t.name for t in inclusion.ir.terms} == {"pde1", "pde2", "bc1", "bc2"}  # u2 = outside on ∂Ω: built in


def test_a_field_s_error_is_measured_in_its_disk_only(inclusion):
    grid = domain.test_grid(inclusion.ir, 101 * 101)
    inner, outer = (domain.home(inclusion.ir, grid, f) for f in ("u1", "u2"))
    r_in, r_out = (np.linalg.norm(p - CENTRE, axis=1) for p in (inner, outer))
    assert r_in.max() <= R + 1e-12 and r_out.min() >= R - 1e-12
    assert len(inner) + len(outer) >= len(grid)  # every grid point is in one (the circle's in both)
    assert abs(len(inner) / len(grid) - np.pi / 16) < 0.01
    x, y = np.meshgrid(np.linspace(0, 1, 101), np.linspace(0, 1, 101))
    drawn = plots._inside(inclusion.ir.shape, inclusion.ir.field("u1").region)({"x": x, "y": y})  # the plot's mask
    assert abs(drawn.mean() - np.pi / 16) < 0.01 and not drawn[0, 0] and drawn[50, 50]


def test_a_time_dependent_inclusion_samples_each_time_in_its_region():
    text = (
        "x in [0, 1]; y in [0, 1]; t in [0, 1]\nregion A = disk((0.5, 0.5), 0.25)\nregion B = Ω \\ A\n"
        "field u1(x, y, t) in A, u2(x, y, t) in B\nDt(u1) = Δu1\nDt(u2) = 0.1*Δu2\n"
        "u1 = u2 on interface(A, B)\nDn(u1) = 0.1*Dn(u2) on interface(A, B)\n"
        "u1 = 1 at t = 0\nu2 = 0 at t = 0\nu2 = 0 on ∂Ω\n"
    )
    compiled = sp.compile(text, width=4, depth=1, exact_initial=False)
    kept = {t.label: (t.name, t.region.describe(), t.region.measure(compiled.ir)) for t in compiled.ir.terms}
    assert kept["u1 = 1 at t = 0"] == ("ic1", "t = 0 in A", pytest.approx(np.pi / 16, rel=1e-12))
    points, _ = sample(compiled.module, "ic1", n=128)
    assert np.all(points[:, 2] == 0) and np.linalg.norm(points[:, :2] - CENTRE, axis=1).max() <= R
    points, normals = sample(compiled.module, "bc1", n=128)
    assert points[:, 2].min() < 0.05 and points[:, 2].max() > 0.95  # the circle at every time
    np.testing.assert_allclose(normals, (points[:, :2] - CENTRE) / R, atol=1e-14)


INCLUDED = """\
x in [0, 1]; y in [0, 1]
region A = disk((0.5, 0.5), 0.25)
region B = Ω \\ A
field u1(x, y) in A, u2(x, y) in B
"""


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (INCLUDED.replace("Ω \\ A", "disk((0.9, 0.5), 0.05)") + "-Δu1 = 1\nu1 = u2 on interface(A, B)\n", 6,
         "do not meet"),
        (INCLUDED.replace("Ω \\ A", "disk((0.6, 0.5), 0.25)") + "-Δu1 = 1\nu1 = u2 on interface(A, B)\n", 6,
         "overlap, so interface"),
        (INCLUDED.replace("Ω \\ A", "disk((0.6, 0.5), 0.25)") + "-Δu1 = 1\n-Δu2 = 1\n", 3,
         r"A \(line 2\) and B overlap \(on an area of"),
        (INCLUDED.replace("disk((0.5, 0.5), 0.25)", "disk((3, 3), 0.25)"), 2, "the region A is empty"),
        (INCLUDED.replace("Ω \\ A", "Ω \\ C"), 3, "'C' is not a region or a shape"),
        (INCLUDED.replace("disk((0.5, 0.5), 0.25)", "ball((0.5, 0.5, 0.5), 0.25)"), 2, "a point with 2 coordinates"),
        (INCLUDED.replace("Ω \\ A", "sin(x)"), 3, "unknown shape 'sin'"),
        (INCLUDED + "-Δu1 = 1\nu1 = 0 at x = 0\n", 6, "x = 0 is not in the region A"),
        (INCLUDED + "-Δu1 = 1\nu1 = 0 on ∂Ω\n", 6, "∂Ω is not in the region A"),
        (INCLUDED + "-Δu1 = u2\n", 5, "fields of the regions A and B"),
        (INCLUDED + "-Δu2 = 1 in A\n", 5, "u2 lives in B, which does not hold all of A"),
        ("param k in [1, 2]\n(x, y) in disk((0.5, 0.5), k)\n" + INCLUDED.split("\n", 1)[1] + "-Δu1 = 1\n", 3,
         "need a domain whose shape holds every spatial variable"),
    ],
)  # fmt: skip
def test_a_region_given_by_a_shape_that_makes_no_sense_is_a_located_error(text, line, message):
    with pytest.raises(PinnError, match=message) as info:
        sp.parse(text)
    assert info.value.span is not None and info.value.span.line == line


def test_regions_of_a_disk_domain_and_a_part_without_an_equation():
    text = """\
(x, y) in disk((0, 0), 1)
region A = disk((0, 0), 0.5)
region B = Ω \\ A
field u1(x, y) in A, u2(x, y) in B
-Δu1 = 1
-Δu2 = 1
u1 = u2 on interface(A, B)
Dn(u1) = Dn(u2) on interface(A, B)
u2 = 0 on ∂Ω
∫ u2 = 1
"""
    compiled = sp.compile(text, width=4, depth=1)
    measures = {t.name: t.region.measure(compiled.ir) for t in compiled.ir.terms}
    assert measures["pde2"] == pytest.approx(3 * np.pi / 4, rel=1e-12) and measures["bc1"] == pytest.approx(np.pi)
    assert compiled.module.MEASURES == {"integral": pytest.approx(3 * np.pi / 4, rel=1e-12)}
    holed = INCLUDED.replace("region B = Ω \\ A", "let hole = disk((0.85, 0.8), 0.1)\nregion B = Ω \\ A \\ hole")
    with pytest.warns(IllPosedWarning, match=r"^line 6: no equation holds on a part of Ω of measure 0.03142"):
        sp.parse(holed + "-Δu1 = 1\n-Δu2 = 1\nu2 = 0 on ∂Ω\nu1 = u2 on interface(A, B)\n")
