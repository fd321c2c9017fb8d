"""Derivatives in the generated code agree with SymPy's own differentiation.

The generated residual of a term takes each field as a *function*, so a closed-form
function can stand in for the network.  Here the closed forms are random SymPy
expressions (sums, products and compositions of sin, cos, exp, tanh and polynomials),
handed to the residual through ``sympy.lambdify(..., "jax")``; the reference is
``sympy.diff`` of the same expression, evaluated with NumPy at the same points.  The
two paths share nothing but the expression: the compiler differentiates the network
function in nested forward mode, SymPy differentiates the formula.

Everything runs in float64 (``jax.enable_x64`` inside the test body, because
hypothesis and function-scoped fixtures do not mix).
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symbolic_pinn as sp

X, Y, T = (sympy.Symbol(name, real=True) for name in "xyt")
INTERVALS = {"x": (-1, 1), "y": (-1, 1), "t": (0, 1)}
RTOL = 1e-8  # of max |reference|, or absolute when the reference is below 1 (float64 gives ~1e-13)
N_POINTS = 24

# ---- helpers ----------------------------------------------------------------------


def declarations(names) -> str:
    return "; ".join(f"{n} in [{INTERVALS.get(n, (-1, 1))[0]}, {INTERVALS.get(n, (-1, 1))[1]}]" for n in names)


def random_points(module, seed: int, n: int = N_POINTS) -> dict[str, np.ndarray]:
    """Uniform random points in the box of the generated module's DOMAIN."""
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(lo, hi, n) for name, (lo, hi) in module.DOMAIN.items()}


def term_function(module, term: str):
    return getattr(module, f"residual_{term}", None) or getattr(module, f"integrand_{term}")


def call_terms(module, terms, fields: dict, points: dict, unknowns: dict | None = None) -> dict[str, np.ndarray]:
    """Evaluate ``residual_<term>`` (or ``integrand_<term>``) of several terms at the points.

    Arguments are matched by the names in the generated signature: ``<field>_fn`` for
    each field, then unknowns, then the coordinates.  All terms run in one jit.
    """
    fixed = {f"{name}_fn": f for name, f in fields.items()}
    fixed.update({name: jnp.asarray(v, dtype=jnp.float64) for name, v in (unknowns or {}).items()})
    coords = list(module.DOMAIN)
    signatures = {}
    for term in terms:
        fn = term_function(module, term)
        names = list(inspect.signature(fn).parameters)
        missing = [n for n in names if n not in fixed and n not in coords]
        assert not missing, f"cannot match parameters {missing} of {fn.__name__}{inspect.signature(fn)}"
        signatures[term] = (fn, names)

    def run(*xs):
        env = dict(fixed, **dict(zip(coords, xs)))
        return {term: fn(*[env[n] for n in names]) for term, (fn, names) in signatures.items()}

    out = jax.jit(run)(*[jnp.asarray(points[c], dtype=jnp.float64) for c in coords])
    for term, value in out.items():
        assert value.dtype == jnp.float64, f"{term}: {value.dtype}"
    return {term: np.asarray(value) for term, value in out.items()}


def call_term(module, term: str, fields: dict, points: dict, unknowns: dict | None = None) -> np.ndarray:
    return call_terms(module, [term], fields, points, unknowns)[term]


def reference(expr: sympy.Expr, symbols, points: dict) -> np.ndarray:
    """A SymPy expression evaluated by NumPy at the points (broadcast to their shape)."""
    n = len(next(iter(points.values())))
    value = sympy.lambdify(symbols, expr, "numpy")(*[points[s.name] for s in symbols])
    return np.broadcast_to(np.asarray(value, dtype=float), (n,))


@functools.lru_cache(maxsize=256)
def partial_derivative(expr: sympy.Expr, symbols: tuple, alpha: tuple[int, ...]) -> sympy.Expr:
    """∂^alpha expr by sympy.diff, one order at a time, remembering the lower orders."""
    if not any(alpha):
        return expr
    last = max(i for i, k in enumerate(alpha) if k)
    parent = alpha[:last] + (alpha[last] - 1,) + alpha[last + 1 :]
    return sympy.diff(partial_derivative(expr, symbols, parent), symbols[last])


def jax_function(expr: sympy.Expr, symbols):
    """The closed form as a JAX function of coordinate arrays, standing in for a network."""
    return sympy.lambdify(symbols, expr, "jax")


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    assert np.all(np.isfinite(want)), f"{what}: the reference is not finite (bad test function)"
    scale = max(1.0, float(np.max(np.abs(want))))
    error = float(np.max(np.abs(got - want)))
    assert error <= RTOL * scale, (
        f"{what}: max |generated - sympy| = {error:.3e} > {RTOL:g} * {scale:.3e}\n"
        f"generated {got[:4]}...\nsympy     {want[:4]}..."
    )


# ---- strategies -------------------------------------------------------------------

_NUMERATORS = st.sampled_from([-3, -2, -1, 1, 2, 3])
_DENOMINATORS = st.sampled_from([1, 2, 3, 4])
_UNARY = {"sin": sympy.sin, "cos": sympy.cos, "exp": sympy.exp, "tanh": sympy.tanh}


@st.composite
def coefficients(draw):
    return sympy.Rational(draw(_NUMERATORS), draw(_DENOMINATORS))


