"""Figures of one run: capacity online over time, energy and CO2 by year, resource use, maps, grid loading.

Every function takes a :class:`sim.results.RunResult` or one of its parts and returns a matplotlib ``Figure``
(see :mod:`sim.plotting.style` for the conventions). In a notebook with ``%matplotlib inline`` a returned figure
displays itself; :func:`sim.plotting.png_bytes` and :func:`sim.plotting.save_png` render one to PNG.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..labels import COLON, common_scale, label, parenthesised, quantity, unit
from .style import (
    FONT_PT,
    GREY,
    LIGHT_GREY,
    OKABE_ITO,
    _auto_thousands,
    _empty,
    _fig_ax,
    _figure,
    _style,
    ordered_types,
    site_type_colour,
    site_type_label,
    thousands,
)

BUILT_STATUS = "operating"


def _built(sites: pd.DataFrame) -> pd.Series:
    return sites["status"].astype(str).eq(BUILT_STATUS)


# --------------------------------------------------------------------------------------------- capacity over time


def monthly_capacity_by_type(
    sites: pd.DataFrame, start_date: str | pd.Timestamp | None = None, end_date: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Capacity online [kWp] at the end of each month, one column per site type (built sites, by commission date).

    The index runs monthly (month ends) from ``start_date`` (default: the first commissioning) to ``end_date``
    (default: the last commissioning plus one year).
    """
    built = sites.loc[
        _built(sites) & sites["commission_date"].notna(), ["site_type", "capacity_kwp", "commission_date"]
    ].copy()
    dates = pd.to_datetime(built["commission_date"])
    if start_date is None:
        start = dates.min() if len(dates) else pd.Timestamp("2000-01-01")
    else:
        start = pd.Timestamp(start_date)
    if end_date is None:
        end = (dates.max() if len(dates) else start) + pd.DateOffset(years=1)
    else:
        end = pd.Timestamp(end_date)
    months = pd.date_range(start.to_period("M").to_timestamp("M"), end.to_period("M").to_timestamp("M"), freq="ME")
    built["month"] = dates.dt.to_period("M").dt.to_timestamp("M")
    added = built.pivot_table(index="month", columns="site_type", values="capacity_kwp", aggfunc="sum", fill_value=0.0)
    added = added.reindex(columns=ordered_types(added.columns))
    online = added.reindex(months.union(pd.DatetimeIndex(added.index)), fill_value=0.0).sort_index().cumsum()
    return online.reindex(months).ffill().fillna(0.0)


def capacity_timeline(
    sites: pd.DataFrame,
    *,
    start_date: str | pd.Timestamp | None = None,
    end_date: str | pd.Timestamp | None = None,
    milestones: Mapping[str, str | None] | None = None,
    title: str | None = None,
    lang: str = "en",
    targets: Mapping[str, float] | None = None,
    milestone_label: str = "label.milestone_short",
) -> Figure:
    """Stacked area of capacity online at monthly resolution, by site type (kWp / MWp / GWp, whichever suits the
    largest value); optional milestone markers, labelled in a band above the data so that they never cover it, and
    ``targets`` (name -> kWp: the programme's, or each track's): a dashed line each, with each track's own capacity
    online as a thin line of the same colour (the sites' ``track`` column). ``milestone_label``: the label key of the
    markers (of the target, or of the capacity released where no target is set)."""
    online_kwp = monthly_capacity_by_type(sites, start_date, end_date)
    divisor, unit_name = common_scale(online_kwp.sum(axis=1), "kWp", lang)
    online = online_kwp / divisor
    fig = _figure(9.0, 4.6)
    ax = fig.add_subplot()
    if online.empty or online.to_numpy().sum() == 0:
        _empty(ax, label("label.no_commissioning", lang))
        return fig
    x = online.index
    ax.stackplot(
        x,
        *[online[c].to_numpy() for c in online.columns],
        colors=[site_type_colour(c) for c in online.columns],
        labels=[site_type_label(c, lang) for c in online.columns],
        linewidth=0.3,
        edgecolor="white",
    )
    total = online.sum(axis=1)
    ax.plot(x, total, color="#333333", linewidth=1.0)
    ax.set_xlim(x[0], x[-1])
    top = max([float(total.max()), *[float(v) / divisor for v in (targets or {}).values() if v]])
    target_handles = _target_lines(ax, sites, x, divisor, targets or {}, lang)
    ms = [(share, pd.Timestamp(date)) for share, date in (milestones or {}).items() if date]
    # the labels sit in a band above the highest value: one row each, so they cover neither the data nor each other
    ax.set_ylim(0, top * (1.06 + 0.075 * len(ms)))
    for k, (share, d) in enumerate(ms):
        ax.axvline(date2num(d), color="#555555", linestyle="--", linewidth=0.9)
        pct = share[:-1] + ("%" if lang == "zh" else " %")
        ax.text(
            date2num(d),
            top * (1.04 + 0.075 * k),
            f" {label(milestone_label, lang, share=pct)}{COLON[lang]}{d:%Y-%m} ",
            va="bottom",
            ha="right",
            fontsize=FONT_PT - 0.5,
            color="#333333",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9, "pad": 1.0},
        )
    ax.set_xlabel(label("label.date_month_end", lang))
    ax.set_ylabel(f"{label('label.capacity_online', lang)} [{unit(unit_name, lang)}]")
    total_text = f"{label('label.total', lang)} {quantity(float(online_kwp.sum(axis=1).iloc[-1]), 'kWp', lang)}"
    ax.set_title(f"{title or label('label.capacity_by_type', lang)}{parenthesised(total_text, lang)}", loc="left")
    _auto_thousands(ax)
    _style(ax)
    handles, _names = ax.get_legend_handles_labels()
    ax.legend(
        handles=[*handles[::-1], *target_handles],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=FONT_PT,
        frameon=False,
        title=label("label.site_type", lang),
        title_fontsize=FONT_PT,
    )
    return fig


TRACK_COLOURS = ("black", "vermillion", "blue", "reddish_purple", "bluish_green", "orange")


def _target_lines(ax, sites: pd.DataFrame, months, divisor: float, targets: Mapping[str, float], lang: str) -> list:
    """A dashed line at each target; for a track, its own capacity online (thin line) in the same colour. Their
    names go in the legend (returned handles), never over the data."""
    from ..labels import track_label

    built = sites[_built(sites)]
    handles: list[Artist] = []
    for k, (name, target_kwp) in enumerate(t for t in targets.items() if t[1]):
        colour = OKABE_ITO[TRACK_COLOURS[k % len(TRACK_COLOURS)]]
        text = label(
            "label.target_of",
            lang,
            name=track_label(name, lang) if name != "programme" else label("label.programme", lang),
            value=quantity(target_kwp, "kWp", lang),
        )
        ax.axhline(target_kwp / divisor, color=colour, linestyle=(0, (5, 3)), linewidth=1.1)
        handles.append(Line2D([], [], color=colour, linestyle=(0, (5, 3)), linewidth=1.1, label=text))
        if name != "programme" and "track" in built:
            mine = built[built["track"].astype(str).eq(name)]
            dates = pd.to_datetime(mine["commission_date"]).dt.to_period("M").dt.to_timestamp("M")
            online = (
                mine["capacity_kwp"]
                .groupby(pd.Series(dates, index=mine.index))
                .sum()
                .reindex(months, fill_value=0.0)
                .cumsum()
            )
            ax.plot(months, online / divisor, color=colour, linewidth=1.3)
    return handles


