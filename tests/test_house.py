"""The house: the front door, the import graph of the layers, documented module paths, the
README's Python snippets, deprecated paths and the error root.

Broken on purpose to check these tests can fail: an eager ``from planner.solver import solve``
in planner/__init__.py fails test_layers_import_only_what_lies_below (planner.solver is then
loaded by ``import planner.data``); a ``from planner.solver import Status`` at the top of
formulations/instance.py fails it for every formulations module; renaming ``run`` in the
front-door table fails test_front_door_names_resolve; a typo in a README snippet fails
test_readme_python_snippets_run_verbatim.
"""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# module prefix -> prefixes its import must not load (the layers above it, and the backends)
FORBIDDEN = {
    "planner.data": ("formulations", "planner.solver", "planner.interpreter", "planner.runs"),
    "planner.scenario": ("formulations", "planner.solver", "planner.interpreter", "planner.runs"),
    "planner.errors": ("formulations", "planner.data", "planner.solver", "numpy"),
    "formulations": (
        "planner.solver",
        "planner.interpreter",
        "planner.runs",
        "planner.cli",
        "highspy",
        "pulp",
        "scipy.optimize",
    ),
    "planner.solver": ("planner.interpreter", "planner.runs", "planner.cli"),
    # verify stays independent of the model builders and the solver
    "planner.verification": ("formulations", "planner.solver", "planner.runs"),
    "planner.interpreter.metrics": ("formulations", "planner.solver"),
}

# third-party packages a layer may load: each layer's forked children start with those the layer
# is allowed (so a child pays only for the project's own imports); a package is preloaded only
# when a trial child shows it loads nothing forbidden, and the probe re-checks after preloading,
# so preloading can never hide a leak
PRELOAD = ("numpy", "pandas", "scipy.sparse", "scipy.optimize", "highspy", "pulp", "tomllib")

_PROBE = r"""
import importlib, json, os, sys
mods = json.loads(sys.argv[1])
forbidden = json.loads(sys.argv[2])
preload = json.loads(sys.argv[3])


def hits(prefixes):
    return sorted(m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def fork_json(work):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            payload = work()
        except BaseException as exc:  # reported, never swallowed
            payload = {"<error>": repr(exc)}
        os.write(w, json.dumps(payload).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    return json.loads(data or b'{"<error>": "child died"}')


def layer(key, names):
    prefixes = forbidden[key]
    for p in preload:  # only what the layer may load anyway: tried in a child first
        if fork_json(lambda p=p: importlib.import_module(p) and hits(prefixes)) == []:
            importlib.import_module(p)
    leaked = hits(prefixes)
    if leaked:
        return {"<error>": f"preloading for {key} loaded forbidden {leaked}"}

    def one(name):
        def work():
            importlib.import_module(name)
            return hits(prefixes)
        return work

    return {name: fork_json(one(name)) for name in names}


groups = {}
for name in mods:
    key = next(k for k in forbidden if name == k or name.startswith(k + "."))
    groups.setdefault(key, []).append(name)
out = {}
for key, names in groups.items():  # one forked parent per layer, one child per module
    out.update(fork_json(lambda key=key, names=names: layer(key, names)))
print(json.dumps(out))
"""


def _modules(package: str) -> list[str]:
    pkg = __import__(package, fromlist=["__path__"])
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        names.append(info.name)
    return names


def _layer_modules() -> list[str]:
    names = ["planner.scenario", "planner.errors", "planner.interpreter.metrics"]
    for package in ("planner.data", "formulations", "planner.solver", "planner.verification"):
        names += _modules(package)
    return [n for n in names if not n.endswith((".build", "__main__"))] + ["planner.data.build"]


def test_layers_import_only_what_lies_below():
    mods = _layer_modules()
    assert len(mods) > 30  # the walk found the modules (guards against an empty check)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *map(json.dumps, (mods, FORBIDDEN, PRELOAD))],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert set(found) == set(mods)
    leaks = {m: bad for m, bad in found.items() if bad}
    assert not leaks, f"layer imports point upwards: {leaks}"


def test_import_planner_is_lazy():
    code = (
        "import sys, planner; print(sorted(m for m in sys.modules if m.startswith("
        "('planner.', 'formulations', 'numpy', 'scipy', 'pandas'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert json.loads(out.replace("'", '"')) == []


def test_front_door_gives_the_dataset():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import planner; ds = planner.load_dataset(); print(len(ds.countries))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.strip() == "80"


def test_front_door_names_resolve():
    import planner

    for name in planner.__all__:
        assert getattr(planner, name) is not None, name
    assert callable(planner.run) and callable(planner.solve) and callable(planner.interpret)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        planner.nope  # noqa: B018


def test_layout_table_paths_import():
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Layout") :]
    table = table[: table.index("\n## ", 4)]
    paths = re.findall(r"`((?:planner|formulations)/[\w/]*(?:\.py)?)`", table)
    modules: set[str] = set()
    for p in paths:
        target = ROOT / p
        assert target.exists(), f"README layout names {p}, which does not exist"
        if target.is_dir():
            files = [f for f in target.rglob("*.py")]
        else:
            files = [target]
        for f in files:
            rel = f.relative_to(ROOT).with_suffix("")
            parts = [x for x in rel.parts if x != "__init__"]
            modules.add(".".join(parts))
    assert len(modules) > 30
    import importlib

    for name in sorted(modules):
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)  # "import planner.solver.highs" style
        assert module.__name__ == name