@st.composite
def linear_forms(draw, variables, every=False):
    """c0 + Σ ci*vi, over every variable or a non-empty subset."""
    chosen = variables if every else draw(st.lists(st.sampled_from(variables), min_size=1, unique=True))
    constant = draw(st.one_of(st.just(0), coefficients()))
    return constant + sum(draw(coefficients()) * v for v in chosen)


@st.composite
def polynomials(draw, variables):
    """1–3 monomials of total degree 1–4."""
    total = 0
    for _ in range(draw(st.integers(1, 3))):
        powers = draw(multi_indices(len(variables), max_order=4, min_order=1))
        total += draw(coefficients()) * sympy.Mul(*(v**k for v, k in zip(variables, powers)))
    return total


@st.composite
def expressions(draw, variables, depth):
    """Sums, products and compositions of sin, cos, exp, tanh and polynomials."""
    if depth == 0:
        return draw(st.one_of(linear_forms(variables), polynomials(variables)))
    kind = draw(st.sampled_from(["leaf", "unary", "unary", "add", "mul", "mul"]))
    if kind == "leaf":
        return draw(expressions(variables, 0))
    if kind == "unary":
        name = draw(st.sampled_from(sorted(_UNARY)))
        # exp only of a polynomial, so that values stay moderate
        inner = draw(expressions(variables, 0 if name == "exp" else depth - 1))
        return _UNARY[name](inner)
    a, b = draw(expressions(variables, depth - 1)), draw(expressions(variables, depth - 1))
    return a + b if kind == "add" else a * b


@st.composite
def smooth_functions(draw, variables, depth=2):
    """A random closed form that depends on every variable through all its mixed derivatives.

    The base f(c·v) with every ci ≠ 0 keeps every mixed derivative generically non-zero,
    so a wrong multi-index or a wrong variable cannot agree with the reference by luck.
    """
    base = _UNARY[draw(st.sampled_from(sorted(_UNARY)))](draw(linear_forms(variables, every=True)) / 2)
    return base + draw(expressions(variables, depth))


@st.composite
def multi_indices(draw, n, max_order=4, min_order=0):
    """n non-negative orders with min_order ≤ their sum ≤ max_order, built directly: filtering
    uniform draws discarded most of them in 3-D (Hypothesis' filter_too_much health check)."""
    alpha = [0] * n
    for _ in range(draw(st.integers(min_order, max_order))):
        alpha[draw(st.integers(0, n - 1))] += 1
    return alpha


SPELLINGS = ("D", "subscripts", "partial_underscore", "partial_unicode", "nested")
_SUBSCRIPT = {"x": "ₓ", "t": "ₜ"}


def spell(expr_text: str, letters: list[str], style: str) -> str:
    """A derivative of ``expr_text`` along ``letters`` in one of the language's spellings."""
    if not letters:
        return expr_text
    word = "".join(letters)
    if style == "D":
        return f"D({expr_text}, {', '.join(letters)})"
    if style == "subscripts":
        return f"D{word}({expr_text})"
    if style == "partial_underscore":
        return f"∂_{word}({expr_text})"
    if style == "partial_unicode":
        if all(ch in _SUBSCRIPT for ch in letters):
            return "∂" + "".join(_SUBSCRIPT[ch] for ch in letters) + f"({expr_text})"
        return f"∂{word}({expr_text})"
    if style == "nested":
        text = expr_text
        for letter in reversed(letters):
            text = f"D{letter}({text})"
        return text
    raise ValueError(style)


@st.composite
def derivative_spellings(draw, symbols, alpha, expr_text="u"):
    """The problem text of ∂^alpha of ``expr_text``: letters in a random order, a random spelling."""
    letters = [s.name for s, k in zip(symbols, alpha) for _ in range(k)]
    letters = draw(st.permutations(letters)) if letters else []
    return spell(expr_text, list(letters), draw(st.sampled_from(SPELLINGS)))


def problem_text(symbols, *equations: str) -> str:
    """Variables, `field u(<all variables>)`, and the equations, one a line."""
    names = [s.name for s in symbols]
    return f"{declarations(names)}\nfield u({', '.join(names)})\n" + "\n".join(equations)


def check_single_derivatives(symbols, expr, cases, seed, taylor_from_order=None):
    """One problem with an equation `<derivative> = 0` per case; each residual against SymPy.

    ``taylor_from_order`` switches on Taylor-mode jets for high pure derivatives.
    """
    problem = problem_text(symbols, *(f"{text} = 0" for _, text in cases))
    compiled = sp.compile(problem, taylor_from_order=taylor_from_order)
    terms = list(compiled.module.WEIGHTS)
    assert len(terms) == len(cases) and all(compiled.module.REGIONS[t] == ("interior",) for t in terms)
    points = random_points(compiled.module, seed)
    got = call_terms(compiled.module, terms, {"u": jax_function(expr, symbols)}, points)
    for term, (alpha, text) in zip(terms, cases):
        want = reference(partial_derivative(expr, symbols, alpha), symbols, points)
        assert_close(got[term], want, f"{text} (multi-index {alpha}) of u = {expr}")


# ---- one derivative, any multi-index up to order 4 ---------------------------------


@st.composite
def single_derivative_cases(draw, symbols, per_problem=3):
    """A random function and a few random multi-indices, each in a random spelling."""
    expr = draw(smooth_functions(list(symbols)))
    cases = []
    for _ in range(per_problem):
        alpha = tuple(draw(multi_indices(len(symbols))))
        cases.append((alpha, draw(derivative_spellings(symbols, alpha))))
    return expr, cases


