"""Seconds per Adam step and peak memory against the number of points, and on 1, 2, 4 devices.

    python benchmarks/scale.py                          # 1e4, 1e5, 1e6 points; 1, 2, 4 devices
    python benchmarks/scale.py --sizes 1e4 1e5 --devices 1 2 --steps 5
    python benchmarks/scale.py --train 1e6 --adam-steps 200 --lbfgs-steps 50   # a full training

Each measurement runs in its own process, so that peak memories do not mix and the
device count can be forced (``XLA_FLAGS=--xla_force_host_platform_device_count=N``).

- **points**: for Poisson 2-D (the unit square) and Poisson 3-D (the unit cube), with
  the default network (3 × 20, tanh, float32) and ``interior_points = n`` (boundary
  points at their default), one jitted Adam step of symbolic_pinn's trainer
  (``_training.steps.step_functions``) is timed: the median of ``--steps`` steps after one
  warm-up step.  Peak memory is the process's maximum resident set size
  (``resource.getrusage``), which includes JAX and XLA themselves (about 0.3 GB).
  ``--micro-batch M`` cuts each term's points into M chunks (``micro_batch``).
- **devices**: Poisson 2-D at ``--device-points`` points on 1, 2, 4 forced host devices,
  the same step; the loss at the initial parameters must agree across device counts.
  Forced host devices share the machine's cores: on a 2-core CPU this measures the
  overhead of splitting, not a speed-up.
- **train** (``--train N``): a full training (Adam, then the finisher) of Poisson 2-D
  at N points: its seconds, phases' steps, final loss, relative L2 error and peak memory.

Prints a table and writes JSON (default benchmarks/results/scale.json).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

PROBLEMS = {
    "poisson2d": (
        "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)\nu = 0 on ∂Ω\n"
        "exact u = sin(pi*x)*sin(pi*y)"
    ),
    "poisson3d": (
        "x in [0, 1]; y in [0, 1]; z in [0, 1]\nfield u(x, y, z)\n"
        "-Δu = 3*pi^2*sin(pi*x)*sin(pi*y)*sin(pi*z)\nu = 0 on ∂Ω\nexact u = sin(pi*x)*sin(pi*y)*sin(pi*z)"
    ),
}


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux


def step_worker(problem: str, points: int, steps: int, micro_batch: int) -> dict:
    """One process: time the Adam step of ``problem`` at ``points`` interior points."""
    import jax

    import symbolic_pinn
    from symbolic_pinn._settings import train_config
    from symbolic_pinn._training import devices as _devices
    from symbolic_pinn._training import steps as _steps
    from symbolic_pinn._training import weights as _weights
    from symbolic_pinn._training.points import initial_points

    compiled = symbolic_pinn.compile(PROBLEMS[problem])
    config = train_config({"interior_points": points, "micro_batch": micro_batch, "devices": "all"})
    placement = _devices.placement(config.devices)
    optimizer, step = _steps.step_functions(compiled, config, "lbfgs", placement)["adam"][:2]
    params = placement.replicate(compiled.init_params(jax.random.PRNGKey(0)))
    state = placement.replicate(optimizer.init(params))
    weights = placement.replicate(_weights.initial_weights(compiled, jax.numpy.float32))
    data = placement.points(initial_points(compiled, config, jax.numpy.float32))
    started = time.perf_counter()
    new, new_state, loss, _ = step(params, state, data, weights)
    jax.block_until_ready(new)
    first = time.perf_counter() - started
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        new, new_state, value, _ = step(new, new_state, data, weights)
        jax.block_until_ready(new)
        times.append(time.perf_counter() - started)
    return {
        "problem": problem,
        "points": points,
        "devices": placement.count,
        "micro_batch": micro_batch,
        "seconds_per_step": statistics.median(times),
        "first_step_seconds": first,
        "loss_at_init": float(loss),
        "peak_gb": peak_gb(),
    }


def train_worker(points: int, adam_steps: int, lbfgs_steps: int, finisher: str) -> dict:
    """One process: a full training of Poisson 2-D at ``points`` interior points."""
    import symbolic_pinn

    compiled = symbolic_pinn.compile(PROBLEMS["poisson2d"])
    settings = {"interior_points": points, "adam_steps": adam_steps, "lbfgs_steps": lbfgs_steps}
    result = compiled.train(progress=False, finisher=finisher, error_every=0, **settings)
    m = result.metrics
    return {
        "points": points,
        "seconds": m["seconds"],
        "compile_seconds": m["compile_seconds"],
        "steps": {k: m[f"{k}_steps"] for k in ("adam", "lbfgs", "bfgs")},
        "ended": m["ended"],
        "loss": m["loss"],
        "rel_l2": m["rel_l2"],
        "finisher": m["finisher"],
        "peak_gb": peak_gb(),
    }


def run(args: list[str], devices: int | None = None, timeout: float = 3600) -> dict:
    env = dict(os.environ)
    if devices is not None:
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={devices}".strip()
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--steps", type=int, default=5, help="timed steps per measurement")
    parser.add_argument("--micro-batch", type=int, default=1)
    parser.add_argument("--devices", nargs="*", type=int, default=[1, 2, 4])
    parser.add_argument("--device-points", type=float, default=1e5)
    parser.add_argument("--train", type=float, default=0, help="also train Poisson 2-D at this many points")
    parser.add_argument("--adam-steps", type=int, default=1000)
    parser.add_argument("--lbfgs-steps", type=int, default=500)
    parser.add_argument("--finisher", default="auto", choices=["auto", "bfgs", "lbfgs"])
    parser.add_argument("--json", default="benchmarks/results/scale.json")
    parser.add_argument("--worker", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        kind, *rest = args.worker
        if kind == "step":
            result = step_worker(rest[0], int(float(rest[1])), int(rest[2]), int(rest[3]))
        else:
            result = train_worker(int(float(rest[0])), int(rest[1]), int(rest[2]), rest[3])
        print(json.dumps(result))
        return
    results: dict = {"machine": {"cpus": os.cpu_count(), "load": os.getloadavg()}, "points": [], "devices": []}
    print(f"{'problem':10} {'points':>9} {'dev':>3} {'s/step':>9} {'peak GB':>8} {'loss at init':>13}")
    for problem in args.problems:
        for n in args.sizes:
            r = run(["step", problem, str(int(n)), str(args.steps), str(args.micro_batch)], devices=1)
            results["points"].append(r)
            show(problem, n, r)
    for d in args.devices:
        r = run(["step", "poisson2d", str(int(args.device_points)), str(args.steps), str(args.micro_batch)], devices=d)
        results["devices"].append(r)
        show("poisson2d", args.device_points, r)
    losses = [r["loss_at_init"] for r in results["devices"] if "loss_at_init" in r]
    if losses:
        spread = (max(losses) - min(losses)) / abs(losses[0])
        results["device_loss_relative_spread"] = spread
        print(f"loss at init across {args.devices} devices: relative spread {spread:.1e}")
    if args.train:
        r = run(["train", str(int(args.train)), str(args.adam_steps), str(args.lbfgs_steps), args.finisher])
        results["train"] = r
        print("training:", json.dumps(r))
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {path}")


def show(problem: str, n: float, r: dict) -> None:
    if "error" in r:
        print(f"{problem:10} {int(n):>9}  failed: {r['error']}")
        return
    print(
        f"{problem:10} {r['points']:>9} {r['devices']:>3} {r['seconds_per_step']:>9.4f} {r['peak_gb']:>8.2f}"
        f" {r['loss_at_init']:>13.6e}"
    )


if __name__ == "__main__":
    main()
