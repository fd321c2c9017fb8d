"""A run's one home: the compiled problem that trains, the result, and the run directory
(its layout, its creation, its writing and its reading).

The compiler (``_compiler.pipeline.compile``) ends with the loaded module and training
(``_training``) imports the compiler, so ``.train`` lives here, above both:
``symbolic_pinn.compile`` gives a :class:`CompiledProblem`, the compiler's result with
``.train``, which returns a :class:`Run` and, given a directory, writes it.

A training run (``symbolic-pinn train``, or ``problem.train(run_dir)`` from Python)
writes into its directory

- ``problem.pinn``: the problem text (a problem built from SymPy: its text, printed);
- ``metrics.json``: settings, errors, the sha256 of the generated code, versions;
- ``loss.py``: the generated code; ``history.csv``: the loss every few steps;
- ``params.npz``: the parameters, each array under its path in the parameter tree;
- ``loss.png``, ``solution_<field>.png``, ``error_<field>.png``: the plots (``plots.py``);
- the checkpoint (``checkpoint.json`` and its arrays, named by ``_training.checkpoint``).

Every file is written whole or not at all (``_files.write_atomic``: a temporary file
renamed over the old one, so a symlink named like a file of the run is replaced, not
written through).
:func:`load` recompiles the problem from the saved text and settings — user text is
parsed, never executed; nothing is unpickled — and gives a :class:`Run`, the same
class ``problem.train`` returns: ``run.field("u")(x, y)`` takes scalars, arrays or
meshgrids (broadcast together) and can be differentiated, jitted and vmapped.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import math
import pathlib
import sys
import warnings
from collections.abc import Callable

from .. import _files
from .._compiler import pipeline
from .._config import TrainConfig
from .._errors import OutsideWarning, PinnError
from .._training import checkpoint

__all__ = [
    "CompiledProblem",
    "compile",
    "Run",
    "TrainResult",
    "load",
    "field_function",
    "trained_in_float64",
    "create",
    "write",
    "FILES",
]

# ---- the layout ---------------------------------------------------------------------------

PROBLEM_FILE = "problem.pinn"  # the problem text, as it was trained
METRICS_FILE = "metrics.json"
CODE_FILE = "loss.py"
HISTORY_FILE = "history.csv"
PARAMS_FILE = "params.npz"
PLOT_FILES = {"loss": "loss.png", "solution": "solution_{}.png", "error": "error_{}.png"}  # by plots.figures' kind
# every file of a run, as glob patterns (its checkpoint's named by the checkpoint format)
FILES = (
    (METRICS_FILE, CODE_FILE, HISTORY_FILE, PARAMS_FILE, PROBLEM_FILE)
    + tuple(name.format("*") for name in PLOT_FILES.values())
    + checkpoint.FILES
)
FINISHED = (PROBLEM_FILE, METRICS_FILE, PARAMS_FILE)  # what load needs
MARKERS = (METRICS_FILE, checkpoint.INDEX, PARAMS_FILE)  # a directory holding one of these holds a run
SYMPY_LABELS = "sympy_labels"  # in metrics.json: the terms' labels of a problem built from SymPy

# ---- the result ---------------------------------------------------------------------------


OUTSIDE = ("nan", "extrapolate")  # what a field gives outside the domain: NaN (with a warning), or the network's value
ROUNDING = 1e-6  # a point this far outside the domain (relative to its size) is on its boundary: inside


def field_function(problem, params, name: str, extrapolate: bool = False, outside: str = "nan") -> Callable:
    """Field ``name`` of a compiled problem with ``params``, as a function of its coordinates.

    The function broadcasts its arguments together (scalars, arrays, meshgrids) and
    returns an array of their common shape; positional arguments follow the field's
    declaration, keywords name them.

    At points outside the domain (a variable outside its interval, or a point outside
    the shape; points on the boundary, to rounding, are inside) the value is NaN, with an
    :class:`OutsideWarning` saying how many, unless ``outside="extrapolate"``.  A
    parameter (``param k in [1, 3]``) given outside its interval is refused with a
    ``PinnError`` — the network never saw such a k — unless ``extrapolate=True`` (which
    also means ``outside="extrapolate"``).  Only concrete values are checked: under
    ``jax.jit`` the values are not known.  Parameters trained in float64 are evaluated
    in float64.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    from .._training.train import result_precision

    names = problem.module.FIELDS
    if name not in names:
        raise PinnError(f"no field {name!r} in this problem", help=f"the fields are: {', '.join(names)}")
    if outside not in OUTSIDE:
        raise PinnError(f"unknown outside={outside!r}", help=f"choose one of: {', '.join(OUTSIDE)}")
    args = tuple(names[name])
    network = problem.module.fields(params)[name]
    program = problem.ir
    ranges = {v.name: (float(v.lo), float(v.hi)) for v in program.variables if v.name in program.parameters}
    checked = () if extrapolate else tuple(a for a in args if a in ranges)
    masked = outside == "nan" and not extrapolate
    intervals = {
        v.name: (float(v.lo), float(v.hi)) for v in program.variables if v.name in args and v.name not in ranges
    }
    shape = program.shape if program.shape is not None and set(program.shape[0]) <= set(args) else None

    def outside_points(given: dict) -> np.ndarray:
        """Where the concrete points ``given`` (broadcast) lie outside the domain."""
        arrays = np.broadcast_arrays(*(np.asarray(given[a], dtype=float) for a in args))
        columns = dict(zip(args, arrays))
        far = np.zeros(arrays[0].shape, dtype=bool)
        for v, (lo, hi) in intervals.items():
            slack = ROUNDING * max(hi - lo, abs(lo), abs(hi))
            far |= (columns[v] < lo - slack) | (columns[v] > hi + slack)
        if shape is not None:
            variables, tree = shape
            size = max(hi - lo for v, (lo, hi) in intervals.items() if v in variables)
            flat = np.stack([columns[v].ravel() for v in variables], axis=-1)
            far |= (tree.distance(flat) > ROUNDING * size).reshape(far.shape)
        return far

    def evaluate(*coordinates, **named):
        for key in named:
            if key not in args:
                raise TypeError(f"{name}{args} has no coordinate {key!r}")
        given = dict(zip(args, coordinates)) | named
        if len(coordinates) > len(args) or set(given) != set(args):
            raise TypeError(f"{name} takes its {len(args)} coordinates {', '.join(args)}; got {len(given)}")
        concrete = not any(isinstance(given[a], jax.core.Tracer) for a in args)
        for a in checked:
            if not isinstance(given[a], jax.core.Tracer):
                _in_range(name, a, given[a], *ranges[a])
        with result_precision(params):  # float64 parameters: evaluated in float64 (no truncation warnings)
            dtype = jnp.result_type(float)
            arrays = jnp.broadcast_arrays(*(jnp.asarray(given[a], dtype=dtype) for a in args))
            values = network(*(a.reshape(-1) for a in arrays)).reshape(arrays[0].shape)
            far = outside_points(given) if masked and concrete and (intervals or shape) else None
            if far is not None and far.any():
                warnings.warn(
                    f"{int(far.sum()):,} of {far.size:,} points are outside the domain {name} was trained on: "
                    f"their values are NaN (outside='extrapolate', or eval's --outside extrapolate, "
                    "gives the network's values there)",
                    OutsideWarning,
                    stacklevel=2,
                )
                values = jnp.where(far, jnp.nan, values)
        return values

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
    """A trained solution: what ``problem.train`` returns and what :func:`load` reads back.

    ``problem`` is the compiled problem, ``params`` its parameters, ``metrics`` the run's
    summary (errors, settings, steps), ``history`` a row every few steps; ``points``
    (each term's points at the end; with several processes, this process's rows) and
    ``config`` (the :class:`TrainConfig`) come with a run just trained, ``run_dir``
    with a run that has a directory.

    >>> run = symbolic_pinn.load("runs/poisson")          # doctest: +SKIP
    >>> u = run.field("u"); u(0.5, 0.5)                     # doctest: +SKIP
    """

    problem: object  # CompiledProblem
    params: dict
    metrics: dict
    history: list[dict] = dataclasses.field(default_factory=list)
    points: dict = dataclasses.field(default_factory=dict)
    config: TrainConfig = TrainConfig()
    run_dir: pathlib.Path | None = None

    @classmethod
    def of(cls, record, run_dir=None) -> Run:
        """The run of a training record (``_training.train``'s result)."""
        directory = None if run_dir is None else pathlib.Path(run_dir)
        return cls(
            record.problem, record.params, record.metrics, record.history, record.points, record.config, directory
        )

    @property
    def unknowns(self) -> dict[str, float]:
        """Each recovered ``unknown`` (e.g. a diffusivity), as a float."""
        return {k: float(v) for k, v in self.params.get("unknowns", {}).items()}

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.problem.module.FIELDS)

    def field(self, name: str, extrapolate: bool = False, outside: str = "nan") -> Callable:
        """Field ``name`` as a vectorised JAX function of its coordinates: NaN outside the domain
        unless ``outside="extrapolate"`` (see :func:`field_function`)."""
        return field_function(self.problem, self.params, name, extrapolate, outside)

    def plot(self, kind: str | None = None, field: str | None = None) -> dict:
        """The run's figures, as matplotlib ``Figure`` objects named as their files are (without
        ``.png``): ``{"loss": ..., "solution_u": ..., "error_u": ...}`` (``plots.figures``: the
        loss of every term; each field, with snapshots at a few times or parameter values;
        its error where there is an exact solution).  ``kind`` ("loss", "solution", "error")
        and ``field`` keep only those.

        >>> run.plot("solution", "u")["solution_u"].savefig("u.pdf")   # doctest: +SKIP
        """
        from . import plots

        if kind is not None and kind not in PLOT_FILES:
            raise PinnError(f"no plot of kind {kind!r}", help=f"the kinds: {', '.join(PLOT_FILES)}")
        if field is not None and field not in self.fields:
            raise PinnError(f"no field {field!r} in this run", help=f"the fields are: {', '.join(self.fields)}")
        return {
            PLOT_FILES[k].format(f).removesuffix(".png"): figure
            for k, f, figure in plots.figures(self.problem, self)
            if kind in (None, k) and field in (None, f)
        }

    def save(self, run_dir=None, *, overwrite: bool = False) -> list[str]:
        """Write the run into ``run_dir`` as ``problem.train(run_dir)`` does (metrics, problem,
        code, history, parameters, plots; no checkpoint), for a run trained without one; or,
        without ``run_dir``, the plots missing from the run's own directory (a run trained
        with ``plots=False``).  Returns the names of the files written.
        """
        if run_dir is None:
            if self.run_dir is None:
                raise PinnError("this run has no directory", help="give run.save(run_dir) a directory to write into")
            missing = [n for n in self.plot_files() if not (self.run_dir / n).is_file()]
            return write_plots(self.run_dir, self.problem, self) if missing else []
        run_dir = pathlib.Path(run_dir)
        claim(
            run_dir,
            overwrite,
            replace="overwrite=True",
            resume="problem.train(run_dir, resume=True)",
            other="another run_dir",
        )
        create(run_dir)
        settings = dataclasses.asdict(self.config) | self.problem.network_settings
        written, failed = write(run_dir, self.problem, self, settings, text=problem_text(self.problem))
        if failed:
            listing = ", ".join(f"{name} ({why})" for name, why in failed.items())
            raise PinnError(f"could not write in {run_dir}: {listing}")
        return written

    def plot_files(self) -> list[str]:
        """The names of the run's plot files."""
        names = [PLOT_FILES["loss"]] + [PLOT_FILES["solution"].format(f) for f in self.fields]
        return names + [PLOT_FILES["error"].format(f) for f in self.fields if f in self.problem.module.EXACT]


