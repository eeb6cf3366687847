"""Strategy comparison: statistics, common random numbers, resume, determinism across workers, worker loss, bad input.

Runs use the tiny generated county with a short horizon and Poisson releases (so that strategies and replications
differ); the Dask runs share one module-scoped LocalCluster except where the number of local workers is the point.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import shutil
import socket
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim._io import sha256_of, write_manifest
from sim.errors import InputError
from sim.experiment import (
    LOCAL_SCHEDULER_KWARGS,
    METRICS,
    compare,
    mean_ci95,
    paired_differences,
    print_comparison,
    replication_seed,
    run_dir,
    run_metrics,
    summarise,
)

from .conftest import scenario_dict, write_scenario

STRATEGIES = ["max_carbon_per_cny", "max_yield"]
REPS = 2
TABLES = ("comparison.csv", "paired_differences.csv", "annual_bands.csv")


# --------------------------------------------------------------------------------------------- statistics


def test_mean_ci95_matches_student_t_by_hand():
    x = np.array([3.1, 4.7, 2.2, 5.9, 4.0, 3.3])
    n, mean, low, high = mean_ci95(x)
    sem = np.std(x, ddof=1) / math.sqrt(len(x))
    half = stats.t.ppf(0.975, df=len(x) - 1) * sem
    assert n == 6
    assert mean == pytest.approx(23.2 / 6)
    assert (low, high) == pytest.approx((mean - half, mean + half), rel=1e-12)
    assert (low, high) == pytest.approx(stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x)))
    # t with 5 degrees of freedom is wider than the normal approximation
    assert high - mean > 1.96 * sem


def test_mean_ci95_ignores_nan_and_needs_two_values():
    assert mean_ci95([1.0, np.nan, 3.0])[:2] == (2, 2.0)
    with warnings.catch_warnings():  # one replication is a normal case: no bound, and no numpy warning either
        warnings.simplefilter("error")
        n, mean, low, high = mean_ci95([5.0])
    assert (n, mean) == (1, 5.0) and math.isnan(low) and math.isnan(high)
    assert mean_ci95([])[0] == 0 and math.isnan(mean_ci95([])[1])


def test_replication_seeds_are_deterministic_and_distinct():
    seeds = [replication_seed(1, r) for r in range(50)]
    assert seeds == [replication_seed(1, r) for r in range(50)]
    assert len(set(seeds)) == 50
    assert replication_seed(2, 0) != replication_seed(1, 0)


def test_run_metrics_milestones_and_pilot_coverage():
    summary = {"start_date": "2026-01-01", "capacity_built_kwp": 1200.0, "energy_mwh": 10.0, "co2_avoided_t": 5.0,
               "capex_cny": 3e6, "cost_per_t_co2_cny": None, "curtailed_mwh": 0.0,
               "milestones": {"25%": "2026-07-02", "50%": "2028-01-01", "100%": None},
               "pilot_coverage": {"public": {"share_percent": 42.5}, "rural_home": {"share_percent": None}}}
    m = run_metrics(summary)
    assert set(m) == set(METRICS)
    assert m["years_to_50pct"] == pytest.approx(730 / 365.25)
    assert math.isnan(m["years_to_100pct"]) and math.isnan(m["cost_per_t_co2_cny"])
    assert m["pilot_public_percent"] == 42.5
    assert math.isnan(m["pilot_rural_home_percent"]) and math.isnan(m["pilot_party_government_percent"])


def test_discounted_metrics_by_hand():
    """CO2 avoided 100, 110 and 121 t in 2026-2028 from a 2026 start, discounted at 10 % a year: 100 + 110 / 1.1
    + 121 / 1.21 = 300 t; without the annual table or a discount rate there is no figure (NaN), whatever else."""
    summary = {"start_date": "2026-03-01", "energy_mwh": 10.0}
    annual = pd.DataFrame({"year": [2026, 2027, 2028], "co2_avoided_t": [100.0, 110.0, 121.0]})
    name = next(n for n, m in METRICS.items() if m.kind == "discounted" and m.key == "co2_avoided_t")
    assert run_metrics(summary, annual, 0.10)[name] == pytest.approx(300.0)
    assert run_metrics(summary, annual, 0.0)[name] == pytest.approx(331.0)
    assert math.isnan(run_metrics(summary, None, 0.10)[name])
    assert math.isnan(run_metrics(summary, annual)[name])  # no discount rate given
    assert run_metrics(summary, annual, 0.10)["energy_mwh"] == 10.0


def _fake_runs() -> pd.DataFrame:
    rows = []
    a = [10.0, 12.0, 9.0, 14.0]
    b = [11.0, 13.5, 9.5, 15.0]  # b - a = 1.0, 1.5, 0.5, 1.0
    for name, values in (("a", a), ("b", b)):
        for r, v in enumerate(values):
            rows.append({"strategy": name, "replication": r, **{k: v for k in METRICS}})
    runs = pd.DataFrame(rows)
    runs.loc[(runs.strategy == "b") & (runs.replication == 3), "years_to_100pct"] = np.nan
    return runs


def test_summarise_and_paired_differences_by_hand():
    runs = _fake_runs()
    table = summarise(runs, ["a", "b"])
    assert list(table.index) == ["a", "b"] and (table["n"] == 4).all()
    n, mean, low, high = mean_ci95([11.0, 13.5, 9.5, 15.0])
    assert table.loc["b", ["energy_mwh_mean", "energy_mwh_ci95_low", "energy_mwh_ci95_high"]].tolist() == \
        pytest.approx([mean, low, high])
    assert table.loc["b", "years_to_100pct_n"] == 3 and table.loc["a", "years_to_100pct_n"] == 4

    paired = paired_differences(runs, ["a", "b"], baseline="a").set_index("metric")
    d = np.array([1.0, 1.5, 0.5, 1.0])
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2.0
    assert paired.loc["energy_mwh", ["mean", "ci95_low", "ci95_high"]].tolist() == \
        pytest.approx([1.0, 1.0 - half, 1.0 + half])
    assert paired.loc["energy_mwh", "excludes_zero"]  # the unpaired CIs of a and b overlap widely
    assert table.loc["a", "energy_mwh_ci95_high"] > table.loc["b", "energy_mwh_ci95_low"]
    assert paired.loc["years_to_100pct", "n"] == 3  # pairs with a missing value are dropped


# --------------------------------------------------------------------------------------------- runs on Dask


@pytest.fixture(scope="module")
def scenario(tiny_county, tmp_path_factory):
    raw = scenario_dict(tiny_county, horizon_years=5)
    raw["rollout"] = {"release_mode": "poisson", "poisson_rate_per_day": 1.0}
    return sim.load_scenario(write_scenario(tmp_path_factory.mktemp("experiment"), raw))


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      worker_dashboard_address=None, silence_logs=logging.ERROR,
                      scheduler_kwargs=LOCAL_SCHEDULER_KWARGS) as c:
        yield c


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory, cache_dir):
    """2 strategies x 2 replications on a fresh single-worker LocalCluster, with figures."""
    out = tmp_path_factory.mktemp("reference")
    return compare(scenario, STRATEGIES, REPS, out_dir=out, workers=1, progress=False, cache_dir=cache_dir)


@pytest.mark.slow
def test_outputs_are_complete_and_consistent(reference):
    c = reference
    out = c.out_dir
    for name in (*TABLES, "comparison.json"):
        assert (out / name).is_file()
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["strategy"]) == STRATEGIES and (table["n"] == REPS).all()
    for metric in ("energy_mwh", "co2_avoided_t", "capacity_built_kwp", "years_to_50pct", "pilot_public_percent"):
        assert {f"{metric}_mean", f"{metric}_ci95_low", f"{metric}_ci95_high"} <= set(table.columns)
    assert (table["co2_avoided_t_ci95_low"] <= table["co2_avoided_t_mean"]).all()
    assert (table["co2_avoided_t_mean"] > 0).all()

    runs = c.runs
    assert len(runs) == len(STRATEGIES) * REPS
    # common random numbers: replication r has the same seed for every strategy
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    assert runs.groupby("strategy")["seed"].nunique().eq(REPS).all()
    for _, row in runs.iterrows():
        folder = run_dir(out, row["strategy"], row["replication"])
        summary = json.loads((folder / "summary.json").read_text())
        assert (summary["strategy"], summary["seed"]) == (row["strategy"], row["seed"])
        built = pd.read_csv(folder / "built.csv")
        assert len(built) == summary["sites_built"]
        assert built["capacity_kwp"].sum() == pytest.approx(summary["capacity_built_kwp"], rel=1e-6)
        assert summary["energy_mwh"] == pytest.approx(row["energy_mwh"])

    doc = json.loads((out / "comparison.json").read_text())
    assert doc["baseline"] == STRATEGIES[0] and len(doc["runs"]) == len(runs)
    paired = pd.read_csv(out / "paired_differences.csv")
    assert set(paired["strategy"]) == {STRATEGIES[1]} and set(paired["metric"]) == set(METRICS)

    # plain decimals everywhere, money to the yuan (csv_decimals of the metric table)
    texts = [(out / n).read_text() for n in TABLES] + [p.read_text() for p in (out / "runs").glob("*/rep*/*.csv")]
    assert not [t for t in texts if re.search(r"\d[eE][+-]\d", t)]
    raw = pd.read_csv(out / "comparison.csv", dtype=str)
    assert raw["capex_cny_mean"].str.fullmatch(r"-?\d+").all()
    assert raw["energy_mwh_mean"].str.fullmatch(r"-?\d+\.\d{3}").all()
    capex = pd.read_csv(out / "paired_differences.csv", dtype=str).query("metric == 'capex_cny'")
    assert capex["mean"].str.fullmatch(r"-?\d+").all()


@pytest.mark.slow
def test_figures_are_written(reference):
    import matplotlib.image as mpimg

    assert len(reference.figures) == 4
    for path in reference.figures:
        img = mpimg.imread(path)
        assert img.shape[0] > 300 and img.shape[1] > 600
        assert img[..., :3].std() > 0.05  # not a blank canvas


@pytest.mark.slow
def test_print_comparison_uses_human_units(reference, capsys):
    print_comparison(reference)
    out = capsys.readouterr().out
    assert "MWp" in out and "GWh" in out and "kt" in out
    assert all(name in out for name in STRATEGIES)
    assert f"difference to {STRATEGIES[0]}" in out


@pytest.mark.slow
def test_one_metric_table_drives_labels_printing_and_figures(reference, capsys):
    from sim import metrics
    from sim.strategies import PILOT_TARGETS_PERCENT

    assert METRICS is metrics.METRICS
    assert [m for m in METRICS if m.startswith("pilot_")] == [f"pilot_{c}_percent" for c in PILOT_TARGETS_PERCENT]
    doc = json.loads((reference.out_dir / "comparison.json").read_text())
    assert doc["metrics"] == {k: {"label": m.label, "unit": m.unit} for k, m in METRICS.items()}
    print_comparison(reference)
    header = capsys.readouterr().out.splitlines()[1].split()
    expected = " ".join(["strategy", "n", *[m.printed_header for m in metrics.printed()]]).split()
    assert header == expected
    assert [m.name for m in metrics.bars()][:2] == ["capacity_built_kwp", "energy_mwh"]
    assert all(m.divisor > 0 and m.display_unit for m in METRICS.values())
    # the scenario's currency labels the money metrics (the values are the same)
    from dataclasses import replace

    print_comparison(replace(reference, currency="EUR"))
    printed = capsys.readouterr().out
    assert "capex M EUR" in printed and "net EUR/t" in printed and "gross EUR/t" in printed and "CNY" not in printed
    assert not [line for line in printed.splitlines() if line != line.rstrip()], "trailing spaces"
    assert metrics.in_currency(METRICS["capex_cny"], "EUR").display_unit == "million EUR"


@pytest.mark.slow
def test_identical_tables_with_two_workers(reference, scenario, tmp_path, cache_dir):
    c = compare(scenario, STRATEGIES, REPS, out_dir=tmp_path, workers=2, progress=False, cache_dir=cache_dir,
                figures=False)
    assert c.computed == len(STRATEGIES) * REPS
    for name in TABLES:
        assert (tmp_path / name).read_bytes() == (reference.out_dir / name).read_bytes(), name


def _counting_run(log_dir: str):
    def run(prepared, strategy, seed):
        import uuid
        from pathlib import Path

        from sim.pipeline import run_prepared

        (Path(log_dir) / f"{strategy}-{seed}-{uuid.uuid4().hex}").touch()
        return run_prepared(prepared, strategy, seed)

    return run


@pytest.mark.slow
def test_resume_computes_only_missing_or_stale_runs(reference, scenario, cluster, tmp_path, cache_dir):
    out, calls = tmp_path / "out", tmp_path / "calls"
    calls.mkdir()
    # an interrupted comparison: three finished runs, one of them from other inputs, and a half-written one
    for strategy, rep in ((STRATEGIES[0], 0), (STRATEGIES[0], 1), (STRATEGIES[1], 0)):
        shutil.copytree(run_dir(reference.out_dir, strategy, rep), run_dir(out, strategy, rep))
    write_manifest(out, "comparison", {}, state="writing")  # the mark of a comparison that never finished
    stale = run_dir(out, STRATEGIES[0], 1) / "run.json"
    stale.write_text(stale.read_text().replace('"inputs_sha256": "', '"inputs_sha256": "0'))
    files = {f: sha256_of(stale.parent / f) for f in ("run.json", "summary.json", "annual.csv", "built.csv")}
    write_manifest(stale.parent, "comparison-run", files)  # a finished run of other inputs, not a damaged one
    half_written = run_dir(out, STRATEGIES[1], 1).with_name(".pvsim-tmp-rep1-abc123")  # killed new run
    half_written.mkdir()
    half_rewritten = run_dir(out, STRATEGIES[0], 1) / ".pvsim-tmp-write-abc123"  # killed rewrite of a run
    half_rewritten.mkdir()
    users = run_dir(out, STRATEGIES[0], 1) / "notes.md"  # the user's file in a run that is computed again
    users.write_text("notes")
    kept = run_dir(out, STRATEGIES[0], 0) / "summary.json"
    mtime = kept.stat().st_mtime_ns

    c = compare(scenario, STRATEGIES, REPS, out_dir=out, scheduler=cluster.scheduler_address, progress=False,
                cache_dir=cache_dir, run_fn=_counting_run(str(calls)), figures=False)
    seeds = [replication_seed(scenario.seed, r) for r in range(REPS)]
    done = sorted(p.name.rsplit("-", 1)[0] for p in calls.iterdir())
    assert done == sorted([f"{STRATEGIES[0]}-{seeds[1]}", f"{STRATEGIES[1]}-{seeds[1]}"])
    assert c.computed == 2
    assert kept.stat().st_mtime_ns == mtime
    assert not half_written.exists() and not half_rewritten.exists() and users.read_text() == "notes"
    for name in TABLES:
        assert (out / name).read_bytes() == (reference.out_dir / name).read_bytes(), name

    # asked again: nothing to compute
    c = compare(scenario, STRATEGIES, REPS, out_dir=out, scheduler=cluster.scheduler_address, progress=False,
                cache_dir=cache_dir, run_fn=_counting_run(str(calls)), figures=False)
    assert c.computed == 0 and len(list(calls.iterdir())) == 2


def _crash_once(marker: str):
    def run(prepared, strategy, seed):
        import os

        from sim.pipeline import run_prepared

        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return run_prepared(prepared, strategy, seed)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(1)  # the worker process dies mid-task, as on an out-of-memory kill

    return run


@pytest.mark.slow
def test_a_worker_dying_mid_comparison_is_replaced(reference, scenario, cluster, tmp_path, cache_dir):
    """Two workers: the survivor keeps the scattered data, the dead worker's task is retried, the nanny restarts it."""
    from distributed import Client

    marker = tmp_path / "crashed"
    c = compare(scenario, STRATEGIES, REPS, out_dir=tmp_path / "out", scheduler=cluster.scheduler_address,
                progress=False, cache_dir=cache_dir, run_fn=_crash_once(str(marker)), figures=False)
    assert marker.exists()  # a worker did die
    assert c.computed == len(STRATEGIES) * REPS
    for name in TABLES:
        assert (tmp_path / "out" / name).read_bytes() == (reference.out_dir / name).read_bytes(), name
    with Client(cluster.scheduler_address) as client:
        client.wait_for_workers(2, timeout=60)  # the nanny replaced the dead worker
        assert int(marker.read_text()) not in client.run(os.getpid).values()


