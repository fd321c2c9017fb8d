"""Stage 7, train: Adam (optax) with a decaying learning rate, then a quasi-Newton finish,
then, if asked for, Levenberg–Marquardt (``_least_squares``).

The finish is dense self-scaled quasi-Newton (``_quasi_newton``, phase "bfgs") in float64
for networks of at most ``BFGS_MAX_PARAMS`` parameters, L-BFGS (optax) above
(``finisher`` forces either).  The bfgs phase casts parameters, points and weights up to
float64 when Adam ran in float32: training then runs under ``jax.enable_x64`` throughout
(float32 arrays stay float32 there), so its loss is traced in float64.

A train step is pure: ``step(params, state, points, weights) -> (params, state, loss, terms)``
(the quasi-Newton steps take ``terms_wanted``: each term's loss is a forward pass, skipped
where the loop does not show it).
Between Adam steps the interior points and the weights may change (``_sampling``,
``_weights``); L-BFGS keeps the last ones.

The quasi-Newton phase watches the loss on held-out points (``_HeldOut``): it ends with
the parameters where that loss was lowest, and when it stops falling the dense phase
draws fresh interior points or ends.  ``time_limit`` ends training after so many
seconds, resumably.
The loop keeps the last parameters whose loss was finite: a NaN or inf stops
training with a message naming the step and the term, and the good parameters are
returned, never lost.  With a run directory, a checkpoint (parameters, optimiser
state, step, phase, points, weights, history, settings) is written every ``checkpoint_every``
steps, on Ctrl-C or SIGTERM and at the end; ``resume=True`` continues from it and
reaches the same parameters, to the bit, as a run that was never stopped.

A periodic checkpoint is written only once the next step has shown that its
parameters have a finite loss, so the checkpoint left behind by a NaN is a good one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import os
import pathlib
import signal
import sys
import threading
import time
import typing
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._compiler import ir
from .._config import BFGS_MAX_PARAMS, RESUMABLE, TrainConfig
from .._errors import PinnError
from .._files import check_writable
from . import checkpoint, devices, domain, least_squares, monitor, quasi_newton, sampling
from . import weights as _weights

__all__ = ["TrainConfig", "TrainResult", "train", "precision"]

PHASES = ("adam", "lbfgs", "bfgs", "lm")  # one of lbfgs and bfgs runs: the finisher
FINISHERS = ("lbfgs", "bfgs")
HISTORY_EVERY = 10  # steps between rows of the history (and progress updates)
LBFGS_FLAT_STEPS = 50  # L-BFGS (or bfgs, or LM) stops after this many steps without progress
FLAT_RTOL = 1e-10  # a step without progress lowers the loss by at most this, relatively
CHUNK_SIZE = TrainConfig.__dataclass_fields__["chunk_size"].default
PARAMETER_VALUES = 3  # values of each `param` at which the error is reported and the fields plotted


_SCHEDULES: dict[str, Callable[[TrainConfig], optax.Schedule]] = {
    "exponential": lambda c: optax.exponential_decay(
        c.learning_rate, max(1, c.adam_steps), c.final_learning_rate / c.learning_rate
    ),
    "cosine": lambda c: optax.cosine_decay_schedule(
        c.learning_rate, max(1, c.adam_steps), alpha=c.final_learning_rate / c.learning_rate
    ),
    "constant": lambda c: optax.constant_schedule(c.learning_rate),
}
assert tuple(_SCHEDULES) == TrainConfig.__dataclass_fields__["schedule"].metadata["choices"]
assert quasi_newton.METHODS == TrainConfig.__dataclass_fields__["bfgs_method"].metadata["choices"]


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


def _points(compiled, config: TrainConfig, dtype) -> dict:
    """Points for every term; terms on the same region share them."""
    program = compiled.ir
    by_region: dict = {}
    points = {}
    for term in program.terms:
        region = term.region
        if isinstance(region, ir.Data):
            observations = compiled.observations[region.path]
            columns = [observations.coordinates[v.name] for v in program.variables]
            columns += [observations.observed[f] for f in ir.observed_fields(program, term)]
            points[term.name] = tuple(jnp.asarray(c, dtype=dtype) for c in columns)
            continue
        if region not in by_region:  # with the normals: a term that needs none ignores those columns
            n = getattr(config, region.points_setting)
            seed = config.seed + 1000 * (len(by_region) + 1)
            array = domain.sample(program, region, n, seed=seed, normals=True, sampler=config.sampler)
            by_region[region] = tuple(jnp.asarray(array[:, j], dtype=dtype) for j in range(array.shape[1]))
        columns = len(program.variables) + (len(program.spatial) if ir.uses_normals(term) else 0)
        points[term.name] = by_region[region][:columns]
    return points


def relative_l2(
    compiled, params, total: int = 10_000, notes: list[str] | None = None, chunk_size: int = CHUNK_SIZE
) -> dict[str, float | None]:
    """‖u − exact‖ / ‖exact‖ on a test grid, for each field with an `exact`.

    The fields are evaluated ``chunk_size`` points at a time (see ``devices.in_chunks``).

    Where the exact solution (say sqrt(x - 0.5) on [0, 1]) or the network is not a
    finite number at some test point, the error is ``None``, and a sentence saying why
    (how many points, the first one) is appended to ``notes``: never a silent NaN.
    """
    return _errors_on(compiled, params, domain.test_grid(compiled.ir, total), compiled.module.EXACT, notes, chunk_size)


def parameter_values(program: ir.Program) -> dict[str, list[float]]:
    """The values of each parameter at which errors are reported and fields plotted:
    ``PARAMETER_VALUES`` evenly spaced over its interval, both ends included."""
    bounds = {v.name: (float(v.lo), float(v.hi)) for v in program.variables}
    return {k: [float(c) for c in np.linspace(*bounds[k], PARAMETER_VALUES)] for k in program.parameters}


def parameter_label(value: float) -> str:
    """A parameter value as a key of ``rel_l2_by_param`` and a plot title: ``2``, ``1.5708``."""
    return f"{value:.6g}"


def relative_l2_by_parameter(
    compiled, params, total: int = 10_000, notes: list[str] | None = None, chunk_size: int = CHUNK_SIZE
) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{k: {"2": {u: error}}}``: the relative L2 error of each field that takes a
    parameter, at each of :func:`parameter_values`, on a test grid of the other variables.

    Empty for a problem without parameters or without an ``exact``.
    """
    program = compiled.ir
    out = {}
    for k, values in parameter_values(program).items():
        exact = {name: f for name, f in compiled.module.EXACT.items() if k in program.field(name).args}
        for value in values if exact else ():
            grid = domain.test_grid(program, total, {k: value})
            where = f" at {k} = {parameter_label(value)}"
            out.setdefault(k, {})[parameter_label(value)] = _errors_on(
                compiled, params, grid, exact, notes, chunk_size, where
            )
    return out


