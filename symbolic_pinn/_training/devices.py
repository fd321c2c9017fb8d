"""Data parallelism: every term's collocation points split over the devices, the rest replicated.

The devices form a one-dimensional ``jax.sharding.Mesh`` with one axis, ``points``.
Parameters, optimiser state and weights are replicated on every device; each point
column is sharded along the axis (``NamedSharding(mesh, P("points"))``).  The train
steps are the same jitted functions as on one device: they start by constraining their
points to that sharding (``with_sharding_constraint``) and XLA's SPMD partitioner does
the rest — each device evaluates the network on its share of the points, and the means
of the loss, the gradient (Adam, the quasi-Newton phases) and JᵀJ, Jᵀr
(Levenberg–Marquardt) are sums across devices.  The loss is the same mean as on one
device, to float rounding (the sums are added in another order).

A point count that the device count does not divide is split unevenly by the
partitioner, which pads each column to a multiple of the device count and masks the
padding out of every sum, so the loss is still the mean over the real points.  Such a
column is handed to the step replicated (a column of 10⁶ float32 points is 4 MB; the
memory is in the network's activations, which are split); an even one arrives split.

With one device (``devices = 1``, or one visible) nothing is placed: the code runs as
it would without this module.  ``jax.distributed`` (several processes, see
:func:`initialize`) makes ``jax.devices()`` every process's devices: the mesh spans them.

With several processes each process holds only its share of the points: a column is a
global ``jax.Array`` of which each process has the rows of its own devices
(:meth:`Placement.points`).  What reads whole columns gathers them across processes
(:func:`gather`: the checkpoint process 0 writes, the interior points RAR keeps at a
resampling, RAR's scores); what replaces rows does it in place (:func:`with_rows`), and
the loss after training is evaluated where the points are (:meth:`Placement.losses`).
These are collectives: every process calls them at the same step, as it does the steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from .._config import parse_devices
from .._errors import PinnError

__all__ = [
    "AXIS",
    "ONE",
    "Placement",
    "initialize",
    "lost_process",
    "placement",
    "even_share",
    "in_chunks",
    "gather",
    "with_rows",
    "agree",
]

AXIS = "points"


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where a run's arrays live: one device (``mesh`` None) or a mesh with a points axis."""

    mesh: Mesh | None = None

    @property
    def count(self) -> int:
        return 1 if self.mesh is None else self.mesh.size

    def replicate(self, tree):
        """``tree`` (parameters, optimiser state, weights) copied onto every device."""
        if self.mesh is None:
            return tree
        return jax.device_put(tree, NamedSharding(self.mesh, P()))

    def points(self, points: dict) -> dict:
        """Each term's columns split along the points axis (replicated where the count does not divide).

        With several processes a column whose length the device count divides becomes a
        global array of which this process holds only the rows of its own devices; the
        column handed in (drawn whole from the seed, or read whole from a checkpoint) is
        then dropped.  Drawing the whole set and keeping a share is deliberate: the Sobol
        and Halton sequences, the rejection sampling of shaped domains and the split of a
        boundary's points over its faces are not splittable by seed, and the whole draw
        is what one process trains on, so the points are the same to the bit; it is host
        numpy, held only while it is placed (10⁶ points in 2-D: 16 MB of float64).  A column
        that the device count does not divide stays whole on every process (JAX 0.10 has no global array whose shards
        differ in length: ``NamedSharding.shard_shape`` refuses it); the step still splits
        its work, and the loss is the same mean (see the module docstring).
        """
        if self.mesh is None:
            return points
        return {term: tuple(self.place(c) for c in columns) for term, columns in points.items()}

    def place(self, column) -> jax.Array:
        """One column split along the points axis, or whole on every device where the count does not divide."""
        split, whole = NamedSharding(self.mesh, P(AXIS)), NamedSharding(self.mesh, P())
        target = split if column.shape[0] % self.count == 0 else whole
        if isinstance(column, jax.Array) and not column.is_fully_addressable:  # already global: reshard if need be
            return column if column.sharding == target else jax.device_put(column, target)
        if jax.process_count() == 1:
            return jax.device_put(column, target)
        host = np.asarray(column)  # each device takes its rows; the process keeps only those
        return jax.make_array_from_callback(host.shape, target, lambda index: host[index])

    def own(self, points: dict) -> dict:
        """This process's rows of each column, as its own arrays (all of a column held whole).

        With one process, ``points`` as they are.
        """
        if jax.process_count() == 1:
            return points

        def mine(column):
            if not isinstance(column, jax.Array) or column.is_fully_addressable:
                return column
            if column.is_fully_replicated:  # a column held whole
                return jnp.asarray(column.addressable_data(0))
            shards = sorted(column.addressable_shards, key=lambda s: s.index[0].start)
            return jnp.asarray(np.concatenate([np.asarray(s.data) for s in shards]))

        return {term: tuple(mine(c) for c in columns) for term, columns in points.items()}

    def held(self, points: dict) -> dict[str, list[int]]:
        """How many points of each term each process holds, ``{term: [rows in process 0, ...]}``.

        A collective with several processes: every process calls it.
        """
        mine = self.own(points)
        counts = np.array([len(columns[0]) for columns in mine.values()], dtype=np.int32)
        if jax.process_count() > 1:
            from jax.experimental import multihost_utils

            counts = np.asarray(multihost_utils.process_allgather(counts)).reshape(jax.process_count(), -1).T
        else:
            counts = counts[:, None]
        return {term: [int(n) for n in row] for term, row in zip(mine, counts)}

    def losses(self, losses: Callable, params, points: dict) -> dict:
        """Each term's loss ``losses(params, points)`` where the points are: split over the devices of every process.

        With one process, evaluated as it is (its points are all on its devices).
        """
        if jax.process_count() == 1:
            return losses(params, points)
        return jax.jit(lambda p, c: losses(p, self.constrain(c)))(params, points)

    def constrain(self, points: dict) -> dict:
        """Inside a jitted function: every column split along the points axis, evenly or not."""
        if self.mesh is None:
            return points
        split = NamedSharding(self.mesh, P(AXIS))
        return jax.tree.map(lambda c: jax.lax.with_sharding_constraint(c, split), points)

    @property
    def leader(self) -> bool:
        """Whether this process writes (checkpoints, metrics, plots) and shows progress: process 0."""
        return jax.process_index() == 0

    def local(self, tree):
        """With several processes, ``tree``'s replicated arrays as this process's own copies (for evaluation)."""
        if jax.process_count() == 1:
            return tree
        return jax.tree.map(lambda a: jnp.asarray(np.asarray(a)) if isinstance(a, jax.Array) else a, tree)

    def describe(self) -> dict:
        """For metrics.json, checkpoints and the progress line: count, kinds, mesh, processes."""
        devices = list(self.mesh.devices.flat) if self.mesh is not None else [jax.devices()[0]]
        return {
            "count": len(devices),
            "kinds": sorted({d.device_kind for d in devices}),
            "platform": devices[0].platform,
            "mesh": {AXIS: len(devices)},
            "processes": jax.process_count(),
        }

    def line(self) -> str:
        """One line for the progress display."""
        d = self.describe()
        processes = f" in {d['processes']} processes" if d["processes"] > 1 else ""
        kinds, plural = ", ".join(d["kinds"]), "s" if d["count"] > 1 else ""
        return f"{d['count']} {d['platform']} device{plural} ({kinds}){processes}, mesh {d['mesh']}"


