"""Elastic-mode diagnosis names the families and rows to relax, and by how much."""

from __future__ import annotations

import pytest
from conftest import wyndor
from tolerances import RELAX_ATOL

from formulations import Program
from planner.solver import Status, diagnose


def conflicting() -> Program:
    """cap: a + b <= 2 and need: a >= 3 (a, b >= 0): one unit short."""
    p = Program("conflict")
    x = p.add_variables("x", ["a", "b"])
    p.add_constraints("cap", ["total"], [0, 0], x.columns, [1, 1], "<=", 2)
    p.add_constraints("need", ["a_min"], [0], [x.offset], [1], ">=", 3)
    p.set_objective(x.columns, [1, 1])
    return p


def test_only_need_softened_names_need(backend_case):
    backend, opts = backend_case
    d = diagnose(conflicting(), families=["need"], backend=backend, options=opts)
    assert d.status is Status.OPTIMAL and not d.feasible
    assert list(d.by_family.index) == ["need"]
    row = d.relaxations.iloc[0]
    assert (row.family, row.label, row.direction) == ("need", "a_min", "lower rhs")
    assert row.relax_by == pytest.approx(1.0, abs=RELAX_ATOL)
    assert d.total == pytest.approx(1.0, abs=RELAX_ATOL)
    assert "need" in d.explain()


def test_only_cap_softened_names_cap(backend_case):
    backend, opts = backend_case
    d = diagnose(conflicting(), families=["cap"], backend=backend, options=opts)
    row = d.relaxations.iloc[0]
    assert (row.family, row.label, row.direction) == ("cap", "total", "raise rhs")
    assert row.relax_by == pytest.approx(1.0, abs=RELAX_ATOL)


def test_one_family_may_be_named_by_a_plain_string():
    d = diagnose(conflicting(), families="need")
    assert list(d.by_family.index) == ["need"]
    assert d.total == pytest.approx(1.0, abs=RELAX_ATOL)


def test_relaxations_are_ordered_by_size():
    p = Program("two_gaps")
    x = p.add_variables("x", ["a", "b"], upper=[1.0, 1.0])
    p.add_constraints("need", ["small", "large"], [0, 1], x.columns, [1, 1], ">=", [1.5, 4.0])
    p.set_objective(x.columns, [1, 1])
    d = diagnose(p)
    assert list(d.relaxations["label"]) == ["large", "small"]
    assert list(d.relaxations["relax_by"]) == pytest.approx([3.0, 0.5], abs=RELAX_ATOL)
    assert d.by_family["need"] == pytest.approx(3.5, abs=RELAX_ATOL)


def test_feasible_program_needs_nothing():
    d = diagnose(wyndor())
    assert d.feasible and d.relaxations.empty
    assert "nothing needs relaxing" in d.explain()


def test_conflict_outside_softened_families():
    p = Program("bounds")
    x = p.add_variables("x", ["a"], upper=1.0)
    p.add_constraints("need", ["n"], [0], [x.offset], [1], ">=", 3)
    p.add_constraints("other", ["o"], [0], [x.offset], [1], "<=", 5)
    p.set_objective(x.columns, [1])
    d = diagnose(p, families=["other"])
    assert d.status is Status.INFEASIBLE
    assert "other families or in the variable bounds" in d.explain()


def test_unknown_family_is_named():
    with pytest.raises(KeyError, match="no constraint family 'nope'"):
        diagnose(conflicting(), families=["nope"])
