"""Solids from triangle meshes, checked against the polyhedra's own exact measures computed
here from the triangles (not by the shape's code), against closed forms (a box, 4πr² to the
mesh's resolution), and against trimesh's and a hand-written inside test; then the file
reading of `mesh("part.stl")`: inside the problem's directory, no symbolic links.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import symbolic_pinn as sp
from symbolic_pinn import PinnError
from symbolic_pinn._runtime.geometry import ShapeError
from symbolic_pinn._runtime.solids import Mesh

trimesh = pytest.importorskip("trimesh")

ICO = trimesh.creation.icosphere(subdivisions=2, radius=1.0)  # 320 triangles
BOX = trimesh.creation.box(extents=(1.0, 2.0, 3.0))  # centred at the origin
Z = 6


def polyhedron(vertices, faces):
    """(area, volume) of a closed triangle surface, from Heron's formula and tetrahedra on the origin."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    la, lb, lc = (np.linalg.norm(u - w, axis=1) for u, w in ((b, c), (c, a), (a, b)))
    s = (la + lb + lc) / 2
    area = np.sum(np.sqrt(s * (s - la) * (s - lb) * (s - lc)))
    volume = abs(sum(np.linalg.det(np.stack([a[i], b[i], c[i]])) for i in range(len(a))) / 6)
    return area, volume


@pytest.fixture(scope="module")
def ball():
    return Mesh.build("mesh", [ICO.vertices, ICO.faces])


@pytest.fixture(scope="module")
def box():
    return Mesh.build("mesh", [BOX.vertices, BOX.faces])


def test_exact_measures_of_a_box(box):
    assert box.measure() == pytest.approx(6.0, rel=1e-14)
    assert box.measure(boundary=True) == pytest.approx(2 * (2 + 3 + 6), rel=1e-14)
    np.testing.assert_allclose(box.bounds(), [[-0.5, -1, -1.5], [0.5, 1, 1.5]])


def test_exact_measures_of_an_icosphere(ball):
    area, volume = polyhedron(np.asarray(ICO.vertices), np.asarray(ICO.faces))
    assert ball.measure(boundary=True) == pytest.approx(area, rel=1e-12)
    assert ball.measure() == pytest.approx(volume, rel=1e-12)
    # to the mesh's resolution: the chords of 320 triangles cut the sphere by about (h/2)²
    h = max(np.linalg.norm(ICO.vertices[e[0]] - ICO.vertices[e[1]]) for e in ICO.edges_unique)
    assert 0 < 4 * math.pi - ball.measure(boundary=True) < 4 * math.pi * h**2
    assert 0 < 4 * math.pi / 3 - ball.measure() < 4 * math.pi * h**2


def test_inward_facing_triangles_are_turned(ball):
    turned = Mesh.build("mesh", [ICO.vertices, ICO.faces[:, ::-1]])
    assert turned.measure() == pytest.approx(ball.measure())
    rng = np.random.default_rng(0)
    _, normals = turned.surface(500, lambda m, k: rng.random((m, k)), rng)
    points, _ = turned.surface(500, lambda m, k: rng.random((m, k)), np.random.default_rng(0))
    assert np.all(np.sum(normals * points, axis=1) > 0)


def test_inside_and_distance_against_the_box_and_trimesh(box, ball):
    p = np.random.default_rng(1).uniform(-2, 2, (4000, 3))
    half = np.array([0.5, 1.0, 1.5])
    np.testing.assert_array_equal(box.distance(p) < 0, np.all(np.abs(p) < half, axis=1))
    q = np.abs(p) - half  # the box's exact signed distance
    exact = np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)
    near = np.abs(exact) < 0.2
    np.testing.assert_allclose(box.distance(p)[near], exact[near], atol=1e-12)
    # the icosphere: inside its polyhedron iff on the inner side of every face's plane (it is convex)
    normals, offsets = ICO.face_normals, np.sum(ICO.face_normals * ICO.triangles[:, 0], axis=1)
    np.testing.assert_array_equal(ball.distance(p) < 0, np.all(p @ normals.T < offsets, axis=1))


