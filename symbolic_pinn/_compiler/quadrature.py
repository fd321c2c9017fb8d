"""A check of ``quadrature_order``: each ∫(f, s, a, b) at that order and at twice it.

Gauss–Legendre quadrature with n nodes is exact for polynomials of degree 2n − 1; an
integrand that oscillates faster than its nodes resolve gives a wrong integral, and
training then fits the wrong equation without a sign.  At compile time each integral
inside an equation is evaluated at a few points of its term's region, at
``quadrature_order`` and at twice it; a relative difference above ``TOLERANCE`` warns
(:class:`QuadratureWarning`) with the measured difference and the setting to change.

The fields in the integrand are the initial, random networks.  They are smooth on the
scale of the domain, so what is measured is the fixed part of the integrand (a kernel,
an oscillating coefficient): what the order must resolve whatever the fields become.
Checking fixed integrands only would miss kernels multiplied by a field; a field that
grows oscillations during training is not seen either way.
"""

from __future__ import annotations

import dataclasses
import warnings

from .._errors import QuadratureWarning
from . import ir

__all__ = ["check_quadrature", "TOLERANCE", "POINTS"]

TOLERANCE = 1e-3  # relative; float32 rounding of a resolved integral is ~1e-6
POINTS = 16  # points of each term's region the integrals are compared at
MAX_ORDER = 1000  # NetworkConfig's bound on quadrature_order


def integrals_of(program: ir.Program) -> list[tuple[ir.Term, ir.Integral]]:
    """Each outermost ∫(f, s, a, b) of the program, with the term it is in."""
    return [
        (term, node)
        for term in program.terms
        if not isinstance(term.region, ir.Data)
        for node in ir.walk(term.expr, into_integrals=False)
        if isinstance(node, ir.Integral)
    ]


def check_quadrature(program: ir.Program, network, constraints: dict, taylor_from_order) -> None:
    """Warn (QuadratureWarning) about each integral that changes when the order is doubled."""
    import jax
    import numpy as np

    from .plan import plan

    found = integrals_of(program)
    order = network.quadrature_order
    if not found or order >= MAX_ORDER:
        return
    # one probe term per integral: its value is the term's "residual"
    probes = tuple(ir.Term(f"integral{i}", "residual", t.region, node, 1.0) for i, (t, node) in enumerate(found))
    probe = dataclasses.replace(program, terms=probes)
    schedule = plan(probe, taylor_from_order=taylor_from_order, laplacian_samples=0)
    values = []
    with jax.enable_x64(True):  # the same networks and rounding whether or not training runs in float64
        for n in (order, min(2 * order, MAX_ORDER)):
            values.append(_evaluate(program, probe, probes, schedule, network, constraints, n))
    low, high = values
    for (term, node), p in zip(found, probes):
        a, b = low[p.name], high[p.name]
        difference = float(np.linalg.norm(a - b) / (np.linalg.norm(b) + 1e-6 * np.sqrt(b.size)))
        if difference > TOLERANCE:
            doubled = min(2 * order, MAX_ORDER)
            warnings.warn(
                f"the integral {ir.format_expr(node, program)} in `{term.label or term.name}` changes by "
                f"{difference:.1e} (relative) from quadrature_order {order} to {doubled}, at {POINTS} points "
                f"with the initial networks: {order} Gauss–Legendre nodes do not resolve its integrand; raise "
                f"the setting, e.g. quadrature_order = {min(4 * order, MAX_ORDER)} (--quadrature-order on the "
                "command line, quadrature_order= in compile() or the TOML file)",
                QuadratureWarning,
                stacklevel=3,
            )


def _evaluate(program, probe, probes, schedule, network, constraints, n: int) -> dict:
    """Each probe's integral at ``n`` Gauss–Legendre nodes, at POINTS points of its region, initial networks."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from .._runtime.sampling import sample_points
    from .emit import emit
    from .loader import load

    source = emit(probe, schedule, network=dataclasses.replace(network, quadrature_order=n), constraints=constraints)
    module = load(source, "quadrature check")
    params = module.init_params(jax.random.PRNGKey(0))
    extra = {"parameters": module.PARAMETERS} if program.parameters else {}
    points = {
        t.name: tuple(
            jnp.asarray(c)
            for c in sample_points(
                1, t.region.sampled(), POINTS, module.DOMAIN, module.SHAPE, t.name in module.NORMALS, **extra
            )
        )
        for t in probes
    }
    evaluated = jax.jit(module.residuals)(params, points)  # one XLA compilation, not one per operation
    return {k: np.asarray(v, np.float64) for k, v in evaluated.items()}
