"""Metrics before and after a plan, computed from flow tables (not from the solver).

Every function takes plain tables, so the same code checks a solution independently of the
program that produced it: direct and effective (transshipment) adversary shares, the dependency
index of the model, supplier concentration (HHI) and strategic-dependency flags in the EU 2021
style.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "HHI_THRESHOLD",
    "OUTSIDE_SHARE_THRESHOLD",
    "dependency_index",
    "pair_metrics",
    "tag",
]

HHI_THRESHOLD = 0.4
OUTSIDE_SHARE_THRESHOLD = 0.5


def tag(obj, name: str, unit: str):
    """Set ``attrs`` name and unit (as PyPSA tags its result tables) and return the object."""
    obj.attrs = {"name": name, "unit": unit}
    return obj


def pair_metrics(
    flows: pd.DataFrame,
    value: str,
    adversaries: Iterable[str],
    coalition: Iterable[str],
    demand: pd.Series,
    sigma: pd.Series | None = None,
    coalition_exports: pd.Series | None = None,
) -> pd.DataFrame:
    """Per (importer, sector): adversary shares, HHI and EU-style flags.

    Parameters
    ----------
    flows : pandas.DataFrame
        ``importer``, ``exporter``, ``sector`` and a value column.
    value : str
        Which column holds the imports (``"baseline"`` or ``"optimized"``).
    adversaries, coalition : iterable of str
        Adversaries; coalition members (full and associate).
    demand : pandas.Series
        D[i,s] indexed (importer, sector): the denominator of the shares (the model's DI uses
        the baseline import demand, which imports plus domestic substitution still meet).
    sigma : pandas.Series, optional
        Transshipment share sigma[j,s] indexed (exporter, sector); without it the effective
        share equals the direct one.
    coalition_exports : pandas.Series, optional
        The coalition's total exports per sector (the EU test's "EU exports"); by default its
        exports in ``flows``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``demand``: ``demand``, ``imports``, ``adversary``, ``direct_share``,
        ``effective``, ``effective_share``, ``hhi``, ``outside_share``, ``outside_imports``,
        ``coalition_exports``, ``coalition_outside_imports`` (members' imports from outside the
        coalition in the sector), ``flag_hhi`` (HHI > 0.4), ``flag_outside`` (more than half
        from outside the coalition), ``flag_substitutability`` (the coalition imports more of
        the sector from outside than it exports) and ``flagged`` (all three).
    """
    adv = set(adversaries)
    coal = set(coalition)
    f = flows[["importer", "exporter", "sector"]].copy()
    f["v"] = flows[value].to_numpy(float)
    f = f[f["v"] > 0]
    keys = ["importer", "sector"]
    imports = f.groupby(keys)["v"].sum()
    is_adv = f["exporter"].isin(adv)
    adversary = f[is_adv].groupby(keys)["v"].sum()
    outside = f[~f["exporter"].isin(coal)].groupby(keys)["v"].sum()
    if sigma is not None and len(sigma):
        s = sigma.reindex(pd.MultiIndex.from_frame(f[["exporter", "sector"]])).fillna(0.0)
        carried = f["v"].to_numpy() * s.to_numpy() * (~is_adv).to_numpy()
        indirect = pd.Series(carried, index=pd.MultiIndex.from_frame(f[keys])).groupby(keys).sum()
    else:
        indirect = pd.Series(dtype=float)
    share_sq = (f["v"] / f.groupby(keys)["v"].transform("sum")) ** 2
    hhi = share_sq.groupby([f["importer"], f["sector"]]).sum()

    out = pd.DataFrame(index=demand.index)
    out["demand"] = demand.astype(float)
    out["imports"] = imports.reindex(out.index, fill_value=0.0)
    out["adversary"] = adversary.reindex(out.index, fill_value=0.0)
    d = out["demand"].where(out["demand"] > 0)
    out["direct_share"] = (out["adversary"] / d).fillna(0.0)
    out["effective"] = out["adversary"] + indirect.reindex(out.index, fill_value=0.0)
    out["effective_share"] = (out["effective"] / d).fillna(0.0)
    out["hhi"] = hhi.reindex(out.index, fill_value=0.0)
    imp = out["imports"].where(out["imports"] > 0)
    out["outside_imports"] = outside.reindex(out.index, fill_value=0.0)
    out["outside_share"] = (out["outside_imports"] / imp).fillna(0.0)
    if coalition_exports is None:
        coalition_exports = f[f["exporter"].isin(coal)].groupby("sector")["v"].sum()
    # criterion 3 is a property of the product, at the coalition's level (as the EU's is at
    # the EU's): the coalition imports more of it from outside than it exports
    by_members = f[f["importer"].isin(coal) & ~f["exporter"].isin(coal)]
    coalition_outside = by_members.groupby("sector")["v"].sum()
    sectors = out.index.get_level_values("sector")
    out["coalition_exports"] = coalition_exports.reindex(sectors).fillna(0.0).to_numpy()
    out["coalition_outside_imports"] = coalition_outside.reindex(sectors).fillna(0.0).to_numpy()
    out["flag_hhi"] = out["hhi"] > HHI_THRESHOLD
    out["flag_outside"] = out["outside_share"] > OUTSIDE_SHARE_THRESHOLD
    out["flag_substitutability"] = out["coalition_outside_imports"] > out["coalition_exports"]
    out["flagged"] = out["flag_hhi"] & out["flag_outside"] & out["flag_substitutability"]
    return tag(out, f"pair_metrics_{value}", "USD mn / share")


def dependency_index(
    metrics: pd.DataFrame,
    country_weight: pd.Series,
    sector_weight: pd.Series,
    effective: bool = False,
) -> tuple[float, pd.Series]:
    """The model's DI and each country's dependency from :func:`pair_metrics`.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Output of :func:`pair_metrics`.
    country_weight : pandas.Series
        omega_i (GDP share among the focal countries; 0 elsewhere), indexed by iso3.
    sector_weight : pandas.Series
        w~_s (criticality weights normalised to sum 1), indexed by sector.
    effective : bool
        Use effective (direct + transshipped) instead of direct shares.

    Returns
    -------
    (float, pandas.Series)
        DI and the per-country dependency sum_s w~_s share[i,s].
    """
    col = "effective_share" if effective else "direct_share"
    s = metrics.index.get_level_values("sector")
    weighted = metrics[col].to_numpy() * sector_weight.reindex(s).fillna(0.0).to_numpy()
    per_country = pd.Series(weighted, index=metrics.index).groupby(level="importer").sum()
    per_country = per_country.reindex(country_weight.index, fill_value=0.0)
    di = float(np.dot(per_country.to_numpy(), country_weight.to_numpy()))
    return di, tag(per_country.rename("dependency"), "dependency", "share")
