"""The training loop: for each phase of the run, in order, step until a stop rule says stop.

    for each phase (phases.PHASES, those this run goes through):
        a signal or the time limit: checkpoint, and stop (resumably) before entering it
        enter it: a fresh optimiser state (float64 first, for a float64 phase)
        until its budget is spent or its loss is flat (stopping.natural_end):
            a signal or the time limit (this session's, its compiles included): checkpoint, and stop (resumably)
            adapt the points and weights (points.Adapt), take one step
            a loss that is not finite: stop with the last parameters whose loss was finite
            a finisher: every so often, the held-out loss (points.HeldOut) may end the phase
            a row of the history every HISTORY_EVERY steps; a checkpoint every checkpoint_every
            the callback may stop training
        end it with the parameters of its lowest held-out loss, if it watched one

The loop names no phase: what differs between phases is read from the table
(``phases.Phase``) and the phase's stepper (``steps.Stepper``).

A step's ``loss`` is the loss at the parameters before its update, so those are good;
a periodic checkpoint is written only once the next step has shown that its
parameters have a finite loss, so the checkpoint left behind by a NaN is a good one.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

from .._config import TrainConfig
from . import monitor, phases, point_weights, stopping
from .checkpoint import Checkpoints
from .points import Adapt, HeldOut
from .state import Run
from .steps import Leg, strong, upcast

__all__ = ["Loop", "Watch", "HISTORY_EVERY"]

HISTORY_EVERY = 10  # steps between rows of the history (and progress updates)


@dataclasses.dataclass
class Watch:
    """What the loop reports besides the loss: errors, compile times, the callback."""

    config: TrainConfig
    errors: monitor.ErrorMonitor | None
    callback: Callable | None
    terms: Callable  # (params, points, weights) -> each term's loss, where a quasi-Newton step skipped them
    compile_seconds: dict = dataclasses.field(default_factory=dict)  # each phase's first step, compiling included
    log: Callable[[dict], None] = lambda row: None  # sees every history row (events.EventLog.row)

    def row(self, run: Run, leg: Leg, i: int, last: bool) -> dict:
        """The history's extra columns at step ``i`` of a phase: wall time, the phase's own (Adam's
        learning rate), errors.

        Rows come every HISTORY_EVERY steps of a phase; the errors go in the first row of
        every ``error_every`` steps of the phase and in its last row.
        """
        extra = {"seconds": round(run.seconds, 3)}
        if leg.stepper.row is not None:
            extra |= leg.stepper.row(i)
        if self.errors is not None and (i % self.config.error_every < HISTORY_EVERY or last):
            extra |= self.errors(run.params)
        return extra


class _Stopped(Exception):
    """Training stops before its end: the parameters to keep, and why (None: the time limit, a normal end)."""

    def __init__(self, params: dict, why: str | None):
        super().__init__(why)
        self.params, self.why = params, why


@dataclasses.dataclass
class Loop:
    """A run's phases and what the loop reports to: see the module docstring."""

    legs: tuple[Leg, ...]
    adapt: Adapt
    held_out: HeldOut
    checkpoints: Checkpoints
    progress: monitor.Progress
    outside: stopping.Outside
    on_step: Callable[[int], None]
    watch: Watch
    good: dict | None = dataclasses.field(default=None, init=False)  # the last parameters whose loss was finite

    def __call__(self, run: Run) -> tuple[dict, str | None]:
        """Run the remaining steps of every phase; returns the parameters to keep and why training
        stopped early (None: it did not)."""
        self.good = run.params
        try:
            for leg in self.legs:
                if phases.index(leg.name) < phases.index(run.phase):
                    continue  # done before a resume
                if run.phase != leg.name:
                    self.check_outside(run, leg)  # before building its optimiser's state and compiling its step
                    self.enter(run, leg)
                ended = None
                while ended is None and stopping.natural_end(run, leg) is None:
                    self.check_outside(run, leg)
                    ended = self.step(run, leg)
                self.end(run, leg, ended)
        except _Stopped as stop:
            return stop.params, stop.why
        run.phase = phases.DONE
        return run.params, None

    def enter(self, run: Run, leg: Leg) -> None:
        """Start a phase from where the one before ended (in float64 for a float64 phase)."""
        if leg.phase.float64:
            run.params, run.points, run.weights = upcast(run.params), upcast(run.points), upcast(run.weights)
        run.enter(leg.name, strong(leg.stepper.optimizer.init(run.params)))

    def end(self, run: Run, leg: Leg, ended: str | None) -> None:
        """Say why the phase ended; end it with the parameters of its lowest held-out loss."""
        if leg.budget:
            run.ended[leg.name] = ended or stopping.natural_end(run, leg)
        if run.best_params is not None:
            run.params = self.held_out.keep_best(run)
            run.kept[leg.name] = self.held_out.report(run, leg.name)

    def check_outside(self, run: Run, leg: Leg) -> None:
        """Before a step: on a signal, stop training; on the time limit, end it, resumably (a checkpoint either way)."""
        checkpoints = self.checkpoints
        compiled = self.watch.compile_seconds
        # a phase's first step compiles it: not begun when that would end past the time limit
        compiling = max(compiled.values(), default=0.0) if leg.name not in compiled else 0.0
        signalled, late = self.outside.check(run, leg, compiling)
        if signalled:
            checkpoints.write(run)
            raise _Stopped(self.held_out.keep_best(run), self.outside.interrupted(run, checkpoints))
        if late:
            # a normal end, kept resumable: the checkpoint holds the phase where it was
            run.ended[leg.name] = self.outside.late()
            checkpoints.write(run)
            raise _Stopped(self.held_out.keep_best(run), None)

    def step(self, run: Run, leg: Leg) -> str | None:
        """One step of a phase, and what follows it; returns why the phase ends after it (None: it goes on)."""
        checkpoints, held = self.checkpoints, self.held_out
        i = run.steps[leg.name]
        last = i == leg.budget - 1
        self.adapt(leg, i, run)
        row = i % HISTORY_EVERY == 0 or last
        points = run.points  # those of this step (a held-out check below may draw new ones)
        params, state, value, terms = self.take(run, leg, row)
        terms, weights = point_weights.taken(terms, run.weights)  # Adam's step moves the points' multipliers
        skipped = leg.phase.finisher and not row  # the step did not compute each term's loss
        if not math.isfinite(value):
            if skipped:  # at the parameters `value` is of
                terms = self.watch.terms(run.params, run.points, run.weights)
            raise _Stopped(self.good, stopping.not_finite(value, terms, leg.name, run.step + 1, checkpoints))
        checkpoints.confirm()
        # `value` is the loss at run.params (before this step's update): they are good
        self.good, run.params, run.opt_state, run.weights = run.params, params, state, weights
        run.steps[leg.name] = i + 1
        stopping.note_progress(run, leg, value)
        held_out, ended = {}, None
        if held.due(leg, i, last, run):
            held_out["held_out"], ended = held.check(run, leg, self.adapt, value)
        if row:
            host_terms = {k: float(v) for k, v in terms.items()}
            extra = self.watch.row(run, leg, i, last)
            run.history.append({"step": run.step, "phase": leg.name, "loss": value, **host_terms, **held_out, **extra})
            self.watch.log(run.history[-1])
            self.progress.update(leg.name, run.step, value, host_terms)
        if checkpoints.due(run):
            checkpoints.hold(run)
        self.on_step(run.step)
        callback = self.watch.callback
        if callback is not None:
            good = self.good
            losses = (
                monitor.Losses(lambda p=good, x=points, w=run.weights: self.watch.terms(p, x, w))
                if skipped
                else {k: float(v) for k, v in terms.items()}
            )
            if callback(monitor.StepInfo(run.step, leg.name, value, losses, run.params)) is True:
                checkpoints.write(run)
                raise _Stopped(held.keep_best(run), stopping.by_callback(run, checkpoints))
        return ended

    def take(self, run: Run, leg: Leg, row: bool) -> tuple:
        """The phase's step at ``run``; a finisher computes each term's loss only for a row.
        The first step of a phase is compiled: the progress says so, and its time is kept."""
        first = leg.name not in self.watch.compile_seconds
        if first:
            self.progress.compiling(leg.name)
            started = time.perf_counter()
        wanted = {"terms_wanted": row} if leg.phase.finisher else {}
        params, state, value, terms = leg.stepper.step(run.params, run.opt_state, run.points, run.weights, **wanted)
        value = float(value)
        if first:
            self.watch.compile_seconds[leg.name] = round(time.perf_counter() - started, 3)
        return params, state, value, terms
