"""Mutation testing of the rule modules: plant one-line bugs, see whether the fast tests catch them.

A small AST mutator (standard library only, so CI needs nothing new). For each module it lists the mutation points,
samples some with a fixed seed, and for each mutant writes the mutated module into a scratch copy of the repository
and runs the tests mapped to the module (``-m "not slow" -x``; ``--all-tests``: the whole fast suite). A mutant is
*killed* when the tests fail (or time out), *survives* when they pass. The heavy third-party imports are made once in
this process and each test run is a forked child, so a mutant costs only its tests.

Operators: comparisons flipped (``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``in`` <-> ``not in``,
``is`` <-> ``is not``); integer constants +1 / -1; ``+`` <-> ``-``, ``*`` <-> ``/``, ``//`` -> ``/``; a factor of a
product or quotient dropped; unary minus dropped; ``True`` <-> ``False``, ``not x`` -> ``x``, ``and`` <-> ``or``;
``return x`` -> ``return None``. Docstrings, strings, annotations and module-level data tables (dict / list / tuple
literals) are left alone.

Usage (from the repository root)::

    python benchmarks/mutation.py                         # every rule module, 20 mutants each, seed 0
    python benchmarks/mutation.py --module sim/economics.py --limit 30 --seed 1
    python benchmarks/mutation.py --module "sim/stats.py:mean_ci95,paired_differences"   # some functions
    python benchmarks/mutation.py --module "sim/rollout/setup.py:GridState.fits_at,GridState.grew"   # methods
    python benchmarks/mutation.py --limit 0               # every mutant (long)
    python benchmarks/mutation.py --module sim/planning.py --indices 35,271   # re-run chosen mutants (survivors)

Equivalent mutants (a change no test can see because the behaviour does not change) are judged by hand and listed
in :data:`EQUIVALENT` with the reason; they are not run and not counted in the score, and each run prints them.

The last line is a figure line: ``mutation: modules=M mutants=N killed=K equivalent=E score=S%`` (S = K / N, N
without the equivalent ones).
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the rule modules and the test files that guard each of them (the fast part of those files runs per mutant)
RULE_TESTS: dict[str, tuple[str, ...]] = {
    "sim/rollout/model.py": ("test_rollout.py", "test_queueing.py", "test_rollout_service.py", "test_tracks.py",
                             "test_adoption.py", "test_feeders.py", "test_powerflow.py"),
    "sim/rollout/setup.py": ("test_rollout.py", "test_queueing.py", "test_rollout_service.py", "test_tracks.py",
                             "test_calendar.py", "test_adoption.py", "test_feeders.py", "test_powerflow.py"),
    "sim/rollout/config.py": ("test_rollout.py", "test_queueing.py", "test_rollout_service.py", "test_scenario.py",
                              "test_adoption.py"),
    "sim/rollout/observe.py": ("test_rollout.py", "test_queueing.py", "test_rollout_service.py"),
    "sim/rollout/calendar.py": ("test_calendar.py", "test_rollout.py", "test_rollout_service.py"),
    "sim/strategies.py": ("test_strategies.py", "test_planning.py", "test_tracks.py"),
    "sim/planning.py": ("test_planning.py", "test_strategies.py", "test_tracks.py"),
    "sim/accounting.py": ("test_accounting.py", "test_carbon.py", "test_economics.py"),
    "sim/economics.py": ("test_economics.py", "test_accounting.py", "test_timebase.py"),
    "sim/carbon.py": ("test_carbon.py", "test_accounting.py"),
    "sim/grid.py": ("test_grid.py", "test_accounting.py", "test_feeders.py"),
    "sim/powerflow.py": ("test_powerflow.py", "test_feeders.py"),
    "sim/sites.py": ("test_sites.py", "test_hemisphere.py"),
    "sim/agrivoltaics.py": ("test_agrivoltaics.py",),
    "sim/stats.py": ("test_stats.py", "test_experiment.py"),
    "sim/timebase.py": ("test_timebase.py", "test_accounting.py", "test_calendar.py"),
    "sim/coordinates.py": ("test_inputs.py",),
    "sim/provenance.py": ("test_provenance.py",),
    "sim/rng.py": ("test_rng.py", "test_fast_paths.py", "test_rollout.py"),
    "sim/load.py": ("test_load.py", "test_accounting.py"),
}
#: the statistics functions that stay in sim/experiment.py (the seeds of replications and the metrics of a run; the
#: rest of the module runs Dask and writes folders)
EXPERIMENT_STATS = "sim/experiment.py:replication_seed,_number,_years_since,_metric_value,discounted_total,run_metrics"
#: run with no --module: the rule modules
DEFAULT_MODULES = ["sim/rollout/model.py", "sim/rollout/setup.py", "sim/rollout/config.py", "sim/rollout/observe.py", "sim/rollout/calendar.py",
                   "sim/strategies.py", "sim/planning.py", "sim/accounting.py", "sim/economics.py", "sim/carbon.py",
                   "sim/grid.py", "sim/powerflow.py", "sim/sites.py", "sim/agrivoltaics.py", "sim/stats.py", EXPERIMENT_STATS]

#: Equivalent mutants judged by hand: (module path, the mutated line stripped, the mutation as listed, which one of
#: that line text and kind in the module: 1, 2 ...) -> why the behaviour cannot change. Keyed by the line's text, not the mutant's
#: index, so entries survive edits elsewhere in the module; an entry whose line has changed simply stops matching
#: (and the mutant is run again).
EQUIVALENT: dict[tuple[str, str, str, int], str] = {
    ("sim/strategies.py", "load = np.where(limit > 0, cum / limit.where(limit > 0, 1.0), np.inf)", "Gt -> GtE", 2):
        "the divisor's guard: at limit 0 the quotient is inf or nan, and np.where takes inf there anyway",
    ("sim/strategies.py", '["township", "carbon_per_cny_kg", "_id"], ascending=[True, False, True], kind="mergesort"',
     "True -> False", 1):
        "township_balanced: the township's direction only reorders whole townships before groupby().cumcount(), "
        "which ranks within a township; the final sort is by rank, then township ascending",
    ("sim/strategies.py", "close = difflib.get_close_matches(name, available(), n=1, cutoff=0.6)", "1 -> 2", 1):
        "only close[0] is shown, and get_close_matches lists the best match first whatever n is",
    ("sim/planning.py", 'h.setOptionValue("output_flag", False)', "False -> True", 1):
        "the first Highs is made with stdout sent to the null device, and _solve sets output_flag False again "
        "before anything runs",
    ("sim/rollout/calendar.py", "mask[max(lo, 0) : min(hi, n_days - 1) + 1] = True", "Sub -> Add", 1):
        "a slice end past the array is clamped: min(hi, n_days + 1) + 1 and min(hi, n_days - 1) + 1 cut the same "
        "days",
    ("sim/stats.py", "excludes = bool(n >= 2 and (low > 0 or high < 0))", "2 -> 1", 1):
        "with one pair the bounds are NaN (mean_ci95), and NaN > 0 and NaN < 0 are both False",
    ("sim/sites.py", "geo = gdf if crs is not None and crs.is_geographic and crs.to_epsg() == 4326 else gdf.to_crs(4326)", "4326 -> 4327", 1):
        "EPSG:4327 is WGS 84 in three dimensions: the same latitudes and longitudes as EPSG:4326",
    ("sim/sites.py", "geo = gdf if crs is not None and crs.is_geographic and crs.to_epsg() == 4326 else gdf.to_crs(4326)", "4326 -> 4327", 2):
        "a shortcut only (the test's 4326): a frame already in EPSG:4326 reprojected to EPSG:4326 has the same "
        "coordinates",
    ("sim/sites.py", "geo = gdf if crs is not None and crs.is_geographic and crs.to_epsg() == 4326 else gdf.to_crs(4326)", "4326 -> 4325", 2):
        "a shortcut only (the test's 4326): a frame already in EPSG:4326 reprojected to EPSG:4326 has the same "
        "coordinates",
    ("sim/rollout/setup.py", "return int(cal.days_since(start, cal.add_years(start, horizon_years))) + 400",
     "400 -> 399", 1):
        "the calendars' margin past the horizon: work ending 399 or 400 days after it ends after the run either way, "
        "and the run never looks past its horizon",
    ("sim/rollout/model.py", "if env.now + up_days >= world.horizon_days:", "Add -> Sub", 1):
        "only ends a site's failure loop early: a failure timed past the horizon is never reached, as the run stops "
        "there",
    ("sim/rollout/model.py", "if amount > 0:", "Gt -> GtE", 2):
        "_return_money's guard: a refund goes into the pot of the year it was taken from (room of at least the "
        "capex, which is > 0 here) or into a carry-over pot of unbounded capacity, so amount is never exactly 0",
    ("sim/rollout/config.py", "allow_inf_nan=False,", "False -> True", 1):
        "success_percent, bounded on both sides (ge=0, le=100): pydantic refuses inf and NaN by the bounds as well",
    ("sim/rollout/config.py", "allow_inf_nan=False,", "False -> True", 2):
        "resource_busy_percent, bounded on both sides (gt=0, le=100): pydantic refuses inf and NaN by the bounds as "
        "well",
    ("sim/rollout/observe.py", "n_events: int = 0  # SimPy events processed", "0 -> 1", 1):
        "a dataclass default the model never uses: simulate always passes the count of events it processed",
    ("sim/rollout/observe.py", "if basis <= 0 or not len(online_kwp):", "Or -> And", 1):
        "capacities and targets are > 0 (checked inputs), so basis <= 0 only when nothing was released, and then "
        "nothing is online either: the two tests are never apart",
    ("sim/rollout/observe.py", "served = np.asarray(collector.services[name], dtype=float).reshape(-1, 3)",
     "1 -> 2", 1):
        "reshape(-2, 3): numpy (2.x) takes any negative size as the one unknown dimension",
    ("sim/rollout/model.py", "world.programmes[world.programme_of[site]].deciding -= 1", "1 -> 0", 1):
        "the households still deciding when the build window closes decline then; the office stops at the window's "
        "end whatever its count of households deciding (its wait returns 'window closed'), so the count is never "
        "read again",
    ("sim/accounting.py", "_hour_map(2001, p.shape[0])", "2001 -> 2000", 1):
        "a check of the profile's length: a leap and a common year both accept 8760 and 8784 rows and refuse others",
    ("sim/economics.py", "return market * np.ones_like(age * years)", "Mult -> Div", 1):
        "np.ones_like takes only the broadcast shape of its argument, which age / years shares with age * years",
    ("sim/economics.py",
     "out = np.where(energy > 0, np.asarray(cost, dtype=float) / np.where(energy > 0, energy, 1.0), np.nan)",
     "Gt -> GtE", 2):
        "the divisor's guard: where energy is 0 the quotient is inf or nan, and the outer np.where takes NaN there",
    ("sim/economics.py", "frac = np.where(c > 0, (capex - before) / np.where(c > 0, c, 1.0), 0.0)", "Gt -> GtE", 2):
        "the divisor's guard: where c is 0 the quotient is inf or nan, and the outer np.where takes 0 there",
    ("sim/carbon.py", "@lru_cache(maxsize=4)", "4 -> 3", 1): "a cache size: the same tables are read either way",
    ("sim/carbon.py", "knot_years: np.ndarray = field(repr=False)", "False -> True", 1):
        "what repr() of a factor path shows; nothing reads it",
    ("sim/powerflow.py",
     "feeder_bus.update({str(ids[j]): (t, int(b)) for j, b in zip(lv_on.tolist(), node_bus[:n_lv], strict=True)})",
     "True -> False", 1):
        "zip's strict check: the nodes' buses are built from the same transformers, so the lengths are always equal",
    ("sim/rollout/setup.py",
     "return self.version.get(transformer, 0), -1 if feeder is None else self.version.get(feeder[0], 0)",
     "drop unary USub", 1):
        "the ask key's mark for 'no feeders': only compared with keys of the same transformer, which has feeders or "
        "not for the whole run",
    ("sim/rollout/setup.py",
     "return self.version.get(transformer, 0), -1 if feeder is None else self.version.get(feeder[0], 0)",
     "1 -> 0", 1):
        "the ask key's mark for 'no feeders' (as above)",
    ("sim/rollout/setup.py", "return kw > self.free_kw[transformer] + 1e-9 or (", "Gt -> GtE", 1):
        "the tolerance's edge: differs only where the kW asked equals the open capacity plus 1e-9 exactly",
    ("sim/powerflow.py", "tree = tree + tree.T", "Add -> Sub", 1):
        "the spanning tree made symmetric for an undirected search: a difference has the same nonzero pattern, and "
        "breadth_first_order reads only which entries are edges",
    ("sim/powerflow.py",
     "xy = np.vstack([np.asarray(transformer_xy_m, float)[None, :], np.asarray(sites_xy_m, float).reshape(-1, 2)])",
     "1 -> 2", 1):
        "reshape(-2, 2): NumPy reads any negative size as the one unknown dimension",
    ("sim/load.py", "todo = np.flatnonzero((load_kwh_per_year > 0) & (effective_kwp > 0))", "Gt -> GtE", 1):
        "a shortcut only: a site without load uses min(output, 0) = 0 in every hour, the 0 it is left at",
    ("sim/load.py", "todo = np.flatnonzero((load_kwh_per_year > 0) & (effective_kwp > 0))", "Gt -> GtE", 2):
        "a shortcut only: a site without output uses min(0, load) = 0 in every hour, the 0 it is left at",
    ("sim/load.py", "out[s] = np.minimum(pv_s, load_s, out=pv_s).sum(axis=-1)", "drop unary USub", 1):
        "the working arrays are 2-D: their axis 1 is their last axis",
}

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # position among the module's mutation points
    lineno: int
    what: str
    nth: int = 1  # 1 for the first mutant of this line text and kind, 2 for the second (two ``>`` on one line, or
    # two lines that read the same) ...


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, f-string parts."""
    skip: set[int] = set()

    def mark(node):
        for sub in ast.walk(node):
            skip.add(id(sub))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            mark(body[0])
        if isinstance(node, (ast.AnnAssign, ast.arg)) and node.annotation is not None:
            mark(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            mark(node.returns)
        if isinstance(node, ast.JoinedStr):
            mark(node)
        if isinstance(node, ast.ImportFrom):
            mark(node)
    for node in getattr(tree, "body", []):  # module-level data tables (their rows carry sources, not rules)
        value = getattr(node, "value", None)
        tables = (ast.Dict, ast.List, ast.Tuple, ast.Set)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(value, tables):
            mark(value)
    return skip


def _points(tree: ast.AST, functions: set[str] | None) -> list[tuple[ast.AST, ast.AST | None, str, str]]:
    """Mutation points in a fixed order: (node, parent, kind, description)."""
    skip = _skipped_nodes(tree)
    parent: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parent[id(child)] = node
    allowed: set[int] | None = None
    if functions:
        allowed = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in functions:
                allowed |= {id(n) for n in ast.walk(node)}
            if isinstance(node, ast.ClassDef):  # "Class.method": one method of a class
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and f"{node.name}.{item.name}" in functions:
                        allowed |= {id(n) for n in ast.walk(item)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip or (allowed is not None and id(node) not in allowed):
            continue
        p = parent.get(id(node))
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _FLIP:
                    out.append((node, p, f"cmp:{i}", f"{type(op).__name__} -> {_FLIP[type(op)].__name__}"))
        elif isinstance(node, ast.BinOp):
            if type(node.op) in _SWAP:
                out.append((node, p, "swap", f"{type(node.op).__name__} -> {_SWAP[type(node.op)].__name__}"))
            if isinstance(node.op, (ast.Mult, ast.Div)):
                out.append((node, p, "drop:right", f"drop the {type(node.op).__name__} by the right operand"))
            if isinstance(node.op, ast.Mult):
                out.append((node, p, "drop:left", "drop the left factor"))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            out.append((node, p, "int:+1", f"{node.value} -> {node.value + 1}"))
            if node.value != 0:
                out.append((node, p, "int:-1", f"{node.value} -> {node.value - 1}"))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            out.append((node, p, "bool", f"{node.value} -> {not node.value}"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            out.append((node, p, "unary", f"drop unary {type(node.op).__name__}"))
        elif isinstance(node, ast.BoolOp):
            other = "Or" if isinstance(node.op, ast.And) else "And"
            out.append((node, p, "boolop", f"{type(node.op).__name__} -> {other}"))
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            out.append((node, p, "return", "return None"))
    return out


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise RuntimeError("node not found in its parent")


def _apply(node: ast.AST, parent: ast.AST | None, kind: str) -> None:
    if kind.startswith("cmp:"):
        i = int(kind[4:])
        node.ops[i] = _FLIP[type(node.ops[i])]()
    elif kind == "swap":
        node.op = _SWAP[type(node.op)]()
    elif kind == "drop:right":
        _replace(parent, node, node.left)
    elif kind == "drop:left":
        _replace(parent, node, node.right)
    elif kind in ("int:+1", "int:-1"):
        node.value += 1 if kind == "int:+1" else -1
    elif kind == "bool":
        node.value = not node.value
    elif kind == "unary":
        _replace(parent, node, node.operand)
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "return":
        node.value = ast.Constant(None)


def split_spec(spec: str) -> tuple[str, set[str] | None]:
    path, _, funcs = spec.partition(":")
    return path, (set(funcs.split(",")) if funcs else None)


def list_mutants(spec: str, source: str) -> list[Mutant]:
    """The mutants of the module ``spec`` whose text is ``source``."""
    _, functions = split_spec(spec)
    tree = ast.parse(source)
    lines = source.splitlines()
    out, seen = [], {}
    for i, (node, _, _, what) in enumerate(_points(tree, functions)):
        lineno = getattr(node, "lineno", 0)
        key = (lines[lineno - 1].strip() if 0 < lineno <= len(lines) else "", what)
        seen[key] = seen.get(key, 0) + 1
        out.append(Mutant(spec, i, lineno, what, seen[key]))
    return out


def mutant_source(mutant: Mutant, source: str) -> str:
    """``source`` (the module's text the mutants were listed from) with ``mutant`` applied."""
    _, functions = split_spec(mutant.module)
    tree = ast.parse(source)
    node, parent, kind, _ = _points(tree, functions)[mutant.index]
    _apply(node, parent, kind)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _preload() -> None:
    """Import the heavy third-party packages once; every forked test run inherits them."""
    import geopandas  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pvlib  # noqa: F401
    import pydantic  # noqa: F401
    import pytest  # noqa: F401
    import scipy.stats  # noqa: F401
    import simpy  # noqa: F401


def run_tests(workdir: Path, tests: list[str], timeout_s: float) -> str:
    """``"pass"``, ``"fail"`` or ``"timeout"`` of the tests, run in a forked child inside ``workdir``."""
    pid = os.fork()
    if pid == 0:  # child: a fresh ``sim`` from the scratch copy
        try:
            os.chdir(workdir)
            sys.path.insert(0, str(workdir))
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest
            rc = pytest.main(["-q", "-x", "-p", "no:cacheprovider", "-m", "not slow", "-o", "addopts=",
                              *tests])
        except BaseException:  # noqa: BLE001  (anything in the child is a failure of the mutant)
            rc = 99
        os._exit(int(rc))
    deadline = time.monotonic() + timeout_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "pass" if os.waitstatus_to_exitcode(status) == 0 else "fail"
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.05)


def scratch_copy(tests_ref: str | None = None) -> Path:
    """A copy of the repository to mutate (never the working tree); ``tests_ref``: take ``tests/`` from that git
    revision instead (to score an older test suite against today's code)."""
    work = Path(tempfile.mkdtemp(prefix="pvsim-mutation-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".git", "*.egg-info", ".pytest_cache", "out", "runs")
    for name in ("sim", "tests", "data", "scenarios", "docs", "README.md", "pyproject.toml"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name, **(
            {"ignore": ignore} if src.is_dir() else {}))
    if tests_ref:
        shutil.rmtree(work / "tests")
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", tests_ref, "tests"], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(work, filter="data")
    return work


def tests_for(spec: str, all_tests: bool) -> list[str]:
    if all_tests:
        return ["tests"]
    path, _ = split_spec(spec)
    names = RULE_TESTS.get(path) or RULE_TESTS.get("sim/stats.py" if path == "sim/experiment.py" else "", ())
    return [f"tests/{n}" for n in names]


def equivalent_reason(mutant: Mutant, lines: list[str]) -> str | None:
    """Why ``mutant`` is equivalent (from :data:`EQUIVALENT`), or None."""
    line = lines[mutant.lineno - 1].strip() if 0 < mutant.lineno <= len(lines) else ""
    return EQUIVALENT.get((split_spec(mutant.module)[0], line, mutant.what, mutant.nth))


def score_module(spec: str, mutants: list[Mutant], source: str, work: Path, all_tests: bool) -> list[Mutant] | None:
    """Run the tests of ``spec`` against each mutant in the scratch copy ``work`` (the equivalent ones are printed,
    not run: the caller leaves them out); the survivors (printed as they come), or None when the tests fail on the
    unmutated module (unparsed like the mutants)."""
    target = work / split_spec(spec)[0]
    tests = [t for t in tests_for(spec, all_tests) if (work / t).exists()]
    if not tests:
        print(f"{spec}: no test file is mapped to it in RULE_TESTS (or use --all-tests); skipped", flush=True)
        return None
    lines = source.splitlines()
    for m in mutants:
        if (why := equivalent_reason(m, lines)) is not None:
            print(f"  equivalent {spec}#{m.index} line {m.lineno}: {m.what}  |  {why}", flush=True)
    mutants = [m for m in mutants if equivalent_reason(m, lines) is None]
    target.write_text(ast.unparse(ast.parse(source)) + "\n")
    t0 = time.monotonic()
    base = run_tests(work, tests, 1800.0)
    base_s = time.monotonic() - t0
    survivors: list[Mutant] | None = None
    try:
        if base != "pass":
            print(f"{spec}: the tests fail on the unmutated module ({base}); skipped", flush=True)
            return None
        survivors = []
        for m in mutants:
            target.write_text(mutant_source(m, source))
            if run_tests(work, tests, 3 * base_s + 30.0) == "pass":
                survivors.append(m)
                print(f"  SURVIVED {spec}#{m.index} line {m.lineno}: {m.what}  |  "
                      f"{lines[m.lineno - 1].strip()[:100]}", flush=True)
    finally:
        target.write_text(source)
    killed = len(mutants) - len(survivors)
    print(f"{spec}: mutants={len(mutants)} killed={killed} score={100.0 * killed / max(len(mutants), 1):.0f}% "
          f"(tests: {' '.join(Path(t).name for t in tests)}; baseline {base_s:.0f} s)", flush=True)
    return survivors


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--module", action="append",
                    help="a module path (optionally :func1,func2 to mutate only those top-level functions or "
                         "classes); repeatable. Default: every rule module")
    ap.add_argument("--limit", type=int, default=20, help="mutants sampled per module (0: all). Default 20")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sample. Default 0")
    ap.add_argument("--all-tests", action="store_true", help="run the whole fast suite per mutant (slower)")
    ap.add_argument("--tests-ref", metavar="GIT_REF", help="score the tests/ of this git revision (e.g. main)")
    ap.add_argument("--indices", metavar="I,J,...",
                    help="run only these mutants of the (one) module, by index (e.g. the survivors of a run)")
    ap.add_argument("--list", action="store_true", help="list the sampled mutants and stop")
    ap.add_argument("--show", metavar="MODULE:INDEX", help="print the source of one mutant and stop")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.show:
        spec, _, index = args.show.rpartition(":")
        source = (ROOT / split_spec(spec)[0]).read_text()
        print(mutant_source(list_mutants(spec, source)[int(index)], source))
        return 0
    specs = args.module or DEFAULT_MODULES
    specs = [s for s in specs if (ROOT / split_spec(s)[0]).exists()]
    work = scratch_copy(args.tests_ref) if not args.list else None
    # the sources as they are now: the mutants are listed from them and applied to them, whatever happens to the
    # working tree during the run
    sources = {spec: (ROOT / split_spec(spec)[0]).read_text() for spec in specs}
    sampled: dict[str, list[Mutant]] = {}
    for spec in specs:
        mutants = list_mutants(spec, sources[spec])
        rng = random.Random(f"{args.seed}:{split_spec(spec)[0]}")
        sampled[spec] = sorted(rng.sample(mutants, args.limit), key=lambda m: m.index) if 0 < args.limit < len(
            mutants) else mutants
        if args.indices:
            wanted = {int(i) for i in args.indices.split(",")}
            sampled[spec] = [m for m in mutants if m.index in wanted]
        print(f"{spec}: {len(mutants)} mutation points, {len(sampled[spec])} sampled", flush=True)
    if args.list:
        for spec, mutants in sampled.items():
            lines = sources[spec].splitlines()
            for m in mutants:
                why = equivalent_reason(m, lines)
                print(f"  {spec}#{m.index} line {m.lineno}: {m.what}" + (f"  (equivalent: {why})" if why else ""))
        return 0
    _preload()
    n = k = scored = same = 0
    survivors: list[Mutant] = []
    try:
        for spec, mutants in sampled.items():
            lines = sources[spec].splitlines()
            run = [m for m in mutants if equivalent_reason(m, lines) is None]
            left = score_module(spec, mutants, sources[spec], work, args.all_tests)
            if left is not None:
                scored, n, k = scored + 1, n + len(run), k + len(run) - len(left)
                same += len(mutants) - len(run)
                survivors += left
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"survivors: {len(survivors)}")
    print(f"mutation: modules={scored} mutants={n} killed={k} equivalent={same} "
          f"score={100.0 * k / n if n else 0:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
