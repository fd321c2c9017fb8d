"""Manufactured solutions: every example's `exact` solution satisfies the generated loss.

For each ``examples/*.pinn`` with an ``exact`` line, the generated term functions are
called with each field replaced by its exact solution (``module.EXACT``):

* every equation's residual vanishes at random points of the term's region (interior,
  the whole boundary, or one face), to 1e-8 of the scale of the term;
* for energies (``minimize``), the exact solution is a stationary point: the first
  variation d/dε J(u* + εφ) at ε = 0 vanishes for smooth φ that vanish on ∂Ω, with J
  integrated by tensor Gauss–Legendre quadrature, and u* is a minimum along φ;
* negative controls: slightly wrong solutions (1.01·u*, u* plus a small smooth bump)
  are clearly detected by the same measurements, so the checks can fail.

New examples are picked up automatically.
"""

from __future__ import annotations

import functools
import inspect
import pathlib
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import symbolic_pinn as sp
from symbolic_pinn._compiler.emit import python_name
from symbolic_pinn._compiler.exact import MAX_VARIABLES

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parent.parent / "examples").glob("*.pinn"))
TOL = 1e-8  # relative to the scale of a term, in float64
DETECT = 1e-4  # a wrong solution must be off by at least this much, relative
N_POINTS = 512
N_GAUSS = 24  # Gauss–Legendre nodes per axis


# every condition of the text a term, none built into the networks: the terms are under test here
EVERY_TERM = {
    "exact_initial": False,
    "periodic_embedding": False,
    "hard_constraints": False,
    "energy_constraints": False,
}


@functools.cache
def compile_example(path: pathlib.Path) -> sp.CompiledProblem:
    return sp.compile(sp.parse_file(path), **EVERY_TERM)


def seed_of(path: pathlib.Path, salt: str = "") -> int:
    return zlib.crc32(f"{path.name}:{salt}".encode())


def test_examples_are_found(examples_dir):
    assert EXAMPLES, f"no *.pinn files in {examples_dir}"
    assert {p.name for p in EXAMPLES} == {p.name for p in examples_dir.glob("*.pinn")}
    assert any(compile_example(p).module.EXACT for p in EXAMPLES), "no example has an exact solution"


# ---- points ---------------------------------------------------------------------------


