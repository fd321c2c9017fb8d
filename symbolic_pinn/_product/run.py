"""A run's one home: the compiled problem that trains, the result, and the run directory
(its layout, its creation, its writing and its reading).

The compiler (``_compiler.pipeline.compile``) ends with the loaded module and training
(``_training``) imports the compiler, so ``.train`` lives here, above both:
``symbolic_pinn.compile`` gives a :class:`CompiledProblem`, the compiler's result with
``.train``, which returns a :class:`Run` and, given a directory, writes it.

A training run (``symbolic-pinn train``, or ``problem.train(run_dir)`` from Python)
writes into its directory

- ``problem.pinn``: the problem text (a problem built from SymPy: its text, printed);
- ``inputs/``: a copy of each file the problem reads (``data``, ``table``), under the name
  the problem gives it;
- ``metrics.json``: settings, errors, the sha256 of the generated code, of ``problem.pinn``
  and of each copy, versions;
- ``loss.py``: the generated code; ``history.csv``: the loss every few steps;
- ``params.npz``: the parameters, each array under its path in the parameter tree;
- ``loss.png``, ``solution_<field>.png``, ``error_<field>.png``: the plots (``plots.py``);
- the checkpoint (``checkpoint.json`` and its arrays, named by ``_training.checkpoint``);
- ``files.json``: the list of the files it wrote, each added before it is written;
- ``train.lock``: locked while a training writes there.

A directory is taken for a run only if it is new, empty of files a run writes, or holds a
run of ours; another training holding it, or the user's own ``loss.py``, is refused before
anything changes.  Replacing an earlier run removes the files its list names (and its
checkpoint's), nothing else, and only once the new run's settings have all been checked.
Every file is written whole or not at all, never through a symbolic link
(``_files.write_atomic``).

:func:`load` reads the directory alone: the problem is compiled again from its own copies
(``problem.pinn``, ``inputs/``), which must be those it trained with (their sha256), with
its settings checked as given settings are; ``params.npz`` must hold exactly the arrays of
those networks (headers checked before data).  Everything is read bounded and without
following a symbolic link; user text is parsed, never executed; nothing is unpickled.
It gives a :class:`Run`, the same class ``problem.train`` returns:
``run.field("u")(x, y)`` takes scalars, arrays or meshgrids (broadcast together) and can be
differentiated, jitted and vmapped.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import functools
import hashlib
import io
import json
import math
import os
import pathlib
import stat
import sys
import warnings
from collections.abc import Callable

from .. import _files
from .._compiler import pipeline
from .._config import TrainConfig
from .._errors import OutsideWarning, PinnError
from .._training import checkpoint, events
from .notebook import ProblemDisplay, RunDisplay

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
ENSEMBLE_FILE = "ensemble.json"  # an ensemble's members and statistics (--ensemble N)
ENSEMBLE_PARAMS_FILE = "ensemble_params.npz"  # its members' parameters, stacked along a first axis
PLOT_FILES = {"loss": "loss.png", "solution": "solution_{}.png", "error": "error_{}.png"}  # by plots.figures' kind
# every file of a run, as glob patterns (its checkpoint's named by the checkpoint format)
MANIFEST = "files.json"  # the files the run wrote (its checkpoint's: named by its index); what --overwrite removes
LOCK_FILE = "train.lock"  # locked while a training writes into the directory
INPUTS = "inputs"  # copies of the files the problem reads (data, tables), under the names it gives them
# every file of a run, as glob patterns (its checkpoint's named by the checkpoint format)
FILES = (
    (METRICS_FILE, CODE_FILE, HISTORY_FILE, PARAMS_FILE, PROBLEM_FILE, MANIFEST, LOCK_FILE, INPUTS)
    + (ENSEMBLE_FILE, ENSEMBLE_PARAMS_FILE)
    + tuple(name.format("*") for name in PLOT_FILES.values())
    + checkpoint.FILES
)
FINISHED = (PROBLEM_FILE, METRICS_FILE, PARAMS_FILE)  # what load needs
MARKERS = (METRICS_FILE, checkpoint.INDEX, PARAMS_FILE)  # a run of a version before MANIFEST holds one of these
SYMPY_LABELS = "sympy_labels"  # in metrics.json: the terms' labels of a problem built from SymPy
SHA256 = "sha256"  # in metrics.json: the sha256 of problem.pinn and of each copy in inputs/, by name in the run
# bounds on what load reads back: far above what a run writes
MAX_JSON_BYTES = 64 << 20
MAX_HISTORY_BYTES = 256 << 20

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
    mapped = {m.bounded: m for m in problem.spec.maps}  # `x in [0, ∞) with x = s/(1 - s), ...`: taken in x
    bounded = tuple(names[name])
    args = tuple(mapped[a].variable if a in mapped else a for a in bounded)
    network = problem.module.fields(params)[name]
    program = problem.ir
    ranges = {v.name: (float(v.lo), float(v.hi)) for v in program.variables if v.name in program.parameters}
    checked = () if extrapolate else tuple(a for a in args if a in ranges)
    masked = outside == "nan" and not extrapolate
    intervals = {
        args[bounded.index(v.name)]: (float(v.lo), float(v.hi))
        for v in program.variables
        if v.name in bounded and v.name not in ranges
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
        for a, b in zip(args, bounded):
            if b in mapped:  # the networks take the bounded variable: x → s(x), by the stated map
                if isinstance(given[a], jax.core.Tracer):
                    raise PinnError(f"{a} is mapped: {name} takes concrete values of it, not traced ones")
                given[a] = mapped[b].to_bounded(np.asarray(given[a], dtype=float))
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
class Run(RunDisplay):
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
class CompiledProblem(ProblemDisplay, pipeline.Compiled):
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
        more ``bfgs_steps`` or ``lm_steps`` extend a finished run; a finished run given none
        is returned as :func:`symbolic_pinn.load` reads it, unchanged, with a warning).
        ``init_from=RUN_DIR`` starts this new run from the trained parameters of another
        (same network shapes; other settings and parameter ranges).  A directory that holds an earlier run is
        refused, as the command refuses it, unless ``overwrite=True`` (which removes that
        run's files, and says which).  ``callback(info)`` is called after every
        step with ``info.step``, ``.phase``, ``.loss``, ``.losses`` (each term's) and
        ``.params``; returning True stops training (``metrics["stopped"]`` says so).

        Returns a :class:`symbolic_pinn.Run`: ``.field(name)``, ``.params``, ``.metrics``,
        ``.history``, ``.unknowns``.  With ``ensemble=N`` (N > 1) it trains N seeds as one
        vectorised program and returns an ``Ensemble`` instead (:func:`train_ensemble`).
        """
        import jax

        from .._settings import train_config
        from .._training.train import train

        if settings.get("ensemble", 1) != 1:  # before a resume reads a checkpoint: an ensemble refuses it
            config = train_config(settings)
            if callback is not None:
                raise PinnError("an ensemble takes no callback: its members step together, in one program")
            return train_ensemble(self, config, run_dir, resume=resume, init_from=init_from, overwrite=overwrite)
        config = train_config(settings, resumed_settings(run_dir) if resume and run_dir is not None else None)
        if run_dir is None:
            return Run.of(train(self, config, init_from=init_from, callback=callback))
        run_dir = pathlib.Path(run_dir)
        text = problem_text(self)  # a SymPy-built problem that cannot be saved is refused before training
        if resume and overwrite:
            raise PinnError("overwrite=True replaces an earlier run, resume=True continues it: give one of them")
        if jax.process_index() != 0:  # with several processes, process 0 writes
            return Run.of(train(self, config, run_dir, resume=resume, init_from=init_from, callback=callback), run_dir)
        if resume and finished(run_dir, config):
            warnings.warn(finished_note(run_dir), stacklevel=2)
            return load(run_dir)
        words = {"replace": "overwrite=True", "resume": "resume=True", "other": "another run_dir"}
        with hold(run_dir, overwrite, resuming=resume, **words) as start:
            record = train(self, config, run_dir, resume=resume, init_from=init_from, callback=callback, on_start=start)
            settings = dataclasses.asdict(config) | self.network_settings
            _, failed = write(run_dir, self, record, settings, text=text, plots=plots)
        if failed:
            listing = ", ".join(f"{name} ({why})" for name, why in failed.items())
            warnings.warn(f"could not write in {run_dir}: {listing}", stacklevel=2)
        return Run.of(record, run_dir)


