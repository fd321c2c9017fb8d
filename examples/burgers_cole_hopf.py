"""The exact solution of burgers.pinn by the Cole–Hopf transform, for reference.

    python examples/burgers_cole_hopf.py        # prints u at a few points

Burgers' equation u_t + u u_x = ν u_xx with u(x, 0) = -sin(πx) becomes the heat
equation under u = -2ν φ_x / φ (Cole 1951, Hopf 1950); solving that on the line
and changing variables gives (Basdevant et al. 1986, Comput. Fluids 14:23–41)

    u(x, t) = -∫ sin(π(x - η)) f(x - η) exp(-η²/4νt) dη / ∫ f(x - η) exp(-η²/4νt) dη,
    f(y) = exp(-cos(πy) / (2πν)).

The initial data are odd and 2-periodic, so u stays 0 at x = ±1 and this is also the
solution on [-1, 1] with the Dirichlet conditions of burgers.pinn.  With η = √(4νt)·z
both integrals have the Gauss–Hermite weight exp(-z²); f spans e^(±1/2πν), so the
sums are taken relative to their largest term (as a log-sum-exp) to stay finite.
"""

from __future__ import annotations

import math

import numpy as np

NU = 0.01 / math.pi  # as in burgers.pinn
NODES = 200  # Gauss–Hermite nodes; the tests check the result does not change with more


def cole_hopf(x, t, nu: float = NU, nodes: int = NODES) -> np.ndarray:
    """u(x, t) of viscous Burgers with u(x, 0) = -sin(πx); x and t broadcast together.

    >>> float(cole_hopf(0.5, 0.0))
    -1.0
    """
    x, t = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(t, dtype=float))
    z, w = np.polynomial.hermite.hermgauss(nodes)
    keep = w > 0  # the outermost weights underflow to 0
    z, w = z[keep], w[keep]
    y = x[..., None] - np.sqrt(4 * nu * t)[..., None] * z  # x - η at every node
    log_terms = np.log(w) - np.cos(np.pi * y) / (2 * np.pi * nu)
    terms = np.exp(log_terms - log_terms.max(axis=-1, keepdims=True))
    return -np.sum(np.sin(np.pi * y) * terms, axis=-1) / np.sum(terms, axis=-1)


if __name__ == "__main__":
    for t in (0.0, 0.25, 0.5, 1.0):
        xs = np.array([-0.5, -0.01, 0.0, 0.01, 0.5])
        print(f"t = {t}: u({xs.tolist()}) = {np.round(cole_hopf(xs, t), 6).tolist()}")