def test_surface_points_by_area_with_outward_normals(box, ball):
    rng = np.random.default_rng(2)
    n = 20_000
    points, normals = box.surface(n, lambda m, k: rng.random((m, k)), rng)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1)
    face = np.argmax(np.abs(normals), axis=1)  # the axis of the face each point is on
    np.testing.assert_allclose(np.abs(points[np.arange(n), face]), np.array([0.5, 1, 1.5])[face])
    np.testing.assert_allclose(np.sign(points[np.arange(n), face]), np.sign(normals[np.arange(n), face]))
    # ∫ z² dS over the box: faces z = ±1.5 give 2·2·2.25, the four others 2·(1 + 2)·∫z² dz
    values = points[:, 2] ** 2
    estimate, error = 22 * values.mean(), 22 * values.std() / math.sqrt(n)
    assert abs(estimate - (2 * 2 * 2.25 + 2 * 3 * 2.25)) < Z * error
    # the icosphere: the points lie on their triangles; ∫ x² dS is the polyhedron's, exact by the
    # edge-midpoint rule (exact for quadratics on a triangle), and near the sphere's 4π/3
    points, normals = ball.surface(n, lambda m, k: rng.random((m, k)), rng)
    assert np.max(np.abs(ball.distance(points))) < 1e-12
    assert np.all(np.sum(normals * points, axis=1) > 0.9)
    values = points[:, 0] ** 2
    area = ball.measure(boundary=True)
    estimate, error = area * values.mean(), area * values.std() / math.sqrt(n)
    a, b, c = (ICO.vertices[ICO.faces[:, i]] for i in range(3))
    areas = np.linalg.norm(np.cross(b - a, c - a), axis=1) / 2
    exact = np.sum(areas / 3 * (((a + b) / 2)[:, 0] ** 2 + ((b + c) / 2)[:, 0] ** 2 + ((c + a) / 2)[:, 0] ** 2))
    assert 0 < 4 * math.pi / 3 - exact < 0.1 * 4 * math.pi / 3  # inside the sphere, by the chords
    assert abs(estimate - exact) < Z * error


def test_area_correct_sampling_on_a_sphere_of_unequal_triangles():
    """A UV sphere's triangles shrink toward the poles (areas from 0.004 to 0.02): points spread by
    triangle instead of by area (a known bug class) would crowd the poles.  ∫ z² dS from the points
    against the polyhedron's exact value (edge-midpoint rule), and that wrong spreading is detected;
    the volume from the inside test (hits in the bounding box) against the polyhedron's."""
    uv = trimesh.creation.uv_sphere(radius=1.0, count=[16, 16])
    vertices, faces = np.asarray(uv.vertices), np.asarray(uv.faces)
    sphere = Mesh.build("mesh", [vertices, faces])
    area, volume = polyhedron(vertices, faces)
    assert sphere.measure(boundary=True) == pytest.approx(area, rel=1e-12)
    assert sphere.measure() == pytest.approx(volume, rel=1e-12)
    assert 0 < 4 * math.pi - area < 0.05 * 4 * math.pi and 0 < 4 * math.pi / 3 - volume < 0.05 * 4 * math.pi / 3
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    areas = np.linalg.norm(np.cross(b - a, c - a), axis=1) / 2
    mean_z2 = (((a + b) / 2)[:, 2] ** 2 + ((b + c) / 2)[:, 2] ** 2 + ((c + a) / 2)[:, 2] ** 2) / 3  # per triangle
    exact = np.sum(areas * mean_z2)
    rng = np.random.default_rng(7)
    n = 20_000
    points, normals = sphere.surface(n, lambda m, k: rng.random((m, k)), rng)
    values = area * points[:, 2] ** 2
    error = values.std() / math.sqrt(n)
    assert abs(values.mean() - exact) < Z * error
    by_triangle = area * mean_z2.mean()  # what one point per triangle on average would estimate
    assert abs(by_triangle - exact) > 4 * Z * error  # so the check above would catch that bug
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1)
    # the volume: the share of uniform points of the bounding box that the inside test keeps
    lo, hi = sphere.bounds()
    box_volume = float(np.prod(hi - lo))
    hits = sphere.contains(lo + (hi - lo) * rng.random((20_000, 3)))
    estimate, spread = box_volume * hits.mean(), box_volume * hits.std() / math.sqrt(len(hits))
    assert abs(estimate - volume) < Z * spread


