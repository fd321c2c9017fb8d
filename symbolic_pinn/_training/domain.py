"""Collocation points of a domain: interior, whole boundary, one face; test grids.

Points are scrambled Sobol points (scipy.stats.qmc) by default, which cover the
domain more evenly than uniform random points — this matters for energies, whose
integrals are estimated by the mean over the points; Halton and uniform random points
are the alternatives (``sampler``).  Boundary points are spread over the parts
of the boundary in proportion to their area.  The sampling itself lives in
``_runtime`` so that generated modules carry the same code.
"""

from __future__ import annotations

import numpy as np

from .._compiler import ir
from .._runtime.sampling import in_home, sample_points

__all__ = ["sample", "test_grid", "home"]


def sample(
    program: ir.Program, region: ir.Region, n: int, seed: int, normals: bool = False, sampler: str = "sobol"
) -> np.ndarray:
    """``n`` points of a region (about ``n`` on a boundary), shape (n, number of variables).

    With ``normals=True`` the outward unit normal's components along the spatial
    variables follow as extra columns.  ``sampler`` is "sobol", "halton" or "uniform".
    The sampler is the generated module's own (``_runtime.sample_points``), so
    training and the module agree on what a region is.
    """
    domain = {v.name: (v.lo, v.hi) for v in program.variables}
    columns = sample_points(seed, region.sampled(), n, domain, program.shape, normals, sampler, program.non_spatial)
    return np.stack(columns, axis=-1)


def test_grid(program: ir.Program, total: int = 10_000, fixed: dict[str, float] | None = None) -> np.ndarray:
    """A regular grid over the domain with about ``total`` points of the bounding box
    (ends included); for a shaped domain, the grid points inside the shape.

    In high dimension a grid of at least 2 points per axis would have 2^d points (2^30
    is a billion): when that is more than twice ``total``, the points are ``total``
    scrambled Halton points of the box instead (a fixed seed: the same points every time).

    ``fixed`` holds some variables at one value each (a parameter at ``k = 2``): the grid
    spans the others, and those columns are that value.
    """
    fixed = fixed or {}
    free = [v for v in program.variables if v.name not in fixed]
    d = len(free)
    per_axis = max(2, int(round(total ** (1 / d))))
    if per_axis**d > 2 * total:
        grid = _quasi_random(free, total)
    else:
        axes = [np.linspace(v.lo, v.hi, per_axis) for v in free]
        mesh = np.meshgrid(*axes, indexing="ij")
        grid = np.stack([m.ravel() for m in mesh], axis=-1)
    if fixed:
        columns = iter(grid.T)
        held = [np.full(len(grid), float(fixed[v.name])) if v.name in fixed else None for v in program.variables]
        grid = np.stack([next(columns) if c is None else c for c in held], axis=-1)
    if program.shape is not None:
        names = [v.name for v in program.variables]
        variables, tree = program.shape
        columns = [names.index(v) for v in variables]
        grid = grid[tree.distance(grid[:, columns]) <= 1e-12]
    return grid


def home(program: ir.Program, grid: np.ndarray, field: str) -> np.ndarray:
    """The rows of ``grid`` in the region where ``field`` lives (`field u1(x) in A`; all of them
    for a field of all of Ω): a field's error is measured where it means something."""
    names = [v.name for v in program.variables]
    return grid[in_home(program.field(field).region, {v: grid[:, i] for i, v in enumerate(names)})]


def _quasi_random(variables: list[ir.Variable], total: int) -> np.ndarray:
    from scipy.stats import qmc  # slow to import: only when needed

    points = qmc.Halton(len(variables), scramble=True, seed=0).random(total)  # any n, no warning
    lo = np.array([v.lo for v in variables])
    hi = np.array([v.hi for v in variables])
    return qmc.scale(points, lo, hi)
