"""Helpers that every writer of result directories shares (runs, stress tests): atomic
directories, stable CSV numbers, JSON-safe values and file digests."""

from __future__ import annotations

import errno
import hashlib
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["clean_floats", "json_safe", "sha256_file", "stable_floats", "write_atomically"]


def clean_floats(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with solver noise below 1e-9 rounded to 0, so that files are stable byte for
    byte."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            v = out[c].to_numpy(float)
            out[c] = np.where(np.abs(v) < 1e-9, 0.0, v)
    return out


JSON_DIGITS = 12  # significant digits of the floats in summary.json and report.json


def stable_floats(obj: object, digits: int = JSON_DIGITS) -> object:
    """A copy of nested dicts and lists with every float rounded to ``digits`` significant
    digits: a MILP solved with several threads may return a point that differs in the last
    bit between processes, which must not change a file byte for byte."""
    if isinstance(obj, dict):
        return {k: stable_floats(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [stable_floats(v, digits) for v in obj]
    if isinstance(obj, float) and math.isfinite(obj):
        return float(f"{obj:.{digits}g}")
    return obj


def json_safe(obj: object) -> object:
    """A copy of nested dicts and lists with NaN and infinities as None and numpy scalars as
    Python numbers (JSON has neither)."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _remove_stale_partials(parent: Path, name: str) -> None:
    """Remove ``.NAME.partial-PID`` directories left by writers that were killed."""
    for p in parent.glob(f".{name}.partial-*"):
        pid = p.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _claim(tmp: Path, directory: Path, unique: bool, error: type[Exception], what: str) -> Path:
    """Rename the finished ``tmp`` into place; with ``unique`` take the next free name."""
    for k in range(1, 1000 if unique else 2):
        target = directory if k == 1 else directory.with_name(f"{directory.name}-{k}")
        if target.exists():
            if not unique:
                raise error(f"{target}: exists already; choose another --out or remove it")
            continue
        try:
            os.rename(tmp, target)  # atomic; fails when another process took the name first
            return target
        except OSError as exc:
            if not (unique and exc.errno in (errno.EEXIST, errno.ENOTEMPTY)):
                raise
    raise error(f"{directory}: no free {what} directory name")  # pragma: no cover


def write_atomically(
    directory: Path,
    fill: Callable[[Path], None],
    error: type[Exception],
    unique: bool = False,
    what: str = "output",
) -> Path:
    """Write a directory so that it appears only when complete.

    ``fill(tmp)`` writes every file into a hidden sibling ``.NAME.partial-PID``, which is then
    renamed into place; a failure removes it, and partials left by killed writers of the same
    name are removed first. With ``unique`` a taken name (now, or claimed by another process
    at the same moment) makes the directory take ``NAME-2``, ``NAME-3``, ...; without it an
    existing directory is ``error``.

    Returns
    -------
    Path
        The directory written.
    """
    directory = Path(directory).resolve()
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"{parent}: cannot create the output directory ({exc.strerror})") from None
    _remove_stale_partials(parent, directory.name)
    tmp = parent / f".{directory.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
        fill(tmp)
        return _claim(tmp, directory, unique, error, what)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise error(f"{directory}: cannot write the {what} ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
