"""What every phase minimises (:func:`objective`), and each phase's optimiser and step.

A train step is pure: ``step(params, state, points, weights) -> (params, state, loss, terms)``,
jitted; ``loss`` and ``terms`` (each term's loss) are those of the parameters given.  A
finisher's step takes a fifth argument, ``terms_wanted`` (False: the terms are zeros and
cost nothing; each is a forward pass, skipped where the loop does not show them).  The
weights are an argument, not constants, so adaptive weights need no recompilation; on
several devices every step splits the points over them (``placement``, see _devices).

Each phase of :mod:`.phases` has a builder here of its name, ``(Context) -> Stepper``:

- ``adam``: optax's Adam with a decaying learning rate (``schedule``);
- ``lbfgs``: optax's L-BFGS with its zoom line search;
- ``bfgs``: dense self-scaled quasi-Newton (``_quasi_newton``) with the same line search,
  in float64; its state donates its n × n matrix to the next step;
- ``gn``: matrix-free Levenberg–Marquardt, its normal equations solved by conjugate
  gradients on J·v and Jᵀ·w products (``_gauss_newton``), in float64;
- ``lm``: Levenberg–Marquardt (``_least_squares``).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from .._config import TrainConfig
from .._errors import PinnError
from . import causal, devices, gauss_newton, least_squares, phases, point_weights, quasi_newton

__all__ = [
    "Context",
    "Stepper",
    "Leg",
    "legs",
    "dispatched",
    "objective",
    "objectives",
    "step_functions",
    "kept_step_functions",
    "together",
    "check_together",
]


SCHEDULES: dict[str, Callable[[TrainConfig], optax.Schedule]] = {
    "exponential": lambda c: optax.exponential_decay(
        c.learning_rate, max(1, c.adam_steps), c.final_learning_rate / c.learning_rate
    ),
    "cosine": lambda c: optax.cosine_decay_schedule(
        c.learning_rate, max(1, c.adam_steps), alpha=c.final_learning_rate / c.learning_rate
    ),
    "constant": lambda c: optax.constant_schedule(c.learning_rate),
}
assert tuple(SCHEDULES) == TrainConfig.__dataclass_fields__["schedule"].metadata["choices"]
assert quasi_newton.METHODS == TrainConfig.__dataclass_fields__["bfgs_method"].metadata["choices"]

# the settings the step functions are built from (the rest change what the loop does with them)
STEP_SETTINGS = (
    "learning_rate", "final_learning_rate", "adam_steps", "schedule", "seed", "micro_batch", "bfgs_method",
    "gn_cg_steps", "gn_rank", "steps_per_dispatch", "causal", "causal_chunks", "causal_tol", "causal_finish",
    "point_weights", "point_weights_decay", "point_weights_rate", "point_weights_boundary",
)  # fmt: skip


class Context(typing.NamedTuple):
    """What a step builder is given."""

    compiled: typing.Any
    config: TrainConfig
    placement: devices.Placement
    total: Callable  # objective(compiled, config, placement)


class Stepper(typing.NamedTuple):
    """A phase's optimiser (``init(params) -> state``) and its jitted step.

    ``refresh(state) -> state``: its state once the points changed in the middle of the
    phase (None: the phase keeps its points).  ``row(i) -> dict``: the history's extra
    columns at its step ``i`` (the phase's ``columns``).  ``many``: up to ``per_dispatch``
    steps in one call (:func:`dispatched`; None: one step per call).
    """

    optimizer: typing.Any
    step: Callable
    refresh: Callable | None = None
    row: Callable[[int], dict] | None = None
    many: Callable | None = None
    per_dispatch: int = 1


class Leg(typing.NamedTuple):
    """A phase as a run goes through it: its entry in ``phases.PHASES``, its stepper, its step budget."""

    phase: phases.Phase
    stepper: Stepper
    budget: int

    @property
    def name(self) -> str:
        return self.phase.name


def legs(steppers: dict[str, Stepper], config: TrainConfig) -> tuple[Leg, ...]:
    """The run's phases in order, from its steppers (:func:`step_functions`)."""
    return tuple(Leg(phases.BY_NAME[name], s, phases.BY_NAME[name].budget_of(config)) for name, s in steppers.items())


# ---- the phases' steps (one builder per entry of phases.PHASES, of its name) -------------


def adam(context: Context) -> Stepper:
    """Adam (optax) with the learning rate of ``schedule``."""
    config, total = context.config, context.total
    if point_weights.weighted_terms(context.compiled, config):  # Adam moves the points' multipliers
        total = objective(context.compiled, config, context.placement, updating=True)
    randomized = bool(getattr(context.compiled.module, "RANDOMIZED", ()))
    schedule = SCHEDULES[config.schedule](config)
    optimizer = optax.adam(schedule)

    @jax.jit
    def step(params, state, points, weights):
        # estimated Laplacians draw new coordinates at every Adam step (from the seed and
        # the step count, so a resumed run draws the same); L-BFGS keeps one fixed draw
        key = jax.random.fold_in(jax.random.PRNGKey(config.seed), state[0].count) if randomized else None
        (value, terms), grads = jax.value_and_grad(total, has_aux=True)(params, points, weights, key)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value, terms

    # point weights move with every step (the loop feeds each step's into the next): one step per call
    k = 1 if total is not context.total else config.steps_per_dispatch
    many = dispatched(step, k) if k > 1 else None
    return Stepper(optimizer, step, row=lambda i: {"learning_rate": float(schedule(i))}, many=many, per_dispatch=k)


def dispatched(step: Callable, k: int) -> Callable:
    """``step`` taken up to ``k`` times in one call: ``many(params, state, points, weights, n) ->
    (params, state, good, losses, terms)``, the first ``n`` ≤ ``k`` steps of a ``lax.scan`` of
    length ``k`` (one program for every ``n``: the loop ends a call wherever the host has
    something to do, without compiling again).

    ``losses`` and ``terms`` are stacked, one row per step (rows from ``n`` on are zeros).  The
    scan stops updating at the first loss that is not finite: ``params`` are then those of
    that loss, and ``good`` those of the step before, the last with a finite loss (as the
    loop keeps them one step at a time).  Every step runs the same compiled body whatever
    ``n``, so where the calls begin changes no bit (a resumed run ends as an uninterrupted one).
    """

    @jax.jit
    def many(params, state, points, weights, n):
        shapes = jax.eval_shape(step, params, state, points, weights)[2:]
        zeros = jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), shapes)

        def body(carry, i):
            params, state, good, fine = carry

            def take():
                new, new_state, value, terms = step(params, state, points, weights)
                finite = jnp.isfinite(value)
                pick = functools.partial(jax.tree.map, lambda a, b: jnp.where(finite, a, b))
                return (pick(new, params), pick(new_state, state), pick(params, good), finite), (value, terms)

            return jax.lax.cond(fine & (i < n), take, lambda: (carry, zeros))

        (params, state, good, _), (losses, terms) = jax.lax.scan(
            body, (params, state, params, jnp.array(True)), jnp.arange(k)
        )
        return params, state, good, losses, terms

    return many


