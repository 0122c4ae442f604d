"""Verification of a run directory: a registry of checks, one per constraint family.

:func:`verify_run` loads a :class:`VerifyContext` from the run's files once, then runs the
check of every active family (:data:`CHECKS`, keyed like the model's families) and the extra
checks (:data:`EXTRA_CHECKS`). Add a check with :func:`family_check` / :func:`extra_check`.
The public entry point is :mod:`planner.verify`.
"""

from planner.verification.api import verify_run
from planner.verification.context import VerifyContext, load_context
from planner.verification.registry import (
    CHECKS,
    EXTRA_CHECKS,
    Check,
    extra_check,
    family_check,
    ordered_checks,
)
from planner.verification.report import TOL, VerifyError, VerifyReport

__all__ = [
    "CHECKS",
    "EXTRA_CHECKS",
    "TOL",
    "Check",
    "VerifyContext",
    "VerifyError",
    "VerifyReport",
    "extra_check",
    "family_check",
    "load_context",
    "ordered_checks",
    "verify_run",
]
