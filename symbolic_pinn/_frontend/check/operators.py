"""Derivatives and calls: ∂, Δ, ∇, D[v], built-in and user functions, fields at coordinates.

Derivatives are SymPy's (the chain rule on expressions), within the limits of
:mod:`symbolic_pinn._limits`.
"""

from __future__ import annotations

import difflib

import sympy

from ... import _functions as functions
from ... import _limits
from ..._errors import PinnError, Span
from .. import ranges
from .. import syntax as ast
from ..spec import normal, real_imag
from .expressions import _function_of_number_bounded, _real
from .scope import ALIASES, DELTA_WIDTH, DERIVATIVE, LAPLACIAN, OPERATORS, SOFT_OPERATORS, Scope


class Operators(Scope):
    """The `_expr_*` methods of derivatives and calls, and the `_call_*` methods of operators."""

    def _expr_Laplace(self, node: ast.Laplace):
        if node.spelling == LAPLACIAN and self.delta_value is not None:
            raise PinnError(
                f"'Δ' names a value here (line {self.delta_value.span.line}), so Δ before an operand is ambiguous: "
                "the Laplacian of it, or the value times it",
                Span(node.span.line, node.span.column, node.span.line, node.span.column + 1),
                help="write laplace(u) or ∇²u for the Laplacian, Δ*u for the product, or give the value another name",
            )
        return self._laplace(self._expr(node.arg), node)

    def _laplace(self, value, node):
        """Δ of a scalar; of a vector, component by component."""
        if isinstance(value, tuple):
            return tuple(self._laplace(v, node) for v in value)
        return sum(_diff(_diff(value, s, node.span), s, node.span) for s in self._spatial(node))

    def _expr_Nabla(self, node: ast.Nabla):
        value = self._scalar(node.arg)
        return tuple(_diff(value, s, node.span) for s in self._spatial(node))

    def _spatial(self, node) -> list[sympy.Symbol]:
        spatial = [s for s, _, _ in self.variables if s.name in self._spatial_names()]
        if not spatial:
            raise PinnError("Δ and ∇ need a spatial variable", node.span, help="declare e.g. `x in [0, 1]`")
        return spatial

    def _expr_Partial(self, node: ast.Partial):
        _limits.DERIVATIVE_ORDER.check(len(node.variables), node.span, "this derivative")
        value = self._expr(node.arg)
        for letter in node.variables:
            value = self._diff(value, letter, node.span, node)
        return value

    def _diff(self, value, letter: str, span: Span, node: ast.Node):
        """∂/∂letter (of a vector: of each component); ``n`` (when no variable has that name) is
        the outward normal: ∂ₙ = n·∇."""
        if isinstance(value, tuple):
            return tuple(self._diff(v, letter, span, node) for v in value)
        if letter == "n" and "n" not in self.names:
            return sum(normal(s.name) * _diff(value, s, span) for s in self._spatial(node))
        return _diff(value, self._variable_named(letter, span), span)

    def _variable_named(self, name: str, span: Span) -> sympy.Symbol:
        if name in self.bound:  # an integration variable, inside its integral
            return self.bound[name]
        declared = self.names.get(name)
        if declared is not None and declared.kind == "family":
            family = declared.value
            raise PinnError(
                f"'{name}' names the {len(family.symbols)} variables {name}[{family.first}], ..., "
                f"{name}[{family.last}]: a derivative is along one of them",
                span,
                help=f"write D(u, {name}[{family.first}]) or sum(i, {family.first}, {family.last}, "
                f"D(u, {name}[i], {name}[i])) (that is Δu)",
            )
        if declared is None or declared.kind != "variable":
            raise PinnError(
                f"derivative with respect to '{name}', which is not a declared variable",
                span,
                help=f"declared variables: {self._list('variable')}",
            )
        return declared.value[0]

    def _expr_Directional(self, node: ast.Directional):
        if node.name.name != "D":
            raise PinnError(f"unknown operator '{node.name.name}[...]'", node.name.span, help="write D[v](u)")
        direction = self._vector(node.direction)
        value = self._expr(node.arg)
        spatial = self._spatial(node)
        if len(direction) != len(spatial):
            raise PinnError(
                f"the direction has {len(direction)} components but there are {len(spatial)} spatial variables",
                node.direction.span,
                help=f"give one component per spatial variable ({', '.join(s.name for s in spatial)})",
            )
        if isinstance(value, tuple):  # (v·∇)U: each component of U along v
            return tuple(sum(d * _diff(c, s, node.span) for d, s in zip(direction, spatial)) for c in value)
        return sum(d * _diff(value, s, node.span) for d, s in zip(direction, spatial))

    def _expr_Call(self, node: ast.Call):
        name = node.name.name
        if name == self.defining:
            raise PinnError(
                f"'{name}' calls itself: user functions are inlined, so they cannot be recursive",
                node.name.span,
                help="write the expression without recursion",
            )
        declared = self.names.get(name)
        if declared is not None and name not in self.params and name != DERIVATIVE:  # `const D`: D(u, x) stays ∂
            if declared.kind == "field":
                return self._field_call(node, declared.value)
            if declared.kind == "complex":  # psi(0, t): both parts there
                re, im = (self._field_call(node, part) for part in declared.value)
                return re + sympy.I * im
            if declared.kind == "function":
                return self._call_user(node, declared.value)
            if declared.kind == "let" and _has_fields(declared.value):  # `let U = (u, v)`, then U(0, y)
                return self._at_coordinates(declared.value, node.args, node.span, node.name.span)
            raise PinnError(
                f"'{name}' is a {declared.kind}, not a function",
                node.name.span,
                help=f"use it without arguments: {name}",
            )
        function = functions.in_text(name)
        if function is not None:
            if len(node.args) != function.arity and not (function.variadic and len(node.args) > function.arity):
                count = f"{'at least ' if function.variadic else ''}{function.arity}"
                usage = ", ".join("ab"[: function.arity]) if function.arity > 1 else "expression"
                raise PinnError(
                    f"{name} takes {count} argument{'s' if function.arity > 1 else ''}, got {len(node.args)}",
                    node.span,
                    help=f"write {name}({usage})",
                )
            args = [self._scalar(a) for a in node.args]
            if function.real:
                args = [_real(value, a, name) for value, a in zip(args, node.args)]
            if function.arity == 1:
                _function_of_number_bounded(function.name, args[0], node)
            return _applied(function, args, node)
        if name in OPERATORS or name in SOFT_OPERATORS or name in ALIASES:
            return getattr(self, f"_call_{ALIASES.get(name, name)}")(node)
        if len(name) > 1 and name[0] == "D" and name[1:].isalpha():
            return self._call_subscripted(node)
        if name == "table":
            raise PinnError(
                "table takes the quoted name of its file first",
                node.span,
                help='write table("coef.csv", x) for values tabulated over x in coef.csv',
            )
        close = difflib.get_close_matches(name, functions.names() + list(OPERATORS), n=1)
        return_hint = f"did you mean '{close[0]}'? " if close else ""
        raise PinnError(
            f"unknown function '{name}'",
            node.name.span,
            help=f"{return_hint}functions: {', '.join(functions.names())}; "
            "operators: Dx(u), D(u, x), grad, div, laplace, dot",
        )

    def _field_call(self, node: ast.Call, applied: sympy.Expr):
        args = [self._scalar(a) for a in node.args]
        if len(args) != len(applied.args):
            count = len(applied.args)
            raise PinnError(
                f"'{node.name.name}' takes {count} argument{'s' if count != 1 else ''}, got {len(args)}",
                node.span,
                help=f"it is declared as {applied}",
            )
        if tuple(args) == applied.args:
            return applied
        for arg, arg_node, slot in zip(args, node.args, applied.args):
            self._coordinate(arg, arg_node, slot)
        return applied.func(*args)

    def _coordinate(self, value: sympy.Expr, node: ast.Node, slot: sympy.Symbol) -> None:
        """Check a coordinate given for the variable ``slot``: no fields, inside its interval."""
        self._no_fields(value, node, "a coordinate")
        _, lo, hi = self.names[slot.name].value
        if value.is_number and not lo <= float(value) <= hi:
            raise PinnError(
                f"{slot} = {float(value):g} is outside the interval [{lo:g}, {hi:g}] of '{slot}'",
                node.span,
                help=f"a coordinate for {slot} must lie in [{lo:g}, {hi:g}]",
            )
        if value.is_number or value in self.bound.values():  # u(s) in ∫(u(s), s, a, b): its limits are checked
            return
        found = ranges.value_range(value, self._intervals(), self._shaped())
        if ranges.outside(found, lo, hi):
            raise PinnError(
                f"the coordinate {value} for {slot} takes the values {ranges.spread(found)} at points of the domain, "
                f"outside the interval [{lo:g}, {hi:g}] of '{slot}': the field is not defined there",
                node.span,
                help=f"a coordinate for {slot} must stay in [{lo:g}, {hi:g}] everywhere in the domain",
            )

    def _expr_Apply(self, node: ast.Apply):
        """`Dx(u)(-1, t)`: the value of an expression of fields at other coordinates.

        The coordinates are given in the order of the fields' arguments, so every
        field in the expression must take the same ones.
        """
        return self._at_coordinates(self._scalar(node.head), node.args, node.span, node.head.span)

    def _at_coordinates(self, value, args, span: Span, head: Span):
        """``value`` (an expression of fields, or a vector of them: a `let`) at the coordinates
        ``args``, given in the order of the fields' arguments, which must be the same for all."""
        parts = value if isinstance(value, tuple) else (value,)
        signatures = {f.args for part in parts for f in _fields_in(part)}
        if len(signatures) != 1:
            raise PinnError(
                "evaluating at coordinates needs an expression of fields with the same arguments",
                head,
                help="write e.g. `Dx(u)(-1, t)` for u(x, t)",
            )
        (slots,) = signatures
        if len(args) != len(slots):
            raise PinnError(
                f"{len(args)} coordinates given, but the expression is a function of ({', '.join(map(str, slots))})",
                span,
                help="give one coordinate per argument, in that order",
            )
        point = {}
        for slot, arg_node in zip(slots, args):
            point[slot] = self._scalar(arg_node)
            self._coordinate(point[slot], arg_node, slot)
        at = tuple(part.subs(point, simultaneous=True) if isinstance(part, sympy.Basic) else part for part in parts)
        return at if isinstance(value, tuple) else at[0]

    def _one_arg(self, node: ast.Call):
        if len(node.args) != 1:
            indexed = any(isinstance(a, ast.Index) for a in node.args)
            raise PinnError(
                f"{node.name.name} takes one argument, got {len(node.args)}",
                node.span,
                help="along a variable of a family, write D(u, x[i]) or D(u, x[i], x[i])" if indexed else None,
            )
        return node.args[0]

    def _call_subscripted(self, node: ast.Call):
        _limits.DERIVATIVE_ORDER.check(len(node.name.name) - 1, node.name.span, "this derivative")
        arg = self._one_arg(node)
        value = self._expr(arg)
        for letter in node.name.name[1:]:
            value = self._diff(value, letter, node.name.span, node)
        return value

    def _call_D(self, node: ast.Call):
        if len(node.args) < 2:
            raise PinnError(
                "D needs an expression and at least one variable", node.span, help="write D(u, x) or D(u, x, y)"
            )
        _limits.DERIVATIVE_ORDER.check(len(node.args) - 1, node.span, "this derivative")
        value = self._expr(node.args[0])
        for arg in node.args[1:]:
            if isinstance(arg, ast.Index):  # D(u, x[i]): one variable of a family
                symbol = self._expr_Index(arg)
            elif isinstance(arg, ast.Name):
                symbol = self._variable_named(arg.name, arg.span)
            else:
                raise PinnError("expected a variable name", arg.span, help="write D(u, x, y) or D(u, x[i])")
            if isinstance(value, tuple):
                value = tuple(_diff(v, symbol, node.span) for v in value)
            else:
                value = _diff(value, symbol, node.span)
        return value

    def _call_grad(self, node: ast.Call):
        return self._expr_Nabla(ast.Nabla(node.span, self._one_arg(node)))

    def _call_laplace(self, node: ast.Call):
        return self._laplace(self._expr(self._one_arg(node)), node)

    def _call_div(self, node: ast.Call):
        value = self._vector(self._one_arg(node))
        spatial = self._spatial(node)
        if len(value) != len(spatial):
            raise PinnError(
                f"div of a vector of {len(value)} components, but there are {len(spatial)} spatial variables",
                node.span,
            )
        return sum(_diff(v, s, node.span) for v, s in zip(value, spatial))

    def _call_dot(self, node: ast.Call):
        if len(node.args) != 2:
            raise PinnError(f"dot takes two vectors, got {len(node.args)} arguments", node.span)
        a, b = self._vector(node.args[0]), self._vector(node.args[1])
        if len(a) != len(b):
            raise PinnError(f"dot of vectors of lengths {len(a)} and {len(b)}", node.span)
        return sum(x * y for x, y in zip(a, b))

    def _call_re(self, node: ast.Call):
        return real_imag(self._scalar(self._one_arg(node)))[0]

    def _call_im(self, node: ast.Call):
        return real_imag(self._scalar(self._one_arg(node)))[1]

    def _call_conj(self, node: ast.Call):
        re, im = real_imag(self._scalar(self._one_arg(node)))
        return re - sympy.I * im

    def _call_delta(self, node: ast.Call):
        """delta(s) or delta(s, width): a point source as a normalised Gaussian of standard deviation
        ``width`` (collocation points cannot see a true Dirac delta; the PINN literature smooths it)."""
        if len(node.args) not in (1, 2):
            raise PinnError(
                f"delta takes 1 or 2 arguments, got {len(node.args)}",
                node.span,
                help=f"write delta(x - x0), or delta(x - x0, width) (width {DELTA_WIDTH:g} by default)",
            )
        s = self._scalar(node.args[0])
        found = ranges.value_range(s, self._intervals(), self._shaped())
        if found is not None and (found[0] > 0 or found[1] < 0):
            raise PinnError(
                f"delta({s}) is centred outside the domain: its argument takes the values {ranges.spread(found)} "
                "and is never 0 there",
                node.args[0].span,
                help="a point source goes at a point of the domain, e.g. delta(x - 0.5) for x in [0, 1]",
            )
        width = self._number(node.args[1], "the width of delta") if len(node.args) == 2 else DELTA_WIDTH
        if width <= 0:
            raise PinnError(f"the width {width:g} of delta is not positive", node.args[1].span, help="e.g. 0.01")
        width = sympy.Float(width)
        return sympy.exp(-(s**2) / (2 * width**2)) / (sympy.sqrt(2 * sympy.pi) * width)

    def _call_integral(self, node: ast.Call):
        if len(node.args) > 1:
            return self._definite_integral(node, node.args)
        return self._expr_Integral(ast.Integral(node.span, self._one_arg(node), boundary=False))


