"""Whether a problem's ``exact`` solutions satisfy its equations and conditions.

The problem is compiled with every condition as a term (none built into a network), and
each term's residual function of the generated module is evaluated at ``POINTS`` points
of its region with the fields replaced by the exact expressions (derivatives by JAX's
autodiff, in float64).  A term whose residual is not small relative to the size of its
parts is reported: its rms with the exact solution is compared with the rms of the
residual with every field zero (the sources), plus that of the change the fields make,
plus the size of the exact fields themselves (their rms over interior points).
Terms that cannot be checked are left out: data, integrals and energies, terms with a
random estimate, terms using a field without an exact solution, and every term of a
problem with unknowns (their values are not known).
"""

from __future__ import annotations

import types

from .._runtime.sampling import sample_points, sample_region
from . import ir

__all__ = ["unsatisfied", "POINTS", "TOLERANCE", "MAX_VARIABLES"]

POINTS = 64  # per term
# above this many variables the check is not run by `check` and `compile`: it differentiates the
# exact expressions along each variable by nested forward passes, whose compile grows with the
# square of their number (a 100-variable Poisson problem: 16 s, 2026-12-08)
MAX_VARIABLES = 20
TOLERANCE = 1e-6  # relative: float64 exact solutions meet their equations to ~1e-12


def unsatisfied(problem) -> list[str]:
    """One sentence per term of ``problem`` (text, a Spec or a file's parse) that its exact
    solutions do not satisfy: the term and the size of the residual; [] when all do."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from .pipeline import compile

    compiled = compile(problem, hard_constraints=False, energy_constraints=False, exact_initial=False, width=2, depth=1)
    module, program = compiled.module, compiled.ir
    exact = dict(getattr(module, "EXACT", {}))
    if not exact or program.unknowns:
        return []
    randomized = set(getattr(module, "RANDOMIZED", ()))
    domain = {v.name: (v.lo, v.hi) for v in program.variables}
    found = []
    with jax.enable_x64(True):

        def nan(*args):
            return jnp.full(jnp.shape(args[0]), jnp.nan)

        def zero(*args):
            return jnp.zeros(jnp.shape(args[0]))

        def residuals(fields: dict):
            namespace = dict(vars(module), fields=lambda params: fields)
            return types.FunctionType(module.residuals.__code__, namespace, "residuals")

        with_exact = jax.jit(residuals({f: exact.get(f, nan) for f in module.FIELDS}))
        with_zero = jax.jit(residuals({f: zero if f in exact else nan for f in module.FIELDS}))
        params = module.init_params(jax.random.PRNGKey(0))
        inside = sample_region(0, ("interior",), POINTS, domain, program.shape, False, "sobol", program.non_spatial)
        inside = [jnp.asarray(c, jnp.float64) for c in inside]
        names = [v.name for v in program.variables]
        sizes = [
            _rms(np.asarray(function(*(inside[names.index(a)] for a in module.FIELDS[f]))))
            for f, function in exact.items()
        ]
        floor = max((s for s in sizes if np.isfinite(s)), default=0.0)
        for seed, term in enumerate(program.terms):
            if term.kind != "residual" or isinstance(term.region, ir.Data) or term.name in randomized:
                continue
            columns = len(program.variables) + (len(program.spatial) if ir.uses_normals(term) else 0)
            drawn = sample_points(
                seed, term.region.sampled(), POINTS, domain, program.shape, True, "sobol", program.non_spatial
            )
            points = {term.name: tuple(jnp.asarray(c, jnp.float64) for c in drawn[:columns])}
            r = np.asarray(with_exact(params, points)[term.name], dtype=float)
            if not np.all(np.isfinite(r)):
                continue  # a field without an exact solution, or an expression not defined there
            r0 = np.asarray(with_zero(params, points)[term.name], dtype=float)
            parts = [_rms(r0), _rms(r - r0)] if np.all(np.isfinite(r0)) else []
            scale = sum(parts) + floor or 1.0
            size = _rms(r)
            if size > TOLERANCE * scale:
                label = getattr(term, "label", None) or term.name
                found.append(
                    f"the exact solution does not satisfy `{label}`: its residual there is {size:.3g} "
                    f"(rms over {POINTS} points; the terms' size is {scale:.3g})"
                )
    return found


def _rms(values) -> float:
    import numpy as np

    return float(np.sqrt(np.mean(np.square(values)))) if np.size(values) else 0.0
