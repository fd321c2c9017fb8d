"""Exact constraints derived by the compiler: initial conditions (u = g + (t − t₀)·N, and
g + (t − t₀)·h + (t − t₀)²·N for second order in t) and periodic embeddings (cos and sin
of the coordinate).  Each holds to rounding for any network and fails without it; the
derivatives through them are SymPy's; the settings turn them off; plan and code show them.
No training: random networks only."""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from test_hard_constraints import _random_params  # random weights for any compiled problem

import symbolic_pinn as sp
from symbolic_pinn._product import cli as _cli

X, T = sympy.symbols("x t", real=True)

BURGERS = (
    "x in [-1, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) + u*Dx(u) = 0.01*Dxx(u)\n"
    "u = -sin(pi*x) at t = 0\nu = 0 at x = -1\nu = 0 at x = 1"
)
WAVE = (
    "x in [0, 1]; t in [0, 2]\nfield u(x, t)\nDtt(u) = Dxx(u)\n"
    "u = sin(pi*x) + x^2 at t = 0\nDt(u) = sin(pi*x)*cos(x) at t = 0\nu = 0 at x = 0\nu = 1 at x = 1"
)
PERIODIC = (
    "x in [-1, 2]; t in [0, 1]\nfield u(x, t)\nDt(u) + u*Dx(u) + Dxxx(u) = 0.1*Dxx(u)\n"
    "u = cos(2*pi*x/3) at t = 0\nu(-1, t) = u(2, t)\nDx(u)(-1, t) = Dx(u)(2, t)"
)


def _d(f, i):
    """∂f/∂(argument i) of a pointwise function of (x, t), by jax.jvp (independent of the generated code)."""

    def df(*xs):
        return jax.jvp(lambda v: f(*xs[:i], v, *xs[i + 1 :]), (xs[i],), (jnp.ones_like(xs[i]),))[1]

    return df


@pytest.fixture(scope="module")
def compiled():
    """Each test problem with its initial condition built in, with the Dirichlet conditions too, and with neither."""
    ic_only = {"exact_initial": True, "hard_constraints": False}
    return {
        "burgers": sp.compile(BURGERS, width=8, depth=2, **ic_only),
        "burgers, hard": sp.compile(BURGERS, width=8, depth=2, exact_initial=True, hard_constraints=True),
        "burgers, off": sp.compile(BURGERS, width=8, depth=2, exact_initial=False, hard_constraints=False),
        "wave": sp.compile(WAVE, width=8, depth=2, **ic_only),
        "wave, hard": sp.compile(WAVE, width=8, depth=2, exact_initial=True, hard_constraints=True),
        "wave, off": sp.compile(WAVE, width=8, depth=2, exact_initial=False, hard_constraints=False),
        "periodic": sp.compile(PERIODIC, width=2, depth=1, **ic_only),
        "periodic, off": sp.compile(PERIODIC, width=2, depth=1, periodic_embedding=False, exact_initial=False),
    }


def _violation(compiled, seed, check):
    """The largest |got − want| over the pairs ``check(u)`` yields, for a random network (jitted: eager nested
    jvp is slow)."""
    with jax.enable_x64(True):

        def pairs(params):
            return [(got, jnp.asarray(want)) for got, want in check(compiled.module.fields(params)["u"])]

        return max(float(jnp.max(jnp.abs(got - want))) for got, want in jax.jit(pairs)(_random_params(compiled, seed)))


XS = np.linspace(-1, 1, 17)


def _initial_value(u):
    yield u(jnp.asarray(XS), jnp.zeros(17)), -np.sin(np.pi * XS)


def _ends(u):
    ts = jnp.linspace(0, 1, 9)
    yield u(-jnp.ones(9), ts), 0.0
    yield u(jnp.ones(9), ts), 0.0


@pytest.mark.parametrize("seed", [0, 1])
def test_the_initial_value_holds_exactly_for_any_network(compiled, seed):
    assert list(compiled["burgers"].module.WEIGHTS) == ["pde", "bc1", "bc2"]  # the ic left the loss
    assert _violation(compiled["burgers"], seed, _initial_value) < 1e-14
    assert _violation(compiled["burgers, off"], seed, _initial_value) > 1e-2  # a free network misses it
    assert "ic" in compiled["burgers, off"].module.WEIGHTS


