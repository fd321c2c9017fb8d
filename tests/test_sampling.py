"""Collocation samplers, resampling, residual-based refinement (RAR) and adaptive weights.

The refinement and balancing tests call ``_sampling.Collocation`` and
``_weights.Balancing`` on fixed parameters, where the answer is known; one short
training checks that a run stopped and resumed through all of them ends exactly as
an uninterrupted one.
"""

import signal

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._compiler import ir
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._training import domain as _domain
from symbolic_pinn._training import sampling as _sampling
from symbolic_pinn._training import weights as _weights
from symbolic_pinn._training.points import initial_points as _points
from symbolic_pinn._training.train import TrainConfig, train

SAMPLERS = ("sobol", "halton", "uniform")
DISK = "(x, y) in disk((0, 0), 1)\nt in [0, 1]\nfield u(x, y, t)\nDt(u) = Δu\nu = 0 on ∂Ω\nu = 1 at t = 0"
# with every network parameter 0, u = 0 and the residual is -g: largest at x = 0.7
BUMP = "x in [0, 1]\nfield u(x)\nu = exp(-100*(x - 0.7)^2)\nu = 0 at x = 0"
POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"


def zero(params):
    return jax.tree.map(jnp.zeros_like, params)


@pytest.fixture(scope="module")
def disk():
    return symbolic_pinn.compile(DISK, width=8, depth=2)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_each_sampler_gives_points_in_the_region(disk, sampler):
    program = disk.ir
    inside = _domain.sample(program, ir.INTERIOR, 500, seed=3, sampler=sampler)
    assert inside.shape == (500, 3)
    assert np.all(program.shape[1].distance(inside[:, :2]) < 0)
    assert np.all((0 <= inside[:, 2]) & (inside[:, 2] <= 1))
    edge = _domain.sample(program, ir.BOUNDARY, 300, seed=3, sampler=sampler)
    np.testing.assert_allclose(np.hypot(edge[:, 0], edge[:, 1]), 1, atol=1e-12)
    face = _domain.sample(program, ir.Face("t", 0.0), 200, seed=3, sampler=sampler)
    assert np.all(face[:, 2] == 0) and np.all(program.shape[1].distance(face[:, :2]) < 0)
    again = _domain.sample(program, ir.INTERIOR, 500, seed=3, sampler=sampler)
    np.testing.assert_array_equal(inside, again)  # the same seed, the same points


def test_halton_and_uniform_points_differ_from_sobol(disk):
    draws = {s: _domain.sample(disk.ir, ir.INTERIOR, 256, seed=3, sampler=s) for s in SAMPLERS}
    assert not np.allclose(draws["halton"], draws["sobol"])
    assert not np.allclose(draws["uniform"], draws["sobol"])
    assert not np.allclose(draws["uniform"], draws["halton"])


def test_unknown_sampler_and_oversized_refinement_are_refused():
    with pytest.raises(symbolic_pinn.PinnError, match="unknown sampler 'grid'"):
        TrainConfig(sampler="grid")
    with pytest.raises(symbolic_pinn.PinnError, match="19 refinements, more than the 512 interior_points"):
        TrainConfig(adam_steps=2000, rar=True, rar_points=32, interior_points=512)  # 19 × 32 > 512
    with pytest.raises(symbolic_pinn.PinnError, match="no equation on the interior"):
        energy = symbolic_pinn.compile("x in [0, 1]\nfield u(x)\nminimize ∫ Dx(u)^2")
        _sampling.Collocation(energy, TrainConfig(rar=True), jnp.float32)


def collocation(text, **settings):
    compiled = symbolic_pinn.compile(text, width=8, depth=2, hard_constraints=False)  # boundary terms too
    config = TrainConfig(progress=False, interior_points=64, adam_steps=30, **settings)
    params = compiled.init_params(jax.random.PRNGKey(0))
    weights = _weights.initial_weights(compiled, jnp.float32)
    return compiled, config, params, _points(compiled, config, jnp.float32), weights


def test_resampling_draws_new_interior_points_at_its_steps_only():
    compiled, config, params, points, weights = collocation(POISSON_1D, resample_every=10)
    sets = {}
    for _ in range(2):
        current = points
        for step in range(26):
            updated = _sampling.Collocation(compiled, config, jnp.float32).update(step, params, current, weights)
            assert (updated is not current) == (step in (10, 20)), step
            np.testing.assert_array_equal(updated["bc"][0], points["bc"][0])  # the boundary stays
            current = updated
            sets.setdefault(step, []).append(np.asarray(current["pde"][0]))
    for first, second in sets.values():
        np.testing.assert_array_equal(first, second)  # reproducible
    assert not np.allclose(sets[10][0], sets[9][0]) and not np.allclose(sets[20][0], sets[10][0])
    assert len(sets[20][0]) == 64 and np.all((0 <= sets[20][0]) & (sets[20][0] <= 1))


