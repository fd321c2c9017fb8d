"""Global integral constraints `∫ p = 1`: one scalar term (∫ p − 1)², from text and SymPy.

The compiled term is evaluated on closed-form densities (its fields replaced by the
functions themselves), so it must vanish exactly where the integral has the value.
"""

import numpy as np
import pytest
import sympy

import symbolic_pinn
from symbolic_pinn import PinnError
from symbolic_pinn._training.train import result_precision

DENSITY_1D = "x in [0, 1]\nfield p(x)\nDx(p) = 2\n∫ p = 1 weight 10\n"
DENSITY_2D = "x in [0, 1]; y in [0, 2]\nfield p(x, y)\nDx(p) = y\n∫ p = 1\n"
SLICE = "x in [0, 2]; t in [0, 1]\nfield u(x, t)\nDt(u) = x/2\n∫ u = 1 at t = 0\n"


@pytest.fixture(scope="module")
def density_1d():
    return symbolic_pinn.compile(DENSITY_1D, width=8, depth=1)


def _grid(n, *intervals):
    """The midpoints of an n^d grid: exact integrals of low-degree polynomials by the midpoint rule."""
    axes = [lo + (hi - lo) * (np.arange(n) + 0.5) / n for lo, hi in intervals]
    return tuple(np.asarray(a.ravel(), np.float32) for a in np.meshgrid(*axes, indexing="ij"))


def _constraint_loss(compiled, monkeypatch, fields, points, term="integral"):
    """The term's loss from the generated ``losses``, with the networks replaced by ``fields``."""
    monkeypatch.setattr(compiled.module, "fields", lambda params: fields)
    return float(compiled.module.losses(None, {name: points for name in compiled.module.WEIGHTS})[term])


def test_term_is_named_weighted_and_emitted(density_1d):
    term = next(t for t in density_1d.ir.terms if t.kind == "integral")
    assert (term.name, term.weight, term.target) == ("integral", 10.0, 1.0)
    assert density_1d.module.MEASURES == {"integral": 1}
    assert '"integral": (MEASURES["integral"] * jnp.mean(r["integral"]) - 1) ** 2,' in density_1d.source
    assert "term integral: integral = 1 on interior, weight 10" in density_1d.format_ir()


def test_1d_density_vanishes_on_exact_and_not_on_wrong(density_1d, monkeypatch):
    x = _grid(400, (0, 1))
    exact = _constraint_loss(density_1d, monkeypatch, {"p": lambda x: 2 * x}, x)  # ∫ 2x = 1
    wrong = _constraint_loss(density_1d, monkeypatch, {"p": lambda x: 3 * x}, x)  # ∫ 3x = 3/2
    assert exact < 1e-10
    assert wrong == pytest.approx(0.25, rel=1e-4)


def test_2d_density_uses_the_measure_of_the_domain(monkeypatch):
    compiled = symbolic_pinn.compile(DENSITY_2D, width=8, depth=1)
    points = _grid(60, (0, 1), (0, 2))
    assert compiled.module.MEASURES["integral"] == 2
    exact = _constraint_loss(compiled, monkeypatch, {"p": lambda x, y: x * y}, points)  # (1/2)·2 = 1
    wrong = _constraint_loss(compiled, monkeypatch, {"p": lambda x, y: 1 + 0 * x * y}, points)  # the area, 2
    assert exact < 1e-10
    assert wrong == pytest.approx(1.0, rel=1e-4)


def test_time_slice_integrates_over_the_other_variables(monkeypatch):
    compiled = symbolic_pinn.compile(SLICE, width=8, depth=1)
    term = next(t for t in compiled.ir.terms if t.kind == "integral")
    assert term.region.describe() == "t = 0" and compiled.module.MEASURES["integral"] == 2
    x = _grid(400, (0, 2))[0]
    points = (x, np.zeros_like(x))
    exact = _constraint_loss(compiled, monkeypatch, {"u": lambda x, t: x * (1 + t) / 2}, points)  # ∫₀² x/2 = 1
    wrong = _constraint_loss(compiled, monkeypatch, {"u": lambda x, t: x + 0 * t}, points)  # 2
    assert exact < 1e-10
    assert wrong == pytest.approx(1.0, rel=1e-4)


def test_sympy_front_end_gives_the_same_terms(density_1d):
    x, y, t = (sympy.Symbol(n, real=True) for n in "xyt")
    p = sympy.Function("p")(x)
    spec = symbolic_pinn.from_sympy(
        {x: (0, 1)},
        [p],
        [sympy.Eq(p.diff(x), 2), symbolic_pinn.Equation(sympy.Eq(sympy.Integral(p, (x, 0, 1)), 1), weight=10)],
    )
    assert symbolic_pinn.compile(spec, width=8, depth=1).ir.terms == density_1d.ir.terms
    # a slice: the integral over x, on the face t = 0
    u = sympy.Function("u")(x, t)
    on_slice = symbolic_pinn.Equation(sympy.Eq(sympy.Integral(u, (x, 0, 2)), 1), on={t: 0})
    spec = symbolic_pinn.from_sympy({x: (0, 2), t: (0, 1)}, [u], [sympy.Eq(u.diff(t), x / 2), on_slice])
    assert symbolic_pinn.compile(spec, width=8, depth=1).ir.terms == symbolic_pinn.compile(SLICE, width=8).ir.terms


