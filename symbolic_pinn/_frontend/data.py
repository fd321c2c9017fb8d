"""Observations for inverse problems: read a CSV or NPZ file into named columns.

A CSV file has a header row naming its columns; an NPZ file names its arrays.  The
columns that matter are the problem's variables (the coordinates of each point) and
its fields (the observed values).  Errors say which file, which column, what to do.
"""

from __future__ import annotations

import csv
import io
import pathlib
import re
import zipfile

import numpy as np

from .._errors import PinnError
from .._files import read_bounded, regular_file
from .spec import DataSpec

__all__ = ["beside", "inside", "observations", "read_columns"]

MAX_ROWS = 1_000_000  # observations per file, CSV or NPZ
MAX_COLUMNS = 1_000
MAX_BYTES = 1 << 30  # a CSV file; an NPZ file's arrays are bounded by MAX_ROWS and MAX_COLUMNS
# A number as a CSV cell may spell it: ASCII digits, no "_" (Python's float() takes "1_0"
# and Arabic-Indic digits); nan and inf pass here and are refused as not finite below.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)", re.ASCII | re.IGNORECASE)


def inside(path: pathlib.Path, directory: pathlib.Path) -> bool:
    """Whether ``path``, symlinks resolved, lies in ``directory`` (or below).

    A problem reads observations from its own directory tree only: a problem file from
    elsewhere cannot make us read (and quote in an error) a file such as /etc/passwd.
    """
    return path.resolve().is_relative_to(directory.resolve())


def beside(name: str, base: pathlib.Path, what: str) -> pathlib.Path:
    """The file ``name`` of a problem (relative to ``base``, its directory), or a PinnError
    without a location (the checker adds the line's): outside ``base``, missing, or a
    symlink loop.  ``what`` says which file ("the data file", "the table file")."""
    path = base / name
    try:
        within = inside(path, base)
    except (OSError, RuntimeError):  # a symlink loop: RuntimeError before Python 3.13, OSError after
        raise PinnError(
            f"{what} '{name}' is a symbolic link that leads back to itself (looked for {path})",
            help="point the link at a file, or name the file itself",
        ) from None
    if not within:
        raise PinnError(
            f"{what} '{name}' is outside the problem's directory {base}",
            help="put the file beside the problem file (or in a folder below it) and name it relative to it",
        )
    if not path.exists():  # a FIFO or a device exists: read_columns refuses it with a reason
        raise PinnError(
            f"{what} '{name}' does not exist (looked for {path})", help="the path is relative to the problem file"
        )
    return path


def observations(name: str, base: pathlib.Path, fields: dict[str, tuple[str, ...]], intervals: dict) -> DataSpec:
    """The observations in the data file ``name`` (relative to ``base``, the problem's directory).

    ``fields`` maps each field to its variables, ``intervals`` each variable to (lo, hi).
    A column named after a field holds its observed values; a column per variable of
    those fields, their coordinates, inside the domain.  A variable no observed field
    takes gets the middle of its interval.  Errors are PinnErrors without a location
    (the checker adds the `data` line's).
    """
    path = beside(name, base, "the data file")
    columns = read_columns(path)
    observed = [f for f in fields if f in columns]
    if not observed:
        raise PinnError(
            f"'{name}' has no column named after a field (columns: {', '.join(columns)})",
            help=f"name the observed values' column after the field: {', '.join(fields)}",
        )
    variables = list(intervals)
    needed = sorted({v for f in observed for v in fields[f]}, key=variables.index)
    missing = [v for v in needed if v not in columns]
    if missing:
        raise PinnError(
            f"'{name}' has no column '{missing[0]}' for the coordinates of the observations",
            help=f"give a column per variable ({', '.join(needed)}) and per observed field",
        )
    for v in needed:
        lo, hi = intervals[v]
        if np.any(columns[v] < lo) or np.any(columns[v] > hi):
            raise PinnError(
                f"column '{v}' of '{name}' has points outside [{lo:g}, {hi:g}]",
                help="observations must lie in the domain",
            )
    n = len(columns[needed[0]])
    coordinates = {
        v: columns[v] if v in columns else np.full(n, (intervals[v][0] + intervals[v][1]) / 2) for v in variables
    }
    return DataSpec(name, str(path), coordinates, {f: columns[f] for f in observed})


