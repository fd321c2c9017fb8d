"""The quasi-Newton phase's held-out points (_training.points.HeldOut) and the time limit."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._training import checkpoint as _checkpoint
from symbolic_pinn._training import phases, points
from symbolic_pinn._training import sampling as _sampling
from symbolic_pinn._training.points import initial_points as _points
from symbolic_pinn._training.steps import objective
from symbolic_pinn._training.train import TrainConfig, train

POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
# the same solution as the minimiser of an energy; with few points its Monte Carlo estimate
# can be driven below the true minimum (−π²/4) by fitting the points
RITZ_1D = "x in [0, 1]\nfield u(x)\nminimize ∫ (Dx(u)^2/2 - pi^2*sin(pi*x)*u)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
# six points, which the network soon fits exactly while held-out points see it move away
CONFIG = TrainConfig(
    adam_steps=20, bfgs_steps=200, interior_points=6, holdout_every=10, holdout_patience=2,
    holdout_resamples=2, checkpoint_every=5, progress=False,
)  # fmt: skip


@pytest.fixture(scope="module")
def poisson():
    # the scenarios below were set up with u = 0 on ∂Ω as a loss term
    return symbolic_pinn.compile(POISSON_1D, width=8, depth=2, hard_constraints=False)


@pytest.fixture(scope="module")
def straight(poisson):
    return train(poisson, CONFIG)


def held_out_loss(compiled, config, params) -> float:
    """The loss on the held-out points, drawn here from their documented seed."""
    seed = _sampling.draw_seed(config.seed, "holdout", 0)
    with jax.enable_x64(True):
        points = _points(compiled, dataclasses.replace(config, seed=seed), jnp.float64)
        weights = {k: jnp.float64(v) for k, v in compiled.module.WEIGHTS.items()}
        return float(objective(compiled, config)(params, points, weights)[0])


def test_the_finish_ends_with_the_parameters_of_the_lowest_held_out_loss(poisson, straight):
    rows = [row for row in straight.history if "held_out" in row]
    assert len(rows) >= 2  # every evaluation (10 steps apart) lands in a history row
    report = straight.metrics["held_out"]["bfgs"]
    lowest = min(row["held_out"] for row in rows)
    assert report["lowest"] == lowest
    assert report["at_step"] == next(row["step"] for row in rows if row["held_out"] == lowest)
    assert held_out_loss(poisson, CONFIG, straight.params) == pytest.approx(lowest, rel=1e-9)


def test_a_stalled_held_out_loss_draws_fresh_points_then_ends_the_phase(straight):
    ended = straight.metrics["ended"]["bfgs"]
    assert ended.startswith("the held-out loss stopped falling"), ended
    assert straight.metrics["held_out"]["bfgs"]["fresh_draws"] == CONFIG.holdout_resamples
    assert straight.metrics["bfgs_steps"] < CONFIG.bfgs_steps


def test_a_gap_between_held_out_and_training_loss_draws_fresh_points_before_any_stall(poisson):
    # six points are fitted exactly long before the problem is: the held-out loss exceeds the
    # training loss many times over while it is still falling; no stall can happen (patience 100)
    config = dataclasses.replace(CONFIG, bfgs_steps=30, holdout_patience=100, holdout_gap=2.0)
    result = train(poisson, config)
    rows = [row for row in result.history if "held_out" in row]  # after bfgs steps 10 and 20
    assert rows[1]["held_out"] < rows[0]["held_out"] and rows[1]["held_out"] > 2 * rows[1]["loss"]
    assert result.metrics["held_out"]["bfgs"]["fresh_draws"] == 1  # at the second: falling, and 2× apart
    assert result.metrics["ended"]["bfgs"] == "step budget"
    with pytest.raises(symbolic_pinn.PinnError, match="holdout_gap must be a number ≥ 0"):
        TrainConfig(holdout_gap=-1.0)


def test_a_run_stopped_after_a_fresh_draw_resumes_to_the_bit(poisson, straight, tmp_path):
    stop = straight.metrics["steps"] - 3
    first = train(poisson, CONFIG, tmp_path, callback=lambda info: info.step == stop)
    assert first.metrics["stopped"].startswith("stopped by the callback")
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert meta["phase"] == "bfgs" and meta["rounds"] >= 1 and meta["best_step"] > 0
    second = train(poisson, CONFIG, tmp_path, resume=True)
    for resumed, uninterrupted in zip(jax.tree.leaves(second.params), jax.tree.leaves(straight.params), strict=True):
        np.testing.assert_array_equal(np.asarray(resumed), np.asarray(uninterrupted))
    assert second.metrics["held_out"] == straight.metrics["held_out"]
    assert second.metrics["ended"] == straight.metrics["ended"]


def test_on_an_energy_the_held_out_points_keep_the_finish_near_the_true_minimiser():
    # the closed form sin(πx) is the reference: fitting 12 points lowers their energy estimate
    # while moving away from it; the held-out energy sees that
    ritz = symbolic_pinn.compile(RITZ_1D, width=8, depth=2, hard_constraints=True)
    # on the Monte Carlo mean (a Gauss–Legendre rule, auto's choice on this box, has nothing to fit)
    config = dataclasses.replace(CONFIG, interior_points=12, bfgs_steps=100, energy_quadrature="mean")
    kept = train(ritz, config)
    last = train(ritz, dataclasses.replace(config, holdout_every=0))
    assert kept.metrics["rel_l2"]["u"] < 0.5 * last.metrics["rel_l2"]["u"]
    # an energy ends on a stall: fresh points would only re-draw its Monte Carlo estimate
    assert config.holdout_resamples > 0 and kept.metrics["held_out"]["bfgs"]["fresh_draws"] == 0
    assert kept.metrics["ended"]["bfgs"].startswith("the held-out loss stopped falling")
    # without held-out points: the last parameters, after every step of the budget
    assert last.metrics["held_out"] == {} and last.metrics["bfgs_steps"] == 100
    assert all("held_out" not in row for row in last.history)


def test_a_time_limit_ends_training_resumably(poisson, straight, tmp_path):
    stopped = train(poisson, dataclasses.replace(CONFIG, time_limit=1e-6), tmp_path)
    assert stopped.metrics["stopped"] is None and stopped.metrics["steps"] == 0
    assert stopped.metrics["ended"] == {"adam": "time limit (1e-06 s)"}
    resumed = train(poisson, CONFIG, tmp_path, resume=True)  # time_limit may change on resume
    assert resumed.metrics["steps"] == straight.metrics["steps"]
    for a, b in zip(jax.tree.leaves(resumed.params), jax.tree.leaves(straight.params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_negative_time_limit_is_refused():
    with pytest.raises(symbolic_pinn.PinnError, match="time_limit must be a number of seconds"):
        TrainConfig(time_limit=-1)


def test_training_the_same_problem_again_reuses_its_jitted_steps(poisson):
    """The steps depend on a few settings only: a new budget, seed of the held-out loss or
    time limit reuses them (no new compilation); a new learning rate builds new ones."""
    from symbolic_pinn._training import devices as _devices
    from symbolic_pinn._training.steps import kept_step_functions

    first = kept_step_functions(poisson, CONFIG, "bfgs", _devices.ONE)
    again = dataclasses.replace(CONFIG, bfgs_steps=7, holdout_every=0, time_limit=5.0, interior_points=99)
    assert kept_step_functions(poisson, again, "bfgs", _devices.ONE) is first
    other = dataclasses.replace(CONFIG, learning_rate=2e-3)
    assert kept_step_functions(poisson, other, "bfgs", _devices.ONE) is not first
    assert kept_step_functions(poisson, CONFIG, "lbfgs", _devices.ONE) is not first


def test_a_whole_training_compiles_each_step_once(poisson, straight):
    """Through fresh draws and held-out checks, each phase's jitted step is compiled for one
    signature only (optax's line search starts with weakly typed numbers: once, it was two)."""
    from symbolic_pinn._training import devices as _devices
    from symbolic_pinn._training.steps import kept_step_functions

    assert straight.metrics["held_out"]["bfgs"]["fresh_draws"] > 0
    steps = kept_step_functions(poisson, CONFIG, "bfgs", _devices.ONE)
    assert [steps[phase].step._cache_size() for phase in ("adam", "bfgs")] == [1, 1]


def test_a_callback_reads_each_terms_loss_in_the_quasi_newton_phase(poisson):
    """Off the history's rows a quasi-Newton step skips each term's loss; a callback still reads it."""
    seen = []

    def check(info):
        if info.phase == "bfgs":
            weights = poisson.module.WEIGHTS
            seen.append(info.loss == pytest.approx(sum(weights[k] * v for k, v in info.losses.items()), rel=1e-9))

    train(poisson, dataclasses.replace(CONFIG, bfgs_steps=4, holdout_every=0), callback=check)
    assert seen == [True] * 4  # steps 2 to 4 are not history rows


def test_the_run_directory_shows_the_held_out_loss_where_it_was_evaluated(poisson, straight, tmp_path):
    import csv

    from symbolic_pinn._product import run

    written, failed = run.write(tmp_path, poisson, straight, {}, "p.pinn")
    assert not failed and "loss.png" in written
    with open(tmp_path / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    held = [float(row["held_out"]) for row in rows if row["held_out"]]
    assert held == [row["held_out"] for row in straight.history if "held_out" in row]
    assert any(not row["held_out"] for row in rows)  # the other rows leave it blank


def test_until_done_the_finish_ends_when_the_held_out_loss_falls_by_less_than_one_percent(poisson, tmp_path):
    config = dataclasses.replace(CONFIG, bfgs_steps=20, holdout_resamples=0, until_done=True)
    assert phases.BY_NAME["bfgs"].budget_of(config) == 20 * phases.DONE_STEPS_FACTOR  # a bound, not the rule
    result = train(poisson, config, tmp_path)
    # finished: a resume with the same settings has nothing to extend (the bound is not a new budget)
    assert _checkpoint.extended(_checkpoint.load(tmp_path)[0], config, "bfgs") == ()
    ended = result.metrics["ended"]["bfgs"]
    assert ended == "done: the held-out loss fell by less than 1% in 2 evaluations, 10 steps apart", ended
    assert result.metrics["stopped"] is None
    # the rule, replayed on the history's held-out column: the last `patience` evaluations each
    # failed to lower the lowest before them by 1%, and every earlier run of failures was shorter
    values = [row["held_out"] for row in result.history if "held_out" in row]
    best, stall, stalls = float("inf"), 0, []
    for value in values:
        stall = 0 if value < best * (1 - points.DONE_RTOL) else stall + 1
        best = min(best, value)
        stalls.append(stall)
    assert stalls[-1] == config.holdout_patience and max(stalls[:-1], default=0) < config.holdout_patience
    assert result.metrics["bfgs_steps"] == 10 * len(values) + 1  # evaluated after steps 10, 20, … (from 0)
