"""Pictures of a training run: the loss of every term, each field, and its error.

``loss.png`` shows every term's loss against the step (log scale).  For each field,
``solution_<field>.png`` and, where the problem gives an ``exact`` solution,
``error_<field>.png`` (|network − exact|): a line over one variable, a heat map over
two (more are held at their midpoints), and snapshots at a few times when one of the
field's variables is named ``t`` — or, without time, at the values of its first parameter
(``param k``) where ``metrics.json`` reports the error; with both, the snapshots once
for each of those values.  Heat maps keep equal scales on their spatial axes,
leave the points outside a shaped domain (disk, CSG) blank, share one labelled colour
scale across the snapshots, and show the exact solution beside the network's where
the problem gives one.

Figures are drawn with matplotlib's object-oriented API and rendered by the Agg canvas:
no pyplot, no window, no change to matplotlib's global backend.  This module draws;
the run directory (``_product.run``) names the files and writes them.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator

import jax.numpy as jnp
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._runtime.sampling import in_home
from .._training.devices import in_chunks
from .._training.metrics import CHUNK_SIZE, PARAMETER_VALUES
from .._training.monitor import history_columns
from .._training.phases import PHASES
from .._training.train import TrainResult, result_precision

__all__ = ["figures", "png"]

SNAPSHOTS = 4
LINE_POINTS = 200
MAP_POINTS = 101  # per axis of a heat map

Coordinates = dict[str, np.ndarray]


def figures(compiled, result: TrainResult) -> Iterator[tuple[str, str | None, Figure]]:
    """Each figure of a run, drawn one at a time: ``(kind, field, figure)``.

    ``kind`` is ``loss`` (field None), ``solution`` or ``error`` (where the problem gives
    an exact solution); the run directory (``_product.run``) names and writes them.
    """
    yield "loss", None, _loss_figure(result.history)
    maps = {m.bounded: m for m in compiled.spec.maps}  # a mapped variable is drawn in x, on a finite window
    bounds = {v.name: (float(v.lo), float(v.hi)) for v in compiled.ir.variables} | {
        m.variable: m.window() for m in maps.values()
    }
    with result_precision(result.params):
        networks = compiled.module.fields(result.params)
        for field in compiled.ir.fields:
            inside = _inside(compiled.ir.shape, field.region)
            network = _on_grid(networks[field.name], tuple(field.args), result.config.chunk_size, maps)
            exact = compiled.module.EXACT.get(field.name)
            reference = _on_grid(exact, tuple(field.args), result.config.chunk_size, maps) if exact else None
            args = tuple(maps[a].variable if a in maps else a for a in field.args)
            title = f"{field.name}({', '.join(args)})"
            figure = _field_figure(
                title, args, bounds, network, reference, inside, field.name, compiled.ir.parameters, compiled.ir.time
            )
            yield "solution", field.name, figure
            if reference is not None:
                error = lambda c, n=network, r=reference: np.abs(n(c) - r(c))  # noqa: E731
                label = f"|{field.name} − exact|"
                figure = _field_figure(
                    label, args, bounds, error, None, inside, label, compiled.ir.parameters, compiled.ir.time
                )
                yield "error", field.name, figure


def png(figure: Figure) -> bytes:
    """The figure as a PNG file's bytes (Agg: no window, no global backend)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _inside(shape, region=()) -> Callable[[Coordinates], np.ndarray] | None:
    """Whether points are in a shaped domain (by the runtime's signed distance) and in the box
    or shape ``region`` where a field lives (`field u1(x) in A`), or None for a box and a field of all of it."""
    if shape is None and not region:
        return None

    def inside(coordinates: Coordinates) -> np.ndarray:
        size = np.broadcast_shapes(*(np.shape(c) for c in coordinates.values()))
        result = np.ones(size, bool)
        for entry in region:  # a bound or a shape, where the grid has its variables
            if set((entry[0],) if len(entry) == 3 else entry[0]) <= set(coordinates):
                result &= in_home((entry,), {v: np.broadcast_to(c, size) for v, c in coordinates.items()})
        if shape is not None and set(shape[0]) <= set(coordinates):
            variables, tree = shape
            points = np.stack([np.ravel(np.broadcast_to(coordinates[v], size)) for v in variables], axis=-1)
            result &= (tree.distance(points) <= 1e-12).reshape(size)
        return result

    return inside


