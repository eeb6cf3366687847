"""Province studies: the study file, one preparation per county and preparation key, the demo province, and identical
tables at any number of workers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim import pipeline
from sim.cli import main
from sim.experiment import read_comparison
from sim.results import jsonable
from sim.scenario import Scenario
from sim.study import study as run_study
from sim.sweeps import read_sweep

from .conftest import scenario_dict, write_scenario

# --------------------------------------------------------------------------------------------- preparation key


def test_every_scenario_key_is_either_read_by_the_preparation_or_not():
    prep, run = set(pipeline.PREPARATION_FIELDS), set(pipeline.RUN_FIELDS)
    assert not prep & run
    assert prep | run == set(Scenario.model_fields)


def test_preparation_key_ignores_run_keys_only(tiny_scenario_path):
    scenario = sim.load_scenario(tiny_scenario_path)
    key = pipeline.preparation_key(scenario)
    for run_key in ({"rollout.crews": 1}, {"economics.discount_rate_percent": 5}, {"seed": 9}, {"horizon_years": 7}):
        assert pipeline.preparation_key(scenario.with_changes(run_key)) == key, run_key
    for prep_key in ({"siting.min_capacity_kwp": 10}, {"grid.hosting_share_percent": 50}, {"system.dc_ac_ratio": 1.3}):
        assert pipeline.preparation_key(scenario.with_changes(prep_key)) != key, prep_key


def test_a_variant_on_the_shared_preparation_runs_as_on_its_own(tiny_county, tmp_path, cache_dir):
    raw = scenario_dict(tiny_county, horizon_years=4)
    raw["rollout"] = {"release_mode": "poisson", "poisson_rate_per_day": 1.0, "crews": 4}
    scenario = sim.load_scenario(write_scenario(tmp_path, raw))
    variant = scenario.with_changes({"rollout.crews": 1, "economics.discount_rate_percent": 8})
    base = pipeline.prepare(scenario, cache_dir=cache_dir)
    shared = pipeline.for_variant(base, variant)
    assert shared.sites is base.sites and shared.profiles is base.profiles  # nothing prepared again
    assert shared.scenario.rollout.crews == 1 and base.scenario.rollout.crews == 4
    own = pipeline.run_prepared(pipeline.prepare(variant, cache_dir=cache_dir), "max_yield", 5)
    mine = pipeline.run_prepared(shared, "max_yield", 5)
    assert json.dumps(jsonable(mine.summary), sort_keys=True) == json.dumps(jsonable(own.summary), sort_keys=True)
    with pytest.raises(ValueError):
        pipeline.for_variant(base, scenario.with_changes({"siting.min_capacity_kwp": 10}))


# --------------------------------------------------------------------------------------------- the study file


@pytest.fixture
def study_file(tiny_scenario_path):
    def write(**raw):
        doc = {"counties": [tiny_scenario_path.name], "strategies": ["max_yield"], "replications": 2, **raw}
        path = tiny_scenario_path.parent / "study.yaml"
        path.write_text(yaml.safe_dump(doc))
        return path

    return write


@pytest.mark.parametrize(
    "raw, needle",
    [
        ({"strategies": ["no_such_strategy"]}, "study.yaml: strategies: unknown strategy"),
        ({"strategies": []}, "strategies"),
        ({"replications": 0}, "replications"),
        ({"params": {"rollout.crewz": [1, 2]}}, "params.rollout.crewz"),
        ({"params": {"rollout.crews": [1, -3]}}, "params.rollout.crews"),
        ({"counties": "no_such_folder"}, "counties"),
        ({"baseline": "random"}, "baseline"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_study_file_is_one_line_naming_file_and_key(study_file, raw, needle, capsys, tmp_path):
    path = study_file(**raw)
    assert main(["study", str(path), "-w", "1", "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and needle in err, err
    assert not (tmp_path / "out").exists()  # nothing written


def test_two_counties_of_one_name_are_refused(study_file, tiny_scenario_path, capsys, tmp_path):
    twin = tiny_scenario_path.with_name("twin.yaml")
    twin.write_text(tiny_scenario_path.read_text())
    path = study_file(counties=[tiny_scenario_path.name, twin.name])
    assert main(["study", str(path), "-o", str(tmp_path / "out"), "-q"]) == 2
    assert "two counties have the same name" in capsys.readouterr().err


def test_docs_study_md_is_the_generated_reference():
    from pathlib import Path

    from sim.study import study_markdown

    doc = (Path(__file__).parents[1] / "docs" / "study.md").read_text(encoding="utf-8")
    assert doc == study_markdown(), "docs/study.md is stale: regenerate with `pvsim schema --study > docs/study.md`"


# --------------------------------------------------------------------------------------------- runs


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """A demo province of 3 tiny counties, its study cut to 2 strategies x 2 replications and a short horizon."""
    folder = tmp_path_factory.mktemp("province")
    assert main(["demo-data", str(folder), "--counties", "3", "--sites", "60", "--seed", "5"]) == 0
    doc = yaml.safe_load((folder / "study.yaml").read_text())
    doc.update(strategies=["max_yield", "max_carbon_per_cny"], replications=2)
    (folder / "study.yaml").write_text(yaml.safe_dump(doc))
    for scen in (folder / "counties").glob("*.yaml"):
        raw = yaml.safe_load(scen.read_text())
        raw["horizon_years"] = 6
        scen.write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder


def test_demo_province_counties_have_their_own_seeds_sizes_and_places(tmp_path):
    from sim.demo.province import county_plans

    plans = county_plans(4, 100, seed=1)
    assert len({p["seed"] for p in plans}) == 4 and len({p["run_seed"] for p in plans}) == 4
    assert len({p["sites"] for p in plans}) > 1 and all(50 <= p["sites"] <= 150 for p in plans)
    assert len({(p["lat"], p["lon"]) for p in plans}) == 4
    assert county_plans(5, 100, seed=1)[:4] == plans  # a county does not change when the province grows
    from sim.demo.province import MAX_COUNTIES
    from sim.weather import PRESET_MAX_DISTANCE_KM, PRESETS, distance_km

    station = PRESETS["beijing_recent"]
    far = max(
        distance_km(p["lat"], p["lon"], station.latitude, station.longitude)
        for p in county_plans(MAX_COUNTIES, 100, seed=1)
    )
    assert far + 30 < PRESET_MAX_DISTANCE_KM  # every county, with its own extent, within the weather preset's reach


@pytest.mark.slow
def test_a_province_study_is_identical_with_one_and_two_workers_and_resumes(province, tmp_path, cache_dir):
    one = run_study(
        province / "study.yaml", out_dir=tmp_path / "w1", workers=1, progress=False, cache_dir=cache_dir, figures=False
    )
    two = run_study(
        province / "study.yaml", out_dir=tmp_path / "w2", workers=2, progress=False, cache_dir=cache_dir, figures=False
    )
    assert (tmp_path / "w1" / "study.csv").read_bytes() == (tmp_path / "w2" / "study.csv").read_bytes()
    runs = pd.read_csv(tmp_path / "w1" / "study.csv")
    assert list(runs.columns[:5]) == ["county", "strategy", "variant", "replication", "seed"]
    assert len(runs) == 3 * 2 * 2 and runs["county"].nunique() == 3 and set(runs["variant"]) == {"base"}
    assert one.computed == two.computed == 12 and one.preparations == 3
    for county, folder in one.counties.items():  # each county folder is a comparison 'pvsim report' reads
        c = read_comparison(folder)
        assert c.replications == 2 and sorted(c.strategies) == ["max_carbon_per_cny", "max_yield"]
        mine = runs[runs["county"] == county]
        assert mine["co2_avoided_t"].sum() == pytest.approx(c.runs["co2_avoided_t"].sum(), abs=1e-2)
    again = run_study(
        province / "study.yaml", out_dir=tmp_path / "w1", workers=1, progress=False, cache_dir=cache_dir, figures=False
    )
    assert again.computed == 0
    assert (tmp_path / "w1" / "study.csv").read_bytes() == (tmp_path / "w2" / "study.csv").read_bytes()


@pytest.mark.slow
def test_rollout_variants_take_one_preparation_per_county(province, tmp_path, cache_dir, monkeypatch):
    calls = []
    real = pipeline.prepare

    def counting(scenario, **kwargs):
        calls.append(scenario.name)
        return real(scenario, **kwargs)

    monkeypatch.setattr(pipeline, "prepare", counting)
    doc = yaml.safe_load((province / "study.yaml").read_text())
    doc.update(strategies=["max_yield"], replications=1, params={"rollout.crews": [1, 3]})
    path = province / "variants.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = run_study(path, out_dir=tmp_path / "out", workers=1, progress=False, cache_dir=cache_dir, figures=False)
    assert sorted(calls) == sorted(result.counties) and result.preparations == 3  # one per county, not per variant
    runs = pd.read_csv(tmp_path / "out" / "study.csv")
    assert set(runs["variant"]) == {"rollout.crews=1", "rollout.crews=3"} and "rollout.crews" in runs.columns
    for folder in result.counties.values():  # each county folder is a sweep
        sweep, _, _ = read_sweep(folder)
        assert len(sweep.variants) == 2


def test_a_study_never_writes_into_a_users_folder(study_file, capsys, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "study.csv").write_text("my own table")
    assert main(["study", str(study_file()), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "is not a pvsim study folder" in err and str(out) in err
    assert (out / "study.csv").read_text() == "my own table" and sorted(p.name for p in out.iterdir()) == ["study.csv"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_study_on_a_dask_scheduler_survives_a_worker_killed_midway(province, tmp_path, cache_dir):
    """`dask scheduler` and two `dask worker` processes (no nanny) started here; one worker is killed with SIGKILL once
    the first run is written: its runs are retried on the other, and study.csv is that of one local worker."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": repo}
    address = f"tcp://127.0.0.1:{_free_port()}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                "--no-dashboard",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        out = tmp_path / "cluster"
        study = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sim",
                "study",
                str(province / "study.yaml"),
                "--scheduler",
                address,
                "-o",
                str(out),
                "--no-figures",
                "-q",
                "--cache-dir",
                str(cache_dir),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 300
        while not list(out.glob("counties/*/runs/*/rep*/pvsim-manifest.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert study.poll() is None, study.communicate()  # the study is still running: the kill is midway
        procs[1].send_signal(signal.SIGKILL)
        stdout, stderr = study.communicate(timeout=300)
        assert study.returncode == 0, stderr
        assert procs[1].wait(timeout=10) == -signal.SIGKILL
    finally:
        for proc in reversed(procs):
            proc.kill()
            proc.wait(timeout=30)
    reference = run_study(
        province / "study.yaml", out_dir=tmp_path / "w1", workers=1, progress=False, cache_dir=cache_dir, figures=False
    )
    assert reference.computed == 12
    assert (out / "study.csv").read_bytes() == (tmp_path / "w1" / "study.csv").read_bytes()


# --------------------------------------------------------------------------------------------- province view


def _runs(rows):
    return pd.DataFrame(
        rows,
        columns=["county", "strategy", "variant", "replication", "capacity_built_kwp", "co2_avoided_t", "capex_cny"],
    )


def test_province_totals_sum_counties_per_replication_by_hand():
    from scipy import stats

    from sim.study import CO2_PER_CNY, co2_kg_per_cny, province_totals

    runs = _runs(
        [
            ("a", "s", "base", 0, 10.0, 100.0, 1000.0),
            ("b", "s", "base", 0, 5.0, 50.0, 500.0),
            ("a", "s", "base", 1, 12.0, 120.0, 1000.0),
            ("b", "s", "base", 1, 7.0, 80.0, 1000.0),
            ("a", "s", "base", 2, 11.0, 110.0, 1000.0),  # county b lacks replication 2: not summed
        ]
    )
    totals = province_totals(runs, "base").loc["s"]
    assert totals["n"] == 2
    assert totals["co2_avoided_t_mean"] == pytest.approx((150 + 200) / 2)
    half = stats.t.ppf(0.975, 1) * pd.Series([150.0, 200.0]).std() / 2**0.5
    assert totals["co2_avoided_t_ci95_high"] == pytest.approx(175 + half)
    # kg per CNY of each replication's province: 1000 * 150 / 1500 = 100 and 1000 * 200 / 2000 = 100
    assert totals[f"{CO2_PER_CNY}_mean"] == pytest.approx(100.0)
    assert np.isnan(co2_kg_per_cny(5.0, 0.0)) and co2_kg_per_cny(2.0, 4000.0) == pytest.approx(0.5)


def test_county_winner_has_the_highest_mean_co2_by_hand():
    from sim.study import county_winners

    runs = _runs(
        [
            ("a", "x", "base", 0, 1, 100.0, 1000.0),
            ("a", "x", "base", 1, 1, 140.0, 1000.0),  # mean 120
            ("a", "y", "base", 0, 1, 130.0, 4000.0),
            ("a", "y", "base", 1, 1, 130.0, 4000.0),  # mean 130: wins
            ("b", "x", "base", 0, 1, 50.0, 100.0),
            ("b", "y", "base", 0, 1, 50.0, 200.0),  # a tie: the first by name
        ]
    )
    winners = county_winners(runs, "base").set_index("county")
    assert winners.loc["a", "winner"] == "y" and winners.loc["a", "co2_kg_per_cny"] == pytest.approx(1000 * 130 / 4000)
    assert winners.loc["b", "winner"] == "x" and winners.loc["b", "co2_kg_per_cny"] == pytest.approx(500.0)


@pytest.mark.slow
def test_the_province_report_in_english_and_chinese(province, tmp_path, cache_dir):
    run_study(
        province / "study.yaml", out_dir=tmp_path / "s", workers=1, progress=False, cache_dir=cache_dir, figures=False
    )
    assert main(["report", str(tmp_path / "s")]) == 0
    assert main(["report", str(tmp_path / "s"), "--lang", "zh"]) == 0
    en = (tmp_path / "s" / "report.html").read_text(encoding="utf-8")
    zh = (tmp_path / "s" / "report.zh.html").read_text(encoding="utf-8")
    assert "Province totals" in en and "Counties ranked by kg CO2 per CNY" in en and "data:image/png;base64" in en
    assert "全省合计" in zh and "各县分布图" in zh
    for county in ("county_01", "county_02", "county_03"):
        assert county in en
    assert main(["report", str(tmp_path / "s" / "counties" / "county_01")]) == 0  # each county's own report
