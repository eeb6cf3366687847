"""Hostile cases of issue 22: every writer refuses what it did not make, folders commit whole, a second writer stops,
failures of the outside world and hostile YAML end in one line (exit 2, no traceback, nothing lost or half-written),
damaged outputs are named and recomputed.

Most cases drive ``pvsim`` through :func:`sim.cli.main` and look only at the file system and the one error line, so
the same file measures the behaviour of any version."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
import sim.results as results
from sim.cli import main
from sim.errors import InputError
from sim.results import read_run

from .conftest import scenario_dict, write_scenario


def _one_line(capsys, rc: int, *words: str) -> str:
    """The command failed with exit 2 and one ``pvsim: error:`` line holding ``words``; returns the line."""
    err = capsys.readouterr().err
    # status lines ("pvsim: drawing ...") may come first; then exactly one error line and nothing else
    lines = [ln for ln in err.splitlines() if ln.strip() and not (ln.startswith("pvsim: ") and
                                                                  not ln.startswith("pvsim: error"))]
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("pvsim: error: "), (rc, err)
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def run_folder(tiny_run, tmp_path) -> Path:
    _, result = tiny_run
    return result.write(tmp_path / "run")


@pytest.fixture
def scenario_file(tiny_county, tmp_path) -> Path:
    (tmp_path / "scen").mkdir()
    return write_scenario(tmp_path / "scen", scenario_dict(tiny_county))


# --------------------------------------------------------------------------------------------- data loss


def test_report_out_never_replaces_the_scenario_or_a_users_file(run_folder, scenario_file, tmp_path, capsys):
    before = scenario_file.read_bytes()
    rc = main(["report", str(run_folder), "--scenario", str(scenario_file), "-o", str(scenario_file)])
    _one_line(capsys, rc, str(scenario_file), "--out")
    assert scenario_file.read_bytes() == before
    mine = tmp_path / "mine.html"
    mine.write_text("<html>my own page</html>")
    _one_line(capsys, main(["report", str(run_folder), "-o", str(mine)]), "mine.html", "never replaces")
    assert mine.read_text() == "<html>my own page</html>"


def test_report_out_a_folder_or_a_missing_parent_is_one_line(run_folder, tmp_path, capsys):
    _one_line(capsys, main(["report", str(run_folder), "-o", str(tmp_path)]), "is a folder")
    _one_line(capsys, main(["report", str(run_folder), "-o", str(tmp_path / "no" / "r.html")]), "does not exist")
    assert not (tmp_path / "no").exists()


def _quick_report(monkeypatch):
    """``pvsim report`` without drawing: the page written is a stub of pvsim's opening (the figures take seconds)."""
    from sim import report

    def write(folder, *, lang, scenario, out):
        path = Path(out) if out else folder / report.report_name(lang)
        path.write_text(f'<!DOCTYPE html>\n<html lang="{lang}" data-report="ready"></html>\n', encoding="utf-8")
        return path

    monkeypatch.setattr(report, "_write_one", write)


def test_report_takes_the_folders_lock_and_is_listed_in_its_manifest(run_folder, tmp_path, monkeypatch, capsys):
    _quick_report(monkeypatch)
    with open(run_folder / ".pvsim-lock", "w") as held:  # a pvsim writing the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _one_line(capsys, main(["report", str(run_folder)]), "another pvsim is writing here", "FOLDER")
    assert not (run_folder / "report.html").exists()
    assert main(["report", str(run_folder)]) == 0 and main(["report", str(run_folder), "--lang", "zh"]) == 0
    assert main(["report", str(run_folder), "-o", str(tmp_path / "elsewhere.html")]) == 0
    doc = json.loads((run_folder / "pvsim-manifest.json").read_text())
    assert set(doc["reports"]) == {"report.html", "report.zh.html"}  # not the one written elsewhere
    assert doc["reports"]["report.zh.html"] == hashlib.sha256((run_folder / "report.zh.html").read_bytes()).hexdigest()
    assert read_run(run_folder).summary  # a report is pvsim's file, not an output a reader requires
    (run_folder / "report.html").unlink()
    assert read_run(run_folder).summary


def test_a_rerun_removes_the_reports_of_the_old_outputs(run_folder, tiny_run, monkeypatch):
    _quick_report(monkeypatch)
    assert main(["report", str(run_folder)]) == 0
    tiny_run[1].write(run_folder)  # new outputs: the old report no longer describes them
    assert not (run_folder / "report.html").exists()
    assert "reports" not in json.loads((run_folder / "pvsim-manifest.json").read_text())