@settings(max_examples=12, deadline=None)
@given(case=single_derivative_cases((X, Y)), seed=st.integers(0, 2**32 - 1))
@example(
    case=(
        sympy.sin(X + 2 * Y) * sympy.exp(X * Y / 2),
        [((2, 2), "D(u, x, x, y, y)"), ((3, 1), "Dxyxx(u)"), ((1, 3), "Dyx(Dyy(u))")],
    ),
    seed=0,
)
@example(
    case=(
        sympy.tanh(X - Y / 2) + X**3 * Y**2 + sympy.cos(X * sympy.exp(Y) / 2),
        [((0, 4), "∂_yyyy(u)"), ((4, 0), "∂ₓₓₓₓ(u)"), ((0, 0), "u"), ((1, 1), "∂xy(u)")],
    ),
    seed=1,
)
def test_derivative_of_a_random_function_in_2d(case, seed):
    expr, cases = case
    with jax.enable_x64(True):
        check_single_derivatives((X, Y), expr, cases, seed)
        # the same derivatives with Taylor-mode jets for pure orders ≥ 3
        check_single_derivatives((X, Y), expr, cases, seed, taylor_from_order=3)


@settings(max_examples=8, deadline=None)
@given(case=single_derivative_cases((X, Y, T)), seed=st.integers(0, 2**32 - 1))
@example(
    case=(
        sympy.sin(X - Y + 2 * T) * sympy.tanh(X * T) + X * Y**2 * T + sympy.exp((X + Y + T) / 2) * sympy.cos(Y * T),
        [
            ((1, 1, 1), "D(u, x, y, t)"),
            ((1, 2, 1), "Dtyxy(u)"),
            ((2, 0, 2), "∂ₜₓₜₓ(u)"),
            ((0, 1, 3), "∂_ttty(u)"),
        ],
    ),
    seed=0,
)
def test_derivative_of_a_random_function_in_3d(case, seed):
    expr, cases = case
    with jax.enable_x64(True):
        check_single_derivatives((X, Y, T), expr, cases, seed)


# ---- several derivatives in one term: the planner shares jvp passes ------------------


@st.composite
def derivative_polynomials(draw, symbols):
    """A sum of 1–4 monomials c·∂^a u·∂^b u·...: (text, multi-indices of each monomial, coefficients).

    Multi-indices come from a small pool (orders ≤ 3) so that parents and children —
    u and u_x, u_x and u_xx, u_x and u_xy — often meet in one term.
    """
    pool = [alpha for alpha in np.ndindex(*(4,) * len(symbols)) if sum(alpha) <= 3]
    monomials = draw(st.lists(st.lists(st.sampled_from(pool), min_size=1, max_size=3), min_size=1, max_size=4))
    coefs = [draw(st.integers(1, 5)) * draw(st.sampled_from([1, -1])) for _ in monomials]
    parts = []
    for c, factors in zip(coefs, monomials):
        spelled = []
        for alpha in factors:
            letters = [s.name for s, k in zip(symbols, alpha) for _ in range(k)]
            spelled.append(spell("u", letters, draw(st.sampled_from(SPELLINGS))))
        parts.append(f"{c}*" + "*".join(spelled))
    return " + ".join(parts), monomials, coefs


def check_polynomial(symbols, expr, text, monomials, coefs, seed, rhs="0", rhs_expr=0):
    compiled = sp.compile(problem_text(symbols, f"{text} = {rhs}"))
    points = random_points(compiled.module, seed)
    got = call_term(compiled.module, "pde", {"u": jax_function(expr, symbols)}, points)
    want_expr = -rhs_expr
    for c, factors in zip(coefs, monomials):
        want_expr += c * sympy.Mul(*(partial_derivative(expr, symbols, tuple(a)) for a in factors))
    assert_close(got, reference(want_expr, symbols, points), f"{text} of u = {expr}")
    return compiled


@settings(max_examples=12, deadline=None)
@given(
    expr=smooth_functions([X, Y]),
    poly=derivative_polynomials((X, Y)),
    seed=st.integers(0, 2**32 - 1),
)
def test_products_of_derivatives_in_2d(expr, poly, seed):
    text, monomials, coefs = poly
    with jax.enable_x64(True):
        check_polynomial((X, Y), expr, text, monomials, coefs, seed)


@settings(max_examples=8, deadline=None)
@given(
    expr=smooth_functions([X, Y, T]),
    poly=derivative_polynomials((X, Y, T)),
    seed=st.integers(0, 2**32 - 1),
)
def test_products_of_derivatives_in_3d(expr, poly, seed):
    text, monomials, coefs = poly
    with jax.enable_x64(True):
        check_polynomial((X, Y, T), expr, text, monomials, coefs, seed)


U_2D = sympy.sin(1.3 * X - 0.7 * Y) * sympy.exp(X * Y / 2) + X**3 * Y**2 - sympy.tanh(X + 2 * Y)
U_3D = sympy.sin(1.3 * X - 0.7 * Y + 0.4 * T) * sympy.exp(X * Y * T / 2) + X**3 * Y**2 * T - sympy.tanh(X + 2 * Y - T)


def residual_source(compiled, term: str = "pde") -> str:
    source = compiled.source
    start = source.index(f"def residual_{term}(")
    return source[start : source.index("\n\n", start)]


