"""A checked problem (:class:`Spec`) printed back in the problem language: the inverse of parse.

A problem built from SymPy has no text; its run directory needs one (``problem.pinn``)
so that :func:`symbolic_pinn.load` can rebuild it without executing anything.  Each
term is printed as one statement, ``expr = 0`` with its region and weight, in the order
of the Spec, so parsing the text gives the same terms (the run directory checks that
the code generated from the text is the code trained, and refuses otherwise).

    >>> import symbolic_pinn as sp
    >>> print(unparse(sp.parse("x in [0, 1]\\nfield u(x)\\n-Dxx(u) = 1\\nu = 0 on ∂Ω weight 10")), end="")
    x in [0, 1]
    field u(x)
    -D(u, x, x) - 1 = 0
    u = 0 on ∂Ω weight 10.0
"""

from __future__ import annotations

import dataclasses

import sympy

from .._errors import PinnError
from .._runtime.geometry import PlanePart, RestPart
from .derive import _number, _TextPrinter
from .regions import BOUNDARY, INTERIOR, Face, Faces, Part, Restricted
from .spec import NormalComponent, Spec, TermSpec, variable

__all__ = ["unparse"]


class _Printer(_TextPrinter):
    """Also the forms a Spec holds that ``derive`` never prints: a derivative at a point, ∫(f, s, a, b);
    and exactly: a float as its shortest exact repr, a negative product as ``-(product)``
    (``-(a + b)*c`` would be parsed as ``(-a - b)*c``, another expression to SymPy)."""

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Mul(self, expr):
        coefficient, _ = expr.as_coeff_Mul()
        if coefficient.is_negative:
            positive = -expr
            text = self._print(positive)
            return f"-({text})" if isinstance(positive, (sympy.Mul, sympy.Pow, sympy.Add)) else f"-{text}"
        return super()._print_Mul(expr)

    def _print_Subs(self, expr):
        # Dx(u)(1, y): the derivative of a field, then evaluated at other coordinates
        inner = expr.expr
        if isinstance(inner, sympy.Derivative) and isinstance(inner.expr, sympy.core.function.AppliedUndef):
            field = inner.expr
            at = dict(zip(expr.variables, expr.point))
            point = ", ".join(self._print(at.get(a, a)) for a in field.args)
            return f"{self._print(inner)}({point})"
        raise _unprintable(f"the substitution {expr}")

    def _print_Integral(self, expr):
        if len(expr.limits) == 1 and len(expr.limits[0]) == 3:
            s, a, b = expr.limits[0]
            return f"∫({self._print(expr.function)}, {s}, {self._print(a)}, {self._print(b)})"
        raise _unprintable(f"the integral {expr}")

    def _print_BoundaryIntegral(self, expr):
        raise _unprintable(f"the boundary integral {expr} inside an expression")

    def _print_NormalComponent(self, expr):
        return expr.name  # n_x: the language's name of the component (a problem's own n_x is refused before)


def _text(spec: Spec, expr: sympy.Expr) -> str:
    taken = (
        {f.func.__name__ for f in spec.fields}
        | {s.name for s, _, _ in spec.variables}
        | {s.name for s, _ in spec.unknowns}
    )
    for n in expr.atoms(NormalComponent):
        if n.name in taken:  # the text would name the problem's own n_x
            raise _unprintable(f"the normal component {n.name} beside a name {n.name} of the problem")
    text = _Printer({"order": None}).doprint(_normal_derivatives(spec, expr))
    for field in spec.fields:
        text = text.replace(_Printer({"order": None}).doprint(field), field.func.__name__)
    return text


_DN = sympy.Function("Dn")  # printed as the language's Dn(u); never compiled


def _normal_derivatives(spec: Spec, expr: sympy.Expr) -> sympy.Expr:
    """``c*n_x*D(u, x) + c*n_y*D(u, y) + rest`` as ``c*Dn(u) + rest`` (the form the checker expands
    ``Dn`` into), in every sum of ``expr``."""
    spatial = [s for s, _, _ in spec.variables if s.name != "t" and s.name not in spec.parameters]
    return expr.replace(lambda e: isinstance(e, sympy.Add) and e.has(NormalComponent), lambda e: _collapse(e, spatial))


def _collapse(expr: sympy.Add, spatial) -> sympy.Expr:
    """One sum: its terms ``c*n_s*D(u, s)``, one for each spatial ``s`` with the same c and u, become ``c*Dn(u)``."""
    by_factor: dict = {}  # (c, u) → {variable name: term}
    rest = []
    for term in sympy.Add.make_args(expr):
        found = _normal_part(term)
        if found is None:
            rest.append(term)
        else:
            name, coefficient, value = found
            by_factor.setdefault((coefficient, value), {})[name] = term
    for (coefficient, value), terms in by_factor.items():
        if set(terms) == {s.name for s in spatial}:
            rest.append(coefficient * _DN(value))
        else:
            rest.extend(terms.values())  # not all of n·∇u: printed as it is (an error, naming n_x)
    return sympy.Add(*rest)