def _on_grid(
    function, args: tuple[str, ...], chunk_size: int = CHUNK_SIZE, maps=None
) -> Callable[[Coordinates], np.ndarray]:
    """``function`` of the field's arguments, called on named coordinate arrays, ``chunk_size`` points at a time;
    ``maps`` (bounded variable → its ``VariableMap``) name those arguments by the mapped variables instead."""
    maps = maps or {}

    def column(coordinates: Coordinates, a: str) -> np.ndarray:
        return maps[a].to_bounded(coordinates[maps[a].variable]) if a in maps else coordinates[a]

    def evaluate(coordinates: Coordinates) -> np.ndarray:
        dtype = jnp.result_type(float)
        given = {a: column(coordinates, a) for a in args}
        shape = np.broadcast_shapes(*(np.shape(given[a]) for a in args))
        columns = tuple(np.ravel(np.broadcast_to(np.asarray(given[a], dtype=dtype), shape)) for a in args)
        values = in_chunks(function, columns, chunk_size)
        return np.broadcast_to(np.asarray(values, dtype=float), (len(columns[0]),)).reshape(shape)

    return evaluate


# ---- the loss -------------------------------------------------------------------------


def _loss_figure(history: list[dict]) -> Figure:
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    ax = figure.add_subplot()
    steps = [row["step"] for row in history]
    terms, _ = history_columns(history)
    for name in terms:
        values = [row[name] for row in history]
        style = {"linewidth": 2, "color": "black"} if name == "loss" else {"linewidth": 1}
        ax.plot(steps, values, label="total (weighted)" if name == "loss" else name, **style)
    held = [(row["step"], row["held_out"]) for row in history if "held_out" in row]
    if held:  # the finish's loss on held-out points, where it was evaluated
        ax.plot(*zip(*held), "o--", color="black", markersize=3, linewidth=1, label="total on held-out points")
    switches = tuple((phase.name, *phase.switch) for phase in PHASES if phase.switch)  # where each phase starts
    for phase, label, style in switches:
        switch = next((row["step"] for row in history if row["phase"] == phase), None)
        if switch is not None:
            ax.axvline(switch, color="grey", linestyle=style, label=label)
    if history:
        ax.set_yscale("log")
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no training steps", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (mean square)")
    ax.set_title("loss of every term")
    return figure


# ---- fields ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Panel:
    """One view of a field: one or two plotted axes, the other arguments held fixed."""

    axes: tuple[tuple[str, np.ndarray], ...]
    fixed: dict[str, float]

    @property
    def label(self) -> str:
        return ", ".join(f"{k} = {v:.3g}" for k, v in self.fixed.items())

    def coordinates(self) -> Coordinates:
        grids = np.meshgrid(*(values for _, values in self.axes), indexing="ij")
        coordinates = {name: grid for (name, _), grid in zip(self.axes, grids)}
        return coordinates | {k: np.full(grids[0].shape, v) for k, v in self.fixed.items()}


def _panels(
    args: tuple[str, ...], bounds: dict[str, tuple[float, float]], parameters=(), time: str | None = None
) -> list[_Panel]:
    """The views of a field of ``args``: snapshots in ``time`` (the program's time variable) — or,
    without time, at a few values of its first parameter (``param k in [1, 3]``) — each a line or a heat map."""
    stepped = time if time in args else next((a for a in args if a in parameters), time)
    space = [a for a in args if a != time and a not in parameters] or [stepped]
    count = PARAMETER_VALUES if stepped in parameters else SNAPSHOTS  # the values metrics.json reports
    steps = np.linspace(*bounds[stepped], count) if stepped in args and stepped not in space else [None]
    plotted = space[:2]
    n = LINE_POINTS if len(plotted) == 1 else MAP_POINTS
    axes = tuple((a, np.linspace(*bounds[a], n)) for a in plotted)
    others = [a for a in args if a in parameters and a != stepped and a not in plotted]
    held = {a: sum(bounds[a]) / 2 for a in space[2:] + others}
    return [_Panel(axes, ({stepped: float(s)} if s is not None else {}) | held) for s in steps]


