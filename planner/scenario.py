"""Scenario objects: the keys and defaults of the scenario file format as typed dataclasses.

``Scenario.from_dict`` checks every key (unknown keys, wrong types and out-of-range values are
:class:`ScenarioError` naming the key and the source); ``Scenario.to_dict`` gives the fully
resolved scenario with every default filled in. Reading TOML files lives with the CLI work.
"""

from __future__ import annotations

import json
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import PlannerError

if TYPE_CHECKING:
    from planner.data.dataset import Dataset

__all__ = [
    "CoalitionConfig",
    "ConstraintSwitches",
    "DataConfig",
    "ObjectiveConfig",
    "Parameters",
    "PathwayConfig",
    "RobustnessConfig",
    "Scenario",
    "ScenarioError",
    "SectorsConfig",
    "SolverConfig",
    "field_type",
    "load_scenario",
    "load_scenario_dataset",
    "parse_value",
    "phase_scenario",
    "scenario_to_toml",
]


class ScenarioError(PlannerError, ValueError):
    """A scenario key is unknown, of the wrong type or out of range; names key and source.

    Parameters
    ----------
    key : str
        The dotted key (``parameters.budget``), ``*`` for the whole file.
    problem : str
        What is wrong with it, in words.
    source : str
        Where the value came from: the file's path, ``overrides`` or ``command line``.
    """

    prefix = "bad scenario: "

    def __init__(self, key: str, problem: str, source: str = "scenario"):
        self.key, self.problem, self.source = key, problem, source
        super().__init__(f"{source}: key '{key}': {problem}")


@dataclass
class DataConfig:
    """``[data]``: which dataset."""

    path: str = "default"


@dataclass
class CoalitionConfig:
    """``[coalition]``: adversaries, anchors, candidates and the coalition's shape."""

    adversaries: list[str] = field(default_factory=lambda: ["CHN", "RUS"])
    anchors: list[str] = field(default_factory=lambda: ["USA"])
    candidates: str | list[str] = "all"
    focal: str | list[str] = "candidates"
    full_threshold: float = 0.6
    associate_threshold: float = 0.3
    choose_members: bool = True
    members: list[str] = field(default_factory=list)
    associates: list[str] = field(default_factory=list)
    min_size: int = 1
    max_size: int = 100
    min_gdp_share: float = 0.0


@dataclass
class SectorsConfig:
    """``[sectors]``: tiers fixed or chosen."""

    choose_tiers: bool = True
    tiers: dict[str, str] = field(default_factory=dict)
    max_restricted: int = 50
    # added key: sectors where adversary-linked partnerships are allowed (strategic leveraging)
    leveraging: list[str] = field(default_factory=list)


@dataclass
class Parameters:
    """``[parameters]``: the model's assumptions (the model's symbols in the comments)."""

    headroom: float = 0.25  # h_s
    capacity_basis: str = "exports"
    reshoring_cost: float = 0.5  # rho_s
    budget: float = 50000.0  # B, USD mn
    max_volume_drop: float = 0.05  # delta
    min_open_share: float = 0.5  # tau
    incentivized_cut: float = 0.5  # r_inc
    restricted_residual: float = 0.0  # epsilon
    barrier_cut: float = 0.0  # beta
    coercion_cover: float = 1.0  # rho_cov
    participation_margin: float = 0.2  # alpha
    top_k_new_suppliers: int = 0
    ally_shoring: bool = True
    # keys added by this project to the original scenario format (additions only)
    investment_cost: float = 0.3  # kappa_s, cost per USD of pooled new capacity
    burden_sharing: bool = False  # each full member's own cost <= its GDP share of B
    leveraging_share: float = 0.3  # lambda: share of a0 partnerships may replace
    leveraging_cost: float = 0.2  # cost per USD of partnership supply (licence, joint venture)
    # which adversary exposure the objective (and the indirect-exposure rows) measure:
    # "auto" effective first-order content when constraints.indirect_exposure is on, else
    # direct (the original rule); "direct"; "first_order" (sigma, same-sector transshipment);
    # "look_through" (lambda, adversary value added through every tier of the network)
    exposure: str = "auto"


