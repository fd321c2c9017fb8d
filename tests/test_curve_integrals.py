"""Integrals and conditions on curves inside Ω: `∫ u = c on segment(a, b)`, `∫ Dn(u) = 0 on circle(c, r)`.

Measures are the exact lengths (times the other intervals), checked against hand-computed
values to 1e-12; the generated integrands, integrated by Gauss–Legendre along the curve,
match closed forms (a line integral) and the divergence theorem (a flux, against SciPy's
area integral of Δu over the disk); the sampled points lie on the curve with unit normals
that point out of a circle and to the right of a segment; and bad curves are located errors.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

import symbolic_pinn as sp
from symbolic_pinn import PinnError

SQUARE = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω\n"
SINES = "exact u = sin(pi*x)*sin(pi*y)\n"
NODES, WEIGHTS = np.polynomial.legendre.leggauss(64)


def module_of(text: str):
    return sp.compile(text, hard_constraints=False).module


@pytest.mark.parametrize(
    "text, measure",
    [
        (SQUARE + "∫ u = 1 on segment((0, 0), (1, 1))\n", math.sqrt(2)),
        (SQUARE + "∫ u = 1 on segment((0.25, 0.5), (1, 0.5))\n", 0.75),
        (SQUARE + "∫ u = 1 on circle((0.5, 0.5), 0.25)\n", math.pi / 2),
        (
            "x in [0, 1]; y in [0, 1]; t in [0, 2]\nfield u(x, y, t)\nDt(u) = Δu\nu = 0 on ∂Ω\n"
            "u = sin(pi*x)*sin(pi*y) at t = 0\n"
            "∫ u = 1 on segment((0, 0), (0.6, 0.8))\n",
            2.0,  # length 1, times the interval of t
        ),
        (
            "(x, y) in disk((0, 0), 1)\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω\n∫ u = 1 on circle((0, 0), 0.5)\n",
            math.pi,
        ),
    ],
    ids=["diagonal", "horizontal", "circle", "with time", "in a disk"],
)
def test_measure_is_the_exact_length(text, measure):
    module = module_of(text)
    (name,) = [n for n, r in module.REGIONS.items() if r[0] == "curve"]
    assert abs(module.MEASURES[name] - measure) <= 1e-12 * measure


def along(module, name, n=64):
    """Gauss–Legendre points of a term's curve (points, normals) and the weights that integrate over it."""
    from symbolic_pinn._runtime.geometry import _curve_points

    _, _, curve = module.REGIONS[name]
    points, normals = _curve_points(curve, (NODES + 1) / 2)
    return points, normals, WEIGHTS / 2 * module.MEASURES[name]


def test_line_integral_of_the_exact_solution(x64):
    """∫ sin(πx) sin(πy) along the diagonal from (0, 0) to (1, 1) = √2 ∫₀¹ sin²(πt) dt = √2/2."""
    module = module_of(SQUARE + SINES + "∫ u = 1 on segment((0, 0), (1, 1))\n")
    points, _, weights = along(module, "integral")
    values = module.integrand_integral(module.EXACT["u"], jnp.asarray(points[:, 0]), jnp.asarray(points[:, 1]))
    assert abs(np.sum(weights * np.asarray(values)) - math.sqrt(2) / 2) < 1e-12


def test_flux_through_a_circle_is_the_divergence_theorem(x64):
    """∮ ∂u/∂n over the circle = ∫ Δu over the disk it bounds (SciPy, in polar coordinates): the normal is outward."""
    module = module_of(SQUARE + SINES + "∫ Dn(u) = 0 on circle((0.4, 0.55), 0.3)\n")
    points, normals, weights = along(module, "integral")
    columns = [jnp.asarray(c) for c in (points[:, 0], points[:, 1], normals[:, 0], normals[:, 1])]
    flux = np.sum(weights * np.asarray(module.integrand_integral(module.EXACT["u"], *columns)))

    def laplacian(r, angle):
        x, y = 0.4 + r * math.cos(angle), 0.55 + r * math.sin(angle)
        return -2 * math.pi**2 * math.sin(math.pi * x) * math.sin(math.pi * y) * r

    reference, _ = integrate.dblquad(laplacian, 0, 2 * math.pi, 0, 0.3, epsabs=1e-13, epsrel=1e-13)
    assert abs(flux - reference) < 1e-10 * abs(reference)


