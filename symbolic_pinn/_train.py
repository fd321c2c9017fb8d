"""Stage 7, train: Adam (optax) with a decaying learning rate, then L-BFGS (optax).

A train step is pure: ``step(params, state, points) -> (params, state, loss, terms)``.
The loop keeps the last parameters whose loss was finite: a NaN or inf stops
training with a clear message and the good parameters are returned, never lost; so
are they on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import _domain
from . import _ir as ir
from ._errors import PinnError

__all__ = ["TrainConfig", "TrainResult", "train"]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Training settings; every one is also a ``symbolic-pinn train`` option.

    Attributes:
        adam_steps: Adam iterations.
        lbfgs_steps: at most this many L-BFGS iterations after Adam.
        learning_rate: Adam's initial learning rate, decayed exponentially ...
        final_learning_rate: ... to this value at the last Adam step.
        interior_points: collocation points inside the domain.
        boundary_points: points on the whole boundary (split over the faces by area).
        face_points: points on each face named by an `at x = a` condition.
        seed: seeds the network initialisation and the points.
        float64: train in double precision (slower; reaches lower losses).
        progress: show a progress bar.
    """

    adam_steps: int = 2000
    lbfgs_steps: int = 3000
    learning_rate: float = 1e-3
    final_learning_rate: float = 1e-4
    interior_points: int = 2048
    boundary_points: int = 512
    face_points: int = 256
    seed: int = 0
    float64: bool = False
    progress: bool = True

    def __post_init__(self):
        for name in ("adam_steps", "lbfgs_steps"):
            if getattr(self, name) < 0:
                raise PinnError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        for name in ("interior_points", "boundary_points", "face_points"):
            if getattr(self, name) < 1:
                raise PinnError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        for name in ("learning_rate", "final_learning_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise PinnError(f"{name} must be a positive number, got {value}")


@dataclasses.dataclass
class TrainResult:
    """What training produced: parameters, per-step history and summary metrics."""

    params: dict
    history: list[dict]
    metrics: dict
    points: dict


def _points(compiled, config: TrainConfig, dtype) -> dict:
    """Points for every term; terms on the same region share them."""
    program = compiled.ir
    by_region: dict = {}
    points = {}
    data = {d.name: d for d in compiled.spec.data}
    for term in program.terms:
        region = term.region
        if region.kind == "data":
            observations = data[region.data]
            columns = [observations.coordinates[v.name] for v in program.variables]
            columns += [observations.observed[f] for f in ir.observed_fields(program, term)]
            points[term.name] = tuple(jnp.asarray(c, dtype=dtype) for c in columns)
            continue
        if region not in by_region:  # with the normals: a term that needs none ignores those columns
            n = {"interior": config.interior_points, "boundary": config.boundary_points}.get(region.kind, config.face_points)
            array = _domain.sample(program, region, n, seed=config.seed + 1000 * (len(by_region) + 1), normals=True)
            by_region[region] = tuple(jnp.asarray(array[:, j], dtype=dtype) for j in range(array.shape[1]))
        columns = len(program.variables) + (len(program.spatial) if ir.uses_normals(term) else 0)
        points[term.name] = by_region[region][:columns]
    return points


def relative_l2(compiled, params, total: int = 10_000) -> dict[str, float]:
    """‖u − exact‖ / ‖exact‖ on a regular grid, for each field with an `exact`."""
    program = compiled.ir
    grid = _domain.test_grid(program, total)
    names = [v.name for v in program.variables]
    fields = compiled.module.fields(params)
    errors = {}
    for name, exact in compiled.module.EXACT.items():
        args = [jnp.asarray(grid[:, names.index(a)], dtype=jnp.result_type(float)) for a in program.field(name).args]
        predicted = np.asarray(fields[name](*args), dtype=float)
        reference = np.asarray(exact(*args), dtype=float)
        scale = np.linalg.norm(reference)
        diff = np.linalg.norm(predicted - reference)
        errors[name] = float(diff / scale) if scale > 0 else float(diff / math.sqrt(len(reference)))
    return errors


class _Progress:
    """A rich progress bar with the loss of every term (or nothing, if disabled)."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled
        self.total = total
        self._progress = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[losses]}"),
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("adam", total=self.total, losses="")
        return self

    def update(self, phase: str, step: int, loss: float, terms: dict) -> None:
        if self._progress is not None:
            text = f"loss {loss:.3e}  " + "  ".join(f"{k} {v:.2e}" for k, v in terms.items())
            self._progress.update(self._task, completed=step, description=phase, losses=text)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)


def train(compiled, config: TrainConfig = TrainConfig()) -> TrainResult:
    """Train a compiled problem: Adam, then L-BFGS; returns parameters and metrics."""
    context = jax.enable_x64(True) if config.float64 else contextlib.nullcontext()
    with context:
        return _train(compiled, config)


def _train(compiled, config: TrainConfig) -> TrainResult:
    dtype = jnp.float64 if config.float64 else jnp.float32
    start = time.perf_counter()
    points = _points(compiled, config, dtype)
    params = jax.tree.map(lambda a: jnp.asarray(a, dtype), compiled.init_params(jax.random.PRNGKey(config.seed)))
    loss_fn, losses_fn = compiled.module.loss, compiled.module.losses
    weights = compiled.module.WEIGHTS

    def total(params, points):
        terms = losses_fn(params, points)
        return sum(weights[k] * v for k, v in terms.items()), terms

    history: list[dict] = []
    good = params
    stopped = None
    every = 10

    decay = config.final_learning_rate / config.learning_rate
    schedule = optax.exponential_decay(config.learning_rate, max(1, config.adam_steps), decay)
    adam = optax.adam(schedule)

    @jax.jit
    def adam_step(params, state, points):
        (value, terms), grads = jax.value_and_grad(total, has_aux=True)(params, points)
        updates, state = adam.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value, terms

    lbfgs = optax.lbfgs()

    @jax.jit
    def lbfgs_step(params, state, points):
        def value_fn(p):
            return loss_fn(p, points)

        value, grads = optax.value_and_grad_from_state(value_fn)(params, state=state)
        updates, state = lbfgs.update(grads, state, params, value=value, grad=grads, value_fn=value_fn)
        return optax.apply_updates(params, updates), state, value, losses_fn(params, points)

    steps_done = {"adam": 0, "lbfgs": 0}
    phases = [("adam", adam_step, adam.init(params), config.adam_steps), ("lbfgs", lbfgs_step, lbfgs.init(params), config.lbfgs_steps)]
    total_steps = config.adam_steps + config.lbfgs_steps
    with _Progress(config.progress, total_steps) as progress:
        try:
            for phase, step_fn, state, steps in phases:
                if phase == "lbfgs":
                    state = lbfgs.init(good)
                params = good
                flat = 0
                previous = math.inf
                for i in range(steps):
                    new_params, state, value, terms = step_fn(params, state, points)
                    value = float(value)
                    if not math.isfinite(value):
                        stopped = f"the loss became {value} at {phase} step {i + 1}; kept the last parameters with a finite loss"
                        break
                    # `value` is the loss at `params` (before this step's update).
                    good = params
                    params = new_params
                    steps_done[phase] = i + 1
                    done = steps_done["adam"] + steps_done["lbfgs"]
                    if i % every == 0 or i == steps - 1:
                        host_terms = {k: float(v) for k, v in terms.items()}
                        history.append({"step": done, "phase": phase, "loss": value, **host_terms})
                        progress.update(phase, done, value, host_terms)
                    if phase == "lbfgs":
                        flat = flat + 1 if previous - value <= 1e-10 * max(abs(value), 1e-30) else 0
                        previous = value
                        if flat >= 50:
                            break
                if stopped:
                    break
                good = params
        except KeyboardInterrupt:
            stopped = "interrupted (Ctrl-C); kept the last parameters"
    params = good
    final_terms = {k: float(v) for k, v in losses_fn(params, points).items()}
    final_loss = float(sum(weights[k] * v for k, v in final_terms.items()))
    if not math.isfinite(final_loss) and stopped is None:
        stopped = "the final loss is not finite"
    metrics = {
        "rel_l2": relative_l2(compiled, params),
        "unknowns": {k: float(v) for k, v in params.get("unknowns", {}).items()},
        "loss": final_loss,
        "losses": final_terms,
        "steps": steps_done["adam"] + steps_done["lbfgs"],
        "adam_steps": steps_done["adam"],
        "lbfgs_steps": steps_done["lbfgs"],
        "seconds": time.perf_counter() - start,
        "seed": config.seed,
        "stopped": stopped,
    }
    return TrainResult(params, history, metrics, points)
