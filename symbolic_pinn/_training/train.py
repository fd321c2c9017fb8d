"""Stage 7, train: the phases of :mod:`.phases` in order, Adam (optax) with a decaying learning
rate, then a quasi-Newton finish, then, if asked for, Levenberg–Marquardt (``_least_squares``).

The finish is dense self-scaled quasi-Newton (``_quasi_newton``, phase "bfgs") in float64
for networks of at most ``BFGS_MAX_PARAMS`` parameters, matrix-free Gauss–Newton
(``_gauss_newton``, phase "gn") above, or L-BFGS (optax) where the loss is not a sum of
squares (``finisher`` forces any; :func:`finisher_choice` says why).  The bfgs and gn phases
cast parameters, points and weights up to float64 when Adam ran in float32: training then
runs under ``jax.enable_x64`` throughout (float32 arrays stay float32 there), so its loss is traced in float64.

Where each part lives:

- :mod:`.phases`: the table of phases; :mod:`.steps`: the objective and each phase's step;
- :mod:`.loop`: the loop, which reads like the algorithm; :mod:`.stopping`: its stop rules;
- :mod:`.points`: the starting points, their adaptation, and the held-out points the finish watches;
- :mod:`.checkpoint`: a run's state (:mod:`.state`) to and from checkpoints, and resume;
- :mod:`.metrics`: the errors against an exact solution, and the summary table.

``time_limit`` ends training after so many seconds, resumably.  A NaN or inf stops
training with a message naming the step and the term, and the last parameters whose loss
was finite are returned, never lost.  With a run directory, a checkpoint (parameters,
optimiser state, step, phase, points, weights, history, settings) is written every
``checkpoint_every`` steps, on Ctrl-C or SIGTERM and at the end; ``resume=True``
continues from it and reaches the same parameters, to the bit, as a run that was never stopped.
A resumed finished run given more steps of its last phase, or a phase after it
(``checkpoint.EXTENDABLE``), goes on from its parameters with that phase.
``init_from`` starts a new run (other settings, other ranges) from another run's trained parameters.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import pathlib
import typing
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import _limits
from .._config import BFGS_MAX_PARAMS, TrainConfig, training_memory
from .._errors import PinnError
from .._files import writable_directory
from . import (
    causal,
    checkpoint,
    devices,
    events,
    least_squares,
    monitor,
    phases,
    point_weights,
    quadrature,
    sampling,
    steps,
)
from . import weights as _weights
from .loop import HISTORY_EVERY, Loop, Watch
from .metrics import phase_metrics, relative_l2, relative_l2_by_parameter, summary_table
from .points import Adapt, HeldOut, initial_points
from .state import Run
from .stopping import Outside, StopSignals, flat_rtol

__all__ = [
    "TrainConfig", "TrainResult", "train", "precision", "result_precision", "finisher_for", "finisher_choice",
    "parameter_count",
]  # fmt: skip


@dataclasses.dataclass
class TrainResult:
    """What training produced: parameters, per-step history, summary metrics, settings.

    A plain record: ``problem.train`` gives it to the user as a ``symbolic_pinn.Run``
    (``_product.run``), whose ``field(name)`` evaluates the trained fields.  ``points``
    are each term's points at the end; with several processes, the rows this process held.
    """

    params: dict
    history: list[dict]
    metrics: dict
    points: dict
    config: TrainConfig = TrainConfig()
    problem: typing.Any = None


def precision(float64: bool):
    """The context to train (and evaluate trained networks) in: float64 or float32."""
    return jax.enable_x64(True) if float64 else contextlib.nullcontext()


def result_precision(params):
    """The context to evaluate trained parameters in: float64 if any of them is (after the bfgs phase)."""
    return precision(any(leaf.dtype == np.float64 for leaf in jax.tree.leaves(params)))


def parameter_count(compiled) -> int:
    """How many numbers the networks (and unknowns) hold."""
    shapes = jax.eval_shape(compiled.init_params, jax.random.PRNGKey(0))
    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(shapes))


def finisher_for(compiled, config: TrainConfig) -> str:
    """The finishing phase after Adam: ``config.finisher``, or with "auto" the one :func:`finisher_choice` picks."""
    return finisher_choice(compiled, config)[0]


def finisher_choice(compiled, config: TrainConfig) -> tuple[str, str]:
    """The finishing phase after Adam and why, in words: ``config.finisher`` if not "auto"; else
    dense BFGS up to BFGS_MAX_PARAMS parameters, matrix-free Gauss–Newton above (L-BFGS where
    the loss is not a sum of squares).  The crossover is measured by benchmarks/finishers.py.

    Without quasi-Newton steps (``bfgs_steps = 0``) "auto" is L-BFGS's empty phase, so an
    Adam-only run stays in the precision it asked for.
    """
    if config.finisher != "auto":
        return config.finisher, f"set by finisher = {config.finisher}"
    if not config.bfgs_steps:
        return "lbfgs", "no finishing steps (bfgs_steps = 0)"
    n = parameter_count(compiled)
    matrix = f"dense BFGS's {n:,} × {n:,} matrix takes {_bytes(8 * n * n)}"
    if n <= BFGS_MAX_PARAMS:
        return "bfgs", f"{n:,} parameters ≤ {BFGS_MAX_PARAMS:,} ({matrix})"
    why = least_squares.not_squares(compiled)
    if why is None and not all(w >= 0 for w in compiled.module.WEIGHTS.values()):
        why = "a weight is negative"
    if why:
        return "lbfgs", f"{n:,} parameters > {BFGS_MAX_PARAMS:,}, and Gauss–Newton needs a sum of squares: {why}"
    return "gn", f"{n:,} parameters > {BFGS_MAX_PARAMS:,} ({matrix}); Gauss–Newton-CG stores no matrix"


def _causal_phases(config: TrainConfig) -> str:
    return "Adam and the finish" if config.causal_finish == "weighted" else "Adam; the finish minimises the plain loss"


def _bytes(count: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"


def train(
    compiled,
    config: TrainConfig = TrainConfig(),  # noqa: B008 - frozen, so one shared default is safe
    run_dir: str | os.PathLike | None = None,
    *,
    resume: bool = False,
    init_from: str | os.PathLike | None = None,
    on_step: Callable[[int], None] | None = None,
    callback: Callable[[monitor.StepInfo], bool | None] | None = None,
    on_start: Callable[[], None] | None = None,
) -> TrainResult:
    """Train a compiled problem: Adam, then L-BFGS, then LM if asked; returns parameters and metrics.

    Args:
        compiled: the result of :func:`symbolic_pinn.compile`.
        config: the settings.
        run_dir: where checkpoints go (none without it).
        resume: continue from the checkpoint in ``run_dir`` (same problem and settings; a new time
            limit, or none; more steps of the last phases).
        init_from: a run directory whose trained parameters this new run starts from (the
            networks must have the same shapes).
        on_step: called after every step with the number of steps done.
        callback: called after every step with a :class:`StepInfo` (step, phase, loss,
            each term's loss, parameters); returning True stops training there, with a
            checkpoint, and the reason in ``metrics["stopped"]``.
        on_start: called once everything is set up and checked (settings, devices, the
            checkpoint resumed), before the first step and the first checkpoint: where
            an earlier run in ``run_dir`` is removed.
    """
    if config.ensemble > 1:  # never one member silently
        raise PinnError(
            f"train() trains one network; ensemble = {config.ensemble} is trained by problem.train(ensemble=...)",
            help="use problem.train(..., ensemble=N) or _training.ensemble.train_ensemble",
        )
    if resume and run_dir is None:
        raise PinnError("resume=True needs the run_dir whose checkpoint to continue")
    _check_memory(compiled, config)
    if resume and init_from is not None:
        raise PinnError("init_from starts a new run, resume=True continues one: give one of them")
    if run_dir is not None and jax.process_index() == 0:  # with several processes, process 0 writes
        writable_directory(pathlib.Path(run_dir))
    events.check(config.tensorboard, run_dir)
    finisher, reason = finisher_choice(compiled, config)
    if resume:  # the checkpoint's finisher (one from before the bfgs phase existed had L-BFGS)
        saved = checkpoint.index(run_dir).get("finisher", "lbfgs")
        finisher, reason = (finisher, reason) if saved == finisher else (saved, "the finisher of the resumed run")
    float64 = config.float64 or any(phase.float64 for phase in phases.running(config, finisher))
    with precision(float64):
        on_step = on_step or (lambda step: None)
        return _train(compiled, config, (finisher, reason), run_dir, resume, init_from, on_step, callback, on_start)


def _check_memory(compiled, config: TrainConfig) -> None:
    """Refuse, before anything is allocated, settings whose training would not fit in memory."""
    channels = max((fp.channels for term in compiled.schedule.terms for fp in term.fields), default=1)
    networks = 1 if compiled.network.shared_network else len(compiled.ir.fields)
    _limits.check_memory(
        training_memory(compiled.network, config, networks, channels),
        "training with these settings",
        "lower --interior-points, --boundary-points, --chunk-size, --width or --depth, or split the points"
        " with --micro-batch",
    )


def _train(
    compiled, config: TrainConfig, choice, run_dir, resume: bool, init_from, on_step, callback, on_start=None
) -> TrainResult:
    finisher, reason = choice
    integration = quadrature.choose(compiled, config)  # (refuses a gauss that cannot apply, before any work)
    dtype = jnp.float64 if config.float64 else jnp.float32
    placement = devices.placement(config.devices)
    steppers = steps.kept_step_functions(compiled, config, finisher, placement)
    params = jax.tree.map(lambda a: jnp.asarray(a, dtype), compiled.init_params(jax.random.PRNGKey(config.seed)))
    if init_from is not None:
        params = checkpoint.initial_params(init_from, params)
    point_weights.check(compiled, config)
    weights = _weights.initial_weights(compiled, dtype)
    if resume and not point_weights.weighted_terms(compiled, config):
        points = None  # the checkpoint's
    else:  # (the multipliers' template of a resumed run is shaped by them)
        points = initial_points(compiled, config, dtype)
        weights = point_weights.attach(weights, compiled, config, points, dtype)
    collocation = sampling.Collocation(compiled, config, dtype, placement)
    adapt = Adapt(
        collocation, _weights.Balancing(compiled, config), placement, point_weights.Restarts(compiled, config)
    )
    if resume:
        run = checkpoint.resume(run_dir, compiled, config, params, weights, steppers)
    else:
        first = next(iter(steppers))
        state = steppers[first].optimizer.init(params)
        run = Run(first, {phase: 0 for phase in steppers}, params, state, points, weights)
        del points  # placed below: with several processes each keeps only its share
    run.params, run.opt_state, run.weights = placement.replicate((run.params, run.opt_state, run.weights))
    run.points = placement.points(run.points)
    steps.check_together(run.points, collocation.groups)
    checkpoints = checkpoint.Checkpoints(run_dir, compiled, config, finisher, written=run.step if resume else None)
    checkpoints.devices, checkpoints.leader = placement.describe(), placement.leader
    legs = steps.legs(steppers, config)
    total = steps.objective(compiled, config, placement)
    plan = causal.choose(compiled, config)
    errors = monitor.ErrorMonitor(compiled) if config.error_every else None
    terms = jax.jit(lambda params, points, weights: total(params, points, weights)[1])
    log = events.open_log(config.tensorboard, run_dir, run.step if resume else None, placement.leader)
    watch = Watch(config, errors, callback, terms, log=log.row)
    held_out = HeldOut(compiled, config, total, placement)
    budget = sum(leg.budget for leg in legs)
    progress = monitor.Progress(config.progress and placement.leader, budget, run.step, config.log_every)
    if on_start is not None:
        on_start()
    with progress, StopSignals() as signals, contextlib.closing(log):
        progress.note(f"training on {placement.line()}")
        if config.bfgs_steps:
            progress.note(f"finishing with {phases.label(finisher)}: {reason}")
        if integration[1] != quadrature.NO_ENERGY:
            progress.note(f"energy quadrature {quadrature.LABELS[integration[0]]}: {integration[1]}")
        if plan.used:
            progress.note(f"causal weights ({_causal_phases(config)}): {plan.reason}")
        outside = Outside(signals, config.time_limit, jax.process_count() > 1, HISTORY_EVERY)
        loop = Loop(legs, adapt, held_out, checkpoints, progress, outside, on_step, watch, flat_rtol(compiled))
        params, stopped = loop(run)
    # with several processes the points stay split: the final loss is evaluated where they are
    final_terms = {k: float(v) for k, v in placement.losses(compiled.module.losses, params, run.points).items()}
    held = placement.held(run.points)
    params, points = placement.local(params), placement.own(run.points)
    scalar = point_weights.without(run.weights)
    weights = {k: float(v) for k, v in scalar.items()} if config.adaptive_weights else compiled.module.WEIGHTS
    final_loss = float(sum(weights[k] * v for k, v in final_terms.items()))
    if not math.isfinite(final_loss) and stopped is None:
        stopped = "the final loss is not finite"
    if stopped is None:
        checkpoints.write(run)
    notes: list[str] = [f"{checkpoints.failed}; {checkpoints.describe()}"] if checkpoints.failed else []
    metrics = {
        "rel_l2": relative_l2(compiled, params, notes=notes, chunk_size=config.chunk_size),
        "rel_l2_by_param": relative_l2_by_parameter(compiled, params, notes=notes, chunk_size=config.chunk_size),
        "unknowns": {k: float(v) for k, v in params.get("unknowns", {}).items()},
        "built_in": getattr(compiled, "built_in", {}),  # the conditions built into each network (not terms)
        "loss": final_loss,
        "losses": final_terms,
        "weights": dict(weights),
        "steps": run.step,
        **phase_metrics(run.steps, finisher, config),  # adam_steps, ..., finisher, bfgs_method
        "finisher_reason": reason,
        "energy_quadrature": {"choice": integration[0], "reason": integration[1]},
        "causal": plan.describe() | ({"phases": _causal_phases(config)} if plan.used else {}),
        "ended": dict(run.ended),
        "held_out": dict(run.kept),  # each quasi-Newton phase's lowest held-out loss and the step it was at
        "seconds": run.seconds,
        "seed": config.seed,
        "stopped": stopped,
        "signal": signals.received,
        "resumed": resume,
        "init_from": None if init_from is None else str(init_from),
        "checkpoint_step": checkpoints.written,
        "notes": notes,  # warnings about the result (an error that could not be computed, a failed write)
        "compile_seconds": watch.compile_seconds,
        "devices": placement.describe() | {"points_held": held},  # count, kinds, platform, mesh, processes
    }
    if config.progress and placement.leader:
        from rich.console import Console

        Console().print(summary_table(metrics))
    return TrainResult(
        params=params, history=run.history, metrics=metrics, points=points, config=config, problem=compiled
    )