# --------------------------------------------------------------------------------------------- money

BUDGET_COLUMNS = {
    "budget_cny": LIGHT_GREY,
    "committed_cny": OKABE_ITO["sky_blue"],
    "spent_cny": OKABE_ITO["blue"],
    "lapsed_cny": OKABE_ITO["vermillion"],
}


def budget_by_year(budget: pd.DataFrame, *, lang: str = "en", currency: str | None = "CNY") -> Figure:
    """The programme's money per calendar year (``budget.csv``): budget put in, committed, spent and lapsed, side by
    side, in one unit of the run's currency."""
    from ..labels import in_currency

    fig = _figure(9.0, 3.8)
    ax = fig.add_subplot()
    divisor, name = common_scale(budget[list(BUDGET_COLUMNS)].to_numpy().ravel(), "CNY", lang)
    years = budget["year"].to_numpy(int)
    width = 0.8 / len(BUDGET_COLUMNS)
    for k, (col, colour) in enumerate(BUDGET_COLUMNS.items()):
        ax.bar(
            years + (k - 1.5) * width,
            budget[col].to_numpy(float) / divisor,
            width,
            color=colour,
            label=label(f"label.money_{col[:-4]}", lang),
        )
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylabel(f"{label('report.budget', lang)} [{in_currency(unit(name, lang), currency, lang)}]")
    ax.legend(fontsize=FONT_PT, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _auto_thousands(ax)
    _style(ax, "y")
    return fig


# --------------------------------------------------------------------------------------------- energy and CO2


def _year_axis(ax) -> None:
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0f}"))
    ax.xaxis.get_major_locator().set_params(integer=True)