TrainResult = Run  # the name of what problem.train returned before runs and results were one class

# ---- the compiled problem, which trains into a run directory ----------------------------------


@dataclasses.dataclass(frozen=True)
class CompiledProblem(pipeline.Compiled):
    """A problem after every stage: ``.spec``, ``.ir``, ``.schedule``, ``.source``, ``.module``.

    ``.loss(params, points)`` and ``.losses(params, points)`` are the generated
    functions; ``.init_params(key)`` makes network weights; ``.train(...)`` trains.
    """

    def train(
        self,
        run_dir=None,
        *,
        resume: bool = False,
        overwrite: bool = False,
        init_from=None,
        callback=None,
        plots: bool = True,
        **settings,
    ) -> Run:
        """Train the networks; see :class:`symbolic_pinn.TrainConfig` for the settings.

        With ``run_dir``, the run is written there as ``symbolic-pinn train --out`` writes
        it: checkpoints while it trains, then the metrics, the problem text, the generated
        code, the history, the parameters and (unless ``plots=False``) the plots, so that
        :func:`symbolic_pinn.load` reads it back.  ``resume=True`` continues the run
        checkpointed there, with its settings (a new ``time_limit`` for this session, or none;
        more ``lbfgs_steps`` or ``lm_steps`` extend a finished run; a finished run given none
        is returned as :func:`symbolic_pinn.load` reads it, unchanged, with a warning).
        ``init_from=RUN_DIR`` starts this new run from the trained parameters of another
        (same network shapes; other settings and parameter ranges).  A directory that holds an earlier run is
        refused, as the command refuses it, unless ``overwrite=True`` (which removes that
        run's files, and says which).  ``callback(info)`` is called after every
        step with ``info.step``, ``.phase``, ``.loss``, ``.losses`` (each term's) and
        ``.params``; returning True stops training (``metrics["stopped"]`` says so).

        Returns a :class:`symbolic_pinn.Run`: ``.field(name)``, ``.params``, ``.metrics``,
        ``.history``, ``.unknowns``.
        """
        import jax

        from .._settings import train_config
        from .._training.train import train

        config = train_config(settings, resumed_settings(run_dir) if resume and run_dir is not None else None)
        if run_dir is None:
            return Run.of(train(self, config, init_from=init_from, callback=callback))
        run_dir = pathlib.Path(run_dir)
        leader = jax.process_index() == 0  # with several processes, process 0 writes
        text = problem_text(self)  # a SymPy-built problem that cannot be saved is refused before training
        if resume and overwrite:
            raise PinnError("overwrite=True replaces an earlier run, resume=True continues it: give one of them")
        if leader and not resume:  # a resumed run continues its directory
            claim(run_dir, overwrite, replace="overwrite=True", resume="resume=True", other="another run_dir")
            create(run_dir)
        if resume and finished(run_dir, config):
            warnings.warn(finished_note(run_dir), stacklevel=2)
            return load(run_dir)
        record = train(self, config, run_dir, resume=resume, init_from=init_from, callback=callback)
        if leader:
            settings = dataclasses.asdict(config) | self.network_settings
            _, failed = write(run_dir, self, record, settings, text=text, plots=plots)
            if failed:
                listing = ", ".join(f"{name} ({why})" for name, why in failed.items())
                warnings.warn(f"could not write in {run_dir}: {listing}", stacklevel=2)
        return Run.of(record, run_dir)


