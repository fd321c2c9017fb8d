"""The parser, as a table: different spellings of the same mathematics give the same IR.

Each row is a group of spellings that LANGUAGE.md says are equivalent; every spelling
is compiled and its IR compared with the first one's (``compile(a).ir ==
compile(b).ir``).  Term labels quote the user's own spelling; they are provenance,
not part of the IR's identity.
"""

import functools
import math
import pathlib

import pytest
from language_examples import BURGERS, INVERSE, LANGUAGE_EXAMPLES, POISSON, RITZ, SEED

import symbolic_pinn
from symbolic_pinn._compiler import ir

ROOT = pathlib.Path(__file__).resolve().parent.parent
LANGUAGE_MD = pathlib.Path("/work/shared/LANGUAGE.md")

HEADER_2D = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n"


@functools.cache
def compiled(text: str | symbolic_pinn.Spec) -> symbolic_pinn.CompiledProblem:
    # every statement stays a term of the IR: none is built into the networks
    return symbolic_pinn.compile(
        text, exact_initial=False, periodic_embedding=False, energy_constraints=False, hard_constraints=False
    )


def ir_of(body: str, header: str = HEADER_2D) -> ir.Program:
    return compiled(header + body).ir


# ---- spellings of one statement, under the same two-variable header -----------------

SPELLINGS = {
    "energy ∂ₓ": [
        "minimize ∫ ∂ₓ(u)^2",
        "minimize ∫ (Dx(u))^2",
        "minimize integral(D(u, x)^2)",
        "minimize ∫ Dx(u)**2",
        "minimize ∫ ∂_x(u)^2",
        "minimize ∫ ∂x(u)^2",
        "minimize ∫ (Dx(u)*Dx(u))",
    ],
    "second derivative": [
        "Dxx(u) = 0",
        "D(u, x, x) = 0",
        "∂ₓₓ(u) = 0",
        "∂_xx(u) = 0",
        "∂xx(u) = 0",
        "Dx(Dx(u)) = 0",
        "∂ₓ∂ₓu = 0",
    ],
    "mixed derivative": [
        "Dxy(u) = 0",
        "∂_xy(u) = 0",
        "D(u,x,y) = 0",
        "Dyx(u) = 0",
        "D(u, y, x) = 0",
        "∂_yx(u) = 0",
        "Dx(Dy(u)) = 0",
        "∂ₓ∂_y(u) = 0",
    ],
    "laplacian": [
        "Δu = 0",
        "Δ(u) = 0",
        "laplace(u) = 0",
        "Dxx(u)+Dyy(u) = 0",
        "Dyy(u) + Dxx(u) = 0",
        "div(∇u) = 0",
        "div(grad(u)) = 0",
        "div((Dx(u), Dy(u))) = 0",
        "∇²u = 0",
    ],
    "squared gradient": [
        "|∇u|^2 = 0",
        "dot(∇u, ∇u) = 0",
        "Dx(u)^2 + Dy(u)^2 = 0",
        "|grad(u)|^2 = 0",
        "∂ₓ(u)^2 + ∂_y(u)^2 = 0",
        "D[∇u](u) = 0",
    ],
    "power": ["u^2 = x^3", "u**2 = x**3", "u*u = x*x*x", "u·u = x·x·x"],
    "chain rule": ["Dx(u^2) = 0", "2*u*Dx(u) = 0", "D(u^2, x) = 0", "∂ₓ(u^2) = 0", "Dx(u*u) = 0"],
    "chain rule through sin": ["Dx(sin(u)) = 1", "cos(u)*Dx(u) = 1"],
    "directional x": ["D[(1, 0)](u) = 0", "Dx(u) = 0"],
    "directional y": ["D[(0, 1)](u) = 0", "Dy(u) = 0"],
    "directional mixed": ["D[(1, 2)](u) = 0", "Dx(u) + 2*Dy(u) = 0", "dot((1, 2), ∇u) = 0"],
    "whole boundary": ["u = 0 on ∂Ω", "u = 0 on boundary"],
    "boundary energy": ["minimize ∮ u^2", "minimize ∫_∂Ω u^2", "minimize ∫_boundary u^2"],
    "separators": [
        "Δu = 1; u = 0 on ∂Ω",
        "Δu = 1\nu = 0 on ∂Ω",
        "Δu = 1 ;u = 0 on ∂Ω",
        "Δu = 1\r\nu = 0 on ∂Ω\r\n",
        "Δu = 1\n\n\nu = 0 on ∂Ω\n",
        "Δu = 1;;u = 0 on ∂Ω;",
    ],
    "comments": [
        "Δu = 1",
        "Δu = 1 # a comment",
        "# a comment\nΔu = 1",
        "Δu = 1  # ∂Ω ∫ $ ` \" ' weird characters in a comment",
        "#\nΔu = 1\n#",
    ],
    "line continuation": ["Δu = 1 + x", "Δu = 1 \\\n + x"],
    "const substitution": [
        "0.1*Δu = 1",
        "const nu = 0.1\nnu*Δu = 1",
        "const ν = 0.1\nν*Δu = 1",
        "const a = 0.05\nconst b = 2*a\nb*Δu = 1",
        "const c = 1/10\nc*Δu = 1",
    ],
    "let substitution": [
        "Δu = sin(pi*x)*u",
        "let f = sin(pi*x)*u\nΔu = f",
        "let s = sin(pi*x)\nlet f = s*u\nΔu = f",
        "let g = Δu\ng = sin(pi*x)*u",
    ],
    "let of a vector": ["let g = ∇u\ndot(g, g) = 1", "|∇u|^2 = 1"],
    "pi": ["u = pi*x", "u = π*x"],
    "exponential": ["u = e^x", "u = exp(x)"],
    "square root": ["u = sqrt(x)", "u = x^0.5", "u = x^(1/2)"],
    "absolute value": ["u = |x - y|", "u = abs(x - y)"],
    "arctan": ["u = arctan(x)", "u = atan(x)"],
    "unary minus": ["-u = x", "0 = u + x", "-(u + x) = 0"],
    "unary plus": ["u = -x", "+u + x = 0", "u + x = +0"],
    "precedence of ^ over unary minus": ["u = -x^2", "u = -(x^2)"],
    "^ is right-associative": ["u = 2^3^2", "u = 2^(3^2)", "u = 512"],
    "- is left-associative": ["u = x - y - 1", "u = (x - y) - 1"],
    "/ is left-associative": ["u = x/y/2", "u = (x/y)/2", "u = x/(2*y)"],
    "face": ["u = 0 at x = 1", "u = 0 at x = 1.0", "u = 0 at x = 2/2", "u = 0 at x = 0.5 + 0.5"],
    "weight": [
        "u = 0 on ∂Ω weight 100",
        "u = 0 on ∂Ω weight 1e2",
        "u = 0 on ∂Ω weight 10^2",
        "u = 0 on ∂Ω weight 10**2",
    ],
    "numbers": ["u = 0.5", "u = .5", "u = 5e-1", "u = 1/2", "u = 5E-1"],
}

