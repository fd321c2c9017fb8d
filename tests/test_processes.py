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
