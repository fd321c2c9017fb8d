"""Tabulated functions: ``table("coef.csv", x, y)``, values on a grid, interpolated.

A table file is a CSV (header row) or NPZ file with a column per coordinate, named
after the variables the table is called with, and one more column of values.  Its
points must form a tensor-product grid (every combination of the distinct coordinate
values once, in any row order; the spacing need not be uniform), and the grid must
cover the variables' intervals: the interpolant is never extrapolated.

Scattered points are refused rather than interpolated silently: a triangulation and a
resolution would be choices the problem text does not show.  The problem can state
them: ``table("probes.csv", x in [0, 1] by 65, y by 65)`` resamples the points onto
that grid by linear interpolation on their Delaunay triangulation (SciPy's
``griddata``, :func:`resample`), exact for linear functions and within R²·M/2 of a
smooth one (R the radius of the smallest ball holding the triangle, M its largest
second directional derivative); a grid point outside the points' convex hull is an
error, never a fill.

``table(exp(-x^2), x in [0, 1] by 101)`` tabulates an expression of the grid's
variables (:func:`sample`): its values at the grid's points, interpolated like any
table, so an expensive or non-smooth coefficient is frozen into numbers.

The interpolant is multilinear on each cell (linear in 1-D, bilinear in 2-D).  Its
derivatives hold almost everywhere: ∂/∂x of each cell's polynomial, so first
derivatives are piecewise constant along their axis (mixed ones, ∂²/∂x∂y, too) and a
second derivative along one axis is zero.  In SymPy a table is an application of a
class made for it, whose ``fdiff`` is the same table with one more derivative, so the
chain rule and every operator work unchanged.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Sequence

import numpy as np
import sympy

from .._errors import PinnError
from .._functions import detach
from .data import beside, read_columns

__all__ = ["MAX_VALUES", "TableData", "Tabulated", "check_covers", "read_table", "resample", "sample", "tabulated"]

MAX_VALUES = 512 * 512  # values of one table (262,144: a 512² grid); they are written into the generated module


@dataclasses.dataclass(frozen=True)
class TableData:
    """A table on a grid: ``axes[i]`` the increasing coordinates along ``variables[i]``."""

    name: str  # the name the problem gives it (its `let`), printed in the IR and the module
    file: str  # the file name as written ("" for an expression's values)
    variables: tuple[str, ...]
    axes: tuple[tuple[float, ...], ...]
    values: tuple[float, ...]  # row-major (C order) over the grid
    expression: sympy.Expr | None = None  # table(exp(-x^2), x in [0, 1] by 101): what was sampled
    scattered: bool = False  # table("probes.csv", x by 65): the file's points were resampled on the grid

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    def describe(self) -> str:
        """``table a(x, y) from 'coef.csv': 21 × 11 grid, multilinear`` (the IR and the plan show it)."""
        grid = " × ".join(map(str, self.shape)) + (" points" if len(self.shape) == 1 else " grid")
        if self.expression is not None:
            origin = f"of {' '.join(str(self.expression).split())}"
        elif self.scattered:
            origin = f"from {self.file!r} (scattered points, linear on their Delaunay triangulation)"
        else:
            origin = f"from {self.file!r}"
        return f"table {self.name}({', '.join(self.variables)}) {origin}: {grid}, multilinear"

    def grid_text(self) -> str:
        """``x in [0, 1] by 101, y in [0, 2] by 51``: the grid of a sampled or resampled table, as written."""
        return ", ".join(f"{v} in [{a[0]:.17g}, {a[-1]:.17g}] by {len(a)}" for v, a in zip(self.variables, self.axes))

    def array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float).reshape(self.shape)


def read_table(name: str, file: str, base: pathlib.Path, variables: Sequence[str]) -> TableData:
    """The table in ``file`` (relative to ``base``) over ``variables``: a column each, and one of values.

    Errors are PinnErrors without a location (the checker adds the call's).
    """
    columns, values = _columns(file, base, variables)
    axes, index = [], []
    for v in variables:
        axis, where = np.unique(columns[v], return_inverse=True)
        if len(axis) < 2:
            raise PinnError(
                f"column '{v}' of '{file}' has a single value: a grid needs at least two along each coordinate"
            )
        axes.append(axis)
        index.append(where)
    shape = tuple(len(a) for a in axes)
    grid = np.full(shape, np.nan)
    counts = np.zeros(shape, dtype=int)
    np.add.at(counts, tuple(index), 1)
    grid[tuple(index)] = values
    if len(values) != int(np.prod(shape)) or np.any(counts != 1):
        raise PinnError(
            f"the points of '{file}' are not a grid: {len(values):,} rows, but their coordinates take "
            f"{' × '.join(map(str, shape))} distinct values",
            help="give a value at every combination of the coordinates, once (a tensor-product grid); "
            f'or state a grid to resample scattered points on: table("{file}", '
            + ", ".join(f"{v} by 65" for v in variables)
            + ") (linear on their triangulation, scipy.interpolate.griddata)",
        )
    if grid.size > MAX_VALUES:
        raise PinnError(
            f"'{file}' has {grid.size:,} values; a table holds at most {MAX_VALUES:,} (the generated code holds them)",
            help="subsample the grid",
        )
    return TableData(
        name,
        file,
        tuple(variables),
        tuple(tuple(float(c) for c in a) for a in axes),
        tuple(float(c) for c in grid.ravel()),
    )


def _columns(file: str, base: pathlib.Path, variables: Sequence[str]) -> tuple[dict, np.ndarray]:
    """The columns of the table file and its one column of values besides the coordinates'."""
    path = beside(file, base, "the table file")
    columns = read_columns(path)
    missing = [v for v in variables if v not in columns]
    if missing:
        raise PinnError(
            f"'{file}' has no column '{missing[0]}' (columns: {', '.join(columns)})",
            help=f"give a column per coordinate ({', '.join(variables)}) and one column of values",
        )
    others = [c for c in columns if c not in variables]
    if len(others) != 1:
        raise PinnError(
            f"'{file}' has {len(others)} columns besides the coordinates ({', '.join(others) or 'none'})",
            help=f"give one column of values besides {', '.join(variables)}",
        )
    return columns, columns[others[0]]


def _points(axes: Sequence[np.ndarray]) -> np.ndarray:
    """The grid's points, one row each, in row-major order (the order of ``TableData.values``)."""
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=1)


