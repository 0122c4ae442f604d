"""The model's constant sets live in formulations.sets and agree with their users."""

from __future__ import annotations

import formulations.instance as instance_module
from formulations import sets
from formulations.builder import SYMBOLS


def test_tiers_and_codes():
    assert sets.TIERS == ("restricted", "incentivized", "open")
    assert [sets.TIERS[k] for k in (sets.RESTRICTED, sets.INCENTIVIZED, sets.OPEN)] == list(
        sets.TIERS
    )


def test_instance_reexports_the_tier_codes():
    for name in ("RESTRICTED", "INCENTIVIZED", "OPEN"):
        assert getattr(instance_module, name) == getattr(sets, name)


def test_symbol_k_names_the_set():
    module, _, name = SYMBOLS["K"].rpartition(".")
    assert module == "formulations.sets"
    assert getattr(sets, name) == sets.TIERS


def test_roles():
    assert sets.ROLES == ("member", "associate", "outside", "adversary")