def test_rar_adds_the_candidates_of_largest_residual_at_the_end():
    settings = dict(rar=True, rar_every=5, rar_points=8, rar_candidates=512)
    compiled, config, params, points, weights = collocation(BUMP, **settings)
    params = zero(params)
    col = _sampling.Collocation(compiled, config, jnp.float32)
    first = col.update(5, params, points, weights)
    x0, x1 = np.asarray(points["pde"][0]), np.asarray(first["pde"][0])
    np.testing.assert_array_equal(x1[:56], x0[:56])  # only the last 8 places change
    added = x1[56:]
    assert not np.any(np.isin(added, x0))
    # they are the 8 of the candidates with the largest residual g(x)² = exp(-200 (x - 0.7)²)
    candidates = np.asarray(col.draw(512, _sampling.draw_seed(config.seed, "rar", 5))[0])
    residual = np.exp(-200 * (candidates - 0.7) ** 2)
    computed = col.residual(params, points, weights, (jnp.asarray(candidates),))
    np.testing.assert_allclose(computed, residual, rtol=1e-5, atol=1e-30)  # float32 underflows below 1e-38
    assert np.min(np.exp(-200 * (added - 0.7) ** 2)) >= np.sort(residual)[-8] * (1 - 1e-6)
    assert np.all(np.abs(added - 0.7) < 0.02)
    # the next refinement fills the 8 places before them, and keeps them
    second = col.update(10, params, first, weights)
    x2 = np.asarray(second["pde"][0])
    np.testing.assert_array_equal(x2[:48], x0[:48])
    np.testing.assert_array_equal(x2[56:], added)
    assert np.all(np.abs(x2[48:56] - 0.7) < 0.02)


def test_fresh_points_of_the_finish_follow_the_residual_and_cover_the_rest():
    # RAD: density ∝ ε/mean(ε) + 1 with ε = g = exp(-100 (x - 0.7)²) here (zero network), whose
    # mean over [0, 1] is ≈ √(π/100) = 0.177: in expectation 52% of the points lie within 0.1 of
    # 0.7 (uniform: 20%), and 20% in [0, 0.4], where the density is flat (uniform: 40%)
    for how, near, far in (("residual", (0.42, 0.56), (0.14, 0.26)), ("uniform", (0.17, 0.23), (0.36, 0.44))):
        compiled, config, params, points, weights = collocation(BUMP, fresh_points=how)
        col = _sampling.Collocation(compiled, config, jnp.float32)
        (x,) = col.draw_by_residual(2000, 11, zero(params), points, weights)
        x = np.asarray(x)
        assert len(np.unique(x)) == 2000 and np.all((x >= 0) & (x <= 1))
        assert near[0] < np.mean(np.abs(x - 0.7) < 0.1) < near[1], how
        assert far[0] < np.mean(x < 0.4) < far[1], how


def test_an_energy_gets_uniform_fresh_points():
    ritz = "x in [0, 1]\nfield u(x)\nminimize ∫ (Dx(u)^2/2 - pi^2*sin(pi*x)*u)\nu = 0 on ∂Ω"
    compiled, config, params, points, weights = collocation(ritz)
    col = _sampling.Collocation(compiled, config, jnp.float32)
    assert config.fresh_points == "residual" and not col.rad
    (x,) = col.draw_by_residual(500, 4, params, points, weights)
    np.testing.assert_array_equal(np.asarray(x), np.asarray(col.draw(500, 4)[0]))


def test_resampling_keeps_the_points_rar_placed():
    compiled, config, params, points, weights = collocation(
        BUMP, rar=True, rar_every=5, rar_points=8, rar_candidates=512, resample_every=7
    )
    col = _sampling.Collocation(compiled, config, jnp.float32)
    refined = col.update(5, zero(params), points, weights)
    resampled = col.update(7, zero(params), refined, weights)
    np.testing.assert_array_equal(resampled["pde"][0][56:], refined["pde"][0][56:])
    assert not np.any(np.isin(np.asarray(resampled["pde"][0][:56]), np.asarray(refined["pde"][0][:56])))


def balanced(text, steps):
    compiled = symbolic_pinn.compile(text, width=8, depth=2, hard_constraints=False)  # terms to balance
    config = TrainConfig(adaptive_weights=True, interior_points=64, progress=False)
    params = compiled.init_params(jax.random.PRNGKey(1))
    points = _points(compiled, config, jnp.float32)
    weights = _weights.initial_weights(compiled, jnp.float32)
    balancing = _weights.Balancing(compiled, config)
    history = [weights]
    for step in range(steps):
        history.append(balancing.update(step * config.adaptive_weights_every, params, points, history[-1]))
    return compiled, params, points, [{k: float(v) for k, v in w.items()} for w in history]


