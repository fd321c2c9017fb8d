"""The run directory against hostile or careless input: what `train --out`, `load` and `eval`
read and write there (issue #27).

A run carries what `load` needs (its problem text and copies of its data files) and is read
back bounded, checked, without following a path or a link out of it; a training writes only
into its directory, through files that never follow a symbolic link, refuses a directory
of the user's own files, removes of an earlier run only the files that run listed, and holds
a lock.  One tiny inverse run (observations in obs.csv) is trained once and copied.
"""

import contextlib
import io
import json
import os
import pathlib
import shutil
import zipfile

import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn import PinnError
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._product import run as _run

PROBLEM = (
    "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nunknown k = 0.5\nDt(u) = k*Dxx(u)\n"
    'u = sin(pi*x) at t = 0\nu = 0 at x = 0\nu = 0 at x = 1\ndata "obs.csv"\n'
)
OBS = "x,t,u\n0.5,0.5,0.3\n0.25,0.5,0.2\n"
FLAGS = ["--steps", "2", "--lbfgs-steps", "0", "--width", "4", "--depth", "1", "--no-progress"]
FLAGS += ["--interior-points", "8", "--boundary-points", "8", "--face-points", "8", "--checkpoint-every", "0"]


def main(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _cli.main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def problem_in(directory: pathlib.Path, name: str = "heat.pinn") -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "obs.csv").write_text(OBS)
    path = directory / name
    path.write_text(PROBLEM)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(problem file, run directory) of one tiny CLI training, to be copied, never changed."""
    home = tmp_path_factory.mktemp("trained")
    problem = problem_in(home / "problem")
    run = home / "run"
    code, _, err = main("train", problem, "--out", run, *FLAGS)
    assert code == 0, err
    return problem, run


@pytest.fixture
def run_copy(trained, tmp_path):
    """A copy of the trained run, alone in a folder: its problem and observations are elsewhere."""
    _, run = trained
    copy = tmp_path / "copy" / "run"
    shutil.copytree(run, copy, symlinks=True)
    return copy


def error_of(call) -> PinnError:
    with pytest.raises(PinnError) as caught:
        call()
    return caught.value


def rewrite_metrics(run: pathlib.Path, change) -> None:
    path = run / _run.METRICS_FILE
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


# ---- a run carries what load needs, and load reads nothing outside it ---------------------


def test_a_run_loads_and_evaluates_with_its_problem_and_observations_gone(trained, run_copy, tmp_path):
    """The data file is copied into the run: moving obs.csv (or the whole problem) away changes nothing."""
    problem, run = trained
    assert (run / _run.INPUTS / "obs.csv").read_text() == OBS
    assert "problem_path" not in json.loads((run / _run.METRICS_FILE).read_text())
    loaded = symbolic_pinn.load(run_copy)  # the copy's problem folder does not exist
    assert set(loaded.unknowns) == {"k"}
    code, out, err = main("eval", run_copy, "--grid", "3")
    assert code == 0, err
    assert out.splitlines()[0] == "x,t,u" and len(out.splitlines()) == 10


def test_metrics_naming_a_problem_elsewhere_is_not_followed(run_copy, tmp_path):
    """A metrics.json that names another problem (and its data: /etc/passwd's folder) is not followed."""
    secret = problem_in(tmp_path / "elsewhere")
    (secret.parent / "obs.csv").write_text("SECRET-LINE\n")
    rewrite_metrics(run_copy, lambda m: m | {"problem": str(secret), "problem_path": str(secret)})
    loaded = symbolic_pinn.load(run_copy)  # read from the run's own copies, not from elsewhere
    assert loaded.problem.spec.data[0].path.startswith(str(run_copy))
    (run_copy / _run.INPUTS / "obs.csv").unlink()
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert "SECRET" not in err.render() and str(secret.parent) not in err.render()
    assert f"{run_copy / _run.INPUTS / 'obs.csv'}" in err.message and "is missing" in err.message


def test_a_symlink_in_the_run_to_a_file_outside_is_not_read(run_copy, tmp_path):
    outside = tmp_path / "outside.pinn"
    outside.write_text("SECRET-TEXT\n")
    (run_copy / _run.PROBLEM_FILE).unlink()
    (run_copy / _run.PROBLEM_FILE).symlink_to(outside)
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert "symbolic link" in err.message and "SECRET" not in err.render()
    shutil.rmtree(run_copy / _run.INPUTS)
    (run_copy / _run.INPUTS).symlink_to(tmp_path)
    (run_copy / _run.PROBLEM_FILE).unlink()
    (run_copy / _run.PROBLEM_FILE).write_text(PROBLEM)
    rewrite_metrics(run_copy, lambda m: {k: v for k, v in m.items() if k != _run.SHA256})
    assert "symbolic link" in error_of(lambda: symbolic_pinn.load(run_copy)).message


def test_an_edited_problem_text_is_refused_naming_the_file(run_copy):
    """Evaluating the old parameters for an edited problem would be a silently different problem."""
    path = run_copy / _run.PROBLEM_FILE
    path.write_text(path.read_text().replace("unknown k = 0.5", "unknown k = 0.7"))
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert f"{path} was changed after training" in err.message
    assert "own copies" in err.help and "another" not in err.message
    code, _, stderr = main("eval", run_copy, "--grid", "3")
    assert code == 1 and "was changed after training" in stderr and "Traceback" not in stderr


def test_an_edited_copy_of_the_observations_is_refused(run_copy):
    (run_copy / _run.INPUTS / "obs.csv").write_text(OBS + "0.75,0.5,0.1\n")
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert "inputs/obs.csv was changed after training" in err.message


# ---- metrics.json, params.npz, history.csv: bounded, checked, never trusted ---------------


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda m: [m], "holds a list, not an object"),
        (lambda m: m | {"settings": "wide"}, "'settings' in"),
        (lambda m: m | {"settings": m["settings"] | {"width": 4.5}}, "setting 'width'"),
        (lambda m: m | {"settings": m["settings"] | {"depth": "3"}}, "setting 'depth'"),
        (lambda m: m | {"settings": m["settings"] | {"depth": 0}}, "depth"),
        (lambda m: m | {"settings": m["settings"] | {"adam_steps": -1}}, "adam_steps"),
        (lambda m: m | {_run.SHA256: {"../../etc/passwd": "0"}}, "sha256"),
    ],
    ids=["a list", "settings a string", "width 4.5", "depth a string", "depth 0", "negative steps", "a hash outside"],
)
def test_damaged_metrics_are_located_errors(run_copy, damage, message):
    rewrite_metrics(run_copy, damage)
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert message in err.message and str(run_copy / _run.METRICS_FILE) in err.message
    assert "compile()" not in err.render() and err.help


