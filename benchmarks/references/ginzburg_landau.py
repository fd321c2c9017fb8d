"""The solution of examples/ginzburg_landau.pinn by Fourier pseudo-spectral ETDRK4 in 2-D.

    python benchmarks/references/ginzburg_landau.py     # prints A at a few points, and the cost

A_t = εΔA + kA − k(1 + 1.5i)|A|²A on [−1, 1]² periodic, t ∈ [0, 1], ε = 0.004, k = 10,
A(x, y, 0) = 10(y + ix) exp(−25(x² + y²)): jaxpi's Ginzburg–Landau benchmark (PirateNets,
Wang et al. 2024), whose data came from Chebfun's spin2 (200² Fourier modes, step 1e-3;
gen_ginzburg_landau_square.m on jaxpi's `pirate` branch).  A is complex; jaxpi's u and v
are its real and imaginary parts.

In Fourier space A_t = L A + N(A) with L = −ε|k|² + k (diagonal) and
N = −k(1 + 1.5i)|A|²A taken pointwise on the grid (``np.fft.fft2``: A is complex).
"""

from __future__ import annotations

import numpy as np

try:  # a package when imported from benchmarks/, a script when run on its own
    from . import etdrk4
except ImportError:  # pragma: no cover
    import etdrk4

INTERVAL = (-1.0, 1.0)
END = 1.0
EPS = 0.004
K = 10.0
POINTS = 192  # Fourier grid points per side; the tests check the answer does not change with more
DT = 1e-3  # ETDRK4 step; fourth order: the tests check its error is below 1e-7 relative


def initial(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 10 * (y + 1j * x) * np.exp(-25 * (x**2 + y**2))


def grid(points: int = POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The periodic grid (x, y), each (points, points), x along the first axis."""
    s = etdrk4.periodic_grid(INTERVAL, points)
    return np.meshgrid(s, s, indexing="ij")


def solve(times, points: int = POINTS, dt: float = DT, A0=initial) -> np.ndarray:
    """A on ``grid(points)`` at each of ``times`` (ascending): a complex array (len(times), points, points).

    ``A0`` maps the grid (x, y) to the initial A (the example's by default; the tests give others).
    """
    L = (-EPS * etdrk4.squared_wavenumbers_2d(INTERVAL, points, real=False) + K).ravel()
    shape = (points, points)

    def N(w):
        A = np.fft.ifft2(w.reshape(shape))
        return np.fft.fft2(-K * (1 + 1.5j) * (A.real**2 + A.imag**2) * A).ravel()

    w = etdrk4.integrate(np.fft.fft2(A0(*grid(points))).ravel(), L, N, times, dt)
    return np.fft.ifft2(w.reshape(len(w), *shape))


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    A = solve([0.25, 0.5, 1.0])
    print(f"{time.perf_counter() - start:.2f} s for {POINTS}² points, dt = {DT}")
    for j in (0, POINTS // 4, 3 * POINTS // 8, POINTS // 2 + 5):
        print(f"A(x = y = {grid()[0][j, 0]:+.3f}, t = 0.25, 0.5, 1) = {np.round(A[:, j, j], 8).tolist()}")