def _errors_on(compiled, params, grid, exact_fields: dict, notes, chunk_size: int, where: str = "") -> dict:
    """The relative L2 error of each field of ``exact_fields`` on the points ``grid``."""
    program = compiled.ir
    names = [v.name for v in program.variables]
    fields = compiled.module.fields(params)
    errors = {}
    for name, exact in exact_fields.items():
        args = [jnp.asarray(grid[:, names.index(a)], dtype=jnp.result_type(float)) for a in program.field(name).args]
        predicted = np.asarray(devices.in_chunks(fields[name], args, chunk_size), dtype=float)
        reference = np.asarray(devices.in_chunks(exact, args, chunk_size), dtype=float)
        reason = _not_finite_at(reference, f"the exact solution of {name}", args, program.field(name).args)
        reason = reason or _not_finite_at(predicted, f"the trained {name}", args, program.field(name).args)
        if reason:
            errors[name] = None
            if notes is not None:
                notes.append(f"no relative L2 error for {name}{where}: {reason}")
            continue
        scale = np.linalg.norm(reference)
        diff = np.linalg.norm(predicted - reference)
        errors[name] = float(diff / scale) if scale > 0 else float(diff / math.sqrt(len(reference)))
    return errors


def _not_finite_at(values: np.ndarray, what: str, args, names) -> str | None:
    """A sentence saying where ``values`` are NaN or infinite (None if nowhere)."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    first = int(np.argmax(bad))
    point = ", ".join(f"{n} = {float(a[first]):.4g}" for n, a in zip(names, args))
    return f"{what} is {values[first]} at {int(bad.sum()):,} of {len(values):,} test points, e.g. at {point}"


# ---- display -------------------------------------------------------------------------


def summary_table(metrics: dict):
    """A rich table of the result: every term's final loss, errors, unknowns, steps."""
    from rich.table import Table

    table = Table(title="training result", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("loss (weighted sum)", f"{metrics['loss']:.3e}")
    for name, value in metrics["losses"].items():
        table.add_row(f"  term {name}", f"{value:.3e}")
    for name, value in metrics["rel_l2"].items():
        table.add_row(f"relative L2 error of {name}", "not computed" if value is None else f"{value:.3e}")
    for k, by_value in metrics.get("rel_l2_by_param", {}).items():
        for value, errors in by_value.items():
            for name, error in errors.items():
                table.add_row(f"  of {name} at {k} = {value}", "not computed" if error is None else f"{error:.3e}")
    for name, value in metrics["unknowns"].items():
        table.add_row(f"unknown {name}", f"{value:.6g}")
    finisher = metrics.get("finisher", "lbfgs")
    steps = f"{metrics['adam_steps']} + {metrics[f'{finisher}_steps']} + {metrics['lm_steps']}"
    table.add_row(f"steps (Adam + {_PHASE_NAMES[finisher]} + LM)", steps)
    for phase, reason in metrics.get("ended", {}).items():
        table.add_row(f"{_PHASE_NAMES[phase]} ended", reason)
    table.add_row("time", f"{metrics['seconds']:.1f} s")
    return table


_PHASE_NAMES = {"adam": "Adam", "lbfgs": "L-BFGS", "bfgs": "dense BFGS", "lm": "LM"}


# ---- stopping on a signal ------------------------------------------------------------


class _StopSignals:
    """Turn the first Ctrl-C or SIGTERM into a request to stop after the current step.

    A second signal acts as it would have without us (Ctrl-C raises KeyboardInterrupt).
    Signals can only be caught in the main thread; elsewhere this does nothing.
    """

    def __enter__(self):
        self.received: str | None = None
        self._previous = {}
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number, frame) -> None:
        self.received = signal.Signals(number).name
        signal.signal(number, self._previous[number])

    def __exit__(self, *exc):
        for number, handler in self._previous.items():
            signal.signal(number, handler)


# ---- the run: its state, and its checkpoints -----------------------------------------


@dataclasses.dataclass
class _Run:
    """Everything that changes as training goes on; a checkpoint is a copy of it."""

    phase: str  # "adam", "lbfgs", "bfgs", "lm" or "done"
    steps: dict[str, int]
    params: dict
    opt_state: typing.Any
    points: dict  # each term's points: interior ones may change during Adam (_sampling)
    weights: dict  # each term's weight: adaptive ones change during Adam (_weights)
    flat: int = 0  # L-BFGS steps in a row without progress
    previous: float = math.inf  # L-BFGS's last loss
    # the finishing phase's held-out loss (see _HeldOut): its lowest value, where, and with which parameters
    best: float = math.inf
    best_step: int = 0
    best_params: dict | None = None
    stall: int = 0  # held-out evaluations in a row without a new lowest
    rounds: int = 0  # fresh interior draws after a stall
    kept: dict = dataclasses.field(default_factory=dict)  # _HeldOut.report of each finished quasi-Newton phase
    ended: dict[str, str] = dataclasses.field(default_factory=dict)  # why each finished phase ended
    history: list[dict] = dataclasses.field(default_factory=list)
    seconds_before: float = 0.0  # spent in earlier sessions of a resumed run
    started: float = dataclasses.field(default_factory=time.perf_counter)

    @property
    def step(self) -> int:
        return sum(self.steps.values())

    @property
    def seconds(self) -> float:
        return self.seconds_before + time.perf_counter() - self.started