def test_adaptive_weights_with_every_condition_built_in_say_why_nothing_is_left_to_balance():
    built_in = symbolic_pinn.compile(POISSON_1D, width=4, depth=1)  # u = 0 on ∂Ω is part of the network
    with pytest.raises(symbolic_pinn.PinnError, match=r"none off the interior \(its conditions are built") as err:
        _weights.Balancing(built_in, TrainConfig(adaptive_weights=True))
    assert "--no-hard-constraints" in str(err.value)
    terms = symbolic_pinn.compile(POISSON_1D, width=4, depth=1, hard_constraints=False)
    _weights.Balancing(terms, TrainConfig(adaptive_weights=True))  # a boundary term to balance: no error


def test_adaptive_weights_balance_the_gradients():
    compiled, params, points, history = balanced(BUMP, 150)
    assert [w["pde"] for w in history] == [1.0] * 151  # the reference keeps its weight
    # the fixed point: λ mean |∇L_bc| = max |∇L_pde| over the weight matrices, from gradients taken here
    grads = {k: jax.grad(lambda p, k=k: compiled.module.losses(p, points)[k])(params) for k in ("pde", "bc")}
    matrices = {k: [np.abs(g) for g in jax.tree.leaves(v) if g.ndim == 2] for k, v in grads.items()}
    assert len(matrices["pde"]) == 3  # the weight matrices of a 2-layer network, not its biases
    target = max(m.max() for m in matrices["pde"]) / np.mean([m.mean() for m in matrices["bc"]])
    assert history[1]["bc"] == pytest.approx(0.9 + 0.1 * target, rel=1e-5)  # one step of the moving average
    assert history[-1]["bc"] == pytest.approx(target, rel=1e-4)
    assert abs(history[-1]["bc"] - target) < abs(history[10]["bc"] - target) < abs(1 - target)


def test_a_term_with_100_times_the_gradient_gets_a_hundredth_of_the_weight():
    _, _, _, plain = balanced(BUMP, 150)
    _, _, _, scaled = balanced(BUMP.replace("u = 0 at x = 0", "10*u = 0 at x = 0"), 150)
    assert plain[-1]["bc"] / scaled[-1]["bc"] == pytest.approx(100, rel=1e-4)


STOPPING = TrainConfig(
    adam_steps=60,
    bfgs_steps=0,
    interior_points=64,
    boundary_points=2,
    checkpoint_every=10,
    progress=False,
    resample_every=15,
    rar=True,
    rar_every=20,
    rar_points=8,
    rar_candidates=128,
    adaptive_weights=True,
    adaptive_weights_every=5,
)


def stop_at(step, number):
    def on_step(done):
        if done == step:
            signal.raise_signal(number)

    return on_step


def test_a_resumed_run_through_resampling_rar_and_weights_ends_as_an_uninterrupted_one(tmp_path):
    compiled = symbolic_pinn.compile(POISSON_1D, width=8, depth=2, hard_constraints=False)  # weights to adapt
    straight = train(compiled, STOPPING)
    # stopped before step 41, when RAR and the weights are due (test_checkpoint stops L-BFGS too)
    first = train(compiled, STOPPING, tmp_path, on_step=stop_at(40, signal.SIGINT))
    assert first.metrics["steps"] == 40
    third = train(compiled, STOPPING, tmp_path, resume=True)
    assert third.metrics["stopped"] is None and third.metrics["steps"] == 60
    for resumed, uninterrupted in zip(jax.tree.leaves(third.params), jax.tree.leaves(straight.params), strict=True):
        np.testing.assert_array_equal(resumed, uninterrupted)
    for term in ("pde", "bc"):
        for resumed, uninterrupted in zip(third.points[term], straight.points[term], strict=True):
            np.testing.assert_array_equal(resumed, uninterrupted)
    assert third.metrics["weights"] == straight.metrics["weights"]
    assert untimed(third.history) == untimed(straight.history)  # the wall time differs, nothing else
    # the points and the weights did change: the test could tell
    start = _points(compiled, STOPPING, jnp.float32)
    assert not np.allclose(straight.points["pde"][0], start["pde"][0])
    assert straight.metrics["weights"]["bc"] != 1.0 and straight.metrics["weights"]["pde"] == 1.0


def test_every_new_setting_is_in_train_help(capsys):
    with pytest.raises(SystemExit):
        _cli.main(["train", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--sampler {sobol,halton,uniform}",
        "--resample-every",
        "--rar",
        "--rar-every",
        "--rar-points",
        "--rar-candidates",
        "--adaptive-weights",
        "--adaptive-weights-every",
        "--adaptive-weights-alpha",
    ):
        assert flag in out, flag


def untimed(history: list[dict]) -> list[dict]:
    """A history without its wall-time column."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]
