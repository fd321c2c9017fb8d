"""Files beside the problem and tables: observations (`data "obs.csv"`), tables read from a
file (`table("coef.csv", x)`), resampled from scattered points (`table("probes.csv", x by 65)`)
or sampled from an expression (`table(exp(-x^2), x in [0, 1] by 101)`)."""

from __future__ import annotations

import pathlib

import numpy as np
import sympy

from ..._errors import PinnError
from .. import syntax as ast
from ..data import observations
from ..regions import Data
from ..spec import Observed
from ..table import MAX_VALUES, Tabulated, check_covers, read_table, resample, sample, tabulated
from .scope import Scope


class Files(Scope):
    """Reading and validating the files a problem names."""

    def _stmt_DataDecl(self, s: ast.DataDecl) -> None:
        self.data_statements.append(s)  # read once every variable and field is declared

    def _read_data(self, s: ast.DataDecl) -> None:
        """The observations of a `data` line (read and validated by _data), as a term per observed field."""
        base = pathlib.Path(self.program.filename).parent if self.program.filename else pathlib.Path.cwd()
        fields = {f.func.__name__: tuple(a.name for a in f.args) for f in self.fields}
        intervals = {v.name: (lo, hi) for v, lo, hi in self.variables}
        try:
            data = observations(s.path, base, fields, intervals)
        except PinnError as err:
            err.span = s.span
            raise
        self.data.append(data)
        region = Data(s.path)
        for f in self.fields:
            if f.func.__name__ in data.observed:
                self.terms.append((s, "residual", region, f - Observed(f.func.__name__), 1.0))

    def _expr_FileCall(self, node: ast.FileCall):
        """`table("coef.csv", x, y)`: values on a grid in a file beside the problem, interpolated (_table)."""
        if node.name.name != "table":
            raise PinnError(
                f"'{node.name.name}' does not take a file name: only table(...) does",
                node.path_span,
                help='write table("coef.csv", x) for values tabulated over x',
            )
        base = pathlib.Path(self.program.filename).parent if self.program.filename else pathlib.Path.cwd()
        if node.grid:  # scattered points, resampled on the grid the problem states
            variables, axes = self._grid(node.grid, f'table("{node.path}", ...)')
            key = (node.path, tuple(variables), tuple(map(tuple, axes)))
            if key not in self.tables:
                try:
                    data = resample(self._table_name(node.path), node.path, base, list(variables), axes)
                except PinnError as err:
                    err.span = node.span if "column" in err.message or "grid" in err.message else node.path_span
                    raise
                self.tables[key] = tabulated(data)
            return self.tables[key](*(self.names[v].value[0] for v in variables))
        if not node.args:
            raise PinnError(
                "table needs the variables its values are tabulated over",
                node.span,
                help=f'write table("{node.path}", x) or table("{node.path}", x, y)',
            )
        variables = {}
        for arg in node.args:
            declared = self.names.get(arg.name) if isinstance(arg, ast.Name) else None
            if declared is None or declared.kind != "variable" or arg.name in self.params or arg.name in self.bound:
                raise PinnError(
                    "the arguments of table are variables, each naming a column of the file",
                    arg.span,
                    help=f'write table("{node.path}", x, y) with declared variables',
                )
            if arg.name in variables:
                raise PinnError(f"table names the variable '{arg.name}' twice", arg.span)
            _, lo, hi = declared.value
            variables[arg.name] = (float(lo), float(hi))
        key = (node.path, tuple(variables))
        if key not in self.tables:
            try:
                data = read_table(self._table_name(node.path), node.path, base, list(variables))
                check_covers(data, variables)
            except PinnError as err:
                err.span = node.path_span if "column" not in err.message else node.span
                raise
            self.tables[key] = tabulated(data)
        return self.tables[key](*(self.names[v].value[0] for v in variables))

    def _expr_SampledCall(self, node: ast.SampledCall):
        """`table(exp(-x^2), x in [0, 1] by 101)`: the expression's values on the grid, interpolated (_table)."""
        if node.name.name != "table":
            raise PinnError(
                f"'{node.name.name}' does not take a grid (`x in [0, 1] by 101`): only table(...) does",
                node.name.span,
                help="write table(expression, x in [0, 1] by 101) for an expression's values on a grid",
            )
        variables, axes = self._grid(node.grid, "table(...)")
        expr = self._scalar(node.expr)
        grid = {self.names[v].value[0] for v in variables}
        others = sorted(map(str, expr.free_symbols - grid))
        inner = expr.atoms(sympy.core.function.AppliedUndef, sympy.Derivative, sympy.Integral, Tabulated)
        if others or inner:
            what = f"'{others[0]}'" if others else f"{sorted(map(str, inner))[0]}"
            raise PinnError(
                f"a table holds numbers: its expression may use only its grid's variables "
                f"({', '.join(variables)}), constants and functions, not {what}",
                node.expr.span,
                help="give each variable the expression uses a grid (`x in [0, 1] by 101`); "
                "a field, an unknown or another table cannot be tabulated before training",
            )
        key = (expr, tuple(variables), tuple(map(tuple, axes)))
        if key not in self.tables:
            try:
                data = sample(self._table_name("table"), expr, [self.names[v].value[0] for v in variables], axes)
            except PinnError as err:
                err.span = node.expr.span
                raise
            self.tables[key] = tabulated(data)
        return self.tables[key](*(self.names[v].value[0] for v in variables))

    def _grid(self, grid: tuple[ast.GridAxis, ...], call: str) -> tuple[dict, list[np.ndarray]]:
        """The variables of `x in [0, 1] by 101, y by 51` (name → interval) and each one's equally spaced values."""
        variables, axes = {}, []
        for axis in grid:
            name = axis.variable.name
            declared = self.names.get(name)
            if declared is None or declared.kind != "variable" or name in self.params or name in self.bound:
                raise PinnError(
                    f"the grid of {call} runs over declared variables; '{name}' is not one",
                    axis.variable.span,
                    help="write `x in [0, 1] by 101` with a declared variable x",
                )
            if name in variables:
                raise PinnError(f"the grid of {call} names the variable '{name}' twice", axis.variable.span)
            _, lo, hi = declared.value
            lo, hi = float(lo), float(hi)
            count = self._number(axis.count, "the number of grid points")
            if count != int(count) or count < 2:
                raise PinnError(
                    f"the number of grid points along {name} must be a whole number, at least 2; got {count:g}",
                    axis.count.span,
                    help=f"write `{name} by 101` for 101 equally spaced points",
                )
            if axis.low is None:
                low, high = lo, hi
            else:
                low = self._number(axis.low, "the grid's lower end")
                high = self._number(axis.high, "the grid's upper end")
                if not low < high:
                    raise PinnError(f"the grid along {name} is empty: [{low:g}, {high:g}]", axis.span)
                if low > lo or high < hi:
                    raise PinnError(
                        f"the grid along {name} covers [{low:g}, {high:g}], but {name} ranges over [{lo:g}, {hi:g}]",
                        axis.span,
                        help=f"tables are not extrapolated: cover the interval, or write `{name} by {int(count)}`",
                    )
            variables[name] = (lo, hi)
            axes.append(np.linspace(low, high, int(min(count, MAX_VALUES + 1))))
        size = int(np.prod([len(a) for a in axes], dtype=float))
        if size > MAX_VALUES:
            raise PinnError(
                f"the grid of {call} has {size:,} points; a table holds at most {MAX_VALUES:,} (the generated code "
                "holds them)",
                grid[0].span,
                help="use fewer points",
            )
        return variables, axes

    def _table_name(self, file: str) -> str:
        """The name of a new table: its file's stem (``table`` for an expression), made unique."""
        stem = "".join(c if c.isalnum() or c == "_" else "_" for c in pathlib.PurePath(file).stem) or "table"
        name, i = (stem if stem.isidentifier() else f"table_{stem}"), 2
        taken = {c.table.name for c in self.tables.values()}
        while name in taken:
            name, i = f"{stem}_{i}", i + 1
        return name