def test_a_pdf_of_someone_elses_is_never_replaced(run_folder, monkeypatch, capsys):
    _quick_report(monkeypatch)
    (run_folder / "report.pdf").write_bytes(b"%PDF-1.4 my own")
    _one_line(capsys, main(["report", str(run_folder), "--pdf"]), "report.pdf", "never replaces")
    assert (run_folder / "report.pdf").read_bytes() == b"%PDF-1.4 my own"


def test_a_zh_report_of_someone_elses_is_never_replaced(run_folder, monkeypatch, capsys):
    _quick_report(monkeypatch)
    (run_folder / "report.zh.html").write_text("我的报告")
    _one_line(capsys, main(["report", str(run_folder), "--lang", "zh"]), "report.zh.html", "never replaces")
    assert (run_folder / "report.zh.html").read_text() == "我的报告"


def test_demo_data_never_replaces_an_existing_geopackage(tmp_path, capsys):
    target = tmp_path / "mine.gpkg"
    target.write_bytes(b"SQLite format 3\x00 with the user's own layers")
    _one_line(capsys, main(["demo-data", str(target), "--sites", "30"]), "mine.gpkg", "OUT.gpkg")
    assert target.read_bytes() == b"SQLite format 3\x00 with the user's own layers"


OSM_EXTRACT = Path(__file__).resolve().parent / "data" / "osm" / "kirchberg_village.osm"


@pytest.mark.parametrize("argv, target", [
    (["demo-data", "{d}/county.gpkg", "--sites", "20"], "county.gpkg"),
    (["import-osm", str(OSM_EXTRACT), "--out", "{d}"], "sites.gpkg"),
    (["template", "{d}"], "scenario.yaml"),
])
def test_demo_data_import_osm_and_template_stop_while_another_pvsim_writes(tmp_path, capsys, argv, target):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / f".pvsim-tmp-{target}-dead{Path(target).suffix}").write_text("killed")  # a killed writer's leftover
    args = [a.format(d=folder) for a in argv]
    with open(folder / ".pvsim-lock", "w") as held:  # another pvsim writes into the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _one_line(capsys, main(args), "another pvsim is writing here", str(folder))
    assert not (folder / target).exists()
    assert main(args) == 0 and (folder / target).is_file()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # leftovers and lock gone
    _one_line(capsys, main(args), target)  # and a second time the file is there: refused, never replaced