def _diff(value, symbol: sympy.Symbol, span: Span):
    """``sympy.diff`` within the limits (_limits): the order of any derivative, the size of the result.

    The size of a derivative is estimated before it is taken (the product rule turns a
    product of k factors into k products), so the Laplacian of a product of 50 factors is
    refused at once instead of after minutes of SymPy.
    """
    fast = _derivative_of_field(value, symbol)
    if fast is not None:
        _limits.DERIVATIVE_ORDER.check(sum(count for _, count in getattr(fast, "variable_count", ())), span,
                                       "this derivative")  # fmt: skip
        return fast
    size = _tree_size(value)
    widest = max((len(m.args) for m in sympy.preorder_traversal(value) if m.is_Mul), default=1)
    _limits.EXPRESSION_SIZE.check(size * widest, span, "this derivative would be too large")
    result = sympy.diff(value, symbol)
    if result.has(sympy.DiracDelta):
        raise PinnError(
            f"this derivative with respect to {symbol} is a Dirac delta: "
            "the expression jumps (heaviside, sign, or a derivative of |.|, max or min)",
            span,
            help="a jump has no derivative at points; for the derivative almost everywhere write the "
            "jump as `if c then a else b`, whose derivative is taken branch by branch",
        )
    orders = [sum(count for _, count in d.variable_count) for d in result.atoms(sympy.Derivative)]
    _limits.DERIVATIVE_ORDER.check(max(orders, default=0), span, "this derivative")
    _limits.EXPRESSION_SIZE.check(_tree_size(result), span, "this derivative is too large")
    return result


