"""The plain arrays a backend receives: the solver wrapper knows nothing of trade or labels."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from formulations.program import Program, row_bounds_from_senses

__all__ = ["ProgramArrays", "elastic_slacks"]


@dataclass(frozen=True)
class ProgramArrays:
    """A program as arrays: ``sense c·x + constant`` s.t. rows and bounds.

    Rows carry a sense code (-1 ``<=``, 0 ``==``, +1 ``>=``) and a right-hand side, and
    equivalently the activity bounds ``row_lower <= A x <= row_upper``. ``priority`` holds
    each column's branching priority (higher first; None: all equal).
    """

    name: str
    c: np.ndarray
    constant: float
    maximize: bool
    a: sp.csr_matrix
    sense_codes: np.ndarray
    rhs: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    priority: np.ndarray | None = None

    @classmethod
    def from_program(cls, program: Program) -> ProgramArrays:
        """Read the arrays of a built :class:`~formulations.program.Program`."""
        lo, up = program.col_bounds()
        return cls(
            name=program.name,
            c=program.objective_vector(),
            constant=program.objective.constant,
            maximize=program.objective.sense == "max",
            a=program.matrix(),
            sense_codes=program.sense_codes(),
            rhs=program.rhs(),
            col_lower=lo,
            col_upper=up,
            integrality=program.integrality(),
            priority=program.branch_priority(),
        )

    @property
    def n_cols(self) -> int:
        return len(self.c)

    @property
    def n_rows(self) -> int:
        return len(self.rhs)

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Row activity bounds ``(lower, upper)`` (see
        :func:`formulations.program.row_bounds_from_senses`)."""
        return row_bounds_from_senses(self.sense_codes, self.rhs)

    def with_integers_fixed(self, x: np.ndarray) -> ProgramArrays:
        """The LP left when every integer column is fixed at its (rounded) value in ``x``."""
        integ = self.integrality.astype(bool)
        fixed = np.round(np.asarray(x, dtype=float))
        lo = np.where(integ, fixed, self.col_lower)
        up = np.where(integ, fixed, self.col_upper)
        return replace(
            self, col_lower=lo, col_upper=up, integrality=np.zeros_like(self.integrality)
        )

    def objective_value(self, x: np.ndarray) -> float:
        return float(self.c @ x + self.constant)

    def max_relative_violation(self, x: np.ndarray) -> float:
        """The worst violation of a row, bound or integrality at ``x``, relative to ``1 + |rhs|``
        (or ``1 + |bound|``), as :meth:`formulations.program.Program.violations` measures it."""
        x = np.asarray(x, dtype=float)
        if len(x) != self.n_cols or not np.isfinite(x).all():
            return math.inf
        act = self.a @ x
        lo, up = self.row_bounds()
        rows = np.maximum(np.maximum(lo - act, act - up), 0.0) / (1.0 + np.abs(self.rhs))
        bound = np.where(
            x < self.col_lower, self.col_lower, np.where(x > self.col_upper, self.col_upper, 0.0)
        )
        cols = np.maximum(np.maximum(self.col_lower - x, x - self.col_upper), 0.0)
        cols = cols / (1.0 + np.abs(bound))
        ints = np.where(self.integrality.astype(bool), np.abs(x - np.round(x)), 0.0)
        return float(max(rows.max(initial=0.0), cols.max(initial=0.0), ints.max(initial=0.0)))


def elastic_slacks(rows: np.ndarray, sense_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Penalised slack columns that let the given rows bend.

    One slack per ``<=`` or ``>=`` row, two per ``==`` row: a slack with sign +1 helps a
    ``>=`` (or ``==``) row, i.e. relaxes it downward; one with sign -1 helps a ``<=`` (or
    ``==``) row, relaxing it upward. Used by the elastic program of
    :func:`planner.solver.diagnose` and the phase-1 master of
    :func:`planner.solver.solve_decomposed`.

    Parameters
    ----------
    rows : numpy.ndarray
        Row indices (in whatever numbering the caller builds its matrix).
    sense_codes : numpy.ndarray
        Sense code of each of ``rows`` (-1 ``<=``, 0 ``==``, +1 ``>=``).

    Returns
    -------
    slack_rows, slack_sign : numpy.ndarray
        The row and the coefficient (+1 or -1) of each slack column: first the +1 slacks,
        then the -1 slacks, each in the order of ``rows``.
    """
    rows = np.asarray(rows)
    plus, minus = rows[sense_codes >= 0], rows[sense_codes <= 0]
    sign = np.concatenate([np.ones(len(plus)), -np.ones(len(minus))])
    return np.concatenate([plus, minus]), sign
