"""Hostile input and faults: a clean error or a right answer, in bounded time; never an internal
error, a hang, a silent wrong answer or lost work.

Each class of hostile input has a table here; hypothesis then generates hostile CSV and NPZ
files and hostile expressions and checks the same contract: a PinnError (CLI exit 1 with a
message) or a correct result, quickly.
"""

import json
import math
import os
import pathlib
import signal
import stat
import time

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symbolic_pinn
from symbolic_pinn import PinnError, _limits
from symbolic_pinn._frontend import data as _data
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._product import run as _run
from symbolic_pinn._training import checkpoint as _checkpoint
from symbolic_pinn._training import domain as _domain
from symbolic_pinn._training.metrics import relative_l2
from symbolic_pinn._training.train import TrainConfig, train

H2 = "x in [0, 1]\ny in [0, 1]\nfield u(x, y)\n"
HEAD = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nunknown k = 0.5\nDt(u) = k*Dxx(u)\n"
TINY = TrainConfig(adam_steps=3, bfgs_steps=0, interior_points=8, boundary_points=8, face_points=8, progress=False)


def problem_with_data(directory: pathlib.Path, content: bytes, name: str = "obs.csv") -> pathlib.Path:
    (directory / name).write_bytes(content)
    path = directory / "problem.pinn"
    path.write_text(HEAD + f'data "{name}"\n')
    return path


def error_of(path) -> PinnError:
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse_file(path)
    return caught.value


# ---- data files ----------------------------------------------------------------------

DATA_CASES = [
    ("long cell", b"x,t,u\n0.1,0.2," + b"1" * 200_000 + b"\n", "not a readable CSV file"),
    ("empty file", b"", "is empty"),
    ("duplicate column", b"x,t,u,u\n0.1,0.2,0.3,0.4\n", "names column 'u' twice"),
    ("underscore in a number", b"x,t,u\n0.1_0,0.2,0.3\n", "not a number in column 'x'"),
    ("arabic-indic digits", "x,t,u\n0.1,0.2,\u0661\n".encode(), "not a number in column 'u'"),
    ("header of numbers", b"1,2,3\n0.1,0.2,0.3\n", "not a header of column names"),
    ("not utf-8", b"x,t,u\n0.1,0.2,\xff\n", "not UTF-8"),
    ("too many columns", (",".join(f"c{i}" for i in range(1001)) + "\n").encode(), "the limit is 1,000"),
]


@pytest.mark.parametrize(("content", "message"), [c[1:] for c in DATA_CASES], ids=[c[0] for c in DATA_CASES])
def test_hostile_csv_files_are_clear_errors(tmp_path, content, message):
    err = error_of(problem_with_data(tmp_path, content))
    assert message in err.message
    assert err.span is not None and err.span.line == 5


def test_a_csv_with_a_byte_order_mark_is_read(tmp_path):
    spec = symbolic_pinn.parse_file(problem_with_data(tmp_path, "\ufeffx,t,u\n0.1,0.2,0.3\n".encode()))
    assert spec.data[0].observed["u"].tolist() == [0.3]


def test_an_npz_has_the_row_limit_of_a_csv(tmp_path, monkeypatch):
    monkeypatch.setattr(_data, "MAX_ROWS", 100)
    np.savez(tmp_path / "obs.npz", x=np.full(101, 0.5), t=np.full(101, 0.5), u=np.zeros(101))
    path = tmp_path / "problem.pinn"
    path.write_text(HEAD + 'data "obs.npz"\n')
    assert "has 101 values, more than 100 rows" in error_of(path).message


def test_an_npz_of_complex_numbers_is_refused(tmp_path):
    np.savez(tmp_path / "obs.npz", x=np.full(3, 0.5), t=np.full(3, 0.5), u=np.zeros(3, dtype=complex))
    path = tmp_path / "problem.pinn"
    path.write_text(HEAD + 'data "obs.npz"\n')
    assert "not real numbers" in error_of(path).message


@pytest.mark.parametrize("name", ["obs.csv", "obs.npz"])
def test_a_fifo_as_data_file_is_refused_without_waiting(tmp_path, name):
    os.mkfifo(tmp_path / name)
    path = tmp_path / "problem.pinn"
    path.write_text(HEAD + f'data "{name}"\n')
    assert "not a regular file" in error_of(path).message


