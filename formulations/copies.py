"""Copies of variable blocks and expressions with one more label level (scenarios, phases).

A two-stage or multi-period model holds the same decisions many times over: the recourse
flows of every exit scenario, the flows of every phase. Here a copy level (a
:class:`pandas.Index` of copy names) is put in front of a block's labels, and all copies are
one block, one family, one :class:`~formulations.expr.Expr`, laid out copy-major: item ``k`` of
copy ``r`` is position ``r * n + k``. Nothing loops over the copies.

Used by :mod:`formulations.robust` (recourse copies of the sourcing blocks, only where a
scenario keeps them); :mod:`formulations.replicate` copies a whole program.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formulations.expr import Expr
from formulations.program import Program, VarKind

__all__ = ["add_copies", "copy_labels", "copy_of", "item_of", "tile_expr"]

_I = np.int64


def copy_labels(level: pd.Index, labels: pd.Index, name: str = "scenario") -> pd.MultiIndex:
    """Labels ``(copy, *label)`` of every copy of ``labels``, copy-major.

    Parameters
    ----------
    level : pandas.Index
        The copies' names (unique).
    labels : pandas.Index
        The labels of one copy (a MultiIndex or a flat Index).
    name : str
        Name of the new level.

    Returns
    -------
    pandas.MultiIndex
        ``len(level) * len(labels)`` labels.
    """
    n_copies, n = len(level), len(labels)
    copy_codes = np.repeat(np.arange(n_copies, dtype=_I), n)
    if isinstance(labels, pd.MultiIndex):
        levels = list(labels.levels)
        codes = [np.tile(np.asarray(c, dtype=_I), n_copies) for c in labels.codes]
        names = list(labels.names)
    else:
        levels = [labels]
        codes = [np.tile(np.arange(n, dtype=_I), n_copies)]
        names = [labels.name]
    return pd.MultiIndex(
        levels=[pd.Index(level), *levels],
        codes=[copy_codes, *codes],
        names=[name, *names],
        verify_integrity=False,
    )


def copy_of(n_copies: int, n: int) -> np.ndarray:
    """The copy of each position ``r * n + k``."""
    return np.repeat(np.arange(n_copies, dtype=_I), n)


def item_of(n_copies: int, n: int) -> np.ndarray:
    """The item (position within its copy) of each position ``r * n + k``."""
    return np.tile(np.arange(n, dtype=_I), n_copies)


def tile_expr(e: Expr, n_copies: int) -> Expr:
    """``n_copies`` copies of the shared expressions ``e`` (the same columns in every copy:
    first-stage decisions seen from each scenario)."""
    return e.take(item_of(n_copies, e.n))


def add_copies(
    program: Program,
    name: str,
    level: pd.Index,
    labels: pd.Index,
    keep: np.ndarray,
    upper: np.ndarray | float = np.inf,
    lower: np.ndarray | float = 0.0,
    kind: VarKind | str = VarKind.CONTINUOUS,
    description: str = "",
    unit: str = "",
    level_name: str = "scenario",
) -> Expr:
    """One block holding the kept copies of a block of variables.

    Parameters
    ----------
    program : Program
        Where the block goes.
    name : str
        The block's name.
    level : pandas.Index
        The copies' names.
    labels : pandas.Index
        Labels of one copy.
    keep : numpy.ndarray
        ``(len(level), len(labels))`` booleans: which copies of which variables exist.
    upper, lower : float or numpy.ndarray
        Bounds, one per label of one copy (the same in every copy) or a scalar.
    kind, description, unit
        As for :meth:`Program.add_variables`.
    level_name : str
        Name of the copy level of the labels.

    Returns
    -------
    Expr
        ``len(level) * len(labels)`` expressions, copy-major: the variable where kept, else 0.
    """
    n_copies, n = len(level), len(labels)
    keep = np.asarray(keep, bool).reshape(n_copies, n)
    where = np.flatnonzero(keep.ravel())
    item = where % n if n else where
    up = np.broadcast_to(np.asarray(upper, float), (n,))[item]
    lo = np.broadcast_to(np.asarray(lower, float), (n,))[item]
    if not len(where):
        return Expr.zeros(n_copies * n)
    full = copy_labels(level, labels, level_name)
    blk = program.add_variables(
        name, full[where], lower=lo, upper=up, kind=kind, description=description, unit=unit
    )
    return Expr.variables(n_copies * n, where, blk.columns)
