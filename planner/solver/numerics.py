"""What the solver is given: coefficient ranges, the objective scale, and the log's header.

Shared by :func:`planner.solver.solve` and :func:`planner.solver.solve_decomposed`; the
numbers end up in ``SolveResult.numerics`` and at the head of the solver log.
"""

from __future__ import annotations

import math

import numpy as np

from formulations.program import Program

__all__ = ["numerics_text", "objective_scale", "program_numerics"]


def program_numerics(program: Program, scale: float) -> dict:
    """Coefficient ranges of the program as built, and the objective scale applied.

    Parameters
    ----------
    program : formulations.program.Program
        The built program.
    scale : float
        The factor the objective is multiplied by before solving (see :func:`objective_scale`).

    Returns
    -------
    dict
        ``coefficient_ranges`` (per part ``matrix``, ``objective``, ``rhs``, ``bounds``: a
        dict of ``min_abs``, ``max_abs``, ``ratio``), ``worst_row_ratio`` (``ratio``,
        ``family``, ``label``) and ``objective_scale``.
    """
    ranges = program.coefficient_ranges()
    ratio, family, label = program.worst_row_ratio()
    return {
        "coefficient_ranges": {
            part: {k: float(v) for k, v in row.items()} for part, row in ranges.iterrows()
        },
        "worst_row_ratio": {"ratio": ratio, "family": family, "label": str(label)},
        "objective_scale": float(scale),
    }


def numerics_text(numerics: dict) -> str:
    """The log's header: what the solver is given.

    Parameters
    ----------
    numerics : dict
        As :func:`program_numerics` returns.

    Returns
    -------
    str
        A few lines, ending in a newline.
    """
    lines = ["planner: coefficient ranges of the program (absolute values)"]
    for part, r in numerics["coefficient_ranges"].items():
        lines.append(
            f"  {part:<9} [{r['min_abs']:.3g}, {r['max_abs']:.3g}]  ratio {r['ratio']:.3g}"
        )
    w = numerics["worst_row_ratio"]
    lines.append(
        f"  widest row: {w['family']} {w['label']} (ratio {w['ratio']:.3g}); objective scaled by "
        f"{numerics['objective_scale']:g}"
    )
    return "\n".join(lines) + "\n"


def objective_scale(c: np.ndarray) -> float:
    """A power of two that brings the largest objective coefficient into [0.5, 1).

    Solvers judge optimality with absolute tolerances (HiGHS: reduced costs below 1e-7 count
    as zero), so an objective such as a dependency share, whose coefficients are 1e-12 to
    1e-4 per USD mn, would look optimal almost anywhere. Scaling by a power of two is exact;
    objective, bound and duals are scaled back.

    Parameters
    ----------
    c : numpy.ndarray
        The objective's coefficients.

    Returns
    -------
    float
        1.0 when the largest absolute coefficient is 0 or within [1e-2, 1e3], else
        ``2 ** -ceil(log2(max |c|))``.
    """
    cmax = float(np.abs(c).max()) if len(c) else 0.0
    if cmax == 0.0 or 1e-2 <= cmax <= 1e3:
        return 1.0
    return float(2.0 ** -math.ceil(math.log2(cmax)))
