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
