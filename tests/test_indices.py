"""Index notation: `x[1..d] in [a, b]`, `x[i]`, `sum(i, 1, d, f)`, `field u(x)`, Δ and ∇ over a family.

Every meaning is checked against the same problem written out by hand (x1, ..., xd), or
against SymPy built here; errors are located at the offending index; the 100-D example
compiles quickly to the forward Laplacian (one fused pass, not d nested derivatives).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn._errors import PinnError
from symbolic_pinn._frontend import syntax as ast
from symbolic_pinn._frontend.parse import parse_text


def symbols(d: int, name: str = "x") -> list[sympy.Symbol]:
    return [sympy.Symbol(f"{name}{i}", real=True) for i in range(1, d + 1)]


def written_out(d: int, body: str) -> str:
    """The problem with the family written out by hand: x1 in [0, 1], ..., field u(x1, ..., xd)."""
    names = [f"x{i}" for i in range(1, d + 1)]
    return "\n".join(f"{n} in [0, 1]" for n in names) + f"\nfield u({', '.join(names)})\n" + body


def terms(text: str) -> list[sympy.Expr]:
    return [t.expr for t in sp.parse(text).terms]


# ---- parsing --------------------------------------------------------------------------


def test_a_family_is_declared_with_a_range_of_indices():
    (decl,) = parse_text("x[1..100] in [0, 1]").statements
    assert isinstance(decl, ast.IndexedDecl)
    assert (decl.name.name, decl.first.value, decl.last.value, decl.lo.value, decl.hi.value) == ("x", 1, 100, 0, 1)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.", 1.0), (".5", 0.5), ("2.e3", 2000.0), ("1.5e-2", 0.015)],  # `..` must not take decimal points away
)
def test_decimal_points_still_read(text, value):
    (equation,) = parse_text(f"u = {text}").statements
    assert equation.rhs.value == value


def test_one_variable_of_a_family_and_a_range_of_them():
    program = parse_text("field u(x[2..5], t)\nu = x[i + 1]")
    field, equation = program.statements
    first, second = field.fields[0].args
    assert isinstance(first, ast.IndexRange) and (first.first.value, first.last.value) == (2, 5)
    assert isinstance(second, ast.Name) and second.name == "t"
    assert isinstance(equation.rhs, ast.Index) and isinstance(equation.rhs.index, ast.BinOp)


# ---- meaning ----------------------------------------------------------------------------


def test_the_family_is_its_variables_named_x1_to_xd():
    spec = sp.parse("x[1..3] in [0, 2]\nt in [0, 1]\nfield u(x, t)\nDt(u) = x[2] + x3\nu = 0 on ∂Ω\nu = 0 at t = 0")
    assert [(v.name, lo, hi) for v, lo, hi in spec.variables] == [("x1", 0, 2), ("x2", 0, 2), ("x3", 0, 2), ("t", 0, 1)]
    (u,) = spec.fields
    x1, x2, x3 = symbols(3)
    assert u.args == (x1, x2, x3, sympy.Symbol("t", real=True))
    assert spec.terms[0].expr == sympy.Derivative(u, u.args[3]) - x2 - x3


def test_field_of_part_of_a_family():
    (u,) = sp.parse("x[1..4] in [0, 1]\nfield u(x[2..3])\nu = 1").fields
    assert u.args == tuple(symbols(4)[1:3])


@pytest.mark.parametrize(
    ("indexed", "by_hand"),
    [
        ("Δu = 1", "Δu = 1"),
        ("sum(i, 1, 3, D(u, x[i], x[i])) = 1", "Δu = 1"),
        ("|∇u|^2 = |x|^2", "D(u, x1)^2 + D(u, x2)^2 + D(u, x3)^2 = x1^2 + x2^2 + x3^2"),
        ("u = sum(i, 1, 3, x[i]^2)", "u = x1^2 + x2^2 + x3^2"),
        ("u = dot(x, x)", "u = x1^2 + x2^2 + x3^2"),
        ("u = sum(i, 1, 3, sum(j, 1, i, x[j]))", "u = 3*x1 + 2*x2 + x3"),  # an inner bound from the outer index
        ("u = sum(i, 1, n - 1, x[i]*x[i + 1])", "u = x1*x2 + x2*x3"),  # bounds and indices from a const
        ("u = sum(i, 1, 3, D(u, x[i]) * x[4 - i])", "u = D(u, x1)*x3 + D(u, x2)*x2 + D(u, x3)*x1"),
    ],
)
def test_index_notation_means_the_problem_written_out(indexed, by_hand):
    text = "x[1..3] in [0, 1]\nfield u(x)\nconst n = 3\n" + indexed + "\nu = 0 on ∂Ω\n"
    hand = written_out(3, "const n = 3\n" + by_hand + "\nu = 0 on ∂Ω\n")
    assert sympy.expand(terms(text)[0] - terms(hand)[0]) == 0


def test_the_index_is_a_whole_number_only_inside_its_sum():
    # outside the sum, i is the imaginary unit again (a complex equation, refused)
    with pytest.raises(PinnError, match="imaginary part"):
        sp.parse("x[1..2] in [0, 1]\nfield u(x)\nu = sum(i, 1, 2, x[i]) + i")


def test_a_user_function_does_not_see_the_index_of_the_sum_around_its_call():
    text = "x[1..2] in [0, 1]\nfield u(x)\nlet g(s) = s*s\nu = sum(i, 1, 2, g(x[i]))"
    assert sympy.expand(terms(text)[0] - terms(written_out(2, "u = x1^2 + x2^2"))[0]) == 0


# ---- located errors -----------------------------------------------------------------------

H = "x[1..3] in [0, 1]\nfield u(x)\n"


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        (H + "Δu = x[4]", "index 4 is outside the range 1..3", 3, 8),
        (H + "Δu = x[0]", "index 0 is outside the range 1..3", 3, 8),
        (H + "Δu = sum(i, 1, 4, x[i])", "index 4 is outside the range 1..3", 3, 21),
        (H + "Δu = x[i]", "neither the index of an enclosing sum nor a `const`", 3, 8),
        (H + "Δu = x[1.5]", "must be a whole number, got 1.5", 3, 8),
        (H + "Δu = Dx(u)", "names the 3 variables x[1], ..., x[3]", 3, 6),
        (H + "Δu = D(u, x)", "names the 3 variables", 3, 11),
        (H + "Δu = sum(i, 1, 3, Dxx(u, x[i]))", "Dxx takes one argument", 3, 19),
        (H + "Δu = sum(i, 3, 1, x[i])", "the sum from 3 to 1 has no terms", 3, 6),
        (H + "Δu = sum(x, 1, 3, 1)", "already a name in scope", 3, 10),
        (H + "Δu = sum(i, 1, 3)", "sum takes 4 arguments", 3, 6),
        (H + "Δu = sum(i, 1, 2.5, 1)", "must be a whole number", 3, 16),
        (H + "Δu = y[1]", "'y' is not a family of variables", 3, 6),
        ("x[1..3] in [0, 1]\nfield u(x[1..4])\nu = 1", "index 4 is outside the range 1..3", 2, 14),
        ("x[3..1] in [0, 1]\nfield u(x)\nu = 1", "do not count up from a whole number", 1, 1),
        ("x[1..3] in [1, 0]\nfield u(x)\nu = 1", "is empty", 1, 1),
        ("x2 in [0, 1]\nx[1..3] in [0, 1]\nfield u(x)\nu = 1", "x[2] is the variable named x2", 2, 1),
    ],
)
def test_errors_are_located(text, message, line, column):
    with pytest.raises(PinnError) as caught:
        sp.parse(text)
    assert message in caught.value.message
    assert (caught.value.span.line, caught.value.span.column) == (line, column)


def test_a_huge_sum_is_refused_before_it_is_written_out():
    started = time.perf_counter()
    with pytest.raises(PinnError, match="this sum written out") as caught:
        sp.parse(H + "u = sum(i, 1, 3, sum(j, 1, 1000000, x[i]))")
    assert "SYMBOLIC_PINN_MAX_INLINED_SIZE" in caught.value.help and "fewer terms" in caught.value.help
    assert time.perf_counter() - started < 2


def test_too_many_variables_are_refused_at_the_declaration(monkeypatch):
    with pytest.raises(PinnError, match="the number of variables is 1,001") as caught:
        sp.parse("x[1..1001] in [0, 1]\nfield u(x)\nu = 1")
    assert "SYMBOLIC_PINN_MAX_VARIABLES" in caught.value.help
    monkeypatch.setenv("SYMBOLIC_PINN_MAX_VARIABLES", "2")
    with pytest.raises(PinnError, match="the number of variables is 3"):
        sp.parse(H + "u = 1")


# ---- the generated module ------------------------------------------------------------------

D = 5
MANUFACTURED = f"""
x[1..{D}] in [0, 1]
field u(x)
-Δu = pi^2*sum(i, 1, {D}, sin(pi*x[i]))
u = sum(i, 1, {D}, sin(pi*x[i])) on ∂Ω
"""


@pytest.fixture(scope="module")
def manufactured():
    return sp.compile(MANUFACTURED, hard_constraints=False)


def test_a_manufactured_solution_makes_the_residual_vanish(x64, manufactured):
    residual = manufactured.module.residual_pde
    rng = np.random.default_rng(3)
    points = [jnp.asarray(rng.random(64)) for _ in range(D)]

    def exact(*xs):  # written here, independently of the problem's text
        return sum(jnp.sin(jnp.pi * x) for x in xs)

    def wrong(*xs):
        return 1.01 * exact(*xs)

    at = jax.jit(lambda *xs: jnp.stack([residual(exact, *xs), residual(wrong, *xs)]))
    right, off = np.asarray(at(*points))
    assert np.max(np.abs(right)) < 1e-10
    assert np.max(np.abs(off)) > 1e-2  # the check can fail


def test_the_100_dimensional_example_compiles_to_the_forward_laplacian(examples_dir):
    started = time.perf_counter()
    compiled = sp.compile(sp.parse_file(examples_dir / "poisson_100d.pinn"), hard_constraints=False)
    seconds = time.perf_counter() - started
    plan = compiled.format_plan()
    assert "lap_u = u_x1_x1 + u_x2_x2" in plan and "u_x100_x100" in plan
    assert "one fused pass of u_fn" in plan  # the Laplacian in one pass, not 100 nested derivatives
    assert seconds < 30, f"compiling the 100-D example took {seconds:.1f} s"
