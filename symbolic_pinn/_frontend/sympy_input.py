"""The SymPy front end: problems built from SymPy objects → :class:`Spec`.

    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> u = sympy.Function("u")(x, y)
    >>> f = 2 * sympy.pi**2 * sympy.sin(sympy.pi * x) * sympy.sin(sympy.pi * y)
    >>> spec = from_sympy(
    ...     variables={x: (0, 1), y: (0, 1)},
    ...     fields=[u],
    ...     terms=[
    ...         sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), f),
    ...         Equation(sympy.Eq(u, 0), on="boundary"),
    ...     ],
    ...     exact={u: sympy.sin(sympy.pi * x) * sympy.sin(sympy.pi * y)},
    ... )
    >>> [t.region.kind for t in spec.terms]
    ['interior', 'boundary']

Symbols and functions are matched by name, so the same problem gives the same IR from
text and from SymPy.  Assumptions that change what an expression means on an interval
(``integer=True``, which makes ``sin(pi*x)`` zero as it is built) are refused, and so are
two symbols of one name with different assumptions (SymPy keeps them apart).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import sympy
from sympy.core.function import AppliedUndef

from .. import _limits
from .._errors import PinnError
from .._runtime import geometry, solids  # noqa: F401 (solids: its shapes name themselves to geometry.named)
from .._runtime.geometry import Shape, ShapeError, named
from . import conditions, identifiers, ranges, subdomains, time_variable
from .regions import BOUNDARY, INTERIOR, SYMPY, Face, Region, Resolver, Within, predicate_words
from .spec import (
    BoundaryIntegral,
    NormalComponent,
    Spec,
    TermSpec,
    real_imag,
    split_constraint,
    split_integrals,
    substitute_fixed,
    variable,
    warn_ill_posed,
)
from .table import Tabulated, check_covers, read_table, resample, sample, tabulated

__all__ = [
    "Equation",
    "InRegion",
    "Interface",
    "Minimize",
    "Shape",
    "ball",
    "box",
    "disk",
    "from_sympy",
    "normal",
    "normal_derivative",
    "polygon",
    "shape",
    "table",
]


def shape(name: str, *arguments) -> Shape:
    """The shape a problem writes ``name(arguments...)``, from Python values: ``shape("disk", (0, 0), 1)``.

    Every shape class of the geometry that names itself is available, with the
    checks the text's checker makes.
    """
    kind = named(name)
    if kind is None:
        raise PinnError(
            f"unknown shape {name!r}", help="shapes: disk(centre, radius), ball(centre, radius), box(lo, hi)"
        )
    kinds = kind.argument_kinds(len(arguments))
    if kinds is None:
        raise PinnError(
            f"{name} takes {len(kind.arguments)} arguments, got {len(arguments)}", help=f"e.g. {kind.example}"
        )
    values = []
    for value, what in zip(arguments, kinds):
        if what == "point":
            values.append(tuple(_shape_number(c, f"a coordinate of {name}'s point") for c in value))
        elif what == "file":
            import pathlib

            from .meshes import read_mesh

            path = pathlib.Path(value)
            return read_mesh(path.name, path.parent)
        elif what in ("shape", "section"):
            if not isinstance(value, Shape):
                raise PinnError(f"{name} takes a shape, got {value!r}", help=f"e.g. {kind.example}")
            values.append(value)
        else:
            values.append(_shape_number(value, f"{name}'s number"))
    points = [len(v) for v, what in zip(values, kinds) if what == "point"]
    points += [
        len(v.bounds()[0]) + (what == "section") for v, what in zip(values, kinds) if what in ("shape", "section")
    ]
    if len(set(points)) > 1:
        raise PinnError(f"the points of {name} have different numbers of coordinates: {points}")
    try:
        kind.check_dimension(name, points[0] if points else 0)
        if not geometry._has_params(tuple(values)):
            return kind.build(name, values)
    except ShapeError as err:
        raise PinnError(str(err), help=err.help) from None
    if not geometry._takes_params(kind):
        raise PinnError(
            f"{name} cannot depend on a param",
            help="params may appear in the numbers of disk, ball, box and polygon (and their |, -, &); "
            "write this shape with numbers",
        )
    return kind.build_template(name, values)  # checked at the corners of the params' box by from_sympy


def _shape_number(value, what: str) -> float | geometry.Affine:
    """A number of a shape: a number, or an affine function of symbols that from_sympy's ``parameters`` must
    declare (``2*r + 1``), as the text's `disk((0, 0), 2*r + 1)` with `param r in [...]`."""
    if not (isinstance(value, sympy.Basic) and value.free_symbols):
        return _number(value, what)
    symbols = sorted(value.free_symbols, key=lambda s: s.name)
    polynomial = sympy.Poly(value, *symbols) if value.is_polynomial(*symbols) else None
    if polynomial is None or polynomial.total_degree() > 1 or not all(c.is_number for c in polynomial.coeffs()):
        raise PinnError(
            f"{what} may depend on params only linearly, as in 2*r + 1, got {value}",
            help="a shape's numbers are affine functions of params; for another dependence, make a linear param "
            "and write the rest in the equations",
        )
    terms = tuple((p.name, float(polynomial.coeff_monomial(p))) for p in symbols if polynomial.coeff_monomial(p) != 0)
    constant = float(polynomial.coeff_monomial(1))
    return geometry.Affine(constant, terms) if terms else constant


