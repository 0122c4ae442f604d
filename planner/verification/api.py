"""``verify_run``: load a run directory once, then run every active registered check."""

from __future__ import annotations

from pathlib import Path

from planner.verification import checks as _checks  # noqa: F401  (registers the checks)
from planner.verification import pathway as _pathway  # registers the pathway check
from planner.verification import robust as _robust  # noqa: F401  (the recourse checks)
from planner.verification.context import load_context
from planner.verification.registry import ordered_checks
from planner.verification.report import VerifyReport

__all__ = ["verify_run"]


def verify_run(directory: str | Path) -> VerifyReport:
    """Re-check a run directory from its own files, without the solver.

    Reads ``scenario.toml``, ``links.csv``, ``domestic.csv`` (+ ``partnerships.csv``,
    ``investment.csv``), ``countries.csv`` and ``sectors.csv``, reloads the dataset the
    manifest names, runs the check of every active constraint family (and the extra checks:
    no new adversary sourcing, the total cost and the dependency index against
    ``summary.json``).

    Parameters
    ----------
    directory : str or pathlib.Path
        A complete run directory.

    Returns
    -------
    VerifyReport
        The worst violation of each check; ``report.ok`` is the verdict.

    Raises
    ------
    VerifyError
        A required file is missing, the run has no solution, or the dataset's sha256 differs.
    """
    ctx = _pathway.last_phase(load_context(directory))
    report = VerifyReport()
    for check in ordered_checks():
        if check.active(ctx):
            check.run(ctx, report)
    return report