@pytest.mark.parametrize(
    "curve, on, normal",
    [
        ("segment((0, 0.5), (1, 0.5))", lambda p: np.abs(p[:, 1] - 0.5), lambda p: np.tile([0.0, -1.0], (len(p), 1))),
        (
            "circle((0.5, 0.5), 0.25)",
            lambda p: np.abs(np.hypot(p[:, 0] - 0.5, p[:, 1] - 0.5) - 0.25),
            lambda p: (p - 0.5) / 0.25,
        ),
    ],
    ids=["segment: to the right of a → b", "circle: outward"],
)
def test_points_lie_on_the_curve_with_their_normals(curve, on, normal):
    module = module_of(SQUARE + f"∫ Dn(u) = 0 on {curve}\n")
    x, y, nx, ny = module.sample_region(3, module.REGIONS["integral"], 200, module.DOMAIN, module.SHAPE, True)
    points = np.stack([x, y], axis=1)
    assert on(points).max() < 1e-12
    np.testing.assert_allclose(np.stack([nx, ny], axis=1), normal(points), atol=1e-12)


@pytest.mark.parametrize(
    "text, message",
    [
        (SQUARE + "∫ u = 1 on segment((0, 0), (1.5, 1))\n", "the curve leaves Ω"),
        (SQUARE + "∫ u = 1 on circle((0.5, 0.5), 0.75)\n", "the curve leaves Ω"),
        (SQUARE + "∫ u = 1 on spiral((0.5, 0.5), 0.25)\n", "unexpected 'spiral'"),
        (SQUARE + "∫ u = 1 on segment((0.5, 0.5), (0.5, 0.5))\n", "the same point"),
        (SQUARE + "∫ u = 1 on circle((0.5, 0.5), -0.25)\n", "not positive"),
        (
            "x in [0, 1]; y in [0, 1]; z in [0, 1]\nfield u(x, y, z)\n-Δu = 1\nu = 0 on ∂Ω\n"
            "∫ u = 1 on circle((0.5, 0.5), 0.25)\n",
            "lies in a plane",
        ),
        (
            "(x, y) in disk((0, 0), 1) \\ disk((0, 0), 0.5)\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω\n"
            "∫ u = 1 on segment((-0.9, 0), (0.9, 0))\n",
            "the curve leaves Ω",  # it crosses the hole
        ),
    ],
    ids=["segment outside", "circle outside", "unknown", "no length", "radius", "3-D", "across a hole"],
)
def test_bad_curves_are_located_errors(text, message):
    with pytest.raises(PinnError) as caught:
        sp.parse(text)
    assert message in caught.value.message
    assert caught.value.span is not None and caught.value.span.line == text.count("\n")
    assert "^" in caught.value.render()


@pytest.mark.slow
def test_a_neumann_problem_fixed_by_a_line_integral_trains():
    """-Δu = 2π² cos(πx) cos(πy)... with Dn(u) = 0 on ∂Ω has solutions cos(πx)cos(πy) + c; ∫ u = 1 along the
    segment y = 0.5 ... fixes c: there cos(πy) = 0, so ∫ u = c·1 and c = 1."""
    text = (
        "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 2*pi^2*cos(pi*x)*cos(pi*y)\nDn(u) = 0 on ∂Ω\n"
        "∫ u = 1 on segment((0, 0.5), (1, 0.5))\nexact u = cos(pi*x)*cos(pi*y) + 1\n"
    )
    run = sp.compile(text, width=16, depth=2).train(adam_steps=500, bfgs_steps=200, seed=0)
    assert run.metrics["rel_l2"]["u"] < 2e-2
