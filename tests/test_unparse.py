"""A problem printed back as text (``_frontend.unparse``): parsed again, it gives the same code.

This is what the run directory of a problem built from SymPy holds as ``problem.pinn``;
the examples stand for such problems here, their text taken away.
"""

import dataclasses
import pathlib

import pytest
import sympy

import symbolic_pinn
from symbolic_pinn._frontend.unparse import unparse
from symbolic_pinn._product import run as _run

ROOT = pathlib.Path(__file__).resolve().parent.parent

INLINE = {
    "unknown and a constraint": "x in [0, 1]\nfield u(x)\nunknown k = 0.5\nk*Dxx(u) = -1\n∫ u = 0.25 weight 10\n"
    "u = 0 at x = 0\nexact u = x*(1 - x)/2",
    "minimize with a boundary energy": "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nminimize ∫ (|∇u|^2/2 - u) + ∮ (u^2/2)",
    "a derivative at a point": "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = sin(pi*x) at t = 0\n"
    "Dx(u)(0, t) = Dx(u)(1, t)\nu(0, t) = u(1, t)",
    "an integral inside an equation": "x in [0, 1]\nfield u(x)\nu - ∫(u(s)*x*s, s, 0, 1) = x/2",
    "a normal derivative times a factor": "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔu = 1\n"
    "(1 + x)*Dn(u) + 2*Dn(u) + u = 0 on ∂Ω",
}


def without_text(spec):
    """The problem as from_sympy would give it: no text, no file."""
    return dataclasses.replace(spec, source=None, filename=None)


def recompiled(problem):
    text = _run.problem_text(problem)
    return text, _run._compile_text(text, None, problem.network_settings, [t.label for t in problem.spec.terms])


EXAMPLES = ["poisson", "poisson_ritz", "heat", "neumann", "allen_cahn", "parametric", "periodic", "disk_poisson",
            "l_shape", "interface", "kovasznay", "beam", "annulus"]  # fmt: skip


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_example_printed_and_parsed_again_compiles_to_the_same_code(name):
    spec = symbolic_pinn.parse_file(ROOT / "examples" / f"{name}.pinn")
    problem = symbolic_pinn.compile(without_text(spec), width=4, depth=1)
    text, again = recompiled(problem)
    assert again.source == problem.source
    assert text != spec.source  # printed, not copied


@pytest.mark.parametrize("text", INLINE.values(), ids=INLINE.keys())
def test_printed_forms_compile_to_the_same_code(text):
    problem = symbolic_pinn.compile(without_text(symbolic_pinn.parse(text)), width=4, depth=1)
    assert recompiled(problem)[1].source == problem.source


def test_a_sympy_problem_prints_as_text_that_reads_like_the_language():
    x = sympy.Symbol("x")
    u = sympy.Function("u")(x)
    spec = symbolic_pinn.from_sympy(
        variables={x: (0, 1)},
        fields=[u],
        terms=[sympy.Eq(-u.diff(x, 2), 1), symbolic_pinn.Equation(sympy.Eq(u, 0), on={x: 0}, weight=100)],
    )
    assert unparse(spec) == "x in [0, 1]\nfield u(x)\n-D(u, x, x) - 1 = 0\nu = 0 at x = 0 weight 100.0\n"


@pytest.mark.parametrize(
    "name, what",
    [("plate_hole", "a condition on ∂hole"), ("heat_inverse", "a condition on the observations in heat_obs.csv")],
)
def test_what_has_no_text_yet_is_a_clear_error(name, what):
    spec = symbolic_pinn.parse_file(ROOT / "examples" / f"{name}.pinn")
    problem = symbolic_pinn.compile(without_text(spec), width=4, depth=1)
    with pytest.raises(symbolic_pinn.PinnError, match=f"cannot be written as problem text: {what}"):
        _run.problem_text(problem)
