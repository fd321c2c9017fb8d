"""The syntax tree: plain frozen dataclasses, each carrying its source span.

The parser builds these from text; the checker reads them.  Nothing here knows about
SymPy or JAX.
"""

from __future__ import annotations

import dataclasses

from .._errors import Span


@dataclasses.dataclass(frozen=True)
class Node:
    span: Span


# ---- expressions ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Number(Node):
    value: float
    text: str


@dataclasses.dataclass(frozen=True)
class Name(Node):
    name: str


@dataclasses.dataclass(frozen=True)
class Call(Node):
    """`name(args)`: a function, a field at given coordinates, or `Dx(u)`, `D(u, x)`."""

    name: Name
    args: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class FileCall(Node):
    """`table("coef.csv", x)`: a function of a file (its name as written) and expressions."""

    name: Name
    path: str
    path_span: Span
    args: tuple[Node, ...]
    grid: tuple[GridAxis, ...] = ()  # `table("probes.csv", x by 65)`: scattered points resampled on this grid


@dataclasses.dataclass(frozen=True)
class GridAxis(Node):
    """`x in [0, 1] by 101`: ``count`` equally spaced values of a variable; the variable's interval if no bounds."""

    variable: Name
    low: Node | None
    high: Node | None
    count: Node


@dataclasses.dataclass(frozen=True)
class SampledCall(Node):
    """`table(exp(-x^2), x in [0, 1] by 101)`: an expression's values on a grid, interpolated."""

    name: Name
    expr: Node
    grid: tuple[GridAxis, ...]


@dataclasses.dataclass(frozen=True)
class Apply(Node):
    """`Dx(u)(-1, t)`: an expression evaluated at given coordinates."""

    head: Node
    args: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class Directional(Node):
    """`D[v](u)`: the derivative of `arg` along the vector `direction`."""

    name: Name
    direction: Node
    arg: Node


@dataclasses.dataclass(frozen=True)
class Index(Node):
    """`x[3]`, `x[i]`: one variable of the family `x[1..d]` declares."""

    name: Name
    index: Node


@dataclasses.dataclass(frozen=True)
class IndexRange(Node):
    """`x[1..50]` among a field's arguments: the variables x[1], ..., x[50]."""

    name: Name
    first: Node
    last: Node


@dataclasses.dataclass(frozen=True)
class Partial(Node):
    """`∂ₓ(u)`, `∂_xy(u)`: partial derivatives named by single-letter variables."""

    variables: tuple[str, ...]
    arg: Node


@dataclasses.dataclass(frozen=True)
class Laplace(Node):
    arg: Node
    spelling: str = "Δ"  # or ∇²: only Δ can be read as a value's name (`const Δ = 0.1`)


@dataclasses.dataclass(frozen=True)
class Nabla(Node):
    arg: Node


@dataclasses.dataclass(frozen=True)
class Norm(Node):
    """`|v|`: absolute value of a scalar, Euclidean norm of a vector."""

    arg: Node


@dataclasses.dataclass(frozen=True)
class Vector(Node):
    items: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclasses.dataclass(frozen=True)
class BinOp(Node):
    op: str  # one of + - * / ^
    left: Node
    right: Node


