"""The runtime: code that generated modules contain, written once as ordinary, tested Python.

A generated module needs only JAX, so the emitter copies the runtime definitions it
uses into it.  Each module here holds one concern; :func:`closure` reads their source
(without importing them: emitting loads no JAX) and returns the definitions that a
piece of generated code names, with everything those name in turn, in a fixed order —
as SymPy's printers collect imports while they print.  A module without shapes, data
or Laplacians therefore carries none of that code.

Rules for this package: a definition may use ``jax``, ``jnp``, the other definitions of
the package (imported relatively, for the package's own use) and modules imported at
the top of its file (the emitter repeats those imports); numpy and scipy are imported
inside functions.  The package itself re-exports every definition lazily
(``from symbolic_pinn._runtime import Network``), so importing the geometry does not
import JAX.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pathlib

__all__ = ["closure", "definitions"]

# in the order a generated module lists them
MODULES = (
    "derivatives", "quadrature", "networks", "geometry", "solids", "sampling", "data", "saved", "optim", "special",
    "tables",
)  # fmt: skip
# what every generated module defines itself, and runtime definitions may name
MODULE_NAMES = {"init_params"}
# what every generated module imports anyway
ALWAYS_IMPORTED = {"jax", "jnp"}


class _Definition:
    """One top-level function or class of the runtime: its text, the names it uses, its imports."""

    def __init__(self, module: str, node: ast.AST, text: str, imports: dict[str, str]):
        self.module = module
        self.name = node.name
        self.text = text
        self.uses = _names(node)
        self.imports = {line for name, line in imports.items() if name in self.uses}


def _names(node: ast.AST) -> set[str]:
    """Every name a piece of code reads (a superset of the globals it needs)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


@functools.cache
def definitions() -> dict[str, _Definition]:
    """Every runtime definition by name, in the order of :data:`MODULES` and of each file."""
    found: dict[str, _Definition] = {}
    for module in MODULES:
        text = (pathlib.Path(__file__).parent / f"{module}.py").read_text(encoding="utf-8")
        tree = ast.parse(text)
        lines = text.splitlines(keepends=True)
        imports = {}
        for node in tree.body:
            if isinstance(node, ast.Import):  # `import jax.numpy as jnp` → jnp; relative imports are the package's own
                for alias in node.names:
                    imports[alias.asname or alias.name.split(".")[0]] = ast.get_source_segment(text, node)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                if node.name in found:  # a generated module holds both under one name: the later would shadow
                    raise RuntimeError(
                        f"{node.name} is defined in _runtime/{found[node.name].module}.py and {module}.py"
                    )
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found[node.name] = _Definition(module, node, "".join(lines[start - 1 : node.end_lineno]), imports)
    return found


def closure(code: str) -> tuple[list[str], str]:
    """The runtime that ``code`` (generated source) needs: (import lines, definitions' text).

    Starts from the names ``code`` reads and adds what each copied definition reads,
    until nothing new is named.
    """
    table = definitions()
    wanted = {name for name in _names(ast.parse(code)) if name in table}
    todo = list(wanted)
    while todo:
        for name in table[todo.pop()].uses:
            if name in table and name not in wanted:
                wanted.add(name)
                todo.append(name)
    chosen = [d for name, d in table.items() if name in wanted]
    imports = sorted({line for d in chosen for line in d.imports} - {"import jax", "import jax.numpy as jnp"})
    return imports, "\n\n".join(d.text.rstrip("\n") + "\n" for d in chosen)


def __getattr__(name: str):
    """``symbolic_pinn._runtime.Network`` and friends: the definition, from its module."""
    definition = definitions().get(name)
    if definition is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{definition.module}"), name)
