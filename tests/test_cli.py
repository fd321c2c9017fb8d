"""The ``symbolic-pinn`` command: check, compile (every stage), train.

Most cases call ``symbolic_pinn._product.cli.main`` in-process; a few run the installed
console script, as a user would.  Bad input exits 1 with the rendered error on
stderr and never a Python traceback.
"""

import csv
import importlib.util
import json
import math
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn import _settings
from symbolic_pinn._product import cli as _cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
POISSON = ROOT / "examples" / "poisson.pinn"
BAD = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔv = 1\n"
SCRIPT = shutil.which("symbolic-pinn") or str(pathlib.Path(sys.executable).parent / "symbolic-pinn")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = _cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def problem_file(directory: pathlib.Path, name: str, text: str) -> pathlib.Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def bad_file(tmp_path) -> pathlib.Path:
    return problem_file(tmp_path, "bad.pinn", BAD)


def rendered_error(path: pathlib.Path) -> str:
    with pytest.raises(symbolic_pinn.PinnError) as caught:
        symbolic_pinn.parse_file(path)
    return caught.value.render()


# ---- check --------------------------------------------------------------------------


def test_check_ok(capsys):
    code, out, err = run(capsys, "check", POISSON)
    assert code == 0
    assert out == (
        f"{POISSON}: ok — fields u(x, y); 2 terms (residual on interior, residual on boundary)\n"
        "  built into u's network: u = 0 on ∂Ω\n"
    )
    assert err == ""


@pytest.mark.parametrize("name", ["seed.pinn", "seed_ascii.pinn", "poisson_ritz.pinn"])
def test_check_every_example(capsys, name):
    code, out, _ = run(capsys, "check", ROOT / "examples" / name)
    assert code == 0 and ": ok" in out


def test_check_bad_file(capsys, bad_file):
    code, out, err = run(capsys, "check", bad_file)
    assert code == 1
    assert out == ""
    assert err == rendered_error(bad_file) + "\n"
    assert err.startswith("error: unknown name 'v'\n")
    assert f" --> {bad_file}:3:2\n" in err
    assert "3 | Δv = 1\n  |  ^\n" in err
    assert "Traceback" not in err


def test_check_missing_file(capsys, tmp_path):
    code, out, err = run(capsys, "check", tmp_path / "nothing.pinn")
    assert code == 1
    assert out == ""
    assert err.startswith(f"error: cannot read {tmp_path / 'nothing.pinn'}")
    assert "help:" in err
    assert "Traceback" not in err


def test_check_a_directory(capsys, tmp_path):
    code, _, err = run(capsys, "check", tmp_path)
    assert code == 1
    assert err.startswith("error: cannot read") and "Traceback" not in err


def test_check_non_utf8_file(capsys, tmp_path):
    path = tmp_path / "latin1.pinn"
    path.write_bytes("x in [0, 1]\nfield u(x)\nDxx(u) = 1 # café\n".encode("latin-1"))
    code, _, err = run(capsys, "check", path)
    assert code == 1
    assert "UTF-8" in err and str(path) in err and "Traceback" not in err


@pytest.mark.parametrize(
    "text",
    [
        "x in [0, 1]\nfield u(x)\nconst a = sqrt(-1)\nDxx(u) = a\n",
        "x in [0, 1]\nfield u(x)\nDxx(u) = 1 weight sqrt(-1)\n",
        "x in [0, 1]\nfield u(x)\nDxx(u) = " + "9" * 5000 + "\n",
    ],
    ids=["complex const", "complex weight", "5000-digit number"],
)
def test_a_user_mistake_is_never_an_internal_error(capsys, tmp_path, text):
    path = tmp_path / "odd.pinn"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "check", path)
    assert "internal error" not in err
    assert code == 1
    assert f" --> {path}:3:" in err


# ---- compile --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def poisson_compiled():
    return symbolic_pinn.compile(symbolic_pinn.parse_file(POISSON))


def test_compile_emit_ir(capsys, poisson_compiled):
    code, out, err = run(capsys, "compile", POISSON, "--emit", "ir")
    assert code == 0 and err == ""
    assert out == poisson_compiled.format_ir()
    assert out.startswith("variable x in [0, 1]\nvariable y in [0, 1]\nfield u(x, y)\n")
    assert "term pde: residual on interior, weight 1" in out
    assert "term bc" not in out  # u = 0 on ∂Ω is built into the network by default
    assert "u_xx" in out and "u_yy" in out
    code, out, err = run(capsys, "compile", POISSON, "--emit", "ir", "--no-hard-constraints")
    assert code == 0 and "term bc: residual on boundary, weight 1" in out


