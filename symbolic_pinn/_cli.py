"""The ``symbolic-pinn`` command: check, derive, compile (show any stage), train.

Bad input prints one clear error (what, where, what to do) and exits with status 1;
usage errors exit with 2; nothing the user writes produces a Python traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import sys

from ._errors import PinnError

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_INTERNAL = 3


def _compile(args):
    from ._compile import compile, parse_file

    return compile(
        parse_file(args.file),
        width=args.width,
        depth=args.depth,
        shared_network=args.shared_network,
        quadrature_order=args.quadrature_order,
    )


def _cmd_check(args) -> int:
    from ._compile import parse_file

    spec = parse_file(args.file)
    terms = ", ".join(f"{t.kind} on {t.region.describe()}" for t in spec.terms)
    fields = ", ".join(str(f) for f in spec.fields)
    print(f"{args.file}: ok — fields {fields}; {len(spec.terms)} terms ({terms})")
    return 0


def _cmd_derive(args) -> int:
    from ._compile import parse_file
    from ._derive import derive

    sys.stdout.write(derive(parse_file(args.file)))
    return 0


def _cmd_compile(args) -> int:
    compiled = _compile(args)
    if args.emit == "ir":
        text = compiled.format_ir()
    elif args.emit == "plan":
        text = compiled.format_plan()
    else:
        text = compiled.source
    sys.stdout.write(text)
    return 0


def _cmd_train(args) -> int:
    from ._train import TrainConfig, train

    compiled = _compile(args)
    settings = {
        "adam_steps": args.steps,
        "lbfgs_steps": args.lbfgs_steps,
        "learning_rate": args.lr,
        "final_learning_rate": args.final_lr,
        "interior_points": args.interior_points,
        "boundary_points": args.boundary_points,
        "face_points": args.face_points,
        "seed": args.seed,
        "float64": args.float64,
        "progress": not args.no_progress,
    }
    config = TrainConfig(**settings)
    out = pathlib.Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PinnError(f"cannot create the output directory {out}: {err.strerror}") from None
    result = train(compiled, config)
    _write_outputs(out, compiled, result, settings, args)
    metrics = result.metrics
    errors = ", ".join(f"{k} {v:.3e}" for k, v in metrics["rel_l2"].items()) or "no exact solution given"
    print(f"loss {metrics['loss']:.3e} after {metrics['steps']} steps in {metrics['seconds']:.1f} s; relative L2 error: {errors}")
    for name, value in metrics["unknowns"].items():
        print(f"{name} = {value:.6g}")
    print(f"wrote {out}/metrics.json, loss.py, history.csv, params.npz")
    if metrics["stopped"]:
        print(f"warning: {metrics['stopped']}", file=sys.stderr)
        return EXIT_ERROR if "interrupted" not in metrics["stopped"] else 130
    return 0


def _write_outputs(out: pathlib.Path, compiled, result, settings, args) -> None:
    import jax
    import numpy as np

    from . import __version__

    metrics = dict(result.metrics)
    metrics.update(
        {
            "problem": str(args.file),
            "settings": settings | {"width": args.width, "depth": args.depth},
            "versions": {"symbolic_pinn": __version__, "jax": jax.__version__},
            "source_sha256": compiled.source_hash,
        }
    )
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (out / "loss.py").write_text(compiled.source)
    leaves = jax.tree_util.tree_flatten_with_path(result.params)[0]
    np.savez(out / "params.npz", **{jax.tree_util.keystr(path): np.asarray(leaf) for path, leaf in leaves})
    with open(out / "history.csv", "w", newline="") as handle:
        names = ["step", "phase", "loss"] + sorted({k for row in result.history for k in row} - {"step", "phase", "loss"})
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(result.history)


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="symbolic-pinn",
        description="Compile PDEs and energy functionals written as maths into trained physics-informed networks.",
    )
    parser.add_argument("--version", action="version", version=f"symbolic-pinn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def problem_command(name, help):
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("file", help="the problem, a .pinn file")
        p.add_argument("--width", type=int, default=64, help="neurons per hidden layer (default 64)")
        p.add_argument("--depth", type=int, default=3, help="hidden layers (default 3)")
        p.add_argument(
            "--shared-network",
            action="store_true",
            help="one network with an output per field, instead of one network per field",
        )
        p.add_argument(
            "--quadrature-order",
            type=int,
            default=20,
            help="Gauss–Legendre nodes for each ∫(f, s, a, b) inside an equation (default 20)",
        )
        return p

    p = sub.add_parser("check", help="parse and check a problem; exit 0 or print a clear error")
    p.add_argument("file", help="the problem, a .pinn file")
    p.set_defaults(run=_cmd_check)

    p = sub.add_parser(
        "derive",
        help="print the Euler–Lagrange strong form of a `minimize` problem, as a problem that compiles",
    )
    p.add_argument("file", help="the problem, a .pinn file with `minimize`")
    p.set_defaults(run=_cmd_derive)

    p = problem_command("compile", "print the IR, the derivative plan or the generated JAX module")
    p.add_argument("--emit", choices=["ir", "plan", "jax"], default="jax", help="what to print (default jax)")
    p.set_defaults(run=_cmd_compile)

    from ._train import TrainConfig

    d = TrainConfig()
    p = problem_command("train", "train the networks; write metrics, code, history and parameters")
    p.add_argument("--out", required=True, help="output directory (created if needed)")
    p.add_argument("--steps", type=int, default=d.adam_steps, help=f"Adam steps (default {d.adam_steps})")
    p.add_argument("--lbfgs-steps", type=int, default=d.lbfgs_steps, help=f"at most this many L-BFGS steps after Adam (default {d.lbfgs_steps})")
    p.add_argument("--lr", type=float, default=d.learning_rate, help=f"Adam's initial learning rate (default {d.learning_rate:g})")
    p.add_argument("--final-lr", type=float, default=d.final_learning_rate, help=f"Adam's learning rate at its last step (default {d.final_learning_rate:g})")
    p.add_argument("--interior-points", type=int, default=d.interior_points, help=f"collocation points in the domain (default {d.interior_points})")
    p.add_argument("--boundary-points", type=int, default=d.boundary_points, help=f"points on the whole boundary (default {d.boundary_points})")
    p.add_argument("--face-points", type=int, default=d.face_points, help=f"points on each face of an `at x = a` condition (default {d.face_points})")
    p.add_argument("--seed", type=int, default=d.seed, help=f"seed of the initialisation and the points (default {d.seed})")
    p.add_argument("--float64", action="store_true", help="train in double precision")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``symbolic-pinn`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
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
