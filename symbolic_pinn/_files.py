"""Reading and writing user files without hanging, without unbounded reads, without losing work.

Every file the user names (a problem, a TOML file of settings, observations) is read
through :func:`read_bounded`: it must be a regular file (a FIFO would block forever,
``/dev/zero`` never ends), and at most ``limit + 1`` bytes are read, so a huge file is
refused before it fills the memory.  Files of results are written through
:func:`write_atomic`: a failed write (a full disk) leaves the old file, never half of one,
and no symbolic link is written through.  The files of a run directory are read back
without following symbolic links: JSON by :func:`read_json` (bounded), arrays by
:func:`read_npz` (each header checked before its data is read; nothing unpickled).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pathlib
import secrets
import stat
import tempfile
import typing
import zipfile
from collections.abc import Callable, Mapping

from ._errors import PinnError

__all__ = ["check_writable", "lock", "read_bounded", "read_json", "read_npz", "regular_file", "write_atomic"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def regular_file(path: pathlib.Path, help: str = "check the file name") -> None:
    """Refuse anything but an existing regular file (after symlinks), without opening it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise PinnError(f"cannot read {path}: {err.strerror}", help=help) from None
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a device, pipe or socket)"
        raise PinnError(f"cannot read {path}: it is {kind}", help="give the name of a file")


def read_bounded(
    path: str | os.PathLike, limit: int, help: str = "check the file name", *, follow: bool = True
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (at most ``limit + 1`` are read).

    ``follow=False`` refuses a symbolic link (a file of a run directory is never one: one
    that is may lead out of the directory).
    """
    path = pathlib.Path(path)
    if not follow and path.is_symlink():
        raise PinnError(f"cannot read {path}: it is a symbolic link", help=help)
    regular_file(path, help)
    try:
        # O_NONBLOCK: if the file became a FIFO since the check, opening it does not wait for a writer
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow else _NOFOLLOW)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise PinnError(f"cannot read {path}: it is not a regular file", help="give the name of a file")
            data = handle.read(limit + 1)
    except OSError as err:
        raise PinnError(f"cannot read {path}: {err.strerror}", help=help) from None
    if len(data) > limit:
        raise PinnError(f"cannot read {path}: it is larger than {limit:,} bytes", help="give a smaller file")
    return data


def write_atomic(path: pathlib.Path, data: bytes | Callable[[typing.BinaryIO], object]) -> None:
    """Write ``data`` (bytes, or a function writing to a binary handle) to ``path``: the file
    is either old or new, never half of one.

    The one way files of results are written.  The temporary file beside ``path`` gets a
    fresh random name and is created exclusively, never through a symbolic link; it is
    then renamed over ``path``, which is refused if it is a symbolic link (renaming would
    replace the link, not write through it, but a link there was not made by us).
    Raises OSError (the temporary file removed) when the write fails.
    """
    path = pathlib.Path(path)
    if path.is_symlink():
        raise OSError(errno.ELOOP, f"{path.name} is a symbolic link, not written through")
    while True:
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                data(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:  # a full disk, a signal: no half-written temporary stays behind
        temporary.unlink(missing_ok=True)
        raise


def read_json(path: pathlib.Path, limit: int, help: str):
    """The JSON value in a file of a run directory (at most ``limit`` bytes, not a symbolic link)."""
    data = read_bounded(path, limit, help, follow=False)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise PinnError(f"cannot read {path}: it is not JSON ({err})", help=help) from None


@contextlib.contextmanager
def lock(path: pathlib.Path, busy: str, help: str):
    """Hold an exclusive lock on the file ``path`` (created if need be) while the block runs;
    another holder gives a PinnError saying ``busy``.  The file stays: removing a lock file
    races with the next one to take it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o666)
    except OSError as err:
        raise PinnError(f"cannot lock {path}: {err.strerror}", help=help) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PinnError(busy, help=help) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_npz(path: pathlib.Path, expected: Mapping[str, tuple[int, ...]] | None = None) -> dict:
    """The arrays of an ``.npz`` file of a run, each array's header checked before its data is read.

    Nothing is unpickled (``allow_pickle=False``, and arrays of objects are refused from
    their header); with ``expected`` (name → shape), the file must hold exactly those
    arrays, of those shapes, of floats; without it, arrays of numbers whose sizes add up
    to at most the file's (an archive is written uncompressed: more is a zip bomb).
    Raises ValueError saying what is wrong (a truncated file too), OSError if unreadable.
    """
    import numpy as np

    if path.is_symlink():
        raise ValueError(f"{path.name} is a symbolic link")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        try:
            with zipfile.ZipFile(handle) as archive:
                members = [n for n in archive.namelist() if n.endswith(".npy")]
                if len(members) != len(archive.namelist()):
                    raise ValueError(f"{path.name} holds files that are not arrays")
                names = [n.removesuffix(".npy") for n in members]
                if expected is not None and set(names) != set(expected):
                    missing, extra = sorted(set(expected) - set(names)), sorted(set(names) - set(expected))
                    raise ValueError(
                        f"{path.name} does not hold this problem's parameters"
                        + (f": it lacks {', '.join(missing[:3])}" if missing else "")
                        + (f"; it has {', '.join(extra[:3])}, which this problem has not" if extra else "")
                    )
                total = 0
                for name in names:
                    shape, dtype = _npy_header(archive, name)
                    kinds = "f" if expected is not None else "biuf"
                    if dtype.kind not in kinds or dtype.hasobject:
                        kind = "floating-point numbers" if expected is not None else "numbers"
                        raise ValueError(f"array {name} of {path.name} holds {dtype}, not {kind}")
                    if expected is not None and tuple(shape) != tuple(expected[name]):
                        raise ValueError(
                            f"array {name} of {path.name} has shape {tuple(shape)}, this problem's "
                            f"{tuple(expected[name])}"
                        )
                    total += int(np.prod(shape, dtype=object)) * dtype.itemsize
                if total > size:
                    raise ValueError(f"the arrays of {path.name} claim {total:,} bytes, more than its {size:,}")
                arrays = {}
                for name in names:
                    with archive.open(name + ".npy") as member:
                        arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
                return arrays
        except (zipfile.BadZipFile, EOFError, KeyError, zipfile.LargeZipFile) as err:
            raise ValueError(f"{path.name} is not a readable .npz file ({err})") from None


def _npy_header(archive: zipfile.ZipFile, name: str):
    """The shape and dtype of one array of an archive, from its header alone."""
    import numpy as np

    with archive.open(name + ".npy") as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"array {name} has an unknown format {version}")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(member)
    return shape, dtype


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
