"""Watching a training run: the progress display, the error on a test set, the callback's view.

On a terminal the progress is a live rich bar (phase, steps, elapsed time, ETA, every
term's loss) that says "compiling" while the first step of a phase is compiled; in a
Jupyter notebook it is one line of the cell's output, updated in place (an IPython
display, no widgets); elsewhere (a log file, a pipe, CI) it is one plain line every
``log_every`` steps.
:class:`ErrorMonitor` evaluates the relative L2 error of each field with an ``exact``
on a small fixed grid, jitted once, for the history.  :class:`StepInfo` is what a
``callback`` of ``train`` receives after every step.
"""

from __future__ import annotations

import sys
import time
import typing
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from . import domain, phases

__all__ = ["Progress", "ErrorMonitor", "StepInfo"]

TEST_POINTS = 1024  # points of the grid the history's errors are measured on
# a history row: step, phase, loss, each term's loss, then these (and rel_l2_<field>)
# (a phase's own columns, such as Adam's learning_rate, are in its entry of phases.PHASES)
EXTRA_COLUMNS = ("seconds", *(c for p in phases.PHASES for c in p.columns), "held_out")  # held_out: where evaluated
ERROR_PREFIX = "rel_l2_"


def history_columns(history: list[dict]) -> tuple[list[str], list[str]]:
    """The loss columns of a history ("loss" and each term's), and the others after step and phase."""
    keys = list(dict.fromkeys(k for row in history for k in row))
    extra = [k for k in keys if k in EXTRA_COLUMNS or k.startswith(ERROR_PREFIX)]
    losses = [k for k in keys if k not in ("step", "phase") and k not in extra]
    return losses, extra


class StepInfo(typing.NamedTuple):
    """What a training callback sees after each step.

    ``loss`` and ``losses`` (each term's, unweighted, a mapping) are at the parameters
    before this step's update; ``params`` are the parameters after it.  In the quasi-Newton
    phases ``losses`` is evaluated when first read.
    """

    step: int  # steps done, over all phases
    phase: str  # a name of phases.PHASES: "adam", "lbfgs", "bfgs", "gn" or "lm"
    loss: float
    losses: Mapping
    params: dict


class Losses(Mapping):
    """Each term's loss (unweighted), evaluated when first read: a quasi-Newton step does not
    compute them (a forward pass), and most callbacks never read them."""

    def __init__(self, compute: Callable[[], dict]):
        self._compute, self._values = compute, None

    def _all(self) -> dict[str, float]:
        if self._values is None:
            self._values = {k: float(v) for k, v in self._compute().items()}
        return self._values

    def __getitem__(self, name: str) -> float:
        return self._all()[name]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


class ErrorMonitor:
    """Relative L2 error of each field with an ``exact`` on a fixed grid of about 1,024 points."""

    def __init__(self, compiled, total: int = TEST_POINTS):
        program = compiled.ir
        self.names = tuple(compiled.module.EXACT)
        if not self.names:
            return
        grid = domain.test_grid(program, total)
        variables = [v.name for v in program.variables]
        dtype = jnp.result_type(float)
        args = {
            name: tuple(jnp.asarray(points[:, variables.index(a)], dtype) for a in program.field(name).args)
            for name in self.names
            for points in [domain.home(program, grid, name)]
        }
        references = {name: compiled.module.EXACT[name](*args[name]) for name in self.names}

        def errors(params):
            fields = compiled.module.fields(params)
            out = {}
            for name in self.names:
                reference = references[name]
                scale = jnp.linalg.norm(reference)
                diff = jnp.linalg.norm(fields[name](*args[name]) - reference)
                out[name] = jnp.where(scale > 0, diff / jnp.where(scale > 0, scale, 1), diff / jnp.sqrt(reference.size))
            return out

        self._errors = jax.jit(errors)

    def __call__(self, params) -> dict[str, float]:
        """``{"rel_l2_<field>": error}`` (empty without an exact solution)."""
        if not self.names:
            return {}
        return {f"{ERROR_PREFIX}{k}": float(v) for k, v in self._errors(params).items()}


class Progress:
    """The live bar on a terminal, plain lines every ``every`` steps elsewhere, or nothing."""

    def __init__(self, enabled: bool, total: int, completed: int = 0, every: int = 100, stream=None):
        self.stream = stream or sys.stdout
        self.live = enabled and _is_terminal(self.stream)
        self.notebook = _Notebook() if enabled and not self.live and stream is None and _in_notebook() else None
        self.plain = enabled and not self.live and self.notebook is None and every > 0
        self.total = total
        self.completed = completed
        self.every = every
        self._progress = None
        self._printed = completed
        self._started = time.perf_counter()

    def __enter__(self):
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[losses]}"),
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("adam", total=self.total, completed=self.completed, losses="")
        return self

    def note(self, line: str) -> None:
        """A line above the bar (or a plain line): where the run runs, say."""
        if self._progress is not None:
            self._progress.console.print(line)
        elif self.plain or self.notebook is not None:
            self._print(line)

    def compiling(self, phase: str) -> None:
        """The first step of ``phase`` is about to be compiled (it takes seconds)."""
        if self._progress is not None:
            self._progress.update(self._task, description=f"{phase} (compiling)")
        elif self.notebook is not None:
            self.notebook.show(f"{phase}: compiling the train step", now=True)
        elif self.plain:
            self._print(f"{phase}: compiling the train step")

    def update(self, phase: str, step: int, loss: float, terms: dict) -> None:
        text = f"loss {loss:.3e}  " + "  ".join(f"{k} {v:.2e}" for k, v in terms.items())
        if self._progress is not None:
            self._progress.update(self._task, completed=step, description=phase, losses=text)
        elif self.notebook is not None:
            self.notebook.show(self._line(phase, step, text), now=step >= self.total)
        elif self.plain and (step - self._printed >= self.every or step >= self.total):
            self._printed = step
            self._print(self._line(phase, step, text))

    def _line(self, phase: str, step: int, text: str) -> str:
        elapsed = time.perf_counter() - self._started
        done = step - self.completed
        eta = elapsed / done * (self.total - step) if done > 0 else float("nan")
        return f"step {step}/{self.total} {phase}  {text}  elapsed {elapsed:.0f} s, eta {eta:.0f} s"

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        if self.notebook is not None:
            self.notebook.flush()


class _Notebook:
    """One line of a Jupyter cell's output, replaced in place (at most every ``EVERY`` seconds)."""

    EVERY = 0.25

    def __init__(self):
        self._handle, self._shown, self._text = None, 0.0, None

    def show(self, text: str, now: bool = False) -> None:
        self._text = text
        if now or time.perf_counter() - self._shown >= self.EVERY:
            self.flush()

    def flush(self) -> None:
        from IPython.display import display

        if self._text is None:
            return
        if self._handle is None:
            self._handle = display({"text/plain": self._text}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": self._text}, raw=True)
        self._shown, self._text = time.perf_counter(), None


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (as rich tells it)."""
    if "ipykernel" not in sys.modules:
        return False
    from rich.console import Console

    return Console().is_jupyter


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
