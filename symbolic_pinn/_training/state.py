"""The state of a training run: everything that changes as training goes on.

The loop (:mod:`.loop`) advances it, the points (:mod:`.points`) may change its points,
weights and held-out record, and a checkpoint (:mod:`.checkpoint`) is a copy of it.
"""

from __future__ import annotations

import dataclasses
import math
import time
import typing

__all__ = ["Run"]


@dataclasses.dataclass
class Run:
    """Everything that changes as training goes on; a checkpoint is a copy of it."""

    phase: str  # a name of phases.PHASES, or phases.DONE
    steps: dict[str, int]  # steps done in each phase this run goes through
    params: dict
    opt_state: typing.Any
    points: dict  # each term's points: interior ones may change during Adam (_sampling)
    weights: dict  # each term's weight: adaptive ones change during Adam (_weights)
    flat: int = 0  # steps in a row without progress
    previous: float = math.inf  # the phase's last loss
    # the finishing phase's held-out loss (see points.HeldOut): its lowest value, where, and with which parameters
    best: float = math.inf
    best_step: int = 0
    best_params: dict | None = None
    stall: int = 0  # held-out evaluations in a row without a new lowest
    rounds: int = 0  # fresh interior draws after a stall
    kept: dict = dataclasses.field(default_factory=dict)  # HeldOut.report of each finished quasi-Newton phase
    ended: dict[str, str] = dataclasses.field(default_factory=dict)  # why each finished phase ended
    history: list[dict] = dataclasses.field(default_factory=list)
    seconds_before: float = 0.0  # spent in earlier sessions of a resumed run
    started: float = dataclasses.field(default_factory=time.perf_counter)

    @property
    def step(self) -> int:
        return sum(self.steps.values())

    @property
    def seconds(self) -> float:
        """The run's time, all its sessions together."""
        return self.seconds_before + self.session_seconds

    @property
    def session_seconds(self) -> float:
        """The time of this session (since this ``train`` call built the run): what ``time_limit`` limits."""
        return time.perf_counter() - self.started

    def enter(self, phase: str, opt_state) -> None:
        """Start ``phase`` from where the phase before ended, with a fresh optimiser state and held-out record."""
        self.phase, self.opt_state, self.flat, self.previous = phase, opt_state, 0, math.inf
        self.best, self.best_step, self.best_params, self.stall, self.rounds = math.inf, 0, None, 0, 0
