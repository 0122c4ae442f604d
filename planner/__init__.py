"""The coalition planner: which countries, which sector tiers and which sourcing shifts cut
dependency on autocracies the most for a given cost, and why.

Everything a user needs is here, imported lazily (PEP 562), so ``import planner`` stays fast::

    import planner

    outcome = planner.run("scenarios/default.toml")   # a scenario file end to end
    ds = planner.load_dataset()                       # or step by step
    model = planner.build_model(ds, planner.Scenario(name="mine"))
    result = planner.solve(model.program)
    it = planner.interpret(model, result)

The layers run one way, as packages: data (:mod:`planner.data`, :mod:`planner.scenario`) ->
formulations (:mod:`formulations`) -> solve (:mod:`planner.solver`) -> interpret
(:mod:`planner.interpreter`), with runs, verification, frontiers and sweeps on top.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("coalition-planner")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

# public name -> the module that defines it (each layer's own home)
_EXPORTS: dict[str, str] = {
    # errors
    "PlannerError": "planner.errors",
    # data
    "Dataset": "planner.data",
    "DataError": "planner.data",
    "load_dataset": "planner.data",
    "Scenario": "planner.scenario",
    "ScenarioError": "planner.scenario",
    "load_scenario": "planner.scenario",
    "ProductWorld": "planner.data.synthetic",
    "synthetic_products": "planner.data.synthetic",
    # formulations
    "Program": "formulations.program",
    "CoalitionModel": "formulations.model",
    "Plan": "formulations.model",
    "build_model": "formulations.problems",
    "sourcing_lp": "formulations.problems",
    "tier_milp": "formulations.problems",
    "coalition_milp": "formulations.problems",
    "joint_milp": "formulations.problems",
    # solve
    "solve": "planner.solver",
    "SolveOptions": "planner.solver",
    "SolveResult": "planner.solver",
    "SolveError": "planner.solver",
    "SolverNotAvailableError": "planner.solver",
    "SolverSession": "planner.solver",
    "Status": "planner.solver",
    "Diagnosis": "planner.solver",
    "available_backends": "planner.solver",
    "diagnose": "planner.solver",
    "solve_decomposed": "planner.solver",
    "solve_mckp": "planner.solver",
    # interpret
    "Interpretation": "planner.interpreter",
    "interpret": "planner.interpreter",
    "write_report": "planner.interpreter",
    "compare": "planner.interpreter",
    "marginal_contributions": "planner.interpreter",
    "shapley_values": "planner.interpreter",
    # runs, verification, frontiers, sweeps
    "RunOutcome": "planner.runs",
    "run": "planner.runs",
    "run_scenario": "planner.runs",
    "compare_runs": "planner.runs",
    "verify_run": "planner.verify",
    "frontier": "planner.frontiers",
    "run_sweep": "planner.sweep",
    "gallery": "planner.galleries",
    "product_tiers": "planner.product_level",
    "ProductTierResult": "planner.product_level",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
