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
        allowed = (
            set(table)
            | {"jax", "jnp"}
            | _runtime.MODULE_NAMES
            | {line.split()[-1] for line in definition.imports}
            | set(dir(builtins))
            | local
        )
        assert definition.uses <= allowed, (name, definition.uses - allowed)


# ---- one namespace: a user's name never hides a generated one ---------------------------

HIDING = {
    "unknown named like a term function": (
        "x in [0, 1]\nfield u(x)\nunknown residual_pde = 1\nDxx(u) = -residual_pde\nu = 0 on ∂Ω\n"
    ),
    "unknown named like an energy's integrand": (
        "x in [0, 1]\nfield u(x)\nunknown integrand_energy = 1\nminimize ∫ (Dx(u)^2/2 - integrand_energy*u)\n"
        "u = 0 on ∂Ω\n"
    ),
    "unknown named like a constant": (
        "x in [0, 1]\nfield u(x)\nunknown MEASURES = 1\nminimize ∫ (Dx(u)^2/2 - MEASURES*u)\nu = 0 on ∂Ω\n"
    ),
    "variable named like the quadrature order": (
        "QUADRATURE_ORDER in [0, 1]\nfield u(QUADRATURE_ORDER)\n"
        "D(u, QUADRATURE_ORDER) = 1 - ∫(u(s), s, 0, QUADRATURE_ORDER)\nu = 0 at QUADRATURE_ORDER = 0\n"
    ),
    "variable named like the residuals": "residuals in [0, 1]\nfield u(residuals)\nu = residuals\n",
}


@pytest.mark.parametrize("text", HIDING.values(), ids=HIDING.keys())
def test_a_user_name_never_hides_a_generated_one(text, x64):
    import jax

    compiled = sp.compile(text, width=4, depth=1)
    points = {name: (jax.numpy.linspace(0.1, 0.9, 5),) for name in compiled.module.REGIONS}
    params = compiled.init_params(jax.random.PRNGKey(0))
    value, grads = jax.value_and_grad(compiled.loss)(params, points)
    assert bool(jax.numpy.isfinite(value)) and all(
        bool(jax.numpy.all(jax.numpy.isfinite(g))) for g in jax.tree.leaves(grads)
    )
    assert unreferenced(compiled.source) == []


def test_two_fields_whose_names_meet_keep_their_own_exact(x64):
    """`jax` becomes `jax_` (a module name), and `jax_` must not then share `exact_jax_`."""
    import jax.numpy as jnp

    text = (
        "x in [0, 1]\nfield jax(x), jax_(x)\nDxx(jax) = 0\nDxx(jax_) = 0\n"
        "jax = x at x = 0\njax = x at x = 1\njax_ = 2*x at x = 0\njax_ = 2*x at x = 1\n"
        "exact jax = x\nexact jax_ = 2*x\n"
    )
    exact = sp.compile(text, width=4, depth=1).module.EXACT
    x = jnp.linspace(0, 1, 5)
    assert jnp.allclose(exact["jax"](x), x) and jnp.allclose(exact["jax_"](x), 2 * x)
