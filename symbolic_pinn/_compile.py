"""The pipeline: text or SymPy → IR → schedule → JAX source → loaded loss.

``compile`` lists the stages by name; every intermediate result is kept on the
returned :class:`CompiledProblem` so any stage can be printed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib
import types

from . import _ir as ir
from ._check import check
from ._emit import ARCHITECTURES, QUADRATURE_ORDER, emit
from ._errors import PinnError
from ._load import load
from ._lower import lower
from ._parse import parse_text
from ._plan import TAYLOR_FROM_ORDER, Schedule, format_schedule, plan
from ._spec import Spec

__all__ = ["parse", "parse_file", "compile", "CompiledProblem"]


def parse(text: str, filename: str | None = None) -> Spec:
    """Parse and check problem text: the first two stages.

    >>> spec = parse("x in [0, 1]\\nfield u(x)\\nDxx(u) = -1\\nu = 0 on ∂Ω")
    >>> [t.region.kind for t in spec.terms]
    ['interior', 'boundary']
    """
    return check(parse_text(text, filename))


def parse_file(path: str | pathlib.Path) -> Spec:
    """Read and parse a ``.pinn`` file."""
    path = pathlib.Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PinnError(f"cannot read {path}: {err.strerror}", help="check the file name") from None
    return check(parse_text(data, str(path)))


@dataclasses.dataclass(frozen=True)
class CompiledProblem:
    """A problem after every stage: ``.spec``, ``.ir``, ``.schedule``, ``.source``, ``.module``.

    ``.loss(params, points)`` and ``.losses(params, points)`` are the generated
    functions; ``.init_params(key)`` makes network weights; ``.train(...)`` trains.
    """

    spec: Spec
    ir: ir.Program
    schedule: Schedule
    source: str
    module: types.ModuleType
    width: int
    depth: int
    shared_network: bool = False
    quadrature_order: int = QUADRATURE_ORDER
    laplacian_samples: int = 0
    hard_constraints: bool = False
    architecture: str = "mlp"
    fourier_scale: float = 1.0

    @property
    def network_settings(self) -> dict:
        """The settings the generated code was compiled with (they go with its checkpoints)."""
        return {
            "width": self.width,
            "depth": self.depth,
            "shared_network": self.shared_network,
            "quadrature_order": self.quadrature_order,
            "laplacian_samples": self.laplacian_samples,
            "hard_constraints": self.hard_constraints,
            "architecture": self.architecture,
            "fourier_scale": self.fourier_scale,
        }

    @property
    def loss(self):
        return self.module.loss

    @property
    def losses(self):
        return self.module.losses

    @property
    def init_params(self):
        return self.module.init_params

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()

    def format_ir(self) -> str:
        return ir.format_program(self.ir)

    def format_plan(self) -> str:
        return format_schedule(self.schedule, self.ir)

    def train(self, run_dir=None, *, resume: bool = False, **settings):
        """Train the networks; see :class:`symbolic_pinn.TrainConfig` for the settings.

        With ``run_dir``, checkpoints are written there; ``resume=True`` continues the
        run checkpointed there, with its settings.
        """
        from ._settings import train_config
        from ._train import train

        config = train_config(settings, run_dir if resume else None)
        return train(self, config, run_dir, resume=resume)


def compile(
    problem: Spec | str,
    *,
    width: int = 20,
    depth: int = 3,
    taylor_from_order: int | None = TAYLOR_FROM_ORDER,
    quadrature_order: int = QUADRATURE_ORDER,
    shared_network: bool = False,
    laplacian_samples: int = 0,
    hard_constraints: bool = False,
    architecture: str = "mlp",
    fourier_scale: float = 1.0,
) -> CompiledProblem:
    """Compile a problem (text or a :class:`Spec` from ``parse``/``from_sympy``).

    Args:
        problem: problem text, or the result of :func:`parse` or :func:`from_sympy`.
        width: neurons per hidden layer of each field's MLP.
        depth: number of hidden layers.
        taylor_from_order: compute a field's highest derivatives with one collapsed
            Taylor-mode jet when their order is at least this (default 3); None uses
            nested jvp above the second order (see ``_plan``).
        quadrature_order: Gauss–Legendre nodes for each integral inside an equation,
            ``∫(f, s, a, b)`` (exact for polynomials of degree 2·order − 1).
        shared_network: one MLP with an output per field, instead of one MLP per
            field (the fields must take the same variables).
        laplacian_samples: 0 (default) computes every Σ wᵢ∂ᵢᵢ exactly; n > 0
            estimates those of more than n terms from n coordinates drawn at random,
            unbiased (for Laplacians in high dimension; the loss then takes a key).
        hard_constraints: impose each ``u = g on ∂Ω`` exactly, u = g + φ·network with φ
            zero on the boundary (boxes, disks, balls); those terms leave the loss.
        architecture: each network's kind: "mlp" (a tanh MLP, default), "fourier"
            (random Fourier features of the coordinates, then the MLP) or "modified"
            (the modified MLP of Wang, Teng & Perdikaris 2021).
        fourier_scale: standard deviation of the fixed Gaussian matrix B of "fourier".

    >>> c = compile("x in [0, 1]\\nfield u(x)\\nDxx(u) = -1\\nu = 0 on ∂Ω")
    >>> sorted(c.module.WEIGHTS)
    ['bc', 'pde']
    """
    spec = parse(problem) if isinstance(problem, str) else problem
    if width < 1 or depth < 1:
        raise PinnError(f"the network needs width ≥ 1 and depth ≥ 1, got width {width}, depth {depth}")
    if not 1 <= quadrature_order <= 1000:
        raise PinnError(f"quadrature_order must be between 1 and 1000, got {quadrature_order}")
    if architecture not in ARCHITECTURES:
        raise PinnError(
            f"unknown architecture {architecture!r}", help=f"choose one of: {', '.join(ARCHITECTURES)}"
        )
    if architecture == "fourier" and (width % 2 or width < 2):
        raise PinnError(
            f"the fourier architecture needs an even width (sin and cos of width/2 features), got {width}",
            help=f"use --width {width + 1 if width % 2 else 2}",
        )
    if not fourier_scale > 0:
        raise PinnError(f"fourier_scale must be > 0, got {fourier_scale}")
    program = lower(spec)
    constraints = None
    if hard_constraints:
        from ._hard import constrain

        program, constraints = constrain(program)
    if laplacian_samples < 0:
        raise PinnError(f"laplacian_samples must be ≥ 0, got {laplacian_samples}", help="0 computes Laplacians exactly")
    schedule = plan(program, taylor_from_order=taylor_from_order, laplacian_samples=laplacian_samples)
    layers = {f.name: (len(f.args),) + (width,) * depth + (1,) for f in program.fields}
    networks = {}
    if shared_network and len(program.fields) > 1:
        if len({f.args for f in program.fields}) != 1:
            raise PinnError(
                "a shared network needs fields of the same variables",
                help="declare them alike, e.g. `field u(x, y), v(x, y)`, or give each field its own network",
            )
        args = program.fields[0].args
        layers = {"_shared": (len(args),) + (width,) * depth + (len(program.fields),)}
        networks = {f.name: ("_shared", i) for i, f in enumerate(program.fields)}
    source = emit(
        program,
        schedule,
        layers=layers,
        source=spec.source,
        filename=spec.filename,
        quadrature_order=quadrature_order,
        networks=networks,
        constraints=constraints,
        architecture=architecture,
        fourier_scale=float(fourier_scale),
    )
    module = load(source, pathlib.Path(spec.filename).name if spec.filename else "problem")
    return CompiledProblem(
        spec,
        program,
        schedule,
        source,
        module,
        width,
        depth,
        shared_network,
        quadrature_order,
        laplacian_samples,
        hard_constraints,
        architecture,
        float(fourier_scale),
    )
