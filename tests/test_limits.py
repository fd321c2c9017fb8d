"""Hostile input III (issue #27): settings bounded by what they would allocate, no hangs in the
front end, and internal errors turned into PinnErrors with a location and a way out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
import sympy

import symbolic_pinn
from symbolic_pinn import PinnError, _limits
from symbolic_pinn._config import NetworkConfig, TrainConfig
from symbolic_pinn._product import cli
from symbolic_pinn._settings import read_toml

H1 = "x in [0, 1]\nfield u(x)\n"


def _in_subprocess(code: str, deadline: float = 30.0) -> dict:
    """Run ``code`` (which prints one JSON line) in a fresh interpreter: a hang fails, never blocks."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = os.environ | {"PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=deadline, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {deadline:g} s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("depth = 10000", "depth must be at most 1,000"),
        ("adam_steps = 9223372036854775807", "adam_steps must be at most 2,147,483,647"),
        ("seed = 18446744073709551616", "seed must be at most 4,294,967,295"),
        ("seed = -1", "seed must be at least 0"),
        ("fourier_scale = inf", "fourier_scale must be a finite number"),
        ("learning_rate = nan", "learning_rate must be a finite number"),
    ],
)
def test_a_setting_out_of_bounds_in_a_toml_file_is_refused_with_the_file(tmp_path, toml, words):
    path = tmp_path / "settings.toml"
    path.write_text(f"[train]\n{toml}\n")
    with pytest.raises(PinnError) as caught:
        read_toml(path)
    assert words in caught.value.message and str(path) in caught.value.message
    assert caught.value.help


@pytest.mark.parametrize(
    "make",
    [
        lambda: NetworkConfig(depth=10_000),
        lambda: NetworkConfig(fourier_scale=float("inf"), architecture="fourier"),
        lambda: TrainConfig(seed=2**64),
        lambda: TrainConfig(adam_steps=2**63 - 1),
        lambda: TrainConfig(chunk_size=2**40),
    ],
    ids=["depth", "fourier_scale", "seed", "adam_steps", "chunk_size"],
)
def test_the_python_api_applies_the_same_bounds(make):
    with pytest.raises(PinnError):
        make()


def test_a_network_whose_parameters_do_not_fit_is_refused_saying_how_much(monkeypatch):
    monkeypatch.setenv(_limits.MEMORY.variable, "16")
    with pytest.raises(PinnError) as caught:
        NetworkConfig(width=100_000)
    message = caught.value.message
    # 3 layers of 100,000² weights, 4 bytes, with gradients and Adam's two moments: about 298 GiB
    assert "298.0 GiB" in message and "16 GiB" in message and "width 100,000" in message
    assert "--width" in caught.value.help and _limits.MEMORY.variable in caught.value.help
    NetworkConfig(width=1000)  # 16 MB: fine


def test_training_whose_points_do_not_fit_is_refused_before_anything_is_allocated(monkeypatch):
    from symbolic_pinn._config import training_memory

    monkeypatch.setenv(_limits.MEMORY.variable, "16")
    parts = training_memory(NetworkConfig(), TrainConfig(interior_points=2_000_000_000), 1, 5)
    assert sum(parts.values()) > 1000 * _limits.GIB  # 2e9 points × 20 × 3 × 5 channels × 4 B × 2
    with pytest.raises(PinnError) as caught:
        _limits.check_memory(parts, "training with these settings", "lower --interior-points")
    assert "GiB" in caught.value.message and "2,000,000,512 points" in caught.value.message
    # split into micro-batches, the same points fit
    small = training_memory(NetworkConfig(), TrainConfig(interior_points=2_000_000, micro_batch=8), 1, 5)
    _limits.check_memory(small, "training", "")


def test_train_refuses_settings_that_do_not_fit_before_it_starts(monkeypatch, tmp_path):
    monkeypatch.setenv(_limits.MEMORY.variable, "1")
    problem = symbolic_pinn.compile(symbolic_pinn.parse(H1 + "-Dxx(u) = 1\nu = 0 on boundary\n"))
    with pytest.raises(PinnError) as caught:
        problem.train(tmp_path / "run", adam_steps=1, lbfgs_steps=0, interior_points=50_000_000, plots=False)
    assert "training with these settings" in caught.value.message and "1 GiB" in caught.value.message


def test_eval_grid_that_does_not_fit_is_refused(monkeypatch):
    monkeypatch.setenv(_limits.MEMORY.variable, "16")
    with pytest.raises(PinnError) as caught:
        cli._grid_memory(100_000, 2, 1, 20)
    assert "--grid 100,000" in caught.value.message and "--points" in caught.value.help
    cli._grid_memory(200, 2, 1, 20)


# ---- files ---------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_check_refuses_a_fifo_as_compile_does(tmp_path, capsys):
    fifo = tmp_path / "problem.pinn"
    os.mkfifo(fifo)

    def unblock():  # if the command opened the FIFO and waits for a writer, let it go on after 3 s
        time.sleep(3)
        try:
            fd = os.open(fifo, os.O_RDWR)
            os.close(fd)
        except OSError:
            pass

    threading.Thread(target=unblock, daemon=True).start()
    assert cli.main(["check", str(fifo)]) == cli.EXIT_ERROR
    assert "not a regular file" in capsys.readouterr().err


