"""The SymPy front end: the same problem from text and from SymPy gives the same IR.

``from_sympy`` enters the pipeline at the check stage; from there on the two front
ends share everything, so equal mathematics must give an equal IR and equal code.
"""

import ast
import pathlib

import pytest
import sympy

import symbolic_pinn
import symbolic_pinn as sp
from symbolic_pinn import Equation, Minimize, PinnError, from_sympy
from symbolic_pinn._compiler import ir
from symbolic_pinn._runtime.geometry import Ball, Box, Difference, Intersection, Union

ROOT = pathlib.Path(__file__).resolve().parent.parent
POISSON_TEXT = (ROOT / "examples" / "poisson.pinn").read_text(encoding="utf-8")
RITZ_TEXT = (ROOT / "examples" / "poisson_ritz.pinn").read_text(encoding="utf-8")

pi, sin = sympy.pi, sympy.sin


def compile_terms(problem, **settings) -> symbolic_pinn.CompiledProblem:
    """The problem compiled with every condition a term of its IR, none built into the networks."""
    return symbolic_pinn.compile(problem, **({"hard_constraints": False, "exact_initial": False} | settings))


def code(source: str) -> str:
    """The generated module as code: docstrings (which quote the problem) removed."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            if isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def poisson_spec(real: bool = False, derivative: str = "diff"):
    x, y = sympy.symbols("x y", real=True) if real else sympy.symbols("x y")
    u = sympy.Function("u", real=True)(x, y) if real else sympy.Function("u")(x, y)
    laplacian = {
        "diff": u.diff(x, 2) + u.diff(y, 2),
        "Derivative": sympy.Derivative(u, (x, 2)) + sympy.Derivative(u, (y, 2)),
        "Derivative x, x": sympy.Derivative(u, x, x) + sympy.Derivative(u, y, y),
    }[derivative]
    f = 2 * pi**2 * sin(pi * x) * sin(pi * y)
    return from_sympy(
        variables={x: (0, 1), y: (0, 1)},
        fields=[u],
        terms=[sympy.Eq(-laplacian, f), Equation(sympy.Eq(u, 0), on="boundary")],
        exact={u: sin(pi * x) * sin(pi * y)},
    )


@pytest.fixture(scope="module")
def poisson_text():
    return compile_terms(POISSON_TEXT)


@pytest.fixture(scope="module")
def poisson_sympy():
    return compile_terms(poisson_spec())


# ---- Poisson, strong form -------------------------------------------------------------


def test_poisson_from_text_and_sympy_give_identical_ir(poisson_text, poisson_sympy):
    assert poisson_sympy.ir == poisson_text.ir


def test_poisson_from_text_and_sympy_give_the_same_schedule(poisson_text, poisson_sympy):
    assert poisson_sympy.schedule == poisson_text.schedule


def test_poisson_from_text_and_sympy_give_the_same_code_apart_from_docstrings(poisson_text, poisson_sympy):
    """The code is identical; only the docstrings differ, as they quote the problem as written."""
    assert code(poisson_sympy.source) == code(poisson_text.source)


@pytest.mark.parametrize("derivative", ["diff", "Derivative", "Derivative x, x"])
@pytest.mark.parametrize("real", [False, True], ids=["plain symbols", "real=True"])
def test_spellings_and_assumptions_of_sympy_do_not_matter(real, derivative, poisson_sympy):
    assert compile_terms(poisson_spec(real, derivative)).ir == poisson_sympy.ir


def test_sympy_problem_has_the_expected_ir(poisson_sympy):
    program = poisson_sympy.ir
    assert program.variables == (ir.Variable("x", 0.0, 1.0), ir.Variable("y", 0.0, 1.0))
    assert program.fields == (ir.FieldDecl("u", ("x", "y")),)
    assert [(t.name, t.kind, t.region, t.weight) for t in program.terms] == [
        ("pde", "residual", ir.INTERIOR, 1.0),
        ("bc", "residual", ir.BOUNDARY, 1.0),
    ]
    assert {ir.Field("u", (2, 0)), ir.Field("u", (0, 2))} <= set(ir.walk(program.terms[0].expr))


def test_an_expression_means_expression_equals_zero(poisson_sympy):
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    f = 2 * pi**2 * sin(pi * x) * sin(pi * y)
    spec = from_sympy(
        variables={x: (0, 1), y: (0, 1)},
        fields=[u],
        terms=[-(u.diff(x, 2) + u.diff(y, 2)) - f, Equation(u, on="boundary")],
        exact={u: sin(pi * x) * sin(pi * y)},
    )
    assert compile_terms(spec).ir == poisson_sympy.ir


# ---- Deep Ritz energy ---------------------------------------------------------------


def ritz_spec(limits: bool = True):
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    f = 2 * pi**2 * sin(pi * x) * sin(pi * y)
    integrand = (u.diff(x) ** 2 + u.diff(y) ** 2) / 2 - f * u
    energy = sympy.Integral(integrand, (x, 0, 1), (y, 0, 1)) if limits else sympy.Integral(integrand, x, y)
    return from_sympy(
        variables={x: (0, 1), y: (0, 1)},
        fields=[u],
        terms=[Minimize(energy), Equation(sympy.Eq(u, 0), on="boundary", weight=500)],
        exact={u: sin(pi * x) * sin(pi * y)},
    )


def test_ritz_energy_from_text_and_sympy_give_identical_ir():
    assert compile_terms(ritz_spec()).ir == compile_terms(RITZ_TEXT).ir


def test_ritz_energy_terms():
    program = compile_terms(ritz_spec(), energy_constraints=False).ir
    assert [(t.kind, t.region.kind, t.weight) for t in program.terms] == [
        ("energy", "interior", 1.0),
        ("residual", "boundary", 500.0),
    ]


def test_ritz_integral_without_limits_is_over_the_domain():
    assert compile_terms(ritz_spec(limits=False)).ir == compile_terms(ritz_spec()).ir


def test_seed_energy_from_sympy():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    spec = from_sympy(
        variables={x: (-1, 1), y: (-1, 1)},
        fields=[u],
        terms=[Minimize(sympy.Integral(u.diff(x) ** 2, (x, -1, 1), (y, -1, 1)))],
    )
    text = compile_terms((ROOT / "examples" / "seed.pinn").read_text(encoding="utf-8"))
    assert compile_terms(spec).ir == text.ir


# ---- faces, weights, unknowns --------------------------------------------------------


def test_face_condition_matches_text():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    spec = from_sympy(
        variables={x: (0, 1), y: (0, 1)},
        fields=[u],
        terms=[sympy.Eq(u.diff(x, 2) + u.diff(y, 2), 1), Equation(sympy.Eq(u, 0), on={x: 1})],
    )
    text = compile_terms("x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔu = 1\nu = 0 at x = 1\n")
    program = compile_terms(spec).ir
    assert program.terms[1].region == ir.Face("x", 1.0)
    assert program == text.ir


def test_burgers_from_sympy_matches_text():
    x, t = sympy.symbols("x t")
    u = sympy.Function("u")(x, t)
    nu = sympy.Rational(1, 100) / pi
    spec = from_sympy(
        variables={x: (-1, 1), t: (0, 1)},
        fields=[u],
        terms=[
            sympy.Eq(u.diff(t) + u * u.diff(x), nu * u.diff(x, 2)),
            Equation(sympy.Eq(u, -sin(pi * x)), on={t: 0}),
            Equation(sympy.Eq(u, 0), on={x: -1}),
            Equation(sympy.Eq(u, 0), on={x: 1}),
        ],
    )
    text = compile_terms(
        "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nconst nu = 0.01/pi\nDt(u) + u*Dx(u) = nu*Dxx(u)\n"
        "u = -sin(pi*x) at t = 0\nu = 0 at x = -1\nu = 0 at x = 1\n",
    )
    program = compile_terms(spec).ir
    assert [t.name for t in program.terms] == ["pde", "ic", "bc1", "bc2"]
    assert program == text.ir


def test_weights_and_unknowns_match_text():
    x, t, k = sympy.symbols("x t k")
    u = sympy.Function("u")(x, t)
    spec = from_sympy(
        variables={x: (0, 1), t: (0, 1)},
        fields=[u],
        unknowns={k: 0.5},
        terms=[sympy.Eq(u.diff(t), k * u.diff(x, 2)), Equation(sympy.Eq(u, sin(pi * x)), on={t: 0}, weight=10)],
    )
    text = compile_terms(
        "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nunknown k = 0.5\nDt(u) = k*Dxx(u)\n"
        "u = sin(pi*x) at t = 0 weight 10\n",
        exact_initial=False,  # the weighted condition stays a term
    )
    assert compile_terms(spec, exact_initial=False).ir == text.ir


# ---- errors ---------------------------------------------------------------------------

x, y, z = sympy.symbols("x y z")
u = sympy.Function("u")(x, y)
v = sympy.Function("v")(x, y)
DOMAIN = {x: (0, 1), y: (0, 1)}


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=["u - 1"]), "str"),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Equation("Eq(u, 1)")]), "string"),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[sympy.Eq(u, z)]), "unknown symbols: z"),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[sympy.Eq(u, v)]), "not a declared field"),
        (lambda: from_sympy(variables=DOMAIN, fields=[sympy.sin(x)], terms=[sympy.Eq(u, 0)]), "field"),
        (lambda: from_sympy(variables=DOMAIN, fields=[sympy.Function("w")], terms=[sympy.Eq(u, 0)]), "field"),
        (lambda: from_sympy(variables={x: (1, 0), y: (0, 1)}, fields=[u], terms=[sympy.Eq(u, 0)]), "empty"),
        (lambda: from_sympy(variables={x: (0, 0), y: (0, 1)}, fields=[u], terms=[sympy.Eq(u, 0)]), "empty"),
        (lambda: from_sympy(variables={x: (0, 1)}, fields=[u], terms=[sympy.Eq(u, 0)]), "not one of the variables"),
        (lambda: from_sympy(variables=DOMAIN, fields=[], terms=[sympy.Eq(u, 0)]), "no field"),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[]), "nothing to minimize"),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Equation(sympy.Eq(u, 0), on={x: 2})]), "outside"),
        (
            lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Equation(sympy.Eq(u, 0), on={z: 0})]),
            "not a declared variable",
        ),
        (
            lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Equation(sympy.Eq(u, 0), on="everywhere")]),
            "not a region",
        ),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Equation(sympy.Eq(u, 0), weight=-1)]), "negative"),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Minimize(u**2)]), "integral"),
        (
            lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Minimize(sympy.Integral(u**2, x))]),
            "all the variables",
        ),
        (
            lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[Minimize(sympy.Integral(u**2, (x, 0, 2), y))]),
            "limits",
        ),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[sympy.Eq(u, 0)], exact={v: x}), "not a field"),
        (lambda: from_sympy(variables=DOMAIN, fields=[u], terms=[42]), "int"),
    ],
    ids=[
        "string term",
        "string Equation",
        "unknown symbol",
        "undeclared function",
        "non-field function",
        "unapplied function",
        "empty interval",
        "point interval",
        "field argument not a variable",
        "no field",
        "no terms",
        "face outside",
        "face of a non-variable",
        "bad region",
        "negative weight",
        "energy without integral",
        "integral over part of the domain",
        "integral with other limits",
        "exact of a non-field",
        "not a term",
    ],
)
def test_from_sympy_errors_are_pinn_errors(build, words):
    with pytest.raises(PinnError) as caught:
        build()
    assert words in caught.value.message
    assert caught.value.render().startswith("error: ")


# ---- shaped domains and normal derivatives -----------------------------------------


def test_a_shaped_domain_and_dn_from_sympy_give_the_text_ir():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    region = sp.disk((0, 0), 1) - sp.box((0, 0), (0.5, 0.5))
    spec = sp.from_sympy(
        {x: (0, 1), y: (0, 1)},  # the shape's bounding box replaces these intervals
        [u],
        [
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), 4),
            sp.Equation(sympy.Eq(sp.normal_derivative(u, (x, y)) + 2 * u, x), on="boundary"),
        ],
        shape=((x, y), region),
    )
    text = sp.parse(
        "(x, y) in disk((0, 0), 1) \\ box((0, 0), (0.5, 0.5))\nfield u(x, y)\n-Δu = 4\nDn(u) + 2*u = x on ∂Ω\n"
    )
    assert sp.compile(spec).ir == sp.compile(text).ir
    assert spec.shape == text.shape == (("x", "y"), Difference(Ball((0.0, 0.0), 1.0), Box((0.0, 0.0), (0.5, 0.5))))
    assert [(v.name, lo, hi) for v, lo, hi in spec.variables] == [("x", -1.0, 1.0), ("y", -1.0, 1.0)]


def test_shape_operators_from_sympy():
    a, b = sp.disk((0, 0), 1), sp.box((0, 0), (2, 2))
    assert (a | b) == Union(a, b) and (a & b) == Intersection(a, b) and (a - b) == Difference(a, b)
    assert sp.ball((0, 0, 0), 2) == Ball((0.0, 0.0, 0.0), 2.0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: sp.disk((0, 0), -1), "not positive"),
        (lambda: sp.box((1, 0), (0, 1)), "empty"),
    ],
)
def test_bad_shapes_from_sympy(make, message):
    with pytest.raises(sp.PinnError, match=message):
        make()


def test_a_condition_at_a_face_of_a_parameter_is_refused_from_sympy():
    """A parameter has no faces, from SymPy as from text (one resolver for both)."""
    x, k = sympy.symbols("x k")
    u = sympy.Function("u")(x, k)
    terms = [sympy.Eq(u.diff(x, 2), k), Equation(sympy.Eq(u, 0), on="boundary")]
    variables = {x: (0, 1), k: (1, 3)}
    sp.from_sympy(variables, [u], terms, parameters=[k])  # accepted without the face
    with pytest.raises(sp.PinnError) as caught:
        sp.from_sympy(variables, [u], [*terms, Equation(sympy.Eq(u, 0), on={k: 1})], parameters=[k])
    assert caught.value.message == "'k' is a parameter: it has no faces"
    assert "u(0, k) = 0" in caught.value.help
    text = "x in [0, 1]\nparam k in [1, 3]\nfield u(x, k)\nDxx(u) = k\nu = 0 on ∂Ω\nu = 0 at k = 1\n"
    with pytest.raises(sp.PinnError) as from_text:
        sp.parse(text)
    assert (from_text.value.message, from_text.value.help) == (caught.value.message, caught.value.help)


def test_dn_inside_the_domain_is_refused_from_sympy():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    with pytest.raises(sp.PinnError, match="only on the boundary"):
        sp.from_sympy({x: (0, 1), y: (0, 1)}, [u], [sympy.Eq(sp.normal_derivative(u, (x, y)), 0)])


# ---- silent changes of meaning refused (issue #27) ----

_X = sympy.Symbol("x")
_U = sympy.Function("u")(_X)
_BC = Equation(sympy.Eq(_U, 0), on="boundary")


def _refused(build) -> str:
    with pytest.raises(PinnError) as info:
        build()
    return str(info.value)


def test_sympy_piecewise_with_an_equality_on_a_coordinate_is_refused():
    source = sympy.Piecewise((100, sympy.Eq(_X, 0.5)), (0, True))
    message = _refused(lambda: from_sympy({_X: (0, 1)}, [_U], [sympy.Eq(-_U.diff(_X, 2), source), _BC]))
    assert "Eq(x, 0.5)" in message and "equality" in message


def test_sympy_integer_variable_is_refused_before_sin_pi_x_vanishes():
    xi = sympy.Symbol("x", integer=True)
    ui = sympy.Function("u")(xi)
    message = _refused(
        lambda: from_sympy(
            {xi: (0, 1)},
            [ui],
            [sympy.Eq(-ui.diff(xi, 2), sympy.sin(sympy.pi * xi)), Equation(sympy.Eq(ui, 0), on="boundary")],
        )
    )
    assert "integer=True" in message and "[0, 1]" in message


def test_sympy_sign_assumption_against_the_interval_is_refused_and_a_consistent_one_is_kept():
    neg = sympy.Symbol("x", positive=True)
    un = sympy.Function("u")(neg)
    terms = [sympy.Eq(-un.diff(neg, 2), 1), Equation(sympy.Eq(un, 0), on="boundary")]
    assert "positive=True" in _refused(lambda: from_sympy({neg: (-1, 1)}, [un], terms))
    from_sympy({neg: (0, 1)}, [un], terms)  # positive on [0, 1]: nothing changes


def test_sympy_integral_beyond_the_interval_is_refused():
    s = sympy.Symbol("s")
    term = sympy.Eq(-_U.diff(_X, 2), sympy.Integral(_U.subs(_X, s), (s, 0, 5)))
    message = _refused(lambda: from_sympy({_X: (0, 1)}, [_U], [term, _BC]))
    assert "[0, 5]" in message and "[0, 1]" in message
    inside = sympy.Eq(-_U.diff(_X, 2), sympy.Integral(_U.subs(_X, s), (s, 0, _X)))
    from_sympy({_X: (0, 1)}, [_U], [inside, _BC])


def test_sympy_shifted_argument_beyond_the_interval_is_refused():
    message = _refused(lambda: from_sympy({_X: (0, 1)}, [_U], [sympy.Eq(-_U.diff(_X, 2), _U.subs(_X, _X + 1)), _BC]))
    assert "x + 1" in message and "[1, 2]" in message


def test_sympy_two_symbols_named_alike_with_different_assumptions_are_named_as_such():
    other = sympy.Symbol("x", positive=True)
    message = _refused(lambda: from_sympy({_X: (0, 1)}, [_U], [sympy.Eq(-_U.diff(_X, 2), other), _BC]))
    assert "two different symbols are named x" in message and "positive=True" in message


def test_sympy_vector_equation_of_different_lengths_is_refused_clearly():
    y = sympy.Symbol("y")
    v, w = (sympy.Function(n)(_X, y) for n in "vw")
    bcs = [Equation(sympy.Eq(f, 0), on="boundary") for f in (v, w)]
    decided = sympy.Eq(sympy.Matrix([v, w]), sympy.Matrix([0, 0, 0]))
    message = _refused(lambda: from_sympy({_X: (0, 1), y: (0, 1)}, [v, w], [decided, *bcs]))
    assert "BooleanFalse" not in message and "same number of components" in message
    unevaluated = sympy.Eq(sympy.Matrix([v, w]), sympy.Matrix([0, 0, 0]), evaluate=False)
    message = _refused(lambda: from_sympy({_X: (0, 1), y: (0, 1)}, [v, w], [unevaluated, *bcs]))
    assert "a vector of 2 to a vector of 3" in message


def test_sympy_variables_as_a_list_is_a_pinn_error():
    message = _refused(lambda: from_sympy(variables=[_X], fields=[_U], terms=[sympy.Eq(-_U.diff(_X, 2), 1), _BC]))
    assert "variables={x: (0, 1)" in message


def test_sympy_look_alike_names_are_refused():
    latin, cyrillic = sympy.Symbol("a"), sympy.Symbol("а")
    message = _refused(
        lambda: from_sympy(
            {_X: (0, 1)}, [_U], [sympy.Eq(-_U.diff(_X, 2), latin + cyrillic), _BC], unknowns={latin: 1, cyrillic: 2}
        )
    )
    assert "'а' (Cyrillic)" in message and "'a' (Latin)" in message


def test_sympy_derivative_at_a_point_beyond_the_interval_is_refused():
    s = sympy.Symbol("s")
    at = sympy.Subs(_U.diff(_X), _X, s)  # u'(s)
    message = _refused(
        lambda: from_sympy({_X: (0, 1)}, [_U], [sympy.Eq(-_U.diff(_X, 2), sympy.Integral(at, (s, -1, _X))), _BC])
    )
    assert "[-1, 1]" in message and "[0, 1]" in message