ONE = Placement(None)  # one device: nothing placed


def initialize(coordinator: str | None, num_processes: int | None = None, process_id: int | None = None) -> None:
    """Join a group of processes (``jax.distributed.initialize``) before any JAX computation.

    ``coordinator`` is process 0's ``HOST:PORT``, or ``"auto"`` for the environment's
    (Slurm, Open MPI, ... as ``jax.distributed.initialize()`` detects); None: one process.
    On CPUs the processes exchange sums through gloo (``jax_cpu_collectives_implementation``).
    """
    if coordinator is None:
        if num_processes is not None or process_id is not None:
            raise PinnError(
                "--num-processes and --process-id go with --coordinator HOST:PORT",
                help="give every process --coordinator HOST:PORT (process 0's address), or --coordinator auto",
            )
        return
    if coordinator != "auto" and (num_processes is None or process_id is None):
        raise PinnError(
            f"--coordinator {coordinator} needs --num-processes N and --process-id I (0 to N - 1)",
            help="or --coordinator auto, where Slurm or MPI tells each process its place",
        )
    if coordinator != "auto" and not 0 <= process_id < num_processes:
        raise PinnError(f"--process-id must be between 0 and {num_processes - 1}, got {process_id}")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU collectives; GPUs use NCCL
    try:
        if coordinator == "auto":
            jax.distributed.initialize()
        else:
            jax.distributed.initialize(coordinator, num_processes, process_id)
    except (RuntimeError, ValueError) as err:
        raise PinnError(
            f"could not join the group of processes at {coordinator}: {err}",
            help="start every process with the same --coordinator and --num-processes, and process 0 first",
        ) from None


def lost_process(error: Exception, run_dir, step: int | None) -> PinnError:
    """The error of a process whose group lost a member mid-training (a collective failed).

    It names the last checkpoint in ``run_dir`` (the one of ``step``, None without one), from
    which all the processes resume.
    """
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    where = f"process {jax.process_index()} of {jax.process_count()}"
    resume = (
        f"the last checkpoint in {run_dir} is at step {step}: start all {jax.process_count()} processes again "
        f"with --resume {run_dir} (and the same --coordinator, --num-processes, each its --process-id)"
        if step is not None
        else f"no checkpoint was written in {run_dir} yet: start all the processes again"
    )
    return PinnError(
        f"{where} lost contact with the others during training ({first}); another process stopped "
        "(killed, out of memory, its host gone)",
        help=resume,
    )


