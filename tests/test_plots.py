"""Plots of a run: valid PNG files of the loss, each field and its error.

The fields are drawn from freshly initialised networks (the pictures do not depend on
how well they were trained); only the loss plot needs a short run's history.
"""

import jax
import matplotlib.image
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._plots import write_plots
from symbolic_pinn._train import TrainConfig, TrainResult, train


def untrained(compiled) -> TrainResult:
    params = compiled.init_params(jax.random.PRNGKey(0))
    return TrainResult(params=params, history=[], metrics={}, points={}, config=TrainConfig())


def image(path) -> np.ndarray:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    return matplotlib.image.imread(path)


def assert_a_picture(path, wider_than_tall: bool = False) -> None:
    pixels = image(path)
    height, width, channels = pixels.shape
    assert channels in (3, 4)
    assert height >= 200 and width >= 300
    assert pixels[..., :3].std() > 0.05, f"{path.name} is blank"
    if wider_than_tall:
        assert width > 2 * height, pixels.shape


def test_one_variable_with_exact_solution(tmp_path):
    compiled = symbolic_pinn.compile(
        "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)", width=8, depth=2
    )
    result = train(compiled, TrainConfig(adam_steps=25, lbfgs_steps=3, interior_points=32, progress=False))
    names = write_plots(tmp_path, compiled, result)
    assert names == ["loss.png", "solution_u.png", "error_u.png"]
    for name in names:
        assert_a_picture(tmp_path / name)


def test_two_variables_are_a_heat_map_without_error_plot_when_no_exact(tmp_path):
    compiled = symbolic_pinn.compile("x in [0, 1]; y in [0, 2]\nfield u(x, y)\nΔu = 1\nu = 0 on ∂Ω", width=8, depth=2)
    names = write_plots(tmp_path, compiled, untrained(compiled))
    assert names == ["loss.png", "solution_u.png"]
    assert not (tmp_path / "error_u.png").exists()
    assert_a_picture(tmp_path / "solution_u.png")
    assert image(tmp_path / "loss.png").shape[:2] == (450, 700)  # an empty history still gives a picture


def test_time_dependent_fields_are_snapshots(tmp_path):
    text = (
        "x in [0, 1]; y in [0, 1]; t in [0, 1]\nfield u(x, y, t)\nfield v(x, t)\n"
        "Dt(u) = Dxx(u) + Dyy(u)\nDt(v) = Dxx(v)\nexact v = exp(-pi^2*t)*sin(pi*x)"
    )
    compiled = symbolic_pinn.compile(text, width=8, depth=2)
    names = write_plots(tmp_path, compiled, untrained(compiled))
    assert names == ["loss.png", "solution_u.png", "solution_v.png", "error_v.png"]
    assert_a_picture(tmp_path / "solution_u.png", wider_than_tall=True)  # one heat map per time
    assert_a_picture(tmp_path / "solution_v.png")  # one line per time
    assert_a_picture(tmp_path / "error_v.png")


@pytest.mark.parametrize("float64", [False, True])
def test_plots_in_either_precision(tmp_path, float64):
    compiled = symbolic_pinn.compile("x in [0, 1]\nfield u(x)\nDxx(u) = 1\nexact u = x^2/2", width=4, depth=1)
    result = untrained(compiled)
    result.config = TrainConfig(float64=float64)
    write_plots(tmp_path, compiled, result)
    assert_a_picture(tmp_path / "error_u.png")
