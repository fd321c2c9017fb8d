"""Unbounded domains by a stated map: `x in [0, ∞) with x = s/(1 - s), s in [0, 1]`.

The compiler rewrites the problem in s. Checked here against independent references:
the generated residuals of a manufactured function against SymPy's derivatives taken in
x; integrals over [0, ∞) and ℝ (the Jacobian) against their closed forms by Gauss–Legendre
quadrature in s; faces and fixed coordinates at their images; the inverse map; and the
located errors of unstated or wrong maps. A short training (slow) reaches e^{-x}.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn import PinnError
from symbolic_pinn._frontend.regions import Face

HALF_LINE = "x in [0, ∞) with x = s/(1 - s), s in [0, 1]\nfield u(x)\n"
LINE = "x in (-inf, inf) with x = s/(1 - s^2), s in [-1, 1]\nfield u(x)\n"

# (declaration, x(s) in jax, the manufactured function of x, in SymPy)
X = sympy.Symbol("x", real=True)
CASES = [
    (HALF_LINE, lambda s: s / (1 - s), sympy.exp(-X) * sympy.cos(2 * X)),
    (LINE, lambda s: s / (1 - s**2), sympy.exp(-(X**2)) * (1 + X)),
    (
        LINE.replace("s/(1 - s^2)", "tan(pi*s/2)"),
        lambda s: jnp.sin(jnp.pi * s / 2) / jnp.cos(jnp.pi * s / 2),
        sympy.exp(-(X**2)) * sympy.sin(X),
    ),
]


def operator(g):
    """The equation under test, applied by SymPy in x: Dxxx(u) + x*Dxx(u) - Dx(u)*u."""
    return sympy.diff(g, X, 3) + X * sympy.diff(g, X, 2) - sympy.diff(g, X) * g


@pytest.mark.parametrize("declaration, x_of, g", CASES, ids=["half-line", "line", "line by tan"])
def test_residual_of_a_manufactured_function_matches_sympy(x64, declaration, x_of, g):
    text = declaration + "Dxxx(u) + x*Dxx(u) - Dx(u)*u = 0\nu = 0 at x = ∞\n"
    module = sp.compile(text, hard_constraints=False).module
    g_of_x = sympy.lambdify(X, g, "jax")
    u_fn = lambda s: g_of_x(x_of(s))  # noqa: E731  the manufactured u, as the networks see it: a function of s
    s = jnp.linspace(-0.95, 0.95, 39) if "-inf" in declaration else jnp.linspace(0.02, 0.95, 39)
    s = jnp.asarray(s, jnp.float64)
    got = np.asarray(module.residual_pde(u_fn, s))
    want = np.asarray(sympy.lambdify(X, operator(g), "numpy")(np.asarray(x_of(s))))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())
    assert np.abs(want).max() > 1e-3  # the reference is not trivially zero


@pytest.mark.parametrize(
    "declaration, integrand, value",
    [(HALF_LINE, "u", 1.0), (LINE, "(u*x^2)", math.sqrt(math.pi) / 2)],
    ids=["half-line", "line"],
)
def test_integral_gains_the_jacobian(x64, declaration, integrand, value):
    """∫_0^∞ e^{-x} dx = 1 and ∫_ℝ x² e^{-x²} dx = √π/2: the integrand of `∫ f = c` in s, x'(s) included,
    integrated by Gauss–Legendre in s."""
    exact = "exp(-x)" if declaration == HALF_LINE else "exp(-x^2)"
    text = declaration + f"Dxx(u) = u\nu = 0 on ∂Ω\n∫ {integrand} = {value}\nexact u = {exact}\n"
    module = sp.compile(text, hard_constraints=False).module
    (name,) = [n for n, r in module.REGIONS.items() if n != "pde" and r == ("interior",)]
    lo, hi = module.DOMAIN["s"]
    nodes, weights = np.polynomial.legendre.leggauss(120)
    s = jnp.asarray((nodes + 1) / 2 * (hi - lo) + lo, jnp.float64)
    integrand_values = np.asarray(getattr(module, f"integrand_{name}")(module.EXACT["u"], s))
    assert abs(np.sum(weights * integrand_values) * (hi - lo) / 2 - value) < 1e-12


def test_integral_over_a_face_of_another_variable_gains_the_jacobian(x64):
    """∫_0^∞ e^{-x} (1 + y) dx at y = 1/2 = 3/2: the face y = 1/2 spans the mapped x."""
    text = (
        "x in [0, ∞) with x = s/(1 - s), s in [0, 1]\ny in [0, 1]\nfield u(x, y)\n-Δu = 0\nu = 0 on ∂Ω\n"
        "∫ u = 1.5 at y = 0.5\nexact u = exp(-x)*(1 + y)\n"
    )
    module = sp.compile(text, hard_constraints=False).module
    assert module.REGIONS["integral"] == ("face", "y", 0.5)
    nodes, weights = np.polynomial.legendre.leggauss(120)
    s = jnp.asarray((nodes + 1) / 2, jnp.float64)
    values = np.asarray(module.integrand_integral(module.EXACT["u"], s, jnp.full_like(s, 0.5)))
    assert abs(module.MEASURES["integral"] * np.sum(weights * values) / 2 - 1.5) < 1e-12


def test_faces_and_fixed_coordinates_map_to_their_images():
    spec = sp.parse(HALF_LINE + "Dxx(u) = u\nu = 1 at x = 0\nu = 0 at x = ∞\nu(1) = exp(-1)\nDx(u)(3) = -exp(-3)\n")
    assert [t.region for t in spec.terms][1:3] == [Face("s", 0.0), Face("s", 1.0)]
    s = sympy.Symbol("s", real=True)
    assert [f.args for f in spec.terms[3].expr.atoms(sympy.core.function.AppliedUndef)] == [(0.5,)]  # s(1) = 1/2
    (derivative,) = spec.terms[4].expr.atoms(sympy.Subs)
    assert derivative.point == (pytest.approx(0.75, abs=1e-15),)  # s(3) = 3/4
    assert spec.terms[4].expr.coeff(derivative) == pytest.approx(1 / 16)  # dx/ds = 1/(1 - s)^2 = 16 there
    assert spec.variables == ((s, 0.0, 1.0),)
    assert spec.exact == ()


def test_inverse_map_and_window():
    (m,) = sp.parse(LINE + "Dxx(u) = u\nu = 0 on ∂Ω\n").maps
    x = np.array([-math.inf, -3.0, 0.0, 0.5, 40.0, math.inf])
    s = m.to_bounded(x)
    expected = np.array([-1.0, (-1 + math.sqrt(37)) / -6, 0.0, (-1 + math.sqrt(2)), (-1 + math.sqrt(6401)) / 80, 1.0])
    np.testing.assert_allclose(s, expected, rtol=1e-14, atol=1e-15)  # the roots of x s² + s - x = 0 in (-1, 1)
    lo, hi = m.window()
    assert (lo, hi) == (pytest.approx(-0.9 / (1 - 0.9**2)), pytest.approx(0.9 / (1 - 0.9**2)))  # s in [-0.9, 0.9]


@pytest.mark.parametrize(
    "text, message, help",
    [
        ("x in [0, ∞)\nfield u(x)\nDxx(u) = u\n", "'x' has an infinite interval", "with x = s/(1 - s), s in [0, 1]"),
        ("x in (-∞, ∞)\nfield u(x)\nDxx(u) = u\n", "'x' has an infinite interval", "s/(1 - s^2), s in [-1, 1]"),
        ("x in (0, ∞) with x = s/(1 - s), s in [0, 1]\nfield u(x)\nDxx(u) = u\n", "round bracket", "[0, ∞)"),
        ("x in [0, ∞) with x = s/(2 - s), s in [0, 1]\nfield u(x)\nDxx(u) = u\n", "tends to 1 as s → 1", "ends"),
        ("x in [0, ∞) with x = -s/(1 - s), s in [0, 1]\nfield u(x)\nDxx(u) = u\n", "not finite and increasing", ""),
        ("x in [0, ∞) with y = s/(1 - s), s in [0, 1]\nfield u(x)\nDxx(u) = u\n", "the map gives 'y'", ""),
        ("x in [0, 1] with x = s^2, s in [0, 1]\nfield u(x)\nDxx(u) = u\n", "flat at s = 0", ""),
        ("x in [0, ∞) with x = s/(1 - s), s in [0, 1]\nfield u(x)\nDxx(u) = s\n", "bounded variable", "write"),
        ("t in [0, ∞) with t = s/(1 - s), s in [0, 1]\nfield u(t)\nDt(u) = -u\n", "time cannot be mapped", ""),
    ],
    ids=["half-line", "line", "bracket", "end", "decreasing", "other-name", "flat", "bounded-used", "time"],
)
def test_errors_are_located_and_say_how_to_map(text, message, help):
    with pytest.raises(PinnError) as caught:
        sp.parse(text)
    err = caught.value
    assert message in err.message and help in (err.help or "")
    assert err.span is not None and err.span.line >= 1
    assert "^" in err.render()


@pytest.mark.slow
def test_trains_to_the_decaying_solution():
    """u'' = u on [0, ∞), u(0) = 1, u → 0: e^{-x}, evaluated in x by the stated map."""
    problem = sp.compile(HALF_LINE + "Dxx(u) = u\nu = 1 at x = 0\nu = 0 at x = ∞\n", width=8, depth=1)
    run = problem.train(adam_steps=0, bfgs_steps=60, interior_points=64, seed=0)
    x = np.linspace(0, 8, 33)
    assert np.abs(np.asarray(run.field("u")(x)) - np.exp(-x)).max() < 1e-2


def test_a_trained_field_and_its_plots_take_x():
    """run.field and the plots evaluate the network at s(x) = x/(1 + x) (the closed-form inverse of the map)."""
    import jax

    from symbolic_pinn._product import plots
    from symbolic_pinn._product.run import field_function

    problem = sp.compile(
        HALF_LINE + "Dxx(u) = u\nu = 1 at x = 0\nu = 0 at x = ∞\nexact u = exp(-x)\n", width=4, depth=1
    )
    params = problem.init_params(jax.random.PRNGKey(0))
    x = np.array([0.0, 0.3, 2.0, 15.0, math.inf])
    s = np.array([0.0, 0.3 / 1.3, 2 / 3, 15 / 16, 1.0])
    network = problem.module.fields(params)["u"]
    got = np.asarray(field_function(problem, params, "u")(x=x))
    np.testing.assert_allclose(got, np.asarray(network(jnp.asarray(s))), rtol=1e-6, atol=1e-7)
    with pytest.warns(sp.OutsideWarning):
        assert np.isnan(np.asarray(field_function(problem, params, "u")(np.array([-1.0])))).all()
    (m,) = problem.spec.maps
    exact = plots._on_grid(problem.module.EXACT["u"], ("s",), maps={"s": m})
    np.testing.assert_allclose(exact({"x": x[:4]}), np.exp(-x[:4]), rtol=1e-6, atol=1e-7)


def test_the_heat_kernel_on_the_line_makes_every_residual_vanish(x64):
    """u_t = u_xx on ℝ × [0, 1] from e^{-x²}: e^{-x²/(1+4t)}/√(1+4t) satisfies the equation, written in s,
    and the conditions at t = 0 and x = ±∞ (the faces s = ±1)."""
    text = (
        LINE.replace("field u(x)", "t in [0, 1]\nfield u(x, t)")
        + "Dt(u) = Dxx(u)\nu = exp(-x^2) at t = 0\nu = 0 on ∂Ω\nexact u = exp(-x^2/(1 + 4*t))/sqrt(1 + 4*t)\n"
    )
    module = sp.compile(text, hard_constraints=False, exact_initial=False).module
    rng = np.random.default_rng(0)
    s, t = jnp.asarray(rng.uniform(-0.99, 0.99, 200)), jnp.asarray(rng.uniform(0, 1, 200))
    equation = np.asarray(module.residual_pde(module.EXACT["u"], s, t))
    assert np.abs(equation).max() < 1e-12
    assert module.REGIONS["bc"] == ("boundary",) and module.DOMAIN["s"] == (-1, 1)
    for end in (-1.0, 1.0):
        assert abs(float(module.residual_bc(module.EXACT["u"], jnp.full(3, end), t[:3])[0])) < 1e-300
    assert np.abs(np.asarray(module.residual_ic(module.EXACT["u"], s, jnp.zeros_like(s)))).max() < 1e-15
    wrong = lambda s, t: module.EXACT["u"](s, t) * (1 + 0.01 * t)  # noqa: E731
    assert np.abs(np.asarray(module.residual_pde(wrong, s, t))).max() > 1e-4  # the check can fail


def test_check_says_how_the_bounded_variable_reads(capsys, examples_dir):
    from symbolic_pinn._product import cli

    assert cli.main(["check", str(examples_dir / "half_line.pinn")]) == 0
    out = capsys.readouterr().out
    assert "  x is mapped: x = s/(1 - s), s in [0, 1]\n" in out
    assert "built into u's network: u = 1 at x = 0; u = 0 at x = ∞" in out
