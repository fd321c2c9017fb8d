"""Two processes on localhost train together (jax.distributed, gloo) and reach one process's parameters.

Both are started with ``symbolic-pinn train --coordinator localhost:PORT
--num-processes 2 --process-id I``; each has one CPU device, so the mesh has two
devices in two processes and every sum of the loss crosses between them.  Each process
holds its share of the interior points (64: 32 each) and both the whole of a face's
(3, which two devices do not divide); the points are resampled and refined (RAR) and
the weights adapted during the run, so every step that reads or replaces points runs
split over the pair.
"""

import functools
import json
import os
import shutil
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

import symbolic_pinn

PROBLEM = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 at x = 0\nu = 0 at x = 1\nexact u = sin(pi*x)\n"
SETTINGS = {"adam_steps": 10, "lbfgs_steps": 0, "interior_points": 64, "face_points": 3, "error_every": 0, "seed": 3}
# resampled at step 4 and 8, refined at 3, 6 and 9, the weights adapted at 0 and 5
SETTINGS |= {"resample_every": 4, "rar": True, "rar_every": 3, "rar_points": 4, "rar_candidates": 32}
SETTINGS |= {"adaptive_weights": True, "adaptive_weights_every": 5}
NETWORK = {"width": 8, "depth": 1, "hard_constraints": False}  # the face conditions stay terms, to weight
HELD = {"pde": [32, 32], "bc1": [3, 3], "bc2": [3, 3]}  # rows of each term's columns in process 0 and 1


