"""benchmarks/references/: the reference solvers of the hard benchmarks, checked on their own.

Each solver is checked three ways: its error falls at the method's order as it is
refined (fourth order in the step for ETDRK4, geometric in the number of Fourier modes),
its default resolution has converged (a finer one changes the answer by less than the
error a PINN could show), and it reproduces a solution known in closed form (a soliton,
a stationary pair of kinks, the logistic ODE), so that it converges to the right thing.
The examples' own text is read back to check the solvers solve the same problem.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "benchmarks" / "references"
NAME = "benchmark_references"  # its name in sys.modules: not a name an installed package would take


@pytest.fixture(scope="module")
def references():
    """benchmarks/references as a package (it is not installed), imported once."""
    if NAME not in sys.modules:  # registered before it runs: its modules import each other relatively
        spec = importlib.util.spec_from_file_location(
            NAME, PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)]
        )
        sys.modules[NAME] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[NAME])
    return sys.modules[NAME]


def _submodule(name: str):
    return importlib.import_module(f"{NAME}.{name}")


@pytest.fixture(scope="module")
def etdrk4(references):
    return _submodule("etdrk4")


@pytest.fixture(scope="module")
def allen_cahn(references):
    return _submodule("allen_cahn")


@pytest.fixture(scope="module")
def kdv(references):
    return _submodule("kdv")


def observed_order(solve, dts) -> float:
    """log₂ of the ratio of successive differences |u(h) − u(h/2)|: the order in the step, no reference needed."""
    u = [solve(dt) for dt in dts]
    d = [np.max(np.abs(a - b)) for a, b in zip(u, u[1:])]
    return float(np.log2(d[0] / d[1]))


# ---- ETDRK4 --------------------------------------------------------------------------------------


def test_etdrk4_coefficients_match_their_formulas_where_these_are_accurate(etdrk4):
    """For |hL| of order 1 the direct formulas lose nothing: the contour means agree with them."""
    h, L = 0.5, np.array([-3.0, -1.0, 2j, -2 + 1j])
    c = etdrk4.coefficients(L, h)
    z = h * L
    E = np.exp(z)
    assert np.allclose(c.Q, (np.exp(z / 2) - 1) / L, rtol=1e-13)
    assert np.allclose(c.f1, h * (-4 - z + E * (4 - 3 * z + z**2)) / z**3, rtol=1e-12)
    assert np.allclose(c.f2, h * (2 + z + E * (-2 + z)) / z**3, rtol=1e-12)
    assert np.allclose(c.f3, h * (-4 - 3 * z - z**2 + E * (4 - z)) / z**3, rtol=1e-12)
    # at L = 0 the limits h/2, h/6, h/6, h/6 (where the formulas are 0/0)
    c0 = etdrk4.coefficients(np.array([0.0]), h)
    assert np.allclose([c0.Q[0], c0.f1[0], c0.f2[0], c0.f3[0]], [h / 2, h / 6, h / 6, h / 6], rtol=1e-13)


def test_etdrk4_is_fourth_order_on_a_scalar_ode(etdrk4):
    """u' = −u + u² (L = −1, N = u²) has u = 1/(1 + (1/u₀ − 1)eᵗ): the error falls 16× per halving."""
    u0 = 0.5
    exact = 1 / (1 + (1 / u0 - 1) * np.exp(1.0))
    errors = [
        abs(etdrk4.integrate(np.array([u0]), np.array([-1.0]), lambda v: v**2, [1.0], dt)[0, 0] - exact)
        for dt in (0.2, 0.1, 0.05)
    ]
    ratios = [a / b for a, b in zip(errors, errors[1:])]
    assert all(13 < r < 19 for r in ratios), (errors, ratios)


# ---- Allen–Cahn ----------------------------------------------------------------------------------


def test_allen_cahn_is_fourth_order_in_the_step(allen_cahn):
    order = observed_order(lambda dt: allen_cahn.solve([1.0], points=256, dt=dt)[0], (0.02, 0.01, 0.005))
    assert 3.7 < order < 4.3, order


