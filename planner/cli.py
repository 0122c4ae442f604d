"""The ``planner`` command line.

Exit codes: 0 success, 2 bad input (arguments, files, scenarios), 3 infeasible or unbounded
model, 4 solver error or missing solver, 5 stopped by a limit without a solution.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_SOLVER_ERROR = 4
EXIT_NO_SOLUTION = 5


def _cmd_info(args: argparse.Namespace) -> int:
    import numpy
    import pandas
    import scipy

    import planner
    from planner.solve import available_backends

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


def _cmd_data(args: argparse.Namespace) -> int:
    from planner.data import DataError, load_dataset

    try:
        ds = load_dataset(args.path)
    except DataError as exc:
        print(f"error: invalid dataset:\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
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
        "autocracies (see shared/MODEL.md).",
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
