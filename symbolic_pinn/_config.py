"""The settings, as two frozen configurations: the network's (they shape the generated
code) and training's.  Every field is a setting of ``compile``/``train``, a
``symbolic-pinn`` flag and a TOML key; its help and choices are in its metadata, from
which ``_settings`` builds the table the CLI and TOML files read.  Adding a setting is
adding a field here.  This module imports neither the emitter nor the trainer: only
the table of training phases (``_training.phases``, which imports nothing heavy), whose
finishers are the choices of ``finisher``.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping

from . import _limits
from ._errors import PinnError
from ._training.phases import DONE_STEPS_FACTOR, FINISHERS, PHASES

__all__ = [
    "NetworkConfig", "TrainConfig", "bound_error", "setting_types", "parse_devices", "training_memory", "RENAMED",
    "current_names",
]  # fmt: skip

# settings a resumed run may change: they do not change the numbers
# (devices and chunk_size change only the order of float sums: a run may resume on other devices)
# (time_limit stops a run at a moment that depends on the machine: a resumed run may have a new one)
RESUMABLE = frozenset(
    {"progress", "checkpoint_every", "log_every", "error_every", "devices", "chunk_size", "time_limit", "tensorboard"}
)
# the step budgets a resumed run may change: more steps of its last phase, or of a phase after it,
# extend a finished run (not Adam's: its budget shapes its learning-rate schedule, steps.SCHEDULES)
EXTENDABLE = frozenset(p.budget for p in PHASES) - {"adam_steps"}
# Gauss–Legendre nodes per integral inside an equation, unless told otherwise: exact for
# polynomials of degree 19, and ~1e-10 relative for smooth integrands over a few units;
# each node costs one more network evaluation per collocation point.
QUADRATURE_ORDER = 10
# the largest network finished by dense quasi-Newton: its n × n float64 matrix is 8n² bytes
# (128 MB at 4,000) and each step costs O(n²) besides the gradient; measured in docs/training.md
BFGS_MAX_PARAMS = 4000


# settings added after runs were saved without them: the value that rebuilds those runs' networks
ABSENT_MEANS = {
    "exact_initial": False, "periodic_embedding": False, "hard_constraints": False, "energy_constraints": False,
    "holdout_every": 0, "holdout_resamples": 0, "holdout_gap": 0.0, "fresh_points": "uniform",
    "steps_per_dispatch": 1, "until_done": False, "causal": "off",
}  # fmt: skip
# settings renamed, old name → new: the old one is still read (a flag, a TOML key, a keyword of
# train(), a run saved before the change); a setting is named for what it sets
RENAMED = {"lbfgs_steps": "bfgs_steps"}


def current_names(settings: Mapping) -> dict:
    """``settings`` with each old name (see ``RENAMED``) replaced by the current one.

    >>> current_names({"lbfgs_steps": 5, "seed": 1})
    {'bfgs_steps': 5, 'seed': 1}
    """
    renamed = {}
    for key, value in settings.items():
        name = RENAMED.get(key, key)
        if name in renamed:
            raise PinnError(
                f"setting {name!r} is given twice, also as {key!r} (its old name)", help=f"give only {name!r}"
            )
        renamed[name] = value
    return renamed


# every whole-number setting fits JAX's int32 counters and indices unless its field says otherwise
INT_MOST = 2**31 - 1


def _setting(default, help: str, choices: tuple = (), bounds: tuple[int, int] | None = None):
    """A config field with its help text (shown by ``symbolic-pinn train --help``) and, for a
    whole number, the range ``bounds`` it must lie in beyond its own checks (default ≤ INT_MOST)."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices, "bounds": bounds})