@dataclass
class ConstraintSwitches:
    """``[constraints]``: each constraint family of the model on or off."""

    demand: bool = True
    keep_baseline: bool = True
    capacity: bool = True
    tier_rules: bool = True
    export_controls: bool = False
    budget: bool = True
    openness: bool = True
    coalition_shape: bool = True
    participation: bool = False
    coercion: bool = False
    indirect_exposure: bool = False
    capacity_investment: bool = False
    strategic_leveraging: bool = False  # added key: adversary-linked partnerships


@dataclass
class ObjectiveConfig:
    """``[objective]``: what the plan optimizes (``kind``) and its target or frontier points."""

    kind: str = "dependency"
    target: float = 0.05
    points: int = 11
    # added key: weight of total cost / B next to dependency (a tie-break among equal-DI plans)
    cost_tiebreak: float = 1e-6


@dataclass
class SolverConfig:
    """``[solver]``: the backend, its limits and options (solver settings, not model ones)."""

    # the planner's branch and bound over HiGHS LPs (an LP goes to HiGHS): the fastest on every
    # shipped scenario, the same optima (benchmarks/milp_speed.py --sections engines)
    backend: str = "branch_bound"
    pulp_solver: str = "PULP_CBC_CMD"
    time_limit: float = 600.0
    mip_gap: float = 1e-4
    threads: int = 2
    random_seed: int = 0
    # added key: fail (instead of warn) when the solver's point violates a row or bound by
    # more than the feasibility tolerance
    strict: bool = False
    # added key: ``[solver.options]``, options passed through to the solver by its own names
    # (HiGHS option names, the PuLP solver's options, scipy's method options)
    options: dict[str, bool | int | float | str] = field(default_factory=dict)
    # added key: solve a sourcing LP (membership and tiers fixed) by Dantzig-Wolfe, one block
    # per group of sectors, the cross-sector rows (budget, volume, participation ...) linking
    decompose: bool = False


@dataclass
class PathwayConfig:
    """``[pathway]``: phased accession (added section; no ``phases``: a single-phase run).

    Phase ``p``'s plan is a complete plan (what earlier phases bought stays bought), so it may
    cost at most the budgets of phases ``1..p`` together.
    """

    phases: list[str] = field(default_factory=list)
    # money added in each phase (USD mn); empty: parameters.budget in the first phase
    budget: list[float] = field(default_factory=list)
    # accessions (countries entering the coalition) negotiable in each phase; empty: unlimited
    max_new_members: list[int] = field(default_factory=list)
    # weight of each phase's DI (or cost) in the objective, normalized; empty: equal
    weights: list[float] = field(default_factory=list)
    # phase -> countries that join as full members in exactly that phase
    fixed: dict[str, list[str]] = field(default_factory=dict)
    # phase -> countries that join as associates in exactly that phase
    fixed_associates: dict[str, list[str]] = field(default_factory=dict)
    upgrades: bool = True  # an associate may become a full member in a later phase
    tiers: str = "monotone"  # "monotone" (open -> incentivized -> restricted) or "fixed"
    # DI target of each phase for objective.kind = "cost"; empty: objective.target in each
    targets: list[float] = field(default_factory=list)
    # also solve the free order (no fixed accessions) under the same budgets and limits
    compare_free_order: bool = False

    @property
    def enabled(self) -> bool:
        """Whether the scenario is a pathway (it lists phases)."""
        return bool(self.phases)

    def cumulative_budgets(self, budget: float) -> list[float]:
        """What phase ``p``'s plan may cost: the budgets of phases ``1..p`` together
        (``budget``, the single-phase budget, all in the first phase when none are given)."""
        per = self.budget or [budget] + [0.0] * (len(self.phases) - 1)
        return [float(sum(per[: k + 1])) for k in range(len(per))]

    def phase_weights(self) -> list[float]:
        """The objective weight of each phase, summing to 1 (equal when none are given)."""
        w = self.weights or [1.0] * len(self.phases)
        total = float(sum(w))
        return [float(v) / total for v in w]

    def phase_targets(self, target: float) -> list[float]:
        """The DI target of each phase (``target`` in each when none are given)."""
        return [float(v) for v in self.targets] if self.targets else [target] * len(self.phases)


