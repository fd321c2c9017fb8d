"""Time symbolic_pinn's compiled train step against hand-written JAX derivative baselines.

    python benchmarks/derivatives.py                     # every problem (< 10 min, 2-core CPU)
    python benchmarks/derivatives.py --quick             # smoke test: tiny sizes, 3 steps
    python benchmarks/derivatives.py --only poisson kdv parse --steps 100 --json out.json

For each problem, one train step — loss, gradient and an optax Adam update, jitted — is
timed for the loss compiled by symbolic_pinn and for hand-written JAX baselines that
compute the same residual with a different derivative method:

  jax.hessian        per point (vmap), the full derivative tensor of each order needed
                     (jax.grad, jax.hessian, jacfwd(hessian), hessian(hessian)), then the
                     entries the residual uses are contracted out (n/a for the first-order
                     seed, where it would be the nested jax.grad variant)
  nested jax.grad    per point (vmap), reverse over reverse: ∂ᵢ f = jax.grad(f)(x)[i],
                     nested along each multi-index (sums of pure second derivatives: the
                     directions batched by vmap, Σ wᵢ eᵢ·∇(eᵢ·∇u))
  nested jax.jvp     forward over forward on the whole batch, a tangent of ones along one
                     coordinate (as symbolic_pinn._runtime.derivative), nested (sums of
                     pure second derivatives: the coordinates batched by vmap — a Python
                     loop of 100 nested jvps computes the same but compiles for a minute)
  jet                jax.experimental.jet, Taylor mode along directions on the whole batch:
                     one jet per direction gives every order along it; mixed derivatives
                     (u_xxyy) by polarization, Σⱼ λⱼ D_{vⱼ}^k u with vⱼ = eᵢ ± eⱼ
  folx               (Poisson, Laplace, if folx is installed) folx.forward_laplacian per
                     point under vmap, a weighted sum turned into a Laplacian by scaling
  fused fwd-Laplacian  (Poisson, Burgers, Laplace: problems with one Σ wᵢ∂ᵢᵢ) value,
                     gradient directions and the weighted Laplacian carried through the
                     layers together, written here independently of symbolic_pinn; the
                     first layer's Jacobian is one (d, width) array, not one per point

For Δu in d = 50 and 100 the compiled loss is also timed with the opt-in randomised
Laplacian (``laplacian_samples``, STDE's sparse estimator, 10 coordinates per step); it
is an estimate, so it is neither checked against the exact residual nor counted as a
baseline.

Every variant uses the same network (the compiled problem's initial params["u"]: 3 hidden
layers × 64, tanh, float32), the same input scaling as symbolic_pinn's Network
(coordinates mapped to [-1, 1]) and the same points.  Only the derivative-carrying term
is timed: the problems have no boundary term, in the compiled text and baselines alike.
Before timing, each baseline's pointwise residual is checked against the compiled one on
the same parameters and points (relative L2 difference ≤ 1e-3); a mismatch is reported
and the variant is not timed.

Reported per variant: median milliseconds per step over --steps timed steps after one or
two warm-up steps (fewer timed steps, at least 3, if they would take longer than
--variant-seconds; the variant is skipped if its first step takes longer than --budget
seconds or XLA plans more than --max-memory-gb); XLA compile time; peak memory as XLA's
memory_analysis() of the compiled step (argument + output + temporary bytes).  Also
timed: symbolic_pinn's own compile (parse → check → lower → exact → plan → emit → load) for every
examples/*.pinn, in total and per stage.  Everything is written to JSON (default benchmarks/results/derivatives.json;
with --quick, symbolic_pinn_derivatives_quick.json in the temporary directory).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import itertools
import json
import math
import os
import pathlib
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.experimental import jet as jax_jet
from rich.console import Console
from rich.table import Table

import symbolic_pinn

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "derivatives.json"
NU = 0.01 / math.pi
TOLERANCE = 1e-3
STDE_SAMPLES = 10  # coordinates drawn per step by the opt-in randomised Laplacian

COMPILED = "symbolic_pinn"
HESSIAN = "jax.hessian"
GRAD = "nested jax.grad"
JVP = "nested jax.jvp"
JET = "jet"
FUSED = "fused fwd-Laplacian"
FOLX = "folx"
VARIANTS = (COMPILED, HESSIAN, GRAD, JVP, JET, FUSED, FOLX)

WIDTH = 64  # every variant's network: 3 hidden layers of this width (not the training default)
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
START = time.perf_counter()


def progress(message: str) -> None:
    console.print(f"[dim]{time.perf_counter() - START:7.1f}s[/dim]  {message}")


# ---- problems ------------------------------------------------------------------------

Alpha = tuple[int, ...]
# A quantity is a constant-coefficient sum of partial derivatives: ((alpha, coefficient), ...)
Quantity = tuple[tuple[Alpha, float], ...]


def mi(d: int, *indices: int) -> Alpha:
    """The multi-index of ∂_{indices[0]} ∂_{indices[1]} ... over d coordinates."""
    return tuple(indices.count(i) for i in range(d))


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    description: str
    variables: tuple[tuple[str, float, float], ...]
    statements: str  # everything after the declarations of the variables and the field
    points: int
    quantities: dict[str, Quantity]
    residual: Callable  # (quantities dict, X of shape (N, d)) -> (N,)
    energy: bool = False  # the term is `minimize ∫ ...`: loss = measure · mean(integrand)

    @property
    def d(self) -> int:
        return len(self.variables)

    @property
    def order(self) -> int:
        return max(sum(a) for q in self.quantities.values() for a, _ in q)

    @property
    def collapsed(self) -> bool:
        """Whether symbolic_pinn fuses this problem's second derivatives (Σ wᵢ∂ᵢᵢ)."""
        return self.order == 2 and all(sum(a) < 2 or max(a) == 2 for q in self.quantities.values() for a, _ in q)

    @property
    def measure(self) -> float:
        return math.prod(hi - lo for _, lo, hi in self.variables)

    @property
    def text(self) -> str:
        lines = [f"{n} in [{lo:g}, {hi:g}]" for n, lo, hi in self.variables]
        lines.append(f"field u({', '.join(n for n, _, _ in self.variables)})")
        return "\n".join(lines) + "\n" + self.statements.strip() + "\n"