def _flat(prefix: str, tree) -> dict[str, np.ndarray]:
    # copies (np.array): a held snapshot must not share a buffer that the next step donates
    return {f"{prefix}/{i}": np.array(leaf) for i, leaf in enumerate(jax.tree.leaves(tree))}


def _unflat(prefix: str, template, arrays: dict[str, np.ndarray], where) -> typing.Any:
    """Rebuild a pytree shaped like ``template`` from ``arrays`` (checks shapes and dtypes)."""
    leaves, treedef = jax.tree.flatten(template)
    stored = [arrays.get(f"{prefix}/{i}") for i in range(len(leaves))]
    for leaf, array in zip(leaves, stored):
        if array is None or array.shape != leaf.shape or array.dtype != leaf.dtype:
            raise PinnError(
                f"the checkpoint in {where} does not fit this problem's networks ({prefix})",
                help="resume with the same problem, --width and --depth, or start a new run with --out",
            )
    if f"{prefix}/{len(leaves)}" in arrays:
        raise PinnError(f"the checkpoint in {where} has more {prefix} arrays than this problem's networks")
    return jax.tree.unflatten(treedef, [jnp.asarray(a) for a in stored])


class _Checkpoints:
    """Writes checkpoints of a run into ``run_dir`` (or nothing, without one)."""

    def __init__(self, run_dir, compiled, config: TrainConfig, finisher: str, written: int | None = None):
        self.run_dir = run_dir
        self.finisher = finisher
        self.settings = dataclasses.asdict(config) | compiled.network_settings
        # the problem text, so a run directory holding only checkpoints still says what was trained
        self.problem = {"source": compiled.spec.source, "filename": compiled.spec.filename}
        self.source_sha256 = compiled.source_hash
        self.pending = None
        self.written = written  # the step of the checkpoint in run_dir
        self.failed: str | None = None  # why the latest checkpoint could not be written
        self.devices: dict | None = None  # devices.Placement.describe()
        self.leader = True  # whether this process writes: process 0

    def snapshot(self, run: _Run) -> tuple[dict, dict] | None:
        if self.run_dir is None:
            return None
        meta = {
            "step": run.step,
            "phase": run.phase,
            "steps": dict(run.steps),
            "flat": run.flat,
            "previous": run.previous,
            "best": run.best,
            "best_step": run.best_step,
            "stall": run.stall,
            "rounds": run.rounds,
            "held_out": dict(run.kept),
            "ended": dict(run.ended),
            "finisher": self.finisher,
            "seconds": run.seconds,
            "source_sha256": self.source_sha256,
            "settings": self.settings,
            "history": list(run.history),
            "problem": self.problem,
            "devices": self.devices,  # where it ran: a resumed run may run elsewhere
        }
        arrays = _flat("params", run.params) | _flat("opt_state", run.opt_state) | _flat("weights", run.weights)
        if run.best_params is not None:
            arrays |= _flat("best_params", run.best_params)
        # with several processes each holds a share of the points: gathered (every process takes part)
        arrays |= {f"points/{t}/{j}": devices.gather(c) for t, cs in run.points.items() for j, c in enumerate(cs)}
        return meta, arrays

    def hold(self, run: _Run) -> None:
        """Keep a checkpoint of now, to be written once the next step's loss is finite."""
        self.pending = self.snapshot(run)

    def confirm(self) -> None:
        """The held checkpoint's parameters have a finite loss: write it."""
        if self.pending is not None:
            self._write(self.pending)
            self.pending = None

    def write(self, run: _Run) -> None:
        """Write a checkpoint of now (on a stop or at the end)."""
        self.pending = None
        snapshot = self.snapshot(run)
        if snapshot is not None:
            self._write(snapshot)

    def _write(self, snapshot) -> None:
        meta, arrays = snapshot
        if not self.leader:  # process 0 writes the checkpoint that every process resumes from
            self.written = meta["step"]
            return
        try:
            os.makedirs(self.run_dir, exist_ok=True)
            checkpoint.save(self.run_dir, meta, arrays)
        except OSError as err:
            # a full disk: training goes on (its result is in memory), the last good checkpoint stays
            self.failed = f"could not write the checkpoint of step {meta['step']} in {self.run_dir}: {err.strerror}"
            print(f"warning: {self.failed}; {self.describe()}", file=sys.stderr)
            return
        self.written = meta["step"]
        self.failed = None

    def describe(self) -> str:
        if self.run_dir is None:
            return "no run directory, so no checkpoint"
        if self.written is None:
            return "no checkpoint was written yet"
        return f"the checkpoint of step {self.written} is in {self.run_dir}"