def _family(tree: Shape, variables: Mapping, parameters: Sequence) -> geometry.Family:
    """The shape of each value of the params that ``tree``'s numbers depend on, each primitive checked at
    every corner of the params' box (an affine number is extreme at a corner), as the text's checker does."""
    import itertools

    used = geometry._params_of(tree)
    declared = [getattr(p, "name", str(p)) for p in parameters]
    missing = sorted(set(used) - set(declared))
    if missing:
        raise PinnError(
            f"the shape depends on {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not "
            f"among parameters={declared}",
            help=f"pass parameters=[{missing[0]}] and give {missing[0]} an interval in variables, e.g. "
            f"{{..., {missing[0]}: (0.5, 1.5)}}",
        )
    names = tuple(n for n in declared if n in used)
    intervals = {getattr(s, "name", str(s)): bounds for s, bounds in variables.items()}
    for n in names:
        if n not in intervals:
            raise PinnError(
                f"the param {n} of the shape has no interval", help=f"give it one: variables={{..., {n}: (0.5, 1.5)}}"
            )
    ranges = tuple(
        (_number(intervals[n][0], f"{n}'s lower end"), _number(intervals[n][1], f"{n}'s upper end")) for n in names
    )
    for corner in itertools.product(*ranges):
        at = dict(zip(names, corner))
        for part, _ in geometry._substitute(tree, at).parts():
            # the numbers as build takes them: a polygon's vertices, a ball's centre and radius, a box's corners
            values = list(part.vertices) if isinstance(part, geometry.Polygon) else list(dataclasses.astuple(part))
            try:
                type(part).build(type(part).names[0], values)
            except ShapeError as err:
                where = ", ".join(f"{p} = {v:g}" for p, v in at.items())
                raise PinnError(f"{err} (at {where})", help=err.help) from None
    return geometry.Family(tree, names, ranges)


def table(path, *variables, name: str | None = None, grid: dict | None = None) -> sympy.Expr:
    """A tabulated function of ``variables``: the text's ``table("coef.csv", x, y)``, from Python.

    ``path`` is a CSV (header row) or NPZ file, read now (relative to the current
    directory), with a column named after each variable and one column of values on a
    grid; it is interpolated multilinearly (see the language reference).  ``name``
    (default: the file's stem) names it in the IR and the generated module.

    With ``grid`` (``{x: (0, 1, 101), ...}``: each variable's ends and number of points) the
    table is the text's ``table(..., x in [0, 1] by 101)``: ``path`` may then be a SymPy
    expression of the grid's variables, sampled at its points, or a file of scattered points,
    resampled linearly on their Delaunay triangulation.

    >>> import sympy, numpy, pathlib, tempfile
    >>> x = sympy.Symbol("x")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "coef.csv"
    >>> numpy.savetxt(path, [[0, 1], [1, 2]], delimiter=",", header="x,a", comments="")
    >>> a = table(path, x)
    >>> sympy.diff(a**2, x)
    2*coef(x)*coef_d1(x)
    >>> table(sympy.exp(-x**2), grid={x: (0, 1, 101)}, name="g")
    g(x)
    """
    import pathlib

    import numpy as np

    if grid is not None:
        variables = tuple(grid)
        if variables and not all(isinstance(v, sympy.Symbol) for v in variables):
            raise PinnError("the grid's keys are the variables, as sympy.Symbols", help="e.g. grid={x: (0, 1, 101)}")
        axes = []
        for v, spec in grid.items():
            if not (isinstance(spec, tuple) and len(spec) == 3 and int(spec[2]) == spec[2] and spec[2] >= 2):
                raise PinnError(f"the grid of {v} is {spec!r}", help="give (low, high, points), e.g. (0, 1, 101)")
            if not float(spec[0]) < float(spec[1]):
                raise PinnError(f"the grid along {v} is empty: {spec!r}", help="give low < high")
            axes.append(np.linspace(float(spec[0]), float(spec[1]), int(spec[2])))
    if not variables or not all(isinstance(v, sympy.Symbol) for v in variables):
        raise PinnError(
            f"table({str(path)!r}, ...) takes the variables its values are tabulated over, as sympy.Symbols",
            help='write table("coef.csv", x, y)',
        )
    if grid is not None and isinstance(path, sympy.Basic):
        others = path.free_symbols - set(variables)
        if others or path.atoms(AppliedUndef, sympy.Derivative, sympy.Integral, Tabulated):
            raise PinnError(
                f"a table holds numbers: {path} may use only its grid's variables "
                f"({', '.join(map(str, variables))}), numbers and functions",
                help="give each of its variables a grid; fields and unknowns cannot be tabulated before training",
            )
        name = name or "table"
        if not name.isidentifier():
            raise PinnError(f"the table name {name!r} is not an identifier", help="e.g. name='a'")
        return tabulated(sample(name, path, list(variables), axes))(*variables)
    path = pathlib.Path(path)
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in path.stem) or "table"
    name = name or (stem if stem.isidentifier() else f"table_{stem}")
    if not name.isidentifier():
        raise PinnError(f"the table name {name!r} is not an identifier", help="e.g. name='a'")
    names = [v.name for v in variables]
    if grid is not None:
        data = resample(name, path.name, path.parent.resolve(), names, axes)
    else:
        data = read_table(name, path.name, path.parent.resolve(), names)
    return tabulated(data)(*variables)