def test_compile_emit_plan(capsys, poisson_compiled):
    code, out, err = run(capsys, "compile", POISSON, "--emit", "plan")
    assert code == 0 and err == ""
    finish = "finish after Adam (finisher auto, default training settings): dense BFGS, 921 parameters ≤ 4,000"
    assert out.startswith(poisson_compiled.format_plan()) and out.endswith("\n")
    assert out[len(poisson_compiled.format_plan()) :].startswith(finish)
    assert "term pde" in out and "term bc" in out and "u_xx" in out
    assert out.endswith("causal weights (causal auto): off, the problem has no time variable\n")
    code, out, _ = run(capsys, "compile", POISSON, "--emit", "plan", "--width", "64")  # 8,577 parameters
    assert code == 0 and "finisher auto, default training settings): Gauss–Newton-CG, 8,577 parameters" in out


def test_compile_reads_the_problems_toml(capsys, tmp_path):
    """`compile` shows the module and plan that `train` runs: the settings of <problem>.toml
    (or --config), then the flags; before, it used the defaults whatever the TOML said."""
    problem = tmp_path / "p.pinn"
    problem.write_text(pathlib.Path(POISSON).read_text())
    (tmp_path / "p.toml").write_text("[train]\nhard_constraints = false\nfinisher = 'lbfgs'\n")
    code, out, err = run(capsys, "compile", str(problem), "--emit", "ir")
    assert code == 0 and "term bc: residual on boundary" in out and f"settings from {tmp_path / 'p.toml'}" in err
    code, out, _ = run(capsys, "compile", str(problem), "--emit", "ir", "--hard-constraints")  # a flag wins
    assert code == 0 and "term bc" not in out
    code, out, _ = run(capsys, "compile", str(problem), "--emit", "plan")
    assert code == 0 and f"finish after Adam (finisher lbfgs, settings from {tmp_path / 'p.toml'}): L-BFGS" in out
    other = tmp_path / "other.toml"
    other.write_text("[train]\ncausal = 'off'\n")
    code, out, _ = run(capsys, "compile", str(problem), "--emit", "plan", "--config", str(other))
    assert code == 0 and f"finisher auto, settings from {other}): dense BFGS" in out and "causal off" in out


def test_compile_plan_says_causal_weights(capsys):
    code, out, _ = run(capsys, "compile", str(ROOT / "examples" / "convection.pinn"), "--emit", "plan")
    assert code == 0 and "causal weights (causal on): on, set by causal = on: 32 chunks of t" in out


def test_compile_emit_jax(capsys, poisson_compiled):
    code, out, err = run(capsys, "compile", POISSON, "--emit", "jax")
    assert code == 0 and err == ""
    assert out == poisson_compiled.source
    compile(out, "poisson.py", "exec")
    assert "def loss(params, points):" in out
    assert "import symbolic_pinn" not in out


def test_compile_emits_jax_by_default(capsys, poisson_compiled):
    code, out, _ = run(capsys, "compile", POISSON)
    assert code == 0 and out == poisson_compiled.source


def test_compile_width_and_depth(capsys):
    code, out, _ = run(capsys, "compile", POISSON, "--width", "8", "--depth", "2")
    assert code == 0
    assert out == symbolic_pinn.compile(symbolic_pinn.parse_file(POISSON), width=8, depth=2).source
    assert "(2, 8, 8, 1)" in out


def test_compile_bad_file(capsys, bad_file):
    code, out, err = run(capsys, "compile", bad_file, "--emit", "ir")
    assert code == 1 and out == ""
    assert err == rendered_error(bad_file) + "\n"


def test_usage_errors_exit_2(capsys):
    # (`train FILE` without --out is no usage error: it writes runs/<problem name>, see test_product.py)
    for argv in ([], ["compile"], ["compile", str(POISSON), "--emit", "xml"], ["eval"], ["frobnicate"]):
        with pytest.raises(SystemExit) as caught:
            _cli.main(argv)
        assert caught.value.code == 2, argv
    assert "Traceback" not in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as caught:
        _cli.main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"symbolic-pinn {symbolic_pinn.__version__}"


