"""Observations (`data "file"`): reading, errors that say what to do, and an inverse problem."""

import math
import shutil

import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn import PinnError

HEAD = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nunknown k = 0.5\nDt(u) = k*Dxx(u)\n"


def write(directory, text, csv=None, name="obs.csv"):
    if csv is not None:
        (directory / name).write_text(csv)
    path = directory / "problem.pinn"
    path.write_text(text)
    return path


def error_of(path) -> PinnError:
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse_file(path)
    return caught.value


def test_missing_data_file_is_located_and_relative_to_the_problem(tmp_path):
    err = error_of(write(tmp_path, HEAD + 'data "nowhere.csv"\n'))
    assert (err.span.line, err.span.column) == (5, 1)
    assert "nowhere.csv" in err.message and str(tmp_path) in err.message
    assert "relative to the problem file" in err.help
    assert "^" in err.render()


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("x,t,v\n0.1,0.2,0.3\n", "no column named after a field"),
        ("x,u\n0.1,0.3\n", "no column 't'"),
        ("x,t,u\n0.1,0.2\n", "has 2 values"),
        ("x,t,u\n0.1,0.2,abc\n", "not a number"),
        ("x,t,u\n0.1,2.0,0.3\n", "outside [0, 1]"),
        ("x,t,u\n", "no observations"),
        ("x,t,u\n0.1,0.2,nan\n", "not a finite number"),
    ],
    ids=["no field column", "no coordinate column", "short row", "not a number", "outside", "empty", "nan"],
)
def test_bad_observations_are_clear_errors(tmp_path, csv, message):
    err = error_of(write(tmp_path, HEAD + 'data "obs.csv"\n', csv))
    assert message in err.message
    assert err.span is not None and err.span.line == 5


def test_unknown_extension_is_an_error(tmp_path):
    err = error_of(write(tmp_path, HEAD + 'data "obs.json"\n', "x,t,u\n0.1,0.2,0.3\n", name="obs.json"))
    assert "cannot read observations" in err.message and ".csv" in err.help and ".txt" in err.help


def test_a_txt_file_is_read_as_whitespace_separated_columns(tmp_path):
    spec = symbolic_pinn.parse_file(
        write(tmp_path, HEAD + 'data "obs.txt"\n', "x t u\n0.1  0.2\t0.3\n", name="obs.txt")
    )
    (data,) = spec.data
    assert data.coordinates["x"].tolist() == [0.1] and data.coordinates["t"].tolist() == [0.2]


def test_csv_and_npz_give_the_same_points(tmp_path, examples_dir):
    shutil.copy(examples_dir / "heat_obs.csv", tmp_path / "heat_obs.csv")
    table = np.genfromtxt(tmp_path / "heat_obs.csv", delimiter=",", names=True)
    np.savez(tmp_path / "heat_obs.npz", x=table["x"], t=table["t"], u=table["u"])
    from_csv = symbolic_pinn.parse_file(write(tmp_path, HEAD + 'data "heat_obs.csv"\n'))
    from_npz = symbolic_pinn.parse_file(write(tmp_path, HEAD + 'data "heat_obs.npz"\n'))
    for a, b in zip(from_csv.data, from_npz.data):
        np.testing.assert_array_equal(a.coordinates["t"], b.coordinates["t"])
        np.testing.assert_array_equal(a.observed["u"], b.observed["u"])
    assert symbolic_pinn.compile(from_csv).ir.terms[1].region.kind == "data"


def test_the_observations_are_the_closed_form_solution(examples_dir):
    """heat_obs.csv holds exp(-0.1 π² t) sin(πx): checked independently of the compiler."""
    table = np.genfromtxt(examples_dir / "heat_obs.csv", delimiter=",", names=True)
    expected = np.exp(-0.1 * math.pi**2 * table["t"]) * np.sin(math.pi * table["x"])
    np.testing.assert_allclose(table["u"], expected, atol=1e-11)


@pytest.mark.slow  # minutes of the suite's budget; `pytest -m slow` runs it
def test_inverse_problem_recovers_the_diffusivity(examples_dir):
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(examples_dir / "heat_inverse.pinn"))
    result = compiled.train(adam_steps=600, bfgs_steps=300, interior_points=1024, progress=False)
    k = result.metrics["unknowns"]["k"]
    assert abs(k - 0.1) <= 0.02 * 0.1, k
    assert result.metrics["rel_l2"]["u"] < 2e-2