def test_initial_and_dirichlet_conditions_together_hold_exactly(compiled):
    """g + φ_D·τ·N: the initial value and both ends, whatever the network."""
    assert list(compiled["burgers, hard"].module.WEIGHTS) == ["pde"]
    for seed in range(2):
        assert _violation(compiled["burgers, hard"], seed, _initial_value) < 1e-14
        assert _violation(compiled["burgers, hard"], seed, _ends) < 1e-14
    assert _violation(compiled["burgers"], 0, _ends) > 1e-2  # without hard_constraints the ends stay terms


def _wave_start(u):
    xs = np.linspace(0, 1, 13)
    zero = jnp.zeros(13)
    yield u(jnp.asarray(xs), zero), np.sin(np.pi * xs) + xs**2
    yield _d(u, 1)(jnp.asarray(xs), zero), np.sin(np.pi * xs) * np.cos(xs)


def _wave_ends(u):
    ts = jnp.linspace(0, 2, 9)
    yield u(jnp.zeros(9), ts), 0.0
    yield u(jnp.ones(9), ts), 1.0


def test_second_order_in_time_builds_in_the_initial_velocity(compiled):
    assert list(compiled["wave"].module.WEIGHTS) == ["pde", "bc1", "bc2"]
    assert list(compiled["wave, hard"].module.WEIGHTS) == ["pde"]  # g(1) = 1 = the right end: compatible
    for seed in range(2):
        assert _violation(compiled["wave"], seed, _wave_start) < 1e-13
        assert _violation(compiled["wave, hard"], seed, _wave_start) < 1e-13
        assert _violation(compiled["wave, hard"], seed, _wave_ends) < 1e-13
    assert _violation(compiled["wave, off"], 0, _wave_start) > 1e-2
    assert {"ic1", "ic2"} <= set(compiled["wave, off"].module.WEIGHTS)


def _periodic_pairs(u):
    ts = jnp.linspace(0, 1, 9)
    a, b = -jnp.ones(9), 2 * jnp.ones(9)
    f = u
    for _ in range(3):  # u, u_x, u_xx at the two ends
        yield f(a, ts), f(b, ts)
        f = _d(f, 0)


def test_the_periodic_embedding_makes_every_derivative_periodic(compiled):
    assert compiled["periodic"].module.LAYERS["u"][0] == 3  # cos θ, sin θ, t
    assert list(compiled["periodic"].module.WEIGHTS) == ["pde"]
    for seed in range(2):
        assert _violation(compiled["periodic"], seed, _periodic_pairs) < 1e-12
    assert _violation(compiled["periodic, off"], 0, _periodic_pairs) > 1e-2
    assert list(compiled["periodic, off"].module.WEIGHTS) == ["pde", "ic", "bc1", "bc2"]


@pytest.mark.parametrize("ends", [("0", "2*pi"), ("2*pi", "0"), ("-pi/2", "3*pi/2")])
def test_a_periodic_pair_with_symbolic_ends_is_built_in(ends):
    """`u(0, t) = u(2*pi, t)` on x in [0, 2*pi]: the ends compared as the numbers they are
    (before, only literal numbers made a pair, and this one stayed a penalty)."""
    lo, hi = ends if ends[0] != "2*pi" else ends[::-1]
    text = (
        f"x in [{lo}, {hi}]; t in [0, 1]\nfield u(x, t)\nDt(u) + 40*Dx(u) = 0\nu = sin(x) at t = 0\n"
        f"u({ends[0]}, t) = u({ends[1]}, t)"
    )
    c = sp.compile(text, width=4, depth=1)
    assert list(c.module.WEIGHTS) == ["pde"] and c.module.LAYERS["u"][0] == 3  # cos θ, sin θ, t
    assert "u and every derivative periodic in x" in c.format_plan()
    with jax.enable_x64(True):
        u = c.module.fields(_random_params(c, 0))["u"]
        ts = jnp.linspace(0, 1, 7)
        values = {"0": 0.0, "2*pi": 2 * np.pi, "-pi/2": -np.pi / 2, "3*pi/2": 3 * np.pi / 2}
        a, b = (values[e] * jnp.ones(7) for e in (lo, hi))
        np.testing.assert_allclose(u(a, ts), u(b, ts), atol=1e-12)


