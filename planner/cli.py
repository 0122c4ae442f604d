"""The ``planner`` command line.

Exit codes: 0 success, 2 bad input (arguments, files, scenarios, output directory), 3
infeasible or unbounded model, 4 solver error or missing solver, 5 stopped by a limit without a
solution, 6 ``verify`` found a violated constraint.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import sys
import warnings
from collections.abc import Iterator, Sequence

from planner.errors import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_SOLVER_ERROR,
    EXIT_VERIFY_FAILED,
)

WIDE_ROW_RATIO = 1e10  # within-row coefficient ratio above which a run warns


_QUIET = False  # --quiet: nothing but errors


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)


def _note(msg: str) -> None:
    if not _QUIET:
        print(msg, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _quiet(args: argparse.Namespace) -> Iterator[None]:
    """With ``--quiet``: no notes, warnings, progress or standard output; errors still print."""
    global _QUIET
    if not getattr(args, "quiet", False):
        yield
        return
    _QUIET = True
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        _QUIET = False


def _show_progress(args: argparse.Namespace) -> bool:
    """Progress on stderr: with ``--progress``, never with ``--quiet``, else on a terminal."""
    from planner.solver.progress import progress_wanted

    return progress_wanted(
        sys.stderr, force=getattr(args, "progress", False), quiet=getattr(args, "quiet", False)
    )


@contextlib.contextmanager
def _live_solve(args: argparse.Namespace) -> Iterator[None]:
    """A live line on stderr (elapsed, incumbent, bound, gap) for every solve in the block."""
    if not _show_progress(args):
        yield
        return
    from planner.solver.progress import LiveLine, reporting

    with LiveLine(sys.stderr) as line, reporting(line):
        yield


def _bar(args: argparse.Namespace, total: int, desc: str):
    """A progress bar over ``total`` runs (shown by the rule of :func:`_show_progress`)."""
    from planner.solver.progress import progress_bar

    return progress_bar(total, desc, _show_progress(args), sys.stderr)


def _check_workers(args: argparse.Namespace) -> None:
    """``--workers`` is a count of processes (ScenarioError naming the flag, before any work)."""
    from planner.scenario import ScenarioError

    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise ScenarioError(
            "--workers", f"{workers}: expected a number of processes >= 1", "command line"
        )


def _check_out_root(path: str | None) -> None:
    """An ``--out`` that may exist must be a directory, or be creatable (before any solve)."""
    if not path:
        return
    from pathlib import Path

    from planner.runs import RunError, check_output_directory

    out = Path(path).resolve()
    if out.exists():
        if not out.is_dir():
            raise RunError(f"{out}: exists and is not a directory; choose another --out")
    else:
        check_output_directory(out)


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
        if getattr(args, "decompose", False):
            overrides["solver.decompose"] = True
    return load_scenario(path, overrides, data_relative_to_file=True)


@_guard
def _cmd_run(args: argparse.Namespace) -> int:
    import datetime as dt
    from pathlib import Path

    from planner.interpreter import diagnose_scenario
    from planner.runs import check_output_directory, load_scenario_dataset, run_scenario

    sc = _load(args.scenario, args)
    if not args.no_plots:  # the figures need matplotlib: say so before the solve
        from planner.interpreter.plots import require_matplotlib

        require_matplotlib()
    if args.out:
        out = check_output_directory(args.out)
    else:  # a default name; a clash (two runs in one second) takes NAME-2, NAME-3, ...
        out = Path("runs") / f"{sc.name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    _note(f"scenario {sc.name}: loading data ({sc.data.path})")
    ds = load_scenario_dataset(sc, Path(args.scenario).resolve().parent)
    _note(f"building and solving with {sc.solver.backend} (time limit {sc.solver.time_limit:g} s)")
    with _live_solve(args):
        o = run_scenario(
            sc,
            out,
            dataset=ds,
            command=["planner", *sys.argv[1:]],
            plots=not args.no_plots,
            unique=not args.out,
            explain=args.explain,
            stability=args.stability,
        )
    code = _status_code(o.result.status)
    wide = o.result.numerics.get("worst_row_ratio", {})
    if wide.get("ratio", 0) > WIDE_ROW_RATIO:
        _note(
            f"warning: coefficients within row {wide['family']} {wide['label']} span a ratio of "
            f"{wide['ratio']:.3g}; check the data's units (see solver.log)"
        )
    if o.interpretation is not None:
        from planner.interpreter.report import why_lines

        print(o.interpretation.summary())
        print("\n".join(why_lines(o.interpretation)))
        if o.result.status.value == "time_limit_feasible":
            _note(
                "warning: stopped by the time limit; the plan is the best found, not proven optimal"
            )
    else:
        print(f"status: {o.result.status.value} ({o.result.solver_status})")
        if code == EXIT_INFEASIBLE:  # in scenario keys; structural rows are never offered
            print(diagnose_scenario(o.model, o.scenario.solver.backend).explain())
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

    _check_workers(args)
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
    each = spec.targets == "each" and plan is not None
    bans = int((plan.roles == "member").sum()) if each else 1
    with _bar(args, bans, "stress bans") as progress:
        result = stress_test(
            network,
            spec,
            plan,
            workers=args.workers,
            executor=args.executor,
            scheduler=args.scheduler,
            progress=progress,
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
def _cmd_report(args: argparse.Namespace) -> int:
    """``planner report RUN_DIR``: the report and figures again, into a new directory."""
    from planner.runs import rerender_run

    written = rerender_run(args.run_dir, args.out, plots=not args.no_plots)
    print(f"report directory: {written}")
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
    warned = tables.get("warnings")
    for text in [] if warned is None else warned["warning"]:
        _note(f"warning: {text}")
    for name, df in tables.items():
        print(f"== {name} ==")
        print(df.to_string() if len(df) else "(no differences)")
    return EXIT_OK


@_guard
def _cmd_frontier(args: argparse.Namespace) -> int:
    from pathlib import Path

    from planner.frontiers import frontier
    from planner.runs import load_scenario_dataset, solve_options

    sc = _load(args.scenario, args)  # --points, --time-limit, ... by the scenario's rules
    _check_workers(args)
    _check_out_root(args.out)
    n = sc.objective.points
    _note(f"frontier of {sc.name}: {n} points ({args.executor})")
    ds = load_scenario_dataset(sc, Path(args.scenario).resolve().parent)
    with _bar(args, n + 1, "frontier points") as progress:
        df = frontier(
            ds,
            sc,
            sc.solver.backend,
            solve_options(sc),
            points=n,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=progress,
        )
    print(df.to_string(index=False))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        df.to_csv(out / "frontier.csv", index=False, float_format="%.10g")
        from planner.interpreter.plots import plot_frontier

        plot_frontier(df, out / "frontier.png")
        print(f"written: {out / 'frontier.csv'}")
    return EXIT_OK


@_guard
def _cmd_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from planner.sweep import check_sweep_output, grid_scenarios, parse_grid, run_sweep

    sc = _load(args.scenario, args)
    grid = parse_grid(args.grid)
    _check_workers(args)
    points = grid_scenarios(sc, grid)  # every point checked by the scenario's rules first
    if args.out:
        check_sweep_output(args.out, points)
    n = len(points)
    _note(f"sweep of {sc.name}: {n} points with the {args.executor} executor")
    with _bar(args, n, "sweep points") as progress:
        table = run_sweep(
            sc,
            grid,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            out=args.out,
            progress=progress,
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


@_guard
def _cmd_gallery(args: argparse.Namespace) -> int:
    """``planner gallery``: every bloc and the best coalition of its size, a league table."""
    import datetime as dt
    from pathlib import Path

    from planner.galleries import bloc_specs, gallery, read_bloc_table
    from planner.runs import check_output_directory

    _check_workers(args)
    blocs = None
    if args.blocs:
        blocs = [b.strip() for item in args.blocs for b in item.split(",") if b.strip()]
    base = _load(args.base, args) if args.base else None
    if base is None and (args.backend or args.time_limit is not None):
        from planner.galleries import _base

        over = {}
        if args.backend:
            over["solver.backend"] = args.backend
            if args.backend != "pulp":  # the gallery's CBC options are no other solver's
                over["solver.options"] = {}
        if args.time_limit is not None:
            over["solver.time_limit"] = args.time_limit
        base = _base(None).with_overrides(over, source="command line")
    from planner.data import load_dataset

    ds = load_dataset(args.data)
    if args.data != "default":  # the runs' scenario.toml names the dataset verify reloads
        from planner.galleries import _base

        base = _base(base).with_overrides(
            {"data.path": str(Path(args.data).resolve())}, source="--data"
        )
    table = read_bloc_table(args.bloc_table) if args.bloc_table else None
    specs = bloc_specs(ds, blocs, table, base)  # unknown blocs: exit 2 before anything
    if args.out:
        out = check_output_directory(args.out)
    else:
        out = check_output_directory(Path("runs") / f"gallery-{dt.datetime.now():%Y%m%d-%H%M%S}")
    _note(f"gallery: {len(specs)} blocs and their best same-size coalitions ({args.executor})")
    with _bar(args, len(specs), "gallery blocs") as progress:
        res = gallery(
            [s.name for s in specs],
            out,
            dataset=ds,
            table=table,
            base=base,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            plots=not args.no_plots,
            stress=not args.no_stress,
            progress=progress,
            command=["planner", *sys.argv[1:]],
        )
    from planner.interpreter.gallery import gallery_brief

    print("\n\n".join(gallery_brief(res.table)))
    print(f"gallery directory: {res.directory} ({res.seconds:.0f} s)")
    return EXIT_OK


# optional packages a bug report should mention (installed or not, never imported here)
OPTIONAL_PACKAGES = ("dask", "distributed", "pyarrow", "matplotlib", "tqdm", "mkdocs")


def _package_version(name: str) -> str | None:
    """The installed version of a distribution, or None (read from metadata, not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _dataset_lines() -> list[str]:
    """The shipped dataset's path and content hash (the ``dataset.sha256`` of run manifests)."""
    from planner.data.loaders import dataset_sha256, default_data_dir, load_dataset

    path = default_data_dir()
    try:
        ds = load_dataset()
    except Exception as exc:  # a report of the machine, not a failure: say what is wrong
        return [f"dataset: {path} (cannot be loaded: {exc})"]
    return [f"dataset: {ds.name} ({path})", f"dataset sha256: {dataset_sha256(ds)}"]


def _cmd_info(args: argparse.Namespace) -> int:
    """``planner info``: what a bug report needs (versions, solvers, dataset, extras)."""
    import planner
    from planner.solver import available_backends

    print(f"coalition planner {planner.__version__}")
    print(f"python {platform.python_version()} ({sys.executable})")
    print(f"platform {platform.platform()}")
    core = ("numpy", "scipy", "pandas", "pulp", "highspy")
    print(", ".join(f"{n} {_package_version(n) or 'not installed'}" for n in core))
    print(f"backends available: {', '.join(available_backends()) or 'none'}")
    try:
        import pulp

        solvers = ", ".join(pulp.listSolvers(onlyAvailable=True)) or "none"
        print(f"solvers available to PuLP: {solvers}")
    except ImportError:
        print("solvers available to PuLP: pulp is not installed")
    for line in _dataset_lines():
        print(line)
    print("optional packages:")
    for name in OPTIONAL_PACKAGES:
        print(f"  {name}: {_package_version(name) or 'not installed'}")
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


def _version() -> str:
    import planner

    return planner.__version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``planner`` command."""
    from planner.scenario import BACKEND_CHOICES

    parser = argparse.ArgumentParser(
        prog="planner",
        description="Plan coalitions, sector tiers and sourcing shifts that cut dependency on "
        "autocracies.",
        epilog="Exit codes: 0 ok, 2 bad input, 3 infeasible/unbounded, 4 solver error, "
        "5 limit reached without a solution.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = sub.add_parser(
        "info",
        help="what a bug report needs: versions, solvers, the dataset and its hash, and which "
        "optional packages are installed",
    )
    info.set_defaults(func=_cmd_info)
    data = sub.add_parser("data", help="describe or validate a dataset directory")
    data.add_argument("action", choices=["info", "validate"], help="what to do")
    data.add_argument(
        "--path", default="default", help="dataset directory (default: the shipped dataset)"
    )
    data.set_defaults(func=_cmd_data)

    def progress_flags(p: argparse.ArgumentParser) -> None:
        g = p.add_mutually_exclusive_group()
        g.add_argument(
            "--progress",
            action="store_true",
            help="show live progress on stderr even when it is not a terminal (default: only "
            "on a terminal)",
        )
        g.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")

    def solver_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--backend",
            choices=BACKEND_CHOICES,
            help="override [solver] backend",
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
    run.add_argument(
        "--stability",
        choices=["cheap", "full", "off"],
        default="cheap",
        help="stability of the plan: cheap (the others' sourcing held fixed, no solve; "
        "default), full (re-solve the sourcing without each member and with each eligible "
        "outsider), off",
    )
    run.add_argument(
        "--explain",
        choices=["brief", "full", "none"],
        default="brief",
        help="why each member, associate and open sector: 'brief' (default) re-solves the "
        "plan's LP a handful of times, 'full' for every role and tier alternative",
    )
    solver_flags(run)
    run.add_argument(
        "--decompose",
        action="store_true",
        help="solve a sourcing LP by Dantzig-Wolfe over sectors (sets solver.decompose)",
    )
    progress_flags(run)
    run.set_defaults(func=_cmd_run)

    ver = sub.add_parser(
        "verify", help="re-check a run's solution from its files, without the solver"
    )
    ver.add_argument("run_dir", help="run directory written by 'planner run'")
    ver.set_defaults(func=_cmd_verify)

    rep = sub.add_parser(
        "report",
        help="re-render a run's report and figures into a new directory, without solving",
    )
    rep.add_argument("run_dir", help="run directory written by 'planner run' (only read)")
    rep.add_argument("--out", help="directory to create (default: RUN_DIR-report beside the run)")
    rep.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    rep.set_defaults(func=_cmd_report)

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
    progress_flags(st)
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
    fr.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes or Dask workers (local/dask), chains (reuse); default 2, and one "
        "chain with branch_bound, whose solves use the threads themselves",
    )
    fr.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    solver_flags(fr)
    progress_flags(fr)
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
    progress_flags(sw)
    sw.set_defaults(func=_cmd_sweep)

    ga = sub.add_parser(
        "gallery",
        help="real coalitions (EU, G7, IPEF, CPTPP, ...) side by side, each against the best "
        "coalition of its size",
    )
    ga.add_argument(
        "--blocs",
        action="append",
        metavar="BLOC,...",
        help="bloc codes of data/blocs.csv, e.g. ipef,g7 (default: every bloc of the gallery)",
    )
    ga.add_argument("--out", help="gallery directory to create (default runs/gallery-TIMESTAMP)")
    ga.add_argument(
        "--base",
        help="scenario file with the shared rules (budget, tiers, solver; default: "
        "the gallery's rules)",
    )
    ga.add_argument("--data", default="default", help="dataset directory (default: shipped)")
    ga.add_argument("--bloc-table", help="a blocs.csv of your own (default: the shipped one)")
    ga.add_argument("--executor", choices=["local", "dask"], default="local")
    ga.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    ga.add_argument("--workers", type=int, default=2, help="blocs solved at a time")
    ga.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    ga.add_argument("--no-stress", action="store_true", help="skip the protected-output columns")
    ga.add_argument("--backend", choices=BACKEND_CHOICES, help="override [solver] backend")
    ga.add_argument("--time-limit", type=float, help="override [solver] time_limit (seconds)")
    progress_flags(ga)
    ga.set_defaults(func=_cmd_gallery)
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
    with _quiet(args):
        return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
