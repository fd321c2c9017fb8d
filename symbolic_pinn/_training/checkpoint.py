"""Checkpoints of a training run: arrays in ``.npz``, everything else in JSON; no pickle.

A run directory holds ``checkpoint.json`` (step, phase, settings, history, ...) and the
``checkpoint-<step>.npz`` of arrays it names, with that file's sha256.  A new checkpoint
is written beside the old one and becomes current when ``checkpoint.json`` is replaced
(atomically); only then are the old arrays removed, so a crash at any moment leaves one
complete checkpoint behind; the temporary files a crash leaves are removed by the next
save.  A ``checkpoint.json`` that was edited by hand or damaged (a key missing, a value of
the wrong type) is refused as damaged, with the ways on, before any of it is used.

The trainer hands a run's state (``state.Run``) to :class:`Checkpoints`, which turns it
into arrays (a pytree's leaves, ``params/0``, ``params/1``, ...) and JSON and writes it
every ``checkpoint_every`` steps once the next step has shown its loss finite, on a stop
and at the end; :func:`resume` turns a checkpoint back into a run, checked against the
problem and settings.  The phases a checkpoint may name are those of ``phases.PHASES``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import pathlib
import re
import sys
import typing

import jax
import jax.numpy as jnp
import numpy as np

from .. import _files
from .._config import ABSENT_MEANS, EXTENDABLE, RESUMABLE, TrainConfig, current_names
from .._errors import PinnError
from .._settings import SETTINGS, check
from . import devices, phases
from .state import Run
from .steps import STEP_SETTINGS, strong, upcast

__all__ = [
    "exists", "load", "save", "index", "saved_settings", "Checkpoints", "resume", "finished", "extended",
    "keeps_settings", "initial_params", "to_arrays", "from_arrays",
]  # fmt: skip

INDEX = "checkpoint.json"
assert not EXTENDABLE & set(STEP_SETTINGS), "a step budget a resumed run may change must build no step"
FILES = (INDEX, "checkpoint-*.npz")  # a checkpoint's files, as glob patterns: its index and its arrays
_ARRAYS = re.compile(r"checkpoint-\d{8,}\.npz")  # the arrays' names save() gives
# the temporary files of save(): _files.write_atomic's, and those of versions before it
_LEFTOVER = re.compile(r"(checkpoint\.json|checkpoint-\d{8,}\.npz)(\.[0-9a-f]{12})?\.tmp")
MAX_INDEX_BYTES = 256 << 20  # checkpoint.json: settings and the history's rows, far below this


def exists(run_dir: str | os.PathLike) -> bool:
    """Whether ``run_dir`` holds a checkpoint."""
    return (pathlib.Path(run_dir) / INDEX).is_file()


def save(run_dir: str | os.PathLike, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``meta`` (JSON-able) as the run's current checkpoint."""
    run_dir = pathlib.Path(run_dir)
    _remove_leftovers(run_dir)
    name = f"checkpoint-{meta['step']:08d}.npz"
    _files.write_atomic(run_dir / name, lambda handle: np.savez(handle, **arrays))
    previous = _current_arrays(run_dir)
    index = dict(meta, arrays=name, arrays_sha256=_sha256(run_dir / name))
    text = json.dumps(index, indent=1) + "\n"
    _files.write_atomic(run_dir / INDEX, text.encode())
    if previous is not None and previous != name:
        (run_dir / previous).unlink(missing_ok=True)


def index(run_dir: str | os.PathLike) -> dict:
    """The ``meta`` of the run's current checkpoint (its index, checkpoint.json), checked."""
    run_dir = pathlib.Path(run_dir)
    if not exists(run_dir):
        raise PinnError(
            f"no checkpoint in {run_dir}",
            help="--resume takes the --out directory of an earlier `symbolic-pinn train` run",
        )
    try:
        meta = _files.read_json(run_dir / INDEX, MAX_INDEX_BYTES, "")
        _validate(meta)
    except PinnError as err:
        raise damaged(run_dir, err.message) from None
    except (ValueError, KeyError, TypeError) as err:
        raise damaged(run_dir, str(err)) from None
    return meta


