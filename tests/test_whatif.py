"""What-ifs: --set and Scenario.with_changes (validated like the file), load_scenario's nested overrides, pvsim sweep
(paired by seed across variants, tidy output, resume) and the one-line errors before any work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.errors import InputError
from sim.experiment import replication_seed

from .conftest import DEMO_SCENARIO, one_programme, scenario_dict, write_scenario

REPO = Path(__file__).resolve().parents[1]


def test_load_scenario_merges_a_section_instead_of_replacing_it():
    file = sim.load_scenario(DEMO_SCENARIO)
    changed = sim.load_scenario(DEMO_SCENARIO, rollout={"crews": 2})
    assert changed.rollout.crews == 2
    assert changed.rollout.target_capacity_kwp == file.rollout.target_capacity_kwp == 100000
    assert changed.rollout.surveyors == file.rollout.surveyors == 6
    assert changed.seed == file.seed


def test_with_changes_returns_a_validated_copy():
    scenario = sim.load_scenario(DEMO_SCENARIO)
    copy = scenario.with_changes({"rollout.crews": 4, "grid.hosting_share_percent": 100})
    assert (copy.rollout.crews, copy.grid.hosting_share_percent) == (4, 100)
    assert (scenario.rollout.crews, scenario.grid.hosting_share_percent) == (8, 80)
    assert copy.rollout.annual_budget_cny == scenario.rollout.annual_budget_cny
    assert copy.resolve(copy.data.sites_file) == scenario.resolve(scenario.data.sites_file)
    assert scenario.with_changes({}).model_dump_json() == scenario.model_dump_json()
    with pytest.raises(InputError, match=r"rollout.crewz: 'crewz' is not a valid key \(did you mean 'crews'"):
        scenario.with_changes({"rollout.crewz": 4})
    with pytest.raises(InputError, match="rollout.crews.*valid integer"):
        scenario.with_changes({"rollout.crews": "many"})
    with pytest.raises(InputError, match="'seed' is a value, not a section"):
        scenario.with_changes({"seed.x": 1})


@pytest.mark.parametrize("argv, needle", [
    (["run", str(DEMO_SCENARIO), "--set", "rollout.crewz=12"], "did you mean 'crews'"),
    (["run", str(DEMO_SCENARIO), "--set", "rollout.crews=many"], "--set rollout.crews"),
    (["run", str(DEMO_SCENARIO), "--set", "grid.hosting_share_percent=500"], "less than or equal to 200"),
    (["run", str(DEMO_SCENARIO), "--set", "rollout.crews"], "expected KEY=VALUE"),
    (["sweep", str(DEMO_SCENARIO), "--param", "rollout.crews="], "empty list of values"),
    (["sweep", str(DEMO_SCENARIO), "--param", "rollout.crewz=1,2"], "did you mean 'crews'"),
    (["sweep", str(DEMO_SCENARIO)], "nothing to sweep"),
])
def test_bad_what_ifs_are_one_line_and_exit_2_before_any_work(argv, needle, capsys, tmp_path):
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pvsim: error:") and "\n" not in err and needle in err
    assert not out.exists()


def test_an_unguarded_script_is_told_what_to_add(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import sim\n"
                      f"sim.compare(sim.load_scenario({str(DEMO_SCENARIO)!r}), ['random'], 1, out_dir={str(tmp_path / 'cmp')!r}"
                      ", workers=1)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "put the call under 'if __name__ == \"__main__\":'" in proc.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_sweep_is_paired_by_seed_tidy_and_resumable(tiny_county, tmp_path, cache_dir):
    raw = one_programme(scenario_dict(tiny_county, horizon_years=6))
    raw["rollout"]["target_capacity_kwp"] = 40_000  # within the tiny county's reach in every replication
    scenario = sim.load_scenario(write_scenario(tmp_path, raw))
    params = {"rollout.crews": [1, 8]}
    out = tmp_path / "sweep"
    result = sim.sweep(scenario, params, ["max_carbon_per_cny"], 2, out_dir=out, workers=2, progress=False,
                       cache_dir=cache_dir)
    assert result.preparations == 1  # the variants change a rollout key only: one preparation, shared
    runs = pd.read_csv(out / "sweep_runs.csv")
    assert len(runs) == 2 * 1 * 2
    assert list(runs.columns[:5]) == ["variant", "rollout.crews", "strategy", "replication", "seed"]
    for rep in (0, 1):  # the same seed in every variant
        assert set(runs.loc[runs["replication"] == rep, "seed"]) == {replication_seed(scenario.seed, rep)}
    # each variant's runs are those of a plain comparison of that variant
    single = sim.compare(scenario.with_changes({"rollout.crews": 1}), ["max_carbon_per_cny"], 2,
                         out_dir=tmp_path / "single", workers=1, progress=False, cache_dir=cache_dir, figures=False)
    mine = runs[runs["variant"] == "rollout.crews=1"].reset_index(drop=True)
    # the file holds plain decimals to the metric table's csv_decimals (3 for tonnes)
    assert mine["co2_avoided_t"].tolist() == pytest.approx(single.runs["co2_avoided_t"].tolist(), abs=5e-4)
    # one crew is slower to 50 % of the target than eight (paired difference, by hand)
    slow, fast = (runs[runs["rollout.crews"] == c].set_index("replication")["years_to_50pct"] for c in (1, 8))
    paired = pd.read_csv(out / "sweep_paired.csv").set_index("metric").loc["years_to_50pct"]
    assert paired["mean"] == pytest.approx((fast - slow).mean())
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert len(summary) == 2 and {"co2_avoided_t_mean", "co2_avoided_t_ci95_low"} <= set(summary.columns)
    assert all(p.exists() for p in result.figures) and len(result.figures) == 3
    again = sim.sweep(scenario, params, ["max_carbon_per_cny"], 2, out_dir=out, workers=1, progress=False,
                      cache_dir=cache_dir, figures=False)
    assert again.computed == 0
    pd.testing.assert_frame_equal(again.runs, result.runs)
