"""Conditions on part of a face or of the boundary (`u = 1 at y = 1 where x < 0.5`) and the
outward normal by name (`n`, `n_x`): where the points are, how large the set is, what the
rest of ∂Ω is, which conditions are built into a network, and the errors (issue #28)."""

import warnings

import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn._compiler.exact import unsatisfied
from symbolic_pinn._runtime import sample_points

HEAD = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 0\n"
CAVITY = HEAD + "u = 1 at y = 1 where x > 0.25 and x < 0.75\nu = 0 on ∂Ω\n"


def _parse(text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.ReadingWarning)
        return sp.parse(text)


@pytest.fixture(scope="module")
def cavity():
    return sp.compile(CAVITY, width=4, depth=1)


def _points(compiled, term, n=512):
    m = compiled.module
    return dict(zip(m.DOMAIN, sample_points(5, m.REGIONS[term], n, m.DOMAIN, m.SHAPE)))


def test_the_lid_points_lie_on_the_lid_only(cavity):
    lid = _points(cavity, "bc1")
    assert len(lid["x"]) == 512
    assert np.all(lid["y"] == 1.0)
    assert np.all((lid["x"] > 0.25) & (lid["x"] < 0.75))
    # spread over the lid, as the face's points are over the face: the mean of a uniform law on it
    assert abs(np.mean(lid["x"]) - 0.5) < 0.01 and np.ptp(lid["x"]) > 0.49


def test_the_rest_of_the_boundary_keeps_the_rest_of_the_lids_face(cavity):
    rest = _points(cavity, "bc2", 2048)
    on_lid = (rest["y"] == 1.0) & (rest["x"] > 0.25) & (rest["x"] < 0.75)
    assert not on_lid.any()
    on_face = rest["y"] == 1.0
    assert on_face.sum() > 100  # y = 1 beside the lid is still the rest
    # every point is on ∂Ω, spread by length: the rest is 3.5 long, 0.5 of it on y = 1
    assert np.all((rest["x"] == 0) | (rest["x"] == 1) | (rest["y"] == 0) | (rest["y"] == 1))
    assert abs(on_face.mean() - 0.5 / 3.5) < 0.02


def test_a_restricted_dirichlet_condition_is_not_built_into_the_network():
    text = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\nu = 0 at x = 0 where y < 0.5\nu = 0 at x = 1\n"
    compiled = sp.compile(text, hard_constraints=True, width=4, depth=1)
    assert compiled.built_in == {"u": ["u = 0 at x = 1"]}
    assert "bc1" in compiled.module.WEIGHTS and compiled.module.REGIONS["bc1"][0] == "where"  # a loss term
    # the same face without the predicate is built in: both faces of x
    whole = sp.compile(text.replace(" where y < 0.5", ""), hard_constraints=True, width=4, depth=1)
    assert whole.built_in == {"u": ["u = 0 at x = 0", "u = 0 at x = 1"]}


def test_the_rest_of_a_built_in_boundary_with_a_restricted_part_is_a_loss_term():
    compiled = sp.compile(CAVITY, hard_constraints=True, width=4, depth=1)
    assert set(compiled.module.WEIGHTS) == {"pde", "bc1", "bc2"}  # nothing built in as if on all of ∂Ω


MEASURES = {
    # the condition, its measure by hand
    "half of the top face": ("∫ u = 1 at y = 1 where x < 0.5", 0.5),
    "a chained comparison": ("∫ u = 1 at x = 0 where 0.2 < y <= 0.7", 0.5),
    "a quadratic in one variable (solved)": ("∫ u = 1 at y = 0 where 4*x^2 < 1", 0.5),
    "either end": ("∫ u = 1 at y = 1 where x < 0.1 or x > 0.8", 0.3),
}


@pytest.mark.parametrize("name", list(MEASURES))
def test_the_measure_of_a_restricted_face_is_exact(name):
    condition, measure = MEASURES[name]
    spec = _parse(HEAD + condition + "\n")
    assert spec.terms[-1].region.measure(_Domain(spec)) == pytest.approx(measure, abs=1e-12)


