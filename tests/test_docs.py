"""The README's and docs/'s samples, run: they cannot go stale.

A fenced block whose first line is ``$ symbolic-pinn ...`` is a session: each ``$`` line
is a command, the lines after it its output. ``check``, ``compile`` and ``derive`` are run
and their output compared (a line ``...`` stands for any lines); ``train`` is too slow, so
its sample is checked for its form: the line the command prints, and the files it names.
A block whose first line is ``# NAME.pinn`` is a problem file that later sessions of the
same page use. Relative links must lead to files, and a sentence that lists the settings
a resumed run may change must list exactly those.
"""

import fnmatch
import pathlib
import re
import shlex

import pytest

from symbolic_pinn import _config, _settings
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._product import run as _run

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN = ("check", "compile", "derive")


def fenced(path: pathlib.Path) -> list[str]:
    """The fenced code blocks of a Markdown page, without their fences."""
    parts = re.split(r"^```[^\n]*\n", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return parts[1::2]


def problem_files(path: pathlib.Path) -> dict[str, str]:
    """The problem files a page writes out: blocks starting ``# NAME.pinn``."""
    found = {}
    for block in fenced(path):
        match = re.match(r"# ([\w.-]+\.pinn)\b", block)
        if match:
            found[match.group(1)] = block
    return found


def sessions(path: pathlib.Path) -> list[tuple[str, str]]:
    """Each ``$ symbolic-pinn`` command of a page with the output shown under it."""
    found = []
    for block in fenced(path):
        if block.startswith("$ symbolic-pinn "):
            for chunk in re.split(r"^(?=\$ )", block, flags=re.MULTILINE)[1:]:
                command, _, output = chunk.partition("\n")
                found.append((command, output))
    return found


SESSIONS = [
    pytest.param(page, command, output, id=f"{page.name}: {command}")
    for page in PAGES
    for command, output in sessions(page)
]


def test_the_pages_have_samples():
    names = {page.name for page, _, _ in (s.values for s in SESSIONS)}
    assert {"README.md", "compiler.md", "training.md"} <= names
    assert len(SESSIONS) >= 10


def matches(shown: str, printed: str) -> bool:
    """``shown``'s pieces between lines ``...`` appear in ``printed``, in order, each whole lines."""
    at = 0
    pieces = re.split(r"^\.\.\.\n", shown, flags=re.MULTILINE)
    for i, piece in enumerate(pieces):
        if not piece:
            continue
        anchored = i == 0 and not shown.startswith("...")
        found = printed.find(piece, at)
        if found < 0 or (anchored and found != 0) or (found > 0 and printed[found - 1] != "\n"):
            return False
        at = found + len(piece)
    return at == len(printed) or shown.endswith("...\n")


@pytest.mark.parametrize("page, command, output", SESSIONS)
def test_a_sample_is_what_the_command_prints(page, command, output, tmp_path, monkeypatch, capsys):
    argv = shlex.split(command.split("#")[0])[2:]  # after "$ symbolic-pinn"
    if argv[0] == "train":
        return check_train_sample(argv, output)
    assert argv[0] in RUN, command
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    for name, text in problem_files(page).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        for data in re.findall(r'data "([^"]+)"', text):
            (tmp_path / data).write_bytes((ROOT / "examples" / data).read_bytes())
    monkeypatch.chdir(tmp_path)
    code = _cli.main(argv)
    out, err = capsys.readouterr()
    assert code == (1 if output.startswith("error:") else 0), err
    printed = err if code else out
    shown = f"{page.name} shows for `{command}`:\n{output}\nit prints:\n{printed}"
    assert matches(output, printed.rstrip("\n") + "\n"), shown


def check_train_sample(argv: list[str], output: str) -> None:
    """A training's output, by its form: it depends on the machine and takes minutes."""
    number = r"\d\.\d{3}e[-+]\d\d"
    summary = rf"loss {number} after \d+ steps in \d+\.\d s; relative L2 error: (\w+ {number}(, )?)+"
    for line in output.splitlines():
        if line.startswith("loss "):
            assert re.fullmatch(summary, line), line
        elif line.startswith("wrote "):
            first, *others = line.removeprefix("wrote ").split(", ")
            directory, _, first = first.rpartition("/")
            assert directory == argv[argv.index("--out") + 1]
            names = [first, *others]
            for name in names:
                assert any(fnmatch.fnmatch(name, pattern) for pattern in _run.FILES), name
            assert _run.FINISHED[0] in names and _run.METRICS_FILE in names
        else:  # as _training.stopping and checkpoint say it
            out = re.escape(argv[argv.index("--out") + 1])
            stopped = rf"warning: interrupted \(SIG(INT|TERM)\) after step (\d+); the checkpoint of step \2 is in {out}"
            assert re.fullmatch(stopped + rf"; continue with `--resume {out}`", line), line


def test_every_problem_file_of_a_page_checks(tmp_path, monkeypatch, capsys):
    pages = {page: problem_files(page) for page in PAGES}
    assert {"bad.pinn", "decay.pinn", "rod.pinn", "inverse.pinn"} <= set(pages[ROOT / "README.md"])
    for page, files in pages.items():
        for name, text in files.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
            for data in re.findall(r'data "([^"]+)"', text):
                (tmp_path / data).write_bytes((ROOT / "examples" / data).read_bytes())
            monkeypatch.chdir(tmp_path)
            code = _cli.main(["check", name])
            _, err = capsys.readouterr()
            assert code == (1 if name == "bad.pinn" else 0), f"{page.name}: {name}: {err}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file(page):
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)  # code, not links: D[v](u)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        path = page.parent / path if path else page
        assert path.exists(), f"{page.name} links to {target}"
        if anchor:
            assert anchor in anchors(path), f"{page.name} links to {target}: no such heading"


def anchors(path: pathlib.Path) -> set[str]:
    """The anchors of a Markdown page's headings, as GitHub makes them."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_a_list_of_what_a_resume_may_change_is_the_code_s():
    wanted = {s.flag for s in _settings.SETTINGS if s.name in _config.RESUMABLE}
    for page in PAGES + [ROOT / "CHANGELOG.md"]:
        text = " ".join(page.read_text(encoding="utf-8").split())
        for listing in re.findall(r"\(only ([^()]*?) may change\)", text):
            assert set(re.findall(r"--[\w-]+", listing)) == wanted, f"{page.name}: {listing}"


def test_the_readme_keeps_its_two_first_commands():
    """.ci/run runs the block after the marker; the first block installs and trains."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first, marked = fenced(ROOT / "README.md")[1:3]
    assert first.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    assert "symbolic-pinn train examples/poisson.pinn" in first
    assert text.index("<!-- test-command -->") < text.index(marked)
    assert marked.strip().endswith(".venv/bin/ruff check . && .venv/bin/pytest")


def test_the_groups_of_train_help_are_the_ones_docs_training_names():
    import argparse

    parser = _cli._parser(only="train")
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    groups = {
        g.title: {o for a in g._group_actions for o in a.option_strings}
        for g in commands.choices["train"]._action_groups
    }
    text = " ".join((ROOT / "docs" / "training.md").read_text(encoding="utf-8").split())
    listed = re.findall(r"\*\*(\w+)\*\* \(((?:[^()]|\([^()]*\))*)\)", text[text.index("## Settings") :])
    assert [name for name, _ in listed] == list(_settings.GROUPS)
    for name, listing in listed:
        assert set(re.findall(r"--[\w-]+", listing)) <= groups[name], name