def flags(settings: dict) -> list[str]:
    def flag(k, v):
        name = k.replace("_", "-")
        return (f"--{name}" if v else f"--no-{name}") if isinstance(v, bool) else f"--{name}={v}"

    return [flag(k, v) for k, v in settings.items()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def start_pair(where, extra: list[str], own: tuple[list[str], list[str]] = ([], [])) -> list[subprocess.Popen]:
    """``symbolic-pinn train p.pinn`` started in two processes in ``where`` (``own``: each one's flags)."""
    command = [sys.executable, "-m", "symbolic_pinn", "train", "p.pinn", "--no-progress", *extra]
    command += ["--coordinator", f"localhost:{free_port()}", "--num-processes", "2"]
    env = os.environ | {"JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    return [subprocess.Popen(command + ["--process-id", str(i), *own[i]], cwd=where, env=env, **pipes) for i in (0, 1)]


def finish(processes: list[subprocess.Popen]) -> list[tuple[str, str]]:
    """Wait for a pair; their (stdout, stderr), once both exited 0."""
    outputs = [p.communicate(timeout=600) for p in processes]
    for p, (_, err) in zip(processes, outputs):
        assert p.returncode == 0, err[-3000:]
    return outputs


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Three runs of SETTINGS, overlapping in time (each is mostly starting and compiling):

    - ``pair``: two processes in ``pair/run``;
    - ``one``: one process, uninterrupted, whose checkpoint of step 5 is copied on the way;
    - ``resumed``: two processes resuming that checkpoint in ``resumed/run``.
    """
    where = {name: tmp_path_factory.mktemp(name) for name in ("pair", "one", "resumed")}
    for folder in where.values():
        (folder / "p.pinn").write_text(PROBLEM)
    pair = start_pair(where["pair"], ["--out", "run", *flags(SETTINGS | NETWORK)])
    resumed = []

    def resume_half(info):
        if info.step == 6:  # the checkpoint of step 5 is written once step 6's loss is finite
            shutil.copytree(where["one"] / "run", where["resumed"] / "run")
            assert json.loads((where["resumed"] / "run" / "checkpoint.json").read_text())["step"] == 5
            resumed.extend(start_pair(where["resumed"], ["--resume", "run"]))

    compiled = symbolic_pinn.compile(symbolic_pinn.parse(PROBLEM, "p.pinn"), **NETWORK)  # as the pair reads it
    one = compiled.train(where["one"] / "run", progress=False, callback=resume_half, checkpoint_every=5, **SETTINGS)
    assert resumed
    return {"pair": (where["pair"], finish(pair)), "one": one, "resumed": (where["resumed"], finish(resumed))}


@pytest.fixture(scope="module")
def pair(runs):
    return runs["pair"]


@pytest.fixture(scope="module")
def one(runs):
    return runs["one"]


def assert_parameters_match(two, one) -> None:
    a, b = jax.tree.leaves(one.params), jax.tree.leaves(two.params)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(y), np.asarray(x), atol=1e-5)


def test_two_processes_reach_the_parameters_of_one(pair, one):
    where, _ = pair
    two = symbolic_pinn.load(where / "run")
    assert two.metrics["devices"]["processes"] == 2 and two.metrics["devices"]["count"] == 2
    assert two.metrics["steps"] == one.metrics["steps"] == 10
    assert_parameters_match(two, one)


def test_each_process_holds_its_share_of_the_points(pair, one):
    """Rows of each term held by each process: half the interior's, all of a face's 3 (uneven)."""
    where, _ = pair
    assert symbolic_pinn.load(where / "run").metrics["devices"]["points_held"] == HELD
    assert one.metrics["devices"]["points_held"] == {"pde": [64], "bc1": [3], "bc2": [3]}


def test_the_pair_resumes_a_checkpoint_and_ends_where_one_process_ends(runs, one):
    """The pair resumes one process's checkpoint of step 5: each takes its share of its points,
    resamples and refines them (steps 6, 8, 9) and adapts the weights (step 5) split."""
    where, _ = runs["resumed"]
    two = symbolic_pinn.load(where / "run")
    assert two.metrics["resumed"] and two.metrics["steps"] == 10
    assert two.metrics["devices"]["points_held"] == HELD
    assert_parameters_match(two, one)


def test_one_process_resumes_the_checkpoint_of_the_pair(pair, one, tmp_path):
    """Process 0 gathered every point into the checkpoint: one process reads it whole."""
    where, _ = pair
    shutil.copytree(where / "run", tmp_path / "run")
    (tmp_path / "run" / "metrics.json").unlink()  # a finished run with its results would have nothing to do
    compiled = symbolic_pinn.compile(symbolic_pinn.parse(PROBLEM, "p.pinn"), **NETWORK)
    resumed = compiled.train(tmp_path / "run", resume=True, progress=False)
    two = symbolic_pinn.load(where / "run")
    assert resumed.metrics["resumed"] and resumed.metrics["steps"] == 10
    assert resumed.metrics["devices"]["points_held"] == {"pde": [64], "bc1": [3], "bc2": [3]}
    assert resumed.metrics["loss"] == pytest.approx(two.metrics["loss"], rel=1e-6)
    assert_parameters_match(resumed, two)


def test_only_process_zero_writes_and_reports(pair):
    where, ((out0, _), (out1, _)) = pair
    assert "wrote run/metrics.json" in out0
    assert "wrote" not in out1 and "loss" not in out1  # (gloo says which peers it reached)
    assert (where / "run" / "checkpoint.json").is_file()


def test_a_time_limit_reached_in_one_process_stops_both_at_the_same_step(tmp_path):
    """Process 1's time limit is over at once, process 0 has none: they agree to stop together
    (one that stopped alone would wait in the checkpoint's gather, the other in its next step, for ever)."""
    (tmp_path / "p.pinn").write_text(PROBLEM)
    pair = start_pair(tmp_path, ["--out", "run", *flags(SETTINGS | NETWORK)], ([], ["--time-limit=1e-6"]))
    finish(pair)
    meta = json.loads((tmp_path / "run" / "checkpoint.json").read_text())
    assert (meta["step"], meta["phase"]) == (0, "adam")
    assert symbolic_pinn.load(tmp_path / "run").metrics["ended"] == {"adam": "another process's time limit"}


@pytest.mark.parametrize(
    "coordinator, count, index, message",
    [
        (None, 2, None, "--num-processes and --process-id go with --coordinator"),
        ("localhost:1234", None, 0, "needs --num-processes N and --process-id I"),
        ("localhost:1234", 2, 2, "--process-id must be between 0 and 1, got 2"),
    ],
)
def test_incomplete_process_flags_are_refused_before_joining(coordinator, count, index, message):
    from symbolic_pinn._errors import PinnError
    from symbolic_pinn._training import devices as _devices

    with pytest.raises(PinnError, match=message):
        _devices.initialize(coordinator, count, index)


# ---- one process killed: the other stops at once, the pair resumes from the checkpoint ----

LONG = SETTINGS | {"adam_steps": 300, "checkpoint_every": 10, "schedule": "constant"}
LONG |= {"resample_every": 50, "rar_every": 100, "adaptive_weights_every": 50}  # (RAR's places: 2 refinements)


@pytest.mark.slow  # two pairs of processes start and compile: about 115 s on the shared 2-core machine
def test_a_killed_process_leaves_a_checkpoint_the_pair_resumes_from(tmp_path):
    """Process 1 is killed once a checkpoint exists; process 0 must stop with an error
    naming that checkpoint (not hang until the coordinator's 100 s heartbeat timeout);
    ``--resume`` then finishes the pair where an uninterrupted run ends.

    The reference is one uninterrupted process: two processes add the loss in another
    order, so they agree to float32 rounding (as in the test above), not to the bit.
    """
    import signal
    import time

    (tmp_path / "p.pinn").write_text(PROBLEM)
    start = functools.partial(start_pair, tmp_path)

    pair = start(["--out", "run", *flags(LONG | NETWORK)])
    index = tmp_path / "run" / "checkpoint.json"
    deadline = time.monotonic() + 300
    while not index.exists() and time.monotonic() < deadline and pair[0].poll() is None:
        time.sleep(0.01)
    for p in pair:  # freeze both at once, so that neither runs on to the end meanwhile
        p.send_signal(signal.SIGSTOP)
    assert index.exists(), pair[0].communicate()[1][-3000:]
    pair[1].kill()
    pair[0].send_signal(signal.SIGCONT)
    killed = time.monotonic()
    _, err = pair[0].communicate(timeout=60)
    waited = time.monotonic() - killed
    pair[1].communicate()
    step = json.loads(index.read_text())["step"]
    assert 0 < step < LONG["adam_steps"]
    assert pair[0].returncode == 1 and waited < 30, (waited, err[-3000:])
    assert "process 0 of 2 lost contact with the others during training" in err
    assert f"the last checkpoint in run is at step {step}: start all 2 processes again with --resume run" in err
    assert "internal error" not in err and "Terminating process" not in err

    resumed = start(["--resume", "run"])
    for p in resumed:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
    two = symbolic_pinn.load(tmp_path / "run")
    assert two.metrics["resumed"] and two.metrics["steps"] == LONG["adam_steps"]
    one = symbolic_pinn.compile(PROBLEM, **NETWORK).train(progress=False, **LONG)
    for x, y in zip(jax.tree.leaves(one.params), jax.tree.leaves(two.params), strict=True):
        np.testing.assert_allclose(np.asarray(y), np.asarray(x), atol=1e-5)


def test_every_process_trains_on_the_points_one_process_draws(pair, one):
    """The shares of the pair, gathered into its checkpoint, are the points one process ends
    with: the same draws, resamplings and refinements (RAR's best candidates chosen alike)."""
    from symbolic_pinn._training import checkpoint as _checkpoint
    from symbolic_pinn._training.points import initial_points

    where, _ = pair
    _, arrays = _checkpoint.load(where / "run")
    saved = {k: v for k, v in arrays.items() if k.startswith("points/")}
    points = one.points
    expected = {f"points/{term}/{j}": np.asarray(c) for term, cols in points.items() for j, c in enumerate(cols)}
    assert saved.keys() == expected.keys() and len(saved["points/pde/0"]) == SETTINGS["interior_points"]
    start = initial_points(symbolic_pinn.compile(PROBLEM, **NETWORK), one.config, np.float32)
    assert not np.array_equal(saved["points/pde/0"], np.asarray(start["pde"][0]))  # resampled and refined
    for key, column in expected.items():
        np.testing.assert_array_equal(saved[key], column)


def test_a_lost_process_error_says_how_to_resume(tmp_path):
    from symbolic_pinn._training.checkpoint import last_step
    from symbolic_pinn._training.devices import lost_process

    error = lost_process(
        RuntimeError("Gloo all-reduce failed: Connection reset by peer\n(more)"), tmp_path, last_step(tmp_path)
    )
    assert "lost contact with the others during training (Gloo all-reduce failed: Connection reset by peer)" in str(
        error
    )
    assert error.help == f"no checkpoint was written in {tmp_path} yet: start all the processes again"
