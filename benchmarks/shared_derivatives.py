"""Time the training loss with each field's derivatives shared across terms at the same points,
against the same loss computed term by term, on the examples where terms share them.

    python benchmarks/shared_derivatives.py                  # every such example (~2 min, 2-core CPU)
    python benchmarks/shared_derivatives.py --only stokes --rounds 3

For each example the loss and its gradient (``jax.value_and_grad``, jitted, float64 as in the
dense quasi-Newton finish, the default point counts) are timed two ways on the same
parameters and points:

  shared     the trainer's objective (``_training.steps.objective``): the terms of each ``SHARED``
             group get one array per column, so the generated ``residuals`` computes each
             field's derivatives once for the group (``residuals_<terms>``)
  per term   the generated ``loss`` on the same points passed as separate copies, so each
             term calls its own ``residual_<term>`` (what the compiler did before)

Both are checked to agree (loss to 1e-12 relative, gradient to 1e-9) before timing.  The
two variants alternate in every round (this machine's speed drifts over minutes); the
table reports the median milliseconds per evaluation and the ratio per term / shared.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import symbolic_pinn  # noqa: E402
from symbolic_pinn._config import TrainConfig  # noqa: E402
from symbolic_pinn._training import steps as _steps  # noqa: E402
from symbolic_pinn._training.points import initial_points  # noqa: E402


def examples() -> list[str]:
    """The examples with at least one group of terms that share derivatives."""
    names = []
    for path in sorted((ROOT / "examples").glob("*.pinn")):
        if symbolic_pinn.compile(symbolic_pinn.parse_file(path)).schedule.shared:
            names.append(path.stem)
    return names


def measure(name: str, rounds: int, repeats: int) -> dict:
    path = ROOT / "examples" / f"{name}.pinn"
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(path))
    config = TrainConfig()
    with jax.enable_x64(True):
        points = _steps.upcast(initial_points(compiled, config, jnp.float64))
        copies = {k: tuple(c + 0 for c in cs) for k, cs in points.items()}  # distinct arrays: term by term
        params = _steps.upcast(compiled.init_params(jax.random.PRNGKey(0)))
        weights = {k: jnp.float64(w) for k, w in compiled.module.WEIGHTS.items()}
        total = _steps.objective(compiled, config)
        shared = jax.jit(jax.value_and_grad(lambda p, x: total(p, x, weights)[0]))
        apart = jax.jit(jax.value_and_grad(lambda p, x: sum(weights[k] * v for k, v in compiled.losses(p, x).items())))
        variants = {"shared": (shared, points), "per term": (apart, copies)}
        (a, ga), (b, gb) = (jax.block_until_ready(f(params, x)) for f, x in variants.values())
        loss_gap = abs(float(a - b)) / abs(float(b))
        flat_a, flat_b = ravel_pytree(ga)[0], ravel_pytree(gb)[0]
        grad_gap = float(jnp.linalg.norm(flat_a - flat_b) / jnp.linalg.norm(flat_b))
        if loss_gap > 1e-12 or grad_gap > 1e-9:
            raise SystemExit(f"{name}: the two paths disagree (loss {loss_gap:.2e}, gradient {grad_gap:.2e})")
        times: dict[str, list[float]] = {v: [] for v in variants}
        for _ in range(rounds):
            for variant, (f, x) in variants.items():
                start = time.perf_counter()
                for _ in range(repeats):
                    jax.block_until_ready(f(params, x))
                times[variant].append((time.perf_counter() - start) / repeats * 1e3)
    groups = [list(s.terms) for s in compiled.schedule.shared]
    median = {v: statistics.median(t) for v, t in times.items()}
    return {
        "example": name,
        "groups": groups,
        "ms": median,
        "ratio": median["per term"] / median["shared"],
        "loss_gap": loss_gap,
        "grad_gap": grad_gap,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", help="these examples (default: every one with shared terms)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of both variants")
    parser.add_argument("--repeats", type=int, default=10, help="evaluations per variant per round")
    parser.add_argument("--json", type=pathlib.Path, default=ROOT / "benchmarks/results/shared_derivatives.json")
    args = parser.parse_args(argv)
    rows = [measure(name, args.rounds, args.repeats) for name in (args.only or examples())]
    print(f"{'example':<14} {'groups':<28} {'per term ms':>11} {'shared ms':>10} {'per term / shared':>18}")
    for row in rows:
        groups = "; ".join(", ".join(g) for g in row["groups"])
        print(
            f"{row['example']:<14} {groups:<28} {row['ms']['per term']:>11.1f} {row['ms']['shared']:>10.1f}"
            f" {row['ratio']:>17.2f}×"
        )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
        "commit": commit.strip(),
        "jax": jax.__version__,
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
