"""Write conductivity.csv: a(x) = 1 + x² + 0.5 sin(2πx) at 21 points of [0, 1].

    python examples/make_conductivity.py

The problem tabulated.pinn reads it with `table("conductivity.csv", x)` and interpolates
it linearly.  The values are rounded to 6 digits: the problem uses the table itself (its
right side is manufactured from the same interpolant), so its exact solution is exact
whatever the values.
"""

import csv
import math
import pathlib

import numpy as np


def main() -> None:
    x = np.linspace(0, 1, 21)
    a = 1 + x**2 + 0.5 * np.sin(2 * math.pi * x)
    path = pathlib.Path(__file__).with_name("conductivity.csv")
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x", "a"])
        writer.writerows(zip(*(map(repr, c.round(6).tolist()) for c in (x, a))))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
