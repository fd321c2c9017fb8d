"""Plots of a run: valid PNG files of the loss, each field and its error.

The fields are drawn from freshly initialised networks (the pictures do not depend on
how well they were trained); only the loss plot needs a short run's history.
"""

import jax
import matplotlib.image
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._product.plots import MAP_POINTS, _field_figure, _inside, _on_grid
from symbolic_pinn._product.run import write_plots
from symbolic_pinn._training.train import TrainConfig, TrainResult, train


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
    result = train(compiled, TrainConfig(adam_steps=25, bfgs_steps=0, interior_points=32, progress=False))
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


def meshes(figure):
    """Each heat map's (axes, mesh) of a figure, colour bars left out."""
    return [(ax, ax.collections[0]) for ax in figure.axes if ax.collections and ax.get_label() != "<colorbar>"]


def test_a_disk_is_blank_outside_with_equal_axes_and_the_exact_solution_beside(tmp_path, examples_dir):
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(examples_dir / "disk_poisson.pinn"), width=4, depth=1)
    network = _on_grid(compiled.module.fields(untrained(compiled).params)["u"], ("x", "y"))
    exact = _on_grid(compiled.module.EXACT["u"], ("x", "y"))
    bounds = {v.name: (float(v.lo), float(v.hi)) for v in compiled.ir.variables}
    figure = _field_figure("u(x, y)", ("x", "y"), bounds, network, exact, _inside(compiled.ir.shape), "u")
    maps = meshes(figure)
    assert [ax.get_title() for ax, _ in maps] == ["network", "exact"]
    for ax, mesh in maps:
        values = mesh.get_array().reshape(MAP_POINTS, MAP_POINTS)  # rows along y
        axis = np.linspace(-1, 1, MAP_POINTS)
        x, y = np.meshgrid(axis, axis)
        outside = x**2 + y**2 > 1 + 1e-9
        assert np.ma.getmaskarray(values)[outside].all(), "a point outside the disk is drawn"
        assert not np.ma.getmaskarray(values)[x**2 + y**2 < 0.98].any()
        assert ax.get_aspect() == 1.0
    assert maps[0][1].get_clim() == maps[1][1].get_clim()
    assert [ax.get_ylabel() for ax in figure.axes if ax.get_label() == "<colorbar>"] == ["u"]
    names = write_plots(tmp_path, compiled, untrained(compiled))
    assert names == ["loss.png", "solution_u.png", "error_u.png"]
    assert_a_picture(tmp_path / "solution_u.png")


def test_snapshots_share_one_colour_scale(tmp_path):
    compiled = symbolic_pinn.compile(
        "x in [0, 1]; y in [0, 1]; t in [0, 1]\nfield u(x, y, t)\nDt(u) = Δu\nexact u = exp(-t)*sin(pi*x)*y",
        width=4,
        depth=1,
    )
    network = _on_grid(compiled.module.fields(untrained(compiled).params)["u"], ("x", "y", "t"))
    bounds = {"x": (0.0, 1.0), "y": (0.0, 1.0), "t": (0.0, 1.0)}
    exact = _on_grid(compiled.module.EXACT["u"], ("x", "y", "t"))
    figure = _field_figure("u", ("x", "y", "t"), bounds, network, exact, None, "u", time="t")
    maps = meshes(figure)
    assert len(maps) == 2 * 4  # the network's and the exact solution's snapshots
    assert len({mesh.get_clim() for _, mesh in maps}) == 1
    everything = np.concatenate([np.ravel(mesh.get_array()) for _, mesh in maps])
    assert maps[0][1].get_clim() == (everything.min(), everything.max())
