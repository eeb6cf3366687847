"""The report of one run folder (``pvsim report RUN_DIR``), for a county's leadership.

Sections: the programme (target, budget, build window, horizon, strategy, teams), key figures (units that rescale),
the run's warnings in a visible box, the assumptions behind every money and carbon figure, whole-county pilot
coverage, charts over time, resources and queues, a map (county boundary, townships, exclusion zones, built sites by
type, scale bar, north arrow) and tables by site type and outcome. The programme, the assumptions and the map layers
come from the scenario (``--scenario``, or the file the run records); without it the report says so and shows what
the run folder holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._config import PILOT_TARGETS_PERCENT
from ..errors import InputError
from ..labels import COLON, headed, joined, label, money, quantity, quantity_range, track_label, warning_text
from ..results import OUTPUT_FILES, RunResult, read_run
from . import _html as h
from ._context import Context, load_context
from .bottom import bottom_line


def check_run_folder(run_dir: Path) -> None:
    """Raise :class:`InputError` naming the folder and the missing files if it is not a complete run folder."""
    allowed = "a folder written by 'pvsim run' (" + ", ".join(OUTPUT_FILES) + ") or 'pvsim compare'"
    if not run_dir.is_dir():
        raise InputError("folder not found", file=run_dir, field="FOLDER", allowed=allowed)
    missing = [f for f in OUTPUT_FILES if not (run_dir / f).is_file()]
    if missing:
        raise InputError(
            f"not a complete pvsim run folder: missing {', '.join(missing)}",
            file=run_dir,
            field="FOLDER",
            allowed=allowed,
        )


# --------------------------------------------------------------------------------------------- numbers


def _has_target(summary: dict, target_kwp: float | None) -> bool:
    """Whether the milestones count a target (the programme's own, ``summary["target_capacity_kwp"]``) rather than
    the capacity released; summaries written before that key use the scenario's target."""
    return bool(summary.get("target_capacity_kwp") if "target_capacity_kwp" in summary else target_kwp)


def _milestone_card(milestones: dict, target_kwp: float | None, lang: str, horizon, has_target: bool = True) -> tuple:
    """One card for the target: the date 100 % was online, with the 25 % and 50 % dates beneath; without a
    target, of the capacity released, and said so."""
    target = quantity(target_kwp, "kWp", lang) if target_kwp else label("label.capacity_target_default", lang)
    not_reached = label("label.not_reached", lang)
    pct = "%" if lang == "zh" else " %"
    earlier = joined(
        (
            f"{share[:-1]}{pct}{'：' if lang == 'zh' else ': '}{milestones.get(share) or not_reached}"
            for share in ("25%", "50%")
        ),
        lang,
        parts=True,
    )
    if not has_target:
        return (
            label("label.milestone_released", lang, share=f"100{pct}"),
            milestones.get("100%") or not_reached,
            joined([label("label.no_target", lang), earlier], lang, parts=True),
        )
    return (
        label("label.milestone", lang, share=f"100{pct}", target=target),
        milestones.get("100%") or not_reached,
        joined([label("label.within_years", lang, n=horizon), earlier], lang, parts=True),
    )


def _upgrades_text(summary: dict, lang: str) -> str:
    """The grid upgrades the stakeholder table books: how many entered service and what they cost in all."""
    n = sum(int(v) for v in (summary.get("grid_upgrades_by_year") or {}).values())
    cost = float(summary.get("grid_upgrade_cost_cny") or 0.0)
    if not n:
        return label("label.upgrades_none", lang)
    return label("label.upgrades_cost", lang, n=f"{n:,}", cost=_money(cost, "CNY", summary, lang))


def _money(value, base_unit: str, summary: dict, lang: str, decimals: int | None = None) -> str:
    """Money labelled in the run's currency (:func:`sim.labels.money`)."""
    return money(value, base_unit, lang, summary.get("currency"), decimals)


def _co2_note(summary: dict, lang: str) -> str:
    """The grid-factor paths' range and the life-cycle comparison, beside the central CO2 avoided."""
    spread = summary.get("co2_avoided_range_t") or {}
    parts = []
    if spread and spread.get("low") != spread.get("high"):
        parts.append(
            label("label.co2_paths", lang, range=quantity_range(spread.get("low"), spread.get("high"), "t", lang))
        )
    parts.append(label("label.co2_lifecycle", lang, value=quantity(summary.get("co2_avoided_lifecycle_t"), "t", lang)))
    return joined(parts, lang, parts=True)


def _climate_note(summary: dict, key: str, base_unit: str, lang: str) -> list[str]:
    """The headline figure ``key`` on the shipped climatologies near the county (``climatology_range``), or
    nothing."""
    spread = summary.get("climatology_range") or {}
    if len(spread) < 2:
        return []
    values = sorted((float(c[key]), c.get("period") or name) for name, c in spread.items())
    return [
        label(
            "label.climate_range",
            lang,
            low=quantity(values[0][0], base_unit, lang),
            high=quantity(values[-1][0], base_unit, lang),
            years=joined([period for _, period in values], lang),
        )
    ]


def _self_use_note(summary: dict, lang: str) -> list[str]:
    share = summary.get("self_consumption_percent")
    return [] if share is None else [label("label.self_consumption_note", lang, share=f"{float(share):.0f} %")]


def key_figures(summary: dict, lang: str = "en", target_kwp: float | None = None) -> list[tuple[str, str, str]]:
    """``(label, value, note)`` of the headline numbers, as the report writes them (units rescale)."""
    s, ms, n = summary, summary.get("milestones") or {}, summary.get("horizon_years")
    return [
        (
            label("label.sites_built", lang),
            f"{int(s.get('sites_built') or 0):,}",
            label("label.of_eligible", lang, n=f"{int(s.get('sites_eligible') or 0):,}"),
        ),
        (
            label("label.capacity_built", lang),
            quantity(s.get("capacity_built_kwp"), "kWp", lang),
            label("label.of_eligible", lang, n=quantity(s.get("capacity_eligible_kwp"), "kWp", lang)),
        ),
        (
            label("label.energy", lang),
            quantity(s.get("energy_mwh"), "MWh", lang),
            joined(
                [
                    label("label.over_years", lang, n=n),
                    *_climate_note(s, "energy_mwh", "MWh", lang),
                    *_self_use_note(s, lang),
                ],
                lang,
                parts=True,
            ),
        ),
        (
            label("label.co2_ams_id", lang),
            quantity(s.get("co2_avoided_t"), "t", lang),
            joined([_co2_note(s, lang), *_climate_note(s, "co2_avoided_t", "t", lang)], lang, parts=True),
        ),
        (label("label.capex", lang), _money(s.get("capex_cny"), "CNY", s, lang), label("label.of_sites_built", lang)),
        (
            label("label.lcoe", lang),
            _money(s.get("lcoe_cny_per_kwh"), "CNY/kWh", s, lang, decimals=3),
            f"{label('label.npv', lang)} {_money(s.get('npv_cny'), 'CNY', s, lang)}",
        ),
        (
            label("label.cost_per_t_net", lang),
            _money(s.get("net_cost_per_t_co2_cny"), "CNY/t", s, lang, decimals=0),
            label(
                "label.cost_social_note",
                lang,
                gross=_money(s.get("cost_per_t_co2_cny"), "CNY/t", s, lang, decimals=0),
                social=_money(s.get("social_cost_per_t_co2_cny"), "CNY/t", s, lang, decimals=0),
            )
            if s.get("social_cost_per_t_co2_cny") is not None
            else label(
                "label.cost_gross_note", lang, value=_money(s.get("cost_per_t_co2_cny"), "CNY/t", s, lang, decimals=0)
            ),
        ),
        *(
            [
                (
                    label("label.curtailed", lang),
                    quantity(s.get("curtailed_mwh"), "MWh", lang),
                    label("label.curtailed_note", lang),
                )
            ]
            if float(s.get("curtailed_mwh") or 0.0) > 0
            else []
        ),
        _milestone_card(ms, target_kwp, lang, n, _has_target(s, target_kwp)),
    ]


def run_warnings(summary: dict, lang: str = "en", *, target_kwp: float | None = None) -> list[str]:
    """What a reader must not miss: the rollout's saturation warnings (``summary["warnings"]``: resources more than
    90 % busy, requests still queued at the horizon, stages above their service limit; the rule lives in
    :mod:`sim.rollout.observe`), milestones not reached, sites dropped for lack of hosting capacity, curtailment,
    pilot minimums not met."""
    out = [warning_text(str(w), lang) for w in summary.get("warnings") or []]
    missed_key = "label.milestone_missed" if _has_target(summary, target_kwp) else "label.milestone_missed_released"
    for share, date in (summary.get("milestones") or {}).items():
        if not date:
            out.append(
                label(
                    missed_key,
                    lang,
                    share=f"{share[:-1]}{'%' if lang == 'zh' else ' %'}",
                    n=summary.get("horizon_years"),
                )
            )
    dropped = int((summary.get("sites_by_status") or {}).get("dropped_hosting") or 0)
    if dropped:
        out.append(label("label.dropped", lang, n=f"{dropped:,}"))
    if float(summary.get("curtailed_mwh") or 0.0) > 0:
        out.append(label("label.curtailment", lang, value=quantity(summary["curtailed_mwh"], "MWh", lang)))
    missed = [
        label(f"pilot.{k}", lang)
        for k, c in (summary.get("pilot_coverage") or {}).items()
        if not c.get("met") and int(c.get("candidates") or 0) > 0
    ]  # no roofs of a category: nothing missed
    if missed:
        out.append(label("label.pilot_not_met", lang, names=joined(missed, lang)))
    return out


# --------------------------------------------------------------------------------------------- tables


def money_flows(summary: dict, lang: str = "en") -> str:
    """The stakeholder table: present value of each party's flows by item (``summary["stakeholder_flows_cny"]``),
    parties as columns, a total per item and per party (transfers cancel in the total column)."""
    from ..economics import FLOW_ITEMS, STAKEHOLDERS
    from ..labels import common_scale, in_currency, unit

    flows = summary.get("stakeholder_flows_cny") or {}
    if not flows:
        return ""
    parties = [p for p in STAKEHOLDERS if p in flows]
    items = [i for i in FLOW_ITEMS if any(i in flows[p] for p in parties)]
    cell = {(i, p): float(flows[p].get(i, 0.0)) for i in items for p in parties}
    divisor, name = common_scale([abs(v) for v in cell.values()], "CNY", lang)
    money_unit = in_currency(unit(name, lang), summary.get("currency"), lang)

    def fmt(v: float) -> str:
        return "-" if v == 0 else f"{v / divisor:,.1f}"

    rows = [
        [label(f"flow.{i}", lang), *[fmt(cell[i, p]) for p in parties], fmt(sum(cell[i, p] for p in parties))]
        for i in items
    ]
    rows.append(
        [label("label.total", lang), *[fmt(sum(cell[i, p] for i in items)) for p in parties], fmt(sum(cell.values()))]
    )
    header = [
        label("label.flow_item", lang),
        *[headed(label(f"stakeholder.{p}", lang), money_unit, lang) for p in parties],
        headed(label("label.total", lang), money_unit, lang),
    ]
    investor = summary.get("investor") or ""
    irr, payback = summary.get("investor_irr_percent"), summary.get("investor_payback_years")
    returns = label(
        "label.investor_returns",
        lang,
        investor=label(f"stakeholder.{investor}", lang, default=investor),
        irr="-" if irr is None else f"{irr:.1f} %",
        payback="-" if payback is None else f"{payback:.1f} {label('unit.years', lang)}",
    )
    caption = label(
        "caption.money_flows",
        lang,
        rate=f"{float(summary.get('discount_rate_percent') or 0):g}",
        model=label(
            f"business_model.{summary.get('business_model')}", lang, default=str(summary.get("business_model"))
        ),
        investor=label(f"stakeholder.{investor}", lang, default=investor),
        upgrades=_upgrades_text(summary, lang),
    )
    return (
        f'<h3 id="money-flows">{h.e(label("report.money_flows", lang))}</h3>'
        f"<p>{h.e(caption)}</p>" + h.table(header, rows) + f"<p>{h.e(returns)}</p>"
    )


def _pilot_table(coverage: dict, lang: str) -> str:
    if not coverage:
        return f"<p>{h.e(label('label.no_pilot', lang))}</p>"
    rows, classes = [], []
    for name, c in coverage.items():
        met = bool(c.get("met"))
        none = int(c.get("candidates") or 0) == 0  # no roofs of the category: nothing to meet
        rows.append(
            [
                label(f"pilot.{name}", lang),
                f"{int(c.get('candidates') or 0):,}",
                f"{int(c.get('eligible') or 0):,}",
                f"{int(c.get('built') or 0):,}",
                f"{float(c.get('share_percent') or 0):,.1f} %",
                f"{float(c.get('target_percent') or 0):,.0f} %",
                "-" if none else label("label.met" if met else "label.not_met", lang),
            ]
        )
        classes.append([""] * 6 + ["" if none else "ok" if met else "no"])
    return h.table(
        [
            label(k, lang)
            for k in (
                "label.pilot_category",
                "label.candidate_roofs",
                "label.eligible",
                "label.built",
                "label.share_built",
                "label.pilot_minimum",
                "label.target_met",
            )
        ],
        rows,
        classes=classes,
    )


def _resource_table(resources: dict, lang: str) -> str:
    days = label("unit.days", lang)
    rows = [
        [
            label(f"resource.{name}", lang),
            f"{int(r.get('capacity') or 0):,}",
            f"{float(r.get('utilisation_percent') or 0):.0f} %",
            f"{float(r.get('mean_wait_days') or 0):,.1f}",
            f"{float(r.get('p95_wait_days') or 0):,.1f}",
            f"{int(r.get('max_queue_length') or 0):,}",
        ]
        for name, r in resources.items()
    ]
    return h.table(
        [
            label("label.resource", lang),
            label("label.units", lang),
            label("label.utilisation", lang),
            headed(label("label.mean_wait", lang), days, lang),
            headed(label("label.p95_wait", lang), days, lang),
            label("label.max_queue", lang),
        ],
        rows,
    )


def _type_table(result: RunResult, lang: str) -> str:
    """Candidates, eligible and built sites per type, with capacity, energy and CO2 built, one unit per column."""
    from ..labels import common_scale, unit
    from ..plotting import ordered_types, site_type_label

    s = result.sites
    built = s["status"].astype(str).eq("operating")
    types = ordered_types(s["site_type"].unique())
    sums = {
        col: s[built].groupby("site_type")[col].sum().reindex(types).fillna(0.0)
        for col in ("capacity_kwp", "energy_mwh", "co2_avoided_t")
    }
    scales = {
        col: common_scale(sums[col], base, lang)
        for col, base in (("capacity_kwp", "kWp"), ("energy_mwh", "MWh"), ("co2_avoided_t", "t"))
    }
    rows = []
    for t in types:
        sel = s["site_type"].eq(t)
        rows.append(
            [
                site_type_label(t, lang),
                f"{int(sel.sum()):,}",
                f"{int((sel & s['eligible'].astype(bool)).sum()):,}",
                f"{int((sel & built).sum()):,}",
                *[_column_value(sums[col][t], scales[col][0]) for col in sums],
            ]
        )
    header = [label(k, lang) for k in ("label.site_type", "label.candidates", "label.eligible", "label.built")]
    header += [
        headed(label(k, lang), unit(scales[col][1], lang), lang)
        for k, col in (
            ("label.capacity", "capacity_kwp"),
            ("label.energy_short", "energy_mwh"),
            ("label.co2_short", "co2_avoided_t"),
        )
    ]
    return h.table(header, rows)


def _column_value(value: float, divisor: float) -> str:
    from ..labels import decimals_for

    v = float(value) / divisor
    return "-" if v == 0 else f"{v:,.{decimals_for(v)}f}"


def outcome_counts(result: RunResult) -> dict[str, int]:
    """Sites per outcome as the model decides them, with ``not_released`` split by why the office held the site:
    ``held_target`` (its track, or the programme, reached its capacity target: the office stops releasing then),
    ``no_track`` (its type is in no programme track) or ``not_released`` (the money or the build window ran out)."""
    s = result.summary
    counts = {k: int(v) for k, v in (s.get("sites_by_status") or {}).items()}
    held = result.sites[result.sites["status"].astype(str).eq("not_released")]
    if held.empty or "not_released" not in counts:
        return counts
    tracks = s.get("by_track") or {}
    track = held["track"].astype(str).fillna("") if "track" in held else pd.Series("", index=held.index)
    reached = {name for name, t in tracks.items() if (t.get("milestones") or {}).get("100%")}
    if tracks:
        reason = np.where(track.eq(""), "no_track", np.where(track.isin(reached), "held_target", "not_released"))
    else:
        done = bool((s.get("milestones") or {}).get("100%"))
        reason = np.full(len(held), "held_target" if done else "not_released")
    split = pd.Series(reason).value_counts()
    counts.pop("not_released")
    for key in ("held_target", "no_track", "not_released"):
        if split.get(key):
            counts[key] = int(split[key])
    return counts


def _status_table(result: RunResult, lang: str) -> str:
    rows = [[label(f"status.{k}", lang), f"{v:,}"] for k, v in outcome_counts(result).items()]
    return h.table([label("label.outcome", lang), label("unit.sites", lang)], rows)


def _stage_table(result: RunResult, lang: str) -> str:
    st = result.stage_durations
    if st is None or len(st) == 0:
        return ""
    days = label("unit.days", lang)
    rows = [
        [
            label(f"stage.{r['stage']}", lang),
            f"{int(r['n']):,}",
            f"{r['mean_days']:,.1f}",
            f"{r['p50_days']:,.1f}",
            f"{r['p95_days']:,.1f}",
        ]
        for _, r in st.iterrows()
    ]
    return (
        f"<h3>{h.e(label('report.stages', lang))}</h3>"
        + h.table(
            [
                label("label.stage", lang),
                label("unit.sites", lang),
                headed(label("label.mean", lang), days, lang),
                headed(label("label.median", lang), days, lang),
                headed(label("label.p95", lang), days, lang),
            ],
            rows,
        )
        + f"<p>{h.e(label('note.service_limits', lang))}</p>"
    )


# --------------------------------------------------------------------------------------------- sections


def _programme(ctx: Context, summary: dict, lang: str) -> str:
    from ._context import programme_items

    items = programme_items(ctx, summary, lang)
    return (
        f'<h2 id="programme">{h.e(label("report.programme", lang))}</h2>'
        + h.definitions(items)
        + _track_table(summary, lang)
    )


def _track_table(summary: dict, lang: str) -> str:
    """Per programme track (its name in ``lang`` with its key): its site types, what it built against its target,
    its capex, energy and CO2 (each column in one unit, in the header)."""
    from ..labels import common_scale, in_currency, unit
    from ..plotting import site_type_label

    tracks = summary.get("by_track") or {}
    if not tracks:
        return ""
    scales = {
        col: common_scale([t[col] for t in tracks.values()], base, lang)
        for col, base in (("capex_cny", "CNY"), ("energy_mwh", "MWh"), ("co2_avoided_t", "t"))
    }
    rows = [
        [
            _named(track_label(name, lang), name, lang),
            joined((site_type_label(t, lang) for t in tr["site_types"]), lang),
            f"{int(tr['sites_built']):,}",
            quantity(tr["capacity_built_kwp"], "kWp", lang),
            quantity(tr["target_capacity_kwp"], "kWp", lang),
            *[_column_value(tr[col], scales[col][0]) for col in scales],
            (tr.get("milestones") or {}).get("100%") or "-",
        ]
        for name, tr in tracks.items()
    ]
    units = [in_currency(unit(scales[col][1], lang), summary.get("currency"), lang) for col in scales]
    header = [
        label(k, lang) for k in ("label.track", "label.site_type", "label.built", "label.capacity", "label.target")
    ]
    header += [
        headed(label(k, lang), u, lang) for k, u in zip(("label.capex", "label.energy_short", "label.co2_short"), units)
    ]
    header.append(label("label.target_reached", lang))
    return f"<h3>{h.e(label('label.tracks', lang))}</h3>" + h.table(header, rows, left=2)


def _named(text: str, key: str, lang: str = "en") -> str:
    """A human name with the scenario's key beside it when they differ: ``rooftop pilot (rooftop_pilot)``,
    ``屋顶试点（rooftop_pilot）``."""
    from ..labels import parenthesised

    return text if text == key else text + parenthesised(key, lang)


def _assumptions(ctx: Context, summary: dict, lang: str) -> str:
    from ._context import assumption_rows

    rows = assumption_rows(ctx, summary, lang)
    return f'<h2 id="assumptions">{h.e(label("report.assumptions", lang))}</h2>' + h.table(
        [label("label.assumption", lang), label("label.value", lang), label("label.source", lang)],
        rows,
        left=3,
        classes=[["", "", "src"] for _ in rows],
    )


def _targets(summary: dict, target_kwp: float | None) -> dict[str, float]:
    """The lines of the timeline: each track's target, else the programme's."""
    tracks = {
        name: t["target_capacity_kwp"]
        for name, t in (summary.get("by_track") or {}).items()
        if t.get("target_capacity_kwp")
    }
    return tracks or ({"programme": target_kwp} if target_kwp else {})


def _charts(result: RunResult, lang: str, target_kwp: float | None = None) -> list[str]:
    from .. import plotting

    s = result.summary
    has_target = _has_target(s, target_kwp)
    return [
        f'<h2 id="charts">{h.e(label("report.charts", lang))}</h2>',
        h.img(
            plotting.capacity_timeline(
                result.sites,
                start_date=s.get("start_date"),
                milestones=s.get("milestones"),
                lang=lang,
                targets=_targets(s, target_kwp),
                milestone_label="label.milestone_short" if has_target else "label.milestone_short_released",
            ),
            label("caption.capacity_alt", lang),
            label("caption.capacity" if has_target else "caption.capacity_released", lang),
        ),
        *_budget(result, lang),
        h.img(
            plotting.energy_co2_by_year(result.annual, lang=lang),
            label("caption.energy_alt", lang),
            label("caption.energy", lang),
        ),
        f'<h2 id="resources">{h.e(label("report.resources", lang))}</h2>',
        h.img(
            plotting.resource_utilisation(s.get("resources") or {}, lang=lang),
            label("caption.resources_alt", lang),
            label("caption.resources", lang),
        ),
        _resource_table(s.get("resources") or {}, lang),
        _stage_table(result, lang),
    ]


def _budget(result: RunResult, lang: str) -> list[str]:
    """The programme's money by year, as a chart and a table: budget, committed, spent, lapsed (one unit per
    column, in the run's currency)."""
    from ..labels import common_scale, in_currency, unit
    from ..plotting import budget_by_year

    budget, cur = result.budget, result.summary.get("currency")
    if budget is None or budget.empty:
        return []
    columns = ("budget_cny", "committed_cny", "spent_cny", "lapsed_cny")
    divisor, name = common_scale(budget[list(columns)].to_numpy().ravel(), "CNY", lang)
    money_unit = in_currency(unit(name, lang), cur, lang)
    rows = [[str(int(r["year"])), *[_column_value(r[c], divisor) for c in columns]] for _, r in budget.iterrows()]
    rows.append([label("label.total", lang), *[_column_value(budget[c].sum(), divisor) for c in columns]])
    header = [
        label("label.year", lang),
        *[headed(label(f"label.money_{c[:-4]}", lang), money_unit, lang) for c in columns],
    ]
    return [
        f'<h3 id="budget">{h.e(label("report.budget", lang))}</h3>',
        h.img(
            budget_by_year(budget, lang=lang, currency=cur), label("report.budget", lang), label("caption.budget", lang)
        ),
        h.table(header, rows),
    ]


def _townships(result: RunResult, ctx: Context, lang: str) -> list[str]:
    """Per township (as the data names it): candidate and built sites, capacity and capex built, rural households
    covered (the numbers of :func:`sim.workbook.by_township`)."""
    from ..labels import in_currency, unit
    from ..workbook import by_township

    table = by_township(result.sites, "CNY")
    if table.empty:
        return []
    from ..labels import common_scale

    cur = result.summary.get("currency")
    capex = table.iloc[:, 4].to_numpy(float) * 1e6  # by_township gives millions
    divisor, name = common_scale(capex, "CNY", lang)
    rows = [
        [
            r.iloc[0],
            f"{int(r.iloc[1]):,}",
            f"{int(r.iloc[2]):,}",
            _column_value(r.iloc[3], 1.0),
            _column_value(c, divisor),
            f"{int(r.iloc[5]):,}",
        ]
        for c, (_, r) in zip(capex, table.iterrows())
    ]
    header = [
        label("label.township", lang),
        label("label.candidates", lang),
        label("label.built", lang),
        headed(label("label.capacity", lang), unit("MWp", lang), lang),
        headed(label("label.capex", lang), in_currency(unit(name, lang), cur, lang), lang),
        label("label.households", lang),
    ]
    parts = [f'<h3 id="townships">{h.e(label("report.townships", lang))}</h3>']
    towns = ctx.layers.get("townships")
    if towns is not None and len(towns) and "name" in towns:
        from ..plotting import township_map

        seats = ctx.layers.get("seats")
        parts.append(
            h.img(
                township_map(result.sites, towns, boundary=ctx.layers.get("boundary"), lang=lang, seats=seats),
                label("report.townships", lang),
                label(
                    "caption.township_map" if seats is not None and len(seats) else "caption.township_map_inside", lang
                ),
            )
        )
    return parts + [h.table(header, rows)]


def _map(result: RunResult, ctx: Context, lang: str) -> list[str]:
    from .. import plotting

    parts = [f'<h2 id="map">{h.e(label("report.map", lang))}</h2>']
    if ctx.layers.get("boundary") is None:
        parts.append(h.note(label("report.no_layers", lang)))
    fig = plotting.county_map(
        result.sites,
        ctx.layers,
        lang=lang,
        title=label(
            "caption.map_title",
            lang,
            n=f"{int(result.summary.get('sites_built') or 0):,}",
            mw=quantity(result.summary.get("capacity_built_kwp"), "kWp", lang),
        ),
    )
    parts.append(h.img(fig, label("caption.map_alt", lang), label("caption.map", lang)))
    return parts + _townships(result, ctx, lang) + _grid(result, ctx, lang)


def _grid(result: RunResult, ctx: Context, lang: str) -> list[str]:
    """Where the grid's headroom is: every transformer coloured by how full its hosting limit is."""
    from .. import plotting

    if result.transformers is None or result.transformers.empty or "transformer_id" not in result.sites:
        return []
    own = ctx.layers.get("transformers")  # each transformer's own position, where the folder keeps it
    points = own if own is not None and len(own) else plotting.transformer_points_of(result.sites)
    fig = plotting.transformer_map(result.transformers, points, boundary=ctx.layers.get("boundary"), lang=lang)
    return [
        f'<h3 id="grid">{h.e(label("report.grid", lang))}</h3>',
        h.img(
            fig,
            label("report.grid", lang),
            label("caption.grid_map_own" if points is own else "caption.grid_map", lang),
        ),
        *_networks_note(result.transformers, ctx, lang),
    ]


def _networks_note(transformers, ctx: Context, lang: str) -> list[str]:
    """Under the power-flow method, which networks were synthetic and the assumptions of the networks
    (``transformers.csv`` ``network``): the low-voltage networks', and the 10 kV feeders' where there are
    substations; nothing under the rule."""
    kinds = transformers.get("network")
    if kinds is None or not kinds.fillna("").astype(str).ne("").any():
        return []
    kinds = kinds.fillna("").astype(str)
    level = (
        transformers["connection_level"].astype(str)
        if "connection_level" in transformers
        else kinds.map(lambda _: "lv")
    )
    grid = ctx.scenario.grid if ctx.scenario is not None else None
    out = []
    for lvl, key, vmax, layer in (
        ("lv", "label.lv_networks_synthetic", grid.voltage_max_pu if grid else 1.07, "lines"),
        ("mv", "label.mv_networks_synthetic", grid.mv_voltage_max_pu if grid else 1.07, "feeders"),
    ):
        mine = kinds[level.eq(lvl) & kinds.ne("")]
        if len(mine):
            text = label(
                key,
                lang,
                n=f"{len(mine):,}",
                synthetic=f"{int(mine.eq('synthetic').sum()):,}",
                lines=f"{int(mine.eq(layer).sum()):,}",
                vmax=f"{vmax:g}",
            )
            out.append(f"<p>{h.e(text)}</p>")
    return out


def render_html(result: RunResult, *, lang: str = "en", ctx: Context | None = None) -> str:
    """The report of ``result`` as one self-contained HTML string (``ctx``: the scenario's programme and layers)."""
    ctx = ctx or Context()
    s = result.summary
    target = ctx.scenario.rollout.target_capacity_kwp if ctx.scenario is not None else None
    title = label("report.run_title", lang)
    strategy = label(f"strategy.{s.get('strategy')}", lang, default=str(s.get("strategy")))
    subtitle = (
        f"{s.get('scenario')} · {label('label.strategy', lang)}{COLON[lang]}{strategy} · "
        f"{label('label.seed', lang)} {s.get('seed')} · pvsim {s.get('version')}"
    )
    body = [f'<h1 id="title">{h.e(title)}</h1>', f'<p class="meta">{h.e(subtitle)}</p>']
    body += [h.note(n) for n in ctx.notes(lang)]
    body += [
        f'<h2 id="bottom-line">{h.e(label("report.bottom_line", lang))}</h2>',
        h.sentences(bottom_line(s, target_kwp=target, budget=result.budget, sites=result.sites, lang=lang)),
        h.warnings_box(
            label("report.warnings", lang), run_warnings(s, lang, target_kwp=target), label("report.no_warnings", lang)
        ),
        f'<h2 id="key-figures">{h.e(label("report.key_figures", lang))}</h2>',
        h.cards(key_figures(s, lang, target)),
        _programme(ctx, s, lang),
        money_flows(s, lang),
        _assumptions(ctx, s, lang),
        f'<h2 id="pilot">{h.e(label("report.pilot", lang))}</h2>',
        f"<p>{h.e(label('caption.pilot', lang, minimums=_pilot_minimums(lang)))}</p>",
        _pilot_table(s.get("pilot_coverage") or {}, lang),
        *_charts(result, lang, target),
        *_map(result, ctx, lang),
        f'<h2 id="sites">{h.e(label("report.sites", lang))}</h2>',
        _type_table(result, lang),
        f"<h3>{h.e(label('report.outcomes', lang))}</h3>",
        _status_table(result, lang),
    ]
    return h.page(f"{title}{COLON[lang]}{s.get('scenario')}", lang, body, h.footer(lang))


def _pilot_minimums(lang: str) -> str:
    return joined(
        (
            f"{label(f'pilot.{c}', lang)} {v:g}%" if lang == "zh" else f"{label(f'pilot.{c}', lang)} {v:g} %"
            for c, v in PILOT_TARGETS_PERCENT.items()
        ),
        lang,
    )


def write_report(run_dir: str | Path, *, lang: str = "en", scenario=None, out: str | Path | None = None) -> Path:
    """Write the report of the run folder ``run_dir`` (default ``run_dir/report.html``, atomically); returns its
    path. ``scenario``: the run's scenario (a path or a loaded :class:`sim.scenario.Scenario`) for the programme,
    the assumptions and the map layers.

    Raises :class:`sim.errors.InputError` naming the folder and the missing files when ``run_dir`` is not a
    complete run folder.
    """
    from .._io import atomic_write
    from ..labels import check_lang

    run_dir = Path(run_dir).expanduser()
    check_lang(lang)
    check_run_folder(run_dir)
    result = read_run(run_dir)
    ctx = load_context(scenario, result.summary, run_dir)
    return atomic_write(Path(out) if out else run_dir / h.report_name(lang), render_html(result, lang=lang, ctx=ctx))