def laplace(d: int) -> Problem:
    names = tuple(f"x{i}" for i in range(1, d + 1))
    return Problem(
        name=f"laplace{d}",
        description=f"Δu = 0 on [0,1]^{d}, written as Σ D(u, xi, xi)",
        variables=tuple((n, 0.0, 1.0) for n in names),
        statements=" + ".join(f"D(u, {n}, {n})" for n in names) + " = 0",
        points=1000,
        quantities={"lap": tuple((mi(d, i, i), 1.0) for i in range(d))},
        residual=lambda q, X: q["lap"],
    )


def problems() -> list[Problem]:
    two = (("x", 0.0, 1.0), ("y", 0.0, 1.0))
    xt = (("x", -1.0, 1.0), ("t", 0.0, 1.0))
    return [
        Problem(
            "poisson",
            "-Δu = 2π² sin(πx) sin(πy) on [0,1]²",
            two,
            "-Δu = 2*pi^2*sin(pi*x)*sin(pi*y)",
            2400,
            {"lap": ((mi(2, 0, 0), 1.0), (mi(2, 1, 1), 1.0))},
            lambda q, X: -q["lap"] - 2 * jnp.pi**2 * jnp.sin(jnp.pi * X[:, 0]) * jnp.sin(jnp.pi * X[:, 1]),
        ),
        Problem(
            "burgers",
            "u_t + u u_x − ν u_xx = 0, ν = 0.01/π, (x,t) ∈ [-1,1]×[0,1]",
            xt,
            "const nu = 0.01/pi\nDt(u) + u*Dx(u) - nu*Dxx(u) = 0",
            2400,
            {
                "u": ((mi(2), 1.0),),
                "u_x": ((mi(2, 0), 1.0),),
                "u_t": ((mi(2, 1), 1.0),),
                "u_xx": ((mi(2, 0, 0), 1.0),),
            },
            lambda q, X: q["u"] * q["u_x"] + q["u_t"] - NU * q["u_xx"],
        ),
        laplace(10),
        laplace(50),
        laplace(100),
        Problem(
            "biharmonic",
            "Δ²u = 0 on [0,1]²",
            two,
            "Δ(Δu) = 0",
            1000,
            {"bih": ((mi(2, 0, 0, 0, 0), 1.0), (mi(2, 0, 0, 1, 1), 2.0), (mi(2, 1, 1, 1, 1), 1.0))},
            lambda q, X: q["bih"],
        ),
        Problem(
            "kdv",
            "u_t + u u_x + u_xxx = 0, (x,t) ∈ [-1,1]×[0,1]",
            xt,
            "Dt(u) + u*Dx(u) + D(u, x, x, x) = 0",
            2400,
            {
                "u": ((mi(2), 1.0),),
                "u_x": ((mi(2, 0), 1.0),),
                "u_t": ((mi(2, 1), 1.0),),
                "u_xxx": ((mi(2, 0, 0, 0), 1.0),),
            },
            lambda q, X: q["u_t"] + q["u"] * q["u_x"] + q["u_xxx"],
        ),
        Problem(
            "seed",
            "minimize ∫ (∂ₓu)² on [-1,1]² (energy)",
            (("x", -1.0, 1.0), ("y", -1.0, 1.0)),
            "minimize ∫ (Dx(u))^2",
            2400,
            {"u_x": ((mi(2, 0), 1.0),)},
            lambda q, X: q["u_x"] ** 2,
            energy=True,
        ),
    ]


# ---- the network, written here -------------------------------------------------------


def network(layers, centre, half_width):
    """u(X): X of shape (..., d) → (...); coordinates scaled to [-1, 1] as in symbolic_pinn."""

    def u(X):
        h = (X - centre) / half_width
        for w, b in layers[:-1]:
            h = jnp.tanh(h @ w + b)
        w, b = layers[-1]
        return (h @ w + b)[..., 0]

    return u


def chain(alpha: Alpha) -> tuple[int, ...]:
    """The coordinates to differentiate along, in order: (2, 1) → (0, 0, 1)."""
    return tuple(i for i, k in enumerate(alpha) for _ in range(k))


