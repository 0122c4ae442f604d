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
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from formulations.program import Program
from planner.solver import highs
from planner.solver.api import assemble_result
from planner.solver.arrays import ProgramArrays, elastic_slacks
from planner.solver.numerics import numerics_text, objective_scale, program_numerics
from planner.solver.options import SolveOptions
from planner.solver.result import BackendOutcome, SolveError, SolveResult, Status

__all__ = [
    "BlockStructure",
    "DantzigWolfe",
    "DecompositionSettings",
    "block_structure",
    "solve_decomposed",
]


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


@dataclass
class _Loop:
    """Where the column generation stands."""

    status: Status = Status.OPTIMAL
    message: str = "optimal"
    phase: int = 1
    iteration: int = 0
    master: BackendOutcome | None = None  # the last master solve
    bound: float = -math.inf  # Lagrangian bound of phase 2 (minimised, scaled)


@dataclass(frozen=True)
class DecompositionSettings:
    """How :class:`DantzigWolfe` runs; the parameters of :func:`solve_decomposed`.

    Attributes
    ----------
    gap : float
        Relative gap between master objective and Lagrangian bound at which the loop stops.
    max_iterations : int
        Pricing rounds at the most.
    min_block_columns : int
        Smallest block (components are packed up to it).
    workers : int or None
        Pricing threads (``None``: ``options.threads``, 1 if unset).
    """

    gap: float = 1e-6
    max_iterations: int = 500
    min_block_columns: int = 1000
    workers: int | None = None


