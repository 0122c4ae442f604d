"""Small helpers shared by the family modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from formulations.expr import Expr


def fixed_at(e: Expr, value: float) -> np.ndarray:
    """True where expression ``e`` has no variable and its constant equals ``value``."""
    return ~e.has_terms() & np.isclose(e.const, value)


def free(e: Expr) -> np.ndarray:
    """True where ``e`` depends on a variable."""
    return e.has_terms()


@dataclass(frozen=True)
class Relaxation:
    """Diagnosis metadata of a *policy* row family: the scenario key that relaxes it.

    A family listed in a module's ``RELAXATIONS`` (keyed by the family's name) may be offered
    to the user as a relaxation; every other family (``one_role``, ``one_tier``, demand, the
    rows that define a variable) is structural and never is.

    Attributes
    ----------
    key : str
        The dotted scenario key to change (``"coalition.max_size"``).
    unit : str
        Unit of the key's value (``"members"``, ``"USD mn"``, ``"share of GDP"``).
    what : str
        What the rows require, in words (``"the number of members"``).
    scale : float or callable, optional
        Row units per unit of the key: relaxing a row's right-hand side by ``d`` moves the key
        by ``d / scale``. A callable takes ``(instance, labels)`` (the family's row labels) and
        returns one scale per row. None when the key is a switch (``constraints.*``), whose
        rows have no single value that would hold: the report then names the switch and the
        amount in ``unit``.
    integer : bool
        The key counts something (round the needed value outward).
    """

    key: str
    unit: str
    what: str
    scale: float | Callable[[Any, Any], np.ndarray] | None = 1.0
    integer: bool = False

    def scales(self, instance: Any, labels: Any) -> np.ndarray | None:
        """Row units per unit of the key, one per row label (None for a switch)."""
        if self.scale is None:
            return None
        if callable(self.scale):
            return np.asarray(self.scale(instance, labels), dtype=float)
        return np.full(len(labels), float(self.scale))
