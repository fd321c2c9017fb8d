"""Tables on a stated grid: ``table(expression, x in [0, 1] by 101)`` and scattered points
resampled by ``table("probes.csv", x by 33, y by 33)``.

References are independent of the package: the expressions' closed forms in NumPy, the
interpolation error bound h²·max|f''|/8 of a broken line, ``np.interp`` for scattered
points in 1-D, the exactness of linear interpolation on a linear function, and Waldron's
bound R²·M/2 on each triangle of SciPy's Delaunay triangulation.
"""

from __future__ import annotations

import pathlib

import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from scipy.spatial import Delaunay

import symbolic_pinn as sp
from symbolic_pinn._frontend.table import Tabulated
from symbolic_pinn._runtime.tables import interpolate


def tables(spec) -> list:
    """The tables (their TableData) the terms of a checked problem use, by name."""
    found = {t.table.name: t.table for term in spec.terms for t in term.expr.atoms(Tabulated)}
    return [found[k] for k in sorted(found)]


def parse(folder: pathlib.Path, text: str, name: str = "p.pinn"):
    (folder / name).write_text(text)
    return sp.parse_file(folder / name)


PROBLEM = "x in [0, 1]; y in [0, 2]\nfield u(x, y)\nlet a = {table}\n-Dx(a*Dx(u)) - Dyy(u) = 1\nu = 0 on ∂Ω\n"


# ---- an expression's values ---------------------------------------------------------------------


def test_an_expression_is_sampled_on_its_grid(tmp_path):
    spec = parse(tmp_path, PROBLEM.format(table="table(exp(-x^2)*(1 + y), x in [0, 1] by 101, y by 21)"))
    (table,) = tables(spec)
    np.testing.assert_array_equal(table.axes[0], np.linspace(0, 1, 101))
    np.testing.assert_array_equal(table.axes[1], np.linspace(0, 2, 21))  # y's own interval
    X, Y = np.meshgrid(np.linspace(0, 1, 101), np.linspace(0, 2, 21), indexing="ij")
    np.testing.assert_allclose(table.array(), np.exp(-(X**2)) * (1 + Y), rtol=1e-15)
    assert table.file == "" and "of (y + 1)*exp(-x**2): 101 × 21 grid" in table.describe()


def test_the_interpolant_is_within_the_broken_lines_bound_of_the_expression(tmp_path, x64):
    """|f − I f| ≤ h²·max|f''|/8 on each cell: exp(−x²) has |f''| ≤ 2; the bound is nearly reached."""
    spec = parse(tmp_path, "x in [-1, 2]\nfield u(x)\n-Dxx(u) = table(exp(-x^2), x in [-1, 2] by 61)\nu = 0 on ∂Ω\n")
    (table,) = tables(spec)
    x = np.random.default_rng(0).uniform(-1, 2, 4000)
    error = np.abs(np.asarray(interpolate((table.axes, table.values), jnp.asarray(x))) - np.exp(-(x**2)))
    h = 3 / 60
    assert error.max() <= h**2 * 2 / 8
    assert error.max() > 0.5 * h**2 * 2 / 8  # a table, not the expression itself
    # a kink at 0.5, a grid point: reproduced exactly (the point of freezing a non-smooth coefficient)
    spec = parse(tmp_path, "x in [0, 1]\nfield u(x)\n-Dxx(u) = table(abs(x - 0.5), x by 11)\nu = 0 on ∂Ω\n")
    (kink,) = tables(spec)
    x = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(interpolate((kink.axes, kink.values), jnp.asarray(x)), np.abs(x - 0.5), atol=1e-14)


def test_every_kind_of_function_is_sampled(tmp_path):
    """if, heaviside (½ at 0), Bessel, max, erf and detach (its value) against SciPy and NumPy."""
    from scipy.special import erf, j0

    expression = "if x < 1 then 1 else 2 + heaviside(x - 1.5) + besselj0(x) + max(x, 0.3) + erf(x) + detach(x)"
    spec = parse(tmp_path, f"x in [0, 2]\nfield u(x)\n-Dxx(u) = table({expression}, x by 21)\nu = 0 on ∂Ω\n")
    (table,) = tables(spec)
    x = np.linspace(0, 2, 21)
    exact = np.where(x < 1, 1, 2 + np.heaviside(x - 1.5, 0.5) + j0(x) + np.maximum(x, 0.3) + erf(x) + x)
    np.testing.assert_allclose(table.values, exact, rtol=1e-14)


def test_derive_prints_a_sampled_table_that_reads_back(tmp_path):
    spec = parse(tmp_path, "x in [0, 1]\nfield u(x)\nlet a = table(1 + x^2, x by 11)\nminimize ∫ (a*Dx(u)^2/2 - u)\n")
    text = sp.derive(spec)
    assert "table(x**2 + 1, x in [0, 1] by 11)" in text
    again = parse(tmp_path, text, "strong.pinn")
    assert tables(again) == tables(spec)


