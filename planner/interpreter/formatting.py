"""Numbers for people: the one place where the report and its tables turn values into text.

Rules (every report, table and figure label goes through them):

- plain decimals with thousands separators, never scientific notation;
- a value whose magnitude is below ``ZERO_RELATIVE`` (1e-9) of its scale (the largest
  magnitude of its column, or the number itself) is shown as ``0``, and ``-0`` never appears;
- money is held in USD mn and shown in USD bn from USD 1 bn up (:func:`usd`, :func:`money_unit`);
- shares are shown as per cent (:func:`percent`), changes of a share in percentage points.

Examples
--------
>>> number(1234567.891)
'1,234,568'
>>> number(0.000012345)
'0.0000123'
>>> usd(50000.0)
'USD 50.0 bn'
>>> percent(0.16958)
'17.0 %'
>>> plain_text("lowers it by 9.647e-05 (from 0.07715)")
'lowers it by 0.00009647 (from 0.07715)'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "ZERO_RELATIVE",
    "clean_relative",
    "money_unit",
    "number",
    "percent",
    "percentage_points",
    "plain_text",
    "scale_of",
    "usd",
]

#: magnitudes below this share of their scale are noise: shown (and stored) as 0
ZERO_RELATIVE = 1e-9
#: at most this many decimals, so that no number turns into a long run of zeros
MAX_DECIMALS = 12
#: a number in scientific notation, as Python's ``g`` format writes it
_SCIENTIFIC = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)[eE]([+-]?\d+)(?![\w])")


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def scale_of(values: Iterable[object]) -> float:
    """The largest finite magnitude among ``values`` (0 when there is none)."""
    if isinstance(values, (np.ndarray, pd.Series)) and np.issubdtype(values.dtype, np.number):
        arr = np.asarray(values, dtype=float)
    else:
        arr = np.asarray([float(v) for v in values if _is_number(v)], dtype=float)
    arr = np.abs(arr[np.isfinite(arr)])
    return float(arr.max()) if arr.size else 0.0


def number(
    value: float,
    scale: float | None = None,
    digits: int = 3,
    decimals: int | None = None,
) -> str:
    """A plain decimal with thousands separators and no exponent.

    Parameters
    ----------
    value : float
        The number.
    scale : float, optional
        The magnitude the value is read against (e.g. its column's largest); values below
        ``ZERO_RELATIVE * scale`` are shown as ``0``. By default the value's own magnitude,
        so only an exact zero is ``0``.
    digits : int
        Significant digits (integer digits are never dropped: 12,345 stays 12,345).
    decimals : int, optional
        A fixed number of decimals instead of ``digits`` significant ones.

    Returns
    -------
    str
        ``"n/a"`` for NaN, ``"inf"``/``"-inf"`` for infinities.
    """
    v = float(value)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    a = abs(v)
    ref = a if scale is None or not math.isfinite(scale) else max(abs(float(scale)), a)
    if a == 0.0 or a < ZERO_RELATIVE * ref:
        return "0"
    if decimals is None:
        decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    decimals = min(decimals, MAX_DECIMALS)
    text = f"{v:,.{decimals}f}"
    if float(text.replace(",", "")) == 0.0:  # rounded away at this precision
        return "0"
    return text


def money_unit(scale_mn: float) -> tuple[str, float]:
    """The unit a money column of this scale (USD mn) is shown in: ``("USD bn", 1000.0)`` from
    USD 1 bn up, else ``("USD mn", 1.0)``; divide the values by the second item."""
    return ("USD bn", 1000.0) if abs(scale_mn) >= 1000.0 else ("USD mn", 1.0)


def usd(value_mn: float, digits: int = 3) -> str:
    """Money held in USD mn, in words: ``USD 50.0 bn``, ``USD 350 mn``."""
    unit, div = money_unit(value_mn)
    return f"USD {number(value_mn / div, digits=digits)} {unit.split()[1]}"


def percent(share: float, decimals: int = 1, scale: float | None = None) -> str:
    """A share in [0, 1] as per cent: ``percent(0.1696, 2) == "16.96 %"``."""
    s = None if scale is None else scale * 100
    return f"{number(share * 100, scale=s, decimals=decimals)} %"


def percentage_points(change: float, digits: int = 3) -> str:
    """A change of a share, in percentage points (``0.00096 -> "0.0960 percentage points"``)."""
    return f"{number(change * 100, digits=digits)} percentage points"


def plain_text(text: str, digits: int = 4) -> str:
    """``text`` with every number in scientific notation rewritten as a plain decimal (the
    report's guarantee for sentences composed elsewhere)."""

    def repl(m: re.Match[str]) -> str:
        return number(float(m.group(0)), digits=digits)

    return _SCIENTIFIC.sub(repl, text)


def clean_relative(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose float columns have noise (below ``ZERO_RELATIVE`` of the column's largest
    magnitude) set to 0 and no negative zeros, so that files are stable byte for byte."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            v = out[c].to_numpy(float, copy=True)
            ref = scale_of(v)
            v[np.abs(v) < ZERO_RELATIVE * ref] = 0.0
            out[c] = v + 0.0  # -0.0 + 0.0 == +0.0
    return out