def energy_by_year(annual: pd.DataFrame, ax=None, *, lang: str = "en") -> Figure:
    """Energy delivered per calendar year (bars, MWh / GWh ...), with curtailed energy stacked on top."""
    fig, ax = _fig_ax(ax, 7.5, 4.2)
    years = annual["year"].to_numpy(int)
    curtailed_mwh = annual["curtailed_mwh"].to_numpy(float) if "curtailed_mwh" in annual else np.zeros(len(years))
    divisor, unit_name = common_scale(annual["energy_mwh"].to_numpy(float) + curtailed_mwh, "MWh", lang)
    energy = annual["energy_mwh"].to_numpy(float) / divisor
    ax.bar(years, energy, color=OKABE_ITO["blue"], label=label("label.delivered", lang), width=0.8)
    if curtailed_mwh.sum() > 0:
        ax.bar(
            years,
            curtailed_mwh / divisor,
            bottom=energy,
            color=OKABE_ITO["orange"],
            label=label("label.curtailed", lang),
            width=0.8,
        )
    ax.set_xlabel(label("label.year", lang))
    ax.set_ylabel(f"{label('label.energy_short', lang)} [{unit(unit_name, lang)}/{unit('year', lang)}]")
    total = f"{label('label.total', lang)} {quantity(float(annual['energy_mwh'].sum()), 'MWh', lang)}"
    ax.set_title(label("label.energy_by_year", lang) + parenthesised(total, lang), loc="left")
    _auto_thousands(ax)
    _year_axis(ax)
    _style(ax, "y")
    ax.legend(fontsize=FONT_PT, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    return fig


def co2_by_year(annual: pd.DataFrame, ax=None, *, lang: str = "en") -> Figure:
    """CO2 avoided per year (AMS-I.D bars, the life-cycle comparison as a line) and the cumulative AMS-I.D figure on
    a second axis (t / kt / Mt)."""
    fig, ax = _fig_ax(ax, 7.5, 4.2)
    years = annual["year"].to_numpy(int)
    net_t = annual["co2_avoided_t"].to_numpy(float)
    lifecycle_t = annual["co2_avoided_lifecycle_t"].to_numpy(float) if "co2_avoided_lifecycle_t" in annual else None
    divisor, unit_name = common_scale(net_t if lifecycle_t is None else np.r_[net_t, lifecycle_t], "t", lang)
    cum_divisor, cum_unit = common_scale(np.cumsum(net_t), "t", lang)
    per_year = f"{label('label.ams_id', lang)} / {unit('year', lang)}"
    ax.bar(years, net_t / divisor, color=OKABE_ITO["bluish_green"], width=0.8)
    handles: list[Artist] = [
        Patch(color=OKABE_ITO["bluish_green"], label=f"{per_year} ({label('label.left_axis', lang)})")
    ]
    if lifecycle_t is not None:
        ax.plot(years, lifecycle_t / divisor, color=OKABE_ITO["black"], marker="o", markersize=3, linewidth=1.0)
        handles.append(
            Line2D(
                [],
                [],
                color=OKABE_ITO["black"],
                marker="o",
                markersize=3,
                label=f"{label('label.lifecycle', lang)} / {unit('year', lang)} ({label('label.left_axis', lang)})",
            )
        )
    ax.set_xlabel(label("label.year", lang))
    ax.set_ylabel(f"{label('label.co2_avoided', lang)} [{unit(unit_name, lang)}/{unit('year', lang)}]")
    _auto_thousands(ax)
    _year_axis(ax)
    _style(ax, "y")
    ax2 = ax.twinx()
    cumulative = np.cumsum(net_t) / cum_divisor
    ax2.plot(years, cumulative, color=OKABE_ITO["vermillion"], linewidth=2.0)
    handles.append(
        Line2D(
            [],
            [],
            color=OKABE_ITO["vermillion"],
            linewidth=2.0,
            label=f"{label('label.ams_id_cumulative', lang)} ({label('label.right_axis', lang)})",
        )
    )
    ax2.set_ylim(0, max(float(cumulative[-1]) if len(cumulative) else 1.0, 1e-9) * 1.05)
    ax2.set_ylabel(f"{label('label.co2_cumulative', lang)} [{unit(cum_unit, lang)}]", color=OKABE_ITO["vermillion"])
    ax2.tick_params(labelsize=FONT_PT, colors=OKABE_ITO["vermillion"], axis="y")
    ax2.yaxis.label.set_size(FONT_PT + 0.5)
    _auto_thousands(ax2)
    ax2.spines["top"].set_visible(False)
    total = f"{label('label.ams_id', lang)} {label('label.total', lang)} {quantity(float(net_t.sum()), 't', lang)}"
    ax.set_title(label("label.co2_by_year", lang) + parenthesised(total, lang), loc="left")
    ax.legend(
        handles=handles, fontsize=FONT_PT, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3
    )
    return fig


def energy_co2_by_year(annual: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Energy and CO2 avoided by year side by side."""
    fig = _figure(13.0, 4.6)
    a1, a2 = fig.subplots(1, 2)
    energy_by_year(annual, ax=a1, lang=lang)
    co2_by_year(annual, ax=a2, lang=lang)
    return fig


def resources_table(resources: Mapping[str, Mapping]) -> pd.DataFrame:
    """``summary["resources"]`` as a table: capacity, utilisation [%], mean / 95th-percentile wait [days], max queue."""
    rows = []
    for name, r in resources.items():
        rows.append(
            {
                "resource": name,
                "capacity": r.get("capacity"),
                "utilisation_percent": r.get("utilisation_percent"),
                "mean_wait_days": r.get("mean_wait_days"),
                "p95_wait_days": r.get("p95_wait_days"),
                "max_queue_length": r.get("max_queue_length"),
                "requests": r.get("n_requests"),
            }
        )
    return pd.DataFrame(rows).set_index("resource") if rows else pd.DataFrame()


def resource_utilisation(resources: Mapping[str, Mapping], *, lang: str = "en") -> Figure:
    """Utilisation [%] of each limited resource (human names, e.g. "O&M crews"), and the mean and 95th-percentile
    wait for it [days]."""
    table = resources_table(resources)
    fig = _figure(11.5, max(2.6, 0.55 * len(table) + 1.4))
    a1, a2 = fig.subplots(1, 2, sharey=True)
    if table.empty:
        _empty(a1, label("label.no_resources", lang))
        _empty(a2, "")
        return fig
    table = table.sort_values("utilisation_percent")
    y = np.arange(len(table))
    names = [f"{label(f'resource.{n}', lang)} (×{int(c)})" for n, c in zip(table.index, table["capacity"])]
    util = table["utilisation_percent"].astype(float).to_numpy()
    a1.barh(y, util, color=OKABE_ITO["blue"], height=0.6)
    for yi, u in zip(y, util):
        a1.text(min(float(u), 100.0) + 1.5, yi, f"{u:.0f} %", va="center", fontsize=FONT_PT)
    a1.set_xlim(0, 115)
    a1.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0f} %"))
    a1.set_xticks([0, 25, 50, 75, 100])
    a1.set_yticks(y, names)
    a1.set_xlabel(label("label.utilisation_axis", lang))
    a1.set_title(label("label.utilisation_title", lang), loc="left")
    _style(a1, "x")
    mean = table["mean_wait_days"].astype(float).to_numpy()
    p95 = table["p95_wait_days"].astype(float).to_numpy()
    _mean_and_p95_bars(
        a2, y, mean, p95, OKABE_ITO["vermillion"], label("label.mean_wait", lang), label("label.p95", lang)
    )
    right = max(float(np.nanmax(np.r_[mean, p95, 1.0])) * 1.55, 1.0)
    d = label("unit.days", lang)
    for yi, m, q in zip(y, mean, p95):
        a2.text(
            max(np.nan_to_num(m), np.nan_to_num(q)) + right * 0.02,
            yi,
            f"{m:,.1f} {d}" + parenthesised(f"{label('label.p95_short', lang)} {q:,.0f} {d}", lang),
            va="center",
            fontsize=FONT_PT,
        )
    a2.set_xlim(0, right)
    a2.set_xlabel(f"{label('label.wait_axis', lang)} [{d}]")
    a2.set_title(label("label.wait_title", lang), loc="left")
    a2.xaxis.set_major_formatter(thousands(0))
    fig.legend(*a2.get_legend_handles_labels(), fontsize=FONT_PT, frameon=False, loc="outside lower right", ncols=2)
    _style(a2, "x")
    return fig


def _mean_and_p95_bars(ax, y, mean, p95, colour: str, mean_label: str, p95_label: str = "95th percentile") -> None:
    """Horizontal bars of the mean with a tick at the 95th percentile (durations and waits)."""
    ax.barh(y, mean, color=colour, height=0.6, label=mean_label)
    ax.scatter(p95, y, color=OKABE_ITO["black"], marker="|", s=180, linewidths=2, label=p95_label, zorder=3)


def stage_durations(stage_table: pd.DataFrame) -> Figure:
    """Mean and 95th-percentile duration of each rollout stage [days] (``stage_durations.csv``)."""
    fig = _figure(8.0, max(2.6, 0.45 * len(stage_table) + 1.2))
    ax = fig.add_subplot()
    if stage_table is None or len(stage_table) == 0:
        _empty(ax, "no stage durations")
        return fig
    t = stage_table.iloc[::-1]
    y = np.arange(len(t))
    _mean_and_p95_bars(ax, y, t["mean_days"], t["p95_days"], OKABE_ITO["sky_blue"], "mean")
    ax.set_yticks(y, [f"{s.replace('_', ' ')} (n={int(n):,})" for s, n in zip(t["stage"], t["n"])])
    ax.set_xlabel("duration of the stage [days]")
    ax.set_title("Time spent in each rollout stage (including waits)", loc="left")
    ax.xaxis.set_major_formatter(thousands(0))
    ax.legend(fontsize=FONT_PT, frameon=False, loc="lower right")
    _style(ax, "x")
    return fig


STAGE_COLOURS = [
    OKABE_ITO[k] for k in ("orange", "sky_blue", "bluish_green", "black", "vermillion", "blue", "reddish_purple")
] + [GREY]
_LEAVE_EVENTS = ("end", "drop", "decline", "fail")


def sites_in_stage(events: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """Number of sites inside each rollout stage (started, not yet left) at each date of a regular grid
    (``freq``: pandas offset, month starts by default), from the event log. Waiting for a resource counts as being
    in the stage, so a stage whose count piles up is where the queue forms."""
    ev = events[["site_id", "stage", "event", "date"]].copy()
    ev["stage"] = ev["stage"].astype(str)
    ev["event"] = ev["event"].astype(str)
    ev["date"] = pd.to_datetime(ev["date"])
    stages = [st for st in pd.unique(ev["stage"]) if (ev.loc[ev["stage"] == st, "event"] == "start").any()]
    if not stages:
        return pd.DataFrame()
    grid = pd.date_range(ev["date"].min().normalize(), ev["date"].max() + pd.Timedelta(days=31), freq=freq)
    out = {}
    for st in stages:
        sub = ev[ev["stage"] == st]
        enter = np.sort(sub.loc[sub["event"] == "start", "date"].to_numpy())
        leave = np.sort(sub.loc[sub["event"].isin(_LEAVE_EVENTS), "date"].to_numpy())
        g = grid.to_numpy()
        out[st] = np.searchsorted(enter, g, side="right") - np.searchsorted(leave, g, side="right")
    return pd.DataFrame(out, index=grid)


def stage_occupancy(events: pd.DataFrame, *, until: str | pd.Timestamp | None = None) -> Figure:
    """Sites in each rollout stage over time (monthly): where the sites pile up (the queue) and when."""
    wip = sites_in_stage(events)
    fig = _figure(10.0, 4.6)
    ax = fig.add_subplot()
    if wip.empty:
        _empty(ax, "no stage events")
        return fig
    if until is not None:
        wip = wip[wip.index <= pd.Timestamp(until)]
    else:
        busy = wip.sum(axis=1) > 0
        if busy.any():
            wip = wip.loc[: busy[busy].index[-1] + pd.DateOffset(months=2)]
    for k, st in enumerate(wip.columns):
        ax.plot(
            wip.index,
            wip[st],
            color=STAGE_COLOURS[k % len(STAGE_COLOURS)],
            linewidth=1.8,
            linestyle="-" if k < 8 else "--",
            label=st.replace("_", " "),
        )
    ax.set_xlabel("date (start of month)")
    ax.set_ylabel("sites in the stage (incl. waiting)")
    ax.yaxis.set_major_formatter(thousands(0))
    ax.set_ylim(0, None)
    ax.set_title("Where the sites are: sites inside each rollout stage", loc="left")
    ax.legend(
        fontsize=FONT_PT,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="stage",
        title_fontsize=FONT_PT,
    )
    _style(ax)
    return fig


# --------------------------------------------------------------------------------------------- pilot coverage


def pilot_coverage(coverage: Mapping[str, Mapping]) -> Figure:
    """Built share of candidate roofs per pilot category [%] against the pilot's minimum (50/40/30/20 %)."""
    fig = _figure(7.5, 3.4)
    ax = fig.add_subplot()
    if not coverage:
        _empty(ax, "no pilot coverage")
        return fig
    names = list(coverage)
    y = np.arange(len(names))[::-1]
    share = np.array([float(coverage[n].get("share_percent") or 0.0) for n in names])
    target = np.array([float(coverage[n].get("target_percent") or 0.0) for n in names])
    met = [bool(coverage[n].get("met")) for n in names]
    colours = [OKABE_ITO["bluish_green"] if m else OKABE_ITO["vermillion"] for m in met]
    ax.barh(y, share, color=colours, height=0.6)
    ax.scatter(target, y, marker="D", color=OKABE_ITO["black"], zorder=3, s=30)
    for yi, s, m in zip(y, share, met):
        ax.text(s + 1.5, yi, f"{s:.0f} % {'met' if m else 'NOT met'}", va="center", fontsize=FONT_PT)
    ax.set_yticks(y, [n.replace("_", " ") for n in names])
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0f} %"))
    ax.set_xlabel("candidate roofs with PV [%]")
    ax.set_title("Whole-county pilot coverage", loc="left")
    ax.legend(
        handles=[
            Patch(color=OKABE_ITO["bluish_green"], label="target met"),
            Patch(color=OKABE_ITO["vermillion"], label="target not met"),
            Line2D([], [], marker="D", color=OKABE_ITO["black"], linestyle="", label="pilot minimum"),
        ],
        fontsize=FONT_PT,
        frameon=False,
        loc="lower right",
    )
    _style(ax, "x")
    return fig


# --------------------------------------------------------------------------------------------- maps


def _local(gdf):
    from ..sites import local_crs

    return gdf.to_crs(local_crs(gdf))


def _km_axes(ax, lang: str = "en") -> None:
    """Axes of a map in the local UTM zone, labelled in km (the one map convention of pvsim's figures)."""
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x / 1000:,.0f}"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x / 1000:,.0f}"))
    ax.set_xlabel("UTM " + label("label.easting", lang))
    ax.set_ylabel("UTM " + label("label.northing", lang))
    ax.set_aspect("equal")


