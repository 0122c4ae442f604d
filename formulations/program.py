"""The solver-neutral program: labelled variable blocks, named constraint families, a sparse matrix.

A formulation builds a :class:`Program`; a solver backend reads its arrays; the interpreter maps
values back through the blocks' and families' labels. Nothing here knows about trade.

Variables are grouped in *blocks* (``f``, ``u``, ``y`` ...), each with a :class:`pandas.Index` of
labels (often a MultiIndex such as importer/exporter/sector) and a contiguous range of columns.
Constraints are grouped in *families* (``demand``, ``capacity`` ...), each with its own label index
and a contiguous range of rows. Builders add whole blocks and families at once from numpy index
arrays (COO triplets); :meth:`Program.matrix` assembles them into one ``scipy.sparse`` CSR matrix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner.errors import PlannerError

__all__ = [
    "SENSE_CODES",
    "ConstraintFamily",
    "Program",
    "ProgramError",
    "Sense",
    "VarKind",
    "VariableBlock",
    "constant_rows_fail",
    "row_bounds_from_senses",
]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ProgramError(PlannerError, ValueError):
    """A block, family or objective was given inconsistent data."""


class VarKind(StrEnum):
    """Domain of the variables of one block."""

    CONTINUOUS = "continuous"
    BINARY = "binary"
    INTEGER = "integer"


class Sense(StrEnum):
    """Sense of a constraint row: ``lhs <= rhs``, ``lhs == rhs`` or ``lhs >= rhs``."""

    LE = "<="
    EQ = "=="
    GE = ">="


SENSE_CODES: dict[Sense, int] = {Sense.LE: -1, Sense.EQ: 0, Sense.GE: 1}
"""Per-row sense codes kept in numpy arrays: -1 for ``<=``, 0 for ``==``, +1 for ``>=``."""
_SENSE_CODE = SENSE_CODES
_CODE_SENSE = {v: k for k, v in _SENSE_CODE.items()}


def row_bounds_from_senses(
    sense_codes: np.ndarray, rhs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Row activity bounds from sense codes and right-hand sides.

    Parameters
    ----------
    sense_codes : numpy.ndarray
        -1 for ``<=``, 0 for ``==``, +1 for ``>=`` per row.
    rhs : numpy.ndarray
        Right-hand side per row.

    Returns
    -------
    lower, upper : numpy.ndarray
        ``lower <= A x <= upper`` as solvers such as HiGHS take them (``-inf``/``inf`` for
        the open side of an inequality).
    """
    lower = np.where(sense_codes >= 0, rhs, -np.inf)
    upper = np.where(sense_codes <= 0, rhs, np.inf)
    return lower, upper


