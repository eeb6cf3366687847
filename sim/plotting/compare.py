"""Figures of a strategy comparison (PNG): build-out and CO2 over time with 95 % bands, metric bars with 95 % CI
error bars, paired differences against the baseline, and maps of the sites each strategy builds.

The look (palette, resolution, fonts) is :mod:`sim.plotting.style`; which metrics are shown, with which title, unit
and divisor, is the metric table :data:`sim.metrics.METRICS` (its ``bar`` column).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..metrics import Metric, bars
from .style import FONT_PT, _figure, _style, line_styles, palette, save_png

BAND_VARIABLES: dict[str, tuple[str, str]] = {
    "capacity_online_mwp": ("capacity online", "MWp"),
    "co2_avoided_cumulative_kt": ("cumulative CO₂ avoided (net)", "kt"),
}


def plot_bands(bands: pd.DataFrame, strategies: list[str], replications: int, path: Path) -> Path:
    """Capacity online and cumulative CO2 per year: mean line and 95 % CI band of the mean per strategy."""
    colours, styles = palette(strategies), line_styles(strategies)
    fig = _figure(11.0, 4.6)
    axes = fig.subplots(1, 2)
    for ax, (var, (title, unit)) in zip(axes, BAND_VARIABLES.items()):
        _style(ax)
        sub = bands[bands["variable"] == var]
        for name in strategies:
            s = sub[sub["strategy"] == name].sort_values("year")
            ax.plot(s["year"], s["mean"], color=colours[name], linestyle=styles[name], linewidth=1.8, label=name)
            ax.fill_between(s["year"], s["ci95_low"], s["ci95_high"], color=colours[name], alpha=0.15,
                            linewidth=0)
        ax.set_title(title, fontsize=FONT_PT + 1)
        ax.set_xlabel("year", fontsize=FONT_PT)
        ax.set_ylabel(f"{title} [{unit}]", fontsize=FONT_PT)
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=FONT_PT - 1, frameon=False, loc="lower right")
    fig.suptitle(f"Mean over {replications} paired replications; shaded: 95 % confidence interval of the mean",
                 fontsize=FONT_PT)
    return save_png(fig, path)


def plot_metric_bars(table: pd.DataFrame, strategies: list[str], replications: int, path: Path) -> Path:
    """One panel per metric: a bar per strategy (mean) with its 95 % CI as error bar."""
    colours = palette(strategies)
    metrics = [m for m in bars() if f"{m.name}_mean" in table.columns]
    ncols = 4
    nrows = math.ceil(len(metrics) / ncols)
    fig = _figure(3.2 * ncols, 2.9 * nrows + 0.6)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, metric in zip(axes, metrics):
        _bar_panel(ax, table, strategies, metric, [colours[s] for s in strategies])
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    handles = [Patch(facecolor=colours[s]) for s in strategies]
    fig.legend(handles, [f"{i + 1}  {s}" for i, s in enumerate(strategies)], loc="outside lower center",
               ncols=min(len(strategies), 3), fontsize=FONT_PT - 1, frameon=False)
    fig.suptitle(f"Mean over {replications} paired replications; error bars: 95 % confidence interval",
                 fontsize=FONT_PT)
    return save_png(fig, path)


def _bar_panel(ax, table: pd.DataFrame, strategies: list[str], metric: Metric, colours: list[str]) -> None:
    """One metric's panel of :func:`plot_metric_bars`: strategies numbered 1..n on the x axis."""
    _style(ax, "y")
    x = np.arange(len(strategies))
    mean, low, high = (table.loc[strategies, f"{metric.name}_{k}"].to_numpy(float) / metric.divisor
                       for k in ("mean", "ci95_low", "ci95_high"))
    err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
    heights = np.nan_to_num(mean)
    ax.bar(x, heights, color=colours, yerr=err, capsize=3, error_kw={"elinewidth": 1.0, "ecolor": "#333333"})
    for xi, m in zip(x, mean):
        if not np.isfinite(m):
            ax.text(xi, 0, "n/a", ha="center", va="bottom", fontsize=FONT_PT - 2)
    ax.set_title(metric.figure_title, fontsize=FONT_PT)
    ax.set_ylabel(metric.display_unit, fontsize=FONT_PT)
    if not np.any(heights < 0):
        ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1e-9))
    ax.set_xticks(x, [str(i + 1) for i in x])


def plot_paired_differences(paired: pd.DataFrame, strategies: list[str], baseline: str, replications: int,
                            path: Path) -> Path:
    """One panel per metric: each strategy minus the baseline, paired by replication, mean with 95 % CI.

    Filled markers: the interval excludes 0 (a difference the replications resolve); hollow: it does not.
    """
    colours = palette(strategies)
    others = [s for s in strategies if s != baseline]
    metrics = [m for m in bars() if m.name in set(paired["metric"])]
    ncols = 4
    nrows = math.ceil(len(metrics) / ncols)
    fig = _figure(3.3 * ncols, (0.45 * len(others) + 1.3) * nrows + 0.8)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True)).ravel()
    table = paired.set_index(["strategy", "metric"])
    for ax, metric in zip(axes, metrics):
        _difference_panel(ax, table, others, metric, colours)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    fig.suptitle(f"Strategy minus {baseline}, paired by replication (n = {replications}): mean and 95 % CI; "
                 f"filled: CI excludes 0", fontsize=FONT_PT)
    return save_png(fig, path)