@dataclasses.dataclass(frozen=True)
class Comparison(Node):
    """`a < b`, `0 < x <= 1`: ``ops[i]`` compares ``operands[i]`` with ``operands[i + 1]``."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]  # each one of < <= > >= (≤ and ≥ are read as <= and >=)


@dataclasses.dataclass(frozen=True)
class Logic(Node):
    """`a and b`, `a or b`, `not a` of conditions."""

    op: str
    args: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class Conditional(Node):
    """`if cond then a else b`."""

    cond: Node
    then: Node
    otherwise: Node


@dataclasses.dataclass(frozen=True)
class Integral(Node):
    """`∫ arg` over Ω, or `∮ arg` over the boundary (`boundary=True`)."""

    arg: Node
    boundary: bool


# ---- statements -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Infinity(Node):
    """`∞`, `inf` (``negative``: `-∞`): an end of an interval, or the face of a variable there."""

    negative: bool = False


@dataclasses.dataclass(frozen=True)
class Mapping(Node):
    """`with x = s/(1 - s), s in [0, 1]`: the declared variable (``variable``, as the map writes it)
    as a function ``expr`` of a bounded variable ``bounded`` in ``[lo, hi]``, which the networks take."""

    variable: Name
    expr: Node
    bounded: Name
    lo: Node
    hi: Node


@dataclasses.dataclass(frozen=True)
class VariableDecl(Node):
    name: Name
    lo: Node  # an Infinity on an unbounded interval
    hi: Node
    parameter: bool = False  # `param k in [1, 3]`: not a coordinate of space
    time: bool = False  # `time s in [0, 1]`: the time variable, declared
    brackets: str = "[]"  # `[0, ∞)`: the brackets as written (round ones only at an infinite end)
    mapping: Mapping | None = None


@dataclasses.dataclass(frozen=True)
class IndexedDecl(Node):
    """`x[1..100] in [0, 1]`: the variables x[1], ..., x[100] (named x1, ..., x100), each in [lo, hi]."""

    name: Name
    first: Node
    last: Node
    lo: Node
    hi: Node


@dataclasses.dataclass(frozen=True)
class Shape(Node):
    """`disk((0, 0), 1)`, `box((0, 0), (1, 1))`, `ball(...)`: a primitive region."""

    name: Name
    args: tuple[Node, ...]


@dataclasses.dataclass(frozen=True)
class ShapeOp(Node):
    """`A ∪ B`, `A \\ B`, `A ∩ B`: ``op`` is union, difference or intersection."""

    op: str
    left: Node
    right: Node


@dataclasses.dataclass(frozen=True)
class DomainDecl(Node):
    """`(x, y) in disk((0, 0), 1)`: variables that range over a shape together."""

    names: tuple[Name, ...]
    shape: Node


@dataclasses.dataclass(frozen=True)
class FieldSig(Node):
    name: Name
    args: tuple[Name | IndexRange, ...]  # a Name may name a family of variables (`field u(x)`)
    complex: bool = False  # `field psi(x, t) complex`: a real and an imaginary network
    region: Name | None = None  # `field u1(x) in A`: the field lives in the region A only


@dataclasses.dataclass(frozen=True)
class FieldDecl(Node):
    fields: tuple[FieldSig, ...]


@dataclasses.dataclass(frozen=True)
class RegionDecl(Node):
    """`region A = x < 0.5`: a named part of Ω, cut out by comparisons joined with `and`."""

    name: Name
    condition: Node


@dataclasses.dataclass(frozen=True)
class Definition(Node):
    """`const`, `let`, `unknown` or `exact`: a keyword, a name and an expression."""

    keyword: str
    name: Name
    expr: Node


@dataclasses.dataclass(frozen=True)
class FunctionDecl(Node):
    """`let g(x, y) = expr`: a function of its parameters, inlined where it is called."""

    name: Name
    params: tuple[Name, ...]
    expr: Node


@dataclasses.dataclass(frozen=True)
class DataDecl(Node):
    path: str


@dataclasses.dataclass(frozen=True)
class OnBoundary(Node):
    pass


@dataclasses.dataclass(frozen=True)
class OnPart(Node):
    """`on ∂hole`, `on ∂box((0, 0), (1, 1))`: the part of ∂Ω on a shape's surface."""

    shape: Node  # a Name (a shape named by `let`) or a Shape written out


@dataclasses.dataclass(frozen=True)
class AtFace(Node):
    variable: Name
    value: Node


@dataclasses.dataclass(frozen=True)
class OnCurve(Node):
    """`on segment((0, 0), (1, 1))`, `on circle((0.5, 0.5), 0.25)`: a curve inside Ω."""

    curve: Shape


@dataclasses.dataclass(frozen=True)
class InRegion(Node):
    """`in A`: inside the region A only."""

    region: Name


@dataclasses.dataclass(frozen=True)
class OnInterface(Node):
    """`on interface(A, B)`: where the regions A and B meet; the normal points from A into B."""

    first: Name
    second: Name


@dataclasses.dataclass(frozen=True)
class Equation(Node):
    lhs: Node
    rhs: Node
    where: OnBoundary | OnPart | AtFace | InRegion | OnInterface | OnCurve | None
    weight: Node | None
    restriction: Node | None = None  # `where x < 0.5`: a Comparison or Logic


@dataclasses.dataclass(frozen=True)
class Minimize(Node):
    expr: Node
    weight: Node | None


@dataclasses.dataclass(frozen=True)
class Program(Node):
    statements: tuple[Node, ...]
    source: str
    filename: str | None


def size(node: Node) -> int:
    """The number of nodes of a syntax tree (iteratively: a long sum is a deep tree)."""
    count, stack = 0, [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
        elif isinstance(item, Node):
            count += 1
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
    return count
