"""Poisson on the unit square, built from SymPy objects instead of text.

    python examples/poisson_sympy.py            # compile, print the plan, train

It is the same problem as examples/poisson.pinn and compiles to the same IR.
"""

import sympy

import symbolic_pinn
from symbolic_pinn import Equation

x, y = sympy.symbols("x y")
u = sympy.Function("u")(x, y)
exact = sympy.sin(sympy.pi * x) * sympy.sin(sympy.pi * y)
laplacian = u.diff(x, 2) + u.diff(y, 2)

problem = symbolic_pinn.from_sympy(
    variables={x: (0, 1), y: (0, 1)},
    fields=[u],
    terms=[
        sympy.Eq(-laplacian, 2 * sympy.pi**2 * exact),  # in the interior
        Equation(sympy.Eq(u, 0), on="boundary"),
    ],
    exact={u: exact},
)

if __name__ == "__main__":
    compiled = symbolic_pinn.compile(problem)
    print(compiled.format_plan())
    result = compiled.train()
    print(f"relative L2 error of u: {result.metrics['rel_l2']['u']:.2e}")
