"""Write heat_obs.csv: observations of u = exp(-k π² t) sin(πx), k = 0.1, at 400 points.

    python examples/make_heat_obs.py

The inverse problem heat_inverse.pinn recovers k from these. Deterministic (seed 0).
"""

import csv
import math
import pathlib

import numpy as np

K_TRUE = 0.1


def main() -> None:
    rng = np.random.default_rng(0)
    x, t = rng.uniform(0, 1, 400), rng.uniform(0, 1, 400)
    u = np.exp(-K_TRUE * math.pi**2 * t) * np.sin(math.pi * x)
    path = pathlib.Path(__file__).with_name("heat_obs.csv")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x", "t", "u"])
        writer.writerows(zip(*(map(repr, c.round(12).tolist()) for c in (x, t, u))))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