def resumed_settings(run_dir) -> dict:
    """The settings a resumed run starts from: its checkpoint's, but the time limit (which bounds
    one session: a resumed run has a new one, or none)."""
    from .._training.checkpoint import saved_settings

    saved = saved_settings(run_dir)
    saved.pop("time_limit", None)
    return saved


def finished(run_dir, config) -> bool:
    """Whether the run in ``run_dir`` is finished, its results written, and ``config`` (its
    settings, resumed) adds no step to it: a resume has nothing to do.  A finished checkpoint
    whose results could not be written (a full disk) is resumed, to write them."""
    run_dir = pathlib.Path(run_dir)
    return checkpoint.finished(run_dir, config) and all((run_dir / name).is_file() for name in FINISHED)


def finished_note(run_dir) -> str:
    """What resuming a finished run says: nothing to do, and how to give it more."""
    from .._config import EXTENDABLE

    more = " or ".join(sorted(EXTENDABLE))
    return f"the run in {run_dir} is finished; nothing changed (more {more} extend it)"


@functools.wraps(pipeline.compile)
def compile(problem, **settings) -> CompiledProblem:
    compiled = pipeline.compile(problem, **settings)
    return CompiledProblem(**{f.name: getattr(compiled, f.name) for f in dataclasses.fields(compiled)})


