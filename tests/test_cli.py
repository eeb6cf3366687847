"""The pvsim command: runs, validation, help, and bad input (exit 2, one line, no traceback, no output)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main

from .conftest import REPO, scenario_dict, write_scenario


def pvsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_help_lists_commands():
    p = pvsim("--help")
    assert p.returncode == 0
    for cmd in ("run", "validate", "demo-data", "schema", "strategies"):
        assert cmd in p.stdout


def test_run_writes_outputs_and_prints_summary(tiny_scenario_path, tmp_path, cache_dir, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny_scenario_path), "--out", str(out), "--quiet", "--cache-dir", str(cache_dir)]) == 0
    printed = capsys.readouterr().out
    assert "capacity built" in printed and "MWp" in printed and "CO2 avoided" in printed
    assert {"summary.json", "sites.parquet", "annual.csv", "events.parquet"} <= {p.name for p in out.iterdir()}


def test_validate_ok(tiny_scenario_path, capsys):
    assert main(["validate", str(tiny_scenario_path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_schema_matches_docs(capsys):
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")


def test_strategies_listed(capsys):
    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    for name in ("random", "max_yield", "grid_headroom", "pilot_quota", "optimal"):
        assert name in out


@pytest.mark.parametrize("mutate, field", [
    (lambda r: r.update(horizon_years=-1), "horizon_years"),
    (lambda r: r["rollout"].update(crews_count=3), "rollout.crews_count"),
    (lambda r: r.update(strategy="best_first"), "strategy"),
    (lambda r: r["data"].update(sites_file="missing.gpkg"), "data.sites_file"),
])
def test_bad_input_exit_2_one_line_no_output(tiny_county, tmp_path, mutate, field):
    raw = scenario_dict(tiny_county)
    mutate(raw)
    path = write_scenario(tmp_path, raw)
    out = tmp_path / "out"
    p = pvsim("run", str(path), "--out", str(out), "--quiet")
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("pvsim: error: ") and field in lines[0], p.stderr
    assert not out.exists()
    assert not [q for q in tmp_path.iterdir() if q.name.startswith(".")]


def test_out_path_that_is_a_file(tiny_scenario_path, tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    p = pvsim("run", str(tiny_scenario_path), "--out", str(target), "--quiet")
    assert p.returncode == 2 and "is a file" in p.stderr and "Traceback" not in p.stderr


def test_python_dash_m_is_pvsim():
    p = pvsim("--version")
    assert p.returncode == 0 and "pvsim" in p.stdout