def polygon(*vertices) -> Shape:
    """The simple polygon (2-D) with these vertices in order."""
    return shape("polygon", *vertices)


def disk(centre, radius) -> Shape:
    """The disk (2-D) with this centre and radius."""
    return shape("disk", centre, radius)


def ball(centre, radius) -> Shape:
    """The ball with this centre and radius, in as many dimensions as the centre has."""
    return shape("ball", centre, radius)


def box(lower, upper) -> Shape:
    """The box between two corners."""
    return shape("box", lower, upper)


def normal(variable) -> sympy.Symbol:
    """The component along ``variable`` (a symbol or its name) of the boundary's outward unit normal:
    the text's ``n_x``, for conditions on the boundary or an end face.

    >>> x, y = sympy.symbols("x y")
    >>> normal(x)
    n_x
    """
    from .spec import normal as component

    name = getattr(variable, "name", variable)
    if not isinstance(name, str):
        raise PinnError(f"normal({variable!r}): give a variable, e.g. normal(x)")
    return component(name)


def normal_derivative(expr, variables) -> sympy.Expr:
    """∂ₙ expr = Σᵢ nᵢ ∂expr/∂xᵢ over the given spatial variables (the text's ``Dn``)."""
    from .spec import normal

    return sum(normal(s.name) * sympy.diff(expr, s) for s in variables)


@dataclasses.dataclass(frozen=True)
class Equation:
    """An equation and where it holds.

    Args:
        eq: a ``sympy.Eq`` (or an expression meaning ``expr = 0``).
        on: ``"interior"`` (default), ``"boundary"``, a face ``{t: 0}``, or a part of
            a shaped domain's boundary: one of the shapes it is made of (``hole``
            for ``shape=((x, y), box(...) - hole)``); ``"boundary"`` then means the
            rest of it.
        weight: its weight in the loss.
        where: a SymPy condition on the variables that restricts ``on`` to the points where it
            holds (the text's ``at y = 1 where x < 0.5``): ``sympy.Lt(x, 0.5)``,
            ``(x > 0.25) & (x < 0.75)``.

    >>> x, y = sympy.symbols("x y"); u = sympy.Function("u")(x, y)
    >>> Equation(sympy.Eq(u, 1), on={y: 1}, where=x < 0.5).where
    x < 0.5
    """

    eq: sympy.Basic
    on: str | Mapping = "interior"
    weight: float = 1.0
    where: sympy.Basic | None = None


@dataclasses.dataclass(frozen=True)
class InRegion:
    """``Equation(..., on=InRegion("A"))``: inside the region A of ``from_sympy(regions=...)`` (the text's `in A`)."""

    name: str


@dataclasses.dataclass(frozen=True)
class Interface:
    """``Equation(..., on=Interface("A", "B"))``: where the regions A and B meet, the normal
    pointing from A into B (the text's `on interface(A, B)`)."""

    first: str
    second: str


@dataclasses.dataclass(frozen=True)
class Minimize:
    """An energy to minimise: a sum of ``sympy.Integral`` over all variables.

    ``Minimize(sympy.Integral(u.diff(x)**2, x, y))``; limits, when given, must be
    the domain's.
    """

    energy: sympy.Basic
    weight: float = 1.0


def _number(value, what: str) -> float:
    try:
        number = float(sympy.Float(sympy.N(value)) if isinstance(value, sympy.Basic) else value)
    except (TypeError, ValueError):
        raise PinnError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise PinnError(f"{what} must be finite, got {number}")
    return number


