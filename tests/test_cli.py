"""The pvsim command: runs, validation, help, and bad input (exit 2, one line, no traceback, no output)."""

from __future__ import annotations

import os
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
    import gc

    out = tmp_path / "out"
    assert main(["run", str(tiny_scenario_path), "--out", str(out), "--quiet", "--cache-dir", str(cache_dir)]) == 0
    assert gc.isenabled()  # the collector, paused for the run, is back
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


# --------------------------------------------------------------------------------------------- help and arguments


@pytest.mark.parametrize("command", ["run", "compare", "report", "validate", "demo-data", "schema", "strategies"])
def test_every_subcommand_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "example:" in text and f"pvsim {command}" in text.split("example:")[1]
    assert len(text.splitlines()) > 5  # more than a usage line
    for default_metavar in ("OUT", "SEED", "STRATEGY", "RUN_DIR", "CACHE_DIR", "SITES"):
        assert f" {default_metavar}\n" not in text and f" {default_metavar} " not in text, default_metavar


def test_short_flags_and_defaults_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "-o DIR, --out DIR" in text and "-s NAME, --strategy NAME" in text and "-q, --quiet" in text
    assert "(default: the scenario's)" in text
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = capsys.readouterr().out
    assert "-s A,B,..., --strategies A,B,..." in text and "(default: 10)" in text


def test_unknown_strategy_is_rejected_before_any_work(tiny_scenario_path, tmp_path, monkeypatch, capsys):
    import sim.sites

    def must_not_run(*args, **kwargs):
        raise AssertionError("sites were read before the arguments were checked")

    monkeypatch.setattr(sim.sites, "read_sites", must_not_run)
    assert main(["run", str(tiny_scenario_path), "-s", "no_such", "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "strategy" in err and "no_such" in err and "max_yield" in err  # names the allowed ones
    assert main(["run", str(tiny_scenario_path), "--seed", "-1", "-q"]) == 2


def test_validate_makes_the_checks_run_makes(tiny_county, tmp_path):
    """A 2090 start with a 25-year horizon runs past the work calendar (the holidays package's 1950-2100 for China):
    validate refuses it as run does."""
    path = write_scenario(tmp_path, scenario_dict(tiny_county, start_date="2090-01-01"))
    validated = pvsim("validate", str(path))
    assert validated.returncode == 2 and "start_date" in validated.stderr and "2100" in validated.stderr
    ran = pvsim("run", str(path), "-o", str(tmp_path / "out"))
    assert ran.returncode == 2 and "start_date" in ran.stderr
    assert "Traceback" not in validated.stderr + ran.stderr


def test_no_progress_bar_off_a_terminal(tiny_scenario_path, tmp_path):
    """stderr is a pipe here: no bar redraws in the log, at most one plain status line per slow step, and an error
    line stands on its own line."""
    p = pvsim("run", str(tiny_scenario_path), "-o", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"))
    assert p.returncode == 0, p.stderr
    assert "\r" not in p.stderr and "\x1b[" not in p.stderr and "|" not in p.stderr
    for line in p.stderr.splitlines():
        assert line.startswith("pvsim: "), line
    bad = pvsim("run", str(tiny_scenario_path), "-s", "no_such", "-o", str(tmp_path / "bad"))
    assert bad.returncode == 2 and bad.stderr.startswith("pvsim: error: ") and "\r" not in bad.stderr


def test_python_api_face():
    import sim

    names = dir(sim)
    for name in ("load_scenario", "run", "compare", "read_run", "read_comparison", "write_report", "prepare"):
        assert name in names and callable(getattr(sim, name))
    assert (REPO / "sim" / "py.typed").is_file()
    import tomllib

    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["sim"]


def test_run_result_reprs_are_short_with_units(tiny_run):
    _scenario, result = tiny_run
    text = repr(result)
    assert len(text) < 200 and "MWp" in text or "kWp" in text
    assert "CO2" in text and "\n" not in text
    html = result._repr_html_()
    assert len(html) < 3000 and "<table" in html
    assert any(u in html for u in ("MWh", "GWh")) and any(u in html for u in (" t", " kt"))
    assert "capacity built" in str(result)


def test_every_public_name_resolves():
    import sim

    assert set(sim.__all__) - {"__version__"} == set(sim._LAZY)
    for name in sim.__all__:
        assert getattr(sim, name) is not None


def test_cli_polish_strategies_ranges_and_did_you_mean(capsys, tmp_path):
    """``pvsim strategies`` prints plain text (no Sphinx roles), a range has one unit, an unknown strategy gets a
    did-you-mean."""
    from sim.labels import quantity_range
    from sim.results import summary_rows

    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    assert ":func:" not in out and "``" not in out and "sim.planning.plan" in out
    assert max(len(line) for line in out.splitlines()) <= 100 and not any(l != l.rstrip() for l in out.splitlines())
    assert quantity_range(769e3, 1.64e6, "t") == "0.77-1.64 Mt"
    rows = dict(summary_rows({"co2_avoided_t": 1.35e6, "co2_avoided_range_t": {"low": 769e3, "high": 1.64e6}}))
    assert "0.77-1.64 Mt" in rows["CO2 avoided (AMS-I.D)"] and "kt" not in rows["CO2 avoided (AMS-I.D)"]
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "demo_county.yaml"
    assert main(["run", str(scenario), "-s", "max_yeild", "-o", str(tmp_path / "r")]) == 2
    assert "did you mean max_yield?" in capsys.readouterr().err


def test_no_progress_bar_on_a_terminal_without_width(monkeypatch):
    """A terminal that reports 0 columns gets plain status lines, not a tqdm bar."""
    from sim import pipeline

    monkeypatch.setattr(pipeline, "_stderr_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "0")
    monkeypatch.setattr(pipeline.os, "get_terminal_size", lambda fd=None: os.terminal_size((0, 0)))
    steps = pipeline._Steps(True, total=2)
    assert steps.bar is None and steps.lines
    monkeypatch.setenv("COLUMNS", "120")
    wide = pipeline._Steps(True, total=2)
    assert wide.bar is not None
    wide.close()


def test_validate_writes_thousands_separators(capsys):
    assert main(["validate", str(REPO / "scenarios" / "demo_county.yaml")]) == 0
    out = capsys.readouterr().out
    assert "sites (candidate / eligible): 3,500 / 3," in out and "eligible capacity: 523 MWp" in out
