"""Gauss–Legendre quadrature of energies on a box (_training.quadrature): the rule, the loss, the choice."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._errors import PinnError
from symbolic_pinn._training import quadrature, stopping
from symbolic_pinn._training.points import initial_points
from symbolic_pinn._training.steps import objective
from symbolic_pinn._training.train import TrainConfig, train

RITZ = """x in [0, 1]; y in [0, 1]
field u(x, y)
minimize ∫ (|∇u|^2/2 - 2*pi^2*sin(pi*x)*sin(pi*y)*u)
u = 0 on ∂Ω
exact u = sin(pi*x)*sin(pi*y)"""


@pytest.fixture(scope="module")
def ritz():
    return symbolic_pinn.compile(RITZ, width=8, depth=2)


@pytest.mark.parametrize(("per_axis", "order"), [(8, 4), (8, 8), (24, 8)])
def test_the_rule_integrates_a_polynomial_of_its_degree_exactly(per_axis, order):
    x, w = quadrature.rule([(0.0, 1.0), (-1.0, 2.0)], per_axis, order)
    p = 2 * order - 1  # the degree each panel's rule is exact for
    exact = (1 / (p + 1)) * (2.0 ** (p + 1) - (-1.0) ** (p + 1)) / (p + 1)  # ∫₀¹ xᵖ dx · ∫₋₁² yᵖ dy
    assert abs(w @ (x[:, 0] ** p * x[:, 1] ** p) - exact) < 1e-13 * abs(exact)
    assert abs(w.sum() - 3.0) < 1e-14  # the box's volume


def test_the_rule_integrates_a_smooth_integrand_to_rounding():
    # ∫∫∫ sin(πx) cos(y) e^t over [0, 1] × [0, 2] × [0, 1/2] = (2/π) · sin 2 · (e^½ − 1)
    x, w = quadrature.rule([(0.0, 1.0), (0.0, 2.0), (0.0, 0.5)], 16)
    value = w @ (np.sin(np.pi * x[:, 0]) * np.cos(x[:, 1]) * np.exp(x[:, 2]))
    assert abs(value - 2 / np.pi * np.sin(2.0) * (np.exp(0.5) - 1)) < 1e-14


def test_a_gauss_energy_at_the_exact_solution_is_its_minimum(ritz, monkeypatch):
    """The loss Σ wᵢ f(xᵢ) at u = sin(πx)sin(πy) is −π²/4 to rounding (float64); the Monte Carlo
    mean over as many Sobol points is not."""
    module = ritz.module
    monkeypatch.setattr(module, "fields", lambda params: {"u": module.exact_u})
    with jax.enable_x64(True):
        values = {}
        for choice in ("gauss", "mean"):
            points = initial_points(ritz, TrainConfig(energy_quadrature=choice), jnp.float64)
            values[choice] = float(module.losses(None, points)["energy"])
    assert len(points["energy"]) == 2  # Monte Carlo points carry no weights
    assert abs(values["gauss"] + math.pi**2 / 4) < 1e-12
    assert abs(values["mean"] + math.pi**2 / 4) > 1e-9


@pytest.mark.slow  # compiling the micro-batched scan: 20 s under load
def test_the_weights_are_cut_with_the_points_into_micro_batches(ritz):
    params = ritz.init_params(jax.random.PRNGKey(1))
    weights = {k: jnp.float32(v) for k, v in ritz.module.WEIGHTS.items()}
    config = TrainConfig(interior_points=64)  # 8 × 8 nodes
    points = initial_points(ritz, config, jnp.float32)
    assert len(points["energy"]) == 3 and len(points["energy"][0]) == 64
    whole = objective(ritz, config)(params, points, weights)[0]
    cut = objective(ritz, TrainConfig(interior_points=64, micro_batch=3))(params, points, weights)[0]
    assert abs(float(whole - cut)) < 1e-5 * abs(float(whole))


def test_the_held_out_rule_is_another_rule():
    program = symbolic_pinn.compile(RITZ, width=8, depth=2).ir
    training, held = quadrature.nodes(program, 4096), quadrature.nodes(program, 4096, held_out=True)
    assert training.shape == (64 * 64, 3) and held.shape == (72 * 72, 3)  # 8 panels of 8 nodes, then of 9
    assert abs(training[:, 2].mean() - 1) < 1e-12 and abs(held[:, 2].mean() - 1) < 1e-12


def test_auto_chooses_gauss_on_a_box_and_says_why(ritz):
    choice, why = quadrature.choose(ritz, TrainConfig())
    assert choice == "gauss" and why == "the domain is a box (8 panels × 8 Gauss–Legendre nodes per axis, 4,096 nodes)"


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"resample_every": 100}, "resample_every draws fresh interior points"),
        ({"interior_points": 40}, "give fewer than 8 nodes per axis"),
        ({"energy_quadrature": "mean"}, "set by energy_quadrature = mean"),
    ],
)
def test_auto_falls_back_to_monte_carlo_and_says_why(ritz, settings, why):
    choice, reason = quadrature.choose(ritz, TrainConfig(**settings))
    assert choice == "mean" and why in reason


def test_a_shaped_domain_or_an_equation_beside_the_energy_keeps_monte_carlo():
    disk = symbolic_pinn.compile(
        "(x, y) in disk((0, 0), 1)\nfield u(x, y)\nminimize ∫ (|∇u|^2/2 - u)\nu = 0 on ∂Ω", width=8, depth=2
    )
    assert quadrature.choose(disk, TrainConfig()) == ("mean", "Monte Carlo: the domain is not a box")
    with pytest.raises(PinnError, match="cannot apply: the domain is not a box"):
        quadrature.choose(disk, TrainConfig(energy_quadrature="gauss"))


def test_gauss_is_refused_where_nothing_is_an_energy_or_points_are_redrawn(ritz):
    poisson = symbolic_pinn.compile("x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 on ∂Ω", width=8, depth=2)
    with pytest.raises(PinnError, match="this problem has none"):
        quadrature.choose(poisson, TrainConfig(energy_quadrature="gauss"))
    with pytest.raises(PinnError, match="resample_every draws fresh interior points"):
        quadrature.choose(ritz, TrainConfig(energy_quadrature="gauss", resample_every=10))


def test_the_generated_loss_weights_an_energy_by_its_quadrature(ritz):
    source = ritz.source
    assert '"energy": lambda columns: integrand_energy(net["u"], *columns[:2]),' in source
    assert '"energy": MEASURES["energy"] * jnp.mean(quadrature_weights(points["energy"], 2) * r["energy"]),' in source
    assert "def quadrature_weights(columns, count):" in source  # the module carries it


def test_an_energy_stops_on_a_finer_flat_loss(ritz):
    poisson = symbolic_pinn.compile("x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 on ∂Ω", width=8, depth=2)
    assert stopping.flat_rtol(ritz) == stopping.ENERGY_FLAT_RTOL < stopping.flat_rtol(poisson) == stopping.FLAT_RTOL


@pytest.mark.slow
def test_training_reports_the_choice_and_resumes_with_the_weights(ritz, tmp_path):
    config = TrainConfig(adam_steps=5, bfgs_steps=5, interior_points=256, progress=False)
    stopped = train(ritz, dataclasses.replace(config, time_limit=1e-6), tmp_path)  # a checkpoint at step 0
    assert stopped.metrics["steps"] == 0
    result = train(ritz, config, tmp_path, resume=True)  # its points are the checkpoint's
    assert result.metrics["energy_quadrature"] == {
        "choice": "gauss",
        "reason": "the domain is a box (2 panels × 8 Gauss–Legendre nodes per axis, 256 nodes)",
    }
    expected = quadrature.nodes(ritz.ir, 256)
    np.testing.assert_allclose(np.stack(result.points["energy"], axis=-1), expected, rtol=1e-6)
    assert result.metrics["steps"] > 5 and math.isfinite(result.metrics["loss"])