def test_an_npz_of_too_many_arrays_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(_data, "MAX_COLUMNS", 3)
    np.savez(tmp_path / "obs.npz", x=np.full(2, 0.5), t=np.full(2, 0.5), u=np.zeros(2), w=np.zeros(2))
    path = tmp_path / "problem.pinn"
    path.write_text(HEAD + 'data "obs.npz"\n')
    assert "has 4 arrays; the limit is 3" in error_of(path).message


def test_a_data_symlink_out_of_the_problem_directory_is_refused_unread(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("x,t,u\nTOP-SECRET-LINE,0,0\n")
    inner = tmp_path / "problem"
    inner.mkdir()
    (inner / "obs.csv").symlink_to(secret)
    path = inner / "problem.pinn"
    path.write_text(HEAD + 'data "obs.csv"\n')
    err = error_of(path)
    assert "outside the problem's directory" in err.message
    assert "TOP-SECRET" not in err.render()


def test_a_data_file_in_a_folder_below_the_problem_is_read(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "obs.csv").write_text("x,t,u\n0.1,0.2,0.3\n")
    path = tmp_path / "problem.pinn"
    path.write_text(HEAD + 'data "data/obs.csv"\n')
    assert symbolic_pinn.parse_file(path).data[0].observed["u"].tolist() == [0.3]


@st.composite
def hostile_csv(draw) -> bytes:
    names = draw(st.lists(st.sampled_from(["x", "t", "u", "v", "1", "", "x y", "u"]), min_size=0, max_size=5))
    cells = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["0.5", "1_0", "", " ", "nan", "-inf", "1e999", "0x10", "٣", '"0.5"', "2.", ".5", "+1e-3"]),
        st.text(max_size=8),
    )
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=5), max_size=6))
    text = "\n".join([",".join(names)] + [",".join(row) for row in rows])
    ending = draw(st.sampled_from(["\n", "\r\n", "\r", ""]))
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.replace("\n", ending or "\n").encode()


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=hostile_csv())
def test_any_csv_gives_observations_in_the_domain_or_a_clear_error(tmp_path, content):
    path = problem_with_data(tmp_path, content)
    try:
        spec = symbolic_pinn.parse_file(path)
    except PinnError as err:
        assert err.message and err.span is not None
        return
    (data,) = spec.data
    for column in list(data.coordinates.values()) + list(data.observed.values()):
        assert np.all(np.isfinite(column)) and len(column) > 0
    assert np.all((0 <= data.coordinates["x"]) & (data.coordinates["x"] <= 1))


@settings(max_examples=30, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    arrays=st.dictionaries(
        st.sampled_from(["x", "t", "u", "w"]),
        st.tuples(st.sampled_from(["f8", "i4", "c16", "U3", "?", "f4"]), st.lists(st.integers(0, 4), max_size=3)),
        max_size=4,
    )
)
def test_any_npz_gives_finite_observations_or_a_clear_error(tmp_path, arrays):
    np.savez(tmp_path / "obs.npz", **{k: np.zeros(shape, dtype=dtype) for k, (dtype, shape) in arrays.items()})
    path = tmp_path / "problem.pinn"
    path.write_text(HEAD + 'data "obs.npz"\n')
    try:
        spec = symbolic_pinn.parse_file(path)
    except PinnError as err:
        assert err.message
        return
    assert all(np.all(np.isfinite(c)) for c in spec.data[0].observed.values())


# ---- problem files: not regular, too long, line endings, byte-order mark ---------------


def test_check_refuses_a_device_without_reading_it():
    started = time.perf_counter()
    err = error_of("/dev/zero")
    assert "not a regular file" in err.message and time.perf_counter() - started < 1


def test_check_refuses_a_fifo_without_waiting(tmp_path):
    fifo = tmp_path / "problem.pinn"
    os.mkfifo(fifo)
    assert "not a regular file" in error_of(fifo).message


def test_a_huge_problem_file_is_refused(tmp_path):
    path = tmp_path / "big.pinn"
    path.write_bytes(b"# " + b"a" * 1_000_000)
    assert "larger than 200,000 bytes" in error_of(path).message


def test_a_fifo_as_config_is_refused(tmp_path, capsys):
    fifo = tmp_path / "settings.toml"
    os.mkfifo(fifo)
    problem = tmp_path / "p.pinn"
    problem.write_text("x in [0, 1]\nfield u(x)\nDxx(u) = 1\n")
    assert _cli.main(["train", str(problem), "--out", str(tmp_path / "run"), "--config", str(fifo)]) == 1
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize("ending", ["\r", "\r\n"], ids=["CR", "CRLF"])
def test_old_mac_and_windows_line_endings(ending):
    text = "# a comment\nx in [0, 1]\nfield u(x)\nDxx(u) = -1\nu = 0 on ∂Ω\n".replace("\n", ending)
    spec = symbolic_pinn.parse(text)
    assert [t.region.kind for t in spec.terms] == ["interior", "boundary"]


