"""Evaluation in chunks and micro-batched loss evaluation give the numbers of one batch.

``_devices.in_chunks`` evaluates a pointwise function a chunk at a time (the test-grid
error, RAR's candidates, the plots); ``micro_batch`` cuts every term's points into
chunks inside the loss, each recomputed in the backward pass.  Both must change the
memory, not the numbers: compared here with one batch, and the chunking itself with
numpy.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._errors import PinnError
from symbolic_pinn._settings import train_config
from symbolic_pinn._training import devices as _devices
from symbolic_pinn._training import metrics as _metrics
from symbolic_pinn._training import sampling as _sampling
from symbolic_pinn._training import steps as _steps
from symbolic_pinn._training.points import initial_points

POISSON = (
    "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)\nu = 0 on ∂Ω\n"
    "exact u = sin(pi*x)*sin(pi*y)"
)
# 203 interior points: three micro-batches of unequal sizes (68, 68, 67)
SETTINGS = {"interior_points": 203, "boundary_points": 50}


@pytest.fixture(scope="module")
def poisson():
    # a boundary term to split as well: u = 0 on ∂Ω stays a loss term
    problem = symbolic_pinn.compile(POISSON, width=8, depth=1, hard_constraints=False)
    params = problem.init_params(jax.random.PRNGKey(1))
    return problem, params


@pytest.mark.parametrize("n, size", [(7, 3), (6, 3), (5, 10), (1, 1)])
def test_in_chunks_equals_the_function_on_every_point(n, size):
    x, y = np.linspace(0, 1, n), np.linspace(2, 3, n) ** 2
    np.testing.assert_array_equal(_devices.in_chunks(lambda a, b: np.sin(a) * b, (x, y), size), np.sin(x) * y)


def test_in_chunks_calls_a_jitted_function_with_one_shape():
    shapes = []

    def f(x):
        shapes.append(x.shape)
        return x * 2

    np.testing.assert_array_equal(_devices.in_chunks(f, (np.arange(10.0),), 4), np.arange(10.0) * 2)
    assert shapes == [(4,)] * 3


def test_in_chunks_broadcasts_a_constant():
    np.testing.assert_array_equal(_devices.in_chunks(lambda x: np.float32(1), (np.arange(5.0),), 2), np.ones(5))


def test_chunked_test_grid_error_equals_one_batch(poisson):
    problem, params = poisson
    one = _metrics.relative_l2(problem, params, total=2000, chunk_size=100_000)["u"]
    chunked = _metrics.relative_l2(problem, params, total=2000, chunk_size=333)["u"]
    # the network on [0,1]² at init is far from the exact solution: an error of order 1
    assert 0.1 < one < 10
    assert chunked == pytest.approx(one, rel=1e-6)


def test_chunked_rar_scores_equal_one_batch(poisson):
    problem, params = poisson
    scores = {}
    for size in (1000, 128):
        config = train_config({"rar": True, "chunk_size": size, "adam_steps": 10, "rar_every": 5} | SETTINGS)
        collocation = _sampling.Collocation(problem, config, jnp.float32)
        points = initial_points(problem, config, jnp.float32)
        candidates = collocation.draw(1000, seed=5)
        weights = {k: jnp.float32(w) for k, w in problem.module.WEIGHTS.items()}
        scores[size] = collocation.residual(params, points, weights, candidates)
    assert scores[128].shape == (1000,)
    np.testing.assert_allclose(scores[128], scores[1000], rtol=1e-5)


def test_a_micro_batched_loss_and_gradient_equal_one_batch(poisson):
    problem, params = poisson
    results = []
    for chunks in (1, 3):
        config = train_config({"micro_batch": chunks} | SETTINGS)
        points = initial_points(problem, config, jnp.float32)
        weights = {k: jnp.float32(w) for k, w in problem.module.WEIGHTS.items()}
        total = jax.jit(jax.value_and_grad(_steps.objective(problem, config), has_aux=True))
        (value, terms), grads = total(params, points, weights)
        results.append((float(value), terms, np.concatenate([np.ravel(g) for g in jax.tree.leaves(grads)])))
    (one, one_terms, one_grad), (three, three_terms, three_grad) = results
    assert three == pytest.approx(one, rel=2e-6)
    for name in one_terms:
        assert float(three_terms[name]) == pytest.approx(float(one_terms[name]), rel=2e-6)
    assert np.abs(three_grad - one_grad).max() <= 1e-5 * np.abs(one_grad).max()


def test_more_micro_batches_than_points_is_an_error(poisson):
    problem, params = poisson
    config = train_config({"micro_batch": 49} | SETTINGS)  # the boundary's 50 become 48 on the faces
    points = initial_points(problem, config, jnp.float32)
    weights = {k: jnp.float32(w) for k, w in problem.module.WEIGHTS.items()}
    with pytest.raises(PinnError, match="term 'bc' has 48"):
        _steps.objective(problem, config)(params, points, weights)
