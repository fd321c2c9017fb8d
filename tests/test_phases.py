"""The table of training phases (_training.phases) is what everything else reads: the
``finisher`` setting's choices, the checkpoint's check, each phase's step builder, the
history's columns, the summary table, metrics.json and the loss plot.  A phase added in
one place only fails here."""

import subprocess
import sys

import pytest

import symbolic_pinn
from symbolic_pinn._config import TrainConfig
from symbolic_pinn._training import checkpoint, metrics, monitor, phases, steps

POISSON = "x in [0, 1]\nfield u(x)\n-Dxx(u) = pi^2*sin(pi*x)\nu = 0 on ∂Ω\nexact u = sin(pi*x)"


def _meta(phase: str, steps_done: dict) -> dict:
    return {
        "step": sum(steps_done.values()), "phase": phase, "steps": steps_done, "flat": 0, "previous": 1.0,
        "seconds": 0.0, "source_sha256": "0" * 64, "settings": {}, "history": [], "arrays": "checkpoint-1.npz",
        "arrays_sha256": "0" * 64,
    }  # fmt: skip


def test_the_finisher_choices_are_the_finishers_of_the_table():
    choices = TrainConfig.__dataclass_fields__["finisher"].metadata["choices"]
    assert set(choices) == {"auto"} | {p.name for p in phases.PHASES if p.finisher}
    for name in phases.FINISHERS:
        assert TrainConfig(finisher=name).finisher == name
    with pytest.raises(symbolic_pinn.PinnError, match="unknown finisher"):
        TrainConfig(finisher="adam")  # a phase, but not a finisher


@pytest.mark.parametrize("phase", phases.NAMES + (phases.DONE,))
def test_every_phase_of_the_table_is_a_valid_checkpoint_phase(phase):
    for finisher in phases.FINISHERS:
        done = {phases.NAMES[0]: 3, finisher: 2}
        checkpoint._validate(_meta(phase, done))  # no error
        checkpoint._validate(_meta(phase, done | {p: 0 for p in phases.NAMES}))


def test_a_checkpoint_naming_a_phase_not_in_the_table_is_refused():
    with pytest.raises(ValueError, match="'phase' in checkpoint.json is 'nesterov', not one of"):
        checkpoint._validate(_meta("nesterov", {"adam": 1, phases.FINISHERS[0]: 0}))
    with pytest.raises(ValueError, match="must name the phases adam and"):
        checkpoint._validate(_meta("adam", {"adam": 1, "nesterov": 0}))


@pytest.mark.parametrize("finisher", phases.FINISHERS)
def test_every_phase_has_a_step_builder_whose_row_gives_its_columns(finisher):
    compiled = symbolic_pinn.compile(POISSON, width=4, depth=1)
    config = TrainConfig(adam_steps=5, bfgs_steps=5, lm_steps=5, finisher=finisher, progress=False)
    built = steps.step_functions(compiled, config, finisher)
    assert list(built) == [p.name for p in phases.running(config, finisher)]
    assert finisher in built and not set(phases.FINISHERS) - {finisher} & set(built)
    for name, stepper in built.items():
        phase = phases.BY_NAME[name]
        assert callable(stepper.step) and callable(stepper.optimizer.init)
        assert set(stepper.row(0) if stepper.row else {}) == set(phase.columns)
        assert set(phase.columns) <= set(monitor.EXTRA_COLUMNS)  # the history knows them as columns


def test_the_lm_phase_runs_only_with_a_budget():
    assert "lm" not in [p.name for p in phases.running(TrainConfig(), "bfgs")]
    assert "lm" in [p.name for p in phases.running(TrainConfig(lm_steps=1), "bfgs")]


def test_metrics_and_the_summary_table_name_every_phase_of_the_run():
    for finisher in phases.FINISHERS:
        config = TrainConfig(finisher=finisher, lm_steps=3)
        done = {p.name: 7 for p in phases.running(config, finisher)}
        reported = metrics.phase_metrics(done, finisher, config)
        assert {p.steps_key for p in phases.PHASES} <= set(reported)
        assert all(reported[p.steps_key] == (7 if p.name in done else 0) for p in phases.PHASES)
        result = {"loss": 1.0, "losses": {}, "rel_l2": {}, "unknowns": {}, "seconds": 1.0}
        result |= reported | {"ended": {name: "step budget" for name in done}}
        table = metrics.summary_table(result)
        labels = list(table.columns[0].cells)
        shown = [p.label for p in phases.PHASES if p.name in done]
        assert f"steps ({' + '.join(shown)})" in labels
        assert all(f"{label} ended" in labels for label in shown)


def test_the_loss_plot_marks_where_each_phase_of_the_table_starts():
    pytest.importorskip("matplotlib")
    from symbolic_pinn._product import plots

    history = [{"step": 10 * i, "phase": p.name, "loss": 1.0 / (i + 1)} for i, p in enumerate(phases.PHASES)]
    figure = plots._loss_figure(history)
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert [p.switch[0] for p in phases.PHASES if p.switch] == [t for t in legend if "→" in t]


def test_the_table_imports_no_jax_and_settings_do_not_import_checkpoints():
    """`_config` reads the table, so it must stay light; `_settings` no longer imports the checkpoint
    module (which imports `_settings`): the import loop is gone."""
    code = (
        "import sys, symbolic_pinn._settings, symbolic_pinn._training.phases\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'optax')"
        " or m == 'symbolic_pinn._training.checkpoint'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