def train_ensemble(
    problem, config, run_dir=None, *, resume=False, init_from=None, overwrite=False, words: dict | None = None
):
    """Train ``config.ensemble`` members as one program (``_training.ensemble``); with ``run_dir``,
    held as a training holds it, write ``ensemble.json`` and ``ensemble_params.npz`` there (and
    nothing else: :func:`load` reads no ensemble).  An ensemble is trained in one go: resuming
    one, or starting one from another run, is refused."""
    from .._training import ensemble

    if resume or init_from is not None:
        what = "resumed" if resume else "started from another run (init_from)"
        raise PinnError(
            f"an ensemble cannot be {what}: it is trained in one go, from its seeds",
            help="train the ensemble afresh (a new run directory, or overwrite), or train a single run",
        )
    ensemble.check(problem, config)
    if run_dir is None:
        return ensemble.train_ensemble(problem, config)
    run_dir = pathlib.Path(run_dir)
    words = words or {"replace": "overwrite=True", "resume": "resume=True", "other": "another run_dir"}
    with hold(run_dir, overwrite, **words) as start:
        start()
        result = ensemble.train_ensemble(problem, config)
        failed = write_ensemble(run_dir, result)
    if failed:
        listing = ", ".join(f"{name} ({why})" for name, why in failed.items())
        raise PinnError(f"could not write in {run_dir}: {listing}")
    return result


