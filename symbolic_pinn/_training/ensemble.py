"""Uncertainty by ensembles: N members trained as one vectorised program.

Member ``i`` has the seed ``seed + i``: its own initial parameters and its own collocation
points (``points.initial_points`` with that seed), and, with ``bootstrap`` (the default), its
own resample, with replacement, of every data term's observations.  The members' parameters,
Adam states and points are stacked along a first axis and one ``jax.vmap`` of the step trains
them all at once::

    params[i] = init_params(PRNGKey(seed + i))       points[i] = initial_points(seed + i)
    for each Adam step:    params, state = vmap(adam_step)(params, state, points)
    for each L-BFGS step:  params, state = vmap(lbfgs_step)(params, state, points)

Without ``bootstrap`` member ``i`` is, to float tolerance, the Adam training of
``train(seed = seed + i)`` (the test checks it).  Over the members come the statistics of
each ``unknown`` and of each field on the test grid: mean, standard deviation (of the
sample, ``ddof = 1``) and the 95% interval of the members' values (their 2.5th and 97.5th
percentiles).  With the bootstrap the spread of an unknown reflects the noise of the data
as well as the optimisation; without, the optimisation and the collocation points only.

The finish is optax's L-BFGS for ``bfgs_steps`` steps (no held-out watching); the settings
that change points or weights while training (resampling, RAR, adaptive weights), the other
finishers and Levenberg–Marquardt are refused, as is resuming: an ensemble is trained in one go.
"""

from __future__ import annotations

import dataclasses
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._compiler import ir
from .._config import TrainConfig
from .._errors import PinnError
from . import causal, devices, domain, metrics, phases, steps
from . import weights as _weights
from .points import initial_points
from .train import precision

__all__ = ["Ensemble", "train_ensemble", "check", "summary", "statistics", "INTERVAL"]

INTERVAL = (2.5, 97.5)  # the percentiles of the members' values that bound the 95% interval
TEST_POINTS = 10_000  # the test grid the fields' spread is measured on

# settings an ensemble does not support: their value that it does (the default)
UNSUPPORTED = {
    "resample_every": 0,
    "rar": False,
    "adaptive_weights": False,
    "point_weights": "none",
    "lm_steps": 0,
    "bfgs_resample_every": 0,
    "tensorboard": False,
}


@dataclasses.dataclass
class Ensemble:
    """What :func:`train_ensemble` produced.

    ``params``: the members' parameters stacked along a first axis of length ``n``;
    ``seeds``: each member's seed; ``metrics``: each member's loss and relative L2 errors,
    and each unknown's and field's statistics (see :func:`statistics`).
    """

    params: dict
    seeds: list[int]
    metrics: dict
    config: TrainConfig = TrainConfig()
    problem: object = None

    @property
    def n(self) -> int:
        return len(self.seeds)

    def member(self, i: int) -> dict:
        """Member ``i``'s parameters."""
        return jax.tree.map(lambda a: a[i], self.params)

    @property
    def unknowns(self) -> dict:
        """Each unknown's ``mean``, ``std``, ``interval`` and the members' ``values``."""
        return self.metrics["unknowns"]

    def field(self, name: str):
        """``f(*coordinates) -> {"mean", "std", "low", "high"}``: the members' field ``name`` at the points given."""
        fields = [self.problem.module.fields(self.member(i))[name] for i in range(self.n)]

        def evaluate(*args):
            with precision(self.config.float64):
                values = np.stack([np.asarray(f(*(jnp.asarray(a) for a in args)), dtype=float) for f in fields])
            return _spread(values)

        return evaluate


def train_ensemble(compiled, config: TrainConfig = TrainConfig(), n: int | None = None, *, bootstrap: bool = True):  # noqa: B008
    """Train ``n`` members (``config.ensemble`` if None) as one vectorised program; see the module docstring."""
    n = config.ensemble if n is None else n
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise PinnError(f"an ensemble has at least one member, got {n!r}", help="use --ensemble 2 or more")
    check(compiled, config)
    with precision(config.float64):
        return _train(compiled, config, n, bootstrap)


