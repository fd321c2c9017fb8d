"""Terms at the same points share each field's derivatives (``_plan.SharedPlan``).

The planner merges what equations on one region read of a field into one plan (one
fused pass gives Δu for one equation and u_x for another); the generated ``residuals``
takes that path when the terms are given the very same arrays, and the trainer gives
them those inside its jitted steps.  The residuals are checked against derivatives
computed point by point with ``jax.grad`` and ``jax.hessian``, never against the
per-term path.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._compiler import plan as _plan
from symbolic_pinn._config import TrainConfig
from symbolic_pinn._runtime import together
from symbolic_pinn._training import steps as _steps
from symbolic_pinn._training.points import initial_points

NAVIER_STOKES = """
x in [0, 1]; y in [0, 1]
field u(x, y), v(x, y), p(x, y)
u*Dx(u) + v*Dy(u) + Dx(p) - Δu/10 = sin(x)
u*Dx(v) + v*Dy(v) + Dy(p) - Δv/10 = y
Dx(u) + Dy(v) = 0
u = 0 on ∂Ω
v = 0 on ∂Ω
p(1, 0.5) = 0.25
"""


@pytest.fixture(scope="module")
def navier_stokes():
    return symbolic_pinn.compile(NAVIER_STOKES, width=6, depth=2)


def test_equations_on_the_interior_share_one_pass_per_field(navier_stokes):
    schedule = navier_stokes.schedule
    (shared,) = schedule.shared
    assert shared.terms == ("pde1", "pde2", "pde3")  # not bc3: p at a fixed point
    plans = {fp.field: fp for fp in shared.fields}
    # u: one fused pass gives the value, u_x, u_y and Δu that pde1, pde2 and pde3 read
    (step,) = plans["u"].steps
    assert isinstance(step, _plan.Collapse) and step.value == (0, 0) and step.gradient == ((1, 0), (0, 1))
    assert {type(st) for st in plans["p"].steps} == {_plan.Evaluate}  # p_x and p_y: one jvp each
    text = _plan.format_schedule(schedule, navier_stokes.ir)
    assert "terms pde1, pde2, pde3    # at the same points" in text
    assert 'SHARED = (("pde1", "pde2", "pde3"),)' in navier_stokes.source


@pytest.mark.parametrize(
    "text",
    [
        # different sums of second derivatives of u: two passes, so they stay apart
        "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nΔu = 1\nDxx(u)*u = 0\nu = 0 on ∂Ω",
        # an integral, a normal derivative: per term, so pde2 has nobody to share with
        "x in [0, 1]\nfield u(x)\nDx(u) = ∫(u(s), s, 0, x)\nDxx(u) + u = 0\nDn(u) = 0 on ∂Ω",
        # no field in common
        "x in [0, 1]; y in [0, 1]\nfield u(x, y), v(x, y)\nΔu = x\nΔv = y\nu = 0 on ∂Ω\nv = 0 on ∂Ω",
    ],
)
def test_terms_stay_apart_where_sharing_would_change_or_gain_nothing(text):
    compiled = symbolic_pinn.compile(text, width=4, depth=1)
    assert compiled.schedule.shared == ()
    assert "SHARED = ()" in compiled.source and "together(" not in compiled.source


def _reference(net, x, y):
    """Each field's value, gradient and Laplacian point by point, by reverse mode."""

    def at(f):
        def scalar(px, py):
            return f(px[None], py[None])[0]

        grad = jax.vmap(jax.grad(scalar, argnums=(0, 1)))(x, y)
        hess = jax.vmap(jax.hessian(scalar, argnums=(0, 1)))(x, y)
        return f(x, y), grad, hess[0][0] + hess[1][1]

    return {name: at(net[name]) for name in ("u", "v", "p")}


def test_shared_residuals_match_reverse_mode_and_are_the_ones_taken(x64, navier_stokes, monkeypatch):
    module = navier_stokes.module
    params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), navier_stokes.init_params(jax.random.PRNGKey(1)))
    rng = np.random.default_rng(0)
    x, y = (jnp.asarray(rng.uniform(0, 1, 7)) for _ in range(2))
    calls = []
    monkeypatch.setattr(
        module, "residuals_pde1_pde2_pde3", lambda *a, f=module.residuals_pde1_pde2_pde3: calls.append(1) or f(*a)
    )
    columns = (x, y)
    r = module.residuals(params, {"pde1": columns, "pde2": columns, "pde3": columns, "bc3": columns})
    assert calls == [1]
    d = _reference(module.fields(params), x, y)
    (u, (u_x, u_y), lap_u), (v, (v_x, v_y), lap_v), (_, (p_x, p_y), _) = d["u"], d["v"], d["p"]
    np.testing.assert_allclose(r["pde1"], u * u_x + v * u_y + p_x - lap_u / 10 - jnp.sin(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r["pde2"], u * v_x + v * v_y + p_y - lap_v / 10 - y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r["pde3"], u_x + v_y, rtol=1e-10, atol=1e-12)
    p_point = module.fields(params)["p"](jnp.ones(1), jnp.full(1, 0.5))
    np.testing.assert_allclose(r["bc3"], jnp.full(7, p_point[0] - 0.25), rtol=1e-12)
    # equal arrays that are not the same objects: each term by its own function, the same numbers
    apart = module.residuals(params, {name: (x + 0, y + 0) for name in ("pde1", "pde2", "pde3")})
    assert calls == [1]
    for name in ("pde1", "pde2", "pde3"):
        np.testing.assert_allclose(apart[name], r[name], rtol=1e-10, atol=1e-12)


def test_a_point_condition_evaluates_its_field_once(navier_stokes):
    seen = []

    def p_fn(x, y):
        seen.append(x.shape)
        return 3 * x + y

    x = jnp.linspace(0, 1, 5)
    residual = navier_stokes.module.residual_bc3(p_fn, x, x)
    assert seen == [(1,)]
    np.testing.assert_allclose(residual, jnp.full(5, 3 + 0.5 - 0.25))


@pytest.mark.parametrize("micro_batch", [1, 2])
def test_the_training_loss_takes_the_shared_path(navier_stokes, monkeypatch, micro_batch):
    module = navier_stokes.module
    calls = []
    monkeypatch.setattr(
        module, "residuals_pde1_pde2_pde3", lambda *a, f=module.residuals_pde1_pde2_pde3: calls.append(1) or f(*a)
    )
    config = TrainConfig(interior_points=64, boundary_points=32, micro_batch=micro_batch)
    points = initial_points(navier_stokes, config, jnp.float32)
    assert together(points, ("pde1", "pde2", "pde3"))  # one draw per region: the same arrays
    weights = {name: jnp.float32(1) for name in points}
    total = _steps.objective(navier_stokes, config)
    params = navier_stokes.init_params(jax.random.PRNGKey(0))
    jax.jit(lambda p, x: total(p, x, weights)[0])(params, points)  # separate tracers: shared inside
    assert len(calls) == (1 if micro_batch == 1 else 2)  # the scan's body, and the remainder's call


def test_points_of_a_group_must_be_equal():
    x = jnp.linspace(0, 1, 4)
    groups = (("a", "b"),)
    _steps.check_together({"a": (x,), "b": (x + 0,)}, groups)  # equal: fine
    with pytest.raises(RuntimeError, match="different points"):
        _steps.check_together({"a": (x,), "b": (x + 1,)}, groups)