def lbfgs(context: Context) -> Stepper:
    """L-BFGS (optax), with its zoom line search."""
    optimizer = optax.lbfgs()
    return Stepper(optimizer, _with_linesearch(optimizer, context.total))


def bfgs(context: Context) -> Stepper:
    """Dense self-scaled quasi-Newton (``bfgs_method``) with optax's line search; it may take fresh points."""
    optimizer = quasi_newton.self_scaled(context.config.bfgs_method)
    return Stepper(optimizer, _with_linesearch(optimizer, context.total, donate=True), refresh=_line_search_afresh)


def gn(context: Context) -> Stepper:
    """Matrix-free Gauss–Newton (damped, CG on J·v and Jᵀ·w); it may take fresh points (its state
    is the damping only).  Refuses energy terms."""
    config = context.config
    optimizer = gauss_newton.gauss_newton_cg(
        context.compiled, context.placement.constrain, cg_steps=config.gn_cg_steps, rank=config.gn_rank
    )
    return Stepper(optimizer, optimizer.step, refresh=lambda state: state)


def lm(context: Context) -> Stepper:
    """Levenberg–Marquardt on the residual vector (refuses energy terms)."""
    optimizer = least_squares.levenberg_marquardt(context.compiled, context.placement.constrain)
    return Stepper(optimizer, optimizer.step)


