"""The generated module holds what its problem uses and nothing else.

Every top-level function and class of a generated module must be named somewhere else
in the module (by the problem's code, or by a runtime definition that is itself
copied); the emitter copies the closure of what the printed code names, so a module
without shapes, data, integrals or Laplacians carries none of that code.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import symbolic_pinn as sp
from symbolic_pinn import _runtime

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parent.parent / "examples").glob("*.pinn"))
VARIANTS = {
    "fourier": {"architecture": "fourier"},
    "modified": {"architecture": "modified"},
    "hard": {"hard_constraints": True},
}


def unreferenced(source: str) -> list[str]:
    """Top-level definitions that no other top-level statement of the module names."""
    tree = ast.parse(source)
    defined = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    missing = []
    for node in defined:
        others = [other for other in tree.body if other is not node]
        named = {n.id for other in others for n in ast.walk(other) if isinstance(n, ast.Name)}
        if node.name not in named:
            missing.append(node.name)
    return missing


def test_the_check_can_fail():
    assert unreferenced("def used():\n    pass\n\n\ndef unused():\n    used()\n") == ["unused"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_definition_of_an_example_module_is_used(path):
    source = sp.compile(sp.parse_file(path)).source
    assert unreferenced(source) == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_definition_of_a_variant_is_used(variant):
    source = sp.compile(sp.parse_file(EXAMPLES[0].parent / "poisson.pinn"), **VARIANTS[variant]).source
    assert unreferenced(source) == []


def test_only_what_the_problem_uses_is_copied():
    box = sp.compile(sp.parse_file(EXAMPLES[0].parent / "poisson.pinn")).source
    for absent in ("Shape", "Ball", "load_observations", "gauss_legendre", "collapsed_jet", "FourierNetwork"):
        assert f"{absent}(" not in box.split("# ---- the problem ----")[0], absent
    annulus = sp.compile(sp.parse_file(EXAMPLES[0].parent / "annulus.pinn")).source
    assert "class Ball(Shape):" in annulus and "class Box(Shape):" not in annulus
    volterra = sp.compile(sp.parse_file(EXAMPLES[0].parent / "volterra.pinn")).source
    assert "def gauss_legendre(" in volterra


def test_runtime_definitions_name_only_what_a_module_has():
    """A copied definition may name jax, jnp, its file's imports and other runtime definitions
    (or Python's builtins, or its own locals): anything else would be undefined in a module."""
    import builtins

    table = _runtime.definitions()
    for name, definition in table.items():
        tree = ast.parse(definition.text)
        local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        local |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
        local |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        local |= {(a.asname or a.name).split(".")[0] for n in imports for a in n.names}
        allowed = set(table) | {"jax", "jnp"} | {line.split()[-1] for line in definition.imports} | set(dir(builtins)) | local
        assert definition.uses <= allowed, (name, definition.uses - allowed)
