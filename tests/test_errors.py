"""Golden error messages, and robustness: bad input gives a PinnError, never a crash.

Every error from text names the line and column and puts a caret under the spot;
the full rendering is pinned here, character for character.  The fuzz tests feed
random and mutated programs to ``parse``: the only exception allowed out is PinnError.
"""

import json
import pathlib
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from language_examples import BURGERS, INVERSE

import symbolic_pinn
from symbolic_pinn import PinnError

ROOT = pathlib.Path(__file__).resolve().parent.parent
H1 = "x in [0, 1]\nfield u(x)\n"
H2 = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n"
EXPECTED_START = "expected '(', '+', '-', '|', a derivative like ∂ₓ, a name, a number"
FUNCTION_LIST = (
    "functions: sin, cos, tan, exp, log, sqrt, tanh, sinh, cosh, arctan, atan, arcsin, arccos, abs, erf, erfc, "
    "sech, csch, coth, atan2, arctan2, log10, sign, heaviside, max, min, relu, detach, stop_gradient, "
    "besselj0, besselj1, bessely0, bessely1; "
    "operators: Dx(u), D(u, x), grad, div, laplace, dot"
)

# (id, source, the whole of err.render())
GOLDEN = [
    (
        "unexpected token",
        H2 + "Δu = = 1\n",
        f"""\
error: unexpected '='
 --> <input>:3:6
  |
3 | Δu = = 1
  |      ^
  = help: {EXPECTED_START}, Δ, ...""",
    ),
    (
        "unexpected token at the start of a line",
        H1 + ") = 1\n",
        f"""\
error: unexpected ')'
 --> <input>:3:1
  |
3 | ) = 1
  | ^
  = help: {EXPECTED_START}, the end of the line, ...""",
    ),
    (
        "two equals signs",
        H1 + "u = 1 = 2\n",
        """\
error: unexpected '='
 --> <input>:3:7
  |
3 | u = 1 = 2
  |       ^
  = help: expected 'at', 'in', 'on', 'weight', 'where', the end of the line""",
    ),
    (
        "on a face instead of at",
        H1 + "Dxx(u) = 1 on x = 1\n",
        """\
error: unexpected 'x'
 --> <input>:3:15
  |
3 | Dxx(u) = 1 on x = 1
  |               ^
  = help: expected 'circle', 'interface', 'segment', a part of the boundary like ∂hole, ∂Ω""",
    ),
    (
        "unclosed parenthesis",
        H2 + "Δu = sin(pi*x\nu = 0 on ∂Ω\n",
        """\
error: unexpected end of line
 --> <input>:3:14
  |
3 | Δu = sin(pi*x
  |              ^
  = help: expected ')', ','""",
    ),
    (
        "unclosed parenthesis at the end of the input",
        H2 + "Δu = sin(pi*x",
        """\
error: unexpected end of line
 --> <input>:3:14
  |
3 | Δu = sin(pi*x
  |              ^
  = help: expected ')', ','""",
    ),
    (
        "unclosed interval",
        "x in [0, 1\nfield u(x)\n",
        """\
error: unexpected end of line
 --> <input>:1:11
  |
1 | x in [0, 1
  |           ^
  = help: expected ')', ']'""",
    ),
    (
        "unclosed norm",
        H2 + "minimize ∫ |∇u^2\n",
        """\
error: unexpected end of line
 --> <input>:3:17
  |
3 | minimize ∫ |∇u^2
  |                 ^
  = help: expected '|'""",
    ),
    (
        "unmatched closing parenthesis",
        H1 + "Dxx(u) = 1)\n",
        """\
error: unexpected ')'
 --> <input>:3:11
  |
3 | Dxx(u) = 1)
  |           ^
  = help: expected 'at', 'in', 'on', 'weight', 'where', the end of the line""",
    ),
    (
        "unexpected character $",
        H2 + "Δu = $x\n",
        f"""\
error: unexpected character '$'
 --> <input>:3:6
  |
3 | Δu = $x
  |      ^
  = help: {EXPECTED_START}, Δ, ...""",
    ),
    (
        "unexpected character after a tab",
        H1 + "\tDxx(u) = $\n",
        f"""\
error: unexpected character '$'
 --> <input>:3:11
  |
3 |  Dxx(u) = $
  |           ^
  = help: {EXPECTED_START}, Δ, ...""",
    ),
    (
        "input ends after a line continuation",
        H1 + "Dxx(u) = 1 + \\",
        f"""\
error: the input ends in the middle of a statement
 --> <input>:3:15
  |
3 | Dxx(u) = 1 + \\
  |               ^
  = help: {EXPECTED_START}, Δ, ...""",
    ),
    (
        "undeclared name",
        H2 + "Δv = 1\n",
        """\
error: unknown name 'v'
 --> <input>:3:2
  |
3 | Δv = 1
  |  ^
  = help: declare it first (`field`, `const`, `let`, `unknown`, or `v in [a, b]`); names in scope: u, x, y, e, pi, π""",
    ),
    (
        "undeclared name with did-you-mean",
        H1 + "Dxx(u) = sin(pii*x)\n",
        """\
error: unknown name 'pii'
 --> <input>:3:14
  |
3 | Dxx(u) = sin(pii*x)
  |              ^^^
  = help: did you mean 'pi'? declare it first (`field`, `const`, `let`, `unknown`, or `pii in [a, b]`); names in scope: u, x, e, pi, π""",
    ),
    (
        "misspelt field with did-you-mean",
        "x in [0, 1]\nfield temp(x)\nDxx(tmp) = 1\n",
        """\
error: unknown name 'tmp'
 --> <input>:3:5
  |
3 | Dxx(tmp) = 1
  |     ^^^
  = help: did you mean 'temp'? declare it first (`field`, `const`, `let`, `unknown`, or `tmp in [a, b]`); names in scope: temp, x, e, pi, π""",
    ),
    (
        "undeclared name after Unicode operators",
        H2 + "Δu = ∂ₓ(u) + ∂ₓ(v)\n",
        """\
error: unknown name 'v'
 --> <input>:3:17
  |
3 | Δu = ∂ₓ(u) + ∂ₓ(v)
  |                 ^
  = help: declare it first (`field`, `const`, `let`, `unknown`, or `v in [a, b]`); names in scope: u, x, y, e, pi, π""",
    ),
    (
        "undeclared name with CRLF line ends",
        "x in [0, 1]\r\nfield u(x)\r\nDxx(w) = 1\r\n",
        """\
error: unknown name 'w'
 --> <input>:3:5
  |
3 | Dxx(w) = 1
  |     ^
  = help: declare it first (`field`, `const`, `let`, `unknown`, or `w in [a, b]`); names in scope: u, x, e, pi, π""",
    ),
    (
        "a form feed in a comment is not a line break",
        "# page one\x0cpage two\nx in [0, 1]\nfield u(x)\nDxx(v) = 1\n",
        """\
error: unknown name 'v'
 --> <input>:4:5
  |
4 | Dxx(v) = 1
  |     ^
  = help: declare it first (`field`, `const`, `let`, `unknown`, or `v in [a, b]`); names in scope: u, x, e, pi, π""",
    ),
    (
        "derivative with respect to an undeclared variable: Dz",
        H2 + "Dz(u) = 0\n",
        """\
error: derivative with respect to 'z', which is not a declared variable
 --> <input>:3:1
  |
3 | Dz(u) = 0
  | ^^
  = help: declared variables: x, y""",
    ),
    (
        "derivative with respect to an undeclared variable: D(u, x, z)",
        H2 + "D(u, x, z) = 0\n",
        """\
error: derivative with respect to 'z', which is not a declared variable
 --> <input>:3:9
  |
3 | D(u, x, z) = 0
  |         ^
  = help: declared variables: x, y""",
    ),
    (
        "derivative with respect to an undeclared variable: ∂_z",
        H2 + "∂_z(u) = 0\n",
        """\
error: derivative with respect to 'z', which is not a declared variable
 --> <input>:3:1
  |
3 | ∂_z(u) = 0
  | ^^^^^^
  = help: declared variables: x, y""",
    ),
    (
        "empty interval",
        "x in [1, 0]\nfield u(x)\nDxx(u) = 1\n",
        """\
error: the interval [1, 0] of 'x' is empty
 --> <input>:1:1
  |
1 | x in [1, 0]
  | ^^^^^^^^^^^
  = help: write the lower end first, e.g. `x in [0, 1]`""",
    ),
    (
        "a point is an empty interval",
        "x in [1, 1]\nfield u(x)\nDxx(u) = 1\n",
        """\
error: the interval [1, 1] of 'x' is empty
 --> <input>:1:1
  |
1 | x in [1, 1]
  | ^^^^^^^^^^^
  = help: write the lower end first, e.g. `x in [0, 1]`""",
    ),
    (
        "duplicate variable",
        "x in [0, 1]\nx in [0, 2]\nfield u(x)\nDxx(u) = 1\n",
        """\
error: 'x' is already declared (as a variable on line 1)
 --> <input>:2:1
  |
2 | x in [0, 2]
  | ^
  = help: choose another name, or remove one of the declarations""",
    ),
    (
        "duplicate field",
        H1 + "field u(x)\nDxx(u) = 1\n",
        """\
error: 'u' is already declared (as a field on line 2)
 --> <input>:3:7
  |
3 | field u(x)
  |       ^
  = help: choose another name, or remove one of the declarations""",
    ),
    (
        "field named like a variable",
        "x in [0, 1]\nfield x(x)\n",
        """\
error: 'x' is already declared (as a variable on line 1)
 --> <input>:2:7
  |
2 | field x(x)
  |       ^
  = help: choose another name, or remove one of the declarations""",
    ),
    (
        "built-in name redeclared",
        H1 + "const pi = 3\n",
        """\
error: 'pi' is a built-in name and cannot be redeclared
 --> <input>:3:7
  |
3 | const pi = 3
  |       ^^
  = help: choose another name""",
    ),
    (
        "field with an undeclared argument",
        "x in [0, 1]\nfield u(x, y)\nDxx(u) = 1\n",
        """\
error: 'y' is not a declared variable
 --> <input>:2:12
  |
2 | field u(x, y)
  |            ^
  = help: declare it before the field, e.g. `y in [0, 1]`""",
    ),
    (
        "exact for a variable",
        H1 + "Dxx(u) = 1\nexact x = 1\n",
        """\
error: 'x' is not a field
 --> <input>:4:7
  |
4 | exact x = 1
  |       ^
  = help: `exact` gives the reference solution of a declared field: `exact u = ...`""",
    ),
    (
        "exact for an undeclared name",
        H1 + "Dxx(u) = 1\nexact v = 1\n",
        """\
error: 'v' is not a field
 --> <input>:4:7
  |
4 | exact v = 1
  |       ^
  = help: `exact` gives the reference solution of a declared field: `exact u = ...`""",
    ),
    (
        "exact solution that uses a field",
        H1 + "Dxx(u) = 1\nexact u = 2*u\n",
        """\
error: an exact solution may not use fields
 --> <input>:4:11
  |
4 | exact u = 2*u
  |           ^^^
  = help: write it in the variables only""",
    ),
    (
        "face above the interval",
        H1 + "Dxx(u) = 1\nu = 0 at x = 2\n",
        """\
error: x = 2 is outside the interval [0, 1]
 --> <input>:4:14
  |
4 | u = 0 at x = 2
  |              ^
  = help: a condition `at x = a` needs 0 ≤ a ≤ 1""",
    ),
    (
        "face below the interval",
        "x in [-1, 1]\nfield u(x)\nDxx(u) = 1\nu = 0 at x = -1.5\n",
        """\
error: x = -1.5 is outside the interval [-1, 1]
 --> <input>:4:14
  |
4 | u = 0 at x = -1.5
  |              ^^^^
  = help: a condition `at x = a` needs -1 ≤ a ≤ 1""",
    ),
    (
        "face of an undeclared variable",
        H1 + "Dxx(u) = 1\nu = 0 at z = 1\n",
        """\
error: 'z' is not a declared variable
 --> <input>:4:10
  |
4 | u = 0 at z = 1
  |          ^
  = help: a face is named by a variable: `at x = 1`; declared variables: x""",
    ),
    (
        "negative weight",
        H1 + "Dxx(u) = 1 weight -5\n",
        """\
error: the weight -5 is negative
 --> <input>:3:19
  |
3 | Dxx(u) = 1 weight -5
  |                   ^^
  = help: weights must be zero or positive""",
    ),
    (
        "weight that depends on a field",
        H1 + "Dxx(u) = 1 weight u\n",
        """\
error: a weight is a number or a real expression of the variables
 --> <input>:3:19
  |
3 | Dxx(u) = 1 weight u
  |                   ^
  = help: write it in the variables, numbers and constants, e.g. `weight 1 + 10*x^2`; a weight that depends on \
the fields or unknowns would be trained too""",
    ),
    (
        "too few field arguments",
        H2 + "u(x) = 0\n",
        """\
error: 'u' takes 2 arguments, got 1
 --> <input>:3:1
  |
3 | u(x) = 0
  | ^^^^
  = help: it is declared as u(x, y)""",
    ),
    (
        "unknown function",
        H2 + "Δu = foo(x)\n",
        f"""\
error: unknown function 'foo'
 --> <input>:3:6
  |
3 | Δu = foo(x)
  |      ^^^
  = help: {FUNCTION_LIST}""",
    ),
    (
        "unknown function with did-you-mean",
        H2 + "Δu = sinn(x)\n",
        f"""\
error: unknown function 'sinn'
 --> <input>:3:6
  |
3 | Δu = sinn(x)
  |      ^^^^
  = help: did you mean 'sin'? {FUNCTION_LIST}""",
    ),
    (
        "vector where a scalar is expected",
        H2 + "∇u = 0\n",
        """\
error: one side of this equation is a vector of 2, the other a scalar
 --> <input>:3:6
  |
3 | ∇u = 0
  |      ^
  = help: write a vector of 2 components on both sides, e.g. (0, 0); or equate scalars: a component, \
dot(a, b), div(v), |v|""",
    ),
    (
        "vector literal where a scalar is expected",
        H2 + "Δu = (1, 2)\n",
        """\
error: one side of this equation is a scalar, the other a vector of 2
 --> <input>:3:1
  |
3 | Δu = (1, 2)
  | ^^
  = help: write a vector of 2 components on both sides, e.g. (0, 0); or equate scalars: a component, \
dot(a, b), div(v), |v|""",
    ),
    (
        "scalar where a vector is expected",
        H2 + "div(u) = 0\n",
        """\
error: expected a vector here, found a scalar
 --> <input>:3:5
  |
3 | div(u) = 0
  |     ^
  = help: write a vector as (a, b)""",
    ),
    (
        "vector plus scalar",
        H2 + "∇u + 1 = 0\n",
        """\
error: cannot add a vector of 2 and a scalar
 --> <input>:3:1
  |
3 | ∇u + 1 = 0
  | ^^^^^^
  = help: both sides of + and - must be scalars, or vectors of the same length""",
    ),
    (
        "minimize without an integral",
        H1 + "minimize u^2\n",
        """\
error: `minimize` takes a sum of integrals: ∫ f over Ω, ∮ g over the boundary
 --> <input>:3:10
  |
3 | minimize u^2
  |          ^^^
  = help: move every term inside an integral, e.g. `minimize ∫ (|∇u|^2/2 - f*u)`""",
    ),
    (
        "constant that is not a number",
        H1 + "const c = x\nDxx(u) = c\n",
        """\
error: a constant must be a number
 --> <input>:3:11
  |
3 | const c = x
  |           ^
  = help: use numbers, `pi`, `e` and constants declared with `const`""",
    ),
    (
        "data file that does not exist",
        H1 + 'Dxx(u) = 1\ndata "no such obs.csv"\n',
        f"""\
error: the data file 'no such obs.csv' does not exist (looked for {pathlib.Path.cwd() / "no such obs.csv"})
 --> <input>:4:1
  |
4 | data "no such obs.csv"
  | ^^^^^^^^^^^^^^^^^^^^^^
  = help: the path is relative to the problem file""",
    ),
    (
        "name starting with an underscore",
        "_x in [0, 1]\n",
        """\
error: names may not start with an underscore: '_x'
 --> <input>:1:1
  |
1 | _x in [0, 1]
  | ^^
  = help: choose a name that starts with a letter""",
    ),
    (
        "deeply nested parentheses",
        H1 + "Dxx(u) = " + "(" * 150 + "x" + ")" * 150 + "\n",
        f"""\
error: brackets nested more than 100 deep
 --> <input>:3:110
  |
3 | …{"(" * 80}…
  |  {" " * 40}^
  = help: split the expression with `let` definitions""",
    ),
]