def pure_second_sum(q: Quantity) -> bool:
    """Σ wᵢ ∂ᵢᵢ with at least two terms (a Laplacian-like sum)."""
    return len(q) > 1 and all(sum(a) == 2 and max(a) == 2 for a, _ in q)


def second_directions(q: Quantity):
    """The unit vectors eᵢ and weights wᵢ of Σ wᵢ ∂ᵢᵢ, as arrays."""
    directions = np.array([[float(k == 2) for k in a] for a, _ in q], np.float32)
    return jnp.asarray(directions), jnp.asarray([c for _, c in q], jnp.float32)


# ---- baselines: each maps (u, X, quantities) to {quantity name: (N,) values} ----


def q_hessian(u, X, quantities):
    """Per point: the whole derivative tensor of each order needed, entries contracted out."""
    d = X.shape[1]
    tensors = {0: u, 1: jax.grad(u), 2: jax.hessian(u), 3: jax.jacfwd(jax.hessian(u)), 4: jax.hessian(jax.hessian(u))}
    orders = sorted({sum(a) for q in quantities.values() for a, _ in q})
    values = {k: jax.vmap(tensors[k])(X) for k in orders}
    out = {}
    for name, q in quantities.items():
        total = 0.0
        for k in sorted({sum(a) for a, _ in q}):
            coefficients = np.zeros((d,) * k, np.float32)
            for a, c in q:
                if sum(a) == k:
                    coefficients[chain(a)] += c
            total = total + jnp.tensordot(values[k], jnp.asarray(coefficients), axes=k)
        out[name] = total
    return out


def q_grad(u, X, quantities):
    """Per point, reverse over reverse: ∂ᵢ f(x) = jax.grad(f)(x)[i], nested."""
    memo = {(): u}

    def fn(path):
        if path not in memo:
            parent, i = fn(path[:-1]), path[-1]
            memo[path] = lambda x: jax.grad(parent)(x)[i]
        return memo[path]

    out = {}
    for name, q in quantities.items():
        if pure_second_sum(q):
            directions, weights = second_directions(q)

            def point(x, directions=directions, weights=weights):
                def second(e):
                    return jax.grad(lambda y: jax.grad(u)(y) @ e)(x) @ e

                return weights @ jax.vmap(second)(directions)

            out[name] = jax.vmap(point)(X)
        else:
            out[name] = sum(c * jax.vmap(fn(chain(a)))(X) for a, c in q)
    return out


def q_jvp(u, X, quantities):
    """On the batch, forward over forward: a jvp with a tangent of ones along one coordinate."""
    d = X.shape[1]

    def on_coords(*xs):
        return u(jnp.stack(xs, axis=-1))

    def derivative(f, i):
        def df(*xs):
            def along(xi):
                return f(*xs[:i], xi, *xs[i + 1 :])

            return jax.jvp(along, (xs[i],), (jnp.ones_like(xs[i]),))[1]

        return df

    memo = {(): on_coords}

    def fn(path):
        if path not in memo:
            memo[path] = derivative(fn(path[:-1]), path[-1])
        return memo[path]

    xs = tuple(X[:, i] for i in range(d))
    out = {}
    for name, q in quantities.items():
        if pure_second_sum(q):
            # Σ wᵢ ∂ᵢᵢ: the same two nested jvps per coordinate, the coordinates batched by
            # vmap (a loop of d nested jvps computes the same but takes ~1 min to compile at d = 100)
            directions, weights = second_directions(q)

            def second(e):
                tangent = jnp.broadcast_to(e, X.shape)

                def first(Y):
                    return jax.jvp(u, (Y,), (tangent,))[1]

                return jax.jvp(first, (X,), (tangent,))[1]

            out[name] = weights @ jax.vmap(second)(directions)
        else:
            out[name] = sum(c * fn(chain(a))(*xs) for a, c in q)
    return out


def polarization(terms: list[tuple[Alpha, float]], k: int) -> list[tuple[tuple[float, ...], float]]:
    """Directions vⱼ and weights λⱼ with Σ λⱼ D_{vⱼ}^k u = Σ c_α ∂^α u (all |α| = k).

    D_v^k u = Σ_{|α|=k} k!/α! v^α ∂^α u.  Pure terms need only the axes; mixed ones
    are solved for over the axes and eᵢ ± eⱼ (then eᵢ ± 2eⱼ) of the variables involved.
    """
    d = len(terms[0][0])
    if all(max(a) == k for a, _ in terms):
        return [(tuple(float(j == a.index(k)) for j in range(d)), c) for a, c in terms]
    used = sorted({i for a, _ in terms for i, n in enumerate(a) if n})
    monomials = [a for a in itertools.product(range(k + 1), repeat=len(used)) if sum(a) == k]
    target = np.zeros(len(monomials))
    for a, c in terms:
        target[monomials.index(tuple(a[i] for i in used))] += c

    def unit(i, scale=1.0):
        v = np.zeros(len(used))
        v[i] = scale
        return v

    candidates = [unit(i) for i in range(len(used))]
    for scales in ((1.0, -1.0), (2.0, -2.0)):
        candidates += [unit(i) + unit(j, s) for i, j in itertools.combinations(range(len(used)), 2) for s in scales]

        def multinomial(m):
            return math.factorial(k) / math.prod(math.factorial(n) for n in m)

        A = np.array([[multinomial(m) * np.prod(v ** np.array(m)) for v in candidates] for m in monomials])
        lam, *_ = np.linalg.lstsq(A, target, rcond=None)
        if np.abs(A @ lam - target).max() < 1e-9:
            out = []
            for v, w in zip(candidates, lam):
                if abs(w) > 1e-12:
                    full = [0.0] * d
                    for i, vi in zip(used, v):
                        full[i] = float(vi)
                    out.append((tuple(full), float(w)))
            return out
    raise NotImplementedError("no polarization found for these mixed derivatives")