def constant_rows_fail(sense_codes: np.ndarray, rhs: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Which rows without variables cannot hold: ``0 <sense> rhs`` is false.

    Parameters
    ----------
    sense_codes : numpy.ndarray
        -1 for ``<=``, 0 for ``==``, +1 for ``>=`` per row (broadcast against ``rhs``).
    rhs : numpy.ndarray
        Right-hand side per row (constants of the left-hand side already moved over).
    tol : float
        Relative tolerance: a row fails when it misses by more than ``tol * (1 + |rhs|)``.

    Returns
    -------
    numpy.ndarray
        Boolean mask, True where the constant row fails.
    """
    rhs = np.asarray(rhs, dtype=float)
    sense_codes = np.broadcast_to(np.asarray(sense_codes), rhs.shape)
    t = tol * (1.0 + np.abs(rhs))
    return (
        ((sense_codes < 0) & (rhs < -t))
        | ((sense_codes > 0) & (rhs > t))
        | ((sense_codes == 0) & (np.abs(rhs) > t))
    )


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ProgramError(
            f"{kind} name {name!r} is not valid: "
            "use letters, digits and '_', starting with a letter"
        )


def _check_new_name(kind: str, name: str, existing: dict[str, object]) -> None:
    """A valid name that ``existing`` does not hold yet (ProgramError otherwise)."""
    _check_name(kind, name)
    if name in existing:
        raise ProgramError(f"{kind} {name!r} exists already")


def _to_index(labels: pd.Index | Sequence | int) -> pd.Index:
    if isinstance(labels, pd.Index):
        return labels
    if isinstance(labels, (int, np.integer)):
        return pd.RangeIndex(int(labels))
    items = list(labels)
    if items and isinstance(items[0], tuple):
        return pd.MultiIndex.from_tuples(items)
    return pd.Index(items)


def _as_index(labels: pd.Index | Sequence | int, what: str) -> pd.Index:
    """Labels as a unique pandas Index (ProgramError naming duplicates otherwise)."""
    index = _to_index(labels)
    if not index.is_unique:
        dup = index[index.duplicated()][:3].tolist()
        raise ProgramError(f"{what}: labels must be unique; duplicated: {dup}")
    return index


def _broadcast(value: float | np.ndarray | Sequence[float], n: int, what: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ProgramError(
            f"{what}: expected a scalar or an array of length {n}, got shape {arr.shape}"
        )
    return arr.copy()


@dataclass(frozen=True, eq=False)
class _LabelledRange:
    """A named, contiguous range of columns or rows, one label each, starting at ``offset``."""

    name: str
    labels: pd.Index
    offset: int

    @property
    def size(self) -> int:
        """Number of labels (variables of a block, rows of a family)."""
        return len(self.labels)

    def _positions(self) -> np.ndarray:
        return np.arange(self.offset, self.offset + self.size, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class VariableBlock(_LabelledRange):
    """A named block of variables with one label per column.

    Made by :meth:`Program.add_variables`; its columns are ``offset .. offset + size - 1``.

    Attributes
    ----------
    name : str
        Block name, e.g. ``"f"`` (letters, digits and ``_``, starting with a letter; unique
        in its program).
    labels : pandas.Index
        One label per variable (a MultiIndex for tuples such as importer, exporter, sector).
    offset : int
        Column of the block's first variable in the program.
    lower, upper : numpy.ndarray
        Bounds (``-inf``/``inf`` for none).
    kind : VarKind
        Continuous, binary or integer.
    description, unit : str
        Plain-language meaning and unit, carried to result tables.
    priority : int
        Branching priority of an integer block: a branch-and-bound that honours priorities
        (backend ``branch_bound``) branches on a fractional variable of the highest priority
        present first. Solver-neutral; 0 for every block unless the formulation says otherwise.
    """

    lower: np.ndarray
    upper: np.ndarray
    kind: VarKind
    description: str = ""
    unit: str = ""
    priority: int = 0

    @property
    def columns(self) -> np.ndarray:
        """Global column indices of the block, in label order."""
        return self._positions()

    def locate(self, labels: pd.Index | Sequence) -> np.ndarray:
        """Global columns of the given labels.

        Parameters
        ----------
        labels : pandas.Index or sequence
            Labels of this block (tuples for a MultiIndex block).

        Returns
        -------
        numpy.ndarray
            Column indices, in the order given.

        Raises
        ------
        KeyError
            If a label is not in the block; the message names the first missing labels.
        """
        wanted = _to_index(labels)
        pos = self.labels.get_indexer(wanted)
        if (pos < 0).any():
            missing = list(wanted[pos < 0][:3])
            raise KeyError(f"block {self.name!r} has no variable labelled {missing}")
        return pos.astype(np.int64) + self.offset


@dataclass(frozen=True, eq=False)
class ConstraintFamily(_LabelledRange):
    """A named family of constraint rows with one label per row.

    Attributes
    ----------
    name : str
        Family name, e.g. ``"demand"``.
    labels : pandas.Index
        One label per row.
    offset : int
        Row of the family's first constraint in the program.
    sense_codes : numpy.ndarray
        -1 for ``<=``, 0 for ``==``, +1 for ``>=`` per row.
    rhs : numpy.ndarray
        Right-hand side per row.
    description : str
        Plain-language meaning (used in explanations).
    """

    sense_codes: np.ndarray
    rhs: np.ndarray
    description: str = ""

    @property
    def rows(self) -> np.ndarray:
        """Global row indices of the family, in label order."""
        return self._positions()

    def senses(self) -> list[Sense]:
        """Sense of each row as :class:`Sense` values."""
        return [_CODE_SENSE[int(c)] for c in self.sense_codes]


@dataclass
class _Triplets:
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


@dataclass
class Objective:
    """A linear objective ``sense  c·x + constant``."""

    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    coefs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sense: str = "min"
    constant: float = 0.0
    name: str = "objective"


class Program:
    """A linear or mixed-integer program in solver-neutral form.

    Build it with :meth:`add_variables`, :meth:`add_constraints` and :meth:`set_objective`;
    users may add further families to a built program before solving it.

    Parameters
    ----------
    name : str
        Name of the program (used in exported files and logs).
    """

    def __init__(self, name: str = "program") -> None:
        self.name = name
        self._blocks: dict[str, VariableBlock] = {}
        self._families: dict[str, ConstraintFamily] = {}
        self._triplets: dict[str, _Triplets] = {}
        self._n_cols = 0
        self._n_rows = 0
        self.objective = Objective()
        self._matrix_cache: sp.csr_matrix | None = None
        self.build_seconds: float = 0.0
        self.metadata: dict[str, object] = {}

    # ------------------------------------------------------------------ structure
    @property
    def blocks(self) -> dict[str, VariableBlock]:
        """Variable blocks by name, in column order."""
        return dict(self._blocks)

    @property
    def families(self) -> dict[str, ConstraintFamily]:
        """Constraint families by name, in row order."""
        return dict(self._families)

    @property
    def n_variables(self) -> int:
        """Number of columns."""
        return self._n_cols

    @property
    def n_constraints(self) -> int:
        """Number of rows."""
        return self._n_rows

    @property
    def nnz(self) -> int:
        """Number of stored non-zeros of the constraint matrix."""
        return int(self.matrix().nnz)

    @property
    def is_mip(self) -> bool:
        """True if any block is binary or integer."""
        return any(b.kind is not VarKind.CONTINUOUS for b in self._blocks.values())

    def block(self, name: str) -> VariableBlock:
        """The variable block called ``name`` (KeyError naming the known blocks otherwise)."""
        try:
            return self._blocks[name]
        except KeyError:
            raise KeyError(f"no variable block {name!r}; blocks: {list(self._blocks)}") from None

    def family(self, name: str) -> ConstraintFamily:
        """The constraint family called ``name`` (KeyError naming the known families otherwise)."""
        try:
            return self._families[name]
        except KeyError:
            raise KeyError(
                f"no constraint family {name!r}; families: {list(self._families)}"
            ) from None

    # ------------------------------------------------------------------ building
    def add_variables(
        self,
        name: str,
        labels: pd.Index | Sequence | int,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        kind: VarKind | str = VarKind.CONTINUOUS,
        description: str = "",
        unit: str = "",
        priority: int = 0,
    ) -> VariableBlock:
        """Add a block of variables, one per label.

        Parameters
        ----------
        name : str
            Block name (letters, digits, ``_``), unique in the program.
        labels : pandas.Index, sequence or int
            One label per variable; an int ``n`` means labels ``0..n-1``.
        lower, upper : float or array
            Bounds, scalar or one per label. Binary blocks are clipped to [0, 1].
        kind : VarKind or str
            ``"continuous"``, ``"binary"`` or ``"integer"``.
        description, unit : str
            Meaning and unit of the variables.
        priority : int
            Branching priority (:attr:`VariableBlock.priority`): higher branches first.

        Returns
        -------
        VariableBlock
        """
        _check_new_name("variable block", name, self._blocks)
        kind = VarKind(kind)
        index = _as_index(labels, f"variable block {name!r}")
        n = len(index)
        lo = _broadcast(lower, n, f"variable block {name!r} lower")
        up = _broadcast(upper, n, f"variable block {name!r} upper")
        if kind is VarKind.BINARY:
            lo = np.maximum(lo, 0.0)
            up = np.minimum(up, 1.0)
        if np.isnan(lo).any() or np.isnan(up).any():
            raise ProgramError(f"variable block {name!r}: bounds contain NaN")
        bad = lo > up
        if bad.any():
            first = list(index[bad][:3])
            raise ProgramError(f"variable block {name!r}: lower > upper for {first}")
        block = VariableBlock(
            name, index, self._n_cols, lo, up, kind, description, unit, int(priority)
        )
        self._blocks[name] = block
        self._n_cols += n
        self._matrix_cache = None
        return block

    def add_constraints(
        self,
        name: str,
        labels: pd.Index | Sequence | int,
        rows: np.ndarray,
        cols: np.ndarray,
        coefs: np.ndarray | float,
        sense: Sense | str | np.ndarray,
        rhs: float | np.ndarray,
        description: str = "",
    ) -> ConstraintFamily:
        """Add a family of rows from COO triplets.

        Parameters
        ----------
        name : str
            Family name, unique in the program.
        labels : pandas.Index, sequence or int
            One label per row.
        rows : array of int
            Row of each coefficient, *local* to the family (0 .. len(labels)-1).
        cols : array of int
            Global column of each coefficient (see :meth:`VariableBlock.locate`,
            :attr:`VariableBlock.columns`). Duplicated (row, col) pairs are summed.
        coefs : array of float or float
            Coefficient values.
        sense : Sense, str or array
            ``"<="``, ``"=="`` or ``">="``, for all rows or one per row.
        rhs : float or array
            Right-hand side, scalar or one per row.
        description : str
            Plain-language meaning of the family.

        Returns
        -------
        ConstraintFamily
        """
        _check_new_name("constraint family", name, self._families)
        index = _as_index(labels, f"constraint family {name!r}")
        n = len(index)
        r = np.asarray(rows, dtype=np.int64).ravel()
        c = np.asarray(cols, dtype=np.int64).ravel()
        v = (
            _broadcast(coefs, len(r), f"constraint family {name!r} coefs")
            if np.ndim(coefs) == 0
            else np.asarray(coefs, dtype=float).ravel()
        )
        if not (len(r) == len(c) == len(v)):
            raise ProgramError(
                f"constraint family {name!r}: rows, cols and coefs differ in length "
                f"({len(r)}, {len(c)}, {len(v)})"
            )
        if len(r) and (r.min() < 0 or r.max() >= n):
            raise ProgramError(f"constraint family {name!r}: a row index is outside 0..{n - 1}")
        if len(c) and (c.min() < 0 or c.max() >= self._n_cols):
            raise ProgramError(
                f"constraint family {name!r}: a column index is outside 0..{self._n_cols - 1}"
            )
        if not np.isfinite(v).all():
            raise ProgramError(f"constraint family {name!r}: coefficients must be finite")
        b = _broadcast(rhs, n, f"constraint family {name!r} rhs")
        if not np.isfinite(b).all():
            raise ProgramError(f"constraint family {name!r}: right-hand sides must be finite")
        codes = self._sense_codes(sense, n, name)
        fam = ConstraintFamily(name, index, self._n_rows, codes, b, description)
        self._families[name] = fam
        self._triplets[name] = _Triplets(r + self._n_rows, c, v)
        self._n_rows += n
        self._matrix_cache = None
        return fam

    @staticmethod
    def _sense_codes(sense: Sense | str | np.ndarray, n: int, name: str) -> np.ndarray:
        if isinstance(sense, (str, Sense)):
            try:
                code = _SENSE_CODE[Sense(sense)]
            except ValueError:
                raise ProgramError(
                    f"constraint family {name!r}: sense {sense!r} is not one of <=, ==, >="
                ) from None
            return np.full(n, code, dtype=np.int8)
        arr = np.asarray(sense)
        if arr.shape != (n,):
            raise ProgramError(f"constraint family {name!r}: expected {n} senses")
        if arr.dtype.kind in "iu":
            if not np.isin(arr, (-1, 0, 1)).all():
                raise ProgramError(f"constraint family {name!r}: sense codes must be -1, 0 or 1")
            return arr.astype(np.int8)
        try:
            return np.array([_SENSE_CODE[Sense(s)] for s in arr], dtype=np.int8)
        except ValueError:
            raise ProgramError(f"constraint family {name!r}: senses must be <=, == or >=") from None

    def set_objective(
        self,
        cols: np.ndarray,
        coefs: np.ndarray | float,
        sense: str = "min",
        constant: float = 0.0,
        name: str = "objective",
    ) -> None:
        """Set the linear objective.

        Parameters
        ----------
        cols : array of int
            Global columns with a cost; duplicates are summed.
        coefs : array of float or float
            Cost of each listed column.
        sense : {"min", "max"}
            Direction of optimization.
        constant : float
            Constant added to the objective value.
        name : str
            What the objective measures (for reports).
        """
        if sense not in ("min", "max"):
            raise ProgramError(f"objective sense {sense!r} is not 'min' or 'max'")
        c = np.asarray(cols, dtype=np.int64).ravel()
        v = (
            np.full(len(c), float(coefs))
            if np.ndim(coefs) == 0
            else np.asarray(coefs, dtype=float).ravel()
        )
        if len(c) != len(v):
            raise ProgramError("objective: cols and coefs differ in length")
        if len(c) and (c.min() < 0 or c.max() >= self._n_cols):
            raise ProgramError("objective: a column index is outside the program")
        if not np.isfinite(v).all() or not np.isfinite(constant):
            raise ProgramError("objective: coefficients must be finite")
        self.objective = Objective(c, v, sense, float(constant), name)

    def set_rhs(self, name: str, rhs: float | np.ndarray) -> None:
        """Change the right-hand side of family ``name`` in place (the matrix is kept).

        Used to re-solve a built program for another target (frontier points, sweeps).
        """
        fam = self.family(name)
        b = _broadcast(rhs, fam.size, f"constraint family {name!r} rhs")
        if not np.isfinite(b).all():
            raise ProgramError(f"constraint family {name!r}: right-hand sides must be finite")
        fam.rhs[:] = b

    # ------------------------------------------------------------------ arrays for solvers
    def matrix(self) -> sp.csr_matrix:
        """The constraint matrix as CSR (rows = constraints, columns = variables)."""
        if self._matrix_cache is None:
            parts = list(self._triplets.values())
            total = sum(len(p.vals) for p in parts)
            # 32-bit indices when they fit: half the memory traffic of the assembly
            idx = np.int32 if max(self._n_rows, self._n_cols, total) < 2**31 - 1 else np.int64
            r = np.empty(total, dtype=idx)
            c = np.empty(total, dtype=idx)
            v = np.empty(total)
            at = 0
            for p in parts:
                k = len(p.vals)
                r[at : at + k] = p.rows
                c[at : at + k] = p.cols
                v[at : at + k] = p.vals
                at += k
            m = sp.coo_matrix((v, (r, c)), shape=(self._n_rows, self._n_cols)).tocsr()
            m.sum_duplicates()
            m.eliminate_zeros()
            self._matrix_cache = m
        return self._matrix_cache

    def objective_vector(self) -> np.ndarray:
        """Dense cost vector ``c`` (length :attr:`n_variables`)."""
        return np.bincount(
            self.objective.cols, weights=self.objective.coefs, minlength=self._n_cols
        ).astype(float)

    def col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of all columns."""
        if not self._blocks:
            return np.zeros(0), np.zeros(0)
        lo = np.concatenate([b.lower for b in self._blocks.values()])
        up = np.concatenate([b.upper for b in self._blocks.values()])
        return lo, up

    def integrality(self) -> np.ndarray:
        """1 for integer/binary columns, 0 for continuous ones."""
        if not self._blocks:
            return np.zeros(0, dtype=np.int8)
        return np.concatenate(
            [
                np.full(b.size, 0 if b.kind is VarKind.CONTINUOUS else 1, dtype=np.int8)
                for b in self._blocks.values()
            ]
        )

    def branch_priority(self) -> np.ndarray:
        """Branching priority of every column (:attr:`VariableBlock.priority`)."""
        if not self._blocks:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(
            [np.full(b.size, b.priority, dtype=np.int64) for b in self._blocks.values()]
        )

    def sense_codes(self) -> np.ndarray:
        """Sense code of every row (-1 ``<=``, 0 ``==``, +1 ``>=``)."""
        if not self._families:
            return np.zeros(0, dtype=np.int8)
        return np.concatenate([f.sense_codes for f in self._families.values()])

    def rhs(self) -> np.ndarray:
        """Right-hand side of every row."""
        if not self._families:
            return np.zeros(0)
        return np.concatenate([f.rhs for f in self._families.values()])

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Row activity bounds ``(lower, upper)`` as solvers such as HiGHS take them."""
        return row_bounds_from_senses(self.sense_codes(), self.rhs())

    # ------------------------------------------------------------------ mapping back
    def column_owner(self, cols: np.ndarray | Iterable[int]) -> pd.DataFrame:
        """Block name and label of each given column (no name parsing)."""
        return self._owner(
            np.asarray(list(cols) if not isinstance(cols, np.ndarray) else cols, dtype=np.int64),
            self._blocks,
            "block",
        )

    def row_owner(self, rows: np.ndarray | Iterable[int]) -> pd.DataFrame:
        """Family name and label of each given row (no name parsing)."""
        return self._owner(
            np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64),
            self._families,
            "family",
        )

    @staticmethod
    def _owner(idx: np.ndarray, groups: dict, what: str) -> pd.DataFrame:
        items = list(groups.values())
        offsets = np.array([g.offset for g in items], dtype=np.int64)
        which = np.searchsorted(offsets, idx, side="right") - 1
        names = [items[w].name for w in which]
        labels = [items[w].labels[i - items[w].offset] for w, i in zip(which, idx, strict=True)]
        return pd.DataFrame({what: names, "label": labels, "position": idx})

    def split(self, x: np.ndarray, by: str = "blocks") -> dict[str, pd.Series]:
        """Split a full column (or row) vector into labelled Series by block (or family).

        Parameters
        ----------
        x : numpy.ndarray
            Vector of length :attr:`n_variables` (``by="blocks"``) or :attr:`n_constraints`
            (``by="families"``).
        by : {"blocks", "families"}

        Returns
        -------
        dict of str to pandas.Series
            One Series per block/family, indexed by its labels and named after it.
        """
        groups = self._blocks if by == "blocks" else self._families
        expected = self._n_cols if by == "blocks" else self._n_rows
        if len(x) != expected:
            raise ProgramError(f"split: expected a vector of length {expected}, got {len(x)}")
        return {
            name: pd.Series(x[g.offset : g.offset + g.size], index=g.labels, name=name)
            for name, g in groups.items()
        }

    # ------------------------------------------------------------------ checks
    def activity(self, x: np.ndarray) -> np.ndarray:
        """Row activities ``A x``."""
        return self.matrix() @ np.asarray(x, dtype=float)

    def objective_value(self, x: np.ndarray) -> float:
        """Objective value of a full column vector (constant included)."""
        return float(self.objective_vector() @ x + self.objective.constant)

    def violations(self, x: np.ndarray) -> pd.DataFrame:
        """Worst violation of every constraint family and of the variable bounds at ``x``.

        Returns
        -------
        pandas.DataFrame
            Indexed by family/block name with columns ``kind`` (family, bounds or
            integrality), ``max_violation`` (absolute), ``max_relative`` (violation divided
            by ``1 + |rhs|`` or ``1 + |bound|``) and ``worst_label``.
        """
        x = np.asarray(x, dtype=float)
        act = self.activity(x)
        lo, up = self.row_bounds()
        row_abs = np.maximum(np.maximum(lo - act, act - up), 0.0)
        row_rel = row_abs / (1.0 + np.abs(self.rhs()))
        clo, cup = self.col_bounds()
        col_abs = np.maximum(np.maximum(clo - x, x - cup), 0.0)
        scale = 1.0 + np.abs(np.where(x < clo, clo, np.where(x > cup, cup, 0.0)))
        col_rel = col_abs / scale
        int_abs = np.where(self.integrality().astype(bool), np.abs(x - np.round(x)), 0.0)
        records = []

        def add(name: str, kind: str, ab: np.ndarray, rel: np.ndarray, labels: pd.Index) -> None:
            if len(ab) == 0:
                records.append((name, kind, 0.0, 0.0, None))
                return
            k = int(np.argmax(rel))
            records.append((name, kind, float(ab.max()), float(rel[k]), labels[k]))

        for name, fam in self._families.items():
            sl = slice(fam.offset, fam.offset + fam.size)
            add(name, "family", row_abs[sl], row_rel[sl], fam.labels)
        for name, blk in self._blocks.items():
            sl = slice(blk.offset, blk.offset + blk.size)
            add(name, "bounds", col_abs[sl], col_rel[sl], blk.labels)
            if blk.kind is not VarKind.CONTINUOUS:
                add(name, "integrality", int_abs[sl], int_abs[sl], blk.labels)
        return pd.DataFrame(
            records, columns=["name", "kind", "max_violation", "max_relative", "worst_label"]
        ).set_index("name")

    def coefficient_ranges(self) -> pd.DataFrame:
        """Smallest and largest absolute non-zero of matrix, objective, rhs and finite bounds.

        A ratio far above 1e6 warns of a badly scaled model.
        """

        def rng(a: np.ndarray) -> tuple[float, float]:
            a = np.abs(a[np.isfinite(a)])
            a = a[a > 0]
            return (float(a.min()), float(a.max())) if len(a) else (np.nan, np.nan)

        lo, up = self.col_bounds()
        rows = {
            "matrix": rng(self.matrix().data),
            "objective": rng(self.objective_vector()),
            "rhs": rng(self.rhs()),
            "bounds": rng(np.concatenate([lo, up])),
        }
        df = pd.DataFrame(rows, index=["min_abs", "max_abs"]).T
        df["ratio"] = df["max_abs"] / df["min_abs"]
        return df

    def worst_row_ratio(self) -> tuple[float, str, object]:
        """The largest ratio of largest to smallest absolute coefficient within one row.

        Row scaling (which every solver does) cannot shrink it, so it is the range that
        matters for the solver's numerics. Returns ``(ratio, family, label)``; ``(1.0, "",
        None)`` for a program without coefficients.
        """
        a = self.matrix()
        lengths = np.diff(a.indptr)
        nonempty = np.flatnonzero(lengths > 0)
        if len(nonempty) == 0:
            return 1.0, "", None
        v = np.abs(a.data)
        starts = a.indptr[:-1][nonempty]
        hi = np.maximum.reduceat(v, starts)
        lo = np.minimum.reduceat(v, starts)
        ratio = hi / lo
        k = int(np.argmax(ratio))
        owner = self.row_owner(nonempty[k : k + 1])
        return float(ratio[k]), str(owner["family"].iloc[0]), owner["label"].iloc[0]

    def summary(self) -> pd.DataFrame:
        """Sizes of every block and family (a quick look at the model)."""
        nnz_by_family = {name: int(np.count_nonzero(t.vals)) for name, t in self._triplets.items()}
        recs = [
            ("block", b.name, b.size, b.kind.value, 0, b.description) for b in self._blocks.values()
        ] + [
            ("family", f.name, f.size, "rows", nnz_by_family[f.name], f.description)
            for f in self._families.values()
        ]
        return pd.DataFrame(recs, columns=["part", "name", "size", "kind", "nnz", "description"])

    # ------------------------------------------------------------------ copies and export
    def copy(self) -> Program:
        """A structural copy sharing no mutable state (arrays are copied)."""
        return self._rebuilt(set())

    def without(self, families: Iterable[str]) -> Program:
        """A copy without the named constraint families (names not in the program are
        ignored): e.g. the same program without its valid inequalities, to measure them."""
        kept = self._rebuilt(set(families))
        kept.build_seconds = self.build_seconds
        return kept

    def _rebuilt(self, drop: set[str]) -> Program:
        """A new program with the same blocks, objective and metadata and every family not in
        ``drop`` (arrays copied)."""
        new = Program(self.name)
        for b in self._blocks.values():
            new.add_variables(
                b.name, b.labels, b.lower, b.upper, b.kind, b.description, b.unit, b.priority
            )
        for f in self._families.values():
            if f.name in drop:
                continue
            t = self._triplets[f.name]
            new.add_constraints(
                f.name,
                f.labels,
                t.rows - f.offset,
                t.cols,
                t.vals.copy(),
                f.sense_codes.copy(),
                f.rhs.copy(),
                f.description,
            )
        o = self.objective
        new.set_objective(o.cols.copy(), o.coefs.copy(), o.sense, o.constant, o.name)
        new.metadata = dict(self.metadata)
        return new

    def column_names(self) -> list[str]:
        """Solver-file column names ``<block>_<position>`` (never parsed back)."""
        return [f"{b.name}_{i}" for b in self._blocks.values() for i in range(b.size)]

    def row_names(self) -> list[str]:
        """Solver-file row names ``<family>_<position>`` (never parsed back)."""
        return [f"{f.name}_{i}" for f in self._families.values() for i in range(f.size)]

    def write(self, path: str | Path) -> Path:
        """Export the program to an MPS (``.mps``) or LP (``.lp``) file.

        Names are ``<block>_<position>`` and ``<family>_<position>``; use
        :meth:`column_owner` / :meth:`row_owner` to map them to labels.

        Parameters
        ----------
        path : str or pathlib.Path
            Target file; its suffix chooses the format.

        Returns
        -------
        pathlib.Path
        """
        from formulations._export import write_program

        return write_program(self, Path(path))

    def __repr__(self) -> str:
        kind = "MILP" if self.is_mip else "LP"
        return (
            f"<Program {self.name!r} {kind}: {self.n_variables} variables in "
            f"{len(self._blocks)} blocks, {self.n_constraints} rows in {len(self._families)} "
            f"families, {self.nnz} non-zeros>"
        )
