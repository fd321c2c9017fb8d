"""Levenberg–Marquardt: the residual vector is the loss, the steps solve the damped
normal equations, LM trains a manufactured problem to its closed-form solution, energy
problems are refused, and a run stopped inside the LM phase resumes to the same end.
"""

import json
import pathlib
import signal

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

import symbolic_pinn
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._training import least_squares as _least_squares
from symbolic_pinn._training.points import initial_points as _points
from symbolic_pinn._training.steps import step_functions
from symbolic_pinn._training.train import TrainConfig, train

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
# every example of residuals, with data, unknowns, normals, integrals, periodic conditions, several fields
RESIDUAL_EXAMPLES = ["poisson", "heat_inverse", "annulus", "volterra", "periodic", "stokes"]
POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
SMALL = dict(interior_points=64, boundary_points=16, face_points=16, float64=True, progress=False)


def compile_example(name: str, **network):
    return symbolic_pinn.compile(symbolic_pinn.parse_file(EXAMPLES / f"{name}.pinn"), **network)


def random_params(compiled, seed=0):
    """The initial networks, with every weight nudged so no term is trivially 0."""
    params = compiled.init_params(jax.random.PRNGKey(seed))
    leaves, treedef = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.PRNGKey(seed + 1), len(leaves))
    return jax.tree.unflatten(treedef, [a + 0.1 * jax.random.normal(k, jnp.shape(a)) for a, k in zip(leaves, keys)])


@pytest.mark.parametrize("name", RESIDUAL_EXAMPLES)
def test_the_squared_norm_of_the_residual_vector_is_the_loss(x64, name):
    # every condition a term (none built into the network), so periodic's pairs are in the vector
    compiled = compile_example(name, width=6, depth=2, exact_initial=False, periodic_embedding=False)
    config = TrainConfig(**SMALL)
    points = _points(compiled, config, jnp.float64)
    params = random_params(compiled)
    r = _least_squares.residual_vector(compiled)(params, points)
    assert r.shape == (sum(cols[0].shape[0] for cols in points.values()),)
    loss = compiled.loss(params, points)
    assert float(loss) > 1e-3  # not trivially 0 = 0
    np.testing.assert_allclose(float(r @ r), float(loss), rtol=1e-12)


def test_weights_enter_the_residual_vector_as_square_roots(x64):
    weighted = POISSON_1D.replace("on ∂Ω", "on ∂Ω weight 7")
    compiled = symbolic_pinn.compile(weighted, width=4, depth=1, hard_constraints=False)  # bc a term
    points = _points(compiled, TrainConfig(**SMALL), jnp.float64)
    params = random_params(compiled)
    r = _least_squares.residual_vector(compiled)(params, points)
    bc = _least_squares.term_residuals(compiled)(params, points)["bc"]
    np.testing.assert_allclose(np.asarray(r[-bc.shape[0] :]), np.sqrt(7 / bc.shape[0]) * np.asarray(bc), rtol=1e-14)
    np.testing.assert_allclose(float(r @ r), float(compiled.loss(params, points)), rtol=1e-12)


@pytest.mark.parametrize("name", ["annulus", "heat_inverse"])
def test_the_rows_of_the_jacobian_are_jacfwd_of_the_residual_vector(x64, name):
    # one point at a time (vmap of grad) against forward mode over the whole batch
    compiled = compile_example(name, width=4, depth=1)
    points = _points(compiled, TrainConfig(**SMALL), jnp.float64)
    params = random_params(compiled)
    theta, unravel = ravel_pytree(params)
    residuals = compiled.module.residuals
    rows = jax.jit(
        lambda t: jnp.concatenate([_least_squares._rows(residuals, k, unravel, t, points[k]) for k in points])
    )
    vector = _least_squares.residual_vector(compiled)
    reference = jax.jit(jax.jacfwd(lambda t: vector(unravel(t), points)))
    weights = compiled.module.WEIGHTS
    scale = np.concatenate([np.full(c[0].shape[0], np.sqrt(weights[k] / c[0].shape[0])) for k, c in points.items()])
    expected = np.asarray(reference(theta)) / scale[:, None]
    np.testing.assert_allclose(np.asarray(rows(theta)), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(30, 10), (10, 30)])  # the P × P form, and the N × N one
def test_a_step_solves_the_damped_normal_equations(x64, shape):
    rng = np.random.default_rng(0)
    jac, r, mu = rng.standard_normal(shape), rng.standard_normal(shape[0]), 0.3
    solve, largest = _least_squares._damped_solver(jnp.asarray(jac), jnp.asarray(r), jnp.asarray(jac.T @ r))
    expected = np.linalg.solve(jac.T @ jac + mu * np.eye(shape[1]), -jac.T @ r)
    np.testing.assert_allclose(np.asarray(solve(mu)), expected, rtol=1e-10)
    assert float(largest) == pytest.approx(np.max(np.sum(jac**2, axis=0)))


def test_lm_trains_a_manufactured_problem_to_its_solution():
    # -u'' = π² sin(πx), u(0) = u(1) = 0: the solution is sin(πx).  LM alone, from the
    # random network, in 40 steps (Adam alone needs thousands to get as far)
    compiled = symbolic_pinn.compile(POISSON_1D, width=8, depth=2)
    lm = train(compiled, TrainConfig(adam_steps=0, bfgs_steps=0, lm_steps=40, **SMALL))
    start = lm.history[0]["loss"]
    assert lm.metrics["lm_steps"] == 40 and lm.metrics["stopped"] is None
    assert lm.metrics["loss"] < 1e-6 * start
    assert lm.metrics["rel_l2"]["u"] < 1e-3