def bound_error(name: str, value) -> str | None:
    """What is wrong with ``value`` for the setting ``name`` as a number (not finite, outside its
    bounds), or None; every way in (flags, TOML, Python, a run read back) comes through here."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{name} must be a finite number, got {value}"
    field = next(f for config in (NetworkConfig, TrainConfig) for f in dataclasses.fields(config) if f.name == name)
    least, most = field.metadata["bounds"] or (None, INT_MOST)
    if least is not None and value < least:
        return f"{name} must be at least {least:,}, got {value:,}"
    if value > most:
        return f"{name} must be at most {most:,}, got {value:,}"
    return None


def _check_bounds(config) -> None:
    for f in dataclasses.fields(config):
        problem = bound_error(f.name, getattr(config, f.name))
        if problem:
            raise PinnError(problem, help=f"see `symbolic-pinn train --help` for {f.name}")


def _choices(config, name: str) -> tuple:
    return next(f.metadata["choices"] for f in dataclasses.fields(config) if f.name == name)


def _check_choices(config) -> None:
    """Every field with choices holds one of them."""
    for f in dataclasses.fields(config):
        value, choices = getattr(config, f.name), f.metadata["choices"]
        if choices and value not in choices:
            raise PinnError(f"unknown {f.name} {value!r}", help=f"choose one of: {', '.join(choices)}")


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """The settings that shape the generated code: the networks and how the loss is computed.

    >>> NetworkConfig(width=20).layers(2, 1)
    (2, 20, 20, 20, 1)
    """

    width: int = _setting(20, "neurons per hidden layer of each field's network")
    depth: int = _setting(3, "hidden layers of each field's network (at most 1,000)", bounds=(1, 1000))
    shared_network: bool = _setting(False, "one network with an output per field, instead of one per field")
    quadrature_order: int = _setting(QUADRATURE_ORDER, "Gauss–Legendre nodes for each ∫(f, s, a, b) inside an equation")
    laplacian_samples: int = _setting(
        0,
        "0: Laplacians exactly; n: estimate each Σ wᵢ∂ᵢᵢ of more than n terms from n random coordinates per"
        " Adam step (unbiased, for high dimension)",
    )
    hard_constraints: bool = _setting(
        True,
        "build each Dirichlet condition `u = g on ∂Ω` (boxes, disks, balls) or `u = g at x = a` into the network,"
        " u = g + φ·network with φ = 0 there, where it can be; others stay loss terms",
    )
    energy_constraints: bool = _setting(
        True,
        "in a `minimize` problem, build its Dirichlet conditions into the network even with hard_constraints off:"
        " a penalty term moves an energy's minimiser away from the solution by about 1/weight",
    )
    exact_initial: bool = _setting(
        True,
        "build each initial condition `u = g at t = t0` into the network, u = g + (t - t0)·network (with"
        " `Dt(u) = h at t = t0` for equations of second order in t: g + (t - t0)·h + (t - t0)²·network)",
    )
    periodic_embedding: bool = _setting(
        True,
        "give each network cos and sin of 2π(x - a)/(b - a) in place of a coordinate x with periodic pairs"
        " `u(a, t) = u(b, t)`: every derivative is then periodic, and the pairs leave the loss",
    )
    architecture: str = _setting(
        "mlp",
        "each network: a tanh MLP, random Fourier features then the MLP, or the modified MLP of Wang et al. 2021",
        ("mlp", "fourier", "modified"),
    )
    fourier_scale: float = _setting(
        1.0, "standard deviation of the fixed Gaussian matrix B of the fourier architecture"
    )

    def __post_init__(self):
        if self.width < 1 or self.depth < 1:
            raise PinnError(f"the network needs width ≥ 1 and depth ≥ 1, got width {self.width}, depth {self.depth}")
        _check_bounds(self)
        _limits.check_memory(
            {f"the parameters of one network of width {self.width:,} and depth {self.depth:,}": self.parameter_bytes()},
            "this network",
            "lower --width or --depth",
        )
        if not 1 <= self.quadrature_order <= 1000:
            raise PinnError(f"quadrature_order must be between 1 and 1000, got {self.quadrature_order}")
        _check_choices(self)
        if self.architecture == "fourier" and (self.width % 2 or self.width < 2):
            raise PinnError(
                f"the fourier architecture needs an even width (sin and cos of width/2 features), got {self.width}",
                help=f"use --width {self.width + 1 if self.width % 2 else 2}",
            )
        if not self.fourier_scale > 0:
            raise PinnError(f"fourier_scale must be > 0, got {self.fourier_scale}")
        if self.laplacian_samples < 0:
            raise PinnError(
                f"laplacian_samples must be ≥ 0, got {self.laplacian_samples}", help="0 computes Laplacians exactly"
            )
        object.__setattr__(self, "fourier_scale", float(self.fourier_scale))

    def parameter_bytes(self, inputs: int = 1, outputs: int = 1, float64: bool = False) -> int:
        """The bytes training holds per network: parameters, gradients and Adam's two moments."""
        sizes = self.layers(inputs, outputs)
        count = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        return 4 * count * (8 if float64 else 4)

    def layers(self, inputs: int, outputs: int) -> tuple[int, ...]:
        """The layer sizes of one network."""
        return (inputs,) + (self.width,) * self.depth + (outputs,)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Training settings; every one is also a ``symbolic-pinn train`` option and a
    key of a TOML file's ``[train]`` table.  Each field's help is in its metadata.

    >>> TrainConfig(adam_steps=100).bfgs_steps
    2000
    """

    adam_steps: int = _setting(1000, "Adam iterations")
    bfgs_steps: int = _setting(
        2000,
        "at most this many steps of the finish after Adam: dense BFGS's, L-BFGS's or Gauss–Newton's, as the"
        " finisher chooses (its old name lbfgs_steps still works)",
    )
    finisher: str = _setting(
        "auto",
        f"the finish after Adam: dense self-scaled BFGS in float64 (bfgs) for networks of at most"
        f" {BFGS_MAX_PARAMS} parameters, matrix-free Gauss–Newton-CG in float64 (gn) above, L-BFGS (lbfgs) above"
        " for a loss that is not a sum of squares (auto); or the one named",
        ("auto", *sorted(FINISHERS)),
    )
    bfgs_resample_every: int = _setting(
        0, "draw fresh interior points every this many dense quasi-Newton steps, keeping its matrix (0: never)"
    )
    holdout_every: int = _setting(
        100,
        "quasi-Newton steps between evaluations of the loss on held-out points (drawn apart from the training"
        " points); the finish ends with the parameters of the lowest held-out loss (0: never, keep the last)",
    )
    holdout_patience: int = _setting(
        3,
        "held-out evaluations in a row without a new lowest held-out loss before the quasi-Newton phase draws"
        " fresh interior points (see holdout_resamples) or, after the last draw, ends",
    )
    holdout_resamples: int = _setting(
        10,
        "times the dense quasi-Newton phase may draw fresh interior points (see fresh_points), keeping its matrix,"
        " when the held-out loss stops falling or holdout_gap asks, before a stall ends it (0: end there);"
        " equations only: an energy ends on a stall",
    )
    fresh_points: str = _setting(
        "residual",
        "how the dense quasi-Newton phase draws fresh interior points: with a density that follows the residual"
        " (RAD; uniform where the interior has an energy), or uniformly",
        ("residual", "uniform"),
    )
    holdout_gap: float = _setting(
        4.0,
        "draw fresh interior points (as holdout_resamples allows) also when the held-out loss is more than this"
        " many times the training loss: the points are being fitted, not the problem (0: only on a stall)",
    )
    time_limit: float = _setting(
        0.0,
        "seconds of training (all phases, compilation included) after which training stops with a checkpoint,"
        " as if interrupted: `--resume` continues it (0: no limit)",
    )
    bfgs_method: str = _setting(
        "ssbroyden",
        "how the dense quasi-Newton phase updates its matrix: self-scaled Broyden or self-scaled BFGS",
        ("ssbroyden", "ssbfgs"),
    )
    gn_cg_steps: int = _setting(
        10,
        "conjugate-gradient iterations, at most, per solve of the matrix-free Gauss–Newton finish (finisher gn):"
        " its steps are inexact, truncated here or at a residual of 1e-3 relative to the gradient's",
    )
    gn_rank: int = _setting(
        0, "rank of the randomized Nyström preconditioner of the matrix-free Gauss–Newton finish (0: none)"
    )
    lm_steps: int = _setting(
        0,
        "at most this many Levenberg–Marquardt (damped Gauss–Newton) iterations after the quasi-Newton phase;"
        " for small networks (e.g. --width 20: its cost grows with the cube of the parameter count), with --float64;"
        " not for `minimize` problems",
    )
    until_done: bool = _setting(
        False,
        "train the finish until the held-out loss stops falling (or the loss is flat, or --time-limit ends it)"
        f" instead of for --bfgs-steps steps (then a bound {DONE_STEPS_FACTOR} times longer)",
    )
    steps_per_dispatch: int = _setting(
        1,
        "Adam steps taken per call into the compiled program (a lax.scan): signals, the time limit, checkpoints"
        " and history rows are looked at between calls; with a callback, 1",
        bounds=(1, 10000),
    )
    learning_rate: float = _setting(1e-3, "Adam's initial learning rate")
    final_learning_rate: float = _setting(
        1e-4, "Adam's learning rate at its last step, unless the schedule is constant"
    )
    schedule: str = _setting("exponential", "how Adam's learning rate decays", ("exponential", "cosine", "constant"))
    interior_points: int = _setting(4096, "collocation points inside the domain")
    boundary_points: int = _setting(512, "points on the whole boundary, split over the faces by area")
    face_points: int = _setting(256, "points on each face named by an `at x = a` condition")
    seed: int = _setting(0, "seeds the network initialisation and the points (0 to 2³² − 1)", bounds=(0, 2**32 - 1))
    float64: bool = _setting(False, "train in double precision (slower; reaches lower losses)")
    ensemble: int = _setting(
        1,
        "train this many members (seeds seed, seed + 1, ...; data resampled) as one vectorised program and"
        " report the mean, spread and interval (2.5th to 97.5th percentile) of every unknown and field",
        bounds=(1, 1024),
    )
    checkpoint_every: int = _setting(500, "steps between checkpoints in the run directory (0: only when stopped)")
    progress: bool = _setting(True, "show a progress bar with every term's loss, and a table at the end")
    log_every: int = _setting(100, "steps between plain progress lines when the output is not a terminal (0: none)")
    error_every: int = _setting(
        100, "steps between relative L2 errors in the history, on a 1,024-point grid, with an `exact` (0: never)"
    )
    tensorboard: bool = _setting(
        False,
        "write TensorBoard event files (the loss of each term and on the points held out, the errors, the"
        " learning rate) into RUN_DIR/tensorboard as the run goes (needs the optional extra tensorboard)",
    )
    # causal weights of the equations by time chunk: see _training/causal.py
    causal: str = _setting(
        "auto",
        "weight each interior equation's loss on chunk k of the time window by exp(-causal_tol × the loss on"
        " the chunks before it), so later times are fitted once earlier ones are (Wang, Sankaran & Perdikaris"
        " 2024), for problems with time whose interior terms are all equations; auto: off, with the reason shown",
        ("auto", "on", "off"),
    )
    causal_chunks: int = _setting(32, "chunks of the time window for causal weights", bounds=(1, 100_000))
    causal_tol: float = _setting(1.0, "the tolerance ε of causal weights: w_k = exp(-ε Σ_{j<k} L_j) (0: all 1)")
    causal_finish: str = _setting(
        "plain",
        "what a BFGS or L-BFGS finish minimises when causal weights are used: the plain loss, or the causally"
        " weighted one (Gauss–Newton's and Levenberg–Marquardt's residuals stay plain)",
        ("plain", "weighted"),
    )
    # collocation points and loss weights during Adam: see _sampling and _weights
    sampler: str = _setting(
        "sobol", "how points are drawn: scrambled Sobol or Halton, or uniform random", ("sobol", "halton", "uniform")
    )
    energy_quadrature: str = _setting(
        "auto",
        "how an energy's integral over the interior is taken: a tensor composite Gauss–Legendre rule of about"
        " interior_points nodes (gauss), the mean over the sampler's points (mean: Monte Carlo), or gauss where"
        " the domain is a box and only energies are on the interior (auto)",
        ("auto", "gauss", "mean"),
    )
    resample_every: int = _setting(0, "draw fresh interior points every this many Adam steps (0: never)")
    rar: bool = _setting(False, "residual-based adaptive refinement: move interior points where the residual is large")
    rar_every: int = _setting(100, "Adam steps between refinements, with --rar")
    rar_points: int = _setting(32, "points added per refinement: the candidates of largest residual")
    rar_candidates: int = _setting(8192, "fresh points whose residual is evaluated per refinement")
    adaptive_weights: bool = _setting(False, "balance the weights of the boundary and data terms by gradient norms")
    adaptive_weights_every: int = _setting(10, "Adam steps between updates of the adaptive weights")
    adaptive_weights_alpha: float = _setting(0.1, "moving average of the adaptive weights: (1 - alpha) old + alpha new")
    point_weights: str = _setting(
        "none",
        "a weight per collocation point during Adam: none, or rba (residual-based attention: each point's"
        " weight grows with its residual, lambda <- decay*lambda + rate*|r|/max|r|); fixed in the finish",
        ("none", "rba"),
    )
    point_weights_decay: float = _setting(0.999, "the decay of the point weights (gamma of rba)")
    point_weights_rate: float = _setting(0.01, "the rate of the point weights (eta of rba)")
    point_weights_boundary: bool = _setting(
        False, "weight the points of the boundary and initial conditions too (with --point-weights rba)"
    )
    # scale: see _devices
    devices: str = _setting(
        "all", "devices to split the points over: all (every visible one), or a number (1: no sharding)"
    )
    chunk_size: int = _setting(
        65536, "evaluate the test-grid error, RAR candidates and plots this many points at a time (bounds memory)"
    )
    micro_batch: int = _setting(
        1,
        "split every term's points into this many chunks per loss evaluation, recomputed in the backward pass"
        " (same loss and gradient, less memory)",
    )

    def __post_init__(self):
        counts = (
            "adam_steps", "bfgs_steps", "lm_steps", "checkpoint_every", "resample_every", "bfgs_resample_every",
            "log_every", "error_every", "holdout_every", "holdout_resamples", "gn_rank",
        )  # fmt: skip
        for name in counts:
            if getattr(self, name) < 0:
                raise PinnError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        positive = (
            "interior_points", "boundary_points", "face_points", "rar_every", "rar_points", "rar_candidates",
            "chunk_size", "micro_batch", "gn_cg_steps",
        )  # fmt: skip
        for name in positive + ("adaptive_weights_every", "holdout_patience"):
            if getattr(self, name) < 1:
                raise PinnError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        for name in ("learning_rate", "final_learning_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise PinnError(f"{name} must be a positive number, got {value}")
        _check_bounds(self)
        _check_choices(self)
        refinements = max(0, self.adam_steps - 1) // self.rar_every
        fits = refinements * self.rar_points <= self.interior_points and self.rar_points <= self.rar_candidates
        if self.rar and not fits:
            raise PinnError(
                f"rar places rar_points ({self.rar_points}) of rar_candidates ({self.rar_candidates}) in each of "
                f"{refinements} refinements, more than the {self.interior_points} interior_points",
                help="lower rar_points, or raise rar_every, interior_points or rar_candidates",
            )
        parse_devices(self.devices)
        if not (math.isfinite(self.holdout_gap) and self.holdout_gap >= 0):
            raise PinnError(f"holdout_gap must be a number ≥ 0 (0: none), got {self.holdout_gap}")
        if not (math.isfinite(self.time_limit) and self.time_limit >= 0):
            raise PinnError(f"time_limit must be a number of seconds ≥ 0 (0: none), got {self.time_limit}")
        object.__setattr__(self, "time_limit", float(self.time_limit))
        if not (math.isfinite(self.causal_tol) and self.causal_tol >= 0):
            raise PinnError(f"causal_tol must be a number ≥ 0 (0: every weight 1), got {self.causal_tol}")
        object.__setattr__(self, "causal_tol", float(self.causal_tol))
        if not 0 < self.adaptive_weights_alpha <= 1:
            raise PinnError(f"adaptive_weights_alpha must be in (0, 1], got {self.adaptive_weights_alpha}")
        if not 0 < self.point_weights_decay < 1:
            raise PinnError(
                f"point_weights_decay must be in (0, 1), got {self.point_weights_decay}",
                help="the published value is 0.999: the weights then remember about 1,000 steps",
            )
        if not (math.isfinite(self.point_weights_rate) and self.point_weights_rate > 0):
            raise PinnError(
                f"point_weights_rate must be a positive number, got {self.point_weights_rate}",
                help="the published value is 0.01",
            )

    def numerics(self) -> dict:
        """The settings that decide the numbers (all but progress and checkpoint_every)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in RESUMABLE}