def shared_passes(function: str) -> list[str]:
    """Lines of a generated residual where one pass at the points yields two or more values."""
    shared = []
    for line in function.splitlines():
        match = re.match(r"^\s+(.+?) = \w+\(.*\)\(.*\)$", line)
        if match and len([n for n in re.findall(r"\w+", match.group(1)) if n != "_"]) >= 2:
            shared.append(line.strip())
    return shared


@pytest.mark.parametrize(
    "symbols, text, monomials, coefs, jvp_pairs",
    [
        # u_y with its parent u, u_xx and u_xy both from u_x
        ((X, Y), "Dxx(u)*Dy(u) + u*Dxy(u)", [[(2, 0), (0, 1)], [(0, 0), (1, 1)]], [1, 1], 0),
        # the chain u, u_x, u_xx in one term
        ((X, Y), "u*Dx(u) + Dxx(u)", [[(0, 0), (1, 0)], [(2, 0)]], [1, 1], 0),
        ((X, Y), "Dxx(u) + Dx(u) + u", [[(2, 0)], [(1, 0)], [(0, 0)]], [1, 1, 1], 0),
        # a long chain and a branch: u_x, u_xx, u_xxx, u_xxxx from one jet along x, and u_xxy
        (
            (X, Y),
            "Dxxxx(u) + Dxxx(u)*Dxx(u) - Dx(u)*Dxxy(u)",
            [[(4, 0)], [(3, 0), (2, 0)], [(1, 0), (2, 1)]],
            [1, 1, -1],
            0,
        ),
        # no pure second derivative: parent/child pairs by value_and_derivative only
        ((X, Y), "Dx(u)*Dxy(u) + u*Dy(u)", [[(1, 0), (1, 1)], [(0, 0), (0, 1)]], [1, 1], 2),
        ((X, Y), "Dxyy(u) + Dxy(u)*Dx(u)*u", [[(1, 2)], [(1, 1), (1, 0), (0, 0)]], [1, 1], 2),
        # Burgers-like with a mixed third derivative, in (x, y, t)
        (
            (X, Y, T),
            "Dt(u) + u*Dx(u) - Dxx(u) + Dxyt(u)*Dxy(u)",
            [[(0, 0, 1)], [(0, 0, 0), (1, 0, 0)], [(2, 0, 0)], [(1, 1, 1), (1, 1, 0)]],
            [1, 1, -1, 1],
            1,
        ),
        ((X, Y, T), "Dxt(u)*Dt(u) + Dxyt(u) + u", [[(1, 0, 1), (0, 0, 1)], [(1, 1, 1)], [(0, 0, 0)]], [1, 1, 1], 1),
    ],
    ids=["mixed", "chain", "chain-sum", "long-chain", "pairs", "pairs-chain", "3d", "3d-pairs"],
)
def test_shared_derivatives(x64, symbols, text, monomials, coefs, jvp_pairs):
    """Terms where one pass yields several derivatives (a jvp's primal and tangent, or a
    fused value/gradient/second-order pass): the values are still right."""
    expr = U_2D if len(symbols) == 2 else U_3D
    compiled = check_polynomial(symbols, expr, text, monomials, coefs, seed=7)
    # the sharing this test is about really happens: some pass yields several values,
    # at least `jvp_pairs` of them value_and_derivative pairs, and every derivative
    # function (u_x_fn, ...) is defined once however many derivatives build on it
    function = residual_source(compiled)
    assert shared_passes(function), function
    assert function.count("value_and_derivative(") >= jvp_pairs, function
    defined = re.findall(r"^\s+(\w+_fn) = derivative\(", function, flags=re.MULTILINE)
    assert len(defined) == len(set(defined)), function


@pytest.mark.parametrize("seed", [0, 1])
def test_right_hand_side_and_both_sides(x64, seed):
    """Derivatives on both sides of `=`: the residual is lhs − rhs."""
    text = "Dxy(u) + Dx(u)*u"
    monomials, coefs = [[(1, 1)], [(1, 0), (0, 0)]], [1, 1]
    rhs_expr = sympy.diff(U_2D, Y, 2) - X
    compiled = check_polynomial((X, Y), U_2D, text, monomials, coefs, seed, rhs="Dyy(u) - x", rhs_expr=rhs_expr)
    assert "u_yy" in compiled.source


# ---- derivatives of expressions: the chain rule -------------------------------------

OUTER = {
    "u^2": lambda f: f**2,
    "sin(u)": sympy.sin,
    "exp(u/2)*x": lambda f: sympy.exp(f / 2) * X,
    "u*Dy(u)": lambda f: f * sympy.diff(f, Y),
    "sqrt(1 + u^2)": lambda f: sympy.sqrt(1 + f**2),
    "tanh(u)*y - u^3": lambda f: sympy.tanh(f) * Y - f**3,
    "Dx(u)/(1 + u^2)": lambda f: sympy.diff(f, X) / (1 + f**2),
    "(2 + u^2)^(-1/2) - 2^Dy(u)": lambda f: (2 + f**2) ** sympy.Rational(-1, 2) - 2 ** sympy.diff(f, Y),
}


