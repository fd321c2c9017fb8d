"""The checked problem in SymPy form: what both front ends (text and SymPy) produce.

A :class:`Spec` holds SymPy expressions — fields are applied undefined functions
``u(x, y)``, derivatives are ``sympy.Derivative`` — so the chain rule, ``Δ`` and
algebraic simplification are SymPy's.  :mod:`._lower` turns a Spec into the IR.
"""

from __future__ import annotations

import dataclasses

import sympy

from .._errors import IllPosedWarning, PinnError
from .regions import BOUNDARY, INTERIOR, Face, Faces, Interface, Part, Region, underlying
from .system_order import short_of_conditions, systems


@dataclasses.dataclass(frozen=True)
class TermSpec:
    """One term of the loss.

    ``kind`` is ``residual`` (mean squared ``expr`` over the region's points),
    ``energy`` (the integral of ``expr`` over the region) or ``integral`` (a global
    constraint ∫ ``expr`` = ``target``: the square of the difference).
    """

    kind: str
    region: Region
    expr: sympy.Expr
    weight: float
    label: str
    line: int | None = None
    target: float = 0.0  # the value of the integral of an ``integral`` term
    # `weight 1 - 20*abs(x)`: a function of the variables multiplying each point's squared residual
    point_weight: sympy.Expr | None = None


class Observed(sympy.Symbol):
    """The observed value of a field at a data point (a leaf of data-misfit terms)."""


class NormalComponent(sympy.Symbol):
    """n_x: a component of the boundary's outward unit normal (named ``n_<variable>``)."""

    @property
    def variable(self) -> str:
        return self.name[2:]


def normal(variable_name: str) -> NormalComponent:
    return NormalComponent(f"n_{variable_name}", real=True)


@dataclasses.dataclass(frozen=True, eq=False)
class DataSpec:
    """Observations from one file: coordinates and observed fields, one row a point."""

    name: str  # the file name as written
    path: str  # where it was read from
    coordinates: dict  # variable name → (n,) array
    observed: dict  # field name → (n,) array


@dataclasses.dataclass(frozen=True)
class Spec:
    variables: tuple[tuple[sympy.Symbol, float, float], ...]
    fields: tuple[sympy.Expr, ...]  # applied undefined functions, u(x, y)
    unknowns: tuple[tuple[sympy.Symbol, float], ...]
    terms: tuple[TermSpec, ...]
    exact: tuple[tuple[str, sympy.Expr], ...]
    source: str | None = None
    filename: str | None = None
    data: tuple[DataSpec, ...] = ()
    shape: tuple | None = None  # (variable names, shape tree): see _runtime.shape_distance
    parameters: tuple[str, ...] = ()  # variables declared with `param`: inputs, not coordinates of space
    time: str | None = None  # the time variable (see .time_variable): not a coordinate of space
    # `field u1(x) in A`: each such field's name and the box it lives in ((variable, lo, hi), ...)
    homes: tuple[tuple[str, tuple], ...] = ()
    # `x in [0, ∞) with x = s/(1 - s), s in [0, 1]`: the maps (.maps.VariableMap) the Spec is rewritten by;
    # its variables, fields and terms are in the bounded variables
    maps: tuple = ()


def variable(name: str) -> sympy.Symbol:
    """The SymPy symbol both front ends use for an independent variable or unknown."""
    return sympy.Symbol(name, real=True)


class BoundaryIntegral(sympy.Function):
    """∮ f: the integral of f over ∂Ω (only inside `minimize`)."""