def q_jet(u, X, quantities):
    """Taylor mode along directions on the batch: one jet per direction, every order along it."""
    plan = {}  # quantity name → [(direction, order, weight)]
    for name, q in quantities.items():
        parts = []
        for k in sorted({sum(a) for a, _ in q}):
            terms = [(a, c) for a, c in q if sum(a) == k]
            if k == 0:
                parts.append((None, 0, sum(c for _, c in terms)))
            else:
                parts += [(v, k, w) for v, w in polarization(terms, k)]
        plan[name] = parts
    needed: dict[tuple, int] = {}
    for parts in plan.values():
        for v, k, _ in parts:
            if v is not None:
                needed[v] = max(needed.get(v, 0), k)
    # one jet per direction; directions that need the same order are batched by vmap, and
    # each quantity contracts a group with one (directions, order + 1) weight array
    out: dict = {name: 0.0 for name in plan}
    value = None  # u itself: the primal of any jet
    for order in sorted(set(needed.values())):
        group = [v for v, k in needed.items() if k == order]
        index = {v: j for j, v in enumerate(group)}
        V = jnp.asarray(np.array(group, np.float32))

        def along(v, order=order):
            tangent = jnp.broadcast_to(v, X.shape)
            zeros = jnp.zeros_like(X)
            primal, terms = jax_jet.jet(u, (X,), ((tangent,) + (zeros,) * (order - 1),))
            return jnp.stack([primal, *terms])

        stacked = jax.vmap(along)(V)  # (directions, order + 1, N): D_v^k u for k = 0..order
        value = stacked[0, 0] if value is None else value
        for name, parts in plan.items():
            weights = np.zeros((len(group), order + 1), np.float32)
            for v, k, w in parts:
                if v is not None and v in index:
                    weights[index[v], k] += w
            if weights.any():
                out[name] = out[name] + jnp.einsum("jk,jkn->n", jnp.asarray(weights), stacked)
    for name, parts in plan.items():
        value_weight = sum(w for v, _, w in parts if v is None)
        if value_weight:
            out[name] = out[name] + value_weight * (u(X) if value is None else value)
    return out


def q_fused(layers, centre, half_width, X, quantities):
    """The forward Laplacian: value, ∇ and Σ wᵢ∂ᵢᵢ carried through the layers in one pass.

    With z = h W + b, t = tanh z, s = 1 − t²:  ∂ᵢt = s ∂ᵢz,  Lt = s Lz − 2 t s Σᵢ wᵢ (∂ᵢz)².
    At the first layer ∂ᵢz = Wᵢ / half_widthᵢ is the same at every point and Lz = 0, so the
    first layer's Jacobian and curvature term are (d, width) and (width,) arrays, not per point.
    """
    d = X.shape[1]
    weights = np.zeros(d, np.float32)  # the one second-order quantity is Σ wᵢ ∂ᵢᵢ
    for q in quantities.values():
        for a, c in q:
            if sum(a) == 2:
                weights[a.index(2)] += c
    w2 = jnp.asarray(weights)
    (w, b), *hidden, (w_out, b_out) = layers
    gz = w / half_width[:, None]  # (d, width): ∂z/∂xᵢ, identical at every point
    t = jnp.tanh(((X - centre) / half_width) @ w + b)
    s = 1 - t * t
    jac = s[:, None, :] * gz  # (N, d, width)
    lap = -2 * t * s * (w2 @ (gz * gz))  # (N, width)
    h = t
    for w, b in hidden:
        jz = jac @ w
        lz = lap @ w
        t = jnp.tanh(h @ w + b)
        s = 1 - t * t
        jac = s[:, None, :] * jz
        lap = s * lz - 2 * t * s * jnp.einsum("ndk,d->nk", jz * jz, w2)
        h = t
    value = (h @ w_out + b_out)[:, 0]
    gradient = (jac @ w_out)[:, :, 0]
    second = (lap @ w_out)[:, 0]
    out = {}
    for name, q in quantities.items():
        if any(sum(a) == 2 for a, _ in q):
            out[name] = second
        else:
            out[name] = sum(c * (value if sum(a) == 0 else gradient[:, a.index(1)]) for a, c in q)
    return out