class DantzigWolfe:
    """Dantzig-Wolfe column generation for one block-angular LP (see :func:`solve_decomposed`).

    The steps, each a method: the constructor splits the program into blocks and loads each
    in its own HiGHS session (:meth:`__init__`); :meth:`price` solves one block at the
    master's prices and :meth:`propose` keeps its point; :meth:`master` solves the master LP
    of phase 1 (artificial slacks on the linking rows) or phase 2 (the objective);
    :meth:`iterate` alternates them until the Lagrangian bound meets the master's objective;
    :meth:`primal_point` and :meth:`row_duals` recover the program's point and duals, and
    :meth:`run` assembles the :class:`SolveResult`.

    Parameters
    ----------
    program : formulations.program.Program
        An LP whose rows, apart from the ``linking`` families, fall into bounded blocks.
    linking : sequence of str
        The coupling families.
    options : SolveOptions, optional
        As for :func:`solve_decomposed`.
    settings : DecompositionSettings, optional
        Gap, iteration limit, block packing and worker threads (defaults as there).

    Raises
    ------
    ValueError
        The program has integer columns.
    KeyError
        A linking family does not exist.
    """

    solver_name = "HiGHS (Dantzig-Wolfe)"

    def __init__(
        self,
        program: Program,
        linking: Sequence[str],
        options: SolveOptions | None = None,
        settings: DecompositionSettings | None = None,
    ) -> None:
        self.options = options = options or SolveOptions()
        self.settings = settings = settings or DecompositionSettings()
        self.t_start = time.perf_counter()
        self.program = program
        self.original = original = ProgramArrays.from_program(program)
        if original.is_mip:
            raise ValueError("solve_decomposed solves LPs only; the program has integer columns")
        self.sign = -1.0 if original.maximize else 1.0
        self.scale = objective_scale(original.c) if options.scale_objective else 1.0
        self.c = self.sign * self.scale * original.c  # minimised internally
        self.numerics = program_numerics(program, self.scale)
        self.structure = block_structure(program, linking, settings.min_block_columns)
        self.link_rows = self.structure.linking_rows
        self.link_sense = original.sense_codes[self.link_rows]
        self.link_rhs = original.rhs[self.link_rows]
        workers = settings.workers
        self.n_workers = max(1, int(workers if workers is not None else options.threads or 1))
        self.sub_options = options.with_(
            time_limit=None,
            verbose=False,
            log_file=None,
            threads=1 if self.n_workers > 1 else options.threads,
        )
        self.blocks = self._make_blocks()
        # artificial slacks on the linking rows: +1 helps a >= row, -1 a <= row, both for ==
        self.art_rows, self.art_sign = elastic_slacks(
            np.arange(len(self.link_rows)), self.link_sense
        )
        self.feas_tol = 1e-9 * (1.0 + float(np.abs(self.link_rhs).max(initial=0.0)))
        sizes = [len(b.cols) for b in self.blocks]
        self.lines = [
            f"Dantzig-Wolfe: {len(self.blocks)} blocks (columns {min(sizes)}-{max(sizes)}), "
            f"{len(self.link_rows)} linking rows ({', '.join(linking)})",
            f"{'iter':>5} {'phase':>5} {'master':>14} {'bound':>14} {'columns':>8} {'seconds':>8}",
        ]
        self.version = ""
        self._pool: Executor | None = None

    def _make_blocks(self) -> list[_Block]:
        """One :class:`_Block` per block of the structure, each with its own HiGHS session."""
        a_link = self.original.a[self.link_rows]
        return [
            _Block(
                cols=cols,
                arrays=_sub_arrays(self.original, cols, rows),
                link=a_link[:, cols].tocsr(),
                session=highs.HighsSession(),
                proposals=[],
            )
            for cols, rows in zip(self.structure.block_cols, self.structure.block_rows, strict=True)
        ]

    # ------------------------------------------------------------------ pricing
    def price(self, block: _Block, duals: np.ndarray, phase: int) -> tuple[float, np.ndarray]:
        """Solve ``block`` at the costs ``c - pi A_link`` (phase 1: ``-pi A_link``).

        Returns
        -------
        value, x : float, numpy.ndarray
            The block LP's optimum at those costs and its point; ``(nan, empty)`` when the
            block LP did not end optimal.

        Raises
        ------
        SolveError
            The block is unbounded at these prices.
        """
        cost = (0.0 if phase == 1 else self.c[block.cols]) - block.link.T @ duals
        arr = replace(block.arrays, c=np.asarray(cost, dtype=float))
        out = block.session.solve(arr, self.sub_options)
        self.version = out.solver_version
        if out.status is Status.UNBOUNDED:
            raise SolveError(
                f"a block of {len(block.cols)} columns is unbounded at the master's prices; "
                "column generation needs bounded blocks"
            )
        if out.status is not Status.OPTIMAL or out.x is None:
            return math.nan, np.zeros(0)
        block.row_duals = out.row_duals
        return float(cost @ out.x), out.x

    def price_all(self, duals: np.ndarray, phase: int) -> list[tuple[float, np.ndarray]]:
        """:meth:`price` every block (in the worker threads when there are several)."""
        if self.n_workers == 1 or self._pool is None:
            return [self.price(b, duals, phase) for b in self.blocks]
        return list(self._pool.map(lambda b: self.price(b, duals, phase), self.blocks))

    def propose(self, block: _Block, x: np.ndarray) -> None:
        """Keep ``x`` as a proposal of ``block``: its non-zeros, cost and linking activity."""
        nz = np.flatnonzero(x)
        val = x[nz]
        cost = float(self.c[block.cols[nz]] @ val)
        block.proposals.append((nz, val, cost, block.link[:, nz] @ val))

    # ------------------------------------------------------------------ master
    def master(self, phase: int) -> BackendOutcome:
        """Solve the master LP over the proposals so far.

        Phase 1 minimises the artificial slacks of the linking rows; phase 2 the proposals'
        costs, with the slacks fixed at zero. One convexity row per block.

        Raises
        ------
        SolveError
            The master did not end optimal with duals.
        """
        k = len(self.blocks)
        costs, link_coef, conv = [], [], []
        for bi, b in enumerate(self.blocks):
            for _, _, cost, activity in b.proposals:
                costs.append(0.0 if phase == 1 else cost)
                link_coef.append(activity)
                conv.append(bi)
        n_prop = len(costs)
        m_link = len(self.link_rows)
        g = np.array(link_coef).reshape(n_prop, m_link).T if n_prop else np.zeros((m_link, 0))
        rows_l, cols_l = np.nonzero(g)
        n_art = len(self.art_rows)
        a = sp.csr_matrix(
            (
                np.concatenate([g[rows_l, cols_l], np.ones(n_prop), self.art_sign]),
                (
                    np.concatenate(
                        [rows_l, m_link + np.array(conv, dtype=np.int64), self.art_rows]
                    ),
                    np.concatenate([cols_l, np.arange(n_prop), n_prop + np.arange(n_art)]),
                ),
            ),
            shape=(m_link + k, n_prop + n_art),
        )
        arr = ProgramArrays(
            name="dw_master",
            c=np.concatenate([costs, np.full(n_art, 1.0 if phase == 1 else 0.0)]),
            constant=0.0,
            maximize=False,
            a=a,
            sense_codes=np.concatenate([self.link_sense, np.zeros(k, self.link_sense.dtype)]),
            rhs=np.concatenate([self.link_rhs, np.ones(k)]),
            col_lower=np.zeros(n_prop + n_art),
            col_upper=np.concatenate(
                [np.full(n_prop, np.inf), np.full(n_art, np.inf if phase == 1 else 0.0)]
            ),
            integrality=np.zeros(n_prop + n_art, dtype=self.original.integrality.dtype),
        )
        out = highs.solve(arr, self.sub_options)
        if out.status is not Status.OPTIMAL or out.row_duals is None:
            raise SolveError(f"the master LP ended {out.status.value}: {out.solver_status}")
        return out

    # ------------------------------------------------------------------ the loop
    def _initial_proposals(self, loop: _Loop) -> None:
        """Each block at its own costs (no prices yet)."""
        first = self.price_all(np.zeros(len(self.link_rows)), 2)
        for b, (_, x) in zip(self.blocks, first, strict=True):
            if not len(x):
                loop.status, loop.message = Status.INFEASIBLE, "a block's own rows are infeasible"
                return
            self.propose(b, x)

    def _log_iteration(self, loop: _Loop, z: float, lagrangian: float, seconds: float) -> None:
        columns = sum(len(b.proposals) for b in self.blocks)
        self.lines.append(
            f"{loop.iteration:>5} {loop.phase:>5} {z:>14.8g} {lagrangian:>14.8g} "
            f"{columns:>8} {seconds:>8.1f}"
        )
        if self.options.verbose:
            print(self.lines[-1], flush=True)

    def _step(self, loop: _Loop) -> bool:
        """One master solve and pricing round; True when the loop is over."""
        loop.master = out = self.master(loop.phase)
        z = float(out.objective)
        m_link = len(self.link_rows)
        pi, sigma = out.row_duals[:m_link], out.row_duals[m_link:]
        if loop.phase == 1 and z <= self.feas_tol:
            loop.phase, loop.bound = 2, -math.inf  # phase 1's bound is of another objective
            self.lines.append(
                f"{loop.iteration:>5} {1:>5} {z:>14.6g} {'':>14} {'':>8} {'feasible':>8}"
            )
            return False
        total_rc, added = 0.0, 0
        priced = self.price_all(pi, loop.phase)
        for bi, (b, (value, x)) in enumerate(zip(self.blocks, priced, strict=True)):
            if not len(x):
                raise SolveError("a block LP failed at the master's prices")
            rc = value - float(sigma[bi])
            total_rc += min(0.0, rc)
            if rc < -1e-9 * max(1.0, abs(value)):
                self.propose(b, x)
                added += 1
        loop.iteration += 1
        lagrangian = z + total_rc
        loop.bound = max(loop.bound, lagrangian) if loop.phase == 2 else lagrangian
        seconds = time.perf_counter() - self.t_start
        self._log_iteration(loop, z, lagrangian, seconds)
        if loop.phase == 1 and (added == 0 or lagrangian > self.feas_tol):
            # the least total violation of the linking rows is positive: nothing holds them
            loop.status, loop.message = Status.INFEASIBLE, "the linking rows cannot hold (phase 1)"
            return True
        if loop.phase == 2 and (
            added == 0 or z - loop.bound <= self.settings.gap * max(1e-12, abs(z))
        ):
            loop.master = self.master(2)  # the duals and weights of the final column set
            return True
        limit = self.options.time_limit
        if loop.iteration >= self.settings.max_iterations or (
            limit is not None and seconds > limit
        ):
            loop.status = (
                Status.TIME_LIMIT_FEASIBLE if loop.phase == 2 else Status.TIME_LIMIT_NO_SOLUTION
            )
            loop.message = f"stopped after {loop.iteration} iterations, {seconds:.0f} s"
            if loop.phase == 2 and added:
                loop.master = self.master(2)  # weights over the columns this round added
            return True
        return False

    def iterate(self) -> _Loop:
        """Column generation from the first proposals to the closed gap (or a stop)."""
        loop = _Loop()
        with ThreadPoolExecutor(self.n_workers) as pool:
            self._pool = pool
            try:
                self._initial_proposals(loop)
                while loop.status is Status.OPTIMAL and not self._step(loop):
                    pass
            finally:
                self._pool = None
        return loop

    # ------------------------------------------------------------------ recovery
    def primal_point(self, weights: np.ndarray) -> np.ndarray:
        """The program's point: the proposals combined with the master's ``weights``."""
        x = np.zeros(self.original.n_cols)
        j = 0
        for b in self.blocks:
            for nz, val, _, _ in b.proposals:
                if weights[j] > 0.0:
                    np.add.at(x, b.cols[nz], weights[j] * val)
                j += 1
        return np.clip(x, self.original.col_lower, self.original.col_upper)

    def row_duals(self, master: BackendOutcome) -> np.ndarray:
        """Duals of every row, unscaled: linking rows from the master, block rows from the
        last pricing of each block."""
        duals = np.zeros(self.original.n_rows)
        duals[self.link_rows] = master.row_duals[: len(self.link_rows)]
        for b, rows in zip(self.blocks, self.structure.block_rows, strict=True):
            if b.row_duals is not None:
                duals[rows] = b.row_duals
        return self.sign * duals / self.scale

    def outcome(self, loop: _Loop) -> BackendOutcome:
        """The loop's end as a backend outcome (point, bound, gap, duals, log)."""
        log = (
            numerics_text(self.numerics)
            + self.options.solver_options_text("highs")
            + "\n".join(self.lines)
            + f"\n{loop.message}\n"
        )
        out = BackendOutcome(loop.status, loop.message, self.solver_name, self.version, log=log)
        if not loop.status.has_solution or loop.master is None:
            return out
        out.x = self.primal_point(np.asarray(loop.master.x, dtype=float))
        out.objective = self.original.objective_value(out.x)
        if loop.status is Status.OPTIMAL:
            out.best_bound = self.sign * loop.bound / self.scale + self.original.constant
            out.gap = abs(out.objective - out.best_bound) / max(1e-12, abs(out.objective))
            out.row_duals = self.row_duals(loop.master)
        return out

    def run(self) -> SolveResult:
        """Iterate, recover the point and duals, and map them back to the program."""
        outcome = self.outcome(self.iterate())
        timings = {
            "build": float(self.program.build_seconds),
            "solve": time.perf_counter() - self.t_start,
            "duals": 0.0,
        }
        return assemble_result(
            self.program,
            self.original,
            outcome,
            backend="highs",
            options=self.options,
            timings=timings,
            numerics=self.numerics,
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
    settings = DecompositionSettings(gap, max_iterations, min_block_columns, workers)
    return DantzigWolfe(program, linking, options, settings).run()
