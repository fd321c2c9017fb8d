"""Expressions: numbers, names, arithmetic, conditions, norms and integrals, as SymPy.

User text reaches SymPy only as symbols and numbers built here; nothing is ever handed
to ``eval``, ``exec`` or ``sympify``.  Derivatives and calls are in :mod:`.operators`.
"""

from __future__ import annotations

import difflib
import math

import mpmath
import sympy

from ... import _limits
from ..._errors import PinnError
from .. import identifiers, ranges
from .. import syntax as ast
from ..spec import BoundaryIntegral, normal, real_imag, variable
from .scope import CONSTANTS, IMAGINARY_UNIT, LAPLACIAN, Scope


class Expressions(Scope):
    """The `_expr_*` methods of everything but derivatives and calls."""

    def _number(self, node: ast.Node, what: str, expr: sympy.Expr | None = None) -> float:
        """The number ``node`` writes (``expr``: its value, when already computed)."""
        expr = self._scalar(node) if expr is None else expr
        if expr.free_symbols or expr.atoms(sympy.Derivative, sympy.core.function.AppliedUndef):
            raise PinnError(
                f"{what} must be a number",
                node.span,
                help="use numbers, `pi`, `e` and constants declared with `const`",
            )
        number = complex(expr.evalf())
        if number.imag != 0:
            raise PinnError(f"{what} evaluates to the complex number {number}", node.span, help="use a real value")
        value = number.real
        if not math.isfinite(value):
            raise PinnError(f"{what} evaluates to {value}", node.span, help="use a finite value")
        return value

    def _no_fields(self, expr, node, what: str) -> None:
        if expr.atoms(sympy.core.function.AppliedUndef):
            raise PinnError(f"{what} may not use fields", node.span, help="write it in the variables only")

    def _scalar(self, node: ast.Node) -> sympy.Expr:
        value = self._expr(node)
        if isinstance(value, tuple):
            raise PinnError(
                f"expected a scalar here, found a vector of {len(value)} components",
                node.span,
                help="take a component-free scalar such as |v|, dot(v, w) or div(v)",
            )
        return value

    def _vector(self, node: ast.Node) -> tuple:
        value = self._expr(node)
        if not isinstance(value, tuple):
            raise PinnError("expected a vector here, found a scalar", node.span, help="write a vector as (a, b)")
        return value

    def _expr(self, node: ast.Node):
        return getattr(self, f"_expr_{type(node).__name__}")(node)

    def _expr_Number(self, node: ast.Number):
        if not math.isfinite(node.value):
            raise PinnError(
                f"the number {node.text[:20]}{'…' if len(node.text) > 20 else ''} is too large",
                node.span,
                help="numbers must be below about 1.8e308 (double precision)",
            )
        if node.text.isdigit() and len(node.text) <= 18:
            return sympy.Integer(int(node.text))
        return sympy.Float(node.value)

    def _expr_Name(self, node: ast.Name):
        if node.name in self.params:
            return self.params[node.name]
        if node.name in self.indices:
            return self.indices[node.name]
        if node.name in self.bound:
            return self.bound[node.name]
        declared = self.names.get(node.name)
        if declared is None:
            if node.name in CONSTANTS:
                return CONSTANTS[node.name]
            if node.name == IMAGINARY_UNIT:
                return sympy.I
            outward = self._normal(node.name)
            if outward is not None:
                return outward
            raise self._unknown_name(node)
        if declared.kind == "variable":
            return declared.value[0]
        if declared.kind == "bounded":  # the networks' input of a mapped variable: only its map names it
            raise PinnError(
                f"'{node.name}' is the bounded variable of the map of '{declared.value}' (line {declared.span.line})",
                node.span,
                help=f"write the problem in {declared.value}: the compiler changes variables",
            )
        if declared.kind == "family":  # x of x[1..d]: the vector of its variables (|x|^2 = Σ x[i]^2)
            return declared.value.symbols
        if declared.kind == "exact":
            raise self._unknown_name(node)
        if declared.kind == "complex":
            re, im = declared.value
            return re + sympy.I * im
        if declared.kind == "function":
            params = ", ".join(p.name for p in declared.value.params)
            raise PinnError(
                f"'{node.name}' is a function of ({params})",
                node.span,
                help=f"call it with arguments: {node.name}({params})",
            )
        if declared.kind == "shape":
            raise PinnError(
                f"'{node.name}' is a shape, not a value",
                node.span,
                help=f"a shape goes in the domain, `(x, y) in box(...) \\ {node.name}`, and in conditions, "
                f"`on ∂{node.name}`",
            )
        return declared.value

    def _normal(self, name: str):
        """``n``, the outward unit normal (a vector over the spatial variables), and ``n_x``, its
        component along x; None for any other name.  Only undeclared names come here: a field,
        variable or ``let`` named ``n`` (or ``n_x``) is the problem's own."""
        spatial = self._spatial_names()
        if name == "n" and spatial:
            return tuple(normal(s) for s in spatial)
        if name[:2] == "n_" and name[2:] in spatial:
            return normal(name[2:])
        return None

    def _unknown_name(self, node: ast.Name) -> PinnError:
        if node.name == LAPLACIAN:
            return PinnError(
                "Δ is the Laplacian, and nothing follows it here for it to act on",
                node.span,
                help="write Δu or Δ(u) for the Laplacian of u; to use Δ as a value's name, declare it: `const Δ = 0.1`",
            )
        if any(ch in node.name for ch in "²³"):
            base = node.name.rstrip("²³")
            return PinnError(
                f"'{node.name}': a superscript is not a power",
                node.span,
                help=f"write {base}^{'2' if node.name.endswith('²') else '3'}",
            )
        if node.name == "normal":
            return PinnError(
                "'normal': the outward unit normal is written n (its components n_x, n_y, ...)",
                node.span,
                help="write dot(∇u, n) = 0 on ∂Ω (or Dn(u) = 0), or n_x for one component",
            )
        known = sorted(self.names) + sorted(CONSTANTS)
        alike = [n for n in known if identifiers.skeleton(n) == identifiers.skeleton(node.name)]
        if alike:
            return PinnError(
                f"unknown name {identifiers.spelled(node.name)}: it looks like {identifiers.spelled(alike[0])}, "
                "a different name",
                node.span,
                help=f"retype it as {alike[0]}",
            )
        close = difflib.get_close_matches(node.name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return PinnError(
            f"unknown name '{node.name}'",
            node.span,
            help=f"{hint}declare it first (`field`, `const`, `let`, `unknown`, or `{node.name} in [a, b]`); "
            f"names in scope: {', '.join(known)}",
        )

    def _expr_Neg(self, node: ast.Neg):
        value = self._expr(node.arg)
        if isinstance(value, tuple):
            return tuple(-v for v in value)
        return -value

    def _expr_BinOp(self, node: ast.BinOp):
        # long left-leaning chains (a + b + c + ...) are folded in a loop, not by recursion
        group = "+-" if node.op in "+-" else "*/" if node.op in "*/" else None
        if group is None:
            return self._binop(node, self._expr(node.left), self._expr(node.right))
        chain = [node]
        while isinstance(chain[-1].left, ast.BinOp) and chain[-1].left.op in group:
            chain.append(chain[-1].left)
        first = self._expr(chain[-1].left)
        operands = [(link, self._expr(link.right)) for link in reversed(chain)]
        if isinstance(first, tuple) or any(isinstance(v, tuple) for _, v in operands):
            value = first
            for link, right in operands:
                value = self._binop(link, value, right)
            return value
        for link, right in operands:  # scalars: check each step, build the sum at once
            if link.op == "/" and right == 0:
                self._binop(link, first, right)
        if group == "+-":
            return sympy.Add(first, *[right if link.op == "+" else -right for link, right in operands])
        return sympy.Mul(first, *[right if link.op == "*" else 1 / right for link, right in operands])

    def _binop(self, node: ast.BinOp, left, right):
        lv, rv = isinstance(left, tuple), isinstance(right, tuple)
        if node.op in "+-":
            if lv != rv or (lv and len(left) != len(right)):
                raise PinnError(
                    f"cannot {'add' if node.op == '+' else 'subtract'} a {_rank(left)} and a {_rank(right)}",
                    node.span,
                    help="both sides of + and - must be scalars, or vectors of the same length",
                )
            sign = 1 if node.op == "+" else -1
            if lv:
                return tuple(a + sign * b for a, b in zip(left, right))
            return left + sign * right
        if node.op == "*":
            if lv and rv:
                raise PinnError("cannot multiply two vectors with *", node.span, help="use dot(a, b)")
            if lv:
                return tuple(a * right for a in left)
            if rv:
                return tuple(left * b for b in right)
            return left * right
        if rv:
            raise PinnError(
                f"cannot {'divide by' if node.op == '/' else 'raise to'} a vector",
                node.right.span,
                help="divide by a scalar such as |v|",
            )
        if node.op == "/":
            if right == 0:
                raise PinnError("division by zero", node.right.span, help="the divisor is identically zero")
            return tuple(a / right for a in left) if lv else left / right
        if lv:
            raise PinnError("cannot raise a vector to a power", node.span, help="use |v|^2 or dot(v, v)")
        _power_bounded(left, right, node)
        return left**right

    def _expr_Vector(self, node: ast.Vector):
        return tuple(self._scalar(item) for item in node.items)

    def _expr_Conditional(self, node: ast.Conditional):
        cond = self._condition(node.cond)
        then, otherwise = self._scalar(node.then), self._scalar(node.otherwise)
        return sympy.Piecewise((then, cond), (otherwise, True))

    _RELATIONS = {
        "<": sympy.StrictLessThan,
        "<=": sympy.LessThan,
        ">": sympy.StrictGreaterThan,
        ">=": sympy.GreaterThan,
    }

    def _condition(self, node: ast.Node):
        """A condition of `if`: comparisons of scalars joined by and, or, not."""
        if isinstance(node, ast.Logic):
            args = [self._condition(a) for a in node.args]
            return {"and": sympy.And, "or": sympy.Or, "not": sympy.Not}[node.op](*args)
        if isinstance(node, ast.Comparison):
            values = [_real(self._scalar(a), a, "a comparison") for a in node.operands]
            return sympy.And(*(self._RELATIONS[op](a, b) for op, a, b in zip(node.ops, values, values[1:])))
        raise PinnError(
            "expected a condition here",
            node.span,
            help="a condition compares two expressions: `x < 0.5`, `0 < x <= 1`; join them with and, or, not",
        )

    def _expr_Comparison(self, node: ast.Comparison):
        raise PinnError(
            "a comparison has no numeric value",
            node.span,
            help="use it as the condition of `if c then a else b`, or heaviside(b - a) for a step",
        )

    _expr_Logic = _expr_Comparison

    def _expr_Norm(self, node: ast.Norm):
        value = self._expr(node.arg)
        if isinstance(value, tuple):
            return sympy.sqrt(sum(v**2 for v in value))
        if value.has(sympy.I):  # |z|, and |z|^2 = re² + im² without a square root
            re, im = real_imag(value)
            return sympy.sqrt(re**2 + im**2)
        return sympy.Abs(value)

    def _expr_Integral(self, node: ast.Integral):
        if isinstance(node.arg, ast.Vector) and not node.boundary:
            return self._definite_integral(node, node.arg.items)
        if not self.variables:
            raise PinnError(
                "an integral over the domain before any variable is declared",
                node.span,
                help="declare the variables first, e.g. `x in [0, 1]`",
            )
        integrand = self._scalar(node.arg)
        if node.boundary:
            return BoundaryIntegral(integrand)
        return sympy.Integral(integrand, *[(s, lo, hi) for s, lo, hi in self.variables])

    def _definite_integral(self, node: ast.Node, items) -> sympy.Expr:
        """∫(f, s, a, b): a new variable ``s`` bound in ``f``, limits in the coordinates."""
        if len(items) != 4:
            raise PinnError(
                f"a definite integral takes 4 parts (integrand, variable, lower, upper), got {len(items)}",
                node.span,
                help="write ∫(f, s, a, b), e.g. ∫(u(s, t), s, 0, x)",
            )
        integrand, dummy, lo_node, hi_node = items
        if not isinstance(dummy, ast.Name):
            raise PinnError("expected the name of the integration variable", dummy.span, help="write ∫(f, s, a, b)")
        if dummy.name in self.names or dummy.name in CONSTANTS or dummy.name in self.bound:
            raise PinnError(
                f"the integration variable '{dummy.name}' is already a name in scope",
                dummy.span,
                help="integrate over a new name, e.g. ∫(u(s, t), s, 0, x)",
            )
        lo, hi = self._scalar(lo_node), self._scalar(hi_node)
        for limit, limit_node in ((lo, lo_node), (hi, hi_node)):
            self._no_fields(limit, limit_node, "the limits of an integral")
        symbol = variable(dummy.name)
        ends = [ranges.value_range(v, self._intervals(), self._shaped()) for v in (lo, hi)]
        self.bound[dummy.name] = symbol
        if None not in ends:
            self.limits[symbol] = (min(r[0] for r in ends), max(r[1] for r in ends))
        try:
            f = self._scalar(integrand)
        finally:
            del self.bound[dummy.name]
            self.limits.pop(symbol, None)
        self._limits_inside(f, symbol, (lo, lo_node, ends[0]), (hi, hi_node, ends[1]))
        return sympy.Integral(f, (symbol, lo, hi))

    def _limits_inside(self, f, symbol, *limits) -> None:
        """A field of the integrand taken at the integration variable (``u(s)``, ``Dx(u)(s)``): the limits lie in
        that variable's interval."""
        taken = []  # (the field at s, the variable s stands for)
        for applied in f.atoms(sympy.core.function.AppliedUndef):
            declared = self.names.get(applied.func.__name__)
            if declared is not None and declared.kind == "field":
                taken += [(applied, own) for arg, own in zip(applied.args, declared.value.args) if arg == symbol]
        for at in f.atoms(sympy.Subs):  # a derivative evaluated at s
            taken += [(at, own) for own, point in zip(at.variables, at.point) if point == symbol]
        for applied, own in taken:
            declared = self.names.get(own.name)
            if declared is None or declared.kind != "variable":
                continue
            _, lo, hi = declared.value
            for value, node, found in limits:
                if ranges.outside(found, lo, hi):
                    raise PinnError(
                        f"the limit {value} of ∫ over {symbol} takes the values {ranges.spread(found)}, outside "
                        f"the interval [{lo:g}, {hi:g}] of '{own}': the integrand takes {applied} there, where "
                        "the field is not defined",
                        node.span,
                        help=f"integrate over a part of [{lo:g}, {hi:g}], e.g. ∫(..., {symbol}, {lo:g}, {hi:g})",
                    )


def _real(value: sympy.Expr, node: ast.Node, what: str) -> sympy.Expr:
    """``value`` if it is real: complex numbers have no order, so no comparison, max or sign."""
    if value.has(sympy.I):
        raise PinnError(
            f"{what} needs a real value, and this one is complex: complex numbers are not ordered",
            node.span,
            help="use a real number made from it: its modulus |z|, re(z) or im(z)",
        )
    return value


def _finite(expr: sympy.Expr, node: ast.Node) -> None:
    """Reject expressions that SymPy already knows to be infinite or undefined."""
    if expr.has(sympy.I):
        raise PinnError(
            "this expression has an imaginary part (the square root or log of a negative number?)",
            node.span,
            help="fields and equations are real-valued, unless a field is declared complex: `field psi(x, t) complex`",
        )
    bad = [a for a in (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan) if expr.has(a)]
    if bad or any(isinstance(a, sympy.Float) and not math.isfinite(float(a)) for a in expr.atoms(sympy.Float)):
        raise PinnError(
            "this expression is infinite or undefined (a division by zero, log(0), or a number too large?)",
            node.span,
            help="check the constants and functions in it",
        )


def _power_bounded(left, right, node: ast.BinOp) -> None:
    """A numeric exponent of at most _limits.EXPONENT; a power of numbers between 1e-300 and 1e300.

    SymPy computes a power of exact numbers exactly: (1/3)^100000000 would take hours.
    """
    if not right.is_Number or not right.is_finite:  # nan, zoo: refused by _finite
        return
    _limits.EXPONENT.check(10 ** min(_log10(right), 300), node.right.span, "this power")
    if left.is_Number and left.is_finite and left != 0:
        digits = float(right) * _log10(left)
        if abs(digits) > 300:
            raise PinnError(
                f"this power is too {'large' if digits > 0 else 'small'} to compute (about 1e{digits:.0f})",
                node.span,
                help="numbers must stay between about 1e-300 and 1e300",
            )


def _function_of_number_bounded(name: str, arg, node: ast.Node) -> None:
    """exp(exp(exp(100))) is a number SymPy would try to compute to its last digit (for hours):
    a built-in function of a number must give a float below about 1e308."""
    if not arg.is_number or name not in ("exp", "sinh", "cosh"):
        return
    try:
        value = float(arg.evalf(15))  # arg was bounded when it was built, so this is quick
        finite = math.isfinite(getattr(math, name)(value))
    except (OverflowError, TypeError, ValueError):
        finite = False
    if not finite:
        raise PinnError(
            f"{name} of this number is too large to compute",
            node.span,
            help="numbers must stay below about 1e308 (double precision)",
        )


def _log10(number: sympy.Number) -> float:
    """log10 |number| of a nonzero SymPy number, however large or small (exact for rationals)."""
    if number.is_Rational:
        return math.log10(abs(number.p)) - math.log10(number.q)
    return float(mpmath.log10(abs(mpmath.mpf(number._mpf_))))  # a Float: mpmath's exponent is unbounded


def _rank(value) -> str:
    """What a value is, in an error: "scalar" or "vector of 3"."""
    return f"vector of {len(value)}" if isinstance(value, tuple) else "scalar"