def test_demo_data_killed_midway_leaves_nothing_half_written(tmp_path, monkeypatch):
    import geopandas as gpd

    real, calls = gpd.GeoDataFrame.to_file, []

    def dies_on_the_third_layer(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as a kill between two layers
        return real(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", dies_on_the_third_layer)
    target = tmp_path / "county.gpkg"
    assert main(["demo-data", str(target), "--sites", "30"]) == 130
    assert list(tmp_path.iterdir()) == []  # no half-written file, no temporary


def test_a_folder_of_pvsim_names_is_not_pvsims(scenario_file, tmp_path, capsys):
    """A folder holding the user's own summary.json and sites.parquet is not a run folder: refused without
    --overwrite, and with --overwrite the user's files with pvsim's names are still never replaced."""
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("summary.json", "sites.parquet", "transformers.csv"):
        (folder / name).write_text(f"the user's {name}")
    before = _snapshot(folder)
    _one_line(capsys, main(["run", str(scenario_file), "-o", str(folder), "-q"]), "not a pvsim run folder")
    line = _one_line(capsys, main(["run", str(scenario_file), "-o", str(folder), "-q", "--overwrite"]),
                     "pvsim did not write", "never replaces")
    assert any(name in line for name in before)
    assert _snapshot(folder) == before


@pytest.mark.parametrize("command, mine", [("compare", "comparison.json"), ("compare", "comparison.csv"),
                                           ("sweep", "variants/notes.txt"), ("sweep", "sweep.json")])
def test_compare_and_sweep_refuse_a_folder_of_their_names(scenario_file, tmp_path, capsys, command, mine):
    folder = tmp_path / "out"
    (folder / mine).parent.mkdir(parents=True, exist_ok=True)
    (folder / mine).write_text("the user's")
    extra = ["--param", "rollout.crews=2,3"] if command == "sweep" else []
    args = [command, str(scenario_file), "-o", str(folder), "-q", "-r", "2", "-w", "1", *extra]
    _one_line(capsys, main(args), "--out")
    assert (folder / mine).read_text() == "the user's"
    if "/" not in mine:  # --overwrite adds pvsim's files but never replaces the user's of the same name
        _one_line(capsys, main([*args, "--overwrite"]), mine, "never replaces")
        assert (folder / mine).read_text() == "the user's"


def test_overwrite_never_replaces_a_users_file_of_a_pvsim_name(run_folder, tiny_run, tmp_path):
    _, result = tiny_run
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "annual.csv").write_text("my annual plan")
    with pytest.raises(InputError, match="annual.csv.*pvsim did not write"):
        result.write(folder, overwrite=True)
    assert [p.name for p in folder.iterdir()] == ["annual.csv"]
    # in pvsim's own folder, a file the manifest does not list is the user's as well
    (run_folder / "transformers.csv").unlink()
    rewritten = json.loads((run_folder / "pvsim-manifest.json").read_text())
    rewritten["files"].pop("transformers.csv")
    (run_folder / "pvsim-manifest.json").write_text(json.dumps(rewritten))
    (run_folder / "transformers.csv").write_text("my ledger")
    with pytest.raises(InputError, match="transformers.csv.*pvsim did not write"):
        result.write(run_folder)
    assert (run_folder / "transformers.csv").read_text() == "my ledger"


# --------------------------------------------------------------------------------------------- folders commit whole


@pytest.fixture(scope="module")
def written_run(tiny_run, tmp_path_factory) -> Path:
    """The session's tiny run written once; tests that rewrite it work on a copy."""
    return tiny_run[1].write(tmp_path_factory.mktemp("hostile_run") / "run")


@pytest.mark.parametrize("survived", range(10))
def test_a_kill_at_any_rename_never_leaves_a_folder_read_run_accepts(tiny_run, written_run, tmp_path, monkeypatch,
                                                                     survived):
    """Fault injection at each rename of a rewrite (manifest, each file, manifest again): the folder is refused by
    read_run until the next write, which succeeds and leaves no temporaries."""
    import shutil

    import sim._io as io

    _, result = tiny_run
    out = Path(shutil.copytree(written_run, tmp_path / "run"))
    assert read_run(out).summary["seed"] == result.summary["seed"]  # the copy is a finished run folder
    real, renames = os.replace, []

    class Killed(BaseException):
        pass

    def replace(src, dst):
        renames.append(dst)
        if len(renames) > survived:
            raise Killed
        return real(src, dst)

    monkeypatch.setattr(io.os, "replace", replace)
    changed = dataclasses.replace(result, summary={**result.summary, "seed": 4242})
    try:
        changed.write(out)
        killed = False
    except Killed:
        killed = True
    monkeypatch.setattr(io.os, "replace", real)
    if not killed:
        assert len(renames) <= survived  # the write has fewer renames than this
    elif survived == 0:  # killed before its first rename: the old run, whole
        assert read_run(out).summary["seed"] == result.summary["seed"]
    else:  # killed after the manifest said "writing": no reader takes the mix
        with pytest.raises(InputError, match="not a finished pvsim run folder"):
            read_run(out)
    changed.write(out)
    assert read_run(out).summary["seed"] == 4242
    assert not [p for p in out.iterdir() if p.name.startswith(".pvsim-")]


def test_a_second_writer_stops_at_once(scenario_file, tmp_path, capsys):
    folder = tmp_path / "run"
    folder.mkdir()
    with open(folder / ".pvsim-lock", "w") as held:  # what a running pvsim holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _one_line(capsys, main(["run", str(scenario_file), "-o", str(folder), "-q"]), "another pvsim is writing here")
    assert [p.name for p in folder.iterdir()] == [".pvsim-lock"]


def test_a_second_pvsim_process_stops_while_the_first_writes(tiny_run, tmp_path):
    """Two processes: the first holds the folder's lock (as a run does from its start to its commit); the second
    stops at once, and writes once the first has finished."""
    import subprocess
    import sys
    import time

    _, result = tiny_run
    out, go = tmp_path / "run", tmp_path / "go"
    code = ("import sys, time; from pathlib import Path; from sim._io import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n"
            "    Path(sys.argv[2]).write_text('locked')\n"
            "    while Path(sys.argv[2]).exists(): time.sleep(0.05)\n")
    first = subprocess.Popen([sys.executable, "-c", code, str(out), str(go)],
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:
        while not go.exists():
            assert first.poll() is None, "the first writer died"
            time.sleep(0.05)
        with pytest.raises(InputError, match="another pvsim is writing here"):
            result.write(out)
        assert not (out / "summary.json").exists()
    finally:
        go.unlink(missing_ok=True)
        first.wait(timeout=60)
    assert read_run(result.write(out)).summary == json.loads((out / "summary.json").read_text())


def test_leftovers_of_a_killed_first_run_are_removed_by_the_next_writer(tiny_run, tmp_path):
    _, result = tiny_run
    out = tmp_path / "run"
    (out / ".pvsim-tmp-write-dead").mkdir(parents=True)  # a first run killed mid-write
    (out / ".pvsim-tmp-write-dead" / "summary.json").write_text("{")
    (out / ".pvsim-lock").write_text("")
    result.write(out)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    assert read_run(out).summary == json.loads((out / "summary.json").read_text())


def test_the_manifest_is_reproducible_and_lists_every_file(tiny_run, tmp_path):
    _, result = tiny_run
    a, b = result.write(tmp_path / "a"), result.write(tmp_path / "b")
    assert (a / "pvsim-manifest.json").read_bytes() == (b / "pvsim-manifest.json").read_bytes()
    doc = json.loads((a / "pvsim-manifest.json").read_text())
    assert doc["state"] == "complete" and doc["kind"] == "run"
    assert set(doc["files"]) == {p.name for p in a.iterdir() if p.name != "pvsim-manifest.json"}


# --------------------------------------------------------------------------------------------- the outside world


def test_disk_full_while_writing_is_one_line_and_keeps_the_old_run(run_folder, scenario_file, cache_dir,
                                                                   monkeypatch, capsys):
    before = _snapshot(run_folder)

    def disk_full(result, folder):
        (folder / "summary.json").write_text("{")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results, "_write_files", disk_full)
    rc = main(["run", str(scenario_file), "-o", str(run_folder), "-q", "--overwrite", "--cache-dir", str(cache_dir)])
    _one_line(capsys, rc, "No space left on device", str(run_folder))
    assert _snapshot(run_folder) == before and read_run(run_folder).summary


def test_gdal_failing_to_write_is_one_line(scenario_file, tmp_path, cache_dir, monkeypatch, capsys):
    import pyogrio

    def full(*args, **kwargs):
        raise pyogrio.errors.DataSourceError("sqlite3_exec(COMMIT) failed: database or disk is full")

    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    rc = main(["run", str(scenario_file), "-o", str(tmp_path / "run"), "-q", "--cache-dir", str(cache_dir)])
    _one_line(capsys, rc, "disk is full", "--out")
    assert not (tmp_path / "run").exists()


def test_a_read_only_place_is_one_line_before_any_work(scenario_file, tmp_path, monkeypatch, capsys):
    import sim._io as io

    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(io, "_take_lock", read_only)
    _one_line(capsys, main(["run", str(scenario_file), "-o", str(tmp_path / "run"), "-q"]), "Read-only file system")
    assert not (tmp_path / "run").exists()


def _can_mount() -> bool:
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False).returncode == 0