# ---- creation -----------------------------------------------------------------------------


def create(run_dir: pathlib.Path) -> None:
    """Create the run directory and make sure files can be written there, before any training."""
    _files.writable_directory(run_dir)


def previous_files(run_dir: pathlib.Path) -> list[str]:
    """The files of an earlier run in ``run_dir`` (none if it holds no run)."""
    if not run_dir.is_dir() or not any((run_dir / n).is_file() for n in MARKERS):
        return []
    return sorted({p.name for pattern in FILES for p in run_dir.glob(pattern) if p.is_file()})


def claim(run_dir: pathlib.Path, overwrite: bool, *, replace: str, resume: str, other: str) -> None:
    """Refuse a directory holding an earlier run, unless told to replace it; then say what goes.

    ``replace``, ``resume`` and ``other`` say in the caller's words (a flag, a keyword) how to
    replace the run, continue it, or write elsewhere.
    """
    previous = previous_files(run_dir)
    if not previous:
        return
    if not overwrite:
        raise PinnError(
            f"{run_dir} holds an earlier run ({', '.join(previous[:4])}{', ...' if len(previous) > 4 else ''}); "
            "nothing was changed",
            help=f"continue it with `{resume}`, replace it with `{replace}`, or choose {other}",
        )
    print(f"{replace}: replacing the earlier run in {run_dir}: removing {', '.join(previous)}", file=sys.stderr)
    for name in previous:
        (run_dir / name).unlink(missing_ok=True)


