"""Checkpoints of a training run: arrays in ``.npz``, everything else in JSON; no pickle.

A run directory holds ``checkpoint.json`` (step, phase, settings, history, ...) and the
``checkpoint-<step>.npz`` of arrays it names, with that file's sha256.  A new checkpoint
is written beside the old one and becomes current when ``checkpoint.json`` is replaced
(atomically); only then are the old arrays removed, so a crash at any moment leaves one
complete checkpoint behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

import numpy as np

from ._errors import PinnError

__all__ = ["exists", "load", "save"]

INDEX = "checkpoint.json"


def exists(run_dir: str | os.PathLike) -> bool:
    """Whether ``run_dir`` holds a checkpoint."""
    return (pathlib.Path(run_dir) / INDEX).is_file()


def save(run_dir: str | os.PathLike, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``meta`` (JSON-able) as the run's current checkpoint."""
    run_dir = pathlib.Path(run_dir)
    name = f"checkpoint-{meta['step']:08d}.npz"
    _replace(run_dir / name, lambda handle: np.savez(handle, **arrays))
    previous = _current_arrays(run_dir)
    index = dict(meta, arrays=name, arrays_sha256=_sha256(run_dir / name))
    text = json.dumps(index, indent=1) + "\n"
    _replace(run_dir / INDEX, lambda handle: handle.write(text.encode()))
    if previous is not None and previous != name:
        (run_dir / previous).unlink(missing_ok=True)


def load(run_dir: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """The run's current checkpoint: its ``meta`` and its arrays."""
    run_dir = pathlib.Path(run_dir)
    if not exists(run_dir):
        raise PinnError(
            f"no checkpoint in {run_dir}",
            help="--resume takes the --out directory of an earlier `symbolic-pinn train` run",
        )
    try:
        meta = json.loads((run_dir / INDEX).read_text())
        path = run_dir / meta["arrays"]
        if _sha256(path) != meta["arrays_sha256"]:
            raise ValueError(f"{path.name} does not match the sha256 recorded in {INDEX}")
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise PinnError(
            f"the checkpoint in {run_dir} is damaged: {err}", help="start a new run with --out"
        ) from None
    return meta, arrays


def saved_settings(run_dir: str | os.PathLike) -> dict:
    """The settings (network and training) of the checkpoint in ``run_dir``."""
    meta, _ = load(run_dir)
    return dict(meta["settings"])


def _current_arrays(run_dir: pathlib.Path) -> str | None:
    try:
        return json.loads((run_dir / INDEX).read_text())["arrays"]
    except (OSError, ValueError, KeyError):
        return None


def _replace(path: pathlib.Path, write) -> None:
    """Write a file through a temporary one, so it is either old or new, never half."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
