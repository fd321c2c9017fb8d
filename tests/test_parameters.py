"""Parameters as network inputs: `param k in [1, 3]`.

A parameter is sampled like a variable, but Δ, ∇, the boundary and its normals leave
it out, as they leave out time.  The references are written here: the Laplacian of
sin(kπx) sin(πy) over (x, y) is −(k² + 1)π² sin(kπx) sin(πy), checked at k = 1, 2, 3.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn import PinnError

FAMILY = """\
x in [0, 1]; y in [0, 1]
param k in [1, 3]
field u(x, y, k)
-Δu = (k^2 + 1)*pi^2*sin(k*pi*x)*sin(pi*y)
u = sin(k*pi*x)*sin(pi*y) on ∂Ω
Dn(u) = -k*pi*sin(pi*y) at x = 0
exact u = sin(k*pi*x)*sin(pi*y)
"""


@pytest.fixture(scope="module")
def family():
    # the conditions stay terms, residual_bc1 and residual_bc2, to check on the exact solution
    return sp.compile(FAMILY, width=8, depth=1, hard_constraints=False)


def test_the_laplacian_and_the_normal_leave_the_parameter_out():
    spec = sp.parse(FAMILY)
    x, y, k = sympy.symbols("x y k", real=True)
    u = sympy.Function("u", real=True)(x, y, k)
    assert spec.parameters == ("k",)
    pde = spec.terms[0].expr
    source = (k**2 + 1) * sympy.pi**2 * sympy.sin(k * sympy.pi * x) * sympy.sin(sympy.pi * y)
    assert sympy.expand(pde - (-u.diff(x, 2) - u.diff(y, 2) - source)) == 0
    assert not any(k in d.variables for d in pde.atoms(sympy.Derivative))
    normal = spec.terms[2].expr
    assert {s.name for s in normal.free_symbols} == {"n_x", "n_y", "x", "y", "k"}


def test_boundary_points_spread_over_the_parameter_on_the_spatial_faces(family):
    m = family.module
    assert m.PARAMETERS == ("k",)
    columns = m.sample_region(0, m.REGIONS["bc1"], 800, m.DOMAIN, m.SHAPE, True, parameters=m.PARAMETERS)
    assert len(columns) == 3 + 2  # x, y, k and the normal along x and y only
    x, y, k, nx, ny = map(np.asarray, columns)
    on_face = np.isin(x, [0.0, 1.0]) | np.isin(y, [0.0, 1.0])
    assert np.all(on_face)
    assert np.all((k > 1) & (k < 3)) and np.ptp(k) > 1.8  # k is never a face, and covers [1, 3]
    assert np.allclose(np.abs(nx) + np.abs(ny), 1.0)
    assert np.all(nx[x == 1.0] == 1.0) and np.all(ny[y == 0.0] == -1.0)


@pytest.mark.parametrize("k", [1.0, 2.0, 3.0])
def test_manufactured_solution_at_three_parameter_values(family, k, x64):
    m = family.module
    rng = np.random.default_rng(int(k))
    x, y = rng.random(200), rng.random(200)
    kk = np.full(200, k)
    exact = m.EXACT["u"]
    pde = m.residual_pde(exact, jnp.asarray(x), jnp.asarray(y), jnp.asarray(kk))
    assert float(jnp.max(jnp.abs(pde))) < 1e-9
    # the reference Laplacian, by hand: −Δu = (k² + 1)π² u, so 2u has twice the source
    wrong = m.residual_pde(lambda *a: 2 * exact(*a), jnp.asarray(x), jnp.asarray(y), jnp.asarray(kk))
    reference = (k**2 + 1) * np.pi**2 * np.sin(k * np.pi * x) * np.sin(np.pi * y)
    assert np.allclose(np.asarray(wrong), reference, atol=1e-8)
    for edge in (np.zeros(200), np.ones(200)):
        bc = m.residual_bc1(exact, jnp.asarray(edge), jnp.asarray(y), jnp.asarray(kk))
        assert float(jnp.max(jnp.abs(bc))) < 1e-12
    dn = m.residual_bc2(exact, jnp.zeros(200), jnp.asarray(y), jnp.asarray(kk), -jnp.ones(200), jnp.zeros(200))
    assert float(jnp.max(jnp.abs(dn))) < 1e-9


def test_a_parameter_has_no_faces_and_is_not_time():
    with pytest.raises(PinnError, match="'k' is a parameter: it has no faces") as info:
        sp.parse("x in [0, 1]\nparam k in [1, 3]\nfield u(x, k)\n-Dxx(u) = k\nu = 0 at k = 1\n")
    assert (info.value.span.line, info.value.span.column) == (5, 10)
    with pytest.raises(PinnError, match="'t' is time, not a parameter"):
        sp.parse("x in [0, 1]\nparam t in [0, 1]\nfield u(x, t)\n-Dxx(u) = 1\n")
    with pytest.raises(PinnError, match="no spatial variable"):
        sp.parse("param k in [0, 1]\nfield u(k)\nu = k\nu = 0 on ∂Ω\n")


def test_the_sympy_front_end_gives_the_same_problem():
    x, y, k = sympy.symbols("x y k")
    u = sympy.Function("u")(x, y, k)
    exact = sympy.sin(k * sympy.pi * x) * sympy.sin(sympy.pi * y)
    spec = sp.from_sympy(
        variables={x: (0, 1), y: (0, 1), k: (1, 3)},
        fields=[u],
        terms=[
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), (k**2 + 1) * sympy.pi**2 * exact),
            sp.Equation(sympy.Eq(u, exact), on="boundary"),
        ],
        exact={u: exact},
        parameters=[k],
    )
    text = sp.parse(FAMILY)
    assert spec.parameters == text.parameters
    assert [t.expr for t in spec.terms] == [t.expr for t in text.terms[:2]]


def test_the_field_is_a_function_of_the_parameter(family):
    """What `symbolic_pinn.load(run).field("u")` returns, here for freshly initialised weights."""
    import jax

    from symbolic_pinn._product.run import field_function

    u = field_function(family, family.module.init_params(jax.random.PRNGKey(0)), "u")
    values = np.asarray(u(0.5, 0.5, jnp.array([1.0, 1.7, 3.0])))
    assert values.shape == (3,) and np.all(np.isfinite(values)) and len(set(values.tolist())) == 3
    assert np.asarray(u(x=0.5, y=0.5, k=1.7)) == pytest.approx(values[1], rel=1e-6)


@pytest.mark.slow  # compiling the training step costs about 30 s on a shared machine
def test_the_trained_field_answers_for_any_parameter_value(family):
    result = family.train(adam_steps=5, bfgs_steps=0, interior_points=32, boundary_points=32, progress=False)
    assert result.metrics["loss"] < result.history[0]["loss"]
    u = result.field("u")  # the same function as symbolic_pinn.load(run).field("u")
    values = np.asarray(u(jnp.full(3, 0.5), jnp.full(3, 0.5), jnp.array([1.0, 1.7, 3.0])))
    assert values.shape == (3,) and np.all(np.isfinite(values)) and len(set(values.tolist())) == 3


def test_plots_show_a_few_parameter_values():
    from symbolic_pinn._product import plots as _plots

    bounds = {"x": (0.0, 1.0), "y": (0.0, 1.0), "k": (1.0, 3.0)}
    panels = _plots._panels(("x", "y", "k"), bounds, ("k",))
    assert [p.fixed for p in panels] == [{"k": 1.0}, {"k": 2.0}, {"k": 3.0}]  # where metrics.json reports errors
    assert all([name for name, _ in p.axes] == ["x", "y"] for p in panels)
    # without the parameter declared, k would be a third spatial axis held at its middle
    assert [p.fixed for p in _plots._panels(("x", "y", "k"), bounds)] == [{"k": 2.0}]


def test_the_ir_says_which_variables_are_parameters(family):
    from symbolic_pinn._compiler.ir import format_program

    text = format_program(family.ir)
    assert "variable x in [0, 1]\nvariable y in [0, 1]\nparam k in [1, 3]\n" in text


# ---- a trained run: errors per parameter value, the loaded field at any k ------------------

LINE = """\
x in [0, 1]
param k in [1, 3]
field u(x, k)
-Dxx(u) = k^2*pi^2*sin(k*pi*x)
u = sin(k*pi*x) on ∂Ω
exact u = sin(k*pi*x)
"""
TINY = ["--width=8", "--depth=1", "--adam-steps=5", "--lbfgs-steps=0", "--interior-points=32"]
TINY += ["--boundary-points=8", "--error-every=0", "--no-progress"]


@pytest.fixture(scope="module")
def trained_line(tmp_path_factory):
    """One short training of ``LINE`` through the command line; its run directory and output."""
    import contextlib
    import io

    from symbolic_pinn._product.cli import main

    where = tmp_path_factory.mktemp("parametric")
    (where / "line.pinn").write_text(LINE)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["train", str(where / "line.pinn"), "--out", str(where / "run"), *TINY]) == 0
    return where / "run", out.getvalue()


def test_metrics_give_the_error_at_each_parameter_value(trained_line):
    run_dir, _ = trained_line
    run = sp.load(run_dir)
    by_value = run.metrics["rel_l2_by_param"]["k"]
    assert list(by_value) == ["1", "2", "3"]  # the two ends and the middle
    u = run.field("u")
    xs = np.linspace(0.0, 1.0, 10_000)  # the test grid over x, k held at each value
    for label, errors in by_value.items():
        k = float(label)
        exact = np.sin(k * np.pi * xs)
        predicted = np.asarray(u(xs, k), dtype=float)
        reference = np.linalg.norm(predicted - exact) / np.linalg.norm(exact)
        assert errors["u"] == pytest.approx(reference, rel=1e-4)
    assert len({errors["u"] for errors in by_value.values()}) == 3


def test_the_summary_shows_the_error_at_each_parameter_value(trained_line):
    run_dir, printed = trained_line
    errors = sp.load(run_dir).metrics["rel_l2_by_param"]["k"]
    for label in ("1", "2", "3"):
        assert f"  at k = {label}: u {errors[label]['u']:.3e}" in printed


def test_the_loaded_field_refuses_a_parameter_outside_its_range(trained_line):
    import jax

    u = sp.load(trained_line[0]).field("u")
    assert np.isfinite(np.asarray(u(0.5, np.array([1.0, 2.25, 3.0])))).all()  # the ends are in range
    with pytest.raises(PinnError, match=r"u was trained for k in \[1, 3\]; got k = 3.5") as info:
        u(0.5, np.array([2.0, 3.5]))
    assert "extrapolate=True" in info.value.help
    outside = sp.load(trained_line[0]).field("u", extrapolate=True)
    assert np.isfinite(float(outside(0.5, 3.5)))
    # under jit the values are unknown: not checked, the network is evaluated
    assert float(jax.jit(u)(0.5, 3.5)) == pytest.approx(float(outside(0.5, 3.5)), rel=1e-6)


def test_the_error_plot_has_a_panel_at_each_parameter_value(family):
    """Heat maps over (x, y) at k = 1, 2, 3, the exact solution beside, on one colour scale."""
    from symbolic_pinn._product import plots as _plots

    bounds = {"x": (0.0, 1.0), "y": (0.0, 1.0), "k": (1.0, 3.0)}
    figure = _plots._field_figure(
        "u(x, y, k)",
        ("x", "y", "k"),
        bounds,
        lambda c: c["k"] * c["x"],
        lambda c: c["k"] * c["y"],
        parameters=("k",),
    )
    maps = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_title() for ax in maps] == [f"{row}, k = {k}" for row in ("network", "exact") for k in (1, 2, 3)]
    assert {ax.collections[0].get_clim() for ax in maps} == {(0.0, 3.0)}  # k·x spans [0, 3] over the panels


def test_the_test_grid_holds_a_parameter_at_one_value(family):
    from symbolic_pinn._training import domain as _domain

    grid = _domain.test_grid(family.ir, 100, {"k": 2.5})
    assert grid.shape == (100, 3) and np.all(grid[:, 2] == 2.5)
    assert sorted(set(grid[:, 0])) == pytest.approx(np.linspace(0, 1, 10))


@pytest.mark.parametrize("args", [("x", "t", "k"), ("x", "y", "t", "k")])
def test_a_field_of_time_and_a_parameter_is_drawn_once_per_parameter_value(args):
    """Snapshots in time, once for each of k = 1, 2, 3: stacked line plots, or rows of heat maps."""
    from symbolic_pinn._product import plots as _plots

    bounds = {"x": (0.0, 1.0), "y": (0.0, 1.0), "t": (0.0, 1.0), "k": (1.0, 3.0)}
    figure = _plots._field_figure("u", args, bounds, lambda c: c["k"] * c["x"] + c["t"], parameters=("k",), time="t")
    plots = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    times = [f"t = {t:.3g}" for t in np.linspace(0, 1, _plots.SNAPSHOTS)]
    if len(args) == 3:  # one line plot per k, a line per time, on one scale
        labels = [[line.get_label() for line in ax.get_lines()] for ax in plots]
        assert labels == [[f"{t}, k = {k}" for t in times] for k in (1, 2, 3)]
        assert len({ax.get_ylim() for ax in plots}) == 1
        assert np.max(plots[2].get_lines()[-1].get_ydata()) == pytest.approx(3 * 1 + 1)  # k x + t at x = 1, t = 1
    else:  # a row of snapshots per k, one colour scale
        assert [ax.get_title() for ax in plots] == [f"{t}, k = {k}" for k in (1, 2, 3) for t in times]
        assert {ax.collections[0].get_clim() for ax in plots} == {(0.0, 4.0)}