@pytest.mark.parametrize(
    ("source", "message", "help"),
    [
        ("x in [0, 1]\n", "the problem declares no field", "declare the unknown function"),
        (H1, "the problem has no equation and nothing to minimize", "add an equation"),
    ],
    ids=["no field", "no terms"],
)
def test_whole_problem_errors_have_no_misleading_location(source, message, help):
    """What is missing has no line to point at: no caret, but what to add."""
    err = rendered(source)
    assert err.span is None
    assert err.message == message
    assert help in err.help
    assert "-->" not in err.render()


# (id, source, the text the caret must underline) for errors not pinned above
CARETS = [
    ("function arity", H2 + "Δu = sin(x, y)\n", "sin(x, y)"),
    ("too many field arguments", H1 + "u(x, x) = 0\n", "u(x, x)"),
    ("field argument twice", "x in [0, 1]\nfield u(x, x)\n", "x"),
    ("division by zero", H1 + "Dxx(u) = 1/0\n", "0"),
    ("term outside the integral", H1 + "minimize ∫ u^2 + u\n", "∫ u^2 + u"),
    ("backtick", H1 + "`Dxx(u)` = 1\n", "`"),
    ("interval end is a name", "x in [0, y]\nfield u(x)\nDxx(u) = 1\n", "y"),
    ("const calls code", H1 + 'const a = __import__("os")\n', '"os"'),
    ("Δ without a spatial variable", "t in [0, 1]\nfield u(t)\nΔu = 1\n", "Δu"),
    ("D with a number", H1 + "D(u, 2) = 0\n", "2"),
    ("field at a coordinate outside its interval", H1 + "u(2) = 0\n", "2"),
    ("derivative at a coordinate outside its interval", H1 + "Dx(u)(-0.5) = 0\n", "-0.5"),
    ("field inside a field's argument", H1 + "u(u) = 0\n", "u"),
    (
        "coordinates of an expression of fields with different arguments",
        H2 + "field v(x)\nDx(u*v)(0, 0) = 0\n",
        "Dx(u*v)",
    ),
    ("too few coordinates", H2 + "Dx(u)(0) = 0\n", "Dx(u)(0)"),
    ("integration variable already declared", H1 + "u = ∫(u(x), x, 0, 1)\n", "x"),
    ("integration variable is not a name", H1 + "u = ∫(u(s), 1, 0, 1)\n", "1"),
    ("integral with three parts", H1 + "u = ∫(u(s), s, 0)\n", "∫(u(s), s, 0)"),
    ("integral limit uses a field", H1 + "u = ∫(u(s), s, 0, u)\n", "u"),
    ("integration variable outside its integral", H1 + "u = ∫(u(s), s, 0, x) + s\n", "s"),
    ("domain integral inside an equation", H1 + "u = ∫ u\n", "u = ∫ u"),
    ("equation that holds for every field", H1 + "Dx(u(0)) = 0\n", "Dx(u(0)) = 0"),
    ("directional with the wrong length", H2 + "D[(1, 0, 0)](u) = 0\n", "(1, 0, 0)"),
    ("a name used as a function", H1 + "const c = 2\nDxx(u) = c(x)\n", "c"),
    ("unknown with a non-number value", H1 + "unknown k = x\nDxx(u) = k\n", "x"),
    ("second exact solution", H1 + "Dxx(u) = 1\nexact u = x\nexact u = x\n", "u"),
    ("U+2028 in a comment", "# a\u2028b\nx in [0, 1]\nfield u(x)\nDxx(u) = sinn(x)\n", "sinn"),
    ("U+0085 in a comment", "# a\x85b\nx in [0, 1]\nfield u(x)\nDxx(u) = 1 weight -1\n", "-1"),
]