def sample(module, term: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """n uniform random points of a term's region of the box ``DOMAIN`` (name → (lo, hi)).

    A shaped domain, or a term with the outward normal, takes its points and normals
    from the module's own sampler; the geometry itself is tested in test_domains.py.
    """
    domain, region = module.DOMAIN, module.REGIONS[term]
    # a shaped domain, the normal, a `region` of the problem: the module's own sampler
    if module.SHAPE is not None or term in module.NORMALS or region[0] in ("within", "shaped"):
        columns = module.sample_region(
            int(rng.integers(2**31)), region, n, domain, module.SHAPE, term in module.NORMALS
        )
        return dict(zip(list(domain) + [f"n_{v}" for v in domain if v != "t"], columns))
    names = list(domain)
    lo = np.array([domain[v][0] for v in names], dtype=float)
    hi = np.array([domain[v][1] for v in names], dtype=float)
    points = lo + (hi - lo) * rng.random((n, len(names)))
    if region[0] == "interior":
        pass
    elif region[0] == "face":
        points[:, names.index(region[1])] = region[2]
    elif region[0] == "boundary":  # the spatial boundary at every time
        axis = rng.choice([j for j, v in enumerate(names) if v != "t"], size=n)
        side = rng.integers(2, size=n).astype(bool)
        points[np.arange(n), axis] = np.where(side, hi[axis], lo[axis])
    else:
        raise AssertionError(f"the test does not know the region {region!r}: teach `sample` about it")
    return {v: points[:, j] for j, v in enumerate(names)}


def gauss_legendre(domain: dict, region: tuple, n: int = N_GAUSS) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Tensor Gauss–Legendre nodes and weights for ∫ over a region (interior, boundary or a face)."""
    names = list(domain)
    nodes, weights = np.polynomial.legendre.leggauss(n)
    axes = {v: (lo + (hi - lo) * (nodes + 1) / 2, weights * (hi - lo) / 2) for v, (lo, hi) in domain.items()}

    def box(fixed: dict[str, float]):
        free = [v for v in names if v not in fixed]
        grids = np.meshgrid(*[axes[v][0] for v in free], indexing="ij")
        wgrids = np.meshgrid(*[axes[v][1] for v in free], indexing="ij")
        size = grids[0].size if free else 1
        points = {}
        for v in names:
            points[v] = np.full(size, float(fixed[v])) if v in fixed else grids[free.index(v)].ravel()
        w = np.prod([g.ravel() for g in wgrids], axis=0) if free else np.ones(1)
        return points, w

    if region[0] == "interior":
        return box({})
    if region[0] == "face":
        return box({region[1]: region[2]})
    if region[0] == "boundary":
        parts = [box({v: end}) for v in names for end in domain[v]]
        return {v: np.concatenate([p[v] for p, _ in parts]) for v in names}, np.concatenate([w for _, w in parts])
    raise AssertionError(f"the test does not know the region {region!r}: teach `gauss_legendre` about it")


def test_gauss_legendre_integrates():
    """The quadrature itself: over the box, a face, and the whole boundary of [0, 2] × [-1, 1]."""
    domain = {"x": (0, 2), "y": (-1, 1)}
    points, w = gauss_legendre(domain, ("interior",))
    assert np.isclose(w.sum(), 4.0)
    assert np.isclose(np.sum(w * points["x"] ** 2 * np.cos(points["y"])), 8 / 3 * 2 * np.sin(1))
    points, w = gauss_legendre(domain, ("face", "y", 1))
    assert np.isclose(w.sum(), 2.0) and np.all(points["y"] == 1)
    assert np.isclose(np.sum(w * np.exp(points["x"])), np.exp(2) - 1)
    points, w = gauss_legendre(domain, ("boundary",))
    assert np.isclose(w.sum(), 8.0) and np.isclose(np.sum(w * points["x"]), 8.0)


# ---- calling the generated term functions -----------------------------------------------


def term_function(module, term: str):
    return getattr(module, f"residual_{term}", None) or getattr(module, f"integrand_{term}")


def term_inputs(compiled: sp.CompiledProblem, term: str) -> tuple[list[str], list[str]]:
    """(fields, unknowns) a term's generated function takes, read from its signature."""
    module = compiled.module
    params = list(inspect.signature(term_function(module, term)).parameters)
    # a data term ends with the observed values, <field>_observed, after the coordinates
    while params and params[-1].endswith("_observed") and params[-1][: -len("_observed")] in module.FIELDS:
        params.pop()
    # a term with the outward normal (Dn) takes its components after the coordinates
    normals = [f"n_{v}" for v in module.DOMAIN if v != "t"]
    if term in module.NORMALS:
        assert params[len(params) - len(normals) :] == normals, f"{term}: normals after the coordinates: {params}"
        del params[len(params) - len(normals) :]
    coords = [python_name(v) for v in module.DOMAIN]  # a name Python or the module holds gets a _: r → r_
    assert params[len(params) - len(coords) :] == coords, f"{term}: coordinates last, in DOMAIN order: {params}"
    fields, unknowns = [], []
    for p in params[: len(params) - len(coords)]:
        if p.endswith("_fn") and p[: -len("_fn")] in module.FIELDS:
            fields.append(p[: -len("_fn")])
        elif p in module.UNKNOWNS:
            unknowns.append(p)
        else:
            raise AssertionError(f"{term}: cannot tell what the parameter {p!r} is")
    return fields, unknowns


def evaluate(module, term: str, fields: dict, points: dict) -> np.ndarray:
    """The term's pointwise residual (or integrand), fields given as functions.

    ``points`` maps each coordinate (and, for a data term, each ``<field>_observed``)
    to its values.
    """
    fn = term_function(module, term)
    names = list(inspect.signature(fn).parameters)
    coords = list(module.DOMAIN)
    by_name = {f"{name}_fn": f for name, f in fields.items()}
    points = {python_name(k): v for k, v in points.items()} | points  # the module's argument names: r → r_
    arrays = [n for n in names if n in points]

    def run(*xs):
        env = dict(by_name, **dict(zip(arrays, xs)))
        return fn(*[env[n] for n in names])

    out = run(*[jnp.asarray(points[c], dtype=jnp.float64) for c in arrays])  # eagerly: no compilation per call
    assert out.dtype == jnp.float64 and out.shape == (len(points[coords[0]]),)
    return np.asarray(out)


def scaled(f, factor):
    return lambda *args: factor * f(*args)


def zero(*args):
    return jnp.zeros_like(args[0])


def bump(domain: dict, args: tuple[str, ...]):
    """A smooth function of a field's arguments that is nowhere special (not 0 on ∂Ω, not harmonic)."""
    bounds = [domain[a] for a in args]

    def f(*xs):
        s = [(x - lo) / (hi - lo) for x, (lo, hi) in zip(xs, bounds)]
        return jnp.exp(0.3 * s[0]) * jnp.cos(1.7 * s[-1] + 0.4) * (1 + sum(s) ** 2)

    return f


# ---- equations ----------------------------------------------------------------------


def check_equations(compiled: sp.CompiledProblem, solution: dict, salt: str):
    """max |residual| / scale for every equation that the solution can be checked on.

    The scale of a term is max(1, max |r(0)|, max |r(2u*)|): the residual with the
    fields replaced by zero and by twice the exact solution — the size of the
    source terms and of the operator applied to u*.  Returns {term: ratio} and
    {term: reason it was skipped}.
    """
    module = compiled.module
    exact = module.EXACT
    ratios, skipped = {}, {}
    path = pathlib.Path(compiled.spec.filename or "problem")
    for term in compiled.ir.terms:
        if term.kind != "residual":
            continue
        fields, unknowns = term_inputs(compiled, term.name)
        if unknowns:
            skipped[term.name] = f"uses the unknowns {unknowns}, whose true values are not given"
            continue
        if missing := [f for f in fields if f not in exact]:
            skipped[term.name] = f"the fields {missing} have no exact solution"
            continue
        rng = np.random.default_rng(seed_of(path, term.name + salt))
        if term.region.kind == "data":  # the observations' own points and values
            data = compiled.observations[term.region.path]
            points = dict(data.coordinates) | {f"{f}_observed": v for f, v in data.observed.items()}
        else:
            points = sample(module, term.name, N_POINTS, rng)
        r = evaluate(module, term.name, {f: solution[f] for f in fields}, points)
        r_zero = evaluate(module, term.name, {f: zero for f in fields}, points)
        r_double = evaluate(module, term.name, {f: scaled(exact[f], 2.0) for f in fields}, points)
        assert np.all(np.isfinite(r)), f"{term.name}: residual not finite"
        scale = max(1.0, float(np.max(np.abs(r_zero))), float(np.max(np.abs(r_double))))
        ratios[term.name] = float(np.max(np.abs(r))) / scale
    return ratios, skipped


def _exact_or_skip(compiled, path):
    if not compiled.module.EXACT:
        pytest.skip(f"{path.name} has no `exact` line: nothing to manufacture from")
    if len(compiled.ir.variables) > MAX_VARIABLES:  # nested derivatives along 100 variables: minutes per check
        pytest.skip(f"{path.name}: {len(compiled.ir.variables)} variables (tests/test_indices.py checks a 5-D one)")
    missing = set(compiled.module.FIELDS) - set(compiled.module.EXACT)
    assert not missing, f"{path.name}: `exact` is given for some fields but not {sorted(missing)}"
    return compiled.module.EXACT


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_exact_solution_satisfies_every_equation(x64, path):
    compiled = compile_example(path)
    exact = _exact_or_skip(compiled, path)
    if not any(t.kind == "residual" for t in compiled.ir.terms):
        pytest.skip(f"{path.name} has no equations, only energies (see the stationarity test)")
    ratios, skipped = check_equations(compiled, dict(exact), salt="")
    if not ratios:
        pytest.skip(f"{path.name}: no equation can be checked: {skipped}")
    bad = {t: r for t, r in ratios.items() if not r <= TOL}
    labels = {t.name: t.label for t in compiled.ir.terms}
    assert not bad, "the exact solution violates: " + "; ".join(
        f"{t} ({labels[t]}): max |r| / scale = {r:.3e} > {TOL:g}" for t, r in bad.items()
    )


@pytest.mark.parametrize("wrong", ["scaled", "bumped"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_wrong_solution_violates_some_equation(x64, path, wrong):
    """Negative control: 1.01·u*, or u* + 0.01·(a smooth bump), is clearly not a solution."""
    compiled = compile_example(path)
    exact = _exact_or_skip(compiled, path)
    if energy_terms(compiled):
        pytest.skip(f"{path.name} has an energy: its equations alone need not pin the solution down")
    module = compiled.module
    if wrong == "scaled":
        solution = {f: scaled(u, 1.01) for f, u in exact.items()}
    else:
        solution = {}
        for f, u in exact.items():
            b = bump(module.DOMAIN, module.FIELDS[f])
            solution[f] = lambda *xs, u=u, b=b: u(*xs) + 0.01 * b(*xs)
    ratios, skipped = check_equations(compiled, solution, salt=wrong)
    if not ratios:
        pytest.skip(f"{path.name}: no equation can be checked: {skipped}")
    assert max(ratios.values()) > DETECT, f"{wrong} exact solution not detected: {ratios}"


# ---- energies -------------------------------------------------------------------------


def bubble(domain: dict, args: tuple[str, ...], kind: int):
    """φ = Π sin(π s_i) · g(s), s the coordinates scaled to [0, 1]: zero on the whole boundary."""
    bounds = [domain[a] for a in args]

    def phi(*xs):
        s = [(x - lo) / (hi - lo) for x, (lo, hi) in zip(xs, bounds)]
        b = functools.reduce(lambda a, c: a * jnp.sin(jnp.pi * c), s, 1.0)
        if kind == 0:
            g = 1.0
        elif kind == 1:
            g = jnp.cos(2 * jnp.pi * s[0]) + 0.5
        else:
            g = jnp.exp(s[0] - s[-1]) * (1 + s[-1] ** 2)
        return b * g

    return phi


def energy_terms(compiled):
    return [t for t in compiled.ir.terms if t.kind == "energy"]


def first_variation(compiled, solution: dict, field: str, phi) -> tuple[float, float, float]:
    """(J(u), δJ(u; φ) = d/dε J(u + εφ) at 0, Σ |∂ε (w·integrand)|) over the energy terms.

    J = Σ weight · ∫_region integrand, by Gauss–Legendre quadrature.  The last value
    is the scale δJ is measured against: the same sum without cancellation.
    """
    module = compiled.module
    total, variation, scale = 0.0, 0.0, 0.0
    for term in energy_terms(compiled):
        points, w = gauss_legendre(module.DOMAIN, module.REGIONS[term.name])
        fields, _ = term_inputs(compiled, term.name)
        fn = term_function(module, term.name)
        names = list(inspect.signature(fn).parameters)
        coords = list(module.DOMAIN)

        def integrand(eps, *xs, fields=fields, fn=fn, names=names, coords=coords):
            env = {f"{f}_fn": solution[f] for f in fields}
            if field in fields:
                u = solution[field]
                env[f"{field}_fn"] = lambda *a: u(*a) + eps * phi(*a)
            env.update(zip(coords, xs))
            return fn(*[env[n] for n in names])

        xs = [jnp.asarray(points[c], dtype=jnp.float64) for c in coords]

        def along(*xs, integrand=integrand):
            return jax.jvp(lambda e: integrand(e, *xs), (jnp.float64(0.0),), (jnp.float64(1.0),))

        value, tangent = jax.jit(along)(*xs)
        weight = module.WEIGHTS[term.name]
        total += weight * float(np.sum(w * np.asarray(value)))
        variation += weight * float(np.sum(w * np.asarray(tangent)))
        scale += abs(weight) * float(np.sum(w * np.abs(np.asarray(tangent))))
    return total, variation, scale


def energy_along(compiled, solution: dict, field: str, phi, eps: float) -> float:
    return first_variation(compiled, {**solution, field: lambda *a: solution[field](*a) + eps * phi(*a)}, field, phi)[0]


def _energy_problem_or_skip(compiled, path):
    exact = _exact_or_skip(compiled, path)
    if not energy_terms(compiled):
        pytest.skip(f"{path.name} has no energy (`minimize`); its equations are checked directly")
    for term in energy_terms(compiled):
        fields, unknowns = term_inputs(compiled, term.name)
        if unknowns:
            pytest.skip(f"{path.name}: the energy {term.name} uses unknowns {unknowns}")
        if missing := [f for f in fields if f not in exact]:
            pytest.skip(f"{path.name}: the fields {missing} have no exact solution")
    return exact


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["bubble", "bubble-cos", "bubble-exp"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_exact_solution_is_stationary_for_the_energy(x64, path, kind):
    """δJ(u*; φ) = 0 for φ vanishing on ∂Ω (the weak Euler–Lagrange equation), and u* is a minimum along φ."""
    compiled = compile_example(path)
    exact = _energy_problem_or_skip(compiled, path)
    module = compiled.module
    for field in exact:
        phi = bubble(module.DOMAIN, module.FIELDS[field], kind)
        j0, dj, scale = first_variation(compiled, dict(exact), field, phi)
        assert scale > 0, f"{field}: the energy does not depend on the field"
        assert abs(dj) <= TOL * scale, f"{field}: first variation {dj:.3e} (scale {scale:.3e}) is not 0"
        for eps in (0.05, -0.05):
            j = energy_along(compiled, dict(exact), field, phi, eps)
            assert j > j0, f"{field}: J(u* + {eps}·φ) = {j!r} is not above J(u*) = {j0!r}"


@pytest.mark.parametrize("wrong", ["scaled", "bubbled"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_wrong_solution_is_not_stationary(x64, path, wrong):
    """Negative control: 1.01·u*, or u* + 0.05·φ, has a clearly non-zero first variation.

    A single φ could be orthogonal to the error by accident (sin(πy/2) and sin(πy) on
    [0, 2]), so the largest first variation over the three test functions counts.
    """
    compiled = compile_example(path)
    exact = _energy_problem_or_skip(compiled, path)
    module = compiled.module
    for field in exact:
        u = exact[field]
        if wrong == "scaled":
            candidate = scaled(u, 1.01)
        else:
            psi = bubble(module.DOMAIN, module.FIELDS[field], 2)
            candidate = lambda *a, u=u, psi=psi: u(*a) + 0.05 * psi(*a)  # noqa: E731
        ratios = []
        for kind in range(3):
            phi = bubble(module.DOMAIN, module.FIELDS[field], kind)
            _, dj, scale = first_variation(compiled, {**exact, field: candidate}, field, phi)
            ratios.append(abs(dj) / scale)
        assert max(ratios) > DETECT, f"{field}: {wrong} solution has first variations / scale {ratios}"
