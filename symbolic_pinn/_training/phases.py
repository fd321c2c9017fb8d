"""The phases of training, in the order they run: one table.

Training is a chain of phases: Adam, then one second-order finisher (dense BFGS,
L-BFGS or matrix-free Gauss–Newton, the ``finisher`` setting), then, if asked for, Levenberg–Marquardt.  Each phase
is an optimiser and its pure step (built by :mod:`.steps`, as optax builds a
``GradientTransformation``); everything else that differs between phases is a column
of this table.  The loop (:mod:`.loop`) steps each phase until a stop rule says stop,
and knows no phase by name, as Diffrax's loop knows nothing of the solver it runs.

The table is read by the ``finisher`` setting's choices (``_config``), the checkpoint's
check of its phase and steps (:mod:`.checkpoint`), the history's columns
(:mod:`.monitor`), the summary table (:mod:`.metrics`) and the loss plot
(``_product.plots``).  Adding a phase is one entry here plus its step builder, the
function of the same name in :mod:`.steps`.

This module imports nothing heavy: ``_config`` reads it, and ``symbolic-pinn --help``
imports no JAX.
"""

from __future__ import annotations

import dataclasses

__all__ = ["Phase", "PHASES", "NAMES", "FINISHERS", "DONE", "DONE_STEPS_FACTOR", "BY_NAME", "running", "label", "index"]

DONE = "done"  # the phase of a checkpoint written after the last phase
# with until_done a finisher's step budget is this many times its setting: a bound for a run without a
# time limit, not the rule that ends it (the held-out loss does, _points.HeldOut)
DONE_STEPS_FACTOR = 10


@dataclasses.dataclass(frozen=True)
class Phase:
    """One phase of training: what the loop, the checkpoints and the reports need to know of it.

    Its step builder ``steps.<name>(context) -> steps.Stepper`` gives the optimiser and
    the jitted step ``step(params, state, points, weights) -> (params, state, loss, terms)``.
    """

    name: str  # the history's "phase" column, the checkpoint, metrics["ended"]; also the builder's name
    label: str  # in the summary table: "dense BFGS"
    budget: str  # the TrainConfig setting that bounds its steps
    # a quasi-Newton finish after Adam: one of them runs (the `finisher` setting); it watches the
    # held-out loss (_points.HeldOut), and its step takes `terms_wanted` (False: each term's loss skipped)
    finisher: bool = False
    float64: bool = False  # runs in float64 whatever the run's precision: entering it casts up
    optional: bool = False  # runs only with a step budget (else it always runs; a finisher: when chosen)
    adapts: bool = False  # points and weights may change before each step (_sampling, _weights)
    stops_flat: bool = True  # ends after FLAT_STEPS steps in a row without progress (_stopping)
    columns: tuple[str, ...] = ()  # the history's extra columns in its rows (its stepper's `row`)
    settings: tuple[str, ...] = ()  # settings only it reads: metrics report them, None when it did not run
    switch: tuple[str, str] | None = None  # the loss plot's line where it starts: legend, line style

    @property
    def steps_key(self) -> str:
        """Its key in metrics.json: ``bfgs_steps``."""
        return f"{self.name}_steps"

    def budget_of(self, config) -> int:
        """Its step budget in ``config``, a ``TrainConfig`` (not imported: ``_config`` reads this module);
        a finisher's is ``DONE_STEPS_FACTOR`` times longer with ``until_done``."""
        budget = getattr(config, self.budget)
        return budget * DONE_STEPS_FACTOR if self.finisher and getattr(config, "until_done", False) else budget


PHASES: tuple[Phase, ...] = (
    Phase("adam", "Adam", "adam_steps", adapts=True, stops_flat=False, columns=("learning_rate",)),
    Phase("lbfgs", "L-BFGS", "bfgs_steps", finisher=True, switch=("Adam → L-BFGS", ":")),
    Phase(
        "bfgs",
        "dense BFGS",
        "bfgs_steps",
        finisher=True,
        float64=True,
        settings=("bfgs_method",),
        switch=("Adam → dense BFGS", ":"),
    ),
    Phase(
        "gn",
        "Gauss–Newton-CG",
        "bfgs_steps",
        finisher=True,
        float64=True,
        settings=("gn_cg_steps", "gn_rank"),
        switch=("Adam → Gauss–Newton-CG", ":"),
    ),  # matrix-free; refuses energy terms, as LM does
    Phase("lm", "LM", "lm_steps", optional=True, switch=("→ Levenberg–Marquardt", "--")),  # LM refuses energy terms
)

NAMES = tuple(p.name for p in PHASES)
BY_NAME: dict[str, Phase] = {p.name: p for p in PHASES}
FINISHERS = tuple(p.name for p in PHASES if p.finisher)


def running(config, finisher: str) -> tuple[Phase, ...]:
    """The phases a run with these settings goes through, in order (the chosen ``finisher`` among the finishers)."""
    return tuple(p for p in PHASES if (p.name == finisher if p.finisher else not p.optional or p.budget_of(config)))


def label(name: str) -> str:
    """A phase's label for people: ``label("bfgs") == "dense BFGS"``."""
    return BY_NAME[name].label


def index(name: str) -> int:
    """Where a phase (or ``DONE``, after them all) comes in the order of training."""
    return NAMES.index(name) if name != DONE else len(NAMES)
