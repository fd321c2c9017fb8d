"""Two processes on localhost train together (jax.distributed, gloo) and reach one process's parameters.

Both are started with ``symbolic-pinn train --coordinator localhost:PORT
--num-processes 2 --process-id I``; each has one CPU device, so the mesh has two
devices in two processes and every sum of the loss crosses between them.
"""

import os
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

import symbolic_pinn

PROBLEM = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)\n"
SETTINGS = {"adam_steps": 10, "lbfgs_steps": 0, "interior_points": 63, "error_every": 0, "seed": 3}
NETWORK = {"width": 8, "depth": 1}


def flags(settings: dict) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in settings.items()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    where = tmp_path_factory.mktemp("pair")
    (where / "p.pinn").write_text(PROBLEM)
    port = free_port()
    command = [sys.executable, "-m", "symbolic_pinn", "train", "p.pinn", "--out", "run", "--no-progress"]
    command += flags(SETTINGS | NETWORK) + ["--coordinator", f"localhost:{port}", "--num-processes", "2"]
    env = os.environ | {"JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    processes = [subprocess.Popen(command + ["--process-id", str(i)], cwd=where, env=env, **pipes) for i in (0, 1)]
    outputs = [p.communicate(timeout=600) for p in processes]
    for p, (_, err) in zip(processes, outputs):
        assert p.returncode == 0, err[-3000:]
    return where, outputs


def test_two_processes_reach_the_parameters_of_one(pair):
    where, _ = pair
    one = symbolic_pinn.compile(PROBLEM, **NETWORK).train(progress=False, **SETTINGS)
    two = symbolic_pinn.load(where / "run")
    assert two.metrics["devices"]["processes"] == 2 and two.metrics["devices"]["count"] == 2
    assert two.metrics["steps"] == one.metrics["steps"] == 10
    a, b = jax.tree.leaves(one.params), jax.tree.leaves(two.params)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(y), np.asarray(x), atol=1e-5)


def test_only_process_zero_writes_and_reports(pair):
    where, ((out0, _), (out1, _)) = pair
    assert "wrote run/metrics.json" in out0
    assert "wrote" not in out1 and "loss" not in out1  # (gloo says which peers it reached)
    assert (where / "run" / "checkpoint.json").is_file()


@pytest.mark.parametrize(
    "coordinator, count, index, message",
    [
        (None, 2, None, "--num-processes and --process-id go with --coordinator"),
        ("localhost:1234", None, 0, "needs --num-processes N and --process-id I"),
        ("localhost:1234", 2, 2, "--process-id must be between 0 and 1, got 2"),
    ],
)
def test_incomplete_process_flags_are_refused_before_joining(coordinator, count, index, message):
    from symbolic_pinn import _devices
    from symbolic_pinn._errors import PinnError

    with pytest.raises(PinnError, match=message):
        _devices.initialize(coordinator, count, index)


# ---- one process killed: the other stops at once, the pair resumes from the checkpoint ----

LONG = SETTINGS | {"adam_steps": 300, "checkpoint_every": 10, "schedule": "constant"}


@pytest.mark.slow  # two pairs of processes start and compile: about 115 s on the shared 2-core machine
def test_a_killed_process_leaves_a_checkpoint_the_pair_resumes_from(tmp_path):
    """Process 1 is killed once a checkpoint exists; process 0 must stop with an error
    naming that checkpoint (not hang until the coordinator's 100 s heartbeat timeout);
    ``--resume`` then finishes the pair where an uninterrupted run ends.

    The reference is one uninterrupted process: two processes add the loss in another
    order, so they agree to float32 rounding (as in the test above), not to the bit.
    """
    import json
    import signal
    import time

    (tmp_path / "p.pinn").write_text(PROBLEM)
    env = os.environ | {"JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}

    def start(extra: list[str]) -> list[subprocess.Popen]:
        command = [sys.executable, "-m", "symbolic_pinn", "train", "p.pinn", "--no-progress", *extra]
        command += ["--coordinator", f"localhost:{free_port()}", "--num-processes", "2"]
        return [subprocess.Popen(command + ["--process-id", str(i)], cwd=tmp_path, env=env, **pipes) for i in (0, 1)]

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


def test_every_process_trains_on_the_points_one_process_draws(pair):
    """Each process draws the whole point set from the seed — the same set as one process —
    and keeps it; the devices then split the work (docs/scale.md says why not a share)."""
    import jax.numpy as jnp

    from symbolic_pinn import _checkpoint
    from symbolic_pinn._train import TrainConfig, _points

    where, _ = pair
    _, arrays = _checkpoint.load(where / "run")
    saved = {k: v for k, v in arrays.items() if k.startswith("points/")}
    compiled = symbolic_pinn.compile(PROBLEM, **NETWORK)
    one = _points(compiled, TrainConfig(**SETTINGS), jnp.float32)
    expected = {f"points/{term}/{j}": np.asarray(c) for term, columns in one.items() for j, c in enumerate(columns)}
    assert saved.keys() == expected.keys() and len(saved["points/pde/0"]) == SETTINGS["interior_points"]
    for key, column in expected.items():
        np.testing.assert_array_equal(saved[key], column)


def test_a_lost_process_error_says_how_to_resume(tmp_path):
    from symbolic_pinn._devices import lost_process

    error = lost_process(RuntimeError("Gloo all-reduce failed: Connection reset by peer\n(more)"), tmp_path)
    assert "lost contact with the others during training (Gloo all-reduce failed: Connection reset by peer)" in str(
        error
    )
    assert error.help == f"no checkpoint was written in {tmp_path} yet: start all the processes again"