@pytest.mark.slow
def test_the_only_worker_dying_loses_the_scattered_data_which_is_sent_again(reference, scenario, tmp_path,
                                                                               cache_dir):
    marker = tmp_path / "crashed"
    c = compare(scenario, STRATEGIES, REPS, out_dir=tmp_path / "out", workers=1, progress=False,
                cache_dir=cache_dir, run_fn=_crash_once(str(marker)), figures=False)
    assert marker.exists()
    assert c.computed == len(STRATEGIES) * REPS
    for name in TABLES:
        assert (tmp_path / "out" / name).read_bytes() == (reference.out_dir / name).read_bytes(), name


@pytest.mark.slow
def test_common_random_numbers_reduce_variance_of_differences(scenario, cluster, tmp_path, cache_dir):
    reps = 6
    c = compare(scenario, ["max_yield", "max_carbon_per_cny"], reps, out_dir=tmp_path, progress=False,
                scheduler=cluster.scheduler_address, cache_dir=cache_dir, figures=False)
    wide = c.runs.pivot(index="replication", columns="strategy", values="co2_avoided_t")
    paired = (wide["max_yield"] - wide["max_carbon_per_cny"]).var(ddof=1)
    unpaired = wide["max_yield"].var(ddof=1) + wide["max_carbon_per_cny"].var(ddof=1)
    assert paired < 0.25 * unpaired
    # and the paired CI is correspondingly narrower than the one of the difference of unpaired means
    row = c.paired.set_index("metric").loc["co2_avoided_t"]
    assert row["ci95_high"] - row["ci95_low"] < 0.5 * 2 * stats.t.ppf(0.975, reps - 1) * math.sqrt(unpaired / reps)


