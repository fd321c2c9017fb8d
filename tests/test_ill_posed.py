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
        HEAT + "u(x, 0) = 0\nu(-1, t) = u(1, t)\n",
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