SPELLING_CASES = [(group, spelling) for group, spellings in SPELLINGS.items() for spelling in spellings[1:]]


@pytest.mark.parametrize(("group", "spelling"), SPELLING_CASES, ids=[f"{g}: {s!r}" for g, s in SPELLING_CASES])
def test_spellings_give_the_same_ir(group, spelling):
    assert ir_of(spelling) == ir_of(SPELLINGS[group][0])


# ---- spellings of whole problems (declarations) -------------------------------------

PROBLEMS = {
    "∈ and in": [
        "x in [0, 1]\nfield u(x)\nDxx(u) = 1",
        "x ∈ [0,1]\nfield u(x)\nDxx(u) = 1",
        "x ∈ [0, 1]\nfield u(x)\nDxx(u) = 1",
        "x in [ 0 , 1 ]\nfield u( x )\nDxx(u) = 1",
        "x in [0.0, 1.0]\nfield u(x)\nDxx(u) = 1",
        "x in [-1 + 1, 2/2]\nfield u(x)\nDxx(u) = 1",
    ],
    "declarations on one line or many": [
        "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔu = 1",
        "x in [0, 1]\ny in [0, 1]\nfield u(x,y)\nΔu = 1",
        "x ∈ [0, 1]; y ∈ [0, 1]; field u(x, y); Δu = 1",
    ],
    "interval from constants": [
        "x in [0, pi]\nfield u(x)\nDxx(u) = 1",
        "const L = pi\nx in [0, L]\nfield u(x)\nDxx(u) = 1",
        "x in [0, π]\nfield u(x)\nDxx(u) = 1",
    ],
    "several fields in one declaration or two": [
        "x in [0, 1]\nfield u(x), v(x)\nDx(u) = v\nDx(v) = -u",
        "x in [0, 1]\nfield u(x)\nfield v(x)\nDx(u) = v\nDx(v) = -u",
    ],
    "Δ skips t": [
        "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Δu",
        "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)",
        "x in [0, 1]; t in [0, 1]\nfield u(x, t)\n∂ₜ(u) = ∂ₓₓ(u)",
    ],
    "long variable names with D(u, x1, x2)": [
        "x1 in [0, 1]; x2 in [0, 1]\nfield u(x1, x2)\nD(u, x1, x2) = 1",
        "x1 in [0, 1]; x2 in [0, 1]\nfield u(x1, x2)\nD(u, x2, x1) = 1",
        "x1 in [0, 1]; x2 in [0, 1]\nfield u(x1, x2)\nD(D(u, x1), x2) = 1",
    ],
}

