"""A trained solution as a product: a run directory loaded back, its fields as functions.

``symbolic-pinn train`` writes a run directory: the problem text (``problem.pinn``),
``metrics.json`` (settings, errors, the sha256 of the generated code), the generated
``loss.py`` and the parameters (``params.npz``, each array under its path in the
parameter tree).  :func:`load` recompiles the problem from the saved text and settings
— user text is parsed, never executed — and gives the fields back as vectorised JAX
functions: ``run.field("u")(x, y)`` takes scalars, arrays or meshgrids (broadcast
together) and can be differentiated, jitted and vmapped like any JAX function.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import warnings
from collections.abc import Callable

from .._errors import PinnError

__all__ = ["Run", "load", "field_function", "trained_in_float64", "PROBLEM_FILE", "PARAMS_FILE", "METRICS_FILE"]

PROBLEM_FILE = "problem.pinn"  # the problem text, as it was trained
PARAMS_FILE = "params.npz"
METRICS_FILE = "metrics.json"


def field_function(problem, params, name: str, extrapolate: bool = False) -> Callable:
    """Field ``name`` of a compiled problem with ``params``, as a function of its coordinates.

    The function broadcasts its arguments together (scalars, arrays, meshgrids) and
    returns an array of their common shape; positional arguments follow the field's
    declaration, keywords name them.

    A parameter (``param k in [1, 3]``) given outside its interval is refused with a
    ``PinnError`` — the network never saw such a k — unless ``extrapolate=True``.  Only
    concrete values are checked: under ``jax.jit`` the values are not known.
    """
    import jax
    import jax.numpy as jnp

    names = problem.module.FIELDS
    if name not in names:
        raise PinnError(f"no field {name!r} in this problem", help=f"the fields are: {', '.join(names)}")
    args = tuple(names[name])
    network = problem.module.fields(params)[name]
    ranges = {v.name: (float(v.lo), float(v.hi)) for v in problem.ir.variables if v.name in problem.ir.parameters}
    checked = () if extrapolate else tuple(a for a in args if a in ranges)

    def evaluate(*coordinates, **named):
        for key in named:
            if key not in args:
                raise TypeError(f"{name}{args} has no coordinate {key!r}")
        given = dict(zip(args, coordinates)) | named
        if len(coordinates) > len(args) or set(given) != set(args):
            raise TypeError(f"{name} takes its {len(args)} coordinates {', '.join(args)}; got {len(given)}")
        for a in checked:
            if not isinstance(given[a], jax.core.Tracer):
                _in_range(name, a, given[a], *ranges[a])
        dtype = jnp.result_type(float)
        arrays = jnp.broadcast_arrays(*(jnp.asarray(given[a], dtype=dtype) for a in args))
        shape = arrays[0].shape
        return network(*(a.reshape(-1) for a in arrays)).reshape(shape)

    evaluate.__name__ = evaluate.__qualname__ = name
    evaluate.__doc__ = f"The trained field {name}({', '.join(args)}), broadcast over its arguments."
    return evaluate


def _in_range(name: str, parameter: str, value, lo: float, hi: float) -> None:
    import numpy as np

    values = np.asarray(value, dtype=float)
    outside = (values < lo - 1e-9 * (hi - lo)) | (values > hi + 1e-9 * (hi - lo))
    if outside.any():
        first = float(values[outside].flat[0])
        raise PinnError(
            f"{name} was trained for {parameter} in [{lo:g}, {hi:g}]; got {parameter} = {first:g}",
            help=f"give {parameter} in [{lo:g}, {hi:g}], or field({name!r}, extrapolate=True) "
            "to evaluate the network outside the range it was trained on",
        )


@dataclasses.dataclass(frozen=True)
class Run:
    """A trained solution: the compiled ``problem``, its ``params``, the run's ``metrics``.

    >>> run = symbolic_pinn.load("runs/poisson")          # doctest: +SKIP
    >>> u = run.field("u"); u(0.5, 0.5)                     # doctest: +SKIP
    """

    problem: object  # CompiledProblem
    params: dict
    metrics: dict
    run_dir: pathlib.Path | None = None

    @property
    def unknowns(self) -> dict[str, float]:
        """Each recovered ``unknown`` (e.g. a diffusivity), as a float."""
        return {k: float(v) for k, v in self.params.get("unknowns", {}).items()}

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.problem.module.FIELDS)

    def field(self, name: str, extrapolate: bool = False) -> Callable:
        """Field ``name`` as a vectorised JAX function of its coordinates (see :func:`field_function`)."""
        return field_function(self.problem, self.params, name, extrapolate)


def trained_in_float64(run_dir) -> bool:
    """Whether the run in ``run_dir`` trained in double precision (False when it cannot tell)."""
    for name in (METRICS_FILE, "checkpoint.json"):
        try:
            return bool(json.loads((pathlib.Path(run_dir) / name).read_text())["settings"].get("float64"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return False


def _read_json(path: pathlib.Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise PinnError(f"cannot read {path}: {err}", help="the run directory is damaged; train again") from None


def load(run_dir) -> Run:
    """Load a run directory written by ``symbolic-pinn train``: problem, parameters, metrics.

    A directory of ``problem.train(run_dir)``, which holds only checkpoints, loads too:
    its parameters are those of the last checkpoint, its metrics only settings and steps.

    Args:
        run_dir: the ``--out`` directory of a training run.

    >>> run = symbolic_pinn.load("runs/poisson")          # doctest: +SKIP
    >>> run.metrics["rel_l2"], run.unknowns                 # doctest: +SKIP
    """
    run_dir = pathlib.Path(run_dir)
    where = "give the --out directory of a `symbolic-pinn train` run"
    if not run_dir.is_dir():
        raise PinnError(f"no run directory {run_dir}", help=where)
    missing = [n for n in (PROBLEM_FILE, METRICS_FILE, PARAMS_FILE) if not (run_dir / n).is_file()]
    if missing and (run_dir / "checkpoint.json").is_file():  # a run of problem.train(run_dir): checkpoints only
        return _from_checkpoint(run_dir)
    if missing:
        raise PinnError(
            f"{run_dir} is not a finished run: it lacks {', '.join(missing)}",
            help=where + " (a run stopped early still writes them; runs of older versions lack problem.pinn)",
        )
    metrics = _read_json(run_dir / METRICS_FILE)
    problem = _recompile(run_dir, metrics)
    try:
        params = problem.module.load_params(run_dir / PARAMS_FILE)
    except (OSError, ValueError, KeyError) as err:
        raise PinnError(f"cannot read the parameters in {run_dir}: {err}", help="the run is damaged") from None
    return Run(problem, params, metrics, run_dir)


def _from_checkpoint(run_dir: pathlib.Path) -> Run:
    """A run directory holding only checkpoints: the problem text and parameters of the last one."""
    import jax

    from .._training import checkpoint
    from .._training.train import precision

    meta, arrays = checkpoint.load(run_dir)
    text = (meta.get("problem") or {}).get("source")
    if text is None:
        raise PinnError(
            f"the checkpoint in {run_dir} does not hold the problem text (a problem built from SymPy, or an older run)",
            help="evaluate the result of problem.train(...) directly: result.field(name)",
        )
    metrics = {"settings": meta["settings"], "source_sha256": meta["source_sha256"], "steps": meta["step"]}
    problem = _recompile(run_dir, metrics, text, meta["problem"].get("filename"))
    with precision(bool(meta["settings"].get("float64"))):
        template = jax.eval_shape(problem.init_params, jax.random.PRNGKey(0))
        params = checkpoint.from_arrays("params", template, arrays, run_dir)
    return Run(problem, params, metrics, run_dir)


def _recompile(run_dir: pathlib.Path, metrics: dict, text: str | None = None, filename: str | None = None):
    """The problem of a run, compiled again from its saved text with its network settings."""
    from .._compiler.pipeline import compile, parse
    from .._config import ABSENT_MEANS
    from .._settings import NETWORK

    if text is None:
        text = (run_dir / PROBLEM_FILE).read_text(encoding="utf-8")
        # parsed under its original path, so `data "obs.csv"` is found where it was
        filename = metrics.get("problem_path") or str(run_dir / PROBLEM_FILE)
    settings = ABSENT_MEANS | metrics.get("settings", {})  # a run saved before a setting existed
    network = {s.name: settings.get(s.name, s.default) for s in NETWORK}
    problem = compile(parse(text, filename), **network)
    saved = metrics.get("source_sha256")
    if saved and saved != problem.source_hash:
        warnings.warn(
            f"the code generated now differs from {run_dir / 'loss.py'} (another symbolic_pinn version?); "
            "the fields are evaluated with the code of this version",
            stacklevel=3,
        )
    return problem
