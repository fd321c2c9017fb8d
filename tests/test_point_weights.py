"""Residual-based attention (_training.point_weights): the update, the weighted objective, resume, settings."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._training import checkpoint, point_weights
from symbolic_pinn._training.points import initial_points
from symbolic_pinn._training.steps import objective
from symbolic_pinn._training.train import TrainConfig, train
from symbolic_pinn._training.weights import initial_weights

# u = 0 on ∂Ω as a loss term: a boundary term besides the interior's equation
POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
CONFIG = TrainConfig(
    adam_steps=10, bfgs_steps=10, interior_points=16, checkpoint_every=5, progress=False, error_every=0,
    point_weights="rba", point_weights_decay=0.9, point_weights_rate=0.1,
)  # fmt: skip


@pytest.fixture(scope="module")
def poisson():
    return symbolic_pinn.compile(POISSON_1D, width=8, depth=2, hard_constraints=False)


def test_the_update_is_the_published_formula_on_a_hand_made_residual():
    lam = jnp.array([1.0, 2.0, 0.5, 1.0])
    r = jnp.array([1.0, -2.0, 4.0, 0.0])  # max |r| = 4
    # by hand: 0.9·λ + 0.1·|r|/4
    expected = [0.9 + 0.025, 1.8 + 0.05, 0.45 + 0.1, 0.9]
    np.testing.assert_allclose(point_weights.update(lam, r, 0.9, 0.1), expected, rtol=1e-6)
    # residuals all 0: the weights only decay (no 0/0)
    np.testing.assert_allclose(point_weights.update(lam, jnp.zeros(4), 0.9, 0.1), 0.9 * lam, rtol=1e-6)
    # the fixed point of the update for a constant residual: λ = η/(1 − γ)·|r|/max|r| (10 at the largest)
    fixed = point_weights.restart(r, 0.999, 0.01)
    np.testing.assert_allclose(point_weights.update(fixed, r, 0.999, 0.01), fixed, rtol=1e-6)
    np.testing.assert_allclose(fixed, [2.5, 5.0, 10.0, 0.0], rtol=1e-6)


def test_adam_s_objective_updates_the_multipliers_and_weights_each_squared_residual(poisson):
    params = poisson.init_params(jax.random.PRNGKey(1))
    points = initial_points(poisson, CONFIG, jnp.float32)
    weights = point_weights.attach(initial_weights(poisson, jnp.float32), poisson, CONFIG, points, jnp.float32)
    lam = jnp.linspace(0.5, 2.0, CONFIG.interior_points)
    weights[point_weights.KEY] = {"pde": lam}
    updating = jax.jit(jax.value_and_grad(objective(poisson, CONFIG, updating=True), has_aux=True))
    (loss, terms), grads = updating(params, points, weights)
    # the reference: the generated module's own residuals, weighted by hand
    r = jax.jit(poisson.module.residuals)(params, points)
    new = 0.9 * lam + 0.1 * jnp.abs(r["pde"]) / jnp.max(jnp.abs(r["pde"]))
    np.testing.assert_allclose(terms[point_weights.KEY]["pde"], new, rtol=1e-5)

    def by_hand(p):
        res = poisson.module.residuals(p, points)
        return jnp.mean(new * res["pde"] ** 2) + jnp.mean(res[next(k for k in res if k != "pde")] ** 2)

    value, expected = jax.jit(jax.value_and_grad(by_hand))(params)
    assert float(loss) == pytest.approx(float(value), rel=1e-5)
    # the multipliers are weights, not functions of the parameters: no gradient flows through them
    for got, want in zip(jax.tree.leaves(grads), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)
    # a finisher's objective keeps them: the loss weights by λ itself and returns no new ones
    _, fixed_terms = jax.jit(objective(poisson, CONFIG))(params, points, weights)
    assert point_weights.KEY not in fixed_terms
    assert float(fixed_terms["pde"]) == pytest.approx(float(jnp.mean(lam * r["pde"] ** 2)), rel=1e-5)


def test_the_multipliers_are_checkpointed_and_a_resumed_run_ends_on_the_same_bits(poisson, tmp_path):
    straight_dir, stopped_dir = tmp_path / "straight", tmp_path / "stopped"
    config = dataclasses.replace(CONFIG, bfgs_steps=0)  # Adam's, where the multipliers move
    straight = train(poisson, config, straight_dir)
    first = train(poisson, config, stopped_dir, callback=lambda info: info.step == 6)
    assert first.metrics["stopped"].startswith("stopped by the callback")
    resumed = train(poisson, config, stopped_dir, resume=True)
    for a, b in zip(jax.tree.leaves(resumed.params), jax.tree.leaves(straight.params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    (_, ours), (_, theirs) = checkpoint.load(stopped_dir), checkpoint.load(straight_dir)
    kept = sorted(k for k in theirs if k.startswith("weights/"))
    assert len(kept) == 3  # the two terms' weights and the interior's multipliers
    lam = [theirs[k] for k in kept if theirs[k].shape == (CONFIG.interior_points,)]
    assert len(lam) == 1 and not np.allclose(lam[0], 1.0)  # they moved during Adam
    for k in kept:
        np.testing.assert_array_equal(ours[k], theirs[k])


def test_the_settings_are_checked():
    with pytest.raises(symbolic_pinn.PinnError, match="unknown point_weights 'rab'"):
        TrainConfig(point_weights="rab")
    with pytest.raises(symbolic_pinn.PinnError, match=r"point_weights_decay must be in \(0, 1\)"):
        TrainConfig(point_weights_decay=1.0)
    with pytest.raises(symbolic_pinn.PinnError, match="point_weights_rate must be a positive number"):
        TrainConfig(point_weights_rate=0.0)


def test_problems_and_settings_they_do_not_fit_are_refused(poisson):
    ritz = symbolic_pinn.compile(
        "x in [0, 1]\nfield u(x)\nminimize ∫ (Dx(u)^2/2 - u)\nu = 0 on ∂Ω", width=4, depth=1, hard_constraints=True
    )
    with pytest.raises(symbolic_pinn.PinnError, match="is an energy") as err:
        point_weights.check(ritz, CONFIG)
    assert "--point-weights none" in err.value.help
    with pytest.raises(symbolic_pinn.PinnError, match="micro_batch = 2"):
        point_weights.check(poisson, dataclasses.replace(CONFIG, micro_batch=2))
    assert point_weights.weighted_terms(poisson, CONFIG) == ("pde",)
    both = point_weights.weighted_terms(poisson, dataclasses.replace(CONFIG, point_weights_boundary=True))
    assert len(both) == 2
    assert point_weights.weighted_terms(poisson, dataclasses.replace(CONFIG, point_weights="none")) == ()


def test_points_that_change_restart_their_multipliers_where_the_update_converges(poisson):
    params = poisson.init_params(jax.random.PRNGKey(2))
    old = initial_points(poisson, CONFIG, jnp.float32)
    new = dict(old, pde=(jnp.linspace(0.05, 0.95, CONFIG.interior_points),))  # fresh interior points
    weights = point_weights.attach(initial_weights(poisson, jnp.float32), poisson, CONFIG, old, jnp.float32)
    restarted = point_weights.Restarts(poisson, CONFIG)(weights, params, old, new)
    r = np.abs(np.asarray(jax.jit(poisson.module.residuals)(params, new)["pde"]))
    # η/(1 − γ)·|r|/max|r| with γ = 0.9, η = 0.1
    np.testing.assert_allclose(restarted[point_weights.KEY]["pde"], 1.0 * r / r.max(), rtol=1e-5)
    assert point_weights.Restarts(poisson, CONFIG)(weights, params, old, old) is weights  # nothing changed
