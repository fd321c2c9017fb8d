"""Interleaved A/B: the compiled train step with collapsed Taylor-mode jets against the
same problem compiled with nested jvp (``taylor_from_order=None``).

    python benchmarks/jets_ab.py                # 8 rounds × 10 steps per variant
    python benchmarks/jets_ab.py --rounds 20

``derivatives.py`` times each variant in one block, so on a shared machine a burst of
load can fall on one variant only.  Here the two variants alternate in rounds in one
process, and each one's median over all its steps is compared: the ratio is robust to
load that comes and goes.  Same network (3 × 64 tanh, float32), same points, jitted
loss + gradient + Adam step.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import symbolic_pinn

PROBLEMS = {
    "biharmonic Δ²u, 2-D": ("x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔ(Δu) = 0\n", 1000),
    "KdV u_t + u u_x + u_xxx": (
        "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) + u*Dx(u) + D(u, x, x, x) = 0\n",
        2400,
    ),
    "beam u_xxxx, 1-D": ("x in [0, 1]\nfield u(x)\nDxxxx(u) = 1\n", 2400),
    "u_xxy + 3 u_xyy, 2-D": ("x in [0, 1]; y in [0, 1]\nfield u(x, y)\nDxxy(u) + 3*Dxyy(u) = 1\n", 2400),
}


def step_function(compiled, optimizer):
    @jax.jit
    def step(params, state, points):
        value, grads = jax.value_and_grad(compiled.loss)(params, points)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    return step


def compare(text: str, n: int, rounds: int, steps: int) -> dict[str, float]:
    variants = {  # the 3×64 network of benchmarks/derivatives.py, not the training default
        "jet": symbolic_pinn.compile(text, width=64),
        "nested jvp": symbolic_pinn.compile(text, width=64, taylor_from_order=None),
    }
    assert "one jet" in variants["jet"].format_plan()
    optimizer = optax.adam(1e-3)
    params = variants["jet"].init_params(jax.random.PRNGKey(0))
    rng = np.random.default_rng(0)
    points = {"pde": tuple(jnp.asarray(rng.random(n), jnp.float32) for _ in variants["jet"].ir.variables)}
    state = {}
    for label, compiled in variants.items():
        step = step_function(compiled, optimizer)
        p, s, _ = jax.block_until_ready(step(params, optimizer.init(params), points))  # compile, warm up
        state[label] = [step, p, s, []]
    for _ in range(rounds):
        for entry in state.values():
            step, p, s, times = entry
            for _ in range(steps):
                start = time.perf_counter()
                p, s, value = step(p, s, points)
                value.block_until_ready()
                times.append(time.perf_counter() - start)
            entry[1], entry[2] = p, s
    return {label: 1e3 * float(np.median(entry[3])) for label, entry in state.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10, help="steps per variant per round")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, {jax.device_count()} CPU device(s); {args.rounds} rounds × {args.steps} steps")
    print(f"{'problem':28} {'points':>6} {'jet ms':>8} {'nested jvp ms':>14} {'speedup':>8}")
    for name, (text, n) in PROBLEMS.items():
        ms = compare(text, n, args.rounds, args.steps)
        print(
            f"{name:28} {n:6d} {ms['jet']:8.1f} {ms['nested jvp']:14.1f} {ms['nested jvp'] / ms['jet']:7.2f}×",
            flush=True,
        )


if __name__ == "__main__":
    main()