def split_integrals(expr: sympy.Expr, variables):
    """Write `expr` as ∫ f over Ω + ∮ g over ∂Ω (+ a constant); return (f, g).

    ``variables`` are the domain's symbols: an Integral over them is an integral over
    Ω; one over a new variable (∫(f, s, a, b)) is part of an integrand, not a term.
    """
    domain = set(variables)

    def over_domain(e) -> bool:
        return isinstance(e, BoundaryIntegral) or (
            isinstance(e, sympy.Integral) and {limit[0] for limit in e.limits} <= domain
        )

    interior, boundary = [], []
    for term in sympy.Add.make_args(sympy.expand(expr, deep=False, mul=True, multinomial=False)):
        integrals = [a for a in sympy.Mul.make_args(term) if over_domain(a)]
        if not integrals:
            if term.free_symbols or term.atoms(sympy.core.function.AppliedUndef):
                raise _outside_integral()
            continue
        if len(integrals) > 1:
            raise _outside_integral()
        integral = integrals[0]
        coefficient = term / integral
        if coefficient.free_symbols or coefficient.has(sympy.Integral, BoundaryIntegral):
            raise _outside_integral()
        integrand = integral.function if isinstance(integral, sympy.Integral) else integral.args[0]
        (interior if isinstance(integral, sympy.Integral) else boundary).append(coefficient * integrand)
    return (sympy.Add(*interior) if interior else None, sympy.Add(*boundary) if boundary else None)


def split_constraint(difference: sympy.Expr, variables):
    """``difference`` = 0 as ∫ f over Ω (or ∮ g over ∂Ω) = c; return (f, g, c).

    An integral constraint compares a sum of integrals over the domain with a number:
    fields and variables outside the integrals are an error, as is a product of integrals.
    """
    domain = set(variables)

    def over_domain(e) -> bool:
        return isinstance(e, BoundaryIntegral) or (
            isinstance(e, sympy.Integral) and bool({limit[0] for limit in e.limits} & domain)
        )

    rest = difference.replace(over_domain, lambda e: sympy.Integer(0))
    if rest.free_symbols or rest.atoms(sympy.core.function.AppliedUndef) or not rest.is_number:
        fields = {f.func.__name__ for f in rest.atoms(sympy.core.function.AppliedUndef)}
        names = sorted(fields or {v.name for v in rest.free_symbols}) or [sympy.sstr(rest)]
        raise PinnError(
            "an integral constraint compares integrals with a number, but "
            f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} outside its integrals",
            help="move fields and variables inside the integral, e.g. `∫ (u - x) = 0`; to integrate over "
            "one variable at every point, write ∫(f, s, a, b) over a new variable",
        )
    try:
        interior, boundary = split_integrals(difference - rest, variables)
    except PinnError:
        raise PinnError(
            "an integral constraint is a sum of integrals equal to a number, e.g. `∫ p = 1`",
            help="products of integrals and integrals of part of the variables are not constraints",
        ) from None
    if interior is None and boundary is None:
        raise PinnError("this integral constraint has no integral left", help="write e.g. `∫ p = 1`")
    return interior, boundary, float(-rest)


def fixed_coordinates(expr: sympy.Expr, fields, skip=()) -> dict:
    """The variables an equation uses only where its fields are evaluated at fixed coordinates.

    In ``u(0, y) = x + y`` no field depends on ``x``: the equation is about x = 0, so
    the ``x`` on the right means 0.  Returns ``{variable: values}``, the values of the
    coordinate the fields are evaluated at (one number: substitute it; several, or one
    that is not a number: the variable is ambiguous).  Variables in ``skip`` (the face
    the equation is on) are left out.
    """
    from sympy.core.function import AppliedUndef

    declared = {f.func.__name__: f.args for f in fields}

    def field_parts(e):
        if isinstance(e, (AppliedUndef, sympy.Derivative, sympy.Subs, sympy.Integral)) and e.has(AppliedUndef):
            yield e
            return
        for a in e.args:
            yield from field_parts(a)

    parts = list(field_parts(expr))
    used = set().union(*(p.free_symbols for p in parts)) if parts else set()
    slots = {s for args in declared.values() for s in args}
    loose = (expr.free_symbols & slots) - used - set(skip)
    values: dict = {v: set() for v in loose}
    for e in sympy.preorder_traversal(expr):
        if isinstance(e, AppliedUndef) and e.func.__name__ in declared:
            for slot, arg in zip(declared[e.func.__name__], e.args):
                if slot in values and arg != slot:
                    values[slot].add(arg)
        elif isinstance(e, sympy.Subs):
            for slot, arg in zip(e.variables, e.point):
                if slot in values:
                    values[slot].add(arg)
    return {v: found for v, found in values.items() if found}