def check(compiled, config: TrainConfig) -> None:
    """Refuse, before anything is trained, settings an ensemble does not support."""
    for name, supported in UNSUPPORTED.items():
        if getattr(config, name) != supported:
            raise PinnError(
                f"an ensemble cannot use {name} = {getattr(config, name)}: its members are trained on fixed points"
                " and weights, with Adam then L-BFGS",
                help=f"leave {name} at {supported} with --ensemble, or train single runs",
            )
    if config.finisher not in ("auto", "lbfgs") and config.bfgs_steps:
        raise PinnError(
            f"an ensemble finishes with L-BFGS, not finisher = {config.finisher}",
            help="leave finisher at auto (or lbfgs) with --ensemble, or set bfgs_steps = 0",
        )


def _stack(trees: list):
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


def member_points(compiled, config: TrainConfig, seed: int, dtype, bootstrap: bool) -> dict:
    """A member's points: those of a run with its seed, each data term's rows resampled with replacement."""
    points = initial_points(compiled, dataclasses.replace(config, seed=seed), dtype)
    if not bootstrap:
        return points
    rng = np.random.default_rng([seed, 0xB007])
    data = [t.name for t in compiled.ir.terms if isinstance(t.region, ir.Data)]
    for name in data:
        columns = points[name]
        rows = jnp.asarray(rng.integers(0, len(columns[0]), len(columns[0])))
        points[name] = tuple(c[rows] for c in columns)
    return points


def _train(compiled, config: TrainConfig, n: int, bootstrap: bool) -> Ensemble:
    started = time.perf_counter()
    dtype = jnp.float64 if config.float64 else jnp.float32
    seeds = [config.seed + i for i in range(n)]
    cast = lambda tree: jax.tree.map(lambda a: jnp.asarray(a, dtype), tree)  # noqa: E731
    params = _stack([cast(compiled.init_params(jax.random.PRNGKey(s))) for s in seeds])
    points = _stack([member_points(compiled, config, s, dtype, bootstrap) for s in seeds])
    weights = _weights.initial_weights(compiled, dtype)
    total = steps.objectives(compiled, config, devices.ONE)  # by phase: Adam's may weight by time (causal)
    finish, total = total(phases.BY_NAME["lbfgs"]), total(phases.BY_NAME["adam"])
    randomized = bool(getattr(compiled.module, "RANDOMIZED", ()))
    schedule = steps.SCHEDULES[config.schedule](config)
    adam = optax.adam(schedule)

    def adam_step(params, state, points, seed):
        # as steps.adam, with the member's seed for the estimated Laplacians' draws
        key = jax.random.fold_in(jax.random.PRNGKey(seed), state[0].count) if randomized else None
        (value, _), grads = jax.value_and_grad(total, has_aux=True)(params, points, weights, key)
        updates, state = adam.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    seed_array = jnp.asarray(seeds, dtype=jnp.uint32)
    vmapped = jax.jit(jax.vmap(adam_step))
    state = jax.vmap(adam.init)(params)
    for _ in range(config.adam_steps):
        params, state, _ = vmapped(params, state, points, seed_array)
    if config.bfgs_steps:
        params = _lbfgs(finish, params, points, weights, config.bfgs_steps)
    member_losses = jax.jit(jax.vmap(lambda p, x: finish(p, x, weights)[0]))(params, points)
    result = Ensemble(params=params, seeds=seeds, metrics={}, config=config, problem=compiled)
    result.metrics = statistics(compiled, result, [float(v) for v in member_losses], config)
    result.metrics |= {"bootstrap": bootstrap, "seconds": round(time.perf_counter() - started, 3)}
    result.metrics["causal"] = causal.choose(compiled, config).describe()
    return result