@settings(max_examples=10, deadline=None)
@given(
    expr=smooth_functions([X, Y], depth=1),
    outer=st.sampled_from(sorted(OUTER)),
    alpha=multi_indices(2, max_order=2, min_order=1),
    data=st.data(),
)
def test_derivative_of_an_expression(expr, outer, alpha, data):
    """`Dxy(u^2)`: SymPy's chain rule in the checker, then forward mode in the generated code."""
    text = data.draw(derivative_spellings((X, Y), alpha, expr_text=outer))
    with jax.enable_x64(True):
        compiled = sp.compile(f"{declarations('xy')}\nfield u(x, y)\n{text} = 0")
        points = random_points(compiled.module, 11)
        got = call_term(compiled.module, "pde", {"u": jax_function(expr, (X, Y))}, points)
        want = reference(sympy.diff(OUTER[outer](expr), X, alpha[0], Y, alpha[1]), (X, Y), points)
        assert_close(got, want, f"{text} of u = {expr}")


# ---- vector operators ---------------------------------------------------------------


def _d(f, *args):
    return sympy.diff(f, *args)


OPERATORS = {
    "Δu": lambda f: _d(f, X, 2) + _d(f, Y, 2),  # t is not spatial
    "Δ(u)": lambda f: _d(f, X, 2) + _d(f, Y, 2),
    "laplace(u)": lambda f: _d(f, X, 2) + _d(f, Y, 2),
    "Dt(u) - Δu": lambda f: _d(f, T) - _d(f, X, 2) - _d(f, Y, 2),
    "div(grad(u))": lambda f: _d(f, X, 2) + _d(f, Y, 2),
    "div(∇u)": lambda f: _d(f, X, 2) + _d(f, Y, 2),
    "|∇u|^2": lambda f: _d(f, X) ** 2 + _d(f, Y) ** 2,
    "dot(∇u, (y, -x))": lambda f: Y * _d(f, X) - X * _d(f, Y),
    "D[(1, 2)](u)": lambda f: _d(f, X) + 2 * _d(f, Y),
    "div((u*Dx(u), Dt(u)))": lambda f: _d(f * _d(f, X), X) + _d(f, T, Y),
    "Δ(Δu)": lambda f: _d(f, X, 4) + 2 * _d(f, X, 2, Y, 2) + _d(f, Y, 4),
    "Dt(Δu) + u*Δ(Dx(u))": lambda f: _d(f, T, X, 2) + _d(f, T, Y, 2) + f * (_d(f, X, 3) + _d(f, X, Y, 2)),
}


@functools.cache
def _operator_residuals():
    """All operator equations in one problem, evaluated in one jit (float64)."""
    with jax.enable_x64(True):
        texts = list(OPERATORS)
        compiled = sp.compile(f"{declarations('xyt')}\nfield u(x, y, t)\n" + "\n".join(f"{t} = 0" for t in texts))
        terms = list(compiled.module.WEIGHTS)
        points = random_points(compiled.module, 5)
        got = call_terms(compiled.module, terms, {"u": jax_function(U_3D, (X, Y, T))}, points)
        return {text: (got[term], points) for text, term in zip(texts, terms)}


@pytest.mark.parametrize("text", list(OPERATORS))
def test_vector_operators_in_space_time(x64, text):
    """Δ, ∇, div, D[v] act on the spatial variables x, y only, not on t."""
    got, points = _operator_residuals()[text]
    assert_close(got, reference(OPERATORS[text](U_3D), (X, Y, T), points), text)


# ---- fields whose arguments are not the domain's variables in order ------------------


def test_field_arguments_in_another_order(x64):
    """`field u(y, x)`: the network function takes (y, x); the residual still takes (x, y)."""
    g = sympy.sin(2 * Y - X) * sympy.exp(X / 2) + Y**3 * X  # written as a function of (y, x)
    compiled = sp.compile(f"{declarations('xy')}\nfield u(y, x)\nD(u, x, x, y) + Dy(u) = 0")
    assert list(inspect.signature(compiled.module.residual_pde).parameters) == ["u_fn", "x", "y"]
    points = random_points(compiled.module, 3)
    got = call_term(compiled.module, "pde", {"u": jax_function(g, (Y, X))}, points)
    assert_close(got, reference(_d(g, X, 2, Y) + _d(g, Y), (X, Y), points), "u(y, x)")


def test_fields_on_different_variables(x64):
    """A system where u depends on x only and v on (t, x), in the domain (x, y, t)."""
    fu = sympy.cos(2 * X) + X**3
    fv = sympy.sin(X - T) * sympy.exp(T * X / 2)
    equation = "Dxx(u)*v + Dt(v)*u + Dxt(v) - Dx(u)*Dxx(v) = 0"
    compiled = sp.compile(f"{declarations('xyt')}\nfield u(x), v(t, x)\n{equation}")
    points = random_points(compiled.module, 4)
    fields = {"u": jax_function(fu, (X,)), "v": jax_function(fv, (T, X))}
    got = call_term(compiled.module, "pde", fields, points)
    want = _d(fu, X, 2) * fv + _d(fv, T) * fu + _d(fv, X, T) - _d(fu, X) * _d(fv, X, 2)
    assert_close(got, reference(want, (X, Y, T), points), "system")