def _at(variables: Sequence[str], point: np.ndarray) -> str:
    return ", ".join(f"{v} = {c:g}" for v, c in zip(variables, point))


def numeric(expression: sympy.Expr, variables: Sequence[sympy.Symbol], modules=("scipy", "numpy")):
    """``expression`` as a NumPy function of ``variables``: SymPy's ``lambdify`` prints the
    expression (built by the checker, never user text: a string is refused) as NumPy (and
    SciPy) calls, every symbol renamed (``dummify``), and runs that code.  The one place the
    package turns an expression into Python code (tests/test_security.py holds it to that)."""
    if not isinstance(expression, sympy.Basic):  # lambdify would parse a string: only a built expression
        raise TypeError(f"numeric() takes a SymPy expression, not {type(expression).__name__}")
    return sympy.lambdify(list(variables), expression, modules=list(modules), dummify=True)


def sample(name: str, expression: sympy.Expr, variables: Sequence[sympy.Symbol], axes) -> TableData:
    """The table of ``expression`` (of ``variables`` and numbers only) at the points of the grid ``axes``.

    The expression becomes NumPy/SciPy calls by :func:`numeric`; the values must be real and
    finite.  Errors are PinnErrors without a
    location (the checker adds the expression's).
    """
    if not isinstance(expression, sympy.Basic):
        raise TypeError(f"sample() takes a SymPy expression, not {type(expression).__name__}")
    axes = [np.asarray(a, dtype=float) for a in axes]
    points = _points(axes)
    values_of = expression.replace(detach, lambda value: value)  # no gradients here: detach(f) is f's value
    try:
        function = numeric(values_of, variables)
        with np.errstate(all="ignore"):
            values = np.broadcast_to(np.asarray(function(*points.T)), (len(points),))
    except Exception as err:  # a SymPy function without a NumPy counterpart: named in the message
        raise PinnError(
            f"cannot evaluate {expression} at the grid's points: {err}",
            help="tabulate an expression of numbers, the grid's variables and elementary functions",
        ) from None
    if np.iscomplexobj(values):
        bad = np.flatnonzero(np.abs(values.imag) > 1e-12 * np.maximum(np.abs(values.real), 1))
        if bad.size:
            raise PinnError(
                f"{expression} is not real at {_at([str(v) for v in variables], points[bad[0]])}",
                help="a table holds real numbers: tabulate a real expression",
            )
        values = values.real
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise PinnError(
            f"{expression} is not a finite number at {_at([str(v) for v in variables], points[bad[0]])} "
            f"({bad.size:,} of the grid's {len(points):,} points)",
            help="tabulate it on a grid where it is defined (and real)",
        )
    return TableData(
        name,
        "",
        tuple(str(v) for v in variables),
        tuple(tuple(float(c) for c in a) for a in axes),
        tuple(float(c) for c in values),
        expression=expression,
    )


