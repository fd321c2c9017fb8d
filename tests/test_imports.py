"""The package's imports form no loop, and each stage imports only the stages before it.

Every import counts: at the top of a module, inside a function (the lazy imports that keep
JAX out of ``import symbolic_pinn``) and under ``typing.TYPE_CHECKING``.  The graph is read
from the source with :mod:`ast`, so nothing is imported to draw it.
"""

from __future__ import annotations

import ast
import functools
import pathlib

import pytest

import symbolic_pinn

PACKAGE = pathlib.Path(symbolic_pinn.__file__).parent

# The stages in pipeline order: a module may import its own stage and the ones before it.
# The top-level modules (_errors, _files, _limits, _functions, _config, _settings) are shared
# by all and import no stage, except what READS names.
STAGES = ("_runtime", "_frontend", "_compiler", "_training", "_product")
READS = {
    # the `finisher` setting's choices are the finishers of the table of phases (which imports nothing)
    "symbolic_pinn._config": {"symbolic_pinn._training.phases"},
}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: pathlib.Path, modules: set[str]) -> set[str]:
    """The package's modules that the file at ``path`` imports, wherever in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                assert node.level <= len(base), f"{name}:{node.lineno} imports from above the package"
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import _x` names a module; `from ._x import y` a value
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m in modules and m != name}


@functools.cache  # parsed once: every test reads the same source
def graph() -> dict[str, frozenset[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    # a name taken from the package itself (`from .. import __version__`) is no edge: its
    # __init__ imports nothing of its own at the top (its public names are lazy)
    edges = {name: imports(path, modules) for name, path in paths.items()}
    return {name: frozenset(found - {"symbolic_pinn"}) for name, found in edges.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import loop of ``edges`` as a list of modules (its first repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for other in sorted(edges.get(node, ())):
            if state.get(other) == "open":
                return stack[stack.index(other) :] + [other]
            if other not in state and (found := visit(other)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_loop_and_only_a_loop():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_lazy_and_relative_imports():
    edges = graph()
    # symbolic_pinn/__init__.py imports nothing of its own at the top: its names are lazy
    assert edges["symbolic_pinn.__main__"] == {"symbolic_pinn._product.cli"}
    assert "symbolic_pinn._errors" in edges["symbolic_pinn._frontend.parse"]
    assert len(edges) > 40


def test_no_import_loops():
    found = cycle(graph())
    assert found is None, "import loop: " + " -> ".join(found)


def stage(module: str) -> int | None:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


@pytest.mark.parametrize("module", sorted(graph()))
def test_a_stage_imports_only_itself_and_the_stages_before_it(module):
    own = stage(module)
    if own is None:  # a shared top-level module imports no stage, except the settings' use of the configs
        later = sorted(m for m in graph()[module] - READS.get(module, set()) if stage(m) is not None)
        assert module in ("symbolic_pinn", "symbolic_pinn.__main__") or not later, f"{module} imports {later}"
        return
    later = sorted(m for m in graph()[module] if stage(m) is not None and stage(m) > own)
    assert not later, f"{module} ({STAGES[own]}) imports later stages: {later}"


def test_the_checkers_concerns_define_no_method_twice():
    """The checker is one class made of a mixin per concern: a method two of them define is
    silently the first one's for both (the MRO), as an index family's `_family` once shadowed the
    shape family's."""
    from symbolic_pinn._frontend.check import _Checker

    owners: dict[str, str] = {}
    for cls in _Checker.__mro__[1:]:
        for name, value in vars(cls).items():
            if callable(value) and not name.startswith("__"):
                assert name not in owners, f"{name} is defined by {owners[name]} and {cls.__name__}"
                owners[name] = cls.__name__


def test_no_module_defines_a_function_or_class_twice():
    """A second top-level `def` of a name replaces the first for every caller, the callers
    above it included (a helper named like another further down broke every call of a
    built-in function in the checker); ruff's F811 sees it only when the first is unused."""
    twice = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        seen = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if node.name in seen:
                    twice.setdefault(str(path.relative_to(PACKAGE)), []).append(node.name)
                seen.add(node.name)
    assert twice == {}