def write_ensemble(run_dir: pathlib.Path, result) -> dict[str, str]:
    """Write an ensemble's statistics and stacked parameters; for each file not written, why."""
    import jax
    import numpy as np

    def params() -> bytes:
        leaves = jax.tree_util.tree_flatten_with_path(result.params)[0]
        buffer = io.BytesIO()
        np.savez(buffer, **{jax.tree_util.keystr(path): np.asarray(leaf) for path, leaf in leaves})
        return buffer.getvalue()

    settings = dataclasses.asdict(result.config) | result.problem.network_settings
    contents = {
        ENSEMBLE_FILE: lambda: (metrics_json(result.metrics | {"settings": settings}) + "\n").encode(),
        ENSEMBLE_PARAMS_FILE: params,
    }
    return _write_files(run_dir, contents)[1]


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
    _not_busy(run_dir)  # a run another training is extending is not finished yet
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


def default_dir(problem_file) -> pathlib.Path:
    """``runs/<name>``, the name the problem file's without ``.pinn``, made one safe path component
    (``...pinn`` would otherwise send the run to ``runs/..``)."""
    stem = pathlib.PurePath(problem_file).stem
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).lstrip(".")
    return pathlib.Path("runs") / (safe or "run")


def _event_files(run_dir: pathlib.Path) -> list[str]:
    """The names of the TensorBoard event files in the run's ``tensorboard/`` (links left out)."""
    folder = run_dir / events.DIRECTORY
    if folder.is_symlink() or not folder.is_dir():
        return []
    return [p.name for p in folder.glob(events.EVENT_FILES) if not p.is_symlink()]


def _run_name(name) -> bool:
    """Whether ``name`` may be a file of a run: a name in the directory, or one below ``inputs/`` or
    ``tensorboard/``."""
    if not isinstance(name, str) or "\\" in name or "\0" in name:
        return False
    parts = pathlib.PurePosixPath(name).parts
    return (
        bool(parts)
        and not pathlib.PurePosixPath(name).is_absolute()
        and all(p not in ("", ".", "..") for p in parts)
        and (len(parts) == 1 or (len(parts) == 2 and parts[0] in (INPUTS, events.DIRECTORY)))
    )


def _write_files(run_dir: pathlib.Path, contents: dict) -> tuple[list[str], dict]:
    """List ``contents`` (name → a function giving the bytes) in the run's files, then write each
    whole (``_files.write_atomic``); the names written, and for each file not written why."""
    written, failed = [], {}
    try:
        record(run_dir, contents)
    except OSError as err:
        failed[MANIFEST] = err.strerror or str(err)
    for name, content in contents.items():
        try:
            _files.write_atomic(run_dir / name, content())
            written.append(name)
        except OSError as err:
            failed[name] = err.strerror or str(err)
    return written, failed


