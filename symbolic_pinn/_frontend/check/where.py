"""Where a term holds, as the text writes it (`on ∂Ω`, `at x = 1`, `on ∂hole`): read here,
resolved and checked by :class:`..regions.Resolver`, which the SymPy front end shares."""

from __future__ import annotations

from ..._errors import PinnError
from .. import syntax as ast
from ..regions import INTERIOR, TEXT, Part, Region, Resolver
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
        return self._resolver().face(
            where.variable.name,
            lambda: self._end(where.value, "the coordinate of a face"),  # `at x = L`: a param's function
            name_span=where.variable.span,
            value_span=where.value.span,
            span=where.span,
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