def test_derivative_along_a_variable_the_field_does_not_take(x64):
    """`field u(x)` in (x, y): Dy(u) = 0, and Dxy(u*v) = u_x v_y + u v_xy.

    An equation that is then 0 = 0 whatever the fields (`Dy(u) = 0`) is refused.
    """
    fu = sympy.cos(2 * X) + X**3
    fv = sympy.sin(X - 2 * Y) * sympy.exp(X * Y / 2)
    compiled = sp.compile(f"{declarations('xy')}\nfield u(x), v(x, y)\nDy(u)*v + Dxy(u*v) = 0")
    points = random_points(compiled.module, 8)
    fields = {"u": jax_function(fu, (X,)), "v": jax_function(fv, (X, Y))}
    got = call_terms(compiled.module, ["pde"], fields, points)
    assert_close(got["pde"], reference(_d(fu * fv, X, Y), (X, Y), points), "Dxy(u*v)")
    with pytest.raises(sp.PinnError, match="holds whatever the fields are"):
        sp.parse(f"{declarations('xy')}\nfield u(x), v(x, y)\nDy(u)*v + Dxy(u*v) = 0\nDy(u) = 0")


def test_unicode_names(x64):
    """Greek variables and field: `D(φ, ξ, ξ, η)` and the subscript spelling `Dξη(φ)`."""
    xi, eta = sympy.symbols("ξ η", real=True)
    g = sympy.sin(xi - 2 * eta) * sympy.exp(xi * eta / 2) + xi**3 * eta
    compiled = sp.compile("ξ in [-1, 1]; η in [-1, 1]\nfield φ(ξ, η)\nD(φ, ξ, ξ, η) + Dξη(φ)*φ = 0")
    points = random_points(compiled.module, 10)
    got = call_term(compiled.module, "pde", {"φ": jax_function(g, (xi, eta))}, points)
    assert_close(got, reference(_d(g, xi, 2, eta) + _d(g, xi, eta) * g, (xi, eta), points), "ξ, η")


def test_long_variable_names(x64):
    """`D(u, x1, x1, x2)`: derivatives along variables whose names are longer than a letter."""
    x1, x2 = sympy.symbols("x1 x2", real=True)
    g = sympy.sin(x1 + 2 * x2) * sympy.exp(x1 * x2 / 3)
    compiled = sp.compile("x1 in [0, 1]; x2 in [0, 1]\nfield u(x1, x2)\nD(u, x1, x1, x2) + D(u, x2)*u = 0")
    points = random_points(compiled.module, 6)
    got = call_term(compiled.module, "pde", {"u": jax_function(g, (x1, x2))}, points)
    assert_close(got, reference(_d(g, x1, 2, x2) + _d(g, x2) * g, (x1, x2), points), "x1, x2")


# ---- derivative values must not be confused with other names --------------------------


@pytest.mark.parametrize(
    "text, closed_forms, want",
    [
        # variables x and x_x: u_xx along x and u along x_x must stay apart
        (
            "x in [0, 1]; x_x in [0, 1]\nfield u(x, x_x)\nD(u, x, x) - D(u, x_x) = 0",
            {"u": ("x x_x", lambda a, b: sympy.sin(a) * sympy.exp(2 * b))},
            lambda s: sympy.diff(s["u"], s["x"], 2) - sympy.diff(s["u"], s["x_x"]),
        ),
        # a field named u_x next to the x-derivative of u
        (
            "x in [0, 1]\nfield u(x), u_x(x)\nDx(u) - u_x = 0",
            {"u": ("x", lambda a: sympy.sin(3 * a)), "u_x": ("x", lambda a: a**2)},
            lambda s: sympy.diff(s["u"], s["x"]) - s["u_x"],
        ),
        # a variable named u_x
        (
            "x in [0, 1]; u_x in [0, 1]\nfield u(x)\nDx(u) - u_x = 0",
            {"u": ("x", lambda a: sympy.sin(3 * a))},
            lambda s: sympy.diff(s["u"], s["x"]) - s["u_x"],
        ),
        # an unknown named u_x
        (
            "x in [0, 1]\nfield u(x)\nunknown u_x = 0.25\nDx(u) - u_x = 0",
            {"u": ("x", lambda a: sympy.sin(3 * a))},
            lambda s: sympy.diff(s["u"], s["x"]) - sympy.Rational(1, 4),
        ),
        # a field named u_fn declared before u (u's function parameter is also u_fn)
        (
            "x in [0, 1]\nfield u_fn(x), u(x)\nDx(u) - u_fn = 0",
            {"u_fn": ("x", lambda a: a**2), "u": ("x", lambda a: sympy.sin(3 * a))},
            lambda s: sympy.diff(s["u"], s["x"]) - s["u_fn"],
        ),
        # an unknown named like the generated name of a fused Laplacian
        (
            "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nunknown lap_u = 0.5\nΔu = lap_u",
            {"u": ("x y", lambda a, b: sympy.sin(a) * sympy.exp(2 * b))},
            lambda s: sympy.diff(s["u"], s["x"], 2) + sympy.diff(s["u"], s["y"], 2) - sympy.Rational(1, 2),
        ),
    ],
    ids=["variable-x_x", "field-u_x", "variable-u_x", "unknown-u_x", "field-u_fn", "unknown-lap_u"],
)
def test_derivative_names_do_not_collide(x64, text, closed_forms, want):
    """User names that look like generated derivative names: compiled right, or refused.

    A clear PinnError is acceptable; a residual that silently uses the wrong value
    (e.g. ``u_x - u_x``) is not.
    """
    try:
        compiled = sp.compile(text)
    except sp.PinnError:
        return
    module = compiled.module
    symbols = {name: sympy.Symbol(name, real=True) for name in module.DOMAIN}
    fields, exprs = {}, {}
    for name, (args, build) in closed_forms.items():
        arg_symbols = [symbols[a] for a in args.split()]
        exprs[name] = build(*arg_symbols)
        fields[name] = jax_function(exprs[name], arg_symbols)
    fn = module.residual_pde
    params = list(inspect.signature(fn).parameters)
    # map the parameters by position: used fields (program order), unknowns, coordinates
    used = [f for f in module.FIELDS if f in closed_forms]
    unknowns = sorted(module.UNKNOWNS)
    assert len(params) == len(used) + len(unknowns) + len(module.DOMAIN), params
    points = random_points(module, 9)
    coords = list(module.DOMAIN)

    values = [jnp.asarray(module.UNKNOWNS[u], dtype=jnp.float64) for u in unknowns]

    def run(*xs):
        return fn(*[fields[f] for f in used], *values, *xs)

    got = np.asarray(jax.jit(run)(*[jnp.asarray(points[c]) for c in coords]))
    env = dict(symbols, **exprs)
    assert_close(got, reference(want(env), [symbols[c] for c in coords], points), text.splitlines()[-1])