def rendered(source: str) -> PinnError:
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse(source)
    return caught.value


def assert_located(err: PinnError, source: str, underlined: str | None = None) -> None:
    """The render has `--> <input>:L:C`, the line L, and a caret at column C."""
    assert err.span is not None, f"no location: {err.render()}"
    line, column = err.span.line, err.span.column
    lines = err.render().splitlines()
    assert lines[0] == f"error: {err.message}"
    assert lines[1] == f" --> <input>:{line}:{column}"
    # lines end at \n (and \r\n) only, as for the parser: not at \f, \x85 or U+2028
    text = source.split("\n")[line - 1].removesuffix("\r").expandtabs(1)
    number = str(line)
    assert lines[3].startswith(f"{number} | ")
    shown = lines[3][len(number) + 3 :]
    caret = lines[4]
    assert caret.startswith(f"{' ' * len(number)} | ")
    marks = caret[len(number) + 3 :]
    assert marks.lstrip(" ").rstrip("^") == "", caret
    start = len(marks) - len(marks.lstrip(" "))
    if len(text) <= 160:
        assert shown == text
        assert start == column - 1
    else:
        # a long line is shown as a window of it, with … where it was cut
        offset = 1 if shown.startswith("…") else 0
        window = shown[offset:].removesuffix("…")
        first = column - 1 - (start - offset)  # where the window must begin in the line
        assert len(window) < len(text) and text.startswith(window, first), shown
        text, start = text, column - 1
    if underlined is not None:
        assert text[start : start + len(marks.strip())] == underlined