@dataclass
class RobustnessConfig:
    """``[robustness]`` (added section): plans that survive members' exits.

    Off while ``defectors`` is empty. ``defectors`` is a list of ISO3 codes, ``"anchors"`` or
    ``"members"`` (every country that may be in the coalition); every set of ``k`` of them is
    an exit scenario. ``probabilities`` (a list in scenario order, or a table keyed by the
    scenario's name, e.g. ``"USA+JPN"``) weigh the scenarios for ``expected`` and ``cvar``
    (uniform when empty).
    """

    defectors: str | list[str] = field(default_factory=list)
    k: int = 1
    mode: str = "worst_case"
    probabilities: list[float] | dict[str, float] = field(default_factory=list)
    alpha: float = 0.9
    weight: float = 1.0
    method: str = "auto"

    @property
    def active(self) -> bool:
        """Whether the scenario asks for a robust plan (``defectors`` given)."""
        return bool(self.defectors)


_SECTIONS = {
    "data": DataConfig,
    "coalition": CoalitionConfig,
    "sectors": SectorsConfig,
    "parameters": Parameters,
    "constraints": ConstraintSwitches,
    "objective": ObjectiveConfig,
    "solver": SolverConfig,
    "pathway": PathwayConfig,
    "robustness": RobustnessConfig,
}

