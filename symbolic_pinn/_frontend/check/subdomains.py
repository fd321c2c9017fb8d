"""Regions of Ω as the text writes them: `region A = x < 0.5`, `field u1(x) in A`, `... in A`,
`... on interface(A, B)`; their meaning and checks are in :mod:`..subdomains`."""

from __future__ import annotations

from ..._errors import PinnError
from .. import syntax as ast
from ..regions import INTERIOR, Region, Within
from ..subdomains import Subdomain, box, interface
from .scope import Scope

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Subdomains(Scope):
    """`region` declarations, and the regions of `in A` and `on interface(A, B)`."""

    def _stmt_RegionDecl(self, s: ast.RegionDecl) -> None:
        intervals = {v.name: (lo, hi) for v, lo, hi in self.variables}
        ranges = {}
        for comparison in _comparisons(s.condition):
            operands = comparison.operands
            for i, op in enumerate(comparison.ops):
                self._bound(ranges, intervals, operands[i], op, operands[i + 1], comparison)
        shaped = self.shape[0] if self.shape else ()
        region = box(s.name.name, ranges, intervals, shaped, s.span.line, s.condition.span)
        self._declare(s.name, "region", region)

    def _bound(self, ranges: dict, intervals: dict, left, op: str, right, comparison: ast.Node) -> None:
        """Narrow a variable's range by `x < 0.5` (or `0.5 < x`)."""
        if (
            isinstance(right, ast.Name)
            and right.name in intervals
            and not (isinstance(left, ast.Name) and left.name in intervals)
        ):
            left, op, right = right, _FLIPPED[op], left
        if not (isinstance(left, ast.Name) and left.name in intervals):
            raise PinnError(
                "a region compares a variable with a number",
                comparison.span,
                help="write e.g. `region A = x < 0.5` or `region B = 0.2 < x < 0.6 and y > 0.5`",
            )
        value = self._number(right, "the bound of a region")
        lo, hi = ranges.get(left.name, intervals[left.name])
        ranges[left.name] = (max(lo, value), hi) if op in (">", ">=") else (lo, min(hi, value))

    def _subdomain(self, name: ast.Name) -> Subdomain:
        declared = self.names.get(name.name)
        if declared is None or declared.kind != "region":
            raise PinnError(
                f"'{name.name}' is not a region",
                name.span,
                help=f"declare it first, e.g. `region {name.name} = x < 0.5`; regions declared: {self._list('region')}",
            )
        return declared.value

    def _in_region(self, where: ast.InRegion) -> Region:
        region = self._subdomain(where.region)
        return Within(INTERIOR, region.bounds, region.name) if region.bounds else INTERIOR

    def _on_interface(self, where: ast.OnInterface) -> Region:
        intervals = {v.name: (lo, hi) for v, lo, hi in self.variables}
        return interface(self._subdomain(where.first), self._subdomain(where.second), intervals, where.span)


def _comparisons(node: ast.Node) -> list[ast.Comparison]:
    """The comparisons of `a and b and ...`; `or` and `not` would not make a box."""
    if isinstance(node, ast.Comparison):
        return [node]
    if isinstance(node, ast.Logic) and node.op == "and":
        return [c for arg in node.args for c in _comparisons(arg)]
    raise PinnError(
        "a region is a box: comparisons of variables with numbers joined by `and`",
        node.span,
        help="declare each box as its own region (`or` and `not` are not boxes)",
    )