# ---- the generated module is a program of its own -------------------------------------


@pytest.fixture
def emitted_module(capsys, tmp_path) -> pathlib.Path:
    code, out, _ = run(capsys, "compile", POISSON, "--emit", "jax")
    assert code == 0
    path = tmp_path / "poisson_loss.py"
    path.write_text(out, encoding="utf-8")
    return path


def test_emitted_module_imports_and_trains(emitted_module, capsys):
    spec = importlib.util.spec_from_file_location("poisson_loss_under_test", emitted_module)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    params = module.main(steps=20, n=64)
    out = capsys.readouterr().out
    assert "step      1  loss" in out
    assert "step     20  loss" in out
    (line,) = [row for row in out.splitlines() if row.startswith("relative L2 error of u: ")]
    assert math.isfinite(float(line.rsplit(" ", 1)[1]))
    assert set(params) == {"u", "unknowns"}


@pytest.mark.slow
def test_emitted_module_runs_as_a_script(emitted_module, tmp_path):
    """`python loss.py` trains 2000 Adam steps: about a minute on two CPUs."""
    result = subprocess.run(
        [sys.executable, str(emitted_module)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "step   2000  loss" in result.stdout
    error = float(result.stdout.strip().splitlines()[-1].rsplit(" ", 1)[1])
    assert error < 0.5


# ---- train ----------------------------------------------------------------------------

TRAIN_ARGS = ["--steps", "30", "--bfgs-steps", "5", "--no-progress", "--seed", "3"]
SMALL = ["--interior-points", "256", "--boundary-points", "64", "--width", "16", "--depth", "2"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "run"
    code = _cli.main(["train", str(POISSON), "--out", str(out), *TRAIN_ARGS, *SMALL])
    return code, out


def test_train_exits_0(trained):
    code, _ = trained
    assert code == 0


def test_train_writes_metrics(trained):
    _, out = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"rel_l2", "unknowns", "loss", "steps", "seconds"} <= set(metrics)
    assert set(metrics["rel_l2"]) == {"u"} and math.isfinite(metrics["rel_l2"]["u"])
    assert metrics["unknowns"] == {}
    assert math.isfinite(metrics["loss"])
    assert metrics["steps"] == 35
    assert (metrics["finisher"], metrics["bfgs_steps"], metrics["lbfgs_steps"]) == ("bfgs", 5, 0)
    assert metrics["ended"] == {"adam": "step budget", "bfgs": "step budget"}
    assert metrics["seconds"] > 0
    assert metrics["stopped"] is None
    assert metrics["settings"]["seed"] == 3
    assert metrics["settings"]["interior_points"] == 256
    assert metrics["settings"]["width"] == 16


def test_train_writes_the_generated_code(trained):
    _, out = trained
    expected = symbolic_pinn.compile(symbolic_pinn.parse_file(POISSON), width=16, depth=2).source
    assert (out / "loss.py").read_text() == expected


def test_train_writes_history(trained):
    _, out = trained
    with open(out / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert {"step", "phase", "loss", "pde"} <= set(rows[0]) and "bc" not in rows[0]  # bc is built in
    assert {r["phase"] for r in rows} == {"adam", "bfgs"}  # a 16 × 2 network: the dense finisher
    assert all(math.isfinite(float(r["loss"])) for r in rows)


def test_train_writes_params(trained):
    _, out = trained
    with np.load(out / "params.npz") as params:
        assert params.files
        assert all("u" in name for name in params.files)
        shapes = sorted(params[name].shape for name in params.files)
    assert (2, 16) in shapes and (16, 1) in shapes


def test_train_bad_file_creates_nothing(capsys, bad_file, tmp_path):
    out = tmp_path / "never"
    code, _, err = run(capsys, "train", bad_file, "--out", out, "--steps", "1", "--no-progress")
    assert code == 1
    assert err == rendered_error(bad_file) + "\n"
    assert not out.exists()


@pytest.mark.parametrize(
    "option", [["--steps", "-1"], ["--interior-points", "0"], ["--lr", "0"], ["--lr", "nan"]], ids=lambda o: " ".join(o)
)
def test_train_rejects_bad_settings(capsys, tmp_path, option):
    code, _, err = run(capsys, "train", POISSON, "--out", tmp_path / "run", *option, "--no-progress")
    assert code == 1
    assert err.startswith("error: ") and "Traceback" not in err


def train_help(capsys) -> str:
    with pytest.raises(SystemExit) as caught:
        _cli.main(["train", "--help"])
    assert caught.value.code == 0
    return capsys.readouterr().out


def test_train_help_documents_every_setting_with_its_default(capsys):
    import dataclasses

    out = " ".join(train_help(capsys).split())  # argparse wraps lines
    for field in dataclasses.fields(symbolic_pinn.TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        assert flag in out, flag
        default = field.default
        if isinstance(default, bool):
            default = "on" if default else "off"
        elif isinstance(default, float):
            default = f"{default:g}"
        assert f"{field.metadata['help']} (default {default})" in out, field.name
    for option in ["--out", "--resume", "--config", "--width", "--depth", "--no-progress", "--steps", "--lr", "file"]:
        assert option in out, option
    assert "[train]" in out


def test_train_writes_plots(trained):
    import matplotlib.image

    _, out = trained
    for name in ["loss.png", "solution_u.png", "error_u.png"]:
        height, width, _ = matplotlib.image.imread(out / name).shape
        assert height > 100 and width > 100, name


def test_train_metrics_say_what_made_them(trained):
    import hashlib

    import jax

    _, out = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["versions"] == {"symbolic_pinn": symbolic_pinn.__version__, "jax": jax.__version__}
    assert metrics["source_sha256"] == hashlib.sha256((out / "loss.py").read_bytes()).hexdigest()
    assert metrics["settings"] == {s.name: s.default for s in _settings.SETTINGS} | {
        "adam_steps": 30,
        "bfgs_steps": 5,
        "progress": False,
        "seed": 3,
        "interior_points": 256,
        "boundary_points": 64,
        "width": 16,
        "depth": 2,
    }


# ---- settings from a TOML file --------------------------------------------------------

LINE = "x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 on ∂Ω\n"
QUICK = ["--lbfgs-steps", "0", "--no-progress", "--interior-points", "16", "--width", "4", "--depth", "1"]


@pytest.fixture
def line_problem(tmp_path) -> pathlib.Path:
    return problem_file(tmp_path, "line.pinn", LINE)


def settings_used(out: pathlib.Path) -> dict:
    return json.loads((out / "metrics.json").read_text())["settings"]


def test_settings_from_config_file_and_flags_override_it(capsys, line_problem, tmp_path):
    config = tmp_path / "quick.toml"
    config.write_text("[train]\nadam_steps = 3\nseed = 7\nschedule = 'cosine'\nlearning_rate = 1\n")
    code, _, err = run(
        capsys, "train", line_problem, "--out", tmp_path / "run", "--config", config, "--seed", "8", *QUICK
    )
    assert code == 0, err
    assert f"settings from {config}" in err
    used = settings_used(tmp_path / "run")
    assert (used["adam_steps"], used["seed"], used["schedule"], used["learning_rate"]) == (3, 8, "cosine", 1.0)


def test_settings_from_the_toml_file_beside_the_problem(capsys, line_problem, tmp_path):
    line_problem.with_suffix(".toml").write_text("[train]\nadam_steps = 2\nface_points = 5\n")
    code, _, err = run(capsys, "train", line_problem, "--out", tmp_path / "run", *QUICK)
    assert code == 0, err
    used = settings_used(tmp_path / "run")
    assert (used["adam_steps"], used["face_points"], used["width"]) == (2, 5, 4)
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["adam_steps"] == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("[train]\nadam_step = 3\n", "error: unknown setting 'adam_step' in {path} [train]"),
        ("[training]\nadam_steps = 3\n", "error: unknown table or key 'training' in {path}"),
        (
            "[train]\nadam_steps = '3'\n",
            "error: setting 'adam_steps' in {path} [train] must be a whole number, got '3'",
        ),
        ("[train]\nfloat64 = 1\n", "error: setting 'float64' in {path} [train] must be true or false, got 1"),
        (
            "[train]\nschedule = 'linear'\n",
            "error: setting 'schedule' in {path} [train] must be one of exponential, cosine, constant; got 'linear'",
        ),
        ("[train\n", "error: {path} is not valid TOML"),
    ],
    ids=["unknown key", "unknown table", "string for int", "int for bool", "bad schedule", "bad syntax"],
)
def test_bad_config_file_is_a_clear_error(capsys, line_problem, tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    code, out, err = run(capsys, "train", line_problem, "--out", tmp_path / "run", "--config", config)
    assert code == 1
    assert err.startswith(message.format(path=config)), err
    assert "Traceback" not in err
    if "unknown setting" in message:
        assert "help: the settings are: adam_steps, bfgs_steps," in err and "width, depth" in err


def test_missing_config_file(capsys, line_problem, tmp_path):
    code, _, err = run(capsys, "train", line_problem, "--out", tmp_path / "run", "--config", tmp_path / "none.toml")
    assert code == 1 and err.startswith(f"error: cannot read {tmp_path / 'none.toml'}")


# ---- stopping, resuming, NaN ----------------------------------------------------------


def test_sigterm_then_resume_gives_the_parameters_of_an_unstopped_run(capsys, monkeypatch, trained, tmp_path):
    import signal

    from symbolic_pinn._training import monitor as _monitor

    update = _monitor.Progress.update

    def terminate_at_step_21(self, phase, step, loss, terms):
        update(self, phase, step, loss, terms)
        if step == 21:
            signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(_monitor.Progress, "update", terminate_at_step_21)
    out = tmp_path / "run"
    code, _, err = run(capsys, "train", POISSON, "--out", out, *TRAIN_ARGS, *SMALL)
    assert code == 128 + signal.SIGTERM, err
    assert f"warning: interrupted (SIGTERM) after step 21; the checkpoint of step 21 is in {out}" in err
    assert f"continue with `--resume {out}`" in err
    monkeypatch.setattr(_monitor.Progress, "update", update)
    code, stdout, err = run(capsys, "train", POISSON, "--resume", out, "--checkpoint-every", "7")
    assert code == 0, err
    assert "after 35 steps" in stdout
    _, straight = trained
    with np.load(out / "params.npz") as resumed, np.load(straight / "params.npz") as expected:
        assert resumed.files == expected.files
        for name in expected.files:
            np.testing.assert_allclose(resumed[name], expected[name], rtol=1e-6, atol=0)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed"] is True and metrics["settings"]["checkpoint_every"] == 7


def test_resume_refuses_changed_settings_and_config(capsys, tmp_path, trained):
    _, out = trained
    code, _, err = run(capsys, "train", POISSON, "--resume", out, "--lr", "0.5")
    assert code == 1
    assert err.startswith("error: a resumed run keeps the settings of its checkpoint: learning_rate was 0.001, now 0.5")
    code, _, err = run(capsys, "train", POISSON, "--resume", out, "--config", tmp_path / "x.toml")
    assert code == 1 and err.startswith("error: --config and --resume do not go together")
    code, _, err = run(capsys, "train", POISSON, "--resume", tmp_path)
    assert code == 1 and err.startswith(f"error: no checkpoint in {tmp_path}")


def test_nan_exits_1_naming_step_and_term(capsys, tmp_path):
    problem = problem_file(
        tmp_path, "nan.pinn", "x in [0, 1]\nfield u(x)\nsqrt(u + 1) = 0\nu = 0 at x = 0 weight 0.001\n"
    )
    out = tmp_path / "run"
    code, _, err = run(
        capsys, "train", problem, "--out", out, "--lr", "0.01", "--checkpoint-every", "2", *QUICK, "--steps", "300"
    )
    assert code == 1
    assert "warning: the loss became nan at step " in err and "(adam), in term pde (nan)" in err
    assert "the checkpoint of step" in err and (out / "checkpoint.json").exists()
    assert "Traceback" not in err


# ---- the installed console script -----------------------------------------------------


def console(*argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([SCRIPT, *map(str, argv)], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_console_script_check_ok(tmp_path):
    result = console("check", POISSON, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ": ok — fields u(x, y)" in result.stdout


def test_console_script_check_bad_file(bad_file, tmp_path):
    result = console("check", bad_file, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == rendered_error(bad_file) + "\n"
    assert "Traceback" not in result.stderr


def test_python_dash_m(tmp_path, bad_file):
    result = subprocess.run(
        [sys.executable, "-m", "symbolic_pinn", "compile", bad_file, "--emit", "ir"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == rendered_error(bad_file) + "\n"
