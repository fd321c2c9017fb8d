"""QuadratureWarning: an integral inside an equation that quadrature_order does not resolve."""

import warnings

import pytest

import symbolic_pinn
from symbolic_pinn import QuadratureWarning

HEAD = "x in [0, 3]\nfield u(x)\nu = 0 at x = 0\n"


def test_oscillatory_kernel_at_a_low_order_warns_with_the_setting():
    # sin(40 s) has 19 periods on [0, 3]: 10 Gauss–Legendre nodes cannot see it
    with pytest.warns(QuadratureWarning, match=r"from quadrature_order 10 to 20.*quadrature_order = 40") as record:
        symbolic_pinn.compile(HEAD + "Dx(u) = 1 - ∫(sin(40*s)*u(s), s, 0, x)", width=8, depth=1)
    assert "∫(u(s)*sin(40*s), s, 0, x)" in str(record[0].message)


@pytest.mark.parametrize(
    "text, order",
    [
        ("Dx(u) = 1 - ∫(s^7*u(s), s, 0, x)", 10),  # a polynomial kernel times a smooth network
        ("Dx(u) = 1 - ∫(sin(40*s)*u(s), s, 0, x)", 100),  # the oscillation, resolved
    ],
)
def test_resolved_integrands_do_not_warn(text, order):
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuadratureWarning)
        symbolic_pinn.compile(HEAD + text, width=8, depth=1, quadrature_order=order)


class _Recorder:
    """Stands for TOLERANCE: records each measured change it is compared with, and never warns."""

    def __init__(self):
        self.seen = []

    def __lt__(self, difference):  # `difference > TOLERANCE`
        self.seen.append(difference)
        return False


def test_the_check_measures_the_same_in_float32_and_float64(monkeypatch):
    """The check runs in float64 whatever the precision around it: the same networks, the same measured change,
    so whether it warns does not depend on --float64 (before, float32 drew other initial networks and rounded
    differently, and an integral near the threshold warned in one precision only)."""
    import jax

    from symbolic_pinn._compiler import quadrature

    text = HEAD + "Dx(u) = 1 - ∫(s^3*exp(s)*u(s), s, 0, x)"
    measured = []
    for precision in (False, True):
        recorder = _Recorder()
        monkeypatch.setattr(quadrature, "TOLERANCE", recorder)
        with jax.enable_x64(precision):
            symbolic_pinn.compile(text, width=8, depth=1, quadrature_order=3)
        measured.append(recorder.seen)
    assert len(measured[0]) == 1 and measured[0] == measured[1]