BAD = {
    "a field": ("table(u, x by 11, y by 11)", r"not u\(x, y\)", "u,"),
    "a variable off the grid": ("table(x*y, x by 11)", "not 'y'", "x*y"),
    "not a variable": ("table(x, z by 11)", "'z' is not one", "z by"),
    "twice": ("table(x, x by 11, x by 3)", "twice", "x by 3"),
    "too few points": ("table(x, x by 1)", "at least 2", "1)"),
    "not whole": ("table(x, x by 2.5)", "whole number", "2.5"),
    "short of the interval": ("table(x, x in [0, 0.5] by 11)", r"covers \[0, 0.5\]", "x in"),
    "not finite": ("table(log(x), x by 11)", "not a finite number at x = 0", "log"),
    "undefined": ("table(sqrt(x - 1), x by 11)", r"not a finite number at x = 0 \(10 of", "sqrt"),
    "not real": ("table(x + i, x by 11)", "not real at x = 0", "x + i"),
    "too many points": ("table(x*y, x by 1000, y by 1000)", "1,000,000 points", "x by"),
    "another function": ("sin(x, x by 11)", "only table", "sin"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_located_errors(tmp_path, case):
    call, message, caret_at = BAD[case]
    line = f"let a = {call}"
    with pytest.raises(sp.PinnError, match=message) as err:
        parse(tmp_path, f"x in [0, 1]; y in [0, 1]\nfield u(x, y)\n{line}\n-Δu = a\n")
    assert err.value.span.line == 3
    assert line[err.value.span.column - 1 :].startswith(caret_at), case


# ---- scattered points, resampled -----------------------------------------------------------------


def halton(n: int, base: int) -> np.ndarray:
    """The van der Corput sequence in ``base``: well spread points, so the triangles are not slivers."""
    out = np.zeros(n)
    for i in range(n):
        f, k = 1.0, i + 1
        while k:
            f /= base
            out[i] += f * (k % base)
            k //= base
    return out


CORNERS = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)


def probes(folder: pathlib.Path, name: str, f, n: int = 200) -> np.ndarray:
    points = np.vstack([CORNERS, np.column_stack([halton(n, 2), halton(n, 3)])])
    np.savetxt(folder / name, np.column_stack([points, f(*points.T)]), delimiter=",", header="x,y,k", comments="")
    return points


SCATTERED = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nlet k = {table}\n-Δu = k\nu = 0 on ∂Ω\n"


def test_a_linear_function_is_resampled_exactly(tmp_path):
    probes(tmp_path, "lin.csv", lambda x, y: 2 - 3 * x + 0.5 * y)
    (table,) = tables(parse(tmp_path, SCATTERED.format(table='table("lin.csv", x by 17, y in [0, 1] by 9)')))
    assert table.scattered and table.shape == (17, 9) and "scattered points" in table.describe()
    X, Y = np.meshgrid(np.linspace(0, 1, 17), np.linspace(0, 1, 9), indexing="ij")
    np.testing.assert_allclose(table.array(), 2 - 3 * X + 0.5 * Y, atol=1e-12)


def test_resampling_error_is_within_the_bound_on_each_triangle(tmp_path):
    """|f − L f| ≤ R²·M/2 (Waldron 1998), R the radius of the smallest ball holding the triangle,
    M ≥ |second directional derivative|: for sin(3x)·cos(2y) the Hessian's Frobenius norm ≤ 13."""
    points = probes(tmp_path, "waves.csv", lambda x, y: np.sin(3 * x) * np.cos(2 * y))
    (table,) = tables(parse(tmp_path, SCATTERED.format(table='table("waves.csv", x by 41, y by 41)')))
    X, Y = np.meshgrid(*table.axes, indexing="ij")
    grid = np.column_stack([X.ravel(), Y.ravel()])
    error = np.abs(table.array().ravel() - np.sin(3 * grid[:, 0]) * np.cos(2 * grid[:, 1]))
    triangulation = Delaunay(points)
    a, b, c = (points[triangulation.simplices[:, i]] for i in range(3))
    sides = np.stack([np.linalg.norm(b - c, axis=1), np.linalg.norm(c - a, axis=1), np.linalg.norm(a - b, axis=1)])
    sides.sort(axis=0)
    (u1, u2), (w1, w2) = (b - a).T, (c - a).T
    area = np.abs(u1 * w2 - u2 * w1) / 2
    circumradius = np.prod(sides, axis=0) / (4 * area)
    obtuse = sides[2] ** 2 >= sides[0] ** 2 + sides[1] ** 2
    radius = np.where(obtuse, sides[2] / 2, circumradius)
    bound = radius[triangulation.find_simplex(grid)] ** 2 * 13 / 2
    assert np.all(error <= bound + 1e-14)
    assert error.max() > 1e-3  # a resampling, not the function


def test_one_variable_is_the_broken_line_through_the_points(tmp_path):
    x = np.concatenate([[0.0, 1.0], np.random.default_rng(1).uniform(0, 1, 30)])
    np.savetxt(tmp_path / "line.csv", np.column_stack([x, np.cos(5 * x)]), delimiter=",", header="x,a", comments="")
    spec = parse(tmp_path, 'x in [0, 1]\nfield u(x)\n-Dxx(u) = table("line.csv", x by 101)\nu = 0 on ∂Ω\n')
    (table,) = tables(spec)
    order = np.argsort(x)
    np.testing.assert_allclose(table.values, np.interp(table.axes[0], x[order], np.cos(5 * x[order])), atol=1e-14)


def test_scattered_errors_are_located(tmp_path):
    probes(tmp_path, "inner.csv", lambda x, y: x)
    inner = np.loadtxt(tmp_path / "inner.csv", delimiter=",", skiprows=1)
    inner[:, :2] = 0.1 + 0.8 * inner[:, :2]
    np.savetxt(tmp_path / "inner.csv", inner, delimiter=",", header="x,y,k", comments="")
    cases = {
        "inner.csv": "outside the convex hull of the points of 'inner.csv', the first at x = 0, y = 0",
        "twice.csv": "appears 2 times",
        "line.csv": "cannot be triangulated",
        "missing.csv": "does not exist",
    }
    np.savetxt(tmp_path / "twice.csv", [[0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1], [1, 1, 2]], delimiter=",",
               header="x,y,k", comments="")  # fmt: skip
    np.savetxt(tmp_path / "line.csv", [[0, 0, 1], [0.5, 0.5, 1], [1, 1, 1]], delimiter=",", header="x,y,k", comments="")
    for file, message in cases.items():
        with pytest.raises(sp.PinnError, match=message) as err:
            parse(tmp_path, SCATTERED.format(table=f'table("{file}", x by 9, y by 9)'))
        assert err.value.span.line == 3, file


def test_a_compiled_module_holds_both_kinds_and_the_run_copies_only_the_file(tmp_path):
    from symbolic_pinn._product.run import inputs

    probes(tmp_path, "lin.csv", lambda x, y: 1 + x + y)
    text = 'x in [0, 1]; y in [0, 1]\nfield u(x, y)\nlet k = table("lin.csv", x by 5, y by 5)\n'
    text += "let a = table(1 + x*y, x by 3, y by 3)\n-Dx(a*Dx(u)) - Dy(a*Dy(u)) = k\nu = 0 on ∂Ω\n"
    compiled = sp.compile(parse(tmp_path, text), width=4, depth=1)
    module = compiled.module
    np.testing.assert_allclose(module.interpolate(module.TABLE_lin, 0.3, 0.6), 1.9, rtol=1e-6)  # float32
    np.testing.assert_allclose(module.interpolate(module.TABLE_table, 0.5, 0.5), 1.25, rtol=1e-6)  # bilinear
    assert list(inputs(compiled)) == ["inputs/lin.csv"]


def test_the_python_front_end_gives_the_same_tables(tmp_path):
    """sp.table(expr, grid=...) and sp.table(path, grid=...) are the text's table(expr, x in ...) and
    table("file", x in ...): the same values; bad grids and free symbols are errors."""
    text = PROBLEM.format(table="table(exp(-x^2)*(1 + y), x in [0, 1] by 11, y by 5)")
    (expected,) = tables(parse(tmp_path, text))
    x, y, k = sympy.symbols("x y k")
    made = sp.table(sympy.exp(-(x**2)) * (1 + y), grid={x: (0, 1, 11), y: (0, 2, 5)}).func.table
    assert (made.axes, made.values) == (expected.axes, expected.values)
    assert str(made.expression) == str(expected.expression)  # the text's symbols are declared real
    probes(tmp_path, "lin.csv", lambda a, b: 2 - 3 * a + 0.5 * b)
    (scattered,) = tables(parse(tmp_path, SCATTERED.format(table='table("lin.csv", x by 5, y by 3)')))
    again = sp.table(tmp_path / "lin.csv", grid={x: (0, 1, 5), y: (0, 1, 3)}).func.table
    assert (again.axes, again.values, again.scattered) == (scattered.axes, scattered.values, True)
    for bad, message in (({x: (0, 1, 1)}, "give .low, high, points."), ({x: (1, 0, 5)}, "empty")):
        with pytest.raises(sp.PinnError, match=message):
            sp.table(sympy.exp(x), grid=bad)
    with pytest.raises(sp.PinnError, match="only its grid's variables"):
        sp.table(k * x, grid={x: (0, 1, 5)})
