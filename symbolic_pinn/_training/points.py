"""The points a run trains on, and the held-out points its finish watches.

- :func:`initial_points`: every term's points at the start; terms on the same region share them.
- :class:`Adapt`: before each step of a phase, what may change its points and weights:
  Adam's resampling, RAR and adaptive weights (``_sampling``, ``_weights``); fresh interior
  points for a phase whose stepper can take them (``refresh``: the dense quasi-Newton
  phase, which keeps its matrix) every ``bfgs_resample_every`` steps and when the
  held-out loss asks for them.
- :class:`HeldOut`: the loss on held-out points, which a finisher watches and never trains on.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable

import jax
import jax.numpy as jnp

from .._compiler import ir
from .._config import TrainConfig
from .._errors import PinnError
from . import devices, domain, point_weights, quadrature, sampling
from . import weights as _weights
from .state import Run
from .steps import check_together, upcast

if typing.TYPE_CHECKING:  # pragma: no cover
    from .steps import Leg

__all__ = ["initial_points", "Adapt", "HeldOut", "DONE_RTOL"]

DONE_RTOL = 0.01  # with until_done, a held-out evaluation makes progress when it lowers the lowest by this, relatively


def initial_points(compiled, config: TrainConfig, dtype, held_out: bool = False) -> dict:
    """Points for every term; terms on the same region share them.  Under a Gauss–Legendre rule
    (``quadrature.choose``) the interior's are its nodes, and an energy's points end with their
    weights (``held_out``: the rule with one more node per panel, see ``HeldOut``)."""
    program = compiled.ir
    gauss = quadrature.choose(compiled, config)[0] == "gauss"
    by_region: dict = {}
    points = {}
    for term in program.terms:
        region = term.region
        if isinstance(region, ir.Data):
            observations = compiled.observations[region.path]
            columns = [observations.coordinates[v.name] for v in program.variables]
            columns += [observations.observed[f] for f in ir.observed_fields(program, term)]
            points[term.name] = tuple(jnp.asarray(c, dtype=dtype) for c in columns)
            continue
        if region not in by_region:  # with the normals: a term that needs none ignores those columns
            n = getattr(config, region.points_setting)
            seed = config.seed + 1000 * (len(by_region) + 1)
            if gauss and region == ir.INTERIOR:  # the coordinates, then the weights
                array = quadrature.nodes(program, n, held_out)
            else:
                array = domain.sample(program, region, n, seed=seed, normals=True, sampler=config.sampler)
            by_region[region] = tuple(jnp.asarray(array[:, j], dtype=dtype) for j in range(array.shape[1]))
        columns = len(program.variables) + (len(program.spatial) if ir.uses_normals(term) else 0)
        weighted = gauss and region == ir.INTERIOR  # (every term there is an energy)
        points[term.name] = by_region[region][:columns] + (by_region[region][-1:] if weighted else ())
    return points


class Adapt:
    """Before step ``i`` of a phase: for a phase that adapts (Adam) the points, then the weights
    (see _sampling, _weights); for a phase that can take fresh points (its stepper's
    ``refresh``), fresh interior points every ``bfgs_resample_every`` steps, and when the
    held-out loss asks for them (:meth:`fresh`).  New points are split over the devices, and
    a phase's new optimiser state is replicated (``placement``)."""

    def __init__(
        self,
        collocation: sampling.Collocation,
        balancing: _weights.Balancing,
        placement,
        restarts: point_weights.Restarts | None = None,
    ):
        self.collocation, self.balancing, self.placement = collocation, balancing, placement
        self.restarts = restarts  # the multipliers of points that change (point_weights)
        self.every = collocation.config.bfgs_resample_every
        if self.every and not collocation.columns:
            raise PinnError(
                "bfgs_resample_every draws fresh interior points, and this problem has no term on the interior",
                help="leave bfgs_resample_every at 0",
            )

    def __call__(self, leg: Leg, i: int, run: Run) -> None:
        points = run.points
        if i == 0:
            run.opt_state = self.placement.replicate(run.opt_state)
        if leg.phase.adapts:
            run.points = self.collocation.update(i, run.params, run.points, run.weights)
            run.weights = self.balancing.update(i, run.params, run.points, run.weights)
        elif self.due(leg, i):
            self.fresh(run, leg, sampling.draw_seed(self.collocation.config.seed, "resample", run.step))
        if run.points is not points:
            run.points = self.placement.points(run.points)
            check_together(run.points, self.collocation.groups)
            self.restart(run, points)

    def restart(self, run: Run, old: dict) -> None:
        if self.restarts is not None:
            run.weights = self.placement.replicate(self.restarts(run.weights, run.params, old, run.points))

    def due(self, leg: Leg, i: int) -> bool:
        """Whether the points or weights may change before step ``i`` of a phase (a dispatch of several
        steps ends before it)."""
        if leg.phase.adapts:
            return self.collocation.due(i) or self.balancing.due(i)
        return leg.stepper.refresh is not None and bool(self.every) and i > 0 and i % self.every == 0

    @property
    def can_draw(self) -> bool:
        """Whether the held-out loss may ask for fresh interior points: an interior, and only equations on it.
        An energy's fresh points only re-draw its Monte Carlo estimate (on the Ritz example the finish then
        wandered from the minimiser it had reached: the error rose from 6.6e-5 to 1.3 over 2,000 steps)."""
        return self.collocation.equations

    def fresh(self, run: Run, leg: Leg, seed: int) -> None:
        """New interior points (as many) for a phase that can take them; its stepper refreshes its state."""
        collocation, old = self.collocation, run.points
        n = len(collocation.current(run.points)[0])
        fresh = collocation._replace(
            run.points, collocation.draw_by_residual(n, seed, run.params, run.points, run.weights)
        )
        run.points = self.placement.points(upcast(fresh) if leg.phase.float64 else fresh)
        check_together(run.points, collocation.groups)
        self.restart(run, old)
        run.opt_state = self.placement.replicate(leg.stepper.refresh(run.opt_state))


