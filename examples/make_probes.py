"""Write probes.csv: k(x, y) = 1 + 0.5 sin(πx) sin(πy) measured at 300 scattered points of the unit square.

    python examples/make_probes.py

The language reference's example `table("probes.csv", x by 65, y by 65)` resamples them
onto a grid (linear on their Delaunay triangulation).  The points are a seeded random
draw inside the square plus its four corners and 8 points on each edge, so the
triangulation covers the whole square (a grid point outside it would be an error).
"""

import csv
import math
import pathlib

import numpy as np


def main() -> None:
    rng = np.random.default_rng(28)
    inside = rng.uniform(0, 1, (300, 2))
    s = np.linspace(0, 1, 10)[1:-1]
    edges = np.concatenate([np.column_stack([s, 0 * s]), np.column_stack([s, 1 + 0 * s])])
    edges = np.concatenate([edges, edges[:, ::-1]])
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    x, y = np.concatenate([corners, edges, inside]).T
    k = 1 + 0.5 * np.sin(math.pi * x) * np.sin(math.pi * y)
    path = pathlib.Path(__file__).with_name("probes.csv")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x", "y", "k"])
        writer.writerows(zip(*(map(repr, c.round(6).tolist()) for c in (x, y, k))))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