@pytest.mark.parametrize(("source", "expected"), [(s, e) for _, s, e in GOLDEN], ids=[i for i, _, _ in GOLDEN])
def test_golden_error_message(source, expected):
    err = rendered(source)
    assert err.render() == expected
    assert str(err) == expected
    assert_located(err, source)


@pytest.mark.parametrize(("source", "underlined"), [(s, u) for _, s, u in CARETS], ids=[i for i, _, _ in CARETS])
def test_error_has_a_caret_under_the_spot(source, underlined):
    err = rendered(source)
    assert err.message
    assert_located(err, source, underlined)


@pytest.mark.parametrize("source", [s for _, s, _ in GOLDEN + CARETS], ids=[i for i, _, _ in GOLDEN + CARETS])
def test_every_error_says_what_to_do(source):
    """STYLE.md: every user-facing error carries ... the next step (a help line)."""
    err = rendered(source)
    assert err.help and err.help.strip(), err.render()
    assert err.render().endswith(f"  = help: {err.help}")


# Mistakes that only show in the mathematics (complex or infinite values, an integral
# where none belongs): compile must say so on the statement's line, like any error.
LATE = [
    ("complex const", H1 + "const a = sqrt(-1)\nDxx(u) = a\n", 3),
    ("complex weight", H1 + "Dxx(u) = 1 weight sqrt(-1)\n", 3),
    ("complex face", H1 + "Dxx(u) = 1\nu = 0 at x = sqrt(-1)\n", 4),
    ("complex interval end", "x in [0, sqrt(-1)]\nfield u(x)\nDxx(u) = 1\n", 1),
    ("complex value in an equation", H1 + "Dxx(u) = sqrt(-1)\n", 3),
    ("zero to a negative power", H1 + "Dxx(u) = 0^-1\n", 3),
    ("log of zero", H1 + "Dxx(u) = log(0)\n", 3),
    ("division by an expression that is zero", H1 + "Dxx(u) = (x - x)^-1\n", 3),
    ("nan", H1 + "Dxx(u) = 0*log(0)\n", 3),
    ("number that overflows", H1 + "Dxx(u) = 1e400\n", 3),
    ("integral inside an equation", H1 + "Dxx(u) = ∫ u\n", 3),
    ("boundary integral inside an equation", H1 + "Dxx(u) = ∮ u\n", 3),
]


