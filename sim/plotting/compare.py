"""Figures of a strategy comparison: build-out and CO2 over time with 95 % bands, metric bars with 95 % CI error
bars, paired differences against the baseline, and maps of the sites each strategy builds.

Each ``*_figure`` function returns a matplotlib ``Figure`` (the comparison report embeds them, in English or
Chinese); the ``plot_*`` functions write the same figure as PNG (``pvsim compare`` writes them into its folder).
Strategies are named on the axes (their human label, :mod:`sim.labels`), metrics whose values are all zero or
missing get no panel, and maps are in the local UTM zone in km like every pvsim map. The look (palette, resolution,
fonts) is :mod:`sim.plotting.style`; which metrics are shown, with which title, unit and divisor, is the metric
table :data:`sim.metrics.METRICS` (its ``bar`` column).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..labels import label, unit
from ..metrics import Metric, bars, in_lang, unit_label
from .style import FONT_PT, _figure, _style, line_styles, palette, save_png

BAND_VARIABLES: dict[str, tuple[str, str]] = {
    "capacity_online_mwp": ("label.capacity_online", "MWp"),
    "co2_avoided_cumulative_kt": ("label.co2_cumulative", "kt"),
}
"""Variables of ``annual_bands.csv``: label key and unit."""


def strategy_label(name: str, lang: str = "en") -> str:
    """A strategy's human label (``sim/tables/labels.csv``); a custom ``module:function`` keeps its name."""
    return label(f"strategy.{name}", lang, default=name)


def metric_title(metric: Metric, lang: str = "en") -> str:
    return label(f"metric.{metric.name}", lang, default=metric.figure_title)


def shown_metrics(table: pd.DataFrame, strategies: list[str]) -> list[Metric]:
    """The bar metrics of the table whose means are not all zero or missing (no empty panels); their money units
    are labelled in the run's currency where they are drawn (:func:`sim.metrics.unit_label`)."""
    out = []
    for m in bars():
        column = f"{m.name}_mean"
        if column in table.columns:
            values = table.loc[strategies, column].to_numpy(float)
            if np.any(np.isfinite(values) & (values != 0)):
                out.append(m)
    return out


def possible(metric: Metric, values: np.ndarray) -> np.ndarray:
    """``values`` (in display units) clipped to what the metric can be: not below 0 for quantities that cannot be
    negative, not above 100 % for a share (net cost per tonne may be negative and is left as it is)."""
    if metric.unit.endswith("/t"):
        return values
    values = np.maximum(values, 0.0)
    return np.minimum(values, 100.0) if metric.unit == "%" else values


def _grid(fig: Figure, n: int, ncols: int, **kwargs) -> np.ndarray:
    nrows = max(1, math.ceil(n / ncols))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, **kwargs)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n]


def _title(key: str, replications: int, lang: str, **values) -> str:
    """A figure's title: with one replication there is no confidence interval to speak of."""
    return label(f"{key}_single", lang) if replications == 1 else label(key, lang, n=replications, **values)


def year_end(years) -> pd.DatetimeIndex:
    """Year-end values (capacity online at the end of the year, cumulative CO2 to it) are drawn at 31 December."""
    return pd.to_datetime([f"{int(y)}-12-31" for y in years])


