"""The solution of schrodinger.pinn by a Fourier split-step method, for reference.

    python examples/schrodinger_reference.py    # prints |h| at a few points

The focusing nonlinear Schrödinger equation i h_t + h_xx/2 + |h|² h = 0 splits into
two parts that are solved exactly: the linear one in Fourier space,
ĥ_k(t + τ) = exp(-i k² τ/2) ĥ_k(t), and the nonlinear one pointwise,
h(t + τ) = h(t) exp(i |h|² τ) (|h| does not change under it).  Strang splitting — half
a nonlinear step, a linear step, half a nonlinear step — is second order in the time
step (Weideman & Herbst 1986, SIAM J. Numer. Anal. 23:485–507).  Both parts keep the
mass ∫|h|² exactly; the tests check second order, the conserved mass and energy, and
the fundamental soliton h = a·sech(a x)·exp(i a² t/2).

The domain is periodic, as in schrodinger.pinn (x in [-5, 5], h = 2 sech(x) at t = 0,
the classic benchmark of Raissi et al. 2019).  Values between grid points are the
trigonometric interpolant, exact for the spectral solution.  numpy only.
"""

from __future__ import annotations

import numpy as np

INTERVAL = (-5.0, 5.0)  # as in schrodinger.pinn
POINTS = 256  # Fourier modes; the tests check the result does not change with more
DT = 1e-4  # the time step; Strang splitting's error is O(DT²): ~2e-6 here (tests)


def split_step(h0, interval, times, points: int = POINTS, dt: float = DT) -> np.ndarray:
    """h on the periodic grid at each of ``times``: an array (len(times), points).

    ``h0`` maps the grid x (``points`` values from ``interval[0]``, the right end left
    out) to the initial values.  Between two requested times the step is the largest
    not above ``dt`` that lands on the later one.

    >>> x = np.linspace(-20, 20, 512, endpoint=False)
    >>> h = split_step(lambda x: 1 / np.cosh(x), (-20, 20), [1.0], 512)
    >>> bool(np.allclose(abs(h[0]), 1 / np.cosh(x), atol=1e-6))
    True
    """
    lo, hi = interval
    x = lo + (hi - lo) * np.arange(points) / points
    k = 2 * np.pi * np.fft.fftfreq(points, d=(hi - lo) / points)
    h = np.asarray(h0(x), dtype=complex)
    times = np.asarray(times, dtype=float)
    order = np.argsort(times)
    out = np.empty((len(times), points), dtype=complex)
    now = 0.0
    for i in order:
        span = times[i] - now
        if span < 0:
            raise ValueError(f"times must be ≥ 0, got {times[i]}")
        steps = int(np.ceil(span / dt - 1e-9))
        if steps:
            tau = span / steps
            linear = np.exp(-0.5j * k**2 * tau)
            for _ in range(steps):
                h = h * np.exp(0.5j * tau * np.abs(h) ** 2)
                h = np.fft.ifft(linear * np.fft.fft(h))
                h = h * np.exp(0.5j * tau * np.abs(h) ** 2)
        now = times[i]
        out[i] = h
    return out


def interpolate(values: np.ndarray, interval, x) -> np.ndarray:
    """The trigonometric interpolant of periodic grid ``values`` at the points ``x``."""
    lo, hi = interval
    points = values.shape[-1]
    coefficients = np.fft.fft(values) / points
    k = 2 * np.pi * np.fft.fftfreq(points, d=(hi - lo) / points)
    if points % 2 == 0:  # the Nyquist mode: its real part, split evenly between ±k
        coefficients = coefficients.copy()
        nyquist = points // 2
        modes = np.exp(1j * np.outer(np.asarray(x, dtype=float) - lo, k))
        modes[:, nyquist] = np.cos(k[nyquist] * (np.asarray(x, dtype=float) - lo))
        return modes @ coefficients
    return np.exp(1j * np.outer(np.asarray(x, dtype=float) - lo, k)) @ coefficients


def schrodinger(x, t, points: int = POINTS, dt: float = DT) -> np.ndarray:
    """h(x, t) of schrodinger.pinn (h = 2 sech(x) at t = 0 on [-5, 5], periodic); complex.

    ``x`` and ``t`` broadcast together; each distinct ``t`` is stepped to once.

    >>> float(abs(schrodinger(0.0, 0.0)))
    2.0
    """
    x, t = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(t, dtype=float))
    times, inverse = np.unique(t.ravel(), return_inverse=True)
    grid = split_step(lambda x: 2 / np.cosh(x), INTERVAL, times, points, dt)
    flat_x = x.ravel()
    result = np.empty(flat_x.shape, dtype=complex)
    for i in range(len(times)):
        at = inverse == i
        result[at] = interpolate(grid[i], INTERVAL, flat_x[at])
    return result.reshape(x.shape)


if __name__ == "__main__":
    for t in (0.0, 0.59, 0.79, 1.5708):
        xs = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
        print(f"t = {t}: |h|({xs.tolist()}) = {np.round(np.abs(schrodinger(xs, t)), 6).tolist()}")