@pytest.mark.parametrize(("source", "line"), [(s, n) for _, s, n in LATE], ids=[i for i, _, _ in LATE])
def test_late_errors_are_pinn_errors_with_a_location(source, line):
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.compile(source)
    err = caught.value
    assert_located(err, source)
    assert err.span.line == line


@pytest.mark.parametrize(
    "source",
    [
        H2 + "Δu = = 1\n",
        H2 + "Δu = $x\n",
        H2 + "Δv = 1\n",
        H2 + "Dz(u) = 0\n",
        "x in [1, 0]\nfield u(x)\nDxx(u) = 1\n",
        H2 + "Δu = foo(x)\n",
        H2 + "∇u = 0\n",
    ],
)
def test_error_names_the_file(source, tmp_path):
    path = tmp_path / "problem.pinn"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse_file(path)
    err = caught.value
    assert err.filename == str(path)
    assert f" --> {path}:{err.span.line}:{err.span.column}" in err.render()


# ---- non-UTF-8, huge and deep input -----------------------------------------------------

NOT_UTF8 = b"x in [0, 1]\nfield u(x)\nDxx(u) = \xff\n"


def test_non_utf8_file_is_a_pinn_error(tmp_path):
    path = tmp_path / "latin1.pinn"
    path.write_bytes(NOT_UTF8)
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse_file(path)
    err = caught.value
    assert "UTF-8" in err.message
    assert err.help
    assert str(path) in err.render()


