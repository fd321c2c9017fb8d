"""`symbolic-pinn derive`: the Euler–Lagrange form of an energy, checked numerically.

The derived text is parsed and compiled like any problem; its generated residual
functions are evaluated with closed-form fields (``sympy.lambdify(..., "jax")``
standing in for networks) and compared with strong forms and natural boundary
conditions derived BY HAND in this file and evaluated with SymPy/NumPy.  An
equation "E = 0" may be printed as "−E = 0" (the same equation), so each residual
is compared with the reference up to a global sign of ±1 — never up to any other
factor.  Nothing compares the package with itself.
"""

from __future__ import annotations

import functools
import inspect
import math
import pathlib
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from test_derivatives import jax_function

import symbolic_pinn as sp
from symbolic_pinn._product import cli as _cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
X, Y = sympy.symbols("x y", real=True)
pi = sympy.pi
TOL = 1e-10  # float64 evaluation of the same closed form by two routes, relative to its scale


def derived(text: str) -> str:
    return sp.derive(sp.parse(text))


@functools.cache
def compile_derived(text: str) -> tuple[str, sp.CompiledProblem]:
    out = derived(text)
    # the derived conditions are checked as terms: none built into the network
    return out, sp.compile(out, width=4, depth=1, hard_constraints=False)


def terms_on(compiled, kind: str, **region) -> list[str]:
    return [
        t.name
        for t in compiled.ir.terms
        if t.region.kind == kind and all(getattr(t.region, k) == v for k, v in region.items())
    ]


def residual(compiled, term: str, u, columns: dict) -> np.ndarray:
    fn = getattr(compiled.module, f"residual_{term}")
    names = list(inspect.signature(fn).parameters)
    env = {"u_fn": u, **{k: jnp.asarray(v, dtype=jnp.float64) for k, v in columns.items()}}
    missing = [n for n in names if n not in env]
    assert not missing, f"cannot match {missing} of {fn.__name__}{inspect.signature(fn)}"
    return np.asarray(fn(*[env[n] for n in names]))