def _resume(run_dir, compiled, config: TrainConfig, templates: dict) -> _Run:
    """The run of the checkpoint in ``run_dir``, checked against the problem."""
    meta, arrays = checkpoint.load(run_dir)
    if meta["source_sha256"] != compiled.source_hash:
        raise PinnError(
            f"the checkpoint in {run_dir} was written for another problem or network (the generated code differs)",
            help="resume with the same problem file, --width and --depth, or start a new run with --out",
        )
    saved = {k: v for k, v in meta["settings"].items() if k not in RESUMABLE | set(compiled.network_settings)}
    saved = TrainConfig().numerics() | saved  # a setting newer than the checkpoint had its default then
    changed = {k: (saved.get(k), v) for k, v in config.numerics().items() if saved.get(k) != v}
    if changed:
        listing = ", ".join(f"{k} was {old!r}, now {new!r}" for k, (old, new) in changed.items())
        raise PinnError(
            f"a resumed run keeps the settings of its checkpoint: {listing}",
            help=f"drop those settings (only {', '.join(sorted(RESUMABLE))} may change), or start a new run with --out",
        )
    phase = meta["phase"]
    if phase != "done" and phase not in templates or not set(meta["steps"]) <= set(templates):
        raise checkpoint.damaged(run_dir, f"its phase {phase!r} and steps {meta['steps']} do not fit its settings")
    if meta.get("finisher") == "bfgs" and PHASES.index(phase if phase in PHASES else "lm") >= PHASES.index("bfgs"):
        templates = templates | {k: _upcast(templates[k]) for k in ("params", "weights")}
    params = _unflat("params", templates["params"], arrays, run_dir)
    # a finished run holds the state of its last phase
    state_template = templates[phase if phase in PHASES else list(templates)[-1]](params)
    run = _Run(
        phase=phase,
        steps={p: meta["steps"].get(p, 0) for p in PHASES if p in templates},
        params=params,
        opt_state=_unflat("opt_state", state_template, arrays, run_dir),
        points=_stored_points(arrays),
        weights=_unflat("weights", templates["weights"], arrays, run_dir),
        flat=meta["flat"],
        previous=meta["previous"],
        best=meta.get("best", math.inf),  # absent from checkpoints written before held-out points
        best_step=meta.get("best_step", 0),
        best_params=_unflat("best_params", params, arrays, run_dir) if "best_params/0" in arrays else None,
        stall=meta.get("stall", 0),
        rounds=meta.get("rounds", 0),
        kept=dict(meta.get("held_out", {})),
        ended=dict(meta.get("ended", {})),
        history=list(meta["history"]),
        seconds_before=meta["seconds"],
    )
    return run


def _stored_points(arrays: dict[str, np.ndarray]) -> dict:
    """The points of a checkpoint: ``points/<term>/<column>`` arrays back into tuples."""
    columns: dict[str, dict[int, jax.Array]] = {}
    for key, array in arrays.items():
        if key.startswith("points/"):
            _, term, j = key.split("/")
            columns.setdefault(term, {})[int(j)] = jnp.asarray(array)
    return {term: tuple(c[j] for j in range(len(c))) for term, c in columns.items()}


# ---- training ------------------------------------------------------------------------


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
    """The quasi-Newton phase after Adam: ``config.finisher``, or with "auto" bfgs up to BFGS_MAX_PARAMS parameters.

    Without quasi-Newton steps (``lbfgs_steps = 0``) "auto" is L-BFGS's empty phase, so an
    Adam-only run stays in the precision it asked for.
    """
    if config.finisher != "auto":
        return config.finisher
    return "bfgs" if config.lbfgs_steps and parameter_count(compiled) <= BFGS_MAX_PARAMS else "lbfgs"


def _upcast(tree):
    return jax.tree.map(lambda a: jnp.asarray(a, jnp.float64) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)


def train(
    compiled,
    config: TrainConfig = TrainConfig(),  # noqa: B008 - frozen, so one shared default is safe
    run_dir: str | os.PathLike | None = None,
    *,
    resume: bool = False,
    on_step: Callable[[int], None] | None = None,
    callback: Callable[[monitor.StepInfo], bool | None] | None = None,
) -> TrainResult:
    """Train a compiled problem: Adam, then L-BFGS, then LM if asked; returns parameters and metrics.

    Args:
        compiled: the result of :func:`symbolic_pinn.compile`.
        config: the settings.
        run_dir: where checkpoints go (none without it).
        resume: continue from the checkpoint in ``run_dir`` (same problem and settings).
        on_step: called after every step with the number of steps done.
        callback: called after every step with a :class:`StepInfo` (step, phase, loss,
            each term's loss, parameters); returning True stops training there, with a
            checkpoint, and the reason in ``metrics["stopped"]``.
    """
    if resume and run_dir is None:
        raise PinnError("resume=True needs the run_dir whose checkpoint to continue")
    if run_dir is not None and jax.process_index() == 0:  # with several processes, process 0 writes
        _writable_run_dir(pathlib.Path(run_dir))
    # a checkpoint from before the bfgs phase existed had L-BFGS as its finisher
    finisher = checkpoint.index(run_dir).get("finisher", "lbfgs") if resume else finisher_for(compiled, config)
    with precision(config.float64 or finisher == "bfgs"):
        return _train(compiled, config, finisher, run_dir, resume, on_step or (lambda step: None), callback)


