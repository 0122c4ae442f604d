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


def group_rows(a: np.ndarray, b: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct (a, b) pairs of non-negative integer codes and each row's pair number: one
    1-D ``np.unique`` on ``a * (max b + 1) + b`` (several times faster than ``axis=0``)."""
    nb = int(b.max()) + 1 if len(b) else 1
    keys, inverse = np.unique(a.astype(np.int64) * nb + b, return_inverse=True)
    return [keys // nb, keys % nb], inverse


def sourcing_lp(links: pd.DataFrame, headroom: float = 0.25) -> Program:
    """min Σ cost·f s.t. Σ_j f[i,j,s] = D[i,s] (demand), Σ_i f[i,j,s] <= (1+h)·X[j,s] (capacity).

    Assembled in blocks from numpy index arrays (no per-link Python loop).
    """
    p = Program("synthetic_sourcing")
    idx = pd.MultiIndex.from_frame(links[["importer", "exporter", "sector"]])
    f = p.add_variables("f", idx, description="imports")
    for family, who, sense, scale in (
        ("demand", "importer", "==", 1.0),
        ("capacity", "exporter", "<=", 1 + headroom),
    ):
        key, row = group_rows(links[who].to_numpy(), links["sector"].to_numpy())
        total = np.bincount(row.ravel(), weights=links["value"].to_numpy())
        p.add_constraints(
            family,
            pd.MultiIndex.from_arrays(key, names=[who, "sector"]),
            row.ravel(),
            f.columns,
            1.0,
            sense,
            scale * total,
        )
    rng = np.random.default_rng(1)
    p.set_objective(f.columns, rng.uniform(0.5, 1.5, size=f.size))
    return p


def letter_code(k: int) -> str:
    """The k-th three-letter code: AAA, AAB, ..., ZZZ."""
    a, rest = divmod(k, 26 * 26)
    b, c = divmod(rest, 26)
    return "".join(chr(65 + v) for v in (a, b, c))


def synthetic_dataset(
    n_countries: int,
    n_sectors: int,
    density: float = 0.3,
    seed: int = 0,
    critical_share: float = 0.2,
    adversary_share: float = 1.0,
):
    """A :class:`~planner.data.Dataset` shaped like the default one, at any size.

    Two adversaries (``AAA``, ``AAB``) that export a lot; ``AAC`` is a natural anchor; every
    other country is a democracy (regime 0.7) or, one in four, associate-eligible (0.45). Each
    importer buys each sector from about ``density`` of the exporters (Pareto-sized). One
    sector in five is critical (``critical_share``). The adversaries are large exporters in
    ``adversary_share`` of the sectors (elsewhere they export a hundredth as much). With
    ally-shoring, the candidate links are about ``0.75 * n_countries**2 * n_sectors``.
    """
    from planner.data.dataset import Dataset

    rng = np.random.default_rng(seed)
    codes = [letter_code(k) for k in range(n_countries)]
    regime = np.where(np.arange(n_countries) % 4 == 3, 0.45, 0.7)
    regime[:2] = 0.1
    size = rng.pareto(1.2, n_countries) + 0.05
    size[:2] = size.max()
    countries = pd.DataFrame({"iso3": codes, "gdp": 1e4 * size, "regime": regime})
    k = np.arange(n_sectors)  # evenly spread critical sectors: 0, 5, 10, ... at 0.2
    critical = np.floor(k * critical_share) != np.floor((k - 1) * critical_share)
    sectors = pd.DataFrame(
        {
            "sector": [f"S{s:03d}" for s in range(n_sectors)],
            "weight": np.where(critical, 1.0, 0.0),
            "premium": 0.1,
            "headroom": 0.25,
            "reshoring_cost": 0.5,
        }
    )
    n_pairs = n_countries * n_countries * n_sectors
    keep = rng.random(n_pairs) < density
    flat = np.flatnonzero(keep)
    imp, rest = np.divmod(flat, n_countries * n_sectors)
    exp, sec = np.divmod(rest, n_sectors)
    ok = imp != exp
    imp, exp, sec = imp[ok], exp[ok], sec[ok]
    value = (size[imp] * size[exp]) ** 0.5 * rng.lognormal(0, 1, len(imp))
    if adversary_share < 1.0:
        strong = rng.random(n_sectors) < adversary_share
        value = np.where((exp < 2) & ~strong[sec], value / 100, value)
    c = np.array(codes)
    flows = pd.DataFrame(
        {
            "importer": c[imp],
            "exporter": c[exp],
            "sector": sectors["sector"].to_numpy()[sec],
            "value": value.round(4) + 1e-3,
        }
    )
    return Dataset.from_frames(
        countries, sectors, flows, name=f"synthetic{n_countries}x{n_sectors}"
    )
