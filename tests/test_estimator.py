"""The randomised Laplacian (STDE's sparse estimator): unbiased, opt-in, trained with fresh draws."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn._runtime import sampled_coordinates

D = 6
NAMES = [f"x{i}" for i in range(1, D + 1)]
SYMBOLS = sympy.symbols(" ".join(NAMES), real=True)
TEXT = "; ".join(f"{n} in [0, 1]" for n in NAMES) + f"\nfield u({', '.join(NAMES)})\n"
# a weighted sum with a zero weight, a negative one and a first derivative beside it
EQUATION = "D(u, x1, x1) + 2*D(u, x2, x2) - 3*D(u, x3, x3) + D(u, x4, x4) + 0.5*D(u, x6, x6) + D(u, x1) = 1"


def _closed_form():
    expr = sympy.sin(sum((k + 1) * s for k, s in enumerate(SYMBOLS)) / 3) + sympy.prod(SYMBOLS[:3]) ** 2
    weights = {0: 1, 1: 2, 2: -3, 3: 1, 5: 0.5}
    want = sum(w * sympy.diff(expr, SYMBOLS[i], 2) for i, w in weights.items()) + sympy.diff(expr, SYMBOLS[0]) - 1
    return sympy.lambdify(SYMBOLS, expr, "jax"), sympy.lambdify(SYMBOLS, want, "numpy")


def _problem(samples):
    return sp.compile(TEXT + EQUATION + "\nu = 0 on ∂Ω", laplacian_samples=samples, width=8, depth=2)


def test_the_estimate_is_unbiased_and_random(x64):
    """The mean over many draws is SymPy's exact residual (within 5 standard errors);
    single draws are not."""
    compiled = _problem(2)
    assert "estimated, unbiased: 2 random coordinates" in compiled.format_plan()
    f, want = _closed_form()
    rng = np.random.default_rng(0)
    coords = [rng.uniform(0, 1, 5) for _ in NAMES]
    exact = want(*coords)

    def one(key):
        return compiled.module.residual_pde(f, *(jnp.asarray(c) for c in coords), key=key)

    draws = np.asarray(jax.vmap(one)(jax.random.split(jax.random.PRNGKey(1), 4000)))
    mean, error = draws.mean(axis=0), draws.std(axis=0) / np.sqrt(len(draws))
    assert np.all(draws.std(axis=0) > 1e-3)  # it is an estimate, not the sum
    assert np.all(np.abs(mean - exact) < 5 * error + 1e-12), (mean, exact, error)
    # a biased variant (forgetting the n/samples factor) would be caught
    assert np.any(np.abs(mean / 2.5 - exact) > 5 * error)


def test_sampled_coordinates_draw_distinct_nonzero_coordinates(x64):
    weights = (1.0, 0.0, 2.0, -3.0, 0.0, 0.5)
    for seed in range(20):
        directions, lam = sampled_coordinates(jax.random.PRNGKey(seed), 0, weights, 3)
        chosen = np.argmax(np.asarray(directions), axis=1)
        assert len(set(chosen)) == 3 and all(weights[i] != 0 for i in chosen)
        np.testing.assert_allclose(lam, [weights[i] * 4 / 3 for i in chosen])
    # drawing all of them gives the exact sum: every coordinate once, weight wᵢ
    directions, lam = sampled_coordinates(jax.random.PRNGKey(0), 0, weights, 4)
    assert sorted(np.argmax(np.asarray(directions), axis=1)) == [0, 2, 3, 5]


def test_exact_unless_asked(x64):
    """Off by default; a sum with no more terms than the samples stays exact; and the
    estimated module at a fixed key is a deterministic function."""
    assert "estimated" not in _problem(0).format_plan()
    assert "estimated" not in _problem(5).format_plan()  # 5 terms, 5 samples: exact
    compiled = _problem(3)
    assert compiled.module.RANDOMIZED == ("pde",)
    assert _problem(0).module.RANDOMIZED == ()
    params = compiled.init_params(jax.random.PRNGKey(0))
    rng = np.random.default_rng(1)
    points = {t: tuple(jnp.asarray(rng.uniform(0, 1, 16)) for _ in NAMES) for t in compiled.module.WEIGHTS}
    a, b = compiled.loss(params, points), compiled.loss(params, points)
    assert float(a) == float(b)
    c = compiled.loss(params, points, jax.random.PRNGKey(7))
    assert float(c) != float(a)


def test_negative_samples_are_refused():
    with pytest.raises(sp.PinnError, match="laplacian_samples"):
        _problem(-1)


@pytest.mark.slow  # minutes of the suite's budget; `pytest -m slow` runs it
def test_training_with_the_estimator_lowers_the_loss(tmp_path):
    """Adam draws new coordinates every step; the exact loss falls about as fast as with
    exact Laplacians (the estimate's variance costs some: within 3×, measured 1.3–2×)."""
    compiled = _problem(3)
    result = compiled.train(
        tmp_path, adam_steps=150, bfgs_steps=0, interior_points=256, boundary_points=128, progress=False
    )
    exact = _problem(0)
    reference = exact.train(
        tmp_path / "exact", adam_steps=150, bfgs_steps=0, interior_points=256, boundary_points=128, progress=False
    )
    first = float(exact.loss(compiled.init_params(jax.random.PRNGKey(0)), result.points))
    last = float(exact.loss(result.params, result.points))
    assert last < 0.5 * first
    assert last < 3 * float(exact.loss(reference.params, result.points))


def test_least_squares_sees_the_same_fixed_draw_as_the_loss():
    """Levenberg–Marquardt's residual vector squares to the loss an estimated problem
    evaluates without a key (one fixed draw, as for L-BFGS)."""
    from symbolic_pinn._training.least_squares import residual_vector

    compiled = _problem(2)
    params = compiled.init_params(jax.random.PRNGKey(0))
    rng = np.random.default_rng(2)
    points = {t: tuple(jnp.asarray(rng.uniform(0, 1, 32)) for _ in NAMES) for t in compiled.module.WEIGHTS}
    r = residual_vector(compiled)(params, points)
    np.testing.assert_allclose(float(jnp.sum(r**2)), float(compiled.loss(params, points)), rtol=1e-5)