def placement(setting: str) -> Placement:
    """The placement the ``devices`` setting asks for; one device means no mesh."""
    wanted = parse_devices(setting)
    available = jax.devices()
    if wanted is not None and wanted > len(available):
        raise PinnError(
            f"devices is {wanted}, and JAX sees {len(available)}: {', '.join(str(d) for d in available)}",
            help="use --devices all, or a number up to "
            f"{len(available)} (on a CPU, XLA_FLAGS=--xla_force_host_platform_device_count=N makes N)",
        )
    if wanted is not None and jax.process_count() > 1 and wanted != len(available):
        raise PinnError(
            f"with {jax.process_count()} processes, devices must be all ({len(available)}), got {wanted}",
            help="use --devices all; each process brings its own devices",
        )
    chosen = available if wanted is None else available[:wanted]
    if len(chosen) == 1 and jax.process_count() == 1:
        return ONE
    return Placement(Mesh(np.array(chosen), (AXIS,)))


def even_share(total: int, parts: int, index: int) -> slice:
    """Part ``index`` of ``parts`` nearly equal consecutive parts of ``range(total)``.

    >>> [even_share(10, 3, i) for i in range(3)]
    [slice(0, 4, None), slice(4, 7, None), slice(7, 10, None)]
    """
    size, extra = divmod(total, parts)
    start = index * size + min(index, extra)
    return slice(start, start + size + (index < extra))


def gather(column, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Rows ``start:stop`` of a column, on the host of every process.

    A column split over several processes is gathered (a collective: every process
    calls it): as ``multihost_utils.process_allgather`` does, a jitted copy whose output
    is replicated, here of the rows asked for only.  Any other array is read where it is.
    """
    n = column.shape[0]
    stop = n if stop is None else stop
    if not isinstance(column, jax.Array) or column.is_fully_addressable or column.is_fully_replicated:
        if isinstance(column, jax.Array) and not column.is_fully_addressable:
            column = column.addressable_data(0)
        return np.asarray(column if (start, stop) == (0, n) else column[start:stop])
    whole = NamedSharding(column.sharding.mesh, P())
    rows = jax.jit(lambda c: c[start:stop], out_shardings=whole)(column)
    return np.asarray(rows.addressable_data(0))


def agree(*flags: bool) -> tuple[bool, ...]:
    """Each flag as any process has it: one process's own; with several, a collective
    (every process calls it) so that all stop at the same step when one was told to.

    Without it a process that stopped (a signal, its time limit) would wait in the
    checkpoint's gather while the others wait in their next step, for ever.
    """
    if jax.process_count() == 1:
        return tuple(bool(f) for f in flags)
    from jax.experimental import multihost_utils

    everyone = multihost_utils.process_allgather(np.asarray(flags, dtype=np.int32))
    return tuple(bool(v) for v in np.asarray(everyone).reshape(-1, len(flags)).any(axis=0))


def with_rows(column, start: int, block) -> jax.Array:
    """``column`` with rows ``start:start + len(block)`` replaced by ``block``, placed as ``column`` was.

    ``block`` is the same on every process (a few points: RAR's refinement).
    """
    block = np.asarray(block, dtype=column.dtype)
    if not isinstance(column, jax.Array) or column.is_fully_addressable:
        return jnp.asarray(column).at[start : start + len(block)].set(block)
    update = jax.jit(lambda c, b: jax.lax.dynamic_update_slice_in_dim(c, b, start, 0), out_shardings=column.sharding)
    return update(column, block)


def in_chunks(function: Callable, columns: tuple, size: int) -> np.ndarray:
    """``function(*columns)`` of a pointwise function, evaluated ``size`` points at a time.

    Memory is bounded by one chunk's: the values come back to the host chunk by chunk.
    Every chunk has the same length (the last is padded with copies of its first point,
    whose values are dropped), so a jitted ``function`` is compiled once.

    >>> in_chunks(lambda x, y: x * y, (np.arange(5.0), np.full(5, 2.0)), 2)
    array([0., 2., 4., 6., 8.])
    """
    n = len(columns[0])
    if n <= size:
        return _pointwise(function(*columns), n)
    values = []
    for start in range(0, n, size):
        chunk = tuple(c[start : start + size] for c in columns)
        real = len(chunk[0])
        if real < size:
            chunk = tuple(np.concatenate([c, np.repeat(c[:1], size - real, axis=0)]) for c in chunk)
        values.append(_pointwise(function(*chunk), size)[:real])
    return np.concatenate(values)


def _pointwise(values, n: int) -> np.ndarray:
    """One value per point (a constant, such as `exact u = 1`, is one value for all)."""
    values = np.asarray(values)
    return np.broadcast_to(values, (n,) + values.shape[1:]) if values.ndim == 0 else values
