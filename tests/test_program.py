"""The solver-neutral program: blocks, families, one sparse matrix, labels back, export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import mixed_senses, wyndor
from test_solvers import facility
from tolerances import OBJ_RTOL

from formulations import Program, ProgramError
from planner.solver import SolveOptions, Status, solve


def test_matrix_assembled_from_blocks():
    p = wyndor()
    a = p.matrix().toarray()
    np.testing.assert_array_equal(a, [[1, 0], [0, 2], [3, 2]])
    assert p.n_variables == 2 and p.n_constraints == 3 and p.nnz == 4
    np.testing.assert_array_equal(p.objective_vector(), [3, 5])
    lo, up = p.row_bounds()
    np.testing.assert_array_equal(up, [4, 12, 18])
    assert np.isneginf(lo).all()


def test_duplicate_triplets_are_summed():
    p = Program()
    x = p.add_variables("x", 2)
    p.add_constraints("c", ["r"], [0, 0, 0], [0, 0, 1], [1.0, 2.0, 1.0], "<=", 1)
    np.testing.assert_array_equal(p.matrix().toarray(), [[3, 1]])
    assert x.size == 2


def test_labels_map_back_without_parsing():
    p = Program()
    idx = pd.MultiIndex.from_tuples(
        [("USA", "CHN", "C26"), ("USA", "KOR", "C26")], names=["importer", "exporter", "sector"]
    )
    f = p.add_variables("f", idx)
    y = p.add_variables("y", ["USA", "KOR"], kind="binary")
    fam = p.add_constraints("cap", ["KOR"], [0], f.locate([("USA", "KOR", "C26")]), [1], "<=", 5)
    cols = p.column_owner([1, 2])
    assert cols["block"].tolist() == ["f", "y"]
    assert cols["label"].tolist() == [("USA", "KOR", "C26"), "USA"]
    rows = p.row_owner([0])
    assert rows.loc[0, "family"] == "cap" and rows.loc[0, "label"] == "KOR"
    assert fam.rows.tolist() == [0] and y.columns.tolist() == [2, 3]
    split = p.split(np.array([1.0, 2.0, 0.0, 1.0]))
    assert split["f"][("USA", "KOR", "C26")] == 2.0 and split["y"].name == "y"


def test_user_adds_a_family_before_solving():
    """Build, then add a constraint of one's own, then solve (PyPSA style)."""
    p = wyndor()
    x = p.block("x")
    p.add_constraints("cap_doors", ["door"], [0], x.locate(["door"]), [1], "<=", 1)
    r = solve(p)
    # door <= 1: window = min(6, (18-3)/2) = 6 -> 3 + 30 = 33
    assert r.objective == pytest.approx(33.0, rel=OBJ_RTOL)
    assert r.dual("cap_doors")["door"] == pytest.approx(3.0, abs=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.add_variables("x", 2), "exists already"),
        (lambda p: p.add_variables("bad name", 2), "not valid"),
        (lambda p: p.add_variables("z", ["a", "a"]), "duplicated"),
        (lambda p: p.add_variables("z", 2, lower=[1, 2], upper=[0, 3]), "lower > upper"),
        (lambda p: p.add_constraints("c", 1, [0], [9], [1], "<=", 0), "column index"),
        (lambda p: p.add_constraints("c", 1, [1], [0], [1], "<=", 0), "row index"),
        (lambda p: p.add_constraints("c", 1, [0], [0], [np.nan], "<=", 0), "finite"),
        (lambda p: p.add_constraints("c", 1, [0], [0], [1], "<", 0), "sense"),
        (lambda p: p.add_constraints("c", 1, [0], [0], [1], "<=", np.inf), "finite"),
        (lambda p: p.set_objective([0], [1], sense="minimize"), "'min' or 'max'"),
    ],
)
def test_bad_building_calls_name_the_problem(call, message):
    p = Program()
    p.add_variables("x", 2)
    with pytest.raises(ProgramError, match=message):
        call(p)


def test_unknown_block_and_family_are_named():
    p = wyndor()
    with pytest.raises(KeyError, match="blocks: \\['x'\\]"):
        p.block("f")
    with pytest.raises(KeyError, match="families: \\['plant'\\]"):
        p.family("demand")
    with pytest.raises(KeyError, match="no variable labelled"):
        p.block("x").locate(["roof"])


def test_violations_report_worst_row():
    p = wyndor()
    v = p.violations(np.array([4.0, 6.0]))  # 3*4 + 2*6 = 24 > 18
    assert v.loc["plant", "max_violation"] == pytest.approx(6.0)
    assert v.loc["plant", "worst_label"] == "p3"
    assert v.loc["x", "max_violation"] == 0.0


def test_copy_is_independent():
    p = wyndor()
    q = p.copy()
    q.add_constraints("extra", 1, [0], [0], [1], "<=", 1)
    assert "extra" not in p.families and q.n_constraints == 4
    assert solve(p).objective == pytest.approx(36.0, rel=OBJ_RTOL)


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
@pytest.mark.parametrize("make", [wyndor, mixed_senses, facility])
def test_export_round_trip_through_highs(tmp_path, suffix, make):
    """A file we write, read back by HiGHS, has the same optimum."""
    import highspy

    p = make()
    path = p.write(tmp_path / f"model{suffix}")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert h.getInfo().objective_function_value == pytest.approx(solve(p).objective, rel=1e-9)


def test_export_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"use a \.mps or \.lp"):
        wyndor().write(tmp_path / "m.txt")


def test_empty_program_solves():
    p = Program()
    p.add_variables("x", 0)
    p.set_objective([], [], constant=2.5)
    r = solve(p, "highs", SolveOptions())
    assert r.status is Status.OPTIMAL and r.objective == 2.5


def test_summary_and_coefficient_ranges():
    p = wyndor()
    s = p.summary()
    assert s.set_index("name").loc["plant", "nnz"] == 4
    ranges = p.coefficient_ranges()
    assert ranges.loc["matrix", "min_abs"] == 1 and ranges.loc["matrix", "max_abs"] == 3
    assert "LP" in repr(p)