def _legend_marker(marker: str, size: float, colour: str, text: str, **style) -> Line2D:
    """A legend entry: one marker, no line (``style``: more Line2D settings, e.g. the marker's edge)."""
    return Line2D([], [], marker=marker, linestyle="", markersize=size, color=colour, label=text, **style)


def site_map(
    sites, transformers=None, *, boundary=None, title: str | None = None, ax=None, legend: bool = True
) -> Figure:
    """Candidate sites at their centroids: built sites coloured by type (marker area grows with capacity), the rest
    as small grey dots; optional transformers (points, black ``+``) and county boundary, in the local UTM zone.

    ``sites``: GeoDataFrame with ``site_type, status, capacity_kwp`` (a run's ``sites.parquet``);
    ``transformers``: GeoDataFrame of points (the grid file's transformer layer), optional.
    """
    import geopandas as gpd

    fig, ax = _fig_ax(ax, 10.0, 6.0)
    local = _local(sites)
    crs = local.crs
    pts = gpd.GeoDataFrame(local.drop(columns="geometry"), geometry=local.geometry.representative_point(), crs=crs)
    built = _built(pts)
    if boundary is not None:
        boundary.to_crs(crs).boundary.plot(ax=ax, color="#666666", linewidth=0.8)
    other = pts[~built]
    ax.scatter(other.geometry.x, other.geometry.y, s=3, color=LIGHT_GREY, linewidths=0, label="not built", zorder=1)
    if transformers is not None and len(transformers):
        tr = transformers.to_crs(crs)
        ax.scatter(tr.geometry.x, tr.geometry.y, marker="+", s=14, color="#444444", linewidths=0.7, zorder=2)
    cap = pts.loc[built, "capacity_kwp"].astype(float)
    handles: list[Artist] = []
    for t in ordered_types(pts.loc[built, "site_type"].unique()):
        sel = pts[built & pts["site_type"].eq(t)]
        size = 4.0 + 60.0 * np.sqrt(sel["capacity_kwp"].astype(float) / max(float(cap.max()), 1.0))
        ax.scatter(
            sel.geometry.x,
            sel.geometry.y,
            s=size,
            color=site_type_colour(t),
            alpha=0.85,
            edgecolors="#333333" if t == "guesthouse" else "none",
            linewidths=0.3,
            zorder=3,
        )
        handles.append(_legend_marker("o", 7, site_type_colour(t), f"{site_type_label(t)} ({len(sel):,})"))
    handles.append(_legend_marker("o", 4, LIGHT_GREY, f"not built ({len(other):,})"))
    if transformers is not None and len(transformers):
        handles.append(_legend_marker("+", 7, "#444444", f"transformer ({len(transformers):,})"))
    _km_axes(ax)
    ax.set_title(
        title or f"Sites built: {int(built.sum()):,} of {len(pts):,} candidates ({cap.sum() / 1000:,.1f} MWp)",
        loc="left",
    )
    _style(ax, "")
    if legend:
        ax.legend(
            handles=handles,
            fontsize=FONT_PT - 0.5,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            title="built, by type (marker area ~ kWp)",
            title_fontsize=FONT_PT,
        )
    return fig


EXCLUSION_FILLS = ("#d9d9d9", "#c7e3bf", "#bcd7ea", "#e8d5b5")
"""Fills of exclusion zones on maps, one per exclusion layer (light, so the built sites stay on top)."""


def _scale_bar_m(span_m: float) -> float:
    """A round scale-bar length [m] of about a fifth of the map's width: 1, 2 or 5 x 10^k."""
    target = max(span_m / 5.0, 1.0)
    k = 10 ** np.floor(np.log10(target))
    return float(max(m * k for m in (1, 2, 5) if m * k <= target))


def add_scale_bar_and_north_arrow(ax, lang: str = "en") -> None:
    """A scale bar (lower left) and a north arrow (upper right) on a map in metres (the local UTM zone; grid north,
    within about a degree of true north across a county)."""
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    x0, x1 = ax.get_xlim()
    length = _scale_bar_m(abs(x1 - x0))
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    bar = AnchoredSizeBar(
        ax.transData,
        length,
        text,
        "lower left",
        pad=0.6,
        borderpad=0.8,
        sep=4,
        color="#222222",
        frameon=True,
        size_vertical=abs(x1 - x0) / 250,
        fontproperties=FontProperties(size=FONT_PT),
    )
    bar.patch.set(facecolor="white", alpha=0.85, edgecolor="none")
    ax.add_artist(bar)
    ax.annotate(
        label("label.north", lang),
        xy=(0.95, 0.95),
        xytext=(0.95, 0.83),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=FONT_PT + 1,
        fontweight="bold",
        arrowprops={"facecolor": "#222222", "edgecolor": "none", "width": 4, "headwidth": 11, "headlength": 10},
    )