# ---- forward mode only --------------------------------------------------------------

REVERSE_MODE = {"grad", "value_and_grad", "hessian", "jacrev", "jacfwd", "vjp", "linearize", "linear_transpose"}

FORWARD_PROBLEMS = [
    problem_text((X, Y), "D(u, x, x, y, y) + Dxxxy(u)*Dy(u) + u*Dxy(u) = 0", "u = 0 on ∂Ω", "Dx(u) = 0 at x = 1"),
    f"{declarations('xyt')}\nfield u(x, y, t), v(x, t)\nDt(u) - Δu + Dxyt(u)*Dx(v) = v\nDt(v) = Dxx(v)*u",
    "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nlet f = 2*pi^2*sin(pi*x)*sin(pi*y)\n"
    "minimize ∫ (|∇u|^2/2 - f*u)\nu = 0 on ∂Ω weight 500",
]


def _jax_calls(node: ast.AST) -> set[str]:
    return {
        n.func.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "jax"
    }


TRAINING = {"adam", "loss", "losses", "main", "init_params", "fields", "sample_region", "init_mlp"}


@pytest.mark.parametrize("text", FORWARD_PROBLEMS, ids=["2d-mixed", "3d-system", "energy"])
def test_derivatives_are_forward_mode_only(text):
    """The generated code takes field derivatives in forward mode (jax.jvp), never in reverse mode.

    Reverse mode appears once, in the training loop (``adam``), for the gradient with
    respect to the parameters.
    """
    compiled = sp.compile(text)
    tree = ast.parse(compiled.source)
    top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    terms = [f for name, f in top.items() if name.startswith(("residual_", "integrand_"))]
    assert len(terms) == len(compiled.module.WEIGHTS)
    # the derivative primitive is one jvp
    assert _jax_calls(top["value_and_derivative"]) == {"jvp"}
    # no reverse mode anywhere but in the training loop
    for name, node in top.items():
        if name != "adam":
            assert not _jax_calls(node) & REVERSE_MODE, f"{name} uses reverse mode"
    assert not any(f"jax.{name}(" in compiled.source for name in REVERSE_MODE - {"value_and_grad"})
    assert compiled.source.count("jax.value_and_grad(") == 1
    assert "value_and_grad" in ast.unparse(top["adam"])
    # the term functions call nothing from jax themselves: only the fields, the
    # derivative functions they build, and the module's derivative helpers
    helpers = set(top) - TRAINING - {f.name for f in terms}
    for f in terms:
        assert _jax_calls(f) == set(), f"{f.name} calls jax directly"
        called = {n.func.id for n in ast.walk(f) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        params = {a.arg for a in f.args.args}
        local = {
            n.targets[0].id for n in ast.walk(f) if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
        }
        assert called <= helpers | params | local, f"{f.name} calls {called - helpers - params - local}"


@pytest.mark.parametrize("with_networks", [False, True], ids=["closed-form", "networks"])
def test_derivatives_run_with_jvp_alone(x64, monkeypatch, with_networks):
    """At run time too: with the module's `jax` reduced to `jvp`, every term still evaluates,
    with closed forms and with the module's own networks."""
    equation = "Dxx(u)*Dy(u) + u*Dxy(u) + Δu = 0"
    text = problem_text((X, Y), equation, "u = 0 on ∂Ω", "Dx(u) = 0 at x = 1")
    # every condition a term of its own, to be evaluated with the closed form too
    compiled = sp.compile(text, width=8, depth=2, hard_constraints=False)
    module = compiled.module
    points = random_points(module, 1)
    if with_networks:
        u = module.fields(random_params(module, 0))["u"]
        expected = call_terms(module, list(module.WEIGHTS), {"u": u}, points)
    else:
        u = jax_function(U_2D, (X, Y))
        want = _d(U_2D, X, 2) * _d(U_2D, Y) + U_2D * _d(U_2D, X, Y) + _d(U_2D, X, 2) + _d(U_2D, Y, 2)
        expected = {
            "pde": reference(want, (X, Y), points),
            "bc1": reference(U_2D, (X, Y), points),
            "bc2": reference(_d(U_2D, X), (X, Y), points),
        }
    calls = []

    def jvp(*args, **kwargs):
        calls.append(1)
        return jax.jvp(*args, **kwargs)

    monkeypatch.setattr(module, "jax", types.SimpleNamespace(jvp=jvp))
    got = call_terms(module, list(module.WEIGHTS), {"u": u}, points)
    assert set(got) == set(expected)
    for term in got:
        assert_close(got[term], expected[term], f"{term} with jax = {{jvp}}")
    assert calls, "no jvp was taken"


# ---- the generated networks themselves ------------------------------------------------

NETWORK_DOMAIN = "x in [-1, 1]; y in [0, 2]; t in [0, 1]"
NETWORK_TERMS = {
    # strategy-neutral: sums of pure second derivatives, which a planner may fuse,
    # next to mixed and higher derivatives, which it takes by nested jvp
    "Δu": lambda u, v: _d(u, X, 2) + _d(u, Y, 2),
    "Dt(u) - 0.3*Δu + u*Dx(u)": lambda u, v: _d(u, T) - 0.3 * (_d(u, X, 2) + _d(u, Y, 2)) + u * _d(u, X),
    "Dtt(u) - 4*Dxx(u) + Dyy(u)/pi^2": lambda u, v: _d(u, T, 2) - 4 * _d(u, X, 2) + _d(u, Y, 2) / sympy.pi**2,
    "Dxx(u)^2 + Dy(u)": lambda u, v: _d(u, X, 2) ** 2 + _d(u, Y),
    "exp(u)*Δu + Dxy(u)*Dt(u)": lambda u, v: sympy.exp(u) * (_d(u, X, 2) + _d(u, Y, 2)) + _d(u, X, Y) * _d(u, T),
    "Dtt(v) - Dxx(v) + u*Dx(v)": lambda u, v: _d(v, T, 2) - _d(v, X, 2) + u * _d(v, X),
    "Δu + v*Dxt(v)": lambda u, v: _d(u, X, 2) + _d(u, Y, 2) + v * _d(v, X, T),
}


def random_params(module, seed: int) -> dict:
    """Network weights in the layout of ``init_params``, random biases included, so that
    no symmetry of a zero-bias network hides a sign error."""
    rng = np.random.default_rng(seed)
    params = {
        name: [
            (jnp.asarray(rng.standard_normal((m, n)) / np.sqrt(m)), jnp.asarray(0.5 * rng.standard_normal(n)))
            for m, n in zip(sizes[:-1], sizes[1:])
        ]
        for name, sizes in module.LAYERS.items()
    }
    params["unknowns"] = {name: jnp.asarray(float(v)) for name, v in module.UNKNOWNS.items()}
    return params


def sympy_network(layers, inputs):
    """A tanh MLP (the generated ``mlp``) as a SymPy expression of its (scaled) inputs."""
    h = list(inputs)
    for w, b in layers[:-1]:
        w, b = np.asarray(w), np.asarray(b)
        h = [sympy.tanh(sum(float(w[i, j]) * h[i] for i in range(len(h))) + float(b[j])) for j in range(w.shape[1])]
    w, b = (np.asarray(a) for a in layers[-1])
    return sum(float(w[i, 0]) * h[i] for i in range(len(h))) + float(b[0])


@functools.cache
def _network_residuals():
    """Every term of NETWORK_TERMS on the module's own networks, and the same networks in SymPy."""
    with jax.enable_x64(True):
        problem = f"{NETWORK_DOMAIN}\nfield u(x, y, t), v(t, x)\n" + "\n".join(f"{t} = 0" for t in NETWORK_TERMS)
        compiled = sp.compile(problem, width=2, depth=2)
        module = compiled.module
        params = random_params(module, 3)
        networks = module.fields(params)
        symbols = {"x": X, "y": Y, "t": T}
        formulas = {}
        for name, args in module.FIELDS.items():
            scaled = []
            for a in args:
                lo, hi = module.DOMAIN[a]
                scaled.append((symbols[a] - sympy.Rational(lo + hi, 2)) / sympy.Rational(hi - lo, 2))
            formulas[name] = sympy_network(params[name], scaled)
        points = random_points(module, 12)
        values = call_terms(module, list(module.WEIGHTS), networks, points)
        direct = {
            name: np.asarray(networks[name](*[jnp.asarray(points[a]) for a in args]))
            for name, args in module.FIELDS.items()
        }
        results = {text: values[t] for text, t in zip(NETWORK_TERMS, module.WEIGHTS)}
        return results, formulas, direct, points, module.FIELDS


def test_network_formula_is_the_network(x64):
    """The SymPy transcription of the networks agrees with the generated networks' values.

    This pins down what the next test assumes: a tanh MLP on inputs scaled to [-1, 1].
    """
    _, formulas, direct, points, fields = _network_residuals()
    for name, args in fields.items():
        want = reference(formulas[name], (X, Y, T), points)
        assert_close(direct[name], want, f"network {name}({', '.join(args)})")


@pytest.mark.parametrize("text", list(NETWORK_TERMS))
def test_derivatives_of_the_generated_networks(x64, text):
    """Residuals on the module's own networks (``fields(params)``) against SymPy.

    With the networks the generated code may take a different route than with plain
    functions (a fused pass for sums of second derivatives); it must agree with
    SymPy's derivatives of the same network written as a formula.
    """
    results, formulas, _, points, _ = _network_residuals()
    want = reference(NETWORK_TERMS[text](formulas["u"], formulas["v"]), (X, Y, T), points)
    assert_close(results[text], want, f"{text} on the networks")
