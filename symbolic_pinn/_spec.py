"""The checked problem in SymPy form: what both front ends (text and SymPy) produce.

A :class:`Spec` holds SymPy expressions — fields are applied undefined functions
``u(x, y)``, derivatives are ``sympy.Derivative`` — so the chain rule, ``Δ`` and
algebraic simplification are SymPy's.  :mod:`._lower` turns a Spec into the IR.
"""

from __future__ import annotations

import dataclasses

import sympy

from ._errors import PinnError
from ._regions import Region


@dataclasses.dataclass(frozen=True)
class TermSpec:
    """One term of the loss.

    ``kind`` is ``residual`` (mean squared ``expr`` over the region's points) or
    ``energy`` (the integral of ``expr`` over the region).
    """

    kind: str
    region: Region
    expr: sympy.Expr
    weight: float
    label: str
    line: int | None = None


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
