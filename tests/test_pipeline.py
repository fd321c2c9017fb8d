"""The pipeline's stages: deterministic, golden generated code, inspectable output."""

import inspect
import os
import pathlib
import traceback

import jax.numpy as jnp
import pytest

import symbolic_pinn
from symbolic_pinn._compiler import ir

GOLDEN = pathlib.Path(__file__).parent / "golden"
GOLDEN_EXAMPLES = ["poisson", "poisson_ritz", "seed", "tabulated"]


@pytest.mark.parametrize("name", GOLDEN_EXAMPLES)
def test_generated_source_matches_golden(examples_dir, name):
    """The generated module is a product: any change to it must be deliberate.

    Regenerate after an intended change with SYMBOLIC_PINN_REGOLD=1 and review the diff.
    """
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(examples_dir / f"{name}.pinn"))
    golden = GOLDEN / f"{name}.py"
    if os.environ.get("SYMBOLIC_PINN_REGOLD"):
        golden.write_text(compiled.source)
    assert compiled.source == golden.read_text()


def test_same_input_same_text(examples_dir):
    text = (examples_dir / "poisson.pinn").read_text()
    assert symbolic_pinn.compile(text).source == symbolic_pinn.compile(text).source


def test_ir_nodes_are_frozen_and_hashable(examples_dir):
    compiled = symbolic_pinn.compile((examples_dir / "poisson.pinn").read_text())
    term = compiled.ir.terms[0]
    assert hash(term) == hash(compiled.ir.terms[0])
    with pytest.raises(AttributeError):
        term.weight = 2.0  # type: ignore[misc]
    fields = {n for n in ir.walk(term.expr) if isinstance(n, ir.Field)}
    assert fields == {ir.Field("u", (2, 0)), ir.Field("u", (0, 2))}


def test_generated_code_is_in_linecache_and_tracebacks(examples_dir):
    compiled = symbolic_pinn.compile((examples_dir / "poisson.pinn").read_text())
    source = inspect.getsource(compiled.module.residual_pde)
    assert source.startswith("def residual_pde(u_fn, x, y):")

    def broken(x, y):
        raise ValueError("boom")

    try:
        compiled.module.residual_pde(broken, jnp.zeros(3), jnp.zeros(3))
    except ValueError:
        text = traceback.format_exc()
    assert "lap_u = value_grad_laplacian(u_fn, (1, 1))(x, y)" in text


def test_seed_spellings_compile_to_the_same_program(examples_dir):
    unicode = symbolic_pinn.compile(symbolic_pinn.parse_file(examples_dir / "seed.pinn"))
    ascii = symbolic_pinn.compile(symbolic_pinn.parse_file(examples_dir / "seed_ascii.pinn"))
    assert unicode.ir == ascii.ir


def test_energy_terms_are_integrals_over_the_domain(examples_dir):
    """∫ over [-1, 1]² of a constant c is 4c: the loss is the measure times the mean."""
    compiled = symbolic_pinn.compile(symbolic_pinn.parse_file(examples_dir / "seed.pinn"))
    assert compiled.module.MEASURES == {"energy": 4}
    assert compiled.ir.terms[0].kind == "energy"


def test_plan_shares_lower_orders_with_higher_ones():
    problem = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nu*Dxy(u) + Dxxy(u) + Dxyy(u) = 0"
    # by default u_xxy + u_xyy is one jet (test_taylor.py); nested jvp shares work like this:
    compiled = symbolic_pinn.compile(problem, taylor_from_order=None)
    text = compiled.format_plan()
    # u and u_xy come with their parents' passes; u_xxy and u_xyy share u_x_fn
    assert "u_xy, u_xyy = jvp of u_xy_fn along y (value and derivative)" in text
    assert text.count("u_x_fn = ∂/∂x u_fn") == 1


def test_compile_takes_a_path_and_refuses_what_is_not_a_problem():
    """A .pinn file's path compiles as parse_file does (its data beside it); anything else that
    is not text or a Spec is a PinnError, not an AttributeError from inside the compiler."""
    import pathlib

    import symbolic_pinn

    path = pathlib.Path(__file__).parent.parent / "examples" / "heat_inverse.pinn"
    compiled = symbolic_pinn.compile(path, width=4, depth=1)
    again = symbolic_pinn.parse_file(path)
    assert compiled.spec.source == again.source and [d.path for d in compiled.spec.data] == [d.path for d in again.data]
    with pytest.raises(symbolic_pinn.PinnError, match="takes problem text"):
        symbolic_pinn.compile(3)