def test_a_preparation_that_fails_while_the_cluster_starts_fails_the_comparison(tiny_county, tmp_path, cache_dir):
    """The first county is prepared while the local cluster starts: its bad input (here the sites file gone after
    the scenario was read) is the comparison's error, named, with no run written and no worker process left."""
    import multiprocessing

    sites = tmp_path / "county.gpkg"
    shutil.copy(tiny_county, sites)
    scenario = sim.load_scenario(write_scenario(tmp_path, scenario_dict(sites, horizon_years=2)))
    sites.unlink()
    before = {p.pid for p in multiprocessing.active_children()}
    with pytest.raises(InputError, match="county.gpkg"):
        compare(scenario, ["max_yield"], 1, out_dir=tmp_path / "out", workers=1, progress=False,
                cache_dir=cache_dir, figures=False)
    assert not (tmp_path / "out" / "runs").exists()
    assert {p.pid for p in multiprocessing.active_children()} <= before


# --------------------------------------------------------------------------------------------- output folders


def test_compare_refuses_the_scenarios_folder_and_foreign_folders(scenario, tmp_path):
    for out in (scenario.path.parent, scenario.resolve(scenario.data.sites_file)):
        with pytest.raises(InputError, match="never writes among its inputs"):
            compare(scenario, STRATEGIES, 1, out_dir=out, progress=False, overwrite=True)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "budget.xlsx").write_text("x")
    with pytest.raises(InputError, match="not a pvsim comparison folder"):
        compare(scenario, STRATEGIES, 1, out_dir=foreign, progress=False)
    assert [p.name for p in foreign.iterdir()] == ["budget.xlsx"]