# key -> (low, high, inclusive-high) for numbers; choices for strings
_RANGES: dict[str, tuple[float, float]] = {
    "coalition.full_threshold": (0.0, 1.0),
    "coalition.associate_threshold": (0.0, 1.0),
    "coalition.min_size": (0, math.inf),
    "coalition.max_size": (1, math.inf),
    "coalition.min_gdp_share": (0.0, 1.0),
    "sectors.max_restricted": (0, math.inf),
    "parameters.headroom": (0.0, math.inf),
    "parameters.reshoring_cost": (0.0, math.inf),
    "parameters.budget": (0.0, math.inf),
    "parameters.max_volume_drop": (0.0, 1.0),
    "parameters.min_open_share": (0.0, 1.0),
    "parameters.incentivized_cut": (0.0, 1.0),
    "parameters.restricted_residual": (0.0, 1.0),
    "parameters.barrier_cut": (0.0, 1.0),
    "parameters.coercion_cover": (0.0, math.inf),
    "parameters.participation_margin": (0.0, math.inf),
    "parameters.top_k_new_suppliers": (0, math.inf),
    "parameters.investment_cost": (0.0, math.inf),
    "parameters.leveraging_share": (0.0, 1.0),
    "parameters.leveraging_cost": (0.0, math.inf),
    "objective.target": (0.0, 1.0),
    "objective.points": (2, 1000),
    "objective.cost_tiebreak": (0.0, 1.0),
    "solver.time_limit": (1e-9, math.inf),
    "solver.mip_gap": (0.0, 1.0),
    "solver.threads": (1, 1024),
    "solver.random_seed": (0, math.inf),
    "robustness.k": (0, math.inf),
    "robustness.weight": (0.0, math.inf),
}
#: the solver backends a scenario (and the CLI's ``--backend``) may name: the keys of
#: planner.solver.BACKENDS, which this layer does not import (tests/test_house.py ties them)
BACKEND_CHOICES = ("highs", "scipy", "pulp", "auto", "branch_bound")
_CHOICES: dict[str, tuple[str, ...]] = {
    "parameters.capacity_basis": ("exports", "output"),
    "parameters.exposure": ("auto", "direct", "first_order", "look_through"),
    "objective.kind": ("dependency", "minimax", "cost", "frontier"),
    "solver.backend": BACKEND_CHOICES,
    "pathway.tiers": ("monotone", "fixed"),
    "robustness.mode": ("worst_case", "expected", "cvar"),
    "robustness.method": ("auto", "extensive", "decomposition"),
}
# the tier names a scenario file may use; the same words as the model's set K
# (formulations.sets.TIERS, which this layer does not import; tests/test_house.py ties them)
TIER_CHOICES = ("restricted", "incentivized", "open")


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_type(value: Any, tp: Any, key: str, source: str) -> Any:
    """Check ``value`` against a dataclass field type; ints are accepted for floats."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arm in typing.get_args(tp):
            try:
                return _check_type(value, arm, key, source)
            except ScenarioError as exc:
                errors.append(exc.problem)
        raise ScenarioError(key, " or ".join(errors), source)
    if origin is list:
        (inner,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ScenarioError(
                key, f"expected a list, got {type(value).__name__} {value!r}", source
            )
        return [_check_type(v, inner, f"{key}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        kt, vt = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ScenarioError(key, f"expected a table, got {type(value).__name__}", source)
        return {
            _check_type(k, kt, key, source): _check_type(v, vt, f"{key}.{k}", source)
            for k, v in value.items()
        }
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(key, f"expected true or false, got {value!r}", source)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(key, f"expected an integer, got {value!r}", source)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(key, f"expected a number, got {value!r}", source)
        if not math.isfinite(value):
            raise ScenarioError(key, f"expected a finite number, got {value!r}", source)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(key, f"expected a string, got {value!r}", source)
        return value
    raise ScenarioError(key, f"unsupported type {_type_name(tp)}", source)  # pragma: no cover


def field_type(key: str, source: str = "scenario") -> Any:
    """The type of the scenario key ``section.name`` (:class:`ScenarioError` if unknown)."""
    section, _, name = key.partition(".")
    klass = _SECTIONS.get(section)
    if klass is None or name not in {f.name for f in fields(klass)}:
        raise ScenarioError(key, "unknown scenario key", source)
    return typing.get_type_hints(klass)[name]


def parse_value(key: str, text: str, source: str = "command line") -> Any:
    """A command-line string for the scenario key ``key``, typed and checked like a file value.

    ``"true"``/``"false"`` for booleans, numbers for numeric keys, ``a;b;c`` for lists.

    Raises
    ------
    ScenarioError
        Naming ``key`` when it is unknown or the text is not a value of its type.
    """
    tp = field_type(key, source)
    value: Any = text
    try:
        if tp is bool:
            value = {"true": True, "false": False}.get(text.lower(), text)
        elif tp is int:
            value = int(text)
        elif tp is float:
            value = float(text)
        elif typing.get_origin(tp) is list:
            value = [t for t in text.split(";") if t]
    except ValueError:
        value = text
    return _check_type(value, tp, key, source)


def _apply_overrides(d: dict[str, Any], overrides: dict[str, Any] | None, source: str) -> None:
    """Set dotted keys (``"solver.backend"``) in a nested scenario dict, in place."""
    for key, value in (overrides or {}).items():
        if key in ("name", "description"):
            d[key] = value
            continue
        field_type(key, source)
        section, _, name = key.partition(".")
        d.setdefault(section, {})
        if not isinstance(d[section], dict):
            raise ScenarioError(section, "expected a table of keys", source)
        d[section][name] = value


@dataclass
class Scenario:
    """A complete scenario; every section has the model's defaults.

    Build one with keyword sections, from a dict (:meth:`from_dict`) or a TOML file
    (:func:`load_scenario`); change keys with :meth:`with_overrides`. Every value is checked
    on construction (:meth:`check`).

    Attributes
    ----------
    name : str
        Names the scenario and its run directories (required, not empty).
    description : str
        Free text.
    data, coalition, sectors, parameters, constraints, objective, solver
        One dataclass per scenario section (``[data]``, ``[coalition]``, ...); the scenario
        reference lists every key, its type, default and allowed values.

    Examples
    --------
    >>> sc = Scenario(name="mine").with_overrides({"parameters.budget": 20000.0})
    >>> sc.parameters.budget
    20000.0
    """

    name: str
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    coalition: CoalitionConfig = field(default_factory=CoalitionConfig)
    sectors: SectorsConfig = field(default_factory=SectorsConfig)
    parameters: Parameters = field(default_factory=Parameters)
    constraints: ConstraintSwitches = field(default_factory=ConstraintSwitches)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    solver: SolverConfig = field(default_factory=SolverConfig)
    pathway: PathwayConfig = field(default_factory=PathwayConfig)
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)

    def __post_init__(self) -> None:
        self.check()

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "scenario") -> Scenario:
        """Build a scenario from a nested dict (as ``tomllib`` returns), checking every key.

        Raises
        ------
        ScenarioError
            Naming the key (``section.key``) and ``source`` for an unknown key, a wrong type or
            an out-of-range value.
        """
        if not isinstance(d, dict):
            raise ScenarioError("*", "a scenario must be a table of keys", source)
        known_top = {"name", "description", *_SECTIONS}
        for key in d:
            if key not in known_top:
                raise ScenarioError(key, f"unknown key; known: {sorted(known_top)}", source)
        if "name" not in d:
            raise ScenarioError("name", "required key is missing", source)
        name = _check_type(d["name"], str, "name", source)
        if not name.strip():
            raise ScenarioError("name", "must not be empty", source)
        kwargs: dict[str, Any] = {
            "name": name,
            "description": _check_type(d.get("description", ""), str, "description", source),
        }
        for section, klass in _SECTIONS.items():
            values = d.get(section, {})
            if not isinstance(values, dict):
                raise ScenarioError(section, "expected a table of keys", source)
            hints = typing.get_type_hints(klass)
            names = {f.name for f in fields(klass)}
            for key in values:
                if key not in names:
                    raise ScenarioError(
                        f"{section}.{key}", f"unknown key; known: {sorted(names)}", source
                    )
            checked = {
                k: _check_type(v, hints[k], f"{section}.{k}", source) for k, v in values.items()
            }
            kwargs[section] = klass(**checked)
        try:
            return cls(**kwargs)
        except ScenarioError as exc:
            raise ScenarioError(exc.key, exc.problem, source) from None

    def check(self, source: str = "scenario") -> None:
        """Check ranges, choices and cross-key rules (ScenarioError naming the key)."""
        for dotted, (low, high) in _RANGES.items():
            section, key = dotted.split(".")
            v = getattr(getattr(self, section), key)
            if not (low <= v <= high):
                raise ScenarioError(dotted, f"value {v!r} is outside [{low}, {high}]", source)
        for dotted, choices in _CHOICES.items():
            section, key = dotted.split(".")
            v = getattr(getattr(self, section), key)
            if v not in choices:
                raise ScenarioError(dotted, f"{v!r} is not one of {list(choices)}", source)
        if self.solver.backend == "auto" and self.solver.options:
            raise ScenarioError(
                "solver.options",
                f"backend 'auto' races HiGHS and CBC and takes no raw solver options (got "
                f"{sorted(self.solver.options)}); pin solver.backend to use them",
                source,
            )
        c = self.coalition
        if c.associate_threshold > c.full_threshold:
            raise ScenarioError(
                "coalition.associate_threshold",
                f"{c.associate_threshold} is above full_threshold {c.full_threshold}",
                source,
            )
        if c.min_size > c.max_size:
            raise ScenarioError(
                "coalition.min_size", f"{c.min_size} > max_size {c.max_size}", source
            )
        if isinstance(c.candidates, str) and c.candidates != "all":
            raise ScenarioError(
                "coalition.candidates", "expected 'all' or a list of ISO3 codes", source
            )
        if isinstance(c.candidates, list) and not c.candidates:
            raise ScenarioError(
                "coalition.candidates",
                "is empty: no country could join; list ISO3 codes or write 'all'",
                source,
            )
        if isinstance(c.focal, str) and c.focal != "candidates":
            raise ScenarioError(
                "coalition.focal", "expected 'candidates' or a list of ISO3 codes", source
            )
        clash = sorted(set(c.adversaries) & (set(c.anchors) | set(c.members) | set(c.associates)))
        if clash:
            raise ScenarioError(
                "coalition.anchors",
                f"adversaries {clash} cannot be anchors, members or associates",
                source,
            )
        both = sorted(set(c.members) & set(c.associates))
        if both:
            raise ScenarioError("coalition.associates", f"{both} listed as members too", source)
        for sector, tier in self.sectors.tiers.items():
            if tier not in TIER_CHOICES:
                raise ScenarioError(
                    f"sectors.tiers.{sector}",
                    f"{tier!r} is not one of {list(TIER_CHOICES)}",
                    source,
                )
        _check_robustness(self, source)
        _check_pathway(self, source)

    def with_overrides(self, overrides: dict[str, Any], source: str = "overrides") -> Scenario:
        """A new scenario with dotted keys set (``{"solver.backend": "pulp"}``), checked once.

        Raises
        ------
        ScenarioError
            Naming the key and ``source`` for an unknown key or a bad value.
        """
        d = self.to_dict()
        _apply_overrides(d, overrides, source)
        return Scenario.from_dict(d, source=source)

    def to_dict(self) -> dict[str, Any]:
        """The fully resolved scenario as a nested dict (every default filled in)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for section in _SECTIONS:
            obj = getattr(self, section)
            out[section] = {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
        return out


def _check_pathway(sc: Scenario, source: str) -> None:
    """Cross-key rules of ``[pathway]`` (ScenarioError naming the key)."""
    pw = sc.pathway
    if not pw.enabled:
        unset = [
            f.name for f in fields(pw) if getattr(pw, f.name) != getattr(PathwayConfig(), f.name)
        ]
        if unset:
            raise ScenarioError(f"pathway.{unset[0]}", "needs pathway.phases", source)
        return
    n = len(pw.phases)
    if any(not p.strip() for p in pw.phases) or len(set(pw.phases)) != n:
        raise ScenarioError("pathway.phases", "labels must be non-empty and unique", source)
    for key, low, high in (
        ("budget", 0.0, math.inf),
        ("max_new_members", 0, math.inf),
        ("weights", 0.0, math.inf),
        ("targets", 0.0, 1.0),
    ):
        values = getattr(pw, key)
        if values and len(values) != n:
            raise ScenarioError(
                f"pathway.{key}", f"{len(values)} values for {n} phases {pw.phases}", source
            )
        bad = [v for v in values if not (low <= v <= high)]
        if bad:
            raise ScenarioError(
                f"pathway.{key}", f"value {bad[0]!r} is outside [{low}, {high}]", source
            )
    if pw.weights and sum(pw.weights) <= 0:
        raise ScenarioError("pathway.weights", "at least one weight must be positive", source)
    if sc.objective.kind not in ("dependency", "cost"):
        raise ScenarioError(
            "objective.kind",
            f"a pathway takes 'dependency' or 'cost', not {sc.objective.kind!r}",
            source,
        )
    co = sc.coalition
    fixed_before = set(co.anchors) | set(co.members) | set(co.associates)
    seen: dict[str, str] = {}
    for key in ("fixed", "fixed_associates"):
        for phase, codes in getattr(pw, key).items():
            where = f"pathway.{key}.{phase}"
            if phase not in pw.phases:
                raise ScenarioError(where, f"unknown phase label; phases: {pw.phases}", source)
            for c in codes:
                if c in co.adversaries:
                    raise ScenarioError(
                        where, f"{c} is an adversary (coalition.adversaries)", source
                    )
                if c in fixed_before:
                    raise ScenarioError(
                        where,
                        f"{c} is a member from the start (coalition anchors or members)",
                        source,
                    )
                if c in seen:
                    raise ScenarioError(where, f"{c} joins in {seen[c]} already", source)
                seen[c] = where
    if pw.compare_free_order and not seen:
        raise ScenarioError(
            "pathway.compare_free_order",
            "needs accessions in pathway.fixed or fixed_associates",
            source,
        )


def phase_scenario(scenario: Scenario, k: int) -> Scenario:
    """Phase ``k`` of a pathway as a single-phase scenario: the budget is what the phase's plan
    may cost (the budgets through ``k``), the DI target is the phase's; no ``[pathway]``."""
    from dataclasses import replace

    pw = scenario.pathway
    budget = pw.cumulative_budgets(scenario.parameters.budget)[k]
    target = pw.phase_targets(scenario.objective.target)[k]
    return replace(
        scenario,
        parameters=replace(scenario.parameters, budget=budget),
        objective=replace(scenario.objective, target=target),
        pathway=PathwayConfig(),
    )


def _check_robustness(sc: Scenario, source: str) -> None:
    """The rules of ``[robustness]`` that need no dataset (ScenarioError naming the key)."""
    r, c = sc.robustness, sc.coalition
    if isinstance(r.defectors, str) and r.defectors not in ("anchors", "members"):
        raise ScenarioError(
            "robustness.defectors",
            f"{r.defectors!r}: expected 'anchors', 'members' or a list of ISO3 codes",
            source,
        )
    if not (0.0 < r.alpha < 1.0):
        raise ScenarioError("robustness.alpha", f"{r.alpha!r} is outside (0, 1)", source)
    if not r.active:
        return
    if sc.objective.kind != "dependency":
        raise ScenarioError(
            "objective.kind",
            f"{sc.objective.kind!r}: a robust plan ([robustness]) needs kind 'dependency'",
            source,
        )
    listed = c.anchors if r.defectors == "anchors" else r.defectors
    if isinstance(listed, list):
        if len(set(listed)) != len(listed):
            raise ScenarioError("robustness.defectors", "a country is listed twice", source)
        bad = sorted(set(listed) & set(c.adversaries))
        if bad:
            raise ScenarioError(
                "robustness.defectors", f"{bad} are adversaries, not candidates", source
            )
        if not isinstance(c.candidates, str):
            outside = sorted(set(listed) - set(c.candidates))
            if outside:
                raise ScenarioError(
                    "robustness.defectors",
                    f"{outside} are not candidates (coalition.candidates)",
                    source,
                )
        if r.k > len(listed):
            raise ScenarioError(
                "robustness.k", f"{r.k} is larger than the {len(listed)} defectors", source
            )
        check_probabilities(r, math.comb(len(listed), r.k), source)
    else:
        check_probabilities(r, None, source)


def check_probabilities(r: RobustnessConfig, n_scenarios: int | None, source: str) -> None:
    """``robustness.probabilities``: non-negative, summing to 1, one per scenario when the
    number of scenarios is known (ScenarioError naming the key)."""
    p = r.probabilities
    if not len(p):
        return
    values = list(p.values()) if isinstance(p, dict) else list(p)
    if any(v < 0 for v in values):
        raise ScenarioError("robustness.probabilities", "a probability is negative", source)
    if abs(sum(values) - 1.0) > 1e-9:
        raise ScenarioError(
            "robustness.probabilities", f"they sum to {sum(values):.12g}, not 1", source
        )
    if n_scenarios is not None and isinstance(p, list) and len(p) != n_scenarios:
        raise ScenarioError(
            "robustness.probabilities",
            f"{len(p)} given for {n_scenarios} exit scenarios (one per set of k defectors, "
            "in the defectors' order)",
            source,
        )


def _plain(v: Any) -> Any:
    if isinstance(v, list):
        return list(v)
    if isinstance(v, dict):
        return dict(v)
    return v


# ---------------------------------------------------------------------- TOML files
def load_scenario(
    path: str | Path,
    overrides: dict[str, Any] | None = None,
    data_relative_to_file: bool = False,
) -> Scenario:
    """Read a scenario TOML file, apply dotted-key ``overrides`` and check every key once.

    Parameters
    ----------
    path : str or Path
        The scenario file (its keys are documented in the scenario reference).
    overrides : dict, optional
        Dotted keys that replace the file's values (``{"solver.time_limit": 60.0}``), as the
        command line's options do; checked with the file's keys.
    data_relative_to_file : bool
        Take a relative ``data.path`` from the file's directory (as the command line does).

    Returns
    -------
    Scenario
        Every key checked, every default filled in.

    Raises
    ------
    ScenarioError
        Naming the file and the key (or the TOML syntax error and its line).
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError("*", "file not found", source) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            "*", f"not UTF-8 text ({exc.reason} at byte {exc.start})", source
        ) from None
    except OSError as exc:
        raise ScenarioError("*", f"cannot read: {exc.strerror}", source) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("*", f"invalid TOML: {exc}", source) from None
    if data_relative_to_file and isinstance(data.get("data"), dict):
        p = data["data"].get("path")
        if isinstance(p, str) and p not in ("default", "") and not Path(p).is_absolute():
            data["data"]["path"] = str((path.parent / p).resolve())
    if overrides:
        _apply_overrides(data, overrides, "command line")
    return Scenario.from_dict(data, source=source)


def load_scenario_dataset(scenario: Scenario, base: str | Path | None = None) -> Dataset:
    """The dataset a scenario names (``data.path``; a relative path is taken from ``base``).

    Parameters
    ----------
    scenario : Scenario
        The scenario; ``data.path = "default"`` is the shipped dataset.
    base : str or pathlib.Path, optional
        The directory a relative ``data.path`` is taken from (the scenario file's).

    Returns
    -------
    Dataset
        Loaded and validated.

    Raises
    ------
    planner.data.DataError
        The dataset directory is missing or invalid (names the file and column).
    """
    from planner.data.loaders import load_dataset

    p = scenario.data.path
    if p in ("default", ""):
        return load_dataset()
    path = Path(p)
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return load_dataset(path)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in sorted(v.items()))
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def scenario_to_toml(scenario: Scenario) -> str:
    """The fully resolved scenario as TOML (every default written out; reads back equal).

    Parameters
    ----------
    scenario : Scenario
        Any scenario.

    Returns
    -------
    str
        TOML text, sections in the order of the scenario file format; ``planner run`` writes
        it to the run directory's ``scenario.toml``.
    """
    d = scenario.to_dict()
    lines = [f"name = {_toml_value(d['name'])}", f"description = {_toml_value(d['description'])}"]
    for section in _SECTIONS:
        lines += ["", f"[{section}]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in d[section].items()]
    return "\n".join(lines) + "\n"
