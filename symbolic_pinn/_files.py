"""Reading and writing user files without hanging, without unbounded reads, without losing work.

Every file the user names (a problem, a TOML file of settings, observations) is read
through :func:`read_bounded`: it must be a regular file (a FIFO would block forever,
``/dev/zero`` never ends), and at most ``limit + 1`` bytes are read, so a huge file is
refused before it fills the memory.  Files of results are written through
:func:`write_atomic`: a failed write (a full disk) leaves the old file, never half of one.
"""

from __future__ import annotations

import os
import pathlib
import stat
import tempfile

from ._errors import PinnError

__all__ = ["check_writable", "read_bounded", "regular_file", "write_atomic"]


def regular_file(path: pathlib.Path, help: str = "check the file name") -> None:
    """Refuse anything but an existing regular file (after symlinks), without opening it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise PinnError(f"cannot read {path}: {err.strerror}", help=help) from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a device, pipe or socket)"
        raise PinnError(f"cannot read {path}: it is {kind}", help="give the name of a file")


def read_bounded(path: str | os.PathLike, limit: int, help: str = "check the file name") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (at most ``limit + 1`` are read)."""
    path = pathlib.Path(path)
    regular_file(path, help)
    try:
        # O_NONBLOCK: if the file became a FIFO since the check, opening it does not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise PinnError(f"cannot read {path}: it is not a regular file", help="give the name of a file")
            data = handle.read(limit + 1)
    except OSError as err:
        raise PinnError(f"cannot read {path}: {err.strerror}", help=help) from None
    if len(data) > limit:
        raise PinnError(f"cannot read {path}: it is larger than {limit:,} bytes", help="give a smaller file")
    return data


def write_atomic(path: pathlib.Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file: the file is either old or new.

    Raises OSError (the temporary file removed) when the write fails.
    """
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def writable_directory(directory: pathlib.Path) -> None:
    """Create a run directory (and its parents) and make sure files can be written there,
    before any training: the one place a run directory is made (the run's writer and the
    trainer's checkpoints both come here)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PinnError(f"cannot create the run directory {directory}: {err.strerror}") from None
    check_writable(directory)


def check_writable(directory: pathlib.Path) -> None:
    """Refuse, before any work, a run directory that files cannot be created in."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as err:
        raise PinnError(
            f"cannot write in the run directory {directory}: {err.strerror}",
            help="give --out a directory you can write in; nothing was trained",
        ) from None
