"""The key tables as one XLSX workbook beside the CSV files: its sheets, their numbers, the run's currency, and the
same bytes for the same run."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.workbook import WORKBOOK_FILE, by_township, key_tables, workbook_bytes


def test_a_run_folder_holds_the_workbook_of_its_key_tables(tiny_run, tmp_path):
    _, result = tiny_run
    out = result.write(tmp_path / "run")
    sheets = pd.read_excel(out / WORKBOOK_FILE, sheet_name=None)
    assert list(sheets) == ["summary", "by year", "by township", "by track", "budget"]
    summary = sheets["summary"].set_index("quantity")
    assert summary.loc["sites built", "value"] == result.summary["sites_built"]
    assert float(summary.loc["capacity built", "value"]) == pytest.approx(result.summary["capacity_built_kwp"] / 1e3)
    towns = sheets["by township"]
    assert towns["sites built"].sum() == result.summary["sites_built"]
    assert towns["capacity built [MWp]"].sum() == pytest.approx(result.summary["capacity_built_kwp"] / 1e3)
    assert set(towns["township"]) == set(result.sites["township"].astype(str).replace("", "-"))
    budget = sheets["budget"]
    assert budget["spent [million CNY]"].sum() == pytest.approx(result.budget["spent_cny"].sum() / 1e6)
    assert list(sheets["by year"]["year"]) == list(result.annual["year"])
    assert workbook_bytes(key_tables(result)) == (out / WORKBOOK_FILE).read_bytes()
    import zipfile

    with zipfile.ZipFile(out / WORKBOOK_FILE) as z:  # no wall-clock time in it: the same run, the same bytes
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")


def test_the_workbook_labels_money_in_the_runs_currency(tiny_run):
    _, result = tiny_run
    summary = {**result.summary, "currency": "EUR"}
    tables = key_tables(type(result)(**{**result.__dict__, "summary": summary}))
    headers = " ".join(str(c) for t in tables.values() for c in t.columns)
    units = " ".join(tables["summary"]["unit"])
    assert "EUR" in headers and "CNY" not in headers and "CNY" not in units
    households = by_township(result.sites, "EUR")["rural households covered"].sum()
    built = result.sites["status"].eq("operating") & result.sites["site_type"].eq("rural_home")
    assert households == int(built.sum())


def test_the_workbook_holds_no_clock_time(tiny_run):
    """openpyxl stamps the document's 'modified' property with the clock when it saves: pvsim fixes it, so the
    same run gives the same bytes in any second (the manifest's hashes depend on it)."""
    import io
    import re
    import zipfile

    data = workbook_bytes(key_tables(tiny_run[1]))
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    stamps = re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core)
    assert stamps == ["2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"]
