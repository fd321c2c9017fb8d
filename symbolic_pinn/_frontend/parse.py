"""Stage 1, parse: text → syntax tree (:mod:`._syntax`), with source positions.

The grammar lives in ``grammar/pinn.lark`` (shipped inside the wheel as
``symbolic_pinn/grammar/pinn.lark``).  Each grammar alias lands on the Transformer
method of the same name.  Lark's own exceptions never escape: they become
:class:`PinnError` with line, column, a caret and what was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib.resources
import pathlib
import re

import lark
from lark import v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.visitors import Transformer_NonRecursive

from .. import _limits
from .._errors import PinnError, Span
from .._files import read_bounded
from . import identifiers
from . import syntax as ast

__all__ = ["parse_text", "grammar_path", "read_problem"]

# Unicode subscript letters after ∂ (Unicode has no subscript y: `∂_y` spells it).
_SUBSCRIPTS = dict(zip("ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", "aeoxhklmnpstijruv"))

# How expected terminals read in an error message.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": 'a quoted file name ("obs.csv")',
    "_SEP": "the end of the line",
    "$END": "the end of the input",
    "PARTIAL": "a derivative like ∂ₓ",
    "INTEGRAL": "∫",
    "BOUNDARY_INTEGRAL": "∮",
    "LAPLACE": "Δ",
    "DELTA_NAME": "Δ",
    "NABLA": "∇",
    "BOUNDARY": "∂Ω",
    "PART": "a part of the boundary like ∂hole",
    "_IN": "'in'",
    "_POW": "'^'",
    "COMPARE": "a comparison (< <= > >=)",
    "INFINITY": "∞",
}

_MAX_NESTING = 100


def grammar_path() -> pathlib.Path:
    """Where the grammar file is: inside the installed package, or the repository's."""
    packaged = importlib.resources.files("symbolic_pinn") / "grammar" / "pinn.lark"
    if packaged.is_file():
        return pathlib.Path(str(packaged))
    return pathlib.Path(__file__).resolve().parents[2] / "grammar" / "pinn.lark"


@functools.cache
def _parser() -> lark.Lark:
    return lark.Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def _span(meta) -> Span:
    return Span(meta.line, meta.column, getattr(meta, "end_line", None), getattr(meta, "end_column", None))


def _token_span(token: lark.Token) -> Span:
    return Span(token.line, token.column, token.end_line, token.end_column)


def _end(node: ast.Node) -> ast.Node:
    """An interval's end or a face's coordinate, with `inf` and `-inf` read as ∞ (where no name
    is expected: `const inf = 1` cannot be an end)."""
    if isinstance(node, ast.Name) and node.name == "inf":
        return ast.Infinity(node.span)
    if isinstance(node, ast.Neg) and isinstance(node.arg, ast.Name) and node.arg.name == "inf":
        return ast.Infinity(node.span, negative=True)
    return node


