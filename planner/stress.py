"""Coercion stress test: a ban of adversary sales propagated through the input-output network.

A ban
    The adversaries stop selling to the target countries in the chosen sectors: every
    adversary seller node ``(a, s)`` with ``s`` in the banned sectors loses its sales to every
    buying node ``(t, b)`` of every target ``t``.

Propagation: a supply-constrained input-output model with rerouting
    Each node ``m`` keeps its technology: per unit of output it needs ``w[s, m]`` of its
    intermediate inputs from sector ``s`` (``w`` = the network's input shares summed over the
    origins of ``s``). Final demand and prices do not move; output can only fall, through a
    lack of inputs. With ``r`` the output of every node relative to the unshocked network:

    1. *Rerouting.* A buyer that loses banned inputs of sector ``s`` asks the other,
       non-adversary origins of ``s`` for at most ``rerouting`` x the lost amount. The
       origins' spare capacity is pooled per sector: ``headroom`` x their output (after a
       plan: ``(1 + headroom)`` x their unplanned output, less what the plan already uses).
       When requests exceed it, every request in ``s`` is served in the same proportion.
       The replacement is fixed once, at the unshocked requirement.
    2. *Rationing.* A seller whose output falls serves its intermediate buyers first, up to
       their unshocked orders, and final demand with what is left: it delivers the share
       ``rho[n] = min(1, r[n] x[n] / sales[n])`` of every buyer's order, with ``sales`` its
       unshocked intermediate sales. Final demand thus absorbs a shortage first, which damps
       the cascade; supply freed by buyers that shrink is not reallocated to other buyers.
    3. *Technology.* ``avail[s, m]`` = (what arrives from the remaining origins of ``s``,
       ``sum_n shares[n, m] rho[n]``, plus the rerouted supply) / ``w[s, m]``. With
       ``technology="leontief"`` (fixed proportions) ``r[m] = min(1, min_s avail[s, m])``:
       output falls by the largest shortfall share among the inputs. With
       ``technology="linear"`` (a milder, documented variant)
       ``r[m] = 1 - sum_s max(w[s, m] - avail[s, m] w[s, m], 0)``: output falls by the share of
       all intermediate inputs that is missing.

    The map ``F: r -> r'`` is monotone (more output upstream never means less downstream)
    and a wider ban (more targets or sectors) lowers it pointwise. Iterating
    ``r <- min(r, F(r))`` from ``r = 1`` (vectorised: one sparse matrix-vector product per
    step) is non-increasing and bounded below, so it converges to the
    largest fixed point; hence a wider ban never costs less (one caveat: rerouted supply is
    not rationed, so when an adversary's own output collapses, banning its remaining sales
    can replace them on better terms). It stops when no node moves by more than ``tol``
    (1e-9) or after ``max_iter`` steps (``converged`` says which). Losses: gross output
    ``x (1 - r)`` and value added ``v x (1 - r)`` (USD mn, and in % of the unshocked values).

Why this model
    It is the smallest model in which a ban hurts more than its direct value (the loss runs
    downstream through every tier of the network, to third countries and back to the
    adversaries) while substitution is bounded by something observable (spare capacity as a
    share of output, the scenario's capacity headroom). The fixed-proportions rule is the
    upper end of the damage (no input can stand in for another); the linear rule is a lower,
    "shortfall-weighted" reading. On the ICIO 2022 network a CHN+RUS ban of the default
    plan's 11 tiered sectors on its 53-country coalition costs the targets about 34 % of gross
    output under fixed proportions (every country, through the cascade, about as much) and
    0.46 % under the linear rule: read the two as bounds, the first a worst case.
    ``rerouting = 0`` is a pure supply shock; ``rerouting = 1`` with ample headroom removes
    the shock entirely.

What it leaves out
    Prices (no price rise rations demand or draws in supply), substitution in final demand
    and between input sectors, inventories and stockpiles (the shock is a permanent,
    steady-state one), the demand-side loss of the adversaries' own lost sales (reported,
    not propagated: ``lost_sales``), reallocation of a rationed seller's output among its
    buyers, and the capacity that the shock itself frees up at shocked suppliers.

A plan
    A run's plan enters as an origin substitution: each buying node keeps its input
    coefficient per input sector; the origins of its country's purchases move to the plan's
    sourcing (links.csv ``optimized`` against ``baseline`` for cross-border origins,
    domestic.csv and partnerships.csv for home supply; partnership production is at home, so
    an adversary ban does not reach it). A country's change of purchases from one origin in
    sector ``s`` is spread across its buying sectors in proportion to their purchases of
    ``s``, then each buying node's purchases of ``s`` are rescaled to its unchanged
    requirement; output solves the new table for the unchanged final demand. A plan that
    changes nothing reproduces the network. "Protected output" = loss without the plan minus
    loss with it.

API
    :class:`StressSpec`, :func:`read_run_plan`, :func:`apply_plan`, :func:`propagate`,
    :func:`stress_test` (returns a :class:`StressResult` with ``by_country``, ``by_group``,
    ``by_sector``, ``ranking`` and ``write(directory)``) and :func:`run_stress` (from a run
    directory and a dataset).
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from planner.data.network import Network
from planner.errors import PlannerError
from planner.files import clean_floats, json_safe, sha256_file, write_atomically
from planner.parallel import process_map

__all__ = [
    "GROUPS",
    "RunPlan",
    "Shock",
    "StressError",
    "StressResult",
    "StressSpec",
    "apply_plan",
    "propagate",
    "read_run_plan",
    "run_stress",
    "stress_test",
]

GROUPS = ("targets", "members", "associates", "others", "adversaries")
DEFAULT_ADVERSARIES = ("CHN", "RUS")
DEFAULT_HEADROOM = 0.25
TECHNOLOGIES = ("leontief", "linear")
FLOAT_FORMAT = "%.10g"
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


class StressError(PlannerError, ValueError):
    """Bad input to the stress test (names the bad value, file or directory)."""

    prefix = "stress test: "


# ---------------------------------------------------------------------------------- the spec
def _codes(value: str | Sequence[str], what: str) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return value
    out = tuple(str(v) for v in value)
    if not out:
        raise StressError(f"{what}: an empty list")
    return out


@dataclass(frozen=True)
class StressSpec:
    """What to ban and how much the network may reroute.

    Parameters
    ----------
    adversaries : sequence of str, optional
        ISO3 codes of the banning countries; default the run's adversaries (role
        ``adversary`` in countries.csv), else CHN and RUS.
    targets : {"coalition", "members", "each"} or sequence of str
        Who is banned: the coalition (full members and associates of the run), its full
        members, each full member alone (one ban per member), or a list of ISO3 codes.
    sectors : {"tiered", "all"} or sequence of str
        The banned sectors: the run's restricted and incentivized sectors, all sectors, or a
        list of sector codes.
    rerouting : float
        Largest share of a lost input that other non-adversary origins may replace, in [0, 1].
    headroom : float, optional
        Spare capacity of the origins as a share of their output (>= 0); default the run's
        per-sector headroom (sectors.csv), else 0.25.
    technology : {"linear", "leontief"}
        How a shortage constrains output (module docstring): ``"linear"`` (default, output
        falls by the missing share of all inputs) or ``"leontief"`` (fixed proportions, the
        worst case: on the shipped network it cascades to about a third of every country's
        output).
    tol : float
        Stop when no node's relative output moves by more than this.
    max_iter : int
        At most this many propagation steps.
    """

    adversaries: Sequence[str] | None = None
    targets: str | Sequence[str] = "coalition"
    sectors: str | Sequence[str] = "tiered"
    rerouting: float = 0.5
    headroom: float | None = None
    technology: str = "linear"
    tol: float = 1e-9
    max_iter: int = 1000

    def __post_init__(self) -> None:
        if self.adversaries is not None:
            object.__setattr__(self, "adversaries", _codes(self.adversaries, "adversaries"))
            if isinstance(self.adversaries, str):
                object.__setattr__(self, "adversaries", (self.adversaries,))
        object.__setattr__(self, "targets", _codes(self.targets, "targets"))
        object.__setattr__(self, "sectors", _codes(self.sectors, "sectors"))
        if isinstance(self.targets, str) and self.targets not in ("coalition", "members", "each"):
            raise StressError(
                f"targets {self.targets!r}: use 'coalition', 'members', 'each' or ISO3 codes"
            )
        if isinstance(self.sectors, str) and self.sectors not in ("tiered", "all"):
            raise StressError(f"sectors {self.sectors!r}: use 'tiered', 'all' or sector codes")
        if not (isinstance(self.rerouting, (int, float)) and 0.0 <= self.rerouting <= 1.0):
            raise StressError(f"rerouting {self.rerouting!r}: must be a share in [0, 1]")
        h = self.headroom
        if h is not None and not (isinstance(h, (int, float)) and math.isfinite(h) and h >= 0):
            raise StressError(f"headroom {self.headroom!r}: must be a finite number >= 0")
        if self.technology not in TECHNOLOGIES:
            raise StressError(f"technology {self.technology!r}: use one of {TECHNOLOGIES}")
        if not (self.tol > 0 and int(self.max_iter) >= 1):
            raise StressError(f"tol {self.tol!r} / max_iter {self.max_iter!r}: must be positive")

    def to_dict(self) -> dict[str, object]:
        """Plain values (lists for tuples), for JSON."""

        def plain(v: object) -> object:
            return list(v) if isinstance(v, tuple) else v

        return {k: plain(getattr(self, k)) for k in self.__dataclass_fields__}


# ---------------------------------------------------------------------------------- run plan
@dataclass
class RunPlan:
    """What the stress test reads from a run directory.

    Attributes
    ----------
    name : str
        The scenario's name.
    roles : pandas.Series
        iso3 -> ``member``, ``associate``, ``outside`` or ``adversary``.
    tiers : pandas.Series
        sector -> tier.
    headroom : pandas.Series
        sector -> capacity headroom.
    links : pandas.DataFrame
        importer, exporter, sector, baseline, optimized (USD mn).
    domestic : pandas.DataFrame
        importer, sector, optimized: domestic substitution (USD mn).
    partnership : pandas.DataFrame
        importer, sector, optimized: adversary-linked home production (USD mn).
    """

    name: str
    roles: pd.Series
    tiers: pd.Series
    headroom: pd.Series
    links: pd.DataFrame
    domestic: pd.DataFrame
    partnership: pd.DataFrame

    @property
    def members(self) -> list[str]:
        """Full members, sorted."""
        return sorted(self.roles.index[self.roles == "member"])

    @property
    def associates(self) -> list[str]:
        """Associates, sorted."""
        return sorted(self.roles.index[self.roles == "associate"])

    @property
    def adversaries(self) -> list[str]:
        """Countries of role ``adversary``, sorted."""
        return sorted(self.roles.index[self.roles == "adversary"])


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, keep_default_na=False, dtype={c: str for c in columns[:3]})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise StressError(f"{path}: cannot read ({exc})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StressError(f"{path}: no column(s) {missing}")
    return df


def read_run_plan(directory: str | Path) -> RunPlan:
    """Read a run directory's plan (links.csv, domestic.csv, partnerships.csv, countries.csv,
    sectors.csv, summary.json).

    Raises
    ------
    StressError
        The directory does not exist, or lacks a file the stress test needs (named); a run
        without a solution writes no tables. partnerships.csv may be missing (no partnership).
    """
    d = Path(directory)
    if not d.is_dir():
        raise StressError(f"{d}: no such run directory")
    needed = ("links.csv", "domestic.csv", "countries.csv", "sectors.csv")
    missing = [f for f in needed if not (d / f).is_file()]
    if missing:
        raise StressError(
            f"{d}: run directory without {', '.join(missing)} (a run without a solution "
            "writes no tables)"
        )
    name = d.name
    if (d / "summary.json").is_file():
        try:
            name = str(json.loads((d / "summary.json").read_text()).get("name", d.name))
        except (OSError, json.JSONDecodeError):
            pass
    countries = _read_csv(d / "countries.csv", ["iso3", "role"])
    sectors = _read_csv(d / "sectors.csv", ["sector", "tier", "headroom"])
    links = _read_csv(d / "links.csv", ["importer", "exporter", "sector", "baseline", "optimized"])
    domestic = _read_csv(d / "domestic.csv", ["importer", "sector", "optimized"])
    if (d / "partnerships.csv").is_file():
        partnership = _read_csv(d / "partnerships.csv", ["importer", "sector", "optimized"])
    else:
        partnership = pd.DataFrame({"importer": [], "sector": [], "optimized": []})
    return RunPlan(
        name=name,
        roles=countries.set_index("iso3")["role"].astype(str),
        tiers=sectors.set_index("sector")["tier"].astype(str),
        headroom=sectors.set_index("sector")["headroom"].astype(float),
        links=links[["importer", "exporter", "sector", "baseline", "optimized"]],
        domestic=domestic[["importer", "sector", "optimized"]],
        partnership=partnership[["importer", "sector", "optimized"]],
    )


# --------------------------------------------------------------------------- node helpers
def _node_codes(network: Network) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Country and sector position of every node; numbers of countries and sectors."""
    nodes = network.nodes
    c = network.countries.get_indexer(nodes.get_level_values(0))
    s = network.sectors.get_indexer(nodes.get_level_values(1))
    return c.astype(np.int64), s.astype(np.int64), len(network.countries), len(network.sectors)


