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
"""

__version__ = "0.1.0"

from ._compile import CompiledProblem, compile, parse, parse_file
from ._config import NetworkConfig, TrainConfig
from ._derive import derive
from ._errors import PinnError, Span
from ._spec import Spec
from ._sympy import Equation, Minimize, Shape, ball, box, disk, from_sympy, normal_derivative, polygon, shape
from ._train import TrainResult

__all__ = [
    "CompiledProblem",
    "Equation",
    "Minimize",
    "NetworkConfig",
    "Shape",
    "ball",
    "box",
    "disk",
    "polygon",
    "shape",
    "normal_derivative",
    "PinnError",
    "Span",
    "Spec",
    "TrainConfig",
    "TrainResult",
    "compile",
    "derive",
    "from_sympy",
    "parse",
    "parse_file",
    "__version__",
]
