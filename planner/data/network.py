"""The inter-country input-output network: nodes are (country, sector) pairs.

The network is the whole table behind the bilateral flows: for every buying node, where its
intermediate inputs come from, how much of its output is intermediate inputs, its gross output
and its sales to final demand. It serves look-through (Leontief) exposure and shock propagation.

The file format (``network.npz``, a zip of ``.npy`` arrays, no pickles) is described in
``data/README.md``; :func:`read_network` reads and validates it, :func:`write_network` writes
it byte-stably.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from planner.data.validation import DataError, Issue, ValidationReport

__all__ = [
    "COLUMN_SUM_TOL",
    "NETWORK_FILE",
    "Network",
    "adversary_content",
    "exposure_table",
    "read_network",
    "value_added_origin",
    "write_network",
]

NETWORK_FILE = "network.npz"
COLUMN_SUM_TOL = 1e-6
DENSE_LIMIT = 12_000
"""Up to this many nodes the Leontief system is factorised densely (LAPACK); above, sparse LU."""
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_REQUIRED = ("country", "sector", "indptr", "indices", "data", "input_share", "output")


@dataclass(frozen=True, eq=False)
class Network:
    """An input-output network over ``nodes`` = (country, sector), country-major order.

    Attributes
    ----------
    nodes : pandas.MultiIndex
        Levels ``country`` and ``sector``; node ``n`` is ``nodes[n]``, ordered by country, then
        sector (both sorted codes).
    shares : scipy.sparse.csr_matrix
        ``shares[seller, buyer]``: the share of the buyer's intermediate-input purchases that
        comes from the seller (columns sum to 1 for active buyers, 0 for inactive ones).
    input_share : numpy.ndarray
        Intermediate inputs over gross output of each buyer (1 - value-added share).
    output : numpy.ndarray
        Gross output (USD mn), consistent with the table: ``(I - shares diag(input_share))
        output = final_demand``.
    final_demand : numpy.ndarray
        Sales to final demand (USD mn).
    reported_output : numpy.ndarray or None
        Gross output as reported by the source (USD mn), when the file carries it.
    """

    nodes: pd.MultiIndex
    shares: sp.csr_matrix
    input_share: np.ndarray
    output: np.ndarray
    final_demand: np.ndarray
    reported_output: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def countries(self) -> pd.Index:
        """The countries, in node order."""
        return self.nodes.levels[0]

    @property
    def sectors(self) -> pd.Index:
        """The sectors, in node order."""
        return self.nodes.levels[1]

    @property
    def value_added_share(self) -> np.ndarray:
        """Value added over gross output of each node (``1 - input_share``)."""
        return 1.0 - self.input_share

    def __len__(self) -> int:
        return len(self.nodes)

    def technical(self) -> sp.csr_matrix:
        """Technical coefficients ``shares * input_share[None, :]`` (USD of input per USD of
        the buyer's output)."""
        return sp.csr_matrix(self.shares.multiply(self.input_share[None, :]))

    def flows(self) -> sp.csr_matrix:
        """Intermediate flows seller -> buyer (USD mn): ``shares * (input_share * output)``."""
        return sp.csr_matrix(self.shares.multiply((self.input_share * self.output)[None, :]))

    # ------------------------------------------------------------------ Leontief
    def leontief_solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solve ``(I - T)^T y = rhs`` (``T`` the technical coefficients): ``y = L^T rhs``.

        The factorisation of ``I - T`` is computed once and cached on the network (dense
        LAPACK LU up to :data:`DENSE_LIMIT` nodes, else a sparse LU).

        Parameters
        ----------
        rhs : numpy.ndarray
            Shape ``(n,)`` or ``(n, k)``.

        Returns
        -------
        numpy.ndarray
            Same shape as ``rhs``; ``y[m] = sum_n rhs[n] L[n, m]``.
        """
        lu = self._cache.get("lu")
        n = len(self)
        if lu is None:
            m = sp.identity(n, format="csc") - self.technical().tocsc()
            if n <= DENSE_LIMIT:
                lu = ("dense", sla.lu_factor(m.toarray(), overwrite_a=True, check_finite=False))
            else:
                lu = ("sparse", spla.splu(m))
            self._cache["lu"] = lu
        kind, fac = lu
        b = np.asarray(rhs, dtype=float)
        if kind == "dense":
            return sla.lu_solve(fac, b, trans=1, check_finite=False)
        return fac.solve(b, trans="T")

    def adversary_content(self, adversaries: Iterable[str]) -> np.ndarray:
        """lambda[m] = sum over adversary nodes n of va_share[n] L[n, m] (cached per set).

        The share of node ``m``'s output value that is value added in the adversary countries,
        over all tiers of the supply network.
        """
        adv = frozenset(adversaries)
        key = ("content", adv)
        if key not in self._cache:
            mask = self.nodes.get_level_values(0).isin(list(adv))
            v = np.where(mask, self.value_added_share, 0.0)
            self._cache[key] = self.leontief_solve(v)
        return self._cache[key]

    # ------------------------------------------------------------------ aggregation
    def aggregate(
        self,
        country_map: Mapping[str, str] | None = None,
        sector_map: Mapping[str, str] | None = None,
    ) -> Network:
        """Merge nodes: countries through ``country_map`` and sectors through ``sector_map``.

        Flows, output, final demand and reported output add up; input shares and purchase
        shares are recomputed from the summed flows, so ``(I - A' diag(omb')) s' = z'`` still
        holds. Codes absent from a mapping keep their name.
        """
        c = self.nodes.get_level_values(0)
        s = self.nodes.get_level_values(1)
        if country_map:
            c = pd.Index(pd.Series(c).map(pd.Series(country_map)).fillna(pd.Series(c)))
        if sector_map:
            s = pd.Index(pd.Series(s).map(pd.Series(sector_map)).fillna(pd.Series(s)))
        new = pd.MultiIndex.from_arrays([c, s], names=["country", "sector"])
        nodes = new.unique().sort_values()
        code = nodes.get_indexer(new)
        n_old, n_new = len(self), len(nodes)
        p = sp.csr_matrix((np.ones(n_old), (code, np.arange(n_old))), shape=(n_new, n_old))
        flows = sp.csr_matrix(p @ self.flows() @ p.T)
        output = p @ self.output
        inputs = np.asarray(flows.sum(axis=0)).ravel()
        input_share = np.divide(inputs, output, out=np.zeros(n_new), where=output > 0)
        scale = np.divide(1.0, inputs, out=np.zeros(n_new), where=inputs > 0)
        shares = sp.csr_matrix(flows.multiply(scale[None, :]))
        shares.eliminate_zeros()
        rep = None if self.reported_output is None else p @ self.reported_output
        return Network(nodes, shares, input_share, output, p @ self.final_demand, rep)


# ---------------------------------------------------------------------- analysis
def adversary_content(network: Network, adversaries: Iterable[str]) -> pd.Series:
    """Adversary value-added content share lambda of every node's output.

    Parameters
    ----------
    network : Network
    adversaries : iterable of str
        Country codes.

    Returns
    -------
    pandas.Series
        Indexed by ``network.nodes``; ``sum_{k in A} va_share[k] L[k, n]`` with
        ``L = (I - shares * input_share)^-1``.
    """
    lam = network.adversary_content(adversaries)
    out = pd.Series(lam, index=network.nodes, name="adversary_content")
    out.attrs = {"name": "adversary_content", "unit": "share"}
    return out


def value_added_origin(network: Network) -> pd.DataFrame:
    """Value-added origin shares: ``[n, c]`` = share of node n's output that is value added in
    country c (all tiers). Rows sum to 1 for every node whose input shares sum to 1."""
    countries = network.countries
    code = countries.get_indexer(network.nodes.get_level_values(0))
    n = len(network)
    rhs = np.zeros((n, len(countries)))
    rhs[np.arange(n), code] = network.value_added_share
    origin = network.leontief_solve(rhs)
    return pd.DataFrame(origin, index=network.nodes, columns=countries)


def exposure_table(dataset: object, adversaries: Iterable[str] = ("CHN", "RUS")) -> pd.DataFrame:
    """Direct, first-order and look-through adversary shares of imports per (importer, sector).

    With ``D[i,s]`` the cross-border imports of i in s and ``a[i,s]`` those from the adversaries
    (as :meth:`Dataset.demand` and :meth:`Dataset.adversary_imports`; domestic supply is not
    in ``D``), and ``f[i,j,s]`` the imports from a non-adversary j:

    - ``direct = a / D``;
    - ``first_order = (a + sum_j sigma[j,s] f[i,j,s]) / D`` with the model's same-sector
      transshipment share ``sigma[j,s] = a[j,s] / (GO[j,s] + D[j,s])`` (exports stand in for a
      missing GO; ``sigma = 0`` for adversaries);
    - ``look_through = (a + sum_j lambda[j,s] f[i,j,s]) / D`` with ``lambda`` the adversary
      value-added content of node (j, s) (:func:`adversary_content`).

    Every share is 0 where ``D = 0``.

    Parameters
    ----------
    dataset : Dataset
        Must carry a network (:meth:`Dataset.require_network`).
    adversaries : iterable of str
        Country codes.

    Returns
    -------
    pandas.DataFrame
        Indexed by (importer, sector); columns ``direct``, ``first_order``, ``look_through``.
    """
    adv = sorted(set(adversaries))
    net = dataset.require_network()
    d = dataset.demand()
    a = dataset.adversary_imports(adv)
    fl = dataset.flows
    from_adv = fl["exporter"].isin(adv).to_numpy()
    third = fl[~from_adv]
    keys = pd.MultiIndex.from_arrays([third["exporter"], third["sector"]])
    # first order: sigma[j, s]
    go = dataset.gross_output()
    exports = dataset.exports()
    supplier_demand = d.reindex(keys, fill_value=0.0).to_numpy()
    supplier_adv = a.reindex(keys, fill_value=0.0).to_numpy()
    base = go.reindex(keys).to_numpy(dtype=float) if len(go) else np.full(len(keys), np.nan)
    base = np.where(np.isnan(base), exports.reindex(keys, fill_value=0.0).to_numpy(), base)
    supply = base + supplier_demand
    sigma = np.divide(supplier_adv, supply, out=np.zeros(len(keys)), where=supply > 0)
    lam = adversary_content(net, adv).reindex(keys, fill_value=0.0).to_numpy()
    val = third["value"].to_numpy(float)
    group = [third["importer"].to_numpy(), third["sector"].to_numpy()]
    ind_first = pd.Series(val * sigma).groupby(group).sum()
    ind_look = pd.Series(val * lam).groupby(group).sum()
    ind_first.index.names = ind_look.index.names = d.index.names
    a_v = a.to_numpy()
    dd = d.to_numpy()

    def share(x: np.ndarray) -> np.ndarray:
        return np.divide(x, dd, out=np.zeros(len(dd)), where=dd > 0)

    out = pd.DataFrame(
        {
            "direct": share(a_v),
            "first_order": share(a_v + ind_first.reindex(d.index, fill_value=0.0).to_numpy()),
            "look_through": share(a_v + ind_look.reindex(d.index, fill_value=0.0).to_numpy()),
        },
        index=d.index,
    )
    out.attrs = {"adversaries": adv, "unit": "share"}
    return out


# ---------------------------------------------------------------------- file format
def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def write_npz(path: Path, arrays: Mapping[str, np.ndarray], compresslevel: int = 6) -> None:
    """Write arrays as a ``.npz`` that ``numpy.load`` reads, byte-identical on every rerun
    (fixed member order, fixed zip timestamps and attributes)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, _npy_bytes(arr), compresslevel=compresslevel)


