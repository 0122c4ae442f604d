"""The CBC racer of backend ``auto`` (:mod:`planner.solver.race`), run as its own process.

``python -m planner.solver._cbc_leg TASK OUTCOME``: reads ``(arrays, options)`` from the
pickle TASK, solves with CBC through PuLP and writes the outcome to OUTCOME (first to a
temporary name, then renamed, so a killed racer never leaves half a file).
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Solve one task; exit 0 when the outcome file is written."""
    from planner.solver import pulp_backend

    task, out = Path(argv[0]), Path(argv[1])
    with task.open("rb") as fh:
        arrays, options = pickle.load(fh)
    outcome = pulp_backend.solve(arrays, options.with_(pulp_solver="PULP_CBC_CMD"))
    part = out.with_suffix(".part")
    with part.open("wb") as fh:
        pickle.dump(outcome, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