MOUNTS = pytest.mark.skipif(not _can_mount(), reason="no user namespaces here (unshare -rm) to mount a small tmpfs")


_IN_THE_MOUNT = """
import contextlib, io, json, os, sys
from sim.cli import main
out = []
for argv in json.loads(sys.argv[2]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    out.append([rc, err.getvalue(), sorted(os.listdir(sys.argv[1]))])
print(json.dumps(out))
"""


def _on_a_small_tmpfs(tmp_path: Path, options: str, *commands: list[str]) -> list[tuple[int, str, list[str]]]:
    """The pvsim commands ``commands`` run on a real file system: ``tmp_path/mnt`` is a tmpfs mounted with
    ``options`` (``size=64k``: a disk that fills up; ``ro``: read-only) in a private mount namespace (``unshare -rm``:
    no root needed, and no mode bits, which root ignores). ``{mnt}`` in an argument is the mount point. Returns the
    exit status, stderr and the names on the file system after each."""
    import shlex
    import subprocess
    import sys

    mnt = tmp_path / "mnt"
    mnt.mkdir()
    argvs = json.dumps([[a.format(mnt=mnt) for a in argv] for argv in commands])
    script = (f"mount -t tmpfs -o {options} tmpfs {shlex.quote(str(mnt))} || exit 99\n"
              + shlex.join([sys.executable, "-c", _IN_THE_MOUNT, str(mnt), argvs]))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return [tuple(r) for r in json.loads(done.stdout.splitlines()[-1])]


