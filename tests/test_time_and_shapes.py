"""The time variable's one home (found from the program, carried as Spec.time / Program.time),
φ of every shape that has one, parts of a boundary as values, and functions written as
templates in the function table evaluated by the exact-constraint checks.

Geometry is checked with plain numpy against the shape's own boundary points; the
initial value against the data g evaluated here with numpy; no training."""

import glob
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from test_hard_constraints import _random_params  # random weights for any compiled problem

import symbolic_pinn as sp
from symbolic_pinn import _functions as functions
from symbolic_pinn._compiler import hard, ir
from symbolic_pinn._frontend import time_variable
from symbolic_pinn._frontend.parse import parse_text
from symbolic_pinn._runtime import geometry

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"

TAU_HEAT = (
    "x in [0, 1]; tau in [0, 2]\nfield u(x, tau)\nD(u, tau) = Δu + Dx(u)\n"
    "u = x*(1 - x) + sin(pi*x)*cos(x) at tau = 0\nu = 0 on ∂Ω"
)


def _g(x):
    return x * (1 - x) + np.sin(np.pi * x) * np.cos(x)


# ---- which variable is time -------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(glob.glob(str(EXAMPLES / "*.pinn"))), ids=lambda p: pathlib.Path(p).stem)
def test_each_example_keeps_its_time(path):
    """A variable named t, Black–Scholes' tau, and no time anywhere else (Stokes' first-order Dy(p)
    with `p = … at y = 0` is not an evolution: p has no second derivative)."""
    text = pathlib.Path(path).read_text()
    declared = {
        line.split(" in ")[0].strip().removeprefix("time ")  # `time tau in [0, 1]` declares tau as time
        for line in text.replace(";", "\n").splitlines()
        if " in [" in line
    }
    expected = "t" if "t" in declared else "tau" if "tau" in declared else None
    assert time_variable.from_syntax(parse_text(text, path)) == expected
    assert sp.parse(text, path).time == expected


@pytest.mark.parametrize(
    "text, time",
    [
        (TAU_HEAT, "tau"),
        ("s in [0, 1]; x in [0, 1]\nfield u(x, s)\nD(u, s) = D(u, x, x)\nu(x, 0) = x\nu = 0 on ∂Ω", "s"),
        # the condition at the upper end: a final condition, not an initial one
        ("x in [0, 1]; s in [0, 1]\nfield u(x, s)\nD(u, s) = D(u, x, x)\nu = x at s = 1", None),
        # second order in s: not time by the rule (a variable named t would be)
        ("x in [0, 1]; s in [0, 1]\nfield u(x, s)\nD(u, s, s) = D(u, x, x)\nu = x at s = 0", None),
        # one variable, first order: an ODE in space (volterra.pinn), no time
        ("x in [0, 3]\nfield u(x)\nDx(u) = -u\nu = 1 at x = 0", None),
        # x also differentiated once only: no second order in space
        ("x in [0, 1]; s in [0, 1]\nfield u(x, s)\nD(u, s) = D(u, x)\nu = x at s = 0", None),
        # div(∇u) is of second order, through a `let`
        (
            "x in [0, 1]; s in [0, 1]\nfield u(x, s)\nlet q = grad(u)\nD(u, s) = div(q)\nu = x at s = 0\nu = 0 on ∂Ω",
            "s",
        ),
    ],
)
def test_the_time_rule(text, time):
    assert sp.parse(text).time == time


def test_time_leaves_space_for_laplace_and_the_boundary():
    spec = sp.parse(TAU_HEAT)
    x, tau = sympy.symbols("x tau", real=True)
    pde = spec.terms[0].expr
    assert not any(d.variable_count == ((tau, 2),) for d in pde.atoms(sympy.Derivative))  # Δ leaves tau out
    program = sp.compile(TAU_HEAT, width=2, depth=1).ir
    assert program.time == "tau" and program.spatial == ("x",)
    assert ir.BOUNDARY.measure(program) == pytest.approx(2 * 2.0)  # the ends x = 0, 1, at every tau


def test_the_sympy_front_end_finds_the_same_time():
    x, tau = sympy.symbols("x tau")
    u = sympy.Function("u")(x, tau)
    spec = sp.from_sympy(
        variables={x: (0, 1), tau: (0, 2)},
        fields=[u],
        terms=[
            sympy.Eq(u.diff(tau), u.diff(x, 2)),
            sp.Equation(sympy.Eq(u, x * (1 - x)), on={tau: 0}),
            sp.Equation(u, on="boundary"),
        ],
    )
    assert spec.time == "tau"


# ---- an initial condition on tau, built in ----------------------------------------------


