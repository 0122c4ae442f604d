"""The ``planner`` command line.

Exit codes: 0 success, 2 bad input (arguments, files, scenarios, output directory), 3
infeasible or unbounded model, 4 solver error or missing solver, 5 stopped by a limit without a
solution, 6 ``verify`` found a violated constraint.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence

from planner.errors import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_SOLVER_ERROR,
    EXIT_VERIFY_FAILED,
)

WIDE_ROW_RATIO = 1e10  # within-row coefficient ratio above which a run warns


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)


def _note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _status_code(status) -> int:
    from planner.solver import Status

    if status in (Status.OPTIMAL, Status.TIME_LIMIT_FEASIBLE):
        return EXIT_OK
    if status in (Status.INFEASIBLE, Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED):
        return EXIT_INFEASIBLE
    if status is Status.TIME_LIMIT_NO_SOLUTION:
        return EXIT_NO_SOLUTION
    return EXIT_SOLVER_ERROR


def _guard(func):
    """Map the planner's exceptions to messages and exit codes (one place: each
    :class:`~planner.errors.PlannerError` carries its exit code and prefix)."""

    def wrapped(args: argparse.Namespace) -> int:
        from planner.errors import PlannerError

        try:
            return func(args)
        except PlannerError as exc:
            _err(exc.cli_message(getattr(args, "scenario", None)))
            return exc.exit_code
        except ImportError as exc:
            _err(str(exc))
            return EXIT_BAD_INPUT

    return wrapped


def _load(path: str, args: argparse.Namespace | None = None):
    """Load a scenario file with the command line's overrides, checked once.

    A relative ``data.path`` is taken from the file's directory; ``--backend``,
    ``--time-limit`` and ``--strict`` set their solver keys (a value the scenario rules refuse
    is an error naming the key, before anything is solved).
    """
    from planner.scenario import load_scenario

    overrides: dict = {}
    if args is not None:
        if getattr(args, "backend", None):
            overrides["solver.backend"] = args.backend
        if getattr(args, "time_limit", None) is not None:
            overrides["solver.time_limit"] = args.time_limit
        if getattr(args, "strict", False):
            overrides["solver.strict"] = True
        if getattr(args, "points", None) is not None:
            overrides["objective.points"] = args.points
    return load_scenario(path, overrides, data_relative_to_file=True)


@_guard
def _cmd_run(args: argparse.Namespace) -> int:
    import datetime as dt
    from pathlib import Path

    from planner.runs import check_output_directory, load_scenario_dataset, run_scenario
    from planner.solver import diagnose

    sc = _load(args.scenario, args)
    if args.out:
        out = check_output_directory(args.out)
    else:  # a default name; a clash (two runs in one second) takes NAME-2, NAME-3, ...
        out = Path("runs") / f"{sc.name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    _note(f"scenario {sc.name}: loading data ({sc.data.path})")
    ds = load_scenario_dataset(sc, Path(args.scenario).resolve().parent)
    _note(f"building and solving with {sc.solver.backend} (time limit {sc.solver.time_limit:g} s)")
    o = run_scenario(
        sc,
        out,
        dataset=ds,
        command=["planner", *sys.argv[1:]],
        plots=not args.no_plots,
        unique=not args.out,
    )
    code = _status_code(o.result.status)
    wide = o.result.numerics.get("worst_row_ratio", {})
    if wide.get("ratio", 0) > WIDE_ROW_RATIO:
        _note(
            f"warning: coefficients within row {wide['family']} {wide['label']} span a ratio of "
            f"{wide['ratio']:.3g}; check the data's units (see solver.log)"
        )
    if o.interpretation is not None:
        print(o.interpretation.summary())
        if o.result.status.value == "time_limit_feasible":
            _note(
                "warning: stopped by the time limit; the plan is the best found, not proven optimal"
            )
    else:
        print(f"status: {o.result.status.value} ({o.result.solver_status})")
        if code == EXIT_INFEASIBLE:
            print(diagnose(o.model.program).explain())
    print(f"run directory: {o.directory}")
    return code


def _codes_arg(text: str | None) -> str | list[str] | None:
    """``"coalition"`` stays a word; ``"USA,JPN"`` becomes a list of codes."""
    if text is None:
        return None
    parts = [t.strip() for t in text.split(",") if t.strip()]
    if len(parts) == 1 and parts[0] in ("coalition", "members", "each", "tiered", "all"):
        return parts[0]
    return parts


def _loss_table(by_group) -> str:
    """Output loss by group before and after the plan (USD mn and % of output)."""
    cols = ["output_loss_before", "output_loss_pct_before"]
    if "output_loss_after" in by_group.columns and by_group["output_loss_after"].notna().any():
        cols += ["output_loss_after", "output_loss_pct_after", "protected_output"]
    t = by_group.set_index(["ban", "group"])[["countries", *cols]]
    fmt = {c: ("{:,.2f} %" if "pct" in c else "{:,.0f}") for c in cols}
    lines = ["output loss (USD mn, % of the group's output):"]
    lines.append(t.to_string(formatters={c: f.format for c, f in fmt.items()}))
    return "\n".join(lines)


@_guard
def _cmd_stress(args: argparse.Namespace) -> int:
    """``planner stress RUN_DIR | SCENARIO``: an adversary export ban, before and after."""
    import datetime as dt
    from pathlib import Path

    from planner.runs import check_output_directory, load_scenario_dataset
    from planner.stress import StressError, StressSpec, read_run_plan, stress_test

    source = Path(args.source)
    targets = _codes_arg(args.targets)
    sectors = _codes_arg(args.sectors)
    adversaries = _codes_arg(args.adversaries)
    if isinstance(adversaries, str):
        adversaries = [adversaries]
    if source.is_dir():  # a run directory: the baseline and the plan
        plan = read_run_plan(source)
        sc = _load(str(source / "scenario.toml"))
        name = f"{source.name}-stress"
        parent = source.parent
    elif source.is_file():  # a scenario: the baseline alone
        plan = None
        sc = _load(str(source))
        name = f"{sc.name}-stress-{dt.datetime.now():%Y%m%d-%H%M%S}"
        parent = Path("runs")
        if targets in (None, "coalition"):
            c = sc.coalition
            targets = sorted(set(c.anchors) | set(c.members) | set(c.associates))
        elif targets in ("members", "each"):
            raise StressError(
                f"--targets {targets}: needs a run directory (a scenario has no plan); give "
                "ISO3 codes or 'coalition' (the scenario's anchors, members and associates)"
            )
        if sectors in (None, "tiered"):
            sectors = sorted(sc.sectors.tiers) or "all"
    else:
        raise StressError(f"{source}: neither a run directory nor a scenario file")
    spec = StressSpec(
        adversaries=adversaries or sc.coalition.adversaries,
        targets=targets or "coalition",
        sectors=sectors or "tiered",
        rerouting=args.rerouting,
        headroom=args.headroom,
        technology=args.technology,
    )
    out = check_output_directory(args.out) if args.out else None
    ds = load_scenario_dataset(sc)
    network = ds.require_network()
    _note(f"stress test of {source}: adversaries stop selling to {spec.targets} in {spec.sectors}")
    result = stress_test(
        network, spec, plan, workers=args.workers, executor=args.executor, scheduler=args.scheduler
    )
    print(result.headline())
    print(_loss_table(result.by_group))
    if out is None:
        out = (parent / name).resolve()
        k = 2
        while out.exists():
            out = (parent / f"{name}-{k}").resolve()
            k += 1
    written = result.write(out, plots=not args.no_plots, command=["planner", *sys.argv[1:]])
    print(f"stress directory: {written}")
    return EXIT_OK


@_guard
def _cmd_verify(args: argparse.Namespace) -> int:
    from planner.verify import verify_run

    report = verify_run(args.run_dir)
    print(report)
    return EXIT_OK if report.ok else EXIT_VERIFY_FAILED


@_guard
def _cmd_compare(args: argparse.Namespace) -> int:
    from planner.runs import compare_runs

    tables = compare_runs(args.run_dirs)
    for name, df in tables.items():
        print(f"== {name} ==")
        print(df.to_string() if len(df) else "(no differences)")
    return EXIT_OK


@_guard
def _cmd_frontier(args: argparse.Namespace) -> int:
    from pathlib import Path

    from planner.frontiers import frontier
    from planner.runs import load_scenario_dataset, solve_options

    sc = _load(args.scenario, args)
    _note(f"frontier of {sc.name}: {args.points or sc.objective.points} points ({args.executor})")
    ds = load_scenario_dataset(sc, Path(args.scenario).resolve().parent)
    df = frontier(
        ds,
        sc,
        sc.solver.backend,
        solve_options(sc),
        points=args.points,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
    )
    print(df.to_string(index=False))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        df.to_csv(out / "frontier.csv", index=False, float_format="%.10g")
        from planner.interpreter.plots import HAVE_MATPLOTLIB, plot_frontier

        if HAVE_MATPLOTLIB:
            plot_frontier(df, out / "frontier.png")
        print(f"written: {out / 'frontier.csv'}")
    return EXIT_OK


@_guard
def _cmd_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from planner.sweep import parse_grid, run_sweep

    sc = _load(args.scenario, args)
    grid = parse_grid(args.grid)
    n = 1
    for v in grid.values():
        n *= len(v)
    _note(f"sweep of {sc.name}: {n} points with the {args.executor} executor")
    table = run_sweep(
        sc,
        grid,
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        out=args.out,
        progress=lambda k, total: _note(f"[{k}/{total}] done"),
    )
    print(table.drop(columns=["run_dir"], errors="ignore").to_string(index=False))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "sweep.csv", index=False, float_format="%.10g")
        print(f"written: {out / 'sweep.csv'}")
        if len(grid) == 1:
            from planner.sweep import plot_sweep

            png = plot_sweep(table, next(iter(grid)), out / "sweep.png")
            if png is not None:
                print(f"written: {png}")
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    import numpy
    import pandas
    import scipy

    import planner
    from planner.solver import available_backends

    print(f"coalition planner {planner.__version__}")
    print(f"python {platform.python_version()} on {platform.platform()}")
    print(f"numpy {numpy.__version__}, scipy {scipy.__version__}, pandas {pandas.__version__}")
    try:
        import pulp

        solvers = ", ".join(pulp.listSolvers(onlyAvailable=True))
        print(f"pulp {pulp.__version__} (solvers available to PuLP: {solvers})")
    except ImportError:
        print("pulp: not installed")
    print(f"backends available: {', '.join(available_backends())}")
    return EXIT_OK


@_guard
def _cmd_data(args: argparse.Namespace) -> int:
    from planner.data import load_dataset

    ds = load_dataset(args.path)
    if args.action == "validate":
        report = ds.validate()
        print(report)
        return EXIT_OK if report.ok else EXIT_BAD_INPUT
    print(ds.summary())
    if ds.source is not None:
        print(f"source: {ds.source}")
    top = ds.countries.sort_values("gdp", ascending=False).head(5)
    print("largest economies: " + ", ".join(f"{c} ({g:,.0f})" for c, g in top["gdp"].items()))
    if "category" in ds.sectors.columns:
        counts = ds.sectors["category"].value_counts().sort_index()
        print("sector categories: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for note in ds.notes:
        print(f"note: {note}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``planner`` command."""
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Plan coalitions, sector tiers and sourcing shifts that cut dependency on "
        "autocracies.",
        epilog="Exit codes: 0 ok, 2 bad input, 3 infeasible/unbounded, 4 solver error, "
        "5 limit reached without a solution.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = sub.add_parser("info", help="versions of the planner, its libraries and solvers")
    info.set_defaults(func=_cmd_info)
    data = sub.add_parser("data", help="describe or validate a dataset directory")
    data.add_argument("action", choices=["info", "validate"], help="what to do")
    data.add_argument(
        "--path", default="default", help="dataset directory (default: the shipped dataset)"
    )
    data.set_defaults(func=_cmd_data)

    def solver_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--backend", choices=["highs", "scipy", "pulp"], help="override [solver] backend"
        )
        p.add_argument("--time-limit", type=float, help="override [solver] time_limit (seconds)")
        p.add_argument(
            "--strict",
            action="store_true",
            help="fail (exit 4) when the solution violates a row or bound beyond tolerance",
        )

    run = sub.add_parser("run", help="solve a scenario and write its run directory")
    run.add_argument("scenario", help="scenario TOML file")
    run.add_argument("--out", help="run directory to create (default runs/NAME-TIMESTAMP)")
    run.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    solver_flags(run)
    run.set_defaults(func=_cmd_run)

    ver = sub.add_parser(
        "verify", help="re-check a run's solution from its files, without the solver"
    )
    ver.add_argument("run_dir", help="run directory written by 'planner run'")
    ver.set_defaults(func=_cmd_verify)

    st = sub.add_parser(
        "stress",
        help="an adversary export ban propagated through the input-output network, before "
        "and after a run's plan",
    )
    st.add_argument("source", help="a run directory (baseline and plan) or a scenario file")
    st.add_argument(
        "--targets",
        help="coalition (default), members, each (one ban per full member), or ISO3 codes "
        "separated by commas",
    )
    st.add_argument(
        "--sectors", help="tiered (default: the plan's restricted and incentivized), all, or codes"
    )
    st.add_argument("--adversaries", help="ISO3 codes (default: the scenario's adversaries)")
    st.add_argument(
        "--rerouting",
        type=float,
        default=0.5,
        help="largest share of a lost input other origins may replace (default 0.5)",
    )
    st.add_argument(
        "--headroom",
        type=float,
        default=None,
        help="spare capacity of other origins, share of output (default: the run's headroom)",
    )
    st.add_argument(
        "--technology",
        choices=("linear", "leontief"),
        default="linear",
        help="how a shortage limits output: linear (default) or leontief (fixed proportions, "
        "the worst case)",
    )
    st.add_argument("--workers", type=int, default=1, help="processes for --targets each")
    st.add_argument("--executor", choices=["local", "dask"], default="local")
    st.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    st.add_argument("--out", help="output directory (default: RUN_DIR-stress beside the run)")
    st.add_argument("--no-plots", action="store_true", help="skip the figure")
    st.set_defaults(func=_cmd_stress)

    cmp_ = sub.add_parser("compare", help="compare run directories side by side")
    cmp_.add_argument("run_dirs", nargs="+", help="two or more run directories")
    cmp_.set_defaults(func=_cmd_compare)

    fr = sub.add_parser("frontier", help="trace cost against the dependency index")
    fr.add_argument("scenario", help="scenario TOML file")
    fr.add_argument("--points", type=int, help="number of points (default [objective] points)")
    fr.add_argument("--out", help="directory for frontier.csv and frontier.png")
    fr.add_argument(
        "--executor",
        choices=["reuse", "local", "dask"],
        default="reuse",
        help="reuse: re-solve one built program (default); local/dask: independent solves",
    )
    fr.add_argument("--workers", type=int, default=2, help="processes or Dask workers")
    fr.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    solver_flags(fr)
    fr.set_defaults(func=_cmd_frontier)

    sw = sub.add_parser("sweep", help="solve a grid of scenario variants as independent runs")
    sw.add_argument("scenario", help="scenario TOML file")
    sw.add_argument(
        "--grid",
        action="append",
        required=True,
        metavar="KEY=V1,V2,...",
        help="scenario key and values, e.g. parameters.budget=1e4,2e4 (repeat for a product)",
    )
    sw.add_argument("--executor", choices=["local", "dask"], default="local")
    sw.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    sw.add_argument("--workers", type=int, default=2, help="processes or Dask workers")
    sw.add_argument("--out", help="directory for sweep.csv and each point's run directory")
    solver_flags(sw)
    sw.set_defaults(func=_cmd_sweep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