def test_check_reads_no_further_than_the_longest_problem(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(_limits.PROBLEM_CHARACTERS.variable, "100")
    path = tmp_path / "long.pinn"
    path.write_text(H1 + "-Dxx(u) = 1\n" + "# comment\n" * 100)
    assert cli.main(["check", str(path)]) == cli.EXIT_ERROR
    assert "larger than 400 bytes" in capsys.readouterr().err


def test_a_data_file_that_is_a_symlink_loop_is_a_located_error(tmp_path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    for line in ('data "a.csv"', 'let k = table("a.csv", x)\nDxx(u) = k'):
        path = tmp_path / "p.pinn"
        path.write_text(H1 + "-Dxx(u) = 1\nu = 0 on boundary\n" + line + "\n")
        with pytest.raises(PinnError) as caught:
            symbolic_pinn.parse_file(path)
        assert "leads back to itself" in caught.value.message
        assert caught.value.span is not None and caught.value.span.line == 5


# ---- the front end -------------------------------------------------------------------


def test_user_functions_that_double_at_each_level_are_refused_at_once():
    lines = [H1, "let f0(s) = s*x"] + [f"let f{k}(s) = f{k - 1}(s) + f{k - 1}(2*s)" for k in range(1, 60)]
    text = "\n".join(lines + ["Dxx(u) = f59(x)", "u = 0 on boundary"]) + "\n"
    result = _in_subprocess(
        "import json, symbolic_pinn\n"
        f"try:\n    symbolic_pinn.parse({text!r})\n    print(json.dumps({{'ok': True}}))\n"
        "except symbolic_pinn.PinnError as err:\n"
        "    print(json.dumps({'message': err.message, 'line': err.span.line, 'help': err.help}))\n"
    )
    assert "inlined" in result["message"] and "above the limit of 100,000" in result["message"]
    assert result["line"] < 60 and _limits.INLINED_SIZE.variable in result["help"]


def test_an_argument_doubled_at_each_nested_call_is_refused():
    text = H1 + "let g(s) = s*s + s\nDxx(u) = " + "g(" * 40 + "x" + ")" * 40 + "\nu = 0 on boundary\n"
    result = _in_subprocess(
        "import json, symbolic_pinn\n"
        f"try:\n    symbolic_pinn.parse({text!r})\n    print(json.dumps({{'ok': True}}))\n"
        "except symbolic_pinn.PinnError as err:\n"
        "    print(json.dumps({'message': err.message, 'line': err.span.line}))\n"
    )
    assert "this call of g" in result["message"] and result["line"] == 4


def test_a_user_function_used_often_within_the_limit_is_fine():
    text = H1 + "let g(s) = s^2 + 1\nlet h(s) = g(s) + g(2*s)\nDxx(u) = h(x) + h(x + 1)\nu = 0 on boundary\n"
    assert symbolic_pinn.parse(text).terms


@pytest.mark.parametrize(
    "expression",
    ["max(psi, 0)", "min(psi, 1)", "sign(psi)", "heaviside(psi)", "relu(psi)", "if psi > 0 then 1 else 0"],
)
def test_an_order_of_a_complex_value_is_a_clear_error(expression):
    text = f"x in [0, 1]\nt in [0, 1]\nfield psi(x, t) complex\nDt(psi) = {expression}\n"
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse(text)
    assert "complex" in caught.value.message and "nested" not in caught.value.message
    assert caught.value.span.line == 4 and "|z|" in caught.value.help


def test_a_real_part_of_a_complex_value_may_be_compared():
    text = "x in [0, 1]\nt in [0, 1]\nfield psi(x, t) complex\nDt(psi) = max(re(psi), 0) + i*sign(|psi|)\n"
    with pytest.warns(symbolic_pinn.IllPosedWarning):
        symbolic_pinn.parse(text)


def test_from_sympy_applies_the_derivative_order_limit():
    x = sympy.Symbol("x")
    u = sympy.Function("u")(x)
    nested = sympy.Derivative(sympy.Derivative(u, (x, 5), evaluate=False), (x, 5), evaluate=False)
    for derivative in (sympy.Derivative(u, (x, 40)), nested):
        start = time.perf_counter()
        with pytest.raises(PinnError) as caught:
            symbolic_pinn.from_sympy(variables={x: (0, 1)}, fields=[u], terms=[sympy.Eq(derivative, 0)])
        assert time.perf_counter() - start < 5
        assert "order of the derivative" in caught.value.message and "limit of 8" in caught.value.message


def test_sharing_derivatives_between_terms_is_linear_in_their_number(monkeypatch):
    """The plan's grouping of terms compared each new term with every member (quadratic):
    count what _merge is handed while 400 conditions on one face are grouped."""
    from symbolic_pinn._compiler import plan

    handed = []
    merge = plan._merge
    monkeypatch.setattr(plan, "_merge", lambda plans: handed.append(len(plans)) or merge(plans))
    n = 400
    text = H1 + "".join(f"Dx(u) + u = {i} at x = 0\n" for i in range(n)) + "-Dxx(u) = 1\n"
    symbolic_pinn.compile(symbolic_pinn.parse(text))
    assert handed and sum(handed) < 10 * n, f"_merge was handed {sum(handed):,} plans for {n} terms"


# ---- found by tests/test_fuzz.py -----------------------------------------------------------


def test_an_npy_array_named_npz_is_refused_without_reading_it(tmp_path):
    import numpy as np

    from symbolic_pinn._frontend.data import read_columns

    path = tmp_path / "obs.npz"
    np.save(tmp_path / "a.npy", np.arange(3.0))
    path.write_bytes((tmp_path / "a.npy").read_bytes())
    with pytest.raises(PinnError) as caught:
        read_columns(path)
    assert "not an NPZ archive" in caught.value.message


def test_an_integral_before_any_variable_is_a_located_error():
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse("minimize ∫ pi\n")
    assert caught.value.span.line == 1 and "variable" in caught.value.message
