"""Evaluating a trained field outside its domain: NaN with a warning saying how many points,
unless asked to extrapolate; `eval`'s points and output files (issue #29)."""

import pathlib
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn import OutsideWarning, PinnError
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._product.run import field_function

LINE = "x in [0, 2]\nfield u(x)\n-Dxx(u) = 1\nu = 0 on ∂Ω\n"
DISK = "(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δ(u) = 1\nu = 0 on ∂Ω\n"


@pytest.fixture(scope="module")
def line():
    return symbolic_pinn.compile(LINE, width=4, depth=1)


@pytest.fixture(scope="module")
def run_dir(line, tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("run") / "run"
    line.train(out, adam_steps=2, lbfgs_steps=0, interior_points=8, progress=False, plots=False)
    return out


def untrained(problem):
    return problem.init_params(jax.random.PRNGKey(0))


def test_points_outside_the_intervals_are_nan_with_a_warning_saying_how_many(line):
    u = field_function(line, untrained(line), "u")
    x = np.array([0.0, 1.0, 2.0 * (1 + 1e-9), -0.5, 3.0])  # the ends, to rounding, are inside
    with pytest.warns(OutsideWarning, match="2 of 5 points are outside the domain u was trained on"):
        values = np.asarray(u(x))
    assert np.isnan(values).tolist() == [False, False, False, True, True]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        everywhere = np.asarray(field_function(line, untrained(line), "u", outside="extrapolate")(x))
        assert np.isfinite(everywhere).all() and np.array_equal(everywhere[:3], values[:3])
        assert np.isfinite(np.asarray(u(x[:3]))).all()  # no warning inside
    with pytest.raises(PinnError, match="unknown outside='clip'"):
        field_function(line, untrained(line), "u", outside="clip")


def test_points_outside_a_shape_are_nan():
    disk = symbolic_pinn.compile(DISK, width=4, depth=1)
    u = field_function(disk, untrained(disk), "u")
    with pytest.warns(OutsideWarning, match="1 of 3 points"):
        values = np.asarray(u(np.array([0.0, 1.0, 0.9]), np.array([0.0, 0.0, 0.9])))
    assert np.isnan(values).tolist() == [False, False, True]  # (1, 0) is on the circle


def test_float64_parameters_evaluate_without_truncation_warnings(line):
    with jax.enable_x64(True):
        params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), untrained(line))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # JAX's "float64 ... will be truncated to dtype float32"
        value = field_function(line, params, "u")(0.5)
    assert value.dtype == np.float64


def run(capsys, *argv) -> tuple[int, str, str]:
    code = _cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_points_outside_are_nan_unless_extrapolated(capsys, run_dir, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("x\n0.5\n2\n2.5\n")
    code, out, err = run(capsys, "eval", run_dir, "--points", points)
    assert code == 0 and out.splitlines()[-1] == "2.5,nan"
    assert "warning: 1 of 3 points are outside the domain u was trained on" in err
    code, out, err = run(capsys, "eval", run_dir, "--points", points, "--outside", "extrapolate")
    assert code == 0 and "nan" not in out and err == ""


def test_eval_reads_whitespace_separated_points(capsys, run_dir, tmp_path):
    points = tmp_path / "points.txt"
    points.write_text("x\ty\n0.5  7\n\n1.5\t8\n")
    code, out, err = run(capsys, "eval", run_dir, "--points", points)
    assert code == 0, err
    assert [line.split(",")[0] for line in out.splitlines()] == ["x", "0.5", "1.5"]
    odd = tmp_path / "points.dat"
    odd.write_text("x\n0.5\n")
    code, _, err = run(capsys, "eval", run_dir, "--points", odd)
    assert code == 1 and err.startswith("error: cannot read points from 'points.dat'")


def test_eval_refuses_an_output_it_cannot_write(capsys, run_dir, tmp_path):
    out = tmp_path / "pred.parquet"
    code, _, err = run(capsys, "eval", run_dir, "--grid", "3", "--out", out)
    assert code == 1 and err.startswith(f"error: cannot write {out}: unknown suffix .parquet")
    assert not out.exists()