def test_huge_metrics_are_refused_unread(run_copy, monkeypatch):
    monkeypatch.setattr(_run, "MAX_JSON_BYTES", 100)
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert "larger than 100 bytes" in err.message


def _params(run: pathlib.Path) -> dict:
    with np.load(run / _run.PARAMS_FILE) as saved:
        return {k: saved[k] for k in saved.files}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p, path: path.write_bytes(path.read_bytes()[:300]), "not a readable .npz"),
        (lambda p, path: np.savez(path, **{k: np.zeros(v.shape + (2,)) for k, v in p.items()}), "has shape"),
        (lambda p, path: np.savez(path, **dict(list(p.items())[1:])), "it lacks"),
        (lambda p, path: np.savez(path, **p, extra=np.zeros(3)), "it has extra"),
        (
            lambda p, path: np.savez(path, **{k: np.array([{}] * v.size).reshape(v.shape) for k, v in p.items()}),
            "object",
        ),
        (lambda p, path: np.savez(path, **{k: v.astype(int) for k, v in p.items()}), "not floating-point"),
    ],
    ids=["truncated", "wrong shape", "an array missing", "an array extra", "object arrays", "integers"],
)
def test_damaged_parameters_are_located_errors(run_copy, damage, message):
    path = run_copy / _run.PARAMS_FILE
    damage(_params(run_copy), path)
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert message in err.message and str(path) in err.message and "train again" in err.help


