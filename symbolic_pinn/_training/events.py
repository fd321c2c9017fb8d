"""TensorBoard event files of a run (``tensorboard = true``): every row of the history, as it is written.

Each row of the history (every ``HISTORY_EVERY`` steps) becomes scalars at its global
step: ``loss/total`` and ``loss/<term>`` (each term's, unweighted), ``rel_l2/<field>``
(the error against an ``exact``), ``held_out``, and each phase's own columns
(``learning_rate``).  The files go into ``RUN_DIR/tensorboard/``; ``tensorboard --logdir
RUN_DIR`` shows them.

They are written with TensorBoard's own event writer and protocol buffers (the
``tensorboard`` package, without TensorFlow or PyTorch).  A resumed run opens a new
event file that starts with a session-start record one step after its checkpoint's step:
TensorBoard's reader then drops what the interrupted session wrote after the checkpoint,
so the scalars follow the history the run keeps, without a gap or a step counted twice.
"""

from __future__ import annotations

import pathlib
import time

from .._errors import PinnError
from . import monitor

__all__ = ["DIRECTORY", "EventLog", "tags", "open_log"]

DIRECTORY = "tensorboard"  # under the run directory
EVENT_FILES = "events.out.tfevents.*"  # how TensorBoard names its event files
UNLOGGED = ("step", "phase", "seconds")  # history columns that are not scalars (seconds: the event's wall time)
FLUSH_SECONDS = 5


def tags(row: dict) -> dict[str, float]:
    """The scalars of a history row, by TensorBoard tag.

    >>> tags({"step": 10, "phase": "adam", "loss": 2.0, "pde": 1.5, "rel_l2_u": 0.1, "learning_rate": 1e-3})
    {'loss/total': 2.0, 'loss/pde': 1.5, 'rel_l2/u': 0.1, 'learning_rate': 0.001}
    """
    out = {}
    for key, value in row.items():
        if key in UNLOGGED:
            continue
        if key == "loss":
            tag = "loss/total"
        elif key.startswith(monitor.ERROR_PREFIX):
            tag = "rel_l2/" + key.removeprefix(monitor.ERROR_PREFIX)
        elif key in monitor.EXTRA_COLUMNS:
            tag = key
        else:
            tag = f"loss/{key}"
        out[tag] = float(value)
    return out


class EventLog:
    """An open event file: :meth:`row` appends a history row's scalars; :meth:`close` flushes it."""

    def __init__(self, directory: pathlib.Path, resumed_at: int | None):
        from tensorboard.compat.proto import event_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._pb = event_pb2
        self.directory = directory
        if resumed_at is not None:
            _after(directory)
        self._writer = EventFileWriter(str(directory), flush_secs=FLUSH_SECONDS)
        if resumed_at is not None:
            start = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
            # the reader drops every earlier event of a step ≥ this one: those after the checkpoint
            self._writer.add_event(event_pb2.Event(wall_time=time.time(), step=resumed_at + 1, session_log=start))

    def row(self, row: dict) -> None:
        """Write the scalars of one history row at its step."""
        from tensorboard.compat.proto import summary_pb2

        values = [summary_pb2.Summary.Value(tag=tag, simple_value=v) for tag, v in tags(row).items()]
        summary = summary_pb2.Summary(value=values)
        self._writer.add_event(self._pb.Event(wall_time=time.time(), step=int(row["step"]), summary=summary))

    def close(self) -> None:
        self._writer.close()


def _after(directory: pathlib.Path) -> None:
    """Wait, if need be, until a new event file's name sorts after those in ``directory``.

    TensorBoard reads the files in the order of their names, which begin with the second
    they were opened in; a session resumed within the second the one before started (in a
    test, say) waits for the next one.
    """
    stamps = [p.name.split(".")[3] for p in directory.glob(EVENT_FILES)]
    latest = max((int(s) for s in stamps if s.isdigit()), default=0)
    while time.time() < latest + 1:
        time.sleep(0.05)


class _NoLog:
    def row(self, row: dict) -> None:
        pass

    def close(self) -> None:
        pass


def check(enabled: bool, run_dir) -> None:
    """Refuse ``tensorboard = true`` without a run directory, or without the ``tensorboard`` package."""
    if not enabled:
        return
    if run_dir is None:
        raise PinnError(
            "tensorboard = true writes event files into the run directory, and this run has none",
            help="give a run directory (problem.train(run_dir, tensorboard=True), or --out DIR), or leave it off",
        )
    try:
        import tensorboard.summary.writer.event_file_writer  # noqa: F401
    except ImportError:
        raise PinnError(
            "tensorboard = true needs the tensorboard package, which is not installed",
            help="pip install symbolic-pinn[tensorboard] (or pip install tensorboard), or leave tensorboard off",
        ) from None


def open_log(enabled: bool, run_dir, resumed_at: int | None, leader: bool = True):
    """An :class:`EventLog` in ``run_dir/tensorboard`` (``resumed_at``: the step a resumed run starts at),
    or one that writes nothing when logging is off or this process is not the one that writes.

    The event files of an earlier run that a new one replaces (``--overwrite``) are removed
    with its other files, as its list of files names them (``_product.run``): nothing here
    removes a file.
    """
    if not (enabled and leader):
        return _NoLog()
    check(enabled, run_dir)
    directory = pathlib.Path(run_dir) / DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    return EventLog(directory, resumed_at)
