"""Statistics of replicated runs (sim.stats): pairing by replication label, yearly bands, the printed mean +- CI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from sim.metrics import METRICS
from sim.stats import annual_bands, mean_ci95, mean_pm, paired_differences, paired_labels, summarise


def _runs(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    """Runs with one metric set (energy_mwh) and every other metric NaN."""
    frame = pd.DataFrame(rows, columns=["strategy", "replication", "energy_mwh"])
    for name in METRICS:
        if name != "energy_mwh":
            frame[name] = math.nan
    return frame


def test_runs_are_paired_by_replication_label_not_by_position():
    """b's rows come in another order and b lacks replication 2; a lacks 5. Pairs: rep 0 (12 - 10), rep 1 (13 - 11),
    rep 3 (17 - 13): differences 2, 2, 4 -> mean 8/3, t(0.975, 2) x sd / sqrt(3)."""
    runs = _runs([("a", 0, 10.0), ("a", 1, 11.0), ("a", 2, 50.0), ("a", 3, 13.0),
                  ("b", 3, 17.0), ("b", 5, 99.0), ("b", 1, 13.0), ("b", 0, 12.0)])
    row = paired_differences(runs, ["a", "b"], baseline="a").set_index("metric").loc["energy_mwh"]
    d = np.array([2.0, 2.0, 4.0])
    half = scipy_stats.t.ppf(0.975, 2) * d.std(ddof=1) / math.sqrt(3)
    assert row["n"] == 3 and row["strategy"] == "b" and row["baseline"] == "a"
    assert [row["mean"], row["ci95_low"], row["ci95_high"]] == pytest.approx([8 / 3, 8 / 3 - half, 8 / 3 + half])
    assert 8 / 3 - half < 0 and not row["excludes_zero"]  # three pairs: t(0.975, 2) = 4.30 is wide
    assert paired_labels(pd.Index([3, 0, 1, 2]), pd.Index([5, 1, 3, 0])).tolist() == [0, 1, 3]


def test_equal_runs_differ_by_exactly_zero_and_do_not_exclude_it():
    """Runs equal up to float summation order (1e-12 relative) give a zero difference, not a 'significant' one."""
    runs = _runs([("a", 0, 1.0), ("a", 1, 2.0), ("b", 0, 1.0 + 1e-12), ("b", 1, 2.0)])
    row = paired_differences(runs, ["a", "b"], baseline="a").set_index("metric").loc["energy_mwh"]
    assert (row["mean"], row["ci95_low"], row["ci95_high"], row["excludes_zero"]) == (0.0, 0.0, 0.0, False)
    # a real difference of one in a million is kept
    runs = _runs([("a", 0, 1.0), ("a", 1, 2.0), ("b", 0, 1.000001), ("b", 1, 2.000002)])
    assert paired_differences(runs, ["a", "b"], "a").set_index("metric").loc["energy_mwh", "mean"] > 0


def test_summarise_counts_runs_and_reached_milestones():
    runs = _runs([("a", 0, 10.0), ("a", 1, 14.0), ("b", 0, 5.0)])
    milestone = next(n for n, m in METRICS.items() if m.kind == "milestone")
    runs[milestone] = [1.0, math.nan, 2.0]
    table = summarise(runs, ["b", "a"])
    assert list(table.index) == ["b", "a"] and table["n"].tolist() == [1, 2]
    assert table.loc["a", "energy_mwh_mean"] == 12.0
    assert table.loc["a", f"{milestone}_n"] == 1 and table.loc["b", f"{milestone}_n"] == 1
    assert math.isnan(table.loc["b", "energy_mwh_ci95_low"])  # one run: no interval


def test_annual_bands_by_hand():
    """Two replications: capacity 1000 and 3000 kWp in 2026 -> 2 MWp mean; cumulative CO2 by replication
    (1000 + 2000 t and 3000 + 4000 t) -> 3 and 7 kt in 2027, mean 5 kt with t(0.975, 1) x 2 / sqrt 2."""
    annual = pd.DataFrame({"strategy": "s", "replication": [1, 0, 1, 0], "year": [2027, 2026, 2026, 2027],
                           "capacity_online_kwp": [4000.0, 1000.0, 3000.0, 2000.0],
                           "co2_avoided_t": [4000.0, 1000.0, 3000.0, 2000.0]})
    bands = annual_bands(annual, ["s"]).set_index(["year", "variable"])
    cap = bands.loc[(2026, "capacity_online_mwp")]
    assert (cap["n"], cap["mean"]) == (2, 2.0)
    co2 = bands.loc[(2027, "co2_avoided_cumulative_kt")]
    half = scipy_stats.t.ppf(0.975, 1) * math.sqrt(8.0) / math.sqrt(2)
    assert [co2["mean"], co2["ci95_high"]] == pytest.approx([5.0, 5.0 + half])
    assert co2["ci95_low"] == 0.0  # 5 - 18.0 kt: cumulative CO2 avoided is never negative
    assert mean_ci95([3.0, 7.0])[1:] == pytest.approx((5.0, 5.0 - half, 5.0 + half))


def test_annual_bands_never_reach_past_the_eligible_capacity():
    """1000 and 3000 kWp online of 3500 kWp eligible: mean 2 MWp, t interval 2 ± 12.7 MWp, clipped to 0-3.5 MWp."""
    annual = pd.DataFrame({"strategy": "s", "replication": [0, 1], "year": 2026,
                           "capacity_online_kwp": [1000.0, 3000.0], "co2_avoided_t": [1.0, 1.0],
                           "capacity_eligible_kwp": 3500.0})
    cap = annual_bands(annual, ["s"]).set_index("variable").loc["capacity_online_mwp"]
    assert (cap["mean"], cap["ci95_low"], cap["ci95_high"]) == (2.0, 0.0, 3.5)


def test_mean_pm_text():
    assert mean_pm(1234.5, 1200.0, 1000.0, 2) == "1.23 ±0.03"
    assert mean_pm(-0.0001, math.nan, 1.0, 2) == "0.00"
    assert mean_pm(math.nan, 1.0, 1.0, 1) == "-"


def test_two_pairs_are_enough_to_exclude_zero():
    """Differences 0.5 and 0.52 (two pairs): mean 0.51, half-width t(0.975, 1) x 0.01414 / sqrt 2 = 0.127: the CI
    (0.383, 0.637) lies above 0 (and below 1)."""
    runs = _runs([("a", 0, 1.0), ("a", 1, 2.0), ("b", 0, 1.5), ("b", 1, 2.52)])
    row = paired_differences(runs, ["a", "b"], baseline="a").set_index("metric").loc["energy_mwh"]
    assert row["n"] == 2 and 0 < row["ci95_low"] < 1 and row["excludes_zero"]
    below = _runs([("a", 0, 1.0), ("a", 1, 2.0), ("b", 0, 0.5), ("b", 1, 1.48)])
    assert paired_differences(below, ["a", "b"], "a").set_index("metric").loc["energy_mwh", "excludes_zero"]


def test_annual_bands_run_by_year_even_when_a_replication_starts_later():
    """Replication 0 has no row for 2026 (nothing online yet in its table), replication 1 has: the bands still run
    2026, 2027, with one run in 2026 (no interval) and two in 2027."""
    annual = pd.DataFrame({"strategy": "s", "replication": [0, 1, 1], "year": [2027, 2026, 2027],
                           "capacity_online_kwp": [2000.0, 1000.0, 4000.0], "co2_avoided_t": [0.0, 0.0, 0.0]})
    bands = annual_bands(annual, ["s"])
    cap = bands[bands["variable"] == "capacity_online_mwp"]
    assert cap["year"].tolist() == [2026, 2027] and cap["n"].tolist() == [1, 2]
    assert cap["mean"].tolist() == [1.0, 3.0]