def _lookup(index: pd.Index, values: pd.Series | np.ndarray, what: str, file: str) -> np.ndarray:
    pos = index.get_indexer(pd.Index(values))
    if (pos < 0).any():
        bad = sorted(set(pd.Index(values)[pos < 0].astype(str)))[:5]
        raise StressError(f"{file}: unknown {what} {bad} (not in the network)")
    return pos.astype(np.int64)


def _check_known(codes: Sequence[str], index: pd.Index, what: str) -> list[str]:
    unknown = sorted(set(codes) - set(index))
    if unknown:
        raise StressError(f"unknown {what} {unknown} (not in the network)")
    return list(codes)


# ------------------------------------------------------------------------------ the plan
def apply_plan(
    network: Network,
    links: pd.DataFrame,
    domestic: pd.DataFrame | None = None,
    partnership: pd.DataFrame | None = None,
) -> Network:
    """The network after a plan's origin substitution (module docstring, "A plan").

    Parameters
    ----------
    network : Network
        The unplanned network.
    links : pandas.DataFrame
        importer, exporter, sector, baseline, optimized (USD mn); the change
        ``optimized - baseline`` moves the buyer country's purchases from that origin.
    domestic, partnership : pandas.DataFrame, optional
        importer, sector, optimized (USD mn): added home supply.

    Returns
    -------
    Network
        Same nodes, input shares and final demand; shares moved to the new origins; output
        solving the new table for the same final demand.
    """
    c_of, s_of, nC, nS = _node_codes(network)
    N = len(c_of)
    C, S = network.countries, network.sectors
    Z = network.flows().tocoo()
    row, col, val = Z.row.astype(np.int64), Z.col.astype(np.int64), Z.data
    # key (buyer country i, seller country j, seller sector s)
    key = (c_of[col] * nC + c_of[row]) * nS + s_of[row]
    size = nC * nC * nS
    f_net = np.bincount(key, weights=val, minlength=size)
    change = np.zeros(size)
    if len(links):
        i = _lookup(C, links["importer"], "importer", "links.csv")
        j = _lookup(C, links["exporter"], "exporter", "links.csv")
        s = _lookup(S, links["sector"], "sector", "links.csv")
        d = links["optimized"].to_numpy(float) - links["baseline"].to_numpy(float)
        change += np.bincount((i * nC + j) * nS + s, weights=d, minlength=size)
    for table, file in ((domestic, "domestic.csv"), (partnership, "partnerships.csv")):
        if table is not None and len(table):
            i = _lookup(C, table["importer"], "importer", file)
            s = _lookup(S, table["sector"], "sector", file)
            change += np.bincount(
                (i * nC + i) * nS + s, weights=table["optimized"].to_numpy(float), minlength=size
            )
    if not np.any(change):
        return network
    target = np.maximum(f_net + change, 0.0)
    scale = np.divide(target, f_net, out=np.ones(size), where=f_net > 0)
    data = val * scale[key]
    # new origins: spread over the buyer country's sectors by their purchases of s
    new = np.flatnonzero((f_net <= 0) & (target > 0))
    rows, cols = [row], [col]
    if len(new):
        bought = np.bincount(
            (c_of[col] * nS + s_of[row]) * nS + s_of[col], weights=val, minlength=nC * nS * nS
        ).reshape(nC, nS, nS)  # [i, s, b]
        theta = bought / np.maximum(bought.sum(axis=2, keepdims=True), 1e-300)
        i_new, rem = np.divmod(new, nC * nS)
        j_new, s_new = np.divmod(rem, nS)
        ii, bb = np.repeat(i_new, nS), np.tile(np.arange(nS), len(new))
        jj, ss = np.repeat(j_new, nS), np.repeat(s_new, nS)
        w = theta[ii, ss, bb] * np.repeat(target[new], nS)
        on = w > 0
        rows.append(jj[on] * nS + ss[on])
        cols.append(ii[on] * nS + bb[on])
        data = np.concatenate([data, w[on]])
    row2, col2 = np.concatenate(rows), np.concatenate(cols)
    # keep each buying node's requirement per input sector
    t0 = np.bincount(s_of[row] * N + col, weights=val, minlength=nS * N)
    t1 = np.bincount(s_of[row2] * N + col2, weights=data, minlength=nS * N)
    fix = np.divide(t0, t1, out=np.ones(nS * N), where=t1 > 0)
    data = data * fix[s_of[row2] * N + col2]
    inputs = network.input_share * network.output
    inv = np.divide(1.0, inputs, out=np.zeros(N), where=inputs > 0)
    shares = sp.coo_matrix((data * inv[col2], (row2, col2)), shape=(N, N)).tocsr()
    active = inputs > 0
    if (~active).any():  # inactive buyers keep their column as it is
        keep = sp.csr_matrix(network.shares.multiply((~active)[None, :].astype(float)))
        shares = sp.csr_matrix(shares.multiply(active[None, :].astype(float)) + keep)
    shares.sum_duplicates()
    shares.eliminate_zeros()
    # output: x' = x + dx, (I - T') dx = (T' - T) x keeps x' consistent with final demand
    t_new = sp.csr_matrix(shares.multiply(network.input_share[None, :]))
    rhs = t_new @ network.output - network.technical() @ network.output
    dx = np.zeros(N)
    if np.abs(rhs).max() > 0:
        m = sp.identity(N, format="csr") - t_new
        dx, info = spla.gmres(
            m, rhs, rtol=1e-13, atol=1e-12 * np.abs(rhs).max(), restart=60, maxiter=100
        )
        if info != 0 or np.abs(m @ dx - rhs).max() > 1e-6 * max(np.abs(rhs).max(), 1.0):
            dx = spla.spsolve(m.tocsc(), rhs)
    return Network(
        network.nodes,
        shares,
        network.input_share.copy(),
        np.maximum(network.output + dx, 0.0),
        network.final_demand.copy(),
    )


