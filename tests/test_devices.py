"""Data parallelism on four devices equals one device (in a subprocess: see devices_check.py).

XLA's CPU backend makes N host devices when ``XLA_FLAGS`` holds
``--xla_force_host_platform_device_count=N`` before JAX starts, so the checks run in a
child process and the rest of the suite keeps one device.  One child runs every check:
compiling dominates its time.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
# float32 sums of a few hundred terms added in another order: a few units of rounding
RTOL = 2e-6
# a short training (20 Adam steps, then 3 of LM, in float32) from the same start: the
# rounding differences are carried on, not amplified
TRAIN_ATOL = 1e-4


@pytest.fixture(scope="module")
def four_devices() -> dict:
    env = os.environ | {"XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, str(HERE / "devices_check.py")], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_child_sees_four_devices(four_devices):
    assert four_devices["count"] == 4


@pytest.mark.parametrize("problem", ["box", "disk", "data", "integral", "gauss"])
def test_loss_and_gradient_on_four_devices_equal_one(four_devices, problem):
    result = four_devices["objectives"][problem]
    one, four = result["loss"]
    assert four == pytest.approx(one, rel=RTOL)
    for term, value in result["terms"][0].items():
        assert result["terms"][1][term] == pytest.approx(value, rel=RTOL, abs=1e-12)
    assert result["grad_scale"] > 0
    assert result["grad_diff"] <= 20 * RTOL * result["grad_scale"]


def test_uneven_point_counts_are_covered(four_devices):
    sizes = [n for result in four_devices["objectives"].values() for n in result["sizes"].values()]
    assert any(n % 4 for n in sizes) and any(n % 4 == 0 for n in sizes)


def test_training_on_four_devices_ends_where_one_device_ends(four_devices):
    result = four_devices["training"]
    assert result["steps"][0] == result["steps"][1] == 23
    assert [d["count"] for d in result["devices"]] == [1, 4]
    assert result["devices"][1]["mesh"] == {"points": 4}
    np.testing.assert_allclose(result["history"][1], result["history"][0], rtol=1e-4)
    np.testing.assert_allclose(result["params"][1], result["params"][0], atol=TRAIN_ATOL)
    assert result["loss"][1] == pytest.approx(result["loss"][0], rel=1e-3)


def test_more_devices_than_there_are_is_an_error(four_devices):
    assert "devices is 8, and JAX sees 4" in four_devices["too_many"]