def bands_figure(bands: pd.DataFrame, strategies: list[str], replications: int, lang: str = "en") -> Figure:
    """Capacity online and cumulative CO2 at each year end: mean line and 95 % CI band of the mean per strategy,
    the band clipped at zero (neither can be negative)."""
    colours, styles = palette(strategies), line_styles(strategies)
    fig = _figure(11.0, 4.8)
    axes = fig.subplots(1, 2)
    for ax, (var, (key, unit_name)) in zip(axes, BAND_VARIABLES.items()):
        _style(ax)
        sub = bands[bands["variable"] == var]
        scale = 10.0 if lang == "zh" and unit_name == "kt" else 1.0  # 千吨 -> 万吨, the official unit
        unit_name = "t_1e4" if scale == 10.0 else unit_name
        for name in strategies:
            s = sub[sub["strategy"] == name].sort_values("year")
            s = s.assign(**{c: s[c] / scale for c in ("mean", "ci95_low", "ci95_high")})
            x = year_end(s["year"])
            ax.plot(
                x,
                s["mean"],
                color=colours[name],
                linestyle=styles[name],
                linewidth=1.8,
                label=strategy_label(name, lang),
            )
            if replications > 1:
                ax.fill_between(
                    x,
                    s["ci95_low"].clip(lower=0.0),
                    s["ci95_high"].clip(lower=0.0),
                    color=colours[name],
                    alpha=0.15,
                    linewidth=0,
                )
        ax.set_title(label(key, lang), fontsize=FONT_PT + 1, loc="left")
        ax.set_xlabel(label("label.year_end", lang), fontsize=FONT_PT)
        ax.set_ylabel(f"{label(key, lang)} [{unit(unit_name, lang)}]", fontsize=FONT_PT)
        ax.set_ylim(bottom=0)
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        fontsize=FONT_PT,
        frameon=False,
        loc="outside lower center",
        ncols=min(len(strategies), 4),
    )
    fig.suptitle(_title("label.bands_title", replications, lang), fontsize=FONT_PT)
    return fig


def metric_bars_figure(
    table: pd.DataFrame, strategies: list[str], replications: int, lang: str = "en", currency: str = "CNY"
) -> Figure:
    """One panel per metric: a horizontal bar per strategy (mean, named on the axis) with its 95 % CI."""
    colours = palette(strategies)
    metrics = [in_lang(m, lang) for m in shown_metrics(table, strategies)]
    ncols = min(3, max(1, len(metrics)))
    nrows = max(1, math.ceil(len(metrics) / ncols))
    fig = _figure(4.3 * ncols + 1.6, (0.42 * len(strategies) + 1.3) * nrows + 0.5)
    axes = _grid(fig, len(metrics), ncols, sharey=True)
    for k, (ax, metric) in enumerate(zip(axes, metrics)):
        _bar_panel(
            ax,
            table,
            strategies,
            metric,
            [colours[s] for s in strategies],
            lang,
            first=k % ncols == 0,
            currency=currency,
        )
    fig.suptitle(_title("label.bars_title", replications, lang), fontsize=FONT_PT)
    return fig


def _bar_panel(
    ax,
    table: pd.DataFrame,
    strategies: list[str],
    metric: Metric,
    colours: list[str],
    lang: str,
    first: bool,
    currency: str = "CNY",
) -> None:
    _style(ax, "x")
    y = np.arange(len(strategies))[::-1]
    mean, low, high = (
        table.loc[strategies, f"{metric.name}_{k}"].to_numpy(float) / metric.divisor
        for k in ("mean", "ci95_low", "ci95_high")
    )
    low, high = possible(metric, low), possible(metric, high)
    err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
    ax.barh(
        y,
        np.nan_to_num(mean),
        color=colours,
        xerr=err,
        capsize=3,
        height=0.62,
        error_kw={"elinewidth": 1.0, "ecolor": "#333333"},
    )
    for yi, m in zip(y, mean):
        if not np.isfinite(m):
            ax.text(0, yi, " n/a", ha="left", va="center", fontsize=FONT_PT - 1)
    ax.set_title(metric_title(metric, lang), fontsize=FONT_PT, loc="left")
    ax.set_xlabel(unit_label(metric, lang, currency), fontsize=FONT_PT)
    if not np.any(np.nan_to_num(mean) < 0):
        ax.set_xlim(left=0)
    ax.set_yticks(y, [strategy_label(s, lang) for s in strategies])
    ax.tick_params(axis="y", labelleft=first)
    ax.margins(x=0.08)