def _writable_run_dir(run_dir: pathlib.Path) -> None:
    """Create the run directory and make sure files can be written there, before any training."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PinnError(f"cannot create the run directory {run_dir}: {err.strerror}") from None
    check_writable(run_dir)


def _step_functions(
    compiled, config: TrainConfig, finisher: str = "lbfgs", placement: devices.Placement = devices.ONE
) -> dict:
    """For each phase: (optimiser, jitted step ``(params, state, points, weights) -> (params, state, loss, terms)``);
    the quasi-Newton steps take a fifth argument, ``terms_wanted`` (False: terms are zeros, and cost nothing).

    The weights are an argument, not constants, so adaptive weights need no recompilation.
    On several devices every step splits the points over them (``placement``, see _devices).
    """
    randomized = bool(getattr(compiled.module, "RANDOMIZED", ()))
    total = objective(compiled, config, placement)

    adam = optax.adam(_SCHEDULES[config.schedule](config))

    @jax.jit
    def adam_step(params, state, points, weights):
        # estimated Laplacians draw new coordinates at every Adam step (from the seed and
        # the step count, so a resumed run draws the same); L-BFGS keeps one fixed draw
        key = jax.random.fold_in(jax.random.PRNGKey(config.seed), state[0].count) if randomized else None
        (value, terms), grads = jax.value_and_grad(total, has_aux=True)(params, points, weights, key)
        updates, state = adam.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value, terms

    def with_linesearch(optimizer, donate: bool = False):
        # the dense finisher donates its state: its n × n matrix is then updated in place instead
        # of written to a fresh buffer each step (at 2,763 parameters 35 ms against 200 ms).
        # (optax's L-BFGS state shares buffers between leaves, which donation refuses.)
        @functools.partial(jax.jit, donate_argnums=1 if donate else ())
        def step(params, state, points, weights, terms_wanted=True):
            def value_fn(p):
                return total(p, points, weights)[0]

            value, grads = optax.value_and_grad_from_state(value_fn)(params, state=state)
            updates, state = optimizer.update(grads, state, params, value=value, grad=grads, value_fn=value_fn)
            # each term's loss is a forward pass of its own (10% of a step): only where the loop shows them
            shapes = jax.eval_shape(lambda: total(params, points, weights)[1])
            terms = jax.lax.cond(
                terms_wanted,
                lambda: total(params, points, weights)[1],
                lambda: {k: jnp.zeros(v.shape, v.dtype) for k, v in shapes.items()},
            )
            return optax.apply_updates(params, updates), state, value, terms

        return optimizer, step

    finishers = {"lbfgs": optax.lbfgs, "bfgs": lambda: quasi_newton.self_scaled(config.bfgs_method)}
    steppers = {"adam": (adam, adam_step), finisher: with_linesearch(finishers[finisher](), finisher == "bfgs")}
    if config.lm_steps:  # only then: LM refuses energy terms
        lm = least_squares.levenberg_marquardt(compiled, placement.constrain)
        steppers["lm"] = (lm, lm.step)
    return steppers


# the settings the step functions are built from (the rest change what the loop does with them)
STEP_SETTINGS = ("learning_rate", "final_learning_rate", "adam_steps", "schedule", "seed", "micro_batch", "bfgs_method")


def _kept_step_functions(compiled, config: TrainConfig, finisher: str, placement: devices.Placement) -> dict:
    """``_step_functions``, kept with the compiled problem's generated module: training the same
    problem again with the same step settings (a resumed run, a sweep of seeds of the points,
    another budget) reuses the jitted steps and the XLA programs compiled for them.

    The steps are pure functions of their arguments, so reusing them changes no number.
    """
    cache = compiled.module.__dict__.setdefault("_symbolic_pinn_steps", {})  # dies with the module
    key = (tuple(getattr(config, k) for k in STEP_SETTINGS), bool(config.lm_steps), finisher, placement)
    if key not in cache:
        cache[key] = _step_functions(compiled, config, finisher, placement)
    return cache[key]


def objective(compiled, config: TrainConfig, placement: devices.Placement = devices.ONE) -> Callable:
    """``total(params, points, weights, key=None) -> (loss, terms)``: what every phase minimises.

    The points are split over the devices of ``placement``.  The terms of each of the
    module's ``SHARED`` groups are given one array per column (:func:`together`), so the
    generated ``residuals`` computes each field's derivatives once for the group.  With ``micro_batch = M``
    every term's N points are cut into M chunks of ⌊N/M⌋ and a remainder of N mod M,
    and a term's loss, the mean over its points, is Σ_c (n_c / N) · (its loss on chunk c).
    The M chunks are a ``lax.scan`` whose body is under ``jax.checkpoint``: the backward
    pass recomputes one chunk's activations at a time instead of keeping every point's.
    """
    losses_fn = compiled.module.losses
    randomized = bool(getattr(compiled.module, "RANDOMIZED", ()))
    chunks = config.micro_batch
    constraint = next((t for t in compiled.ir.terms if t.kind == "integral"), None)
    if chunks > 1 and constraint is not None:  # the mean of chunks' (∫ − c)² is not (∫ − c)²
        raise PinnError(
            f"micro_batch = {chunks} cannot split the integral constraint `{constraint.label}`: "
            "the square of an integral is not the mean of its chunks' squares",
            help="leave micro_batch at 1 for this problem, or lower the number of points",
        )

    groups = getattr(compiled.module, "SHARED", ())

    def losses(params, points, key):
        points = together(placement.constrain(points), groups)
        return losses_fn(params, points, key) if randomized else losses_fn(params, points)

    def micro_batched(params, points, key):
        sizes = {k: len(columns[0]) for k, columns in points.items()}
        _micro_batch_fits(chunks, sizes)
        size = {k: n // chunks for k, n in sizes.items()}
        stacked = {k: tuple(c[: chunks * size[k]].reshape(chunks, size[k]) for c in cs) for k, cs in points.items()}

        def add(terms, chunk):
            part = jax.checkpoint(losses)(params, chunk, key)
            return {k: terms[k] + (size[k] / sizes[k]) * v for k, v in part.items()}, None

        start = jax.eval_shape(lambda: losses(params, {k: tuple(c[0] for c in cs) for k, cs in stacked.items()}, key))
        terms, _ = jax.lax.scan(add, jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), start), stacked)
        rest = {k: sizes[k] - chunks * size[k] for k in sizes}
        if any(rest.values()):  # the remainders; a term without one lends a point with weight 0
            tail = {k: tuple(c[chunks * size[k] :] if rest[k] else c[:1] for c in cs) for k, cs in points.items()}
            part = losses(params, tail, key)
            terms = {k: terms[k] + (rest[k] / sizes[k]) * v for k, v in part.items()}
        return terms

    def total(params, points, weights, key=None):
        terms = losses(params, points, key) if chunks == 1 else micro_batched(params, points, key)
        return sum(weights[k] * v for k, v in terms.items()), terms

    return total


def together(points: dict, groups: tuple) -> dict:
    """``points`` with the terms of each group of ``groups`` given the very same columns, those of
    its first term: inside ``jax.jit`` the arrays a step was passed are distinct tracers, equal or
    not.  The trainer draws one set of points per region (``_points``, ``_sampling``), so the
    columns are equal; :func:`check_together` checks that where points are drawn."""
    shared = {name: points[group[0]] for group in groups if all(n in points for n in group) for name in group[1:]}
    return points | shared if shared else points


def check_together(points: dict, groups: tuple) -> None:
    """Refuse points that give the terms of a ``SHARED`` group different columns (a bug: the
    loss would evaluate them all at the first term's)."""
    for group in groups:
        first = points.get(group[0])
        for name in group[1:]:
            if first is None or name not in points:
                continue
            same = len(points[name]) == len(first) and all(
                a is b or (a.shape == b.shape and bool(jnp.array_equal(a, b))) for a, b in zip(points[name], first)
            )
            if not same:
                raise RuntimeError(f"internal error: terms {group[0]!r} and {name!r} were given different points")


def _strong(tree):
    """``tree`` with no weakly typed leaf.  optax's line search starts its ``info`` with Python
    numbers (weakly typed) that its first step returns strongly typed: a jitted step would be
    compiled twice, once for each (2 s of a small problem's start, 7 s of Stokes')."""
    return jax.tree.map(lambda a: jnp.asarray(a, dtype=a.dtype) if jax.typeof(a).weak_type else a, tree)


def _micro_batch_fits(chunks: int, sizes: dict[str, int]) -> None:
    small = {k: n for k, n in sizes.items() if n < chunks}
    if small:
        term, n = next(iter(small.items()))
        raise PinnError(
            f"micro_batch {chunks} cuts every term's points into {chunks} chunks, and term {term!r} has {n}",
            help=f"use --micro-batch {min(sizes.values())} or less",
        )


def _train(compiled, config: TrainConfig, finisher: str, run_dir, resume: bool, on_step, callback) -> TrainResult:
    dtype = jnp.float64 if config.float64 else jnp.float32
    placement = devices.placement(config.devices)
    steppers = _kept_step_functions(compiled, config, finisher, placement)
    params = jax.tree.map(lambda a: jnp.asarray(a, dtype), compiled.init_params(jax.random.PRNGKey(config.seed)))
    weights = _weights.initial_weights(compiled, dtype)
    collocation = sampling.Collocation(compiled, config, dtype, placement)
    adapt = _Adapt(collocation, _weights.Balancing(compiled, config), placement)
    if resume:
        templates = {"params": params, "weights": weights} | {phase: opt.init for phase, (opt, _) in steppers.items()}
        run = _resume(run_dir, compiled, config, templates)
    else:
        points = _points(compiled, config, dtype)
        run = _Run("adam", {phase: 0 for phase in steppers}, params, steppers["adam"][0].init(params), points, weights)
        del points  # placed below: with several processes each keeps only its share
    run.params, run.opt_state, run.weights = placement.replicate((run.params, run.opt_state, run.weights))
    run.points = placement.points(run.points)
    check_together(run.points, collocation.groups)
    checkpoints = _Checkpoints(run_dir, compiled, config, finisher, written=run.step if resume else None)
    checkpoints.devices, checkpoints.leader = placement.describe(), placement.leader
    limits = {"adam": config.adam_steps, finisher: config.lbfgs_steps, "lm": config.lm_steps}
    total = objective(compiled, config, placement)
    errors = monitor.ErrorMonitor(compiled) if config.error_every else None
    terms = jax.jit(lambda params, points, weights: total(params, points, weights)[1])
    watch = _Watch(config, errors, callback, terms, _HeldOut(compiled, config, total, placement))
    progress = monitor.Progress(config.progress and placement.leader, sum(limits.values()), run.step, config.log_every)
    with progress, _StopSignals() as signals:
        progress.note(f"training on {placement.line()}")
        params, stopped = _loop(run, steppers, adapt, limits, checkpoints, progress, signals, on_step, watch)
    # with several processes the points stay split: the final loss is evaluated where they are
    final_terms = {k: float(v) for k, v in placement.losses(compiled.module.losses, params, run.points).items()}
    held = placement.held(run.points)
    params, points = placement.local(params), placement.own(run.points)
    weights = {k: float(v) for k, v in run.weights.items()} if config.adaptive_weights else compiled.module.WEIGHTS
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
        "loss": final_loss,
        "losses": final_terms,
        "weights": dict(weights),
        "steps": run.step,
        "adam_steps": run.steps["adam"],
        "lbfgs_steps": run.steps.get("lbfgs", 0),
        "bfgs_steps": run.steps.get("bfgs", 0),
        "lm_steps": run.steps.get("lm", 0),
        "finisher": finisher,
        "bfgs_method": config.bfgs_method if finisher == "bfgs" else None,
        "ended": dict(run.ended),
        "held_out": dict(run.kept),  # each quasi-Newton phase's lowest held-out loss and the step it was at
        "seconds": run.seconds,
        "seed": config.seed,
        "stopped": stopped,
        "signal": signals.received,
        "resumed": resume,
        "checkpoint_step": checkpoints.written,
        "notes": notes,  # warnings about the result (an error that could not be computed, a failed write)
        "compile_seconds": watch.compile_seconds,
        "devices": placement.describe() | {"points_held": held},  # count, kinds, platform, mesh, processes
    }
    if config.progress and placement.leader:
        from rich.console import Console

        Console().print(summary_table(metrics))
    return TrainResult(params, run.history, metrics, points, config, compiled)


