"""symbolic_pinn: a compiler from PDEs and energy functionals to trained PINNs.

    >>> import symbolic_pinn as sp
    >>> problem = sp.compile('''
    ... x in [0, 1]
    ... field u(x)
    ... -Dxx(u) = 1
    ... u = 0 on ∂Ω
    ... ''')
    >>> "def residual_pde(u, x):" in problem.source
    True

The stages, each its own module: parse (``_parse``), check (``_check``), lower
(``_lower``, to the IR of ``_ir``), plan (``_plan``), emit (``_emit``), load
(``_load``), train (``_train``).  SymPy input enters at check, via ``from_sympy``.
``load`` (``_run``) reads a training run's directory back.

The names below are imported when first used, so ``import symbolic_pinn`` (and the
``symbolic-pinn`` command's help and ``check``) does not import JAX.
"""

import importlib

__version__ = "0.1.0"

# each public name and the module that defines it
_EXPORTS = {
    "CompiledProblem": "_compile",
    "compile": "_compile",
    "parse": "_compile",
    "parse_file": "_compile",
    "derive": "_derive",
    "PinnError": "_errors",
    "IllPosedWarning": "_errors",
    "QuadratureWarning": "_errors",
    "Span": "_errors",
    "Spec": "_spec",
    "Equation": "_sympy",
    "Minimize": "_sympy",
    "Shape": "_sympy",
    "ball": "_sympy",
    "box": "_sympy",
    "disk": "_sympy",
    "from_sympy": "_sympy",
    "normal_derivative": "_sympy",
    "polygon": "_sympy",
    "shape": "_sympy",
    "table": "_sympy",
    "NetworkConfig": "_config",
    "TrainConfig": "_config",
    "TrainResult": "_train",
    "StepInfo": "_monitor",
    "Run": "_run",
    "load": "_run",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'symbolic_pinn' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