class HeldOut:
    """The loss on held-out points, which the finishing phase watches and never trains on.

    They are as many as the training points, on the same regions, drawn with their own
    seeds (``draw_seed(seed, "holdout", 0)``); data terms keep their observations, and an
    energy on a Gauss–Legendre rule is held out on the rule with one more node per panel
    (``quadrature.nodes``): another quadrature of the same integral.  Every
    ``holdout_every`` steps of a finisher (lbfgs or bfgs) the loss is evaluated
    there (one forward pass).  The phase ends with the parameters where it was lowest, and
    after ``holdout_patience`` evaluations in a row without a new lowest, a phase that can
    take fresh points (the dense one) draws fresh interior points (at most ``holdout_resamples``
    times; by the residual, ``fresh_points``) or the phase ends.  With ``holdout_gap = G`` it
    also draws them when the held-out loss is more than G times the training loss while
    still falling.  Only equations draw (``Adapt.can_draw``): a problem with an energy on
    the interior ends on a stall.

    Why: on fixed points a quasi-Newton phase lowers the training loss long after the
    solution stopped improving, by fitting the points (Burgers' loss on its 4,096 points
    falls to 1e-7 while the same loss on held-out points stays near 8e-5), and it can drive a
    Monte Carlo estimate of an energy below the true minimum (the Ritz form: −4.2 against
    −π²/4), away from the solution.  The held-out loss measures the problem, not the points.
    """

    def __init__(self, compiled, config: TrainConfig, total: Callable, placement: devices.Placement):
        self.compiled, self.config, self.placement = compiled, config, placement
        self.every = config.holdout_every
        self._loss = jax.jit(lambda params, points, weights: total(params, points, weights)[0])
        self._points: dict | None = None

    def due(self, leg: Leg, i: int, last: bool, run: Run) -> bool:
        """Whether the held-out loss is evaluated after step ``i`` (from 0) of a phase: a finisher's,
        every ``holdout_every`` steps, and after its last if it was before."""
        return (
            bool(self.every) and leg.phase.finisher and (i % self.every == 0 and i > 0 or last and run.best < math.inf)
        )

    def __call__(self, run: Run) -> float:
        dtype = jax.tree.leaves(run.points)[0].dtype
        if self._points is None or jax.tree.leaves(self._points)[0].dtype != dtype:
            seed = sampling.draw_seed(self.config.seed, "holdout", 0)
            self._points = self.placement.points(
                initial_points(self.compiled, dataclasses.replace(self.config, seed=seed), dtype, held_out=True)
            )
            check_together(self._points, getattr(self.compiled.module, "SHARED", ()))
        # the points' multipliers (point_weights) belong to the training points, not to these
        return float(self._loss(run.params, self._points, point_weights.without(run.weights)))

    def check(self, run: Run, leg: Leg, adapt: Adapt, training: float) -> tuple[float, str | None]:
        """Evaluate at ``run.params``: keep them if lowest, draw fresh points or end after a stall.

        ``training`` is the training loss of the step.  Returns the held-out loss and why
        the phase ends (None: it goes on).
        """
        value = self(run)
        config = self.config
        drawable = leg.stepper.refresh is not None and run.rounds < config.holdout_resamples and adapt.can_draw
        gap = config.holdout_gap and training > 0 and value > config.holdout_gap * training
        lowest = value < run.best  # a NaN is never lowest
        # until done, only a fall of DONE_RTOL counts as progress: a creeping loss does not go on for ever
        progress = value < run.best * (1 - DONE_RTOL) if config.until_done else lowest
        if lowest:
            run.best, run.best_step, run.best_params = value, run.step, run.params
        run.stall = 0 if progress else run.stall + 1
        # a gap: the points are being fitted rather than the problem
        if drawable and (gap or run.stall >= config.holdout_patience):
            run.rounds, run.stall = run.rounds + 1, 0
            adapt.fresh(run, leg, sampling.draw_seed(config.seed, "holdout", run.step))
            return value, None
        if run.stall < config.holdout_patience:
            return value, None
        draws = f", after {run.rounds} fresh draws" if run.rounds else ""
        if config.until_done:
            return value, (
                f"done: the held-out loss fell by less than {DONE_RTOL:.0%} in {config.holdout_patience}"
                f" evaluations, {self.every} steps apart{draws}"
            )
        return value, (
            f"the held-out loss stopped falling ({config.holdout_patience} evaluations, {self.every} steps apart,"
            f" without a new lowest{draws})"
        )

    def keep_best(self, run: Run) -> dict:
        """The parameters to end the phase with: those of the lowest held-out loss, the current ones included."""
        if run.best_params is None:
            return run.params
        if run.best_step != run.step:
            value = self(run)
            if value < run.best:
                run.best, run.best_step, run.best_params = value, run.step, run.params
        return run.best_params

    def report(self, run: Run, phase: str) -> dict:
        """For metrics.json: the lowest held-out loss, its step, and the fresh draws."""
        return {"phase": phase, "lowest": run.best, "at_step": run.best_step, "fresh_draws": run.rounds}
