"""The dense self-scaled quasi-Newton finish (_quasi_newton) and its phase in training."""

import json
import signal

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import symbolic_pinn
from symbolic_pinn._training import quasi_newton as _quasi_newton
from symbolic_pinn._training.train import BFGS_MAX_PARAMS, TrainConfig, finisher_for, parameter_count, train

POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"


def spd_quadratic(n: int, seed: int):
    """A random symmetric positive definite A (condition number about 100) and b."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    a = q @ np.diag(np.geomspace(1.0, 100.0, n)) @ q.T
    return jnp.asarray((a + a.T) / 2), jnp.asarray(rng.normal(size=n))


@pytest.mark.parametrize("method", _quasi_newton.METHODS)
def test_updates_keep_the_inverse_hessian_symmetric_positive_definite(x64, method):
    n = 12
    rng = np.random.default_rng(1)
    h = jnp.eye(n)
    for k in range(30):
        # pairs with positive curvature from changing SPD matrices: a non-quadratic function's
        a, _ = spd_quadratic(n, 100 + k)
        s = jnp.asarray(rng.normal(size=n))
        g = jnp.asarray(rng.normal(size=n))
        g = jnp.where(s @ g < 0, g, -g)  # a descent step: sᵀg < 0, as after a line search
        h, skipped = _quasi_newton.inverse_hessian_update(h, s, a @ s, g, k == 0, n, method)
        assert not skipped
        assert np.array_equal(np.asarray(h), np.asarray(h).T)
        assert np.linalg.eigvalsh(np.asarray(h)).min() > 0
        np.testing.assert_allclose(h @ (a @ s), s, rtol=1e-8, atol=1e-10)  # the secant equation


@pytest.mark.parametrize("method", _quasi_newton.METHODS)
def test_an_update_with_non_positive_curvature_is_skipped(x64, method):
    n = 5
    h = jnp.diag(jnp.arange(1.0, n + 1))
    s, y = jnp.ones(n), -jnp.ones(n)  # yᵀs < 0: no positive definite H⁺ maps y to s
    new, skipped = _quasi_newton.inverse_hessian_update(h, s, y, -jnp.ones(n), False, n, method)
    assert skipped and np.array_equal(np.asarray(new), np.asarray(h))


@pytest.mark.parametrize("method", _quasi_newton.METHODS)
def test_on_a_quadratic_exact_line_searches_reach_the_minimiser_in_n_steps(x64, method):
    # the Broyden class with exact line searches makes conjugate directions (finite termination)
    n = 10
    a, b = spd_quadratic(n, 0)
    minimiser = jnp.linalg.solve(a, b)
    transform = _quasi_newton.scale_by_self_scaled(method)
    x, state = jnp.zeros(n), transform.init(jnp.zeros(n))
    for _ in range(n + 1):
        g = a @ x - b
        p, state = transform.update(g, state, x)
        x = x - (g @ p) / (p @ a @ p) * p  # the exact minimiser along p
    np.testing.assert_allclose(x, minimiser, rtol=1e-8)
    assert int(state.skipped) == 0


def test_every_step_satisfies_the_strong_wolfe_conditions(x64):
    def rosenbrock(x):
        return jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    c1, c2 = 1e-4, 0.9  # optax's zoom line search: slope_rtol, curv_rtol
    optimizer = _quasi_newton.self_scaled("ssbroyden")
    x = jnp.array([-1.2, 1.0, -0.5, 0.8])
    state = optimizer.init(x)
    update = jax.jit(lambda g, s, x, v: optimizer.update(g, s, x, value=v, grad=g, value_fn=rosenbrock))
    from_state = jax.jit(lambda x, s: optax.value_and_grad_from_state(rosenbrock)(x, state=s))
    at = jax.jit(jax.value_and_grad(rosenbrock))  # jitted: 100 steps op by op took 17 s
    for _ in range(100):
        value, grad = from_state(x, state)
        step, state = update(grad, state, x, value)
        new_value, new_grad = at(x + step)
        slope = grad @ step
        assert slope < 0
        assert new_value <= value + c1 * slope
        assert abs(new_grad @ step) <= c2 * abs(slope)
        x = x + step
        if value < 1e-20:
            break
    np.testing.assert_allclose(x, jnp.ones(4), rtol=1e-6)


# ---- the phase in training ------------------------------------------------------------

CONFIG = TrainConfig(adam_steps=20, bfgs_steps=30, interior_points=64, checkpoint_every=5, progress=False)


@pytest.fixture(scope="module")
def poisson():
    return symbolic_pinn.compile(POISSON_1D, width=8, depth=2)


def stop_at(step: int):
    def on_step(done: int) -> None:
        if done == step:
            signal.raise_signal(signal.SIGINT)

    return on_step


def test_a_run_stopped_in_the_bfgs_phase_ends_as_an_uninterrupted_one_to_the_bit(poisson, tmp_path):
    straight = train(poisson, CONFIG)
    assert straight.metrics["finisher"] == "bfgs" and straight.metrics["bfgs_steps"] == 30
    first = train(poisson, CONFIG, tmp_path, on_step=stop_at(37))
    assert first.metrics["signal"] == "SIGINT"
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert (meta["phase"], meta["steps"], meta["finisher"]) == ("bfgs", {"adam": 20, "bfgs": 17}, "bfgs")
    n = parameter_count(poisson)
    with np.load(tmp_path / meta["arrays"], allow_pickle=False) as arrays:
        matrices = [arrays[k] for k in arrays.files if k.startswith("opt_state/") and arrays[k].shape == (n, n)]
        params = [arrays[k] for k in arrays.files if k.startswith("params/")]
    assert len(matrices) == 1 and not np.array_equal(matrices[0], np.eye(n))  # the matrix is saved, not restarted
    assert all(p.dtype == np.float64 for p in params)  # the phase runs in float64 after float32 Adam
    second = train(poisson, CONFIG, tmp_path, resume=True)
    assert second.metrics["stopped"] is None and second.metrics["bfgs_steps"] == 30
    for resumed, uninterrupted in zip(jax.tree.leaves(second.params), jax.tree.leaves(straight.params), strict=True):
        np.testing.assert_array_equal(np.asarray(resumed), np.asarray(uninterrupted))

    def numbers(history):  # the wall time of each row differs between runs
        return [{k: v for k, v in row.items() if k != "seconds"} for row in history]

    assert numbers(second.history) == numbers(straight.history)
    assert second.metrics["ended"] == straight.metrics["ended"] == {"adam": "step budget", "bfgs": "step budget"}


@pytest.mark.slow  # an accuracy comparison of two trainings (30 s): benchmarks/accuracy.py measures it at scale
def test_the_dense_finish_reaches_a_lower_error_than_l_bfgs(poisson):
    # the closed form is the reference; both runs take the same Adam steps first
    config = TrainConfig(adam_steps=200, bfgs_steps=300, interior_points=128, progress=False)
    dense = train(poisson, config)
    limited = train(poisson, TrainConfig(**(config.numerics() | {"finisher": "lbfgs", "progress": False})))
    assert dense.metrics["rel_l2"]["u"] < 1e-4
    assert dense.metrics["rel_l2"]["u"] < limited.metrics["rel_l2"]["u"]


def test_auto_picks_gauss_newton_above_the_threshold_and_a_setting_forces_either():
    small = symbolic_pinn.compile(POISSON_1D, width=8, depth=2)
    large = symbolic_pinn.compile(POISSON_1D, width=64, depth=3)
    assert parameter_count(small) <= BFGS_MAX_PARAMS < parameter_count(large)
    assert finisher_for(small, TrainConfig()) == "bfgs"
    assert finisher_for(large, TrainConfig()) == "gn"  # matrix-free (_gauss_newton); an energy: L-BFGS
    assert finisher_for(large, TrainConfig(finisher="bfgs")) == "bfgs"
    assert finisher_for(small, TrainConfig(finisher="lbfgs")) == "lbfgs"
    assert finisher_for(small, TrainConfig(bfgs_steps=0)) == "lbfgs"  # Adam only: no float64 forced


def test_an_unknown_finisher_is_refused():
    with pytest.raises(symbolic_pinn.PinnError, match="unknown finisher 'newton'"):
        TrainConfig(finisher="newton")