def resample(name: str, file: str, base: pathlib.Path, variables: Sequence[str], axes) -> TableData:
    """The scattered points of ``file`` interpolated onto the grid ``axes``: linear on their triangulation.

    ``scipy.interpolate.griddata(method="linear")``: in 1-D the broken line through the
    points, in 2-D and 3-D linear on each triangle (tetrahedron) of their Delaunay
    triangulation.  A grid point outside the points' convex hull has no value there: an
    error, never a fill.  Errors are PinnErrors without a location.
    """
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    columns, values = _columns(file, base, variables)
    coords = np.stack([columns[v] for v in variables], axis=1)
    unique, counts = np.unique(coords, axis=0, return_counts=True)
    if np.any(counts > 1):
        raise PinnError(
            f"the point {_at(variables, unique[np.argmax(counts > 1)])} appears {counts.max()} times in '{file}'",
            help="give each point once (average repeated measurements first)",
        )
    if len(coords) <= len(variables):
        raise PinnError(
            f"'{file}' has {len(coords)} points: interpolating over {len(variables)} variables needs at least "
            f"{len(variables) + 1}",
            help="give more points",
        )
    axes = [np.asarray(a, dtype=float) for a in axes]
    points = _points(axes)
    try:
        grid = griddata(coords if len(variables) > 1 else coords[:, 0], values, points, method="linear").ravel()
    except (QhullError, ValueError) as err:
        raise PinnError(
            f"the points of '{file}' cannot be triangulated ({str(err).splitlines()[0]})",
            help="the points must not all lie on one line (plane): spread them over the domain",
        ) from None
    outside = np.flatnonzero(np.isnan(grid))
    if outside.size:
        raise PinnError(
            f"{outside.size:,} of the grid's {len(points):,} points lie outside the convex hull of the points "
            f"of '{file}', the first at {_at(variables, points[outside[0]])}",
            help="linear interpolation does not extrapolate: give points that enclose the domain "
            "(its corners and edges too)",
        )
    return TableData(
        name,
        file,
        tuple(variables),
        tuple(tuple(float(c) for c in a) for a in axes),
        tuple(float(c) for c in grid),
        scattered=True,
    )


def check_covers(table: TableData, intervals: dict[str, tuple[float, float]]) -> None:
    """Refuse a table whose grid does not cover each variable's interval (no extrapolation)."""
    for v, axis in zip(table.variables, table.axes):
        lo, hi = intervals[v]
        if axis[0] > lo or axis[-1] < hi:
            where = f"column '{v}' of '{table.file}'" if table.file else f"the grid along {v}"
            raise PinnError(
                f"{where} covers [{axis[0]:g}, {axis[-1]:g}], but {v} ranges over [{lo:g}, {hi:g}]",
                help="tables are not extrapolated: give values over the whole interval",
            )


class Tabulated(sympy.Function):
    """∂^alpha of a table at its arguments; each table has its own subclass (see :func:`tabulated`)."""

    table: TableData
    alpha: tuple[int, ...]
    _derivatives: dict  # alpha → class, shared by a table's classes

    @classmethod
    def eval(cls, *args):
        if len(args) != len(cls.table.variables):
            raise TypeError(f"{cls.table.name} takes {len(cls.table.variables)} arguments, got {len(args)}")
        if cls.alpha and any(k > 1 for k in cls.alpha):  # multilinear: zero almost everywhere
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        alpha = list(self.alpha)
        alpha[argindex - 1] += 1
        return _tabulated(self.table, tuple(alpha), self._derivatives)(*self.args)

    def _eval_is_real(self):
        return True


def tabulated(table: TableData) -> type[Tabulated]:
    """The SymPy function class of a table (its values; derivatives come from ``diff``)."""
    return _tabulated(table, (0,) * len(table.variables), {})


def _tabulated(table: TableData, alpha: tuple[int, ...], derivatives: dict) -> type[Tabulated]:
    if alpha not in derivatives:
        suffix = "" if not any(alpha) else "_d" + "".join(map(str, alpha))
        derivatives[alpha] = type(
            f"{table.name}{suffix}",
            (Tabulated,),
            {"table": table, "alpha": alpha, "_derivatives": derivatives, "nargs": len(alpha)},
        )
    return derivatives[alpha]
