"""Copies of a whole program side by side, the copy one more label level of every block and
family.

:func:`replicate_program` turns a built :class:`~formulations.program.Program` into ``K``
copies in one program: block ``increase`` labelled (importer, exporter, sector) becomes block
``increase`` labelled (copy, importer, exporter, sector), its columns copy after copy;
families likewise.
Blocks named in ``shared`` are kept once (their columns are the same in every copy: first-stage
decisions of a two-stage model), and families named in ``shared_families`` are kept once too
(they may only use shared blocks). The objective is the weighted sum of the copies' objectives.

:class:`Replicas` maps the base program's columns and rows to each copy (numpy index arrays,
no loop over columns) and re-targets :class:`~formulations.expr.Expr` expressions built on the
base program, so linking rows between copies are written with the base model's expressions.
Used by the phased pathway (:mod:`formulations.pathway`); it knows nothing about trade.
:mod:`formulations.copies` copies single blocks instead (recourse copies of a robust model).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from formulations.expr import Expr
from formulations.program import Program, ProgramError

__all__ = ["Replicas", "replicate_program", "with_level"]

_I = np.int64


def with_level(copies: pd.Index, labels: pd.Index) -> pd.MultiIndex:
    """Labels ``(copy, *label)`` for every copy and label, copy after copy.

    Parameters
    ----------
    copies : pandas.Index
        The copy labels (its name is the new level's name).
    labels : pandas.Index
        Unique labels of one block or family (a MultiIndex or a plain Index).

    Returns
    -------
    pandas.MultiIndex
        ``len(copies) * len(labels)`` labels.
    """
    k, n = len(copies), len(labels)
    outer = np.repeat(np.arange(k, dtype=_I), n)
    if isinstance(labels, pd.MultiIndex):
        levels = [copies, *labels.levels]
        codes = [outer, *(np.tile(np.asarray(c), k) for c in labels.codes)]
        names = [copies.name, *labels.names]
    else:
        levels = [copies, labels]
        codes = [outer, np.tile(np.arange(n, dtype=_I), k)]
        names = [copies.name, labels.name]
    return pd.MultiIndex(levels=levels, codes=codes, names=names, verify_integrity=False)


@dataclass
class Replicas:
    """A program of ``K`` copies of a base program, and the maps between them.

    Attributes
    ----------
    program : Program
        The combined program.
    base : Program
        The program that was copied (not changed).
    copies : pandas.Index
        Copy labels (the new outer label level, named).
    col_map : numpy.ndarray
        ``(K, n_base_columns)``: the combined column of base column ``c`` in copy ``k``.
    row_map : numpy.ndarray
        ``(K, n_base_rows)``: the combined row of base row ``r`` in copy ``k``.
    """

    program: Program
    base: Program
    copies: pd.Index
    col_map: np.ndarray
    row_map: np.ndarray

    @property
    def n_copies(self) -> int:
        """K."""
        return len(self.copies)

    def expr(self, e: Expr, k: int) -> Expr:
        """The base-program expression ``e`` on copy ``k``'s columns."""
        return Expr(e.n, e.owner, self.col_map[k][e.col], e.coef, e.const)

    def stack(self, e: Expr) -> Expr:
        """Expression ``e`` of every copy in one: label ``k * e.n + i`` is ``e[i]`` in copy k."""
        k = self.n_copies
        t = len(e.col)
        which = np.repeat(np.arange(k, dtype=_I), t)
        owner = np.tile(e.owner, k) + which * e.n
        col = self.col_map[which, np.tile(e.col, k)]
        return Expr(e.n * k, owner, col, np.tile(e.coef, k), np.tile(e.const, k))

    def columns(self, k: int) -> np.ndarray:
        """Combined columns of copy ``k``, in base column order (``x[columns(k)]`` is the
        copy's point in the base program's columns)."""
        return self.col_map[k]

    def rows(self, family: str, k: int) -> np.ndarray:
        """Combined rows of base family ``family`` in copy ``k``."""
        return self.row_map[k][self.base.family(family).rows]

    def set_rhs(self, family: str, rhs_per_copy: Sequence[np.ndarray | float]) -> None:
        """Set the right-hand side of base family ``family`` copy by copy."""
        fam = self.program.family(family)
        rhs = fam.rhs.copy()
        for k, value in enumerate(rhs_per_copy):
            rhs[self.rows(family, k) - fam.offset] = value
        self.program.set_rhs(family, rhs)


def replicate_program(
    base: Program,
    copies: pd.Index,
    weights: Sequence[float] | np.ndarray | None = None,
    shared: Iterable[str] = (),
    shared_families: Iterable[str] = (),
    name: str | None = None,
) -> Replicas:
    """``K`` copies of ``base`` in one program (see the module docstring).

    Parameters
    ----------
    base : Program
        A built program (it is not changed).
    copies : pandas.Index
        One label per copy; its name is the new label level (e.g. ``"phase"``).
    weights : sequence of float, optional
        Weight of each copy's objective in the combined objective (default 1 each).
    shared : iterable of str
        Blocks kept once, shared by every copy.
    shared_families : iterable of str
        Families kept once; they may only use shared blocks.
    name : str, optional
        Name of the combined program (default the base's).

    Returns
    -------
    Replicas

    Raises
    ------
    ProgramError
        An unknown shared block or family, or a shared family using a copied block.
    """
    copies = pd.Index(copies)
    k = len(copies)
    if k == 0 or not copies.is_unique:
        raise ProgramError("replicate: copy labels must be non-empty and unique")
    w = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (k,):
        raise ProgramError(f"replicate: expected {k} weights, got shape {w.shape}")
    shared, shared_families = set(shared), set(shared_families)
    for what, names, known in (
        ("block", shared, base.blocks),
        ("family", shared_families, base.families),
    ):
        unknown = sorted(names - set(known))
        if unknown:
            raise ProgramError(f"replicate: no {what} {unknown} in the base program")
    new = Program(name or base.name)
    col_map = _copy_blocks(base, new, copies, shared)
    row_map = _copy_families(base, new, copies, col_map, shared_families)
    c = base.objective_vector()
    nz = np.flatnonzero(c)
    o = base.objective
    new.set_objective(
        col_map[:, nz].ravel(),
        (w[:, None] * c[nz][None, :]).ravel(),
        o.sense,
        float(w.sum() * o.constant),
        name=o.name,
    )
    new.metadata = {**base.metadata, "copies": list(map(str, copies)), "copy_level": copies.name}
    return Replicas(new, base, copies, col_map, row_map)


def _copy_blocks(base: Program, new: Program, copies: pd.Index, shared: set[str]) -> np.ndarray:
    """Add the blocks of ``base`` to ``new`` (copied or shared); the column map."""
    k = len(copies)
    col_map = np.empty((k, base.n_variables), dtype=_I)
    for b in base.blocks.values():
        local = np.arange(b.size, dtype=_I)
        if b.name in shared:
            blk = new.add_variables(
                b.name, b.labels, b.lower, b.upper, b.kind, b.description, b.unit, b.priority
            )
            col_map[:, b.columns] = blk.offset + local[None, :]
            continue
        blk = new.add_variables(
            b.name,
            with_level(copies, b.labels),
            np.tile(b.lower, k),
            np.tile(b.upper, k),
            b.kind,
            b.description,
            b.unit,
            b.priority,
        )
        col_map[:, b.columns] = blk.offset + (np.arange(k, dtype=_I)[:, None] * b.size) + local
    return col_map


def _copy_families(
    base: Program,
    new: Program,
    copies: pd.Index,
    col_map: np.ndarray,
    shared_families: set[str],
) -> np.ndarray:
    """Add the families of ``base`` to ``new`` (copied or shared); the row map."""
    k = len(copies)
    a = base.matrix()  # CSR: the rows of a family are one slice
    row_map = np.empty((k, base.n_constraints), dtype=_I)
    for f in base.families.values():
        lo, hi = a.indptr[f.offset], a.indptr[f.offset + f.size]
        r = np.repeat(
            np.arange(f.size, dtype=_I), np.diff(a.indptr[f.offset : f.offset + f.size + 1])
        )
        c = a.indices[lo:hi].astype(_I)
        v = a.data[lo:hi]
        local = np.arange(f.size, dtype=_I)
        if f.name in shared_families:
            if k > 1 and (col_map[1:, c] != col_map[0, c]).any():
                raise ProgramError(f"replicate: shared family {f.name!r} uses a copied block")
            fam = new.add_constraints(
                f.name, f.labels, r, col_map[0, c], v, f.sense_codes, f.rhs, f.description
            )
            row_map[:, f.rows] = fam.offset + local[None, :]
            continue
        which = np.repeat(np.arange(k, dtype=_I), len(r))
        fam = new.add_constraints(
            f.name,
            with_level(copies, f.labels),
            np.tile(r, k) + which * f.size,
            col_map[which, np.tile(c, k)],
            np.tile(v, k),
            np.tile(f.sense_codes, k),
            np.tile(f.rhs, k),
            f.description,
        )
        row_map[:, f.rows] = fam.offset + (np.arange(k, dtype=_I)[:, None] * f.size) + local
    return row_map