ESTIMATED = {
    # ∂[0, 1]² where x² + y² > 1: the faces x = 1 and y = 1, 2 of its length 4
    "two whole faces": ("∫ u = 1 on ∂Ω where x^2 + y^2 > 1", 2.0),
    # x = 0 below y = 1/2 and y = 0 left of x = 1/2
    "two half faces": ("∫ u = 1 on ∂Ω where x^2 + y^2 < 0.25", 1.0),
}


@pytest.mark.parametrize("name", list(ESTIMATED))
def test_a_predicate_in_two_variables_is_measured_on_a_lattice(name):
    condition, measure = ESTIMATED[name]
    spec = _parse(HEAD + condition + "\n")
    # 2^14 midpoints on each face: within 1/2^14 of each face's length
    assert spec.terms[-1].region.measure(_Domain(spec)) == pytest.approx(measure, abs=1e-4)


def test_a_predicate_sympy_cannot_solve_is_measured_on_a_lattice():
    # x² + sin x < 1/2 on [0, 1] is x < r, r the root that SciPy's brentq finds
    from scipy.optimize import brentq

    spec = _parse(HEAD + "∫ u = 1 at y = 1 where x^2 + sin(x) < 0.5\n")
    root = brentq(lambda x: x * x + np.sin(x) - 0.5, 0, 1, xtol=1e-14)
    assert spec.terms[-1].region.measure(_Domain(spec)) == pytest.approx(root, abs=2e-5)  # 2^16 midpoints


def test_the_module_scales_a_restricted_integral_by_its_measure():
    compiled = sp.compile(HEAD + "u = 0 on ∂Ω\n∫ u = 0.3 at y = 1 where x < 0.5\n", width=4, depth=1)
    assert compiled.module.MEASURES == {"integral": 0.5}


class _Domain:
    """What a region's measure reads (the IR's Program is one), from a Spec."""

    def __init__(self, spec):
        self.variables = tuple(_Variable(s.name, lo, hi) for s, lo, hi in spec.variables)
        self.shape, self.parameters, self.time = spec.shape, spec.parameters, spec.time


class _Variable:
    def __init__(self, name, lo, hi):
        self.name, self.lo, self.hi = name, float(lo), float(hi)


def test_only_the_restricted_points_are_checked_against_the_exact_solution():
    # u = xy is min(x, 0.5) on y = 1 only where x < 0.5: the restricted condition holds, the whole face does not
    text = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔu = 0\nu = min(x, 0.5) at y = 1{}\nu = x*y on ∂Ω\nexact u = x*y\n"
    assert unsatisfied(text.format(" where x < 0.5")) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.ReadingWarning)  # the jump of the data at (1, 1)
        found = unsatisfied(text.format(""))
    assert len(found) == 1 and "`u = min(x, 0.5) at y = 1`" in found[0]


ERRORS = {
    # condition, words of the message, column of the caret
    "empty on the face": ("u = 1 at y = 1 where x > 2", "holds nowhere on y = 1", 22),
    "the face's own variable": ("u = 1 at y = 1 where y < 0.5", "y is 1 at every point of the face", 22),
    "a field in it": ("u = 1 at y = 1 where u > 0", "may use only the variables", 22),
    "an equation in Ω": ("u = 1 where x > 0.5", "not an equation in Ω", 13),
    "a comparison that is always false": ("u = 0 on ∂Ω where 1 > 2", "holds nowhere on boundary", 19),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_a_bad_predicate_is_a_located_error(name):
    condition, words, column = ERRORS[name]
    with pytest.raises(sp.PinnError) as caught:
        sp.parse(HEAD + condition + "\n")
    assert words in str(caught.value)
    assert (caught.value.span.line, caught.value.span.column) == (4, column)


def test_overlapping_restricted_conditions_that_disagree_are_an_error_naming_both():
    with pytest.raises(sp.PinnError) as caught:
        sp.parse(HEAD + "u = 1 at y = 1 where x < 0.5\nu = 2 at y = 1 where x < 0.25\n")
    assert "contradicts line 4" in str(caught.value) and caught.value.span.line == 5
    with pytest.raises(sp.PinnError, match="contradicts line 4"):  # the whole face against a part of it
        sp.parse(HEAD + "u = 1 at y = 1\nu = 2 at y = 1 where x > 0.5\n")


def test_restricted_conditions_on_disjoint_parts_do_not_contradict():
    spec = _parse(HEAD + "u = 1 at y = 1 where x < 0.5\nu = 2 at y = 1 where x > 0.5\nu = 0 on ∂Ω\n")
    rest = spec.terms[-1].region
    assert rest.describe() == "boundary where not (y = 1 and (x < 0.5) or y = 1 and (x > 0.5))"


def test_the_sympy_front_end_gives_the_same_regions():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    spec = sp.from_sympy(
        {x: (0, 1), y: (0, 1)},
        [u],
        [
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), 0),
            sp.Equation(sympy.Eq(u, 1), on={y: 1}, where=(x > 0.25) & (x < 0.75)),
            sp.Equation(sympy.Eq(u, 0), on="boundary"),
        ],
    )
    text = _parse(CAVITY)
    assert [t.region.sampled() for t in spec.terms] == [t.region.sampled() for t in text.terms]
    assert spec.terms[1].region.describe() == "y = 1 where x > 0.25 and x < 0.75"
    with pytest.raises(sp.PinnError, match="holds nowhere"):
        sp.from_sympy({x: (0, 1), y: (0, 1)}, [u], [sp.Equation(sympy.Eq(u, 1), on={y: 1}, where=x > 3)])