def test_a_smooth_initial_condition_on_tau_is_built_in_and_exact():
    c = sp.compile(TAU_HEAT, width=8, depth=2, exact_initial=True, hard_constraints=True)
    assert list(c.module.WEIGHTS) == ["pde"]  # ic and bc left the loss
    plan = c.format_plan()
    assert "u = x*(1 - x) + sin(pi*x)*cos(x) at tau = 0    (term ic leaves the loss)" in plan
    xs = np.linspace(0, 1, 33)
    with jax.enable_x64(True):
        for seed in range(2):
            u = c.module.fields(_random_params(c, seed))["u"]
            at_start = np.asarray(u(jnp.asarray(xs), jnp.zeros(33)))
            assert np.max(np.abs(at_start - _g(xs))) < 1e-12
            later = np.asarray(u(jnp.asarray(xs), jnp.full(33, 1.0)))
            assert np.max(np.abs(later - _g(xs))) > 1e-6  # the network is free after the start


def test_a_kinked_initial_condition_on_tau_is_named_initial_and_stays_a_term():
    """Black–Scholes: the payoff has a kink (kept as a term, test_exact_constraints), and the plan says why."""
    c = sp.compile((EXAMPLES / "black_scholes.pinn").read_text(), width=2, depth=1, hard_constraints=True)
    assert "ic" in c.module.WEIGHTS
    assert "term ic: u = max(S - K, 0) at tau = 0    initial (tau is time), but stays a loss term: its data have a " \
        "kink or a jump" in c.format_plan()  # fmt: skip


# ---- functions written as templates ------------------------------------------------------


def test_template_rows_evaluate_in_the_checks():
    """sech is `jnp.reciprocal(jnp.cosh({}))` in the table; besselj1 a runtime function."""
    xs = np.linspace(-2, 2, 9)
    with jax.enable_x64(True):
        got = hard._evaluate(ir.Call("sech", ir.Var("x")), {"x": xs})
        assert np.allclose(np.asarray(got), 1 / np.cosh(xs), rtol=1e-14)
        assert np.allclose(np.asarray(hard._evaluate(ir.Call("besselj1", ir.Var("x")), {"x": xs})),
                           [float(sympy.besselj(1, v)) for v in xs], atol=1e-13)  # fmt: skip
    with pytest.raises(TypeError, match="internal error"):  # never read as "the data disagree"
        hard._equal(lambda: (hard._evaluate(ir.Observed("u"), {"x": xs}), xs))
    assert functions.lookup("sech").jax.count("{}") == 1


def test_periodic_data_written_with_sech_are_built_in():
    """Before, evaluating sech raised inside the periodicity check, which read it as 'not periodic'."""
    text = (
        "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = sech(sin(pi*x)) at t = 0\n"
        "u(-1, t) = u(1, t)\nDx(u)(-1, t) = Dx(u)(1, t)"
    )
    plan = sp.compile(text, width=2, depth=1, exact_initial=True).format_plan()
    assert "u = sech(sin(pi*x)) at t = 0    (term ic leaves the loss)" in plan


def test_schrodinger_keeps_its_real_initial_condition_as_a_term_because_it_is_not_periodic():
    """2 sech(x) is even, so its value and second derivative agree at x = ±5, but its first
    derivative does not (∓0.027): with the periodic embedding N is periodic, so u = g + τ·N could
    not meet Dx(h)(-5, t) = Dx(h)(5, t); h_im's initial value 0 is built in."""
    c = sp.compile((EXAMPLES / "schrodinger.pinn").read_text(), width=2, depth=1)
    assert "h_re" not in c.exact or not c.exact["h_re"].imposed
    assert "term ic1: h = 2*sech(x) at t = 0    initial (t is time), but stays a loss term: its data are not " \
        "periodic in x" in c.format_plan()  # fmt: skip
    assert [t.name for t in c.exact["h_im"].imposed] == ["ic2"]
    slope = [float(sympy.diff(2 * sympy.sech(sympy.Symbol("x")), "x").subs("x", v)) for v in (-5, 5)]
    assert abs(slope[0] - slope[1]) > 1e-2


# ---- φ of every shape ---------------------------------------------------------------------


class _Numbers:
    """The algebra of numbers (numpy arrays): φ evaluated, independently of the IR."""

    num = staticmethod(float)

    @staticmethod
    def add(*terms):
        return sum(terms[1:], terms[0])

    @staticmethod
    def mul(*factors):
        out = factors[0]
        for f in factors[1:]:
            out = out * f
        return out

    @staticmethod
    def square(e):
        return e * e

    @staticmethod
    def minus(e, value):
        return e - value


SHAPES = {
    "disk": geometry.Ball((0.5, -1.0), 2.0),
    "unit disk": geometry.Ball((0.0, 0.0), 1.0),
    "ball": geometry.Ball((0.0, 1.0, 2.0), 0.5),
    "box": geometry.Box((0.0, 0.0), (2.0, 1.0)),
    "polygon": geometry.Polygon.build("polygon", [(0, 0), (2, 0), (2, 1), (1, 2), (0, 1)]),
    "plate": geometry.Box((-1.0, -1.0), (1.0, 1.0)) - geometry.Ball((0.0, 0.0), 0.25),
    "union": geometry.Box((0.0, 0.0), (2.0, 1.0)) | geometry.Ball((2.0, 0.5), 0.5),
}


