"""Hard Dirichlet constraints: u = g + φ·N meets `u = g on ∂Ω` exactly, its derivatives
are SymPy's, the boundary term leaves the loss, and training works with it."""

import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn._runtime import sample_region

X, Y, T = sympy.symbols("x y t", real=True)


def _random_params(compiled, seed=0):
    rng = np.random.default_rng(seed)
    params = {
        name: [
            (jnp.asarray(rng.standard_normal((m, n)) / np.sqrt(m)), jnp.asarray(0.5 * rng.standard_normal(n)))
            for m, n in zip(sizes[:-1], sizes[1:])
        ]
        for name, sizes in compiled.module.LAYERS.items()
    }
    params["unknowns"] = {}
    return params


def _boundary(compiled, n=64):
    m = compiled.module
    return tuple(jnp.asarray(c) for c in sample_region(3, ("boundary",), n, m.DOMAIN, m.SHAPE))


CASES = {
    # problem text, g as SymPy
    "box, g = 0": ("x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 1\nu = 0 on ∂Ω", lambda: 0 * X),
    "box, g = x·y + 1": ("x in [-1, 2]; y in [0, 1]\nfield u(x, y)\nΔu = 0\nu = x*y + 1 on ∂Ω", lambda: X * Y + 1),
    "disk, g = cos(x)": (
        "(x, y) in disk((0.5, 0), 2)\nfield u(x, y)\nΔu = 0\n2*u - cos(x) = 0 on ∂Ω",
        lambda: sympy.cos(X),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_condition_holds_exactly_for_any_network(x64, name):
    text, g = CASES[name]
    compiled = sp.compile(text, hard_constraints=True, width=8, depth=2)
    assert list(compiled.module.WEIGHTS) == ["pde"]  # the boundary term left the loss
    points = _boundary(compiled)
    want = sympy.lambdify((X, Y), g(), "numpy")(*(np.asarray(c) for c in points)) * np.ones(len(points[0]))
    want = want / (2 if "disk" in name else 1)  # 2u − cos x = 0
    for seed in range(3):
        u = compiled.module.fields(_random_params(compiled, seed))["u"]
        np.testing.assert_allclose(u(*points), want, atol=1e-12)
    # without the option, the same network is not on the boundary values
    free = sp.compile(text, hard_constraints=False, width=8, depth=2)
    u = free.module.fields(_random_params(free, 0))["u"]
    assert np.max(np.abs(u(*points) - want)) > 1e-3


def test_derivatives_of_the_constrained_field_are_sympys(x64):
    """The residual of Δu + u_x on g + φ·N, against SymPy's derivatives of the same formula."""
    text = "x in [-1, 2]; y in [0, 1]\nfield u(x, y)\nΔu + Dx(u) = 0\nu = x*y + 1 on ∂Ω"
    compiled = sp.compile(text, hard_constraints=True, width=2, depth=2)
    params = _random_params(compiled, 4)
    net = compiled.module.fields(params)["u"].network
    h = [(X - 0.5) / 1.5, (Y - 0.5) / 0.5]
    for w, b in params["u"][:-1]:
        w, b = np.asarray(w), np.asarray(b)
        h = [sympy.tanh(sum(float(w[i, j]) * h[i] for i in range(len(h))) + float(b[j])) for j in range(w.shape[1])]
    w, b = (np.asarray(a) for a in params["u"][-1])
    network = sum(float(w[i, 0]) * h[i] for i in range(len(h))) + float(b[0])
    phi = sympy.Rational(4, 9) * (X + 1) * (2 - X) * 4 * Y * (1 - Y)
    u = X * Y + 1 + phi * network
    want_expr = sympy.diff(u, X, 2) + sympy.diff(u, Y, 2) + sympy.diff(u, X)
    rng = np.random.default_rng(5)
    xs, ys = rng.uniform(-1, 2, 7), rng.uniform(0, 1, 7)
    want = sympy.lambdify((X, Y), want_expr, "numpy", cse=True)(xs, ys)
    u_fn = compiled.module.fields(params)["u"]
    got = compiled.module.residual_pde(u_fn, jnp.asarray(xs), jnp.asarray(ys))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        net(jnp.asarray(xs), jnp.asarray(ys)), sympy.lambdify((X, Y), network)(xs, ys), rtol=1e-12
    )


def test_time_dependent_problems_constrain_the_spatial_boundary_only(x64):
    text = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = t on ∂Ω\nu = sin(pi*x) at t = 0"
    compiled = sp.compile(text, hard_constraints=True, exact_initial=False, width=8, depth=2)
    assert list(compiled.module.WEIGHTS) == ["pde", "ic"]  # the initial condition stays a term
    u = compiled.module.fields(_random_params(compiled))["u"]
    t = jnp.linspace(0, 1, 9)
    np.testing.assert_allclose(u(jnp.zeros(9), t), t, atol=1e-12)
    np.testing.assert_allclose(u(jnp.ones(9), t), t, atol=1e-12)


def test_conditions_it_cannot_build_in_stay_terms():
    """Never an error (it builds in what it can): a Neumann condition or a combined shape keeps its term."""
    neumann = sp.compile("x in [0, 1]\nfield u(x)\nDxx(u) = 1\nDx(u) = 0 on ∂Ω", hard_constraints=True)
    assert list(neumann.module.WEIGHTS) == ["pde", "bc"]
    ring = "(x, y) in disk((0, 0), 1) \\ disk((0, 0), 0.5)\nfield u(x, y)\nΔu = 0\nu = 0 on ∂Ω"
    assert list(sp.compile(ring, hard_constraints=True).module.WEIGHTS) == ["pde", "bc"]
    assert list(sp.compile(CASES[next(iter(CASES))][0]).module.WEIGHTS) == ["pde"]  # on by default
    assert list(sp.compile(CASES[next(iter(CASES))][0], hard_constraints=False).module.WEIGHTS) == ["pde", "bc"]


def test_an_energy_has_its_dirichlet_conditions_built_in_by_default(x64):
    """A penalty moves an energy's minimiser; a `minimize` problem gets u = g + φ·N unless told not to."""
    text = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nminimize ∫ (|∇u|^2/2 - u)\nu = x*y + 1 on ∂Ω weight 500"
    built = sp.compile(text, width=8, depth=2)
    assert list(built.module.WEIGHTS) == ["energy"]
    points = _boundary(built)
    u = built.module.fields(_random_params(built, 1))["u"]
    np.testing.assert_allclose(u(*points), points[0] * points[1] + 1, atol=1e-12)
    assert list(sp.compile(text, hard_constraints=False).module.WEIGHTS) == ["energy"]
    assert list(sp.compile(text, hard_constraints=False, energy_constraints=False).module.WEIGHTS) == ["energy", "bc"]
    # an equation keeps its penalty when hard_constraints is off
    equation = text.replace("minimize ∫ (|∇u|^2/2 - u)", "-Δu = 1")
    assert list(sp.compile(equation, hard_constraints=False).module.WEIGHTS) == ["pde", "bc"]
    assert list(sp.compile(equation).module.WEIGHTS) == ["pde"]


@pytest.mark.slow  # minutes of the suite's budget; `pytest -m slow` runs it
def test_training_with_hard_constraints(tmp_path):
    """Poisson with u = 0 imposed: a short run gets close to the exact solution."""
    compiled = sp.compile(
        "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)\nu = 0 on ∂Ω\n"
        "exact u = sin(pi*x)*sin(pi*y)",
        hard_constraints=True,
        width=16,
        depth=2,
    )
    result = compiled.train(tmp_path, adam_steps=300, bfgs_steps=200, interior_points=512, progress=False)
    assert result.metrics["rel_l2"]["u"] < 2e-2
    assert "bc" not in result.metrics["losses"]