def _refused_in_one_line(rc: int, err: str, *words: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.startswith("pvsim: error: ")]
    assert rc == 2 and len(lines) == 1 and "Traceback" not in err, (rc, err)
    for word in words:
        assert word in lines[0], (word, lines[0])


@MOUNTS
def test_a_real_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    """A 64 KiB tmpfs: the GeoPackages do not fit (GDAL's error is not an OSError); nothing is left behind."""
    for rc, err, left in _on_a_small_tmpfs(tmp_path, "size=64k", ["demo-data", "{mnt}/c.gpkg", "--sites", "20"],
                                           ["template", "{mnt}/county"]):
        _refused_in_one_line(rc, err, "GDAL could not write")
        assert left == [], left  # no half-written file, no temporary, no lock, no folder


@MOUNTS
def test_a_real_read_only_file_system_is_one_line(tmp_path, scenario_file):
    results_ = _on_a_small_tmpfs(tmp_path, "ro,size=64k", ["run", str(scenario_file), "-o", "{mnt}/run", "-q"],
                                 ["template", "{mnt}/county"], ["demo-data", "{mnt}/c.gpkg", "--sites", "20"],
                                 ["compare", str(scenario_file), "-o", "{mnt}/cmp", "-q"])
    for rc, err, left in results_:
        _refused_in_one_line(rc, err, str(tmp_path / "mnt"))
        assert "Read-only file system" in err or "not writable" in err, err
        assert left == []


def test_a_file_used_as_a_folder_and_an_overlong_name_are_one_line(scenario_file, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    _one_line(capsys, main(["run", str(scenario_file), "-o", str(tmp_path / "file" / "run"), "-q"]), "--out")
    _one_line(capsys, main(["run", str(scenario_file), "-o", str(tmp_path / ("n" * 300)), "-q"]), "longer than 255")
    _one_line(capsys, main(["report", str(tmp_path), "-o", str(tmp_path / ("n" * 300 + ".html"))]), "longer than 255")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "scen"]


def test_plan_out_in_a_missing_folder_is_refused_before_the_solve(scenario_file, tmp_path, capsys):
    _one_line(capsys, main(["plan", str(scenario_file), "-o", str(tmp_path / "no" / "plan.csv")]), "does not exist")


def test_a_device_as_data_is_refused_before_it_is_hashed(tiny_county, tmp_path, capsys):
    raw = scenario_dict(tiny_county)
    raw["data"]["grid_file"] = "/dev/zero"
    path = write_scenario(tmp_path, raw)
    from sim.pipeline import inputs_sha256
    from sim.scenario import load_scenario

    with pytest.raises(InputError, match="/dev/zero.*not a plain file"):
        inputs_sha256(load_scenario(path))


# --------------------------------------------------------------------------------------------- damaged outputs


@pytest.mark.parametrize("name", ["summary.json", "sites.parquet", "annual.csv"])
def test_a_damaged_run_is_named_by_report_and_read_run(run_folder, capsys, name):
    path = run_folder / name
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    _one_line(capsys, main(["report", str(run_folder)]), name, "damaged")
    with pytest.raises(InputError, match=f"{name}: damaged"):
        read_run(run_folder)


def test_a_damaged_comparison_is_named(tmp_path):
    from sim._io import atomic_folder
    from sim.experiment import read_comparison

    def fill(tmp):
        for name in ("comparison.csv", "paired_differences.csv", "annual_bands.csv"):
            (tmp / name).write_text("strategy\nx\n")
        (tmp / "comparison.json").write_text(json.dumps({"strategies": ["x"], "baseline": "x", "replications": 2}))

    out = atomic_folder(tmp_path / "cmp", fill, kind="comparison")
    (out / "comparison.json").write_text('{"strategies": ["x"], "base')
    with pytest.raises(InputError, match="comparison.json: damaged"):
        read_comparison(out)


