"""Terms: equations (residuals and integral constraints) and energies, each a term of the loss."""

from __future__ import annotations

import itertools
import warnings

import sympy

from ..._errors import IllPosedWarning, PinnError
from .. import syntax as ast
from ..regions import BOUNDARY, INTERIOR, Face, Region
from ..spec import (
    BoundaryIntegral,
    NormalComponent,
    real_imag,
    split_constraint,
    split_integrals,
    substitute_fixed,
    variable,
)
from .expressions import _rank
from .scope import Scope


class Terms(Scope):
    """The `_stmt_*` methods of equations and `minimize`: each adds terms."""

    def _stmt_Equation(self, s: ast.Equation) -> None:
        lhs, rhs = self._expr(s.lhs), self._expr(s.rhs)
        if isinstance(lhs, tuple) or isinstance(rhs, tuple):  # a vector equation: one term per component
            if not (isinstance(lhs, tuple) and isinstance(rhs, tuple) and len(lhs) == len(rhs)):
                scalar = s.rhs if isinstance(lhs, tuple) else s.lhs
                n = len(lhs) if isinstance(lhs, tuple) else len(rhs)
                raise PinnError(
                    f"one side of this equation is a {_rank(lhs)}, the other a {_rank(rhs)}",
                    scalar.span,
                    help=f"write a vector of {n} components on both sides, e.g. ({', '.join(['0'] * n)}); "
                    "or equate scalars: a component, dot(a, b), div(v), |v|",
                )
            for left, right in zip(lhs, rhs):
                self._equation(s, left, right)
            return
        self._equation(s, lhs, rhs)

    def _equation(self, s: ast.Equation, lhs, rhs) -> None:
        """One scalar equation (a component of a vector one) as a residual term; a complex
        equation as two, its real and imaginary parts."""
        if (lhs - rhs).has(sympy.I) and any(d.kind == "complex" for d in self.names.values()):
            difference = real_imag(lhs - rhs)
            for part in difference:
                if part != 0:
                    self._equation(s, part, sympy.Integer(0))
            return
        domain = {v for v, _, _ in self.variables}
        if (lhs - rhs).has(BoundaryIntegral) or any(
            {limit[0] for limit in i.limits} & domain for i in (lhs - rhs).atoms(sympy.Integral)
        ):
            self._integral_constraint(s, lhs - rhs)
            return
        region = self._region(s.where, s.restriction)
        self._normals_defined(lhs - rhs, region, s)
        try:  # u(0, y) = x + y means x = 0 on both sides
            face = [variable(region.variable)] if isinstance(region, Face) else []
            residual = substitute_fixed(lhs - rhs, self.fields, face)
        except PinnError as err:
            err.span = s.span
            raise
        if residual == 0:  # SymPy's automatic simplification only: no simplify() on user input
            raise PinnError(
                "this equation holds whatever the fields are (both sides are equal)",
                s.span,
                help="such a term trains nothing; note that Dx(u(-1, t)) is 0 — to differentiate first, "
                "write Dx(u)(-1, t)",
            )
        self.terms.append((s, "residual", region, residual, self._weight(s.weight, region)))

    def _integral_constraint(self, s: ast.Equation, difference) -> None:
        """`∫ p = 1`: one scalar term, (∫ p − 1)², over Ω, a face (`at t = 0`) or ∂Ω (`∮`)."""
        try:
            interior, boundary, target = split_constraint(difference, [v for v, _, _ in self.variables])
        except PinnError as err:
            err.span = s.span
            raise
        if interior is not None and boundary is not None:
            raise PinnError(
                "one constraint cannot add an integral over Ω (∫) to one over the boundary (∮)",
                s.span,
                help="write two constraints, one for each",
            )
        integrand = interior if interior is not None else boundary
        if s.where is not None or s.restriction is not None:
            region = self._region(s.where, s.restriction)
        else:
            region = INTERIOR if boundary is None else BOUNDARY
        if boundary is not None and region != BOUNDARY:
            raise PinnError(
                f"∮ is over the whole boundary, not over {region.describe()}",
                s.where.span,
                help="for the integral over a face write ∫, e.g. `∫ u = 1 at t = 0`",
            )
        if not integrand.atoms(sympy.core.function.AppliedUndef):
            raise PinnError(
                "this integral involves no field: it is a fixed number, and the constraint trains nothing",
                s.lhs.span,
                help="integrate an expression of the fields, e.g. `∫ p = 1`",
            )
        self._normals_defined(integrand, region, s)
        self.terms.append((s, "integral", region, integrand, self._number_weight(s.weight), target))

    def _stmt_Minimize(self, s: ast.Minimize) -> None:
        expr = self._scalar(s.expr)
        weight = self._weight(s.weight, INTERIOR)
        try:
            interior, boundary = split_integrals(expr, [v for v, _, _ in self.variables])
        except PinnError as err:
            err.span = s.expr.span
            raise
        if interior is None and boundary is None:
            raise PinnError(
                "`minimize` needs an integral",
                s.expr.span,
                help="write the energy as an integral over the domain, e.g. `minimize ∫ (Dx(u))^2`",
            )
        if not isinstance(weight, float):  # ∫ w·f: the weight joins the integrand
            interior = None if interior is None else weight * interior
            boundary = None if boundary is None else weight * boundary
            weight = 1.0
        if interior is not None:
            self.terms.append((s, "energy", INTERIOR, interior, weight))
        if boundary is not None:
            self.terms.append((s, "energy", BOUNDARY, boundary, weight))

    def _normals_defined(self, expr, region: Region, s: ast.Node) -> None:
        """The outward normal (n, n_x, ∂ₙ, Dn) exists on the boundary and on the ends of a spatial interval."""
        if not expr.atoms(NormalComponent):
            return
        if self._resolver().has_normal(region):
            return
        raise PinnError(
            "the outward normal (n, n_x, and the normal derivative ∂ₙ or Dn) is defined only on the boundary",
            s.span,
            help="add `on ∂Ω`, or `at x = 1` on an end of a spatial interval",
        )

    def _number_weight(self, node) -> float:
        """The weight of a term that is one number (an integral constraint): a number, not negative."""
        if node is not None and not isinstance(self._weight(node, INTERIOR), float):
            raise PinnError(
                "the weight of an integral constraint must be a number",
                node.span,
                help="the constraint is one number, (∫ f − c)²: it has no points to weight one by one",
            )
        return self._weight(node, INTERIOR)

    def _weight(self, node, region: Region) -> float | sympy.Expr:
        """A term's weight: a number (not negative), or an expression of the variables
        (`weight 1 - 20*abs(x)`) that multiplies each point's squared residual (an energy's integrand)."""
        if node is None:
            return 1.0
        expr = self._scalar(node)
        names = {v for v, _, _ in self.variables}
        if not expr.free_symbols and not expr.atoms(sympy.Derivative, sympy.core.function.AppliedUndef):
            value = self._number(node, "a weight")
            if value < 0:
                raise PinnError(f"the weight {value:g} is negative", node.span, help="weights must be zero or positive")
            return value
        if (
            expr.atoms(sympy.core.function.AppliedUndef, sympy.Derivative, sympy.Integral, BoundaryIntegral)
            or not expr.free_symbols <= names
            or expr.has(sympy.I)
        ):
            raise PinnError(
                "a weight is a number or a real expression of the variables",
                node.span,
                help="write it in the variables, numbers and constants, e.g. `weight 1 + 10*x^2`; "
                "a weight that depends on the fields or unknowns would be trained too",
            )
        _warn_if_negative(expr, region, self.variables, node)
        return expr


