"""Writers for the standard MPS (free format) and CPLEX LP file formats.

Pure Python over numpy arrays, so the formulations stay solver-neutral. Names are
``<block>_<position>`` / ``<family>_<position>``; labels are never encoded in them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from formulations.program import Program


def _fmt(x: float) -> str:
    return repr(float(x))


def write_program(program: Program, path: Path) -> Path:
    """Write ``program`` to ``path`` in the format given by its suffix (.mps or .lp)."""
    suffix = path.suffix.lower()
    if suffix == ".mps":
        text = _mps_text(program)
    elif suffix == ".lp":
        text = _lp_text(program)
    else:
        raise ValueError(f"cannot export to {path.name!r}: use a .mps or .lp file name")
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="ascii")
    tmp.replace(path)
    return path


def _mps_text(p: Program) -> str:
    cols = p.column_names()
    rows = p.row_names()
    codes = p.sense_codes()
    rhs = p.rhs()
    c = p.objective_vector()
    a = p.matrix().tocsc()
    integ = p.integrality()
    lo, up = p.col_bounds()
    out: list[str] = [f"NAME {p.name.replace(' ', '_')}"]
    if p.objective.sense == "max":
        out += ["OBJSENSE", "    MAX"]
    out.append("ROWS")
    out.append(" N  OBJ")
    letter = {-1: "L", 0: "E", 1: "G"}
    out += [f" {letter[int(k)]}  {n}" for k, n in zip(codes, rows, strict=True)]
    out.append("COLUMNS")
    in_int = False
    marker = 0
    for j, name in enumerate(cols):
        if integ[j] and not in_int:
            out.append(f"    MARKER{marker} 'MARKER' 'INTORG'")
            in_int, marker = True, marker + 1
        elif not integ[j] and in_int:
            out.append(f"    MARKER{marker} 'MARKER' 'INTEND'")
            in_int, marker = False, marker + 1
        start, end = a.indptr[j], a.indptr[j + 1]
        entries = [f"    {name} OBJ {_fmt(c[j])}"] if c[j] != 0 else []
        entries += [
            f"    {name} {rows[i]} {_fmt(v)}"
            for i, v in zip(a.indices[start:end], a.data[start:end], strict=True)
        ]
        if not entries:  # keep every column in the file
            entries = [f"    {name} OBJ 0.0"]
        out += entries
    if in_int:
        out.append(f"    MARKER{marker} 'MARKER' 'INTEND'")
    out.append("RHS")
    if p.objective.constant:
        # MPS convention: the RHS of the objective row is minus the constant.
        out.append(f"    RHS OBJ {_fmt(-p.objective.constant)}")
    out += [f"    RHS {rows[i]} {_fmt(rhs[i])}" for i in np.flatnonzero(rhs)]
    out.append("BOUNDS")
    for j, name in enumerate(cols):
        lj, uj = lo[j], up[j]
        if lj == uj:
            out.append(f" FX BND {name} {_fmt(lj)}")
            continue
        if np.isneginf(lj):
            out.append(f" MI BND {name}")
        elif lj != 0 or integ[j]:
            out.append(f" LO BND {name} {_fmt(lj)}")
        if np.isfinite(uj):
            out.append(f" UP BND {name} {_fmt(uj)}")
        elif integ[j]:
            out.append(f" PL BND {name}")
    out.append("ENDATA")
    return "\n".join(out) + "\n"


def _terms(names: list[str], idx: np.ndarray, vals: np.ndarray) -> str:
    """``a x + b y - c z`` for the given columns; the caller handles an empty list."""
    text = " ".join(
        f"{'-' if v < 0 else '+'} {_fmt(abs(v))} {names[i]}" for i, v in zip(idx, vals, strict=True)
    )
    return text[2:] if text.startswith("+ ") else text


def _lp_text(p: Program) -> str:
    cols = p.column_names()
    rows = p.row_names()
    c = p.objective_vector()
    nz = np.flatnonzero(c)
    out = ["\\ " + p.name, "Maximize" if p.objective.sense == "max" else "Minimize"]
    obj = _terms(cols, nz, c[nz]) if len(nz) else f"0 {cols[0]}" if cols else "0"
    if p.objective.constant:
        obj += (
            f" + {_fmt(p.objective.constant)}"
            if p.objective.constant > 0
            else (f" - {_fmt(-p.objective.constant)}")
        )
    out.append(f" obj: {obj}")
    out.append("Subject To")
    a = p.matrix()
    codes = p.sense_codes()
    rhs = p.rhs()
    op = {-1: "<=", 0: "=", 1: ">="}
    for i, name in enumerate(rows):
        s, e = a.indptr[i], a.indptr[i + 1]
        lhs = _terms(cols, a.indices[s:e], a.data[s:e]) if e > s else f"0 {cols[0]}"
        out.append(f" {name}: {lhs} {op[int(codes[i])]} {_fmt(rhs[i])}")
    lo, up = p.col_bounds()
    integ = p.integrality()
    out.append("Bounds")
    for j, name in enumerate(cols):
        lj, uj = lo[j], up[j]
        if lj == uj:
            out.append(f" {name} = {_fmt(lj)}")
        elif np.isneginf(lj) and np.isposinf(uj):
            out.append(f" {name} free")
        else:
            left = "-inf" if np.isneginf(lj) else _fmt(lj)
            right = "+inf" if np.isposinf(uj) else _fmt(uj)
            out.append(f" {left} <= {name} <= {right}")
    ints = [cols[j] for j in np.flatnonzero(integ)]
    if ints:
        out.append("General")
        out += [f" {n}" for n in ints]
    out.append("End")
    return "\n".join(out) + "\n"