def test_resume_recomputes_a_damaged_run(tiny_run, tmp_path):
    from sim.experiment import _is_done, run_dir, run_task, write_run

    _, result = tiny_run
    payload = run_task(None, "max_yield", 1, run_fn=lambda prepared, strategy, seed: result)
    folder = run_dir(tmp_path, "max_yield", 0)
    write_run(folder, payload, {"seed": 1})
    assert _is_done(folder, {"seed": 1})
    (folder / "annual.csv").write_text((folder / "annual.csv").read_text()[:40])  # truncated by a full disk
    assert not _is_done(folder, {"seed": 1})


def test_a_legacy_or_hand_made_folder_is_not_read_as_a_run(run_folder, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in run_folder.iterdir():
        if p.name != "pvsim-manifest.json":
            (copy / p.name).write_bytes(p.read_bytes())
    with pytest.raises(InputError, match="not a pvsim run folder"):
        read_run(copy)


# --------------------------------------------------------------------------------------------- hostile YAML


def _yaml_file(tmp_path, text: str) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"name: *a{levels}"]) + "\n"


@pytest.mark.parametrize("text, words", [
    (_alias_bomb(6), ["alias", "200,000"]),
    (_alias_bomb(9), ["alias", "200,000"]),
    (_alias_bomb(10), ["alias", "200,000"]),
    ("name: &a [*a]\n", ["refers to itself"]),
    ("name: " + "[" * 20000 + "]" * 20000 + "\n", ["nested deeper than 64"]),
    ("name: " + "[a, " * 100 + "]" * 100 + "\n", ["nested deeper than 64 levels at line 1"]),
    ("name: a\nseed: 1\nname: b\n", ["duplicate key 'name' on lines 1 and 3"]),
    ("name: a\nrollout:\n  crews: 2\n  crews: 3\n", ["duplicate key 'crews' on lines 3 and 4"]),
    ("name: a\nstart_date: 2026-02-30\n", ["impossible date", "2026-02-30"]),
    ("name: a\nseed: 12:15\n", ["base-60", "quote it"]),
    ("name: NO\n", ["name", "quote it ('NO')"]),
])
def test_hostile_yaml_is_one_line(tmp_path, capsys, text, words):
    _one_line(capsys, main(["validate", str(_yaml_file(tmp_path, text))]), "hostile.yaml", *words)


@pytest.mark.parametrize("args, words", [
    (["--set", "start_date=2026-02-30"], ["--set start_date", "impossible date"]),
    (["--set", "rollout.crews=" + "[" * 5000 + "]" * 5000], ["--set rollout.crews", "nested deeper"]),
    (["--set", "name=NO"], ["--set name", "quote it ('NO')"]),
    (["--set", "carbon={region: off}"], ["--set carbon.region", "quote it ('off')"]),
    (["--set", "seed=12:15"], ["--set seed", "base-60", "quote it ('12:15')"]),
])
def test_hostile_set_values_are_one_line(scenario_file, tmp_path, capsys, args, words):
    _one_line(capsys, main(["run", str(scenario_file), "-o", str(tmp_path / "r"), "-q", *args]), *words)
    assert not (tmp_path / "r").exists()


def test_hostile_param_values_are_one_line(scenario_file, tmp_path, capsys):
    rc = main(["sweep", str(scenario_file), "--param", "start_date=2026-02-28,2026-02-30", "-o", str(tmp_path / "s")])
    _one_line(capsys, rc, "--param start_date", "impossible date")
    assert not (tmp_path / "s").exists()
    rc = main(["sweep", str(scenario_file), "--param", "carbon.region=North,Off", "-o", str(tmp_path / "s")])
    _one_line(capsys, rc, "--param carbon.region", "quote it ('Off')")
    assert not (tmp_path / "s").exists()


def test_a_name_is_one_folder_inside_runs(tiny_county, tmp_path, cache_dir, monkeypatch, capsys):
    raw = scenario_dict(tiny_county, name="../../escaped")
    path = write_scenario(tmp_path, raw)
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    assert main(["run", str(path), "-q", "--cache-dir", str(cache_dir)]) == 0
    made = list((work / "runs").iterdir())
    assert len(made) == 1 and made[0].is_dir() and (made[0] / "summary.json").is_file()
    assert not list((tmp_path / "work").glob("escaped*")) and not list(tmp_path.glob("escaped*"))