@v_args(meta=True)
class _ToSyntax(Transformer_NonRecursive):
    """Grammar aliases → syntax-tree dataclasses (iteratively: long sums are fine)."""

    # statements
    def start(self, meta, children):
        return list(children)

    def variable_decl(self, meta, c):
        name, left, lo, hi, right, mapping = c
        return ast.VariableDecl(
            _span(meta), self._name(name), _end(lo), _end(hi), brackets=left + right, mapping=mapping
        )

    def opening(self, meta, c):
        return str(c[0])

    closing = opening

    def mapping(self, meta, c):
        variable, expr, bounded, lo, hi = c
        return ast.Mapping(_span(meta), self._name(variable), expr, self._name(bounded), lo, hi)

    def infinity(self, meta, c):
        return ast.Infinity(_span(meta))

    def minus_infinity(self, meta, c):
        return ast.Infinity(_span(meta), negative=True)

    def indexed_decl(self, meta, c):
        return ast.IndexedDecl(_span(meta), self._name(c[0]), *c[1:])

    def index_range(self, meta, c):
        return ast.IndexRange(_span(meta), self._name(c[0]), c[1], c[2])

    def index(self, meta, c):
        return ast.Index(_span(meta), self._name(c[0]), c[1])

    def param_decl(self, meta, c):
        return ast.VariableDecl(_span(meta), self._name(c[0]), c[1], c[2], parameter=True)

    def time_decl(self, meta, c):
        return ast.VariableDecl(_span(meta), self._name(c[0]), c[1], c[2], time=True)

    def time_named_variable(self, meta, c):
        span = _span(meta)
        name = ast.Name(dataclasses.replace(span, end_line=span.line, end_column=span.column + 4), "time")
        return ast.VariableDecl(span, name, c[0], c[1])

    def domain_decl(self, meta, c):
        names, shape = c
        for item in names.items:
            if not isinstance(item, ast.Name):
                raise PinnError(
                    "a shaped domain is declared for variables: their names in parentheses",
                    item.span,
                    help="write e.g. `(x, y) in disk((0, 0), 1)`",
                )
        return ast.DomainDecl(_span(meta), tuple(names.items), shape)

    def primitive(self, meta, c):
        return ast.Shape(_span(meta), self._name(c[0]), tuple(c[1:]))

    def file_shape(self, meta, c):  # mesh("part.stl")
        return ast.FileCall(_span(meta), self._name(c[0]), str(c[1])[1:-1], _token_span(c[1]), ())

    def shape_name(self, meta, c):
        return self._name(c[0])

    def _shape_op(op):
        def rule(self, meta, c):
            return ast.ShapeOp(_span(meta), op, c[0], c[1])

        return rule

    union = _shape_op("union")
    difference = _shape_op("difference")
    intersection = _shape_op("intersection")
    del _shape_op

    def field_sig(self, meta, c):
        *names, flag, region = c
        return ast.FieldSig(
            _span(meta),
            self._name(names[0]),
            self._arguments(names[1:]),
            flag is not None,
            None if region is None else self._name(region),
        )

    def _arguments(self, items) -> tuple:
        """A field's arguments: names, and ranges of a family (`x[1..50]`), already built."""
        return tuple(item if isinstance(item, ast.IndexRange) else self._name(item) for item in items)

    def region_decl(self, meta, c):
        return ast.RegionDecl(_span(meta), self._name(c[0]), c[1])

    def field_names(self, meta, c):
        return [self._name(t) for t in c]

    def field_group(self, meta, c):
        """`(u, v)(x, y)`: the fields u and v, each of (x, y)."""
        names, *args = c
        args = self._arguments(args)
        return [ast.FieldSig(name.span, name, args) for name in names]

    def field_decl(self, meta, c):
        sigs = [sig for item in c for sig in (item if isinstance(item, list) else [item])]
        return ast.FieldDecl(_span(meta), tuple(sigs))

    def _definition(keyword):
        def rule(self, meta, c):
            return ast.Definition(_span(meta), keyword, self._name(c[0]), c[1])

        return rule

    const_decl = _definition("const")
    let_decl = _definition("let")
    unknown_decl = _definition("unknown")
    exact_decl = _definition("exact")
    del _definition

    def function_decl(self, meta, c):
        return ast.FunctionDecl(_span(meta), self._name(c[0]), tuple(self._name(t) for t in c[1:-1]), c[-1])

    def data_decl(self, meta, c):
        return ast.DataDecl(_span(meta), str(c[0])[1:-1])

    def equation(self, meta, c):
        lhs, rhs, where, restriction, weight = c
        return ast.Equation(_span(meta), lhs, rhs, where, weight, restriction)

    def minimize(self, meta, c):
        expr, weight = c
        return ast.Minimize(_span(meta), expr, weight)

    def on_boundary(self, meta, c):
        return ast.OnBoundary(_span(meta))

    def on_part(self, meta, c):
        token, coordinates = c
        span = _token_span(token)
        name = _checked_name(Span(span.line, span.column + 1, span.end_line, span.end_column), str(token)[1:])
        if coordinates is None:
            return ast.OnPart(_span(meta), name)
        _, arguments = coordinates
        shape = ast.Shape(Span(span.line, span.column + 1, meta.end_line, meta.end_column), name, arguments)
        return ast.OnPart(_span(meta), shape)

    def on_part_spelled(self, meta, c):
        token, shape = c
        if str(token) != "boundary":
            raise PinnError(
                "a part of the boundary is written ∂name or boundary(name)",
                _token_span(token),
                help="write `on ∂hole` or `on boundary(hole)`",
            )
        return ast.OnPart(_span(meta), shape)

    def at_face(self, meta, c):
        return ast.AtFace(_span(meta), self._name(c[0]), _end(c[1]))

    def curve(self, meta, c):
        return c[0]

    def on_curve(self, meta, c):
        name, *args = c
        span = _span(meta)
        start = _token_span(name)
        return ast.OnCurve(
            span,
            ast.Shape(Span(start.line, start.column, span.end_line, span.end_column), self._name(name), tuple(args)),
        )

    def in_region(self, meta, c):
        return ast.InRegion(_span(meta), self._name(c[0]))

    def on_interface(self, meta, c):
        return ast.OnInterface(_span(meta), self._name(c[0]), self._name(c[1]))

    def weight(self, meta, c):
        return c[0]

    def restriction(self, meta, c):
        return c[0]

    # expressions
    def number(self, meta, c):
        return ast.Number(_token_span(c[0]), float(c[0]), str(c[0]))

    def name(self, meta, c):
        return self._name(c[0])

    def _name(self, token):
        return _checked_name(_token_span(token), str(token))

    def _binop(op):
        def rule(self, meta, c):
            return ast.BinOp(_span(meta), op, c[0], c[1])

        return rule

    add = _binop("+")
    sub = _binop("-")
    mul = _binop("*")
    div = _binop("/")
    pow = _binop("^")
    del _binop

    def neg(self, meta, c):
        return ast.Neg(_span(meta), c[0])

    def integral(self, meta, c):
        return ast.Integral(_span(meta), c[1], boundary=False)

    def boundary_integral(self, meta, c):
        return ast.Integral(_span(meta), c[1], boundary=True)

    def partial(self, meta, c):
        text = str(c[0])[1:]
        if text.startswith("_"):
            letters = text[1:]
        else:
            letters = "".join(_SUBSCRIPTS.get(ch, ch) for ch in text)
        return ast.Partial(_span(meta), tuple(letters), c[1])

    def laplace(self, meta, c):
        return ast.Laplace(_span(meta), c[1], str(c[0]))

    def nabla(self, meta, c):
        return ast.Nabla(_span(meta), c[1])

    def call(self, meta, c):
        args = tuple(a for a in c[1:] if a is not None)
        return ast.Call(_span(meta), self._name(c[0]), args)

    def file_call(self, meta, c):
        return ast.FileCall(_span(meta), self._name(c[0]), str(c[1])[1:-1], _token_span(c[1]), tuple(c[2:]))

    def scattered_call(self, meta, c):
        path = str(c[1])[1:-1]
        return ast.FileCall(_span(meta), self._name(c[0]), path, _token_span(c[1]), (), tuple(c[2:]))

    def sampled_call(self, meta, c):
        return ast.SampledCall(_span(meta), self._name(c[0]), c[1], tuple(c[2:]))

    def grid_axis(self, meta, c):
        return ast.GridAxis(_span(meta), self._name(c[0]), c[1], c[2], c[3])

    def coordinates(self, meta, c):
        return _span(meta), tuple(c)

    def apply(self, meta, c):
        *call, (where, coordinates) = c
        head = self.call(meta, call)  # `Dx(u)` ends where the list of coordinates begins
        head = dataclasses.replace(head, span=Span(meta.line, meta.column, where.line, where.column))
        return ast.Apply(_span(meta), head, coordinates)

    def directional(self, meta, c):
        return ast.Directional(_span(meta), self._name(c[0]), c[1], c[2])

    def conditional(self, meta, c):
        return ast.Conditional(_span(meta), c[0], c[1], c[2])

    def comparison(self, meta, c):
        ops = tuple({"≤": "<=", "≥": ">="}.get(str(t), str(t)) for t in c[1::2])
        return ast.Comparison(_span(meta), tuple(c[0::2]), ops)

    def logic_or(self, meta, c):
        return ast.Logic(_span(meta), "or", tuple(c))

    def logic_and(self, meta, c):
        return ast.Logic(_span(meta), "and", tuple(c))

    def logic_not(self, meta, c):
        return ast.Logic(_span(meta), "not", tuple(c))

    def advection(self, meta, c):
        """`(v·∇)U`: the derivative of U along v, D[v](U)."""
        return ast.Directional(_span(meta), ast.Name(_token_span(c[1]), "D"), c[0], c[2])

    def vector(self, meta, c):
        return ast.Vector(_span(meta), tuple(c))

    def norm(self, meta, c):
        return ast.Norm(_span(meta), c[0])


