"""Mesh files: `mesh("part.stl")`, a closed triangle surface read into a :class:`~symbolic_pinn._runtime.solids.Mesh`.

The file is read like observations: relative to the problem's directory and inside it,
never through a symbolic link, at most :data:`MAX_BYTES`; trimesh (the optional extra
``mesh``) parses the bytes of STL, OBJ, PLY and OFF files, and meshio (the same extra)
those of gmsh's ``.msh`` (versions 2.2, 4.0 and 4.1, ASCII or binary) and VTK's ``.vtk``
and ``.vtu``.  From a meshio file the surface is its triangles (quadrilaterals split in
two), or, when it has none, the outer faces of its tetrahedra (those of one tetrahedron
only, turned to face away from it).  The triangles then become a shape of numbers, so
nothing of trimesh or meshio reaches the generated module.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import tempfile

import numpy as np

from .._errors import PinnError
from .._files import read_bounded
from .._runtime.solids import Mesh
from .data import inside

__all__ = ["read_mesh"]

MAX_BYTES = 1 << 28
MAX_TRIANGLES = 20_000  # the generated module holds every triangle, and each point meets each one
TRIMESH = ("stl", "obj", "ply", "off")
MESHIO = {"msh": "gmsh", "vtk": "vtk", "vtu": "vtu"}  # suffix → meshio's name of the format
FORMATS = (*TRIMESH, *MESHIO)


def read_mesh(name: str, base: pathlib.Path) -> Mesh:
    """The solid the mesh file ``name`` (relative to ``base``) bounds.

    Errors are PinnErrors without a location (the checker adds the call's).
    """
    path = base / name
    if not inside(path, base):
        raise PinnError(
            f"the mesh file '{name}' is outside the problem's directory {base}",
            help="put the mesh beside the problem file (or in a folder below it) and name it relative to it",
        )
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise PinnError(f"cannot read a mesh from '{name}'", help=f"give a {', '.join('.' + f for f in FORMATS)} file")
    if not path.exists():
        raise PinnError(
            f"the mesh file '{name}' does not exist (looked for {path})",
            help="the path is relative to the problem file",
        )
    data = read_bounded(path, MAX_BYTES, help="give the name of a mesh file", follow=False)
    vertices, faces = (_meshio if suffix in MESHIO else _trimesh)(name, suffix, data)
    if len(faces) > MAX_TRIANGLES:
        raise PinnError(
            f"the mesh '{name}' has {len(faces):,} triangles; the limit is {MAX_TRIANGLES:,}",
            help="simplify the mesh (decimate it) first",
        )
    from .._runtime.geometry import ShapeError

    try:
        return Mesh.build("mesh", [vertices, faces])
    except ShapeError as err:
        raise PinnError(f"the mesh '{name}': {err}", help=err.help) from None


def _trimesh(name: str, suffix: str, data: bytes) -> tuple:
    """(vertices, faces) of an STL, OBJ, PLY or OFF file's bytes, merged and cleaned by trimesh."""
    try:
        import trimesh
    except ImportError:
        raise PinnError(
            f"reading the mesh '{name}' needs trimesh", help="install the extra: pip install 'symbolic-pinn[mesh]'"
        ) from None
    try:
        surface = trimesh.load(io.BytesIO(data), file_type=suffix, force="mesh", process=True)
    except Exception as err:  # trimesh raises many kinds on a damaged file
        raise PinnError(f"cannot read the mesh '{name}': {err}", help="give an STL, OBJ, PLY or OFF file") from None
    return getattr(surface, "vertices", ()), getattr(surface, "faces", ())


def _meshio(name: str, suffix: str, data: bytes) -> tuple:
    """(vertices, faces) of a gmsh or VTK file's bytes: its triangles, or its tetrahedra's outer faces.

    meshio's gmsh reader takes a file name only, so the bytes (read bounded, never through a
    link) are written to a private temporary file for it.
    """
    try:
        import meshio
    except ImportError:
        raise PinnError(
            f"reading the mesh '{name}' needs meshio", help="install the extra: pip install 'symbolic-pinn[mesh]'"
        ) from None
    with tempfile.TemporaryDirectory() as folder:
        copy = pathlib.Path(folder) / f"mesh.{suffix}"
        copy.write_bytes(data)
        said = io.StringIO()
        try:  # meshio prints what went wrong, and may then call sys.exit: both are kept from the user
            with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
                read = meshio.read(copy, file_format=MESHIO[suffix])
        except (Exception, SystemExit) as err:  # meshio raises many kinds on a damaged file
            lines = [line.strip() for line in [*said.getvalue().splitlines(), str(err)] if line.strip()]
            message = (lines[0] if lines else type(err).__name__).replace(str(copy), name)
            raise PinnError(
                f"cannot read the mesh '{name}': {message}", help="give a gmsh .msh, .vtk or .vtu file"
            ) from None
    points = np.asarray(read.points, dtype=float)
    if points.ndim != 2 or points.shape[1] not in (2, 3):
        raise PinnError(f"the mesh '{name}' has no points in space", help="give a mesh of a 3-D solid")
    if points.shape[1] == 2:
        points = np.column_stack([points, np.zeros(len(points))])
    cells = {}
    for block in read.cells:
        cells.setdefault(block.type, []).append(np.asarray(block.data, dtype=np.int64))
    cells = {kind: np.concatenate(blocks) for kind, blocks in cells.items()}
    triangles = [cells.get("triangle", np.zeros((0, 3), np.int64))]
    if "quad" in cells:  # split each quadrilateral abcd into abc and acd, keeping its orientation
        quads = cells["quad"]
        triangles += [quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]
    faces = np.concatenate(triangles)
    if not len(faces) and "tetra" in cells:
        faces = _outer_faces(points, cells["tetra"])
    if not len(faces):
        raise PinnError(
            f"the mesh '{name}' has no triangles, quadrilaterals or tetrahedra "
            f"(it has {', '.join(cells) or 'no cells'})",
            help="give the surface of the solid (triangles) or its tetrahedra",
        )
    used, faces = np.unique(faces, return_inverse=True)  # the surface's own vertices, renumbered
    return points[used], faces.reshape(-1, 3)


def _outer_faces(points: np.ndarray, tetra: np.ndarray) -> np.ndarray:
    """The faces of the tetrahedra that belong to one tetrahedron only, each turned to face away from it."""
    opposite = ((1, 2, 3, 0), (0, 3, 2, 1), (0, 1, 3, 2), (0, 2, 1, 3))  # face's corners, then the fourth corner
    faces = np.concatenate([tetra[:, list(f[:3])] for f in opposite])
    across = np.concatenate([tetra[:, f[3]] for f in opposite])
    keys, first, counts = np.unique(np.sort(faces, axis=1), axis=0, return_index=True, return_counts=True)
    faces, across = faces[first[counts == 1]], across[first[counts == 1]]
    a, b, c = (points[faces[:, i]] for i in range(3))
    inward = np.sum(np.cross(b - a, c - a) * (points[across] - a), axis=1) > 0  # the normal points at the fourth corner
    faces[inward] = faces[inward][:, ::-1]
    return faces