def q_folx(u, X, quantities):
    """folx's forward Laplacian (``pip install folx``), per point under vmap.

    A weighted sum Σ wᵢ ∂ᵢᵢ (wᵢ ≥ 0) becomes a Laplacian by the change of variables
    xᵢ = √wᵢ yᵢ over the coordinates with wᵢ ≠ 0; only problems whose every quantity is
    such a sum (Poisson, Δ in d dimensions) are measured.
    """
    try:
        from folx import forward_laplacian
    except ImportError as err:
        raise NotImplementedError("folx is not installed: pip install folx") from err
    out = {}
    for name, q in quantities.items():
        if not pure_second_sum(q) or any(c < 0 for _, c in q):
            raise NotImplementedError("folx computes Laplacians; this problem needs other derivatives")
        axes = np.array([a.index(2) for a, _ in q])
        scale = jnp.asarray(np.sqrt([c for _, c in q]), X.dtype)

        def laplacian(x, axes=axes, scale=scale):
            def f(y):
                return u(x.at[axes].set(scale * y))

            return forward_laplacian(f, sparsity_threshold=0)(x[axes] / scale).laplacian

        out[name] = jax.vmap(laplacian)(X)
    return out


def fused_applicable(problem: Problem) -> bool:
    """One quantity Σ wᵢ ∂ᵢᵢ of pure second derivatives, the others of order ≤ 1."""
    if not problem.collapsed:
        return False
    seconds = [q for q in problem.quantities.values() if any(sum(a) == 2 for a, _ in q)]
    return len(seconds) == 1 and all(sum(a) == 2 and max(a) == 2 for a, _ in seconds[0])


# ---- steps, the correctness guard and timing ---------------------------------------------


def scaling(problem: Problem):
    centre = jnp.asarray([(lo + hi) / 2 for _, lo, hi in problem.variables], jnp.float32)
    half = jnp.asarray([(hi - lo) / 2 for _, lo, hi in problem.variables], jnp.float32)
    return centre, half


def baseline_residual(problem: Problem, variant: str):
    """residual(layers, X) → (N,) for a baseline variant."""
    centre, half = scaling(problem)
    method = {HESSIAN: q_hessian, GRAD: q_grad, JVP: q_jvp, JET: q_jet, FOLX: q_folx}.get(variant)

    def residual(layers, X):
        if variant == FUSED:
            q = q_fused(layers, centre, half, X, problem.quantities)
        else:
            q = method(network(layers, centre, half), X, problem.quantities)
        return problem.residual(q, X)

    return residual


def baseline_loss(problem: Problem, residual):
    if problem.energy:
        measure = problem.measure
        return lambda layers, X: measure * jnp.mean(residual(layers, X))
    return lambda layers, X: jnp.mean(residual(layers, X) ** 2)


def compiled_residual(compiled, params, coords):
    """The compiled problem's pointwise residual (or integrand) of its one term."""
    term = compiled.ir.terms[0]
    prefix = "residual" if term.kind == "residual" else "integrand"
    fn = getattr(compiled.module, f"{prefix}_{term.name}")
    net = compiled.module.fields(params)
    return fn(net[compiled.ir.fields[0].name], *coords)


def make_step(loss_fn, optimizer):
    def step(params, state, points):
        value, grads = jax.value_and_grad(loss_fn)(params, points)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value

    return step


def memory_of(executable) -> dict:
    try:
        m = executable.memory_analysis()
    except Exception as err:  # noqa: BLE001 - any backend may lack it
        return {"available": False, "note": f"memory_analysis() failed: {type(err).__name__}: {err}"}
    if m is None:
        return {"available": False, "note": "memory_analysis() returned None on this backend"}
    total = m.temp_size_in_bytes + m.argument_size_in_bytes + m.output_size_in_bytes
    out = {
        "available": True,
        "bytes": int(total),
        "temp_bytes": int(m.temp_size_in_bytes),
        "argument_bytes": int(m.argument_size_in_bytes),
        "output_bytes": int(m.output_size_in_bytes),
        "alias_bytes": int(m.alias_size_in_bytes),
    }
    if hasattr(m, "peak_memory_in_bytes"):
        out["xla_peak_bytes"] = int(m.peak_memory_in_bytes)
    return out


def time_step(label: str, step, params, state, points, settings) -> dict:
    """Compile, check the budgets, warm up, then time steps; returns a result row."""
    row: dict = {"variant": label}
    start = time.perf_counter()
    executable = jax.jit(step).lower(params, state, points).compile()
    row["compile_s"] = time.perf_counter() - start
    row["memory"] = memory_of(executable)
    if row["memory"].get("available") and row["memory"]["bytes"] > settings.max_memory_gb * 2**30:
        planned = row["memory"]["bytes"] / 2**30
        row["status"] = f"skipped (XLA plans {planned:.1f} GB > --max-memory-gb {settings.max_memory_gb:g})"
        return row
    start = time.perf_counter()
    out = jax.block_until_ready(executable(params, state, points))
    first = time.perf_counter() - start
    row["first_step_s"] = first
    if first > settings.budget:
        row["status"] = f"skipped (too slow: {first:.3g} s per step > --budget {settings.budget:g} s)"
        return row
    params, state, _ = out
    if first < 0.5:  # a second warm-up step, where it is cheap
        params, state, _ = jax.block_until_ready(executable(params, state, points))
    steps = min(settings.steps, max(3, int(settings.variant_seconds / max(first, 1e-9))))
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        params, state, value = jax.block_until_ready(executable(params, state, points))
        times.append(time.perf_counter() - start)
    row.update(
        status="ok",
        steps=steps,
        median_ms=1e3 * statistics.median(times),
        min_ms=1e3 * min(times),
        max_ms=1e3 * max(times),
        final_loss=float(value),
    )
    if steps < settings.steps:
        row["note"] = f"{steps} timed steps (capped by --variant-seconds {settings.variant_seconds:g})"
    return row


