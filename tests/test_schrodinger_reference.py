"""examples/schrodinger_reference.py: the split-step Fourier solution of schrodinger.pinn.

Checked against the exact fundamental soliton, the invariants of the equation (mass
and energy), second-order convergence in the time step, and the example's own
initial data and parameters.
"""

import numpy as np
import pytest
from test_examples import load_example_script

WIDE = (-20.0, 20.0)  # the soliton decays to 4e-9 by the ends: periodicity does not matter


@pytest.fixture(scope="module")
def reference():
    return load_example_script("schrodinger_reference")


def _grid(interval, points):
    lo, hi = interval
    return lo + (hi - lo) * np.arange(points) / points


def _soliton(a, x, t):
    """The fundamental soliton of i h_t + h_xx/2 + |h|² h = 0."""
    return a / np.cosh(a * x) * np.exp(0.5j * a**2 * t)


def test_reproduces_the_fundamental_soliton(reference):
    times = [0.5, 1.5]
    h = reference.split_step(lambda x: _soliton(1.5, x, 0), WIDE, times, points=512, dt=1e-3)
    x = _grid(WIDE, 512)
    for row, t in zip(h, times):
        assert np.max(np.abs(row - _soliton(1.5, x, t))) < 1e-5


def test_second_order_in_the_time_step(reference):
    x = _grid(WIDE, 512)
    exact = _soliton(2.0, x, 1.0)
    errors = [
        np.max(np.abs(reference.split_step(lambda x: _soliton(2.0, x, 0), WIDE, [1.0], 512, dt)[0] - exact))
        for dt in (0.02, 0.01)
    ]
    assert errors[0] / errors[1] == pytest.approx(4, rel=0.1), errors


def _invariants(h, interval):
    """Mass ∫|h|² and energy ∫ (|h_x|²/2 − |h|⁴/2) of periodic grid values (spectral h_x)."""
    lo, hi = interval
    points = h.shape[-1]
    dx = (hi - lo) / points
    k = 2 * np.pi * np.fft.fftfreq(points, d=dx)
    hx = np.fft.ifft(1j * k * np.fft.fft(h))
    return np.sum(np.abs(h) ** 2) * dx, np.sum(np.abs(hx) ** 2 / 2 - np.abs(h) ** 4 / 2) * dx


def test_the_example_keeps_mass_and_energy(reference):
    h = reference.split_step(lambda x: 2 / np.cosh(x), reference.INTERVAL, [0.0, np.pi / 2], dt=4e-4)
    (mass0, energy0), (mass1, energy1) = (_invariants(row, reference.INTERVAL) for row in h)
    # mass of 2 sech(x) on the line is 8; [-5, 5] holds 8 tanh 5 of it (the grid sum is the
    # trapezoidal rule of a periodic extension with a small kink at ±5: 5e-8 off)
    assert mass0 == pytest.approx(8 * np.tanh(5), rel=1e-6)
    assert mass1 == pytest.approx(mass0, rel=1e-10)
    assert energy1 == pytest.approx(energy0, rel=1e-4)


def test_the_example_at_given_points(reference):
    on_grid = _grid(reference.INTERVAL, reference.POINTS)[::37]
    assert np.allclose(reference.schrodinger(on_grid, 0.0), 2 / np.cosh(on_grid), rtol=0, atol=1e-12)
    between = np.array([-2.9, -1.3, 0.05, 0.7, 2.2])  # the interpolant, away from the kink at ±5
    assert np.allclose(reference.schrodinger(between, 0.0), 2 / np.cosh(between), rtol=0, atol=2e-6)
    x = np.array([-4.0, -1.3, 0.0, 0.7, 4.9])
    t = np.array([0.3, 0.3, 1.2, 1.2, 1.5708])
    # converged: 256 modes (the default) against 512, and the step against half of it (each at a
    # coarser step than the default's 1e-4, to keep this cheap: the time error is O(dt²))
    h = reference.schrodinger(x, t, dt=4e-4)
    assert np.max(np.abs(h - reference.schrodinger(x, t, points=512, dt=4e-4))) < 5e-5
    # halving the step changes h by 3/4 of its time error, 3e-5 here: at the default 1e-4, ~2e-6
    assert np.max(np.abs(h - reference.schrodinger(x, t, dt=2e-4))) < 5e-5
    assert np.allclose(np.abs(reference.schrodinger(-x, t, dt=4e-4)), np.abs(h), rtol=0, atol=1e-9)  # stays even