def substitute_fixed(expr: sympy.Expr, fields, skip=()) -> sympy.Expr:
    """``expr`` with each variable of :func:`fixed_coordinates` replaced by its one value.

    ``u(0, y) = x + y`` becomes ``u(0, y) - y``; a variable whose fields are evaluated
    at several values (``u(-1, t) - u(1, t) = x``) is ambiguous: a PinnError (no span).
    """
    for symbol, values in sorted(fixed_coordinates(expr, fields, skip).items(), key=lambda item: item[0].name):
        value = next(iter(values))
        if len(values) > 1 or not value.is_number:
            where = " and ".join(sorted(f"{symbol} = {v}" for v in values))
            raise PinnError(
                f"'{symbol}' is ambiguous here: no field in this equation depends on it, "
                f"and its fields are evaluated at {where}",
                help=f"write the value of {symbol} you mean in its place",
            )
        expr = expr.subs(symbol, value)
    return expr


def warn_ill_posed(spec: Spec) -> None:
    """Warn (:class:`IllPosedWarning`) about fields that very likely lack a condition.

    A field with a second derivative in space inside Ω but no condition anywhere on
    the boundary (on ∂Ω, a part, a face of a spatial variable, or the field at fixed
    coordinates such as a periodic condition); a field with a time derivative but no
    initial condition (a face of t, or the field at a fixed t).  A field observed in
    data is left alone: the observations may pin it.
    """
    import warnings

    from sympy.core.function import AppliedUndef

    time = [s for s, _, _ in spec.variables if s.name == spec.time]
    spatial = {s for s, _, _ in spec.variables if s.name != spec.time and s.name not in spec.parameters}
    observed = {name for d in spec.data for name in d.observed}

    def where(t) -> Region:
        return underlying(t.region)

    inside = [t for t in spec.terms if where(t) == INTERIOR]

    def order(field, t, variables) -> int:
        """The highest order of a derivative of ``field`` along ``variables`` in term ``t``."""
        return max(
            (
                sum(n for v, n in d.variable_count if v in variables)
                for d in t.expr.atoms(sympy.Derivative)
                if d.expr == field
            ),
            default=0,
        )

    def fixed(field, t, variables) -> bool:
        """``field`` in ``t`` at a fixed value of one of ``variables``: u(0, y), Dx(u)(1, y)."""
        for a in t.expr.atoms(AppliedUndef):
            if a.func == field.func and any(x != own and own in variables for x, own in zip(a.args, field.args)):
                return True
        return any(s.expr.has(field) and set(s.variables) & set(variables) for s in t.expr.atoms(sympy.Subs))

    def uses(t, field) -> bool:
        return any(a.func == field.func for a in t.expr.atoms(AppliedUndef))

    def located(t) -> str:
        return f" (line {t.line})" if t.line is not None else ""

    def on_boundary(field, t) -> bool:
        """Whether term ``t`` is a condition on ``field`` on (a part of) the spatial boundary, or on the
        interface that is all of its region's boundary (an inclusion)."""
        return uses(t, field) and (
            where(t) == BOUNDARY
            or isinstance(where(t), (Part, Faces))
            or (isinstance(where(t), Interface) and enclosed(field))
            or (isinstance(where(t), Face) and where(t).variable in {s.name for s in spatial})
            or fixed(field, t, spatial)
        )

    homes = dict(spec.homes)

    def enclosed(field) -> bool:
        """Whether ``field`` lives in a region given by a shape that touches no point of ∂Ω (1,024 of its
        boundary points, a fixed seed, all strictly inside Ω): its boundary is all interfaces."""
        import numpy as np

        home = homes.get(field.func.__name__, ())
        if len(home) != 1 or len(home[0]) != 2:
            return False
        (variables, tree), rng = home[0], np.random.default_rng(0)
        points, _ = tree.boundary(1024, lambda m, k: rng.random((m, k)), rng)
        if spec.shape is not None:
            return bool(np.all(spec.shape[1].distance(points) < -1e-9))
        ranges = {s.name: (float(lo), float(hi)) for s, lo, hi in spec.variables}
        return all(np.all((ranges[v][0] < c) & (c < ranges[v][1])) for v, c in zip(variables, points.T))

    def initial(field, t) -> bool:
        """Whether term ``t`` is an initial condition on ``field`` (a face of time, or the field at a fixed time)."""
        return uses(t, field) and (
            (isinstance(where(t), Face) and where(t).variable == spec.time) or fixed(field, t, time)
        )

    def given_through(field, variables, condition, reach=0, seen=frozenset()) -> bool:
        """Whether an equation inside Ω gives ``field`` as derivatives along ``variables`` of another field whose
        conditions (``condition``) reach that order: ``Dxx(u) = m`` with ``Dxx(u) = 0 at x = 1`` is a condition on
        m there, ``Dt(u) = v`` with ``Dt(u) = 0 at t = 0`` one on v (a beam written as a system of lower-order
        fields).  Through chains too: with ``Dx(u) = v`` and ``Dx(v) = w``, ``Dxx(u) = 0 at x = 1`` gives w
        (``reach`` is the order the chain has climbed so far)."""
        for t in inside:
            if not uses(t, field) or order(field, t, variables) != 0:
                continue
            for other in spec.fields:
                k = order(other, t, variables)
                if other != field and other not in seen and k >= 1:
                    if any(condition(other, c) and order(other, c, variables) >= k + reach for c in spec.terms):
                        return True
                    if given_through(other, variables, condition, reach + k, seen | {field}):
                        return True
        return False

    counted = {name: s for s in systems(spec) for name in s.fields}  # one space variable: conditions per system
    warned = set()

    for field in spec.fields:
        name = field.func.__name__
        if name in observed:
            continue
        conditions = [t for t in spec.terms if uses(t, field)]
        second = [t for t in inside if order(field, t, spatial) >= 2]
        if (
            second
            and not any(on_boundary(field, t) for t in conditions)
            and not given_through(field, spatial, on_boundary)
            and not (name in counted and not counted[name].short)
        ):
            warned.add(name)
            warnings.warn(
                f"'{name}' has second derivatives in space{located(second[0])} but no condition on the "
                f"boundary: its solution is not unique; add one, e.g. `{name} = 0 on ∂Ω`",
                IllPosedWarning,
                stacklevel=3,
            )
        evolving = [t for t in inside if t.kind == "residual" and order(field, t, time) >= 1]
        started = any(initial(field, t) for t in conditions) or given_through(field, set(time), initial)
        if evolving and not started:
            warnings.warn(
                f"'{name}' changes in time{located(evolving[0])} but has no initial condition: "
                f"add one, e.g. `{name} = ... at t = 0`",
                IllPosedWarning,
                stacklevel=3,
            )
    for system in {s.fields: s for s in counted.values()}.values():
        if system.short and not warned & set(system.fields):
            warnings.warn(short_of_conditions(system), IllPosedWarning, stacklevel=3)


def _outside_integral() -> PinnError:
    return PinnError(
        "`minimize` takes a sum of integrals: ∫ f over Ω, ∮ g over the boundary",
        help="move every term inside an integral, e.g. `minimize ∫ (|∇u|^2/2 - f*u)`",
    )


def real_imag(value: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """The real and imaginary parts of an expression of real fields and ``i``.

    Fields are real functions; SymPy does not know that their derivatives are real too,
    so re(∂u) is ∂u and im(∂u) is 0 here.
    """
    if not value.has(sympy.I):
        return value, sympy.Integer(0)
    re, im = sympy.expand(value, complex=True).as_real_imag()
    real = (sympy.Derivative, sympy.Subs)
    re, im = (
        part.replace(sympy.re, lambda z: z if isinstance(z, real) else sympy.re(z)).replace(
            sympy.im, lambda z: sympy.Integer(0) if isinstance(z, real) else sympy.im(z)
        )
        for part in (re, im)
    )
    return re, im
