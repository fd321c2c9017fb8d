"""Run by test_devices.py in a subprocess with four forced host devices: prints JSON.

For each problem: the loss, each term's loss and the gradient of the objective every
phase minimises, on one device and split over four; then a short training (Adam,
then Levenberg–Marquardt) on one device and on four, from the same seed.
The point counts are chosen so that some divide by four and some do not.
"""

import json
import os
import pathlib
import sys

assert "--xla_force_host_platform_device_count=4" in os.environ.get("XLA_FLAGS", "")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import symbolic_pinn  # noqa: E402
from symbolic_pinn._errors import PinnError  # noqa: E402
from symbolic_pinn._settings import train_config  # noqa: E402
from symbolic_pinn._training import devices as _devices  # noqa: E402
from symbolic_pinn._training import steps as _steps  # noqa: E402
from symbolic_pinn._training.points import initial_points  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
# (example, settings): a box, a shaped domain, a data term, an integral (an energy, minimize ∫) as
# a Monte Carlo mean, and as a Gauss–Legendre rule (16 × 16 nodes: its weights split with them)
PROBLEMS = {
    "box": ("poisson.pinn", {"interior_points": 203, "boundary_points": 50}),
    "disk": ("disk_poisson.pinn", {"interior_points": 256, "boundary_points": 64}),
    "data": ("heat_inverse.pinn", {"interior_points": 101}),  # 400 observations
    "integral": ("poisson_ritz.pinn", {"interior_points": 130, "boundary_points": 42, "energy_quadrature": "mean"}),
    "gauss": ("poisson_ritz.pinn", {"interior_points": 256, "energy_quadrature": "gauss"}),
}
FOUR = _devices.placement("4")


def compiled(example: str, **network):
    return symbolic_pinn.compile(symbolic_pinn.parse_file(EXAMPLES / example), width=8, depth=1, **network)


def flat(tree) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in jax.tree.leaves(tree)])


def objective_on(problem, config, placement, params, points, weights):
    total = _steps.objective(problem, config, placement)
    points, (params, weights) = placement.points(points), placement.replicate((params, weights))
    (value, terms), grads = jax.jit(jax.value_and_grad(total, has_aux=True))(params, points, weights)
    return float(value), {k: float(v) for k, v in terms.items()}, flat(grads)


def objectives() -> dict:
    out = {}
    for name, (example, settings) in PROBLEMS.items():
        problem = compiled(example)
        config = train_config(settings)
        params = problem.init_params(jax.random.PRNGKey(0))
        points = initial_points(problem, config, jnp.float32)
        weights = {k: jnp.float32(w) for k, w in problem.module.WEIGHTS.items()}
        one = objective_on(problem, config, _devices.ONE, params, points, weights)
        four = objective_on(problem, config, FOUR, params, points, weights)
        out[name] = {
            "sizes": {k: len(c[0]) for k, c in points.items()},
            "loss": [one[0], four[0]],
            "terms": [one[1], four[1]],
            "grad_scale": float(np.abs(one[2]).max()),
            "grad_diff": float(np.abs(one[2] - four[2]).max()),
        }
    return out


def trainings() -> dict:
    # u = 0 on ∂Ω a term: with it built in, LM's 3 steps lower the float32 loss 350×, and
    # the summation order's rounding is compared at a loss near its own rounding level
    problem = compiled("poisson.pinn", hard_constraints=False)
    # no quasi-Newton phase: it minimises the objective checked above, and compiling it
    # (its line search) would double this file's time
    settings = {"adam_steps": 20, "lbfgs_steps": 0, "finisher": "lbfgs", "lm_steps": 3, "error_every": 0}
    settings |= {"interior_points": 203, "boundary_points": 50}
    results = {d: problem.train(progress=False, devices=d, **settings) for d in ("1", "4")}
    return {
        "steps": [r.metrics["steps"] for r in results.values()],
        "devices": [r.metrics["devices"] for r in results.values()],
        "history": [[row["loss"] for row in r.history] for r in results.values()],
        "params": [flat(r.params).tolist() for r in results.values()],
        "loss": [r.metrics["loss"] for r in results.values()],
    }


def too_many() -> str:
    try:
        _devices.placement("8")
    except PinnError as err:
        return str(err)
    return ""


if __name__ == "__main__":
    json.dump(
        {"count": FOUR.count, "objectives": objectives(), "training": trainings(), "too_many": too_many()},
        sys.stdout,
    )
