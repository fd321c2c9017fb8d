"""Tabulated functions: ``table("coef.csv", x, y)`` read, validated, interpolated, differentiated.

References are independent of the package: numpy's ``np.interp``, a bilinear formula
written here, the exact slopes of linear and bilinear functions, and a residual that
must vanish on a manufactured solution.
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn._frontend.table import Tabulated
from symbolic_pinn._runtime.tables import interpolate


def write_csv(path: pathlib.Path, header: str, columns) -> pathlib.Path:
    np.savetxt(path, np.column_stack(columns), delimiter=",", header=header, comments="")
    return path


def bilinear(x, y):  # reproduced exactly by the interpolant, whatever the grid
    return 2 + 3 * x - y + 0.5 * x * y


GRID_X = np.array([0.0, 0.1, 0.35, 0.5, 1.0])  # not uniform
GRID_Y = np.array([-1.0, 0.0, 0.25, 1.0])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> pathlib.Path:
    d = tmp_path_factory.mktemp("tables")
    X, Y = np.meshgrid(GRID_X, GRID_Y, indexing="ij")
    rows = np.random.default_rng(0).permutation(X.size)  # row order does not matter
    write_csv(d / "k.csv", "y,x,k", [Y.ravel()[rows], X.ravel()[rows], bilinear(X, Y).ravel()[rows]])
    np.savez(d / "k.npz", x=X.ravel(), y=Y.ravel(), k=bilinear(X, Y).ravel())
    x = np.linspace(0, 1, 11)
    write_csv(d / "a.csv", "x,a", [x, 1 + x])
    return d


# ---- the runtime's interpolation --------------------------------------------------------


def test_one_dimensional_matches_np_interp():
    axis = np.array([0.0, 0.2, 0.3, 0.7, 1.0])
    values = np.array([1.0, -2.0, 0.5, 3.0, 2.0])
    x = np.random.default_rng(1).uniform(0, 1, 200)
    got = interpolate(((tuple(axis),), tuple(values)), jnp.asarray(x))
    np.testing.assert_allclose(got, np.interp(x, axis, values), rtol=1e-6, atol=1e-6)
    slopes = np.diff(values) / np.diff(axis)
    cell = np.clip(np.searchsorted(axis, x, side="right") - 1, 0, len(axis) - 2)
    np.testing.assert_allclose(interpolate(((tuple(axis),), tuple(values)), x, derivative=(1,)), slopes[cell], 1e-5)
    assert np.all(interpolate(((tuple(axis),), tuple(values)), x, derivative=(2,)) == 0)


def test_two_dimensional_matches_a_bilinear_formula():
    rng = np.random.default_rng(2)
    values = rng.normal(size=(len(GRID_X), len(GRID_Y)))
    x, y = rng.uniform(0, 1, 100), rng.uniform(-1, 1, 100)
    i = np.clip(np.searchsorted(GRID_X, x, side="right") - 1, 0, len(GRID_X) - 2)
    j = np.clip(np.searchsorted(GRID_Y, y, side="right") - 1, 0, len(GRID_Y) - 2)
    s = (x - GRID_X[i]) / (GRID_X[i + 1] - GRID_X[i])
    r = (y - GRID_Y[j]) / (GRID_Y[j + 1] - GRID_Y[j])
    expected = (
        (1 - s) * (1 - r) * values[i, j]
        + s * (1 - r) * values[i + 1, j]
        + (1 - s) * r * values[i, j + 1]
        + s * r * values[i + 1, j + 1]
    )
    table = ((tuple(GRID_X), tuple(GRID_Y)), values)
    np.testing.assert_allclose(interpolate(table, x, y), expected, rtol=1e-5, atol=1e-5)


def test_derivatives_agree_with_finite_differences_inside_cells(x64):
    table = ((tuple(GRID_X), tuple(GRID_Y)), np.random.default_rng(3).normal(size=(5, 4)))

    @jax.jit
    def values(x, y, h):  # one compilation instead of every operation on its own
        def at(a, b, derivative=None):
            return interpolate(table, a, b, derivative=derivative)

        dx = (at(x + h, y) - at(x - h, y)) / (2 * h)
        dy = (at(x, y + h) - at(x, y - h)) / (2 * h)
        autodiff = jax.vmap(jax.grad(at))(x, y)
        return dx, dy, autodiff, at(x, y, (1, 0)), at(x, y, (0, 1))

    dx, dy, autodiff, d10, d01 = values(jnp.array([0.2, 0.7]), jnp.array([0.1, 0.5]), 1e-6)  # off the grid lines
    np.testing.assert_allclose(d10, dx, rtol=1e-7)
    np.testing.assert_allclose(d01, dy, rtol=1e-7)
    np.testing.assert_allclose(autodiff, dx, rtol=1e-7)


# ---- from the problem text -----------------------------------------------------------------

PROBLEM = """\
x in [0, 1]; y in [-1, 1]
field u(x, y)
let k = table("{file}", x, y)
-Dx(k*Dx(u)) - Dy(k*Dy(u)) = 1
u = 0 on ∂Ω
"""


@pytest.fixture(scope="module")
def compiled(folder) -> sp.CompiledProblem:
    (folder / "k.pinn").write_text(PROBLEM.format(file="k.csv"))
    return sp.compile(sp.parse_file(folder / "k.pinn"), width=8, depth=1, hard_constraints=False)


def test_linear_function_and_its_gradient_are_exact(compiled, x64):
    """Through the checker and the generated module: k, ∂ₓk, ∂ᵧk, ∂ₓᵧk of a bilinear k, exactly."""
    module = compiled.module

    @jax.jit
    def derivatives(x, y):
        return [module.interpolate(module.TABLE_k, x, y, derivative=a) for a in ((0, 0), (1, 0), (0, 1), (1, 1))]

    rng = np.random.default_rng(4)
    x, y = jnp.asarray(rng.uniform(0, 1, 50)), jnp.asarray(rng.uniform(-1, 1, 50))
    k, kx, ky, kxy = derivatives(x, y)
    np.testing.assert_allclose(k, bilinear(x, y), rtol=1e-13)
    np.testing.assert_allclose(kx, 3 + 0.5 * y, rtol=1e-13)
    np.testing.assert_allclose(ky, -1 + 0.5 * x, atol=1e-13)
    np.testing.assert_allclose(kxy, 0.5, rtol=1e-13)


def test_residual_vanishes_on_a_manufactured_solution(compiled, x64):
    """-∇·(k∇u) with k tabulated bilinear: the residual of the exact u is zero up to rounding."""
    xs, ys = sympy.symbols("x y")
    u_exact = sympy.sin(sympy.pi * xs) * sympy.cos(ys)
    k = bilinear(xs, ys)
    f = -(sympy.diff(k * sympy.diff(u_exact, xs), xs) + sympy.diff(k * sympy.diff(u_exact, ys), ys))
    forcing = sympy.lambdify((xs, ys), f - 1, "jax")  # the problem's right side is 1
    u = sympy.lambdify((xs, ys), u_exact, "jax")

    @jax.jit
    def residuals(x, y):
        wrong = compiled.module.residual_pde(lambda a, b: 1.01 * u(a, b), x, y)
        return compiled.module.residual_pde(u, x, y), wrong, forcing(x, y)

    rng = np.random.default_rng(5)
    residual, wrong, expected = residuals(jnp.asarray(rng.uniform(0, 1, 64)), jnp.asarray(rng.uniform(-1, 1, 64)))
    np.testing.assert_allclose(residual, expected, atol=1e-10)
    assert np.max(np.abs(wrong - expected)) > 1e-3  # the check can fail


def test_table_is_shown_and_written_into_the_module(compiled, folder):
    assert "table k(x, y) from 'k.csv': 5 × 4 grid, multilinear" in compiled.format_plan()
    assert "table k(x, y)" in compiled.format_ir() and "k_x(x, y)" in compiled.format_ir()
    assert "interpolate(TABLE_k, x, y, derivative=(1, 0))" in compiled.source
    # self-contained: the module loads and evaluates without the file
    from symbolic_pinn._compiler.loader import load

    module = load(compiled.source)
    np.testing.assert_allclose(module.interpolate(module.TABLE_k, 0.5, 0.25), bilinear(0.5, 0.25), rtol=1e-6)


def test_npz_gives_the_same_table(compiled, folder):
    (folder / "k_npz.pinn").write_text(PROBLEM.format(file="k.npz"))
    other = sp.compile(sp.parse_file(folder / "k_npz.pinn"), width=8, depth=1, hard_constraints=False)
    (table,) = other.ir.tables
    assert table.file == "k.npz"
    assert table.values == compiled.ir.tables[0].values and table.axes == compiled.ir.tables[0].axes


def test_from_sympy_gives_the_same_program(compiled, folder):
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    k = sp.table(folder / "k.csv", x, y)
    spec = sp.from_sympy(
        variables={x: (0, 1), y: (-1, 1)},
        fields=[u],
        terms=[
            sympy.Eq(-sympy.diff(k * u.diff(x), x) - sympy.diff(k * u.diff(y), y), 1),
            sp.Equation(sympy.Eq(u, 0), on="boundary"),
        ],
    )
    assert sp.compile(spec, width=8, depth=1, hard_constraints=False).ir.terms == compiled.ir.terms


def test_from_sympy_refuses_a_table_that_does_not_cover_the_domain(folder):
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    with pytest.raises(sp.PinnError, match="covers"):
        sp.from_sympy({x: (0, 2), y: (-1, 1)}, [u], [sympy.Eq(u, sp.table(folder / "k.csv", x, y))])


def test_short_training_lowers_the_loss(folder):
    """Forty Adam steps on the generated loss (one jit compile; train() itself is tested elsewhere)."""
    (folder / "a.pinn").write_text(
        'x in [0, 1]\nfield u(x)\nlet a = table("a.csv", x)\n-Dx(a*Dx(u)) = 1\nu = 0 on ∂Ω\n'
    )
    problem = sp.compile(sp.parse_file(folder / "a.pinn"), width=8, depth=1, hard_constraints=False)
    points = {"pde": (jnp.linspace(0.01, 0.99, 64),), "bc": (jnp.array([0.0, 1.0]),)}
    optimiser = optax.adam(1e-2)

    @jax.jit
    def step(params, state):
        value, grad = jax.value_and_grad(problem.loss)(params, points)
        updates, state = optimiser.update(grad, state)
        return optax.apply_updates(params, updates), state, value

    params = problem.init_params(jax.random.PRNGKey(0))
    state, losses = optimiser.init(params), []
    for _ in range(40):
        params, state, value = step(params, state)
        losses.append(float(value))
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.2 * losses[0], losses


# ---- errors ---------------------------------------------------------------------------------

BAD = {
    "missing file": ('let k = table("nowhere.csv", x, y)', "does not exist", '"nowhere'),
    "no such column": ('let k = table("k.csv", x, z)', "no column 'z'", "table("),
    "outside the directory": ('let k = table("../k.csv", x, y)', "outside the problem's directory", '"../'),
    "not a variable": ('let k = table("k.csv", x, 2*y)', "arguments of table are variables", "2*y"),
    "another function": ('let k = sin("k.csv", x)', "only table", '"k.csv"'),
    "no variables": ('let k = table("k.csv")', "needs the variables", "table("),
    "no file": ("let k = table(x, y)", "quoted name of its file", "table("),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_located_errors(folder, case):
    line, message, caret_at = BAD[case]
    text = f"x in [0, 1]; y in [-1, 1]; z in [0, 1]\nfield u(x, y)\n{line}\nu = k on ∂Ω\n"
    (folder / "bad.pinn").write_text(text)
    with pytest.raises(sp.PinnError, match=message) as err:
        sp.parse_file(folder / "bad.pinn")
    assert err.value.span.line == 3
    assert line[err.value.span.column - 1 :].startswith(caret_at)
    assert "^" in str(err.value)


def bad_file(folder: pathlib.Path, name: str, content: str) -> sp.PinnError:
    (folder / name).write_text(content)
    (folder / "bad_file.pinn").write_text(f'x in [0, 1]\nfield u(x)\nu = table("{name}", x) on ∂Ω\n')
    with pytest.raises(sp.PinnError) as err:
        sp.parse_file(folder / "bad_file.pinn")
    assert err.value.span.line == 3
    return err.value


def test_scattered_points_are_refused_with_a_way_out(folder):
    err = bad_file(folder, "scattered.csv", "x,y,a\n0,0,1\n1,0,2\n0,1,3\n0.5,0.5,4\n")
    # y is not an argument here: two columns besides x
    assert "2 columns besides" in err.message
    (folder / "s2.pinn").write_text('x in [0, 1]; y in [0, 1]\nfield u(x)\nu = table("scattered.csv", x, y) on ∂Ω\n')
    with pytest.raises(sp.PinnError, match="not a grid") as grid:
        sp.parse_file(folder / "s2.pinn")
    assert "griddata" in grid.value.help and grid.value.span.line == 3


def test_value_errors_in_the_file(folder):
    assert "not a finite number (row 2)" in bad_file(folder, "nan.csv", "x,a\n0,1\n1,nan\n").message
    assert "covers [0.2, 1]" in bad_file(folder, "short.csv", "x,a\n0.2,1\n1,2\n").message
    assert "not a grid" in bad_file(folder, "twice.csv", "x,a\n0,1\n1,2\n1,3\n").message
    assert "single value" in bad_file(folder, "one.csv", "x,a\n0,1\n").message


def test_derive_prints_tables_as_the_language_reads_them(folder):
    """`symbolic-pinn derive` of an energy with a table: its strong form parses back, same terms."""
    (folder / "ritz.pinn").write_text(
        'x in [0, 1]\nfield u(x)\nlet a = table("a.csv", x)\nminimize ∫ (a*Dx(u)^2/2 - u)\nu = 0 on ∂Ω\n'
    )
    text = sp.derive(sp.parse_file(folder / "ritz.pinn"))
    assert 'D(table("a.csv", x), x)*D(u, x)' in text
    (folder / "strong.pinn").write_text(text)
    strong = sp.parse_file(folder / "strong.pinn")
    expected = sp.parse_file(folder / "ritz.pinn")
    (x,) = [s for s, _, _ in expected.variables]
    a = next(t for t in strong.terms[0].expr.atoms(Tabulated) if not any(t.alpha))
    u = expected.fields[0]
    assert sympy.simplify(strong.terms[0].expr - (-sympy.diff(a * u.diff(x), x) - 1)) == 0


# ---- large grids (PINNacle's data come on 256² grids) ------------------------------------------


def test_a_256_squared_table_loads_and_interpolates_its_closed_form(tmp_path, x64):
    """65,536 values (above the old limit of 40,000): read, written into the module, interpolated.

    Bilinear interpolation of f = sin(πx)cos(πy) on a grid of spacing h errs by at most
    h²/8 · (max|f_xx| + max|f_yy|) = h²π²/4, and is exact at the nodes.
    """
    n = 256
    axis = np.linspace(0, 1, n)
    X, Y = np.meshgrid(axis, axis, indexing="ij")
    f = np.sin(np.pi * X) * np.cos(np.pi * Y)
    np.savez(tmp_path / "grid.npz", x=X.ravel(), y=Y.ravel(), f=f.ravel())
    (tmp_path / "big.pinn").write_text(
        'x in [0, 1]; y in [0, 1]\nfield u(x, y)\nlet f = table("grid.npz", x, y)\n-Δu = f\nu = 0 on ∂Ω\n'
    )
    compiled = sp.compile(sp.parse_file(tmp_path / "big.pinn"), width=4, depth=1)
    assert "256 × 256 grid" in compiled.format_ir()
    module = compiled.module
    rng = np.random.default_rng(7)
    x, y = rng.uniform(0, 1, 500), rng.uniform(0, 1, 500)
    got = np.asarray(module.interpolate(module.TABLE_grid, jnp.asarray(x), jnp.asarray(y)))
    h = 1 / (n - 1)
    error = np.max(np.abs(got - np.sin(np.pi * x) * np.cos(np.pi * y)))
    assert error <= h**2 * np.pi**2 / 4
    i, j = rng.integers(0, n, 50), rng.integers(0, n, 50)
    nodes = module.interpolate(module.TABLE_grid, jnp.asarray(axis[i]), jnp.asarray(axis[j]))
    np.testing.assert_allclose(nodes, f[i, j], atol=1e-14)


def test_a_table_above_512_squared_values_is_refused(tmp_path):
    axis_x, axis_y = np.linspace(0, 1, 513), np.linspace(0, 1, 512)
    X, Y = np.meshgrid(axis_x, axis_y, indexing="ij")
    np.savez(tmp_path / "huge.npz", x=X.ravel(), y=Y.ravel(), f=np.zeros(X.size))
    (tmp_path / "huge.pinn").write_text('x in [0, 1]; y in [0, 1]\nfield u(x, y)\nu = table("huge.npz", x, y) on ∂Ω\n')
    with pytest.raises(sp.PinnError, match="262,656 values; a table holds at most 262,144"):
        sp.parse_file(tmp_path / "huge.pinn")