def written(run_dir: pathlib.Path) -> list[str] | None:
    """The files the run in ``run_dir`` wrote, as its list (``files.json``) names them; None without a list."""
    path = run_dir / MANIFEST
    if not (path.exists() or path.is_symlink()):
        return None
    help = f"remove the files of that run yourself, or choose another directory; {MANIFEST} lists what a run wrote"
    data = _files.read_json(path, MAX_JSON_BYTES, help)
    if not isinstance(data, dict) or not isinstance(data.get("files"), list) or not all(map(_run_name, data["files"])):
        raise PinnError(
            f"{path} is damaged: it must list the files of the run, each a name in its directory", help=help
        )
    return list(data["files"])


def record(run_dir: pathlib.Path, names) -> None:
    """Add ``names`` to the run's list of files (before they are written: a crash leaves none unlisted)."""
    listed = written(run_dir) or []
    text = json.dumps({"files": sorted(set(listed) | set(names))}, indent=1) + "\n"
    _files.write_atomic(run_dir / MANIFEST, text.encode())


def previous_files(run_dir: pathlib.Path) -> list[str]:
    """The files of an earlier run in ``run_dir`` (none if it holds no run): those its list names
    and its checkpoint's; for a run of a version that kept no list, those named like a run's."""
    if not run_dir.is_dir():
        return []
    listed = written(run_dir)
    if listed is None:
        if not any((run_dir / n).is_file() for n in MARKERS):
            return []
        return sorted({p.name for pattern in FILES for p in run_dir.glob(pattern) if p.is_file()})
    names = set(listed) | set(checkpoint.current_files(run_dir)) | {MANIFEST}
    return sorted(n for n in names if (run_dir / n).exists() or (run_dir / n).is_symlink())


def is_run_file(run_dir: pathlib.Path, path: pathlib.Path) -> bool:
    """Whether ``path`` (links resolved) is a file of the run in ``run_dir``, or named like one there."""
    where = path.resolve()
    inside = run_dir.resolve()
    if not where.is_relative_to(inside):
        return False
    parts = where.relative_to(inside).parts
    if not parts:
        return True
    name = "/".join(parts)
    listed = written(run_dir) or []
    return name in listed or parts[0] == INPUTS or any(pathlib.PurePosixPath(name).match(p) for p in FILES)


def _clashes(run_dir: pathlib.Path) -> list[str]:
    """The entries of ``run_dir`` named like a file a run writes (its inputs/ folder included)."""
    return sorted({p.name for pattern in FILES for p in run_dir.glob(pattern)} - {LOCK_FILE})


def _strangers(run_dir: pathlib.Path, listed: list[str]) -> list[str]:
    """Files a new run would write over that the earlier run's list does not name (the user's)."""
    fixed = (METRICS_FILE, CODE_FILE, HISTORY_FILE, PARAMS_FILE, PROBLEM_FILE)
    names = [n for n in fixed if (run_dir / n).exists() or (run_dir / n).is_symlink()]
    inputs = run_dir / INPUTS
    if inputs.is_symlink() or inputs.exists() and not inputs.is_dir():
        names.append(INPUTS)
    elif inputs.is_dir():
        for folder, dirs, files in os.walk(inputs):  # links are not followed
            below = pathlib.Path(folder).relative_to(run_dir).as_posix()
            names += [f"{below}/{f}" for f in files + [d for d in dirs if (pathlib.Path(folder) / d).is_symlink()]]
    return [n for n in names if n not in listed]


def _not_busy(run_dir: pathlib.Path) -> None:
    if (run_dir / LOCK_FILE).is_file():
        with _files.lock(run_dir / LOCK_FILE, _busy(run_dir), _BUSY_HELP):
            pass


def _busy(run_dir) -> str:
    return f"another training is writing into {run_dir} (it holds {run_dir / LOCK_FILE}); nothing was changed"


_BUSY_HELP = "wait for it to end, or choose another directory for this one"


