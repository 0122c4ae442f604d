"""``planner verify RUN_DIR``: check a run's solution from its own files, without the solver.

Reads scenario.toml, links.csv, domestic.csv (+ partnerships.csv, investment.csv),
countries.csv and sectors.csv, reloads the dataset the manifest names (its sha256 must match),
and re-checks every active constraint family of the model with pandas, then recomputes the
dependency index and compares it with summary.json. Each family reports its worst violation
(USD mn, or shares); anything above the tolerance fails the run.

The checks live in :mod:`planner.verification` (one registered check per family).
"""

from __future__ import annotations

from planner.verification import TOL, VerifyError, VerifyReport, verify_run

__all__ = ["TOL", "VerifyError", "VerifyReport", "verify_run"]