def test_lm_refuses_an_energy_and_says_what_to_do():
    compiled = compile_example("poisson_ritz", width=4, depth=1)
    with pytest.raises(symbolic_pinn.PinnError) as caught:
        train(compiled, TrainConfig(adam_steps=1, bfgs_steps=0, lm_steps=5, **SMALL))
    error = caught.value
    assert "term 'energy'" in error.message and "is an energy, not a square" in error.message
    assert "sum of squared residuals" in error.message
    assert "without --lm-steps" in error.help and "symbolic-pinn derive" in error.help


def test_without_lm_steps_there_is_no_lm_phase_so_energies_still_train():
    compiled = compile_example("poisson_ritz", width=4, depth=1)
    assert list(step_functions(compiled, TrainConfig(**SMALL))) == ["adam", "lbfgs"]


CHECKPOINTED = TrainConfig(adam_steps=10, bfgs_steps=0, lm_steps=20, checkpoint_every=5, **SMALL)


def stop_at(step: int):
    def on_step(done: int) -> None:
        if done == step:
            signal.raise_signal(signal.SIGINT)

    return on_step


def test_a_run_stopped_in_the_lm_phase_ends_as_an_uninterrupted_one(tmp_path):
    compiled = symbolic_pinn.compile(POISSON_1D, width=8, depth=2)
    straight = train(compiled, CHECKPOINTED)
    first = train(compiled, CHECKPOINTED, tmp_path, on_step=stop_at(17))
    assert first.metrics["signal"] == "SIGINT"
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert (meta["phase"], meta["steps"]) == ("lm", {"adam": 10, "lbfgs": 0, "lm": 7})
    with np.load(tmp_path / meta["arrays"], allow_pickle=False) as arrays:
        damping, growth = arrays["opt_state/0"], arrays["opt_state/1"]
    assert damping.shape == () and damping > 0 and growth >= 2  # μ is saved, not restarted
    second = train(compiled, CHECKPOINTED, tmp_path, resume=True)
    assert second.metrics["stopped"] is None and second.metrics["lm_steps"] == 20
    for resumed, uninterrupted in zip(jax.tree.leaves(second.params), jax.tree.leaves(straight.params), strict=True):
        np.testing.assert_allclose(np.asarray(resumed), np.asarray(uninterrupted), rtol=1e-10, atol=0)
    assert untimed(second.history) == untimed(straight.history)  # the wall time differs, nothing else
    # a finished run resumes to itself: its optimiser state is LM's
    again = train(compiled, CHECKPOINTED, tmp_path, resume=True)
    assert again.metrics["steps"] == 30 and again.metrics["loss"] == second.metrics["loss"]


def test_a_trial_step_with_a_nan_loss_is_rejected(x64):
    # sqrt(u + 1) = 0 is solved at u = -1, beyond which the residual is NaN; the
    # undamped Gauss–Newton step (u + 1 → −(u + 1) for a linear model) lands there
    compiled = symbolic_pinn.compile("x in [0, 1]\nfield u(x)\nsqrt(u + 1) = 0", width=4, depth=1)
    points = _points(compiled, TrainConfig(**SMALL), jnp.float64)
    params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), compiled.init_params(jax.random.PRNGKey(0)))
    vector = _least_squares.residual_vector(compiled)
    theta, unravel = ravel_pytree(params)
    r, jac = vector(params, points), jax.jacfwd(lambda t: vector(unravel(t), points))(theta)
    solve, _ = _least_squares._damped_solver(jac, r, jac.T @ r)
    assert np.isnan(float(compiled.loss(unravel(theta + solve(1e-12)), points)))  # the first trial below
    lm = _least_squares.levenberg_marquardt(compiled)
    new, state, before, _ = lm.step(params, _least_squares.LMState(jnp.asarray(1e-12), jnp.asarray(2.0)), points)
    after = float(compiled.loss(new, points))
    assert np.isfinite(after) and after < float(before)
    assert float(state.damping) > 1e-12


def test_the_setting_is_in_train_help(capsys):
    with pytest.raises(SystemExit):
        _cli.main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--lm-steps N" in out
    assert "Levenberg–Marquardt" in out and "with --float64" in out and "(default 0)" in out


def test_a_checkpoint_from_before_lm_steps_existed_resumes(tmp_path):
    # its settings have no lm_steps: it ran with the default, 0
    compiled = symbolic_pinn.compile(POISSON_1D, width=8, depth=2)
    config = TrainConfig(adam_steps=10, bfgs_steps=0, checkpoint_every=5, **SMALL)
    train(compiled, config, tmp_path, on_step=stop_at(5))
    index = tmp_path / "checkpoint.json"
    meta = json.loads(index.read_text())
    del meta["settings"]["lm_steps"]
    index.write_text(json.dumps(meta))
    resumed = compiled.train(tmp_path, resume=True)
    assert resumed.metrics["steps"] == 10 and resumed.metrics["stopped"] is None


def untimed(history: list[dict]) -> list[dict]:
    """A history without its wall-time column."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]
