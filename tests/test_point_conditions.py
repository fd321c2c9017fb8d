"""`u(a) = g` (a field at one end of one variable, its other arguments the variables
themselves) is built into the network exactly as `u = g at x = a` is; `check`, `--emit ir`
and the training summary list the conditions built into each network (issue #29)."""

import jax
import numpy as np
import pytest

import symbolic_pinn
from symbolic_pinn._product import cli as _cli

LINE = "x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\n"
STRIP = "x in [0, 1]; y in [0, 2]\nfield u(x, y)\n-Δu = 1\nu = 0 at y = 0\nu = 0 at y = 2\n"


@pytest.mark.parametrize(
    "point, face, kept",
    [
        (LINE + "u(0) = 1\nu(1) = 0\n", LINE + "u = 1 at x = 0\nu = 0 at x = 1\n", ["pde"]),
        # one variable's faces are built in, the first one's (x): those of y stay terms, in both forms
        (STRIP + "u(0, y) = sin(y)\n", STRIP + "u = sin(y) at x = 0\n", ["pde", "bc1", "bc2"]),
    ],
)
def test_a_field_at_an_end_is_built_in_as_the_condition_on_that_face(point, face, kept):
    a, b = symbolic_pinn.compile(point, width=4, depth=1), symbolic_pinn.compile(face, width=4, depth=1)
    assert list(a.module.WEIGHTS) == list(b.module.WEIGHTS) == kept
    assert a.exact["u"].lift == b.exact["u"].lift and a.exact["u"].distance == b.exact["u"].distance
    u = a.module.fields(a.init_params(jax.random.PRNGKey(1)))["u"]
    args = a.module.FIELDS["u"]
    ys = np.linspace(0.1, 1.9, 5)
    at_zero = u(np.zeros(5), ys) if len(args) == 2 else u(np.zeros(1))
    expected = np.sin(ys) if len(args) == 2 else 1.0
    np.testing.assert_allclose(np.asarray(at_zero), expected, rtol=1e-5, atol=1e-6)


def test_a_field_inside_the_interval_stays_a_term():
    compiled = symbolic_pinn.compile(LINE + "u(0.5) = 1\nu = 0 at x = 1\n", width=4, depth=1)
    assert list(compiled.module.WEIGHTS) == ["pde", "bc1"]


def test_check_emit_ir_and_the_summary_list_the_built_in_conditions(capsys, tmp_path):
    problem = tmp_path / "line.pinn"
    problem.write_text(LINE + "u(0) = 1\nu = 0 at x = 1\n", encoding="utf-8")
    assert _cli.main(["check", str(problem)]) == 0
    assert "  built into u's network: u(0) = 1; u = 0 at x = 1\n" in capsys.readouterr().out
    assert _cli.main(["compile", str(problem), "--emit", "ir"]) == 0
    assert capsys.readouterr().out.endswith("built into u: u(0) = 1; u = 0 at x = 1\n")
    run = symbolic_pinn.compile(problem.read_text(), width=4, depth=1).train(adam_steps=1, lbfgs_steps=0)
    assert run.metrics["built_in"] == {"u": ["u(0) = 1", "u = 0 at x = 1"]}
    assert "built into u" in capsys.readouterr().out  # the summary table