def _checked_name(span: Span, text: str) -> ast.Name:
    """A name in its one spelling (NFKC); a name mixing look-alike scripts is an error at it."""
    name = identifiers.normalise(text)
    mixed = identifiers.mixed_scripts(name)
    if mixed is not None:
        plain = identifiers.skeleton(name)
        raise PinnError(
            f"the name '{name}' mixes {mixed[0].capitalize()} and {mixed[1].capitalize()} letters that look alike "
            f"(it reads as '{plain}', but is a different name)",
            span,
            help=f"spell it in one script, e.g. {plain}",
        )
    return ast.Name(span, name)


def _expected_words(expected) -> str:
    parser = _parser()
    by_name = {t.name: t for t in parser.terminals}
    words = []
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
        elif name in by_name and by_name[name].pattern.type == "str":
            words.append(repr(by_name[name].pattern.value))
        else:
            words.append(name.lower())
    words = sorted(set(words))
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words)


def _check_nesting(text: str) -> None:
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for column, ch in enumerate(line, start=1):
            if ch in "([":
                depth += 1
                if depth > _MAX_NESTING:
                    raise PinnError(
                        f"brackets nested more than {_MAX_NESTING} deep",
                        Span(number, column),
                        help="split the expression with `let` definitions",
                    )
            elif ch in ")]":
                depth = max(0, depth - 1)