def test_a_rewritten_run_keeps_the_users_files(tiny_run, tmp_path):
    from sim.experiment import _is_done, is_comparison_folder, run_task, write_run

    _, result = tiny_run
    payload = run_task(None, "max_yield", 1, run_fn=lambda prepared, strategy, seed: result)
    folder = run_dir(tmp_path, "max_yield", 0)
    write_run(folder, payload, {"seed": 1})
    (folder / "notes.md").write_text("looked at this one")
    write_run(folder, payload, {"seed": 2})
    assert (folder / "notes.md").read_text() == "looked at this one"
    assert json.loads((folder / "run.json").read_text()) == {"seed": 2} and not is_comparison_folder(tmp_path)
    assert _is_done(folder, {"seed": 2}) and not _is_done(folder, {"seed": 1})
    annual = (folder / "annual.csv").read_text()
    assert not re.search(r"\d[eE][+-]\d", annual) and (folder / "built.csv").stat().st_size > 0


# --------------------------------------------------------------------------------------------- bad input


def test_unknown_strategy_lists_the_available_ones(scenario, tmp_path):
    with pytest.raises(InputError) as err:
        compare(scenario, ["max_yield", "cheapest_first"], 2, out_dir=tmp_path / "out", progress=False)
    text = str(err.value)
    assert "cheapest_first" in text and "max_carbon_per_cny" in text and "grid_headroom" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kwargs, field", [
    ({"replications": 0}, "--replications"),
    ({"baseline": "random"}, "--baseline"),
    ({"workers": 0}, "--workers"),
    ({"strategies": ["max_yield", "max_yield"]}, "--strategies"),
])
def test_bad_arguments_name_the_option(scenario, tmp_path, kwargs, field):
    args = {"strategies": STRATEGIES, "replications": 2, **kwargs}
    with pytest.raises(InputError, match=field):
        compare(scenario, args.pop("strategies"), args.pop("replications"), out_dir=tmp_path, progress=False,
                **args)