def test_cr_line_endings_keep_error_lines():
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse("x in [0, 1]\rfield u(x)\rDxx(v) = 1\r")
    assert caught.value.span.line == 3 and "3 | Dxx(v) = 1" in caught.value.render()


def test_a_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.pinn"
    path.write_bytes("\ufeffx in [0, 1]\nfield u(x)\nDxx(u) = -1\n".encode())
    assert len(symbolic_pinn.parse_file(path).terms) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.sampled_from(["x in [0, 1]", "field u(x)", "Dxx(u) = -1", "u = 0 on ∂Ω", "# note", "", "Dxx(v) = 1"])
    ),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    noise=st.binary(max_size=4),
)
def test_any_layout_of_a_problem_file_is_ok_or_a_clear_error(tmp_path, capsys, lines, ending, bom, noise):
    def check(name: str, content: bytes):
        path = tmp_path / name
        path.write_bytes(content)
        status = _cli.main(["check", str(path)])
        err = capsys.readouterr().err
        assert status in (0, 1) and (status == 0) == (err == ""), err
        return status, err.replace(str(path), "FILE")

    body = "\n".join(lines).encode() + noise.replace(b"\r", b"")
    plain = check("plain.pinn", body)
    variant = check("variant.pinn", (b"\xef\xbb\xbf" if bom else b"") + body.replace(b"\n", ending.encode()))
    assert variant[0] == plain[0]  # line endings and a byte-order mark change nothing
    assert variant[1].splitlines()[:2] == plain[1].splitlines()[:2]


# ---- expressions that ask for unbounded work ------------------------------------------

EXPRESSION_CASES = [
    ("negative exponent of a fraction", "const c = (1/3)^100000000\nΔu = c", "the size of the exponent", (4, 17)),
    ("exact rational power", "const c = (10000001/10000000)^1000000000\nΔu = c", "the size of the exponent", (4, 31)),
    ("power of a field", "Δu = u^100000000", "the size of the exponent", (4, 8)),
    ("power too small", "const c = 10^(-400)\nΔu = c", "too small to compute", (4, 11)),
    ("exp of exp of exp", "const c = exp(exp(exp(100)))\nΔu = c", "exp of this number is too large", (4, 15)),
    ("5000 letters after D", "D" + "x" * 5000 + "(u) = 1", "the order of the derivative is 5,000", (4, 1)),
    # the error is at the 9th D from the inside
    ("D nested 50 deep", "D(" * 50 + "u" + ", x)" * 50 + " = 1", "the order of the derivative is 9", (4, 83)),
    ("D with 20 variables", "D(u" + ", x" * 20 + ") = 1", "the order of the derivative is 20", (4, 1)),
    (
        "Laplacian of a product of 50",
        "Δ(u*" + "*".join(f"(x + {i}*y)" for i in range(1, 51)) + ") = 1",
        "this derivative would be too large",
        (4, 1),
    ),
    (
        "Laplacian of a product of 100",
        "Δ(" + "*".join(f"sin({i}*x + y)" for i in range(1, 101)) + "*u) = 1",
        "this derivative would be too large",
        (4, 1),
    ),
]


@pytest.mark.parametrize(
    ("line", "message", "where"), [c[1:] for c in EXPRESSION_CASES], ids=[c[0] for c in EXPRESSION_CASES]
)
def test_unbounded_expressions_are_located_errors_naming_the_limit(line, message, where):
    started = time.perf_counter()
    with pytest.raises(PinnError) as caught:
        symbolic_pinn.parse(H2 + line + "\n")
    assert time.perf_counter() - started < 10
    err = caught.value
    assert message in err.message
    assert (err.span.line, err.span.column) == where
    assert "^" in err.render()
    if "limit" in err.message:
        assert "SYMBOLIC_PINN_MAX_" in err.help


def test_a_limit_is_raised_by_its_environment_variable(monkeypatch):
    text = H2 + "D(u" + ", x" * 9 + ") = 1\n"
    with pytest.raises(PinnError, match="above the limit of 8"):
        symbolic_pinn.parse(text)
    monkeypatch.setenv(_limits.DERIVATIVE_ORDER.variable, "9")
    (term,) = symbolic_pinn.parse(text).terms
    u = sympy.Function("u", real=True)(*sympy.symbols("x y", real=True))
    assert term.expr == sympy.Derivative(u, (sympy.Symbol("x", real=True), 9)) - 1
    monkeypatch.setenv(_limits.DERIVATIVE_ORDER.variable, "many")
    with pytest.raises(PinnError, match="must be a whole number"):
        symbolic_pinn.parse(text)


