"""Files beside the problem: observations (`data "obs.csv"`) and tables (`table("coef.csv", x)`)."""

from __future__ import annotations

import pathlib

from ..._errors import PinnError
from .. import syntax as ast
from ..data import observations
from ..regions import Data
from ..spec import Observed
from ..table import check_covers, read_table, tabulated
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
            base = pathlib.Path(self.program.filename).parent if self.program.filename else pathlib.Path.cwd()
            stem = "".join(c if c.isalnum() or c == "_" else "_" for c in pathlib.PurePath(node.path).stem) or "table"
            name, i = (stem if stem.isidentifier() else f"table_{stem}"), 2
            taken = {c.table.name for c in self.tables.values()}
            while name in taken:
                name, i = f"{stem}_{i}", i + 1
            try:
                data = read_table(name, node.path, base, list(variables))
                check_covers(data, variables)
            except PinnError as err:
                err.span = node.path_span if "column" not in err.message else node.span
                raise
            self.tables[key] = tabulated(data)
        return self.tables[key](*(self.names[v].value[0] for v in variables))
