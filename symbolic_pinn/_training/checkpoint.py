"""Checkpoints of a training run: arrays in ``.npz``, everything else in JSON; no pickle.

A run directory holds ``checkpoint.json`` (step, phase, settings, history, ...) and the
``checkpoint-<step>.npz`` of arrays it names, with that file's sha256.  A new checkpoint
is written beside the old one and becomes current when ``checkpoint.json`` is replaced
(atomically); only then are the old arrays removed, so a crash at any moment leaves one
complete checkpoint behind; the temporary files a crash leaves are removed by the next
save.  A ``checkpoint.json`` that was edited by hand or damaged (a key missing, a value of
the wrong type) is refused as damaged, with the ways on, before any of it is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import zipfile

import numpy as np

from .._config import ABSENT_MEANS
from .._errors import PinnError

__all__ = ["exists", "load", "save"]

INDEX = "checkpoint.json"
FILES = (INDEX, "checkpoint-*.npz")  # a checkpoint's files, as glob patterns: its index and its arrays


def exists(run_dir: str | os.PathLike) -> bool:
    """Whether ``run_dir`` holds a checkpoint."""
    return (pathlib.Path(run_dir) / INDEX).is_file()


def save(run_dir: str | os.PathLike, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``meta`` (JSON-able) as the run's current checkpoint."""
    run_dir = pathlib.Path(run_dir)
    _remove_leftovers(run_dir)
    name = f"checkpoint-{meta['step']:08d}.npz"
    _replace(run_dir / name, lambda handle: np.savez(handle, **arrays))
    previous = _current_arrays(run_dir)
    index = dict(meta, arrays=name, arrays_sha256=_sha256(run_dir / name))
    text = json.dumps(index, indent=1) + "\n"
    _replace(run_dir / INDEX, lambda handle: handle.write(text.encode()))
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
        meta = json.loads((run_dir / INDEX).read_text())
        _validate(meta)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise damaged(run_dir, str(err)) from None
    return meta


def load(run_dir: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The run's current checkpoint: its ``meta`` and its arrays."""
    run_dir = pathlib.Path(run_dir)
    meta = index(run_dir)
    try:
        path = run_dir / meta["arrays"]
        if _sha256(path) != meta["arrays_sha256"]:
            raise ValueError(f"{path.name} does not match the sha256 recorded in {INDEX}")
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as err:
        raise damaged(run_dir, str(err)) from None
    return meta, arrays


def saved_settings(run_dir: str | os.PathLike) -> dict:
    """The settings (network and training) of the checkpoint in ``run_dir``, type-checked."""
    from .._settings import SETTINGS, check

    meta = index(run_dir)
    known = {s.name for s in SETTINGS}  # a setting no longer known is ignored
    settings = ABSENT_MEANS | meta["settings"]  # one added since then has the value that run had
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
_PHASES = ("adam", "lbfgs", "bfgs", "lm", "done")


def _validate(meta) -> None:
    """Raise ValueError (TypeError) naming the first key of ``meta`` that is missing or of the wrong type."""
    if not isinstance(meta, dict):
        raise TypeError(f"{INDEX} holds a {type(meta).__name__}, not an object")
    for key, kind in _SCHEMA.items():
        if key not in meta:
            raise ValueError(f"{INDEX} has no '{key}'")
        value = meta[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ValueError(f"'{key}' in {INDEX} is {value!r}, of the wrong type")
    if meta["phase"] not in _PHASES:
        raise ValueError(f"'phase' in {INDEX} is {meta['phase']!r}, not one of {', '.join(_PHASES)}")
    steps = meta["steps"]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in steps.values()):
        raise ValueError(f"'steps' in {INDEX} must count steps per phase: {steps!r}")
    if not set(steps) <= set(_PHASES) or "adam" not in steps or not {"lbfgs", "bfgs"} & set(steps):
        raise ValueError(f"'steps' in {INDEX} must name the phases adam and lbfgs or bfgs: {steps!r}")
    if not all(isinstance(row, dict) for row in meta["history"]):
        raise ValueError(f"'history' in {INDEX} must be a list of rows")
    if pathlib.PurePath(meta["arrays"]).name != meta["arrays"] or not meta["arrays"].endswith(".npz"):
        raise ValueError(f"'arrays' in {INDEX} must name a .npz file beside it, not {meta['arrays']!r}")


def _current_arrays(run_dir: pathlib.Path) -> str | None:
    try:
        return json.loads((run_dir / INDEX).read_text())["arrays"]
    except (OSError, ValueError, KeyError):
        return None


def _replace(path: pathlib.Path, write) -> None:
    """Write a file through a temporary one, so it is either old or new, never half."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:  # a full disk, a signal: no half-written temporary stays behind
        temporary.unlink(missing_ok=True)
        raise


def _remove_leftovers(run_dir: pathlib.Path) -> None:
    """Remove the temporary files of a write that a crash (or a kill) interrupted."""
    for path in [run_dir / (INDEX + ".tmp"), *run_dir.glob("checkpoint-*.npz.tmp")]:
        path.unlink(missing_ok=True)


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
