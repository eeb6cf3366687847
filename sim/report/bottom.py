"""The bottom line of a run report: three or four plain sentences on its first screen, before the warnings and the
detail. What was built by when against the target; the money (budget spent and lapsed, or capex); the CO2 avoided
with the range of the grid-factor paths; the risks (grid hosting, tracks and pilot minimums missed, saturated
resources). Every number is the report's own (the summary, ``budget.csv`` and the sites table), in the report's
language and the run's currency.
"""

from __future__ import annotations

import datetime as dt

from ..labels import joined, label, money, quantity, quantity_range, track_label


def month(iso_date: str | None, lang: str) -> str:
    """``2030-08-08`` -> ``August 2030`` / ``2030年8月``."""
    if not iso_date:
        return "-"
    d = dt.date.fromisoformat(str(iso_date)[:10])
    return f"{d.year}年{d.month}月" if lang == "zh" else d.strftime("%B %Y")


def _capacity(summary: dict, target_kwp: float | None, lang: str) -> str:
    built = quantity(summary.get("capacity_built_kwp"), "kWp", lang)
    reached = (summary.get("milestones") or {}).get("100%")
    when = reached or summary.get("last_commission_date")
    if not target_kwp:
        return label("bottom.capacity_no_target", lang, capacity=built, date=month(when, lang))
    target = quantity(target_kwp, "kWp", lang)
    if not reached:
        return label("bottom.capacity_missed", lang, capacity=built, target=target)
    return label("bottom.capacity", lang, capacity=built, date=month(reached, lang), target=target)


def _money(summary: dict, budget, lang: str) -> str:
    cur = summary.get("currency")
    if budget is not None and len(budget) and float(budget["budget_cny"].sum()) > 0:
        return label(
            "bottom.budget",
            lang,
            spent=money(float(budget["spent_cny"].sum()), "CNY", lang, cur),
            budget=money(float(budget["budget_cny"].sum()), "CNY", lang, cur),
            lapsed=money(float(budget["lapsed_cny"].sum()), "CNY", lang, cur),
        )
    return label("bottom.capex", lang, capex=money(summary.get("capex_cny"), "CNY", lang, cur))


def _co2(summary: dict, lang: str) -> str:
    spread = summary.get("co2_avoided_range_t") or {}
    co2 = quantity(summary.get("co2_avoided_t"), "t", lang)
    if spread.get("low") is None or spread.get("low") == spread.get("high"):
        return label("bottom.co2_single", lang, co2=co2, n=summary.get("horizon_years"))
    return label(
        "bottom.co2",
        lang,
        co2=co2,
        n=summary.get("horizon_years"),
        range=quantity_range(spread["low"], spread["high"], "t", lang),
    )


def risks(summary: dict, sites, lang: str) -> list[str]:
    """Short names of what threatens the programme, most binding first: grid hosting (sites dropped, in how many
    townships), tracks that missed their targets, pilot minimums missed, resources or offices saturated,
    curtailment."""
    out = []
    status = sites["status"].astype(str) if sites is not None and "status" in sites else None
    dropped = int((summary.get("sites_by_status") or {}).get("dropped_hosting") or 0)
    if dropped:
        towns = (
            sites.loc[status.eq("dropped_hosting"), "township"].replace("", None).dropna().nunique()
            if status is not None and "township" in sites
            else 0
        )
        out.append(label("risk.hosting", lang, n=f"{dropped:,}", k=f"{towns:,}"))
    missed = [
        track_label(name, lang)
        for name, t in (summary.get("by_track") or {}).items()
        if t.get("target_capacity_kwp") and not (t.get("milestones") or {}).get("100%")
    ]
    if missed:
        out.append(label("risk.track_missed", lang, tracks=joined(missed, lang)))
    pilot = [label(f"pilot.{k}", lang) for k, c in (summary.get("pilot_coverage") or {}).items() if not c.get("met")]
    if pilot:
        out.append(label("risk.pilot", lang, names=joined(pilot, lang)))
    if summary.get("warnings"):
        out.append(label("risk.saturated", lang, n=len(summary["warnings"])))
    if float(summary.get("curtailed_mwh") or 0.0) > 0:
        out.append(label("risk.curtailment", lang, value=quantity(summary["curtailed_mwh"], "MWh", lang)))
    return out


def bottom_line(
    summary: dict, *, target_kwp: float | None = None, budget=None, sites=None, lang: str = "en"
) -> list[str]:
    """The three or four sentences of the report's first screen (see the module docstring)."""
    found = risks(summary, sites, lang)
    risk = (
        label("bottom.risks", lang, risks=joined(found, lang, parts=True)) if found else label("bottom.no_risks", lang)
    )
    return [_capacity(summary, target_kwp, lang), _money(summary, budget, lang), _co2(summary, lang), risk]