def county_map(sites, layers: Mapping | None = None, *, lang: str = "en", title: str | None = None, ax=None) -> Figure:
    """The map of a run for a report: county boundary, township borders and names, exclusion zones, built sites by
    type (marker area ~ capacity), sites not built as small grey dots, a scale bar and a north arrow, in the local
    UTM zone (axes in km). ``layers``: :func:`sim.sites.map_layers` (any part may be missing: then sites only)."""
    import geopandas as gpd

    layers = layers or {}
    fig, ax = _fig_ax(ax, 10.5, 7.6)
    local = _local(sites)
    crs = local.crs
    pts = gpd.GeoDataFrame(local.drop(columns="geometry"), geometry=local.geometry.representative_point(), crs=crs)
    handles = _context_layers(ax, layers, crs, lang)
    built = _built(pts)
    other = pts[~built]
    ax.scatter(other.geometry.x, other.geometry.y, s=3, color="#b5b5b5", linewidths=0, zorder=2)
    cap = pts.loc[built, "capacity_kwp"].astype(float)
    for t in ordered_types(pts.loc[built, "site_type"].unique()):
        sel = pts[built & pts["site_type"].eq(t)]
        size = 5.0 + 70.0 * np.sqrt(sel["capacity_kwp"].astype(float) / max(float(cap.max()), 1.0))
        ax.scatter(
            sel.geometry.x,
            sel.geometry.y,
            s=size,
            color=site_type_colour(t),
            alpha=0.9,
            edgecolors="#333333",
            linewidths=0.3,
            zorder=3,
        )
        handles.append(
            _legend_marker(
                "o",
                7,
                site_type_colour(t),
                f"{site_type_label(t, lang)} ({len(sel):,})",
                markeredgecolor="#333333",
                markeredgewidth=0.3,
            )
        )
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=4,
            color="#b5b5b5",
            label=f"{label('label.not_built', lang)} ({len(other):,})",
        )
    )
    _km_axes(ax, lang)
    frame = layers.get("boundary")
    bounds = frame.to_crs(crs).total_bounds if frame is not None and len(frame) else pts.total_bounds
    pad = 0.03 * max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1.0)
    ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
    ax.set_ylim(bounds[1] - pad, bounds[3] + pad)
    add_scale_bar_and_north_arrow(ax, lang)
    ax.set_title(title or label("report.map", lang), loc="left")
    # a figure legend "outside": constrained layout makes room for it (an axes legend beside the map is clipped)
    fig.legend(handles=handles, fontsize=FONT_PT - 0.5, loc="outside right upper", frameon=False)
    _style(ax, "")
    return fig


def _context_layers(ax, layers: Mapping, crs, lang: str) -> list:
    """Exclusion zones, townships (borders and names) and the county boundary under the sites; legend handles."""
    handles: list[Artist] = []
    for k, (reason, layer) in enumerate(layers.get("exclusions") or []):
        lay = layer.to_crs(crs)
        fill = EXCLUSION_FILLS[k % len(EXCLUSION_FILLS)]
        name = label(f"exclusion.{reason}", lang, default=str(reason).replace("_", " "))
        if lay.geom_type.isin(["LineString", "MultiLineString"]).all():
            lay.plot(ax=ax, color=OKABE_ITO["sky_blue"], linewidth=1.5, zorder=0)
            handles.append(Line2D([], [], color=OKABE_ITO["sky_blue"], linewidth=1.5, label=name))
        else:
            lay.plot(ax=ax, color=fill, edgecolor="#aaaaaa", linewidth=0.4, zorder=0)
            handles.append(Patch(facecolor=fill, edgecolor="#aaaaaa", label=name))
    towns = layers.get("townships")
    if towns is not None and len(towns):
        towns = towns.to_crs(crs)
        towns.boundary.plot(ax=ax, color="#8c8c8c", linewidth=0.7, linestyle="--", zorder=1)
        if "name" in towns.columns:
            for name, point in zip(towns["name"], towns.geometry.representative_point()):
                ax.text(
                    point.x,
                    point.y,
                    str(name),
                    fontsize=FONT_PT - 1,
                    color="#555555",
                    ha="center",
                    va="center",
                    zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.6, "pad": 0.5},
                )
        handles.append(
            Line2D([], [], color="#8c8c8c", linewidth=0.9, linestyle="--", label=label("label.townships", lang))
        )
    boundary = layers.get("boundary")
    if boundary is not None and len(boundary):
        boundary.to_crs(crs).boundary.plot(ax=ax, color="#333333", linewidth=1.4, zorder=1)
        handles.insert(0, Line2D([], [], color="#333333", linewidth=1.4, label=label("label.county_boundary", lang)))
    return handles


def candidate_map(
    sites, *, boundary=None, townships=None, exclusions: Mapping[str, gpd.GeoDataFrame] | None = None, ax=None
) -> Figure:
    """Candidate sites by type (eligible: coloured dots, marker area ~ capacity; excluded: black ``x``) over the
    exclusion layers (grey fills / lines) and township borders, in the local UTM zone."""
    import geopandas as gpd

    fig, ax = _fig_ax(ax, 10.0, 6.8)
    local = _local(sites)
    crs = local.crs
    pts = gpd.GeoDataFrame(local.drop(columns="geometry"), geometry=local.geometry.representative_point(), crs=crs)
    handles: list[Artist] = []
    fills = [LIGHT_GREY, "#b8d8b0", "#a6cbe3", "#cccccc"]
    for k, (name, layer) in enumerate((exclusions or {}).items()):
        lay = layer.to_crs(crs)
        colour = fills[k % len(fills)]
        if lay.geom_type.isin(["LineString", "MultiLineString"]).all():
            lay.plot(ax=ax, color=OKABE_ITO["sky_blue"], linewidth=1.5, zorder=0)
            handles.append(Line2D([], [], color=OKABE_ITO["sky_blue"], linewidth=1.5, label=name.replace("_", " ")))
        else:
            lay.plot(ax=ax, color=colour, edgecolor="none", zorder=0)
            handles.append(Patch(color=colour, label=name.replace("_", " ")))
    if townships is not None:
        townships.to_crs(crs).boundary.plot(ax=ax, color="#888888", linewidth=0.6, zorder=1)
    if boundary is not None:
        boundary.to_crs(crs).boundary.plot(ax=ax, color="#444444", linewidth=1.0, zorder=1)
    eligible = pts["eligible"].astype(bool)
    cap_max = max(float(pts["capacity_kwp"].max()), 1.0)
    for t in ordered_types(pts["site_type"].unique()):
        sel = pts[eligible & pts["site_type"].eq(t)]
        ax.scatter(
            sel.geometry.x,
            sel.geometry.y,
            s=3 + 50 * np.sqrt(sel["capacity_kwp"] / cap_max),
            color=site_type_colour(t),
            alpha=0.85,
            linewidths=0.3,
            edgecolors="#333333" if t == "guesthouse" else "none",
            zorder=3,
        )
        handles.append(_legend_marker("o", 7, site_type_colour(t), f"{site_type_label(t)} ({len(sel):,})"))
    bad = pts[~eligible]
    ax.scatter(bad.geometry.x, bad.geometry.y, marker="x", s=14, color="#000000", linewidths=0.8, zorder=4)
    handles.append(
        Line2D([], [], marker="x", linestyle="", markersize=6, color="#000000", label=f"excluded ({len(bad):,})")
    )
    _km_axes(ax)
    ax.set_title(
        f"{len(pts):,} candidate sites, {int(eligible.sum()):,} eligible "
        f"({pts.loc[eligible, 'capacity_kwp'].sum() / 1000:,.1f} MWp)",
        loc="left",
    )
    ax.legend(
        handles=handles,
        fontsize=FONT_PT - 0.5,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="eligible sites by type, exclusions",
        title_fontsize=FONT_PT,
    )
    _style(ax, "")
    return fig


