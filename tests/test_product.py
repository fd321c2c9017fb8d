"""The trained solution as a product: load a run, evaluate it, its saved module, its directory.

One small run of the Poisson example (trained by the command, as a user would) is shared
by the tests of this module.
"""

import contextlib
import csv
import importlib.util
import io
import json
import math
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._product import cli as _cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
POISSON = ROOT / "examples" / "poisson.pinn"
DISK = ROOT / "examples" / "disk_poisson.pinn"
STEPS = 20
TINY = ["--interior-points", "128", "--boundary-points", "32", "--width", "8", "--depth", "2", "--seed", "1"]


def exact(x, y):
    """The Poisson example's solution, written here."""
    return np.sin(np.pi * x) * np.sin(np.pi * y)


def main(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _cli.main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(run directory, stdout of the training): stdout is not a terminal, so progress is plain lines."""
    out = tmp_path_factory.mktemp("product") / "run"
    code, stdout, err = main(
        "train",
        POISSON,
        "--out",
        out,
        "--steps",
        STEPS,
        "--lbfgs-steps",
        "0",
        "--log-every",
        "10",
        "--error-every",
        "10",
        *TINY,
    )
    assert code == 0, err
    return out, stdout


# ---- load ------------------------------------------------------------------------------


def test_load_evaluates_the_field_and_reproduces_the_recorded_error(trained):
    out, _ = trained
    run = symbolic_pinn.load(out)
    u = run.field("u")
    axis = np.linspace(0, 1, 100)  # the grid metrics.json's error was measured on (10,000 points)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    values = np.asarray(u(x, y), dtype=float)
    assert values.shape == (100, 100)
    error = np.linalg.norm(values - exact(x, y)) / np.linalg.norm(exact(x, y))
    assert error == pytest.approx(run.metrics["rel_l2"]["u"], rel=1e-4)
    assert run.unknowns == {} and run.metrics["steps"] == STEPS
    assert [f.name for f in run.problem.ir.fields] == ["u"]


def test_field_broadcasts_and_transforms(trained):
    out, _ = trained
    u = symbolic_pinn.load(out).field("u")
    xs = np.array([0.1, 0.5, 0.9])
    column = np.asarray(u(xs, 0.3))
    assert column.shape == (3,)
    for x, value in zip(xs, column):  # scalars, arrays and keywords agree
        assert float(u(x, 0.3)) == pytest.approx(value, rel=1e-6)
        assert float(u(y=0.3, x=x)) == pytest.approx(value, rel=1e-6)
    np.testing.assert_allclose(jax.jit(u)(xs, jnp.full(3, 0.3)), column, rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(u)(xs, jnp.full(3, 0.3)), column, rtol=1e-6)
    # the derivative along x against a central difference of the same function
    h = 1e-2
    slope = jax.grad(u)(0.4, 0.3)
    difference = (float(u(0.4 + h, 0.3)) - float(u(0.4 - h, 0.3))) / (2 * h)
    assert float(slope) == pytest.approx(difference, rel=1e-2, abs=1e-3)
    with pytest.raises(TypeError, match="takes its 2 coordinates x, y"):
        u(0.5)


def test_load_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(symbolic_pinn.PinnError, match="no run directory"):
        symbolic_pinn.load(tmp_path / "absent")
    with pytest.raises(symbolic_pinn.PinnError, match="lacks problem.pinn, metrics.json, params.npz"):
        symbolic_pinn.load(tmp_path)


# ---- the saved module, alone ------------------------------------------------------------

ALONE = """
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location("saved_loss", sys.argv[1] + "/loss.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
params = module.load_params(sys.argv[1] + "/params.npz")
u = module.fields(params)["u"]
x = np.array([0.1, 0.5, 0.75]); y = np.array([0.2, 0.5, 0.9])
print(" ".join(repr(float(v)) for v in u(x, y)))
assert not [m for m in sys.modules if m.startswith("symbolic_pinn")], "imported symbolic_pinn"
"""


def test_saved_module_and_parameters_evaluate_with_jax_alone(trained, tmp_path):
    out, _ = trained
    result = subprocess.run(
        [sys.executable, "-c", ALONE, str(out)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr
    alone = [float(v) for v in result.stdout.split()]
    u = symbolic_pinn.load(out).field("u")
    np.testing.assert_allclose(alone, np.asarray(u(np.array([0.1, 0.5, 0.75]), np.array([0.2, 0.5, 0.9]))), rtol=1e-6)


# ---- eval -------------------------------------------------------------------------------


def test_eval_points_csv(trained, tmp_path):
    out, _ = trained
    points = tmp_path / "points.csv"
    points.write_text("y,x\n0.5,0.5\n0.2,0.1\n0.9,0.75\n")
    code, _, err = main("eval", out, "--points", points, "--out", tmp_path / "pred.csv")
    assert code == 0, err
    with open(tmp_path / "pred.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["x", "y", "u"]
    u = symbolic_pinn.load(out).field("u")
    for row in rows:
        assert float(row["u"]) == pytest.approx(float(u(float(row["x"]), float(row["y"]))), rel=1e-6)


def test_eval_grid_npz(trained, tmp_path):
    out, _ = trained
    code, _, err = main("eval", out, "--grid", "5", "--out", tmp_path / "grid.npz")
    assert code == 0, err
    with np.load(tmp_path / "grid.npz") as grid:
        assert sorted(grid.files) == ["u", "x", "y"]
        assert grid["u"].shape == (5, 5)
        np.testing.assert_allclose(grid["x"][:, 0], np.linspace(0, 1, 5))
        u = symbolic_pinn.load(out).field("u")
        np.testing.assert_allclose(grid["u"], np.asarray(u(grid["x"], grid["y"])), rtol=1e-6)


def test_eval_errors_are_clear(trained, tmp_path):
    out, _ = trained
    points = tmp_path / "points.csv"
    points.write_text("x\n0.5\n")
    code, stdout, err = main("eval", out, "--points", points)
    assert code == 1 and stdout == ""
    assert err.startswith("error: points.csv has no column 'y'") and "Traceback" not in err
    code, _, err = main("eval", tmp_path / "nothing", "--grid", "3")
    assert code == 1 and err.startswith("error: no run directory") and "Traceback" not in err
    code, _, err = main("eval", out, "--grid", "3", "--field", "v")
    assert code == 1 and err.startswith("error: no field 'v'")


def handmade_run(run: pathlib.Path, problem: pathlib.Path, params: dict, **settings) -> pathlib.Path:
    """A run directory written by hand: the problem, its settings and ``params`` (name → array)."""
    run.mkdir()
    # the networks written here are plain MLPs: no condition built in, as the run's settings say
    settings = {"hard_constraints": False, "exact_initial": False} | settings
    network = {k: settings[k] for k in ("width", "depth", "hard_constraints", "exact_initial")}
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(problem), **network)
    (run / "problem.pinn").write_text(problem.read_text())
    metrics = {"settings": settings, "problem_path": str(problem), "source_sha256": compiled.source_hash}
    (run / "metrics.json").write_text(json.dumps(metrics))
    np.savez(run / "params.npz", **params)
    return run


def test_eval_grid_is_nan_outside_a_disk(tmp_path):
    """Untrained parameters: eval marks the points outside the shape."""
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(DISK), width=4, depth=1)
    leaves = jax.tree_util.tree_flatten_with_path(compiled.init_params(jax.random.PRNGKey(0)))[0]
    params = {jax.tree_util.keystr(p): np.asarray(v) for p, v in leaves}
    run = handmade_run(tmp_path / "disk", DISK, params, width=4, depth=1)
    code, _, err = main("eval", run, "--grid", "9", "--out", tmp_path / "disk.npz")
    assert code == 0, err
    with np.load(tmp_path / "disk.npz") as grid:
        inside = grid["x"] ** 2 + grid["y"] ** 2 <= 1 + 1e-12
        assert np.isnan(grid["u"][~inside]).all() and np.isfinite(grid["u"][inside]).all()
        assert (~inside).any()


def test_eval_of_a_float64_run_is_float64(tmp_path):
    """The network of a --float64 run, against the same tanh MLP written here in NumPy (float64)."""
    rng = np.random.default_rng(0)
    w0, b0, w1, b1 = rng.normal(size=(2, 4)), rng.normal(size=4), rng.normal(size=(4, 1)), rng.normal(size=1)
    params = {"['u'][0][0]": w0, "['u'][0][1]": b0, "['u'][1][0]": w1, "['u'][1][1]": b1}
    run = handmade_run(tmp_path / "run", POISSON, params, width=4, depth=1, float64=True)
    code, _, err = main("eval", run, "--grid", "7", "--out", tmp_path / "grid.npz")
    assert code == 0, err
    with np.load(tmp_path / "grid.npz") as grid:
        scaled = np.stack([(grid["x"] - 0.5) / 0.5, (grid["y"] - 0.5) / 0.5], axis=-1)
        expected = (np.tanh(scaled @ w0 + b0) @ w1 + b1)[..., 0]
        np.testing.assert_allclose(grid["u"], expected, rtol=1e-12, atol=1e-12)


# ---- the run directory is never lost ----------------------------------------------------


def test_a_second_train_into_a_used_directory_deletes_nothing(trained):
    out, _ = trained
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code, _, err = main("train", POISSON, "--out", out, "--steps", "1", "--no-progress", *TINY)
    assert code == 1
    assert err.startswith(f"error: {out} holds an earlier run") and "nothing was changed" in err
    assert f"--resume {out}" in err and "--overwrite" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_train_defaults_to_runs_slash_the_problem_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "poisson").mkdir(parents=True)
    (tmp_path / "runs" / "poisson" / "metrics.json").write_text("{}")
    code, _, err = main("train", POISSON, "--steps", "1", "--no-progress")
    assert code == 1 and err.startswith("error: runs/poisson holds an earlier run")


def test_overwrite_says_what_it_replaces(tmp_path, capsys):
    names = ["metrics.json", "params.npz", "checkpoint.json", "checkpoint-00000010.npz", "loss.png", "notes.txt"]
    for name in names + ["solution_sketch.png"]:
        (tmp_path / name).write_text("old")
    (tmp_path / "checkpoint.json").write_text(json.dumps({"arrays": "checkpoint-00000010.npz"}))
    (tmp_path / "files.json").write_text(json.dumps({"files": ["metrics.json", "params.npz", "loss.png"]}))
    from symbolic_pinn._product import run as _run

    words = {"replace": "--overwrite", "resume": f"--resume {tmp_path}", "other": "another --out"}
    _run.remove(tmp_path, _run.claim(tmp_path, True, **words), "--overwrite")
    err = capsys.readouterr().err
    assert "--overwrite: replacing the earlier run in" in err
    assert "checkpoint-00000010.npz, checkpoint.json, loss.png, metrics.json, params.npz, files.json" in err
    # not files of the run, though named like them: kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "solution_sketch.png"]


# ---- history, progress, metrics ----------------------------------------------------------


def test_plain_progress_lines_when_not_a_terminal(trained):
    _, stdout = trained
    lines = [line for line in stdout.splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in lines] == ["11/20", "20/20"]
    assert "adam  loss " in lines[0] and "eta" in lines[0]
    assert "adam: compiling the train step" in stdout
    assert "\x1b[" not in stdout.split("training result")[0]  # no live bar's escape codes


def test_history_has_wall_time_learning_rate_and_error(trained):
    out, _ = trained
    with open(out / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # u = 0 on ∂Ω is built into the network: pde is the one term
    assert list(rows[0]) == ["step", "phase", "loss", "pde", "seconds", "learning_rate", "rel_l2_u"]
    seconds = [float(r["seconds"]) for r in rows]
    assert seconds == sorted(seconds) and seconds[0] > 0
    for row in rows:  # exponential decay from 1e-3 to 1e-4 over the Adam steps, at the step's start
        i = int(row["step"]) - 1
        assert float(row["learning_rate"]) == pytest.approx(1e-3 * 0.1 ** (i / STEPS), rel=1e-5)
    errors = [float(r["rel_l2_u"]) for r in rows if r["rel_l2_u"]]
    assert len(errors) == 3 and all(math.isfinite(e) for e in errors)  # steps 1, 11 and the last


def test_metrics_record_compile_seconds(trained):
    out, _ = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["compile_seconds"]) == {"adam"} and metrics["compile_seconds"]["adam"] > 0
    assert (out / "problem.pinn").read_text() == POISSON.read_text()


# ---- the callback -------------------------------------------------------------------------


def test_callback_sees_each_step_and_stops_early(tmp_path):
    problem = symbolic_pinn.compile(
        "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)",
        width=4,
        depth=1,
        hard_constraints=False,  # two terms for the callback to see
    )
    seen = []

    def stop_at_7(info):
        seen.append((info.step, info.phase, sorted(info.losses), info.loss))
        assert info.loss == pytest.approx(sum(problem.module.WEIGHTS[k] * v for k, v in info.losses.items()))
        return info.step == 7

    result = problem.train(
        tmp_path,
        adam_steps=50,
        bfgs_steps=0,
        interior_points=32,
        boundary_points=2,
        progress=False,
        callback=stop_at_7,
    )
    assert [s[0] for s in seen] == list(range(1, 8)) and {s[1] for s in seen} == {"adam"}
    assert seen[0][2] == ["bc", "pde"]
    assert result.metrics["steps"] == 7
    assert result.metrics["stopped"].startswith("stopped by the callback after step 7")
    assert json.loads((tmp_path / "checkpoint.json").read_text())["step"] == 7
    # the result's fields are functions too
    u = result.field("u")
    network = problem.module.fields(result.params)["u"]
    np.testing.assert_allclose(u(np.array([0.25, 0.5])), network(jnp.array([0.25, 0.5])))
    # and the directory of problem.train, which holds only the checkpoint, loads
    run = symbolic_pinn.load(tmp_path)
    assert run.metrics["steps"] == 7
    np.testing.assert_allclose(run.field("u")(np.array([0.25, 0.5])), u(np.array([0.25, 0.5])), rtol=1e-6)


# ---- one run directory, from the command and from Python ----------------------------------


def poisson_from_sympy(*extra_terms):
    """examples/poisson.pinn built from SymPy: a problem without text."""
    import sympy

    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    solution = sympy.sin(sympy.pi * x) * sympy.sin(sympy.pi * y)
    return symbolic_pinn.from_sympy(
        variables={x: (0, 1), y: (0, 1)},
        fields=[u],
        terms=[
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), 2 * sympy.pi**2 * solution),
            symbolic_pinn.Equation(sympy.Eq(u, 0), on="boundary"),
            *extra_terms,
        ],
        exact={u: solution},
    )


@pytest.fixture(scope="module")
def trained_from_sympy(tmp_path_factory):
    """(run directory, result) of problem.train(run_dir) on the SymPy-built Poisson, the command's settings."""
    out = tmp_path_factory.mktemp("sympy") / "run"
    problem = symbolic_pinn.compile(poisson_from_sympy(), width=8, depth=2)
    settings = {"interior_points": 128, "boundary_points": 32, "seed": 1, "log_every": 10, "error_every": 10}
    result = problem.train(out, adam_steps=STEPS, bfgs_steps=0, progress=False, **settings)
    return out, result


def test_a_run_of_a_sympy_problem_trained_from_python_loads(trained_from_sympy):
    out, result = trained_from_sympy
    assert isinstance(result, symbolic_pinn.Run) and isinstance(result, symbolic_pinn.TrainResult)
    run = symbolic_pinn.load(out)  # warnings are errors here: the recompiled code is the code trained
    assert run.problem.source == result.problem.source == (out / "loss.py").read_text()
    assert run.metrics["steps"] == STEPS and run.metrics["rel_l2"] == result.metrics["rel_l2"]
    assert run.history == result.history and run.config == result.config
    x, y = np.meshgrid(np.linspace(0, 1, 7), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(run.field("u")(x, y), result.field("u")(x, y))
    assert symbolic_pinn.parse((out / "problem.pinn").read_text()).fields  # text, parsed, never executed


def test_python_and_the_command_write_the_same_files(trained, trained_from_sympy):
    from_command, from_python = trained[0], trained_from_sympy[0]
    assert sorted(p.name for p in from_python.iterdir()) == sorted(p.name for p in from_command.iterdir())
    assert json.loads((from_python / "metrics.json").read_text()).keys() >= {"settings", "source_sha256", "versions"}


def test_python_refuses_to_train_over_an_earlier_run_unless_told(trained_from_sympy, tmp_path, capsys):
    """As the command does: nothing of the earlier run changes; overwrite=True replaces it, saying what goes."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(trained_from_sympy[0], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    problem = symbolic_pinn.compile(poisson_from_sympy(), width=8, depth=2)
    steps = []
    with pytest.raises(symbolic_pinn.PinnError, match="holds an earlier run") as refused:
        problem.train(out, adam_steps=2, bfgs_steps=0, progress=False, callback=steps.append)
    assert "overwrite=True" in refused.value.help and "resume=True" in refused.value.help
    assert steps == [] and {p.name: p.read_bytes() for p in out.iterdir()} == before
    with pytest.raises(symbolic_pinn.PinnError, match="give one of them"):
        problem.train(out, resume=True, overwrite=True, progress=False)
    result = problem.train(out, overwrite=True, adam_steps=2, bfgs_steps=0, progress=False, plots=False)
    assert "overwrite=True: replacing the earlier run" in capsys.readouterr().err
    assert result.metrics["steps"] == 2 == symbolic_pinn.load(out).metrics["steps"]
    assert not list(out.glob("*.png"))  # the earlier run's plots went with it


def test_the_saved_labels_of_a_sympy_problem_are_only_text(trained_from_sympy, tmp_path):
    """A label in metrics.json that quotes code ends in a docstring, inert; a wrong count is refused."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(trained_from_sympy[0], out)
    metrics = json.loads((out / "metrics.json").read_text())
    metrics["sympy_labels"][0] = '"""\nraise SystemExit(3)\n"""'
    (out / "metrics.json").write_text(json.dumps(metrics))
    with pytest.warns(UserWarning, match="the code generated now differs"):  # its docstring quotes the new label
        run = symbolic_pinn.load(out)
    assert "raise SystemExit(3)" in run.problem.source and run.field("u")(0.5, 0.5).shape == ()
    metrics["sympy_labels"].pop()
    (out / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(symbolic_pinn.PinnError, match="has 2 terms but 1 labels were saved"):
        symbolic_pinn.load(out)


def test_a_sympy_problem_without_text_is_refused_before_training(tmp_path):
    import sympy

    x, y = sympy.symbols("x y")
    u = sympy.Function("u")(x, y)
    # a condition on the surface of a shape that the text would have to name with `let`: no text form yet
    hole = symbolic_pinn.disk((0.5, 0.5), 0.2)
    spec = symbolic_pinn.from_sympy(
        {x: (0, 1), y: (0, 1)},
        [u],
        [
            sympy.Eq(-(u.diff(x, 2) + u.diff(y, 2)), 1),
            symbolic_pinn.Equation(sympy.Eq(u, 0), on="boundary"),
            symbolic_pinn.Equation(sympy.Eq(u, 1), on=hole),
        ],
        shape=((x, y), symbolic_pinn.box((0, 0), (1, 1)) - hole),
    )
    problem = symbolic_pinn.compile(spec, width=4, depth=1)
    steps = []
    with pytest.raises(symbolic_pinn.PinnError, match="cannot be written as problem text: a condition on ∂disk"):
        problem.train(tmp_path / "run", adam_steps=2, bfgs_steps=0, progress=False, callback=steps.append)
    assert steps == [] and not (tmp_path / "run").exists()


def test_the_reader_and_the_writer_share_the_file_names(trained_from_sympy):
    """Every file name of a run is written in one place: _product/run.py (the checkpoint's in checkpoint.py)."""
    import ast

    from symbolic_pinn._product import run as _run
    from symbolic_pinn._training import checkpoint

    out, _ = trained_from_sympy
    names = {p.name for p in out.iterdir()}
    assert _run.previous_files(out) == sorted(names)  # each is a file of the layout: --overwrite removes them all
    assert set(_run.FINISHED) <= names  # what load reads is what was written
    homes = {name: "run.py" for name in (_run.PROBLEM_FILE, _run.METRICS_FILE, _run.CODE_FILE, _run.HISTORY_FILE)}
    homes |= {_run.PARAMS_FILE: "run.py", _run.PLOT_FILES["loss"]: "run.py", checkpoint.INDEX: "checkpoint.py"}
    homes |= {_run.MANIFEST: "run.py", _run.LOCK_FILE: "run.py"}
    for path in (ROOT / "symbolic_pinn").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in homes:
                assert path.name == homes[node.value], f"{path} names {node.value!r}"


# ---- start-up ---------------------------------------------------------------------------

NO_JAX = """
import sys
from symbolic_pinn._product import cli as _cli
try:
    _cli.main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"jax", "optax", "matplotlib", "scipy"})
print("imported:", " ".join(heavy) or "nothing heavy")
"""


# (checking a shaped domain imports JAX today: its bounds come from _runtime, beside the JAX code;
# so does checking an `exact` solution against the problem, which evaluates the generated code)
NO_EXACT = pathlib.Path(POISSON).with_name("seed.pinn")


@pytest.mark.parametrize("argv", [["--help"], ["check", str(NO_EXACT)]], ids=" ".join)
def test_help_and_check_import_no_jax(argv, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", NO_JAX, *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("imported: nothing heavy"), result.stdout


# ---- docs ---------------------------------------------------------------------------------


def test_gallery_generator_on_a_tiny_run(trained, tmp_path):
    out, _ = trained
    spec = importlib.util.spec_from_file_location("make_gallery", ROOT / "docs" / "make_gallery.py")
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    page = tmp_path / "docs" / "gallery.md"
    assert gallery.main([str(out), "--out", str(page)]) == 0
    text = page.read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    assert "## poisson" in text and POISSON.read_text().strip() in text
    assert f"relative L2 error: u {metrics['rel_l2']['u']:.2e}" in text
    links = [line.split("](")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]
    assert len(links) == 3 and all((page.parent / link).is_file() for link in links)


def code_blocks(path: pathlib.Path) -> list[str]:
    parts = path.read_text().split("```")
    blocks = [block.split("\n", 1)[1] for block in parts[1::2] if not block.startswith(("python", "bash"))]
    return [block for block in blocks if not block.startswith("$ ")]  # a session: tests/test_docs.py runs those


def test_every_example_of_the_language_reference_parses():
    blocks = code_blocks(ROOT / "docs" / "language.md")
    assert len(blocks) >= 6
    for block in blocks:
        # parsed as if beside the examples, where heat_obs.csv is
        symbolic_pinn.parse(block, str(ROOT / "examples" / "doc.pinn"))


def test_the_live_bar_says_compiling_and_shows_an_eta():
    from rich.progress import TimeRemainingColumn

    from symbolic_pinn._training import monitor as _monitor

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    with _monitor.Progress(True, total=20, stream=Terminal()) as progress:
        assert progress.live and not progress.plain
        progress.compiling("lbfgs")
        (task,) = progress._progress.tasks
        assert task.description == "lbfgs (compiling)"
        progress.update("lbfgs", 11, 0.5, {"pde": 0.25})
        assert task.description == "lbfgs" and task.completed == 11
        assert any(isinstance(c, TimeRemainingColumn) for c in progress._progress.columns)