def network_arrays(
    network: Network, divisor: np.ndarray | None = None, data: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The arrays of a network file (``data`` / ``divisor`` override the plain float shares)."""
    sh = sp.csr_matrix(network.shares)
    sh.sort_indices()
    n = len(network)
    labels = {
        "country": np.asarray(network.nodes.get_level_values(0), dtype=str),
        "sector": np.asarray(network.nodes.get_level_values(1), dtype=str),
    }
    arrays: dict[str, np.ndarray] = {
        **labels,
        "indptr": sh.indptr.astype(np.int64),
        "indices": sh.indices.astype(np.int16 if n < 2**15 else np.int32),
        "data": sh.data.astype(np.float64) if data is None else data,
    }
    if divisor is not None:
        arrays["divisor"] = np.asarray(divisor, dtype=np.float64)
    arrays["input_share"] = np.asarray(network.input_share, dtype=np.float64)
    arrays["output"] = np.asarray(network.output, dtype=np.float64)
    arrays["final_demand"] = np.asarray(network.final_demand, dtype=np.float64)
    if network.reported_output is not None:
        arrays["reported_output"] = np.asarray(network.reported_output, dtype=np.float64)
    return arrays


def write_network(network: Network, path: str | Path) -> Path:
    """Write ``network`` as a network file (float64 shares), byte-stably."""
    path = Path(path)
    write_npz(path, network_arrays(network))
    return path


def _flag(
    report: ValidationReport, file: str, column: str, problem: str, mask: np.ndarray, values: object
) -> None:
    """Record offending entries (values shown as plain Python numbers / text)."""
    if np.any(mask):
        report.add(
            file, column, problem, mask, pd.Series(np.asarray(values).tolist(), dtype=object)
        )


def read_network(
    path: str | Path,
    countries: Iterable[str] | None = None,
    sectors: Iterable[str] | None = None,
) -> Network:
    """Read and validate a network file.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``network.npz`` (format in data/README.md).
    countries, sectors : iterable of str, optional
        The dataset's codes; node labels outside them are errors.

    Raises
    ------
    DataError
        Not a zip / not readable, a missing array, wrong shapes or dtypes, unknown or unsorted
        node labels, negative or non-finite shares, columns summing above 1 + 1e-6, input
        shares outside [0, 1], negative output; each issue names the file and the array.
    """
    path = Path(path)
    file = path.name
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            names = set(z.files)
            missing = [k for k in _REQUIRED if k not in names]
            if missing:
                raise DataError(
                    [
                        Issue(
                            file, k, f"array missing from the network file (found {sorted(names)})"
                        )
                        for k in missing
                    ]
                )
            arr = {k: z[k] for k in sorted(names)}
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise DataError(
            f"cannot read the network file (a zip of .npy arrays expected): {exc}",
            file=file,
            column="*",
        ) from exc
    report = ValidationReport()
    n = arr["country"].shape[0] if arr["country"].ndim == 1 else -1
    shapes = {
        "country": (n,),
        "sector": (n,),
        "indptr": (n + 1,),
        "input_share": (n,),
        "output": (n,),
        "final_demand": (n,),
        "divisor": (n,),
        "reported_output": (n,),
        "indices": (arr["data"].shape[0],) if arr["data"].ndim == 1 else (-1,),
    }
    for k, shape in shapes.items():
        if k in arr and arr[k].shape != shape:
            report.add(file, k, f"shape {arr[k].shape}, expected {shape} (n = {n} nodes)")
    for k in ("country", "sector"):
        if arr[k].dtype.kind not in "US":
            report.add(file, k, f"node labels must be fixed-width strings, not {arr[k].dtype}")
    for k in ("indptr", "indices"):
        if arr[k].dtype.kind not in "iu":
            report.add(file, k, f"must be integers, not {arr[k].dtype}")
    if arr["data"].dtype.kind not in "iuf":
        report.add(file, "data", f"must be numbers, not {arr['data'].dtype}")
    if n < 0 or arr["data"].ndim != 1:
        report.add(file, "data", "data and node labels must be one-dimensional")
    report.raise_if_any()

    country = pd.Series(arr["country"].astype(str))
    sector = pd.Series(arr["sector"].astype(str))
    if countries is not None:
        bad = ~country.isin(set(countries)).to_numpy()
        report.add(file, "country", "code not in the country table", bad, country)
    if sectors is not None:
        bad = ~sector.isin(set(sectors)).to_numpy()
        report.add(file, "sector", "code not in the sector table", bad, sector)
    nodes = pd.MultiIndex.from_arrays([country, sector], names=["country", "sector"])
    dup = nodes.duplicated()
    report.add(file, "country+sector", "duplicate node", dup, pd.Series(nodes.to_flat_index()))
    if not dup.any() and not nodes.is_monotonic_increasing:
        report.add(file, "country+sector", "nodes must be sorted by country, then sector")
    indptr = arr["indptr"].astype(np.int64)
    indices = arr["indices"].astype(np.int64)
    nnz = len(indices)
    if indptr[0] != 0 or indptr[-1] != nnz or (np.diff(indptr) < 0).any():
        report.add(file, "indptr", f"not a CSR row pointer for {nnz} entries")
    bad = (indices < 0) | (indices >= n)
    _flag(report, file, "indices", f"buyer node outside 0..{n - 1}", bad, indices)
    data = arr["data"].astype(np.float64)
    _flag(report, file, "data", "not finite", ~np.isfinite(data), data)
    _flag(report, file, "data", "negative share", data < 0, data)
    divisor = arr.get("divisor")
    if divisor is not None:
        divisor = divisor.astype(np.float64)
        _flag(
            report,
            file,
            "divisor",
            "must be positive and finite",
            ~(np.isfinite(divisor) & (divisor > 0)),
            divisor,
        )
    vectors = {}
    for k, high in (
        ("input_share", 1.0),
        ("output", None),
        ("final_demand", None),
        ("reported_output", None),
    ):
        if k not in arr:
            continue
        v = arr[k].astype(np.float64)
        bad = ~np.isfinite(v) | (v < 0) | (v > high if high is not None else False)
        what = "must be in [0, 1]" if high is not None else "must be finite and >= 0"
        _flag(report, file, k, what, bad, v)
        vectors[k] = v
    report.raise_if_any()

    if divisor is not None:
        data = data / divisor[indices]
    shares = sp.csr_matrix((data, indices.astype(np.int32), indptr.astype(np.int32)), shape=(n, n))
    colsum = np.bincount(indices, weights=data, minlength=n)
    labels = country + "_" + sector
    report.add(
        file,
        "data",
        f"purchase shares of a buyer sum above 1 + {COLUMN_SUM_TOL:g}",
        colsum > 1 + COLUMN_SUM_TOL,
        labels,
    )
    report.raise_if_any()
    return Network(
        nodes,
        shares,
        vectors["input_share"],
        vectors["output"],
        vectors["final_demand"],
        vectors.get("reported_output"),
    )