def test_a_restricted_condition_is_written_back_as_text():
    from symbolic_pinn._frontend.unparse import unparse

    again = sp.parse(unparse(_parse(CAVITY)))
    assert [t.region.sampled() for t in again.terms] == [t.region.sampled() for t in _parse(CAVITY).terms]


# ---- the outward normal by name ------------------------------------------------------------

SQUARE = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\n"


@pytest.mark.parametrize(
    "condition",
    ["dot(∇u, n) = 0 on ∂Ω", "n_x*Dx(u) + n_y*Dy(u) = 0 on ∂Ω", "dot(n, grad(u)) = 0 on ∂Ω"],
)
def test_the_normal_by_name_is_the_normal_derivative(condition):
    assert _parse(SQUARE + condition).terms[1].expr == _parse(SQUARE + "Dn(u) = 0 on ∂Ω").terms[1].expr


def test_a_name_the_problem_declares_is_its_own():
    spec = _parse("x in [0, 1]; y in [0, 1]\nfield u(x, y), n(x, y)\n-Δu = n\n-Δn = 1\nu = 0 on ∂Ω\nn = 0 on ∂Ω\n")
    assert spec.terms[0].expr.atoms(sympy.core.function.AppliedUndef) >= {sympy.Function("n", real=True)(*_xy())}
    spec = _parse(SQUARE.replace("-Δu = 1", "const n_x = 3\n-Δu = n_x") + "u = 0 on ∂Ω\n")
    assert spec.terms[0].expr.free_symbols.isdisjoint({sympy.Symbol("n_x", real=True)})


def _xy():
    return sympy.symbols("x y", real=True)


def test_the_normal_inside_the_domain_is_a_located_error():
    with pytest.raises(sp.PinnError, match="defined only on the boundary") as caught:
        sp.parse(SQUARE + "u = n_x\n")
    assert caught.value.span.line == 4


def test_the_normal_on_a_restricted_face_reaches_the_module():
    compiled = sp.compile(SQUARE + "n_x*u = 1 at x = 1 where y < 0.5\nu = 0 on ∂Ω\n", width=4, depth=1)
    m = compiled.module
    assert "bc1" in m.NORMALS
    columns = sample_points(2, m.REGIONS["bc1"], 64, m.DOMAIN, m.SHAPE, normals=True)
    assert np.all(columns[2] == 1.0) and np.all(columns[3] == 0.0) and np.all(columns[1] < 0.5)


def test_the_sympy_normal_is_the_texts():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    spec = sp.from_sympy(
        {x: (0, 1), y: (0, 1)},
        [u],
        [
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), 1),
            sp.Equation(sp.normal(x) * u.diff(x) + sp.normal(y) * u.diff(y), on="boundary"),
        ],
    )
    assert spec.terms[1].expr == _parse(SQUARE + "Dn(u) = 0 on ∂Ω").terms[1].expr


# ---- a line starting with a tuple of fields ------------------------------------------------