_KEYWORDS = ("field", "const", "let", "unknown", "exact", "data", "minimize", "weight")
_DERIVATIVE_HELP = "write Dxx(u), D(u, x, x) or ∂ₓₓ(u) for ∂²u/∂x², and Δu or laplace(u) for the Laplacian"


def _common_mistake(text: str, position: int) -> PinnError | None:
    """Notations from paper or other tools that the grammar does not read, answered by name."""
    line_start = text.rfind("\n", 0, position) + 1
    line, column = text.count("\n", 0, position) + 1, position - line_start + 1
    here, before = text[position:], text[line_start:position].rstrip()
    if here.startswith("'"):
        return PinnError("a prime (u') is not a derivative in this language", Span(line, column), help=_DERIVATIVE_HELP)
    declared = re.match(r"\s*(?:(?:time|param)\s+)?(Δ)\s*(?:in\b|∈)", text[line_start:])
    if declared:  # `Δ in [0, 1]`: read as the Laplacian of `in`, which fails further on
        return _laplacian_named(Span(line, declared.start(1) + 1))
    if here.startswith(("∂²", "∂^", "∂ ")) or (here.startswith("∂") and "/" in text[position : position + 8]):
        return PinnError("∂²u/∂x² is written as an operator applied to u", Span(line, column), help=_DERIVATIVE_HELP)
    if here.startswith(("^", "²")) and before.endswith("∇"):
        return PinnError("∇^2 is not read as the Laplacian", Span(line, column - 1), help="write Δu, ∇²u or laplace(u)")
    if position > line_start and text[position - 1].isdigit() and (here[:1].isalpha() or here[:1] == "("):
        number = re.search(r"[\d.]+$", text[line_start:position]).group()
        word = re.match(r"\w+|\(", here).group().replace("(", "(...)")
        return PinnError(
            f"'{number}{word}' is not read as a product: multiplication is always written",
            Span(line, column),
            help=f"write {number}*{word}",
        )
    if re.match(r"(<|>|≤|≥)", here):
        return PinnError(
            "a comparison is only read as the condition of `if`",
            Span(line, column),
            help="write `if x < 0.5 then a else b`, or heaviside(0.5 - x) for a step",
        )
    if re.search(r"[-+*/^·(,]\s*if$", before):  # the contextual lexer read `if` as a name
        return PinnError(
            "`if ... then ... else ...` is a whole expression here",
            Span(line, before.rfind("if") + 1),
            help="put it in parentheses: 2*(if x < 0.5 then 1 else 10)",
        )
    if here.startswith(("²", "³")):
        return PinnError(f"the superscript {here[0]} is not a power", Span(line, column), help="write u^2 or u^3")
    words = text[line_start:position].split()
    if len(words) == 1 and words[0].isidentifier() and words[0] not in _KEYWORDS:
        close = difflib.get_close_matches(words[0], _KEYWORDS, n=1, cutoff=0.7)
        if close:
            return PinnError(
                f"'{words[0]}' is not a keyword (did you mean {close[0]}?)",
                Span(line, line_start + text[line_start:].index(words[0]) - line_start + 1),
                help=f"a statement starting with a name is an equation; declarations start with {close[0]}",
            )
    return None


