"""Tabulated functions: ``table("coef.csv", x, y)``, values on a grid, interpolated.

A table file is a CSV (header row) or NPZ file with a column per coordinate, named
after the variables the table is called with, and one more column of values.  Its
points must form a tensor-product grid (every combination of the distinct coordinate
values once, in any row order; the spacing need not be uniform), and the grid must
cover the variables' intervals: the interpolant is never extrapolated.

Scattered points are refused rather than interpolated silently: a triangulation and a
resolution would be choices the problem text does not show.  The error says how to
resample them onto a grid (``scipy.interpolate.griddata``).

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
from .data import beside, read_columns

__all__ = ["MAX_VALUES", "TableData", "Tabulated", "check_covers", "read_table", "tabulated"]

MAX_VALUES = 512 * 512  # values of one table (262,144: a 512² grid); they are written into the generated module


@dataclasses.dataclass(frozen=True)
class TableData:
    """A table on a grid: ``axes[i]`` the increasing coordinates along ``variables[i]``."""

    name: str  # the name the problem gives it (its `let`), printed in the IR and the module
    file: str  # the file name as written
    variables: tuple[str, ...]
    axes: tuple[tuple[float, ...], ...]
    values: tuple[float, ...]  # row-major (C order) over the grid

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    def describe(self) -> str:
        """``table a(x, y) from 'coef.csv': 21 × 11 grid, multilinear`` (the IR and the plan show it)."""
        grid = " × ".join(map(str, self.shape)) + (" points" if len(self.shape) == 1 else " grid")
        return f"table {self.name}({', '.join(self.variables)}) from {self.file!r}: {grid}, multilinear"

    def array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float).reshape(self.shape)


def read_table(name: str, file: str, base: pathlib.Path, variables: Sequence[str]) -> TableData:
    """The table in ``file`` (relative to ``base``) over ``variables``: a column each, and one of values.

    Errors are PinnErrors without a location (the checker adds the call's).
    """
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
    values = columns[others[0]]
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
            "resample scattered points onto one first, e.g. with scipy.interpolate.griddata",
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


def check_covers(table: TableData, intervals: dict[str, tuple[float, float]]) -> None:
    """Refuse a table whose grid does not cover each variable's interval (no extrapolation)."""
    for v, axis in zip(table.variables, table.axes):
        lo, hi = intervals[v]
        if axis[0] > lo or axis[-1] < hi:
            raise PinnError(
                f"column '{v}' of '{table.file}' covers [{axis[0]:g}, {axis[-1]:g}], but {v} ranges over "
                f"[{lo:g}, {hi:g}]",
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
