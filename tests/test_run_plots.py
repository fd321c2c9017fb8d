"""A run's plots from Python: run.plot() gives matplotlib figures, run.save() writes the run
directory of a run trained without one, or the plots a run was trained without (issue #29)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import symbolic_pinn

LINE = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)\n"
SETTINGS = {"adam_steps": 3, "lbfgs_steps": 0, "interior_points": 8, "progress": False}


@pytest.fixture(scope="module")
def problem():
    return symbolic_pinn.compile(LINE, width=4, depth=1)


@pytest.fixture(scope="module")
def run(problem):
    return problem.train(**SETTINGS)


def test_plot_gives_the_figures_named_as_their_files(run):
    figures = run.plot()
    assert sorted(figures) == ["error_u", "loss", "solution_u"]
    assert all(isinstance(f, Figure) for f in figures.values())
    line = next(line for line in figures["solution_u"].axes[0].get_lines() if len(line.get_xdata()) > 2)
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    np.testing.assert_allclose(y, np.asarray(run.field("u")(x)), rtol=1e-5, atol=1e-6)
    assert list(run.plot("solution")) == ["solution_u"]
    with pytest.raises(symbolic_pinn.PinnError, match="no plot of kind 'heat'"):
        run.plot("heat")


def test_save_writes_a_run_directory_that_loads(run, tmp_path):
    written = run.save(tmp_path / "run")
    assert {"metrics.json", "params.npz", "problem.pinn", "loss.png", "solution_u.png"} <= set(written)
    loaded = symbolic_pinn.load(tmp_path / "run")
    np.testing.assert_allclose(np.asarray(loaded.field("u")(0.3)), np.asarray(run.field("u")(0.3)), rtol=1e-6)
    with pytest.raises(symbolic_pinn.PinnError, match="holds an earlier run"):
        run.save(tmp_path / "run")


def test_save_writes_the_plots_a_run_was_trained_without(problem, tmp_path):
    trained = problem.train(tmp_path, plots=False, **SETTINGS)
    assert not (tmp_path / "loss.png").exists()
    assert sorted(trained.save()) == ["error_u.png", "loss.png", "solution_u.png"]
    assert (tmp_path / "solution_u.png").stat().st_size > 0
    assert trained.save() == []  # already there
