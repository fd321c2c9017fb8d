"""Where a term holds, as the text writes it (`on ∂Ω`, `at x = 1`, `on ∂hole`): read here,
resolved and checked by :class:`..regions.Resolver`, which the SymPy front end shares."""

from __future__ import annotations

import math

import numpy as np

from ..._errors import PinnError
from ..._runtime import geometry
from .. import syntax as ast
from ..regions import INTERIOR, TEXT, Curve, Part, Region, Resolver
from .scope import Scope


class Where(Scope):
    """Regions from the syntax tree."""

    def _resolver(self) -> Resolver:
        """The regions of the domain declared so far."""
        return Resolver(
            intervals={v.name: (lo, hi) for v, lo, hi in self.variables},
            parameters=tuple(self.parameters),
            spatial=self._spatial_names(),
            shape=self.shape,
            spelling=TEXT,
        )

    def _region(self, where, restriction=None) -> Region:
        """Where a term holds: ``where`` (`on ∂Ω`, `at x = 1`, ...), restricted by the predicate
        ``restriction`` (`where x < 0.5`) when one is given."""
        region = self._unrestricted(where)
        if restriction is None:
            return region
        if self.maps:
            raise PinnError(
                "a predicate (`where ...`) in a problem with a mapped variable",
                restriction.span,
                help="predicates are not supported beside `with x = ...` maps yet: write the condition on a whole "
                "face or on ∂Ω",
            )
        predicate = self._condition(restriction)
        lines = self.program.source.splitlines()
        span = restriction.span
        text = lines[span.line - 1][span.column - 1 : span.end_column - 1] if span.end_line == span.line else ""
        return self._resolver().restrict(region, predicate, text.strip() or str(predicate), span)

    def _unrestricted(self, where) -> Region:
        if where is None:
            return INTERIOR
        if isinstance(where, ast.OnBoundary):
            return self._resolver().boundary(where.span)
        if isinstance(where, ast.OnPart):
            return self._part(where)
        if isinstance(where, ast.InRegion):
            return self._in_region(where)
        if isinstance(where, ast.OnInterface):
            return self._on_interface(where)
        if isinstance(where, ast.OnCurve):
            return self._curve(where.curve)
        return self._resolver().face(
            where.variable.name,
            lambda: self._end(where.value, "the coordinate of a face"),  # `at x = L`: a param's function
            name_span=where.variable.span,
            value_span=where.value.span,
            span=where.span,
        )

    def _curve(self, node: ast.Shape) -> Curve:
        """`on segment((0, 0), (1, 1))`, `on circle((0.5, 0.5), 0.25)`: a curve inside Ω, in the plane of the
        two spatial variables (in the order they are declared, or the shape's)."""
        name = node.name.name  # segment or circle: the grammar's keywords after `on`
        plane = self.shape[0] if self.shape is not None else self._spatial_names()
        if len(plane) != 2 or len(self._spatial_names()) != 2:
            raise PinnError(
                f"a {name} lies in a plane, but the problem has {len(self._spatial_names())} spatial variables",
                node.span,
                help="curves inside Ω are for problems in two spatial variables (time and params aside)",
            )
        if self.shape is not None and geometry._has_params(self.shape[1]):
            raise PinnError(
                "a curve inside a family of shapes (a shape with params)",
                node.span,
                help="write the domain with numbers to integrate over a curve in it",
            )
        arguments = ("point", "point") if name == "segment" else ("point", "number")
        if len(node.args) != 2:
            raise PinnError(
                f"{name} takes {' and '.join(arguments)}, got {len(node.args)} arguments",
                node.span,
                help=f"write it as {_CURVES[name]}",
            )
        values = [
            self._point_number(a) if kind == "point" else self._number(a, "a radius")
            for a, kind in zip(node.args, arguments)
        ]
        if name == "segment":
            (ax, ay), (bx, by) = values
            length = math.hypot(bx - ax, by - ay)
            if length == 0:
                raise PinnError("the segment's ends are the same point", node.span, help="give two different points")
            curve = ("segment", ax, ay, bx, by, (by - ay) / length, -(bx - ax) / length)
        else:
            (cx, cy), r = values
            if not r > 0:
                raise PinnError(f"the radius {r:g} is not positive", node.args[1].span, help="use a radius > 0")
            curve = ("arc", cx, cy, r)
        self._curve_inside(curve, plane, node)
        return Curve(tuple(plane), curve, _describe(curve))

    def _point_number(self, node: ast.Node) -> tuple[float, float]:
        """A point of two numbers (a curve inside Ω has no params)."""
        items = node.items if isinstance(node, ast.Vector) else (node,)
        if len(items) != 2:
            raise PinnError(
                f"expected a point with 2 coordinates, got {len(items)}", node.span, help="write e.g. (0.5, 0.5)"
            )
        return tuple(self._number(item, "a coordinate") for item in items)

    def _curve_inside(self, curve: tuple, plane, node: ast.Node) -> None:
        """A located error unless the curve lies in the closure of Ω (checked at many points of it)."""
        points, _ = geometry._curve_points(curve, np.linspace(0.0, 1.0, 1025))
        intervals = {v.name: (lo, hi) for v, lo, hi in self.variables}
        if self.shape is not None:
            lo, hi = self.shape[1].bounds()
            outside = self.shape[1].distance(points) > 1e-9 * float(np.max(hi - lo))
        else:
            lo, hi = (np.array([intervals[v][k] for v in plane]) for k in (0, 1))
            slack = 1e-12 * np.max(hi - lo)
            outside = np.any((points < lo - slack) | (points > hi + slack), axis=1)
        if np.any(outside):
            x, y = points[int(np.argmax(outside))]
            raise PinnError(
                f"the curve leaves Ω: ({x:g}, {y:g}) is outside the domain",
                node.span,
                help="a curve of a term lies inside Ω (or on its boundary)",
            )

    def _part(self, where: ast.OnPart) -> Part:
        """`on ∂hole`, `on ∂box(...)`: the part of ∂Ω on the surface of one shape of the domain."""
        resolver = self._resolver()
        resolver.parts_allowed(where.span)
        names, _ = self.shape
        node = where.shape
        if isinstance(node, ast.Name):
            declared = self.names.get(node.name)
            if declared is None or declared.kind != "shape":
                shapes = self._list("shape")
                raise PinnError(
                    f"'{node.name}' is not a shape",
                    node.span,
                    help=f"name a shape with `let {node.name} = disk((0, 0), 0.25)` and use it in the domain; "
                    f"shapes named here: {shapes}",
                )
            if node.name not in self.built:
                raise PinnError(
                    f"the shape '{node.name}' is not part of the domain",
                    node.span,
                    help=f"use it in the domain's declaration, e.g. `({', '.join(names)}) in box(...) \\ {node.name}`",
                )
            shape, label = self.built[node.name], f"∂{node.name}"
        else:
            shape = self._shape(node, len(names))
            label = f"∂{shape}"
        return resolver.part(shape, label, node.span)


_CURVES = {"segment": "`segment((0, 0), (1, 1))`", "circle": "`circle((0.5, 0.5), 0.25)`"}


def _describe(curve: tuple) -> str:
    """A curve as the problem writes it."""
    if curve[0] == "segment":
        _, ax, ay, bx, by, _, _ = curve
        return f"segment(({ax:g}, {ay:g}), ({bx:g}, {by:g}))"
    _, cx, cy, r = curve
    return f"circle(({cx:g}, {cy:g}), {r:g})"