PROBLEM_CASES = [(group, i) for group, texts in PROBLEMS.items() for i in range(1, len(texts))]


@pytest.mark.parametrize(("group", "index"), PROBLEM_CASES, ids=[f"{g}: {PROBLEMS[g][i]!r}" for g, i in PROBLEM_CASES])
def test_problem_spellings_give_the_same_ir(group, index):
    assert compiled(PROBLEMS[group][index]).ir == compiled(PROBLEMS[group][0]).ir


def test_the_ir_of_the_laplacian_is_the_two_second_derivatives():
    (term,) = compiled(HEADER_2D + "Δu = 0").ir.terms
    assert term.kind == "residual" and term.region == ir.INTERIOR and term.name == "pde"
    assert set(term.expr.args) == {ir.Field("u", (2, 0)), ir.Field("u", (0, 2))}


def test_chain_rule_gives_the_product():
    (term,) = compiled(HEADER_2D + "Dx(u^2) = 0").ir.terms
    assert isinstance(term.expr, ir.Mul)
    assert sorted(map(repr, term.expr.args)) == sorted(
        map(repr, (ir.Num(2.0), ir.Field("u", (0, 0)), ir.Field("u", (1, 0))))
    )


def test_identical_text_gives_equal_and_hashable_ir():
    a = symbolic_pinn.compile(HEADER_2D + "-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)\nu = 0 on ∂Ω")
    b = symbolic_pinn.compile(HEADER_2D + "-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)\nu = 0 on ∂Ω")
    assert a.ir == b.ir
    assert hash(a.ir) == hash(b.ir)
    assert a.source == b.source


def test_labels_quote_the_source_but_do_not_change_the_ir():
    a = compiled(HEADER_2D + "Δu = 0").ir
    b = compiled(HEADER_2D + "laplace(u) = 0").ir
    assert (a.terms[0].label, b.terms[0].label) == ("Δu = 0", "laplace(u) = 0")
    assert a == b and hash(a) == hash(b)


def test_different_maths_gives_different_ir():
    assert ir_of("Dxx(u) = 0") != ir_of("Dyy(u) = 0")
    assert ir_of("u = 0 at x = 0") != ir_of("u = 0 at x = 1")
    assert ir_of("u = 0 on ∂Ω weight 2") != ir_of("u = 0 on ∂Ω weight 3")
    assert ir_of("u = x/y/2") != ir_of("u = x/(y/2)")
    assert ir_of("u = x - y - 1") != ir_of("u = x - (y - 1)")


# ---- weights ------------------------------------------------------------------------

WEIGHTS = [
    ("", 1.0),
    (" weight 100", 100.0),
    (" weight 0.5", 0.5),
    (" weight 1e-3", 1e-3),
    (" weight 2.5E+2", 250.0),
    (" weight 1/4", 0.25),
    (" weight 2*pi", 2 * math.pi),
    (" weight 10^2", 100.0),
    (" weight e", math.e),
    (" weight 0", 0.0),
]


@pytest.mark.parametrize(("suffix", "value"), WEIGHTS, ids=[s or "none" for s, _ in WEIGHTS])
def test_weight_is_parsed_to_the_right_float(suffix, value):
    program = compiled(HEADER_2D + "Δu = 1\nu = 0 on ∂Ω" + suffix).ir
    pde, bc = program.terms
    assert pde.weight == 1.0
    assert type(bc.weight) is float
    assert bc.weight == pytest.approx(value, rel=1e-15, abs=0)


def test_weight_on_every_kind_of_term():
    program = compiled(
        "x in [0, 1]; t in [0, 1]\nfield u(x, t)\n"
        "Dt(u) = Dxx(u) weight 2\nu = 0 on ∂Ω weight 3\nu = sin(pi*x) at t = 0 weight 4\nminimize ∫ u^2 weight 5"
    ).ir
    assert [(t.kind, t.region.kind, t.weight) for t in program.terms] == [
        ("residual", "interior", 2.0),
        ("residual", "boundary", 3.0),
        ("residual", "face", 4.0),
        ("energy", "interior", 5.0),
    ]


