"""Problems the checker used to accept as a silently different problem (issues #27, #28): each is refused
with the line, a caret and what to write, or now means what it says."""

from __future__ import annotations

import warnings

import pytest

import symbolic_pinn as sp

BASE = "x in [0, 1]\nfield u(x)\n"
BC = "u = 0 on ∂Ω\n"


def refused(text: str) -> sp.PinnError:
    with pytest.raises(sp.PinnError) as info:
        sp.parse(text)
    return info.value


def caret_under(err: sp.PinnError, text: str, fragment: str) -> None:
    """The error's column points at ``fragment`` on its line."""
    line = text.splitlines()[err.span.line - 1]
    assert line[err.span.column - 1 :].startswith(fragment), (line, err.span)
    assert "^" in str(err)


@pytest.mark.parametrize(
    ("body", "fragment", "words"),
    [
        ("-Dxx(u) = ∫(u(s), s, 0, 5)\n", "5)", "[0, 1]"),  # an integration limit beyond x's interval
        ("-Dxx(u) = ∫(u(s), s, x - 1, x)\n", "x - 1", "[-1, 0]"),  # a limit that moves with x, and leaves
        ("-Dxx(u) = ∫(Dx(u)(s), s, -1, x)\n", "-1", "[0, 1]"),  # a derivative taken at the integration variable
        ("-Dxx(u) = u(x + 1)\n", "x + 1", "[1, 2]"),  # a shifted argument
        ("-Dxx(u) = Dx(u)(2*x)\n", "2*x", "[0, 2]"),  # a derivative at a scaled point
        ("-Dxx(u) = delta(x - 5)\n", "x - 5", "never 0"),  # a point source centred outside
    ],
)
def test_points_outside_the_domain_are_refused_at_the_spot(body, fragment, words):
    text = BASE + body + BC
    err = refused(text)
    caret_under(err, text, fragment)
    assert words in str(err)


@pytest.mark.parametrize(
    "body",
    [
        "-Dxx(u) = ∫(u(s), s, 0, x)\n",  # Volterra: s runs over [0, x] ⊂ [0, 1]
        "-Dxx(u) = u(1 - x)\n",  # a reflection stays inside
        "-Dxx(u) = u(4*x*(1 - x))\n",  # inside, though interval arithmetic would say [0, 4]
        "-Dxx(u) = delta(x - 1)\n",  # centred on the boundary: half the source
        "let g(w) = u(w)\n-Dxx(u) = g(x/2)\n",  # a user function's body is checked at each call
    ],
)
def test_points_inside_the_domain_are_accepted(body):
    sp.parse(BASE + body + BC)


def test_a_user_function_call_that_leaves_the_domain_is_refused():
    err = refused(BASE + "let g(w) = u(w)\n-Dxx(u) = g(x + 2)\n" + BC)
    assert "[2, 3]" in str(err)


def test_a_shifted_argument_on_a_disk():
    sp.parse("(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δu = u(x/2 + 0.4, y)\nu = 0 on ∂Ω\n")
    err = refused("(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δu = u(x + 0.5, y)\nu = 0 on ∂Ω\n")
    assert "[-1, 1]" in str(err)


# ---- names (issue #27) ----


@pytest.mark.parametrize(
    ("text", "fragment", "words"),
    [
        (BASE + "let Dx(s) = 0\n-Dxx(u) = Dx(u)\n" + BC, "Dx(s)", "derivative operator"),
        (BASE + "const Dxx = 2\n-Dxx(u) = Dxx\n" + BC, "Dxx =", "derivative operator"),
        (BASE + "let g(Dx) = Dx\n-Dxx(u) = g(1)\n" + BC, "Dx)", "derivative operator"),
        (
            BASE + "const a = 1\nconst а = 2\n-Dxx(u) = a + а\n" + BC,
            "а = 2",
            "'а' (Cyrillic) looks the same as 'a' (Latin)",
        ),
        (BASE + "const a = 1\n-Dxx(u) = а\n" + BC, "а", "looks like 'a' (Latin)"),
        (BASE + "const vеl = 1\n-Dxx(u) = vеl\n" + BC, "vеl", "mixes Cyrillic and Latin"),
        (BASE + "const Ρ = 1\nconst P = 2\n-Dxx(u) = P\n" + BC, "P = 2", "'P' (Latin) looks the same as 'Ρ' (Greek)"),
    ],
)
def test_names_that_shadow_or_look_alike_are_refused_at_the_spot(text, fragment, words):
    err = refused(text)
    caret_under(err, text, fragment)
    assert words in str(err)