def test_a_zip_bomb_of_parameters_is_refused_before_its_data_is_read(run_copy, monkeypatch):
    """A compressed array whose header claims far more than the file holds: refused from the header."""
    params = _params(run_copy)
    path = run_copy / _run.PARAMS_FILE
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in params.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, np.zeros((1024, 1024)) if name.endswith("[0][0]") else value)
    read = []
    monkeypatch.setattr(np.lib.format, "read_array", lambda *a, **k: read.append(a))
    err = error_of(lambda: symbolic_pinn.load(run_copy))
    assert "has shape (1024, 1024)" in err.message and read == []


def test_a_checkpoint_naming_its_problem_as_a_string_is_damaged(trained, run_copy):
    problem, _ = trained
    index = run_copy / "checkpoint.json"
    index.write_text(json.dumps(json.loads(index.read_text()) | {"problem": "poisson.pinn"}))
    code, _, err = main("train", problem, "--resume", run_copy, "--no-progress")
    assert code == 1 and "is damaged: 'problem' in checkpoint.json" in err and "Traceback" not in err


def test_a_checkpoint_of_object_arrays_is_damaged_unpickled(run_copy):
    from symbolic_pinn._training import checkpoint

    run = run_copy
    meta = json.loads((run / checkpoint.INDEX).read_text())
    arrays = run / meta["arrays"]
    np.savez(arrays, **{"params/0": np.array([{"a": 1}], dtype=object)})
    meta["arrays_sha256"] = checkpoint._sha256(arrays)
    (run / checkpoint.INDEX).write_text(json.dumps(meta))
    err = error_of(lambda: checkpoint.load(run))
    assert "is damaged" in err.message and "object, not numbers" in err.message


# ---- writing: never through a symbolic link, never outside, never over the user's files --


def test_symlinks_named_like_run_files_are_not_written_through(trained, tmp_path):
    problem, _ = trained
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in ["loss.py.tmp", "metrics.json.tmp"]:
        (out / name).symlink_to(victim)
    code, _, err = main("train", problem, "--out", out, *FLAGS)
    assert code == 0, err
    assert victim.read_text() == "precious" and (out / "loss.py.tmp").is_symlink()
    out2 = tmp_path / "out2"
    out2.mkdir()
    (out2 / "loss.png").symlink_to(victim)
    code, _, err = main("train", problem, "--out", out2, *FLAGS)
    assert code == 1 and "no run wrote" in err and victim.read_text() == "precious"


def test_write_atomic_refuses_a_link_and_leaves_no_temporary(tmp_path):
    from symbolic_pinn import _files

    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "out.csv").symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        _files.write_atomic(tmp_path / "out.csv", b"new")
    assert victim.read_text() == "precious" and sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "victim"]


@pytest.mark.parametrize("name", ["...pinn", "..pinn", ".pinn", "a b/..pinn"])
def test_the_default_run_directory_is_one_safe_folder_below_runs(name):
    path = _run.default_dir(name)
    assert path.parent == pathlib.Path("runs") and path.name not in ("", ".", "..")
    assert len(path.parts) == 2 and not path.name.startswith(".")


def test_a_problem_named_dot_dot_pinn_does_not_write_into_the_current_directory(trained, tmp_path, monkeypatch):
    problem, _ = trained
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(problem, home / "...pinn")
    shutil.copy(problem.parent / "obs.csv", home / "obs.csv")
    (home / "runs").mkdir()
    (home / "loss.py").write_text("# the user's own")
    monkeypatch.chdir(home)
    code, _, err = main("train", "...pinn", *FLAGS)
    assert code == 0, err
    assert (home / "loss.py").read_text() == "# the user's own" and (home / "runs" / "run" / "loss.py").is_file()


def test_a_directory_of_the_users_own_files_is_refused_untouched(trained, tmp_path):
    problem, _ = trained
    out = tmp_path / "mine"
    out.mkdir()
    for name in ["loss.py", "history.csv", "problem.pinn"]:
        (out / name).write_text(f"my {name}")
    for flags in ([], ["--overwrite"]):
        code, _, err = main("train", problem, "--out", out, *FLAGS, *flags)
        assert code == 1 and "holds files that no run wrote" in err and "nothing was changed" in err
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "loss.py", "problem.pinn"]
    assert all((out / n).read_text() == f"my {n}" for n in ["loss.py", "history.csv", "problem.pinn"])


