"""The matrix-free Gauss–Newton finish (finisher gn): a linear model reaches numpy's lstsq
solution in one step, a nonlinear fit agrees with SciPy's least_squares, a step with its CG
run to convergence is the dense Levenberg–Marquardt step (with and without the Nyström
preconditioner), a run stopped inside the phase resumes to the same bits, and the finisher
``auto`` picks is shown with its reason and forced by the setting.
"""

import dataclasses
import json
import pathlib
import signal
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from jax.flatten_util import ravel_pytree

import symbolic_pinn
from symbolic_pinn._config import BFGS_MAX_PARAMS
from symbolic_pinn._training import gauss_newton as _gn
from symbolic_pinn._training import least_squares as _least_squares
from symbolic_pinn._training.points import initial_points as _points
from symbolic_pinn._training.train import TrainConfig, finisher_choice, parameter_count, train

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"
SMALL = dict(interior_points=64, boundary_points=16, face_points=16, float64=True, progress=False)


@pytest.fixture(scope="module")
def poisson():
    """One compiled problem for the tests that train (its jitted steps are kept with its module)."""
    return symbolic_pinn.compile(POISSON_1D, width=8, depth=2)


def fake_problem(residual):
    """A stand-in for a compiled problem whose only term has the residual ``residual(params)``."""
    term = types.SimpleNamespace(kind="residual", name="pde", label=None)
    module = types.SimpleNamespace(WEIGHTS={"pde": 1.0}, residuals=lambda params, points: {"pde": residual(params)})
    return types.SimpleNamespace(ir=types.SimpleNamespace(terms=(term,)), module=module)


def test_conjugate_gradients_solve_a_symmetric_system_and_count_their_iterations(x64):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((12, 12))
    a = a @ a.T + 0.1 * np.eye(12)
    b = rng.standard_normal(12)
    x, k = _gn.conjugate_gradients(lambda v: jnp.asarray(a) @ v, jnp.asarray(b), 1e-12, 100)
    np.testing.assert_allclose(np.asarray(x), np.linalg.solve(a, b), rtol=1e-8)
    assert 1 <= int(k) <= 40
    _, truncated = _gn.conjugate_gradients(lambda v: jnp.asarray(a) @ v, jnp.asarray(b), 1e-12, 3)
    assert int(truncated) == 3


def test_a_linear_model_reaches_the_lstsq_solution_in_one_step(x64):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((40, 7)), rng.standard_normal(40)
    problem = fake_problem(lambda p: jnp.asarray(a) @ p["w"] - jnp.asarray(b))
    points = {"pde": (jnp.zeros(40),)}
    expected = np.linalg.lstsq(a, b, rcond=None)[0]
    # undamped (μ at its floor) with CG run to convergence: one Gauss–Newton step solves it
    gn = _gn.gauss_newton_cg(problem, cg_steps=50, rtol=1e-14)
    state = _gn.GNState(*(jnp.asarray(v) for v in (1e-300, 2.0, 1.0)), jnp.int32(0), jnp.int32(0))
    params, _, _, _ = gn.step({"w": jnp.zeros(7)}, state, points)
    np.testing.assert_allclose(np.asarray(params["w"]), expected, rtol=1e-10, atol=1e-12)
    # from its own first damping, the damped steps get there too
    params, state = {"w": jnp.zeros(7)}, gn.init({"w": jnp.zeros(7)})
    for _ in range(6):
        params, state, _, _ = gn.step(params, state, points)
    np.testing.assert_allclose(np.asarray(params["w"]), expected, rtol=1e-8, atol=1e-10)


def test_a_nonlinear_fit_agrees_with_scipy_least_squares(x64):
    x = np.linspace(0, 1, 30)
    y = 2.0 * np.exp(-1.3 * x) + 0.05 * np.sin(17 * x)  # not exactly of the model's form

    def residual(p):
        return p["a"] * jnp.exp(p["b"] * jnp.asarray(x)) - jnp.asarray(y)

    reference = scipy.optimize.least_squares(
        lambda t: t[0] * np.exp(t[1] * x) - y, [1.0, 0.0], method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    gn = _gn.gauss_newton_cg(fake_problem(residual), cg_steps=10)
    params = {"a": jnp.asarray(1.0), "b": jnp.asarray(0.0)}
    state = gn.init(params)
    for _ in range(40):
        params, state, _, _ = gn.step(params, state, {"pde": (jnp.zeros(30),)})
    np.testing.assert_allclose([float(params["a"]), float(params["b"])], reference.x, rtol=1e-8)


@pytest.mark.slow  # 15 s: the suite's time (the least-squares references above stay in the default run)
@pytest.mark.parametrize("rank", [0, 97])  # without the preconditioner, and with a Nyström one of full rank
def test_a_step_with_its_cg_converged_is_the_dense_levenberg_marquardt_step(x64, rank, poisson):
    compiled = poisson
    points = _points(compiled, TrainConfig(**SMALL), jnp.float64)
    params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), compiled.init_params(jax.random.PRNGKey(0)))
    theta, unravel = ravel_pytree(params)
    assert theta.shape == (97,)
    vector = _least_squares.residual_vector(compiled)
    r, jac = vector(params, points), jax.jacfwd(lambda t: vector(unravel(t), points))(theta)
    mu = 1e-2 * float(jnp.max(jnp.sum(jac**2, axis=0)))
    solve, _ = _least_squares._damped_solver(jac, r, jac.T @ r)
    gn = _gn.gauss_newton_cg(compiled, cg_steps=400 if rank == 0 else 10, rank=rank, rtol=1e-13)
    state = _gn.GNState(jnp.asarray(mu), jnp.asarray(2.0), jnp.asarray(1.0), jnp.int32(0), jnp.int32(0))
    new, state, before, terms = gn.step(params, state, points)
    assert float(before) == pytest.approx(float(r @ r), rel=1e-12)
    assert float(terms["pde"]) == pytest.approx(float(compiled.loss(params, points)), rel=1e-12)
    # accepted at the first trial: μ fell (Nielsen), and the step is the dense one
    assert float(state.damping) < mu
    np.testing.assert_allclose(np.asarray(ravel_pytree(new)[0] - theta), np.asarray(solve(mu)), rtol=1e-6, atol=1e-9)
    if rank:  # the preconditioner of full rank leaves CG little to do
        assert int(state.cg_iterations) <= 3


