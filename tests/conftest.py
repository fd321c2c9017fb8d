"""Shared test fixtures: where the examples are, and float64 for numerics."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples_dir() -> pathlib.Path:
    return EXAMPLES


@pytest.fixture
def x64():
    """Run the test body with 64-bit floats in JAX (a context, not a global switch)."""
    import jax

    with jax.enable_x64(True):
        yield