def read_columns(path: pathlib.Path, what: str = "observations") -> dict[str, np.ndarray]:
    """The columns of a CSV, whitespace-separated text (.txt, a header line first) or NPZ file as float
    arrays of one length; ``what`` they hold names them in errors."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        columns = _read_csv(path, whitespace=suffix == ".txt")
    elif suffix == ".npz":
        columns = _read_npz(path)
    else:
        raise PinnError(
            f"cannot read {what} from '{path.name}'",
            help="give a .csv file with a header row, a .txt file of whitespace-separated columns under a "
            "header line, or a .npz file",
        )
    if len(columns) > MAX_COLUMNS:
        raise PinnError(f"'{path.name}' has {len(columns):,} columns; the limit is {MAX_COLUMNS:,}")
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise PinnError(
            f"the columns of '{path.name}' have different lengths: {lengths}",
            help="give one value per point in every column",
        )
    if not columns or not next(iter(lengths.values())):
        raise PinnError(f"'{path.name}' has no {what}", help="add rows of data")
    for name, values in columns.items():
        if not np.all(np.isfinite(values)):
            row = int(np.argmin(np.isfinite(values)))
            raise PinnError(f"column '{name}' of '{path.name}' has a value that is not a finite number (row {row + 1})")
    return columns


def _read_csv(path: pathlib.Path, whitespace: bool = False) -> dict[str, np.ndarray]:
    data = read_bounded(path, MAX_BYTES)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise PinnError(f"'{path.name}' is not UTF-8 text", help="save the CSV as UTF-8") from None
    if whitespace:  # columns separated by spaces or tabs: read as the CSV of the same cells
        text = "\n".join(",".join(line.split()) for line in text.splitlines())
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _header(path, next(reader, []))
        rows = []
        for number, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise PinnError(
                    f"line {number} of '{path.name}' has {len(row)} values, the header names {len(header)} columns",
                    help="give one value per column",
                )
            for name, cell in zip(header, row):
                if not _NUMBER.fullmatch(cell.strip()):
                    shown = cell.strip() if len(cell.strip()) <= 24 else cell.strip()[:24] + "…"
                    raise PinnError(
                        f"line {number} of '{path.name}' has a value that is not a number "
                        f"in column '{name}': {shown!r}",
                        help="write numbers like 0.25, -1e-3 (digits, a point, an exponent)",
                    )
            rows.append([float(cell) for cell in row])
            if len(rows) > MAX_ROWS:
                raise PinnError(f"'{path.name}' has more than {MAX_ROWS:,} rows", help="subsample the observations")
    except csv.Error as err:  # e.g. a cell longer than csv.field_size_limit()
        raise PinnError(f"'{path.name}' is not a readable CSV file (line {reader.line_num}): {err}") from None
    values = np.asarray(rows, dtype=float).reshape(-1, len(header))
    return {name: values[:, j] for j, name in enumerate(header)}


def _header(path: pathlib.Path, names: list[str]) -> list[str]:
    """The column names: names of variables and fields, each once."""
    header = [name.strip() for name in names]
    if not header:
        raise PinnError(f"'{path.name}' is empty", help="the first line names the columns, e.g. x,t,u")
    if len(header) > MAX_COLUMNS:
        raise PinnError(f"'{path.name}' has {len(header):,} columns; the limit is {MAX_COLUMNS:,}")
    for j, name in enumerate(header, start=1):
        if not name.isidentifier():
            raise PinnError(
                f"the first line of '{path.name}' is not a header of column names (column {j})",
                help="the first line names the columns after the variables and fields, e.g. x,t,u",
            )
        if header.index(name) != j - 1:
            raise PinnError(
                f"the header of '{path.name}' names column '{name}' twice",
                help="name each column once",
            )
    return header


def _read_npz(path: pathlib.Path) -> dict[str, np.ndarray]:
    regular_file(path)
    try:  # opened here: np.load leaves its own handle open when the archive is not one
        with open(path, "rb") as handle:
            if handle.read(2) != b"PK":  # np.load would read an .npy array whole, whatever its size
                raise PinnError(
                    f"'{path.name}' is not an NPZ archive (a zip of arrays)", help="write it with numpy.savez"
                )
            handle.seek(0)
            with np.load(handle, allow_pickle=False) as archive:
                return _npz_columns(path, archive)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise PinnError(f"cannot read '{path.name}' as NPZ: {err}", help="write it with numpy.savez") from None


def _npz_columns(path: pathlib.Path, archive) -> dict[str, np.ndarray]:
    """The arrays of an open NPZ archive, each checked from its header before it is read."""
    if len(archive.files) > MAX_COLUMNS:
        raise PinnError(f"'{path.name}' has {len(archive.files):,} arrays; the limit is {MAX_COLUMNS:,}")
    total = 0
    for name in archive.files:  # from the headers, before anything is decompressed
        total += _check_npz_array(path, name, _npy_header(archive, name))
    if total > MAX_BYTES // 8:  # as much as the largest CSV file holds
        raise PinnError(f"the arrays of '{path.name}' hold {total:,} values; the limit is {MAX_BYTES // 8:,}")
    return {name: np.asarray(archive[name], dtype=float).ravel() for name in archive.files}


def _npy_header(archive, name: str) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype of one array of an NPZ archive, read from its header only."""
    with archive.zip.open(name + ".npy") as member:
        version = np.lib.format.read_magic(member)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(member)
    return shape, dtype


def _check_npz_array(path: pathlib.Path, name: str, header) -> int:
    """Refuse an array that is not of real numbers or has too many values; returns its size."""
    shape, dtype = header
    if dtype.kind not in "biuf":
        raise PinnError(f"array '{name}' of '{path.name}' holds {dtype}, not real numbers", help="save float arrays")
    size = int(np.prod(shape, dtype=object))
    if size > MAX_ROWS:
        raise PinnError(
            f"array '{name}' of '{path.name}' has {size:,} values, more than {MAX_ROWS:,} rows",
            help="subsample the observations",
        )
    return size