class _Normaliser:
    """Map the user's symbols and functions to the canonical ones, by name."""

    def __init__(self, variables: Mapping, fields: Sequence, unknowns: Mapping):
        self.rules: dict = {}
        self.variables = []
        if not isinstance(variables, Mapping):
            raise PinnError(
                f"variables= must map each variable to its interval, got {type(variables).__name__} {variables!r}",
                help="write variables={x: (0, 1), y: (0, 1)}",
            )
        if not isinstance(unknowns, Mapping):
            raise PinnError(
                f"unknowns= must map each unknown to its initial value, got {unknowns!r}",
                help="write unknowns={k: 0.5}",
            )
        for symbol, interval in variables.items():
            if not isinstance(symbol, sympy.Symbol):
                raise PinnError(f"a variable must be a sympy.Symbol, got {symbol!r}")
            if not isinstance(interval, Sequence) or isinstance(interval, str) or len(interval) != 2:
                raise PinnError(
                    f"the interval of {symbol} must be a pair (lower, upper), got {interval!r}",
                    help=f"write variables={{{symbol}: (0, 1)}}",
                )
            lo, hi = (_number(v, f"the interval of {symbol}") for v in interval)
            if not lo < hi:
                raise PinnError(f"the interval [{lo:g}, {hi:g}] of '{symbol}' is empty", help="write (lower, upper)")
            _meaningful_assumptions(symbol, lo, hi)
            self.rules[symbol] = variable(symbol.name)
            self.variables.append((variable(symbol.name), lo, hi))
        self.unknowns = []
        for symbol, init in unknowns.items():
            self.rules[symbol] = variable(symbol.name)
            self.unknowns.append((variable(symbol.name), _number(init, f"the initial value of {symbol}")))
        self.fields = []
        for applied in fields:
            if not isinstance(applied, AppliedUndef):
                raise PinnError(
                    f"a field must be an applied sympy.Function such as u(x, y), got {applied!r}",
                    help='write u = sympy.Function("u")(x, y)',
                )
            args = []
            for a in applied.args:
                if a not in variables:
                    raise PinnError(f"the argument {a} of {applied} is not one of the variables")
                args.append(self.rules[a])
            canonical = sympy.Function(applied.func.__name__, real=True)(*args)
            self.rules[applied] = canonical
            self.fields.append(canonical)
        _distinct_names(
            [s.name for s, _, _ in self.variables]
            + [s.name for s, _ in self.unknowns]
            + [f.func.__name__ for f in self.fields]
        )
        self.field_names = {f.func.__name__ for f in self.fields}
        self.declared = {f.func.__name__: f for f in self.fields}

    def __call__(self, expr) -> sympy.Expr:
        if isinstance(expr, (str, bytes)):
            raise PinnError(
                f"got the string {expr!r} where a SymPy expression belongs",
                help="build expressions from sympy.Symbol and sympy.Function; text goes to symbolic_pinn.parse",
            )
        expr = sympy.sympify(expr, strict=True)  # numbers and SymPy objects; strings were refused above
        # the text's bound on derivatives holds here too: a derivative of order 40 is never taken
        orders = [_order(d) for d in expr.atoms(sympy.Derivative)]
        _limits.DERIVATIVE_ORDER.check(max(orders, default=0), None, f"a derivative in {_short(expr)}")
        result = expr.xreplace(self.rules)
        for applied in result.atoms(AppliedUndef):
            name = applied.func.__name__
            if name not in self.field_names:
                raise PinnError(f"{applied} is not a declared field", help="list it in fields=[...]")
            declared = self.declared[name]
            if len(applied.args) != len(declared.args):
                raise PinnError(
                    f"{applied}: '{name}' takes {len(declared.args)} arguments", help=f"it is declared as {declared}"
                )
            if any(a.atoms(AppliedUndef) for a in applied.args):
                raise PinnError(f"{applied}: the arguments of a field may not use fields")
        # a field at other coordinates, u(-1, t), is the declared function applied there
        result = result.replace(
            lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in self.declared,
            lambda e: self.declared[e.func.__name__].func(*e.args),
        )
        known = {s for s, _, _ in self.variables} | {s for s, _ in self.unknowns}
        known |= {n for n in result.free_symbols if isinstance(n, NormalComponent)}
        stray = result.free_symbols - known - _bound(result)
        by_name = {s.name: original for original, s in self.rules.items() if isinstance(original, sympy.Symbol)}
        for symbol in sorted(stray, key=lambda s: s.name):
            if symbol.name in by_name:
                raise PinnError(
                    f"two different symbols are named {symbol.name}: {_described(by_name[symbol.name])} in "
                    f"variables= (or unknowns=) and {_described(symbol)} in a term; SymPy treats them as "
                    "different variables",
                    help=f"build every {symbol.name} from the one symbol you declared (same assumptions), "
                    f"e.g. {symbol.name} = sympy.Symbol({symbol.name!r})",
                )
        _no_point_conditions(result)
        if stray:
            names = ", ".join(sorted(s.name for s in stray))
            raise PinnError(
                f"unknown symbols: {names}", help="declare them in variables= or unknowns=, or substitute numbers"
            )
        return result.doit(deep=False) if isinstance(result, sympy.Derivative) else result


# assumptions that change what an expression means on an interval: sin(pi*x) is 0 for an integer x
_CHANGING = (
    "integer",
    "rational",
    "irrational",
    "algebraic",
    "transcendental",
    "even",
    "odd",
    "prime",
    "composite",
    "zero",
    "imaginary",
    "noninteger",
)
_SIGNS = {  # a sign assumption and whether the interval [lo, hi] allows it
    "positive": lambda lo, hi: lo >= 0,
    "nonnegative": lambda lo, hi: lo >= 0,
    "negative": lambda lo, hi: hi <= 0,
    "nonpositive": lambda lo, hi: hi <= 0,
    "nonzero": lambda lo, hi: not lo < 0 < hi,
}


def _described(symbol: sympy.Symbol) -> str:
    """``Symbol('x')`` or ``Symbol('x', integer=True)``: a symbol with the assumptions it was made with."""
    made = {k: v for k, v in symbol._assumptions_orig.items() if v is not None}
    extra = "".join(f", {k}={v}" for k, v in sorted(made.items()))
    return f"Symbol({symbol.name!r}{extra})"