def load(run_dir: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The run's current checkpoint: its ``meta`` and its arrays."""
    run_dir = pathlib.Path(run_dir)
    meta = index(run_dir)
    try:
        path = run_dir / meta["arrays"]
        if path.is_symlink():
            raise ValueError(f"{path.name} is a symbolic link")
        if _sha256(path) != meta["arrays_sha256"]:
            raise ValueError(f"{path.name} does not match the sha256 recorded in {INDEX}")
        arrays = _files.read_npz(path)  # headers checked before any data is read; nothing unpickled
    except OSError as err:
        raise damaged(run_dir, f"cannot read {meta['arrays']}: {err.strerror or err}") from None
    except (ValueError, KeyError, TypeError) as err:
        raise damaged(run_dir, str(err)) from None
    return meta, arrays


def last_step(run_dir) -> int | None:
    """The step of the checkpoint in ``run_dir``; None where there is none, or it cannot be read."""
    try:
        return index(run_dir)["step"] if exists(run_dir) else None
    except (PinnError, KeyError, TypeError):
        return None


def saved_settings(run_dir: str | os.PathLike) -> dict:
    """The settings (network and training) of the checkpoint in ``run_dir``, type-checked: those
    a resumed run keeps (``_settings.train_config(given, saved_settings(run_dir))``)."""
    meta = index(run_dir)
    known = {s.name for s in SETTINGS}  # a setting no longer known is ignored
    settings = ABSENT_MEANS | current_names(meta["settings"])  # one added since then has the value that run had
    try:
        return check({k: v for k, v in settings.items() if k in known}, "in the checkpoint")
    except PinnError as err:  # checkpoint.json was edited by hand, or damaged
        raise damaged(run_dir, err.message) from None


def damaged(run_dir, why: str) -> PinnError:
    """The error for a checkpoint that cannot be resumed: what is wrong, and the two ways on."""
    return PinnError(
        f"the checkpoint in {run_dir} is damaged: {why}",
        help=f"start again without --resume (a new run with --out), or restore {INDEX} and its "
        "checkpoint-<step>.npz from a copy",
    )


# what checkpoint.json holds: key → the JSON types its value may have
_NUMBER = (int, float)
_SCHEMA = {
    "step": int,
    "phase": str,
    "steps": dict,
    "flat": int,
    "previous": _NUMBER,
    "seconds": _NUMBER,
    "source_sha256": str,
    "settings": dict,
    "history": list,
    "arrays": str,
    "arrays_sha256": str,
}
# keys of later versions, absent from older checkpoints: the JSON types they may have
_OPTIONAL = {
    "finisher": str,
    "best": _NUMBER,
    "best_step": int,
    "stall": int,
    "rounds": int,
    "held_out": dict,
    "ended": dict,
    "problem": dict,
    "devices": (dict, type(None)),
}
_PHASES = phases.NAMES + (phases.DONE,)


def _validate(meta) -> None:
    """Raise ValueError (TypeError) naming the first key of ``meta`` that is missing or of the wrong type."""
    if not isinstance(meta, dict):
        raise TypeError(f"{INDEX} holds a {type(meta).__name__}, not an object")
    for key in _SCHEMA:
        if key not in meta:
            raise ValueError(f"{INDEX} has no '{key}'")
    for key, kind in (_SCHEMA | {k: v for k, v in _OPTIONAL.items() if k in meta}).items():
        value = meta[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ValueError(f"'{key}' in {INDEX} is {_shown(value)}, of the wrong type")
    if meta.get("finisher", phases.FINISHERS[0]) not in phases.FINISHERS:
        finishers = ", ".join(phases.FINISHERS)
        raise ValueError(f"'finisher' in {INDEX} is {_shown(meta['finisher'])}, not one of {finishers}")
    problem = meta.get("problem", {})
    if not all(isinstance(problem.get(k), (str, type(None))) for k in ("source", "filename")):
        raise ValueError(f"'problem' in {INDEX} must hold the problem's text and file name as strings")
    if meta["phase"] not in _PHASES:
        raise ValueError(f"'phase' in {INDEX} is {meta['phase']!r}, not one of {', '.join(_PHASES)}")
    steps = meta["steps"]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in steps.values()):
        raise ValueError(f"'steps' in {INDEX} must count steps per phase: {steps!r}")
    first, finishers = phases.NAMES[0], phases.FINISHERS
    if not set(steps) <= set(_PHASES) or first not in steps or not set(finishers) & set(steps):
        raise ValueError(f"'steps' in {INDEX} must name the phases {first} and {' or '.join(finishers)}: {steps!r}")
    if not all(isinstance(row, dict) for row in meta["history"]):
        raise ValueError(f"'history' in {INDEX} must be a list of rows")
    if pathlib.PurePath(meta["arrays"]).name != meta["arrays"] or not meta["arrays"].endswith(".npz"):
        raise ValueError(f"'arrays' in {INDEX} must name a .npz file beside it, not {meta['arrays']!r}")


def current_files(run_dir: str | os.PathLike) -> list[str]:
    """The files of the checkpoint in ``run_dir``: its index and the arrays it names (none if
    there is no readable index); what `--overwrite` removes of a checkpoint."""
    arrays = _current_arrays(pathlib.Path(run_dir))
    return [INDEX] + ([arrays] if arrays is not None else []) if exists(run_dir) else []


def _shown(value) -> str:
    """A value of a damaged file, shortened to what an error message can quote."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _current_arrays(run_dir: pathlib.Path) -> str | None:
    """The arrays file the index names, if it is a name of ours (``checkpoint-<step>.npz``)."""
    try:
        name = _files.read_json(run_dir / INDEX, MAX_INDEX_BYTES, "")["arrays"]
    except (PinnError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) and _ARRAYS.fullmatch(name) else None


def _remove_leftovers(run_dir: pathlib.Path) -> None:
    """Remove the temporary files of a write that a crash (or a kill) interrupted."""
    for path in run_dir.glob("checkpoint*.tmp"):
        if _LEFTOVER.fullmatch(path.name):
            path.unlink(missing_ok=True)


def _sha256(path: pathlib.Path) -> str:
    """The sha256 of a file, read a block at a time (a checkpoint may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- a run's state as a checkpoint, and back ----------------------------------------------


def to_arrays(prefix: str, tree) -> dict[str, np.ndarray]:
    """The leaves of ``tree`` as ``<prefix>/<i>`` arrays."""
    # copies (np.array): a held snapshot must not share a buffer that the next step donates
    return {f"{prefix}/{i}": np.array(leaf) for i, leaf in enumerate(jax.tree.leaves(tree))}


def from_arrays(prefix: str, template, arrays: dict[str, np.ndarray], where) -> typing.Any:
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


def _stored_points(arrays: dict[str, np.ndarray]) -> dict:
    """The points of a checkpoint: ``points/<term>/<column>`` arrays back into tuples."""
    columns: dict[str, dict[int, jax.Array]] = {}
    for key, array in arrays.items():
        if key.startswith("points/"):
            _, term, j = key.split("/")
            columns.setdefault(term, {})[int(j)] = jnp.asarray(array)
    return {term: tuple(c[j] for j in range(len(c))) for term, c in columns.items()}


class Checkpoints:
    """Writes checkpoints of a run into ``run_dir`` (or nothing, without one)."""

    def __init__(self, run_dir, compiled, config: TrainConfig, finisher: str, written: int | None = None):
        self.run_dir = run_dir
        self.every = config.checkpoint_every
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

    def snapshot(self, run: Run) -> tuple[dict, dict] | None:
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
        arrays = to_arrays("params", run.params) | to_arrays("opt_state", run.opt_state)
        arrays |= to_arrays("weights", run.weights)
        if run.best_params is not None:
            arrays |= to_arrays("best_params", run.best_params)
        # with several processes each holds a share of the points: gathered (every process takes part)
        arrays |= {f"points/{t}/{j}": devices.gather(c) for t, cs in run.points.items() for j, c in enumerate(cs)}
        return meta, arrays

    def due(self, run: Run) -> bool:
        """Whether a periodic checkpoint falls at the run's step (every ``checkpoint_every`` steps)."""
        return self.due_at(run.step)

    def due_at(self, step: int) -> bool:
        """Whether a periodic checkpoint falls after ``step`` steps of the run."""
        return bool(self.every) and step % self.every == 0

    def hold(self, run: Run) -> None:
        """Keep a checkpoint of now, to be written once the next step's loss is finite."""
        self.pending = self.snapshot(run)

    def confirm(self) -> None:
        """The held checkpoint's parameters have a finite loss: write it."""
        if self.pending is not None:
            self._write(self.pending)
            self.pending = None

    def write(self, run: Run) -> None:
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
            # made before training (_files.writable_directory); made again if removed since
            os.makedirs(self.run_dir, exist_ok=True)
            save(self.run_dir, meta, arrays)
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

    def how_to_continue(self) -> str:
        """``; continue with `--resume DIR``` (nothing without a run directory)."""
        return f"; continue with `--resume {self.run_dir}`" if self.run_dir else ""


def extended(meta: dict, config: TrainConfig, finisher: str) -> tuple[str, ...]:
    """The phases of a finished run (``meta``, its checkpoint's) that ``config`` gives more steps than
    it had: those a resumed run goes on with (none: it is finished)."""
    if meta["phase"] != phases.DONE:
        return ()
    saved = ABSENT_MEANS | current_names(meta["settings"])
    return tuple(
        p.name
        for p in phases.running(config, finisher)
        # the settings compared (until_done multiplies both alike, and a resume cannot change it)
        if getattr(config, p.budget) > (saved.get(p.budget, 0) if p.name in meta["steps"] else 0)
    )


def keeps_settings(meta: dict, config: TrainConfig) -> None:
    """Refuse a resume of the checkpoint ``meta`` with settings that change its numbers (but
    RESUMABLE's and EXTENDABLE's)."""
    # a setting newer than the checkpoint had its default then; one saved under its old name is read by its new one
    saved = TrainConfig().numerics() | current_names(meta["settings"])
    numerics = {k: v for k, v in config.numerics().items() if k not in EXTENDABLE}
    changed = {k: (saved.get(k), v) for k, v in numerics.items() if saved.get(k) != v}
    if changed:
        listing = ", ".join(f"{k} was {old!r}, now {new!r}" for k, (old, new) in changed.items())
        raise PinnError(
            f"a resumed run keeps the settings of its checkpoint: {listing}",
            help=f"drop those settings (only {', '.join(sorted(RESUMABLE | EXTENDABLE))} may change), "
            "or start a new run with --out",
        )


def finished(run_dir, config: TrainConfig) -> bool:
    """Whether the run in ``run_dir`` is finished, and ``config`` (its settings, resumed) adds no step to it
    (settings that may not change are refused first)."""
    meta = index(run_dir)
    keeps_settings(meta, config)
    return meta["phase"] == phases.DONE and not extended(meta, config, meta.get("finisher", "lbfgs"))


def initial_params(run_dir, template) -> typing.Any:
    """The trained parameters of the run in ``run_dir``, shaped like ``template`` and of its dtypes:
    where a new run starts from (``init_from``)."""
    _, arrays = load(run_dir)
    leaves, treedef = jax.tree.flatten(template)
    stored = [arrays.get(f"params/{i}") for i in range(len(leaves))]
    mismatch = [
        f"parameter array {i} is {'absent' if a is None else f'of shape {a.shape}'}, here of shape {leaf.shape}"
        for i, (leaf, a) in enumerate(zip(leaves, stored))
        if a is None or a.shape != leaf.shape
    ]
    if f"params/{len(leaves)}" in arrays:
        mismatch.append(f"it has more than this problem's {len(leaves)} parameter arrays")
    if mismatch:
        raise PinnError(
            f"the trained parameters in {run_dir} do not fit this problem's networks: {mismatch[0]}",
            help="start from a run of the same fields and unknowns with the same --width, --depth and architecture",
        )
    return jax.tree.unflatten(treedef, [jnp.asarray(a, leaf.dtype) for leaf, a in zip(leaves, stored)])


def resume(run_dir, compiled, config: TrainConfig, params, weights, steppers: dict) -> Run:
    """The run of the checkpoint in ``run_dir``, checked against the problem and settings.

    ``params`` and ``weights`` are templates (fresh ones, of the run's precision);
    ``steppers`` are the run's phases (``steps.step_functions``), whose optimisers give
    the optimiser state its shape.
    """
    meta, arrays = load(run_dir)
    if meta["source_sha256"] != compiled.source_hash:
        raise PinnError(
            f"the checkpoint in {run_dir} was written for another problem or network (the generated code differs)",
            help="resume with the same problem file, --width and --depth, or start a new run with --out",
        )
    keeps_settings(meta, config)
    phase = meta["phase"]
    dropped = set(meta["steps"]) - set(steppers)
    if any(
        (ABSENT_MEANS | current_names(meta["settings"])).get(phases.BY_NAME[p].budget) for p in dropped
    ):  # lm_steps given 0
        raise PinnError(
            f"the run in {run_dir} went through {', '.join(sorted(dropped))}, which these settings leave out",
            help="resume with that phase's step budget, or start a new run with --out",
        )
    if phase != phases.DONE and phase not in steppers or dropped:
        raise damaged(run_dir, f"its phase {phase!r} and steps {meta['steps']} do not fit its settings")
    more = extended(meta, config, meta.get("finisher", "lbfgs"))
    # the arrays of a run past a float64 phase are float64
    if any(phases.BY_NAME[p].float64 for p in steppers if phases.index(p) <= phases.index(phase)):
        params, weights = upcast(params), upcast(weights)
    params = from_arrays("params", params, arrays, run_dir)
    # a finished run holds the state of its last phase
    state_template = steppers[phase if phase != phases.DONE else list(meta["steps"])[-1]].optimizer.init(params)
    run = Run(
        phase=phase,
        steps={p: meta["steps"].get(p, 0) for p in steppers},
        params=params,
        opt_state=from_arrays("opt_state", state_template, arrays, run_dir),
        points=_stored_points(arrays),
        weights=from_arrays("weights", weights, arrays, run_dir),
        flat=meta["flat"],
        previous=meta["previous"],
        best=meta.get("best", math.inf),  # absent from checkpoints written before held-out points
        best_step=meta.get("best_step", 0),
        best_params=from_arrays("best_params", params, arrays, run_dir) if "best_params/0" in arrays else None,
        stall=meta.get("stall", 0),
        rounds=meta.get("rounds", 0),
        kept=dict(meta.get("held_out", {})),
        ended=dict(meta.get("ended", {})),
        history=list(meta["history"]),
        seconds_before=meta["seconds"],
    )
    if phase != phases.DONE:
        run.ended.pop(phase, None)  # stopped by the time limit: it goes on
    elif more:  # a finished run given more steps: the first phase with more starts afresh from its parameters
        run.ended.pop(more[0], None)
        run.kept.pop(more[0], None)
        run.enter(more[0], strong(steppers[more[0]].optimizer.init(run.params)))
    return run
