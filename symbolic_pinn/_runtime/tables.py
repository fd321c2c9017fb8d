"""Tabulated functions read by a generated module: multilinear interpolation on a grid.

On the cell [a₀, a₁] × [b₀, b₁] ∋ (x, y) with s = (x − a₀)/(a₁ − a₀), r = (y − b₀)/(b₁ − b₀)
the interpolant is Σ over the corners of the value there times ((1 − s) or s)·((1 − r) or r).
A derivative along an axis replaces that axis's factors by their derivatives, (−1/h, 1/h),
so ∂^α of the interpolant is the same sum with other weights; a second derivative along
one axis is zero.  jax.scipy.interpolate.RegularGridInterpolator gives the values only;
the compiler asks for ∂^α by name (SymPy's chain rule made it), hence this function.
Points outside the grid take the value at its edge (the checker refuses tables that do
not cover the domain, so only rounding reaches there).
"""

import itertools

import jax.numpy as jnp


def interpolate(table, *coords, derivative=None):
    """∂^derivative of the multilinear interpolant of ``table = (axes, values)`` at the points."""
    axes, values = table
    derivative = derivative or (0,) * len(axes)
    coords = jnp.broadcast_arrays(*(jnp.asarray(c, dtype=float) for c in coords))
    if any(k > 1 for k in derivative):
        return jnp.zeros_like(coords[0])
    cells, weights = [], []
    for axis, x, k in zip(axes, coords, derivative):
        axis = jnp.asarray(axis, dtype=x.dtype)
        i = jnp.clip(jnp.searchsorted(axis, x, side="right") - 1, 0, len(axis) - 2)
        h = axis[i + 1] - axis[i]
        s = jnp.clip((x - axis[i]) / h, 0.0, 1.0)
        cells.append(i)
        weights.append((1 - s, s) if k == 0 else (-1 / h, 1 / h))
    grid = jnp.asarray(values, dtype=coords[0].dtype)
    total = jnp.zeros_like(coords[0])
    for corner in itertools.product((0, 1), repeat=len(axes)):
        weight = weights[0][corner[0]]
        for w, c in zip(weights[1:], corner[1:]):
            weight = weight * w[c]
        total = total + weight * grid[tuple(i + c for i, c in zip(cells, corner))]
    return total
