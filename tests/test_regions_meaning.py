"""One meaning for `on ∂Ω` on every domain (the rest of the boundary, per field), contradictions
refused with both lines, jumps where conditions meet warned with their size, and a declared time."""

import dataclasses
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sympy

import symbolic_pinn as sp
from symbolic_pinn import ReadingWarning
from symbolic_pinn._compiler.hard import constrain
from symbolic_pinn._compiler.lower import lower
from symbolic_pinn._frontend.regions import BOUNDARY, Face, Faces
from symbolic_pinn._runtime import sample_region

CAVITY = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 0\nu = 1 at y = 1\nu = 0 on ∂Ω\n"


def _parse(text, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = sp.parse(text, "p.pinn")
    return spec, [w for w in caught if issubclass(w.category, ReadingWarning)]


def test_on_boundary_beside_a_face_means_the_rest_on_an_interval_domain():
    spec, _ = _parse(CAVITY)
    assert spec.terms[2].region == Faces((Face("x", 0.0), Face("x", 1.0), Face("y", 0.0)))


def test_the_lid_is_built_in_and_the_walls_stay_a_loss_term():
    # on main, u = 0 on ∂Ω was built in (u = 16x(1−x)y(1−y)·N) and the lid could never hold
    spec, _ = _parse(CAVITY)
    program, exact = constrain(lower(spec), dirichlet=True)
    assert [t.label for t in exact["u"].imposed] == ["u = 1 at y = 1"]
    assert [t.label for t in program.terms if t.region != sp._frontend.regions.INTERIOR] == ["u = 0 on ∂Ω"]


def test_the_rest_is_decided_per_field():
    spec, _ = _parse("x in [0, 1]; y in [0, 1]\nfield u(x, y), p(x, y)\n-Δu = p\n-Δp = u\np = 0 at x = 1\nu = 0 on ∂Ω")
    assert spec.terms[3].region == BOUNDARY  # p's face does not take x = 1 from u


def test_a_field_at_an_end_is_a_face_for_the_rest():
    spec, _ = _parse("x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 0\nu(0, y) = 1\nu = 0 on ∂Ω")
    assert spec.terms[2].region == Faces((Face("x", 1.0), Face("y", 0.0), Face("y", 1.0)))


def test_nothing_left_of_the_boundary_is_an_error():
    text = "x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 at x = 0\nDx(u) = 0 at x = 1\nu = 1 on ∂Ω"
    with pytest.raises(sp.PinnError, match="nothing is left of ∂Ω") as err:
        sp.parse(text, "p.pinn")
    assert err.value.span.line == 6


def test_two_values_on_the_same_face_are_an_error_naming_both_lines():
    text = CAVITY + "u = x at y = 1\n"
    with pytest.raises(sp.PinnError, match=r"contradicts line 4 \(`u = 1 at y = 1`\).*differ there by up to 1") as err:
        sp.parse(text, "p.pinn")
    assert err.value.span.line == 6


def test_the_same_face_written_as_a_field_at_a_point_is_compared_too():
    text = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\n-Δu = 0\nu = 0 at x = 0\nu(0, y) = y\n"
    with pytest.raises(sp.PinnError, match="contradicts line 4"):
        sp.parse(text, "p.pinn")


def test_two_neumann_data_on_one_face_are_an_error_and_equal_ones_are_not():
    base = "x in [0, 1]\nfield u(x)\n-Dxx(u) = 1\nu = 0 at x = 0\n"
    with pytest.raises(sp.PinnError, match="contradicts line 5"):
        sp.parse(base + "Dx(u) = 0 at x = 1\nDx(u) = 2 at x = 1\n", "p.pinn")
    spec, caught = _parse(base + "Dx(u) = 0 at x = 1\n2*Dx(u) = 0 at x = 1\n")
    assert not caught


def test_a_jump_where_conditions_meet_is_a_warning_with_its_size():
    _, caught = _parse(CAVITY)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "line 5" in message and "line 4" in message and "differ by up to 1 there" in message


def test_a_smoothed_lid_meets_the_walls_without_a_warning():
    _, caught = _parse(CAVITY.replace("u = 1 at y = 1", "u = 16*x^2*(1 - x)^2 at y = 1"))
    assert not caught


def test_initial_data_that_do_not_vanish_on_the_walls_are_warned():
    text = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu = 1 + x at t = 0\nu = 0 on ∂Ω"
    _, caught = _parse(text)
    assert len(caught) == 1 and "differ by up to 2 there" in str(caught[0].message)  # at x = 1: 2 − 0


def test_the_rest_of_an_interval_boundary_is_sampled_on_its_faces_with_outward_normals():
    domain = {"x": (0.0, 2.0), "y": (0.0, 1.0)}
    x, y, nx, ny = sample_region(0, ("faces", (("x", 0.0), ("y", 1.0))), 300, domain, normals=True)
    left, top = np.isclose(x, 0.0), np.isclose(y, 1.0)
    assert np.all(left | top)
    assert np.all(nx[left & ~top] == -1.0) and np.all(ny[top & ~left] == 1.0)
    assert abs(top.sum() / len(x) - 2 / 3) < 0.02  # by length: 2 of 3


def test_the_measure_of_the_rest_is_the_sum_of_its_faces():
    spec, _ = _parse(CAVITY.replace("x in [0, 1]", "x in [0, 2]"))
    program = lower(spec)
    assert program.terms[2].region.measure(program) == pytest.approx(1 + 1 + 2)


def test_the_sympy_front_end_reads_the_rest_the_same_way():
    x, y = sympy.symbols("x y", real=True)
    u = sympy.Function("u")(x, y)
    spec = sp.from_sympy(
        variables={x: (0, 1), y: (0, 1)},
        fields=[u],
        terms=[
            sympy.Eq(-u.diff(x, 2) - u.diff(y, 2), 0),
            sp.Equation(sympy.Eq(u, 16 * x**2 * (1 - x) ** 2), on={y: 1}),
            sp.Equation(sympy.Eq(u, 0), on="boundary"),
        ],
    )
    assert spec.terms[2].region == Faces((Face("x", 0.0), Face("x", 1.0), Face("y", 0.0)))


# ---- which variable is time -----------------------------------------------------------------


HEAT_S = "x in [0, 1]\n{decl}s in [0, 1]\nfield u(x, s)\nD(u, s) = Δu\nu = sin(pi*x) at s = 0\nu = 0 on ∂Ω\n"


def test_a_declared_time_is_time_without_a_warning():
    spec, caught = _parse(HEAT_S.format(decl="time "))
    assert spec.time == "s" and not caught
    assert str(spec.terms[0].expr) == "Derivative(u(x, s), s) - Derivative(u(x, s), (x, 2))"  # Δ leaves s out


def test_a_time_found_from_the_equations_is_a_warning_saying_how_to_declare_it():
    spec, caught = _parse(HEAT_S.format(decl=""))
    assert spec.time == "s"
    assert len(caught) == 1 and "declare it `time s in [0, 1]`" in str(caught[0].message)


def test_a_channel_is_not_parabolic_in_x():
    # continuity is of first order in x and the inflow is at x = 0, but Δu is in other equations:
    # on main x was taken for time and Δ lost its x-derivatives
    text = (
        "x in [0, 2]; y in [0, 1]\nfield u(x, y), v(x, y), p(x, y)\nDx(u) + Dy(v) = 0\n-Δu + Dx(p) = 0\n"
        "-Δv + Dy(p) = 0\nu = 4*y*(1 - y) at x = 0\nv = 0 at x = 0\np = 0 at x = 2\nu = 0 on ∂Ω\nv = 0 on ∂Ω\n"
    )
    spec, caught = _parse(text)
    assert spec.time is None and not caught


def test_time_declarations_that_disagree_are_errors():
    with pytest.raises(sp.PinnError, match="a second time variable") as err:
        sp.parse("time s in [0, 1]\ntime r in [0, 1]\nx in [0, 1]\nfield u(x, s, r)\nu = 0", "p.pinn")
    assert err.value.span.line == 2
    with pytest.raises(sp.PinnError, match="'t' is always time"):
        sp.parse("time s in [0, 1]\nt in [0, 1]\nfield u(s, t)\nu = 0", "p.pinn")


def test_a_variable_named_time_is_still_a_variable():
    spec, _ = _parse("time in [0, 1]\nfield u(time)\nD(u, time) = 1\nu = 0 at time = 0")
    assert [s.name for s, _, _ in spec.variables] == ["time"]
    spec, _ = _parse("time inflow in [0, 1]\nfield u(inflow)\nD(u, inflow) = 1\nu = 0 at inflow = 0")
    assert spec.time == "inflow"  # a name that starts with `in`


def test_check_prints_what_the_rest_covers_for_each_field(tmp_path):
    path = tmp_path / "outlet.pinn"
    path.write_text(
        "x in [0, 2]; y in [0, 1]\nfield u(x, y), p(x, y)\n-Δu = p\n-Δp = u\nu = 1 at x = 0\np = 0 at x = 2\n"
        "u = 0 on ∂Ω\np = 1 on ∂Ω\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "symbolic_pinn", "check", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "line 7: `u = 0 on ∂Ω` holds on the rest of ∂Ω (x = 2, y = 0, y = 1) for u; it also covers x = 2, " \
        "where line 6 gives only p" in out  # fmt: skip
    assert "line 8: `p = 1 on ∂Ω` holds on the rest of ∂Ω (x = 0, y = 0, y = 1) for p" in out


def test_no_whole_boundary_is_built_in_beside_a_face_condition_of_the_same_field():
    # a program whose ∂Ω was not read as the rest (built other than by the front ends): the lid and
    # the whole boundary contradict each other, so neither is built in; both stay loss terms
    spec, _ = _parse(CAVITY)
    whole = tuple(dataclasses.replace(t, region=BOUNDARY) if isinstance(t.region, Faces) else t for t in spec.terms)
    program, exact = constrain(lower(dataclasses.replace(spec, terms=whole)), dirichlet=True)
    assert "u" not in exact and len(program.terms) == 3


def test_a_declared_time_is_printed_back_as_a_declaration():
    from symbolic_pinn._frontend.unparse import unparse

    spec, _ = _parse(HEAT_S.format(decl="time "))
    text = unparse(spec)
    assert "time s in [0, 1]" in text
    again, caught = _parse(text)
    assert again.time == "s" and not caught


def test_derive_adds_no_natural_condition_where_the_rest_of_the_boundary_pins_the_field():
    text = "x in [0, 1]; y in [0, 1]\nfield u(x, y)\nminimize ∫ (|∇u|^2/2 - u)\nu = 16*x^2*(1 - x)^2 at y = 1\n"
    derived = sp.derive(sp.parse(text + "u = 0 on ∂Ω\n", "p.pinn"))
    assert derived.splitlines()[-2:] == ["u = 16*x^2*(1 - x)^2 at y = 1", "u = 0 on ∂Ω"]


def test_initial_data_written_as_a_field_at_the_start_are_compared_with_the_walls_too():
    text = "x in [0, 1]; t in [0, 1]\nfield u(x, t)\nDt(u) = Dxx(u)\nu(x, 0) = 1 + x\nu = 0 on ∂Ω"
    _, caught = _parse(text)
    assert len(caught) == 1 and "differ by up to 2 there" in str(caught[0].message)