def claim(
    run_dir: pathlib.Path, overwrite: bool, *, replace: str, resume: str, other: str, held: bool = False
) -> list[str]:
    """Check that a new run may go into ``run_dir``, changing nothing; returns the files of the
    earlier run there that it replaces (only with ``overwrite``).

    Refused: a directory another training holds; one holding files a run would write over
    that no run of ours wrote (the user's own ``loss.py``); an earlier run, unless
    ``overwrite``; with ``overwrite``, a run of a version that kept no list of its files.
    ``replace``, ``resume`` and ``other`` say in the caller's words (a flag, a keyword) how to
    replace the run, continue it, or write elsewhere; ``held``: the caller holds its lock.
    """
    if not run_dir.is_dir():
        return []
    if not held:
        _not_busy(run_dir)
    listed = written(run_dir)
    previous = previous_files(run_dir)
    if not previous:
        clashes = _clashes(run_dir)
        if clashes:
            raise PinnError(
                f"{run_dir} holds files that no run wrote, which a run would write over "
                f"({', '.join(clashes[:4])}{', ...' if len(clashes) > 4 else ''}); nothing was changed",
                help=f"choose {other}: a new or empty directory",
            )
        return []
    if not overwrite:
        raise PinnError(
            f"{run_dir} holds an earlier run ({', '.join(previous[:4])}{', ...' if len(previous) > 4 else ''}); "
            "nothing was changed",
            help=f"continue it with `{resume}`, replace it with `{replace}`, or choose {other}",
        )
    if listed is None:
        raise PinnError(
            f"{run_dir} holds a run of an earlier version, which kept no list ({MANIFEST}) of the files it wrote, "
            f"so `{replace}` cannot tell them from yours; nothing was changed",
            help=f"remove its files yourself, continue it with `{resume}`, or choose {other}",
        )
    strangers = _strangers(run_dir, listed)
    if strangers:
        raise PinnError(
            f"{run_dir} holds files that its run did not write, which a new run would write over "
            f"({', '.join(strangers[:4])}); nothing was changed",
            help=f"move them elsewhere, or choose {other}",
        )
    return [n for n in previous if n != LOCK_FILE]


def remove(run_dir: pathlib.Path, names: list[str], replace: str) -> None:
    """Remove the files of an earlier run (as :func:`claim` listed them), saying which; never through a link."""
    names = sorted(names, key=lambda n: n == MANIFEST)  # the list last: a crash leaves it
    print(f"{replace}: replacing the earlier run in {run_dir}: removing {', '.join(names)}", file=sys.stderr)
    for name in names:
        parents = pathlib.PurePosixPath(name).parents
        if any((run_dir / p).is_symlink() for p in parents if str(p) != "."):
            continue
        with contextlib.suppress(IsADirectoryError, PermissionError):
            (run_dir / name).unlink(missing_ok=True)
    folders = {p for n in names for p in pathlib.PurePosixPath(n).parents if str(p) != "."}
    for folder in sorted(folders, key=lambda p: -len(p.parts)):  # the deepest first; only emptied ones go
        with contextlib.suppress(OSError):
            (run_dir / folder).rmdir()


