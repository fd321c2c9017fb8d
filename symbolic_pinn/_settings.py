"""Training settings: their names, types, defaults and help, in one table; TOML files.

Every field of :class:`TrainConfig` and of :class:`NetworkConfig` (the settings that
shape the generated code) is a setting.  A setting comes from, in rising priority: its default, a TOML file's
``[train]`` table (``--config FILE.toml``, else ``<problem>.toml`` beside the problem
file), a ``symbolic-pinn train`` flag.  The flag of ``adam_steps`` is ``--adam-steps``.
A renamed setting keeps its old name as another (``_config.RENAMED``).  ``GROUPS`` sorts
the settings for ``--help``.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
from collections.abc import Iterable, Mapping

from ._config import RENAMED, NetworkConfig, TrainConfig, bound_error, current_names, setting_types
from ._errors import PinnError
from ._files import read_bounded

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Setting", "SETTINGS", "GROUPS", "check", "read_toml", "problem_toml", "train_config"]

TABLE = "train"
MAX_TOML_BYTES = 1_000_000  # a table of settings; a bigger file is not one

# the groups of `symbolic-pinn train --help`, in its order: name → (what they set, their settings in order)
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "problem": (
        "how the problem becomes a loss (these shape the generated code)",
        ("hard_constraints", "energy_constraints", "exact_initial", "periodic_embedding", "quadrature_order",
         "laplacian_samples"),
    ),
    "network": (
        "each field's network (these shape the generated code)",
        ("width", "depth", "architecture", "fourier_scale", "shared_network"),
    ),
    "training": (
        "Adam, then a quasi-Newton finish watched on held-out points, then Levenberg–Marquardt",
        ("adam_steps", "learning_rate", "final_learning_rate", "schedule", "bfgs_steps", "finisher", "bfgs_method",
         "gn_cg_steps", "gn_rank",
         "bfgs_resample_every", "holdout_every", "holdout_patience", "holdout_resamples", "holdout_gap",
         "fresh_points", "lm_steps", "time_limit", "until_done", "steps_per_dispatch", "seed", "float64",
         "ensemble"),
    ),
    "points": (
        "collocation points and the weights of the terms",
        ("interior_points", "boundary_points", "face_points", "sampler", "energy_quadrature", "resample_every",
         "rar", "rar_every", "rar_points", "rar_candidates", "adaptive_weights", "adaptive_weights_every",
         "adaptive_weights_alpha",
         "causal", "causal_chunks", "causal_tol", "causal_finish",
         "point_weights", "point_weights_decay", "point_weights_rate", "point_weights_boundary"),
    ),
    "output": (
        "the run directory, checkpoints and progress",
        ("checkpoint_every", "progress", "log_every", "error_every", "tensorboard"),
    ),
    "scale": (
        "devices, processes and memory",
        ("devices", "chunk_size", "micro_batch"),
    ),
}  # fmt: skip
_GROUP_OF = {name: group for group, (_, names) in GROUPS.items() for name in names}


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its name (a TOML key; the flag is ``--name-with-dashes``), type, default, help,
    its group in ``--help`` (a key of ``GROUPS``) and its old names (also flags and keys)."""

    name: str
    type: type
    default: object
    help: str
    choices: tuple = ()
    group: str = ""
    old_names: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def old_flags(self) -> list[str]:
        return ["--" + name.replace("_", "-") for name in self.old_names]


def _table(config) -> tuple[Setting, ...]:
    types = setting_types()
    return tuple(
        Setting(
            f.name,
            types[f.name],
            f.default,
            f.metadata["help"],
            f.metadata["choices"],
            _GROUP_OF[f.name],  # a new setting needs a place in GROUPS
            tuple(old for old, new in RENAMED.items() if new == f.name),
        )
        for f in dataclasses.fields(config)
    )


# the settings of `compile` (they change the generated code), also settings of `train`
NETWORK = _table(NetworkConfig)
SETTINGS: tuple[Setting, ...] = _table(TrainConfig) + NETWORK
_BY_NAME = {s.name: s for s in SETTINGS}
_KINDS = {int: "a whole number", float: "a number", bool: "true or false", str: "a string"}


def check(settings: Mapping, where: str, names: Iterable[str] | None = None) -> dict:
    """``settings`` if every key is a known setting of the right type; else a clear error.

    >>> check({"adam_steps": 10}, "in train()")
    {'adam_steps': 10}
    """
    valid = list(names) if names is not None else list(_BY_NAME)
    settings = current_names(settings)
    for key, value in settings.items():
        if key not in valid:
            raise PinnError(f"unknown setting {key!r} {where}", help=f"the settings are: {', '.join(valid)}")
        wanted = _BY_NAME[key].type
        ok = isinstance(value, wanted) and not (wanted is not bool and isinstance(value, bool))
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise PinnError(f"setting {key!r} {where} must be {_KINDS[wanted]}, got {value!r}")
        choices = _BY_NAME[key].choices
        if choices and value not in choices:
            raise PinnError(f"setting {key!r} {where} must be one of {', '.join(choices)}; got {value!r}")
        problem = bound_error(key, value)
        if problem:
            raise PinnError(f"setting {problem} {where}", help=f"see `symbolic-pinn train --help` for {key}")
    return {k: float(v) if _BY_NAME[k].type is float else v for k, v in settings.items()}


def read_toml(path: str | pathlib.Path) -> dict:
    """The checked settings of a TOML file's ``[train]`` table."""
    path = pathlib.Path(path)
    data = read_bounded(path, MAX_TOML_BYTES, "check the name given to --config")
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PinnError(f"{path} is not UTF-8 text", help="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as err:
        raise PinnError(f"{path} is not valid TOML: {err}", help="see https://toml.io for the syntax") from None
    for key in document:
        if key != TABLE:
            raise PinnError(
                f"unknown table or key {key!r} in {path}",
                help=f"put the settings in a [{TABLE}] table: a line `[{TABLE}]`, then lines like `adam_steps = 500`",
            )
    table = document.get(TABLE, {})
    if not isinstance(table, dict):
        raise PinnError(f"{TABLE!r} in {path} must be a table: [{TABLE}]")
    return check(table, f"in {path} [{TABLE}]")


def problem_toml(problem: str | pathlib.Path) -> pathlib.Path | None:
    """``<problem>.toml`` beside the problem file, if there is one."""
    path = pathlib.Path(problem).with_suffix(".toml")
    return path if path.is_file() else None


def train_config(settings: Mapping, saved: Mapping | None = None) -> TrainConfig:
    """A TrainConfig from keyword settings; a resumed run starts from its checkpoint's, ``saved``
    (``_training.checkpoint.saved_settings(run_dir)``, read by the caller).

    >>> train_config({"seed": 3}).seed
    3
    """
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    settings = check(settings, "given to train()", names)
    if saved is not None:
        settings = {k: v for k, v in saved.items() if k in names} | settings
    return TrainConfig(**settings)
