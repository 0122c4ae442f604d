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
    strategic_leveraging,
    tier_rules,
)

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

__all__ = ["FAMILIES"]