def _distinct_names(names: list[str]) -> None:
    """The text's rules for names: no name drawn like another, none mixing look-alike scripts."""
    seen: dict[str, str] = {}
    for name in names:
        if identifiers.mixed_scripts(identifiers.normalise(name)) is not None:
            raise PinnError(
                f"the name {identifiers.spelled(name)} mixes letters of scripts that look alike",
                help=f"spell it in one script, e.g. {identifiers.skeleton(name)!r}",
            )
        plain = identifiers.skeleton(identifiers.normalise(name))
        if plain in seen and seen[plain] != name:
            raise PinnError(
                f"{identifiers.spelled(name)} and {identifiers.spelled(seen[plain])} look the same but are "
                "different names",
                help="use one spelling; if two names are meant, choose names that look different",
            )
        seen[plain] = name


def _meaningful_assumptions(symbol: sympy.Symbol, lo: float, hi: float) -> None:
    """Refuse a variable whose assumptions contradict a continuous interval.

    SymPy uses assumptions as soon as an expression is built: with
    ``Symbol("x", integer=True)``, ``sin(pi*x)`` is 0 before the problem reaches us.
    """
    made = {k: v for k, v in symbol._assumptions_orig.items() if v is not None}
    changing = [k for k in _CHANGING if made.get(k)]
    signs = [k for k, allowed in _SIGNS.items() if made.get(k) and not allowed(lo, hi)]
    if changing or signs:
        what = ", ".join(f"{k}=True" for k in changing + signs)
        raise PinnError(
            f"the variable {symbol.name} is declared {_described(symbol)}, but it ranges over the interval "
            f"[{lo:g}, {hi:g}]: with {what} SymPy simplifies expressions as if it did not "
            f"(sin(pi*{symbol.name}) is 0 for an integer {symbol.name}), so the problem would silently change",
            help=f"declare it without those assumptions: {symbol.name} = sympy.Symbol({symbol.name!r}) "
            "(real=True is fine), and build the terms from it",
        )


def _no_point_conditions(expr: sympy.Expr) -> None:
    """Refuse ``Eq``/``Ne`` in a condition on the coordinates: no sampled point meets ``Eq(x, 0.5)``."""
    for relation in expr.atoms(sympy.Eq, sympy.Ne):
        if relation.free_symbols:
            raise PinnError(
                f"the condition {relation} tests a continuous coordinate for equality: no sampled point has "
                f"exactly that value, so the branch is {'never' if isinstance(relation, sympy.Eq) else 'always'} "
                "taken",
                help="write an interval instead (And(x > 0.49, x < 0.51)), or a point source as a smoothed "
                "delta: exp(-(x - 0.5)**2/(2*w**2))/(sqrt(2*pi)*w)",
            )


def _bound(expr: sympy.Expr) -> set:
    """The integration variables of the Integrals in ``expr``."""
    return {limit[0] for i in expr.atoms(sympy.Integral) for limit in i.limits}


def _not_decided(i: int, term) -> None:
    """SymPy decides some equations as they are built: ``Eq(Matrix([u, v]), Matrix([0, 0, 0]))`` is ``false``."""
    if isinstance(term, sympy.logic.boolalg.BooleanAtom) or isinstance(term, bool):
        raise PinnError(
            f"term {i} is {term}: SymPy decided the equation when it was built, as it does for two vectors "
            "(Matrix) of different lengths, or two sides it can compare without the fields",
            help="give both sides of a vector equation the same number of components, "
            "e.g. Eq(Matrix([u, v]), Matrix([0, 0])); an equation must involve a field",
        )


def _difference(i: int, eq) -> sympy.Basic:
    """lhs − rhs of an equation (``eq`` itself for an expression meaning ``eq = 0``)."""
    if not isinstance(eq, sympy.Eq):
        return eq
    sides = [len(side) if isinstance(side, sympy.MatrixBase) else None for side in (eq.lhs, eq.rhs)]
    if sides[0] != sides[1]:
        rank = [f"a vector of {n}" if n is not None else "a scalar" for n in sides]
        raise PinnError(
            f"term {i} equates {rank[0]} to {rank[1]}",
            help="give both sides the same number of components: one equation per component",
        )
    return eq.lhs - eq.rhs


def _order(derivative: sympy.Derivative) -> float:
    """The order of a derivative, nested ones included (an order that is not a number: infinite)."""
    total = 0.0
    while isinstance(derivative, sympy.Derivative):
        total += sum(int(k) if k.is_Integer else math.inf for _, k in derivative.variable_count)
        derivative = derivative.expr
    return total


def _short(expr) -> str:
    text = str(expr)
    return text if len(text) <= 60 else text[:57] + "..."