@pytest.mark.slow
def test_unreachable_scheduler_fails_fast_naming_the_address(scenario, tmp_path, cache_dir):
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(InputError, match="scheduler") as err:
        compare(scenario, STRATEGIES, 1, out_dir=tmp_path, scheduler=address, progress=False, cache_dir=cache_dir)
    assert address in str(err.value)
    # fast: the connection gives up after CONNECT_TIMEOUT_S, not Dask's default 30 s (no wall-clock assertion here:
    # the machine may be loaded)
    from sim.experiment import CONNECT_TIMEOUT_S

    assert CONNECT_TIMEOUT_S <= 10


def test_targets_missed_counts_causes_over_runs():
    from sim.stats import targets_missed

    runs = pd.DataFrame({"held_back_by": ["farm: budget: 3 of 4 committed; roofs: time: 10 kWp in progress",
                                          "farm: budget: 2 of 4 committed", ""]})
    assert targets_missed(runs) == "farm: budget (2 of 3 runs); roofs: time (1 of 3 runs)"
    assert targets_missed(runs.iloc[[2]]) == ""


def test_run_tables_read_in_one_parse_as_one_by_one():
    """The comparison reads its runs' annual.csv in one parse when they are plain numeric rows under one header:
    the values, dtypes (integer where every file has integers, else float) and row counts of reading each file;
    files it cannot read that way (quotes, another header, text) are read one by one, to the same frame."""
    from sim.experiment import _read_csv_texts

    def one_by_one(texts):
        frames = [pd.read_csv(io.StringIO(t)) for t in texts]
        return pd.concat(frames, ignore_index=True), [len(f) for f in frames]

    cases = [
        ["year,kwp,n\n2026,1.5,3\n2027,2.25,4\n", "year,kwp,n\n2026,7,5\n", "year,kwp,n\n"],  # kwp: 7 is float
        ["year,kwp,n\n2026,,3\n", "year,kwp,n\n2026,2,\n"],  # empty fields: NaN, float columns
        ["year,kwp\n2026,1\n", "year,mwp\n2026,2\n"],  # another header
        ['year,name\n2026,"a,b"\n', "year,name\n2027,c\n"],  # quotes, text
        ["year,name\n2026,x\n", "year,name\n2027,\n"],  # text in one file, empty in the other: object, not str
        ["year,kwp\r\n2026,1\r\n", "year,kwp\r\n2027,2.5\r\n"],  # other line ends
    ]
    for texts in cases:
        frame, lengths = _read_csv_texts(texts)
        expected, expected_lengths = one_by_one(texts)
        pd.testing.assert_frame_equal(frame, expected, check_exact=True)
        assert lengths == expected_lengths
    frame, lengths = _read_csv_texts(cases[0][:2])
    assert lengths == [2, 1] and frame["kwp"].tolist() == [1.5, 2.25, 7.0] and frame["n"].dtype == np.int64
