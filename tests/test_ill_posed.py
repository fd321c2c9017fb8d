"""Warnings for problems that are very likely ill-posed: second derivatives in space
with no boundary condition, a time derivative with no initial condition.

They are warnings (IllPosedWarning), not errors: the problem still compiles.  Each case
below is paired with the well-posed problem it differs from by one line, which must
not warn (the suite runs with warnings as errors).
"""

from __future__ import annotations

import warnings

import pytest
import sympy

import symbolic_pinn as sp

POISSON = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\n"
HEAT = "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\n"


@pytest.mark.parametrize(
    "source, message",
    [
        (POISSON, r"'u' has second derivatives in space \(line 3\) but no condition on the boundary"),
        (HEAT + "u = 0 at t = 0\n", "'u' has second derivatives in space"),
        (HEAT + "u = 0 on ∂Ω\n", r"'u' changes in time \(line 3\) but has no initial condition"),
        (  # a condition at one value of a parameter is not on the boundary
            "x in [0, 1]\nparam k in [1, 2]\nfield u(x, k)\n-Dxx(u) = k\nu(x, 1) = 0\n",
            "'u' has second derivatives in space",
        ),
        (
            "x in [0, 1]; y in [0, 1]\nfield u(x, y), v(x, y)\n-Δu = v\n-Δv = 1\nv = 0 on ∂Ω\n",
            "'u' has second derivatives",
        ),
    ],
)
def test_likely_ill_posed_problems_warn(source, message):
    with pytest.warns(sp.IllPosedWarning, match=message):
        spec = sp.parse(source)
    assert spec.terms  # a warning, not an error: the problem is there


@pytest.mark.parametrize(
    "source",
    [
        POISSON + "u = 0 on ∂Ω\n",
        POISSON + "u = 0 at x = 0\n",  # one face is enough to pin it
        POISSON + "u(0, y) = u(1, y)\nu(x, 0) = 0\n",  # conditions at fixed coordinates
        "let hole = disk((0, 0), 0.25)\n(x, y) in box((-1, -1), (1, 1)) \\ hole\nfield u(x, y)\n-Δu = 1\n"
        "u = 0 on ∂hole\n",
        HEAT + "u = 0 at t = 0\nu = 0 on ∂Ω\n",
        HEAT + "u(x, 0) = 0\nu(-1, t) = u(1, t)\nDx(u)(-1, t) = Dx(u)(1, t)\n",  # a periodic pair: two conditions
        "x in [0, 1]\nfield u(x)\nminimize ∫ (Dx(u)^2/2 - u)\n",  # first derivatives: natural conditions
        "x in [0, 1]; y in [0, 1]\nparam k in [1, 2]\nfield u(x, y, k)\n-Δu = k\nu = 0 on ∂Ω\n",
    ],
)
def test_well_posed_problems_do_not_warn(source):
    with warnings.catch_warnings():
        warnings.simplefilter("error", sp.IllPosedWarning)
        sp.parse(source)


def test_the_sympy_front_end_warns_too():
    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    with pytest.warns(sp.IllPosedWarning, match="no condition on the boundary"):
        sp.from_sympy(variables={x: (0, 1), y: (0, 1)}, fields=[u], terms=[sympy.Eq(-u.diff(x, 2) - u.diff(y, 2), 1)])


def test_no_example_warns(examples_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", sp.IllPosedWarning)
        for path in sorted(examples_dir.glob("*.pinn")):
            sp.parse_file(path)


def test_the_command_line_prints_the_warning_on_one_line(tmp_path, capsys):
    from symbolic_pinn._product import cli as _cli

    path = tmp_path / "fragment.pinn"
    path.write_text(POISSON, encoding="utf-8")
    assert _cli.main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: 'u' has second derivatives in space (line 3) but no condition on the boundary" in err
    assert "Traceback" not in err and "IllPosedWarning" not in err


# ---- conditions counted per system in one space variable (issue #28) ----

BEAM = "x in [0, 1]\nfield u(x), v(x), w(x), m(x)\nDx(u) = v\nDx(v) = w\nDx(w) = m\nDx(m) = 1\n"


@pytest.mark.parametrize(
    "source",
    [
        # Dxxxx(u) = 1 as four first-order fields, a cantilever's four conditions spread over them
        BEAM + "u = 0 at x = 0\nv = 0 at x = 0\nw = 0 at x = 1\nm = 0 at x = 1\n",
        # a chain: w = Dxx(u) is given at x = 1 through Dxx(u) = 0 there (before: 'w' has no condition)
        "x in [0, 1]\nfield u(x), v(x), w(x)\nDx(u) = v\nDx(v) = w\nDxx(w) = 1\nu = 0 at x = 0\n"
        "Dx(u) = 0 at x = 0\nDxx(u) = 0 at x = 1\nDxxx(u) = 0 at x = 1\n",
        # a clamped beam as u'' = m, m'' = 1: all four conditions on u (before: 'm' has no condition)
        "x in [0, 1]\nfield u(x), m(x)\nDxx(u) = m\nDxx(m) = 1\nu = 0 on ∂Ω\nDx(u) = 0 on ∂Ω\n",
        # singular at r = 0 (the polar Laplacian, a bounded solution): one condition is enough
        "r in [0, 1]\nfield u(r)\nDrr(u) + Dr(u)/r = 1\nu = 0 at r = 1\n",
        "x in [0, 1]\nfield u(x)\nx*Dxx(u) + Dx(u) = 1\nu = 0 at x = 1\n",
        "x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 at x = 0\n∫ u = 1\n",  # an integral constraint counts
    ],
)
def test_systems_with_as_many_conditions_as_their_order_do_not_warn(source):
    with warnings.catch_warnings():
        warnings.simplefilter("error", sp.IllPosedWarning)
        sp.parse(source)


@pytest.mark.parametrize(
    "source, message",
    [
        (BEAM + "u = 0 at x = 0\n", r"the system of 'u', 'v', 'w', 'm' \(lines 3, 4, 5, 6\) has order 4 in x but 1 "),
        (BEAM + "u = 0 on ∂Ω\nw = 0 at x = 1\n", "order 4 in x but 3 conditions.*add 1 more"),
        ("x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 at x = 0\n", r"'u' \(line 3\) has order 2 in x but 1 condition"),
        # periodic values alone leave the heat equation's solution open (the same value at both ends, any value)
        (HEAT + "u(x, 0) = 0\nu(-1, t) = u(1, t)\n", "order 2 in x but 1 condition"),
    ],
)
def test_systems_short_of_conditions_warn(source, message):
    with pytest.warns(sp.IllPosedWarning, match=message):
        sp.parse(source)


def test_the_count_is_made_from_sympy_too():
    x = sympy.Symbol("x")
    u, v = sympy.Function("u")(x), sympy.Function("v")(x)
    terms = [sympy.Eq(u.diff(x), v), sympy.Eq(v.diff(x), 1), sp.Equation(sympy.Eq(u, 0), on={x: 0})]
    with pytest.warns(sp.IllPosedWarning, match="order 2 in x but 1 condition"):
        sp.from_sympy(variables={x: (0, 1)}, fields=[u, v], terms=terms)