def test_weight_from_a_const():
    (_, bc) = compiled(HEADER_2D + "const w = 50\nΔu = 1\nu = 0 on ∂Ω weight w").ir.terms
    assert bc.weight == 50.0


# ---- Greek and other Unicode names --------------------------------------------------


def test_greek_constant():
    program = compiled("x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nconst ν = 0.1\nDt(u) + u*Dx(u) = ν*Dxx(u)").ir
    same = compiled("x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) + u*Dx(u) = 0.1*Dxx(u)").ir
    assert program == same


def test_greek_variables_fields_and_unknowns_compile_to_working_code():
    problem = compiled(
        "ξ in [0, 1]; η in [0, 1]\nfield φ(ξ, η)\nunknown κ = 2\n-κ*D(φ, ξ, ξ) - Dηη(φ) = 1\nφ = 0 on ∂Ω"
    )
    program = problem.ir
    assert [v.name for v in program.variables] == ["ξ", "η"]
    assert program.fields == (ir.FieldDecl("φ", ("ξ", "η")),)
    assert program.unknowns == (("κ", 2.0),)
    nodes = set(ir.walk(program.terms[0].expr))
    assert {ir.Field("φ", (2, 0)), ir.Field("φ", (0, 2)), ir.Unknown("κ")} <= nodes
    assert callable(problem.loss)


def test_names_with_digits_and_underscores():
    program = compiled("x_1 in [0, 1]\nfield u_2(x_1)\nconst k_3 = 4\nD(u_2, x_1) = k_3").ir
    assert program.fields == (ir.FieldDecl("u_2", ("x_1",)),)
    assert ir.Field("u_2", (1,)) in set(ir.walk(program.terms[0].expr))


# ---- the examples of LANGUAGE.md ("Examples that must work") -----------------------


def test_seed_example():
    program = compiled(SEED).ir
    assert [(v.name, v.lo, v.hi) for v in program.variables] == [("x", -1.0, 1.0), ("y", -1.0, 1.0)]
    (energy,) = program.terms
    assert (energy.name, energy.kind, energy.region) == ("energy", "energy", ir.INTERIOR)
    assert energy.expr == ir.Pow(ir.Field("u", (1, 0)), ir.Num(2.0))


def test_poisson_example():
    program = compiled(POISSON).ir
    assert [(t.name, t.kind, t.region.kind, t.weight) for t in program.terms] == [
        ("pde", "residual", "interior", 1.0),
        ("bc", "residual", "boundary", 1.0),
    ]
    assert [name for name, _ in program.exact] == ["u"]
    assert program.terms[1].expr == ir.Field("u", (0, 0))


def test_ritz_example():
    program = compiled(RITZ).ir
    assert [(t.name, t.kind, t.region.kind, t.weight) for t in program.terms] == [
        ("energy", "energy", "interior", 1.0),
        ("bc", "residual", "boundary", 500.0),
    ]
    nodes = set(ir.walk(program.terms[0].expr))
    assert {ir.Field("u", (1, 0)), ir.Field("u", (0, 1)), ir.Field("u", (0, 0))} <= nodes


def test_ritz_energy_is_half_the_squared_gradient_minus_f_u():
    ritz = ir_of("minimize ∫ (|∇u|^2/2 - 2*pi^2*sin(pi*x)*sin(pi*y)*u)")
    spelled_out = ir_of("minimize ∫ (Dx(u)^2/2 + Dy(u)^2/2 - 2*pi^2*sin(pi*x)*sin(pi*y)*u)")
    assert ritz == spelled_out


def test_burgers_example():
    program = compiled(BURGERS).ir
    assert [(t.name, t.region) for t in program.terms] == [
        ("pde", ir.INTERIOR),
        ("ic", ir.Face("t", 0.0)),
        ("bc1", ir.Face("x", -1.0)),
        ("bc2", ir.Face("x", 1.0)),
    ]
    spelled = ir_of("Dt(u) + u*Dx(u) = 0.01/pi*Dxx(u)", header="x in [-1, 1]; t in [0, 1]\nfield u(x, t)\n")
    assert program.terms[0] == spelled.terms[0]