def _difference_panel(ax, table: pd.DataFrame, others: list[str], metric: Metric, colours: dict[str, str]) -> None:
    """One metric's panel of :func:`plot_paired_differences` (``table`` indexed by strategy and metric)."""
    _style(ax, "x")
    y = np.arange(len(others))[::-1]
    ax.axvline(0.0, color="#555555", linewidth=0.9)
    for yi, name in zip(y, others):
        row = table.loc[(name, metric.name)]
        mean, low, high = (float(row[k]) / metric.divisor for k in ("mean", "ci95_low", "ci95_high"))
        if not np.isfinite(mean):
            ax.text(0, yi, "n/a", ha="center", va="center", fontsize=FONT_PT - 2)
            continue
        err = [[mean - low], [high - mean]] if np.isfinite(low) else None
        filled = bool(row["excludes_zero"])
        ax.errorbar([mean], [yi], xerr=err, fmt="o", color=colours[name], capsize=3, markersize=6,
                    markerfacecolor=colours[name] if filled else "white", markeredgewidth=1.5)
    ax.set_title(metric.figure_title, fontsize=FONT_PT)
    ax.set_xlabel(f"difference [{metric.display_unit}]", fontsize=FONT_PT)
    ax.set_yticks(y, others)
    ax.set_ylim(-0.7, len(others) - 0.3)


def plot_build_maps(sites, built: dict[str, pd.DataFrame], strategies: list[str], path: Path) -> Path:
    """Small multiples, one map per strategy (replication 0): candidate sites in grey, built sites coloured by
    commission year and sized by capacity."""
    pts = sites.geometry.to_crs(4326).representative_point()
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    index = pd.Index(sites.index.astype(str))
    years = pd.concat([b["commission_year"] for b in built.values()]).dropna()
    vmin, vmax = (int(years.min()), int(years.max())) if len(years) else (0, 1)
    ncols = min(3, len(strategies))
    nrows = math.ceil(len(strategies) / ncols)
    aspect = 1.0 / max(math.cos(math.radians(float(np.nanmean(lat)))), 0.1)
    panel_w_in = 4.2
    shape = aspect * np.ptp(lat) / max(np.ptp(lon), 1e-9)
    panel_h_in = min(max(0.8 * panel_w_in * shape, 2.0), 6.0) + 1.3
    fig = _figure(panel_w_in * ncols + 1.0, panel_h_in * nrows + 0.4)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()
    scatter = None
    cap_scale = _size_scale(built)
    for ax, name in zip(axes, strategies):
        b = built[name]
        pos = index.get_indexer(b["site_id"].astype(str))
        ok = pos >= 0
        ax.scatter(lon, lat, s=3, color="#bdbdbd", linewidths=0, label="candidate site", rasterized=True)
        scatter = ax.scatter(lon[pos[ok]], lat[pos[ok]], c=b.loc[ok, "commission_year"].astype(float),
                             s=4 + cap_scale * np.sqrt(b.loc[ok, "capacity_kwp"].to_numpy(float)),
                             cmap="cividis", vmin=vmin, vmax=vmax, linewidths=0, alpha=0.9, rasterized=True)
        mw = b["capacity_kwp"].sum() / 1e3
        ax.set_title(f"{name}\n{len(b)} sites built, {mw:,.1f} MWp", fontsize=FONT_PT)
        ax.set_aspect(aspect)
        ax.tick_params(labelsize=FONT_PT - 1)
    for i, ax in enumerate(axes[:len(strategies)]):
        if i + ncols >= len(strategies):  # bottom panel of its column
            ax.set_xlabel("longitude [°E]", fontsize=FONT_PT - 1)
            ax.tick_params(labelbottom=True)
        if i % ncols == 0:
            ax.set_ylabel("latitude [°N]", fontsize=FONT_PT - 1)
    for ax in axes[len(strategies):]:
        ax.set_visible(False)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=list(axes[:len(strategies)]), shrink=0.8, pad=0.02)
        bar.set_label("commission year", fontsize=FONT_PT)
        bar.ax.tick_params(labelsize=FONT_PT - 1)
        bar.ax.yaxis.get_major_locator().set_params(integer=True)
    fig.suptitle("Sites built in replication 0 (grey: all candidate sites; marker size ~ √capacity)",
                 fontsize=FONT_PT)
    return save_png(fig, path)


def _size_scale(built: dict[str, pd.DataFrame]) -> float:
    caps = pd.concat([b["capacity_kwp"] for b in built.values()])
    top = float(np.sqrt(caps.max())) if len(caps) else 1.0
    return 40.0 / top if top > 0 else 1.0


def write_figures(comparison, sites, built_rep0: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """All figures of a comparison into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    names = list(comparison.strategies)
    n = comparison.replications
    paths = [
        plot_bands(comparison.bands, names, n, out_dir / "capacity_and_co2_over_time.png"),
        plot_metric_bars(comparison.table, names, n, out_dir / "metrics.png"),
        plot_build_maps(sites, built_rep0, names, out_dir / "maps_built_sites.png"),
    ]
    if len(names) > 1:
        paths.append(plot_paired_differences(comparison.paired, names, comparison.baseline, n,
                                             out_dir / "paired_differences.png"))
    return paths
