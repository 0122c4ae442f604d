"""Constraint families of the model, one module per family.

Each module has ``NAME`` (its switch in ``[constraints]`` of a scenario, or the parameter that
turns it on) and ``add(builder)``, which adds the family's rows to ``builder.program``. The
order of :data:`FAMILIES` is the order they are added in (export controls first: capacity,
openness and participation read the exports it takes away).
"""

from formulations.families import (
    ally_shoring,
    budget,
    capacity,
    coalition_shape,
    coercion,
    demand,
    export_controls,
    indirect_exposure,
    keep_baseline,
    openness,
    participation,
    pathway_links,
    strategic_leveraging,
    tier_rules,
)
from formulations.families._util import Relaxation

#: switch name -> module, in build order. ``ally_shoring`` is switched by
#: ``parameters.ally_shoring``; ``capacity_investment`` adds the investment variables that
#: capacity and budget then use (see :mod:`formulations.builder`).
FAMILIES = {
    "export_controls": export_controls,
    "demand": demand,
    "keep_baseline": keep_baseline,
    "capacity": capacity,
    "ally_shoring": ally_shoring,
    "tier_rules": tier_rules,
    "budget": budget,
    "openness": openness,
    "coalition_shape": coalition_shape,
    "participation": participation,
    "coercion": coercion,
    "indirect_exposure": indirect_exposure,
    "strategic_leveraging": strategic_leveraging,
}

#: valid inequalities: rows implied by the model at every integer point (they change no
#: optimum, only tighten the LP relaxation), added by the families named in each row's name.
#: Not verified on their own (a plan meets them whenever it meets their family's rows);
#: ``program.without(VALID_INEQUALITIES)`` gives the plain model to compare with.
VALID_INEQUALITIES = ("tier_rules_cut_hull",)

#: linking families, added by the builders of models made of copies (not by ``build_model``):
#: name -> module with ``NAMES`` (its families) and ``add``; verified like the families
LINKING = {"pathway": pathway_links}

#: diagnosis: family name -> :class:`~formulations.families._util.Relaxation`, the policy row
#: families a diagnosis may offer to relax, with the scenario key behind each. Families not
#: listed (``one_role``, ``one_tier``, demand, capacity, tier rules, the rows that define a
#: variable) are structural and never offered.
RELAXATIONS: dict[str, Relaxation] = {
    name: relaxation
    for module in FAMILIES.values()
    for name, relaxation in getattr(module, "RELAXATIONS", {}).items()
}
RELAXATIONS["dependency_target"] = Relaxation(  # the row of objective.kind = "cost"
    "objective.target", "DI", "the dependency index"
)

__all__ = ["FAMILIES", "LINKING", "RELAXATIONS", "VALID_INEQUALITIES", "Relaxation"]
