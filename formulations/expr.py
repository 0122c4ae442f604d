"""Vectorized affine expressions over a program's columns, one expression per label.

An :class:`Expr` holds ``n`` affine expressions at once::

    value[k] = const[k] + sum(coef[t] * x[col[t]] for every term t with owner[t] == k)

Families are written as arithmetic on whole blocks (``f = F0 + increase - decrease``), gathered
(:meth:`Expr.take`) and summed by group (:meth:`Expr.sum_by`) with numpy index arrays, never a
Python loop over links: the linopy way of building, in a few dozen lines. A fixed decision (an
anchor's membership, a sector's fixed tier) is simply an expression without terms, so one family
builder serves the LP and the MILPs alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formulations.program import SENSE_CODES, Program, Sense, constant_rows_fail

__all__ = ["Expr", "add_rows"]

_I = np.int64


@dataclass(frozen=True, eq=False)
class Expr:
    """``n`` affine expressions stored as COO terms (owner, col, coef) plus a constant each.

    Attributes
    ----------
    n : int
        Number of expressions (labels).
    owner : numpy.ndarray
        Expression of each term (0 .. n-1).
    col : numpy.ndarray
        Global program column of each term.
    coef : numpy.ndarray
        Coefficient of each term.
    const : numpy.ndarray
        Constant of each expression, shape ``(n,)``.
    """

    n: int
    owner: np.ndarray
    col: np.ndarray
    coef: np.ndarray
    const: np.ndarray

    # numpy defers to Expr's reflected operators (array - expr gives an Expr)
    __array_ufunc__ = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def constant(cls, values: np.ndarray | float, n: int | None = None) -> Expr:
        """Expressions without terms: ``value[k] = values[k]``."""
        if n is None:
            c = np.asarray(values, dtype=float).ravel().copy()
        else:
            c = np.broadcast_to(np.asarray(values, dtype=float), (n,)).copy()
        e = np.zeros(0, dtype=_I)
        return cls(len(c), e, e.copy(), np.zeros(0), c)

    @classmethod
    def zeros(cls, n: int) -> Expr:
        """``n`` zero expressions."""
        return cls.constant(0.0, n)

    @classmethod
    def terms(
        cls,
        n: int,
        owner: np.ndarray,
        col: np.ndarray,
        coef: np.ndarray | float = 1.0,
        const: np.ndarray | float = 0.0,
    ) -> Expr:
        """Expressions from explicit terms."""
        owner = np.asarray(owner, dtype=_I).ravel()
        col = np.asarray(col, dtype=_I).ravel()
        coef = np.broadcast_to(np.asarray(coef, dtype=float), owner.shape).astype(float)
        if owner.shape != col.shape:
            raise ValueError("owner and col differ in length")
        return cls(n, owner, col, coef, np.broadcast_to(np.asarray(const, float), (n,)).copy())

    @classmethod
    def variables(cls, n: int, where: np.ndarray, cols: np.ndarray) -> Expr:
        """``value[where[k]] = x[cols[k]]``; labels not in ``where`` are 0."""
        return cls.terms(n, where, cols, 1.0)

    # ------------------------------------------------------------------ arithmetic
    def _check(self, other: Expr) -> None:
        if other.n != self.n:
            raise ValueError(f"expressions differ in length ({self.n} and {other.n})")

    def __add__(self, other: Expr | float | np.ndarray) -> Expr:
        if isinstance(other, Expr):
            self._check(other)
            return Expr(
                self.n,
                np.concatenate([self.owner, other.owner]),
                np.concatenate([self.col, other.col]),
                np.concatenate([self.coef, other.coef]),
                self.const + other.const,
            )
        return Expr(self.n, self.owner, self.col, self.coef, self.const + other)

    __radd__ = __add__

    def __neg__(self) -> Expr:
        return Expr(self.n, self.owner, self.col, -self.coef, -self.const)

    def __sub__(self, other: Expr | float | np.ndarray) -> Expr:
        return self + (-other)

    def __rsub__(self, other: float | np.ndarray) -> Expr:
        return (-self) + other

    def __mul__(self, factor: float | np.ndarray) -> Expr:
        """Scale expression ``k`` by ``factor`` (a scalar or one factor per expression)."""
        a = np.asarray(factor, dtype=float)
        if a.ndim == 0:
            return Expr(self.n, self.owner, self.col, self.coef * a, self.const * a)
        if a.shape != (self.n,):
            raise ValueError(f"expected {self.n} factors, got shape {a.shape}")
        return Expr(self.n, self.owner, self.col, self.coef * a[self.owner], self.const * a)

    __rmul__ = __mul__

    # ------------------------------------------------------------------ gather / reduce
    def take(self, idx: np.ndarray) -> Expr:
        """Expressions ``self[idx[0]], self[idx[1]], ...`` (indices may repeat)."""
        idx = np.asarray(idx, dtype=_I).ravel()
        order = np.argsort(self.owner, kind="stable")
        counts = np.bincount(self.owner, minlength=self.n)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(_I)
        cnt = counts[idx]
        total = int(cnt.sum())
        base = np.repeat(starts[idx], cnt)
        within = np.arange(total, dtype=_I) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        pos = order[base + within]
        owner = np.repeat(np.arange(len(idx), dtype=_I), cnt)
        return Expr(len(idx), owner, self.col[pos], self.coef[pos], self.const[idx].copy())

    def sum_by(self, group: np.ndarray, n_groups: int) -> Expr:
        """Sum expressions into ``n_groups`` groups (``group[k]`` is expression k's group)."""
        group = np.asarray(group, dtype=_I).ravel()
        if group.shape != (self.n,):
            raise ValueError(f"expected {self.n} group ids, got shape {group.shape}")
        if self.n == 0 or group.min() >= 0:  # the common case: every expression has a group
            const = np.bincount(group, weights=self.const, minlength=n_groups).astype(float)
            return Expr(n_groups, group[self.owner], self.col, self.coef, const)
        keep = group >= 0
        const = np.bincount(group[keep], weights=self.const[keep], minlength=n_groups)
        const = const.astype(float)
        tg = group[self.owner]
        tk = tg >= 0
        return Expr(n_groups, tg[tk], self.col[tk], self.coef[tk], const)

    def sum(self) -> Expr:
        """One expression: the sum of all."""
        return self.sum_by(np.zeros(self.n, dtype=_I), 1)

    # ------------------------------------------------------------------ inspection
    def n_terms(self) -> np.ndarray:
        """Number of terms of each expression."""
        return np.bincount(self.owner, minlength=self.n)

    def has_terms(self) -> np.ndarray:
        """True where an expression depends on a variable (a non-zero coefficient)."""
        nz = self.coef != 0
        return np.bincount(self.owner[nz], minlength=self.n) > 0

    def value(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at the column values ``x``."""
        x = np.asarray(x, dtype=float)
        return self.const + np.bincount(
            self.owner, weights=self.coef * x[self.col], minlength=self.n
        )

    def coefficients(self, n_cols: int) -> np.ndarray:
        """Dense coefficient vector of the *sum* of all expressions (for objectives)."""
        return np.bincount(self.col, weights=self.coef, minlength=n_cols)


def add_rows(
    program: Program,
    name: str,
    labels: pd.Index,
    lhs: Expr,
    sense: Sense | str,
    rhs: np.ndarray | float = 0.0,
    keep: np.ndarray | None = None,
    description: str = "",
) -> None:
    """Add the rows ``lhs[k] <sense> rhs[k]`` for every ``k`` with ``keep[k]`` to ``program``.

    Constants of ``lhs`` move to the right-hand side. Rows without a variable are left out when
    they hold; a constant row that fails is kept (an empty row the solver reports as
    infeasible, and that :func:`planner.solver.diagnosis` can name). Nothing is added when no
    row is left; the family then does not exist in the program.

    Parameters
    ----------
    program : Program
        The program to extend (e.g. ``CoalitionModel.program``).
    name : str
        The new constraint family's name (results and reports refer to it).
    labels : pandas.Index
        One label per expression of ``lhs`` (the rows' labels).
    lhs : Expr
        The left-hand sides, one expression per label.
    sense : {"<=", ">=", "=="}
        The rows' sense.
    rhs : float or numpy.ndarray
        The right-hand side, one value or one per label.
    keep : numpy.ndarray of bool, optional
        Which labels get a row (default: all).
    description : str
        What the family means, in words (shown in reports).

    Examples
    --------
    Cap each sector's new sourcing spend of a built model at USD 5 bn:

    ```python
    inst = model.instance
    spend = model.expressions["sourcing_cost_link"].sum_by(inst.links.sector, inst.n_sectors)
    add_rows(model.program, "sector_cap", inst.sectors, spend, "<=", 5000.0)
    ```
    """
    rhs_all = np.broadcast_to(np.asarray(rhs, dtype=float), (lhs.n,)) - lhs.const
    mask = np.ones(lhs.n, bool) if keep is None else np.asarray(keep, bool).copy()
    live = lhs.has_terms()
    s = Sense(sense)
    fails = constant_rows_fail(np.int8(SENSE_CODES[s]), rhs_all)
    mask &= live | fails
    if not mask.any():
        return
    new_id = np.full(lhs.n, -1, dtype=_I)
    new_id[mask] = np.arange(int(mask.sum()), dtype=_I)
    t = new_id[lhs.owner] >= 0
    t &= lhs.coef != 0
    program.add_constraints(
        name,
        labels[mask],
        rows=new_id[lhs.owner[t]],
        cols=lhs.col[t],
        coefs=lhs.coef[t],
        sense=s,
        rhs=rhs_all[mask],
        description=description,
    )