def _with_linesearch(optimizer, total: Callable, donate: bool = False) -> Callable:
    """The step of an optax optimiser that searches along its direction (``value_fn``)."""

    # the dense finisher donates its state: its n × n matrix is then updated in place instead
    # of written to a fresh buffer each step (at 2,763 parameters 35 ms against 200 ms).
    # (optax's L-BFGS state shares buffers between leaves, which donation refuses.)
    @functools.partial(jax.jit, donate_argnums=1 if donate else ())
    def step(params, state, points, weights, terms_wanted=True):
        def value_fn(p):
            return total(p, points, weights)[0]

        value, grads = optax.value_and_grad_from_state(value_fn)(params, state=state)
        updates, state = optimizer.update(grads, state, params, value=value, grad=grads, value_fn=value_fn)
        # each term's loss is a forward pass of its own (10% of a step): only where the loop shows them
        shapes = jax.eval_shape(lambda: total(params, points, weights)[1])
        terms = jax.lax.cond(
            terms_wanted,
            lambda: total(params, points, weights)[1],
            lambda: {k: jnp.zeros(v.shape, v.dtype) for k, v in shapes.items()},
        )
        return optax.apply_updates(params, updates), state, value, terms

    return step


def _line_search_afresh(state):
    """The quasi-Newton state for new points: the line search's loss and gradient were those of
    the old points, and are computed afresh; the matrix is kept."""
    qn, search = state
    return qn, search._replace(value=jnp.full_like(search.value, jnp.inf))


# ---- all of a run's steps --------------------------------------------------------------


def step_functions(
    compiled, config: TrainConfig, finisher: str = "lbfgs", placement: devices.Placement = devices.ONE
) -> dict[str, Stepper]:
    """Each phase a run with these settings goes through (``phases.running``): its :class:`Stepper`.

    A phase that weights its equations by time chunk (``causal.in_phase``) minimises the
    causally weighted objective, the others the plain one (:func:`objectives`)."""
    total = objectives(compiled, config, placement)
    return {
        phase.name: builder(phase)(Context(compiled, config, placement, total(phase)))
        for phase in phases.running(config, finisher)
    }


def objectives(compiled, config: TrainConfig, placement: devices.Placement = devices.ONE) -> Callable:
    """``total(phase) -> objective``: what ``phase`` (a ``phases.Phase``) minimises, the causally
    weighted objective where ``causal.in_phase`` says so, else the plain one."""
    plan = causal.choose(compiled, config)
    plain = objective(compiled, config, placement)
    weighted = objective(compiled, config, placement, plan) if plan.used else plain
    return lambda phase: weighted if causal.in_phase(plan, phase, config) else plain


def builder(phase: phases.Phase) -> Callable[[Context], Stepper]:
    """The phase's step builder: the function of this module named like the phase."""
    build = globals().get(phase.name)
    if build is None:
        raise NotImplementedError(
            f"the phase {phase.name!r} of phases.PHASES has no step builder: "
            f"add `def {phase.name}(context: Context) -> Stepper` to symbolic_pinn/_training/steps.py"
        )
    return build