# ---------------------------------------------------------------------------- propagation
@dataclass
class Shock:
    """The outcome of one propagated ban.

    Attributes
    ----------
    ratio : numpy.ndarray
        Output of every node relative to the unshocked network, in [0, 1].
    output_loss, value_added_loss : numpy.ndarray
        USD mn per node.
    banned : numpy.ndarray
        Banned sales per seller node (USD mn at unshocked output).
    rerouted : float
        Replacement supply granted (USD mn).
    iterations : int
        Propagation steps taken.
    converged : bool
        Whether the last step moved no node by more than ``tol``.
    """

    ratio: np.ndarray
    output_loss: np.ndarray
    value_added_loss: np.ndarray
    banned: np.ndarray
    rerouted: float
    iterations: int
    converged: bool


def propagate(
    network: Network,
    sellers: np.ndarray,
    buyers: np.ndarray,
    rerouting: float = 0.5,
    headroom: float | np.ndarray = DEFAULT_HEADROOM,
    spare: np.ndarray | None = None,
    technology: str = "leontief",
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> Shock:
    """Propagate a ban of the ``sellers`` nodes' sales to the ``buyers`` nodes.

    Parameters
    ----------
    network : Network
        The unshocked network.
    sellers, buyers : numpy.ndarray of bool
        Node masks: every seller in ``sellers`` stops selling to every buyer in ``buyers``.
        Sellers are the adversary nodes of the banned sectors; their countries' other nodes
        are not rerouting origins either (``spare`` is zero there when given, and the
        adversary countries are read from ``sellers``' countries otherwise).
    rerouting : float
        Largest replaced share of a lost input.
    headroom : float or numpy.ndarray
        Spare capacity per node as a share of output (scalar or one per node); ignored when
        ``spare`` is given.
    spare : numpy.ndarray, optional
        Spare capacity per node (USD mn).
    technology : {"leontief", "linear"}
        Module docstring.
    tol, max_iter : float, int
        Stopping rule.

    Returns
    -------
    Shock
    """
    if technology not in TECHNOLOGIES:
        raise StressError(f"technology {technology!r}: use one of {TECHNOLOGIES}")
    c_of, s_of, _, nS = _node_codes(network)
    N = len(c_of)
    sellers = np.asarray(sellers, bool)
    buyers = np.asarray(buyers, bool)
    coo = network.shares.tocoo()
    row, col, val = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    del coo
    cut = sellers[row] & buyers[col]  # the banned entries
    cell = s_of[row] * N + col  # (input sector, buyer)
    need = np.bincount(cell, weights=val, minlength=nS * N).reshape(nS, N)  # w[s, m]
    lost = np.bincount(cell[cut], weights=val[cut], minlength=nS * N).reshape(nS, N)
    n_banned = int(cut.sum())
    inputs = network.input_share * network.output
    x = network.output
    if spare is None:
        h = np.broadcast_to(np.asarray(headroom, float), (N,))
        adversary_country = np.isin(c_of, np.unique(c_of[sellers]))
        spare = np.where(adversary_country, 0.0, h * x)
    pool = np.bincount(s_of, weights=np.maximum(spare, 0.0), minlength=nS)
    request = rerouting * lost * inputs[None, :]
    asked = request.sum(axis=1)
    grant = np.divide(pool, asked, out=np.ones(nS), where=asked > pool)
    grant = np.minimum(grant, 1.0)
    replaced = rerouting * lost * grant[:, None]  # share of the buyer's inputs
    rerouted = float((replaced * inputs[None, :]).sum())
    has = need > 1e-15
    inv_need = np.divide(1.0, need, out=np.zeros_like(need), where=has)
    # arrived[s, m] = base[s, m] - sum over rationed origins n of s of kept[n, m] (1 - rho[n])
    base = need - lost + replaced
    sales = np.bincount(row, weights=val * inputs[col], minlength=N)  # unshocked
    banned = np.bincount(row[cut], weights=val[cut] * inputs[col[cut]], minlength=N)
    # by_sector[(s, m), n] = kept[n, m] for n in sector s: arrived is one sparse product
    keep = ~cut
    by_sector = sp.csr_matrix((val[keep], (cell[keep], row[keep])), shape=(nS * N, N))
    nodes = np.arange(N)
    diag = keep & (row == col)
    self_share = np.bincount(row[diag], weights=val[diag], minlength=N)  # kept[m, m]
    own_need = need[s_of, nodes]
    inv_own = np.divide(1.0, own_need, out=np.zeros(N), where=own_need > 1e-15)
    self_ratio = self_share * inv_own
    k_sell = np.divide(x, sales, out=np.zeros(N), where=sales > 0)
    c_loop = self_ratio * k_sell
    r = np.ones(N)
    it, converged = 0, False
    if n_banned:
        while it < int(max_iter):  # bounded monotone fixed-point iteration
            it += 1
            # a seller serves its buyers' unshocked orders before final demand
            rho = np.minimum(1.0, np.divide(r * x, sales, out=np.ones(N), where=sales > 0))
            arrived = base
            if (rho < 1.0).any():
                arrived = base - (by_sector @ (1.0 - rho)).reshape(nS, N)
            if technology == "leontief":
                ratio = np.where(has, arrived * inv_need, np.inf)
                # a node's own sector: solve its loop through itself exactly (else the
                # iteration converges only geometrically, at the rate of its self-share)
                own = arrived[s_of, nodes] - self_share * rho
                ratio[s_of, nodes] = np.inf
                other = ratio.min(axis=0)
                b = own * inv_own
                sat = b + self_ratio  # own input is not rationed: k r >= 1
                lin = np.divide(b, 1.0 - c_loop, out=np.full(N, np.inf), where=c_loop < 1.0)
                loop = np.where((sales <= 0) | (x * sat >= sales), sat, lin)
                ratio = np.where(own_need > 1e-15, np.minimum(other, loop), other)
            else:
                ratio = 1.0 - np.maximum(need - arrived, 0.0).sum(axis=0)
            new = np.clip(np.minimum(ratio, r), 0.0, 1.0)
            new[inputs <= 0] = 1.0
            step = float(np.abs(new - r).max())
            r = new
            if step < tol:
                converged = True
                break
    else:
        converged = True
    loss = x * (1.0 - r)
    return Shock(
        ratio=r,
        output_loss=loss,
        value_added_loss=network.value_added_share * loss,
        banned=banned,
        rerouted=rerouted,
        iterations=it,
        converged=converged,
    )


# ---------------------------------------------------------------------------- the sweep
@dataclass
class _Context:
    """Everything one ban needs, picklable (sent once to each worker)."""

    before: Network
    after: Network | None
    spare_before: np.ndarray
    spare_after: np.ndarray | None
    sellers: np.ndarray
    rerouting: float
    technology: str
    tol: float
    max_iter: int


_CONTEXT: _Context | None = None


def _init_worker(ctx: _Context | None) -> None:
    global _CONTEXT
    _CONTEXT = ctx


def _ban_task(buyers: np.ndarray) -> tuple[Shock, Shock | None]:
    """One ban, without and with the plan (a plain function of a picklable mask)."""
    ctx = _CONTEXT
    assert ctx is not None
    kw = {
        "rerouting": ctx.rerouting,
        "technology": ctx.technology,
        "tol": ctx.tol,
        "max_iter": ctx.max_iter,
    }
    before = propagate(ctx.before, ctx.sellers, buyers, spare=ctx.spare_before, **kw)
    after = None
    if ctx.after is not None:
        after = propagate(ctx.after, ctx.sellers, buyers, spare=ctx.spare_after, **kw)
    return before, after


def _ban_in(ctx: _Context, buyers: np.ndarray) -> tuple[Shock, Shock | None]:
    """One ban with its context passed along (the Dask executor)."""
    _init_worker(ctx)
    return _ban_task(buyers)


def _run_bans(
    ctx: _Context,
    bans: list[np.ndarray],
    workers: int,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list:
    if executor == "dask":
        from planner.sweep import dask_client

        with dask_client(workers, scheduler) as client:
            shared = client.scatter(ctx, broadcast=True)  # the networks, once per worker
            futures = client.map(_ban_in, [shared] * len(bans), bans, pure=False)
            out = []
            for k, future in enumerate(futures):
                out.append(future.result())
                if progress is not None:
                    progress(k + 1, len(bans))
            return out
    try:  # spawned workers; an unguarded script runs the bans here instead of hanging
        return process_map(
            _ban_task,
            bans,
            workers,
            initializer=_init_worker,
            initargs=(ctx,),
            what="bans",
            progress=progress,
        )
    finally:
        _init_worker(None)


# ---------------------------------------------------------------------------- the result
@dataclass
class StressResult:
    """Losses of one stress test (USD mn and % of output).

    Attributes
    ----------
    spec : StressSpec
        What was asked.
    name : str
        The run's (or baseline's) name.
    bans : list of str
        One name per ban: ``"coalition"``, ``"members"``, ``"list"`` or a member's ISO3 in an
        ``each`` sweep; the first column of every table.
    by_country, by_group, by_sector : pandas.DataFrame
        Output and value-added loss before the plan (``*_before``), after it (``*_after``)
        and protected (before - after), per ban and country, group or (group, sector).
        Without a plan the ``after`` and ``protected`` columns are absent.
    ranking : pandas.DataFrame or None
        ``each`` sweep: members ranked by their own loss (% of output) before and after.
    summary : dict
        Resolved adversaries, targets, sectors, parameters, totals and convergence.
    """

    spec: StressSpec
    name: str
    bans: list[str]
    by_country: pd.DataFrame
    by_group: pd.DataFrame
    by_sector: pd.DataFrame
    ranking: pd.DataFrame | None
    summary: dict[str, object] = field(default_factory=dict)

    @property
    def planned(self) -> bool:
        """Whether a plan was applied (``after`` columns exist)."""
        return "output_loss_after" in self.by_country.columns

    def write(
        self, directory: str | Path, plots: bool = True, command: Sequence[str] | None = None
    ) -> Path:
        """Write a NEW directory atomically (hidden ``.NAME.partial-PID``, then rename).

        Files: by_country.csv, by_group.csv, by_sector.csv, ranking.csv (``each``),
        summary.json, report.md, report.html, loss_by_member.png (with matplotlib) and
        manifest.json (sha256 of every file). Refuses a directory that exists.
        """
        directory = Path(directory).resolve()
        if directory.exists():
            raise StressError(f"{directory}: exists already; choose another output directory")
        return write_atomically(
            directory,
            lambda tmp: self._write_files(tmp, plots, list(command or [])),
            StressError,
            what="stress test",
        )

    def _write_files(self, d: Path, plots: bool, command: list[str]) -> None:
        tables = {
            "by_country": self.by_country,
            "by_group": self.by_group,
            "by_sector": self.by_sector,
        }
        if self.ranking is not None:
            tables["ranking"] = self.ranking
        for name, df in tables.items():
            clean_floats(df).to_csv(
                d / f"{name}.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
            )
        figures: dict[str, Path] = {}
        note = ""
        if plots:
            if HAVE_MATPLOTLIB:
                figures["loss by member"] = _plot_members(self, d / "loss_by_member.png")
            else:
                note = "Plot left out: matplotlib is not installed (the `plots` extra)."
        summary = {**self.summary, "plot": bool(figures), "plot_note": note or None}
        (d / "summary.json").write_text(
            json.dumps(json_safe(summary), indent=2, sort_keys=True, default=float) + "\n"
        )
        (d / "report.md").write_text(self.markdown(figures, note))
        (d / "report.html").write_text(self.html(figures, note))
        files = sorted(p.name for p in d.iterdir() if p.is_file())
        manifest = {
            "files": {n: sha256_file(d / n) for n in files},
            "command": command,
            "spec": self.spec.to_dict(),
            "complete": True,
        }
        (d / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    # ------------------------------------------------------------------ reports
    def _members_table(self) -> pd.DataFrame:
        """Loss per member (its own ban in a sweep, the one ban otherwise), largest first."""
        if self.ranking is not None:
            return self.ranking.set_index("country")
        t = self.by_country[self.by_country["group"].isin(["member", "associate"])]
        t = t[t["ban"] == self.bans[0]].set_index("country")
        return t.sort_values("output_loss_pct_before", ascending=False)

    def _members_brief(self, rows: int = 30) -> pd.DataFrame:
        """The member table's main columns, for the reports."""
        t = self._members_table().head(rows)
        keep = [
            c
            for c in (
                "group",
                "output_loss_before",
                "output_loss_pct_before",
                "va_loss_before",
                "output_loss_after",
                "output_loss_pct_after",
                "protected_output",
            )
            if c in t.columns
        ]
        return t[keep]

    def headline(self) -> str:
        """Plain-language sentences: the ban, the loss and what the plan protects."""
        s = self.summary
        sectors = list(s["sectors"])  # type: ignore[call-overload]
        more = " ..." if len(sectors) > 12 else ""
        sec = (
            "all sectors"
            if s["sectors_rule"] == "all"
            else f"{len(sectors)} sector(s) ({', '.join(sectors[:12])}{more})"
        )
        adv = ", ".join(s["adversaries"])  # type: ignore[arg-type]
        p = self.spec
        txt = (
            f"Stress test of {self.name}: {adv} stop selling {sec} to "
            f"{s['targets_text']}; other origins may replace up to {p.rerouting:.0%} of a lost "
            f"input within their spare capacity ({s['headroom_text']}), {p.technology} "
            "technology."
        )
        g = self.by_group
        first = g[g["ban"] == self.bans[0]].set_index("group")
        if self.ranking is None and "targets" in first.index:
            t = first.loc["targets"]
            txt += (
                f" The targets lose USD {t['output_loss_before']:,.0f} mn of gross output "
                f"({t['output_loss_pct_before']:.2f} %) and USD "
                f"{t['va_loss_before']:,.0f} mn of value added without the plan"
            )
            if self.planned:
                txt += (
                    f", USD {t['output_loss_after']:,.0f} mn ({t['output_loss_pct_after']:.2f}"
                    f" %) with it: the plan protects USD {t['protected_output']:,.0f} mn of "
                    "output"
                )
            txt += "."
            if "adversaries" in first.index:
                a = first.loc["adversaries"]
                txt += (
                    f" The adversaries lose USD {a['output_loss_before']:,.0f} mn of output "
                    f"through the network and USD {a['lost_sales_before']:,.0f} mn of sales."
                )
        elif self.ranking is not None and len(self.ranking):
            top = self.ranking.iloc[0]
            txt += (
                f" Most exposed alone: {top['country']} "
                f"({top['output_loss_pct_before']:.2f} % of its output)"
            )
            if self.planned:
                txt += f"; after the plan {top['output_loss_pct_after']:.2f} %"
            txt += "."
        return txt

    def markdown(self, figures: dict[str, Path] | None = None, note: str = "") -> str:
        """The report section in Markdown."""
        out = [f"## Coercion stress test: {self.name}", "", self.headline(), ""]
        out += ["### Loss by group", "", _md(self.by_group), ""]
        out += [
            "### Loss by member (% of output, USD mn)",
            "",
            _md(self._members_brief().reset_index()),
            "",
        ]
        for name, path in (figures or {}).items():
            out += [f"![{name}]({Path(path).name})", ""]
        if note:
            out += [f"({note})", ""]
        return "\n".join(out)

    def html(self, figures: dict[str, Path] | None = None, note: str = "") -> str:
        """A self-contained HTML version (figure embedded)."""
        body = [
            f"<h2>Coercion stress test: {html.escape(self.name)}</h2>",
            f"<p>{html.escape(self.headline())}</p>",
            "<h3>Loss by group</h3>",
            self.by_group.to_html(
                index=False, float_format=lambda v: f"{v:,.4g}", border=0, classes="t"
            ),
        ]
        for name, path in (figures or {}).items():
            data = base64.b64encode(Path(path).read_bytes()).decode()
            body.append(
                f'<figure><img alt="{html.escape(name)}" '
                f'src="data:image/png;base64,{data}"></figure>'
            )
        if note:
            body.append(f"<p>{html.escape(note)}</p>")
        body += [
            "<h3>Loss by member</h3>",
            self._members_brief().to_html(
                float_format=lambda v: f"{v:,.4g}", border=0, classes="t"
            ),
        ]
        style = (
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
            "table.t{border-collapse:collapse;font-size:0.85em}"
            "table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #ddd}"
            "img{max-width:100%}"
        )
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(self.name)} stress test</title><style>{style}</style></head>"
            "<body>" + "\n".join(body) + "</body></html>\n"
        )


def _md(df: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.4g}" if abs(v) < 100 else f"{v:,.0f}"
        return str(v).replace("|", "/")

    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(lines)


def _plot_members(result: StressResult, path: Path, top: int = 30) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = result._members_table().head(top)
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(m) + 1.5))
    y = np.arange(len(m))
    ax.barh(
        y + 0.2, m["output_loss_pct_before"], height=0.4, label="without the plan", color="#999"
    )
    if result.planned:
        ax.barh(
            y - 0.2, m["output_loss_pct_after"], height=0.4, label="with the plan", color="#2166ac"
        )
    ax.set_yticks(y, list(m.index))
    ax.invert_yaxis()
    ax.set_xlabel("gross output lost (% of the country's output)")
    ax.set_title(
        "Output loss by coalition country under the ban"
        + (" (each member banned alone)" if result.ranking is not None else "")
    )
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


