"""Small helpers shared by the family modules."""

from __future__ import annotations

import numpy as np

from formulations.expr import Expr


def fixed_at(e: Expr, value: float) -> np.ndarray:
    """True where expression ``e`` has no variable and its constant equals ``value``."""
    return ~e.has_terms() & np.isclose(e.const, value)


def free(e: Expr) -> np.ndarray:
    """True where ``e`` depends on a variable."""
    return e.has_terms()
