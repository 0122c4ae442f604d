"""The verdict of ``planner verify``: the report, its error, the tolerance and two helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.errors import PlannerError

__all__ = ["TOL", "VerifyError", "VerifyReport", "group_sum", "worst"]

TOL = 1e-5  # relative to 1 + |right-hand side|


class VerifyError(PlannerError, ValueError):
    """The run directory is incomplete or unreadable (names the file)."""


@dataclass
class VerifyReport:
    """Worst violation per family (absolute and relative to 1 + |rhs|), and the verdict."""

    rows: list[dict] = field(default_factory=list)

    def add(self, family: str, violation: float, scale: float = 0.0, where: object = "") -> None:
        """Record the worst violation of one family (negative values count as 0).

        Parameters
        ----------
        family : str
            The row's name in the report (a family or one of its parts).
        violation : float
            The worst violation, in the family's unit (USD mn, shares, counts).
        scale : float, optional
            The right-hand side it is measured against: ``relative = v / (1 + |scale|)``.
        where : object, optional
            The label of the worst row (shown with ``str``).
        """
        v = max(float(violation), 0.0)
        self.rows.append(
            {"family": family, "worst": v, "relative": v / (1.0 + abs(scale)), "at": str(where)}
        )

    @property
    def table(self) -> pd.DataFrame:
        """One row per check: ``family``, ``worst``, ``relative``, ``at``."""
        return pd.DataFrame(self.rows, columns=["family", "worst", "relative", "at"])

    @property
    def ok(self) -> bool:
        """True when every relative violation is within :data:`TOL`."""
        return bool((self.table["relative"] <= TOL).all())

    def __str__(self) -> str:
        lines = [f"{'family':<28} {'worst violation':>16}  at"]
        for r in self.rows:
            mark = "ok" if r["relative"] <= TOL else "FAIL"
            lines.append(f"{r['family']:<28} {r['worst']:>16.3g}  {r['at']}  {mark}")
        lines.append("verdict: " + ("ok" if self.ok else "FAILED"))
        return "\n".join(lines)


def worst(values: pd.Series, scale: pd.Series | float = 0.0) -> tuple[float, float, object]:
    """The largest violation relative to ``1 + |scale|``.

    Parameters
    ----------
    values : pandas.Series
        Violations (positive where violated), indexed by row label.
    scale : pandas.Series or float, optional
        Right-hand sides, aligned by position (same length) or by label, or one number.

    Returns
    -------
    tuple of (float, float, object)
        The violation, its scale and its label (``""`` when nothing is violated or empty);
        ready for ``VerifyReport.add(family, *worst(...))``.
    """
    if not len(values):
        return 0.0, 0.0, ""
    v = values.to_numpy(float)
    if isinstance(scale, pd.Series):
        sc = (
            scale.to_numpy(float)
            if len(scale) == len(values)
            else (scale.reindex(values.index).fillna(0.0).to_numpy(float))
        )
    else:
        sc = np.full(len(v), float(scale))
    k = int(np.argmax(v / (1.0 + np.abs(sc))))
    return float(v[k]), float(sc[k]), (values.index[k] if v[k] > 0 else "")


def group_sum(df: pd.DataFrame | None, keys: list[str], col: str = "optimized") -> pd.Series:
    """Sum of ``col`` by ``keys``; an empty Series with the named index when there is nothing.

    Parameters
    ----------
    df : pandas.DataFrame or None
        A run table (None when the optional file is absent).
    keys : list of str
        The columns to group by.
    col : str, optional
        The column to sum.

    Returns
    -------
    pandas.Series
        Indexed by ``keys``.
    """
    if df is None or not len(df):
        empty = pd.MultiIndex.from_arrays([[] for _ in keys], names=keys)
        return pd.Series(0.0, index=empty)[:0]
    return df.groupby(keys)[col].sum()
