"""Geometry: the shape a domain declaration names (`disk(...) ∪ box(...) \\ hole`), built from the runtime's shapes."""

from __future__ import annotations

import itertools
import pathlib

import sympy

from ..._errors import PinnError
from ..._runtime import geometry, solids  # noqa: F401 (solids: its shapes name themselves to geometry.named)
from .. import syntax as ast
from ..meshes import read_mesh
from .scope import Scope

_COMBINATIONS = {"union": geometry.Union, "difference": geometry.Difference, "intersection": geometry.Intersection}


class Geometry(Scope):
    """Shapes and points, as numbers, from the syntax tree."""

    def _shape(self, node: ast.Node, d: int) -> geometry.Shape:
        """The shape a declaration names: a Box, a Ball, or a combination of shapes."""
        if isinstance(node, ast.ShapeOp):
            return _COMBINATIONS[node.op](self._shape(node.left, d), self._shape(node.right, d))
        if isinstance(node, ast.Name):
            declared = self.names.get(node.name)
            if declared is None or declared.kind != "shape":
                raise PinnError(
                    f"'{node.name}' is not a shape",
                    node.span,
                    help=f"name a shape before the domain: `let {node.name} = disk((0, 0), 0.25)`",
                )
            self.built[node.name] = self._shape(declared.value, d)
            return self.built[node.name]
        if isinstance(node, ast.FileCall):
            return self._file_shape(node, d)
        name = node.name.name
        kind = geometry.named(name)
        if kind is None:
            raise PinnError(
                f"unknown shape '{name}'",
                node.name.span,
                help="shapes: disk(centre, radius), ball(centre, radius), box(lower corner, upper corner), "
                "polygon(p1, p2, ...), cylinder(a, b, radius), cone(base, apex, radius), torus(centre, R, r), "
                "extrude(section, z0, z1), translate(shape, offset), rotate(shape, axis, angle)",
            )
        kinds = kind.argument_kinds(len(node.args))
        if kinds is None:
            usage = kind.example.replace(kind.names[0], name, 1)
            raise PinnError(
                f"{name} takes {len(kind.arguments)} arguments, got {len(node.args)}",
                node.span,
                help=f"write e.g. {usage}",
            )
        values, at = [], ""
        try:
            kind.check_dimension(name, d)
            values = [self._argument(argument, what, d, kind) for argument, what in zip(node.args, kinds)]
            if not geometry._has_params(tuple(values)):
                return kind.build(name, values)
            if not geometry._takes_params(kind):
                raise PinnError(
                    f"{name} cannot depend on a param",
                    node.span,
                    help="params may appear in the numbers of disk, ball, box and polygon (and their ∪, \\, ∩); "
                    "write this shape with numbers",
                )
            for corner in self._corners(values):  # an affine number is extreme at a corner of the params' box
                at = " (at " + ", ".join(f"{p} = {v:g}" for p, v in corner.items()) + ")"
                kind.build(name, geometry._substitute(tuple(values), corner))
            return kind.build_template(name, values)
        except geometry.ShapeError as err:
            span = node.args[err.argument].span if err.argument is not None else node.span
            raise PinnError(str(err) + at, span, help=err.help) from None

    def _corners(self, value) -> list[dict[str, float]]:
        """The corners of the box of the params that ``value`` (a shape, numbers) depends on."""
        used = set(geometry._params_of(tuple(value) if isinstance(value, list) else value))
        ranges = [(s.name, (lo, hi)) for s, lo, hi in self.variables if s.name in used]
        return [dict(zip([n for n, _ in ranges], c)) for c in itertools.product(*(r for _, r in ranges))]

    def _family(self, tree: geometry.Shape) -> geometry.Family:
        """The shape of each value of the params that ``tree``'s numbers depend on."""
        used = set(geometry._params_of(tree))
        names = tuple(p for p in self.parameters if p in used)
        intervals = {s.name: (lo, hi) for s, lo, hi in self.variables}
        ranges = tuple(intervals[p] for p in names)
        return geometry.Family(tree, names, ranges)

    def _file_shape(self, node: ast.FileCall, d: int) -> geometry.Shape:
        """`mesh("part.stl")`: the solid a mesh file beside the problem bounds."""
        kind = geometry.named(node.name.name)
        if kind is None or kind.arguments != ("file",):
            raise PinnError(
                f"'{node.name.name}' does not take a file name: only mesh(...) does",
                node.path_span,
                help='write mesh("part.stl") for the solid a mesh file bounds',
            )
        try:
            kind.check_dimension(node.name.name, d)
        except geometry.ShapeError as err:
            raise PinnError(str(err), node.span, help=err.help) from None
        base = pathlib.Path(self.program.filename).parent if self.program.filename else pathlib.Path.cwd()
        try:
            return read_mesh(node.path, base)
        except PinnError as err:
            err.span = node.path_span
            raise

    def _argument(self, node: ast.Node, what: str, d: int, kind: type):
        """One argument of a shape: a point, a number, a shape of the same dimension or a 2-D section."""
        if what == "point":
            return self._point(node, d)
        if what == "file":
            raise PinnError(
                f"{kind.names[0]} takes the name of a file, in quotes", node.span, help=f"write e.g. {kind.example}"
            )
        if what in ("shape", "section"):
            if not isinstance(node, (ast.Call, ast.Shape, ast.Name)):
                raise PinnError(f"{kind.names[0]} takes a shape here", node.span, help=f"write e.g. {kind.example}")
            if isinstance(node, ast.Call):
                node = ast.Shape(node.span, node.name, node.args)
            return self._shape(node, d - 1 if what == "section" else d)
        return self._shape_number(node, "a radius" if kind is geometry.Ball else "a number")

    def _shape_number(self, node: ast.Node, what: str) -> float | geometry.Affine:
        """A number of a shape: a number, or an affine function of params (``2*r + 1``)."""
        expr = self._scalar(node)
        params = sorted((s for s in expr.free_symbols if s.name in self.parameters), key=lambda s: s.name)
        if (
            not params
            or expr.free_symbols - set(params)
            or expr.atoms(sympy.Derivative, sympy.core.function.AppliedUndef)
        ):
            return self._number(node, what, expr)
        polynomial = sympy.Poly(expr, *params) if expr.is_polynomial(*params) else None
        if polynomial is None or polynomial.total_degree() > 1:
            raise PinnError(
                f"{what} may depend on params only linearly, as in `2*r + 1`",
                node.span,
                help="a shape's numbers are affine functions of params; for another dependence, make a "
                "linear param and write the rest in the equations",
            )
        constant = float(polynomial.coeff_monomial(1))
        terms = tuple(
            (p.name, float(polynomial.coeff_monomial(p))) for p in params if polynomial.coeff_monomial(p) != 0
        )
        return geometry.Affine(constant, terms) if terms else constant

    def _point(self, node: ast.Node, d: int) -> tuple[float, ...]:
        items = _items(node)
        if len(items) != d:
            raise PinnError(
                f"expected a point with {d} coordinates, got {len(items)}",
                node.span,
                help="one coordinate per declared variable, e.g. (0, 0)",
            )
        return tuple(self._shape_number(item, "a coordinate") for item in items)


def _items(node: ast.Node) -> tuple:
    """The coordinates written in a point: ``(0, 1)``, or one number."""
    return node.items if isinstance(node, ast.Vector) else (node,)
