"""Which declared variable is time: found once from the program, then carried as ``Spec.time``.

Time is not space: Δ, ∇, ∂ₙ and ∂Ω leave it out, its lower end is where initial
conditions are, and an initial condition may be built into a network (u = g + τ·N).
Every stage reads the time from the program (``Spec.time``, ``Program.time``), never
a letter.  The rule, exact and conservative, so that no problem that names its time
``t`` (or has none) changes meaning:

1. a variable declared with ``time`` (``time s in [0, 1]``) is time; else a variable
   named ``t`` (:data:`NAME`) is;
2. otherwise a variable ``v`` declared with an interval (not ``param``, not in a shaped
   domain) is time when one field ``u`` is such that
   a. one equation inside the domain (without ``at``/``on``) differentiates ``u`` along
      ``v``, and no equation differentiates a field twice along ``v`` (``D(u, tau)``;
      never ``D(u, tau, tau)``),
   b. a condition gives ``u`` at ``v``'s lower end: ``u = g at tau = 0`` or
      ``u(S, 0) = g`` (the value written as a number),
   c. along every other variable with an interval that same equation differentiates
      ``u`` at least twice or not at all, and along one of them at least twice (Δ of
      ``u`` counts as twice along every variable but ``v``): ``u`` evolves by an
      equation of first order in time and second order in space, as in heat,
      Black–Scholes or Schrödinger;
   d. exactly one variable meets a–c;
3. otherwise the problem has no time (``None``).

So ``D(u, tau) = σ²/2·S²·D(u, S, S) + … ; u = … at tau = 0`` has time ``tau``, while a
first-order equation in one variable (``Dx(u) = …; u = 0 at x = 0``) has none, and
neither has a channel whose continuity equation ``Dx(u) + Dy(v) = 0`` is of first order
in x while its momentum equations hold Δu: the orders are read one equation at a time.
A time found by rule 2 is a :class:`ReadingWarning` that says so and how to declare it.
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Iterable, Mapping, Sequence

from .._errors import PinnError, ReadingWarning
from . import syntax as ast

__all__ = ["NAME", "find", "from_syntax", "from_terms"]

NAME = "t"  # a variable of this name is always time
LAPLACIAN = "Δ"  # the key of Δ's order in :func:`find`'s ``orders`` (no variable has this name)

# operators that differentiate along every variable but time, and how often
_SPATIAL_ORDER = {"laplace": 2, "grad": 1, "div": 1}


def find(
    intervals: Iterable[str], equations: Sequence[Mapping[str, Mapping[str, int]]], starts: Mapping[str, set]
) -> str | None:
    """The time variable by the module's rule, from what the equations say.

    ``intervals``: the variables declared with an interval (not parameters, not in a
    shape); ``equations``: for each equation inside the domain, ``orders[u][v]``, the highest
    order along ``v`` of the derivatives of field ``u`` in it, and ``orders[u][LAPLACIAN]`` that
    of Δ (2 for Δu); ``starts[u]``: the variables at whose lower end a condition gives ``u``.
    """
    intervals = list(intervals)
    if NAME in intervals:
        return NAME

    def evolves(orders: Mapping[str, Mapping[str, int]], u: str, v: str) -> bool:
        own = orders.get(u, {})
        if own.get(v, 0) != 1 or v not in starts.get(u, ()):
            return False
        others = [max(own.get(o, 0), own.get(LAPLACIAN, 0)) for o in intervals if o != v]
        return all(k != 1 for k in others) and any(k >= 2 for k in others)

    found = [
        v
        for v in intervals
        if all(own.get(v, 0) <= 1 for orders in equations for own in orders.values())
        and any(evolves(orders, u, v) for orders in equations for u in orders)
    ]
    return found[0] if len(found) == 1 else None


# ---- the text front end: from the syntax tree, before Δ is expanded ---------------------


def from_syntax(program: ast.Program) -> str | None:
    """The time variable of a parsed problem: the one declared with ``time``, else :func:`find` on
    its statements (a time found so, not named ``t``, is a :class:`ReadingWarning`)."""
    declared = [s for s in program.statements if isinstance(s, ast.VariableDecl) and s.time]
    for s in declared[1:]:
        raise PinnError(
            f"a second time variable: {declared[0].name.name} is declared as time already",
            s.span,
            help="a problem has one time; declare the other variable with `in`: `x in [0, 1]`",
        )
    intervals, lows, fields, bodies = [], {}, {}, {}
    shaped: set[str] = set()
    for s in program.statements:
        if isinstance(s, ast.VariableDecl) and not s.parameter:
            intervals.append(s.name.name)
            lows[s.name.name] = _number(s.lo)
            if declared and s.name.name == NAME and not s.time:
                raise PinnError(
                    f"'{NAME}' is always time, but {declared[0].name.name} is declared as time",
                    s.name.span,
                    help=f"rename '{NAME}', or leave out the declaration `time {declared[0].name.name} ...`",
                )
        elif isinstance(s, ast.DomainDecl):
            shaped |= {n.name for n in s.names}
        elif isinstance(s, ast.FieldDecl):
            # a family (`x`, `x[1..50]`) by its name: never time, whatever its size
            fields |= {sig.name.name: [getattr(a.name, "name", a.name) for a in sig.args] for sig in s.fields}
        elif isinstance(s, (ast.Definition, ast.FunctionDecl)):
            bodies[s.name.name] = s.expr
    if declared:
        return declared[0].name.name
    intervals = [v for v in intervals if v not in shaped]
    equations = []
    starts: dict[str, set] = collections.defaultdict(set)
    for s in program.statements:
        if not isinstance(s, ast.Equation):
            continue
        if s.where is None:
            walk = _Orders(fields, bodies, set(intervals))
            for side in (s.lhs, s.rhs):
                walk(side)
            equations.append(walk.orders)
        face = s.where.variable.name if isinstance(s.where, ast.AtFace) else None
        at_start = face in lows and _number(s.where.value) == lows[face]
        for side in (s.lhs, s.rhs):
            for n in _walk(side):
                for u, args in _field_uses(n, fields):
                    if at_start:
                        starts[u].add(face)
                    starts[u] |= {v for v, a in zip(fields[u], args or ()) if v in lows and _number(a) == lows[v]}
    time = find(intervals, equations, starts)
    if time is not None and time != NAME:
        decl = next(s for s in program.statements if isinstance(s, ast.VariableDecl) and s.name.name == time)
        lo, hi = (_number(decl.lo), _number(decl.hi))
        interval = f"[{lo:g}, {hi:g}]" if lo is not None and hi is not None else "[...]"
        warnings.warn(
            f"line {decl.span.line}: {time} is read as time (a first-order derivative along it, a condition "
            f"at {time} = {lo:g} and second derivatives along the other variables): Δ, ∇ and ∂Ω leave it out; "
            f"declare it `time {time} in {interval}` to say so",
            ReadingWarning,
            stacklevel=4,
        )
    return time


class _Orders:
    """Walks the equations inside the domain: ``orders[u][v]``, the highest order along ``v`` of
    the derivatives of field ``u`` (nested derivatives add up: D(Dx(u), x) is of order 2), and
    ``orders[u][LAPLACIAN]`` that of Δ, ∇ and ∂ₙ (div(∇u) is of order 2); ``let`` bodies are
    followed where they are used, each summarised once (what it adds to the orders of each field
    it uses), so a function calling the one before it twice, 60 deep, is not walked 2^60 times."""

    def __init__(self, fields: Mapping[str, list], bodies: Mapping, variables: set):
        self.fields, self.bodies, self.variables = fields, bodies, variables
        self.orders: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.summaries: dict[str, dict] = {}
        for name, body in bodies.items():  # in the program's order: a body uses the ones before it
            self.summaries[name] = self._summary(body)

    def __call__(self, root) -> None:
        for u, (path, depth) in self._summary(root).items():
            own = self.orders[u]
            for v, k in path.items():
                own[v] = max(own[v], k)
            own[LAPLACIAN] = max(own[LAPLACIAN], depth)

    def _summary(self, root) -> dict[str, tuple[collections.Counter, int]]:
        """For each field used under ``root``: the highest orders along each variable and of Δ there."""
        found: dict[str, tuple[collections.Counter, int]] = {}

        def use(u: str, path: collections.Counter, depth: int) -> None:
            before, deepest = found.get(u, (collections.Counter(), 0))
            found[u] = (before | path, max(deepest, depth))

        stack = [(root, collections.Counter(), 0)]  # iterative: expressions may nest deeply
        while stack:
            node, path, depth = stack.pop()
            here = collections.Counter()
            operator = 0
            if isinstance(node, ast.Call):
                name = node.name.name
                if name == "D":
                    here.update(a.name for a in node.args[1:] if isinstance(a, ast.Name))
                elif len(name) > 1 and name[0] == "D" and name[1:].isalpha() and name not in self.bodies:
                    here.update(name[1:])
                operator = _SPATIAL_ORDER.get(name, 0)
            elif isinstance(node, ast.Partial):
                here.update(node.variables)
            elif isinstance(node, ast.Laplace):
                operator = 2
            elif isinstance(node, (ast.Nabla, ast.Directional)):
                operator = 1
            if "n" in here and "n" not in self.variables:  # ∂ₙ, Dn: the normal derivative, along space
                del here["n"]
                operator = max(operator, 1)
            path, depth = path + here, depth + operator
            for u, _ in _field_uses(node, self.fields):
                use(u, path, depth)
            name = node.name.name if isinstance(node, ast.Call) else node.name if isinstance(node, ast.Name) else None
            for u, (inner, below) in self.summaries.get(name, {}).items():  # a body not yet summarised: itself
                use(u, path + inner, depth + below)
            stack.extend((child, path, depth) for child in _children(node))
        return found


def _field_uses(node, fields: Mapping[str, list]) -> list[tuple[str, tuple | None]]:
    """The field ``node`` is, with the arguments it is taken at (None: at the point itself):
    ``u``, ``u(x, 0)``, ``Dx(u)(x, 0)`` (an expression of one field taken at a point)."""
    if isinstance(node, ast.Name) and node.name in fields:
        return [(node.name, None)]
    if isinstance(node, ast.Call) and node.name.name in fields:
        return [(node.name.name, node.args)]
    if isinstance(node, ast.Apply):
        heads = {m.name for m in _walk(node.head) if isinstance(m, ast.Name) and m.name in fields}
        if len(heads) == 1:
            (u,) = heads
            return [(u, node.args if len(node.args) == len(fields[u]) else None)]
    return []


def _number(node) -> float | None:
    """The value of a number written as one (``0``, ``-5``, ``1.5``), else None."""
    sign = 1.0
    while isinstance(node, ast.Neg):
        node, sign = node.arg, -sign
    return sign * node.value if isinstance(node, ast.Number) else None


def _children(node) -> list:
    if isinstance(node, ast.Program) or not hasattr(node, "__dataclass_fields__"):
        return []
    children = []
    for name in node.__dataclass_fields__:
        value = getattr(node, name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, ast.Node):
                children.append(item)
    return children


def _walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(_children(n)))


# ---- the SymPy front end: from the terms -----------------------------------------------


def from_terms(variables, parameters: Iterable[str], shaped: Iterable[str], terms, fields) -> str | None:
    """The time variable of a problem given in SymPy (:func:`find` on its terms).

    ``variables`` are (symbol, lo, hi); ``terms`` the :class:`~.spec.TermSpec` list, whose
    derivatives are explicit (the SymPy front end has no Δ of its own).
    """
    import sympy
    from sympy.core.function import AppliedUndef

    from .regions import INTERIOR, Face

    excluded = {getattr(v, "name", v) for v in (*parameters, *shaped)}
    lows = {s.name: lo for s, lo, _ in variables if s.name not in excluded}
    equations = []
    starts: dict[str, set] = collections.defaultdict(set)
    slots = {f.func.__name__: [a.name for a in f.args] for f in fields}
    for t in terms:
        if t.region == INTERIOR and t.kind == "residual":
            orders: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
            equations.append(orders)
            for d in t.expr.atoms(sympy.Derivative):
                for u in d.expr.atoms(AppliedUndef):
                    for v, k in d.variable_count:
                        orders[u.func.__name__][v.name] = max(orders[u.func.__name__][v.name], int(k))
        face = t.region.variable if isinstance(t.region, Face) else None
        at_start = face in lows and t.region.value == lows[face]
        for applied in t.expr.atoms(AppliedUndef):
            name = applied.func.__name__
            if at_start:
                starts[name].add(face)
            for v, a in zip(slots.get(name, ()), applied.args):
                if v in lows and a.is_number and float(a) == lows[v]:
                    starts[name].add(v)
    return find(lows, equations, starts)