def test_the_laplacian_of_a_product_within_the_limits_is_sympys():
    factors = [f"sin({i}*x + y)" for i in range(1, 9)]
    (term,) = symbolic_pinn.parse(H2 + f"Δ({'*'.join(factors)}*u) = 0\n").terms
    x, y = sympy.symbols("x y", real=True)
    u = sympy.Function("u", real=True)(x, y)
    product = sympy.prod(sympy.sin(i * x + y) for i in range(1, 9)) * u
    assert sympy.expand(term.expr - (product.diff(x, 2) + product.diff(y, 2))) == 0


def test_the_laplacian_in_30_dimensions_of_a_product_of_sines_is_allowed():
    names = [f"x{i}" for i in range(1, 31)]
    product = "*".join(f"sin(pi*{n})" for n in names)
    text = "; ".join(f"{n} in [0, 1]" for n in names) + f"\nfield u({', '.join(names)})\n-Δu = -Δ({product})\n"
    (term,) = symbolic_pinn.parse(text).terms
    symbols = sympy.symbols(" ".join(names), real=True)
    u = sympy.Function("u", real=True)(*symbols)
    product = sympy.prod(sympy.sin(sympy.pi * s) for s in symbols)
    want = -sum(u.diff(s, 2) for s in symbols) - 30 * sympy.pi**2 * product
    assert sympy.expand(term.expr - want) == 0


exprs = st.deferred(
    lambda: st.one_of(
        st.sampled_from(["u", "x", "y", "1", "0", "1e308", "pi", "(1/3)", "1e-300", "(0*log(0))", "(1/0)"]),
        st.integers(-(10**12), 10**12).map(str),
        st.builds("({}+{})".format, exprs, exprs),
        st.builds("({}*{})".format, exprs, exprs),
        st.builds("({}/{})".format, exprs, exprs),
        st.builds("({})^({})".format, exprs, st.sampled_from(["2", "-1", "0.5", "1000", "-1001", "10^10", "(1/3)"])),
        st.builds("{}({})".format, st.sampled_from(["exp", "sin", "log", "sqrt", "cosh", "tanh"]), exprs),
        st.builds("D({}, {})".format, exprs, st.sampled_from(["x", "y", "x, x, x", "x, y, x, y"])),
        st.builds("Δ({})".format, exprs),
        st.builds("{}({})".format, st.sampled_from(["Dx", "Dxy", "Dxxxxx", "D" + "y" * 12]), exprs),
    )
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lhs=exprs, rhs=exprs)
def test_any_expression_is_checked_quickly_or_refused_cleanly(tmp_path, capsys, lhs, rhs):
    path = tmp_path / "p.pinn"
    path.write_text(H2 + f"{lhs} = {rhs}\n")
    started = time.perf_counter()
    status = _cli.main(["check", str(path)])
    out, err = capsys.readouterr()
    assert time.perf_counter() - started < 10
    warnings = all(line.startswith("warning: ") for line in err.splitlines())  # an ill-posed problem still checks
    assert (status, bool(out), warnings) == (0, True, True) or (status == 1 and err.startswith("error: ")), err


@settings(max_examples=15, deadline=None)
@given(lhs=exprs, rhs=exprs)
def test_any_checked_expression_compiles_or_is_refused_cleanly(lhs, rhs):
    started = time.perf_counter()
    try:
        compiled = symbolic_pinn.compile(H2 + f"{lhs} = {rhs}\n", width=2, depth=1)
    except PinnError as err:
        assert err.message
        return
    assert compiled.module.WEIGHTS and time.perf_counter() - started < 20


# ---- checkpoints that were edited or damaged -------------------------------------------

POISSON = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)\n"


@pytest.fixture(scope="module")
def poisson():
    return symbolic_pinn.compile(POISSON, width=4, depth=1)


def _stop_at(step):
    def on_step(done):
        if done == step:
            signal.raise_signal(signal.SIGINT)

    return on_step


