"""Training settings: their names, types, defaults and help, in one table; TOML files.

Every field of :class:`TrainConfig` and of :class:`NetworkConfig` (the settings that
shape the generated code) is a setting.  A setting comes from, in rising priority: its default, a TOML file's
``[train]`` table (``--config FILE.toml``, else ``<problem>.toml`` beside the problem
file), a ``symbolic-pinn train`` flag.  The flag of ``adam_steps`` is ``--adam-steps``.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
from collections.abc import Iterable, Mapping

from ._config import NetworkConfig, TrainConfig, bound_error, setting_types
from ._errors import PinnError
from ._files import read_bounded

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Setting", "SETTINGS", "check", "read_toml", "problem_toml", "train_config"]

TABLE = "train"
MAX_TOML_BYTES = 1_000_000  # a table of settings; a bigger file is not one


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its name (a TOML key; the flag is ``--name-with-dashes``), type, default, help."""

    name: str
    type: type
    default: object
    help: str
    choices: tuple = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _table(config) -> tuple[Setting, ...]:
    types = setting_types()
    return tuple(
        Setting(f.name, types[f.name], f.default, f.metadata["help"], f.metadata["choices"])
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
