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

The stages, each its own module, in folders by stage: parse and check
(``_frontend``), lower (to the IR of ``_compiler.ir``), plan, emit and load
(``_compiler``), train (``_training``).  SymPy input enters at check, via
``from_sympy``.  ``compile`` gives a ``CompiledProblem`` (``_product.run``), whose
``.train`` writes a run directory; ``load`` (``_product.run``, the directory's one
home) reads it back as a ``Run``, the class ``.train`` returns.

The names below are imported when first used, so ``import symbolic_pinn`` (and the
``symbolic-pinn`` command's help and ``check``) does not import JAX.
"""

import importlib

__version__ = "0.1.0"

# each public name and the module that defines it
_EXPORTS = {
    "CompiledProblem": "_product.run",
    "compile": "_product.run",
    "parse": "_compiler.pipeline",
    "parse_file": "_compiler.pipeline",
    "derive": "_frontend.derive",
    "PinnError": "_errors",
    "IllPosedWarning": "_errors",
    "QuadratureWarning": "_errors",
    "ReadingWarning": "_errors",
    "OutsideWarning": "_errors",
    "ExactWarning": "_errors",
    "Span": "_errors",
    "Spec": "_frontend.spec",
    "Equation": "_frontend.sympy_input",
    "InRegion": "_frontend.sympy_input",
    "Interface": "_frontend.sympy_input",
    "Minimize": "_frontend.sympy_input",
    "Shape": "_frontend.sympy_input",
    "ball": "_frontend.sympy_input",
    "box": "_frontend.sympy_input",
    "disk": "_frontend.sympy_input",
    "from_sympy": "_frontend.sympy_input",
    "normal": "_frontend.sympy_input",
    "normal_derivative": "_frontend.sympy_input",
    "detach": "_functions",
    "polygon": "_frontend.sympy_input",
    "shape": "_frontend.sympy_input",
    "table": "_frontend.sympy_input",
    "NetworkConfig": "_config",
    "TrainConfig": "_config",
    "TrainResult": "_product.run",
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