def test_non_utf8_error_names_line_and_column(tmp_path):
    """The bad byte is on line 3, column 10: say so, as for every other error."""
    path = tmp_path / "latin1.pinn"
    path.write_bytes(NOT_UTF8)
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse_file(path)
    err = caught.value
    assert err.span is not None, err.render()
    assert (err.span.line, err.span.column) == (3, 10)
    assert f" --> {path}:3:10" in err.render()


def test_missing_file_is_a_pinn_error(tmp_path):
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse_file(tmp_path / "nothing.pinn")
    assert "cannot read" in caught.value.message
    assert caught.value.help


# Just under the parser's size limit (symbolic_pinn._limits.PROBLEM_CHARACTERS): big inputs
# that are still accepted must be handled quickly; larger ones get a clear error.
MB = 45_000


def test_input_over_the_size_limit_is_a_clear_error():
    from symbolic_pinn._limits import PROBLEM_CHARACTERS

    MAX_CHARACTERS = PROBLEM_CHARACTERS.default
    start = time.perf_counter()
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse(H1 + "Dxx(u) = 1  # " + "a" * (MAX_CHARACTERS + 1) + "\n")
    assert time.perf_counter() - start < 1
    assert "limit" in caught.value.message and caught.value.help


@pytest.mark.parametrize(
    "source",
    [
        H1 + "Dxx(u) = 1  # " + "a" * MB + "\n",
        H1 + "Dxx(u) =" + " " * MB + "1\n",
        H1 + "Dxx(u) = 1" + "\\\n" * (MB // 2) + "\n",
    ],
    ids=["45 kB comment", "45 kB of spaces", "45 kB of line continuations, one logical line"],
)
def test_a_1mb_line_that_is_fine(source):
    start = time.perf_counter()
    spec = symbolic_pinn.parse(source)
    assert len(spec.terms) == 1
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    ("source", "column"),
    [
        (H1 + "Dxx(u) = " + "a" * MB + "\n", 10),
        (H1 + "Dxx(u) = 1" + " " * MB + "$\n", MB + 11),
        (H1 + "Dxx(u) = " + "(" * (MB // 2) + "x" + ")" * (MB // 2) + "\n", 110),
        (H1 + "Dxx(u) = " + "9" * MB + "\n", 10),
    ],
    ids=["45 kB name", "45 kB then $", "45 kB of parentheses", "45 kB number"],
)
def test_a_1mb_line_that_is_wrong(source, column):
    start = time.perf_counter()
    err = rendered(source)
    assert time.perf_counter() - start < 10
    assert err.span is not None and (err.span.line, err.span.column) == (3, column)
    assert_located(err, source)


@pytest.mark.parametrize(
    "expression",
    ["-" * 10_000 + "x", "∂ₓ" * 5_000 + "u", "Δ" * 5_000 + "u", "x^" * 5_000 + "x", "sin(" * 100 + "x" + ")" * 100],
    ids=["10k unary minus", "5k ∂ₓ", "5k Δ", "5k powers", "100 nested sin"],
)
def test_deep_expressions_give_a_located_error_not_a_recursion_error(expression):
    source = H2 + "Δu = " + expression + "\n"
    try:
        symbolic_pinn.parse(source)
    except PinnError as err:
        assert_located(err, source)
        assert err.span.line == 3


# Inputs that might take forever: each runs in its own process, all at once, with a
# deadline, so a hang fails the test instead of hanging the suite.
SLOW_PROBES = {
    "45 kB expression": H1 + "Dxx(u) = " + "x+" * (MB // 2) + "1\n",
    "power tower in an equation": H1 + "Dxx(u) = 9^9^9\n",
    "power tower in a const": H1 + "const c = 9^9^9\nDxx(u) = c\n",
    "power tower in a weight": H1 + "Dxx(u) = 1 weight 9^9^9\n",
}
PROBE_DEADLINE = 20.0
PROBE = textwrap.dedent(
    """
    import json, sys
    import symbolic_pinn
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        symbolic_pinn.parse(text)
        print(json.dumps({"outcome": "ok"}))
    except symbolic_pinn.PinnError as err:
        span = err.span and [err.span.line, err.span.column]
        print(json.dumps({"outcome": "PinnError", "span": span, "message": err.message}))
    """
)


@pytest.fixture(scope="module")
def slow_probe_results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("probes")
    script = directory / "probe.py"
    script.write_text(PROBE)
    running = {}
    for i, (name, text) in enumerate(SLOW_PROBES.items()):
        path = directory / f"{i}.pinn"
        path.write_text(text, encoding="utf-8")
        running[name] = subprocess.Popen(
            [sys.executable, str(script), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
    deadline = time.monotonic() + PROBE_DEADLINE
    results = {}
    for name, process in running.items():
        try:
            out, err = process.communicate(timeout=max(0.1, deadline - time.monotonic()))
            results[name] = (process.returncode, out, err)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            results[name] = None
    return results


@pytest.mark.parametrize("name", list(SLOW_PROBES))
def test_no_input_hangs_or_crashes(name, slow_probe_results):
    result = slow_probe_results[name]
    assert result is not None, f"parse did not finish within {PROBE_DEADLINE:g} s"
    returncode, out, err = result
    assert returncode == 0, err[-2000:]
    outcome = json.loads(out)
    if outcome["outcome"] == "PinnError":
        assert outcome["span"] is not None and outcome["span"][0] == 3, outcome


# ---- fuzzing: random and mutated programs ----------------------------------------------

SEEDS = [BURGERS, INVERSE] + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.pinn"))]
ALPHABET = list("()[]|^*+-/=,;#\n\\ \t.0123456789exyutuvπΔ∇∂ₓ∫∮·_\"$'") + [
    "∂Ω",
    "∂_",
    "**",
    "Dx",
    "in",
    "on",
    "at",
    "weight",
]


def parse_or_pinn_error(text: str) -> None:
    try:
        symbolic_pinn.parse(text)
    except PinnError as err:
        out = err.render()
        assert out.startswith("error: ")
        if err.span is not None:
            assert f":{err.span.line}:{err.span.column}" in out


@st.composite
def mutated_programs(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(ALPHABET), st.text(min_size=1, max_size=3)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            text = text[:position] + piece + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 5)) :]
        else:
            text = text[:position] + piece + text[position + len(piece) :]
    return text


# derandomize: the same examples every run, so a failure is reproducible, not flaky
FUZZ = settings(max_examples=200, deadline=5000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@FUZZ
@given(st.text())
def test_random_text_gives_a_spec_or_a_pinn_error(text):
    parse_or_pinn_error(text)


@FUZZ
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_random_tokens_give_a_spec_or_a_pinn_error(text):
    parse_or_pinn_error(H2 + text)


@FUZZ
@given(mutated_programs())
def test_mutated_examples_give_a_spec_or_a_pinn_error(text):
    parse_or_pinn_error(text)


@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated_programs())
def test_mutated_examples_compile_or_give_a_pinn_error(text):
    """What parses also compiles (emit and load included), or says why not."""
    try:
        symbolic_pinn.compile(text)
    except PinnError:
        pass