def build_difference_map(sites_a, sites_b, name_a: str, name_b: str, *, boundary=None, ax=None) -> Figure:
    """Where two runs of the same county differ: sites built by both (grey), only by ``name_a`` (orange) or only by
    ``name_b`` (blue); marker area ~ capacity. ``sites_a`` / ``sites_b``: the runs' site tables (same index)."""
    import geopandas as gpd

    fig, ax = _fig_ax(ax, 10.0, 6.8)
    local = _local(sites_a)
    pts = gpd.GeoDataFrame(local[["capacity_kwp"]], geometry=local.geometry.representative_point(), crs=local.crs)
    a = _built(sites_a).reindex(pts.index, fill_value=False).to_numpy()
    b = _built(sites_b).reindex(pts.index, fill_value=False).to_numpy()
    if boundary is not None:
        boundary.to_crs(pts.crs).boundary.plot(ax=ax, color="#666666", linewidth=0.8)
    cap_max = max(float(pts["capacity_kwp"].max()), 1.0)
    handles: list[Artist] = []
    for mask, colour, what, z in (
        (a & b, "#b0b0b0", "built by both", 2),
        (a & ~b, OKABE_ITO["orange"], f"only {name_a}", 3),
        (~a & b, OKABE_ITO["blue"], f"only {name_b}", 3),
    ):
        sel = pts[mask]
        ax.scatter(
            sel.geometry.x,
            sel.geometry.y,
            s=6 + 80 * np.sqrt(sel["capacity_kwp"] / cap_max),
            color=colour,
            alpha=0.85,
            linewidths=0,
            zorder=z,
        )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=7,
                color=colour,
                label=f"{what}: {int(mask.sum()):,} sites, {sel['capacity_kwp'].sum() / 1000:,.1f} MWp",
            )
        )
    _km_axes(ax)
    ax.set_title(f"Where {name_a} and {name_b} differ", loc="left")
    ax.legend(
        handles=handles,
        fontsize=FONT_PT,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="marker area ~ kWp",
        title_fontsize=FONT_PT,
    )
    _style(ax, "")
    return fig


LOADING_CLASSES: list[tuple[float, float, str, str]] = [
    (-np.inf, 25.0, "< 25 %", OKABE_ITO["sky_blue"]),
    (25.0, 75.0, "25-75 %", OKABE_ITO["blue"]),
    (75.0, 100.5, "75-100 %", OKABE_ITO["orange"]),
    (100.5, np.inf, "> 100 %", OKABE_ITO["vermillion"]),
]
"""Classes of transformer loading [% of the hosting limit after upgrades] for maps and histograms:
``(low, high, label, colour)``, ``low <= loading < high``."""

LOADING_COLUMNS = ("hosting_limit_kw", "hosting_limit_final_kw", "built_kwp", "dropped_hosting_kwp", "loading_percent")
"""Columns the transformer figures read from the run's loading table (:func:`sim.grid.transformer_loading`)."""


def _loading_table(loading: pd.DataFrame) -> pd.DataFrame:
    """The run's transformer loading table (``RunResult.transformers``, ``transformers.csv`` or
    :func:`sim.grid.transformer_loading`), indexed by ``transformer_id`` as text."""
    missing = [c for c in LOADING_COLUMNS if c not in loading.columns]
    if missing:
        raise ValueError(
            f"not a transformer loading table (no {', '.join(missing)}): pass the run's transformers "
            "table (RunResult.transformers, transformers.csv) or sim.grid.transformer_loading(...)"
        )
    table = loading.set_index("transformer_id") if "transformer_id" in loading.columns else loading.copy()
    table.index = table.index.astype(str)
    table.index.name = "transformer_id"
    return table


def _loading_class(loading_percent: pd.Series) -> pd.Series:
    out = pd.Series(-1, index=loading_percent.index)
    for k, (lo, hi, _label, _colour) in enumerate(LOADING_CLASSES):
        out[(loading_percent >= lo) & (loading_percent < hi)] = k
    return out


def loading_class_labels(loading_percent: pd.Series) -> pd.Series:
    """The :data:`LOADING_CLASSES` label of each loading [% of the hosting limit after upgrades] (NaN counts as 0)."""
    labels = np.array([c[2] for c in LOADING_CLASSES])
    return pd.Series(labels[_loading_class(loading_percent.fillna(0.0)).to_numpy()], index=loading_percent.index)


def transformer_loading(loading: pd.DataFrame) -> Figure:
    """PV built per transformer [kWp] against its hosting limit after the rollout's upgrades [kW] (log-log), and
    how many transformers fall in each loading class.

    ``loading``: the run's transformer table (``RunResult.transformers``, ``transformers.csv``), i.e.
    :func:`sim.grid.transformer_loading`. Points on the 1:1 line are full; transformers where sites were dropped for
    lack of hosting capacity are drawn as triangles.
    """
    table = _loading_table(loading)
    fig = _figure(12.0, 4.8)
    a1, a2 = fig.subplots(1, 2, width_ratios=[1.2, 1.0])
    full = (table["dropped_hosting_kwp"] > 0).to_numpy()
    _loading_scatter(a1, table, full)
    _loading_histogram(a2, table, full)
    return fig


def _loading_scatter(ax, table: pd.DataFrame, full: np.ndarray) -> None:
    floor = 1.0
    x = table["hosting_limit_final_kw"].clip(lower=floor)
    y = table["built_kwp"].clip(lower=floor)
    ax.scatter(
        x[~full], y[~full], s=16, color=OKABE_ITO["blue"], alpha=0.75, label=f"no site dropped ({int((~full).sum()):,})"
    )
    ax.scatter(
        x[full],
        y[full],
        s=22,
        marker="^",
        color=OKABE_ITO["vermillion"],
        alpha=0.8,
        label=f"sites dropped for lack of hosting ({int(full.sum()):,})",
    )
    lo = max(floor, float(min(x.min(), y.min())) / 1.5)
    hi = float(max(x.max(), y.max())) * 1.5
    ax.plot([lo, hi], [lo, hi], color="#333333", linestyle="--", linewidth=1.0, label="built = hosting limit")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("hosting limit after upgrades [kW]")
    ax.set_ylabel("PV built by the run [kWp]")
    ax.xaxis.set_major_formatter(thousands(0))
    ax.yaxis.set_major_formatter(thousands(0))
    upgraded = int((table["hosting_limit_final_kw"] > table["hosting_limit_kw"]).sum())
    ax.set_title(f"Transformer loading vs hosting limit ({upgraded:,} upgraded)", loc="left")
    ax.legend(fontsize=FONT_PT, frameon=False, loc="upper left")
    _style(ax)


