"""Collocation points on a box domain: interior, whole boundary, one face; test grids.

Interior and face points are scrambled Sobol points (scipy.stats.qmc), which cover
the box more evenly than uniform random points — this matters for energies, whose
integrals are estimated by the mean over the points.  Boundary points are spread
over the faces in proportion to their area.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import qmc

from . import _ir as ir

__all__ = ["sample", "test_grid"]


def _sobol(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    if d == 0:
        return np.zeros((n, 0))
    m = max(0, math.ceil(math.log2(max(n, 1))))
    points = qmc.Sobol(d, scramble=True, seed=rng).random_base2(m)
    return points[:n]


def sample(program: ir.Program, region: ir.Region, n: int, seed: int) -> np.ndarray:
    """``n`` points (fewer on 1-D boundaries) of a region, shape (n, number of variables)."""
    rng = np.random.default_rng(seed)
    lo = np.array([v.lo for v in program.variables])
    hi = np.array([v.hi for v in program.variables])
    d = len(lo)
    if region.kind == "interior":
        return lo + (hi - lo) * _sobol(n, d, rng)
    if region.kind == "face":
        axis = [v.name for v in program.variables].index(region.variable)
        return _on_face(lo, hi, axis, region.value, n, rng)
    if d == 1:
        return np.array([[lo[0]], [hi[0]]])
    widths = hi - lo
    areas = np.prod(widths) / widths
    counts = np.maximum(1, np.round(n * areas / (2 * areas.sum()))).astype(int)
    faces = []
    for axis in range(d):
        for value in (lo[axis], hi[axis]):
            faces.append(_on_face(lo, hi, axis, value, counts[axis], rng))
    return np.concatenate(faces)


def _on_face(lo, hi, axis, value, n, rng) -> np.ndarray:
    d = len(lo)
    if d == 1:
        return np.array([[value]])
    free = [i for i in range(d) if i != axis]
    points = np.empty((n, d))
    points[:, free] = lo[free] + (hi[free] - lo[free]) * _sobol(n, d - 1, rng)
    points[:, axis] = value
    return points


def test_grid(program: ir.Program, total: int = 10_000) -> np.ndarray:
    """A regular grid over the box with about ``total`` points (ends included)."""
    d = len(program.variables)
    per_axis = max(2, int(round(total ** (1 / d))))
    axes = [np.linspace(v.lo, v.hi, per_axis) for v in program.variables]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=-1)