def test_inverse_example_compiles_next_to_its_data():
    """LANGUAGE.md's inverse problem, read as if it were a file in examples/ (where heat_obs.csv is)."""
    examples = pathlib.Path(__file__).resolve().parent.parent / "examples"
    problem = symbolic_pinn.compile(symbolic_pinn.parse(INVERSE, filename=str(examples / "inverse.pinn")))
    assert [t.region.kind for t in problem.ir.terms] == ["interior", "data"]
    assert ir.Observed("u") in set(ir.walk(problem.ir.terms[1].expr))


def test_inverse_example_without_its_data_file_is_a_located_error(tmp_path):
    with pytest.raises(symbolic_pinn.PinnError) as caught:
        symbolic_pinn.parse(INVERSE, filename=str(tmp_path / "inverse.pinn"))
    err = caught.value
    assert "does not exist" in err.message
    assert err.span is not None and err.span.line == 6 and err.span.column == 1
    assert err.help
    assert '6 | data "heat_obs.csv"' in err.render()


def test_inverse_example_without_data_compiles():
    program = compiled(INVERSE.replace('data "heat_obs.csv"\n', "")).ir
    assert program.unknowns == (("k", 0.5),)
    assert ir.Unknown("k") in set(ir.walk(program.terms[0].expr))


@pytest.mark.parametrize("text", LANGUAGE_EXAMPLES[:4], ids=["seed", "poisson", "ritz", "burgers"])
def test_language_examples_compile_to_loadable_code(text):
    problem = compiled(text)
    assert "def loss(params, points):" in problem.source
    assert set(problem.module.WEIGHTS) == {t.name for t in problem.ir.terms}


def test_language_examples_are_the_ones_in_language_md():
    """The examples above are copied from LANGUAGE.md; fail if the contract moved."""
    if not LANGUAGE_MD.is_file():
        pytest.skip(f"{LANGUAGE_MD} is not available here")
    document = LANGUAGE_MD.read_text(encoding="utf-8")
    section = document.split("## Examples that must work", 1)[1]
    blocks = [b.split("\n", 1)[1] for b in section.split("```")[1::2]]
    assert blocks == LANGUAGE_EXAMPLES


@pytest.mark.parametrize(
    ("name", "text"),
    [("seed.pinn", SEED), ("poisson.pinn", POISSON), ("poisson_ritz.pinn", None), ("seed_ascii.pinn", None)],
)
def test_example_files_parse_and_compile(name, text):
    path = ROOT / "examples" / name
    spec = symbolic_pinn.parse_file(path)
    assert symbolic_pinn.compile(spec).ir.terms  # with the defaults, conditions built in
    if text is not None:
        assert compiled(spec).ir == compiled(text).ir


def test_seed_and_its_ascii_spelling_are_the_same_problem():
    unicode = symbolic_pinn.compile(symbolic_pinn.parse_file(ROOT / "examples" / "seed.pinn"))
    ascii_ = symbolic_pinn.compile(symbolic_pinn.parse_file(ROOT / "examples" / "seed_ascii.pinn"))
    assert unicode.ir == ascii_.ir


# ---- what parse returns ---------------------------------------------------------------


def test_parse_returns_a_spec_with_the_declarations():
    spec = symbolic_pinn.parse(POISSON)
    assert isinstance(spec, symbolic_pinn.Spec)
    assert [(s.name, lo, hi) for s, lo, hi in spec.variables] == [("x", 0.0, 1.0), ("y", 0.0, 1.0)]
    assert [str(f) for f in spec.fields] == ["u(x, y)"]
    assert [t.line for t in spec.terms] == [4, 5]
    assert [t.label for t in spec.terms] == ["-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)", "u = 0 on ∂Ω"]


def test_a_long_flat_sum_is_not_deep_nesting():
    """600 terms in a row is long, not nested: it must parse (it is a 1.2 kB line)."""
    text = "x in [0, 1]\nfield u(x)\nDxx(u) = " + " + ".join(f"{i}*x" for i in range(600)) + "\n"
    spec = symbolic_pinn.parse(text)
    assert len(spec.terms) == 1


def test_the_grammar_has_no_conflicts():
    """LALR conflicts are resolved silently (a shift wins): a new rule must not read text two ways."""
    import logging

    import lark

    from symbolic_pinn._frontend.parse import grammar_path

    records = []

    class _Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler, level = _Keep(), lark.logger.level
    lark.logger.addHandler(handler)
    lark.logger.setLevel(logging.DEBUG)  # lark keeps its logger at CRITICAL
    try:
        lark.Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="contextual", debug=True)
    finally:
        lark.logger.removeHandler(handler)
        lark.logger.setLevel(level)
    assert not [r for r in records if "conflict" in r.lower()]
