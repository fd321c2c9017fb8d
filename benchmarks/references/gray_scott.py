"""The solution of examples/gray_scott.pinn by Fourier pseudo-spectral ETDRK4 in 2-D.

    python benchmarks/references/gray_scott.py     # prints u, v at a few points, and the cost

u_t = ε₁Δu + b₁(1 − u) − c₁uv²,  v_t = ε₂Δv − b₂v + c₂uv²  on [−1, 1]² periodic, t ∈ [0, 2],
ε₁ = 0.2, ε₂ = 0.1, b₁ = 40, b₂ = 100, c₁ = c₂ = 1000,
u(x, y, 0) = 1 − exp(−10((x + 0.05)² + (y + 0.02)²)),  v(x, y, 0) = exp(−10((x − 0.05)² + (y − 0.02)²)):
jaxpi's Gray–Scott benchmark (PirateNets, Wang et al. 2024), whose data came from
Chebfun's spin2 (200² Fourier modes, step 1e-3; gen_grey_scott.m on jaxpi's `pirate` branch).

In Fourier space (u, v)_t = L (u, v) + N with the diffusion and the linear decay in L,
L = (−ε₁|k|² − b₁, −ε₂|k|² − b₂), diagonal, and N = (b₁ − c₁uv², c₂uv²) taken pointwise
on the grid.  The initial data are not quite periodic (they jump by about 1e-4 across the
edges of the square, as in jaxpi's data); diffusion smooths that jump within the first
steps, and the tests check that the answer at t > 0 converges spectrally in the modes.
"""

from __future__ import annotations

import numpy as np

try:  # a package when imported from benchmarks/, a script when run on its own
    from . import etdrk4
except ImportError:  # pragma: no cover
    import etdrk4

INTERVAL = (-1.0, 1.0)
END = 2.0
EPS1, EPS2 = 0.2, 0.1
B1, B2 = 40.0, 100.0
C1, C2 = 1000.0, 1000.0
POINTS = 128  # Fourier grid points per side; the tests check the answer does not change with more
DT = 5e-4  # ETDRK4 step; fourth order: the tests check its error is below 1e-6 relative (3,600× below the record)


def initial(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = 1 - np.exp(-10 * ((x + 0.05) ** 2 + (y + 0.02) ** 2))
    v = np.exp(-10 * ((x - 0.05) ** 2 + (y - 0.02) ** 2))
    return u, v


def grid(points: int = POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The periodic grid (x, y), each (points, points), x along the first axis."""
    s = etdrk4.periodic_grid(INTERVAL, points)
    return np.meshgrid(s, s, indexing="ij")


def solve(times, points: int = POINTS, dt: float = DT, uv0=initial) -> np.ndarray:
    """(u, v) on ``grid(points)`` at each of ``times`` (ascending): an array (len(times), 2, points, points).

    ``uv0`` maps the grid (x, y) to the initial (u, v) (the example's by default; the tests give others).
    """
    k2 = etdrk4.squared_wavenumbers_2d(INTERVAL, points)
    L = np.stack([-EPS1 * k2 - B1, -EPS2 * k2 - B2]).ravel()
    shape = (2, points, points // 2 + 1)  # u's modes, then v's: one transform for both

    def fields(w):
        return np.fft.irfft2(w.reshape(shape), s=(points, points))

    def N(w):
        u, v = fields(w)
        uv2 = u * v * v
        return np.fft.rfft2(np.stack([B1 - C1 * uv2, C2 * uv2])).ravel()

    w = etdrk4.integrate(np.fft.rfft2(np.stack(uv0(*grid(points)))).ravel(), L, N, times, dt)
    return np.fft.irfft2(w.reshape(len(w), *shape), s=(points, points))


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    uv = solve([0.5, 1.0, 2.0])
    print(f"{time.perf_counter() - start:.2f} s for {POINTS}² points, dt = {DT}")
    for j in (0, POINTS // 4, POINTS // 2):
        print(f"(u, v)(x = y = {grid()[0][j, 0]:+.3f}, t = 0.5, 1, 2) = {np.round(uv[:, :, j, j], 8).tolist()}")