def test_inside_far_from_the_surface_against_closed_forms():
    """Far from the surface the sign comes from a ray's crossings: against the solid torus's and the ball's
    own inside tests, at points farther from their surfaces than the meshes' chords stray (0.05)."""
    torus = trimesh.creation.torus(major_radius=1.0, minor_radius=0.4, major_sections=48, minor_sections=24)
    ring = Mesh.build("mesh", [torus.vertices, torus.faces])
    uv = trimesh.creation.uv_sphere(radius=1.0, count=[16, 16])
    sphere = Mesh.build("mesh", [uv.vertices, uv.faces])
    p = np.random.default_rng(8).uniform(-1.5, 1.5, (6000, 3))
    tube = np.hypot(np.hypot(p[:, 0], p[:, 1]) - 1.0, p[:, 2]) - 0.4  # the torus's exact signed distance
    radius = np.linalg.norm(p, axis=1) - 1.0
    for shape, exact in ((ring, tube), (sphere, radius)):
        clear = np.abs(exact) > 0.05
        np.testing.assert_array_equal(shape.contains(p)[clear], exact[clear] < 0)
        assert np.sum(exact < -0.1) > 200  # deep inside: the ray decides, not the nearest triangle


def test_a_ray_through_a_vertex_leaves_the_decision_to_the_winding_number(monkeypatch):
    """Unturned, the ray from the centre of a UV sphere runs up its axis through the pole, a vertex of
    16 triangles: those points are undecided by the crossings, and the winding number still places them."""
    from symbolic_pinn._runtime import solids

    uv = trimesh.creation.uv_sphere(radius=1.0, count=[16, 16])
    sphere = Mesh.build("mesh", [uv.vertices, uv.faces])
    points = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -0.5], [0.0, 0.0, 1.5], [0.3, 0.2, 0.1]])
    monkeypatch.setattr(Mesh, "ray_turn", (0.0, 0.0, 0.0))
    inner, undecided = solids._ray_crossings(points, *sphere.triangles(), Mesh.ray_turn)
    np.testing.assert_array_equal(undecided, [True, True, True, False])
    assert inner[3]
    np.testing.assert_array_equal(sphere.contains(points), [True, True, False, True])


BROKEN = {
    "an open surface": (lambda: (ICO.vertices, ICO.faces[1:])),
    "a flipped triangle": (lambda: (ICO.vertices, np.vstack([ICO.faces[:1, ::-1], ICO.faces[1:]]))),
    "no triangles": (lambda: (np.zeros((0, 3)), np.zeros((0, 3), int))),
}


@pytest.mark.parametrize("make", BROKEN.values(), ids=BROKEN.keys())
def test_broken_meshes_are_refused(make):
    with pytest.raises(ShapeError):
        Mesh.build("mesh", list(make()))


def problem(domain):
    return f"{domain}\nfield u(x, y, z)\n-Δu = 1\nu = 0 on ∂Ω\n"


