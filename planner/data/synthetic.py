"""Synthetic product-level trade shaped like BACI: countries x HS6-like products, sparse links.

:func:`synthetic_products` makes a :class:`ProductWorld` of any size (the default is 200
countries x 5,000 products, about 10 M importer-exporter-product links): in each product a few
exporters dominate (Pareto-sized shares) and most pairs trade little; the adversaries are large
exporters in about a third of the products and small ones elsewhere. Everything is drawn with
numpy over whole arrays (chunks of products, never a Python loop over products or links), from
one seed, so a world is reproducible.

Links are kept as integer codes (``int32`` positions in the country and product tables) and
``float64`` values in USD millions, which keeps 10 M links at about 200 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.data.validation import DataError

__all__ = ["PRODUCT_COLUMNS", "ProductWorld", "adversary_shares", "synthetic_products"]

PRODUCT_COLUMNS = ("weight", "premium", "reshoring_cost", "headroom")
"""The parameter columns a product table carries (besides the ``product`` code)."""

_LINK_DTYPES = {"importer": np.int32, "exporter": np.int32, "product": np.int32}


def _bad(where: str, message: str) -> DataError:
    """A DataError naming ``table.column`` (or a function argument) and the problem."""
    table, _, column = where.rpartition(".")
    return DataError(message, file=table or "synthetic_products", column=column)


@dataclass
class ProductWorld:
    """Bilateral imports per product, with the country and product tables they refer to.

    Attributes
    ----------
    countries : pandas.DataFrame
        One row per country, in code order: ``code`` (three letters), ``gdp`` (USD mn),
        ``regime`` (democracy score in [0, 1]) and ``adversary`` (bool).
    products : pandas.DataFrame
        One row per product, in code order: ``product`` (``"H000123"``-style), ``weight``
        (criticality, >= 0; most are 0), ``premium`` (price premium p per USD of new
        sourcing), ``reshoring_cost`` (rho per USD of domestic substitution, > premium) and
        ``headroom`` (h: spare capacity as a share of exports).
    links : pandas.DataFrame
        Baseline imports F0: ``importer``, ``exporter``, ``product`` (``int32`` row positions
        in ``countries`` and ``products``) and ``value`` (USD mn, > 0). Each
        (importer, exporter, product) appears once, and importer != exporter.
    name : str
        A name for reports.
    """

    countries: pd.DataFrame
    products: pd.DataFrame
    links: pd.DataFrame
    name: str = "product_world"

    @property
    def n_countries(self) -> int:
        """Number of countries."""
        return len(self.countries)

    @property
    def n_products(self) -> int:
        """Number of products."""
        return len(self.products)

    @property
    def adversaries(self) -> list[str]:
        """Codes of the countries flagged ``adversary``."""
        return self.countries.loc[self.countries["adversary"], "code"].tolist()

    def default_coalition(
        self, full: float = 0.6, associate: float = 0.3
    ) -> tuple[list[str], list[str]]:
        """Full members and associates by regime score: every non-adversary with
        ``regime >= full`` is a full member, with ``associate <= regime < full`` an associate.

        Returns
        -------
        members, associates : list of str
        """
        c = self.countries
        ok = ~c["adversary"].to_numpy()
        regime = c["regime"].to_numpy()
        codes = c["code"].to_numpy()
        members = codes[ok & (regime >= full)].tolist()
        associates = codes[ok & (regime >= associate) & (regime < full)].tolist()
        return members, associates

    def labelled_links(self) -> pd.DataFrame:
        """The links with country and product codes as categoricals instead of positions."""
        cc = pd.Categorical.from_codes(self.links["importer"], self.countries["code"])
        ce = pd.Categorical.from_codes(self.links["exporter"], self.countries["code"])
        cp = pd.Categorical.from_codes(self.links["product"], self.products["product"])
        return pd.DataFrame(
            {"importer": cc, "exporter": ce, "product": cp, "value": self.links["value"]}
        )

    def check(self) -> ProductWorld:
        """Raise :class:`~planner.data.DataError` naming the table and column of the first
        problem: missing columns, duplicate codes, codes outside the tables, negative or
        non-finite values, ``reshoring_cost`` not above ``premium``. Returns ``self``."""
        need = {
            "countries": ("code", "gdp", "regime", "adversary"),
            "products": ("product", *PRODUCT_COLUMNS),
            "links": ("importer", "exporter", "product", "value"),
        }
        for table, columns in need.items():
            frame = getattr(self, table)
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise _bad(f"{table}.", f"missing columns {missing}")
        for table, col in (("countries", "code"), ("products", "product")):
            codes = getattr(self, table)[col]
            if codes.duplicated().any():
                dup = codes[codes.duplicated()].head(3).tolist()
                raise _bad(f"{table}.{col}", f"duplicate codes {dup}")
        n = {"importer": self.n_countries, "exporter": self.n_countries}
        n["product"] = self.n_products
        for col, size in n.items():
            v = self.links[col].to_numpy()
            if v.dtype.kind not in "iu":
                raise _bad(f"links.{col}", "must hold integer positions (see from_frames)")
            if len(v) and (v.min() < 0 or v.max() >= size):
                raise _bad(f"links.{col}", f"a position is outside 0..{size - 1}")
        value = self.links["value"].to_numpy(dtype=float)
        if not np.isfinite(value).all() or (value < 0).any():
            raise _bad("links.value", "values must be finite and >= 0")
        p = self.products
        for col in PRODUCT_COLUMNS:
            x = p[col].to_numpy(dtype=float)
            if not np.isfinite(x).all() or (x < 0).any():
                raise _bad(f"products.{col}", "must be finite and >= 0")
        if (p["reshoring_cost"].to_numpy() <= p["premium"].to_numpy()).any():
            first = p.loc[p["reshoring_cost"] <= p["premium"], "product"].iloc[0]
            raise _bad("products.reshoring_cost", f"must exceed premium (first: {first})")
        return self

    @classmethod
    def from_frames(
        cls,
        countries: pd.DataFrame,
        products: pd.DataFrame,
        links: pd.DataFrame,
        name: str = "product_world",
    ) -> ProductWorld:
        """A checked world from tables whose links name countries and products by code.

        Parameters
        ----------
        countries : pandas.DataFrame
            ``code``, ``gdp``, ``regime``, ``adversary`` (``adversary`` defaults to False).
        products : pandas.DataFrame
            ``product`` and the parameter columns of :data:`PRODUCT_COLUMNS`.
        links : pandas.DataFrame
            ``importer``, ``exporter``, ``product`` (codes) and ``value`` (USD mn);
            duplicated triples are summed, self-links dropped.

        Returns
        -------
        ProductWorld

        Raises
        ------
        DataError
            A link names a code the tables lack (the column is named), or :meth:`check` fails.
        """
        countries = countries.reset_index(drop=True).copy()
        if "adversary" not in countries:
            countries["adversary"] = False
        countries["adversary"] = countries["adversary"].astype(bool)
        products = products.reset_index(drop=True)
        out = {}
        for col, table, key in (
            ("importer", countries, "code"),
            ("exporter", countries, "code"),
            ("product", products, "product"),
        ):
            pos = pd.Index(table[key]).get_indexer(links[col])
            if (pos < 0).any():
                unknown = pd.unique(links[col][pos < 0])[:3].tolist()
                raise _bad(f"links.{col}", f"unknown codes {unknown}")
            out[col] = pos.astype(np.int32)
        out["value"] = links["value"].to_numpy(dtype=float)
        frame = pd.DataFrame(out)
        frame = frame[frame["importer"] != frame["exporter"]]
        frame = frame.groupby(["importer", "exporter", "product"], as_index=False, sort=True)[
            "value"
        ].sum()
        frame = frame.astype(_LINK_DTYPES)
        return cls(countries, products, frame, name).check()


def _letter_code(k: np.ndarray) -> np.ndarray:
    """Three-letter codes AAA, AAB, ... for integers 0..17575."""
    a, rest = np.divmod(k, 26 * 26)
    b, c = np.divmod(rest, 26)
    chars = np.stack([a, b, c], axis=1) + 65
    return np.array(["".join(map(chr, row)) for row in chars.tolist()])


def synthetic_products(
    n_countries: int = 200,
    n_products: int = 5000,
    *,
    n_adversaries: int = 2,
    adversary_share: float = 1 / 3,
    critical_share: float = 0.2,
    exporters_per_product: float = 50.0,
    world_imports: float = 2.0e7,
    headroom: float = 0.25,
    seed: int = 0,
    chunk_links: int = 20_000_000,
) -> ProductWorld:
    """A BACI-shaped world: bilateral imports of ``n_countries`` x ``n_products``.

    Each product has about ``exporters_per_product`` exporters (lognormal count), drawn with
    probability rising with country size; their shares in the product are Pareto-distributed,
    so a few dominate. An exporter with share s sells to each importer with probability
    about ``0.08 + 4 s`` (dominant exporters reach most of the world, small ones a handful),
    and a link's value is the product's world imports times s times the importer's size
    (lognormal noise). The first ``n_adversaries`` countries are adversaries with the largest
    economies: in ``adversary_share`` of the products (drawn at random) each is as large an
    exporter as the product's leader; elsewhere their share is a hundredth of that.

    Parameters
    ----------
    n_countries, n_products : int
        Sizes (at least ``n_adversaries + 2`` countries, at least one product).
    n_adversaries : int
        Adversaries (the first countries: ``AAA``, ``AAB``, ...).
    adversary_share : float
        Share of the products in which the adversaries are large exporters.
    critical_share : float
        Share of the products with a criticality weight > 0 (weights 1, 2 or 3).
    exporters_per_product : float
        Typical number of exporters of a product (before the adversaries are added).
    world_imports : float
        Expected total of all links, USD mn (2e7 = USD 20 trn, about BACI's world total).
    headroom : float
        The products' capacity headroom h.
    seed : int
        Seed of every draw.
    chunk_links : int
        Candidate (importer, exporter, product) triples drawn at once (bounds the memory).

    Returns
    -------
    ProductWorld
        Countries ``code, gdp, regime, adversary``; products ``product, weight, premium,
        reshoring_cost, headroom`` plus ``adversary_strong`` (whether the adversaries are large
        in it); links as ``int32`` positions and ``float64`` values.
    """
    if n_adversaries < 1 or n_countries < n_adversaries + 2:
        raise _bad("n_countries", f"need at least n_adversaries + 2 = {n_adversaries + 2}")
    if n_products < 1:
        raise _bad("n_products", "need at least one product")
    for name, share in (("adversary_share", adversary_share), ("critical_share", critical_share)):
        if not 0.0 <= share <= 1.0:
            raise _bad(name, f"must be in [0, 1], got {share!r}")
    rng = np.random.default_rng(seed)
    nc, n_p = n_countries, n_products

    # countries: Pareto sizes; the adversaries are the largest economies
    size = rng.pareto(1.2, nc) + 0.05
    size[:n_adversaries] = np.sort(size)[::-1][:n_adversaries] * 1.5
    regime = np.where(np.arange(nc) % 4 == 3, 0.45, 0.7)
    regime[:n_adversaries] = 0.1
    adversary = np.zeros(nc, dtype=bool)
    adversary[:n_adversaries] = True
    countries = pd.DataFrame(
        {
            "code": _letter_code(np.arange(nc)),
            "gdp": 1e4 * size,
            "regime": regime,
            "adversary": adversary,
        }
    )

    # products: market size, criticality, prices
    k = np.arange(n_p)
    critical = rng.random(n_p) < critical_share
    strong = rng.random(n_p) < adversary_share
    premium = rng.uniform(0.05, 0.30, n_p)
    market = rng.lognormal(0.0, 1.5, n_p)
    market *= world_imports / market.sum()
    products = pd.DataFrame(
        {
            "product": np.char.add("H", np.char.zfill(k.astype(str), 6)),
            "weight": np.where(critical, rng.integers(1, 4, n_p), 0).astype(float),
            "premium": premium,
            "reshoring_cost": premium + rng.uniform(0.3, 1.2, n_p),
            "headroom": np.full(n_p, float(headroom)),
            "adversary_strong": strong,
        }
    )

    # exporters of each product: the top-n of Gumbel-perturbed log sizes (dense n_p x nc)
    n_exp = np.clip(np.round(rng.lognormal(np.log(exporters_per_product), 0.6, n_p)), 3, nc - 1)
    key = np.log(size)[None, :] + rng.gumbel(size=(n_p, nc))
    key[:, :n_adversaries] = -np.inf  # adversaries enter below, by the product's class
    rank = np.argsort(np.argsort(-key, axis=1), axis=1)
    exports = rank < n_exp[:, None]
    share = np.where(exports, rng.pareto(1.0, (n_p, nc)) + 0.01, 0.0)
    leader = share.max(axis=1)
    adv_share = leader[:, None] * rng.uniform(0.6, 1.5, (n_p, n_adversaries))
    adv_share[~strong] /= 100.0
    share[:, :n_adversaries] = adv_share
    share /= share.sum(axis=1, keepdims=True)

    # links: each (exporter, product) pair sells to each importer with probability `reach`
    pe, ex = np.nonzero(share > 0)  # (product, exporter) pairs, product-major
    s = share[pe, ex]
    reach = np.minimum(0.95, 0.08 + 4.0 * s)
    buyer = np.clip((size / np.median(size)) ** 0.25, 0.5, 2.0)  # big importers buy more
    pair_chunk = max(1, chunk_links // nc)
    parts = []
    for start in range(0, len(pe), pair_chunk):  # chunks of pairs bound the memory
        sl = slice(start, start + pair_chunk)
        prob = np.minimum(1.0, reach[sl, None] * buyer[None, :]).astype(np.float32)
        hit = rng.random(prob.shape, dtype=np.float32) < prob
        row, imp = np.nonzero(hit)
        row = row + start
        keep = imp != ex[row]
        row, imp = row[keep], imp[keep]
        noise = rng.lognormal(0.0, 1.0, len(row))
        value = s[row] * size[imp] ** 0.8 * noise
        parts.append(
            (imp.astype(np.int32), ex[row].astype(np.int32), pe[row].astype(np.int32), value)
        )
    imp = np.concatenate([p[0] for p in parts])
    exp = np.concatenate([p[1] for p in parts])
    prod = np.concatenate([p[2] for p in parts])
    value = np.concatenate([p[3] for p in parts])
    del parts
    # scale each product to its market size; BACI's smallest value is USD 1 thousand
    total = np.bincount(prod, weights=value, minlength=n_p)
    scale = np.divide(market, total, out=np.zeros(n_p), where=total > 0)
    value = np.maximum(np.round(value * scale[prod], 3), 1e-3)
    order = np.lexsort((exp, imp, prod))  # product, importer, exporter order
    links = pd.DataFrame(
        {
            "importer": imp[order],
            "exporter": exp[order],
            "product": prod[order],
            "value": value[order],
        }
    )
    return ProductWorld(countries, products, links, name=f"synthetic{nc}x{n_p}")


def adversary_shares(world: ProductWorld, importers: Sequence[str] | None = None) -> pd.Series:
    """Share of each product's imports that comes from the adversaries (by product code).

    Parameters
    ----------
    world : ProductWorld
    importers : sequence of str, optional
        Count only these importers' imports (default: all).

    Returns
    -------
    pandas.Series
        Indexed by product code, in [0, 1] (0 for a product nobody imports).
    """
    links = world.links
    prod = links["product"].to_numpy()
    value = links["value"].to_numpy()
    mask = np.ones(len(links), dtype=bool)
    if importers is not None:
        pos = pd.Index(world.countries["code"]).get_indexer(list(importers))
        if (pos < 0).any():
            raise _bad("adversary_shares.importers", "unknown country codes")
        mask = np.isin(links["importer"].to_numpy(), pos)
    adv = world.countries["adversary"].to_numpy()[links["exporter"].to_numpy()] & mask
    total = np.bincount(prod[mask], weights=value[mask], minlength=world.n_products)
    a = np.bincount(prod[adv], weights=value[adv], minlength=world.n_products)
    out = np.divide(a, total, out=np.zeros_like(a), where=total > 0)
    return pd.Series(
        out, index=pd.Index(world.products["product"], name="product"), name="adversary_share"
    )
