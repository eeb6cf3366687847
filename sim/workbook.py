"""The key tables of a run, for the people who paste them into a document: summary, by year, by township, by track
and budget, each a DataFrame with units (and the run's currency) in its headers, and all of them as one XLSX
workbook (``tables.xlsx``, beside the CSV files; written by every run, byte-identical for the same run).

The township table is the one the run report shows (one home): per township, the candidate and built sites, the
capacity and capex built and the rural households covered (built rural-home sites, one household each).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pandas as pd

from .labels import in_currency

WORKBOOK_FILE = "tables.xlsx"
#: Time stamp written into the workbook (its properties and zip entries) instead of the wall clock, so that the same
#: run gives the same bytes.
FIXED_TIME = datetime(2000, 1, 1)


def _money(header: str, currency: str | None) -> str:
    return in_currency(header, currency)


def summary_table(summary: dict) -> pd.DataFrame:
    """The headline figures: ``quantity, value, unit`` (numbers as numbers, dates as ISO text)."""
    cur = summary.get("currency") or "CNY"
    spread = summary.get("co2_avoided_range_t") or {}
    ms = summary.get("milestones") or {}
    rows = [
        ("candidate sites", summary.get("sites_candidate"), "sites"),
        ("eligible sites", summary.get("sites_eligible"), "sites"),
        ("sites built", summary.get("sites_built"), "sites"),
        ("capacity built", _scaled(summary.get("capacity_built_kwp"), 1e3), "MWp"),
        ("energy over the horizon", _scaled(summary.get("energy_mwh"), 1e3), "GWh"),
        ("CO2 avoided (AMS-I.D)", _scaled(summary.get("co2_avoided_t"), 1e3), "kt"),
        ("CO2 avoided, low grid-factor path", _scaled(spread.get("low"), 1e3), "kt"),
        ("CO2 avoided, high grid-factor path", _scaled(spread.get("high"), 1e3), "kt"),
        ("capex", _scaled(summary.get("capex_cny"), 1e6), f"million {cur}"),
        ("LCOE", summary.get("lcoe_cny_per_kwh"), f"{cur}/kWh"),
        ("NPV", _scaled(summary.get("npv_cny"), 1e6), f"million {cur}"),
        ("cost per t CO2 net of revenue", summary.get("net_cost_per_t_co2_cny"), f"{cur}/t"),
        ("curtailed energy", summary.get("curtailed_mwh"), "MWh"),
        ("50 % of the target online", ms.get("50%") or "not reached", "date"),
        ("100 % of the target online", ms.get("100%") or "not reached", "date"),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value", "unit"])


def _scaled(value, divisor: float):
    return None if value is None else float(value) / divisor


def by_year(annual: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """``annual.csv`` in display units: capacity online [MWp], energy [MWh], CO2 [t], money [currency]."""
    return pd.DataFrame(
        {
            "year": annual["year"].astype(int),
            "capacity online [MWp]": annual["capacity_online_kwp"] / 1e3,
            "energy [MWh]": annual["energy_mwh"],
            "curtailed [MWh]": annual["curtailed_mwh"],
            "CO2 avoided AMS-I.D [t]": annual["co2_avoided_t"],
            _money("capex [CNY]", currency): annual["capex_cny"],
            _money("O&M [CNY]", currency): annual["om_cny"],
            _money("revenue [CNY]", currency): annual["revenue_cny"],
        }
    )


def by_township(sites: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """Per township (as the data names it; ``-`` where the sites layer has none): candidate and built sites,
    capacity and capex built, rural households covered."""
    s = pd.DataFrame(
        {
            "township": sites["township"].astype(str).replace("", "-").fillna("-"),
            "built": sites["status"].astype(str).eq("operating"),
        }
    )
    s["capacity"] = sites["capacity_kwp"].where(s["built"], 0.0) / 1e3
    s["capex"] = sites["capex_cny"].where(s["built"], 0.0) / 1e6
    s["households"] = (s["built"] & sites["site_type"].astype(str).eq("rural_home")).astype(int)
    table = (
        s.groupby("township", sort=True)
        .agg(
            candidates=("built", "size"),
            built=("built", "sum"),
            capacity=("capacity", "sum"),
            capex=("capex", "sum"),
            households=("households", "sum"),
        )
        .reset_index()
    )
    return table.rename(
        columns={
            "candidates": "candidate sites",
            "built": "sites built",
            "capacity": "capacity built [MWp]",
            "capex": _money("capex built [million CNY]", currency),
            "households": "rural households covered",
        }
    )


def by_track(summary: dict) -> pd.DataFrame:
    """Per programme track: built sites and capacity against its target, capex, energy, CO2, target reached on."""
    cur = summary.get("currency")
    rows = [
        {
            "track": name,
            "site types": ", ".join(t["site_types"]),
            "sites built": t["sites_built"],
            "capacity built [MWp]": t["capacity_built_kwp"] / 1e3,
            "target [MWp]": (t["target_capacity_kwp"] or 0.0) / 1e3,
            _money("capex [million CNY]", cur): t["capex_cny"] / 1e6,
            "energy [GWh]": t["energy_mwh"] / 1e3,
            "CO2 avoided [kt]": t["co2_avoided_t"] / 1e3,
            "target reached on": (t.get("milestones") or {}).get("100%") or "not reached",
        }
        for name, t in (summary.get("by_track") or {}).items()
    ]
    return pd.DataFrame(rows)


def budget_table(budget: pd.DataFrame | None, currency: str | None) -> pd.DataFrame:
    """``budget.csv`` in millions of the currency: budget, committed, spent, returned and lapsed per year."""
    if budget is None:
        return pd.DataFrame()
    out = pd.DataFrame({"year": budget["year"].astype(int)})
    for col in ("budget", "committed", "spent", "returned", "lapsed"):
        out[_money(f"{col} [million CNY]", currency)] = budget[f"{col}_cny"] / 1e6
    return out


def key_tables(result) -> dict[str, pd.DataFrame]:
    """Sheet name -> table of a :class:`sim.results.RunResult`, in workbook order."""
    cur = result.summary.get("currency")
    return {
        "summary": summary_table(result.summary),
        "by year": by_year(result.annual, cur),
        "by township": by_township(result.sites, cur),
        "by track": by_track(result.summary),
        "budget": budget_table(result.budget, cur),
    }


def workbook_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """The tables as one XLSX workbook (a sheet each, bold header, frozen first row), reproducibly: fixed time
    stamps in its properties and in its zip entries."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    for sheet in wb.worksheets:  # the default empty sheet
        wb.remove(sheet)
    for name, table in tables.items():
        ws = wb.create_sheet(name[:31])
        ws.append(list(table.columns))
        for row in table.itertuples(index=False):
            ws.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for k, col in enumerate(table.columns, start=1):
            ws.column_dimensions[ws.cell(1, k).column_letter].width = max(10, min(48, len(str(col)) + 2))
    wb.properties.created = wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_zip_times(raw.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps 'modified' with the clock when it saves
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", content
                )
            dst.writestr(fixed, content)
    return out.getvalue()