def _panel_rows(
    args: tuple[str, ...], bounds: dict[str, tuple[float, float]], parameters=(), time: str | None = None
) -> list[list[_Panel]]:
    """The views of a field in rows: one row — or, for a field of time and a parameter,
    the snapshots in time once for each value of its first parameter (where
    ``metrics.json`` reports the error)."""
    panels = _panels(args, bounds, parameters, time)
    first = next((a for a in args if a in parameters), None)
    if time not in args or first is None:
        return [panels]
    values = np.linspace(*bounds[first], PARAMETER_VALUES)
    return [[dataclasses.replace(p, fixed=p.fixed | {first: float(v)}) for p in panels] for v in values]


def _field_figure(
    title: str,
    args,
    bounds,
    values: Callable,
    reference: Callable | None = None,
    inside=None,
    label: str = "",
    parameters=(),
    time: str | None = None,
) -> Figure:
    rows = _panel_rows(args, bounds, parameters, time)
    if inside is not None:  # blank (NaN) outside the shape
        values = _masked(values, inside)
        reference = _masked(reference, inside) if reference is not None else None
    if len(rows[0][0].axes) == 1:
        return _lines(title, rows, values, reference)
    return _maps(title, rows, values, reference, label or title)


def _masked(function: Callable, inside: Callable) -> Callable:
    return lambda c: np.where(inside(c), function(c), np.nan)


def _lines(title: str, rows: list[list[_Panel]], values: Callable, reference: Callable | None) -> Figure:
    """Each row of panels as lines on one plot; several rows (parameter values) stacked, one scale."""
    figure = Figure(figsize=(7, 4.5 * len(rows) ** 0.75), layout="constrained")
    axes = figure.subplots(len(rows), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    for ax, panels in zip(axes, rows):
        ((name, xs),) = panels[0].axes
        for panel in panels:
            coordinates = panel.coordinates()
            (line,) = ax.plot(xs, values(coordinates), label=panel.label or "network")
            if reference is not None:
                ax.plot(xs, reference(coordinates), "--", color=line.get_color(), label=f"exact {panel.label}".strip())
        ax.set_xlabel(name)
        ax.set_title(title)
        if len(panels) > 1 or reference is not None:
            ax.legend()
    return figure


def _maps(
    title: str, panel_rows: list[list[_Panel]], values: Callable, reference: Callable | None, label: str
) -> Figure:
    """Heat maps on one colour scale: the network's snapshots, and the exact solution's beside them.

    One snapshot: network and exact side by side; several: a row for each (and, for a
    field of time and a parameter, those rows once for each parameter value).
    """
    kinds = [("network", values)] + ([("exact", reference)] if reference is not None else [])
    rows = [(name, f, panels) for panels in panel_rows for name, f in kinds]
    data = [[np.ma.masked_invalid(f(panel.coordinates())) for panel in panels] for _, f, panels in rows]
    finite = np.concatenate([d.compressed() for row in data for d in row])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    across = len(panel_rows) == 1 and len(panel_rows[0]) == 1  # a single snapshot: the rows go side by side
    shape = (1, len(rows)) if across else (len(rows), len(panel_rows[0]))
    figure = Figure(figsize=(4.2 * shape[1] + 0.8, 4 * shape[0]), layout="constrained")
    grid = figure.subplots(*shape, squeeze=False)
    axes = grid.T if across else grid
    for (name, _, panels), row_axes, row in zip(rows, axes, data):
        for ax, panel, array in zip(row_axes, panels, row):
            (xname, xs), (yname, ys) = panel.axes
            mesh = ax.pcolormesh(xs, ys, array.T, shading="auto", vmin=lo, vmax=hi)
            ax.set_xlabel(xname)
            ax.set_ylabel(yname)
            ax.set_title(", ".join(p for p in (name if len(kinds) > 1 else "", panel.label) if p))
            ax.set_aspect("equal")  # both axes are spatial: time is never a heat map's axis
    figure.colorbar(mesh, ax=list(grid.ravel()), label=label)
    figure.suptitle(title)
    return figure
