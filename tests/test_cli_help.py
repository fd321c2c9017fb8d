"""`symbolic-pinn train --help`: its groups, its epilog, its help texts; settings renamed, with
their old names kept (flags, TOML keys, keywords, saved runs)."""

import argparse
import re

import pytest

import symbolic_pinn
from symbolic_pinn import _config, _settings
from symbolic_pinn._product import cli as _cli
from symbolic_pinn._training import checkpoint as _checkpoint


def help_of(capsys, command: str) -> str:
    with pytest.raises(SystemExit) as caught:
        _cli.main([command, "--help"])
    assert caught.value.code == 0
    return capsys.readouterr().out


def sections(text: str) -> dict[str, str]:
    """The sections of an argparse help, by title: ``name:`` at the start of a line."""
    parts = re.split(r"^(\w[\w ]*):\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def flags_in(section: str) -> set[str]:
    return set(re.findall(r"^  (--[\w-]+)", section, flags=re.MULTILINE))


def test_every_setting_has_one_group_and_every_group_names_settings():
    grouped = [name for _, names in _settings.GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(s.name for s in _settings.SETTINGS)  # each once, none unknown
    assert {s.group for s in _settings.SETTINGS} == set(_settings.GROUPS)


def test_train_help_lists_each_setting_in_its_group(capsys):
    found = sections(help_of(capsys, "train"))
    assert list(_settings.GROUPS) == [t for t in found if t in _settings.GROUPS]
    for group, (what, names) in _settings.GROUPS.items():
        assert found[group].lstrip().startswith(what)
        wanted = {next(s.flag for s in _settings.SETTINGS if s.name == name) for name in names}
        assert wanted <= flags_in(found[group]), group
    assert {"--out", "--resume", "--overwrite"} <= flags_in(found["output"])
    assert {"--coordinator", "--num-processes", "--process-id"} <= flags_in(found["scale"])
    assert help_of(capsys, "train").startswith("usage: symbolic-pinn train [options] file\n")


def test_compile_help_groups_only_the_settings_of_compile(capsys):
    found = sections(help_of(capsys, "compile"))
    assert [t for t in found if t in _settings.GROUPS] == ["problem", "network"]
    assert flags_in(found["problem"]) | flags_in(found["network"]) == {s.flag for s in _settings.NETWORK}


def test_train_epilog_names_exactly_the_settings_a_resume_may_change(capsys):
    text = " ".join(help_of(capsys, "train").split())
    sentence = text[text.index("--resume DIR continues") :]
    named = set(re.findall(r"--[\w-]+", sentence.split("(only", 1)[1]))
    assert named == {s.flag for s in _settings.SETTINGS if s.name in _config.RESUMABLE}
    assert len(named) == 8


def every_help_text():
    """The help of every argument, option group and command of the parser, with the settings'."""
    parser = _cli._parser()
    texts = [s.help for s in _settings.SETTINGS] + [what for what, _ in _settings.GROUPS.values()]
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    texts += [a.help for a in commands._choices_actions]
    for sub in commands.choices.values():
        texts += [a.help for a in sub._actions if a.help] + [sub.description or "", sub.epilog or ""]
    return texts


def test_no_help_text_points_at_a_private_module():
    private = re.compile(r"(?<![\w-])_[a-z]\w*|symbolic_pinn\._")
    for text in every_help_text():
        assert not private.search(text), text


# ---- lbfgs_steps, now bfgs_steps ---------------------------------------------------------


def test_bfgs_steps_is_the_flag_and_lbfgs_steps_its_old_name():
    def parse(*argv):
        return _cli._parser(only="train").parse_args(["train", "p.pinn", *argv])

    assert parse("--bfgs-steps", "7").bfgs_steps == 7
    assert parse("--lbfgs-steps", "7").bfgs_steps == 7
    assert not hasattr(parse("--lbfgs-steps", "7"), "lbfgs_steps")


def test_the_old_name_is_read_in_toml_and_by_train(tmp_path):
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    old.write_text("[train]\nlbfgs_steps = 7\n")
    new.write_text("[train]\nbfgs_steps = 7\n")
    assert _settings.read_toml(old) == _settings.read_toml(new) == {"bfgs_steps": 7}
    assert _settings.train_config({"lbfgs_steps": 7}).bfgs_steps == 7
    assert symbolic_pinn.TrainConfig(bfgs_steps=7).bfgs_steps == 7


def test_a_setting_given_by_both_names_is_an_error(tmp_path):
    both = tmp_path / "both.toml"
    both.write_text("[train]\nbfgs_steps = 7\nlbfgs_steps = 8\n")
    with pytest.raises(symbolic_pinn.PinnError, match="'bfgs_steps' is given twice, also as 'lbfgs_steps'"):
        _settings.read_toml(both)


def test_a_checkpoint_saved_under_the_old_name_resumes_with_its_value(monkeypatch):
    # a run saved before the rename recorded lbfgs_steps; it keeps its value, not the default
    monkeypatch.setattr(_checkpoint, "index", lambda run_dir: {"settings": {"lbfgs_steps": 7, "seed": 2}})
    saved = _checkpoint.saved_settings("old-run")
    assert saved["bfgs_steps"] == 7 and "lbfgs_steps" not in saved
    assert _settings.train_config({}, saved).bfgs_steps == 7


def test_a_run_stopped_before_the_rename_resumes_to_its_own_budget(tmp_path):
    import json
    import signal

    from symbolic_pinn._training.train import TrainConfig, train

    def stop_at_5(done: int) -> None:
        if done == 5:
            signal.raise_signal(signal.SIGINT)

    compiled = symbolic_pinn.compile("x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 on ∂Ω", width=4, depth=1)
    small = dict(interior_points=16, boundary_points=4, face_points=4, progress=False, error_every=0)
    config = TrainConfig(adam_steps=10, bfgs_steps=0, checkpoint_every=5, **small)  # not the default, 2000
    assert train(compiled, config, tmp_path, on_step=stop_at_5).metrics["signal"] == "SIGINT"
    index = tmp_path / "checkpoint.json"
    meta = json.loads(index.read_text())
    meta["settings"]["lbfgs_steps"] = meta["settings"].pop("bfgs_steps")  # as written before the rename
    index.write_text(json.dumps(meta))
    resumed = compiled.train(tmp_path, resume=True, plots=False)  # not "the settings changed": 0 is 0
    assert resumed.metrics["stopped"] is None and resumed.metrics["steps"] == 10
    assert json.loads((tmp_path / "metrics.json").read_text())["settings"]["bfgs_steps"] == 0
