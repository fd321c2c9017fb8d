"""Causal weights (``_training/causal.py``): the formula, the chunks, the objective, the setting.

The weighted objective is checked against numpy: the generated module's pointwise
residuals, grouped by ``numpy.digitize`` on the chunk edges and weighted by the formula
written out again, not by the code under test.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._config import TrainConfig
from symbolic_pinn._errors import PinnError
from symbolic_pinn._settings import train_config
from symbolic_pinn._training import causal
from symbolic_pinn._training import steps as _steps
from symbolic_pinn._training.metrics import summary_table
from symbolic_pinn._training.points import initial_points

# heat on [0, 1] × [0, 2], its conditions loss terms: the equation is weighted by chunk (and by
# its point weight 1 + t), the others are not
HEAT = (
    "x in [0, 1]; t in [0, 2]\nfield u(x, t)\nDt(u) = Dxx(u) weight 1 + t\nu = sin(pi*x) at t = 0\n"
    "u = 0 at x = 0\nu = 0 at x = 1\nexact u = exp(-pi^2*t)*sin(pi*x)"
)
POISSON = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω"
LOOSE = {"hard_constraints": False, "exact_initial": False}


@pytest.fixture(scope="module")
def heat():
    problem = symbolic_pinn.compile(HEAT, width=8, depth=1, **LOOSE)
    return problem, problem.init_params(jax.random.PRNGKey(3))


def test_weights_follow_the_formula_on_hand_made_chunk_losses():
    losses = np.array([0.5, 2.0, 0.25, 1.0, 3.0])
    for tol in (0.3, 1.0, 7.0):
        expected = [np.exp(-tol * sum(losses[:k])) for k in range(len(losses))]
        np.testing.assert_allclose(causal.chunk_weights(jnp.asarray(losses), tol), expected, rtol=1e-6)


def test_weights_are_one_when_the_tolerance_is_zero():
    np.testing.assert_array_equal(causal.chunk_weights(jnp.array([4.0, 1e3, 0.1]), 0.0), [1.0, 1.0, 1.0])


def test_weights_carry_no_gradient():
    grad = jax.grad(lambda L: jnp.sum(causal.chunk_weights(L, 1.0)))(jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(grad, [0.0, 0.0, 0.0])


def test_points_are_grouped_by_the_interval_of_their_time():
    t = np.random.default_rng(0).uniform(-1.0, 3.0, 1000)
    t[:3] = [-1.0, 3.0, 1.0]  # the ends and an edge between chunks
    expected = np.clip(np.digitize(t, np.linspace(-1.0, 3.0, 9)[1:-1]), 0, 7)
    np.testing.assert_array_equal(causal.chunk_of(jnp.asarray(t), (-1.0, 3.0), 8), expected)


def test_sobol_points_fill_every_chunk_equally(heat):
    problem, _ = heat
    points = initial_points(problem, TrainConfig(interior_points=256), jnp.float32)
    t = np.asarray(points["pde"][1])
    counts = np.bincount(np.asarray(causal.chunk_of(jnp.asarray(t), (0.0, 2.0), 16)), minlength=16)
    np.testing.assert_array_equal(counts, np.full(16, 16))


def test_chunk_means_average_each_chunk_and_skip_empty_ones():
    means, held = causal.chunk_means(jnp.array([1.0, 3.0, 5.0, 10.0]), jnp.array([0, 0, 2, 2]), 4)
    np.testing.assert_allclose(means, [2.0, 0.0, 7.5, 0.0])
    np.testing.assert_array_equal(held, [True, False, True, False])


@pytest.mark.parametrize("tol", [0.0, 2.0])
def test_the_objective_weights_the_equation_by_chunk(heat, tol):
    problem, params = heat
    config = TrainConfig(interior_points=64, face_points=16, causal="on", causal_tol=tol, causal_chunks=5)
    plan = causal.choose(problem, config)
    assert plan.used and plan.terms == ("pde",) and plan.window == (0.0, 2.0)
    points = initial_points(problem, config, jnp.float32)
    weights = {k: jnp.float32(w) for k, w in problem.module.WEIGHTS.items()}
    loss, terms = jax.jit(_steps.objective(problem, config, plan=plan))(params, points, weights)

    plain = {k: float(v) for k, v in problem.module.losses(params, points).items()}
    np.testing.assert_allclose([float(terms[k]) for k in plain], list(plain.values()), rtol=1e-5)
    t = np.asarray(points["pde"][1], float)
    r2 = (1 + t) * np.asarray(problem.module.residuals(params, {"pde": points["pde"]})["pde"], float) ** 2
    chunk = np.digitize(t, np.linspace(0.0, 2.0, 6)[1:-1])
    means = np.array([r2[chunk == k].mean() for k in range(5)])
    w = np.exp(-tol * weights["pde"] * np.concatenate([[0.0], np.cumsum(means)[:-1]]))
    expected = weights["pde"] * np.mean(w * means) + sum(weights[k] * v for k, v in plain.items() if k != "pde")
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_the_setting_is_checked():
    with pytest.raises(PinnError, match="causal"):
        train_config({"causal": "always"})
    with pytest.raises(PinnError, match="causal_tol"):
        TrainConfig(causal_tol=-1.0)
    with pytest.raises(PinnError, match="causal_chunks"):
        train_config({"causal_chunks": 0})


def test_on_refuses_a_problem_without_time_and_auto_says_why(heat):
    problem = symbolic_pinn.compile(POISSON, width=4, depth=1)
    with pytest.raises(PinnError, match="no time variable"):
        causal.choose(problem, TrainConfig(causal="on"))
    plan = causal.choose(problem, TrainConfig())
    assert not plan.used and "no time variable" in plan.reason
    plan = causal.choose(heat[0], TrainConfig())
    assert not plan.used and plan.reason.startswith(
        "the problem evolves in t, and causal = auto leaves the weights off"
    )
    with pytest.raises(PinnError, match="micro_batch = 2 splits"):
        causal.choose(heat[0], TrainConfig(causal="on", micro_batch=2))


def test_metrics_say_whether_it_was_used(heat):
    problem, _ = heat
    small = {"adam_steps": 1, "bfgs_steps": 0, "interior_points": 64, "face_points": 16, "error_every": 0}
    metrics = problem.train(causal="on", causal_chunks=4, progress=False, **small).metrics
    assert metrics["causal"]["used"] and metrics["causal"]["chunks"] == 4
    assert "4 chunks of t" in metrics["causal"]["reason"]
    rows = dict(zip(*(column._cells for column in summary_table(metrics).columns)))
    assert rows["causal weights"] == f"used: {metrics['causal']['reason']}"
    assert causal.choose(problem, TrainConfig(causal="off")).describe() == {
        "used": False,
        "reason": "set by causal = off",
    }