_SAMPLES = 5  # per variable (2 beyond the third): where a weight's sign is checked
_MAX_CHECKED = 200  # points at most, so that checking stays quick in many variables


def _warn_if_negative(expr, region: Region, variables, node) -> None:
    """Warn (IllPosedWarning) where a weight is negative at a point of a grid over the variables'
    intervals (the face's value for a face): a negative weight rewards a larger residual."""
    grid = []
    for i, (v, lo, hi) in enumerate(variables):
        if isinstance(region, Face) and region.variable == v.name:
            grid.append([(v, sympy.Float(region.value))])
        elif v in expr.free_symbols:
            count = _SAMPLES if i < 3 else 2
            grid.append([(v, sympy.Float(lo + (hi - lo) * k / (count - 1))) for k in range(count)])
    for point in itertools.islice(itertools.product(*grid), _MAX_CHECKED):
        try:
            value = float(expr.subs(dict(point)).evalf())
        except (TypeError, ValueError):  # a table or a function SymPy cannot evaluate: unchecked
            return
        if value < 0:
            at = ", ".join(f"{v} = {float(c):g}" for v, c in point)
            warnings.warn(
                f"line {node.span.line}: the weight is {value:g} at {at}; a negative weight rewards a larger "
                "residual there (if no points are drawn there, ignore this)",
                IllPosedWarning,
                stacklevel=2,
            )
            return