def test_a_run_of_brackets_is_refused_without_parsing(monkeypatch):
    import sim._yaml as guarded

    def never(*args, **kwargs):
        raise AssertionError("the YAML parser was started")

    monkeypatch.setattr(guarded, "_Loader", never)
    with pytest.raises(InputError, match="--set x: nested deeper than 64 levels at line 2"):
        guarded.load_yaml("a: 1\nb: " + "[ " * 20000, field="--set x")


class _NeverShown:
    def __repr__(self) -> str:
        raise AssertionError("an error message showed a value in full")


def test_error_values_are_shown_bounded_and_never_in_full():
    deep = [[[[[_NeverShown()]]]]]  # below the levels an error shows
    assert "..." in str(InputError("bad", field="x", value=deep))
    assert len(str(InputError("bad", field="x", value=list(range(10**6))))) < 200


def test_error_values_are_shown_bounded(tmp_path):
    bomb = yaml.safe_load(_alias_bomb(7))["name"]  # 10 million strings once expanded
    message = str(InputError("bad", field="x", value=bomb))
    assert len(message) < 200 and "..." in message


# --------------------------------------------------------------------------------------------- weather


def test_irradiance_in_kw_per_m2_is_refused(weather):
    from sim.weather import validate_weather

    data = weather.data.copy()
    for col in ("ghi", "dni", "dhi"):
        data[col] = data[col] / 1000.0
    with pytest.raises(InputError, match="kw.csv: ghi: .*kW/m2"):
        validate_weather(data, file="kw.csv")
    assert isinstance(validate_weather(weather.data, file="w.csv"), pd.DataFrame)


# --------------------------------------------------------------------------------------------- interrupts and Dask