def kept_step_functions(compiled, config: TrainConfig, finisher: str, placement: devices.Placement) -> dict:
    """:func:`step_functions`, kept with the compiled problem's generated module: training the same
    problem again with the same step settings (a resumed run, a sweep of seeds of the points,
    another budget) reuses the jitted steps and the XLA programs compiled for them.

    The steps are pure functions of their arguments, so reusing them changes no number.
    """
    cache = compiled.module.__dict__.setdefault("_symbolic_pinn_steps", {})  # dies with the module
    key = (tuple(getattr(config, k) for k in STEP_SETTINGS), bool(config.lm_steps), finisher, placement)
    if key not in cache:
        cache[key] = step_functions(compiled, config, finisher, placement)
    return cache[key]


# ---- the objective ----------------------------------------------------------------------


def objective(
    compiled,
    config: TrainConfig,
    placement: devices.Placement = devices.ONE,
    plan: causal.Plan | None = None,
    updating: bool = False,
) -> Callable:
    """``total(params, points, weights, key=None) -> (loss, terms)``: what every phase minimises.

    With a ``plan`` that is used, the loss weights the interior equations by time chunk
    (:mod:`.causal`), and ``terms`` are still each term's plain loss.

    The points are split over the devices of ``placement``.  The terms of each of the
    module's ``SHARED`` groups are given one array per column (:func:`together`), so the
    generated ``residuals`` computes each field's derivatives once for the group.  With ``micro_batch = M``
    every term's N points are cut into M chunks of ⌊N/M⌋ and a remainder of N mod M,
    and a term's loss, the mean over its points, is Σ_c (n_c / N) · (its loss on chunk c).
    The M chunks are a ``lax.scan`` whose body is under ``jax.checkpoint``: the backward
    pass recomputes one chunk's activations at a time instead of keeping every point's.

    Weights holding per-point multipliers (``point_weights.KEY``, residual-based attention)
    weight each point's squared residual; with ``updating`` (Adam's objective) they are
    updated first and the new ones are ``terms[point_weights.KEY]`` (see :mod:`.point_weights`).
    """
    losses_fn = compiled.module.losses
    randomized = bool(getattr(compiled.module, "RANDOMIZED", ()))
    chunks = config.micro_batch
    constraint = next((t for t in compiled.ir.terms if t.kind == "integral"), None)
    if chunks > 1 and constraint is not None:  # the mean of chunks' (∫ − c)² is not (∫ − c)²
        raise PinnError(
            f"micro_batch = {chunks} cannot split the integral constraint `{constraint.label}`: "
            "the square of an integral is not the mean of its chunks' squares",
            help="leave micro_batch at 1 for this problem, or lower the number of points",
        )

    groups = getattr(compiled.module, "SHARED", ())

    def unplaced(params, points, key):
        points = together(points, groups)
        return losses_fn(params, points, key) if randomized else losses_fn(params, points)

    def losses(params, points, key):
        return unplaced(params, placement.constrain(points), key)

    def micro_batched(params, points, key):
        sizes = {k: len(columns[0]) for k, columns in points.items()}
        _micro_batch_fits(chunks, sizes)
        size = {k: n // chunks for k, n in sizes.items()}
        stacked = {k: tuple(c[: chunks * size[k]].reshape(chunks, size[k]) for c in cs) for k, cs in points.items()}

        def add(terms, chunk):
            part = jax.checkpoint(losses)(params, chunk, key)
            return {k: terms[k] + (size[k] / sizes[k]) * v for k, v in part.items()}, None

        start = jax.eval_shape(lambda: losses(params, {k: tuple(c[0] for c in cs) for k, cs in stacked.items()}, key))
        terms, _ = jax.lax.scan(add, jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), start), stacked)
        rest = {k: sizes[k] - chunks * size[k] for k in sizes}
        if any(rest.values()):  # the remainders; a term without one lends a point with weight 0
            tail = {k: tuple(c[chunks * size[k] :] if rest[k] else c[:1] for c in cs) for k, cs in points.items()}
            part = losses(params, tail, key)
            terms = {k: terms[k] + (rest[k] / sizes[k]) * v for k, v in part.items()}
        return terms

    weighted = None
    if plan is not None and plan.used:  # (causal.choose refuses micro_batch > 1 and point weights)
        weighted = causal.weighted(unplaced, _pointwise(compiled, groups, randomized), plan)

    def attended(params, points, weights):  # per-point multipliers: point_weights.losses
        residuals = functools.partial(compiled.module.residuals, params)
        points = together(placement.constrain(points), groups)
        pointwise, count = getattr(compiled.module, "POINT_WEIGHTS", {}), len(compiled.module.DOMAIN)
        multipliers = weights[point_weights.KEY]
        terms, new = point_weights.losses(residuals, pointwise, count, points, multipliers, config, updating)
        return terms, ({} if new is None else {point_weights.KEY: new})

    def total(params, points, weights, key=None):
        if point_weights.KEY in weights:
            terms, new = attended(params, points, weights)
            return sum(weights[k] * v for k, v in terms.items()), terms | new
        if weighted is not None:
            loss_terms, terms = weighted(params, placement.constrain(points), weights, key)
        else:
            terms = losses(params, points, key) if chunks == 1 else micro_batched(params, points, key)
            loss_terms = terms
        return sum(weights[k] * v for k, v in loss_terms.items()), terms

    return total