def test_a_mesh_file_in_a_problem(tmp_path):
    ICO.export(tmp_path / "ball.stl")
    BOX.export(tmp_path / "box.obj")
    (tmp_path / "p.pinn").write_text('let part = mesh("ball.stl")\n' + problem('(x, y, z) in part ∪ mesh("box.obj")'))
    shape = sp.parse_file(tmp_path / "p.pinn").shape[1]
    a, b = shape.a, shape.b
    # STL stores single precision
    assert a.measure() == pytest.approx(polyhedron(np.asarray(ICO.vertices), np.asarray(ICO.faces))[1], rel=1e-6)
    assert b.measure() == pytest.approx(6.0, rel=1e-12)


def test_mesh_files_are_read_like_data_files(tmp_path):
    ICO.export(tmp_path / "ball.stl")
    (tmp_path / "link.stl").symlink_to(tmp_path / "ball.stl")
    (tmp_path / "open.stl").write_bytes(trimesh.Trimesh(ICO.vertices, ICO.faces[1:]).export(file_type="stl"))
    (tmp_path / "junk.stl").write_bytes(b"solid nothing\nthis is not a mesh\n")
    cases = {
        "link.stl": "symbolic link",
        "../ball.stl": "outside the problem's directory",
        "missing.stl": "does not exist",
        "ball.txt": "cannot read a mesh",
        "open.stl": "not a closed",
    }
    for name, message in cases.items():
        (tmp_path / "p.pinn").write_text(problem(f'(x, y, z) in mesh("{name}")'))
        with pytest.raises(PinnError, match=message) as info:
            sp.parse_file(tmp_path / "p.pinn")
        assert info.value.span is not None and info.value.span.line == 1, name
    (tmp_path / "p.pinn").write_text(problem('(x, y, z) in ball("ball.stl")'))
    with pytest.raises(PinnError):
        sp.parse_file(tmp_path / "p.pinn")
    (tmp_path / "p.pinn").write_text('(x, y) in mesh("ball.stl")\nfield u(x, y)\nu = 0 on ∂Ω\n')
    with pytest.raises(PinnError, match="3-D"):
        sp.parse_file(tmp_path / "p.pinn")


def test_a_mesh_from_python(tmp_path):
    BOX.export(tmp_path / "box.stl")
    assert sp.shape("mesh", tmp_path / "box.stl").measure() == pytest.approx(6.0, rel=1e-6)


def test_a_generated_module_carries_the_mesh(tmp_path):
    """The module holds the triangles and numpy code (the far points' ray too: the icosphere has more
    triangles than the nearest 16 tried): its shape is the checked one, and its points fall inside."""
    ICO.export(tmp_path / "ball.stl")
    (tmp_path / "p.pinn").write_text(problem('(x, y, z) in mesh("ball.stl")'))
    compiled = sp.compile(sp.parse_file(tmp_path / "p.pinn"), width=4, depth=1)
    assert "import trimesh" not in compiled.source and "class Mesh(Shape)" in compiled.source
    shape = compiled.module.SHAPE[1]
    checked = sp.parse_file(tmp_path / "p.pinn").shape[1]  # the module's Mesh is a copy of the class
    assert (shape.vertices, shape.faces) == (checked.vertices, checked.faces)
    rng = np.random.default_rng(3)
    inside = shape.interior(500, lambda m, k: rng.random((m, k)))
    # inside the polyhedron iff on the inner side of every face's plane (it is convex); STL is single precision
    normals, offsets = ICO.face_normals, np.sum(ICO.face_normals * ICO.triangles[:, 0], axis=1)
    assert np.all(inside @ normals.T < offsets + 1e-6)
    assert np.sum(np.linalg.norm(inside, axis=1) < 0.5) > 20  # far from the surface: the ray decided


def test_no_points_no_distances(box):
    assert box.distance(np.zeros((0, 3))).shape == (0,)


# ---- gmsh and VTK files through meshio (the extra `mesh`) ---------------------------------------

CUBE = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float) * [1.0, 2.0, 3.0]
# the box [0, 1] × [0, 2] × [0, 3] cut into six tetrahedra around its diagonal from corner 0 to corner 7
CUBE_TETRA = np.array([[0, 1, 3, 7], [0, 3, 2, 7], [0, 2, 6, 7], [0, 6, 4, 7], [0, 4, 5, 7], [0, 5, 1, 7]])