def _lbfgs(total, params, points, weights, count: int) -> dict:
    """``count`` steps of optax's L-BFGS with its zoom line search, for every member at once."""
    optimizer = optax.lbfgs()

    def step(params, state, points):
        def value_fn(p):
            return total(p, points, weights)[0]

        value, grads = optax.value_and_grad_from_state(value_fn)(params, state=state)
        updates, state = optimizer.update(grads, state, params, value=value, grad=grads, value_fn=value_fn)
        return optax.apply_updates(params, updates), state

    vmapped = jax.jit(jax.vmap(step))
    state = steps.strong(jax.vmap(optimizer.init)(params))
    for _ in range(count):
        params, state = vmapped(params, state, points)
    return params


def _spread(values: np.ndarray) -> dict:
    """Mean, standard deviation and 95% interval over the first axis (the members)."""
    low, high = np.percentile(values, INTERVAL, axis=0)
    std = np.std(values, axis=0, ddof=1) if len(values) > 1 else np.zeros_like(values[0])
    return {"mean": np.mean(values, axis=0), "std": std, "low": low, "high": high}


def _plain(value):
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array.tolist()


def statistics(compiled, result: Ensemble, losses: list[float], config: TrainConfig) -> dict:
    """For ensemble.json: each member's seed, loss and relative L2 errors; each unknown's members'
    values, mean, std and 95% interval; each field's std on the test grid (its mean and largest)."""
    n = result.n
    members = [result.member(i) for i in range(n)]
    errors = [metrics.relative_l2(compiled, p, chunk_size=config.chunk_size) for p in members]
    unknowns = {}
    for name in result.params.get("unknowns", {}):
        values = np.asarray(result.params["unknowns"][name], dtype=float)
        spread = _spread(values)
        unknowns[name] = {
            "values": _plain(values),
            "mean": _plain(spread["mean"]),
            "std": _plain(spread["std"]),
            "interval": [_plain(spread["low"]), _plain(spread["high"])],
        }
    program = compiled.ir
    grid = domain.test_grid(program, TEST_POINTS)
    names = [v.name for v in program.variables]
    fields = {}
    for field in program.fields:
        args = [jnp.asarray(grid[:, names.index(a)], dtype=jnp.result_type(float)) for a in field.args]
        values = np.stack(
            [
                np.asarray(devices.in_chunks(compiled.module.fields(p)[field.name], args, config.chunk_size))
                for p in members
            ]
        ).astype(float)
        std = _spread(values)["std"]
        fields[field.name] = {"mean_std": float(np.mean(std)), "max_std": float(np.max(std))}
    return {
        "members": n,
        "interval_percentiles": list(INTERVAL),
        "seeds": result.seeds,
        "losses": losses,
        "rel_l2": errors,
        "unknowns": unknowns,
        "fields": fields,
        "adam_steps": config.adam_steps,
        "lbfgs_steps": config.bfgs_steps,
        "not_finite": [s for s, v in zip(result.seeds, losses) if not math.isfinite(v)],
    }


def summary(result: Ensemble) -> str:
    """The lines the command prints: each unknown's mean ± std and 95% interval, each field's spread, the losses."""
    m = result.metrics
    lines = [f"ensemble of {m['members']} members (seeds {m['seeds'][0]}–{m['seeds'][-1]})"]
    for name, u in m["unknowns"].items():
        if isinstance(u["mean"], float):
            low, high = u["interval"]
            lines.append(f"unknown {name}: {u['mean']:.6g} ± {u['std']:.3g}, 95% interval [{low:.6g}, {high:.6g}]")
        else:
            lines.append(f"unknown {name}: an array (its statistics are in the ensemble's file)")
    for name, f in m["fields"].items():
        lines.append(f"field {name}: std over the members {f['mean_std']:.3g} on average, {f['max_std']:.3g} at most")
    losses = m["losses"]
    lines.append(f"losses: {min(losses):.3e} to {max(losses):.3e}")
    for field in sorted({k for e in m["rel_l2"] for k in e}):
        errors = [e[field] for e in m["rel_l2"] if e.get(field) is not None]
        if errors:
            lines.append(f"relative L2 error of {field}: {np.mean(errors):.3e} on average, {max(errors):.3e} at most")
    if m["not_finite"]:
        lines.append(f"members whose loss is not finite (seeds): {m['not_finite']}")
    return "\n".join(lines)