def run_problem(problem: Problem, settings) -> dict:
    n = settings.points or problem.points
    progress(f"[bold]{problem.name}[/bold]: {problem.description}, {n} points, d = {problem.d}, order {problem.order}")
    start = time.perf_counter()
    compiled = symbolic_pinn.compile(problem.text, width=WIDTH)
    sp_compile_s = time.perf_counter() - start
    params = compiled.init_params(jax.random.PRNGKey(0))
    params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), params)
    rng = np.random.default_rng(0)
    lo = np.array([lo for _, lo, _ in problem.variables], np.float32)
    hi = np.array([hi for _, _, hi in problem.variables], np.float32)
    X = jnp.asarray(lo + (hi - lo) * rng.random((n, problem.d), dtype=np.float32))
    coords = tuple(X[:, i] for i in range(problem.d))
    term = compiled.ir.terms[0].name
    field = compiled.ir.fields[0].name
    optimizer = optax.adam(1e-3)
    result = {
        "problem": problem.name,
        "description": problem.description,
        "text": problem.text,
        "points": n,
        "dimension": problem.d,
        "order": problem.order,
        "symbolic_pinn_compile_s": sp_compile_s,
        "plan": compiled.format_plan(),
        "variants": [],
    }
    reference = jax.jit(lambda p: compiled_residual(compiled, p, coords))(params)

    # the compiled step
    points = {term: coords}
    progress(f"  {COMPILED}: compiling")
    row = time_step(COMPILED, make_step(compiled.loss, optimizer), params, optimizer.init(params), points, settings)
    row["residual_rel_diff"] = 0.0
    result["variants"].append(row)
    report(row)

    # the opt-in randomised Laplacian, in high dimension: an estimate, so it is not
    # checked against the exact residual (tests/test_estimator.py checks it is unbiased)
    # and not a candidate for "fastest"
    if problem.name.startswith("laplace") and problem.d >= 50:
        samples = STDE_SAMPLES
        estimated = symbolic_pinn.compile(problem.text, width=WIDTH, laplacian_samples=samples)
        progress(f"  {COMPILED} with laplacian_samples={samples}: compiling")
        row = time_step(
            f"{COMPILED}, STDE {samples} of {problem.d}",
            make_step(estimated.loss, optimizer),
            params,
            optimizer.init(params),
            points,
            settings,
        )
        row["estimate"] = True
        result["variants"].append(row)
        report(row)

    layers = params[field]
    for variant in VARIANTS[1:]:
        if variant == HESSIAN and problem.order < 2:
            status = "n/a (first-order problem: jax.hessian is not used; see nested jax.grad)"
            result["variants"].append({"variant": variant, "status": status})
            continue
        if variant == FUSED and not fused_applicable(problem):
            result["variants"].append({"variant": variant, "status": "n/a (not a Σ wᵢ∂ᵢᵢ problem)"})
            continue
        progress(f"  {variant}: checking the residual, compiling")
        residual = baseline_residual(problem, variant)
        try:
            mine = jax.jit(residual)(layers, X)
        except NotImplementedError as err:
            result["variants"].append({"variant": variant, "status": f"skipped ({err})"})
            report(result["variants"][-1])
            continue
        except Exception as err:  # noqa: BLE001 - report it and go on to the next variant
            result["variants"].append({"variant": variant, "status": f"error ({type(err).__name__}: {err})"})
            report(result["variants"][-1])
            continue
        diff = float(jnp.linalg.norm(mine - reference) / jnp.maximum(jnp.linalg.norm(reference), 1e-30))
        if not diff <= TOLERANCE:
            status = f"FAILED correctness check (relative residual difference {diff:.2e} > {TOLERANCE:g})"
            row = {"variant": variant, "status": status, "residual_rel_diff": diff}
            console.print(
                f"[bold red]  {problem.name} / {variant}: residual differs from the compiled one by {diff:.2e} "
                "(relative L2); not timed[/bold red]"
            )
            result["variants"].append(row)
            continue
        step = make_step(baseline_loss(problem, residual), optimizer)
        row = time_step(variant, step, layers, optimizer.init(layers), X, settings)
        row["residual_rel_diff"] = diff
        result["variants"].append(row)
        report(row)
    summarize_problem(result)
    return result


def report(row: dict) -> None:
    if row.get("status") == "ok":
        mem = row["memory"]
        mb = f", {mem['bytes'] / 2**20:.1f} MB" if mem.get("available") else ""
        median = f"{row['median_ms']:.2f} ms/step (median of {row['steps']})"
        progress(f"    {row['variant']}: {median}, compile {row['compile_s']:.1f} s{mb}")
    else:
        progress(f"    {row['variant']}: {row.get('status')}")