def test_derivatives_through_the_embedding_are_sympys(compiled, x64):
    """u_t + u·u_x + u_xxx − 0.1·u_xx on cos(2πx/3) + t·N(cos θ, sin θ, t): nested jvp, the
    second-order pass and the collapsed Taylor jet of order 3, against SymPy's diff."""
    c = compiled["periodic"]
    assert "collapsed_jet" in c.source  # the third derivative takes the Taylor-mode path
    params = _random_params(c, 3)
    theta = 2 * sympy.pi * (X + 1) / 3
    h = [sympy.cos(theta), sympy.sin(theta), (T - sympy.Rational(1, 2)) / sympy.Rational(1, 2)]
    for w, b in params["u"][:-1]:
        w, b = np.asarray(w), np.asarray(b)
        h = [sympy.tanh(sum(float(w[i, j]) * h[i] for i in range(len(h))) + float(b[j])) for j in range(w.shape[1])]
    w, b = (np.asarray(a) for a in params["u"][-1])
    u = sympy.cos(2 * sympy.pi * X / 3) + T * (sum(float(w[i, 0]) * h[i] for i in range(len(h))) + float(b[0]))
    residual = (
        sympy.diff(u, T) + u * sympy.diff(u, X) + sympy.diff(u, X, 3) - sympy.Rational(1, 10) * sympy.diff(u, X, 2)
    )
    rng = np.random.default_rng(5)
    xs, ts = rng.uniform(-1, 2, 5), rng.uniform(0, 1, 5)
    want = sympy.lambdify((X, T), residual, "numpy", cse=True)(xs, ts)
    residual_pde = jax.jit(lambda p, x, t: c.module.residual_pde(c.module.fields(p)["u"], x, t))
    got = residual_pde(params, jnp.asarray(xs), jnp.asarray(ts))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_plan_and_code_show_the_built_in_conditions(compiled):
    plan = compiled["periodic"].format_plan()
    assert plan.startswith("u = cos(0.6666666666666666*pi*x) + t·N(cos θ_x, sin θ_x, t)    exact constraints:\n")
    assert "  θ_x = 2π(x + 1)/3: u and every derivative periodic in x\n" in plan
    assert "  u(-1, t) = u(2, t)    (term bc1 leaves the loss)\n" in plan
    source = compiled["periodic"].source
    assert 'PeriodicInputs(Network(params["u"], centre=(0, 0, 0.5), half_width=(1, 1, 0.5)), ((0, -1, 2),))' in source
    assert 'def boundary_u(x, t):\n    """g: meets `u = cos(2*pi*x/3) at t = 0` exactly' in source
    hard = compiled["wave, hard"].format_plan()
    assert hard.startswith(
        "u = x^2 + sin(pi*x) + t*sin(pi*x)*cos(x) + 4*x*(1 - x)*(0.5*t)^2·N(x, t)    exact constraints:\n"
    )
    assert compiled["burgers, off"].format_plan().startswith("term pde")  # nothing built in