def _region(norm: _Normaliser, on, resolver: Resolver, regions: Mapping = {}) -> Region:  # noqa: B006 - read only
    """Where ``Equation(..., on=...)`` holds: ``on`` read here, the region resolved (and checked) by ``resolver``."""
    if isinstance(on, (InRegion, Interface)):
        names = [on.name] if isinstance(on, InRegion) else [on.first, on.second]
        for name in names:
            if name not in regions:
                raise PinnError(f"'{name}' is not a region", help=f"regions given: {', '.join(regions) or 'none'}")
        if isinstance(on, Interface):
            return subdomains.interface(regions[on.first], regions[on.second], resolver.intervals)
        region = regions[on.name]
        return Within(INTERIOR, region.bounds, region.name) if region.bounds else INTERIOR
    if isinstance(on, Shape):  # on=hole: the part of the boundary on one of the shapes the domain is made of
        resolver.parts_allowed()
        return resolver.part(on, f"∂{on}")
    if on == "interior":
        return INTERIOR
    if on == "boundary":
        return resolver.boundary()
    if isinstance(on, Mapping) and len(on) == 1:
        ((symbol, value),) = on.items()
        name = getattr(norm.rules.get(symbol), "name", str(symbol))
        return resolver.face(name, lambda: _number(value, f"the face {symbol} = ..."))
    raise PinnError(f"on={on!r} is not a region", help='use "interior", "boundary" or {variable: value}')


def _energy_integrals(norm: _Normaliser, expr: sympy.Expr) -> sympy.Expr:
    """Check each Integral spans the domain; rewrite it with the domain's limits."""
    domain = {s: (lo, hi) for s, lo, hi in norm.variables}

    def canonical(integral):
        if isinstance(integral, BoundaryIntegral):
            return integral
        symbols = [limit[0] for limit in integral.limits]
        if not set(symbols) & set(domain):
            return integral  # ∫(f, s, a, b) over a new variable, inside the integrand
        if set(symbols) != set(domain) or len(symbols) != len(domain):
            raise PinnError(
                f"the integral {integral} must run over all the variables ({', '.join(s.name for s in domain)})",
                help="integrate over all the variables, or over a new one: Integral(f, (s, a, b))",
            )
        for limit in integral.limits:
            if len(limit) == 3 and tuple(_number(v, "a limit") for v in limit[1:]) != domain[limit[0]]:
                raise PinnError(f"the limits of {limit[0]} in {integral} are not its interval {domain[limit[0]]}")
        return sympy.Integral(integral.function, *[(s, *domain[s]) for s in domain])

    return expr.replace(lambda e: isinstance(e, sympy.Integral), canonical)


