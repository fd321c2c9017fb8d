"""Checkpoints: a stopped and resumed run ends where an uninterrupted one does.

Runs are stopped the way a user stops them, with a real SIGINT or SIGTERM raised after
a chosen step; training turns it into a checkpoint at the end of that step.
"""

import json
import math
import signal

import jax
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._training import checkpoint as _checkpoint
from symbolic_pinn._training.train import TrainConfig, train

POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
# the residual sqrt(u + 1) pulls u below -1, where the loss becomes NaN after a few steps
GOES_NAN = "x in [0, 1]\nfield u(x)\nsqrt(u + 1) = 0\nu = 0 at x = 0 weight 0.001"
# L-BFGS, forced: the bfgs phase has its own resume test in test_quasi_newton.py
CONFIG = TrainConfig(
    adam_steps=200, bfgs_steps=50, finisher="lbfgs", interior_points=64, checkpoint_every=50, progress=False
)


@pytest.fixture(scope="module")
def poisson():
    return symbolic_pinn.compile(POISSON_1D, width=8, depth=2)


@pytest.fixture(scope="module")
def uninterrupted(poisson):
    return train(poisson, CONFIG)


def stop_at(step: int, number: signal.Signals):
    def on_step(done: int) -> None:
        if done == step:
            signal.raise_signal(number)

    return on_step


def leaves(params) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in jax.tree.leaves(params)]


def test_a_run_stopped_in_both_phases_ends_as_an_uninterrupted_one(poisson, uninterrupted, tmp_path):
    first = train(poisson, CONFIG, tmp_path, on_step=stop_at(100, signal.SIGINT))
    assert first.metrics["steps"] == 100 and first.metrics["signal"] == "SIGINT"
    assert "interrupted (SIGINT) after step 100" in first.metrics["stopped"]
    assert f"--resume {tmp_path}" in first.metrics["stopped"]
    second = train(poisson, CONFIG, tmp_path, resume=True, on_step=stop_at(225, signal.SIGTERM))
    assert (second.metrics["adam_steps"], second.metrics["lbfgs_steps"]) == (200, 25)
    assert second.metrics["signal"] == "SIGTERM"
    third = train(poisson, CONFIG, tmp_path, resume=True)
    assert third.metrics["stopped"] is None
    assert third.metrics["steps"] == uninterrupted.metrics["steps"] == 250
    for resumed, straight in zip(leaves(third.params), leaves(uninterrupted.params), strict=True):
        np.testing.assert_allclose(resumed, straight, rtol=1e-6, atol=0)
    assert third.metrics["loss"] == pytest.approx(uninterrupted.metrics["loss"], rel=1e-6)
    assert untimed(third.history) == untimed(uninterrupted.history)  # the wall time differs, nothing else


def test_the_checkpoint_is_npz_and_json_without_pickle(poisson, tmp_path):
    train(poisson, CONFIG, tmp_path, on_step=stop_at(100, signal.SIGINT))
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert (meta["step"], meta["phase"], meta["steps"]) == (100, "adam", {"adam": 100, "lbfgs": 0})
    assert meta["settings"]["adam_steps"] == 200 and meta["settings"]["width"] == 8
    assert meta["source_sha256"] == poisson.source_hash
    assert [row["step"] for row in meta["history"]][:3] == [1, 11, 21]
    with np.load(tmp_path / meta["arrays"], allow_pickle=False) as arrays:
        names = set(arrays.files)
    assert {"params/0", "opt_state/0"} | {f"points/{term}/0" for term in poisson.module.WEIGHTS} <= names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-00000100.npz", "checkpoint.json"]


def test_periodic_checkpoints_replace_each_other(poisson, tmp_path):
    config = TrainConfig(adam_steps=30, bfgs_steps=0, interior_points=64, checkpoint_every=10, progress=False)
    written = []

    def note_checkpoint(step: int) -> None:
        written.append(_checkpoint.load(tmp_path)[0]["step"] if _checkpoint.exists(tmp_path) else None)

    train(poisson, config, tmp_path, on_step=note_checkpoint)
    # the checkpoint of step 10 is written once step 11 has shown that its loss is finite
    assert written[9] is None and written[10] == 10 and written[21] == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-00000030.npz", "checkpoint.json"]


def test_a_nan_keeps_the_last_good_checkpoint(tmp_path):
    compiled = symbolic_pinn.compile(GOES_NAN, width=8, depth=2)
    config = TrainConfig(
        adam_steps=300, bfgs_steps=0, learning_rate=1e-2, interior_points=64, checkpoint_every=3, progress=False
    )
    result = train(compiled, config, tmp_path)
    bad_step = result.metrics["steps"] + 1
    assert 3 < bad_step < 300, result.metrics["stopped"]
    assert f"the loss became nan at step {bad_step} (adam), in term pde (nan)" in result.metrics["stopped"]
    # the checkpoint held at the step before the NaN is never written: its parameters give the NaN
    kept = 3 * ((bad_step - 2) // 3)
    assert result.metrics["checkpoint_step"] == kept
    assert f"the checkpoint of step {kept} is in {tmp_path}" in result.metrics["stopped"]
    meta, _ = _checkpoint.load(tmp_path)
    assert meta["step"] == kept
    assert math.isfinite(compiled.loss(result.params, result.points))
    # resuming from it replays the same steps to the same NaN, and keeps the checkpoint
    resumed = train(compiled, config, tmp_path, resume=True)
    assert resumed.metrics["stopped"] == result.metrics["stopped"]
    assert _checkpoint.load(tmp_path)[0]["step"] == kept


def test_resume_keeps_the_settings_of_the_checkpoint(poisson, tmp_path):
    train(poisson, CONFIG, tmp_path, on_step=stop_at(10, signal.SIGINT))
    with pytest.raises(symbolic_pinn.PinnError) as caught:
        poisson.train(tmp_path, resume=True, learning_rate=0.5)
    assert "learning_rate was 0.001, now 0.5" in caught.value.message
    assert "checkpoint_every" in caught.value.help


def test_resume_refuses_another_network(poisson, tmp_path):
    train(poisson, CONFIG, tmp_path, on_step=stop_at(10, signal.SIGINT))
    wider = symbolic_pinn.compile(POISSON_1D, width=9, depth=2)
    with pytest.raises(symbolic_pinn.PinnError, match="another problem or network"):
        wider.train(tmp_path, resume=True)


def test_resume_without_a_checkpoint(poisson, tmp_path):
    with pytest.raises(symbolic_pinn.PinnError, match="no checkpoint in"):
        poisson.train(tmp_path, resume=True)


def test_a_damaged_checkpoint_is_a_clear_error(poisson, tmp_path):
    train(poisson, CONFIG, tmp_path, on_step=stop_at(10, signal.SIGINT))
    (tmp_path / "checkpoint-00000010.npz").write_bytes(b"not an npz")
    with pytest.raises(symbolic_pinn.PinnError, match="damaged"):
        poisson.train(tmp_path, resume=True)


def test_unknown_setting_names_the_valid_ones(poisson):
    with pytest.raises(symbolic_pinn.PinnError) as caught:
        poisson.train(adam_step=10)
    assert caught.value.message == "unknown setting 'adam_step' given to train()"
    assert "adam_steps" in caught.value.help and "checkpoint_every" in caught.value.help


def untimed(history: list[dict]) -> list[dict]:
    """A history without its wall-time column."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]