def problem_text(problem) -> str:
    """The text ``problem.pinn`` holds: the problem as written, or a SymPy-built one printed.

    A printed problem is compiled again and must give the code that is trained (but for
    the docstrings quoting it); what cannot be printed so is refused now, with a
    ``PinnError``, rather than when the run is loaded.
    """
    if problem.spec.source is not None:
        return problem.spec.source
    from .._frontend.unparse import unparse

    text = unparse(problem.spec)
    try:
        with warnings.catch_warnings():  # the problem's warnings were given when it was compiled
            warnings.simplefilter("ignore")
            again = _compile_text(text, None, problem.network_settings, _labels(problem.spec))
    except PinnError as err:
        raise _unsaved(err.message) from None
    if again.source != problem.source:
        raise _unsaved("the code compiled from its printed text differs from the code of the problem")
    return text


def _labels(spec) -> list[str]:
    return [t.label for t in spec.terms]


def _unsaved(why: str) -> PinnError:
    return PinnError(
        f"this problem built from SymPy cannot be saved as problem text, so its run could not be loaded: {why}",
        help="train it without a run directory (problem.train()), or write the problem in the language "
        "(symbolic_pinn.parse) to save its run",
    )


# ---- writing ------------------------------------------------------------------------------


def write(
    run_dir: pathlib.Path, problem, result, settings: dict, problem_file=None, *, text: str | None = None, plots=True
) -> tuple[list[str], dict[str, str]]:
    """Write metrics, problem text, code, history, parameters and plots of a run into ``run_dir``.

    ``problem_file`` is the problem's file as the user named it (None: the problem's own
    file name, if it has one); ``text`` the problem text (None: :func:`problem_text`).
    Returns the names written, and for each file that could not be written (a full disk)
    why; every file is written whole or not at all (``_files.write_atomic``).
    """
    import jax
    import numpy as np

    from .. import __version__
    from .._training.monitor import history_columns

    problem_file = problem_file if problem_file is not None else problem.spec.filename
    metrics = dict(result.metrics)
    metrics.update(
        {
            "problem": None if problem_file is None else str(problem_file),
            "problem_path": None if problem_file is None else str(pathlib.Path(problem_file).resolve()),
            "settings": settings,
            "versions": {"symbolic_pinn": __version__, "jax": jax.__version__},
            "source_sha256": problem.source_hash,
        }
    )
    if problem.spec.source is None:
        metrics[SYMPY_LABELS] = _labels(problem.spec)

    def params() -> bytes:
        leaves = jax.tree_util.tree_flatten_with_path(result.params)[0]
        buffer = io.BytesIO()
        np.savez(buffer, **{jax.tree_util.keystr(path): np.asarray(leaf) for path, leaf in leaves})
        return buffer.getvalue()

    def history() -> bytes:
        buffer = io.StringIO(newline="")
        losses, extra = history_columns(result.history)
        names = ["step", "phase", "loss"] + sorted(set(losses) - {"loss"}) + extra
        writer = csv.DictWriter(buffer, fieldnames=names)
        writer.writeheader()
        writer.writerows(result.history)
        return buffer.getvalue().encode()

    contents = {
        METRICS_FILE: lambda: (metrics_json(metrics) + "\n").encode(),
        CODE_FILE: lambda: problem.source.encode(),
        PROBLEM_FILE: lambda: (problem_text(problem) if text is None else text).encode(),
        HISTORY_FILE: history,
        PARAMS_FILE: params,
    }
    written, failed = [], {}
    for name, content in contents.items():
        try:
            _files.write_atomic(run_dir / name, content())
            written.append(name)
        except OSError as err:
            failed[name] = err.strerror or str(err)
    if plots:
        try:
            written += write_plots(run_dir, problem, result)
        except OSError as err:
            failed["plots"] = err.strerror or str(err)
    return written + ([checkpoint.INDEX] if checkpoint.exists(run_dir) else []), failed


