"""Regions of Ω as the text writes them: `region A = x < 0.5`, `region A = disk((0.5, 0.5), 0.25)`,
`region B = Ω \\ A`, `field u1(x) in A`, `... in A`, `... on interface(A, B)`; their meaning and
checks are in :mod:`..subdomains`."""

from __future__ import annotations

from ..._errors import PinnError
from ..._runtime import geometry
from .. import syntax as ast
from ..regions import Region
from ..subdomains import Subdomain, box, interface, shaped, space, written
from .scope import Scope

_WHOLE = ("Ω", "Omega")  # Ω in a region's shape: the whole domain (`region B = Ω \ A`)

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Subdomains(Scope):
    """`region` declarations, and the regions of `in A` and `on interface(A, B)`."""

    def _stmt_RegionDecl(self, s: ast.RegionDecl) -> None:
        intervals = {v.name: (lo, hi) for v, lo, hi in self.variables}
        if not isinstance(s.condition, (ast.Comparison, ast.Logic)):  # a shape: `disk(...)`, `Ω \ A`
            domain = space(intervals, self._spatial_names(), self.shape, s.condition.span)
            built = dict(self.built)  # a `let` shape a region names is no part of ∂Ω (`on ∂hole`)
            tree = self._region_shape(s.condition, domain, intervals)
            self.built = built
            self._declare(s.name, "region", shaped(s.name.name, tree, domain, s.span.line, s.condition.span))
            return
        ranges = {}
        for comparison in _comparisons(s.condition):
            operands = comparison.operands
            for i, op in enumerate(comparison.ops):
                self._bound(ranges, intervals, operands[i], op, operands[i + 1], comparison)
        cut_by = self.shape[0] if self.shape else ()
        region = box(s.name.name, ranges, intervals, cut_by, s.span.line, s.condition.span)
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

    def _region_shape(self, node: ast.Node, domain: tuple, intervals: dict) -> geometry.Shape:
        """The shape a region names, in the spatial variables: shapes as a domain's are written
        (`disk(...)`, a shape named by `let`, ∪ \\ ∩), `Ω` for the domain, and regions declared before."""
        if isinstance(node, ast.BinOp) and node.op == "-":  # `A - B`, as in a shape's `let`
            node = ast.ShapeOp(node.span, "difference", node.left, node.right)
        if isinstance(node, ast.ShapeOp):
            left, right = (self._region_shape(n, domain, intervals) for n in (node.left, node.right))
            return {"union": geometry.Union, "difference": geometry.Difference, "intersection": geometry.Intersection}[
                node.op
            ](left, right)
        if isinstance(node, ast.Name) and node.name in _WHOLE and node.name not in self.names:
            return domain[1]
        if isinstance(node, ast.Name) and getattr(self.names.get(node.name), "kind", None) == "region":
            return written(self._subdomain(node), domain, intervals, node.span)
        if isinstance(node, ast.Name) and node.name not in self.names:
            raise PinnError(
                f"'{node.name}' is not a region or a shape",
                node.span,
                help="declare it first (`region A = disk((0.5, 0.5), 0.25)`, `let hole = disk(...)`); Ω is the "
                f"whole domain; regions declared: {self._list('region')}",
            )
        if isinstance(node, ast.Call):
            node = ast.Shape(node.span, node.name, node.args)
        if not isinstance(node, (ast.Shape, ast.Name, ast.FileCall)):
            raise PinnError(
                "a region is comparisons of variables with numbers, or a shape",
                node.span,
                help="write e.g. `region A = x < 0.5`, `region A = disk((0.5, 0.5), 0.25)` or `region B = Ω \\ A`",
            )
        return self._shape(node, len(domain[0]))

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
        return self._subdomain(where.region).interior()

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
        help="declare each box as its own region (`or` and `not` are not boxes), or give the region as a shape: "
        "`region B = Ω \\ A`, `region C = disk((0.5, 0.5), 0.25)`",
    )