def assert_same_equation(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """got = ±want (an equation and its negative are the same equation)."""
    scale = max(1.0, float(np.max(np.abs(want))))
    assert float(np.max(np.abs(want))) > 1e-3, f"{what}: the reference is ~0, the comparison would be empty"
    error = min(np.max(np.abs(got - want)), np.max(np.abs(got + want)))
    assert error <= TOL * scale, f"{what}: off by {error:.3e}\ngot  {got[:4]}\nwant {want[:4]}"


def numeric(expr, symbols, *values):
    return np.broadcast_to(sympy.lambdify(symbols, expr, "numpy")(*values), np.broadcast(*values).shape).astype(float)


RNG = np.random.default_rng(20261124)
XS = RNG.uniform(0, 1, 64)
YS = RNG.uniform(0, 1, 64)


# ---- the Deep Ritz example --------------------------------------------------------------


def test_derive_of_poisson_ritz_parses_compiles_and_has_the_exact_solution(x64):
    spec = sp.parse_file(ROOT / "examples" / "poisson_ritz.pinn")
    text = sp.derive(spec)
    compiled = sp.compile(text, width=4, depth=1, hard_constraints=False)
    assert not [t for t in compiled.ir.terms if t.kind == "energy"], text
    (pde,) = terms_on(compiled, "interior")
    (bc,) = terms_on(compiled, "boundary")
    exact = sympy.sin(pi * X) * sympy.sin(pi * Y)
    u = jax_function(exact, (X, Y))
    inside = {"x": XS, "y": YS}
    assert np.max(np.abs(residual(compiled, pde, u, inside))) <= TOL * 2 * math.pi**2
    edge = {"x": np.r_[np.zeros(16), np.ones(16), XS[:32]], "y": np.r_[YS[:32], np.zeros(16), np.ones(16)]}
    assert np.max(np.abs(residual(compiled, bc, u, edge))) <= TOL
    # not only on the solution: the strong form is −Δu − f for any u (hand-derived)
    other = sympy.exp(X) * sympy.cos(2 * Y) + X**3 * Y
    f = 2 * pi**2 * sympy.sin(pi * X) * sympy.sin(pi * Y)
    want = numeric(-sympy.diff(other, X, 2) - sympy.diff(other, Y, 2) - f, (X, Y), XS, YS)
    assert_same_equation(residual(compiled, pde, jax_function(other, (X, Y)), inside), want, "−Δu − f")
    # and the derived problem keeps the exact solution and the weighted Dirichlet condition
    assert [name for name, _ in compiled.ir.exact] == ["u"]
    assert compiled.module.WEIGHTS[bc] == 500


# ---- a 1-D energy with a boundary term ---------------------------------------------------

ENERGY_1D = "x in [0, 1]\nfield u(x)\nminimize ∫ ((Dx(u))^2/2 + u^4/4 - x*u) + ∮ u^2/2\n"
U1 = sympy.exp(X / 2) * sympy.sin(3 * X) + X**2 + sympy.Rational(1, 3)
# by hand: L = u'²/2 + u⁴/4 − x u, g = u²/2
STRONG_1D = -sympy.diff(U1, X, 2) + U1**3 - X  # ∂L/∂u − d/dx ∂L/∂u'
AT_0 = -sympy.diff(U1, X) + U1  # n = −1: −∂L/∂u' + ∂g/∂u
AT_1 = sympy.diff(U1, X) + U1  # n = +1: +∂L/∂u' + ∂g/∂u


def test_1d_energy_strong_form_and_natural_conditions(x64):
    text, compiled = compile_derived(ENERGY_1D)
    (pde,) = terms_on(compiled, "interior")
    (left,) = terms_on(compiled, "face", variable="x", value=0.0)
    (right,) = terms_on(compiled, "face", variable="x", value=1.0)
    assert not terms_on(compiled, "boundary"), text
    u = jax_function(U1, (X,))
    assert_same_equation(residual(compiled, pde, u, {"x": XS}), numeric(STRONG_1D, (X,), XS), "−u'' + u³ − x")
    zero, one = np.zeros(3), np.ones(3)
    assert_same_equation(residual(compiled, left, u, {"x": zero}), numeric(AT_0, (X,), zero), "−u' + u at x = 0")
    assert_same_equation(residual(compiled, right, u, {"x": one}), numeric(AT_1, (X,), one), "u' + u at x = 1")


def test_1d_natural_conditions_have_the_right_relative_sign(x64):
    """The negative control: the same check rejects u' + u at x = 0 (the sign of n wrong)."""
    _, compiled = compile_derived(ENERGY_1D)
    (left,) = terms_on(compiled, "face", variable="x", value=0.0)
    got = residual(compiled, left, jax_function(U1, (X,)), {"x": np.zeros(3)})
    wrong = numeric(sympy.diff(U1, X) + U1, (X,), np.zeros(3))
    with pytest.raises(AssertionError):
        assert_same_equation(got, wrong, "u' + u at x = 0")


def test_a_dirichlet_face_suppresses_its_natural_condition(x64):
    text, compiled = compile_derived(ENERGY_1D + "u = 0 at x = 0\n")
    (left,) = terms_on(compiled, "face", variable="x", value=0.0)  # only the Dirichlet condition
    (right,) = terms_on(compiled, "face", variable="x", value=1.0)
    u = jax_function(U1, (X,))
    zero, one = np.zeros(3), np.ones(3)
    assert_same_equation(residual(compiled, left, u, {"x": zero}), numeric(U1, (X,), zero), "u at x = 0")
    assert_same_equation(residual(compiled, right, u, {"x": one}), numeric(AT_1, (X,), one), "u' + u at x = 1")


def test_a_dirichlet_boundary_suppresses_every_natural_condition(x64):
    text, compiled = compile_derived(ENERGY_1D + "u = 0 on ∂Ω\n")
    assert not terms_on(compiled, "face"), text
    (bc,) = terms_on(compiled, "boundary")
    ends = np.array([0.0, 1.0])
    got = residual(compiled, bc, jax_function(U1, (X,)), {"x": ends})
    assert_same_equation(got, numeric(U1, (X,), ends), "u on ∂Ω")


def test_a_point_value_at_an_end_suppresses_the_natural_condition():
    text, compiled = compile_derived(ENERGY_1D + "u(0) = 0\n")
    assert not terms_on(compiled, "face", variable="x", value=0.0), text


def test_a_dirichlet_face_in_2d_suppresses_only_that_face(x64):
    energy = "x in [0, 1]; y in [0, 2]\nfield u(x, y)\nminimize ∫ (|∇u|^2/2 - u) + ∮ u^2\nu = 0 at y = 0\n"
    text, compiled = compile_derived(energy)
    f = sympy.sin(X + 2 * Y) + X * Y**2
    u = jax_function(f, (X, Y))
    fx, fy = sympy.diff(f, X), sympy.diff(f, Y)
    # hand-derived: −Δu − 1 = 0; natural ±∂u/∂xᵢ + 2u = 0 on x = 0, x = 1, y = 2; none on y = 0
    (pde,) = terms_on(compiled, "interior")
    assert_same_equation(
        residual(compiled, pde, u, {"x": XS, "y": 2 * YS}),
        numeric(-sympy.diff(f, X, 2) - sympy.diff(f, Y, 2) - 1, (X, Y), XS, 2 * YS),
        "−Δu − 1",
    )
    faces = {
        ("x", 0.0): (-fx + 2 * f, {"x": np.zeros(8), "y": 2 * YS[:8]}),
        ("x", 1.0): (fx + 2 * f, {"x": np.ones(8), "y": 2 * YS[:8]}),
        ("y", 2.0): (fy + 2 * f, {"x": XS[:8], "y": np.full(8, 2.0)}),
        ("y", 0.0): (f, {"x": XS[:8], "y": np.zeros(8)}),  # the Dirichlet condition, as written
    }
    for (variable, value), (want, points) in faces.items():
        (term,) = terms_on(compiled, "face", variable=variable, value=value)
        got = residual(compiled, term, u, points)
        assert_same_equation(got, numeric(want, (X, Y), points["x"], points["y"]), f"at {variable} = {value}")


# ---- a curved boundary: Dn(u) ------------------------------------------------------------

DISK_ENERGY = "(x, y) in disk((0, 0), 1)\nfield u(x, y)\nminimize ∫ (3*|∇u|^2/2 - x*u) + ∮ u^2/2\n"


def test_a_disk_energy_gives_a_normal_derivative_condition(x64):
    text, compiled = compile_derived(DISK_ENERGY)
    assert "Dn(u)" in text and "on ∂Ω" in text, text
    (bc,) = terms_on(compiled, "boundary")
    (pde,) = terms_on(compiled, "interior")
    f = sympy.exp(X) * sympy.sin(Y) + X**2 * Y
    u = jax_function(f, (X, Y))
    fx, fy = sympy.diff(f, X), sympy.diff(f, Y)
    # points on the unit circle, with the outward normal n = p computed here
    angle = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    px, py = np.cos(angle), np.sin(angle)
    got = residual(compiled, bc, u, {"x": px, "y": py, "n_x": px, "n_y": py})
    # by hand: 3 ∂ₙu + u = 0 (∂L/∂∇u = 3∇u, ∂g/∂u = u)
    want = 3 * (px * numeric(fx, (X, Y), px, py) + py * numeric(fy, (X, Y), px, py)) + numeric(f, (X, Y), px, py)
    assert_same_equation(got, want, "3 Dn(u) + u on the circle")
    r, theta = np.sqrt(XS), 2 * math.pi * YS  # points inside the disk
    ix, iy = r * np.cos(theta), r * np.sin(theta)
    strong = -3 * (sympy.diff(f, X, 2) + sympy.diff(f, Y, 2)) - X
    got = residual(compiled, pde, u, {"x": ix, "y": iy})
    assert_same_equation(got, numeric(strong, (X, Y), ix, iy), "−3Δu − x")


def test_a_dirichlet_condition_on_a_disk_suppresses_dn():
    text, compiled = compile_derived(DISK_ENERGY + "u = 0 on ∂Ω\n")
    assert "Dn" not in text, text
    (bc,) = terms_on(compiled, "boundary")
    assert not compiled.module.NORMALS, text


def test_derive_keeps_the_interval_ends():
    text = derived("x in [0, pi]\nfield u(x)\nminimize ∫ (Dx(u)^2/2 - u)\n")
    (variable,) = sp.parse(text).variables
    assert float(variable[2]) == math.pi, text


# ---- the command ---------------------------------------------------------------------------


def test_cli_derive_prints_the_derived_problem(capsys):
    path = ROOT / "examples" / "poisson_ritz.pinn"
    code = _cli.main(["derive", str(path)])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert out == sp.derive(sp.parse_file(path))


def test_cli_derive_without_minimize_exits_1_with_one_error():
    path = ROOT / "examples" / "poisson.pinn"
    result = subprocess.run(
        [sys.executable, "-m", "symbolic_pinn", "derive", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "minimize" in lines[0], result.stderr
    assert sum(line.startswith("error") for line in lines) == 1
    assert all(line.startswith("  = help: ") for line in lines[1:]), result.stderr


def _interior_and_faces(text: str):
    spec = sp.parse(text)
    interior = [t.expr for t in spec.terms if t.region.kind == "interior"]
    faces = [t for t in spec.terms if t.region.kind == "face"]
    return spec, interior, faces


def test_a_smoothed_delta_source_survives_derive():
    """expand pulled exp(-1250) = 7e-543 out of the Gaussian: printed as 0, the source vanished (issue #28)."""
    width = 0.01
    text = derived(
        "x in [0, 1]\nfield u(x)\nminimize ∫ (Dx(u)^2/2 - delta(x - 0.5)*u)\nu = 0 at x = 0\nu = 0 at x = 1\n"
    )
    spec, (strong,), _ = _interior_and_faces(text)
    (x,) = [s for s, _, _ in spec.variables]
    u = sympy.Function("u")
    # SymPy's own Euler–Lagrange equation of the energy with the Gaussian written out
    gaussian = sympy.exp(-((X - sympy.Rational(1, 2)) ** 2) / (2 * width**2)) / (sympy.sqrt(2 * pi) * width)
    (want,) = sympy.calculus.euler.euler_equations(u(X).diff(X) ** 2 / 2 - gaussian * u(X), [u(X)], [X])
    trial = sympy.sin(3 * X) + X**2
    for point in (0.49, 0.5, 0.52):
        got = float(strong.subs(spec.fields[0], trial.subs(X, x)).doit().subs(x, point))
        ref = float(want.lhs.subs(u(X), trial).doit().subs(X, point))
        assert abs(ref) > 1.0  # the source dominates near its centre
        assert math.isclose(abs(got), abs(ref), rel_tol=1e-9) and got * ref != 0


def test_a_condition_on_half_a_face_keeps_the_natural_condition_on_the_other_half():
    """A condition at x = 0 that holds only for y < 0.5 no longer drops the natural one on all of x = 0."""
    text = derived(
        "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nminimize ∫ (|∇u|^2/2 - u)\n"
        "(if y < 0.5 then u else 0) = 0 at x = 0\nu = 0 at x = 1\nu = 0 at y = 0\nu = 0 at y = 1\n"
    )
    spec, _, faces = _interior_and_faces(text)
    x, y = (s for s, _, _ in spec.variables)
    natural = [
        t.expr for t in faces if t.region.value == 0.0 and t.region.variable == "x" and t.expr.has(sympy.Derivative)
    ]
    assert len(natural) == 1, text
    trial = sympy.exp(x) * (1 + y)  # ∂u/∂x = 1 + y at x = 0
    value = natural[0].subs(spec.fields[0], trial).doit()
    assert float(value.subs({x: 0, y: 0.25})) == 0.0  # pinned there: no natural condition
    assert math.isclose(abs(float(value.subs({x: 0, y: 0.75}))), 1.75, rel_tol=1e-12)  # −∂L/∂u_x = −u_x