def training_memory(network: NetworkConfig, config: TrainConfig, networks: int, channels: int) -> dict[str, float]:
    """An estimate of what training allocates, by part: ``networks`` networks' parameters (with
    gradients and Adam's moments), and per collocation point (split by micro_batch) each hidden
    layer's activations in each of ``channels`` derivative channels (the value and the
    derivatives a term needs), kept for the backward pass; evaluation chunks (chunk_size points)."""
    size = 8 if config.float64 else 4
    points = -(-config.interior_points // config.micro_batch) + config.boundary_points
    per_point = network.width * network.depth * channels * size * 2 * networks  # forward kept for backward
    return {
        "parameters": networks * network.parameter_bytes(float64=config.float64),
        f"{points:,} points × width {network.width:,} × depth {network.depth:,} × {channels} derivative channels"
        f" × {networks} networks": points * per_point,
        f"evaluation chunks of {config.chunk_size:,} points": config.chunk_size * network.width * channels * size * 4,
    }


def parse_devices(setting: str) -> int | None:
    """The ``devices`` setting as a count (None: all).

    >>> parse_devices("all"), parse_devices("2")
    (None, 2)
    """
    text = str(setting).strip()
    if text == "all":
        return None
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise PinnError(
        f"devices must be `all` or a whole number ≥ 1, got {setting!r}",
        help="write --devices all (every visible device), --devices 1, or --devices N",
    )


def setting_types() -> dict[str, type]:
    """Each setting's type (int, float, bool or str), by name."""
    return typing.get_type_hints(NetworkConfig) | typing.get_type_hints(TrainConfig)