def _pointwise(compiled, groups: tuple, randomized: bool) -> Callable:
    """``pointwise(params, points, key) -> {term: its loss at each point}`` for equations (residual
    terms): the residual squared, times the term's point weight where it has one, as ``losses``
    averages them."""
    module = compiled.module
    count = len(compiled.ir.variables)
    point_weights = getattr(module, "POINT_WEIGHTS", {})

    def pointwise(params, points, key):
        shared = together(points, groups)
        r = module.residuals(params, shared, key) if randomized else module.residuals(params, shared)
        return {k: v**2 * (point_weights[k](*points[k][:count]) if k in point_weights else 1) for k, v in r.items()}

    return pointwise


def together(points: dict, groups: tuple) -> dict:
    """``points`` with the terms of each group of ``groups`` given the very same columns, those of
    its first term: inside ``jax.jit`` the arrays a step was passed are distinct tracers, equal or
    not.  The trainer draws one set of points per region (``_points``, ``_sampling``), so the
    columns are equal; :func:`check_together` checks that where points are drawn."""
    shared = {name: points[group[0]] for group in groups if all(n in points for n in group) for name in group[1:]}
    return points | shared if shared else points


def check_together(points: dict, groups: tuple) -> None:
    """Refuse points that give the terms of a ``SHARED`` group different columns (a bug: the
    loss would evaluate them all at the first term's)."""
    for group in groups:
        first = points.get(group[0])
        for name in group[1:]:
            if first is None or name not in points:
                continue
            same = len(points[name]) == len(first) and all(
                a is b or (a.shape == b.shape and bool(jnp.array_equal(a, b))) for a, b in zip(points[name], first)
            )
            if not same:
                raise RuntimeError(f"internal error: terms {group[0]!r} and {name!r} were given different points")


def _micro_batch_fits(chunks: int, sizes: dict[str, int]) -> None:
    small = {k: n for k, n in sizes.items() if n < chunks}
    if small:
        term, n = next(iter(small.items()))
        raise PinnError(
            f"micro_batch {chunks} cuts every term's points into {chunks} chunks, and term {term!r} has {n}",
            help=f"use --micro-batch {min(sizes.values())} or less",
        )


# ---- precision and types of a phase's arrays -----------------------------------------------


def upcast(tree):
    """``tree`` with every floating array in float64 (entering a float64 phase)."""
    return jax.tree.map(lambda a: jnp.asarray(a, jnp.float64) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)


def strong(tree):
    """``tree`` with no weakly typed leaf.  optax's line search starts its ``info`` with Python
    numbers (weakly typed) that its first step returns strongly typed: a jitted step would be
    compiled twice, once for each (2 s of a small problem's start, 7 s of Stokes')."""
    return jax.tree.map(lambda a: jnp.asarray(a, dtype=a.dtype) if jax.typeof(a).weak_type else a, tree)
