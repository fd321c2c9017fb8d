"""The pipeline: text or SymPy → IR → schedule → JAX source → loaded loss.

``compile`` lists the stages by name; every intermediate result is kept on the
returned :class:`Compiled` so any stage can be printed.  Training is not a stage of
the compiler: ``symbolic_pinn.compile`` gives a ``CompiledProblem`` (``_product.run``),
which adds ``.train`` and writes the run directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import types

from .._config import NetworkConfig
from .._errors import PinnError
from .._frontend.check import check
from .._frontend.parse import parse_text, read_problem
from .._frontend.spec import Spec
from . import ir
from .emit import emit
from .hard import Exact, built_in, constrain, format_exact
from .loader import load
from .lower import lower
from .plan import TAYLOR_FROM_ORDER, Schedule, format_schedule, plan
from .quadrature import check_quadrature

__all__ = ["parse", "parse_file", "build_in", "compile", "Compiled"]


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
    data = read_problem(path)  # a regular file; never the whole of /dev/zero
    return check(parse_text(data, str(path)))


@dataclasses.dataclass(frozen=True)
class Compiled:
    """A problem after every stage: ``.spec``, ``.ir``, ``.schedule``, ``.source``, ``.module``.

    ``.loss(params, points)`` and ``.losses(params, points)`` are the generated
    functions; ``.init_params(key)`` makes network weights.
    """

    spec: Spec
    ir: ir.Program
    schedule: Schedule
    source: str
    module: types.ModuleType
    network: NetworkConfig = NetworkConfig()
    exact: dict[str, Exact] = dataclasses.field(default_factory=dict)  # conditions built into each field's network

    @property
    def network_settings(self) -> dict:
        """The settings the generated code was compiled with (they go with its checkpoints)."""
        return dataclasses.asdict(self.network)

    @property
    def observations(self) -> dict:
        """The observations of each ``data`` file, by its name as written."""
        return {d.name: d for d in self.spec.data}

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

    @property
    def built_in(self) -> dict[str, list[str]]:
        """The conditions built into each field's network (they are not terms of the loss)."""
        return built_in(self.exact)

    def format_ir(self) -> str:
        """The IR, then the conditions built into the networks (which left it)."""
        lines = [f"built into {name}: {'; '.join(labels)}\n" for name, labels in self.built_in.items()]
        return ir.format_program(self.ir) + "".join(lines)

    def format_plan(self) -> str:
        tables = "".join(table.describe() + "\n" for table in self.ir.tables)
        return tables + format_exact(self.exact, self.ir) + format_schedule(self.schedule, self.ir)


def build_in(program: ir.Program, network: NetworkConfig) -> tuple[ir.Program, dict[str, Exact]]:
    """The stage after lowering: the conditions ``network``'s settings build into the networks
    (``hard.constrain``); an energy's Dirichlet data are built in with ``energy_constraints``."""
    energy = any(t.kind == "energy" for t in program.terms)
    return constrain(
        program,
        dirichlet=network.hard_constraints or (network.energy_constraints and energy),
        initial=network.exact_initial,
        periodic=network.periodic_embedding,
        shared=network.shared_network,
    )


def compile(
    problem: Spec | str,
    *,
    taylor_from_order: int | None = TAYLOR_FROM_ORDER,
    network: NetworkConfig | None = None,
    **settings,
) -> Compiled:
    """Compile a problem (text or a :class:`Spec` from ``parse``/``from_sympy``).

    Args:
        problem: problem text, or the result of :func:`parse` or :func:`from_sympy`.
        taylor_from_order: compute a field's highest derivatives with one collapsed
            Taylor-mode jet when their order is at least this (default 3); None uses
            nested jvp above the second order (see ``_plan``).
        network: the settings of the generated code, a :class:`NetworkConfig`; or give
            them one by one as keywords: ``width`` and ``depth`` of each network,
            ``shared_network``, ``quadrature_order`` (Gauss–Legendre nodes of each
            ``∫(f, s, a, b)``), ``laplacian_samples`` (0: exact Laplacians; n: unbiased
            estimates from n random coordinates), ``hard_constraints`` (each ``u = g on
            ∂Ω`` exact, u = g + φ·network; ``energy_constraints`` does so for ``minimize``
            problems), ``exact_initial`` and ``periodic_embedding`` (initial conditions and
            periodic pairs built into the networks; all four on by default), ``architecture``
            ("mlp", "fourier", "modified") and ``fourier_scale``.  Each is described in
            ``NetworkConfig``.

    >>> c = compile("x in [0, 1]\\nfield u(x)\\nDxx(u) = -1\\nu = 0 on ∂Ω", width=8)
    >>> sorted(c.module.WEIGHTS), c.network.width  # u = 0 on ∂Ω is built into the network
    (['pde'], 8)
    >>> sorted(compile(c.spec, width=8, hard_constraints=False).module.WEIGHTS)
    ['bc', 'pde']
    """
    if network is None:
        from .._settings import NETWORK, check

        network = NetworkConfig(**check(settings, "given to compile()", [s.name for s in NETWORK]))
    elif settings:
        raise PinnError("give the settings either as network=NetworkConfig(...) or as keywords, not both")
    if isinstance(problem, str):
        spec = parse(problem)
    elif isinstance(problem, os.PathLike):  # a .pinn file: its data files are found beside it
        spec = parse_file(problem)
    elif isinstance(problem, Spec):
        spec = problem
    else:
        raise PinnError(
            f"compile() takes problem text, a .pinn file's path or a Spec, not {type(problem).__name__}",
            help="give the text, pathlib.Path('problem.pinn'), or symbolic_pinn.from_sympy(...)",
        )
    program = lower(spec)
    program, constraints = build_in(program, network)
    if network.shared_network and len(program.fields) > 1 and len({f.args for f in program.fields}) != 1:
        raise PinnError(
            "a shared network needs fields of the same variables",
            help="declare them alike, e.g. `field u(x, y), v(x, y)`, or give each field its own network",
        )
    schedule = plan(program, taylor_from_order=taylor_from_order, laplacian_samples=network.laplacian_samples)
    source = emit(
        program, schedule, network=network, source=spec.source, filename=spec.filename, constraints=constraints
    )
    module = load(source, pathlib.Path(spec.filename).name if spec.filename else "problem")
    check_quadrature(program, network, constraints, taylor_from_order)
    return Compiled(spec, program, schedule, source, module, network, constraints)