class _Adapt:
    """Before step ``i`` of a phase: for Adam the points, then the weights (see _sampling, _weights);
    for bfgs, fresh interior points every ``bfgs_resample_every`` steps, and when the held-out
    loss asks for them (:meth:`fresh`).  New points are split over the devices, and a phase's
    new optimiser state is replicated (``placement``)."""

    def __init__(self, collocation: sampling.Collocation, balancing: _weights.Balancing, placement):
        self.collocation, self.balancing, self.placement = collocation, balancing, placement
        self.every = collocation.config.bfgs_resample_every
        if self.every and not collocation.columns:
            raise PinnError(
                "bfgs_resample_every draws fresh interior points, and this problem has no term on the interior",
                help="leave bfgs_resample_every at 0",
            )

    def __call__(self, phase: str, i: int, run: _Run) -> None:
        points = run.points
        if i == 0:
            run.opt_state = self.placement.replicate(run.opt_state)
        if phase == "adam":
            run.points = self.collocation.update(i, run.params, run.points, run.weights)
            run.weights = self.balancing.update(i, run.params, run.points, run.weights)
        elif phase == "bfgs" and self.every and i > 0 and i % self.every == 0:
            self.fresh(run, sampling.draw_seed(self.collocation.config.seed, "resample", run.step))
        if run.points is not points:
            run.points = self.placement.points(run.points)
            check_together(run.points, self.collocation.groups)

    @property
    def can_draw(self) -> bool:
        """Whether the held-out loss may ask for fresh interior points: an interior, and only equations on it.
        An energy's fresh points only re-draw its Monte Carlo estimate (on the Ritz example the finish then
        wandered from the minimiser it had reached: the error rose from 6.6e-5 to 1.3 over 2,000 steps)."""
        return self.collocation.equations

    def fresh(self, run: _Run, seed: int) -> None:
        """New interior points (as many) for the bfgs phase, which keeps its matrix."""
        collocation = self.collocation
        n = len(collocation.current(run.points)[0])
        fresh = collocation.draw_by_residual(n, seed, run.params, run.points, run.weights)
        run.points = self.placement.points(_upcast(collocation._replace(run.points, fresh)))
        check_together(run.points, collocation.groups)
        # the line search's loss and gradient were those of the old points: computed afresh
        qn, search = run.opt_state
        run.opt_state = self.placement.replicate((qn, search._replace(value=jnp.full_like(search.value, jnp.inf))))


