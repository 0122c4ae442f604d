"""Synthetic trade networks and a transport-style sourcing LP for benchmarks.

Realistic sparsity: most pairs trade little, a few suppliers dominate each sector (Pareto
weights), and a sourcing LP meets every importer's demand from capacity-limited exporters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formulations import Program


def synthetic_links(n_links: int, seed: int = 0) -> pd.DataFrame:
    """About ``n_links`` distinct (importer, exporter, sector) links with baseline values.

    Countries and sectors grow together so that each (importer, sector) has about 10 suppliers.
    """
    rng = np.random.default_rng(seed)
    per_pair = 10
    n_pairs = max(1, n_links // (per_pair * 6 // 10))  # about 60% of draws stay distinct
    n_countries = max(4, round(np.sqrt(n_pairs / 2)))
    n_sectors = max(1, n_pairs // n_countries)
    imp = np.repeat(np.arange(n_countries), n_sectors)
    sec = np.tile(np.arange(n_sectors), n_countries)
    pop = rng.pareto(1.2, size=n_countries) + 1e-3  # supplier "size": a few dominate
    p = pop / pop.sum()
    draws = 4 * per_pair  # oversample, then keep the first distinct suppliers of each pair
    exp = rng.choice(n_countries, size=(len(imp), draws), p=p)
    links = pd.DataFrame(
        {
            "importer": np.repeat(imp, draws),
            "exporter": exp.ravel(),
            "sector": np.repeat(sec, draws),
        }
    )
    links = links[links.importer != links.exporter].drop_duplicates(ignore_index=True)
    links = links[links.groupby(["importer", "sector"]).cumcount() < per_pair]
    links = links.reset_index(drop=True)
    links["value"] = rng.lognormal(0.0, 2.0, size=len(links))
    return links


def sourcing_lp(links: pd.DataFrame, headroom: float = 0.25) -> Program:
    """min Σ cost·f s.t. Σ_j f[i,j,s] = D[i,s] (demand), Σ_i f[i,j,s] <= (1+h)·X[j,s] (capacity).

    Assembled in blocks from numpy index arrays (no per-link Python loop).
    """
    p = Program("synthetic_sourcing")
    idx = pd.MultiIndex.from_frame(links[["importer", "exporter", "sector"]])
    f = p.add_variables("f", idx, description="imports")
    dem_key, dem_row = np.unique(
        links[["importer", "sector"]].to_numpy(), axis=0, return_inverse=True
    )
    demand = np.bincount(dem_row.ravel(), weights=links["value"].to_numpy())
    p.add_constraints(
        "demand",
        pd.MultiIndex.from_arrays(dem_key.T, names=["importer", "sector"]),
        dem_row.ravel(),
        f.columns,
        1.0,
        "==",
        demand,
    )
    cap_key, cap_row = np.unique(
        links[["exporter", "sector"]].to_numpy(), axis=0, return_inverse=True
    )
    exports = np.bincount(cap_row.ravel(), weights=links["value"].to_numpy())
    p.add_constraints(
        "capacity",
        pd.MultiIndex.from_arrays(cap_key.T, names=["exporter", "sector"]),
        cap_row.ravel(),
        f.columns,
        1.0,
        "<=",
        (1 + headroom) * exports,
    )
    rng = np.random.default_rng(1)
    p.set_objective(f.columns, rng.uniform(0.5, 1.5, size=f.size))
    return p