def _loading_histogram(ax, table: pd.DataFrame, full: np.ndarray) -> None:
    cls = _loading_class(table["loading_percent"].fillna(0.0)).to_numpy()
    xs = np.arange(len(LOADING_CLASSES))
    n_ok = [int(((cls == k) & ~full).sum()) for k in xs]
    n_full = [int(((cls == k) & full).sum()) for k in xs]
    ax.bar(xs, n_ok, color=OKABE_ITO["blue"], label="no site dropped", width=0.65)
    ax.bar(xs, n_full, bottom=n_ok, color=OKABE_ITO["vermillion"], label="sites dropped", width=0.65)
    for xi, a, b in zip(xs, n_ok, n_full):
        ax.text(xi, a + b, f"{a + b:,}", ha="center", va="bottom", fontsize=FONT_PT)
    ax.set_xticks(xs, [c[2] for c in LOADING_CLASSES])
    ax.set_xlabel("PV built [% of the hosting limit after upgrades]")
    ax.set_ylabel("transformers")
    ax.set_ylim(0, max(1, max(a + b for a, b in zip(n_ok, n_full))) * 1.15)
    ax.set_title(f"Loading of {len(table):,} transformers", loc="left")
    ax.legend(fontsize=FONT_PT, frameon=False, loc="upper left")
    _style(ax, "y")


#: Marks of the power-flow hosting method's network limits on the grid map: (cause, marker, label key).
LIMIT_CAUSE_MARKS = (("voltage", "x", "label.limit_voltage"), ("line", "|", "label.limit_line"))


def _limit_cause_marks(ax, pts: pd.DataFrame, lang: str) -> list[Artist]:
    """Under ``grid.hosting_method: power_flow``, a black mark on each transformer whose hosting limit a bus voltage
    or a cable sets (``hosting_limit_cause``), and their legend entries (none under the rule)."""
    if "hosting_limit_cause" not in pts.columns:
        return []
    cause = pts["hosting_limit_cause"].astype(str)
    handles: list[Artist] = []
    for name, marker, key in LIMIT_CAUSE_MARKS:
        sel = (cause == name).to_numpy()
        if not sel.any():
            continue
        ax.scatter(pts.geometry.x[sel], pts.geometry.y[sel], s=22, marker=marker, color="#111111", linewidths=1.0)
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                linestyle="",
                markersize=6,
                color="#111111",
                label=label(key, lang, n=f"{int(sel.sum()):,}"),
            )
        )
    return handles


def transformer_map(
    loading: pd.DataFrame, transformer_points, *, boundary=None, ax=None, lang: str = "en", title: str | None = None
) -> Figure:
    """Transformers on the map, coloured by loading class [% of the hosting limit after upgrades], marker area ~
    that limit. ``loading``: the run's transformer table (``RunResult.transformers``, see
    :func:`transformer_loading`); ``transformer_points``: the grid file's transformer layer (points with
    ``transformer_id``), or :func:`transformer_points_of` where the run folder has no grid layer."""
    fig, ax = _fig_ax(ax, 9.5, 7.0)
    table = _loading_table(loading)
    pts = _local(transformer_points.set_index(transformer_points["transformer_id"].astype(str))[["geometry"]])
    pts = pts.join(table, how="inner")
    if boundary is not None:
        boundary.to_crs(pts.crs).boundary.plot(ax=ax, color="#666666", linewidth=0.8)
    cls = _loading_class(pts["loading_percent"].fillna(0.0))
    limit = pts["hosting_limit_final_kw"].clip(lower=0)
    size = 10 + 120 * np.sqrt(limit / max(float(limit.max()), 1.0))
    handles: list[Artist] = []
    level = pts["connection_level"].astype(str) if "connection_level" in pts.columns else pd.Series("lv", pts.index)
    substation = level.eq("mv").to_numpy()  # a substation's 10 kV side: a square
    for k, (_lo, _hi, class_label, colour) in enumerate(LOADING_CLASSES):
        sel = (cls == k).to_numpy()
        for marker, which in (("o", sel & ~substation), ("s", sel & substation)):
            ax.scatter(
                pts.geometry.x[which],
                pts.geometry.y[which],
                s=size[which],
                marker=marker,
                color=colour,
                edgecolors="#333333",
                linewidths=0.4,
                alpha=0.9,
            )
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=7,
                color=colour,
                markeredgecolor="#333333",
                label=f"{class_label} ({int(sel.sum()):,})",
            )
        )
    if substation.any():
        handles.append(
            Line2D(
                [],
                [],
                marker="s",
                linestyle="",
                markersize=7,
                color="#ffffff",
                markeredgecolor="#333333",
                label=label("label.grid_map_substations", lang, n=f"{int(substation.sum()):,}"),
            )
        )
    handles += _limit_cause_marks(ax, pts, lang)
    _km_axes(ax, lang)
    ax.set_title(title or label("label.grid_map_title", lang), loc="left")
    # a figure legend "outside" the axes: the constrained layout makes room for it (an axes legend anchored
    # outside was cut off with the y tick labels)
    fig.legend(
        handles=handles,
        fontsize=FONT_PT,
        frameon=False,
        loc="outside right upper",
        title=label("label.grid_map_legend", lang),
        title_fontsize=FONT_PT,
    )
    _style(ax, "")
    return fig


def transformer_points_of(sites):
    """A point per transformer at the centre of the candidate sites it serves (in the sites' CRS): where a run folder
    keeps no grid layer, enough to show where the headroom is."""
    import geopandas as gpd

    local = _local(sites[sites["transformer_id"].astype(str).ne("")][["transformer_id", "geometry"]])
    centre = local.geometry.representative_point()
    xy = pd.DataFrame({"x": centre.x, "y": centre.y, "transformer_id": local["transformer_id"].astype(str)})
    mean = xy.groupby("transformer_id")[["x", "y"]].mean()
    return gpd.GeoDataFrame(
        {"transformer_id": mean.index}, geometry=gpd.points_from_xy(mean["x"], mean["y"]), crs=local.crs
    )


