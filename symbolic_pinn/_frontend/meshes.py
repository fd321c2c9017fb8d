"""Mesh files: `mesh("part.stl")`, a closed triangle surface read into a :class:`~symbolic_pinn._runtime.solids.Mesh`.

The file is read like observations: relative to the problem's directory and inside it,
never through a symbolic link, at most :data:`MAX_BYTES`; trimesh (the optional extra
``mesh``) parses the bytes.  The triangles then become a shape of numbers, so nothing of
trimesh reaches the generated module.
"""

from __future__ import annotations

import io
import pathlib

from .._errors import PinnError
from .._files import read_bounded
from .._runtime.solids import Mesh
from .data import inside

__all__ = ["read_mesh"]

MAX_BYTES = 1 << 28
MAX_TRIANGLES = 20_000  # the generated module holds every triangle, and each point meets each one
FORMATS = ("stl", "obj", "ply", "off")


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
    try:
        import trimesh
    except ImportError:
        raise PinnError(
            "reading a mesh file needs trimesh", help="install the extra: pip install 'symbolic-pinn[mesh]'"
        ) from None
    try:
        surface = trimesh.load(io.BytesIO(data), file_type=suffix, force="mesh", process=True)
    except Exception as err:  # trimesh raises many kinds on a damaged file
        raise PinnError(f"cannot read the mesh '{name}': {err}", help="give an STL, OBJ, PLY or OFF file") from None
    faces = getattr(surface, "faces", ())
    if len(faces) > MAX_TRIANGLES:
        raise PinnError(
            f"the mesh '{name}' has {len(faces):,} triangles; the limit is {MAX_TRIANGLES:,}",
            help="simplify the mesh (decimate it) first",
        )
    from .._runtime.geometry import ShapeError

    try:
        return Mesh.build("mesh", [getattr(surface, "vertices", ()), faces])
    except ShapeError as err:
        raise PinnError(f"the mesh '{name}': {err}", help=err.help) from None