@contextlib.contextmanager
def hold(run_dir: pathlib.Path, overwrite: bool = False, *, resuming: bool = False, replace, resume, other):
    """Hold ``run_dir`` for one training, from its checks to its last file.

    Refuses, before anything changes, what :func:`claim` refuses (a resumed run: only a
    directory another training holds); then creates the directory and locks it
    (``train.lock``) until the block ends, so a second training into it is refused.
    Yields ``start``, for the trainer to call once every setting is checked: only then is
    the earlier run removed (with ``overwrite``), and the directory marked as a run's.
    """
    words = {"replace": replace, "resume": resume, "other": other}
    if resuming:
        _not_busy(run_dir)
    else:
        claim(run_dir, overwrite, **words)
    logs_before = set(_event_files(run_dir))
    existed = run_dir.exists()
    empty = not existed or (run_dir.is_dir() and not any(run_dir.iterdir()))
    create(run_dir)
    started = False
    with _files.lock(run_dir / LOCK_FILE, _busy(run_dir), _BUSY_HELP):
        previous = [] if resuming else claim(run_dir, overwrite, **words, held=True)  # again, now that it is held

        def start() -> None:
            nonlocal started
            started = True
            if previous:
                remove(run_dir, previous, replace)
            # the event file this session's TensorBoard log opened: one that was not there before
            logs = sorted(set(_event_files(run_dir)) - logs_before)
            record(run_dir, [LOCK_FILE, *(f"{events.DIRECTORY}/{name}" for name in logs)])

        try:
            yield start
        except BaseException:
            if empty and not started:  # refused before it started: leave the directory as it was
                with contextlib.suppress(OSError):
                    (run_dir / LOCK_FILE).unlink()
                    if not existed:
                        run_dir.rmdir()
            raise


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
    text = problem_text(problem) if text is None else text
    written, failed = [], {}
    copies = {}
    for name, source in inputs(problem).items():
        try:
            copies[name] = _copy_input(run_dir, name, source)
            written.append(name)
        except OSError as err:
            failed[name] = err.strerror or str(err)
            copies[name] = ""  # load says the copy is missing (never reads the file from elsewhere)
    metrics = dict(result.metrics)
    metrics.update(
        {
            # the problem's file as it was named, for the reader: load reads the run's own copy, problem.pinn
            "problem": None if problem_file is None else str(problem_file),
            "settings": settings,
            "versions": {"symbolic_pinn": __version__, "jax": jax.__version__},
            "source_sha256": problem.source_hash,
            SHA256: {PROBLEM_FILE: hashlib.sha256(text.encode()).hexdigest()} | copies,
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
        PROBLEM_FILE: lambda: text.encode(),
        HISTORY_FILE: history,
        PARAMS_FILE: params,
    }
    done, not_done = _write_files(run_dir, contents)
    written += done
    failed |= not_done
    if plots:
        try:
            written += write_plots(run_dir, problem, result)
        except OSError as err:
            failed["plots"] = err.strerror or str(err)
    return written + ([checkpoint.INDEX] if checkpoint.exists(run_dir) else []), failed


def inputs(problem) -> dict[str, pathlib.Path]:
    """The files the problem read (its `data` and `table` files): where each goes in the run
    (``inputs/<the name the problem gives it>``), and where it was read from."""
    base = pathlib.Path(problem.spec.filename).parent if problem.spec.filename else pathlib.Path.cwd()
    named = [d.name for d in problem.spec.data] + [t.file for t in problem.ir.tables if t.file]
    found = {}
    for name in named:
        inside = pathlib.PurePosixPath(os.path.normpath(name).replace(os.sep, "/"))
        if inside.is_absolute() or ".." in inside.parts:  # the checker refuses these; never outside inputs/
            continue
        found[f"{INPUTS}/{inside.as_posix()}"] = base / name
    return found


def _copy_input(run_dir: pathlib.Path, name: str, source: pathlib.Path) -> str:
    """Copy a file the problem read into the run (as ``name``, below ``inputs/``); returns its sha256."""
    folder = run_dir
    for part in pathlib.PurePosixPath(name).parent.parts:  # made here, and never a link
        folder = folder / part
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
        if folder.is_symlink() or not folder.is_dir():
            raise OSError(errno.ENOTDIR, f"{folder} is not a folder of the run")
    record(run_dir, [name])
    digest = hashlib.sha256()

    def copy(handle) -> None:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO put there since: not waited on
        with os.fdopen(fd, "rb") as original:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, f"{source} is not a regular file")
            for block in iter(lambda: original.read(1 << 20), b""):
                digest.update(block)
                handle.write(block)

    _files.write_atomic(run_dir / name, copy)
    return digest.hexdigest()


def write_plots(run_dir: pathlib.Path, problem, result) -> list[str]:
    """Write the loss plot and each field's plots (``plots.figures``); returns the file names."""
    from . import plots

    names = []
    for kind, field, figure in plots.figures(problem, result):
        names.append(PLOT_FILES[kind].format(field))
        record(run_dir, names[-1:])
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
            return _files.read_json(pathlib.Path(run_dir) / name, MAX_JSON_BYTES, "")["settings"]["float64"] is True
        except (PinnError, KeyError, TypeError, IndexError):
            continue
    return False


_DAMAGED = "the run directory is damaged; train again"