def test_no_module_shares_a_name_with_what_it_exports():
    import importlib

    clashes = []
    for package in ("planner", "formulations"):
        for name in _modules(package):
            if name.startswith(("planner.solve.", "planner.interpret.")) or name in (
                "planner.solve",
                "planner.interpret",
                "planner.frontier",
                "planner.__main__",
            ):
                continue  # the deprecated forwarding modules
            module = importlib.import_module(name)
            leaf = name.rsplit(".", 1)[-1]
            if leaf in getattr(module, "__all__", ()):
                clashes.append(name)
    assert not clashes


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("planner.solve", "SolveOptions", "planner.solver"),
        ("planner.solve", "diagnose", "planner.solver"),
        ("planner.interpret", "write_report", "planner.interpreter"),
        ("planner.frontier", "frontier", "planner.frontiers"),
    ],
)
def test_deprecated_paths_forward_with_a_warning(old, name, new):
    import importlib

    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated; import {name} from {new}"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


def test_deprecated_module_stays_callable_as_the_function():
    import importlib

    import planner
    from formulations import Program

    importlib.import_module("planner.solve")  # the old module now shadows the attribute
    p = Program("one")
    x = p.add_variables("x", ["a"], upper=2.0)
    p.set_objective(x.columns, [1.0], sense="max")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # calling it is the new API: no warning
        r = planner.solve(p)
    assert r.objective == pytest.approx(2.0)


def test_every_error_derives_from_the_root_with_its_exit_code():
    import planner
    from formulations.instance import FormulationError
    from formulations.program import ProgramError
    from planner.data import DataError
    from planner.data.build import BuildError
    from planner.runs import RunError
    from planner.scenario import ScenarioError
    from planner.solver import SolveError, SolverNotAvailableError
    from planner.verify import VerifyError

    codes = {
        FormulationError: 2,
        ProgramError: 2,
        DataError: 2,
        BuildError: 2,
        RunError: 2,
        ScenarioError: 2,
        VerifyError: 2,
        SolveError: 4,
        SolverNotAvailableError: 4,
    }
    for cls, code in codes.items():
        assert issubclass(cls, planner.PlannerError), cls
        assert cls.exit_code == code, cls


def test_scenario_tier_words_are_the_model_set():
    from formulations.sets import TIERS
    from planner.scenario import TIER_CHOICES

    assert TIER_CHOICES == TIERS


def test_scenario_backend_words_are_the_solver_backends():
    from planner.scenario import BACKEND_CHOICES
    from planner.solver import BACKENDS

    assert set(BACKEND_CHOICES) == set(BACKENDS)


def test_scenario_overrides_are_checked_once_and_name_the_key(tmp_path):
    from planner.scenario import Scenario, ScenarioError, load_scenario

    sc = Scenario(name="x").with_overrides({"solver.time_limit": 30, "coalition.max_size": 5})
    assert (sc.solver.time_limit, sc.coalition.max_size) == (30.0, 5)
    with pytest.raises(ScenarioError, match=r"key 'solver\.time_limit'.*outside"):
        Scenario(name="x").with_overrides({"solver.time_limit": 0})
    with pytest.raises(ScenarioError, match=r"key 'solver\.nope'"):
        Scenario(name="x").with_overrides({"solver.nope": 1})
    f = tmp_path / "s.toml"
    f.write_text('name = "f"\n[data]\npath = "mydata"\n')
    loaded = load_scenario(f, {"objective.points": 3}, data_relative_to_file=True)
    assert loaded.objective.points == 3
    assert loaded.data.path == str((tmp_path / "mydata").resolve())
    assert load_scenario(f).data.path == "mydata"


def test_readme_python_snippets_run_verbatim(tmp_path):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    assert all(b.lstrip().startswith("import planner") for b in blocks[:3])
    script = tmp_path / "readme_snippets.py"
    body = "\n".join(
        f"print('--- README block {i}', flush=True)\n{b}" for i, b in enumerate(blocks)
    )
    script.write_text(body)
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"--- README block {len(blocks) - 1}" in proc.stdout
    assert (tmp_path / "out" / "report.md").exists()
    # the Wyndor block's hand-solved optimum
    assert "optimal 36.0" in proc.stdout


def test_formats_page_documents_every_scenario_key():
    from planner.scenario import Scenario

    page = (ROOT / "docs" / "formats.md").read_text()
    d = Scenario(name="x").to_dict()
    keys = [
        f"{section}.{k}"
        for section, values in d.items()
        if isinstance(values, dict) and section != "constraints"
        for k in values
    ]
    assert len(keys) > 40
    missing = [k for k in keys if f"`{k}`" not in page]
    missing += [k for k in d["constraints"] if f"`{k}`" not in page]
    assert not missing, f"docs/formats.md lacks {missing}"


def test_no_user_facing_text_points_outside_the_project():
    """Users have the project, not the design material beside it."""
    texts = [ROOT / "README.md", ROOT / "data" / "README.md", *(ROOT / "docs").glob("*.md")]
    texts += [*(ROOT / "scenarios").glob("*.toml")]
    for package in ("planner", "formulations"):
        texts += [p for p in (ROOT / package).rglob("*.py") if p.name != "build.py"]
    hits = [
        str(p.relative_to(ROOT))
        for p in texts
        if re.search(
            r"\.\./shared|shared/(MODEL|SCENARIO|data)|MODEL\.md|SCENARIO\.md", p.read_text()
        )
    ]
    assert not hits
    cli = subprocess.run(
        [sys.executable, "-m", "planner", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "shared" not in cli
