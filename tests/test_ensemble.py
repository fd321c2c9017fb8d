"""Ensembles (``--ensemble N``): N seeds trained as one vmapped program.

The vmapped members are checked against N separate trainings of the same seeds (the
independent reference that vmap changed nothing), and, on an ODE inverse problem whose
data are written here from a known rate k = 1.5, the reported interval is checked to hold
k and to widen with the noise of the data.
"""

import json
import pathlib

import jax
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn import PinnError, TrainConfig
from symbolic_pinn._product import cli
from symbolic_pinn._training.ensemble import summary, train_ensemble
from symbolic_pinn._training.train import train

RATE = 1.5  # the true unknown of the inverse problem


def decay(directory: pathlib.Path, noise: float):
    """du/dt = -k u observed at 40 times, u = exp(-1.5 t) with relative noise ``noise`` (a fixed draw)."""
    t = np.linspace(0, 1, 40)
    u = np.exp(-RATE * t) * (1 + noise * np.random.default_rng(0).standard_normal(t.shape))
    np.savetxt(directory / "obs.csv", np.c_[t, u], delimiter=",", header="t,u", comments="")
    path = directory / "decay.pinn"
    path.write_text('t in [0, 1]\nfield u(t)\nunknown k = 0.5\nDt(u) = -k*u\ndata "obs.csv"\n')
    return symbolic_pinn.compile(symbolic_pinn.parse_file(path), width=8, depth=1)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return decay(tmp_path_factory.mktemp("clean"), 0.01)


def test_vmapped_members_equal_separate_trainings_of_their_seeds(clean):
    config = TrainConfig(adam_steps=20, bfgs_steps=0, interior_points=32, progress=False, error_every=0, seed=3)
    ensemble = train_ensemble(clean, config, 2, bootstrap=False)
    assert ensemble.seeds == [3, 4]
    for i, seed in enumerate(ensemble.seeds):
        alone = train(clean, TrainConfig(**{**config.__dict__, "seed": seed}))
        for a, b in zip(jax.tree.leaves(alone.params), jax.tree.leaves(ensemble.member(i))):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)
        assert ensemble.metrics["losses"][i] == pytest.approx(alone.metrics["loss"], rel=1e-5)
    # the members differ: the check above would pass trivially for equal ones
    values = ensemble.unknowns["k"]["values"]
    assert len(set(values)) == 2


@pytest.mark.slow  # 12 s: the suite's time; the heat-inverse benchmark measures the same property
def test_interval_holds_the_true_rate_and_widens_with_noise(clean, tmp_path):
    config = TrainConfig(
        adam_steps=100, learning_rate=2e-2, final_learning_rate=1e-3, bfgs_steps=60, interior_points=32,
        progress=False, error_every=0, float64=True,
    )  # fmt: skip
    spread = {}
    for name, problem in (("clean", clean), ("noisy", decay(tmp_path, 0.1))):
        k = train_ensemble(problem, config, 8).unknowns["k"]
        low, high = k["interval"]
        assert low <= RATE <= high, (name, k)
        assert low <= k["mean"] <= high and k["std"] > 0
        spread[name] = k["std"]
    assert spread["noisy"] > 2 * spread["clean"]


def test_command_writes_the_ensemble_files_and_refuses_a_resume(clean, tmp_path, capsys):
    problem = pathlib.Path(clean.spec.filename)
    out = tmp_path / "run"
    flags = ["--ensemble", "2", "--adam-steps", "5", "--bfgs-steps", "0", "--width", "8", "--depth", "1"]
    assert cli.main(["train", str(problem), "--out", str(out), "--interior-points", "16", *flags]) == 0
    printed = capsys.readouterr().out
    assert "unknown k: " in printed and "95% interval [" in printed
    data = json.loads((out / "ensemble.json").read_text())
    assert data["members"] == 2 and data["seeds"] == [0, 1] and len(data["unknowns"]["k"]["values"]) == 2
    with np.load(out / "ensemble_params.npz") as params:
        assert all(params[key].shape[0] == 2 for key in params.files)
    assert set(json.loads((out / "files.json").read_text())["files"]) >= {"ensemble.json", "ensemble_params.npz"}
    assert cli.main(["train", str(problem), "--resume", str(out), "--ensemble", "2"]) == 1
    assert "--ensemble and --resume do not go together" in capsys.readouterr().err
    with pytest.raises(PinnError, match="cannot be resumed"):
        clean.train(out, resume=True, ensemble=2)


def test_settings_an_ensemble_cannot_honour_are_refused(clean):
    with pytest.raises(PinnError, match="rar"):
        train_ensemble(clean, TrainConfig(rar=True, progress=False), 2)
    with pytest.raises(PinnError, match="at least one member"):
        train_ensemble(clean, TrainConfig(progress=False), 0)
    with pytest.raises(PinnError, match="ensemble"):
        TrainConfig(ensemble=0)
    with pytest.raises(PinnError, match="callback"):
        clean.train(ensemble=2, callback=lambda info: None)
    with pytest.raises(PinnError, match="trains one network"):  # never one member silently
        train(clean, TrainConfig(ensemble=2, progress=False))


def test_summary_names_each_unknown_with_its_interval(clean):
    config = TrainConfig(adam_steps=2, bfgs_steps=0, interior_points=16, progress=False, error_every=0)
    ensemble = clean.train(ensemble=2, **{k: getattr(config, k) for k in ("adam_steps", "bfgs_steps",
                                                                        "interior_points", "progress")})  # fmt: skip
    text = summary(ensemble)
    k = ensemble.unknowns["k"]
    assert f"unknown k: {k['mean']:.6g} ± {k['std']:.3g}, 95% interval" in text
    field = ensemble.field("u")(np.array([0.0, 0.5]))
    assert field["mean"].shape == (2,) and np.all(field["low"] <= field["high"])