def test_ctrl_c_on_compare_is_one_line_saying_which_runs_were_kept(tiny_run, scenario_file, tmp_path, monkeypatch,
                                                                   capsys):
    import sim.experiment as experiment

    _, result = tiny_run
    payload = experiment.run_task(None, "max_yield", 1, run_fn=lambda prepared, strategy, seed: result)

    def one_run_then_ctrl_c(client, groups, **kwargs):
        out_dir = groups[0].jobs[0].out_dir
        experiment.write_run(experiment.run_dir(out_dir, "max_yield", 0), payload, {"seed": 1})
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "dask_client", lambda *args: contextlib.nullcontext())  # no cluster needed
    monkeypatch.setattr(experiment, "_run_groups", one_run_then_ctrl_c)
    out = tmp_path / "cmp"
    assert main(["compare", str(scenario_file), "-o", str(out), "-q", "-r", "2", "-w", "1"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted; 1 finished run(s) kept in" in err[0] and str(out) in err[0], err
    assert "Traceback" not in "\n".join(err)
    assert experiment.is_comparison_folder(out)  # marked pvsim's: the same command resumes there


def test_no_dask_worker_left_is_one_line(scenario_file, tmp_path, cache_dir):
    from sim.experiment import compare

    class NoWorkers:
        def scheduler_info(self):
            return {"workers": {}}

        def scatter(self, *args, **kwargs):
            raise TimeoutError("No valid workers found")

    scenario = sim.load_scenario(scenario_file)
    with pytest.raises(InputError, match="--workers/--scheduler: no Dask worker left to run on"):
        compare(scenario, ["max_yield"], 1, out_dir=tmp_path / "cmp", progress=False, cache_dir=cache_dir,
                figures=False, _client=NoWorkers())


def test_a_worker_ignores_ctrl_c_after_setup():
    import signal

    from sim._workers import ignore_sigint

    before = signal.getsignal(signal.SIGINT)
    try:
        ignore_sigint()  # what each local worker runs in its main thread
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def _sleep_ignoring_signals() -> None:
    import signal
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(600)


def test_no_child_process_outlives_the_cluster():
    """A worker process that ignores SIGINT and SIGTERM (as a nanny-restarted worker was seen to) is killed when the
    cluster is closed."""
    import multiprocessing

    from sim.experiment import stop_children

    before = {p.pid for p in multiprocessing.active_children()}
    stubborn = multiprocessing.get_context("spawn").Process(target=_sleep_ignoring_signals)
    stubborn.start()
    assert stop_children(before, grace_s=0.5) == [stubborn.pid]
    assert not stubborn.is_alive()


def _group_members(pgid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


@pytest.mark.slow
def test_ctrl_c_on_a_real_compare_is_one_line_and_no_dask_process_outlives_it(scenario_file, tmp_path):
    """``pvsim compare -w 2`` in its own process group gets a Ctrl-C (SIGINT to the whole group, as a terminal sends
    it) once its first run is finished: one line naming what was kept, exit 130, and no process of the group left."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "cmp"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    p = subprocess.Popen([sys.executable, "-m", "sim", "compare", str(scenario_file), "-s", "max_yield,grid_headroom",
                          "-r", "6", "-w", "2", "-o", str(out), "-q"], env=env, start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not list(out.glob("runs/*/rep*/pvsim-manifest.json")) and time.monotonic() < deadline:
        assert p.poll() is None, p.communicate()
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=120)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert p.returncode == 130 and len(lines) == 1 and "finished run(s) kept in" in lines[0], err[-3000:]
    time.sleep(1.0)
    assert _group_members(p.pid) == [], "a Dask process outlived pvsim compare"


@pytest.mark.slow
def test_local_workers_leave_ctrl_c_to_pvsim():
    import signal

    from sim.experiment import dask_client as _dask_client

    with _dask_client(1, None, 1) as client:
        ignored = client.run(lambda: signal.getsignal(signal.SIGINT) == signal.SIG_IGN)
        assert set(ignored.values()) == {True}


def test_a_layer_of_null_geometries_is_named_as_such(tmp_path):
    import geopandas as gpd

    from sim.inputs import check_crs

    empty = gpd.GeoDataFrame({"site_id": ["a", "b"]}, geometry=[None, None], crs=4326)
    with pytest.raises(InputError, match="sites.gpkg: geometry: every geometry of the sites layer is empty or null"):
        check_crs(empty, "sites.gpkg", "sites")
    with pytest.raises(InputError, match="look like projected metres"):
        check_crs(gpd.GeoDataFrame(geometry=gpd.points_from_xy([500000.0], [4400000.0]), crs=4326), "s.gpkg", "sites")


def test_hostile_yaml_is_refused_before_the_heavy_imports(tmp_path):
    """The alias bomb is refused by the light YAML guard, before pvlib, geopandas or the scenario models load."""
    import subprocess
    import sys

    bomb = _yaml_file(tmp_path, _alias_bomb(10))
    code = ("import sys; from sim.cli import main; rc = main(['validate', sys.argv[1]]); "
            "print(rc, sorted(m for m in ('pvlib', 'geopandas', 'sim.scenario') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert p.stdout.split("\n")[0] == "2 []", (p.stdout, p.stderr)
    assert "alias" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_a_read_only_cache_is_refused_before_the_work(scenario_file, tmp_path, monkeypatch, capsys):
    cache = tmp_path / "cache"
    cache.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == cache else real(path, mode))
    rc = main(["run", str(scenario_file), "-o", str(tmp_path / "r"), "-q", "--cache-dir", str(cache)])
    _one_line(capsys, rc, "--cache-dir", "not writable")
    assert not (tmp_path / "r").exists()


def test_a_long_sweep_variant_gets_a_folder_name_that_fits(tiny_run):
    from sim.sweeps import MAX_LABEL, make_variants

    scenario, _ = tiny_run
    long = "x" * 400
    variants = make_variants(scenario, {"description": [long + "a", long + "b"]})
    labels = [label for label, _, _ in variants]
    assert all(len(label) <= MAX_LABEL for label in labels) and len(set(labels)) == 2


def test_template_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    import sim.inputs as inputs

    real = inputs.atomic_write

    def full_on_the_third(path, data, **kwargs):
        if Path(path).name == "scenario.yaml":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data, **kwargs)

    monkeypatch.setattr(inputs, "atomic_write", full_on_the_third)
    _one_line(capsys, main(["template", str(tmp_path / "county")]), "No space left on device", "scenario.yaml")
    assert not (tmp_path / "county").exists()  # the folder it made is removed again: nothing half-written


def test_a_fifo_as_scenario_is_refused_without_reading_it(tmp_path, capsys):
    import threading

    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)

    def feed() -> None:  # a reader that opened the FIFO would get a scenario (and not hang the test)
        with open(fifo, "w") as fh:
            fh.write("name: from a pipe\n")

    threading.Thread(target=feed, daemon=True).start()
    _one_line(capsys, main(["validate", str(fifo)]), "not a plain file")
