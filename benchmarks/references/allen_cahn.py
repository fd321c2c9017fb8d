"""The solution of examples/allen_cahn_periodic.pinn by Fourier pseudo-spectral ETDRK4.

    python benchmarks/references/allen_cahn.py     # prints u at a few points, and the cost

u_t = ε u_xx + 5u − 5u³ with ε = 1e-4 on x ∈ [−1, 1] periodic, t ∈ [0, 1],
u(x, 0) = x² cos(πx): the benchmark of Raissi et al. (2019) and of jaxpi (Wang et al.,
PirateNets 2024), whose reference data came from Chebfun's spin with 512 Fourier modes.
The initial data and their first derivative are periodic (u = 1, u_x = 0 at x = ±1 after
the evenness of x² cos πx), so the solution is smooth; by t = 1 it has four flat states
at ±1 joined by interfaces of width about √(ε/5) ≈ 0.0045, which need a fine grid.

In Fourier space u_t = L u + N(u) with L = −εk² (diagonal) and N = 5u − 5u³ taken
pointwise on the grid (pseudo-spectral; the tests check aliasing does not matter at the
default resolution: doubling the modes changes the answer by less than 1e-9).
"""

from __future__ import annotations

import numpy as np

try:  # a package when imported from benchmarks/, a script when run on its own
    from . import etdrk4
except ImportError:  # pragma: no cover
    import etdrk4

INTERVAL = (-1.0, 1.0)
EPSILON = 1e-4
POINTS = 1024  # Fourier grid points; the tests check the answer does not change with more
DT = 1e-3  # ETDRK4 step; fourth order: the tests check its error is below 1e-10


def initial(x: np.ndarray) -> np.ndarray:
    return x**2 * np.cos(np.pi * x)


def grid(points: int = POINTS) -> np.ndarray:
    """The periodic grid: ``points`` values from −1, the right end left out."""
    return etdrk4.periodic_grid(INTERVAL, points)


def solve(times, points: int = POINTS, dt: float = DT, u0=initial) -> np.ndarray:
    """u on ``grid(points)`` at each of ``times`` (ascending): an array (len(times), points).

    ``u0`` maps the grid to the initial values (the example's by default; the tests give others).
    """
    k = etdrk4.wavenumbers(INTERVAL, points)
    L = -EPSILON * k**2

    def N(v):
        u = np.fft.irfft(v, n=points)
        return np.fft.rfft(5 * u - 5 * u**3)

    v = etdrk4.integrate(np.fft.rfft(u0(grid(points))), L, N, times, dt)
    return np.fft.irfft(v, n=points, axis=-1)


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    u = solve([0.25, 0.5, 1.0])
    print(f"{time.perf_counter() - start:.2f} s for {POINTS} points, dt = {DT}")
    x = grid()
    for j in (0, POINTS // 4, POINTS // 2, 3 * POINTS // 4):
        print(f"u({x[j]:+.3f}, t = 0.25, 0.5, 1) = {np.round(u[:, j], 8).tolist()}")