def test_names_are_nfkc_normalised_and_greek_letters_stay_names():
    spec = sp.parse(
        "ｘ in [0, 1]\nfield u(x)\nconst ν = 2\nconst v = 3\nconst Da = 4\n-Dxx(u) = ν + v + Da\nu = 0 on ∂Ω\n"
    )
    assert [s.name for s, _, _ in spec.variables] == ["x"]  # full-width ｘ is x
    assert (
        "Dxx(u) = ν + v + Da" in spec.terms[0].label
    )  # ν and v are different letters; D then a non-variable is a name


# ---- spellings from other tools, labels, warnings (issue #28) ----


@pytest.mark.parametrize("spelling", ["dirac", "δ"])
def test_dirac_and_greek_delta_are_the_point_source(spelling):
    ours = sp.parse(BASE + "-Dxx(u) = delta(x - 0.3, 0.05)\n" + BC)
    theirs = sp.parse(BASE + f"-Dxx(u) = {spelling}(x - 0.3, 0.05)\n" + BC)
    assert theirs.terms[0].expr == ours.terms[0].expr
    assert "centred outside" in str(refused(BASE + f"-Dxx(u) = {spelling}(x + 3)\n" + BC))


def test_a_declared_delta_spelling_still_wins():
    spec = sp.parse(BASE + "const δ = 0.1\n-Dxx(u) = δ\n" + BC)
    assert float(-spec.terms[0].expr.subs(spec.fields[0], 0).doit()) == pytest.approx(0.1)


def test_the_normal_spelled_normal_points_to_n():
    # n and n_x are the normal itself (tests/test_restricted_conditions.py); `normal` is answered
    text = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\nnormal*Dx(u) = 0 on ∂Ω\n"
    err = refused(text)
    caret_under(err, text, "normal")
    assert "written n" in str(err) and "Dn(u)" in str(err)


def test_a_condition_at_the_last_time_is_labelled_terminal_not_initial():
    from symbolic_pinn._compiler.lower import lower

    text = (
        "x in [0, 1]; t in [0, 2]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = sin(pi*x) at t = 0\nu = 0 at t = 2\nu = 0 on ∂Ω\n"
    )
    names = [term.name for term in lower(sp.parse(text)).terms]
    assert names == ["pde", "ic", "tc", "bc"]


BEAM = "x in [0, 1]\nfield u(x), m(x)\n"


@pytest.mark.parametrize(
    "body",
    [
        # simply supported beam as two second-order fields: m = u'' is given at both ends through u
        "Dxx(u) = m\nDxx(m) = 1\nu = 0 at x = 0\nu = 0 at x = 1\nDxx(u) = 0 at x = 0\nDxx(u) = 0 at x = 1\n",
        # a cantilever: u = u' = 0 at the root, m = u'' and m' = u''' zero at the tip
        "Dxx(u) = m\nDxx(m) = 1\nu = 0 at x = 0\nDx(u) = 0 at x = 0\nDxx(u) = 0 at x = 1\nDxxx(u) = 0 at x = 1\n",
    ],
)
def test_a_beam_written_as_a_system_is_not_called_ill_posed(body):
    with warnings.catch_warnings():
        warnings.simplefilter("error", sp.IllPosedWarning)
        sp.parse(BEAM + body)


def test_a_field_given_only_through_a_value_condition_is_still_warned_about():
    # -u'' = m, -m'' = 1 with u = 0 at both ends: m has no condition of its own and none through u
    with pytest.warns(sp.IllPosedWarning, match="'m'"):
        sp.parse(BEAM + "-Dxx(u) = m\n-Dxx(m) = 1\nu = 0 at x = 0\nu = 0 at x = 1\n")


def test_a_coordinate_on_a_disk_is_sampled_inside_the_disk():
    # x + y reaches √2 on the unit disk (and 2 at the box's corner, which is not in it)
    err = refused("(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δu = u(x + y, 0)\nu = 0 on ∂Ω\n")
    assert "outside the interval [-1, 1]" in str(err)
    sp.parse("(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δu = u((x + y)/2, 0)\nu = 0 on ∂Ω\n")


DYNAMIC = "x in [0, 1]; t in [0, 1]\nfield u(x, t), v(x, t), m(x, t)\nDt(u) = v\nDt(v) = -Dxx(m)\nm = Dxx(u)\n"


