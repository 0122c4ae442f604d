"""Dantzig-Wolfe decomposition of a block-angular LP: exact, block by block.

Many programs of the planner fall apart into independent blocks once a few *linking* rows are
set aside: with members and tiers fixed, the sourcing LP's sectors share only the budget and the
import-volume row. :func:`solve_decomposed` finds the blocks (connected components of the other
rows), then runs column generation:

* a small *master* LP chooses, for each block, a convex combination of the block's proposals
  (points it has already returned) subject to the linking rows;
* each block is then *priced*: it solves its own LP with the costs ``c - pi A_link`` (``pi``
  the master's duals on the linking rows) and returns a new proposal if that has a negative
  reduced cost.

Phase 1 minimises artificial slacks on the linking rows (a positive optimum proves the program
infeasible), phase 2 the objective. The Lagrangian bound ``z_master + sum_k min(0, rc_k)``
brackets the optimum; the loop stops when the gap closes to ``gap`` (relative), so the answer
is the LP optimum, not a heuristic. Each block stays loaded in HiGHS between iterations
(:class:`planner.solver.highs.HighsSession`): only its costs change, so it hot-starts.

Like the rest of :mod:`planner.solver`, this knows nothing of trade: it reads a program's
arrays and the names of its linking families.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from formulations.program import Program
from planner.solver import highs
from planner.solver.api import _numerics, _numerics_text, assemble_result, objective_scale
from planner.solver.arrays import ProgramArrays
from planner.solver.options import SolveOptions
from planner.solver.result import BackendOutcome, SolveError, SolveResult, Status

__all__ = ["BlockStructure", "block_structure", "solve_decomposed"]


@dataclass(frozen=True)
class BlockStructure:
    """Linking rows and the independent blocks of the remaining rows.

    Attributes
    ----------
    linking_rows : numpy.ndarray
        Global rows set aside (they couple the blocks).
    block_cols, block_rows : list of numpy.ndarray
        Global columns and rows of each block; every column is in exactly one block, every
        non-linking row in the block of its columns.
    """

    linking_rows: np.ndarray
    block_cols: list[np.ndarray]
    block_rows: list[np.ndarray]

    @property
    def n_blocks(self) -> int:
        return len(self.block_cols)


def block_structure(
    program: Program, linking: Sequence[str], min_block_columns: int = 1000
) -> BlockStructure:
    """Split ``program`` into blocks that only the ``linking`` families couple.

    Parameters
    ----------
    program : formulations.program.Program
        A built program.
    linking : sequence of str
        Families whose rows couple the blocks (e.g. ``["budget", "openness_volume"]``).
    min_block_columns : int
        Components smaller than this are packed together (one LP per tiny component costs more
        in overhead than it saves).

    Returns
    -------
    BlockStructure
    """
    if isinstance(linking, str):
        linking = [linking]
    for name in linking:
        program.family(name)  # KeyError naming the known families
    a = program.matrix()
    n_rows, n_cols = a.shape
    link = (
        np.unique(np.concatenate([program.family(n).rows for n in linking]))
        if linking
        else np.zeros(0, np.int64)
    )
    is_link = np.zeros(n_rows, bool)
    is_link[link] = True
    rest = a[np.flatnonzero(~is_link)]
    coo = rest.tocoo()
    # bipartite graph: column nodes 0..n_cols-1, row nodes after them
    graph = sp.coo_matrix(
        (np.ones(coo.nnz, np.int8), (coo.col, n_cols + coo.row)),
        shape=(n_cols + rest.shape[0], n_cols + rest.shape[0]),
    )
    _, label = connected_components(graph, directed=False)
    col_comp = label[:n_cols]
    rest_rows = np.flatnonzero(~is_link)
    row_comp = label[n_cols:]
    # pack components (largest first) into blocks of at least min_block_columns columns
    comps, sizes = np.unique(col_comp, return_counts=True)
    order = np.argsort(-sizes, kind="stable")
    block_of_comp = np.empty(int(label.max()) + 1, np.int64)
    block, filled = 0, 0
    for c, size in zip(comps[order], sizes[order], strict=True):
        block_of_comp[c] = block
        filled += int(size)
        if filled >= min_block_columns:
            block, filled = block + 1, 0
    n_blocks = block + (1 if filled else 0)
    col_block = block_of_comp[col_comp]
    # rows whose component has no column (empty rows) go with block 0
    has_cols = np.zeros(len(block_of_comp), bool)
    has_cols[comps] = True
    row_block = np.where(has_cols[row_comp], block_of_comp[row_comp], 0)
    cols_sorted = np.argsort(col_block, kind="stable")
    rows_sorted = np.argsort(row_block, kind="stable")
    col_splits = np.searchsorted(col_block[cols_sorted], np.arange(1, n_blocks))
    row_splits = np.searchsorted(row_block[rows_sorted], np.arange(1, n_blocks))
    return BlockStructure(
        linking_rows=link,
        block_cols=np.split(cols_sorted, col_splits),
        block_rows=[rest_rows[r] for r in np.split(rows_sorted, row_splits)],
    )


@dataclass
class _Block:
    cols: np.ndarray
    arrays: ProgramArrays  # the block's own rows; costs replaced at each pricing
    link: sp.csr_matrix  # linking rows x block columns
    session: highs.HighsSession
    # each proposal: sparse point (local index, value), its cost c.x and linking activity
    proposals: list[tuple[np.ndarray, np.ndarray, float, np.ndarray]]
    row_duals: np.ndarray | None = None


def _sub_arrays(full: ProgramArrays, cols: np.ndarray, rows: np.ndarray) -> ProgramArrays:
    return ProgramArrays(
        name=f"{full.name}_block",
        c=np.zeros(len(cols)),
        constant=0.0,
        maximize=False,
        a=full.a[rows][:, cols].tocsr(),
        sense_codes=full.sense_codes[rows],
        rhs=full.rhs[rows],
        col_lower=full.col_lower[cols],
        col_upper=full.col_upper[cols],
        integrality=np.zeros(len(cols), dtype=full.integrality.dtype),
    )


def solve_decomposed(
    program: Program,
    linking: Sequence[str],
    options: SolveOptions | None = None,
    gap: float = 1e-6,
    max_iterations: int = 500,
    min_block_columns: int = 1000,
    workers: int | None = None,
) -> SolveResult:
    """Solve a block-angular LP by Dantzig-Wolfe column generation with HiGHS.

    Parameters
    ----------
    program : formulations.program.Program
        An LP (no integer columns) whose rows, apart from the ``linking`` families, fall into
        independent blocks, each bounded (every block column has finite bounds or is held by
        its block's rows).
    linking : sequence of str
        The coupling families, e.g. ``["budget", "openness_volume"]`` for the sourcing LP.
    options : SolveOptions, optional
        ``time_limit`` bounds the whole loop; ``verbose`` prints one line per iteration.
    gap : float
        Stop when (master objective - Lagrangian bound) <= gap * max(1e-12, |objective|).
    max_iterations : int
        Stop (``time_limit_feasible``) after this many pricing rounds.
    min_block_columns : int
        See :func:`block_structure`.
    workers : int, optional
        Blocks priced at once, in threads (HiGHS releases the GIL while it solves); default
        ``options.threads`` (1 if unset). Each block LP then runs on one thread.

    Returns
    -------
    SolveResult
        As :func:`planner.solver.solve` returns, with ``backend`` ``"highs"``, the solver
        name ``"HiGHS (Dantzig-Wolfe)"``, duals of every row (linking rows from the master,
        block rows from the last pricing) and the iterations in the log.

    Raises
    ------
    ValueError
        The program has integer columns.
    SolveError
        A block LP is unbounded (column generation needs bounded blocks).
    """
    options = options or SolveOptions()
    t_start = time.perf_counter()
    original = ProgramArrays.from_program(program)
    if original.is_mip:
        raise ValueError("solve_decomposed solves LPs only; the program has integer columns")
    sign = -1.0 if original.maximize else 1.0
    scale = objective_scale(original.c) if options.scale_objective else 1.0
    c = sign * scale * original.c  # minimised internally
    numerics = _numerics(program, scale)
    structure = block_structure(program, linking, min_block_columns)
    link_rows = structure.linking_rows
    a_link = original.a[link_rows]
    link_sense = original.sense_codes[link_rows]
    link_rhs = original.rhs[link_rows]
    n_workers = max(1, int(workers if workers is not None else options.threads or 1))
    sub_opts = options.with_(
        time_limit=None,
        verbose=False,
        log_file=None,
        threads=1 if n_workers > 1 else options.threads,
    )
    blocks = [
        _Block(
            cols=cols,
            arrays=_sub_arrays(original, cols, rows),
            link=a_link[:, cols].tocsr(),
            session=highs.HighsSession(),
            proposals=[],
        )
        for cols, rows in zip(structure.block_cols, structure.block_rows, strict=True)
    ]
    lines = [
        f"Dantzig-Wolfe: {len(blocks)} blocks (columns {min(len(b.cols) for b in blocks)}-"
        f"{max(len(b.cols) for b in blocks)}), {len(link_rows)} linking rows "
        f"({', '.join(linking)})",
        f"{'iter':>5} {'phase':>5} {'master':>14} {'bound':>14} {'columns':>8} {'seconds':>8}",
    ]
    version = ""

    def price(block: _Block, duals: np.ndarray, phase: int) -> tuple[float, np.ndarray]:
        """(value of the block LP at costs c - pi A_link, its point)."""
        nonlocal version
        cost = (0.0 if phase == 1 else c[block.cols]) - block.link.T @ duals
        arr = replace(block.arrays, c=np.asarray(cost, dtype=float))
        out = block.session.solve(arr, sub_opts)
        version = out.solver_version
        if out.status is Status.UNBOUNDED:
            raise SolveError(
                f"a block of {len(block.cols)} columns is unbounded at the master's prices; "
                "column generation needs bounded blocks"
            )
        if out.status is not Status.OPTIMAL or out.x is None:
            return math.nan, np.zeros(0)
        block.row_duals = out.row_duals
        return float(cost @ out.x), out.x

    def add(block: _Block, x: np.ndarray) -> None:
        nz = np.flatnonzero(x)
        val = x[nz]
        cost = float(c[block.cols[nz]] @ val)
        block.proposals.append((nz, val, cost, block.link[:, nz] @ val))

    # artificial slacks on the linking rows: +1 helps a >= row, -1 a <= row, both for ==
    art_rows = np.concatenate([np.flatnonzero(link_sense >= 0), np.flatnonzero(link_sense <= 0)])
    art_sign = np.concatenate(
        [np.ones(int((link_sense >= 0).sum())), -np.ones(int((link_sense <= 0).sum()))]
    )

    def master(phase: int) -> BackendOutcome:
        k = len(blocks)
        costs, link_coef, conv = [], [], []
        for bi, b in enumerate(blocks):
            for _, _, cost, activity in b.proposals:
                costs.append(0.0 if phase == 1 else cost)
                link_coef.append(activity)
                conv.append(bi)
        n_prop = len(costs)
        m_link = len(link_rows)
        g = np.array(link_coef).reshape(n_prop, m_link).T if n_prop else np.zeros((m_link, 0))
        rows_l, cols_l = np.nonzero(g)
        data = [g[rows_l, cols_l], np.ones(n_prop), art_sign]
        rr = [rows_l, m_link + np.array(conv, dtype=np.int64), art_rows]
        cc = [cols_l, np.arange(n_prop), n_prop + np.arange(len(art_rows))]
        n_art = len(art_rows)
        a = sp.csr_matrix(
            (np.concatenate(data), (np.concatenate(rr), np.concatenate(cc))),
            shape=(m_link + k, n_prop + n_art),
        )
        arr = ProgramArrays(
            name="dw_master",
            c=np.concatenate([costs, np.ones(n_art) if phase == 1 else np.zeros(n_art)]),
            constant=0.0,
            maximize=False,
            a=a,
            sense_codes=np.concatenate([link_sense, np.zeros(k, dtype=link_sense.dtype)]),
            rhs=np.concatenate([link_rhs, np.ones(k)]),
            col_lower=np.zeros(n_prop + n_art),
            col_upper=np.concatenate(
                [np.full(n_prop, np.inf), np.full(n_art, np.inf if phase == 1 else 0.0)]
            ),
            integrality=np.zeros(n_prop + n_art, dtype=original.integrality.dtype),
        )
        out = highs.solve(arr, sub_opts)
        if out.status is not Status.OPTIMAL or out.row_duals is None:
            raise SolveError(f"the master LP ended {out.status.value}: {out.solver_status}")
        return out

    status = Status.OPTIMAL
    message = "optimal"
    phase, it, out, bound = 1, 0, None, -math.inf
    feas_tol = 1e-9 * (1.0 + float(np.abs(link_rhs).max(initial=0.0)))
    with ThreadPoolExecutor(n_workers) as pool:

        def price_all(duals: np.ndarray, phase: int) -> list[tuple[float, np.ndarray]]:
            if n_workers == 1:
                return [price(b, duals, phase) for b in blocks]
            return list(pool.map(lambda b: price(b, duals, phase), blocks))

        # initial proposals: each block at its own costs (no prices yet)
        for b, (_, x) in zip(blocks, price_all(np.zeros(len(link_rows)), 2), strict=True):
            if not len(x):
                status, message = Status.INFEASIBLE, "a block's own rows are infeasible"
                break
            add(b, x)
        while status is Status.OPTIMAL:
            out = master(phase)
            z = float(out.objective)
            pi = out.row_duals[: len(link_rows)]
            sigma = out.row_duals[len(link_rows) :]
            if phase == 1 and z <= feas_tol:
                phase, bound = 2, -math.inf  # phase 1's bound is of another objective
                lines.append(f"{it:>5} {1:>5} {z:>14.6g} {'':>14} {'':>8} {'feasible':>8}")
                continue
            total_rc, added = 0.0, 0
            for bi, (b, (value, x)) in enumerate(zip(blocks, price_all(pi, phase), strict=True)):
                if not len(x):
                    raise SolveError("a block LP failed at the master's prices")
                rc = value - float(sigma[bi])
                total_rc += min(0.0, rc)
                if rc < -1e-9 * max(1.0, abs(value)):
                    add(b, x)
                    added += 1
            it += 1
            bound = max(bound, z + total_rc) if phase == 2 else z + total_rc
            seconds = time.perf_counter() - t_start
            lines.append(
                f"{it:>5} {phase:>5} {z:>14.8g} {z + total_rc:>14.8g} "
                f"{sum(len(b.proposals) for b in blocks):>8} {seconds:>8.1f}"
            )
            if options.verbose:
                print(lines[-1], flush=True)
            if phase == 1 and (added == 0 or z + total_rc > feas_tol):
                # the least total violation of the linking rows is positive: nothing holds them
                status, message = Status.INFEASIBLE, "the linking rows cannot hold (phase 1)"
                break
            if phase == 2 and (added == 0 or z - bound <= gap * max(1e-12, abs(z))):
                out = master(2)  # the duals and weights of the final column set
                break
            if it >= max_iterations or (
                options.time_limit is not None and seconds > options.time_limit
            ):
                status = Status.TIME_LIMIT_FEASIBLE if phase == 2 else Status.TIME_LIMIT_NO_SOLUTION
                message = f"stopped after {it} iterations, {seconds:.0f} s"
                break

    timings = {
        "build": float(program.build_seconds),
        "solve": time.perf_counter() - t_start,
        "duals": 0.0,
    }
    log = _numerics_text(numerics) + "\n".join(lines) + f"\n{message}\n"
    outcome = BackendOutcome(status, message, "HiGHS (Dantzig-Wolfe)", version, log=log)
    if status.has_solution and out is not None:
        weights = np.asarray(out.x, dtype=float)
        x = np.zeros(original.n_cols)
        j = 0
        for b in blocks:
            for nz, val, _, _ in b.proposals:
                if weights[j] > 0.0:
                    np.add.at(x, b.cols[nz], weights[j] * val)
                j += 1
        x = np.clip(x, original.col_lower, original.col_upper)
        outcome.x = x
        outcome.objective = original.objective_value(x)
        if status is Status.OPTIMAL:
            outcome.best_bound = sign * bound / scale + original.constant
            outcome.gap = abs(outcome.objective - outcome.best_bound) / max(
                1e-12, abs(outcome.objective)
            )
            duals = np.zeros(original.n_rows)
            duals[link_rows] = out.row_duals[: len(link_rows)]
            for b, rows in zip(blocks, structure.block_rows, strict=True):
                if b.row_duals is not None:
                    duals[rows] = b.row_duals
            outcome.row_duals = sign * duals / scale
    return assemble_result(
        program,
        original,
        outcome,
        backend="highs",
        options=options,
        timings=timings,
        numerics=numerics,
        duals_kind="lp" if outcome.row_duals is not None else "none",
        is_mip=False,
    )
