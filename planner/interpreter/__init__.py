"""The interpreter: a solved model back into tables, metrics, explanations, reports and plots.

Reads the model's labels and the flow tables, never variable names::

    it = interpret(model, result)
    it.summary(); it.tables["membership"]; it.tables["shadow_prices"]
    write_report(it, "out/")
"""

from planner.interpreter.comparison import compare
from planner.interpreter.core import Interpretation, interpret
from planner.interpreter.explain import (
    binding_constraints,
    marginal_contributions,
    money_step,
    shadow_prices,
    shapley_values,
)
from planner.interpreter.metrics import dependency_index, pair_metrics
from planner.interpreter.report import html_report, markdown_report, summary_paragraph, write_report

__all__ = [
    "Interpretation",
    "binding_constraints",
    "compare",
    "dependency_index",
    "html_report",
    "interpret",
    "marginal_contributions",
    "markdown_report",
    "money_step",
    "pair_metrics",
    "shadow_prices",
    "shapley_values",
    "summary_paragraph",
    "write_report",
]
