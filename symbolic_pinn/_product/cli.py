"""The ``symbolic-pinn`` command: check, derive, compile (show any stage), train.

Bad input prints one clear error (what, where, what to do) and exits with status 1;
usage errors exit with 2; nothing the user writes produces a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import pathlib
import signal
import sys
import textwrap
import typing
import warnings

from .._errors import ExactWarning, IllPosedWarning, OutsideWarning, PinnError, QuadratureWarning, ReadingWarning

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_INTERNAL = 3


def _compile(file, settings: dict):
    """Compile with the network settings (see _settings.NETWORK)."""
    from .._compiler.pipeline import parse_file
    from .._settings import NETWORK
    from .run import compile

    network = {s.name: settings.get(s.name, s.default) for s in NETWORK}
    return compile(parse_file(file), **network)


def _cmd_check(args) -> int:
    # parse and check only: the later stages (and JAX) are not imported, so this is quick
    from .._frontend.check import check
    from .._frontend.conditions import coverage
    from .._frontend.parse import parse_text, read_problem

    spec = check(parse_text(read_problem(args.file), str(args.file)))
    terms = ", ".join(f"{t.kind} on {t.region.describe()}" for t in spec.terms)
    fields = ", ".join(str(f) for f in spec.fields)
    print(f"{args.file}: ok — fields {fields}; {len(spec.terms)} terms ({terms})")
    for m in spec.maps:  # the fields and faces above are in the bounded variable: say how it reads
        print(
            f"  {m.variable} is mapped: {m.variable} = {m.written}, {m.bounded} in [{m.bounds[0]:g}, {m.bounds[1]:g}]"
        )
    covered = coverage(spec)
    if covered:
        print(
            "conditions on ∂Ω, per field (the rest of ∂Ω leaves out the faces and parts with their own "
            "condition on the same field):"
        )
        print("\n".join(covered))
    from .._compiler.hard import built_in
    from .._compiler.lower import lower
    from .._compiler.pipeline import build_in
    from .._config import NetworkConfig

    for name, labels in built_in(build_in(lower(spec), NetworkConfig())[1]).items():  # the default settings'
        print(f"  built into {name}'s network: {'; '.join(labels)}")
    _check_exact(spec)
    return 0


def _check_exact(spec) -> None:
    """Warn of each equation or condition the problem's ``exact`` solutions do not satisfy (compiles
    the problem, so only where there is an exact solution)."""
    if spec.exact:
        from .._compiler.exact import MAX_VARIABLES, unsatisfied

        if len(spec.variables) > MAX_VARIABLES:
            print(
                f"note: `exact` is not checked against the equations: the problem has {len(spec.variables)} "
                f"variables, more than {MAX_VARIABLES}, where the check takes tens of seconds",
                file=sys.stderr,
            )
            return
        for sentence in unsatisfied(spec):
            warnings.warn(sentence, ExactWarning, stacklevel=2)


def _cmd_derive(args) -> int:
    from .._compiler.pipeline import parse_file
    from .._frontend.derive import derive

    sys.stdout.write(derive(parse_file(args.file)))
    return 0


def _cmd_compile(args) -> int:
    # the settings `train` would read (the problem's TOML or --config, then the flags), so the
    # module and the plan shown are the ones a training of this file runs
    settings, source = _file_settings(args)
    compiled = _compile(args.file, settings)
    _check_exact(compiled.spec)
    if args.emit == "ir":
        text = compiled.format_ir()
    elif args.emit == "plan":
        text = compiled.format_plan() + _training_lines(compiled, settings, source)
    else:
        text = compiled.source
    sys.stdout.write(text)
    return 0


def _training_lines(compiled, settings: dict, source: str) -> str:
    """The plan's last lines: the finish after Adam and the causal weights that training with
    these settings chooses for this problem, and why; for a problem with an energy on the
    interior, how its integral is taken."""
    from .._training import causal, quadrature
    from .._training.phases import label
    from .._training.train import TrainConfig, finisher_choice

    config = TrainConfig(**{k: v for k, v in settings.items() if k in TrainConfig.__dataclass_fields__})
    name, why = finisher_choice(compiled, config)
    plan = causal.choose(compiled, config)
    lines = f"finish after Adam (finisher {config.finisher}, {source}): {label(name)}, {why}\n"
    integration, reason = quadrature.choose(compiled, config)
    if reason != quadrature.NO_ENERGY:
        lines += f"energy quadrature ({config.energy_quadrature}): {quadrature.LABELS[integration]}, {reason}\n"
    return lines + f"causal weights (causal {config.causal}): {'on' if plan.used else 'off'}, {plan.reason}\n"


def _cmd_train(args) -> int:
    from .._training import checkpoint
    from .._training.devices import initialize, lost_process
    from .._training.train import TrainConfig, train
    from . import run as _run

    settings = _train_settings(args)
    run_dir = pathlib.Path(args.resume or args.out or _run.default_dir(args.file))
    if args.resume and args.overwrite:
        raise PinnError("--overwrite goes with --out: a resumed run continues its directory")
    if args.resume and args.init_from:
        raise PinnError("--init-from starts a new run, --resume continues one: give one of them")
    config = TrainConfig(**{k: v for k, v in settings.items() if k in TrainConfig.__dataclass_fields__})
    if config.ensemble > 1:
        return _train_ensemble(args, run_dir, config, settings)
    if args.resume and _run.finished(run_dir, config):
        print(_run.finished_note(run_dir), file=sys.stderr)
        return 0
    initialize(args.coordinator, args.num_processes, args.process_id)  # several processes: join them first
    compiled = _compile(args.file, settings)
    import jax

    leader = jax.process_index() == 0  # process 0 writes the run directory; the others train with it
    words = {"replace": "--overwrite", "resume": f"--resume {run_dir}", "other": "another --out"}
    # process 0 holds the directory (checked, locked; an earlier run removed once training has started)
    held = _run.hold(run_dir, args.overwrite, resuming=bool(args.resume), **words) if leader else None
    with held or contextlib.nullcontext(lambda: None) as start:
        if not leader:
            _run.create(run_dir)
        if leader and not args.out and not args.resume:
            print(f"writing the run into {run_dir}", file=sys.stderr)
        try:
            result = train(
                compiled, config, run_dir, resume=bool(args.resume), init_from=args.init_from, on_start=start
            )
        except jax.errors.JaxRuntimeError as err:
            if jax.process_count() == 1:
                raise
            _lost_peer(lost_process(err, run_dir, checkpoint.last_step(run_dir)))
        if leader:
            return _finish(args, run_dir, compiled, result, settings)
    return 0


def _train_ensemble(args, run_dir: pathlib.Path, config, settings: dict) -> int:
    """``train --ensemble N``: N seeds as one program; writes ensemble.json and ensemble_params.npz."""
    from .._training.ensemble import summary
    from . import run as _run

    words = {"replace": "--overwrite", "resume": f"--resume {run_dir}", "other": "another --out"}
    compiled = None if args.resume or args.init_from else _compile(args.file, settings)
    result = _run.train_ensemble(
        compiled, config, run_dir, resume=bool(args.resume), init_from=args.init_from, overwrite=args.overwrite,
        words=words,
    )  # fmt: skip
    print(summary(result))
    print(f"wrote {run_dir}/{_run.ENSEMBLE_FILE}, {_run.ENSEMBLE_PARAMS_FILE}")
    return 0


def _finish(args, run_dir: pathlib.Path, compiled, result, settings: dict) -> int:
    """Print the result of a training, write its run directory; the exit status."""
    from . import run as _run

    metrics = result.metrics
    errors = (
        ", ".join(f"{k} {'not computed' if v is None else f'{v:.3e}'}" for k, v in metrics["rel_l2"].items())
        or "no exact solution given"
    )
    print(
        f"loss {metrics['loss']:.3e} after {metrics['steps']} steps in {metrics['seconds']:.1f} s; "
        f"relative L2 error: {errors}"
    )
    for k, by_value in metrics["rel_l2_by_param"].items():
        for value, errors in by_value.items():
            shown = ", ".join(f"{n} {'not computed' if e is None else f'{e:.3e}'}" for n, e in errors.items())
            print(f"  at {k} = {value}: {shown}")
    for name, value in metrics["unknowns"].items():
        print(f"{name} = {value:.6g}")
    written, failed = _run.write(run_dir, compiled, result, settings, args.file)
    for note in metrics["notes"]:
        print(f"warning: {note}", file=sys.stderr)
    if written:
        print(f"wrote {run_dir}/{', '.join(written)}")
    if failed:
        return _report_failed_writes(run_dir, failed, result)
    if metrics["stopped"]:
        print(f"warning: {metrics['stopped']}", file=sys.stderr)
        return 128 + signal.Signals[metrics["signal"]] if metrics["signal"] else EXIT_ERROR
    return 0


def _lost_peer(error: PinnError) -> typing.NoReturn:
    """Say that a process of the group stopped, and exit now.

    A plain exit would run jax.distributed's shutdown, which waits at a barrier for the
    lost process until its heartbeat times out (100 s) and then aborts with pages of
    logs; there is nothing left to synchronise, so the process ends here.
    """
    print(error.render(), file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_ERROR)


def _report_failed_writes(run_dir: pathlib.Path, failed: dict[str, str], result) -> int:
    """Say which result files are missing and what is left; exit 1 (the run's numbers were printed)."""
    from .._training import checkpoint as _checkpoint
    from . import run as _run

    listing = ", ".join(f"{name} ({why})" for name, why in failed.items())
    print(f"error: could not write in {run_dir}: {listing}", file=sys.stderr)
    step = result.metrics["checkpoint_step"]
    if step is not None and _checkpoint.exists(run_dir):
        print(
            f"  = the checkpoint of step {step} is in {run_dir}: once there is room, "
            f"`symbolic-pinn train PROBLEM --resume {run_dir}` finishes from it and writes the results",
            file=sys.stderr,
        )
    if _run.METRICS_FILE in failed:  # never end with nothing: the metrics go to the terminal instead
        print(_run.metrics_json(result.metrics))
    return EXIT_ERROR


def _train_settings(args) -> dict:
    """Every setting: the defaults, then a TOML file or the checkpoint resumed, then the flags."""
    from .run import resumed_settings

    given = _given(args)
    if args.resume:
        if (given.get("ensemble") or 1) > 1:
            raise PinnError(
                "--ensemble and --resume do not go together: an ensemble is trained in one go, from its seeds",
                help="train the ensemble afresh with --out (or --overwrite), or resume a single run without --ensemble",
            )
        if args.config:
            raise PinnError(
                "--config and --resume do not go together: a resumed run keeps the settings of its checkpoint",
                help="drop --config, or start a new run with --out",
            )
        return resumed_settings(args.resume) | given
    return _file_settings(args)[0]


def _given(args) -> dict:
    """The settings given as flags (an absent flag is no attribute: its default is argparse.SUPPRESS)."""
    from .. import _settings

    return {s.name: getattr(args, s.name) for s in _settings.SETTINGS if hasattr(args, s.name)}


def _file_settings(args) -> tuple[dict, str]:
    """Every setting of a new run: the defaults, then ``--config`` or the problem's own TOML
    (``<problem>.toml`` beside it), then the flags given; and where they came from, in words."""
    from .. import _settings

    given = _given(args)
    path = args.config or _settings.problem_toml(args.file)
    from_file = _settings.read_toml(path) if path else {}
    if path:
        print(f"settings from {path}", file=sys.stderr)
    source = f"settings from {path}" if path else "default training settings"
    return {s.name: s.default for s in _settings.SETTINGS} | from_file | given, source


def _cmd_eval(args) -> int:
    from .._training.train import precision
    from . import run as _run

    if args.out is not None and _run.is_run_file(pathlib.Path(args.run_dir), pathlib.Path(args.out)):
        raise PinnError(
            f"--out {args.out} is a file of the run in {args.run_dir}; nothing was written",
            help="write the values elsewhere: a run's own files are read by `load` and `eval`",
        )
    if args.out is not None and pathlib.Path(args.out).suffix.lower() not in WRITERS:
        raise PinnError(
            f"cannot write {args.out}: unknown suffix {pathlib.Path(args.out).suffix or '(none)'}",
            help=f"give --out FILE{' or FILE'.join(WRITERS)}, or no --out for CSV on stdout",
        )
    extrapolate = args.outside == "extrapolate"
    # a --float64 run is loaded and evaluated in float64
    with precision(_run.trained_in_float64(args.run_dir)):
        run = _run.load(args.run_dir)
        columns, outside = _eval_points(run, args)
        for name in args.field or run.fields:
            # on a grid, the points outside a shape are expected: NaN there without a warning
            field = run.field(name, extrapolate, "extrapolate" if outside is not None else args.outside)
            values = _numpy(field(*(columns[a] for a in run.problem.module.FIELDS[name])))
            if outside is not None and not extrapolate:
                values[outside] = float("nan")
            columns[name] = values
    _write_table(columns, args.out)
    if args.out:
        print(f"wrote {args.out}: {', '.join(columns)}", file=sys.stderr)
    return 0


def _numpy(values):
    import numpy as np

    return np.asarray(values, dtype=float)


def _eval_points(run, args):
    """The points to evaluate at, by variable (1-D, or meshgrids of --grid), and where they are
    outside a shaped domain (None: nowhere)."""
    import numpy as np

    from .._frontend.data import read_columns

    program = run.problem.ir
    for name in args.field or ():
        if name not in run.fields:
            raise PinnError(f"no field {name!r} in the run in {args.run_dir}", help=f"fields: {', '.join(run.fields)}")
    fields = args.field or run.fields
    needed = [v.name for v in program.variables if any(v.name in program.field(f).args for f in fields)]
    if args.points is not None:
        path = pathlib.Path(args.points)
        if not path.is_file():
            raise PinnError(
                f"no file {path}", help="give a CSV (or .txt) file with a header naming the variables, or an NPZ"
            )
        table = read_columns(path, what="points")
        missing = [v for v in needed if v not in table]
        if missing:
            raise PinnError(
                f"{path.name} has no column {', '.join(repr(m) for m in missing)}",
                help=f"its columns: {', '.join(table) or 'none'}; give one column per variable: {', '.join(needed)}",
            )
        return {v: np.asarray(table[v], dtype=float) for v in needed}, None
    if args.grid < 2:
        raise PinnError(f"--grid takes the points per variable, at least 2; got {args.grid}")
    _grid_memory(args.grid, len(needed), len(fields), run.problem.network.width)
    intervals = {v.name: (float(v.lo), float(v.hi)) for v in program.variables}
    mesh = np.meshgrid(*(np.linspace(*intervals[v], args.grid) for v in needed), indexing="ij")
    columns = dict(zip(needed, mesh))
    outside = None
    if program.shape is not None and set(program.shape[0]) <= set(needed):  # the field's value there is NaN
        variables, tree = program.shape
        inside = np.stack([columns[v].ravel() for v in variables], axis=-1)
        outside = (tree.distance(inside) > 1e-12).reshape(mesh[0].shape)
    return columns, outside


WRITERS = (".csv", ".npz")  # the suffixes eval --out writes


def _grid_memory(grid: int, dimensions: int, fields: int, width: int) -> None:
    """Refuse a --grid whose points would not fit in memory, before any is made."""
    from .. import _limits

    points = grid**dimensions
    columns = dimensions + fields
    _limits.check_memory(
        {
            f"{grid:,}^{dimensions} = {points:,} points × {columns} columns of float64 and their copies": points
            * columns
            * 8
            * 3,
            f"the networks' activations (width {width:,})": points * width * 4 * 2,
        },
        f"--grid {grid:,}",
        "give a smaller --grid, or the points to evaluate at in a file (--points)",
    )


def _write_table(columns: dict, out: str | None) -> None:
    """Write named columns as CSV (a header row; stdout without ``out``) or NPZ (arrays as they are).

    A file is written whole or not at all (a full disk leaves an existing ``out`` as it was),
    and never through a symbolic link (``eval`` refuses a file of the run evaluated first).
    """
    import numpy as np

    from .. import _files

    if out is None:
        _write_csv(columns, sys.stdout)
        return
    path = pathlib.Path(out)

    def content(handle) -> None:
        if out.lower().endswith(".npz"):
            np.savez(handle, **columns)
            return
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        _write_csv(columns, text)
        text.detach()  # the handle stays open for write_atomic to finish

    try:
        _files.write_atomic(path, content)
    except OSError as err:
        raise PinnError(f"cannot write {out}: {err.strerror or err}", help="nothing was written") from None


def _write_csv(columns: dict, handle) -> None:
    import numpy as np

    flat = {k: np.ravel(v) for k, v in columns.items()}
    writer = csv.writer(handle)
    writer.writerow(flat)
    for row in zip(*flat.values()):
        writer.writerow(f"{value:.9g}" for value in row)
    handle.flush()


# flags kept from before the flags were named after the settings
METAVARS = {int: "N", float: "X", str: "NAME"}
ALIASES = {"adam_steps": ["--steps"], "learning_rate": ["--lr"], "final_learning_rate": ["--final-lr"]}


def _train_epilog() -> str:
    """``train --help``'s epilog: the TOML file, how a run is continued or extended, and which
    settings a resumed run may change (read from the code: ``_config.RESUMABLE``, ``EXTENDABLE``)."""
    from .._config import EXTENDABLE, RESUMABLE
    from .._settings import SETTINGS

    extend = " or ".join(s.flag for s in SETTINGS if s.name in EXTENDABLE)
    flags = [s.flag for s in SETTINGS if s.name in RESUMABLE]
    resume = (
        f"More {extend} extend a finished run, which otherwise is left as it is; --init-from RUN starts a new "
        "run, with any settings, from RUN's trained parameters. The time limit bounds one session (a resumed "
        "run has a new one, or none). --resume DIR continues DIR's last checkpoint with the settings it was "
        f"started with (only {', '.join(flags[:-1])} and {flags[-1]} may change)."
    )
    return TRAIN_EPILOG + "\n\n" + textwrap.fill(resume, width=88, break_on_hyphens=False)


TRAIN_EPILOG = """\
Every setting can also be given in the [train] table of a TOML file, under its name
with underscores, e.g.

    [train]
    adam_steps = 500
    learning_rate = 3e-3

The file is --config FILE.toml, or else <problem>.toml beside the problem file if it
exists. Flags override the file."""


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; the setting flags (whose table imports JAX) go on command ``only``, all if None."""
    from .. import __version__

    def settings_for(command: str) -> bool:
        return only is None or only == command

    parser = argparse.ArgumentParser(
        prog="symbolic-pinn",
        description="Compile PDEs and energy functionals written as maths into trained physics-informed networks.",
    )
    parser.add_argument("--version", action="version", version=f"symbolic-pinn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="parse and check a problem; exit 0 or print a clear error")
    p.add_argument("file", help="the problem, a .pinn file")
    p.set_defaults(run=_cmd_check)

    help = "print the Euler–Lagrange strong form of a `minimize` problem, as a problem that compiles"
    p = sub.add_parser("derive", help=help, description=help)
    p.add_argument("file", help="the problem, a .pinn file with `minimize`")
    p.set_defaults(run=_cmd_derive)

    help = "print the IR, the derivative plan or the generated JAX module"
    p = sub.add_parser("compile", help=help, description=help)
    p.add_argument("file", help="the problem, a .pinn file")
    p.add_argument(
        "--config", metavar="FILE.toml", help="read settings from this file's [train] table (default: <problem>.toml)"
    )
    if settings_for("compile"):
        _add_setting_flags(_setting_groups(p, network_only=True))
    p.add_argument("--emit", choices=["ir", "plan", "jax"], default="jax", help="what to print (default jax)")
    p.set_defaults(run=_cmd_compile)

    help = "train the networks; write metrics, code, history, parameters, plots and checkpoints"
    epilog = _train_epilog() if settings_for("train") else None
    p = sub.add_parser(
        "train",
        help=help,
        description=help,
        epilog=epilog,
        usage="%(prog)s [options] file",  # the options, by group, below
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="the problem, a .pinn file")
    p.add_argument("--config", metavar="FILE.toml", help="read settings from this file's [train] table")
    groups = _setting_groups(p) if settings_for("train") else {}
    output = groups.get("output", p)
    where = output.add_mutually_exclusive_group()
    where.add_argument(
        "--out", metavar="DIR", help="output directory of a new run (created if needed; default runs/<problem name>)"
    )
    where.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    output.add_argument(
        "--init-from", metavar="RUN", help="start this new run from the trained parameters of the run in RUN"
    )
    output.add_argument(
        "--overwrite", action="store_true", help="replace an earlier run in the output directory (its files are listed)"
    )
    scale = groups.get("scale", p)
    scale.add_argument(
        "--coordinator",
        metavar="HOST:PORT",
        help="train with several processes (hosts): process 0's address, the same for all; `auto` under Slurm or MPI",
    )
    scale.add_argument("--num-processes", type=int, metavar="N", help="with --coordinator: how many processes")
    scale.add_argument(
        "--process-id", type=int, metavar="I", help="with --coordinator: this process's place, 0 to N - 1"
    )
    if settings_for("train"):
        _add_setting_flags(groups)
    p.set_defaults(run=_cmd_train)

    help = "evaluate the trained fields of a run at points from a file, or on a regular grid"
    p = sub.add_parser("eval", help=help, description=help)
    p.add_argument("run_dir", metavar="RUN_DIR", help="the --out directory of a `symbolic-pinn train` run")
    at = p.add_mutually_exclusive_group(required=True)
    at.add_argument(
        "--points",
        metavar="FILE",
        help="a CSV (or whitespace-separated .txt) file with a header row naming the variables, or an NPZ",
    )
    at.add_argument(
        "--grid", type=int, metavar="N", help="N points per variable over the domain's intervals (NaN outside a shape)"
    )
    p.add_argument("--out", metavar="FILE", help="where to write: FILE.csv or FILE.npz (default: CSV on stdout)")
    p.add_argument("--field", action="append", metavar="NAME", help="a field to evaluate (default: all); repeatable")
    p.add_argument(
        "--outside",
        choices=["nan", "extrapolate"],
        default="nan",
        help="at points outside the domain: NaN, with a warning saying how many (default), or the network's values",
    )
    p.set_defaults(run=_cmd_eval)
    return parser


def _setting_groups(parser: argparse.ArgumentParser, network_only: bool = False) -> dict:
    """An argument group of ``parser`` for each group of settings (``_settings.GROUPS``), in its order."""
    from .._settings import GROUPS, NETWORK, SETTINGS

    present = {s.group for s in (NETWORK if network_only else SETTINGS)}
    return {name: parser.add_argument_group(name, what) for name, (what, _) in GROUPS.items() if name in present}


def _add_setting_flags(groups: dict) -> None:
    """One flag per setting of these groups, in its group, named after it and its old names; absent from
    ``args`` unless given."""
    from .._settings import GROUPS, SETTINGS

    by_name = {s.name: s for s in SETTINGS}
    for parser, s in ((groups[group], by_name[name]) for group in groups for name in GROUPS[group][1]):
        names = [s.flag] + s.old_flags + ALIASES.get(s.name, [])
        if s.type is bool:
            default = "on" if s.default else "off"
            parser.add_argument(
                *names,
                dest=s.name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=f"{s.help} (default {default})",
            )
        else:
            default = f"{s.default:g}" if s.type is float else s.default
            parser.add_argument(
                *names,
                dest=s.name,
                type=s.type,
                choices=s.choices or None,
                default=argparse.SUPPRESS,
                metavar=None if s.choices else METAVARS[s.type],
                help=f"{s.help} (default {default})",
            )


OURS = (IllPosedWarning, QuadratureWarning, ReadingWarning, OutsideWarning, ExactWarning)  # printed as `warning: ...`


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """One of our warnings (IllPosedWarning, ReadingWarning, QuadratureWarning, ...) as one line,
    ``warning: ...``; other warnings as Python shows them."""
    if issubclass(category, OURS):
        print(f"warning: {message}", file=sys.stderr)
    else:
        (file or sys.stderr).write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``symbolic-pinn`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), "")
    args = _parser(only=command).parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            for category in (OutsideWarning, ExactWarning):  # what the command says, never an exception
                warnings.simplefilter("always", category)
            return args.run(args)
    except PinnError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug of ours, not the user's: say so, briefly
        if os.environ.get("SYMBOLIC_PINN_DEBUG"):
            raise
        print(
            f"internal error (a bug in symbolic_pinn, not in your problem): {type(err).__name__}: {err}\n"
            "rerun with SYMBOLIC_PINN_DEBUG=1 to see the traceback, and please report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