def paired_differences_figure(
    paired: pd.DataFrame,
    strategies: list[str],
    baseline: str,
    replications: int,
    lang: str = "en",
    currency: str = "CNY",
    title_key: str = "label.paired_title",
) -> Figure:
    """One panel per metric: each strategy minus the baseline, paired by replication, mean with 95 % CI.

    Filled markers: the interval excludes 0 (a difference the replications resolve); hollow: it does not.
    ``title_key``: the label of the title (a sweep's says "variant minus")."""
    colours = palette(strategies)
    others = [s for s in strategies if s != baseline]
    table = paired.set_index(["strategy", "metric"])
    metrics = [
        in_lang(m, lang)
        for m in bars()
        if m.name in set(paired["metric"])
        and np.any(np.abs(np.nan_to_num(paired.loc[paired["metric"] == m.name, "mean"].to_numpy(float))) > 0)
    ]
    ncols = min(3, max(1, len(metrics)))
    nrows = max(1, math.ceil(len(metrics) / ncols))
    fig = _figure(4.3 * ncols + 1.6, (0.45 * len(others) + 1.4) * nrows + 0.8)
    axes = _grid(fig, len(metrics), ncols, sharey=True)
    for k, (ax, metric) in enumerate(zip(axes, metrics)):
        _difference_panel(ax, table, others, metric, colours, lang, first=k % ncols == 0, currency=currency)
    fig.suptitle(
        label(f"{title_key}_single", lang, baseline=strategy_label(baseline, lang))
        if replications == 1
        else label(title_key, lang, baseline=strategy_label(baseline, lang), n=replications),
        fontsize=FONT_PT,
    )
    return fig


def _difference_panel(
    ax,
    table: pd.DataFrame,
    others: list[str],
    metric: Metric,
    colours: dict[str, str],
    lang: str,
    first: bool,
    currency: str = "CNY",
) -> None:
    _style(ax, "x")
    y = np.arange(len(others))[::-1]
    ax.axvline(0.0, color="#555555", linewidth=0.9)
    rows = table.to_dict("index")
    for yi, name in zip(y, others):
        row = rows[(name, metric.name)]
        mean, low, high = (float(row[k]) / metric.divisor for k in ("mean", "ci95_low", "ci95_high"))
        if not np.isfinite(mean):
            ax.text(0, yi, "n/a", ha="center", va="center", fontsize=FONT_PT - 2)
            continue
        err = [[mean - low], [high - mean]] if np.isfinite(low) else None
        filled = bool(row["excludes_zero"])
        ax.errorbar(
            [mean],
            [yi],
            xerr=err,
            fmt="o",
            color=colours[name],
            capsize=3,
            markersize=6,
            markerfacecolor=colours[name] if filled else "white",
            markeredgewidth=1.5,
        )
    cue = {"higher": "label.higher_better", "lower": "label.lower_better"}.get(metric.better)
    title = metric_title(metric, lang) + (f"\n({label(cue, lang)})" if cue else "\n ")
    ax.set_title(title, fontsize=FONT_PT, loc="left")
    ax.set_xlabel(f"{label('label.difference', lang)} [{unit_label(metric, lang, currency)}]", fontsize=FONT_PT)
    ax.set_yticks(y, [strategy_label(s, lang) for s in others])
    ax.tick_params(axis="y", labelleft=first)
    ax.set_ylim(-0.7, len(others) - 0.3)
    ax.margins(x=0.15)