def test_a_moving_beam_with_its_conditions_on_u_is_not_called_ill_posed():
    # v = Dt(u) starts at Dt(u) = 0, m = Dxx(u) is zero at the ends through Dxx(u) = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", sp.IllPosedWarning)
        sp.parse(DYNAMIC + "u = sin(pi*x) at t = 0\nDt(u) = 0 at t = 0\nu = 0 on ∂Ω\nDxx(u) = 0 on ∂Ω\n")


def test_a_moving_beam_without_a_start_for_v_is_still_warned_about():
    with pytest.warns(sp.IllPosedWarning, match="'v' changes in time"):
        sp.parse(DYNAMIC + "u = sin(pi*x) at t = 0\nu = 0 on ∂Ω\nDxx(u) = 0 on ∂Ω\n")


# ---- Δ as a value's name (issue #28) ----

SQUARE = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n"


@pytest.mark.parametrize("spelling", ["Δu", "Δ(u)", "Δ u", "∇²u", "laplace(u)"])
def test_the_laplacian_is_read_as_before_when_no_value_is_named_delta(spelling):
    ours = sp.parse(SQUARE + "-laplace(u) = 1\n" + BC)
    assert sp.parse(SQUARE + f"-{spelling} = 1\n" + BC).terms[0].expr == ours.terms[0].expr


@pytest.mark.parametrize(
    "declaration, use, meant",
    [
        ("const Δ = 0.1", "u*Δ", "u*0.1"),
        ("let Δ = 2*x", "Δ^2*u", "(2*x)^2*u"),  # a macro of the variables
        ("const Δ = 0.1", "u*Δ/(1 + Δ)", "u*0.1/(1 + 0.1)"),
    ],
)
def test_a_value_named_delta_is_that_value_alone(declaration, use, meant):
    spec = sp.parse(SQUARE + f"{declaration}\n-∇²u + {use} = 1\n" + BC)
    assert spec.terms[0].expr == sp.parse(SQUARE + f"-∇²u + {meant} = 1\n" + BC).terms[0].expr


def test_an_unknown_named_delta_is_trained():
    compiled = sp.compile("x in [0, 1]\nfield u(x)\nunknown Δ = 0.5\n-Dxx(u) + Δ*u = 1\n" + BC, width=4, depth=1)
    assert compiled.module.UNKNOWNS == {"Δ": 0.5}


@pytest.mark.parametrize(
    "body",
    [
        "const Δ = 0.1\n-Δu = 1\n",
        "-Δu = 1\nconst Δ = 0.1\n",  # declared after: still ambiguous, never silently the Laplacian
        "let Δ = 0.1\n-Δ(u) = 1\n",
    ],
)
def test_delta_before_an_operand_in_a_problem_with_a_value_named_delta_is_refused(body):
    text = SQUARE + body + BC
    err = refused(text)
    caret_under(err, text, "Δ")
    assert "ambiguous" in str(err) and "laplace(u)" in str(err)
    assert err.span.line == 3 + body.splitlines().index(next(b for b in body.splitlines() if b.startswith("-")))


def test_the_other_spellings_of_the_laplacian_stay_beside_a_value_named_delta():
    ours = sp.parse(SQUARE + "-laplace(u) + 0.1*u = 1\n" + BC)
    spec = sp.parse(SQUARE + "const Δ = 0.1\n-∇²u + Δ*u = 1\n" + BC)
    assert spec.terms[0].expr == ours.terms[0].expr


@pytest.mark.parametrize(
    "text, fragment, words",
    [
        (SQUARE + "-Δu = Δ\n" + BC, "Δ", "nothing follows it"),  # Δ alone, never declared: the second Δ
        (SQUARE + "field Δ(x, y)\n", "Δ(x", "cannot name a field"),
        (SQUARE + "let Δ(a) = a\n", "Δ(a", "cannot name a field, function"),
        ("Δ in [0, 1]\n", "Δ in", "cannot name a field, function or variable"),
        ("time Δ in [0, 1]\n", "Δ in", "cannot name a field, function or variable"),
    ],
)
def test_delta_where_it_cannot_be_a_value_is_a_located_error(text, fragment, words):
    err = refused(text)
    caret_under(err, text, fragment)
    assert words in str(err)
    assert "Δu" not in text or err.span.column == 7  # `-Δu = Δ`: the Δ alone, not the Laplacian's
