"""The training loop: for each phase of the run, in order, step until a stop rule says stop.

    for each phase (phases.PHASES, those this run goes through):
        a signal or the time limit: checkpoint, and stop (resumably) before entering it
        enter it: a fresh optimiser state (float64 first, for a float64 phase)
        until its budget is spent or its loss is flat (stopping.natural_end):
            a signal or the time limit (this session's, its compiles included): checkpoint, and stop (resumably)
            adapt the points and weights (points.Adapt), take one step (Adam: up to
                steps_per_dispatch steps in one call, ending where the host has work: Loop.span)
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
A row's errors are those of the parameters its loss is of (the phase's final ones in its
last row).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import jax

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

    def row(self, run: Run, leg: Leg, i: int, last: bool, params: dict) -> dict:
        """The history's extra columns at step ``i`` of a phase: wall time, the phase's own (Adam's
        learning rate), the errors of ``params``.

        Rows come every HISTORY_EVERY steps of a phase; the errors go in the first row of
        every ``error_every`` steps of the phase and in its last row.
        """
        extra = {"seconds": round(run.seconds, 3)}
        if leg.stepper.row is not None:
            extra |= leg.stepper.row(i)
        if self.errors is not None and (self.errors_due(i) or last):
            extra |= self.errors(params)
        return extra

    def errors_due(self, i: int) -> bool:
        """Whether the row of step ``i`` of a phase holds the errors (its last row also does)."""
        return self.errors is not None and i % HISTORY_EVERY == 0 and i % self.config.error_every < HISTORY_EVERY


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
    flat_rtol: float = stopping.FLAT_RTOL  # a step lowering the loss by less, relatively, makes no progress
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
                while ended is None and stopping.natural_end(run, leg, self.flat_rtol) is None:
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
            run.ended[leg.name] = ended or stopping.natural_end(run, leg, self.flat_rtol)
        if run.best_params is not None:
            run.params = self.held_out.keep_best(run)
            run.kept[leg.name] = self.held_out.report(run, leg.name)

    def check_outside(self, run: Run, leg: Leg) -> None:
        """Before a step: on a signal, stop training; on the time limit, end it, resumably (a checkpoint either way)."""
        checkpoints = self.checkpoints
        compiled = self.watch.compile_seconds
        # a phase's first step compiles it: not begun when that would end past the time limit
        compiling = max(compiled.values(), default=0.0) if leg.name not in compiled else 0.0
        several_at_once = leg.stepper.many is not None and self.watch.callback is None
        signalled, late = self.outside.check(run, leg, compiling, every_call=several_at_once)
        if signalled:
            checkpoints.write(run)
            raise _Stopped(self.held_out.keep_best(run), self.outside.interrupted(run, checkpoints))
        if late:
            # a normal end, kept resumable: the checkpoint holds the phase where it was
            run.ended[leg.name] = self.outside.late()
            checkpoints.write(run)
            raise _Stopped(self.held_out.keep_best(run), None)

    def step(self, run: Run, leg: Leg) -> str | None:
        """The phase's next dispatch: one step, or several in one call (:meth:`steps`); returns why the
        phase ends after it (None: it goes on)."""
        if leg.stepper.many is not None and self.watch.callback is None:
            return self.steps(run, leg, self.span(run, leg))
        checkpoints, held = self.checkpoints, self.held_out
        i = run.steps[leg.name]
        last = i == leg.budget - 1
        self.adapt(leg, i, run)
        row = i % HISTORY_EVERY == 0 or last
        points, before = run.points, run.params  # those of this step (a held-out check below may draw new ones)
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
        stopping.note_progress(run, leg, value, self.flat_rtol)
        held_out, ended = {}, None
        if held.due(leg, i, last, run):
            held_out["held_out"], ended = held.check(run, leg, self.adapt, value)
        if row:
            self.record(run, leg, i, value, terms, before, held_out)
        self.after(run, 1)
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

    def span(self, run: Run, leg: Leg) -> int:
        """How many steps the next dispatch takes: up to the next multiple of the phase's
        ``per_dispatch``, or to the step before which the host has something to do (adapt the
        points or weights, measure the errors of a history row, hold a checkpoint), or to the
        phase's budget.  These depend on the step alone, so a resumed run dispatches alike."""
        i, k = run.steps[leg.name], leg.stepper.per_dispatch
        end = min(leg.budget, (i // k + 1) * k)
        for s in range(i + 1, end):
            if self.adapt.due(leg, s) or self.watch.errors_due(s) or self.checkpoints.due_at(run.step + s - i):
                return s - i
        return max(1, end - i)

    def steps(self, run: Run, leg: Leg, n: int) -> None:
        """``n`` steps in one call of the phase's ``many``; the history's rows from its stacked losses.

        A loss that is not finite stops training as it does one step at a time: the rows of the
        steps before it are kept, and the parameters of the step before it."""
        i = run.steps[leg.name]
        self.adapt(leg, i, run)
        before = run.params
        first = self.compiling(leg)
        params, state, good, values, terms = leg.stepper.many(run.params, run.opt_state, run.points, run.weights, n)
        values, terms = jax.device_get((values, terms))  # one transfer; sliced here (no program per n)
        values, terms = values[:n], {k: v[:n] for k, v in terms.items()}
        if first is not None:
            self.watch.compile_seconds[leg.name] = round(time.perf_counter() - first, 3)
        bad = next((j for j, v in enumerate(values) if not math.isfinite(v)), None)
        done = n if bad is None else bad
        if done:
            self.checkpoints.confirm()
            self.good = good
        run.params, run.opt_state = params, state
        for j in range(done):
            step = i + j
            run.steps[leg.name] = step + 1
            stopping.note_progress(run, leg, float(values[j]), self.flat_rtol)
            if step % HISTORY_EVERY == 0 or step == leg.budget - 1:
                # the errors of a row are those of its parameters: a dispatch begins where they are due
                at = before if j == 0 else run.params
                self.record(run, leg, step, float(values[j]), {k: v[j] for k, v in terms.items()}, at, {})
        if bad is not None:
            step_terms = {k: v[bad] for k, v in terms.items()}
            raise _Stopped(
                self.good,
                stopping.not_finite(float(values[bad]), step_terms, leg.name, run.step + 1, self.checkpoints),
            )
        self.after(run, n)
        return None

    def record(self, run: Run, leg: Leg, i: int, value: float, terms: dict, params: dict, held_out: dict) -> None:
        """A row of the history at step ``i`` of the phase; its errors are those of ``params`` (of the
        phase's final parameters in its last row)."""
        host_terms = {k: float(v) for k, v in terms.items()}
        last = i == leg.budget - 1
        extra = self.watch.row(run, leg, i, last, run.params if last else params)
        run.history.append({"step": run.step, "phase": leg.name, "loss": value, **host_terms, **held_out, **extra})
        self.watch.log(run.history[-1])
        self.progress.update(leg.name, run.step, value, host_terms)

    def after(self, run: Run, n: int) -> None:
        """After a dispatch of ``n`` steps: hold a periodic checkpoint; ``on_step`` sees each step."""
        if self.checkpoints.due(run):
            self.checkpoints.hold(run)
        for done in range(run.step - n + 1, run.step + 1):
            self.on_step(done)

    def compiling(self, leg: Leg) -> float | None:
        """Before a phase's first call, which compiles it: the progress says so; the time it starts (None: compiled)."""
        if leg.name in self.watch.compile_seconds:
            return None
        self.progress.compiling(leg.name)
        return time.perf_counter()

    def take(self, run: Run, leg: Leg, row: bool) -> tuple:
        """The phase's step at ``run``; a finisher computes each term's loss only for a row.
        The first step of a phase is compiled: the progress says so, and its time is kept."""
        started = self.compiling(leg)
        wanted = {"terms_wanted": row} if leg.phase.finisher else {}
        params, state, value, terms = leg.stepper.step(run.params, run.opt_state, run.points, run.weights, **wanted)
        value = float(value)
        if started is not None:
            self.watch.compile_seconds[leg.name] = round(time.perf_counter() - started, 3)
        return params, state, value, terms