class _HeldOut:
    """The loss on held-out points, which the finishing phase watches and never trains on.

    They are as many as the training points, on the same regions, drawn with their own
    seeds (``draw_seed(seed, "holdout", 0)``); data terms keep their observations.  Every
    ``holdout_every`` steps of the quasi-Newton phase (lbfgs or bfgs) the loss is evaluated
    there (one forward pass).  The phase ends with the parameters where it was lowest, and
    after ``holdout_patience`` evaluations in a row without a new lowest, the dense phase
    draws fresh interior points (at most ``holdout_resamples`` times; by the residual,
    ``fresh_points``) or the phase ends.  With ``holdout_gap = G`` it also draws them when
    the held-out loss is more than G times the training loss while still falling.  Only
    equations draw (``_Adapt.can_draw``): a problem with an energy on the interior ends
    on a stall.

    Why: on fixed points a quasi-Newton phase lowers the training loss long after the
    solution stopped improving, by fitting the points (Burgers' loss on its 4,096 points
    falls to 1e-7 while the same loss on held-out points stays near 8e-5), and it can drive a
    Monte Carlo estimate of an energy below the true minimum (the Ritz form: −4.2 against
    −π²/4), away from the solution.  The held-out loss measures the problem, not the points.
    """

    def __init__(self, compiled, config: TrainConfig, total: Callable, placement: devices.Placement):
        self.compiled, self.config, self.placement = compiled, config, placement
        self.every = config.holdout_every
        self._loss = jax.jit(lambda params, points, weights: total(params, points, weights)[0])
        self._points: dict | None = None

    def due(self, phase: str, i: int, last: bool, run: _Run) -> bool:
        """Whether the held-out loss is evaluated after step ``i`` (from 0) of ``phase``: every
        ``holdout_every`` steps, and after its last if it was before."""
        return (
            bool(self.every) and phase in FINISHERS and (i % self.every == 0 and i > 0 or last and run.best < math.inf)
        )

    def __call__(self, run: _Run) -> float:
        dtype = jax.tree.leaves(run.points)[0].dtype
        if self._points is None or jax.tree.leaves(self._points)[0].dtype != dtype:
            seed = sampling.draw_seed(self.config.seed, "holdout", 0)
            self._points = self.placement.points(
                _points(self.compiled, dataclasses.replace(self.config, seed=seed), dtype)
            )
            check_together(self._points, getattr(self.compiled.module, "SHARED", ()))
        return float(self._loss(run.params, self._points, run.weights))

    def check(self, run: _Run, phase: str, adapt: _Adapt, training: float) -> tuple[float, str | None]:
        """Evaluate at ``run.params``: keep them if lowest, draw fresh points or end after a stall.

        ``training`` is the training loss of the step.  Returns the held-out loss and why
        the phase ends (None: it goes on).
        """
        value = self(run)
        config = self.config
        drawable = phase == "bfgs" and run.rounds < config.holdout_resamples and adapt.can_draw
        gap = config.holdout_gap and training > 0 and value > config.holdout_gap * training
        lowest = value < run.best  # a NaN is never lowest
        if lowest:
            run.best, run.best_step, run.best_params, run.stall = value, run.step, run.params, 0
        else:
            run.stall += 1
        # a gap: the points are being fitted rather than the problem
        if drawable and (gap or run.stall >= config.holdout_patience):
            run.rounds, run.stall = run.rounds + 1, 0
            adapt.fresh(run, sampling.draw_seed(config.seed, "holdout", run.step))
            return value, None
        if lowest or run.stall < config.holdout_patience:
            return value, None
        return value, (
            f"the held-out loss stopped falling ({config.holdout_patience} evaluations, {self.every} steps apart,"
            f" without a new lowest{f', after {run.rounds} fresh draws' if run.rounds else ''})"
        )

    def keep_best(self, run: _Run) -> dict:
        """The parameters to end the phase with: those of the lowest held-out loss, the current ones included."""
        if run.best_params is None:
            return run.params
        if run.best_step != run.step:
            value = self(run)
            if value < run.best:
                run.best, run.best_step, run.best_params = value, run.step, run.params
        return run.best_params

    def report(self, run: _Run, phase: str) -> dict:
        """For metrics.json: the lowest held-out loss, its step, and the fresh draws."""
        return {"phase": phase, "lowest": run.best, "at_step": run.best_step, "fresh_draws": run.rounds}


@dataclasses.dataclass
class _Watch:
    """What the loop reports besides the loss: learning rate, errors, compile times, the callback."""

    config: TrainConfig
    errors: monitor.ErrorMonitor | None
    callback: Callable | None
    terms: Callable  # (params, points, weights) -> each term's loss, where a quasi-Newton step skipped them
    held_out: _HeldOut
    compile_seconds: dict = dataclasses.field(default_factory=dict)  # each phase's first step, compiling included

    def row(self, run: _Run, phase: str, i: int, last: bool) -> dict:
        """The history's extra columns at step ``i`` of ``phase``: wall time, learning rate, errors.

        Rows come every HISTORY_EVERY steps of a phase; the errors go in the first row of
        every ``error_every`` steps of the phase and in its last row.
        """
        extra = {"seconds": round(run.seconds, 3)}
        if phase == "adam":
            extra["learning_rate"] = float(_SCHEDULES[self.config.schedule](self.config)(i))
        if self.errors is not None and (i % self.config.error_every < HISTORY_EVERY or last):
            extra |= self.errors(run.params)
        return extra


