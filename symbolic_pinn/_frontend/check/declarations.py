"""Declarations: variables and domains, fields, constants, unknowns, `let` and user functions, `exact`."""

from __future__ import annotations

import itertools
import math

import sympy

from ... import _functions as functions
from ... import _limits
from ..._errors import PinnError
from ..._runtime import geometry
from .. import maps
from .. import syntax as ast
from ..spec import real_imag, variable
from .scope import CONSTANTS, TIME, Scope


class Declarations(Scope):
    """The `_stmt_*` methods of declarations: each adds names to the scope."""

    def _stmt_VariableDecl(self, s: ast.VariableDecl) -> None:
        if s.mapping is not None or s.brackets != "[]" or ast.Infinity in (type(s.lo), type(s.hi)):
            self._mapped_interval(s)
            return
        lo = self._shape_number(s.lo, "the lower end of an interval")
        hi = self._shape_number(s.hi, "the upper end of an interval")
        if geometry._has_params((lo, hi)):
            self._interval_with_params(s, lo, hi)
            return
        self._nonempty(s, lo, hi, "x in [0, 1]")
        self._declare_interval(s, lo, hi)
        if self.boxed and not s.parameter and s.name.name not in (TIME, self.time):
            self._interval_with_params(s, lo, hi)  # a further side of the box whose sides depend on params

    def _end(self, node: ast.Node, what: str) -> float | geometry.Affine:
        """An interval's end or a face's coordinate: a number (an affine function of params), or ±∞."""
        if isinstance(node, ast.Infinity):
            return -math.inf if node.negative else math.inf
        return self._shape_number(node, what)

    def _mapped_interval(self, s: ast.VariableDecl) -> None:
        """`x in [0, ∞) with x = s/(1 - s), s in [0, 1]`: x on its interval, the networks' input s on [0, 1]
        (the Spec is rewritten in s once checked: see .maps)."""
        name = s.name.name
        lo = self._end(s.lo, "the lower end of an interval")
        hi = self._end(s.hi, "the upper end of an interval")
        if geometry._has_params((lo, hi)):
            raise PinnError("a mapped interval's ends cannot depend on a param", s.span, help="write them as numbers")
        self._nonempty(s, lo, hi, "x in [0, ∞)")
        for bracket, end in zip(s.brackets, (lo, hi)):
            if bracket in "()" and math.isfinite(end):
                raise PinnError(
                    f"a round bracket marks an infinite end, but {end:g} is finite",
                    s.span,
                    help="write finite ends with square brackets: `x in [0, ∞)`",
                )
        if name in (TIME, self.time):
            raise PinnError(
                "time cannot be mapped",
                s.span,
                help="declare time on a bounded interval; map a coordinate of space",
            )
        if s.mapping is None:
            raise PinnError(
                f"'{name}' has an infinite interval: the networks take a bounded variable, and the map from it "
                "must be stated",
                s.span,
                help=f"state the map after the interval, e.g. {maps.example((lo, hi)).replace('x', name)}",
            )
        vmap = self._map(s, lo, hi)
        symbol = variable(name)
        self._declare(s.name, "variable", (symbol, lo, hi))
        self._declare(s.mapping.bounded, "bounded", name)
        self.variables.append((symbol, lo, hi))
        self.maps.append(vmap)

    def _map(self, s: ast.VariableDecl, lo: float, hi: float) -> maps.VariableMap:
        """The map of ``s`` (``with x = f(s), s in [a, b]``), checked: it names the declared variable, its
        bounded variable is new, and it runs onto [lo, hi] in order."""
        m = s.mapping
        name, bounded = s.name.name, m.bounded.name
        if m.variable.name != name:
            raise PinnError(
                f"the map gives '{m.variable.name}', but the interval is '{name}''s",
                m.variable.span,
                help=f"write the declared variable as a function of a bounded one: `with {name} = ...`",
            )
        if bounded == name or bounded in self.variable_names:
            raise PinnError(
                f"'{bounded}' is a variable of the problem: the map needs a new name for the bounded variable",
                m.bounded.span,
                help="choose another name, e.g. `s`",
            )
        a = self._number(m.lo, "the lower end of an interval")
        b = self._number(m.hi, "the upper end of an interval")
        if not a < b:
            raise PinnError(
                f"the interval [{a:g}, {b:g}] of '{bounded}' is empty",
                m.span,
                help="write the lower end first, e.g. `s in [0, 1]`",
            )
        outer, self.params = self.params, {bounded: variable(bounded)}
        try:
            expr = self._scalar(m.expr)
        finally:
            self.params = outer
        loose = sorted(v.name for v in expr.free_symbols if v.name != bounded)
        if loose or expr.atoms(sympy.Derivative, sympy.core.function.AppliedUndef, sympy.Integral):
            raise PinnError(
                f"the map may use only '{bounded}', numbers and constants, but it uses {', '.join(loose) or 'a field'}",
                m.expr.span,
                help=f"write {name} as a function of {bounded} alone, e.g. {maps.example((lo, hi)).replace('x', name)}",
            )
        vmap = maps.VariableMap(name, bounded, expr, (lo, hi), (a, b))
        vmap.validate(m.expr.span)
        return vmap

    def _declare_interval(self, s: ast.VariableDecl, lo: float, hi: float) -> None:
        symbol = variable(s.name.name)
        if s.parameter and s.name.name == TIME:
            raise PinnError(f"'{TIME}' is time, not a parameter", s.name.span, help=f"declare it as `{TIME} in [0, 1]`")
        self._declare(s.name, "variable", (symbol, lo, hi))
        self.variables.append((symbol, lo, hi))
        if s.parameter:
            self.parameters.append(s.name.name)

    def _interval_with_params(self, s: ast.VariableDecl, lo, hi) -> None:
        """`x in [0, L]` with `param L in [1, 2]`: the spatial intervals become one box for each value of
        the params, ``box((0, ...), (L, ...))`` (a :class:`geometry.Family`), declared as a shaped domain."""
        name = s.name.name
        if s.parameter or name in (TIME, self.time):
            what = "a param's" if s.parameter else "time's"
            raise PinnError(
                f"{what} interval cannot depend on a param",
                s.span,
                help="params may appear in the ends of the intervals of the coordinates of space",
            )
        if self.shape is not None and not self.boxed:
            raise PinnError(
                "an interval with a param beside a shaped domain",
                s.span,
                help="put the param in the shape instead, or write the interval with numbers",
            )
        earlier = {n: (a, b) for n, a, b in self.boxed}  # sides written with params keep them
        sides = [
            (v.name, *earlier.get(v.name, (a, b)))
            for v, a, b in self.variables
            if v.name not in (self.time, name, *self.parameters)
        ] + [(name, lo, hi)]
        corners = self._corners((lo, hi))
        for corner in corners:
            a, b = geometry._substitute((lo, hi), corner)
            if not a < b:
                at = ", ".join(f"{p} = {v:g}" for p, v in corner.items())
                raise PinnError(
                    f"the interval of '{name}' is empty at {at}: [{a:g}, {b:g}]",
                    s.span,
                    help="the lower end must be below the upper one for every value of the params",
                )
        if not any(v.name == name for v, _, _ in self.variables):
            extremes = [geometry._substitute((lo, hi), corner) for corner in corners]
            self._declare_interval(s, min(a for a, _ in extremes), max(b for _, b in extremes))
        self.boxed = sides
        box = geometry.Box(tuple(a for _, a, _ in sides), tuple(b for _, _, b in sides))
        family = self._family(box)
        self.shape = (tuple(n for n, _, _ in sides) + family.parameters, family)

    def _interval(self, s: ast.VariableDecl | ast.IndexedDecl, example: str) -> tuple[float, float]:
        """The ends of a declared interval, numbers with the lower first."""
        lo = self._number(s.lo, "the lower end of an interval")
        hi = self._number(s.hi, "the upper end of an interval")
        self._nonempty(s, lo, hi, example)
        return lo, hi

    @staticmethod
    def _nonempty(s: ast.VariableDecl | ast.IndexedDecl, lo: float, hi: float, example: str) -> None:
        if not lo < hi:
            raise PinnError(
                f"the interval [{lo:g}, {hi:g}] of '{s.name.name}' is empty",
                s.span,
                help=f"write the lower end first, e.g. `{example}`",
            )

    def _stmt_DomainDecl(self, s: ast.DomainDecl) -> None:
        if self.boxed:
            raise PinnError(
                "a shaped domain beside an interval with a param",
                s.span,
                help="write the intervals with numbers, or put the param in the shape: `(x, y) in box((0, 0), (L, 1))`",
            )
        if self.shape is not None:
            raise PinnError(
                "the problem already has a shaped domain",
                s.span,
                help="combine shapes in one declaration: `(x, y) in disk((0, 0), 1) ∪ box((0, 0), (2, 1))`",
            )
        for name in s.names:
            if name.name == TIME:
                raise PinnError(
                    f"'{TIME}' is time: it has an interval, not a shape",
                    name.span,
                    help=f"declare it on its own: `{TIME} in [0, 1]`",
                )
        tree = self._shape(s.shape, len(s.names))
        params: tuple[str, ...] = ()
        if geometry._has_params(tree):  # `disk((0, 0), r)`: one shape for each value of r
            tree = self._family(tree)
            params = tree.parameters
        lo, hi = tree.bounds()
        for name, a, b in zip(s.names, lo, hi):
            if name.name in [n.name for n in s.names[: s.names.index(name)]]:
                raise PinnError(f"'{name.name}' appears twice", name.span, help="list each variable once")
            symbol = variable(name.name)
            self._declare(name, "variable", (symbol, float(a), float(b)))
            self.variables.append((symbol, float(a), float(b)))
        self.shape = (tuple(n.name for n in s.names) + params, tree)

    def _stmt_FieldDecl(self, s: ast.FieldDecl) -> None:
        for sig in s.fields:
            args = []
            for arg in (name for written in sig.args for name in self._family_arguments(written)):
                declared = self.names.get(arg.name)
                if declared is None or declared.kind != "variable":
                    raise PinnError(
                        f"'{arg.name}' is not a declared variable",
                        arg.span,
                        help=f"declare it before the field, e.g. `{arg.name} in [0, 1]`",
                    )
                if declared.value[0] in args:
                    raise PinnError(
                        f"'{arg.name}' appears twice among the arguments", arg.span, help="list each variable once"
                    )
                args.append(declared.value[0])
            if sig.complex:  # two real networks, psi_re and psi_im; psi is psi_re + i*psi_im
                parts = []
                for suffix in ("re", "im"):
                    part = sympy.Function(f"{sig.name.name}_{suffix}", real=True)(*args)
                    self._declare(ast.Name(sig.name.span, part.func.__name__), "field", part)
                    if sig.region is not None:
                        self.homes[part.func.__name__] = self._subdomain(sig.region).name
                    self.fields.append(part)
                    parts.append(part)
                self._declare(sig.name, "complex", tuple(parts))
                continue
            applied = sympy.Function(sig.name.name, real=True)(*args)
            if sig.region is not None:  # `field u1(x) in A`: its terms hold in A (see ..subdomains)
                self._subdomain(sig.region)
                self.homes[sig.name.name] = sig.region.name
            self._declare(sig.name, "field", applied)
            self.fields.append(applied)

    def _stmt_Definition(self, s: ast.Definition) -> None:
        if s.keyword == "exact":
            declared = self.names.get(s.name.name)
            if declared is not None and declared.kind == "complex":  # its real and imaginary parts
                value = self._scalar(s.expr)
                self._no_fields(value, s.expr, "an exact solution")
                for part, expr in zip(declared.value, real_imag(value)):
                    self.exact.append((part.func.__name__, expr))
                return
            if declared is None or declared.kind != "field":
                raise PinnError(
                    f"'{s.name.name}' is not a field",
                    s.name.span,
                    help="`exact` gives the reference solution of a declared field: `exact u = ...`",
                )
            if any(name == s.name.name for name, _ in self.exact):
                raise PinnError(
                    f"'{s.name.name}' already has an exact solution",
                    s.name.span,
                    help="keep one `exact` line per field",
                )
            expr = self._scalar(s.expr)
            self._no_fields(expr, s.expr, "an exact solution")
            self.exact.append((s.name.name, expr))
            return
        if s.keyword == "const":
            value = self._number(s.expr, "a constant")
            self._declare(
                s.name, "const", sympy.Float(value) if not float(value).is_integer() else sympy.Integer(int(value))
            )
            exact = self._expr(s.expr)
            self.names[s.name.name].value = exact
            return
        if s.keyword == "unknown":
            value = self._number(s.expr, "the initial value of an unknown")
            symbol = variable(s.name.name)
            self._declare(s.name, "unknown", symbol)
            self.unknowns.append((symbol, value))
            return
        shape = self._shape_node(s.expr)
        if shape is not None:
            self._declare(s.name, "shape", shape)  # built by the domain, which knows the dimension
            return
        self._declare(s.name, "let", self._expr(s.expr))

    def _shape_node(self, node: ast.Node) -> ast.Node | None:
        """`disk(...)`, a named shape, or shapes combined (`A \\ B`, `A ∪ B`, `A ∩ B`, and `A - B`
        as in PhysicsNeMo's geometry): the shape tree a `let` names; None for an expression."""
        if isinstance(node, (ast.Call, ast.FileCall)):  # disk(...), mesh("part.stl")
            named = geometry.named(node.name.name) and node.name.name not in self.names
            return node if named else None
        if isinstance(node, ast.Name):
            declared = self.names.get(node.name)
            return node if declared is not None and declared.kind == "shape" else None
        if isinstance(node, ast.ShapeOp) or (isinstance(node, ast.BinOp) and node.op == "-"):
            left, right = self._shape_node(node.left), self._shape_node(node.right)
            if left is None or right is None:
                return None
            return ast.ShapeOp(node.span, getattr(node, "op", "difference").replace("-", "difference"), left, right)
        return None

    def _expr_ShapeOp(self, node: ast.ShapeOp):
        """∪, \\ and ∩ outside a domain or a shape's `let`: they combine shapes only."""
        raise PinnError(
            f"{_SHAPE_OPERATORS[node.op]} combines shapes, not expressions",
            node.span,
            help="combine shapes in the domain, `(x, y) in box((-1, -1), (1, 1)) \\ disk((0, 0), 0.5)`, "
            "or name them: `let ring = disk((0, 0), 1) \\ disk((0, 0), 0.5)`",
        )

    def _stmt_FunctionDecl(self, s: ast.FunctionDecl) -> None:
        """`let g(x, y) = ...`: the body is checked now (parameters as placeholders), inlined at each call."""
        names = [p.name for p in s.params]
        for i, param in enumerate(s.params):
            if param.name in names[:i]:
                raise PinnError(f"the parameter '{param.name}' appears twice", param.span, help="name each once")
            if param.name in CONSTANTS or functions.in_text(param.name):
                raise PinnError(f"'{param.name}' is a built-in name", param.span, help="choose another parameter name")
            self._not_a_derivative(param)
        placeholders = {p.name: sympy.Dummy(p.name, real=True) for p in s.params}
        outer, self.params, self.defining = self.params, placeholders, s.name.name
        before = self.inlined
        try:
            self._expr(s.expr)
        finally:
            self.params, self.defining = outer, None
        self.function_sizes[s.name.name] = ast.size(s.expr) + self.inlined - before
        self._declare(s.name, "function", s)

    def _call_user(self, node: ast.Call, function: ast.FunctionDecl):
        """The body of a user function with its parameters bound to the call's arguments."""
        if len(node.args) != len(function.params):
            count = len(function.params)
            signature = f"{function.name.name}({', '.join(p.name for p in function.params)})"
            raise PinnError(
                f"'{function.name.name}' takes {count} argument{'s' if count != 1 else ''}, got {len(node.args)}",
                node.span,
                help=f"it is declared on line {function.span.line} as {signature}",
            )
        name = function.name.name
        values = {p.name: self._expr(a) for p, a in zip(function.params, node.args)}
        if self.inlining:  # the calls inside a function's body are counted in its size
            return self._inline(function, values)
        # counted before inlining: a function that calls the one before it twice, 60 deep, is refused at once
        self.inlined += self.function_sizes[name]
        _limits.INLINED_SIZE.check(self.inlined, node.span, f"this call of {name}")
        self.inlining = True
        try:
            result = self._inline(function, values)
        finally:
            self.inlining = False
        # an argument used several times in the body, nested (g(g(g(x))) with g(s) = s*s + s), doubles at each level
        _limits.EXPRESSION_SIZE.check(
            _size_up_to(result, _limits.EXPRESSION_SIZE.value() + 1), node.span, f"this call of {name}"
        )
        return result

    def _inline(self, function: ast.FunctionDecl, values: dict):
        # the body sees its parameters, not the indices of the sums around the call
        (outer, self.params), (indices, self.indices) = (self.params, values), (self.indices, {})
        try:
            return self._expr(function.expr)
        finally:
            self.params, self.indices = outer, indices


_SHAPE_OPERATORS = {"union": "∪", "difference": "\\", "intersection": "∩"}


def _size_up_to(expr, most: int) -> int:
    """The number of nodes of a SymPy tree, counted no further than ``most`` (a shared
    subtree counts at each use: it is copied where the tree is differentiated or printed)."""
    return sum(1 for _ in itertools.islice(sympy.preorder_traversal(expr), most))