@pytest.mark.parametrize("name", SHAPES)
def test_phi_is_zero_on_the_boundary_and_positive_inside(name):
    shape = SHAPES[name]
    d = len(shape.bounds()[0])
    x = [sympy.Symbol(f"x{i}") for i in range(d)]
    phi = shape.exact_distance(x, _Numbers)
    if name in ("box", "polygon", "plate", "union"):  # corners or combinations: no smooth φ, not built in
        assert phi is None
        return
    rng = np.random.default_rng(0)
    f = sympy.lambdify(x, phi, "numpy")
    on, _ = shape.boundary(500, lambda m, k: rng.random((m, k)), rng)
    inside = shape.interior(500, lambda m, k: rng.random((m, k)))
    assert np.max(np.abs(f(*on.T))) < 1e-12
    assert np.min(f(*inside.T)) > 0
    assert 0.5 < np.max(f(*inside.T)) <= 1.0 + 1e-12  # of order one: 1 at the centre


def test_phi_in_the_ir_is_the_shapes_own():
    """The compiler's φ of a disk domain is the shape's method, built as IR."""
    c = sp.compile("(x, y) in disk((0.5, -1), 2)\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω", width=2, depth=1)
    phi = hard._distance(c.ir)
    assert phi == SHAPES["disk"].exact_distance([ir.Var("x"), ir.Var("y")], hard._IR_ALGEBRA)
    assert c.exact["u"].distance == phi


# ---- parts of a boundary ------------------------------------------------------------------

PLATE = SHAPES["plate"]
CHANNEL = geometry.Box((0.0, 0.0), (3.0, 1.0)) - geometry.Box((0.0, 0.0), (1.0, 0.5))
PARTS = {
    "hole": (PLATE, geometry.SurfacePart(1)),
    "square": (PLATE, geometry.SurfacePart(0)),
    "rest of the plate": (PLATE, geometry.RestPart((geometry.SurfacePart(1),))),
    "inlet": (CHANNEL, geometry.PlanePart(0, 0.0)),
    "step": (CHANNEL, geometry.PlanePart(0, 1.0)),
    "rest of the channel": (CHANNEL, geometry.RestPart((geometry.PlanePart(0, 0.0), geometry.PlanePart(0, 3.0)))),
}


@pytest.mark.parametrize("name", PARTS)
def test_sampled_points_of_a_part_are_its_members(name):
    shape, part = PARTS[name]
    rng = np.random.default_rng(2)
    points, normals = shape.part_boundary(400, lambda m, k: rng.random((m, k)), rng, part)
    assert len(points) == 400
    assert shape.in_part(part, points).all()
    assert np.allclose(np.abs(shape.distance(points)), 0, atol=1e-9)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1)
    whole, _ = shape.boundary(2000, lambda m, k: rng.random((m, k)), rng)
    members = shape.in_part(part, whole)
    assert 0 < members.mean() < 1  # a part, not all of the boundary
    assert members.mean() == pytest.approx(shape.part_measure(part) / shape.measure(boundary=True), abs=0.05)


def test_parts_are_values():
    assert geometry.SurfacePart(1) == geometry.SurfacePart(1) and len({geometry.PlanePart(0, 1.0)} | {
        geometry.PlanePart(0, 1.0)}) == 1  # fmt: skip
    with pytest.raises(AttributeError):
        geometry.SurfacePart(1).index = 2


def test_every_row_of_the_function_table_evaluates_in_the_checks_as_sympy_does():
    """The checks of built-in conditions walk each row's JAX source (no eval): every row, at
    points inside its domain (the first of two sets where SymPy's values are real), against
    SymPy's own numbers."""

    def sympy_values(row, columns):
        values = [complex(row.sympy(*(sympy.Float(float(c[j])) for c in columns)).evalf(30))
                  for j in range(len(columns[0]))]  # fmt: skip
        return None if any(abs(v.imag) > 1e-12 for v in values) else [v.real for v in values]

    checked = 0
    with jax.enable_x64(True):
        for row in functions.FUNCTIONS:
            if row.composite:
                continue
            names = [f"x{i}" for i in range(row.arity)]
            # SymPy's own further arguments, as lowering keeps them (Heaviside(x) is Heaviside(x, 1/2))
            applied = row.sympy(*sympy.symbols(names))
            own = type(applied).__name__ == (row.sympy_class or row.name) != "Pow"  # sqrt(x) is lowered to a call
            extra = row.arguments(applied)[row.arity :] if own else ()
            args = (*(ir.Var(n) for n in names), *(ir.Num(float(e)) for e in extra))
            node = ir.Call(row.name, args[0]) if len(args) == 1 else ir.CallMany(row.name, args)
            for xs in (np.array([0.15, 0.35, 0.55, 0.85]), np.array([1.1, 1.3, 1.7, 2.3])):
                columns = [xs + 0.05 * i for i in range(row.arity)]
                want = sympy_values(row, columns)
                if want is not None:
                    break
            assert want is not None, row.name
            got = np.asarray(hard._evaluate(node, dict(zip(names, columns))))
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13, err_msg=row.name)
            checked += 1
    assert checked > 30