@pytest.mark.parametrize(
    "line, region, integrand, target",
    [
        ("∫(p) = 1", "interior", "p(x, y)", 1.0),
        ("integral(p) = 1", "interior", "p(x, y)", 1.0),
        ("1 = ∫ p weight 3", "interior", "-p(x, y)", -1.0),
        ("2*∫ p + 1 = ∫ q", "interior", "2*p(x, y) - q(x, y)", -1.0),
        ("∫ p = 0 on ∂Ω", "boundary", "p(x, y)", 0.0),
        ("∮ p = 0.5", "boundary", "p(x, y)", 0.5),
        ("∫ p = 1 at x = 0", "x = 0", "p(x, y)", 1.0),
    ],
)
def test_spellings(line, region, integrand, target):
    spec = symbolic_pinn.parse(f"x in [0, 1]; y in [0, 2]\nfield p(x, y), q(x, y)\nDx(p) = 2\nDx(q) = 1\n{line}\n")
    term = spec.terms[-1]
    assert (term.kind, term.region.describe(), term.target, str(term.expr)) == ("integral", region, target, integrand)


@pytest.mark.parametrize(
    "line, message, column",
    [
        ("∫ x = 1", "this integral involves no field", 1),
        ("∫ p = x", "but x is outside its integrals", 1),
        ("∫ p + p = 1", "but p is outside its integrals", 1),
        ("∫ p * ∫ p = 1", "a sum of integrals equal to a number", 1),
        ("∫ p + ∮ p = 1", "cannot add an integral over Ω (∫) to one over the boundary (∮)", 1),
        ("∮ p = 1 at x = 0", "∮ is over the whole boundary, not over x = 0", 9),
    ],
)
def test_misuse_is_a_located_error(line, message, column):
    with pytest.raises(PinnError) as info:
        symbolic_pinn.parse(f"x in [0, 1]\nfield p(x)\nDx(p) = 2\n{line}\n")
    rendered = info.value.render()
    assert message in rendered
    assert f":4:{column}" in rendered and "^" in rendered


def test_sympy_integral_over_part_of_the_domain_is_an_error():
    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    p = sympy.Function("p")(x, y)
    for integral, message in [
        (sympy.Integral(p, (y, 0, 1)), "must run over all the variables"),
        (sympy.Integral(p, (x, 0, 2), (y, 0, 1)), "are not its interval"),
        (sympy.Integral(x * y, (x, 0, 1), (y, 0, 1)), "involves no field"),
    ]:
        with pytest.raises(PinnError, match=message):
            symbolic_pinn.from_sympy({x: (0, 1), y: (0, 1)}, [p], [sympy.Eq(p.diff(x), 1), sympy.Eq(integral, 1)])


NEUMANN = """\
x in [0, 1]
field u(x)
-Dxx(u) = pi^2*cos(pi*x)
Dx(u) = 0 at x = 0
Dx(u) = 0 at x = 1
∫ u = 0
exact u = cos(pi*x)
"""


@pytest.mark.slow  # about a minute on the shared 2-core machine
def test_neumann_problem_is_fixed_by_its_mean():
    # unique only up to a constant without `∫ u = 0`; with it, u = cos(πx)
    compiled = symbolic_pinn.compile(NEUMANN, width=16, depth=2)
    result = compiled.train(adam_steps=200, bfgs_steps=150, interior_points=64, progress=False)
    assert "integral" in result.metrics["losses"] and "integral" in result.history[-1]
    x = np.linspace(0, 1, 201)
    with result_precision(result.params):  # the finish trains in float64
        u = np.asarray(compiled.module.fields(result.params)["u"](x))
    assert np.max(np.abs(u - np.cos(np.pi * x))) < 1e-4


def test_derive_and_least_squares_refuse_a_constraint_clearly(density_1d):
    from symbolic_pinn._training.least_squares import term_residuals

    with pytest.raises(PinnError, match="Lagrange multiplier"):
        symbolic_pinn.derive(symbolic_pinn.parse("x in [0, 1]\nfield u(x)\nminimize ∫ Dx(u)^2\n∫ u = 1\n"))
    with pytest.raises(PinnError, match="is an integral constraint, not a mean square"):
        term_residuals(density_1d)


def test_micro_batches_are_refused(density_1d):
    with pytest.raises(PinnError, match="micro_batch = 2 cannot split the integral constraint `∫ p = 1 weight 10`"):
        density_1d.train(adam_steps=1, bfgs_steps=0, micro_batch=2, progress=False)
