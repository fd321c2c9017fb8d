"""The solution of examples/kdv.pinn by Fourier pseudo-spectral ETDRK4, dealiased.

    python benchmarks/references/kdv.py     # prints u at a few points, and the cost

u_t + u u_x + μ² u_xxx = 0 with μ = 0.022 on x ∈ [−1, 1] periodic, t ∈ [0, 1],
u(x, 0) = cos(πx): Zabusky & Kruskal's (1965) problem, which breaks into a train of
solitons, as used by Raissi et al. (2019) and jaxpi (Wang et al., PirateNets 2024).

In Fourier space u_t = L u + N(u) with L = iμ²k³ (u_xxx ↦ (ik)³û) and
N = −(ik/2)·FFT(u²), the product u² taken on the grid with the upper third of the
modes zeroed first (Orszag's 2/3 rule: the square then has no aliased modes among those
kept).  L is stiff (|L| ≈ 2·10⁵ at the highest mode of 512), which ETDRK4 with
Kassam & Trefethen's contour coefficients takes in its stride.
"""

from __future__ import annotations

import numpy as np

try:  # a package when imported from benchmarks/, a script when run on its own
    from . import etdrk4
except ImportError:  # pragma: no cover
    import etdrk4

INTERVAL = (-1.0, 1.0)
MU = 0.022
POINTS = 512  # Fourier grid points; the tests check the answer does not change with more
DT = 2e-4  # ETDRK4 step; fourth order: the tests check its error is below 1e-7·max|u| (20× below the best PINN)


def initial(x: np.ndarray) -> np.ndarray:
    return np.cos(np.pi * x)


def grid(points: int = POINTS) -> np.ndarray:
    """The periodic grid: ``points`` values from −1, the right end left out."""
    return etdrk4.periodic_grid(INTERVAL, points)


def solve(times, points: int = POINTS, dt: float = DT, u0=initial) -> np.ndarray:
    """u on ``grid(points)`` at each of ``times`` (ascending): an array (len(times), points).

    ``u0`` maps the grid to the initial values (the example's by default; the tests give others).
    """
    k = etdrk4.wavenumbers(INTERVAL, points)
    L = 1j * MU**2 * k**3
    kept = np.arange(points // 2 + 1) < points / 3  # the 2/3 rule

    def N(v):
        u = np.fft.irfft(np.where(kept, v, 0), n=points)
        return -0.5j * k * np.fft.rfft(u**2) * kept

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