def _laplacian_named(span: Span) -> PinnError:
    return PinnError(
        "'Δ' is the Laplacian: it cannot name a field, function or variable",
        span,
        help="choose another name; a value may be named Δ (`const Δ = 0.1`, `let Δ = ...`, `unknown Δ = 1`)",
    )


def _syntax_error(err: UnexpectedInput, text: str) -> PinnError:
    position = getattr(err, "pos_in_stream", None)
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        position = err.token.start_pos
    if position is not None and position < len(text):
        mistake = _common_mistake(text, position)
        if mistake is not None:
            return mistake
    if isinstance(err, UnexpectedCharacters):
        ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "?"
        return PinnError(
            f"unexpected character {ch!r}",
            Span(err.line, err.column),
            help=f"expected {_expected_words(err.allowed)}" if err.allowed else "remove it",
        )
    if isinstance(err, UnexpectedToken):
        token = err.token
        if token.type == "$END":
            lines = text.splitlines() or [""]
            return PinnError(
                "the input ends in the middle of a statement",
                Span(len(lines), len(lines[-1]) + 1),
                help=f"expected {_expected_words(err.expected)}",
            )
        if token.type in ("LAPLACE", "DELTA_NAME") and "NAME" in err.expected:
            return _laplacian_named(_token_span(token))
        shown = "end of line" if token.type == "_SEP" else repr(str(token))
        return PinnError(
            f"unexpected {shown}",
            _token_span(token),
            help=f"expected {_expected_words(err.expected)}",
        )
    if isinstance(err, UnexpectedEOF):
        lines = text.splitlines() or [""]
        return PinnError(
            "the input ends in the middle of a statement",
            Span(len(lines), len(lines[-1]) + 1),
            help=f"expected {_expected_words(err.expected)}",
        )
    return PinnError(f"cannot parse: {err}", Span(getattr(err, "line", 1), getattr(err, "column", 1)))


def _normalise(text: str) -> str:
    """One line ending, "\\n" (Windows CRLF and old-Mac CR too); no byte-order mark."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_problem(path: str | pathlib.Path) -> bytes:
    """The bytes of a problem file, for every command: a regular file (a FIFO or /dev/zero
    is refused, never waited on), read no further than the longest problem allowed."""
    # a UTF-8 character is at most 4 bytes: a longer file cannot hold a problem within the limit
    return read_bounded(path, 4 * _limits.PROBLEM_CHARACTERS.value())


def parse_text(text: str | bytes, filename: str | None = None) -> ast.Program:
    """Parse problem text into a syntax tree; raise :class:`PinnError` on bad input.

    >>> parse_text("x in [0, 1]").statements[0].name.name
    'x'
    """
    if isinstance(text, bytes):
        text = text.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # as _normalise
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            before = text[: err.start]
            line = before.count(b"\n") + 1
            column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
            raise PinnError(
                f"the file is not UTF-8 text: byte 0x{text[err.start]:02x} cannot be decoded",
                Span(line, column),
                help="save the problem as UTF-8 text",
                source=text.decode("utf-8", errors="replace"),
                filename=filename,
            ) from None
    text = _normalise(text)
    try:
        _limits.PROBLEM_CHARACTERS.check(len(text), None, "this problem")
        _check_nesting(text)
        try:
            tree = _parser().parse(text + "\n")
        except UnexpectedInput as err:
            raise _syntax_error(err, text) from None
        try:
            statements = _ToSyntax().transform(tree)
        except VisitError as err:
            if isinstance(err.orig_exc, RecursionError):
                raise PinnError("the expression is nested too deeply", help="split it with `let` definitions") from None
            if isinstance(err.orig_exc, PinnError):
                raise err.orig_exc from None
            raise
    except PinnError as err:
        raise err.with_source(text, filename) from None
    except RecursionError:
        raise PinnError(
            "the expression is nested too deeply",
            help="split it with `let` definitions",
            source=text,
            filename=filename,
        ) from None
    return ast.Program(Span(1, 1), tuple(statements), text, filename)
