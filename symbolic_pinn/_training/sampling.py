"""Collocation points that change during Adam: resampling, and residual-based refinement.

Both act on the interior points, which every term on the interior shares; boundary,
face and data points stay as drawn.  Between two Adam steps:

- **resampling** (``resample_every = N``): every N steps the interior set is drawn
  afresh with the run's sampler, all but the points RAR has placed;
- **RAR**, residual-based adaptive refinement (``rar``; Lu, Meng, Mao & Karniadakis
  2021, "DeepXDE", SIAM Review 63(1)): every ``rar_every`` steps the pointwise
  residual Σₖ wₖ rₖ² of the equations on the interior is evaluated on
  ``rar_candidates`` fresh points, and the ``rar_points`` of them where it is largest
  are added to the set.  DeepXDE appends them, so the set grows and the train step
  is compiled again for every new size.  Here the set keeps its size: the K
  refinements of a run (K = (adam_steps − 1) // rar_every) fill the last K·rar_points
  places of the set, one block per refinement from the end, which until then hold
  ordinary points.  The arrays keep their shapes, the train step is compiled once,
  and the set ends as n − K·rar_points ordinary points plus every point RAR added.
  (Replacing the set's points of smallest residual instead was tried first: on a 1-D
  Poisson problem with 64 points it emptied the smooth parts of the interval, and
  the error grew 100-fold.)

L-BFGS then runs on the last set: its curvature history assumes a fixed objective.
The dense quasi-Newton phase may draw fresh interior points (``points.Adapt``): with
``fresh_points = "residual"`` (the default) they are drawn by **RAD**, residual-based
adaptive distribution (Wu, Zhu, Tan, Kartha & Lu 2023, "A comprehensive study of
non-adaptive and residual-based adaptive sampling for PINNs", CMAME 403): among
``RAD_CANDIDATES`` × n uniform candidates, n are chosen without replacement with
probability ∝ ε/mean(ε) + 1, ε the pointwise residual (their k = 1, c = 1).  A shock then
gets points where the residual is large, and every region keeps some.  An energy's
integral is a mean over uniform points, so a problem with an energy on the interior
always draws uniformly.
Every draw's seed follows from the run's seed, the kind of draw and the step, so a
resumed run draws the same points as one that was never stopped.

With several processes (``_devices``) each holds its share of the set: a resampling
draws the whole set on every process and each keeps its share, RAR's points that stay
are gathered first (they are few); RAR scores its candidates split over the devices of
every process, gathers the scores (one number per candidate) and every process picks
the same best ones, which are written into the set where each process holds them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._compiler import ir
from .._errors import PinnError
from . import devices, domain

__all__ = ["Collocation", "draw_seed"]

RAD_CANDIDATES = 4  # uniform candidates per point drawn by RAD (Wu et al. use a dense pool; 4× is ample at n ≥ 10³)
_DRAWS = {"resample": 1, "rar": 2, "holdout": 3}  # kinds of draw, each its own stream of seeds


def draw_seed(seed: int, kind: str, step: int) -> int:
    """The seed of the draw of ``kind`` ("resample" or "rar") before Adam step ``step``
    (and of the held-out points, "holdout", see ``points.HeldOut``).

    >>> draw_seed(0, "rar", 100) == draw_seed(0, "rar", 100) != draw_seed(0, "resample", 100)
    True
    """
    return int(np.random.SeedSequence([seed, _DRAWS[kind], step]).generate_state(1)[0])


class Collocation:
    """Updates a run's interior points between Adam steps, as its settings ask.

    ``update(step, params, points, weights)`` returns the points for Adam step
    ``step`` (the same dictionary when nothing is due).
    """

    def __init__(self, compiled, config, dtype, placement: devices.Placement = devices.ONE):
        program = compiled.ir
        self.config, self.dtype, self.program, self.placement = config, dtype, program, placement
        self.losses = compiled.module.losses
        self.groups = getattr(compiled.module, "SHARED", ())  # terms whose points must stay the same arrays
        self.columns = {  # how many coordinate columns each interior term takes
            t.name: len(program.variables) + (len(program.spatial) if ir.uses_normals(t) else 0)
            for t in program.terms
            if t.region == ir.INTERIOR
        }
        self.width = max(self.columns.values(), default=0)
        self.scored = tuple(t.name for t in program.terms if t.region == ir.INTERIOR and t.kind == "residual")
        if (config.resample_every or config.rar) and not self.columns:
            raise PinnError(
                "resample_every and rar act on the interior points, and this problem has no term on the interior",
                help="leave resample_every at 0 and rar off",
            )
        if config.rar and not self.scored:
            raise PinnError(
                "rar adds points where an equation's residual is largest, and this problem has no equation "
                "on the interior",
                help="an energy (`minimize`) has no pointwise residual: leave rar off, or use resample_every",
            )
        self._score = jax.jit(self._pointwise)

    def due(self, step: int) -> bool:
        """Whether :meth:`update` changes the points before Adam step ``step``."""
        return self.resamples(step) or self.refines(step)

    def resamples(self, step: int) -> bool:
        every = self.config.resample_every
        return step > 0 and bool(every) and step % every == 0

    def refines(self, step: int) -> bool:
        return step > 0 and self.config.rar and step % self.config.rar_every == 0

    def update(self, step: int, params, points: dict, weights: dict) -> dict:
        config = self.config
        if self.resamples(step):
            current = self.current(points)
            kept = self.placed(step)  # RAR's points stay
            fresh = self.draw(len(current[0]) - kept, draw_seed(config.seed, "resample", step))
            tail = tuple(devices.gather(c, len(c) - kept) for c in current)  # (across processes)
            fresh = tuple(jnp.concatenate([f, jnp.asarray(t, f.dtype)]) for f, t in zip(fresh, tail))
            points = self._replace(points, fresh)
        if self.refines(step):
            points = self._replace(points, self.refine(params, points, weights, step))
        return points

    def placed(self, step: int) -> int:
        """How many points RAR has placed before Adam step ``step``."""
        return (step - 1) // self.config.rar_every * self.config.rar_points if self.config.rar and step > 0 else 0

    def draw(self, n: int, seed: int) -> tuple:
        """``n`` fresh interior points: the widest interior term's columns."""
        array = domain.sample(self.program, ir.INTERIOR, n, seed, normals=True, sampler=self.config.sampler)
        return tuple(jnp.asarray(array[:, j], dtype=self.dtype) for j in range(self.width))

    def draw_by_residual(self, n: int, seed: int, params, points: dict, weights: dict) -> tuple:
        """``n`` interior points by RAD (see the module docstring); uniform when the interior
        has an energy or no equation, whose pointwise residual would not measure the error."""
        candidates = self.draw(RAD_CANDIDATES * n if self.rad else n, seed)
        if not self.rad:
            return candidates
        eps = np.sqrt(np.maximum(self.residual(params, points, weights, candidates), 0))
        mean = eps.mean()
        density = eps / mean + 1 if np.isfinite(mean) and mean > 0 else np.ones_like(eps)
        # numpy draws without replacement by these probabilities (Generator.choice); the sort
        # keeps the chosen rows in the candidates' (quasi-random) order
        chosen = np.sort(np.random.default_rng(seed).choice(len(eps), n, replace=False, p=density / density.sum()))
        return tuple(c[chosen] for c in candidates)

    @property
    def equations(self) -> bool:
        """Whether every term on the interior is an equation (none an energy), and there is one."""
        return bool(self.columns) and len(self.scored) == len(self.columns)

    @property
    def rad(self) -> bool:
        """Whether fresh points of the dense phase follow the residual: asked, and only equations on the interior."""
        return self.config.fresh_points == "residual" and self.equations

    def current(self, points: dict) -> tuple:
        """The interior set's columns (the widest interior term holds them all)."""
        return points[max(self.columns, key=self.columns.get)]

    def refine(self, params, points: dict, weights: dict, step: int) -> tuple:
        """The interior set with the candidates of largest residual in this refinement's places."""
        config = self.config
        current = self.current(points)
        candidates = self.draw(config.rar_candidates, draw_seed(config.seed, "rar", step))
        best = np.argsort(-self.residual(params, points, weights, candidates), kind="stable")[: config.rar_points]
        end = len(current[0]) - self.placed(step)
        start = end - config.rar_points
        return tuple(devices.with_rows(c, start, np.asarray(k)[best]) for c, k in zip(current, candidates))

    def residual(self, params, points: dict, weights: dict, columns: tuple) -> np.ndarray:
        """Σₖ wₖ rₖ² of the interior equations at each point of ``columns``, ``chunk_size`` at a time.

        With several processes each chunk is split over the devices of every process, and
        its scores gathered.
        """

        def score(*chunk):
            if jax.process_count() == 1:
                return self._score(params, points, weights, chunk)
            placed = tuple(self.placement.place(np.asarray(c)) for c in chunk)
            return devices.gather(self._score(params, points, weights, placed))

        return devices.in_chunks(score, columns, self.config.chunk_size)

    def _pointwise(self, params, points, weights, columns):
        def at(*point):  # one point: each term's loss over it is its residual squared
            single = {name: tuple(c[None] for c in point[: self.columns[name]]) for name in self.scored}
            terms = self.losses(params, points | single)
            return sum(weights[name] * terms[name] for name in self.scored)

        return jax.vmap(at)(*columns)

    def _replace(self, points: dict, columns: tuple) -> dict:
        return points | {name: columns[:width] for name, width in self.columns.items()}