# -------------------------------------------------------------------------- tables
def _pct(loss: np.ndarray, base: np.ndarray) -> np.ndarray:
    return np.divide(100.0 * loss, base, out=np.zeros_like(loss, dtype=float), where=base > 0)


def _frame(
    keys: dict[str, np.ndarray],
    shocks: tuple[Shock, Shock | None],
    nets: tuple[Network, Network | None],
    groups: np.ndarray,
    n_groups: int,
    lost_sales: bool,
) -> pd.DataFrame:
    """Sum node values into ``groups`` (an integer per node, -1 = left out)."""
    on = groups >= 0
    g = groups[on]

    def total(v: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=v[on], minlength=n_groups)

    out = dict(keys)
    for tag, shock, net in (("before", shocks[0], nets[0]), ("after", shocks[1], nets[1])):
        if shock is None or net is None:
            continue
        x = total(net.output)
        va = total(net.value_added_share * net.output)
        lo, lv = total(shock.output_loss), total(shock.value_added_loss)
        out[f"output_{tag}"] = x
        out[f"output_loss_{tag}"] = lo
        out[f"output_loss_pct_{tag}"] = _pct(lo, x)
        out[f"value_added_{tag}"] = va
        out[f"va_loss_{tag}"] = lv
        out[f"va_loss_pct_{tag}"] = _pct(lv, va)
        if lost_sales:
            out[f"lost_sales_{tag}"] = total(shock.banned)
    if shocks[1] is not None:
        out["protected_output"] = out["output_loss_before"] - out["output_loss_after"]
        out["protected_va"] = out["va_loss_before"] - out["va_loss_after"]
    return pd.DataFrame(out)


