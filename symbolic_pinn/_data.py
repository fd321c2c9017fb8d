"""Observations for inverse problems: read a CSV or NPZ file into named columns.

A CSV file has a header row naming its columns; an NPZ file names its arrays.  The
columns that matter are the problem's variables (the coordinates of each point) and
its fields (the observed values).  Errors say which file, which column, what to do.
"""

from __future__ import annotations

import csv
import pathlib
import zipfile

import numpy as np

from ._errors import PinnError

__all__ = ["read_columns"]

MAX_ROWS = 1_000_000


def read_columns(path: pathlib.Path) -> dict[str, np.ndarray]:
    """The columns of a CSV or NPZ file as float arrays of one length."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns = _read_csv(path)
    elif suffix == ".npz":
        columns = _read_npz(path)
    else:
        raise PinnError(f"cannot read observations from '{path.name}'", help="give a .csv file with a header row, or a .npz file")
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise PinnError(f"the columns of '{path.name}' have different lengths: {lengths}", help="give one value per point in every column")
    if not columns or not next(iter(lengths.values())):
        raise PinnError(f"'{path.name}' has no observations", help="add rows of data")
    for name, values in columns.items():
        if not np.all(np.isfinite(values)):
            row = int(np.argmin(np.isfinite(values)))
            raise PinnError(f"column '{name}' of '{path.name}' has a value that is not a finite number (row {row + 1})")
    return columns


def _read_csv(path: pathlib.Path) -> dict[str, np.ndarray]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            rows = []
            for number, row in enumerate(reader, start=2):
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise PinnError(
                        f"line {number} of '{path.name}' has {len(row)} values, the header names {len(header)} columns",
                        help="give one value per column",
                    )
                try:
                    rows.append([float(cell) for cell in row])
                except ValueError:
                    raise PinnError(f"line {number} of '{path.name}' has a value that is not a number: {row}") from None
                if len(rows) > MAX_ROWS:
                    raise PinnError(f"'{path.name}' has more than {MAX_ROWS:,} rows", help="subsample the observations")
    except UnicodeDecodeError:
        raise PinnError(f"'{path.name}' is not UTF-8 text", help="save the CSV as UTF-8") from None
    except OSError as err:
        raise PinnError(f"cannot read '{path}': {err.strerror}") from None
    data = np.asarray(rows, dtype=float).reshape(-1, len(header))
    return {name: data[:, j] for j, name in enumerate(header)}


def _read_npz(path: pathlib.Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: np.asarray(archive[name], dtype=float).ravel() for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise PinnError(f"cannot read '{path.name}' as NPZ: {err}", help="write it with numpy.savez") from None