def meshio_files(folder):
    """The icosphere's triangles as gmsh 4.1 ASCII, gmsh 2.2 binary and legacy VTK; the box as tetrahedra only."""
    meshio = pytest.importorskip("meshio")
    ball = meshio.Mesh(np.asarray(ICO.vertices), [("triangle", np.asarray(ICO.faces))])
    ball.write(folder / "ball.msh", file_format="gmsh", binary=False)
    ball.write(folder / "ball22.msh", file_format="gmsh22", binary=True)
    ball.write(folder / "ball.vtk", binary=True)
    box = meshio.Mesh(CUBE, [("tetra", CUBE_TETRA)])
    box.write(folder / "box.msh", file_format="gmsh", binary=False)
    return meshio


def test_gmsh_and_vtk_files_through_meshio(tmp_path):
    meshio_files(tmp_path)
    area, volume = polyhedron(np.asarray(ICO.vertices), np.asarray(ICO.faces))
    for name in ("ball.msh", "ball22.msh", "ball.vtk"):
        shape = sp.shape("mesh", tmp_path / name)
        assert len(shape.faces) == len(ICO.faces), name
        assert shape.measure() == pytest.approx(volume, rel=1e-12), name
        assert shape.measure(boundary=True) == pytest.approx(area, rel=1e-12), name
    # tetrahedra only: the surface is their outer faces, turned outwards (volume 6, area 2(2 + 3 + 6))
    box = sp.shape("mesh", tmp_path / "box.msh")
    assert len(box.faces) == 12
    assert box.measure() == pytest.approx(6.0, rel=1e-14)
    assert box.measure(boundary=True) == pytest.approx(22.0, rel=1e-14)
    inside = np.array([[0.5, 1.0, 1.5], [0.1, 0.1, 0.1]])
    np.testing.assert_array_equal(box.contains(np.vstack([inside, [[1.5, 1.0, 1.5]]])), [True, True, False])


def test_a_gmsh_mesh_in_a_problem_and_its_errors(tmp_path):
    meshio = meshio_files(tmp_path)
    (tmp_path / "p.pinn").write_text(problem('(x, y, z) in mesh("box.msh")'))
    assert sp.parse_file(tmp_path / "p.pinn").shape[1].measure() == pytest.approx(6.0, rel=1e-14)
    meshio.Mesh(CUBE, [("line", np.array([[0, 1], [1, 3]]))]).write(tmp_path / "lines.msh", file_format="gmsh")
    (tmp_path / "junk.msh").write_text("$MeshFormat\nnot a mesh\n")
    cases = {"lines.msh": "no triangles, quadrilaterals or tetrahedra", "junk.msh": "cannot read the mesh 'junk.msh'"}
    for name, message in cases.items():
        (tmp_path / "p.pinn").write_text(problem(f'(x, y, z) in mesh("{name}")'))
        with pytest.raises(PinnError, match=message) as info:
            sp.parse_file(tmp_path / "p.pinn")
        assert info.value.span is not None and info.value.span.line == 1, name


def test_without_meshio_a_gmsh_file_is_a_located_error(tmp_path, monkeypatch):
    """The extra is optional: without meshio, a .msh file is an error saying how to install it (not a traceback)."""
    (tmp_path / "part.msh").write_text("$MeshFormat\n4.1 0 8\n$EndMeshFormat\n")
    (tmp_path / "p.pinn").write_text(problem('(x, y, z) in mesh("part.msh")'))
    monkeypatch.setitem(sys.modules, "meshio", None)  # `import meshio` raises ImportError
    with pytest.raises(PinnError, match="needs meshio") as info:
        sp.parse_file(tmp_path / "p.pinn")
    assert "symbolic-pinn[mesh]" in info.value.help and info.value.span.line == 1
