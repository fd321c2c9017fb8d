"""The ensemble's uncertainty on the heat-inverse example: does its spread follow the data's noise?

    python benchmarks/ensemble_heat.py                 # noise 0.1 %, 1 %, 10 %; 8 members
    python benchmarks/ensemble_heat.py --members 16 --adam-steps 2000

examples/heat_inverse.pinn recovers k (true 0.1) from observations of
u = exp(-k π² t) sin(πx).  For each noise level σ (relative to max |u| = 1) this writes the
400 observations of examples/make_heat_obs.py plus Gaussian noise of that σ (seed 1), trains
an ensemble with `problem.train(ensemble=N)` (each member its own seed, points and bootstrap
resample of the observations), and prints k's mean, standard deviation and 95 % interval
beside the truth: the interval should hold 0.1, and the spread should grow with σ.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import tempfile
import time

import numpy as np

import symbolic_pinn

ROOT = pathlib.Path(__file__).resolve().parent.parent
K_TRUE = 0.1


def observations(folder: pathlib.Path, sigma: float) -> None:
    rng = np.random.default_rng(0)  # the same points as examples/make_heat_obs.py
    x, t = rng.uniform(0, 1, 400), rng.uniform(0, 1, 400)
    u = np.exp(-K_TRUE * math.pi**2 * t) * np.sin(math.pi * x)
    u = u + sigma * np.random.default_rng(1).standard_normal(u.shape)
    rows = "\n".join(f"{a!r},{b!r},{c!r}" for a, b, c in zip(x.tolist(), t.tolist(), u.tolist()))
    (folder / "heat_obs.csv").write_text("x,t,u\n" + rows + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.001, 0.01, 0.1])
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--adam-steps", type=int, default=1000)
    parser.add_argument("--bfgs-steps", type=int, default=300)
    args = parser.parse_args()
    text = (ROOT / "examples" / "heat_inverse.pinn").read_text()
    print(
        f"heat_inverse.pinn, k true {K_TRUE}; {args.members} members, Adam {args.adam_steps}, L-BFGS {args.bfgs_steps}"
    )
    print(f"{'noise σ':>8} {'k mean':>10} {'k std':>10} {'95% interval':>24} {'holds k':>8} {'std ratio':>10} {'s':>6}")
    first = None
    for sigma in args.noise:
        with tempfile.TemporaryDirectory() as folder:
            folder = pathlib.Path(folder)
            observations(folder, sigma)
            (folder / "heat_inverse.pinn").write_text(text)
            problem = symbolic_pinn.compile(folder / "heat_inverse.pinn")  # its data beside it
            start = time.perf_counter()
            result = problem.train(
                ensemble=args.members, adam_steps=args.adam_steps, bfgs_steps=args.bfgs_steps, progress=False
            )
            seconds = time.perf_counter() - start
        k = result.unknowns["k"]
        low, high = k["interval"]
        first = first or k["std"]
        print(
            f"{sigma:>8.3g} {k['mean']:>10.5f} {k['std']:>10.2e} {f'[{low:.5f}, {high:.5f}]':>24} "
            f"{'yes' if low <= K_TRUE <= high else 'no':>8} {k['std'] / first:>10.2f} {seconds:>6.0f}"
        )


if __name__ == "__main__":
    main()
