"""Resume that continues: a time-limited run goes on, a finished run stays as it is unless given
more steps, and a new run may start from another run's trained parameters (issue #29)."""

import json
import pathlib
import shutil
import time

import jax
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._config import EXTENDABLE, RESUMABLE
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._training import stopping
from symbolic_pinn._training.state import Run
from symbolic_pinn._training.train import TrainConfig, train

LINE = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)\n"
NETWORK = ["--width", "4", "--depth", "1", "--interior-points", "16", "--no-progress"]
FLAGS = ["--steps", "20", "--lbfgs-steps", "5", "--finisher", "lbfgs", "--seed", "1", *NETWORK]
CONFIG = TrainConfig(adam_steps=20, bfgs_steps=5, finisher="lbfgs", interior_points=16, progress=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = _cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def problem(tmp_path_factory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("problem") / "line.pinn"
    path.write_text(LINE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def finished(problem, tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    assert _cli.main(["train", str(problem), "--out", str(out), *FLAGS]) == 0
    return out


@pytest.fixture(scope="module")
def compiled():
    return symbolic_pinn.compile(LINE, width=4, depth=1)


def files(directory: pathlib.Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_a_plain_resume_continues_a_time_limited_run(capsys, problem, tmp_path):
    out = tmp_path / "run"
    code, _, err = run(capsys, "train", problem, "--out", out, *FLAGS, "--time-limit", "1e-9")
    assert code == 0, err
    assert json.loads((out / "checkpoint.json").read_text())["step"] == 0
    code, stdout, err = run(capsys, "train", problem, "--resume", out)  # the saved limit is not re-applied
    assert code == 0, err
    assert "after 25 steps" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["ended"] == {"adam": "step budget", "lbfgs": metrics["ended"]["lbfgs"]}
    assert "time limit" not in metrics["ended"]["lbfgs"]


def test_the_time_limit_bounds_this_session_not_the_run(compiled, tmp_path):
    stopped = train(compiled, CONFIG, tmp_path, callback=lambda info: info.step == 3)
    assert stopped.metrics["steps"] == 3
    index = tmp_path / "checkpoint.json"
    meta = json.loads(index.read_text())
    meta["seconds"] = 5000.0  # earlier sessions took long: a limit of 1000 s is still this session's
    index.write_text(json.dumps(meta))
    resumed = train(compiled, CONFIG.__class__(**{**CONFIG.__dict__, "time_limit": 1000.0}), tmp_path, resume=True)
    assert resumed.metrics["steps"] == 25 and resumed.metrics["seconds"] > 5000


def test_resuming_a_finished_run_changes_nothing(capsys, problem, finished):
    before = files(finished)
    code, stdout, err = run(capsys, "train", problem, "--resume", finished)
    assert code == 0 and stdout == ""
    assert err == f"the run in {finished} is finished; nothing changed (more bfgs_steps or lm_steps extend it)\n"
    assert files(finished) == before


def test_more_steps_extend_a_finished_run(capsys, problem, finished, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    code, stdout, err = run(capsys, "train", problem, "--resume", out, "--lbfgs-steps", "12")
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["adam_steps"] == 20 and 5 < metrics["lbfgs_steps"] <= 12
    assert metrics["settings"]["bfgs_steps"] == 12
    history = [row["step"] for row in metrics_history(out)]
    assert history == sorted(history) and history[-1] > 25
    # Adam's budget shapes its learning-rate schedule: still refused
    code, _, err = run(capsys, "train", problem, "--resume", out, "--steps", "40")
    assert code == 1 and "adam_steps was 20, now 40" in err


def metrics_history(out: pathlib.Path) -> list[dict]:
    return json.loads((out / "checkpoint.json").read_text())["history"]


def test_a_python_resume_of_a_finished_run_warns_and_returns_it(compiled, finished):
    with pytest.warns(UserWarning, match="is finished; nothing changed"):
        loaded = compiled.train(finished, resume=True)
    assert loaded.metrics["steps"] == 25


def test_init_from_starts_a_new_run_from_trained_parameters(compiled, finished, tmp_path):
    again = compiled.train(init_from=finished, adam_steps=0, bfgs_steps=0, progress=False)
    trained = symbolic_pinn.load(finished).params
    for a, b in zip(jax.tree.leaves(again.params), jax.tree.leaves(trained), strict=True):
        np.testing.assert_array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    wider = symbolic_pinn.compile(LINE, width=6, depth=1)
    with pytest.raises(symbolic_pinn.PinnError, match="do not fit this problem's networks: parameter array 0"):
        wider.train(init_from=finished, adam_steps=0, bfgs_steps=0, progress=False)


def test_init_from_on_the_command_line(capsys, problem, finished, tmp_path):
    out = tmp_path / "run"
    zero = ["--steps", "0", "--lbfgs-steps", "0"]
    code, _, err = run(capsys, "train", problem, "--out", out, "--init-from", finished, *NETWORK, *zero)
    assert code == 0, err
    assert json.loads((out / "metrics.json").read_text())["init_from"] == str(finished)
    code, _, err = run(capsys, "train", problem, "--resume", out, "--init-from", finished)
    assert code == 1 and "--init-from starts a new run, --resume continues one" in err


def test_a_phase_is_not_begun_when_its_compile_would_end_past_the_limit():
    run = Run("adam", {"adam": 0}, {}, None, {}, {}, seconds_before=100.0, started=time.perf_counter() - 6.0)
    leg = type("Leg", (), {"name": "adam"})()
    with stopping.StopSignals() as signals:
        outside = stopping.Outside(signals, 10.0, False, 10)
        assert tuple(outside.check(run, leg)) == (False, False)  # 6 s of this session (106 s in all)
        assert tuple(outside.check(run, leg, compiling=5.0)) == (False, True)


def test_train_help_lists_every_setting_a_resume_may_change(capsys):
    with pytest.raises(SystemExit):
        _cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in RESUMABLE:
        assert "--" + name.replace("_", "-") in text.split("(only")[1]
    for name in EXTENDABLE:
        assert "--" + name.replace("_", "-") in text.split("More")[-1].split("extend a finished run")[0]


def test_a_finished_run_whose_results_are_missing_resumes_to_write_them(capsys, problem, finished, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    (out / "metrics.json").unlink()  # its writing failed (a full disk)
    code, stdout, err = run(capsys, "train", problem, "--resume", out)
    assert code == 0, err
    assert "is finished" not in err and json.loads((out / "metrics.json").read_text())["steps"] == 25