DAMAGE = [
    ("not an object", lambda meta: [meta]),
    ("no step", lambda meta: {k: v for k, v in meta.items() if k != "step"}),
    ("no phase", lambda meta: {k: v for k, v in meta.items() if k != "phase"}),
    ("no settings", lambda meta: {k: v for k, v in meta.items() if k != "settings"}),
    ("no arrays", lambda meta: {k: v for k, v in meta.items() if k != "arrays"}),
    ("no history", lambda meta: {k: v for k, v in meta.items() if k != "history"}),
    ("steps a list", lambda meta: meta | {"steps": [1, 2]}),
    ("steps of strings", lambda meta: meta | {"steps": {"adam": "3", "lbfgs": 0}}),
    ("phase unknown", lambda meta: meta | {"phase": "sgd"}),
    ("phase lm without lm steps", lambda meta: meta | {"phase": "lm", "steps": {"adam": 3, "lbfgs": 0, "lm": 0}}),
    ("flat a string", lambda meta: meta | {"flat": "0"}),
    ("previous null", lambda meta: meta | {"previous": None}),
    ("seconds a string", lambda meta: meta | {"seconds": "1 s"}),
    ("history of numbers", lambda meta: meta | {"history": [1, 2]}),
    ("settings a list", lambda meta: meta | {"settings": []}),
    ("a setting of the wrong type", lambda meta: meta | {"settings": meta["settings"] | {"adam_steps": "many"}}),
    ("width of the wrong type", lambda meta: meta | {"settings": meta["settings"] | {"width": 4.5}}),
    ("arrays a path", lambda meta: meta | {"arrays": "../../etc/passwd"}),
    ("sha256 a number", lambda meta: meta | {"arrays_sha256": 5}),
    ("source_sha256 null", lambda meta: meta | {"source_sha256": None}),
]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A run of the CLI (its problem file beside it), to be copied and damaged."""
    directory = tmp_path_factory.mktemp("finished")
    problem = directory / "poisson.pinn"
    problem.write_text(POISSON)
    flags = ["--steps", "2", "--lbfgs-steps", "0", "--width", "4", "--depth", "1", "--no-progress"]
    assert _cli.main(["train", str(problem), "--out", str(directory / "run"), *flags]) == 0
    return problem, directory / "run"


@pytest.mark.parametrize("damage", [d[1] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_an_edited_checkpoint_is_a_damaged_checkpoint_for_the_cli(finished_run, tmp_path, capsys, damage):
    problem, run = finished_run
    for path in run.glob("checkpoint*"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    index = tmp_path / _checkpoint.INDEX
    index.write_text(json.dumps(damage(json.loads(index.read_text()))))
    capsys.readouterr()
    status = _cli.main(["train", str(problem), "--resume", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert f"the checkpoint in {tmp_path} is damaged" in err
    assert "without --resume" in err and "restore checkpoint.json" in err


def test_an_undamaged_copy_of_the_checkpoint_resumes(finished_run, tmp_path, capsys):
    problem, run = finished_run
    for path in run.glob("checkpoint*"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert _cli.main(["train", str(problem), "--resume", str(tmp_path), "--no-progress"]) == 0


def test_leftover_temporary_files_are_removed_by_the_next_checkpoint(poisson, tmp_path):
    (tmp_path / "checkpoint.json.tmp").write_text("{half")
    (tmp_path / "checkpoint-00000007.npz.tmp").write_bytes(b"half")
    (tmp_path / "keep.tmp").write_bytes(b"not ours")
    train(poisson, TINY, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-00000003.npz", "checkpoint.json", "keep.tmp"]


def test_a_failed_checkpoint_write_leaves_no_temporary_and_keeps_the_old_one(poisson, tmp_path, monkeypatch):
    train(poisson, TINY, tmp_path, on_step=_stop_at(2))
    real = np.savez

    def full_disk(handle, **arrays):
        real(handle, **arrays)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    result = train(poisson, TINY, tmp_path, resume=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-00000002.npz", "checkpoint.json"]
    assert result.metrics["checkpoint_step"] == 2
    assert "could not write the checkpoint of step 3" in result.metrics["notes"][0]
    assert _checkpoint.load(tmp_path)[0]["step"] == 2


# ---- results: strict JSON, NaN exact solutions, writable run directories --------------


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_an_exact_solution_that_is_nan_somewhere_is_a_warning_and_null(tmp_path, capsys):
    problem = tmp_path / "p.pinn"
    problem.write_text("x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 on ∂Ω\nexact u = sqrt(x - 0.5)\n")
    flags = ["--steps", "3", "--lbfgs-steps", "0", "--width", "4", "--depth", "1", "--no-progress"]
    assert _cli.main(["train", str(problem), "--out", str(tmp_path / "run"), *flags]) == 0
    out, err = capsys.readouterr()
    assert "relative L2 error: u not computed" in out
    assert "warning: no relative L2 error for u: the exact solution of u is nan at" in err
    metrics = _strict((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["rel_l2"] == {"u": None}
    assert "the exact solution of u is nan" in metrics["notes"][0]


def test_metrics_json_is_strict_whatever_the_numbers():
    text = _run.metrics_json({"loss": math.nan, "losses": {"a": math.inf, "b": 1.0}, "rel_l2": {}, "notes": []})
    metrics = _strict(text)
    assert metrics["loss"] is None and metrics["losses"] == {"a": None, "b": 1.0}
    assert metrics["notes"] == ["loss was nan, written as null", "losses.a was inf, written as null"]


def test_the_error_in_30_dimensions_is_measured_on_quasi_random_points():
    names = [f"x{i}" for i in range(1, 31)]
    text = "; ".join(f"{n} in [0, 1]" for n in names) + f"\nfield u({', '.join(names)})\n"
    text += "Δu = 0\nexact u = " + " + ".join(names) + "\n"
    compiled = symbolic_pinn.compile(text, width=2, depth=1)
    grid = _domain.test_grid(compiled.ir)
    assert grid.shape == (10_000, 30) and grid.min() >= 0 and grid.max() <= 1
    assert abs(grid.mean() - 0.5) < 0.01  # spread over the cube
    params = compiled.init_params(__import__("jax").random.PRNGKey(0))
    (error,) = relative_l2(compiled, params).values()
    predicted = np.asarray(compiled.module.fields(params)["u"](*grid.T.astype(np.float32)))
    reference = grid.sum(axis=1)
    assert error == pytest.approx(np.linalg.norm(predicted - reference) / np.linalg.norm(reference), rel=1e-4)


def test_a_run_directory_that_cannot_be_written_is_refused_before_training(poisson, tmp_path, monkeypatch):
    steps = []
    monkeypatch.setattr("symbolic_pinn._files.tempfile.TemporaryFile", _raise(PermissionError(13, "Permission denied")))
    with pytest.raises(PinnError, match="cannot write in the run directory .*: Permission denied"):
        train(poisson, TINY, tmp_path, on_step=steps.append)
    assert steps == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_out_directory_is_refused_before_training(tmp_path, capsys):
    problem = tmp_path / "p.pinn"
    problem.write_text(POISSON)
    run = tmp_path / "run"
    run.mkdir()
    run.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        status = _cli.main(["train", str(problem), "--out", str(run), "--checkpoint-every", "0", "--no-progress"])
    finally:
        run.chmod(stat.S_IRWXU)
    assert status == 1 and "cannot write in the run directory" in capsys.readouterr().err


def test_an_out_path_below_a_file_is_refused_before_training(tmp_path, capsys):
    problem = tmp_path / "p.pinn"
    problem.write_text(POISSON)
    status = _cli.main(["train", str(problem), "--out", str(problem / "run"), "--no-progress", "--width", "4"])
    assert status == 1 and "cannot create" in capsys.readouterr().err


def test_failed_final_writes_are_named_and_the_checkpoint_is_kept(tmp_path, capsys, monkeypatch):
    problem = tmp_path / "p.pinn"
    problem.write_text(POISSON)
    run = tmp_path / "run"
    from symbolic_pinn import _files

    real = _files.write_atomic

    def disk_full_for(names):
        def write(path, data):
            if path.name in names:
                raise OSError(28, "No space left on device")
            real(path, data)

        return write

    monkeypatch.setattr(_files, "write_atomic", disk_full_for({"metrics.json", "params.npz"}))
    flags = ["--steps", "4", "--lbfgs-steps", "0", "--width", "4", "--depth", "1", "--no-progress"]
    assert _cli.main(["train", str(problem), "--out", str(run), *flags]) == 1
    out, err = capsys.readouterr()
    assert "could not write in" in err and "metrics.json (No space left on device)" in err
    assert "params.npz (No space left on device)" in err and "the checkpoint of step 4" in err
    assert not (run / "metrics.json").exists() and not list(run.glob("*.tmp"))
    printed = _strict(out[out.index("{") :])  # the metrics went to the terminal instead
    assert printed["steps"] == 4
    assert _checkpoint.load(run)[0]["step"] == 4


def _raise(error):
    def fail(*args, **kwargs):
        raise error

    return fail
