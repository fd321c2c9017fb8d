"""TensorBoard event files (``tensorboard = true``): read back with TensorBoard's own reader, they
hold the history's numbers at the history's steps, and a resumed run continues them."""

import csv
import math
import time

import pytest

import symbolic_pinn
from symbolic_pinn._training.train import TrainConfig, train

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

POISSON_1D = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 at x = 0\nu = 0 at x = 1\nexact u = sin(pi*x)"
SETTINGS = dict(
    adam_steps=40, bfgs_steps=20, finisher="lbfgs", holdout_every=10, interior_points=32, boundary_points=8,
    error_every=20, checkpoint_every=20, progress=False, tensorboard=True,
)  # fmt: skip


@pytest.fixture(scope="module")
def poisson():
    return symbolic_pinn.compile(POISSON_1D, width=6, depth=1, hard_constraints=False)


def scalars(run_dir) -> dict[str, dict[int, float]]:
    """Every scalar of the run's event files, by tag and step, as TensorBoard reads them."""
    reader = event_accumulator.EventAccumulator(str(run_dir / "tensorboard"))
    reader.Reload()
    out = {}
    for tag in reader.Tags()["scalars"]:
        steps = [e.step for e in reader.Scalars(tag)]
        assert steps == sorted(set(steps)), f"{tag}: steps {steps} (none twice, in order)"
        out[tag] = {e.step: e.value for e in reader.Scalars(tag)}
    return out


def history_csv(run_dir) -> dict[str, dict[int, float]]:
    """history.csv, read as text, by column and step (blanks left out)."""
    with open(run_dir / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = {}
    for row in rows:
        for key, value in row.items():
            if key not in ("step", "phase", "seconds") and value:
                out.setdefault(key, {})[int(row["step"])] = float(value)
    return out


# history column → tag, written out here (not read from the module under test)
def tag(column: str) -> str:
    if column == "loss":
        return "loss/total"
    if column.startswith("rel_l2_"):
        return "rel_l2/" + column.removeprefix("rel_l2_")
    if column in ("learning_rate", "held_out"):
        return column
    return "loss/" + column


def assert_same(events: dict, history: dict) -> None:
    assert {"loss", "rel_l2_u", "learning_rate", "held_out"} <= set(history)
    assert set(events) == {tag(c) for c in history}
    for column, by_step in history.items():
        logged = events[tag(column)]
        assert logged.keys() == by_step.keys(), column
        for step, value in by_step.items():  # event files hold float32
            assert math.isclose(logged[step], value, rel_tol=1e-6, abs_tol=1e-30), (column, step)


def test_event_files_hold_the_history(poisson, tmp_path):
    poisson.train(tmp_path, plots=False, **SETTINGS)
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert_same(scalars(tmp_path), history_csv(tmp_path))


def test_a_resumed_run_continues_its_event_files(poisson, tmp_path):
    class Crash(Exception):
        pass

    def crash(done: int) -> None:
        if done == 25:  # a crash after the checkpoint of step 20: resumed, the steps 21-25 are taken again
            raise Crash

    with pytest.raises(Crash):
        train(poisson, TrainConfig(**SETTINGS), tmp_path, on_step=crash)
    assert max(scalars(tmp_path)["loss/total"]) == 21  # written before the crash, to be dropped on resume
    poisson.train(tmp_path, resume=True, plots=False)
    assert len(list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))) == 2
    history = history_csv(tmp_path)
    assert max(history["loss"]) > 40  # the finisher's rows are there too
    assert_same(scalars(tmp_path), history)


def test_overwrite_removes_the_event_files_of_the_run_it_replaces_and_no_others(poisson, tmp_path):
    """The event files a run wrote are in its list of files (files.json), so --overwrite removes
    them; an event file no run wrote stays (a run never deletes a file it did not write)."""
    stale = tmp_path / "tensorboard" / "events.out.tfevents.1.host.1.0"
    stale.parent.mkdir()
    stale.write_bytes(b"")
    poisson.train(tmp_path, plots=False, **SETTINGS | {"tensorboard": True})
    first = set((tmp_path / "tensorboard").glob("events.out.tfevents.*")) - {stale}
    assert len(first) == 1 and stale.exists()
    time.sleep(1.1)  # TensorBoard names its files by the second
    poisson.train(tmp_path, plots=False, overwrite=True, **SETTINGS | {"tensorboard": True})
    second = set((tmp_path / "tensorboard").glob("events.out.tfevents.*")) - {stale}
    assert stale.exists() and len(second) == 1 and not second & first


def test_tensorboard_without_a_run_directory_is_refused(poisson):
    with pytest.raises(symbolic_pinn.PinnError, match="run directory"):
        poisson.train(adam_steps=1, bfgs_steps=0, progress=False, tensorboard=True)


def test_tensorboard_missing_names_the_extra(poisson, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboard.summary.writer.event_file_writer", None)
    with pytest.raises(symbolic_pinn.PinnError) as caught:
        poisson.train(tmp_path, adam_steps=1, bfgs_steps=0, progress=False, tensorboard=True)
    assert "pip install symbolic-pinn[tensorboard]" in caught.value.help
    assert not list(tmp_path.glob("*"))
