"""Every spelling in the tables of LANGUAGE.md compiles, in a problem that gives it meaning.

The snippets are read from LANGUAGE.md itself: when the contract gains a row, this
test fails until the row has a problem here that exercises it.
"""

import pathlib
import re

import pytest

import symbolic_pinn as sp

LANGUAGE_MD = pathlib.Path(__file__).resolve().parents[2] / "shared" / "LANGUAGE.md"
if not LANGUAGE_MD.is_file():
    LANGUAGE_MD = pathlib.Path("/work/shared/LANGUAGE.md")

XY = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n"
XT = "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\n"


def table_snippets() -> list[str]:
    snippets = []
    for line in LANGUAGE_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            snippets += re.findall(r"`([^`]+)`", line.split("|")[1])
    return snippets


# snippet → a whole problem using it (the snippet appears in it verbatim, or with
# `expr`, `F`, `v` replaced by an expression, a vector field, a vector)
PROBLEMS = {
    "x in [0, 1]": "x in [0, 1]\nfield u(x)\nDxx(u) = 1\n",
    "x ∈ [0, 1]": "x ∈ [0, 1]\nfield u(x)\nDxx(u) = 1\n",
    "(x, y) in disk((0, 0), 1)": "(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δu = 4\nu = 0 on ∂Ω\n",
    "field u(x, y)": XY + "Δu = 1\n",
    "const nu = 0.01/pi": XT + "const nu = 0.01/pi\nDt(u) = nu*Dxx(u)\n",
    "let f = sin(pi*x)": XY + "let f = sin(pi*x)\nΔu = f\n",
    "unknown k = 1.0": XT + "unknown k = 1.0\nDt(u) = k*Dxx(u)\n",
    "exact u = sin(pi*x)*sin(pi*y)": XY + "-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)\nexact u = sin(pi*x)*sin(pi*y)\n",
    'data "obs.csv"': None,  # needs a file: tests/test_data.py and the heat_inverse example
    "Dt(u) + u*Dx(u) = nu*Dxx(u)": XT + "const nu = 0.01/pi\nDt(u) + u*Dx(u) = nu*Dxx(u)\n",
    "u = 0 on ∂Ω": XY + "Δu = 1\nu = 0 on ∂Ω\n",
    "u = 0 on boundary": XY + "Δu = 1\nu = 0 on boundary\n",
    "u = -sin(pi*x) at t = 0": XT + "Dt(u) = Dxx(u)\nu = -sin(pi*x) at t = 0\n",
    "Dx(u) = 0 at x = 1": XT + "Dt(u) = Dxx(u)\nDx(u) = 0 at x = 1\n",
    "u(-1, t) = u(1, t)": XT + "Dt(u) = Dxx(u)\nu(-1, t) = u(1, t)\n",
    "minimize ∫ (Dx(u))^2": XY + "minimize ∫ (Dx(u))^2\n",
    "... weight 100": XY + "Δu = 1\nu = 0 on ∂Ω weight 100\n",
    "Dx(u)": XY + "Dx(u) = 1\n",
    "Dxx(u)": XY + "Dxx(u) = 1\n",
    "Dxy(u)": XY + "Dxy(u) = 1\n",
    "Dt(u)": XT + "Dt(u) = 1\n",
    "D(u, x)": XY + "D(u, x) = 1\n",
    "D(u, x, x)": XY + "D(u, x, x) = 1\n",
    "D(u, x1, x2)": "x1 in [0, 1]; x2 in [0, 1]\nfield u(x1, x2)\nD(u, x1, x2) = 1\n",
    "∂ₓ(u)": XY + "∂ₓ(u) = 1\n",
    "∂ₓₓ(u)": XY + "∂ₓₓ(u) = 1\n",
    "∂_y(u)": XY + "∂_y(u) = 1\n",
    "∂_xy(u)": XY + "∂_xy(u) = 1\n",
    "∂x(u)": XY + "∂x(u) = 1\n",
    "Δu": XY + "Δu = 1\n",
    "Δ(u)": XY + "Δ(u) = 1\n",
    "laplace(u)": XY + "laplace(u) = 1\n",
    "∇u": XY + "minimize ∫ |∇u|^2\n",
    "grad(u)": XY + "minimize ∫ dot(grad(u), grad(u))\n",
    "div(F)": XY + "div(grad(u)) = 1\n",
    "D[v](u)": XY + "D[(1, 2)](u) = 0\n",
    "∫ expr": XY + "minimize ∫ u^2\n",
    "integral(expr)": XY + "minimize integral(u^2)\n",
    "∫_∂Ω expr": XY + "minimize ∫ u^2 + ∫_∂Ω u^2\n",
    "∮ expr": XY + "minimize ∫ u^2 + ∮ u^2\n",
    "∫(expr, s, 0, t)": XT + "Dt(u) = ∫(u(x, s), s, 0, t)\n",
    "integral(expr, s, 0, t)": XT + "Dt(u) = integral(u(x, s), s, 0, t)\n",
}


def test_every_row_of_the_contract_has_a_problem():
    missing = [s for s in table_snippets() if s not in PROBLEMS]
    assert not missing, f"LANGUAGE.md rows without a problem in this test: {missing}"


@pytest.mark.parametrize("snippet", [s for s, p in PROBLEMS.items() if p is not None])
def test_the_spelling_compiles(snippet):
    problem = PROBLEMS[snippet]
    pieces = [p for p in re.split(r"\bexpr\b|\bF\b|\[v\]|\.\.\.", snippet) if p.strip()]
    assert all(piece in problem for piece in pieces), f"{snippet!r} is not in its problem"
    compiled = sp.compile(problem, width=4, depth=1)
    assert compiled.ir.terms