def _derivative_of_field(value, symbol: sympy.Symbol):
    """∂/∂symbol of a field at its own point (``u``, or ``∂ᵏu/∂symbolᵏ``) written at once, else None.

    SymPy's chain rule differentiates each of the field's arguments: the Laplacian of
    u(x1, ..., x100) would take 20,000 derivatives of symbols (seconds) for 100 terms.
    """
    field, count = value, 0
    if isinstance(value, sympy.Derivative) and len(value.variable_count) == 1 and value.variables[0] == symbol:
        field, count = value.expr, value.variable_count[0][1]
    if not isinstance(field, sympy.core.function.AppliedUndef) or not all(a.is_Symbol for a in field.args):
        return None
    if len(set(field.args)) != len(field.args):
        return None
    if symbol not in field.args:
        return sympy.S.Zero
    return sympy.Derivative(field, (symbol, count + 1))


def _tree_size(expr) -> int:
    return sum(1 for _ in sympy.preorder_traversal(expr))


def _applied(function, args: list, node: ast.Call):
    """``function`` of ``args`` in SymPy.  ``max``/``min`` of an integral stay unevaluated:
    SymPy would try to order the integral against the other arguments, which is slow
    (seconds for ∫(1e308, s, 0, 1)) or fails ("not comparable")."""
    try:
        if function.sympy_class in ("Max", "Min") and any(a.has(sympy.Integral) for a in args):
            return getattr(sympy, function.sympy_class)(*args, evaluate=False)
        return function.sympy(*args)
    except (TypeError, ValueError) as err:
        raise PinnError(
            f"{function.name} cannot be applied to these arguments: {err}",
            node.span,
            help=f"write {function.name}(...) of real expressions of the variables and fields",
        ) from None


def _has_fields(value) -> bool:
    """Whether a `let`'s value (a scalar or a vector) holds a field: then it can be evaluated at coordinates."""
    return any(_fields_in(p) for p in (value if isinstance(value, tuple) else (value,)))


def _fields_in(value) -> set:
    """The fields applied to arguments in ``value`` (none in a plain number)."""
    return value.atoms(sympy.core.function.AppliedUndef) if isinstance(value, sympy.Basic) else set()