PAIR = "x in [0, 1]; t in [0, 1]\nfield u(x, t), v(x, t)\nDt(u) = Dxx(v)\nDt(v) = Dxx(u)\n"


def test_a_line_starting_with_a_tuple_of_fields_is_one_condition_per_component():
    u, v = (sympy.Function(f, real=True)(*sympy.symbols("x t", real=True)) for f in "uv")
    x = sympy.Symbol("x", real=True)
    spec = _parse(PAIR + "(u, v) = (sin(x), cos(x)) at t = 0\nu = 0 on ∂Ω\nv = 0 on ∂Ω\n")
    initial = [t for t in spec.terms if t.region.describe() == "t = 0"]
    assert [t.expr for t in initial] == [u - sympy.sin(x), v - sympy.cos(x)]


def test_a_domain_still_reads_and_a_number_in_its_names_is_a_located_error():
    assert _parse("(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω\n").shape[0] == ("x", "y")
    with pytest.raises(sp.PinnError, match="declared for variables") as caught:
        sp.parse("(x, 2) in disk((0, 0), 1)\n")
    assert (caught.value.span.line, caught.value.span.column) == (1, 5)


def test_derive_gives_the_natural_condition_only_off_the_restricted_part():
    energy = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nminimize ∫ (|∇u|^2/2 - u)\nu = 0 at x = 0 where y < 0.5\n"
    lines = sp.derive(_parse(energy + "u = 0 at x = 1\n")).splitlines()
    assert "(if y < 0.5 then 0 else -D(u, x)) = 0 at x = 0" in lines  # the free half of x = 0
    assert "-D(u, y) = 0 at y = 0" in lines and "D(u, y) = 0 at y = 1" in lines
    # with the rest of ∂Ω given, every point carries a value: no natural condition is left
    rest = sp.derive(_parse(energy + "u = 0 on ∂Ω\n")).splitlines()
    assert not [line for line in rest if "D(u, x)) = 0" in line or "D(u, y) = 0" in line]


def test_initial_data_given_piecewise_are_initial_conditions_and_not_built_in():
    text = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\n"
    text += "u = 1 at t = 0 where x < 0.5\nu = 0 at t = 0 where x >= 0.5\nu = 0 on ∂Ω\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.ReadingWarning)  # u jumps at (0, 0)
        compiled = sp.compile(text, width=4, depth=1)
    assert list(compiled.module.REGIONS) == ["pde", "ic1", "ic2"]  # the boundary condition is built in
    assert compiled.built_in == {"u": ["u = 0 on ∂Ω"]}


# ---- D as a value's name -------------------------------------------------------------------

HEAT = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\n{}\nDt(u) = D*Dxx(u)\nu = sin(pi*x) at t = 0\nu = 0 on ∂Ω\n"


def test_a_value_may_be_named_d_and_d_of_arguments_stays_the_derivative():
    x, t = sympy.symbols("x t", real=True)
    u = sympy.Function("u", real=True)(x, t)
    spec = _parse(HEAT.format("const D = 0.1").replace("Dxx(u)", "D(u, x, x)"))
    assert spec.terms[0].expr == u.diff(t) - sympy.Float(0.1) * u.diff(x, 2)
    compiled = sp.compile(HEAT.format("unknown D = 0.5"), width=4, depth=1)
    assert compiled.module.UNKNOWNS == {"D": 0.5}


@pytest.mark.parametrize("declaration", ["field D(x, t)", "let D(a) = a"])
def test_a_field_or_function_named_d_is_a_located_error(declaration):
    with pytest.raises(sp.PinnError, match="'D' is the derivative operator") as caught:
        sp.parse(HEAT.format(declaration))
    assert caught.value.span.line == 3


def test_a_normal_component_alone_is_written_back_as_n_x():
    from symbolic_pinn._frontend.unparse import unparse

    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    flux = sp.Equation(sympy.Eq(sp.normal_derivative(u, [x]), 0), on={x: 1})  # n_x·∂u/∂x, not all of Dn(u)
    spec = sp.from_sympy({x: (0, 1), y: (0, 1)}, [u], [sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), 1), flux])
    text = unparse(spec)
    assert "n_x*D(u, x) = 0 at x = 1" in text
    assert _parse(text).terms[1].expr == spec.terms[1].expr
