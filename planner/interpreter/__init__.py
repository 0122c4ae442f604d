"""The interpreter: a solved model back into tables, metrics, explanations, reports and plots.

Reads the model's labels and the flow tables, never variable names::

    it = interpret(model, result)
    it.summary(); it.tables["membership"]; it.tables["shadow_prices"]
    write_report(it, "out/")
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> submodule; imported on first use (PEP 562), so that reading the metrics (as
# ``planner verify`` does) does not load the model builders
_EXPORTS = {
    "compare": "comparison",
    "Interpretation": "core",
    "interpret": "core",
    "binding_constraints": "explain",
    "diagnose_scenario": "explain",
    "explanation_sections": "explain",
    "explanations": "explain",
    "marginal_contributions": "explain",
    "money_step": "explain",
    "shadow_prices": "explain",
    "shapley_values": "explain",
    "dependency_index": "metrics",
    "pair_metrics": "metrics",
    "interpret_pathway": "pathway",
    "html_report": "report",
    "markdown_report": "report",
    "summary_paragraph": "report",
    "write_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner.interpreter' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"planner.interpreter.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