CHECKPOINTED = TrainConfig(adam_steps=4, bfgs_steps=12, finisher="gn", checkpoint_every=3, **SMALL)


def test_the_phase_trains_a_manufactured_problem_to_its_solution(poisson):
    # the same step settings as CHECKPOINTED: the steps compiled here serve the test below
    result = train(poisson, dataclasses.replace(CHECKPOINTED, bfgs_steps=30, checkpoint_every=0))
    assert result.metrics["gn_steps"] == 30 and result.metrics["stopped"] is None
    assert result.metrics["loss"] < 1e-6 * result.history[0]["loss"]
    assert result.metrics["rel_l2"]["u"] < 1e-3


def test_a_run_stopped_in_the_gn_phase_resumes_to_the_same_bits(tmp_path, capsys, poisson):
    compiled = poisson
    straight = train(compiled, dataclasses.replace(CHECKPOINTED, progress=True))  # progress changes no number
    shown = capsys.readouterr().out
    assert "finishing with Gauss–Newton-CG: set by finisher = gn" in shown and "finished with Gauss–Newton-CG" in shown
    stop = 4 + 6  # Adam's 4 steps, then 6 of the 12 Gauss–Newton steps

    def on_step(done: int) -> None:
        if done == stop:
            signal.raise_signal(signal.SIGINT)

    first = train(compiled, CHECKPOINTED, tmp_path, on_step=on_step)
    assert first.metrics["signal"] == "SIGINT"
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert (meta["phase"], meta["steps"]) == ("gn", {"adam": 4, "gn": 6})
    with np.load(tmp_path / meta["arrays"], allow_pickle=False) as arrays:
        damping, growth, scale, count = (arrays[f"opt_state/{i}"] for i in range(4))
    assert damping > 0 and growth >= 2 and scale > 0 and count == 6  # μ, ν, λ₁, the step count are saved
    second = train(compiled, CHECKPOINTED, tmp_path, resume=True)
    assert second.metrics["stopped"] is None and second.metrics["gn_steps"] == 12
    for resumed, uninterrupted in zip(jax.tree.leaves(second.params), jax.tree.leaves(straight.params), strict=True):
        np.testing.assert_array_equal(np.asarray(resumed), np.asarray(uninterrupted))
    assert second.metrics["finisher"] == "gn" and second.metrics["finisher_reason"] == "set by finisher = gn"


def test_auto_picks_dense_bfgs_below_the_threshold_gauss_newton_above_and_says_why():
    small = symbolic_pinn.compile(POISSON_1D, width=8, depth=2)
    large = symbolic_pinn.compile(POISSON_1D, width=64, depth=3)
    assert parameter_count(small) <= BFGS_MAX_PARAMS < parameter_count(large)
    name, why = finisher_choice(small, TrainConfig())
    assert name == "bfgs" and f"{parameter_count(small):,} parameters ≤ {BFGS_MAX_PARAMS:,}" in why
    name, why = finisher_choice(large, TrainConfig())
    assert name == "gn" and "stores no matrix" in why and "matrix takes" in why
    # every choice is forced by the setting
    for forced in ("bfgs", "lbfgs", "gn"):
        for problem in (small, large):
            assert finisher_choice(problem, TrainConfig(finisher=forced)) == (forced, f"set by finisher = {forced}")
    assert finisher_choice(large, TrainConfig(bfgs_steps=0))[0] == "lbfgs"  # Adam only: no float64 forced


def test_auto_takes_l_bfgs_for_a_large_energy_and_a_forced_gn_is_refused():
    ritz = symbolic_pinn.compile(symbolic_pinn.parse_file(EXAMPLES / "poisson_ritz.pinn"), width=64, depth=3)
    assert parameter_count(ritz) > BFGS_MAX_PARAMS
    name, why = finisher_choice(ritz, TrainConfig())
    assert name == "lbfgs" and "is an energy, not a square" in why
    with pytest.raises(symbolic_pinn.PinnError) as caught:
        train(ritz, TrainConfig(adam_steps=1, bfgs_steps=1, finisher="gn", **SMALL))
    assert "finisher gn" in caught.value.message and "energy, not a square" in caught.value.message
    assert "finisher = auto" in caught.value.help