def test_the_settings_turn_them_off_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "p.pinn"
    path.write_text(PERIODIC)
    assert _cli.main(["compile", str(path), "--emit", "plan"]) == 0
    assert "exact constraints" in capsys.readouterr().out
    assert _cli.main(["compile", str(path), "--emit", "plan", "--no-exact-initial", "--no-periodic-embedding"]) == 0
    assert "exact constraints" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, kept",
    [
        # two times: a boundary-value problem in t, left to the loss
        ("Dt(u) = Dxx(u)\nu = 0 at t = 0\nu = 1 at t = 1", ["pde", "ic", "tc"]),
        # not linear in u
        ("Dt(u) = Dxx(u)\nu^3 = 1 at t = 0", ["pde", "ic"]),
        # the initial velocity of a first-order equation stays a term (the value is built in)
        ("Dt(u) = Dxx(u)\nu = x at t = 0\nDt(u) = 0 at t = 0", ["pde", "ic2"]),
        # a derivative pair alone does not make x periodic
        ("Dt(u) = Dxx(u)\nDx(u)(0, t) = Dx(u)(1, t)", ["pde", "bc"]),
        # initial data that are not periodic stay a term; the pair is built in
        ("Dt(u) = Dxx(u)\nu = x at t = 0\nu(0, t) = u(1, t)", ["pde", "ic"]),
    ],
)
def test_conditions_that_cannot_be_built_in_stay_terms(text, kept):
    c = sp.compile("x in [0, 1]; t in [0, 1]\nfield u(x, t)\n" + text, width=4, depth=1, exact_initial=True)
    assert list(c.module.WEIGHTS) == kept


def test_disagreeing_corners_build_in_the_initial_condition_only(x64):
    """u = 1 on the ends but 0 at t = 0: no φ can meet both, so the ends stay terms."""
    text = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = 0 at t = 0\nu = 1 on ∂Ω"
    c = sp.compile(text, width=4, depth=1, hard_constraints=True, exact_initial=True)
    assert list(c.module.WEIGHTS) == ["pde", "bc"]
    u = c.module.fields(_random_params(c, 0))["u"]
    np.testing.assert_allclose(u(jnp.linspace(0, 1, 5), jnp.zeros(5)), 0.0, atol=1e-15)


def test_a_run_saved_before_these_settings_existed_reloads_without_them(tmp_path):
    """Its settings lack exact_initial and periodic_embedding: its networks had neither."""
    from symbolic_pinn._product.run import PROBLEM_FILE, _recompile

    (tmp_path / PROBLEM_FILE).write_text(PERIODIC, encoding="utf-8")
    old = _recompile(tmp_path, {"settings": {"width": 4, "depth": 1}})
    assert not old.network.exact_initial and not old.network.periodic_embedding
    assert list(old.module.WEIGHTS) == ["pde", "ic", "bc1", "bc2"]
    new = _recompile(tmp_path, {"settings": {"width": 4, "depth": 1, "exact_initial": True}})
    assert new.network.exact_initial and list(new.module.WEIGHTS) == ["pde", "bc1", "bc2"]


@pytest.mark.parametrize(
    "data",
    ["max(x - 0.5, 0)", "abs(x - 0.5)", "if x < 0.5 then 0 else x - 0.5", "min(x, 0.5) - 0.5*heaviside(x - 0.5)"],
)
def test_data_with_a_kink_or_a_jump_stay_terms(data):
    """N would have to undo a kink: such an initial or boundary condition stays a loss term,
    while the smooth conditions beside it are built in."""
    heat = (
        f"x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = {data} at t = 0\nu = 0 at x = 0\nu = 0 at x = 1"
    )
    assert list(sp.compile(heat, width=2, depth=1).module.WEIGHTS) == ["pde", "ic"]
    smooth = heat.replace(data, "x*(1 - x)")
    assert list(sp.compile(smooth, width=2, depth=1).module.WEIGHTS) == ["pde"]
    box = f"x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔu = 0\nu = {data} on ∂Ω"
    assert list(sp.compile(box, width=2, depth=1).module.WEIGHTS) == ["pde", "bc"]


def test_the_plan_names_each_periodic_field():
    """The periodic line names its field (it said `u` for every field: Schrödinger's h_re, h_im)."""
    examples = pathlib.Path(__file__).resolve().parent.parent / "examples"
    plan = sp.compile(sp.parse_file(examples / "schrodinger.pinn")).format_plan()
    assert "  θ_x = 2π(x + 5)/10: h_re and every derivative periodic in x\n" in plan
    assert "  θ_x = 2π(x + 5)/10: h_im and every derivative periodic in x\n" in plan
    assert "u and every derivative" not in plan
