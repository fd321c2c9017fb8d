"""Index notation: families of variables `x[1..d]`, one of them `x[i]`, and bounded sums `sum(i, a, b, f)`.

`x[1..100] in [0, 1]` declares the variables x[1], ..., x[100], each a variable like any
other, named ``x1``, ..., ``x100`` (in the generated code, the outputs, the errors and the
problem text alike); ``x`` alone is the vector (x[1], ..., x[100]), so ``|x|^2`` is the sum
of their squares and ``field u(x)`` takes all of them.  ``sum(i, a, b, f)`` is f written
out for i = a, ..., b: the index is a whole number, only inside the sum, and an index out
of its family's range is an error at it.  A sum costs its body's size times its length,
counted against :data:`_limits.INLINED_SIZE` before it is written out.
"""

from __future__ import annotations

import dataclasses

import sympy

from ... import _limits
from ..._errors import PinnError
from .. import syntax as ast
from ..spec import variable
from .scope import CONSTANTS, Scope

# the kind of a family's name in the scope; its value is a Family
FAMILY = "family"


@dataclasses.dataclass(frozen=True)
class Family:
    """The variables of ``x[first..last]``, in order."""

    symbols: tuple[sympy.Symbol, ...]
    first: int

    @property
    def last(self) -> int:
        return self.first + len(self.symbols) - 1

    def __getitem__(self, index: int) -> sympy.Symbol:
        """x[index], by the family's own numbering."""
        return self.symbols[index - self.first]


def element_name(family: str, index: int) -> str:
    """The name of ``family[index]``: ``x3`` for x[3]."""
    return f"{family}{index}"


