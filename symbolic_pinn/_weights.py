"""Adaptive loss weights by gradient-norm balancing ("learning rate annealing").

Wang, Teng & Perdikaris 2021, "Understanding and mitigating gradient flow pathologies
in physics-informed neural networks", SIAM J. Sci. Comput. 43(5), Algorithm 1.  The
terms on the interior (the equations, with their fixed weights) are the reference
L_r = Σ_r w_r L_r.  Every ``adaptive_weights_every`` Adam steps, each other term's
weight moves towards the value that makes its gradient, on average over the
parameters, as large as the reference's largest gradient component:

    λ̂_i = max_θ |∇_θ L_r| / mean_θ |∇_θ L_i|,        λ_i ← (1 − α) λ_i + α λ̂_i

(α = ``adaptive_weights_alpha``, 0.1 as in the authors' code, which weights the old
value by β = 0.9).  Their code takes the max and mean per layer of weight matrices;
here they are over all parameters at once.  The weights start at the problem's
``weight``s; a term whose gradient is 0 keeps its weight.  L-BFGS then uses the last
weights, fixed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import _ir as ir
from ._errors import PinnError

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
            raise PinnError(
                "adaptive_weights balances the terms off the interior against those on it, "
                f"and this problem has {'none on' if not self.reference else 'none off'} the interior",
                help="leave adaptive_weights off; fixed weights are set with `weight` in the problem",
            )
        self.losses = compiled.module.losses
        self._balance = jax.jit(self.balance)

    def update(self, step: int, params, points: dict, weights: dict) -> dict:
        config = self.config
        if config.adaptive_weights and step % config.adaptive_weights_every == 0:
            return self._balance(params, points, weights)
        return weights

    def balance(self, params, points: dict, weights: dict) -> dict:
        """One step of the moving average: the new weights."""
        grads = jax.jacrev(lambda p: self.losses(p, points))(params)
        flat = {name: jnp.concatenate([jnp.ravel(g) for g in jax.tree.leaves(grads[name])]) for name in grads}
        top = jnp.max(jnp.abs(sum(weights[name] * flat[name] for name in self.reference)))
        alpha = self.config.adaptive_weights_alpha
        new = dict(weights)
        for name in self.adapted:
            mean = jnp.mean(jnp.abs(flat[name]))
            target = jnp.where(mean > 0, top / jnp.where(mean > 0, mean, 1), weights[name])
            new[name] = ((1 - alpha) * weights[name] + alpha * target).astype(weights[name].dtype)
        return new