def test_overwrite_removes_only_the_files_the_run_listed(trained, run_copy):
    problem, _ = trained
    (run_copy / "solution_sketch.png").write_bytes(b"the user's sketch")
    (run_copy / "checkpoint-backup.npz").write_bytes(b"the user's backup")
    (run_copy / "notes.txt").write_text("mine")
    code, _, err = main("train", problem, "--out", run_copy, *FLAGS, "--overwrite")
    assert code == 0, err
    assert "removing" in err and "solution_sketch.png" not in err and "checkpoint-backup.npz" not in err
    assert (run_copy / "solution_sketch.png").read_bytes() == b"the user's sketch"
    assert (run_copy / "checkpoint-backup.npz").read_bytes() == b"the user's backup"
    assert (run_copy / "notes.txt").read_text() == "mine"


def test_overwrite_with_a_bad_setting_leaves_the_earlier_run(run_copy, trained):
    problem, _ = trained
    before = {p: p.read_bytes() for p in run_copy.rglob("*") if p.is_file()}
    code, _, err = main("train", problem, "--out", run_copy, *FLAGS, "--overwrite", "--devices", "64")
    assert code == 1 and "devices is 64" in err and "removing" not in err
    assert {p: p.read_bytes() for p in run_copy.rglob("*") if p.is_file()} == before


def test_overwrite_of_a_run_without_a_list_of_its_files_is_refused(tmp_path, trained):
    problem, _ = trained
    for name in ["metrics.json", "params.npz", "solution_sketch.png"]:
        (tmp_path / name).write_text("old")
    code, _, err = main("train", problem, "--out", tmp_path, *FLAGS, "--overwrite")
    assert code == 1 and "kept no list" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "params.npz", "solution_sketch.png"]


def test_a_second_training_into_a_held_directory_is_refused(trained, run_copy):
    from symbolic_pinn import _files

    problem, _ = trained
    before = sorted(p.name for p in run_copy.iterdir())
    with _files.lock(run_copy / _run.LOCK_FILE, "busy", "wait"):  # as a training in another process holds it
        code, _, err = main("train", problem, "--out", run_copy, *FLAGS, "--overwrite")
        assert code == 1 and "another training is writing into" in err
        code, _, err = main("train", problem, "--resume", run_copy, "--no-progress")
        assert code == 1 and "another training is writing into" in err
    assert sorted(p.name for p in run_copy.iterdir()) == before


# ---- eval --out ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["params.npz", "metrics.json", "history.csv", "inputs/obs.csv"])
def test_eval_does_not_write_over_the_runs_own_files(run_copy, name):
    before = (run_copy / name).read_bytes()
    code, _, err = main("eval", run_copy, "--grid", "3", "--out", run_copy / name)
    assert code == 1 and "is a file of the run" in err
    assert (run_copy / name).read_bytes() == before


def test_eval_on_a_full_disk_leaves_the_old_output(run_copy, tmp_path, monkeypatch):
    out = tmp_path / "values.csv"
    out.write_text("the user's earlier values\n")
    real = os.fsync

    def full(fd):
        real(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = main("eval", run_copy, "--grid", "3", "--out", out)
    assert code == 1 and "No space left on device" in err
    assert out.read_text() == "the user's earlier values\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "copy",
        "values.csv",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [('"a string"', "holds a str, not an object"), ("[]", "holds a list"), ("[" * 100_000, "not JSON")],
    ids=["a string", "a list", "nested too deep"],
)
def test_a_checkpoint_index_that_is_not_an_object_is_damaged(run_copy, trained, content, message):
    problem, _ = trained
    (run_copy / "checkpoint.json").write_text(content)
    code, _, err = main("train", problem, "--resume", run_copy, "--no-progress")
    assert code == 1 and f"the checkpoint in {run_copy} is damaged" in err and message in err
    assert "Traceback" not in err and "internal error" not in err


def test_a_huge_checkpoint_index_is_refused_unread(run_copy, trained, monkeypatch):
    from symbolic_pinn._training import checkpoint

    monkeypatch.setattr(checkpoint, "MAX_INDEX_BYTES", 100)
    err = error_of(lambda: checkpoint.index(run_copy))
    assert "is damaged" in err.message and "larger than 100 bytes" in err.message