class Indices(Scope):
    """The `_stmt_`, `_expr_` and `_call_` methods of index notation."""

    def _stmt_IndexedDecl(self, s: ast.IndexedDecl) -> None:
        first = self._whole(s.first, "the first index of a family of variables")
        last = self._whole(s.last, "the last index of a family of variables")
        if first < 0 or last < first:
            raise PinnError(
                f"the indices {first}..{last} of '{s.name.name}' do not count up from a whole number ≥ 0",
                s.span,
                help=f"write the first index first, e.g. `{s.name.name}[1..10] in [0, 1]`",
            )
        _limits.VARIABLES.check(len(self.variables) + last - first + 1, s.span, f"the family {s.name.name}")
        lo, hi = self._interval(s, f"{s.name.name}[1..10] in [0, 1]")  # of Declarations, beside this in the checker
        symbols = []
        for index in range(first, last + 1):  # each a variable of its own, declared as if written out
            symbol = variable(element_name(s.name.name, index))
            if symbol.name in self.names:
                raise PinnError(
                    f"{s.name.name}[{index}] is the variable named {symbol.name}, which is already declared "
                    f"(as a {self.names[symbol.name].kind} on line {self.names[symbol.name].span.line})",
                    s.name.span,
                    help="choose another name for the family or for the other declaration",
                )
            self._declare(ast.Name(s.name.span, symbol.name), "variable", (symbol, lo, hi))
            self.variables.append((symbol, lo, hi))
            symbols.append(symbol)
        self._declare(s.name, FAMILY, Family(tuple(symbols), first))

    def _whole(self, node: ast.Node, what: str) -> int:
        """A whole number: a literal, a `const`, an enclosing sum's index, or arithmetic of these."""
        value = self._number(node, what)
        if not float(value).is_integer():
            raise PinnError(f"{what} must be a whole number, got {value:g}", node.span, help="e.g. 1 or 100")
        return int(value)

    def _index_family(self, name: ast.Name) -> Family:
        declared = self.names.get(name.name)
        if declared is None or declared.kind != FAMILY:
            raise PinnError(
                f"'{name.name}' is not a family of variables",
                name.span,
                help=f"declare one with `{name.name}[1..10] in [0, 1]`; then {name.name}[3] is one of them",
            )
        return declared.value

    def _element(self, family: Family, index: int, node: ast.Node, name: str) -> sympy.Symbol:
        if not family.first <= index <= family.last:
            raise PinnError(
                f"the index {index} is outside the range {family.first}..{family.last} of '{name}'",
                node.span,
                help=f"{name} is declared as {name}[{family.first}..{family.last}]",
            )
        return family[index]

    def _expr_Index(self, node: ast.Index) -> sympy.Symbol:
        """`x[3]`, `x[i]`, `x[i + 1]`: one variable of a family."""
        family = self._index_family(node.name)
        for name in _names(node.index):
            declared = self.names.get(name.name)
            if name.name not in self.indices and (declared is None or declared.kind != "const"):
                raise PinnError(
                    f"'{name.name}' in the index of {node.name.name} is neither the index of an enclosing sum "
                    "nor a `const`",
                    name.span,
                    help=f"an index is a whole number: write {node.name.name}[3], or "
                    f"sum(i, 1, {family.last}, ... {node.name.name}[i] ...)",
                )
        index = self._whole(node.index, f"the index of {node.name.name}")
        return self._element(family, index, node.index, node.name.name)

    def _family_arguments(self, arg: ast.Name | ast.IndexRange) -> list[ast.Name]:
        """A field's argument as the variables it stands for: `x` (a family: all of it), `x[2..5]`, `t`."""
        if isinstance(arg, ast.IndexRange):
            family = self._index_family(arg.name)
            first = self._whole(arg.first, "the first index of a range")
            last = self._whole(arg.last, "the last index of a range")
            if last < first:
                raise PinnError(f"the range {first}..{last} is empty", arg.span, help="write the first index first")
            for index, node in ((first, arg.first), (last, arg.last)):
                self._element(family, index, node, arg.name.name)  # both ends in the family's range
            return [ast.Name(arg.span, family[i].name) for i in range(first, last + 1)]
        declared = self.names.get(arg.name)
        if declared is not None and declared.kind == FAMILY:
            return [ast.Name(arg.span, s.name) for s in declared.value.symbols]
        return [arg]

    def _call_sum(self, node: ast.Call):
        """`sum(i, a, b, f)`: f for i = a, ..., b, added; i is a whole number, in scope in f only."""
        if len(node.args) != 4:
            raise PinnError(
                f"sum takes 4 arguments (index, first, last, term), got {len(node.args)}",
                node.span,
                help="write sum(i, 1, 10, x[i]^2)",
            )
        index, first_node, last_node, body = node.args
        if not isinstance(index, ast.Name):
            raise PinnError("expected the name of the index", index.span, help="write sum(i, 1, 10, x[i]^2)")
        taken = index.name in self.names or index.name in CONSTANTS or index.name in self.bound
        if taken or index.name in self.indices or index.name in self.params:
            raise PinnError(
                f"the index '{index.name}' is already a name in scope",
                index.span,
                help="sum over a new name, e.g. sum(j, 1, 10, ...)",
            )
        first = self._whole(first_node, "the first value of a sum's index")
        last = self._whole(last_node, "the last value of a sum's index")
        if last < first:
            raise PinnError(
                f"the sum from {first} to {last} has no terms",
                node.span,
                help="write the first value of the index first: sum(i, 1, 10, ...)",
            )
        # written out, the sum is its body once per index: counted before, as a user function's call
        self.inlined += ast.size(body) * (last - first + 1)
        try:
            _limits.INLINED_SIZE.check(self.inlined, node.span, "this sum written out")
        except PinnError as err:
            err.help = f"sum over fewer terms, or nest fewer sums; {err.help.split('; ')[-1]}"
            raise
        terms = []
        for value in range(first, last + 1):
            self.indices[index.name] = sympy.Integer(value)
            try:
                terms.append(self._expr(body))
            finally:
                del self.indices[index.name]
        if any(isinstance(t, tuple) for t in terms):
            if not all(isinstance(t, tuple) and len(t) == len(terms[0]) for t in terms):
                raise PinnError("the terms of this sum are not all vectors of one length", body.span)
            return tuple(sympy.Add(*parts) for parts in zip(*terms))
        return sympy.Add(*terms)


def _names(node: ast.Node) -> list[ast.Name]:
    """The names written in an expression (iteratively, as :func:`ast.size` walks)."""
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
        elif isinstance(item, ast.Name):
            found.append(item)
        elif isinstance(item, ast.Node):
            stack.extend(getattr(item, f) for f in item.__dataclass_fields__ if f != "span")
    return found