def test_allen_cahn_converges_spectrally_in_the_modes(allen_cahn):
    """Each doubling of the grid gains orders of magnitude (geometric, not algebraic, convergence)."""
    fine = allen_cahn.solve([1.0], points=2048, dt=0.01)[0]
    errors = [
        np.max(np.abs(allen_cahn.solve([1.0], points=p, dt=0.01)[0] - fine[:: 2048 // p])) for p in (256, 512, 1024)
    ]
    assert errors[0] / errors[1] > 100 and errors[1] / errors[2] > 100, errors
    assert errors[2] < 1e-8, errors  # the default grid (1024) against 2048


def test_allen_cahn_default_step_has_converged(allen_cahn):
    """At fourth order the default step's error is |u(2h) − u(h)|/15 (Richardson)."""
    default, coarser = (allen_cahn.solve([1.0], dt=dt)[0] for dt in (allen_cahn.DT, 2 * allen_cahn.DT))
    assert np.max(np.abs(coarser - default)) / 15 < 1e-10


def test_allen_cahn_keeps_a_stationary_pair_of_kinks(allen_cahn):
    """tanh(s/w) with w = √(2ε/5) is a stationary front of u_t = ε u_xx + 5u − 5u³; two at ±½ stay put.
    Fronts of the wrong width (for ε twice as large) do not stay as they were: the check can fail."""

    def kinks(epsilon):
        w = np.sqrt(2 * epsilon / 5)
        return lambda x: np.tanh((x + 0.5) / w) * np.tanh((0.5 - x) / w)

    x = allen_cahn.grid()
    exact = kinks(allen_cahn.EPSILON)(x)
    u = allen_cahn.solve([1.0], dt=0.01, u0=kinks(allen_cahn.EPSILON))[0]
    assert np.max(np.abs(u - exact)) < 1e-6
    wrong = allen_cahn.solve([1.0], dt=0.01, u0=kinks(2 * allen_cahn.EPSILON))[0]
    assert np.max(np.abs(wrong - kinks(2 * allen_cahn.EPSILON)(x))) > 1e-2


def test_allen_cahn_flat_data_follow_the_ode(allen_cahn):
    """A constant a solves u' = 5u − 5u³: u² = 1/(1 + (1/a² − 1)e^(−10t))."""
    a, t = 0.3, np.array([0.1, 0.5, 1.0])
    u = allen_cahn.solve(t, points=16, dt=1e-3, u0=lambda x: np.full_like(x, a))
    assert np.max(np.abs(u - 1 / np.sqrt(1 + (1 / a**2 - 1) * np.exp(-10 * t))[:, None])) < 1e-11


def test_allen_cahn_initial_data_are_the_examples(allen_cahn):
    """u(x, 0) = x² cos(πx) and its slope are periodic on [−1, 1] (so the spectral solution is smooth)."""
    assert allen_cahn.solve([0.0])[0] == pytest.approx(allen_cahn.initial(allen_cahn.grid()), abs=1e-15)
    text = (ROOT / "examples" / "allen_cahn_periodic.pinn").read_text(encoding="utf-8")
    assert "u = x^2*cos(pi*x) at t = 0" in text and "x in [-1, 1]; t in [0, 1]" in text
    assert f"const eps = {allen_cahn.EPSILON:g}" in text


# ---- KdV -----------------------------------------------------------------------------------------


def test_kdv_is_fourth_order_in_the_step(kdv):
    order = observed_order(lambda dt: kdv.solve([1.0], points=256, dt=dt)[0], (1e-3, 5e-4, 2.5e-4))
    assert 3.7 < order < 4.7, order  # 4.6, 4.4, 4.2, ... from above as the step falls (pre-asymptotic)


def test_kdv_converges_spectrally_in_the_modes(kdv):
    fine = kdv.solve([1.0], points=768, dt=5e-4)[0]
    errors = [np.max(np.abs(kdv.solve([1.0], points=p, dt=5e-4)[0] - fine[:: 768 // p])) for p in (192, 256, 384)]
    assert errors[0] / errors[1] > 30 and errors[1] / errors[2] > 1000, errors
    assert errors[2] < 1e-9, errors


@pytest.fixture(scope="module")
def kdv_default(kdv):
    """The reference at its defaults, at t = 0, ½ and 1."""
    return kdv.solve([0.0, 0.5, 1.0])


def test_kdv_default_step_has_converged(kdv, kdv_default):
    """At fourth order the default step's error is |u(2h) − u(h)|/15 (Richardson)."""
    coarser = kdv.solve([1.0], dt=2 * kdv.DT)[0]
    assert np.max(np.abs(coarser - kdv_default[-1])) / 15 < 1e-7 * np.max(np.abs(kdv_default[-1]))


def test_kdv_carries_a_soliton(kdv):
    """u = 3c sech²(√c (x − ct)/(2μ)) solves u_t + u u_x + μ² u_xxx = 0; with c = ½ it moves half the
    box by t = 1.  A soliton of the wrong speed for its height (μ 10% off) leaves it: the check can fail."""

    def soliton(c, mu, t):
        return lambda x: 3 * c / np.cosh(np.sqrt(c) * ((x - c * t + 1) % 2 - 1) / (2 * mu)) ** 2

    c = 0.5
    u = kdv.solve([1.0], dt=5e-4, u0=soliton(c, kdv.MU, 0))[0]
    assert np.max(np.abs(u - soliton(c, kdv.MU, 1.0)(kdv.grid()))) < 1e-6
    wrong = kdv.solve([1.0], dt=5e-4, u0=soliton(c, 1.1 * kdv.MU, 0))[0]
    assert np.max(np.abs(wrong - soliton(c, 1.1 * kdv.MU, 1.0)(kdv.grid()))) > 1e-2


def test_kdv_keeps_its_invariants(kdv_default):
    """∫u and ∫u² are conserved (the dealiased scheme keeps ∫u exactly, ∫u² to the step's error)."""
    u = kdv_default
    mass, energy = u.sum(axis=1), (u**2).sum(axis=1)
    assert np.max(np.abs(mass - mass[0])) < 1e-10 * len(u[0])
    assert np.max(np.abs(energy / energy[0] - 1)) < 1e-8


def test_kdv_initial_data_are_the_examples(kdv):
    text = (ROOT / "examples" / "kdv.pinn").read_text(encoding="utf-8")
    assert "u = cos(pi*x) at t = 0" in text and "x in [-1, 1]; t in [0, 1]" in text
    assert f"const mu = {kdv.MU:g}" in text


# ---- 2-D: the grid helpers -------------------------------------------------------------------------


def test_interpolate_2d_is_the_fourier_sum_at_any_point(etdrk4):
    """A trigonometric polynomial sampled on the grid comes back exactly between the nodes, its Nyquist
    mode (cos 24πx on 48 points) included; x is the first axis (an asymmetric f catches a transpose)."""
    n, interval = 48, (-1.0, 1.0)
    s = etdrk4.periodic_grid(interval, n)
    x, y = np.meshgrid(s, s, indexing="ij")

    def f(x, y):
        return (
            np.cos(3 * np.pi * x) * np.sin(5 * np.pi * y) + np.cos(24 * np.pi * x) + 0.3 * np.sin(np.pi * (x - 2 * y))
        )

    px, py = np.array([-0.93, -0.31, 0.0, 0.123, 0.57]), np.array([0.71, -0.5, 0.2])
    values = etdrk4.interpolate_2d(f(x, y), interval, px, py)
    assert np.isrealobj(values)
    assert np.max(np.abs(values - f(px[:, None], py[None, :]))) < 1e-13
    assert np.max(np.abs(values - f(py[None, :], px[:, None]))) > 0.1


def test_squared_wavenumbers_2d_are_the_laplacians_symbol(etdrk4):
    """−Δ of sin(πx)cos(3πy) on [−1, 1]² is 10π² times it: through rfft2 and through fft2."""
    n, interval = 16, (-1.0, 1.0)
    s = etdrk4.periodic_grid(interval, n)
    x, y = np.meshgrid(s, s, indexing="ij")
    f = np.sin(np.pi * x) * np.cos(3 * np.pi * y)
    for real, forward, inverse in ((True, np.fft.rfft2, np.fft.irfft2), (False, np.fft.fft2, np.fft.ifft2)):
        k2 = etdrk4.squared_wavenumbers_2d(interval, n, real=real)
        minus_laplacian = np.real(inverse(k2 * forward(f), s=(n, n)))
        assert np.max(np.abs(minus_laplacian - 10 * np.pi**2 * f)) < 1e-10


# ---- Gray–Scott -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gray_scott(references):
    return _submodule("gray_scott")


def test_gray_scott_is_fourth_order_in_the_step(gray_scott):
    """A short time on a coarse grid: the reactions (rates up to 1000) set the step's error."""
    order = observed_order(lambda dt: gray_scott.solve([0.02], points=16, dt=dt)[0], (1e-3, 5e-4, 2.5e-4))
    assert 3.7 < order < 4.3, order


def test_gray_scott_flat_data_follow_the_reaction_odes(gray_scott):
    """Constant (u, v) stay constant in space and follow u' = b₁(1 − u) − c₁uv², v' = −b₂v + c₂uv²
    (scipy's DOP853 at tolerance 1e-12)."""
    from scipy.integrate import solve_ivp

    g, times = gray_scott, [0.02, 0.05, 0.1]
    uv = g.solve(times, points=4, dt=5e-4, uv0=lambda x, y: (np.full_like(x, 0.5), np.full_like(x, 0.25)))
    assert np.ptp(uv, axis=(2, 3)).max() == 0

    def rates(t, w):
        u, v = w
        return [g.B1 * (1 - u) - g.C1 * u * v**2, -g.B2 * v + g.C2 * u * v**2]

    ode = solve_ivp(rates, (0, times[-1]), [0.5, 0.25], t_eval=times, method="DOP853", rtol=1e-12, atol=1e-14)
    assert np.max(np.abs(uv[:, :, 0, 0] - ode.y.T)) < 1e-7


def test_gray_scott_small_modes_decay_at_their_rates(gray_scott):
    """Near the state (1, 0) the equations are linear: a mode cos(πx)cos(2πy) of u decays at ε₁·5π² + b₁
    and a mode cos(3πx)sin(πy) of v at ε₂·10π² + b₂ (the products are δ², 1e-12 here).  Giving v
    u's diffusion coefficient would be off by 1e-3·δ: the check can fail."""
    g, d, t = gray_scott, 1e-6, 0.05
    x, y = g.grid(16)
    mode_u, mode_v = np.cos(np.pi * x) * np.cos(2 * np.pi * y), np.cos(3 * np.pi * x) * np.sin(np.pi * y)
    u, v = g.solve([t], points=16, dt=1e-3, uv0=lambda x, y: (1 + d * mode_u, d * mode_v))[0]
    assert np.max(np.abs(u - 1 - d * np.exp(-(g.EPS1 * 5 * np.pi**2 + g.B1) * t) * mode_u)) < 1e-5 * d
    assert np.max(np.abs(v - d * np.exp(-(g.EPS2 * 10 * np.pi**2 + g.B2) * t) * mode_v)) < 1e-5 * d
    assert np.max(np.abs(v - d * np.exp(-(g.EPS1 * 10 * np.pi**2 + g.B2) * t) * mode_v)) > 1e-3 * d


def test_gray_scott_converges_fast_in_the_modes(gray_scott):
    """Fronts form within the first hundredth of a time unit: at t = 0.01, doubling 32 points to 64
    gains more than fourth order would (16×) against 128."""
    u = {p: gray_scott.solve([0.01], points=p, dt=1e-3)[0] for p in (32, 64, 128)}
    errors = [np.max(np.abs(u[p] - u[128][:, :: 128 // p, :: 128 // p])) for p in (32, 64)]
    assert errors[0] / errors[1] > 30, errors


def default_errors_2d(module, etdrk4, times, finer: int) -> tuple[float, float]:
    """A 2-D reference's errors at its defaults over ``times``, relative to max |solution|: its step's
    (Richardson: |u(h) − u(h/2)|/15 at fourth order) and its grid's (against ``finer`` points, interpolated)."""
    default = module.solve(times)
    size = np.max(np.abs(default))
    step = np.max(np.abs(module.solve(times, dt=module.DT / 2) - default)) / 15
    s = etdrk4.periodic_grid(module.INTERVAL, module.POINTS)
    finer = etdrk4.interpolate_2d(module.solve(times, points=finer), module.INTERVAL, s, s)
    return step / size, np.max(np.abs(finer - default)) / size


@pytest.mark.slow
def test_gray_scott_defaults_have_converged(gray_scott, etdrk4):
    """Over the whole window (t = 2), step and grid (128 against 192 points): ≤ 1e-6 of max |u, v|,
    3,600× below the PirateNet record (3.61e-3).  A minute or two."""
    step, grid = default_errors_2d(gray_scott, etdrk4, [0.5, 1.0, 2.0], finer=192)
    assert step < 1e-6 and grid < 1e-6, (step, grid)


def example_2d(name: str, module) -> str:
    """examples/<name>.pinn's text, after checking it has the reference's square and time window."""
    text = (ROOT / "examples" / f"{name}.pinn").read_text(encoding="utf-8")
    assert module.INTERVAL == (-1.0, 1.0) and f"x in [-1, 1]; y in [-1, 1]; t in [0, {module.END:g}]" in text
    return text


def test_gray_scott_is_the_examples(gray_scott):
    g = gray_scott
    text = example_2d("gray_scott", g)
    for name, value in {"eps1": g.EPS1, "eps2": g.EPS2, "b1": g.B1, "b2": g.B2, "c1": g.C1, "c2": g.C2}.items():
        assert f"const {name} = {value:g}\n" in text
    assert "u = 1 - exp(-10*((x + 0.05)^2 + (y + 0.02)^2)) at t = 0" in text
    assert "v = exp(-10*((x - 0.05)^2 + (y - 0.02)^2)) at t = 0" in text
    u, v = g.initial(np.array([-0.05, 0.05]), np.array([-0.02, 0.02]))
    assert u[0] == 0 and v[1] == 1


# ---- Ginzburg–Landau ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ginzburg_landau(references):
    return _submodule("ginzburg_landau")


def test_ginzburg_landau_is_fourth_order_in_the_step(ginzburg_landau):
    order = observed_order(lambda dt: ginzburg_landau.solve([0.1], points=16, dt=dt)[0], (0.02, 0.01, 0.005))
    assert 3.7 < order < 4.3, order


def test_ginzburg_landau_carries_a_plane_wave(ginzburg_landau):
    """A = a·exp(i(κ·x − ωt)) solves A_t = εΔA + kA − k(1 + 1.5i)|A|²A when |a|² = 1 − ε|κ|²/k and
    ω = 1.5k|a|²; the wave turning the other way (−ω, as for 1 − 1.5i) is far off: the check can fail."""
    gl = ginzburg_landau
    kx, ky = np.pi, 2 * np.pi
    a2 = 1 - gl.EPS * (kx**2 + ky**2) / gl.K
    omega = 1.5 * gl.K * a2

    def wave(t, omega=omega):
        return lambda x, y: np.sqrt(a2) * np.exp(1j * (kx * x + ky * y - omega * t))

    A = gl.solve([0.5], points=16, dt=2.5e-3, A0=wave(0))[0]
    x, y = gl.grid(16)
    assert np.max(np.abs(A - wave(0.5)(x, y))) < 1e-6
    assert np.max(np.abs(A - wave(0.5, -omega)(x, y))) > 1


def test_ginzburg_landau_converges_spectrally_in_the_modes(ginzburg_landau, etdrk4):
    """At t = 0.05, against 128 points at a few points between the nodes: each step of 16 more points
    gains about 7× or more (geometric, not algebraic, convergence)."""
    gl, s = ginzburg_landau, np.array([-0.9, -0.31, 0.0, 0.123, 0.57])
    A = {p: etdrk4.interpolate_2d(gl.solve([0.05], points=p, dt=0.01)[0], gl.INTERVAL, s, s) for p in (32, 48, 64, 128)}
    errors = [np.max(np.abs(A[p] - A[128])) for p in (32, 48, 64)]
    assert errors[0] / errors[1] > 5 and errors[1] / errors[2] > 5 and errors[2] < 1e-4, errors


@pytest.mark.slow
def test_ginzburg_landau_defaults_have_converged(ginzburg_landau, etdrk4):
    """Over the whole window (t = 1), step ≤ 1e-8 and grid (192 against 256 points) ≤ 1e-6 of
    max |A|, 10⁴× below the PirateNet record (1.49e-2); 128 points were 3.5e-5 off 192.  A few minutes."""
    step, grid = default_errors_2d(ginzburg_landau, etdrk4, [0.25, 0.5, 1.0], finer=256)
    assert step < 1e-8 and grid < 1e-6, (step, grid)


def test_ginzburg_landau_is_the_examples(ginzburg_landau):
    gl = ginzburg_landau
    text = example_2d("ginzburg_landau", gl)
    assert f"const eps = {gl.EPS:g}\n" in text and f"const k = {gl.K:g}\n" in text
    assert "Dt(A) = eps*ΔA + k*A - k*(1 + 1.5*i)*|A|^2*A" in text
    assert "A = 10*(i*x + y)*exp(-25*(x^2 + y^2)) at t = 0" in text
    x, y = np.array([0.1, -0.2]), np.array([0.3, 0.05])
    assert gl.initial(x, y) == pytest.approx(10 * (1j * x + y) * np.exp(-25 * (x**2 + y**2)), rel=1e-15)


# ---- benchmarks/records.py: the errors against these references ----------------------------------


def test_records_measures_on_the_grid_of_the_data(monkeypatch, references):
    """The spectral error of records.py: x on the 512-point periodic grid of [−1, 1), t on 201 points
    of [0, 1], and a network equal to the reference has error 0 while one with x and t swapped does not.
    The reference is replaced by a closed form here (the solver is checked above)."""
    import types

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    monkeypatch.setitem(sys.modules, "references", references)  # records.py imports it by this name
    records = importlib.import_module("records")
    solution = lambda x, t: np.cos(np.pi * x) * np.exp(-t) + x * t  # noqa: E731
    fake = types.SimpleNamespace(
        POINTS=1024,
        grid=lambda: -1 + 2 * np.arange(1024) / 1024,
        solve=lambda times: solution(*np.meshgrid(-1 + 2 * np.arange(1024) / 1024, times)),
    )
    monkeypatch.setattr(records, "kdv", fake)
    records.spectral_reference.cache_clear()
    try:
        x, t, u = records.spectral_reference("kdv")
        assert np.unique(x) == pytest.approx(-1 + 2 * np.arange(512) / 512, abs=1e-15)
        assert np.unique(t) == pytest.approx(np.linspace(0, 1, 201), abs=1e-15)
        compiled = lambda f: types.SimpleNamespace(module=types.SimpleNamespace(fields=lambda p: {"u": f}))  # noqa: E731
        assert records.spectral_error("kdv")(compiled(solution), None)["u"] < 1e-6  # float32 rounding at most
        swapped = records.spectral_error("kdv")(compiled(lambda x, t: solution(t, x)), None)["u"]
        assert swapped > 0.1
    finally:
        records.spectral_reference.cache_clear()


def test_records_measures_the_cavity_at_the_reference_nodes(monkeypatch, references):
    """The cavity's error in records.py: u and v at the nodes s × s, u[i, j] at (s[i], s[j]); closed
    forms in place of the reference, and a network with x and y swapped is off."""
    import types

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    monkeypatch.setitem(sys.modules, "references", references)
    records = importlib.import_module("records")
    u = lambda x, y: x * (1 - x) * y**2  # noqa: E731
    v = lambda x, y: -x * y * (1 - y) ** 2  # noqa: E731
    s = np.linspace(0, 1, 17)
    X, Y = np.meshgrid(s, s, indexing="ij")
    monkeypatch.setattr(records, "cavity", types.SimpleNamespace(velocity=lambda: (s, u(X, Y), v(X, Y))))
    records.cavity_reference.cache_clear()
    try:
        network = lambda fields: types.SimpleNamespace(module=types.SimpleNamespace(fields=lambda p: fields))  # noqa: E731
        errors = records.cavity_error(network({"u": u, "v": v}), None)
        assert max(errors.values()) < 1e-6, errors
        swapped = records.cavity_error(network({"u": lambda x, y: u(y, x), "v": lambda x, y: v(y, x)}), None)
        assert min(swapped.values()) > 0.1, swapped
    finally:
        records.cavity_reference.cache_clear()


def test_records_measures_the_plane_problems_on_jaxpis_grid(monkeypatch, references):
    """The 2-D errors of records.py: x and y at linspace(−1, 1, 200) (both ends: jaxpi's grid), 101 times
    over the window, u at (x, y) and v apart; A complex gives A_re and A_im.  Trigonometric closed forms
    stand in for the solvers (their Fourier sums are exact); a network with x and y swapped is off."""
    import types

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    monkeypatch.setitem(sys.modules, "references", references)
    records = importlib.import_module("records")
    import jax.numpy as jnp  # the networks are traced (records.py compiles them)

    u = lambda x, y, t: jnp.cos(jnp.pi * x) * jnp.sin(2 * jnp.pi * y) * jnp.exp(-t) + 1  # noqa: E731
    v = lambda x, y, t: jnp.sin(jnp.pi * (x + 2 * y)) * t  # noqa: E731
    n, interval = 16, (-1.0, 1.0)
    x, y = np.meshgrid(*2 * [-1 + 2 * np.arange(n) / n], indexing="ij")

    def fake(end, solution):
        return types.SimpleNamespace(
            INTERVAL=interval, END=end, solve=lambda times: np.stack([np.asarray(solution(x, y, t)) for t in times])
        )

    monkeypatch.setattr(records, "gray_scott", fake(2.0, lambda x, y, t: np.stack([u(x, y, t), v(x, y, t)])))
    monkeypatch.setattr(records, "ginzburg_landau", fake(1.0, lambda x, y, t: u(x, y, t) + 1j * v(x, y, t)))
    network = lambda fields: types.SimpleNamespace(module=types.SimpleNamespace(fields=lambda p: fields))  # noqa: E731
    swap = lambda f: lambda x, y, t: f(y, x, t)  # noqa: E731
    records.plane_reference.cache_clear()
    try:
        s, t, _ = records.plane_reference("gray_scott")
        assert s == pytest.approx(np.linspace(-1, 1, 200), abs=1e-15) and t == pytest.approx(np.linspace(0, 2, 101))
        errors = records.plane_error("gray_scott")(network({"u": u, "v": v}), None)
        assert set(errors) == {"u", "v"} and max(errors.values()) < 1e-6, errors
        assert min(records.plane_error("gray_scott")(network({"u": swap(u), "v": swap(v)}), None).values()) > 0.1
        errors = records.plane_error("ginzburg_landau")(network({"A_re": u, "A_im": v}), None)
        assert set(errors) == {"A_re", "A_im"} and max(errors.values()) < 1e-6, errors
    finally:
        records.plane_reference.cache_clear()


# ---- lid-driven cavity ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cavity(references):
    return _submodule("cavity")


def _on_coarse_nodes(cavity, n: int, coarse: int = 8):
    """(u, v) of the n-cell grid at the nodes of the coarse one."""
    u, v = cavity.nodal_velocity(n)
    step = n // coarse
    return u[::step, ::step], v[::step, ::step]


def test_cavity_is_second_order_and_richardson_gains_more(cavity):
    """Differences of the velocity at common nodes fall 4× per halving of h; after Richardson's
    extrapolation (4·u_h − u_2h)/3 they fall faster (measured 12.5×: the h² term is gone)."""
    grids = {n: _on_coarse_nodes(cavity, n) for n in (8, 16, 32, 64)}
    diff = lambda a, b: max(np.max(np.abs(p - q)) for p, q in zip(a, b))  # noqa: E731
    ratio = diff(grids[16], grids[32]) / diff(grids[32], grids[64])
    assert 3.4 < ratio < 4.6, ratio
    richardson = {n: [(4 * f - c) / 3 for c, f in zip(grids[n], grids[2 * n])] for n in (8, 16, 32)}
    ratio = diff(richardson[8], richardson[16]) / diff(richardson[16], richardson[32])
    assert ratio > 8, ratio


def test_cavity_circulation_is_the_lids(cavity):
    """∬ω dA = ∮ u·dl = −∫₀¹ 16x²(1 − x)² dx = −8/15 (Stokes' theorem: only the lid moves).
    The check can fail: a lid of another speed or sign changes it."""
    for n in (16, 32):
        _, omega = cavity.solve(n)
        w = np.ones(n + 1)
        w[0] = w[-1] = 0.5
        assert np.sum(np.outer(w, w) * omega) / n**2 == pytest.approx(-8 / 15, abs=1e-5)


def test_cavity_inertia_breaks_the_symmetry_of_stokes_flow(cavity):
    """At Re → 0 the flow is mirror-symmetric about x = ½ (u even, v odd); at Re = 100 it is not."""
    u, v = cavity.nodal_velocity(16, reynolds=1e-8)
    assert np.max(np.abs(u - u[::-1])) < 1e-9 and np.max(np.abs(v + v[::-1])) < 1e-9
    u, _ = cavity.nodal_velocity(16)
    assert np.max(np.abs(u - u[::-1])) > 0.05


def test_cavity_is_the_examples(cavity):
    text = (ROOT / "examples" / "cavity.pinn").read_text(encoding="utf-8")
    assert f"const Re = {cavity.REYNOLDS:g}" in text and "u = 16*x^2*(1 - x)^2 at y = 1" in text
    assert cavity.lid(np.array([0.0, 0.5, 1.0])) == pytest.approx([0.0, 1.0, 0.0])
