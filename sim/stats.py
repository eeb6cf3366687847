"""Statistics of replicated runs: means and Student-t 95 % confidence intervals, differences paired by replication
label (common random numbers make them much tighter than the unpaired intervals), and yearly bands.

Public, used by :mod:`sim.experiment` (compare) and :mod:`sim.sweeps`. ``runs`` tables hold one row per run with
``strategy``, ``replication`` (the label that pairs runs: the same label means the same random numbers) and one
column per metric of :data:`sim.metrics.METRICS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .metrics import METRICS


def mean_ci95(values: Sequence[float] | np.ndarray) -> tuple[int, float, float, float]:
    """``(n, mean, ci95_low, ci95_high)`` of the finite values, with Student's t (NaN bounds when n < 2)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return 0, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n == 1:
        return 1, mean, math.nan, math.nan
    from scipy import stats  # here: a comparison's workers import this module, never this function (0.15 s)

    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return n, mean, mean - half, mean + half


def paired_labels(base: pd.Index, other: pd.Index) -> pd.Index:
    """The replication labels two strategies share, sorted: runs are paired by label, never by position, so a
    missing or reordered replication pairs nothing wrongly."""
    return base.intersection(other).sort_values()


def summarise(runs: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """A row per strategy: ``n`` (runs) and mean / 95 % CI of every metric (milestones also count ``_n`` reached)."""
    rows = []
    for name in strategies:
        sub = runs[runs["strategy"] == name].sort_values("replication")
        row: dict[str, object] = {"strategy": name, "n": len(sub)}
        for metric, spec in METRICS.items():
            n, mean, low, high = mean_ci95(sub[metric].to_numpy(float))
            row.update({f"{metric}_mean": mean, f"{metric}_ci95_low": low, f"{metric}_ci95_high": high})
            if spec.kind == "milestone":
                row[f"{metric}_n"] = n
        row["targets_missed"] = targets_missed(sub)
        rows.append(row)
    return pd.DataFrame(rows).set_index("strategy")


def targets_missed(runs: pd.DataFrame) -> str:
    """Which targets a strategy's runs missed and the cause, with how many runs (``"rooftop_pilot: budget (2 of 3
    runs)"``), from each run's ``held_back_by`` text; empty when every run reached every target."""
    if "held_back_by" not in runs:
        return ""
    counts: dict[str, int] = {}
    for text in runs["held_back_by"].fillna(""):
        for part in filter(None, str(text).split("; ")):
            name, _, cause = part.partition(": ")
            key = f"{name}: {cause.split(':')[0]}"
            counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{k} ({n} of {len(runs)} runs)" for k, n in sorted(counts.items()))


def paired_differences(runs: pd.DataFrame, strategies: Sequence[str], baseline: str) -> pd.DataFrame:
    """Each strategy minus ``baseline``, paired by replication label (:func:`paired_labels`), per metric: n, mean,
    95 % CI, whether it excludes 0."""
    base = runs[runs["strategy"] == baseline].set_index("replication").sort_index()
    rows = []
    for name in strategies:
        if name == baseline:
            continue
        other = runs[runs["strategy"] == name].set_index("replication").sort_index()
        common = paired_labels(base.index, other.index)
        for metric in METRICS:
            x, x0 = other.loc[common, metric].to_numpy(float), base.loc[common, metric].to_numpy(float)
            # equal up to float summation order counts as equal (no spurious "significant" zero differences)
            diff = np.where(np.isclose(x, x0, rtol=1e-9, atol=0.0), 0.0, x - x0)
            n, mean, low, high = mean_ci95(diff)
            excludes = bool(n >= 2 and (low > 0 or high < 0))
            rows.append(
                {
                    "strategy": name,
                    "baseline": baseline,
                    "metric": metric,
                    "n": n,
                    "mean": mean,
                    "ci95_low": low,
                    "ci95_high": high,
                    "excludes_zero": excludes,
                }
            )
    columns = ["strategy", "baseline", "metric", "n", "mean", "ci95_low", "ci95_high", "excludes_zero"]
    return pd.DataFrame(rows, columns=columns)


def annual_bands(annual: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Per strategy and year: mean and 95 % CI over replications of capacity online [MWp] and cumulative net CO2
    avoided [kt]. ``annual`` holds every run's annual.csv with ``strategy`` and ``replication`` columns (and,
    optionally, ``capacity_eligible_kwp``: the county's eligible capacity, which no run can exceed).

    The interval is clipped to what is possible: capacity online between 0 and the eligible capacity, cumulative CO2
    not below 0 (a t interval of a few replications can reach past either)."""
    frame = annual.sort_values(["strategy", "replication", "year"]).copy()
    frame["capacity_online_mwp"] = frame["capacity_online_kwp"] / 1000.0
    frame["co2_avoided_cumulative_kt"] = frame.groupby(["strategy", "replication"])["co2_avoided_t"].cumsum() / 1e3
    eligible = (
        frame["capacity_eligible_kwp"].max() / 1000.0
        if "capacity_eligible_kwp" in frame and frame["capacity_eligible_kwp"].notna().any()
        else math.inf
    )
    upper = {"capacity_online_mwp": eligible, "co2_avoided_cumulative_kt": math.inf}
    rows = []
    for name in strategies:
        sub = frame[frame["strategy"] == name]
        for _, group in sub.groupby("year", sort=True):
            year = int(group["year"].iloc[0])
            for var in ("capacity_online_mwp", "co2_avoided_cumulative_kt"):
                n, mean, low, high = mean_ci95(group[var].to_numpy(float))
                low, high = (min(max(v, 0.0), upper[var]) if math.isfinite(v) else v for v in (low, high))
                rows.append(
                    {
                        "strategy": name,
                        "year": year,
                        "variable": var,
                        "n": n,
                        "mean": mean,
                        "ci95_low": low,
                        "ci95_high": high,
                    }
                )
    return pd.DataFrame(rows, columns=["strategy", "year", "variable", "n", "mean", "ci95_low", "ci95_high"])


def mean_pm(mean: float, low: float, scale: float, decimals: int) -> str:
    """``mean ±half-width`` of a 95 % CI, both divided by ``scale`` and shown with ``decimals`` (``-`` for NaN;
    no ``-0``)."""
    if not math.isfinite(mean):
        return "-"
    text = f"{mean / scale:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0.0:
        text = text[1:]
    if math.isfinite(low):
        text += f" ±{(mean - low) / scale:,.{decimals}f}"
    return text