def _loop(
    run: _Run, steppers, adapt: _Adapt, limits, checkpoints, progress, signals, on_step, watch: _Watch
) -> tuple[dict, str | None]:
    """Run the remaining steps of every phase; returns the parameters to keep and why it stopped early."""
    every = checkpoints.settings["checkpoint_every"]
    time_limit = watch.config.time_limit
    several = jax.process_count() > 1
    held = watch.held_out
    good = run.params
    for phase in PHASES:
        if run.phase == "done" or phase not in steppers or PHASES.index(phase) < PHASES.index(run.phase):
            continue
        optimizer, step_fn = steppers[phase]
        if run.phase != phase:  # entering L-BFGS, bfgs or LM: it starts from where the phase before ended
            if phase == "bfgs":  # in float64, whatever Adam ran in
                run.params, run.points, run.weights = _upcast(run.params), _upcast(run.points), _upcast(run.weights)
            run.phase, run.opt_state, run.flat, run.previous = phase, _strong(optimizer.init(run.params)), 0, math.inf
            run.best, run.best_step, run.best_params, run.stall, run.rounds = math.inf, 0, None, 0, 0
        ended = None
        # a phase without progress for LBFGS_FLAT_STEPS steps is over (checked here, so a resumed run agrees)
        while run.steps[phase] < limits[phase] and run.flat < LBFGS_FLAT_STEPS and ended is None:
            # several processes stop at the same step, agreed every HISTORY_EVERY steps (a collective)
            signalled, late = (
                devices.agree(signals.received is not None, bool(time_limit) and run.seconds >= time_limit)
                if not several or run.steps[phase] % HISTORY_EVERY == 0
                else (False, False)
            )
            if signalled:
                checkpoints.write(run)
                return held.keep_best(run), (
                    f"interrupted ({signals.received or 'a signal to another process'}) after step {run.step}; "
                    f"{checkpoints.describe()}"
                    + (f"; continue with `--resume {checkpoints.run_dir}`" if checkpoints.run_dir else "")
                )
            if late:
                # a normal end, kept resumable: the checkpoint holds the phase where it was
                run.ended[phase] = f"time limit ({time_limit:g} s)" if time_limit else "another process's time limit"
                checkpoints.write(run)
                return held.keep_best(run), None
            i = run.steps[phase]
            adapt(phase, i, run)
            first = phase not in watch.compile_seconds
            if first:
                progress.compiling(phase)
                started = time.perf_counter()
            row = i % HISTORY_EVERY == 0 or i == limits[phase] - 1
            wanted = {"terms_wanted": row} if phase in FINISHERS else {}
            points = run.points  # those of this step (a held-out check below may draw new ones)
            params, state, value, terms = step_fn(run.params, run.opt_state, points, run.weights, **wanted)
            value = float(value)
            if first:
                watch.compile_seconds[phase] = round(time.perf_counter() - started, 3)
            if not math.isfinite(value):
                if not wanted.get("terms_wanted", True):  # at the parameters `value` is of
                    terms = watch.terms(run.params, run.points, run.weights)
                return good, _not_finite(value, terms, phase, run.step + 1, checkpoints)
            checkpoints.confirm()
            # `value` is the loss at run.params (before this step's update): they are good
            good, run.params, run.opt_state = run.params, params, state
            run.steps[phase] = i + 1
            if phase != "adam":
                run.flat = run.flat + 1 if run.previous - value <= FLAT_RTOL * max(abs(value), 1e-30) else 0
                run.previous = value
            held_out = {}
            if held.due(phase, i, i == limits[phase] - 1, run):
                held_out["held_out"], ended = held.check(run, phase, adapt, value)
            if row:
                host_terms = {k: float(v) for k, v in terms.items()}
                extra = watch.row(run, phase, i, i == limits[phase] - 1)
                run.history.append({"step": run.step, "phase": phase, "loss": value, **host_terms, **held_out, **extra})
                progress.update(phase, run.step, value, host_terms)
            if every and run.step % every == 0:
                checkpoints.hold(run)
            on_step(run.step)
            if watch.callback is not None:
                losses = (
                    monitor.Losses(lambda p=good, x=points, w=run.weights: watch.terms(p, x, w))
                    if not wanted.get("terms_wanted", True)
                    else {k: float(v) for k, v in terms.items()}
                )
                info = monitor.StepInfo(run.step, phase, value, losses, run.params)
                if watch.callback(info) is True:
                    checkpoints.write(run)
                    return held.keep_best(
                        run
                    ), f"stopped by the callback after step {run.step}; {checkpoints.describe()}"
        if limits[phase]:
            run.ended[phase] = ended or (
                "step budget"
                if run.steps[phase] >= limits[phase]
                else f"the loss stopped falling ({LBFGS_FLAT_STEPS} steps in a row lowered it by at most {FLAT_RTOL:g})"
            )
        if run.best_params is not None:
            run.params = held.keep_best(run)
            run.kept[phase] = held.report(run, phase)
    run.phase = "done"
    return run.params, None


def _not_finite(value: float, terms: dict, phase: str, step: int, checkpoints: _Checkpoints) -> str:
    """Say at which step the loss stopped being finite, and in which term."""
    bad = [f"{k} ({float(v)})" for k, v in terms.items() if not math.isfinite(float(v))]
    where = f"in term {', '.join(bad)}" if bad else "in the weighted sum of finite terms"
    return (
        f"the loss became {value} at step {step} ({phase}), {where}; "
        f"kept the last parameters with a finite loss; {checkpoints.describe()}"
    )