def write_plots(run_dir: pathlib.Path, problem, result) -> list[str]:
    """Write the loss plot and each field's plots (``plots.figures``); returns the file names."""
    from . import plots

    names = []
    for kind, field, figure in plots.figures(problem, result):
        names.append(PLOT_FILES[kind].format(field))
        _files.write_atomic(run_dir / names[-1], plots.png(figure))
    return names


def metrics_json(metrics: dict) -> str:
    """Strict JSON (no NaN, no Infinity): a number that is not finite is written as null, with a note."""
    notes = list(metrics.get("notes", []))

    def strict(value, where: str):
        if isinstance(value, float) and not math.isfinite(value):
            notes.append(f"{where} was {value}, written as null")
            return None
        if isinstance(value, dict):
            return {k: strict(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [strict(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    cleaned = strict(metrics, "")
    cleaned["notes"] = notes
    return json.dumps(cleaned, indent=2, allow_nan=False)


# ---- reading ------------------------------------------------------------------------------


def trained_in_float64(run_dir) -> bool:
    """Whether the run in ``run_dir`` trained in double precision (False when it cannot tell)."""
    for name in (METRICS_FILE, checkpoint.INDEX):
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
    """Load a run directory (``symbolic-pinn train --out``, or ``problem.train(run_dir)``).

    Args:
        run_dir: the directory of a training run.

    >>> run = symbolic_pinn.load("runs/poisson")          # doctest: +SKIP
    >>> run.metrics["rel_l2"], run.unknowns                 # doctest: +SKIP
    """
    run_dir = pathlib.Path(run_dir)
    where = "give the --out directory of a `symbolic-pinn train` run, or the run_dir of problem.train(run_dir)"
    if not run_dir.is_dir():
        raise PinnError(f"no run directory {run_dir}", help=where)
    missing = [n for n in FINISHED if not (run_dir / n).is_file()]
    if missing:
        resume = " (a run killed before its end left its checkpoint: resume it)" if checkpoint.exists(run_dir) else ""
        raise PinnError(
            f"{run_dir} is not a finished run: it lacks {', '.join(missing)}{resume}",
            help=where + " (a run stopped early still writes them; runs of older versions lack problem.pinn)",
        )
    metrics = _read_json(run_dir / METRICS_FILE)
    problem = _recompile(run_dir, metrics)
    try:
        params = problem.module.load_params(run_dir / PARAMS_FILE)
    except (OSError, ValueError, KeyError) as err:
        raise PinnError(f"cannot read the parameters in {run_dir}: {err}", help="the run is damaged") from None
    history = _read_history(run_dir / HISTORY_FILE)
    return Run(problem, params, metrics, history, config=_config(metrics), run_dir=run_dir)


def _read_history(path: pathlib.Path) -> list[dict]:
    """The rows of ``history.csv`` (none if the file is missing): numbers as numbers, blanks left out."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError:
        return []
    except (ValueError, csv.Error) as err:
        raise PinnError(f"cannot read {path}: {err}", help="the run directory is damaged; train again") from None
    kinds = {"step": int, "phase": str}
    try:
        return [{k: kinds.get(k, float)(v) for k, v in row.items() if v not in ("", None)} for row in rows]
    except (TypeError, ValueError) as err:
        raise PinnError(f"cannot read {path}: {err}", help="the run directory is damaged; train again") from None


def _config(metrics: dict) -> TrainConfig:
    """The training settings a run recorded (the defaults where it recorded none or a damaged one)."""
    settings = metrics.get("settings") or {}
    names = TrainConfig.__dataclass_fields__
    try:
        return TrainConfig(**{k: v for k, v in settings.items() if k in names})
    except (PinnError, TypeError, ValueError):
        return TrainConfig()


def _recompile(run_dir: pathlib.Path, metrics: dict):
    """The problem of a run, compiled again from its saved text with its network settings."""
    from .._config import ABSENT_MEANS
    from .._settings import NETWORK

    text = (run_dir / PROBLEM_FILE).read_text(encoding="utf-8")
    # parsed under its original path, so `data "obs.csv"` is found where it was (older runs: none recorded)
    filename = metrics["problem_path"] if "problem_path" in metrics else str(run_dir / PROBLEM_FILE)
    settings = ABSENT_MEANS | metrics.get("settings", {})  # a run saved before a setting existed
    network = {s.name: settings.get(s.name, s.default) for s in NETWORK}
    labels = metrics.get(SYMPY_LABELS)
    if labels is not None and not (isinstance(labels, list) and all(isinstance(s, str) for s in labels)):
        raise PinnError(f"'{SYMPY_LABELS}' in {run_dir / METRICS_FILE} is not a list of strings", help="train again")
    problem = _compile_text(text, filename, network, labels)
    saved = metrics.get("source_sha256")
    if saved and saved != problem.source_hash:
        warnings.warn(
            f"the code generated now differs from {run_dir / CODE_FILE} (another symbolic_pinn version?); "
            "the fields are evaluated with the code of this version",
            stacklevel=3,
        )
    return problem


def _compile_text(text: str, filename: str | None, network: dict, labels: list[str] | None):
    """Compile problem text; with ``labels``, as the SymPy-built problem it was printed from (no text, those labels)."""
    spec = pipeline.parse(text, filename)
    if labels is not None:
        if len(labels) != len(spec.terms):
            raise PinnError(
                f"the problem text has {len(spec.terms)} terms but {len(labels)} labels were saved with it",
                help="the run directory is damaged; train again",
            )
        terms = tuple(dataclasses.replace(t, label=label) for t, label in zip(spec.terms, labels))
        spec = dataclasses.replace(spec, terms=terms, source=None, filename=None)
    return compile(spec, **network)
