"""`check` and `compile` evaluate every `exact` solution against the problem's equations and
conditions and warn of those it does not satisfy (issue #29)."""

import pathlib

import pytest

import symbolic_pinn
from symbolic_pinn._compiler.exact import MAX_VARIABLES, unsatisfied
from symbolic_pinn._product import cli as _cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
WITH_EXACT = sorted(p.name for p in (ROOT / "examples").glob("*.pinn") if "\nexact " in "\n" + p.read_text())
HEAT = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = sin(pi*x) at t = 0\nu = 0 on ∂Ω\n"


def test_a_typo_in_a_constant_warns_naming_the_term(capsys, tmp_path):
    problem = tmp_path / "heat.pinn"
    problem.write_text(HEAT + "exact u = exp(-pi^2*t)*sin(3.14*x)\n", encoding="utf-8")
    assert _cli.main(["check", str(problem)]) == 0
    _, err = capsys.readouterr()
    warned = [line for line in err.splitlines() if line.startswith("warning: the exact solution does not satisfy")]
    assert [line.split("`")[1] for line in warned] == ["Dt(u) = Dxx(u)", "u = sin(pi*x) at t = 0", "u = 0 on ∂Ω"]
    assert "its residual there is" in warned[0]


def test_a_correct_exact_solution_does_not_warn():
    assert unsatisfied(HEAT + "exact u = exp(-pi^2*t)*sin(pi*x)\n") == []


@pytest.mark.parametrize("name", WITH_EXACT)
def test_no_example_warns(name):
    assert len(WITH_EXACT) >= 15
    spec = symbolic_pinn.parse_file(ROOT / "examples" / name)
    if len(spec.variables) > MAX_VARIABLES:
        pytest.skip(
            f"{len(spec.variables)} variables: `check` does not run the exact check (test_indices.py checks those)"
        )
    assert unsatisfied(spec) == []


def test_check_says_when_it_does_not_check_the_exact_solution(capsys):
    assert _cli.main(["check", str(ROOT / "examples" / "poisson_100d.pinn")]) == 0
    _, err = capsys.readouterr()
    assert "`exact` is not checked" in err and "100 variables" in err
