"""Adaptive loss weights by gradient-norm balancing ("learning rate annealing").

Wang, Teng & Perdikaris 2021, "Understanding and mitigating gradient flow pathologies
in physics-informed neural networks", SIAM J. Sci. Comput. 43(5), Algorithm 1.  The
terms on the interior (the equations, with their fixed weights) are the reference
L_r = Σ_r w_r L_r.  Every ``adaptive_weights_every`` Adam steps, each other term's
weight moves towards the value that makes its gradient, on average over the
parameters, as large as the reference's largest gradient component:

    λ̂_i = max_θ |∇_θ L_r| / mean_θ |∇_θ L_i|,        λ_i ← (1 − α) λ_i + α λ̂_i

(α = ``adaptive_weights_alpha``, 0.1 as in the authors' code, which weights the old
value by β = 0.9).  As in that code, θ is the networks' weight matrices only (biases
and unknowns left out), the max is over all their entries and the mean is the mean
over the matrices of each matrix's mean.  This matters: on Poisson the largest
gradient component is a bias's, and with it λ̂ starts 100 times larger.  The
weights start at the problem's ``weight``s; a term whose gradient is 0 keeps its
weight.  L-BFGS then uses the last weights, fixed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._compiler import ir
from .._errors import PinnError

__all__ = ["Balancing", "initial_weights"]


def initial_weights(compiled, dtype) -> dict:
    """Each term's ``weight``, as an array (an argument of the jitted steps)."""
    return {name: jnp.asarray(w, dtype=dtype) for name, w in compiled.module.WEIGHTS.items()}


class Balancing:
    """Moves the weights of the terms off the interior between Adam steps, as its settings ask.

    ``update(step, params, points, weights)`` returns the weights for Adam step
    ``step`` (the same dictionary when nothing is due, or when balancing is off).
    """

    def __init__(self, compiled, config):
        program = compiled.ir
        self.config = config
        self.reference = tuple(t.name for t in program.terms if t.region == ir.INTERIOR)
        self.adapted = tuple(t.name for t in program.terms if t.region != ir.INTERIOR)
        if config.adaptive_weights and not (self.reference and self.adapted):
            # none off the interior because every condition is built into the networks?
            built_in = bool(self.reference) and any(e.imposed or e.pairs for e in compiled.exact.values())
            raise PinnError(
                "adaptive_weights balances the terms off the interior against those on it, "
                f"and this problem has {'none off' if self.reference else 'none on'} the interior"
                + (" (its conditions are built into the network)" if built_in else ""),
                help="leave adaptive_weights off; fixed weights are set with `weight` in the problem"
                + (
                    "; or keep the conditions as loss terms with hard_constraints, exact_initial and"
                    " periodic_embedding off (--no-hard-constraints ...)"
                    if built_in
                    else ""
                ),
            )
        self.losses = compiled.module.losses
        self._balance = jax.jit(self.balance)

    def due(self, step: int) -> bool:
        """Whether :meth:`update` changes the weights before Adam step ``step``."""
        return self.config.adaptive_weights and step % self.config.adaptive_weights_every == 0

    def update(self, step: int, params, points: dict, weights: dict) -> dict:
        if self.due(step):
            return self._balance(params, points, weights)
        return weights

    def balance(self, params, points: dict, weights: dict) -> dict:
        """One step of the moving average: the new weights."""
        grads = jax.jacrev(lambda p: self.losses(p, points))(params)
        matrices = {name: [g for g in jax.tree.leaves(grads[name]) if g.ndim == 2] for name in grads}
        reference = [sum(weights[name] * ms[name] for name in self.reference) for ms in _by_matrix(matrices)]
        top = jnp.max(jnp.stack([jnp.max(jnp.abs(m)) for m in reference]))
        alpha = self.config.adaptive_weights_alpha
        new = dict(weights)
        for name in self.adapted:
            mean = jnp.mean(jnp.stack([jnp.mean(jnp.abs(m)) for m in matrices[name]]))
            target = jnp.where(mean > 0, top / jnp.where(mean > 0, mean, 1), weights[name])
            new[name] = ((1 - alpha) * weights[name] + alpha * target).astype(weights[name].dtype)
        return new


def _by_matrix(matrices: dict[str, list]) -> list[dict]:
    """From each term's list of gradient matrices to one {term: matrix} per matrix."""
    names = list(matrices)
    return [dict(zip(names, ms)) for ms in zip(*matrices.values())]
