"""Validation of dataset tables: every problem names the file, the column and the first rows.

Nothing is dropped or coerced silently: a value that does not parse, a code that is unknown, a
duplicate key, all become :class:`Issue` records; loading raises :class:`DataError` listing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.errors import PlannerError

__all__ = ["DataError", "Issue", "ValidationReport"]

ISO3_RE = re.compile(r"^[A-Z]{3}$")
MAX_ROWS_SHOWN = 3


@dataclass(frozen=True)
class Issue:
    """One problem in one column of one file."""

    file: str
    column: str
    problem: str
    rows: tuple = ()
    """Offending rows as (line number in a CSV file, or row position, value), the first few."""
    count: int = 0

    def __str__(self) -> str:
        unit = "line" if ".csv" in self.file else "row"
        shown = ", ".join(f"{unit} {ln}: {val!r}" for ln, val in self.rows)
        more = f" (and {self.count - len(self.rows)} more)" if self.count > len(self.rows) else ""
        where = f"; first offending rows: {shown}{more}" if shown else ""
        return f"{self.file}: column {self.column!r}: {self.problem}{where}"


class DataError(PlannerError, ValueError):
    """A dataset file is missing, unreadable or invalid; ``issues`` lists every problem.

    Parameters
    ----------
    issues : list of Issue, Issue or str
        Every problem found (each names its file, column and first offending rows), or one
        message.
    file, column : str
        The file and column of a single message.
    """

    prefix = "invalid dataset:\n"

    def __init__(self, issues: list[Issue] | Issue | str, file: str = "", column: str = ""):
        if isinstance(issues, str):
            issues = [Issue(file, column, issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues = list(issues)
        lines = [str(i) for i in self.issues[:10]]
        if len(self.issues) > 10:
            lines.append(f"... and {len(self.issues) - 10} more problems")
        super().__init__("\n".join(lines))

    @property
    def files(self) -> list[str]:
        """Files named by the issues."""
        return sorted({i.file for i in self.issues})

    @property
    def columns(self) -> list[str]:
        """Columns named by the issues."""
        return sorted({i.column for i in self.issues})


@dataclass
class ValidationReport:
    """Everything wrong with a dataset at once."""

    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no issue was found."""
        return not self.issues

    def add(
        self,
        file: str,
        column: str,
        problem: str,
        mask: np.ndarray | pd.Series | None = None,
        values: pd.Series | None = None,
    ) -> None:
        """Record a problem; ``mask`` marks offending rows of ``values`` (line numbers kept)."""
        rows: tuple = ()
        count = 0
        if mask is not None and values is not None:
            m = np.asarray(mask, dtype=bool)
            count = int(m.sum())
            if count == 0:
                return
            idx = np.flatnonzero(m)[:MAX_ROWS_SHOWN]
            # CSV: the file's line number (header on line 1); elsewhere the row position
            offset = 2 if ".csv" in file else 0
            rows = tuple((int(i) + offset, values.iloc[i]) for i in idx)
        self.issues.append(Issue(file, column, problem, rows, count))

    def extend(self, other: ValidationReport) -> None:
        """Add the issues of another report."""
        self.issues.extend(other.issues)

    def raise_if_any(self) -> None:
        """Raise :class:`DataError` listing every issue, if there is one."""
        if self.issues:
            raise DataError(self.issues)

    def __str__(self) -> str:
        if self.ok:
            return "dataset is valid"
        return f"{len(self.issues)} problem(s):\n" + "\n".join(f"- {i}" for i in self.issues)


def check_codes(
    report: ValidationReport, file: str, col: pd.Series, pattern: re.Pattern | None, what: str
) -> None:
    """Codes present, and matching ``pattern`` if given."""
    empty = col.isna() | (col.astype(str).str.strip() == "")
    report.add(file, col.name, f"missing {what}", empty, col)
    if pattern is not None:
        bad = ~empty & ~col.astype(str).str.match(pattern.pattern)
        report.add(
            file, col.name, f"{what} must be 3 upper-case letters (ISO 3166 alpha-3)", bad, col
        )


def check_numbers(
    report: ValidationReport,
    file: str,
    raw: pd.Series,
    *,
    low: float | None = None,
    high: float | None = None,
    required: bool = True,
) -> pd.Series:
    """Parse a text column as floats; record unparsable, missing, infinite, out-of-range cells."""
    if raw.dtype == float:
        nums = raw
    else:
        nums = pd.to_numeric(raw.astype(str).str.strip(), errors="coerce").astype(float)
    blank = raw.isna() | (raw.astype(str).str.strip().isin(["", "nan", "NaN"]))
    unparsable = nums.isna() & ~blank
    report.add(file, raw.name, "not a number", unparsable, raw)
    if required:
        report.add(file, raw.name, "missing value (empty or NaN)", blank, raw)
    report.add(file, raw.name, "infinite value", np.isinf(nums.to_numpy()), raw)
    if low is not None:
        report.add(file, raw.name, f"value below {low:g}", (nums < low).to_numpy(), raw)
    if high is not None:
        report.add(file, raw.name, f"value above {high:g}", (nums > high).to_numpy(), raw)
    return nums


def check_duplicates(
    report: ValidationReport, file: str, df: pd.DataFrame, keys: list[str]
) -> None:
    """Duplicate key rows."""
    dup = df.duplicated(subset=keys, keep="first").to_numpy()
    if dup.any():
        key = df[keys].astype(str).agg("/".join, axis=1)
        report.add(file, "+".join(keys), "duplicate key", dup, key)


def check_known(
    report: ValidationReport, file: str, col: pd.Series, known: set, where: str
) -> None:
    """Codes that are missing or not in a reference table."""
    missing = (col.isna() | (col.astype(str).str.strip().isin(["", "nan"]))).to_numpy()
    report.add(file, col.name, "missing code (empty cell)", missing, col)
    bad = ~col.isin(known).to_numpy() & ~missing
    report.add(file, col.name, f"code not in {where}", bad, col)