def _tables(
    ban: str,
    shocks: tuple[Shock, Shock | None],
    nets: tuple[Network, Network | None],
    role: np.ndarray,
    countries: pd.Index,
    sectors: pd.Index,
    c_of: np.ndarray,
    s_of: np.ndarray,
    target_country: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    nC, nS = len(countries), len(sectors)
    by_country = _frame(
        {
            "ban": np.full(nC, ban, dtype=object),
            "country": np.asarray(countries),
            "group": role,
            "target": target_country,
        },
        shocks,
        nets,
        c_of,
        nC,
        True,
    )
    # groups overlap (targets are members, too): one frame per group, stacked
    node_role = role[c_of]
    masks = {
        "targets": target_country[c_of],
        "members": node_role == "member",
        "associates": node_role == "associate",
        "others": ~np.isin(node_role, ["member", "associate", "adversary"]) & ~target_country[c_of],
        "adversaries": node_role == "adversary",
    }
    counts = {
        "targets": int(target_country.sum()),
        "members": int((role == "member").sum()),
        "associates": int((role == "associate").sum()),
        "others": int(
            (~np.isin(role, ["member", "associate", "adversary"]) & ~target_country).sum()
        ),
        "adversaries": int((role == "adversary").sum()),
    }
    rows, secs = [], []
    for name in GROUPS:  # five fixed groups, each one vectorised bincount
        mask = masks[name]
        grp = np.where(mask, 0, -1)
        rows.append(
            _frame(
                {"ban": [ban], "group": [name], "countries": [counts[name]]},
                shocks,
                nets,
                grp,
                1,
                True,
            )
        )
        gs = np.where(mask, s_of, -1)
        secs.append(
            _frame(
                {
                    "ban": np.full(nS, ban, dtype=object),
                    "group": np.full(nS, name, dtype=object),
                    "sector": np.asarray(sectors),
                },
                shocks,
                nets,
                gs,
                nS,
                False,
            )
        )
    return by_country, pd.concat(rows, ignore_index=True), pd.concat(secs, ignore_index=True)


# ------------------------------------------------------------------------------ entry
def stress_test(
    network: Network,
    spec: StressSpec | None = None,
    run: str | Path | RunPlan | None = None,
    workers: int = 1,
    name: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StressResult:
    """Propagate a ban without a plan and (with ``run``) with the run's plan.

    Parameters
    ----------
    network : Network
        The unplanned network (``Dataset.require_network()``).
    spec : StressSpec, optional
        What to ban; default :class:`StressSpec()`.
    run : path or RunPlan, optional
        A run directory (or its :class:`RunPlan`): members, associates, tiers, headroom, the
        adversaries and the plan. Without it the test runs on the plain baseline:
        ``targets`` must then be ISO3 codes and ``sectors`` ``"all"`` or codes.
    workers : int
        Processes for several bans (``targets="each"``; spawn context), 1 = in this process.
    name : str, optional
        Name in the reports (default the run's scenario name, else ``"baseline"``).
    executor : {"local", "dask"}
        Where several bans run: local processes, or a Dask distributed cluster (``scheduler``
        address, or a local cluster of ``workers`` processes); the networks are sent once
        per worker.
    scheduler : str, optional
        Dask scheduler address.
    progress : callable, optional
        Called with ``(done, total)`` as bans finish (a progress bar for an ``each`` sweep,
        :func:`planner.solver.progress.progress_bar`).

    Returns
    -------
    StressResult

    Raises
    ------
    StressError
        Unknown target country or sector, a rule that needs a run without one, a run
        directory without the needed files.
    """
    if executor not in ("local", "dask"):
        raise StressError(f"executor {executor!r}: use 'local' or 'dask'")
    spec = spec or StressSpec()
    plan = read_run_plan(run) if isinstance(run, (str, Path)) else run
    C, S = network.countries, network.sectors
    c_of, s_of, nC, _ = _node_codes(network)
    # adversaries
    if spec.adversaries is not None:
        adversaries = _check_known(list(spec.adversaries), C, "adversary country")
    elif plan is not None and plan.adversaries:
        adversaries = plan.adversaries
    else:
        adversaries = [a for a in DEFAULT_ADVERSARIES if a in C]
    adversaries = sorted(set(adversaries))
    if not adversaries:
        raise StressError("no adversary country in the network")
    # roles
    role = np.full(nC, "outside", dtype=object)
    if plan is not None:
        _check_known(list(plan.roles.index), C, "country in countries.csv")
        role[C.get_indexer(plan.roles.index)] = plan.roles.to_numpy(dtype=object)
    role[C.get_indexer(adversaries)] = "adversary"
    members = [str(c) for c in C[role == "member"]]
    associates = [str(c) for c in C[role == "associate"]]

    def need_run(what: str) -> None:
        if plan is None:
            raise StressError(f"{what} needs a run directory (give ISO3 codes / sector codes)")

    # targets
    t = spec.targets
    if t == "coalition":
        need_run("targets 'coalition'")
        ban_sets, ban_names = [sorted(members + associates)], ["coalition"]
    elif t == "members":
        need_run("targets 'members'")
        ban_sets, ban_names = [members], ["members"]
    elif t == "each":
        need_run("targets 'each'")
        ban_sets, ban_names = [[m] for m in members], list(members)
    else:
        codes = _check_known(list(t), C, "target country")
        ban_sets, ban_names = [sorted(set(codes))], ["targets"]
    for b in ban_sets:
        bad = sorted(set(b) & set(adversaries))
        if bad:
            raise StressError(f"target(s) {bad} are adversaries themselves")
    if not ban_sets or not any(ban_sets):
        raise StressError(f"targets {t!r}: no country to ban (the run has none)")
    # sectors
    if spec.sectors == "all":
        sectors = list(S)
    elif spec.sectors == "tiered":
        need_run("sectors 'tiered'")
        assert plan is not None
        sectors = sorted(plan.tiers.index[plan.tiers != "open"])
        _check_known(sectors, S, "sector in sectors.csv")
        if not sectors:
            raise StressError("sectors 'tiered': the run has no restricted or incentivized sector")
    else:
        sectors = sorted(set(_check_known(list(spec.sectors), S, "sector")))
    # headroom per node
    if spec.headroom is not None:
        h = np.full(len(c_of), float(spec.headroom))
        headroom_text = f"headroom {spec.headroom:.0%} of output"
    elif plan is not None:
        hs = plan.headroom.reindex(S).fillna(DEFAULT_HEADROOM).to_numpy(float)
        h = hs[s_of]
        headroom_text = "the run's per-sector headroom"
    else:
        h = np.full(len(c_of), DEFAULT_HEADROOM)
        headroom_text = f"headroom {DEFAULT_HEADROOM:.0%} of output"
    adv_node = np.isin(c_of, C.get_indexer(adversaries))
    sellers = adv_node & np.isin(s_of, S.get_indexer(sectors))
    spare_before = np.where(adv_node, 0.0, h * network.output)
    after_net, spare_after = None, None
    if plan is not None:
        after_net = apply_plan(network, plan.links, plan.domestic, plan.partnership)
        capacity = (1.0 + h) * network.output
        spare_after = np.where(adv_node, 0.0, np.maximum(capacity - after_net.output, 0.0))
    ctx = _Context(
        network,
        after_net,
        spare_before,
        spare_after,
        sellers,
        float(spec.rerouting),
        spec.technology,
        float(spec.tol),
        int(spec.max_iter),
    )
    target_masks = [np.isin(C, b) for b in ban_sets]
    outcomes = _run_bans(
        ctx, [m[c_of] for m in target_masks], workers, executor, scheduler, progress
    )
    countries_t, groups_t, sectors_t, conv = [], [], [], []
    for bname, tmask, shocks in zip(ban_names, target_masks, outcomes, strict=True):
        a, b, c = _tables(bname, shocks, (network, after_net), role, C, S, c_of, s_of, tmask)
        countries_t.append(a)
        groups_t.append(b)
        sectors_t.append(c)
        conv += [(s.iterations, s.converged) for s in shocks if s is not None]
    by_country = pd.concat(countries_t, ignore_index=True)
    by_group = pd.concat(groups_t, ignore_index=True)
    by_sector = pd.concat(sectors_t, ignore_index=True)
    ranking = None
    if t == "each":
        own = by_country[by_country["target"]].copy()
        cols = [
            "country",
            "output_before",
            "output_loss_before",
            "output_loss_pct_before",
            "va_loss_before",
            "va_loss_pct_before",
        ]
        if after_net is not None:
            cols += [
                "output_loss_after",
                "output_loss_pct_after",
                "va_loss_after",
                "va_loss_pct_after",
                "protected_output",
            ]
        ranking = own[cols].reset_index(drop=True)
        world = by_group[by_group["group"].isin(GROUPS[1:])].groupby("ban", sort=False)
        ranking["world_loss_before"] = (
            world["output_loss_before"].sum().reindex(ranking["country"]).to_numpy()
        )
        ranking["rank_before"] = (
            ranking["output_loss_pct_before"].rank(ascending=False, method="min").astype(int)
        )
        if after_net is not None:
            ranking["world_loss_after"] = (
                world["output_loss_after"].sum().reindex(ranking["country"]).to_numpy()
            )
            ranking["rank_after"] = (
                ranking["output_loss_pct_after"].rank(ascending=False, method="min").astype(int)
            )
        ranking = ranking.sort_values(["rank_before", "country"], ignore_index=True)
    if t == "each":
        targets_text = f"each of the {len(members)} full members alone"
    elif t in ("coalition", "members"):
        n = len(ban_sets[0])
        targets_text = f"the {'coalition' if t == 'coalition' else 'full members'} ({n} countries)"
    else:
        targets_text = ", ".join(ban_sets[0])
    summary: dict[str, object] = {
        "name": name or (plan.name if plan is not None else "baseline"),
        "spec": spec.to_dict(),
        "adversaries": adversaries,
        "targets_rule": t if isinstance(t, str) else "list",
        "targets": ban_sets[0] if len(ban_sets) == 1 else [b[0] for b in ban_sets],
        "targets_text": targets_text,
        "sectors_rule": spec.sectors if isinstance(spec.sectors, str) else "list",
        "sectors": sectors,
        "headroom_text": headroom_text,
        "planned": after_net is not None,
        "bans": len(ban_sets),
        "iterations_max": max(i for i, _ in conv),
        "converged": all(c for _, c in conv),
        "model": "supply-constrained input-output with rerouting",
    }
    first = by_group[(by_group["ban"] == ban_names[0])].set_index("group")
    for g in GROUPS:
        for col in (
            "output_loss_before",
            "output_loss_pct_before",
            "va_loss_before",
            "output_loss_after",
            "output_loss_pct_after",
            "va_loss_after",
            "protected_output",
            "protected_va",
        ):
            if col in first.columns and len(ban_sets) == 1:
                summary.setdefault("groups", {}).setdefault(g, {})[col] = float(  # type: ignore[union-attr]
                    first.loc[g, col]
                )
    if ranking is not None:
        summary["ranking"] = ranking[
            ["country", "rank_before"] + (["rank_after"] if after_net is not None else [])
        ].to_dict("records")
    result = StressResult(
        spec, str(summary["name"]), ban_names, by_country, by_group, by_sector, ranking, summary
    )
    summary["headline"] = result.headline()
    return result


def run_stress(
    spec: StressSpec | None = None,
    run: str | Path | None = None,
    dataset: object | None = None,
    workers: int = 1,
) -> StressResult:
    """:func:`stress_test` on a dataset's network: the run's dataset (its scenario.toml
    ``data.path``) unless ``dataset`` is given, else the shipped one.

    Raises
    ------
    StressError
        The dataset has no input-output network (or the errors of :func:`stress_test`).
    """
    if dataset is None:
        if run is not None and (Path(run) / "scenario.toml").is_file():
            from planner.scenario import load_scenario, load_scenario_dataset

            dataset = load_scenario_dataset(load_scenario(Path(run) / "scenario.toml"))
        else:
            from planner.data.loaders import load_dataset

            dataset = load_dataset()
    network = _network_of(dataset)
    return stress_test(network, spec, run, workers)


def _network_of(dataset: object) -> Network:
    require = getattr(dataset, "require_network", None)
    if callable(require):
        net = require()
    else:
        net = getattr(dataset, "network", None)
    if not isinstance(net, Network):
        name = getattr(dataset, "name", "dataset")
        raise StressError(f"dataset {name!r} has no input-output network (network file missing)")
    return net
