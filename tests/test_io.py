"""Never lose a file (sim._io, sim.results.write_outputs, pvsim run/compare --out): a rerun keeps the user's files,
--out can never be the scenario's folder or a data file, a foreign folder needs --overwrite, an interrupted write
keeps the old outputs, and files get the user's umask."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import replace

import pytest

import sim.results as results
from sim._io import MANIFEST, TMP_PREFIX, atomic_folder, atomic_write, check_out_folder
from sim.cli import main
from sim.errors import InputError
from sim.results import OUTPUT_FILES, is_run_folder

from .conftest import REPO


@contextlib.contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _no_temporaries(*folders) -> bool:
    return not [p for f in folders for p in f.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_files_and_folders_get_the_users_umask(tmp_path):
    for mask, dir_mode, file_mode in ((0o022, 0o755, 0o644), (0o027, 0o750, 0o640), (0o002, 0o775, 0o664)):
        with umask(mask):
            folder = atomic_folder(tmp_path / f"run{mask:o}", lambda tmp: (tmp / "a.csv").write_text("1"))
            single = atomic_write(tmp_path / f"f{mask:o}.txt", "x")
        assert folder.stat().st_mode & 0o777 == dir_mode, oct(mask)
        assert (folder / "a.csv").stat().st_mode & 0o777 == file_mode, oct(mask)
        assert single.stat().st_mode & 0o777 == file_mode, oct(mask)


def test_rewrite_replaces_own_files_keeps_others_and_drops_stale_own_files(tmp_path):
    folder = tmp_path / "run"
    atomic_folder(folder, lambda tmp: [(tmp / n).write_text("old") for n in ("a.csv", "optional.csv")])
    (folder / "notes.md").write_text("mine")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.txt").write_text("mine too")
    atomic_folder(folder, lambda tmp: (tmp / "a.csv").write_text("new"))
    assert (folder / "a.csv").read_text() == "new"
    assert not (folder / "optional.csv").exists()  # pvsim's own file of the earlier write, not written now
    assert (folder / "notes.md").read_text() == "mine" and (folder / "sub" / "x.txt").read_text() == "mine too"
    assert _no_temporaries(tmp_path, folder)


def test_an_interrupted_rewrite_keeps_the_old_files(tmp_path):
    folder = tmp_path / "run"
    atomic_folder(folder, lambda tmp: [(tmp / n).write_text("old") for n in ("a.csv", "b.csv")])
    (folder / "notes.md").write_text("mine")

    def interrupted(tmp):
        (tmp / "a.csv").write_text("new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_folder(folder, interrupted)
    assert {p.name: p.read_text() for p in folder.iterdir() if p.name != MANIFEST} == {
        "a.csv": "old", "b.csv": "old", "notes.md": "mine"}
    assert _no_temporaries(tmp_path, folder)


def test_leftovers_of_a_killed_write_are_cleaned_up_and_nothing_else(tmp_path):
    folder = tmp_path / "run"
    atomic_folder(folder, lambda tmp: (tmp / "a.csv").write_text("1"))
    (folder / (TMP_PREFIX + "write-dead")).mkdir()  # what a SIGKILL during a write leaves
    (folder / ".hidden_user_file").write_text("mine")
    atomic_folder(folder, lambda tmp: (tmp / "a.csv").write_text("2"))
    assert sorted(p.name for p in folder.iterdir()) == [".hidden_user_file", "a.csv", MANIFEST]


def test_out_folder_checks(tmp_path):
    scenario = tmp_path / "scen" / "county.yaml"
    data = tmp_path / "data" / "county.gpkg"
    for p in (scenario, data):
        p.parent.mkdir()
        p.write_text("x")
    for out in (scenario.parent, data, data.parent):
        for overwrite in (False, True):
            with pytest.raises(InputError, match="never writes among its inputs"):
                check_out_folder(out, kind="run", overwrite=overwrite, protected=[scenario, data])
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    assert check_out_folder(foreign, kind="run") == foreign  # empty: fine
    (foreign / "thesis.docx").write_text("x")
    with pytest.raises(InputError, match="not empty and is not a pvsim run folder.*--overwrite"):
        check_out_folder(foreign, kind="run")
    assert check_out_folder(foreign, kind="run", overwrite=True) == foreign
    atomic_folder(foreign, lambda tmp: (tmp / "a.csv").write_text("1"), kind="run")
    assert check_out_folder(foreign, kind="run") == foreign  # now it carries a run manifest
    assert check_out_folder(tmp_path / "new" / "run", kind="run") == tmp_path / "new" / "run"


# --------------------------------------------------------------------------------------------- run folders


def test_rerun_into_a_run_folder_keeps_the_users_files(tiny_run, tmp_path):
    _, result = tiny_run
    out = result.write(tmp_path / "run")
    (out / "report.html").write_text("<html>my report</html>")
    (out / "notes.md").write_text("notes")
    again = result.write(out)
    assert (again / "report.html").read_text() == "<html>my report</html>" and (again / "notes.md").read_text()
    assert set(OUTPUT_FILES) <= {p.name for p in again.iterdir()}
    # an optional file of the earlier run that this run does not have is pvsim's and goes
    without = replace(result, transformers=None)
    without.write(out)
    assert not (out / "transformers.csv").exists() and (out / "notes.md").exists()


def test_writing_into_a_foreign_folder_needs_overwrite_and_removes_nothing(tiny_run, tmp_path):
    _, result = tiny_run
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.docx").write_text("years of work")
    with pytest.raises(InputError, match="--overwrite"):
        result.write(folder)
    assert [p.name for p in folder.iterdir()] == ["thesis.docx"]
    result.write(folder, overwrite=True)
    assert (folder / "thesis.docx").read_text() == "years of work" and is_run_folder(folder)


def test_an_interrupted_run_write_keeps_the_old_outputs(tiny_run, tmp_path, monkeypatch):
    _, result = tiny_run
    out = result.write(tmp_path / "run")
    (out / "notes.md").write_text("notes")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = results._write_files

    def interrupted(res, folder):
        real(res, folder)  # every file written to the temporary folder, then Ctrl-C before the commit
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "_write_files", interrupted)
    with pytest.raises(KeyboardInterrupt):
        replace(result, summary={**result.summary, "seed": 99}).write(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _no_temporaries(tmp_path, out)


# --------------------------------------------------------------------------------------------- the command


def _pvsim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(REPO)})


def _one_error_line(p: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1 and lines[0].startswith("pvsim: error: "), p.stderr
    return lines[0]


@pytest.mark.slow
def test_out_may_not_be_the_scenarios_folder_or_a_data_file(tiny_county, tiny_scenario_path, tmp_path, capsys):
    """`pvsim run scenario.yaml --out <its folder>` once deleted the scenario; now it is refused, with or without
    --overwrite, before anything runs."""
    before = sorted(p.name for p in tmp_path.iterdir())
    line = _one_error_line(_pvsim("run", str(tiny_scenario_path), "--out", str(tmp_path), "--quiet"))
    assert "--out" in line and "is the folder of the scenario's input scenario.yaml" in line
    for out in (tmp_path, tiny_county, tiny_county.parent):
        for extra in ((), ("--overwrite",)):
            assert main(["run", str(tiny_scenario_path), "--out", str(out), "--quiet", *extra]) == 2
            err = capsys.readouterr().err.strip().splitlines()
            assert len(err) == 1 and "--out" in err[0] and "never writes among its inputs" in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert tiny_scenario_path.is_file() and tiny_county.is_file()


def test_out_into_a_foreign_folder_stops_unless_overwrite(tiny_scenario_path, tmp_path, cache_dir, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8")
    args = ["run", str(tiny_scenario_path), "--out", str(folder), "--quiet", "--cache-dir", str(cache_dir)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "not a pvsim run folder" in err and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in folder.iterdir()] == ["holiday.jpg"]
    assert main([*args, "--overwrite"]) == 0
    assert (folder / "holiday.jpg").read_bytes() == b"\xff\xd8" and is_run_folder(folder)
    assert "holiday.jpg" in capsys.readouterr().out  # says which files it kept


@pytest.mark.slow
def test_report_keeps_the_run_and_gets_the_umask(tiny_run, tmp_path):
    from sim.report import write_report

    _, result = tiny_run
    out = result.write(tmp_path / "run")
    (out / "notes.md").write_text("notes")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with umask(0o027):
        path = write_report(out)
    assert path.stat().st_mode & 0o777 == 0o640
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != "report.html"} == before
