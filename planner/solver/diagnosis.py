"""Infeasibility diagnosis with open solvers: elastic mode.

Each row of the chosen families gets a penalized slack (one for ``<=``/``>=`` rows, two for
``==`` rows); the elastic program minimizes the total slack. Its optimum says which families and
labelled rows must be relaxed, in which direction and by how much, at the least total change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from formulations.program import Program
from planner.solver.api import backend_module
from planner.solver.arrays import ProgramArrays, elastic_slacks
from planner.solver.options import SolveOptions
from planner.solver.result import Status

__all__ = ["Diagnosis", "diagnose"]


@dataclass
class Diagnosis:
    """What must be relaxed to make a program feasible.

    Attributes
    ----------
    status : Status
        Status of the elastic solve; ``optimal`` means the relaxations below suffice.
    softened : list of str
        Families whose rows were allowed to bend.
    relaxations : pandas.DataFrame
        One row per constraint that must bend: ``family``, ``label``, ``sense``, ``rhs``,
        ``relax_by`` (> 0) and ``direction`` (``"raise rhs"`` or ``"lower rhs"``), largest first.
    by_family : pandas.Series
        Total ``relax_by`` per family, largest first.
    total : float
        Sum of all relaxations (the elastic objective).
    """

    status: Status
    softened: list[str]
    relaxations: pd.DataFrame
    by_family: pd.Series
    total: float

    @property
    def feasible(self) -> bool:
        """True when the program is feasible as it is (nothing needs relaxing)."""
        return self.status is Status.OPTIMAL and self.total <= 1e-9

    def explain(self, top: int = 5) -> str:
        """A plain-language paragraph naming what to relax."""
        if self.status is not Status.OPTIMAL:
            return (
                f"Even with the families {self.softened} relaxed the program is not solvable "
                f"(status {self.status.value}): the conflict lies in the other families or "
                "in the variable bounds."
            )
        if self.feasible:
            return "The program is feasible: nothing needs relaxing."
        parts = [f"{fam} by {amt:.6g} in total" for fam, amt in self.by_family.items() if amt > 0]
        lines = [f"To make the program feasible, relax {', '.join(parts)}."]
        for rec in self.relaxations.head(top).itertuples():
            lines.append(
                f"  - {rec.family} {rec.label!r}: {rec.direction} by {rec.relax_by:.6g} "
                f"(now {rec.sense} {rec.rhs:.6g})"
            )
        return "\n".join(lines)


def diagnose(
    program: Program,
    families: Iterable[str] | None = None,
    backend: str = "highs",
    options: SolveOptions | None = None,
    tol: float = 1e-7,
    weights: Mapping[str, float | np.ndarray] | None = None,
) -> Diagnosis:
    """Find the least total relaxation of chosen families that makes ``program`` feasible.

    Parameters
    ----------
    program : formulations.program.Program
        The (infeasible) program; it is not changed.
    families : str or iterable of str, optional
        Family (or families) allowed to bend; default all of them. A caller that knows
        which row blocks are policy (and which are structural, such as one role per
        country) passes only the former.
    backend : str
        Backend for the elastic solve.
    options : SolveOptions, optional
        Solver options for the elastic solve.
    tol : float
        Slack values at or below this count as zero.
    weights : mapping of str to float or array, optional
        Penalty per unit of slack of each family (one number, or one per row); default 1.
        Families in different units (members, money) compare fairly when each is weighted
        by the inverse of its scale. ``total`` stays the unweighted sum.

    Returns
    -------
    Diagnosis
    """
    options = options or SolveOptions()
    if isinstance(families, str):  # one family by name, not its characters
        families = [families]
    names = list(program.families) if families is None else list(families)
    for name in names:
        program.family(name)  # KeyError naming the known families
    arrays = ProgramArrays.from_program(program)
    rows = np.concatenate([program.family(n).rows for n in names]) if names else np.zeros(0, int)
    # slack columns: +1 relaxes a >= or == row downward, -1 relaxes a <= or == row upward
    slack_rows, slack_sign = elastic_slacks(rows, arrays.sense_codes[rows])
    k = len(slack_rows)
    penalty = _penalties(program, names, weights, slack_rows)
    slack = sp.csr_matrix((slack_sign, (slack_rows, np.arange(k))), shape=(arrays.n_rows, k))
    elastic = replace(
        arrays,
        name=f"{arrays.name}_elastic",
        c=np.concatenate([np.zeros(arrays.n_cols), penalty]),
        constant=0.0,
        maximize=False,
        a=sp.hstack([arrays.a, slack], format="csr"),
        col_lower=np.concatenate([arrays.col_lower, np.zeros(k)]),
        col_upper=np.concatenate([arrays.col_upper, np.full(k, np.inf)]),
        integrality=np.concatenate([arrays.integrality, np.zeros(k, dtype=np.int8)]),
    )
    outcome = backend_module(backend).solve(elastic, options)
    empty = pd.DataFrame(columns=["family", "label", "sense", "rhs", "relax_by", "direction"])
    if not outcome.status.has_solution or outcome.x is None:
        return Diagnosis(outcome.status, names, empty, pd.Series(dtype=float), math.nan)
    s = outcome.x[arrays.n_cols :]
    used = s > tol
    owner = program.row_owner(slack_rows[used])
    sense_text = {-1: "<=", 0: "==", 1: ">="}
    table = (
        pd.DataFrame(
            {
                "family": owner["family"].to_numpy(),
                "label": owner["label"].to_numpy(),
                "sense": [sense_text[int(c)] for c in arrays.sense_codes[slack_rows[used]]],
                "rhs": arrays.rhs[slack_rows[used]],
                "relax_by": s[used],
                "direction": np.where(slack_sign[used] < 0, "raise rhs", "lower rhs"),
            }
        )
        .sort_values("relax_by", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    by_family = (
        table.groupby("family", sort=False)["relax_by"].sum().sort_values(ascending=False)
        if len(table)
        else pd.Series(dtype=float, name="relax_by")
    )
    status = Status.OPTIMAL if outcome.status is Status.OPTIMAL else outcome.status
    return Diagnosis(status, names, table, by_family, float(s.sum()))


def _penalties(
    program: Program,
    names: list[str],
    weights: Mapping[str, float | np.ndarray] | None,
    slack_rows: np.ndarray,
) -> np.ndarray:
    """Penalty of each slack column: the weight of its row (1 unless ``weights`` says)."""
    row_weight = np.ones(program.n_constraints)
    for name, w in (weights or {}).items():
        if name not in names:
            raise KeyError(f"weights name {name!r}, which is not among the families {names}")
        fam = program.family(name)
        w = np.broadcast_to(np.asarray(w, dtype=float), (fam.size,))
        if not (np.isfinite(w).all() and (w > 0).all()):
            raise ValueError(f"weights of {name!r} must be finite and positive")
        row_weight[fam.rows] = w
    return row_weight[slack_rows]