def summarize_problem(result: dict) -> None:
    rows = {r["variant"]: r for r in result["variants"]}
    compiled = rows[COMPILED]
    ok = [r for r in result["variants"][1:] if r.get("status") == "ok" and not r.get("estimate")]
    summary: dict = {"compiled_ms": compiled.get("median_ms")}
    if ok and compiled.get("status") == "ok":
        fastest = min(ok, key=lambda r: r["median_ms"])
        summary.update(fastest_baseline=fastest["variant"], fastest_baseline_ms=fastest["median_ms"])
        summary["compiled_over_fastest"] = compiled["median_ms"] / fastest["median_ms"]
        for key, name in (("jvp_over_compiled", JVP), ("grad_over_compiled", GRAD)):
            if rows.get(name, {}).get("status") == "ok":
                summary[key] = rows[name]["median_ms"] / compiled["median_ms"]
    result["summary"] = summary


# ---- symbolic_pinn's own compile time ----------------------------------------------------


def time_compiler(repeats: int) -> list[dict]:
    from symbolic_pinn._compiler.emit import emit
    from symbolic_pinn._compiler.loader import load
    from symbolic_pinn._compiler.lower import lower
    from symbolic_pinn._compiler.pipeline import build_in
    from symbolic_pinn._compiler.plan import plan
    from symbolic_pinn._config import NetworkConfig
    from symbolic_pinn._frontend.check import check
    from symbolic_pinn._frontend.parse import parse_text

    rows = []
    network = NetworkConfig()
    for path in sorted((ROOT / "examples").glob("*.pinn")):
        text = path.read_text(encoding="utf-8")
        totals, stages = [], {k: [] for k in ("parse", "check", "lower", "exact", "plan", "emit", "load")}
        first = None
        for _ in range(repeats):
            start = time.perf_counter()
            symbolic_pinn.compile(symbolic_pinn.parse_file(path))  # a data file is found beside it
            totals.append(time.perf_counter() - start)
            first = totals[0] if first is None else first
            t = [time.perf_counter()]
            tree = parse_text(text, str(path))
            t.append(time.perf_counter())
            spec = check(tree)
            t.append(time.perf_counter())
            program = lower(spec)
            t.append(time.perf_counter())
            program, constraints = build_in(program, network)  # the conditions built in, default settings
            t.append(time.perf_counter())
            schedule = plan(program)
            t.append(time.perf_counter())
            source = emit(
                program,
                schedule,
                network=network,
                source=spec.source,
                filename=spec.filename,
                constraints=constraints,
            )
            t.append(time.perf_counter())
            load(source, path.stem)
            t.append(time.perf_counter())
            for values, a, b in zip(stages.values(), t, t[1:]):
                values.append(b - a)
        row = {
            "example": path.name,
            "compile_ms": 1e3 * statistics.median(totals),
            "first_compile_ms": 1e3 * first,
            "stages_ms": {k: 1e3 * statistics.median(v) for k, v in stages.items()},
            "repeats": repeats,
        }
        rows.append(row)
        first_ms = row["first_compile_ms"]
        progress(f"compile {path.name}: {row['compile_ms']:.1f} ms (median of {repeats}; first {first_ms:.1f} ms)")
    return rows


# ---- output --------------------------------------------------------------------------------


def fmt_ms(value) -> str:
    return "—" if value is None else (f"{value:.2f}" if value < 100 else f"{value:.0f}")


