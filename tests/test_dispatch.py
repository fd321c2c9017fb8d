"""Several Adam steps per dispatch (``steps_per_dispatch``): the loop sees the same steps, rows and
stops as one step at a time, and a run stopped anywhere resumes to the bit."""

import math
import signal

import jax
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._training import checkpoint as _checkpoint
from symbolic_pinn._training.train import TrainConfig, train

LINE = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
# the residual sqrt(u + 1) pulls u below -1, where the loss becomes NaN after a few steps
GOES_NAN = "x in [0, 1]\nfield u(x)\nsqrt(u + 1) = 0\nu = 0 at x = 0 weight 0.001"
# fresh points every 7 steps, errors every 20, checkpoints every 25: dispatches of 10 end before each
# (Adam only: the finishers take one step per call)
CONFIG = TrainConfig(
    adam_steps=60, bfgs_steps=0, interior_points=16, resample_every=7, error_every=20,
    checkpoint_every=25, progress=False, steps_per_dispatch=10,
)  # fmt: skip


@pytest.fixture(scope="module")
def line():
    return symbolic_pinn.compile(LINE, width=4, depth=1)


@pytest.fixture(scope="module")
def uninterrupted(line):
    return train(line, CONFIG)


def leaves(params) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in jax.tree.leaves(params)]


def untimed(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def test_the_rows_and_losses_are_those_of_one_step_at_a_time(line, uninterrupted):
    one = train(line, CONFIG.__class__(**{**CONFIG.__dict__, "steps_per_dispatch": 1}))
    assert [row["step"] for row in uninterrupted.history] == [row["step"] for row in one.history]
    assert [set(row) for row in uninterrupted.history] == [set(row) for row in one.history]
    for many, single in zip(uninterrupted.history, one.history, strict=True):
        # one compiled scan against one compiled step: the same arithmetic, up to float32 rounding
        for key in ("loss", "pde", "rel_l2_u"):
            if key in single:
                assert many[key] == pytest.approx(single[key], rel=1e-4), (single["step"], key)
    assert uninterrupted.metrics["steps"] == one.metrics["steps"] == 60


@pytest.mark.parametrize("stop", [30, 23])  # at the end of a dispatch, and inside one (it ends at 25)
def test_a_run_stopped_in_a_dispatch_resumes_to_the_bit(line, uninterrupted, tmp_path, stop):
    def on_step(done: int) -> None:
        if done == stop:
            signal.raise_signal(signal.SIGINT)

    first = train(line, CONFIG, tmp_path, on_step=on_step)
    # the signal is seen between dispatches: at the end of the one that took step `stop`
    ends = {30: 30, 23: 25}[stop]  # 21..24 (25 holds a checkpoint), 30 is a multiple of 10
    assert first.metrics["steps"] == ends and first.metrics["signal"] == "SIGINT"
    second = train(line, CONFIG, tmp_path, resume=True)
    assert second.metrics["stopped"] is None and second.metrics["steps"] == 60
    for resumed, straight in zip(leaves(second.params), leaves(uninterrupted.params), strict=True):
        np.testing.assert_array_equal(resumed, straight)
    assert untimed(second.history) == untimed(uninterrupted.history)


def test_a_nan_inside_a_dispatch_keeps_the_parameters_and_checkpoint_before_it(tmp_path):
    compiled = symbolic_pinn.compile(GOES_NAN, width=8, depth=2)
    config = TrainConfig(
        adam_steps=300, bfgs_steps=0, learning_rate=1e-2, interior_points=64, checkpoint_every=3, progress=False,
        steps_per_dispatch=50,
    )  # fmt: skip
    result = train(compiled, config, tmp_path)
    bad_step = result.metrics["steps"] + 1
    assert 3 < bad_step < 300, result.metrics["stopped"]
    assert f"the loss became nan at step {bad_step} (adam), in term pde (nan)" in result.metrics["stopped"]
    kept = 3 * ((bad_step - 2) // 3)  # the checkpoint held before the NaN's step is never written
    assert result.metrics["checkpoint_step"] == kept == _checkpoint.load(tmp_path)[0]["step"]
    assert math.isfinite(compiled.loss(result.params, result.points))
    assert result.history[-1]["step"] <= bad_step - 1 and math.isfinite(result.history[-1]["loss"])