def build_maps_figure(
    sites, built: dict[str, pd.DataFrame], strategies: list[str], *, layers=None, lang: str = "en"
) -> Figure:
    """Small multiples, one map per strategy (replication 0), in the local UTM zone [km]: candidate sites in grey,
    built sites coloured by commission year and sized by capacity, over the county boundary (``layers``:
    :func:`sim.sites.map_layers`, optional); a scale bar and north arrow on the first map."""
    from .run import _km_axes, _local, add_scale_bar_and_north_arrow

    local = _local(sites)
    pts = local.geometry.representative_point()
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    index = pd.Index(sites.index.astype(str))
    years = pd.concat([b["commission_year"] for b in built.values()]).dropna()
    vmin, vmax = (int(years.min()), int(years.max())) if len(years) else (0, 1)
    ncols = min(3, len(strategies))
    shape = np.ptp(y) / max(np.ptp(x), 1e-9)
    panel_w = 4.4
    fig = _figure(panel_w * ncols + 1.2, (panel_w * shape + 1.0) * math.ceil(len(strategies) / ncols) + 0.5)
    axes = _grid(fig, len(strategies), ncols, sharex=True, sharey=True)
    boundary = (layers or {}).get("boundary")
    cap_scale = _size_scale(built)
    scatter = None
    for k, (ax, name) in enumerate(zip(axes, strategies)):
        if boundary is not None and len(boundary):
            boundary.to_crs(local.crs).boundary.plot(ax=ax, color="#333333", linewidth=1.0, zorder=0)
        b = built[name]
        pos = index.get_indexer(b["site_id"].astype(str))
        ok = pos >= 0
        ax.scatter(x, y, s=3, color="#bdbdbd", linewidths=0, rasterized=True)
        scatter = ax.scatter(
            x[pos[ok]],
            y[pos[ok]],
            c=b.loc[ok, "commission_year"].astype(float),
            s=4 + cap_scale * np.sqrt(b.loc[ok, "capacity_kwp"].to_numpy(float)),
            cmap="cividis",
            vmin=vmin,
            vmax=vmax,
            linewidths=0,
            alpha=0.9,
            rasterized=True,
        )
        ax.set_title(
            f"{strategy_label(name, lang)}\n"
            + label(
                "label.sites_count",
                lang,
                n=f"{len(b):,}",
                mw=f"{b['capacity_kwp'].sum() / 1e3:,.1f} {unit('MWp', lang)}",
            ),
            fontsize=FONT_PT,
            loc="left",
        )
        _km_axes(ax, lang)
        ax.tick_params(labelsize=FONT_PT - 1)
        if k % ncols:
            ax.set_ylabel("")
        if k + ncols < len(strategies):
            ax.set_xlabel("")
        if k == 0:
            add_scale_bar_and_north_arrow(ax, lang)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=list(axes), shrink=0.8, pad=0.02)
        bar.set_label(label("label.commission_year", lang), fontsize=FONT_PT)
        bar.ax.tick_params(labelsize=FONT_PT - 1)
        locator = bar.ax.yaxis.get_major_locator()
        if isinstance(locator, MaxNLocator):  # matplotlib's default colorbar locator is one
            locator.set_params(integer=True)
    fig.suptitle(label("label.maps_title", lang), fontsize=FONT_PT)
    return fig


def _size_scale(built: dict[str, pd.DataFrame]) -> float:
    caps = pd.concat([b["capacity_kwp"] for b in built.values()])
    top = float(np.sqrt(caps.max())) if len(caps) else 1.0
    return 40.0 / top if top > 0 else 1.0


def plot_bands(bands: pd.DataFrame, strategies: list[str], replications: int, path: Path) -> Path:
    return save_png(bands_figure(bands, strategies, replications), path)


def plot_metric_bars(
    table: pd.DataFrame, strategies: list[str], replications: int, path: Path, currency: str = "CNY"
) -> Path:
    return save_png(metric_bars_figure(table, strategies, replications, currency=currency), path)


def plot_paired_differences(
    paired: pd.DataFrame,
    strategies: list[str],
    baseline: str,
    replications: int,
    path: Path,
    currency: str = "CNY",
    title_key: str = "label.paired_title",
) -> Path:
    return save_png(
        paired_differences_figure(paired, strategies, baseline, replications, currency=currency, title_key=title_key),
        path,
    )


def plot_build_maps(sites, built: dict[str, pd.DataFrame], strategies: list[str], path: Path, layers=None) -> Path:
    return save_png(build_maps_figure(sites, built, strategies, layers=layers), path)


def write_figures(comparison, sites, built_rep0: dict[str, pd.DataFrame], out_dir: Path, layers=None) -> list[Path]:
    """All figures of a comparison into ``out_dir`` (English); returns their paths."""
    out_dir = Path(out_dir)
    names = list(comparison.strategies)
    n = comparison.replications
    paths = [
        plot_bands(comparison.bands, names, n, out_dir / "capacity_and_co2_over_time.png"),
        plot_metric_bars(comparison.table, names, n, out_dir / "metrics.png", comparison.currency),
        plot_build_maps(sites, built_rep0, names, out_dir / "maps_built_sites.png", layers=layers),
    ]
    if len(names) > 1:
        paths.append(
            plot_paired_differences(
                comparison.paired,
                names,
                comparison.baseline,
                n,
                out_dir / "paired_differences.png",
                comparison.currency,
            )
        )
    return paths