def _normal_part(term: sympy.Expr):
    """``(s, c, u)`` for a term ``c*n_s*D(u, s)``; None for any other."""
    normals = term.atoms(NormalComponent)
    if len(normals) != 1:
        return None
    (n,) = normals
    coefficient, factor = (term / n).as_independent(sympy.Derivative)
    if isinstance(factor, sympy.Derivative) and factor.variable_count == ((variable(n.variable), 1),):
        return n.variable, coefficient, factor.expr
    return None


def unparse(spec: Spec) -> str:
    """The problem as text that ``parse`` turns back into the same terms.

    Raises a ``PinnError`` naming what has no text yet: a condition on a named part of
    a shaped boundary or on observations, a normal component that is not part of a whole
    ``Dn(u)``, a boundary integral inside an expression.
    """
    if spec.homes:  # `field u1(x) in A` restricts terms the text would have to say again
        raise _unprintable(f"the field {spec.homes[0][0]}, which lives in a region,")
    lines = []
    shaped = tuple(v for v in spec.shape[0] if v not in spec.parameters) if spec.shape else ()
    shape = getattr(spec.shape[1], "template", spec.shape[1]) if spec.shape else None  # a family: its params'
    for s, lo, hi in spec.variables:  # declarations come first, as they must
        if s.name in shaped:
            if s.name == shaped[0]:
                lines.append(f"({', '.join(shaped)}) in {shape}")
            continue
        time = s.name == spec.time and s.name != "t"  # a time not named t is declared: the text says so
        keyword = "param " if s.name in spec.parameters else "time " if time else ""
        lines.append(f"{keyword}{s.name} in [{_number(lo)}, {_number(hi)}]")
    for field in spec.fields:
        lines.append(f"field {field.func.__name__}({', '.join(a.name for a in field.args)})")
    for s, value in spec.unknowns:
        lines.append(f"unknown {s.name} = {value!r}")
    for term in spec.terms:
        lines.append(_statement(spec, term))
    for name, expr in spec.exact:
        lines.append(f"exact {name} = {_text(spec, expr)}")
    return "\n".join(lines) + "\n"


def _statement(spec: Spec, term: TermSpec) -> str:
    """One term as one statement: ``expr = 0 on ∂Ω weight w``, ``minimize ∫ (...)``, ``∫ (...) = c``."""
    body = _text(spec, term.expr)
    if term.kind == "residual":
        text = f"{body} = 0{_where(term, spec)}"
    elif term.kind == "energy":
        text = f"minimize {'∮' if term.region == BOUNDARY else '∫'} ({body})"
    else:  # an integral constraint
        sign = "∮" if term.region == BOUNDARY else "∫"
        where = _where(term, spec) if isinstance(getattr(term.region, "base", term.region), Face) else ""
        text = f"{sign} ({body}) = {term.target!r}{where}"
    if term.point_weight is not None:  # a residual's point weight (an energy's is in its integrand)
        weight = term.point_weight if term.weight == 1 else term.weight * term.point_weight
        return text + f" weight {_text(spec, weight)}"
    return text + (f" weight {term.weight!r}" if term.weight != 1 else "")


def _where(term: TermSpec, spec: Spec) -> str:
    region = term.region
    if isinstance(region, Restricted):
        base = _where(dataclasses.replace(term, region=region.base), spec)
        return base if region.rest else f"{base} where {_condition(spec, region.predicate)}"  # the rest: found again
    if region == INTERIOR:
        return ""
    if region == BOUNDARY:
        return " on ∂Ω"
    if isinstance(region, Face):
        return f" at {region.variable} = {_number(region.value)}"
    if isinstance(region, Faces) or isinstance(region, Part) and isinstance(region.part, RestPart):
        return " on ∂Ω"  # the checker gives ∂Ω the rest of the boundary again
    if isinstance(region, Part) and isinstance(region.part, PlanePart):
        return f" at {region.name.split(' = ')[0]} = {_number(region.part.value)}"
    raise _unprintable(f"a condition on {region.describe()}")


_RELATION_WORDS = {"StrictLessThan": "<", "LessThan": "<=", "StrictGreaterThan": ">", "GreaterThan": ">="}


def _condition(spec: Spec, predicate) -> str:
    """A predicate as the language writes it: ``x > 0.25 and x < 0.75``."""
    name = type(predicate).__name__
    if name in _RELATION_WORDS:
        return f"{_text(spec, predicate.lhs)} {_RELATION_WORDS[name]} {_text(spec, predicate.rhs)}"
    if name in ("And", "Or"):
        return f" {name.lower()} ".join(f"({_condition(spec, a)})" for a in predicate.args)
    if name == "Not":
        return f"not ({_condition(spec, predicate.args[0])})"
    raise _unprintable(f"the predicate {predicate}")


def _unprintable(what: str) -> PinnError:
    return PinnError(
        f"this problem built from SymPy cannot be written as problem text: {what} has no text form yet",
        help="train it without a run directory (problem.train()), or write the problem in the language "
        "(symbolic_pinn.parse) to save its run",
    )
