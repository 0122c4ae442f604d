"""The registry of checks: one per constraint family of the model, plus a few extra checks.

:data:`CHECKS` is keyed exactly like the model's constraint families (the switch names of
``[constraints]``, and ``ally_shoring``); :data:`EXTRA_CHECKS` holds the checks that belong to
no family (bounds, and agreement with ``summary.json``). A check is registered with
:func:`family_check` or :func:`extra_check`; :func:`ordered_checks` lists them in registration
order, which is the order of the report's rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from planner.verification.context import VerifyContext
from planner.verification.report import VerifyReport

__all__ = [
    "CHECKS",
    "EXTRA_CHECKS",
    "Check",
    "CheckFunction",
    "extra_check",
    "family_check",
    "ordered_checks",
]

#: ``check(ctx, report)``: adds the family's rows to the report
CheckFunction = Callable[[VerifyContext, VerifyReport], None]

_order = itertools.count()


def _always(ctx: VerifyContext) -> bool:
    return True


@dataclass(frozen=True)
class Check:
    """One registered check.

    Attributes
    ----------
    name : str
        The family (or extra check) it verifies.
    run : CheckFunction
        ``run(ctx, report)`` adds its rows to the report.
    active : callable
        ``active(ctx)``: whether the check applies to this run (the family is switched on).
    order : int
        Registration order; the report lists rows in this order.
    """

    name: str
    run: CheckFunction
    active: Callable[[VerifyContext], bool]
    order: int


#: family name -> its check (keys: the model's constraint families)
CHECKS: dict[str, Check] = {}
#: name -> checks outside the families, run whatever the switches
EXTRA_CHECKS: dict[str, Check] = {}


def _switch(name: str) -> Callable[[VerifyContext], bool]:
    def active(ctx: VerifyContext) -> bool:
        return bool(getattr(ctx.switches, name))

    return active


def family_check(
    name: str, active: Callable[[VerifyContext], bool] | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``check_<family>(ctx, report)`` as the check of family ``name``.

    Parameters
    ----------
    name : str
        The family, as the model names it.
    active : callable, optional
        ``active(ctx) -> bool``; by default the switch ``[constraints].<name>``.

    Returns
    -------
    callable
        The decorator (returns the function unchanged).
    """

    def register(fn: CheckFunction) -> CheckFunction:
        if name in CHECKS:
            raise ValueError(f"a check for family {name!r} is registered already")
        CHECKS[name] = Check(name, fn, active or _switch(name), next(_order))
        return fn

    return register


def extra_check(
    name: str, active: Callable[[VerifyContext], bool] | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check that belongs to no family (by default it always runs).

    Parameters
    ----------
    name : str
        The name of its row in the report.
    active : callable, optional
        ``active(ctx) -> bool``; by default always.

    Returns
    -------
    callable
        The decorator (returns the function unchanged).
    """

    def register(fn: CheckFunction) -> CheckFunction:
        if name in EXTRA_CHECKS:
            raise ValueError(f"an extra check {name!r} is registered already")
        EXTRA_CHECKS[name] = Check(name, fn, active or _always, next(_order))
        return fn

    return register


def ordered_checks() -> list[Check]:
    """Every registered check (families and extras) in registration order.

    Returns
    -------
    list of Check
    """
    return sorted([*CHECKS.values(), *EXTRA_CHECKS.values()], key=lambda c: c.order)
