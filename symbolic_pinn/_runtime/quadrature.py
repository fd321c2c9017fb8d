"""Gauss–Legendre quadrature of integrals inside equations, at every point of a batch."""

import jax
import jax.numpy as jnp


def gauss_legendre(f, lo, hi, order, like):
    """∫ f(s) ds from ``lo`` to ``hi`` at every point of a batch, by Gauss–Legendre quadrature.

    ``f`` maps integration points of shape (N,) to values (N,), pointwise; ``lo`` and
    ``hi`` are numbers or (N,) arrays; ``like`` is an (N,) array of the batch.  With
    ``order`` nodes the rule is exact for polynomials of degree 2·order − 1.
    """
    import numpy as np

    nodes, weights = np.polynomial.legendre.leggauss(order)
    half, mid = (hi - lo) / 2, (hi + lo) / 2
    s = mid + half * jnp.asarray(nodes, like.dtype)[:, None] + jnp.zeros_like(like)  # (order, N)
    values = jax.vmap(f)(s)
    return half * jnp.tensordot(jnp.asarray(weights, like.dtype), values, axes=1)


def quadrature_weights(columns, count):
    """Each point's quadrature weight relative to the mean: the column after the ``count``
    coordinate columns of an energy's points, when they carry one (Gauss–Legendre nodes of a
    box, whose weights sum to the number of points), else 1 (points drawn at random, whose
    mean estimates the integral).  ``measure · mean(q · f)`` is then Σᵢ wᵢ f(xᵢ) either way.
    """
    return columns[count] if len(columns) > count else 1