def from_sympy(
    variables: Mapping,
    fields: Sequence,
    terms: Sequence,
    *,
    unknowns: Mapping | None = None,
    exact: Mapping | None = None,
    shape: tuple | None = None,
    parameters: Sequence = (),
    regions: Mapping | None = None,
    living: Mapping | None = None,
) -> Spec:
    """Build a problem from SymPy objects.

    Args:
        variables: ``{x: (0, 1), y: (0, 1)}``, each symbol and its interval.
        fields: applied functions ``[u]`` with ``u = sympy.Function("u")(x, y)``.
        terms: ``sympy.Eq`` (an equation in Ω), :class:`Equation` (an equation on
            the boundary or a face, or weighted), :class:`Minimize` (an energy).
        unknowns: ``{k: 0.5}``, trainable scalars and their initial values.
        exact: ``{u: expression}``, reference solutions for error reports.
        shape: ``((x, y), disk((0, 0), 1))``: those variables range over the shape
            together (their intervals in ``variables`` are ignored: the shape's
            bounding box is used).
        parameters: ``[k]``, variables (in ``variables``) that are parameters of a
            family of problems (the text's ``param k in [1, 3]``): network inputs
            that Δ, ∇, the boundary and the normal leave out, like time.
        regions: ``{"A": {x: (0, 0.5)}}``, named boxes of Ω (the text's `region A = x < 0.5`),
            for ``Equation(..., on=InRegion("A"))`` and ``on=Interface("A", "B")``.
        living: ``{u1: "A"}``, fields that live in one region (the text's `field u1(x) in A`).
    """
    if shape is not None and isinstance(shape[1], Shape) and geometry._has_params(shape[1]):
        shape = (tuple(shape[0]), _family(shape[1], variables, parameters))  # `disk((0, 0), r)`: one for each r
    if shape is not None:
        variables = _shaped_variables(variables, shape)
    norm = _Normaliser(variables, fields, unknowns or {})
    if not norm.fields:
        raise PinnError("the problem declares no field", help="pass fields=[u] with u = sympy.Function('u')(x, y)")
    names = tuple(getattr(k, "name", None) for k in parameters)
    if any(n not in {s.name for s, _, _ in norm.variables} or n == time_variable.NAME for n in names):
        raise PinnError(f"parameters={list(parameters)}: each must be one of the variables, and not t")
    shaped = None
    if shape is not None:  # a family's points have its params last, after the coordinates of space
        family = shape[1].parameters if isinstance(shape[1], geometry.Family) else ()
        shaped = (tuple(s.name for s in shape[0]) + family, shape[1])
    boxes = _regions(norm, regions or {}, shaped)

    def resolved(time: str | None) -> list[TermSpec]:
        resolver = Resolver(
            intervals={s.name: (lo, hi) for s, lo, hi in norm.variables},
            parameters=names,
            spatial=tuple(s.name for s, _, _ in norm.variables if s.name not in (time, *names)),
            shape=shaped,
            spelling=SYMPY,
        )
        specs = []
        for i, term in enumerate(terms):
            _not_decided(i, term)
            if isinstance(term, (sympy.Eq, sympy.Expr)) and not isinstance(term, sympy.Integral):
                term = Equation(term)
            if isinstance(term, Equation):
                eq = term.eq
                _not_decided(i, eq)
                difference = _difference(i, eq)
                region = _region(norm, term.on, resolver, boxes)
                if term.where is not None:
                    predicate = norm(term.where)
                    region = resolver.restrict(region, predicate, predicate_words(predicate))
                if _has_domain_integral(norm, difference):  # ∫ p = 1: a global constraint
                    specs.append(_constraint(norm, term, difference, region, _label(eq, region)))
                    continue
                components = list(difference) if isinstance(difference, sympy.MatrixBase) else [difference]
                for component in components:  # a vector equation: one term per component
                    specs += _residuals(norm, term, component, region, _label(eq, region), i, resolver)
            elif isinstance(term, Minimize):
                weight = _number(term.weight, "a weight")
                energy = _energy_integrals(norm, norm(term.energy))
                interior, boundary = split_integrals(energy, [s for s, _, _ in norm.variables])
                if interior is None and boundary is None:
                    raise PinnError("Minimize needs an integral", help="Minimize(sympy.Integral(f, x, y))")
                if interior is not None:
                    specs.append(TermSpec("energy", INTERIOR, interior, weight, f"minimize {term.energy}"))
                if boundary is not None:
                    specs.append(TermSpec("energy", BOUNDARY, boundary, weight, f"minimize {term.energy}"))
            else:
                raise PinnError(
                    f"term {i} is a {type(term).__name__}",
                    help="terms are sympy.Eq, symbolic_pinn.Equation or symbolic_pinn.Minimize",
                )
        return specs

    # the time variable is found from the terms (time_variable.from_terms), and ∂Ω and the normal
    # leave it out: a time other than `t` is found on a first reading, and the terms read again
    specs = resolved(time_variable.NAME)
    time = time_variable.from_terms(norm.variables, names, shape[0] if shape else (), specs, norm.fields)
    if time not in (None, time_variable.NAME):
        specs = resolved(time)
    if not specs:
        raise PinnError("the problem has no equation and nothing to minimize")
    intervals = {s.name: (lo, hi) for s, lo, hi in norm.variables}
    declared = {f.func.__name__: f.args for f in norm.fields}
    for spec_term in specs:  # a field at u(x + 1), or in Integral(u(s), (s, 0, 5)): inside the domain, as in text
        ranges.check_fields_inside(spec_term.expr, {s: (lo, hi) for s, lo, hi in norm.variables}, declared, shaped)
    for spec_term in specs:
        for applied in spec_term.expr.atoms(Tabulated):
            if any(v not in intervals for v in applied.table.variables):
                raise PinnError(f"the table {applied.table.name} is over {applied.table.variables}, not variables")
            check_covers(applied.table, intervals)
    exact_specs = []
    for applied, expr in (exact or {}).items():
        name = getattr(getattr(applied, "func", None), "__name__", str(applied))
        if name not in norm.field_names:
            raise PinnError(f"exact: {applied} is not a field")
        exact_specs.append((name, norm(expr)))
    spec = Spec(
        variables=tuple(norm.variables),
        fields=tuple(norm.fields),
        unknowns=tuple(norm.unknowns),
        terms=tuple(specs),
        exact=tuple(exact_specs),
        shape=shaped,
        parameters=names,
        time=time,
    )
    spec = conditions.settle(spec)  # ∂Ω beside conditions on faces or parts: the rest
    homes = _homes(norm, living or {}, boxes)
    spec = subdomains.restrict(spec, homes, tuple(s.name for s, _, _ in norm.variables if s.name not in (time, *names)))
    subdomains.check_regions(spec, homes)
    warn_ill_posed(spec)
    return spec


def _regions(norm: _Normaliser, regions: Mapping, shaped) -> dict:
    """``{"A": {x: (0, 0.5)}}`` as :class:`~.subdomains.Subdomain` boxes, checked as the text's are."""
    intervals = {s.name: (lo, hi) for s, lo, hi in norm.variables}
    boxes = {}
    for name, given in regions.items():
        read = {}
        for symbol, (lo, hi) in dict(given).items():
            variable_name = getattr(norm.rules.get(symbol), "name", str(symbol))
            if variable_name not in intervals:
                raise PinnError(f"regions: {symbol} in region {name} is not a variable")
            read[variable_name] = (_number(lo, f"a bound of region {name}"), _number(hi, f"a bound of region {name}"))
        boxes[name] = subdomains.box(str(name), read, intervals, shaped[0] if shaped else ())
    return boxes