def load(run_dir) -> Run:
    """Load a run directory (``symbolic-pinn train --out``, or ``problem.train(run_dir)``).

    Everything is read from the directory itself (the problem's text and its data files are
    copies there), bounded, without following symbolic links, and checked before it is used:
    nothing is executed or unpickled, and the parameters must have the shapes the problem
    text and settings give its networks.

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
    metrics = read_metrics(run_dir)
    problem = _recompile(run_dir, metrics)
    params = _read_params(run_dir, problem)
    history = _read_history(run_dir / HISTORY_FILE)
    return Run(problem, params, metrics, history, config=_config(metrics, run_dir), run_dir=run_dir)


def read_metrics(run_dir: pathlib.Path) -> dict:
    """``metrics.json``, bounded and checked: an object, its settings known settings of the right
    types and values (``_settings.check``, then the configurations' own checks)."""
    path = run_dir / METRICS_FILE
    metrics = _files.read_json(path, MAX_JSON_BYTES, _DAMAGED)
    if not isinstance(metrics, dict):
        raise PinnError(f"{path} holds a {type(metrics).__name__}, not an object of metrics", help=_DAMAGED)
    settings = metrics.get("settings", {})
    if not isinstance(settings, dict):
        raise PinnError(f"'settings' in {path} is not a table of settings", help=_DAMAGED)
    for key in (SHA256,):
        if key in metrics and not (
            isinstance(metrics[key], dict) and all(_run_name(k) and isinstance(v, str) for k, v in metrics[key].items())
        ):
            raise PinnError(f"'{key}' in {path} must map files of the run to their sha256", help=_DAMAGED)
    _recorded_settings(metrics, path)  # checked now, before anything is compiled with them
    return metrics


def _recorded_settings(metrics: dict, path: pathlib.Path) -> tuple[dict, dict]:
    """The network and training settings a run recorded, checked as given settings are checked
    (a setting added since has the value such a run had; one no longer known is ignored)."""
    from .._config import ABSENT_MEANS, NetworkConfig, current_names
    from .._settings import NETWORK, SETTINGS, check

    known = {s.name for s in SETTINGS}
    try:
        recorded = current_names(metrics.get("settings", {}))  # a run saved under a setting's old name
        settings = ABSENT_MEANS | {k: v for k, v in recorded.items() if k in known}
        settings = check(settings, f"in {path}")
        network = {s.name: settings.get(s.name, s.default) for s in NETWORK}
        NetworkConfig(**network)
        train = {k: v for k, v in settings.items() if k in TrainConfig.__dataclass_fields__}
        TrainConfig(**train)
    except PinnError as err:
        raise PinnError(f"the settings in {path} are damaged: {err.message}", help=_DAMAGED) from None
    return network, train


def _read_params(run_dir: pathlib.Path, problem) -> dict:
    """``params.npz``: exactly the arrays of the problem's networks, each header checked before its data."""
    import jax
    import jax.numpy as jnp

    template = jax.eval_shape(problem.module.init_params, jax.random.PRNGKey(0))
    paths, treedef = jax.tree_util.tree_flatten_with_path(template)
    expected = {jax.tree_util.keystr(key): tuple(like.shape) for key, like in paths}
    path = run_dir / PARAMS_FILE
    try:
        arrays = _files.read_npz(path, expected)
    except (OSError, ValueError) as err:
        why = getattr(err, "strerror", None) or str(err)
        raise PinnError(
            f"cannot read the parameters in {path}: {why}",
            help=f"the parameters must be those of the networks that {PROBLEM_FILE} and the settings in "
            f"{METRICS_FILE} give; the run is damaged: train again",
        ) from None
    leaves = [jnp.asarray(arrays[jax.tree_util.keystr(key)], dtype=like.dtype) for key, like in paths]
    return jax.tree_util.tree_unflatten(treedef, leaves)


def _read_history(path: pathlib.Path) -> list[dict]:
    """The rows of ``history.csv`` (none if the file is missing): numbers as numbers, blanks left out."""
    if not (path.exists() or path.is_symlink()):
        return []
    data = _files.read_bounded(path, MAX_HISTORY_BYTES, _DAMAGED, follow=False)
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    except (ValueError, csv.Error) as err:
        raise PinnError(f"cannot read {path}: {err}", help=_DAMAGED) from None
    kinds = {"step": int, "phase": str}
    try:
        return [{k: kinds.get(k, float)(v) for k, v in row.items() if v not in ("", None)} for row in rows]
    except (TypeError, ValueError) as err:
        raise PinnError(f"cannot read {path}: {err}", help=_DAMAGED) from None


def _config(metrics: dict, run_dir: pathlib.Path | None = None) -> TrainConfig:
    """The training settings a run recorded (checked by :func:`read_metrics`)."""
    return TrainConfig(**_recorded_settings(metrics, (run_dir or pathlib.Path(".")) / METRICS_FILE)[1])


def _sha256_of(path: pathlib.Path) -> str | None:
    """The sha256 of a file of the run (None if it is missing, a link, or not a file)."""
    if path.is_symlink() or not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_copies(run_dir: pathlib.Path, metrics: dict, text: bytes) -> None:
    """The problem text and the copies of its files must be those the run trained with (their sha256)."""
    recorded = metrics.get(SHA256)
    if recorded is None:  # a run of a version before the sha256 were kept
        return
    for name, sha in recorded.items():
        now = hashlib.sha256(text).hexdigest() if name == PROBLEM_FILE else _sha256_of(run_dir / name)
        if now == sha:
            continue
        if now is None:
            raise PinnError(
                f"{run_dir / name}, the copy of a file the problem reads, is missing",
                help=f"restore it from the file the problem names ({name.removeprefix(INPUTS + '/')}), or train again",
            )
        changed = "the run's copy of the problem" if name == PROBLEM_FILE else "the run's copy of a file it reads"
        raise PinnError(
            f"{run_dir / name} was changed after training ({changed}: its sha256 is not the one in {METRICS_FILE}); "
            "its parameters were trained for the file as it was",
            help=f"the run evaluates its own copies, never the files it was trained from: restore {name}, "
            "or train the changed problem again",
        )


def _recompile(run_dir: pathlib.Path, metrics: dict):
    """The problem of a run, compiled again from its own copies (``problem.pinn``, ``inputs/``)
    with its network settings; never from a file outside the directory."""
    from .. import _limits

    path = run_dir / PROBLEM_FILE
    # as parse.read_problem bounds a problem file: a UTF-8 character is at most 4 bytes
    data = _files.read_bounded(path, 4 * _limits.PROBLEM_CHARACTERS.value(), _DAMAGED, follow=False)
    _check_copies(run_dir, metrics, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PinnError(f"{path} is not UTF-8 text", help=_DAMAGED) from None
    if (run_dir / INPUTS).is_symlink():
        raise PinnError(f"{run_dir / INPUTS} is a symbolic link, not the run's folder of copies", help=_DAMAGED)
    # parsed as a file in inputs/, so `data "obs.csv"` is the run's copy; under the name it was trained
    # with, which the generated code's docstring quotes (a problem of no file that read none: no name)
    named = metrics.get("problem", metrics.get("problem_path"))  # older runs: only the name of the path is used
    name = pathlib.PurePath(named).name if isinstance(named, str) and named else PROBLEM_FILE
    filename = str(run_dir / INPUTS / (name if _run_name(name) else PROBLEM_FILE))
    if named is None and list(metrics.get(SHA256, {})) == [PROBLEM_FILE]:  # its text checked: it reads no file
        filename = None
    network, _ = _recorded_settings(metrics, run_dir / METRICS_FILE)
    labels = metrics.get(SYMPY_LABELS)
    if labels is not None and not (isinstance(labels, list) and all(isinstance(s, str) for s in labels)):
        raise PinnError(f"'{SYMPY_LABELS}' in {run_dir / METRICS_FILE} is not a list of strings", help="train again")
    try:
        problem = _compile_text(text, filename, network, labels)
    except PinnError as err:
        if err.filename == filename or err.filename is None:
            err.filename = str(path)
        if not (run_dir / INPUTS).is_dir() and "does not exist" in err.message:
            err.help = (
                f"this run has no copies of the files its problem reads ({INPUTS}/): runs of older versions "
                f"did not keep them; copy them into {run_dir / INPUTS}, or train again"
            )
        raise
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
