"""Unbounded (and stretched) intervals: a variable written as a stated function of a bounded one.

``x in [0, ∞) with x = s/(1 - s), s in [0, 1]`` declares the problem's variable x on
[0, ∞) and the networks' input s on [0, 1].  :func:`unmap` rewrites a checked
:class:`~.spec.Spec` in s, so every later stage (lowering, exact constraints, sampling,
measures, quadrature) sees an ordinary bounded interval:

- x becomes x(s) wherever it appears, and a field ``u(x, t)`` becomes ``u(s, t)``;
- each derivative along x is the chain rule, ``∂/∂x = (1/x'(s)) ∂/∂s``, applied once per
  order (``∂²u/∂x² = (1/x') ∂/∂s ((1/x') ∂u/∂s)``);
- integrals over Ω (energies, integral constraints) gain the Jacobian x'(s);
- the face ``at x = ∞`` becomes ``at s = 1``, a field at ``x = 2`` becomes one at s(2), and
  the observations' coordinates are mapped the same way (the inverse of the map, by
  bisection: a stated map has no inverse in closed form in general).

A map must be strictly increasing on its interval and reach the declared ends there
(checked by :meth:`VariableMap.validate`), so the normal's direction and every face keep
their meaning.  Plots and the evaluation of a trained network in x read the map back
(:meth:`VariableMap.to_bounded`), on the truncated window :meth:`VariableMap.window`.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from .._errors import PinnError, Span
from .regions import Boundary, Face, Faces, Interior, Part, Region
from .spec import DataSpec, NormalComponent, Spec, TermSpec, normal, variable

__all__ = ["VariableMap", "unmap"]

_CHECK_POINTS = 2001  # interior points of the bounded interval where the map is checked increasing
_BISECTIONS = 80  # halvings of the bounded interval: below a double's resolution on any interval
WINDOW = 0.05  # the share of the bounded interval left out at an infinite end when plotting


@dataclasses.dataclass(frozen=True)
class VariableMap:
    """The problem's variable ``variable`` = ``expr`` (a SymPy function of ``bounded``).

    ``interval`` is the variable's (ends may be ±inf), ``bounds`` the bounded variable's.

    >>> s = variable("s")
    >>> m = VariableMap("x", "s", s / (1 - s), (0.0, math.inf), (0.0, 1.0))
    >>> float(m.to_bounded(np.array([1.0]))[0])
    0.5
    """

    variable: str
    bounded: str
    expr: sympy.Expr
    interval: tuple[float, float]
    bounds: tuple[float, float]

    @property
    def written(self) -> str:
        """The map's expression as a problem writes it (``^`` for powers)."""
        return sympy.sstr(self.expr).replace("**", "^")

    @functools.cached_property
    def slope(self) -> sympy.Expr:
        """x'(s), the Jacobian of integrals along the variable."""
        return self._simplified(sympy.diff(self.expr, variable(self.bounded)))

    @functools.cached_property
    def reciprocal_slope(self) -> sympy.Expr:
        """1/x'(s), simplified so that it stays finite where x'(s) is infinite ((1 - s)² for s/(1 - s))."""
        return self._simplified(1 / self.slope)

    def _simplified(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` as one cancelled fraction where the map is rational (fast), else SymPy's simplify."""
        s = variable(self.bounded)
        cancelled = sympy.cancel(sympy.together(expr))
        return cancelled if cancelled.is_rational_function(s) else sympy.simplify(expr)

    @functools.cached_property
    def _numeric(self):
        from .table import numeric

        return numeric(self.expr, [variable(self.bounded)], modules=("numpy",))  # SciPy's import costs seconds

    def to_variable(self, values: np.ndarray) -> np.ndarray:
        """x(s) for an array of s (±inf at an infinite end)."""
        shape = np.shape(values)
        values = np.atleast_1d(np.asarray(values, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.broadcast_to(np.asarray(self._numeric(values), dtype=float), values.shape).copy()
        for end, image in zip(self.bounds, self.interval):
            out[values == end] = image
        return out.reshape(shape)

    def to_bounded(self, values: np.ndarray) -> np.ndarray:
        """s(x) for an array of x in the interval: the inverse of the map, by bisection (the map is
        increasing; SciPy's root finders take one scalar at a time, this takes the whole array)."""
        shape = np.shape(values)
        values = np.atleast_1d(np.asarray(values, dtype=float))
        lo = np.full(values.shape, self.bounds[0])
        hi = np.full(values.shape, self.bounds[1])
        for _ in range(_BISECTIONS):
            middle = (lo + hi) / 2
            below = self.to_variable(middle) < values
            lo, hi = np.where(below, middle, lo), np.where(below, hi, middle)
        out = (lo + hi) / 2
        for end, image in zip(self.bounds, self.interval):
            out[values == image] = end
        a, b = self.bounds
        out[(values < self.interval[0]) | (values > self.interval[1])] = b + (b - a)  # outside: outside
        return out.reshape(shape)

    def window(self) -> tuple[float, float]:
        """The finite part of the interval a plot shows: the image of the bounded interval less
        :data:`WINDOW` of it at each infinite end."""
        (a, b), (lo, hi) = self.bounds, self.interval
        inset = WINDOW * (b - a)
        ends = self.to_variable(np.array([a + inset if math.isinf(lo) else a, b - inset if math.isinf(hi) else b]))
        return float(ends[0]), float(ends[1])

    def validate(self, span: Span | None = None) -> None:
        """A located error unless the map is finite and strictly increasing inside its interval and
        reaches the declared ends at the ends of the bounded one."""
        try:
            self._validate(span)
        except (ArithmeticError, NameError, NotImplementedError, TypeError, ValueError) as err:
            raise PinnError(
                f"the map {self.variable} = {self.written} cannot be checked ({type(err).__name__})",
                span,
                help=f"write it with the elementary functions, e.g. {example(self.interval)}",
            ) from None

    def _validate(self, span: Span | None) -> None:
        s = variable(self.bounded)
        (a, b), (lo, hi) = self.bounds, self.interval
        written = example(self.interval)
        inside = np.linspace(a, b, _CHECK_POINTS + 2)[1:-1]
        with np.errstate(all="ignore"):
            values = self.to_variable(inside)
        if not np.all(np.isfinite(values)) or not np.all(np.diff(values) > 0):
            raise PinnError(
                f"the map {self.variable} = {self.written} is not finite and increasing for "
                f"{self.bounded} in ({a:g}, {b:g})",
                span,
                help=f"a map runs the bounded variable onto the interval in order, e.g. {written}",
            )
        for end, side, image in ((a, "+", lo), (b, "-", hi)):
            reached = sympy.limit(self.expr, s, end, side)
            if reached == sympy.zoo:  # |x| → ∞ without a sign from SymPy (tan(πs/2) at s → -1): the sign near it
                near = end + (1e-9 if side == "+" else -1e-9) * (b - a)
                reached = sympy.oo if self.to_variable(np.array(near)) > 0 else -sympy.oo
            ok = reached == (sympy.oo if image > 0 else -sympy.oo) if math.isinf(image) else _close(reached, image)
            if not ok:
                raise PinnError(
                    f"the map {self.variable} = {self.written} tends to {_limit(reached)} as "
                    f"{self.bounded} → {end:g}, but the interval's end is {_end(image)}",
                    span,
                    help=f"the ends of {self.bounded}'s interval map to those of {self.variable}'s, e.g. {written}",
                )
            if math.isfinite(image) and not sympy.limit(self.reciprocal_slope, s, end, side).is_finite:
                raise PinnError(
                    f"the map {self.variable} = {self.written} is flat at {self.bounded} = {end:g}: "
                    f"the chain rule's 1/{self.variable}'({self.bounded}) is infinite at that finite end",
                    span,
                    help=f"use a map whose slope is not zero where {self.variable} is finite, e.g. {written}",
                )


def _close(value, target: float) -> bool:
    try:
        return abs(float(value) - target) <= 1e-12 * (1 + abs(target))
    except TypeError:  # an infinity, or no limit
        return False


def _limit(value) -> str:
    """A limit as a message writes it: ∞, -∞, a number, or SymPy's form of what it is."""
    if value in (sympy.oo, -sympy.oo):
        return _end(float(value))
    return f"{float(value):g}" if value.is_real and value.is_finite else sympy.sstr(value)


def _end(value: float) -> str:
    return ("-∞" if value < 0 else "∞") if math.isinf(value) else f"{value:g}"


def example(interval: tuple[float, float]) -> str:
    """How a problem states a map onto an interval with the same infinite ends (for the help of errors)."""
    lo, hi = interval

    def shifted(end: float, term: str) -> str:
        return f"{end:g} + {term}" if end else term

    if math.isinf(lo) and math.isinf(hi):
        return "`x in (-∞, ∞) with x = s/(1 - s^2), s in [-1, 1]`"
    if math.isinf(hi):
        return f"`x in [{lo:g}, ∞) with x = {shifted(lo, 's/(1 - s)')}, s in [0, 1]`"
    if math.isinf(lo):
        return f"`x in (-∞, {hi:g}] with x = {shifted(hi, 's/(1 + s)')}, s in [-1, 0]`"
    return f"`x in [{lo:g}, {hi:g}] with x = {shifted(lo, f'{hi - lo:g}*sinh(3*s)/sinh(3)')}, s in [0, 1]`"


# ---- the rewrite ------------------------------------------------------------------------


def unmap(spec: Spec, maps: tuple[VariableMap, ...]) -> Spec:
    """``spec`` written in the bounded variables of ``maps``: see the module's docstring."""
    if not maps:
        return spec
    rewrite = _Rewrite(spec, maps)
    variables = tuple(
        (variable(rewrite.by_name[v.name].bounded), *rewrite.by_name[v.name].bounds)
        if v.name in rewrite.by_name
        else (v, lo, hi)
        for v, lo, hi in spec.variables
    )
    terms = tuple(rewrite.term(t) for t in spec.terms)
    return dataclasses.replace(
        spec,
        variables=variables,
        fields=tuple(rewrite(f) for f in spec.fields),
        terms=terms,
        exact=tuple((name, rewrite(e)) for name, e in spec.exact),
        data=tuple(rewrite.data(d) for d in spec.data),
        maps=maps,
    )


class _Rewrite:
    """The change of variables of one Spec: called on an expression, it returns it in the bounded variables."""

    def __init__(self, spec: Spec, maps: tuple[VariableMap, ...]):
        self.spec = spec
        self.by_name = {m.variable: m for m in maps}
        self.symbols = {variable(m.variable): m for m in maps}
        self.bounded = {variable(m.variable): variable(m.bounded) for m in maps}
        self.slots = {f.func.__name__: f.args for f in spec.fields}
        self.memo: dict = {}
        self.line: int | None = None

    def error(self, message: str, help: str) -> PinnError:
        return PinnError(message, Span(self.line, 1) if self.line else None, help=help)

    def jacobian(self, skip: str | None = None) -> sympy.Expr:
        """∏ x'(s) over the mapped variables (but ``skip``, the variable a face fixes)."""
        return sympy.Mul(*(m.slope for m in self.by_name.values() if m.variable != skip))

    def term(self, t: TermSpec) -> TermSpec:
        self.line = t.line
        region = self.region(t.region)
        expr = self(t.expr)
        if t.kind in ("energy", "integral"):
            expr = expr * self.measure_factor(t.region)
        weight = self(t.point_weight) if t.point_weight is not None else None
        return dataclasses.replace(t, region=region, expr=expr, point_weight=weight)

    def measure_factor(self, region: Region) -> sympy.Expr:
        """The Jacobian an integral over ``region`` gains (``dx = x'(s) ds`` along each mapped variable it spans)."""
        if isinstance(region, Interior):
            return self.jacobian()
        if isinstance(region, Face):
            return self.jacobian(skip=region.variable)
        faces = {f.variable for f in region.faces} if isinstance(region, Faces) else None
        if isinstance(region, Boundary):
            shaped = set(self.spec.shape[0]) if self.spec.shape else set()
            faces = {
                v.name
                for v, _, _ in self.spec.variables
                if v.name not in (self.spec.time, *self.spec.parameters) and v.name not in shaped
            }
            faces = faces if not self.spec.shape else None
        if faces is not None and set(self.by_name) <= faces and len(faces) == 1:
            return sympy.Integer(1)  # the ends of the one mapped variable: points, no length along it
        raise self.error(
            "an integral over this part of the boundary of a domain with a mapped variable has no single Jacobian",
            help="integrate over one face (`∫ u = 1 at y = 0`) or over Ω: each gains the map's derivative",
        )

    def region(self, region: Region) -> Region:
        if isinstance(region, Face) and region.variable in self.by_name:
            m = self.by_name[region.variable]
            return Face(m.bounded, float(m.to_bounded(np.array(region.value))))
        if isinstance(region, Faces):
            return Faces(tuple(self.region(f) for f in region.faces))
        if isinstance(region, (Interior, Boundary, Part, Face)) or region.kind == "data":
            return region  # a face of a variable that is not mapped: its integrals gain the Jacobian (measure_factor)
        raise self.error(
            f"a condition on {region.describe()} in a problem with a mapped variable",
            help="write it on Ω, ∂Ω or a face (`at x = ∞`): restricted regions of mapped intervals are not supported",
        )

    def data(self, d: DataSpec) -> DataSpec:
        coordinates = {
            (self.by_name[k].bounded if k in self.by_name else k): (
                self.by_name[k].to_bounded(v) if k in self.by_name else v
            )
            for k, v in d.coordinates.items()
        }
        return dataclasses.replace(d, coordinates=coordinates)

    def __call__(self, e):
        if e in self.memo:
            return self.memo[e]
        out = self._rewrite(e)
        self.memo[e] = out
        return out

    def _rewrite(self, e):
        if e in self.symbols:
            return self.symbols[e].expr
        if isinstance(e, NormalComponent) and e.variable in self.by_name:
            return normal(self.by_name[e.variable].bounded)  # the map is increasing: the same direction
        if isinstance(e, AppliedUndef):
            return self.field(e)
        if isinstance(e, sympy.Derivative):
            out = self(e.expr)
            for v, n in e.variable_count:
                if v in self.symbols:
                    s, reciprocal = self.bounded[v], self.symbols[v].reciprocal_slope
                    for _ in range(n):
                        out = reciprocal * sympy.diff(out, s)  # the chain rule, one order at a time
                else:
                    out = sympy.diff(out, v, n)
            return out
        if isinstance(e, sympy.Subs):
            inner = self(e.expr)
            point = {}
            for v, p in zip(e.variables, e.point):
                if v in self.symbols:
                    point[self.bounded[v]] = self.coordinate(v, p)
                else:
                    point[v] = self(p)
            return inner.subs(point)
        if isinstance(e, sympy.Integral) and any(lim[0] in self.symbols for lim in e.limits):
            raise self.error(
                "an integral along a mapped variable inside an equation",
                help="integrate over a new variable, ∫(f, r, 0, x), or over Ω with `∫ f = c`",
            )
        if not e.args:
            return e
        return e.func(*(self(a) for a in e.args))

    def field(self, e):
        """A field at its arguments: its own mapped variable becomes the bounded one, a number its image."""
        args = []
        for slot, arg in zip(self.slots.get(e.func.__name__, ()), e.args):
            if slot in self.symbols:
                args.append(self.bounded[slot] if arg == slot else self.coordinate(slot, arg))
            else:
                args.append(self(arg))
        return e.func(*args)

    def coordinate(self, v, value) -> sympy.Expr:
        """The bounded variable's value where the mapped variable ``v`` is ``value`` (a number)."""
        if not value.is_number:
            raise self.error(
                f"a field is taken at {v} = {sympy.sstr(value)}, but {v} is mapped",
                help=f"take fields at {v} itself or at a number: `u({v})`, `u(0)`",
            )
        return sympy.Float(float(self.symbols[v].to_bounded(np.array(float(value)))))
