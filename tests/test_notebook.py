"""Jupyter: a compiled problem and a run show their equations (LaTeX), plan and result, and
docs/notebook.ipynb runs from top to bottom (so it cannot rot)."""

import pathlib
import re
import time

import pytest
import sympy

import symbolic_pinn

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
HEAT = (ROOT / "examples" / "heat.pinn").read_text()


@pytest.fixture(scope="module")
def heat():
    return symbolic_pinn.compile(HEAT, width=4, depth=1)


def test_a_compiled_problem_shows_its_equations_and_plan(heat):
    shown = heat._repr_markdown_()
    x, t = sympy.symbols("x t", real=True)
    u = sympy.Function("u")(x, t)
    # SymPy's own LaTeX of the equation, with u(x, t) written u
    pde = sympy.latex(sympy.Derivative(u, t) - sympy.Derivative(u, (x, 2)) / sympy.pi**2)
    assert pde.replace(sympy.latex(u), "u") + " &= 0 && \\text{in } \\Omega" in shown
    assert "u &= e^{- t} \\sin{\\left(\\pi x \\right)} && \\text{exact}" in shown
    assert "\\text{at } t = 0" in shown
    rows = [line for line in shown.splitlines() if line.startswith("| ") and "`" in line]
    assert [row.split(" | ")[-1] for row in rows] == ["loss, weight 1 |"] + ["built into u |"] * 3
    assert "u = sin(pi*x) + 4*x*(1 - x)*t·N(x, t)" in shown  # the network, as --emit plan shows it
    assert "then bfgs" in shown  # 17 parameters: the dense finisher
    assert heat._repr_latex_().startswith("$$\n\\begin{aligned}")


def test_without_hard_constraints_the_conditions_stay_in_the_loss():
    soft = symbolic_pinn.compile(HEAT, width=4, depth=1, hard_constraints=False, exact_initial=False)
    rows = [line for line in soft._repr_markdown_().splitlines() if line.startswith("| ") and "`" in line]
    assert [row.split(" | ")[0] for row in rows] == ["| pde", "| ic", "| bc1", "| bc2"]
    assert all(row.endswith("| loss, weight 1 |") for row in rows)


def test_a_run_shows_its_result(heat):
    run = heat.train(adam_steps=3, bfgs_steps=0, interior_points=16, progress=False)
    shown = run._repr_markdown_()
    assert "**Run** (no run directory)" in shown and "\\begin{aligned}" in shown
    error = run.metrics["rel_l2"]["u"]
    assert f"| relative L2 error of u | `{error:.3e}` |" in shown
    assert f"| term pde | `{run.metrics['losses']['pde']:.3e}` |" in shown


def test_the_example_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    started = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=240, resources={"metadata": {"path": str(tmp_path)}}).execute()
    seconds = time.perf_counter() - started
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    markdown = [out.data["text/markdown"] for out in outputs if "text/markdown" in out.get("data", {})]
    assert len(markdown) == 2 and "**Problem**" in markdown[0] and "**Run** in `" in markdown[1]
    # the progress: one displayed line, updated in place to the last step (not a printed line every 100 steps)
    progress = [out for out in outputs if out.get("data", {}).get("text/plain", "").startswith("step ")]
    assert len(progress) == 1 and progress[0].output_type == "display_data"
    assert progress[0].data["text/plain"].startswith("step 500/500 adam  loss ")
    assert not [out for out in outputs if out.output_type == "stream" and "step " in out.text]
    assert [out.text for out in outputs if out.output_type == "stream"][0].startswith("training on ")
    assert any("image/png" in out.get("data", {}) for out in outputs)  # the plot
    assert seconds < 120, seconds


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.pinn")), ids=lambda p: p.name)
def test_every_example_writes_its_equations(path):
    """Energies, integral constraints, data, shaped boundaries, systems: one LaTeX row per term."""
    from symbolic_pinn._product.notebook import equations_latex

    spec = symbolic_pinn.parse_file(path)
    latex = equations_latex(spec)
    rows = latex.split("\\begin{aligned}\n")[1].split("\n\\end{aligned}")[0].split(" \\\\\n")
    assert len(rows) == len(spec.terms) + len(spec.exact)
    assert all(row.count(" && ") == 1 for row in rows), rows  # equation, then where it holds
    for field in spec.fields:  # written u, not u(x, y) (nor u^{3}(x, y))
        at_own = re.escape(",".join(sympy.latex(a) for a in field.args) + " \\right)}")
        assert not re.search(rf"(?<![a-zA-Z\\]){field.func.__name__}(\^{{\d+}})?{{\\left\({at_own}", latex)