def _homes(norm: _Normaliser, living: Mapping, boxes: dict) -> dict:
    """``{u1: "A"}`` as each field's name and its region."""
    homes = {}
    for applied, name in living.items():
        field = getattr(getattr(applied, "func", None), "__name__", str(applied))
        if field not in norm.field_names:
            raise PinnError(f"living: {applied} is not a field")
        if name not in boxes:
            raise PinnError(f"living: '{name}' is not a region", help=f"regions given: {', '.join(boxes) or 'none'}")
        homes[field] = boxes[name]
    return homes


def _residuals(
    norm: _Normaliser, term: Equation, difference, region: Region, label: str, i: int, resolver: Resolver
) -> list[TermSpec]:
    """The residual terms of one scalar equation ``difference = 0`` on ``region``: two if it is complex."""
    expr = norm(difference)
    weight = _number(term.weight, "a weight")
    if weight < 0:
        raise PinnError(f"the weight {weight:g} of term {i} is negative", help="weights must be positive")
    expr = substitute_fixed(expr, norm.fields, [variable(region.variable)] if isinstance(region, Face) else [])
    if expr.atoms(NormalComponent) and not resolver.has_normal(region):
        raise PinnError(
            f"term {i} uses the normal derivative, which is defined only on the boundary",
            help='give it on="boundary", or a face {x: 1} at an end of a spatial interval',
        )
    # a complex equation (fields are real: a complex field is two, re and im) is two real ones
    parts = [p for p in real_imag(expr) if p != 0] if expr.has(sympy.I) else [expr]
    return [TermSpec("residual", region, part, weight, label) for part in parts]


def _has_domain_integral(norm: _Normaliser, difference) -> bool:
    """Whether an equation integrates over a variable of the domain (a constraint, not a residual)."""
    if not isinstance(difference, sympy.Basic) or isinstance(difference, sympy.MatrixBase):
        return False
    domain = {s for s, _, _ in norm.variables}
    integrals = difference.atoms(sympy.Integral)
    return difference.has(BoundaryIntegral) or any({limit[0] for limit in i.limits} & domain for i in integrals)


def _constraint(norm: _Normaliser, term: Equation, difference, region: Region, label: str) -> TermSpec:
    """``Eq(Integral(p, (x, 0, 1)), 1)``: the term (∫ p − 1)² over Ω (or a face ``on={t: 0}``)."""
    weight = _number(term.weight, "a weight")
    if weight < 0:
        raise PinnError(f"the weight {weight:g} of {label} is negative", help="weights must be positive")
    expr = norm(difference)
    if isinstance(region, Face):  # Integral(u, (x, 0, 1)) on={t: 0}: over the face, the other variables
        face = next(s for s, _, _ in norm.variables if s.name == region.variable)
        others = {s for s, _, _ in norm.variables} - {face}
        expr = expr.replace(
            lambda e: isinstance(e, sympy.Integral) and {limit[0] for limit in e.limits} == others,
            lambda e: sympy.Integral(e.function, *e.limits, (face,)),
        )
    expr = _energy_integrals(norm, expr)
    interior, boundary, target = split_constraint(expr, [s for s, _, _ in norm.variables])
    if interior is not None and boundary is not None:
        raise PinnError(f"{label}: one constraint cannot add an integral over Ω to one over the boundary")
    integrand = interior if interior is not None else boundary
    if boundary is not None and region not in (INTERIOR, BOUNDARY):
        raise PinnError(
            f"{label}: a BoundaryIntegral is over the whole boundary, not over {region.describe()}",
            help="for the integral over a face, write Integral over the other variables with on={t: 0}",
        )
    region = BOUNDARY if boundary is not None else region  # as the text's ∮ u = 0
    if not integrand.atoms(sympy.core.function.AppliedUndef):
        raise PinnError(
            f"{label}: the integral involves no field, so the constraint trains nothing",
            help="integrate an expression of the fields: Eq(Integral(p, (x, 0, 1)), 1)",
        )
    return TermSpec("integral", region, integrand, weight, label, target=target)


def _shaped_variables(variables: Mapping, shape) -> dict:
    """``variables`` with the shape's variables given its bounding box as intervals."""
    symbols, region = shape
    if not isinstance(region, Shape):
        raise PinnError(
            f"shape=(variables, region): the region must be disk(...), ball(...) or box(...), got {region!r}"
        )
    lo, hi = region.bounds()  # a family's: its params' intervals last, already among the variables
    if isinstance(region, geometry.Family):
        lo, hi = lo[: len(lo) - len(region.parameters)], hi[: len(hi) - len(region.parameters)]
    if len(symbols) != len(lo):
        raise PinnError(f"the shape is {len(lo)}-D but {len(symbols)} variables range over it")
    result = dict(variables)
    for s, a, b in zip(symbols, lo, hi):
        if getattr(s, "name", None) == time_variable.NAME:
            raise PinnError("'t' is time: it has an interval, not a shape")
        result[s] = (float(a), float(b))
    return result


def _label(eq, region: Region) -> str:
    text = f"{eq.lhs} = {eq.rhs}" if isinstance(eq, sympy.Eq) else f"{eq} = 0"
    return text if region == INTERIOR else f"{text} on {region.describe()}"
