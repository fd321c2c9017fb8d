"""The solution of examples/cavity.pinn by finite differences of the streamfunction and vorticity.

    python benchmarks/references/cavity.py     # prints the centre-line velocities, and the cost

Steady Navier–Stokes in the unit square at Re = 100, no slip on the walls, the lid y = 1
moving at u = 16x²(1 − x)² (the regularised cavity: the lid's speed and slope vanish at the
corners, so the velocity is continuous there).  With u = ψ_y, v = −ψ_x and ω = v_x − u_y:

    Δψ = −ω,    ψ_y ω_x − ψ_x ω_y = Δω/Re,    ψ = 0 on the walls,

and the wall vorticity by Thom's formula, ω_wall = −2(ψ₁ − h ∂ψ/∂n)/h² (ψ₁ the value one
step inside, ∂ψ/∂n the inward slope: −U on the lid, 0 elsewhere).  Second-order central
differences on an n × n grid, solved by Newton's method (sparse LU) from rest; the velocity
at the nodes by central differences of ψ.  The error is O(h²) (the tests check the 4× per
halving), and Richardson's extrapolation (4·u_h − u_2h)/3 of two grids removes that term:
the extrapolations of 64/128 and 128/256 cells differ by 2.2e-5 (relative L2 of the velocity)
and these differences fall about 12× per halving, so the default (128/256) is good to a few
1e-6.  Computing it takes a minute or more (the 256² grid: 132,098 unknowns, sparse LU).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as splinalg

REYNOLDS = 100.0
CELLS = (128, 256)  # the two grids Richardson's extrapolation combines


def lid(x):
    """The lid's velocity u(x, 1)."""
    x = np.asarray(x, dtype=float)
    return 16 * x**2 * (1 - x) ** 2


def _difference_matrices(n: int):
    """1-D first and second central differences on n + 1 nodes (the end rows are never used)."""
    h = 1.0 / n
    N = n + 1
    D1 = sparse.diags([-np.ones(N - 1), np.ones(N - 1)], [-1, 1]) / (2 * h)
    D2 = sparse.diags([np.ones(N - 1), -2 * np.ones(N), np.ones(N - 1)], [-1, 0, 1]) / h**2
    return D1.tocsr(), D2.tocsr()


@functools.cache
def solve(n: int, reynolds: float = REYNOLDS, tolerance: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """ψ and ω on the (n + 1) × (n + 1) nodes x_i = i/n, y_j = j/n (arrays indexed [i, j])."""
    h, N = 1.0 / n, n + 1
    D1, D2 = _difference_matrices(n)
    eye = sparse.identity(N, format="csr")
    Dx, Dy = sparse.kron(D1, eye, format="csr"), sparse.kron(eye, D1, format="csr")
    L = (sparse.kron(D2, eye) + sparse.kron(eye, D2)).tocsr()
    i, j = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    i, j = i.ravel(), j.ravel()
    wall = (i == 0) | (i == n) | (j == 0) | (j == n)
    corner = ((i == 0) | (i == n)) & ((j == 0) | (j == n))
    inside, on_wall, at_corner = (sparse.diags(m.astype(float)) for m in (~wall, wall & ~corner, corner))
    # Thom's formula: the node one step inside each wall node (corners: ω = 0, used by no stencil)
    neighbour = np.where(
        i == 0, (i + 1) * N + j, np.where(i == n, (i - 1) * N + j, np.where(j == 0, i * N + j + 1, i * N + j - 1))
    )
    rows = np.flatnonzero(wall & ~corner)
    S = sparse.csr_matrix((np.ones(rows.size), (rows, neighbour[rows])), shape=(N * N, N * N))
    slope = np.where((j == n) & ~corner, -lid(i * h), 0.0)  # inward ∂ψ/∂n: −U on the lid
    psi, omega = np.zeros(N * N), np.zeros(N * N)
    for _ in range(30):
        psi_x, psi_y, omega_x, omega_y = Dx @ psi, Dy @ psi, Dx @ omega, Dy @ omega
        r1 = np.where(wall, psi, L @ psi + omega)
        r2_inside = L @ omega / reynolds - (psi_y * omega_x - psi_x * omega_y)
        r2_wall = omega + 2 * (S @ psi - h * slope) / h**2
        r2 = np.where(wall & ~corner, r2_wall, np.where(corner, omega, r2_inside))
        J11 = inside @ L + (on_wall + at_corner)
        J12 = inside
        J21 = inside @ (-(sparse.diags(omega_x) @ Dy - sparse.diags(omega_y) @ Dx)) + on_wall @ S * (2 / h**2)
        J22 = inside @ (L / reynolds - (sparse.diags(psi_y) @ Dx - sparse.diags(psi_x) @ Dy)) + on_wall + at_corner
        J = sparse.bmat([[J11, J12], [J21, J22]], format="csc")
        delta = splinalg.spsolve(J, np.concatenate([r1, r2]))
        psi, omega = psi - delta[: N * N], omega - delta[N * N :]
        if np.max(np.abs(delta)) <= tolerance * max(1.0, np.max(np.abs(omega))):
            return psi.reshape(N, N), omega.reshape(N, N)
    raise RuntimeError(f"Newton's method did not converge in 30 steps (n={n}, Re={reynolds})")


def nodal_velocity(n: int, reynolds: float = REYNOLDS) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) at the (n + 1)² nodes: central differences of ψ inside, the walls' own values on them."""
    psi, _ = solve(n, reynolds)
    h = 1.0 / n
    u, v = np.zeros_like(psi), np.zeros_like(psi)
    u[1:-1, 1:-1] = (psi[1:-1, 2:] - psi[1:-1, :-2]) / (2 * h)
    v[1:-1, 1:-1] = -(psi[2:, 1:-1] - psi[:-2, 1:-1]) / (2 * h)
    u[:, -1] = lid(np.linspace(0, 1, n + 1))
    return u, v


def velocity(cells: tuple[int, int] = CELLS, reynolds: float = REYNOLDS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(s, u, v): Richardson's extrapolation of two grids at the coarse one's nodes, s = those coordinates
    (u[i, j] at x = s[i], y = s[j])."""
    coarse, fine = cells
    if fine != 2 * coarse:
        raise ValueError(f"the fine grid must have twice the cells of the coarse one, got {cells}")
    uc, vc = nodal_velocity(coarse, reynolds)
    uf, vf = nodal_velocity(fine, reynolds)
    return np.linspace(0, 1, coarse + 1), (4 * uf[::2, ::2] - uc) / 3, (4 * vf[::2, ::2] - vc) / 3


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    s, u, v = velocity()
    print(f"{time.perf_counter() - start:.1f} s for grids of {CELLS} cells at Re = {REYNOLDS:g}")
    k = len(s) // 2
    print("u(0.5, y) for y = 0, 0.125, ..., 1:", np.round(u[k, :: len(s) // 8], 6).tolist())
    print("v(x, 0.5) for x = 0, 0.125, ..., 1:", np.round(v[:: len(s) // 8, k], 6).tolist())