def print_tables(results: list[dict], compile_rows: list[dict]) -> None:
    for result in results:
        if "error" in result:
            console.print(f"[bold red]{result['problem']}: not measured: {result['error']}[/bold red]")
            continue
        rows = {r["variant"]: r for r in result["variants"]}
        compiled_ms = rows[COMPILED].get("median_ms")
        s = result["summary"]
        caption = (
            f"compiled / fastest baseline = {s['compiled_over_fastest']:.2f} (< 1: compiled is faster)"
            if "compiled_over_fastest" in s
            else "compiled / fastest baseline: —"
        ) + f";  symbolic_pinn.compile of this problem: {result['symbolic_pinn_compile_s']:.2f} s"
        title = f"{result['problem']}: {result['description']} — {result['points']} points, train step"
        table = Table(title=title, caption=caption)
        columns = ("variant", "median ms", "ms ÷ compiled ms", "peak MB", "XLA compile s", "steps", "residual check")
        columns += ("status",)
        for column in columns:
            table.add_column(column, justify="left" if column in ("variant", "status") else "right")
        notes = []
        for r in result["variants"]:
            ok = r.get("status") == "ok"
            ratio = f"{r['median_ms'] / compiled_ms:.2f}" if ok and compiled_ms else "—"
            mem = r.get("memory", {})
            mb = f"{mem['bytes'] / 2**20:.1f}" if mem.get("available") else ("n/a" if mem else "—")
            check = f"{r['residual_rel_diff']:.1e}" if "residual_rel_diff" in r else "—"
            status = r.get("status", "")
            note = r.get("note") if ok else (status.partition(" (")[2].rstrip(")") or None)
            if note:
                notes.append(f"[{len(notes) + 1}] {r['variant']}: {note}")
                status = f"{status.partition(' (')[0]} [{len(notes)}]"
            table.add_row(
                r["variant"],
                fmt_ms(r.get("median_ms")),
                ratio,
                mb,
                f"{r['compile_s']:.1f}" if "compile_s" in r else "—",
                str(r.get("steps", "—")),
                check,
                status,
            )
        console.print(table)
        for note in notes:
            console.print(f"  {note}", style="dim")

    if results:
        table = Table(
            title="summary: train step (loss + gradient + Adam), median ms",
            caption="compiled / fastest < 1: symbolic_pinn beats every baseline; speedup = baseline ms / compiled ms",
        )
        columns = (
            "problem",
            "compiled ms",
            "fastest baseline",
            "ms",
            "compiled / fastest",
            "speedup vs nested jvp",
            "speedup vs nested grad (order ≥ 3)",
        )
        for column in columns:
            table.add_column(column, justify="left" if column in ("problem", "fastest baseline") else "right")
        for result in results:
            if "error" in result:
                table.add_row(result["problem"], "error", *("—" for _ in range(5)))
                continue
            s = result["summary"]
            table.add_row(
                result["problem"],
                fmt_ms(s.get("compiled_ms")),
                s.get("fastest_baseline", "—"),
                fmt_ms(s.get("fastest_baseline_ms")),
                f"{s['compiled_over_fastest']:.2f}" if "compiled_over_fastest" in s else "—",
                f"{s['jvp_over_compiled']:.2f}×" if "jvp_over_compiled" in s else "—",
                f"{s['grad_over_compiled']:.2f}×" if "grad_over_compiled" in s and result["order"] >= 3 else "—",
            )
        console.print(table)

    if compile_rows:
        title = "symbolic_pinn.compile wall time per example (parse → check → lower → exact → plan → emit → load)"
        table = Table(title=title)
        stages = list(compile_rows[0]["stages_ms"])
        for column in ("example", "compile ms", "first call ms", *(f"{k} ms" for k in stages)):
            table.add_column(column, justify="left" if column == "example" else "right")
        for row in compile_rows:
            stage_ms = (f"{row['stages_ms'][k]:.1f}" for k in stages)
            table.add_row(row["example"], f"{row['compile_ms']:.1f}", f"{row['first_compile_ms']:.1f}", *stage_ms)
        console.print(table)


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "jax": jax.__version__,
        "jaxlib": getattr(sys.modules.get("jaxlib"), "__version__", "unknown"),
        "optax": optax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "symbolic_pinn": symbolic_pinn.__version__,
    }


def main(argv=None) -> None:
    names = [p.name for p in problems()]
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[1:6]),
    )
    add = parser.add_argument
    add("--steps", type=int, default=50, help="timed steps per variant, after 1-2 warm-up steps (default 50)")
    choices = names + ["parse"]
    add("--only", nargs="+", metavar="NAME", choices=choices, help=f"run only these: {', '.join(choices)}")
    add("--quick", action="store_true", help="smoke test: 64 points per problem, 3 timed steps, 2 compile repeats")
    add(
        "--json",
        default=None,
        help="where to write the results (default benchmarks/results/derivatives.json; with --quick, "
        "a file in the temporary directory, so a smoke test never overwrites real results)",
    )
    add("--budget", type=float, default=5.0, help="skip a variant whose first step takes longer (s; default 5)")
    add(
        "--variant-seconds",
        type=float,
        default=6.0,
        help="time fewer than --steps steps (at least 3) if they would take longer than this (s; default 6)",
    )
    add("--max-memory-gb", type=float, default=4.0, help="skip a variant for which XLA plans more memory (default 4)")
    parser.add_argument("--points", type=int, default=None, help="override every problem's number of points")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = min(args.steps, 3)
        args.points = args.points or 64
    if args.steps < 1:
        parser.error("--steps must be ≥ 1")
    selected = set(args.only or names + ["parse"])
    backend = f"jax {jax.__version__} on {jax.default_backend()}, {os.cpu_count()} CPUs"
    progress(f"{backend}; {args.steps} timed steps per variant")

    results = []
    for problem in problems():
        if problem.name in selected:
            try:
                results.append(run_problem(problem, args))
            except Exception as err:  # noqa: BLE001 - e.g. symbolic_pinn.compile failed: report, go on
                console.print(f"[bold red]{problem.name}: {type(err).__name__}: {err}[/bold red]")
                error = f"{type(err).__name__}: {err}"
                results.append({"problem": problem.name, "description": problem.description, "error": error})
    compile_rows = time_compiler(2 if args.quick else 10) if "parse" in selected else []
    print_tables(results, compile_rows)

    if args.json is None:
        quick_json = pathlib.Path(tempfile.gettempdir()) / "symbolic_pinn_derivatives_quick.json"
        args.json = str(quick_json if args.quick else DEFAULT_JSON)
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": datetime.date.today().isoformat(),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "steps": args.steps,
            "quick": args.quick,
            "budget_s": args.budget,
            "variant_seconds": args.variant_seconds,
            "max_memory_gb": args.max_memory_gb,
            "points": args.points,
            "network": "3 hidden layers × 64, tanh, float32; inputs scaled to [-1, 1] as symbolic_pinn's Network",
            "optimizer": "optax.adam(1e-3)",
            "memory": "XLA memory_analysis() of the jitted step: argument + output + temp bytes",
            "residual_tolerance": TOLERANCE,
        },
        "total_seconds": time.perf_counter() - START,
    }
    document = {"meta": meta, "problems": results, "compile_times": compile_rows}
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