def township_map(sites, townships, *, boundary=None, name_column: str = "name", lang: str = "en", seats=None) -> Figure:
    """Townships shaded by the capacity built in each [MWp] (the sites' ``township`` against the layer's
    ``name_column``), each labelled with its name at its seat (``seats``: points with a ``township`` column, drawn as
    a dot) or, for a township without one, at a point inside its polygon."""
    fig, ax = _fig_ax(None, 9.5, 7.0)
    built = sites[_built(sites)]
    mwp = built["capacity_kwp"].groupby(built["township"].astype(str)).sum() / 1e3
    towns = _local(townships)
    towns = towns.assign(mwp=towns[name_column].astype(str).map(mwp).fillna(0.0))
    towns.plot(
        ax=ax,
        column="mwp",
        cmap="Blues",
        edgecolor="#555555",
        linewidth=0.7,
        legend=True,
        legend_kwds={"label": f"{label('label.capacity', lang)} [{unit('MWp', lang)}]", "shrink": 0.7},
    )
    if boundary is not None:
        boundary.to_crs(towns.crs).boundary.plot(ax=ax, color="#333333", linewidth=1.0)
    at = (
        {}
        if seats is None or not len(seats)
        else dict(zip(seats["township"].astype(str), seats.to_crs(towns.crs).geometry))
    )
    for _, t in towns.iterrows():
        seat = at.get(str(t[name_column]))
        p = seat if seat is not None else t.geometry.representative_point()
        if seat is not None:
            ax.plot([p.x], [p.y], marker="o", markersize=3.5, color="#222222", zorder=3)
        ax.text(
            p.x,
            p.y,
            f"{t[name_column]}\n{t['mwp']:,.1f}",
            ha="center",
            va="bottom" if seat is not None else "center",
            fontsize=FONT_PT - 0.5,
            zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.8},
        )
    _km_axes(ax, lang)
    ax.set_title(label("label.township_map_title", lang), loc="left")
    _style(ax, "")
    return fig


# --------------------------------------------------------------------------------------------- overview


def sites_by_type(sites: pd.DataFrame) -> Figure:
    """Candidate, eligible and built sites and capacity [MWp] per site type."""
    s = pd.DataFrame(sites.drop(columns="geometry", errors="ignore"))
    types = ordered_types(s["site_type"].unique())
    built = _built(s)
    g = (
        pd.DataFrame(
            {
                "candidate": s.groupby("site_type")["capacity_kwp"].sum(),
                "eligible": s[s["eligible"].astype(bool)].groupby("site_type")["capacity_kwp"].sum(),
                "built": s[built].groupby("site_type")["capacity_kwp"].sum(),
            }
        )
        .reindex(types)
        .fillna(0.0)
        / 1000.0
    )
    n = (
        pd.DataFrame({"candidate": s.groupby("site_type").size(), "built": s[built].groupby("site_type").size()})
        .reindex(types)
        .fillna(0)
        .astype(int)
    )
    fig = _figure(11.0, 0.62 * len(types) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(types))[::-1]
    h = 0.27
    ax.barh(y + h, g["candidate"], h, color=LIGHT_GREY, label="candidate")
    ax.barh(y, g["eligible"], h, color=OKABE_ITO["sky_blue"], label="eligible")
    ax.barh(y - h, g["built"], h, color=[site_type_colour(t) for t in types], edgecolor="#333333", linewidth=0.5)
    right = float(g.to_numpy().max()) * 1.3
    for yi, g_row, n_row in zip(y, g.to_dict("records"), n.to_dict("records"), strict=True):  # rows in type order
        top = float(max(g_row.values()))
        ax.text(
            top + right * 0.01,
            yi,
            f"built {g_row['built']:,.1f} MWp, {n_row['built']:,} of {n_row['candidate']:,} sites",
            va="center",
            fontsize=FONT_PT - 0.5,
        )
    ax.set_xlim(0, right)
    ax.set_yticks(y, [site_type_label(t) for t in types])
    ax.set_xlabel("capacity [MWp]")
    ax.set_title("Capacity by site type: candidate, eligible, built", loc="left")
    ax.xaxis.set_major_formatter(thousands(0))
    ax.legend(
        handles=[
            Patch(color=LIGHT_GREY, label="candidate"),
            Patch(color=OKABE_ITO["sky_blue"], label="eligible"),
            Patch(facecolor="white", edgecolor="#333333", label="built (colour = type)"),
        ],
        fontsize=FONT_PT,
        frameon=False,
        loc="lower right",
    )
    _style(ax, "x")
    return fig


def agrivoltaic_tradeoff(table: pd.DataFrame, *, by: str = "layout", min_light_fraction: float | None = 0.8) -> Figure:
    """Energy vs crop light for agrivoltaic layouts.

    ``table``: one row per layout with ``gcr``, ``crop_light_growing_season`` [-], ``energy_mwh_per_ha_year`` and a
    column ``by`` naming the layout family (e.g. "fixed, tilt 30°"), one line each. Left: crop light in the growing
    season vs GCR; right: energy per hectare of field vs crop light (points labelled with their GCR), with the
    minimum light share as a dashed line.
    """
    fig = _figure(12.5, 4.9)
    a1, a2 = fig.subplots(1, 2)
    colours = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "black")]
    for k, (name, g) in enumerate(table.sort_values("gcr").groupby(by, sort=False)):
        c = colours[k % len(colours)]
        a1.plot(g["gcr"], 100 * g["crop_light_growing_season"], marker="o", markersize=4, color=c, label=str(name))
        a2.plot(
            100 * g["crop_light_growing_season"],
            g["energy_mwh_per_ha_year"],
            marker="o",
            markersize=4,
            color=c,
            label=str(name),
        )
        if k == 0:
            for _, r in g.iloc[::2].iterrows():
                a2.annotate(
                    f"{r['gcr']:.2f}",
                    (100 * r["crop_light_growing_season"], r["energy_mwh_per_ha_year"]),
                    textcoords="offset points",
                    xytext=(6, -14),
                    fontsize=FONT_PT - 1,
                    color=c,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.5},
                )
    if min_light_fraction is not None:
        a1.axhline(100 * min_light_fraction, color="#333333", linestyle="--", linewidth=1.0)
        a2.axvline(100 * min_light_fraction, color="#333333", linestyle="--", linewidth=1.0)
        a1.text(
            a1.get_xlim()[1],
            100 * min_light_fraction,
            f"{100 * min_light_fraction:.0f} % of open-field light ",
            va="bottom",
            ha="right",
            fontsize=FONT_PT - 0.5,
        )
    a1.set_xlabel("ground coverage ratio, GCR [-]")
    a1.set_ylabel("light reaching the crop [% of open field]")
    a1.set_title("Crop light in the growing season (Apr-Oct)", loc="left")
    a1.legend(fontsize=FONT_PT, frameon=False, loc="lower left")
    _style(a1)
    a2.set_xlabel("light reaching the crop, growing season [% of open field]")
    a2.set_ylabel("PV energy [MWh per ha of field per year]")
    a2.yaxis.set_major_formatter(thousands(0))
    a2.set_title("Energy vs crop light (labels: GCR)", loc="left")
    a2.legend(fontsize=FONT_PT, frameon=False, loc="upper right")
    _style(a2)
    return fig


def run_figures(result, transformer_points=None) -> dict[str, Figure]:
    """The standard set of figures of one run; the transformer loading figure when the run has its transformer
    table (``result.transformers``). ``transformer_points``: the grid file's transformer layer, drawn on the map."""
    s = result.summary
    figs = {
        "capacity": capacity_timeline(result.sites, start_date=s.get("start_date"), milestones=s.get("milestones")),
        "energy_co2": energy_co2_by_year(result.annual),
        "resources": resource_utilisation(s.get("resources") or {}),
        "pilot": pilot_coverage(s.get("pilot_coverage") or {}),
        "by_type": sites_by_type(result.sites),
        "map": site_map(result.sites, transformer_points),
    }
    if getattr(result, "transformers", None) is not None:
        figs["transformers"] = transformer_loading(result.transformers)
    return figs
