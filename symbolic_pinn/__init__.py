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
    "CompiledProblem": "_compiler.pipeline",
    "compile": "_compiler.pipeline",
    "parse": "_compiler.pipeline",
    "parse_file": "_compiler.pipeline",
    "derive": "_frontend.derive",
    "PinnError": "_errors",
    "IllPosedWarning": "_errors",
    "QuadratureWarning": "_errors",
    "Span": "_errors",
    "Spec": "_frontend.spec",
    "Equation": "_frontend.sympy_input",
    "Minimize": "_frontend.sympy_input",
    "Shape": "_frontend.sympy_input",
    "ball": "_frontend.sympy_input",
    "box": "_frontend.sympy_input",
    "disk": "_frontend.sympy_input",
    "from_sympy": "_frontend.sympy_input",
    "normal_derivative": "_frontend.sympy_input",
    "polygon": "_frontend.sympy_input",
    "shape": "_frontend.sympy_input",
    "table": "_frontend.sympy_input",
    "NetworkConfig": "_config",
    "TrainConfig": "_config",
    "TrainResult": "_training.train",
    "StepInfo": "_training.monitor",
    "Run": "_product.run",
    "load": "_product.run",
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
