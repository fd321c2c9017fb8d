"""When a phase, or training, stops: the stop rules of the loop, and the sentences that say why.

A phase ends by itself (``metrics["ended"]``) on its step budget, on a flat loss
(``FLAT_STEPS`` steps in a row that lowered it by at most ``FLAT_RTOL``, relatively,
``ENERGY_FLAT_RTOL`` for a loss with an energy, :func:`flat_rtol`; not Adam's), when the
held-out loss stops falling (``points.HeldOut``; with ``until_done`` by 1%, and the
finisher's budget is only a bound), or on the time limit, resumably. The time limit bounds
this session's time (a resumed run gets a new one, or none), compiling included: it is
checked before each step (each call), and before a phase's first step, which compiles it,
training stops if that compile (estimated as the longest one of this session) would end past
the limit. Training stops early (``metrics["stopped"]``) on Ctrl-C or SIGTERM
(:class:`StopSignals`), when the callback returns True, or on a loss that is not finite.
With several processes the signal and the time limit are agreed every ``HISTORY_EVERY``
steps (every call, where a phase takes several steps per call), so every process stops
at the same step.
"""

from __future__ import annotations

import math
import signal
import threading
import typing

from . import devices
from .state import Run

if typing.TYPE_CHECKING:  # pragma: no cover
    from .steps import Leg

__all__ = ["StopSignals", "Outside", "natural_end", "note_progress", "by_callback", "not_finite"]

FLAT_STEPS = 50  # a phase (but Adam) stops after this many steps without progress
FLAT_RTOL = 1e-10  # a step without progress lowers the loss by at most this, relatively
ENERGY_FLAT_RTOL = 1e-15  # the same for a loss with an energy: see flat_rtol
BUDGET = "step budget"


class StopSignals:
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


def flat_rtol(compiled) -> float:
    """The relative fall of the loss below which a step makes no progress, for this problem.

    A sum of squares falls towards 0, so a fall relative to the loss is scale-free.  An
    energy's loss falls towards its minimum E*, far from 0, and the solution's error e
    enters it squared (for a quadratic energy E(u) − E* = ½‖∇e‖²): a fall of 1e-10 of
    |E| leaves e near 1e-5.  On examples/poisson_ritz.pinn (Gauss–Legendre) the finish stopped
    at 2.1e-6 with 1e-10, 2.9e-7 with 1e-13 and 7.3e-8 with 1e-15, a few roundings of the
    float64 loss (2e-16 relatively); with no flat stop its held-out loss ended it at 9.4e-9,
    after 3,000 steps instead of 1,900.
    """
    return ENERGY_FLAT_RTOL if any(t.kind == "energy" for t in compiled.ir.terms) else FLAT_RTOL


def natural_end(run: Run, leg: Leg, rtol: float = FLAT_RTOL) -> str | None:
    """Why the phase is over before its next step, by its own rules: its step budget or a flat loss
    (checked before each step, so a resumed run agrees); None: it goes on."""
    if run.steps[leg.name] >= leg.budget:
        return BUDGET
    if run.flat >= FLAT_STEPS:
        return f"the loss stopped falling ({FLAT_STEPS} steps in a row lowered it by at most {rtol:g})"
    return None


def note_progress(run: Run, leg: Leg, value: float, rtol: float = FLAT_RTOL) -> None:
    """Count the steps in a row without progress (``value``: the loss before this step's update)."""
    if leg.phase.stops_flat:
        run.flat = run.flat + 1 if run.previous - value <= rtol * max(abs(value), 1e-30) else 0
        run.previous = value


class Outside(typing.NamedTuple):
    """What stops training from outside the loss: a signal, the time limit; with several processes agreed
    every ``every`` steps of a phase (a collective: every process takes part)."""

    signals: StopSignals
    time_limit: float
    several: bool  # several processes
    every: int

    def check(self, run: Run, leg: Leg, compiling: float = 0.0, every_call: bool = False) -> tuple[bool, bool]:
        """(a signal arrived, the time is up), before the next step of ``leg``; ``compiling``: the
        seconds that step is expected to take to compile (0 once the phase's step is compiled).
        ``every_call``: the phase takes several steps per call, and every call agrees (every
        process makes the same calls)."""
        if self.several and not every_call and run.steps[leg.name] % self.every != 0:
            return False, False
        late = bool(self.time_limit) and run.session_seconds + compiling >= self.time_limit
        return devices.agree(self.signals.received is not None, late)

    def interrupted(self, run: Run, checkpoints) -> str:
        return (
            f"interrupted ({self.signals.received or 'a signal to another process'}) after step {run.step}; "
            f"{checkpoints.describe()}{checkpoints.how_to_continue()}"
        )

    def late(self) -> str:
        """Why the phase ended on the time limit (a normal end, kept resumable)."""
        return f"time limit ({self.time_limit:g} s)" if self.time_limit else "another process's time limit"


def by_callback(run: Run, checkpoints) -> str:
    return f"stopped by the callback after step {run.step}; {checkpoints.describe()}"


def not_finite(value: float, terms: dict, phase: str, step: int, checkpoints) -> str:
    """Say at which step the loss stopped being finite, and in which term."""
    bad = [f"{k} ({float(v)})" for k, v in terms.items() if not math.isfinite(float(v))]
    where = f"in term {', '.join(bad)}" if bad else "in the weighted sum of finite terms"
    return (
        f"the loss became {value} at step {step} ({phase}), {where}; "
        f"kept the last parameters with a finite loss; {checkpoints.describe()}"
    )
