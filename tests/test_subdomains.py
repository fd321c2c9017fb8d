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
