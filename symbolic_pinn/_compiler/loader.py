"""Stage 6, load: generated source → a live module, registered in ``linecache``.

The source is our own output (never user text); registering it in ``linecache``, as
SymPy's ``lambdify`` does, makes tracebacks and ``inspect.getsource`` show it.
"""

from __future__ import annotations

import hashlib
import linecache
import types

__all__ = ["load"]


def load(source: str, name: str = "problem") -> types.ModuleType:
    """Execute generated module source and return the module."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    filename = f"<symbolic_pinn {name} {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(f"symbolic_pinn_generated_{digest}")
    module.__file__ = filename
    # dont_inherit: the module is compiled as the file it is, without this file's __future__ imports
    exec(compile(source, filename, "exec", dont_inherit=True), module.__dict__)  # noqa: S102 - our generated code
    return module
