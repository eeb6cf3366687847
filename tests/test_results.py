"""Outputs as data: the schema table drives the writer, the reader and docs/outputs.md; a real run writes exactly
the columns it lists; JSON rounding; atomic writes."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim._io import MANIFEST, atomic_folder, atomic_write, current_umask, sha256_of, write_manifest
from sim.errors import InputError
from sim.results import (
    OPTIONAL_FILES,
    OUTPUT_FILES,
    csv_decimals,
    csv_text,
    jsonable,
    output_columns,
    output_schema,
    outputs_markdown,
    plain_decimals,
    read_run,
)

from .conftest import REPO

#: How each schema type looks once a file is read back (pandas dtype kinds, or JSON types for summary.json).
PARQUET_KINDS = {"str": "OU", "float": "f", "int": "i", "Int64": "i", "bool": "b", "datetime": "M"}
JSON_TYPES = {"str": (str,), "int": (int,), "float": (float, int, type(None)), "object": (dict, list)}


def test_docs_outputs_agrees_with_the_table():
    doc = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert doc == outputs_markdown(), "docs/outputs.md is stale: regenerate with `pvsim schema --outputs > docs/outputs.md`"


def test_schema_rows_are_complete_and_unique():
    table = output_schema()
    assert set(table["file"]) == set(OUTPUT_FILES) | set(OPTIONAL_FILES)
    assert not table.duplicated(["file", "column"]).any()
    assert (table["description"].str.len() > 5).all() and (table["unit"] != "").all()
    assert set(table["type"]) <= set(PARQUET_KINDS) | {"category", "geometry", "object"}


@pytest.fixture(scope="module")
def written(tiny_run, tmp_path_factory):
    _, result = tiny_run
    return result.write(tmp_path_factory.mktemp("written") / "run")


TABLES = {"sites.parquet": "sites", "events.parquet": "events", "annual.csv": "annual",
          "stage_durations.csv": "stage_durations", "transformers.csv": "transformers"}


@pytest.mark.parametrize("name", list(TABLES))
def test_a_real_run_writes_exactly_the_schema_columns(written, name):
    """Each file holds exactly the schema's columns in its order, and read_run gives them the schema's types."""
    path = written / name
    raw = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
    assert list(raw.columns) == output_columns(name)
    table = getattr(read_run(written), TABLES[name])
    schema = output_schema().set_index(["file", "column"])
    for col in table.columns:
        kind = schema.loc[(name, col), "type"]
        if kind in PARQUET_KINDS and table[col].notna().any():
            assert table[col].dtype.kind in PARQUET_KINDS[kind], (name, col, table[col].dtype, kind)


def test_summary_has_exactly_the_schema_keys_in_order(written):
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    assert list(summary) == output_columns("summary.json")
    schema = output_schema().query("file == 'summary.json'").set_index("column")["type"]
    for key, value in summary.items():
        assert isinstance(value, JSON_TYPES[schema[key]]), (key, value)


def test_sites_gpkg_holds_the_sites_table_for_gis_tools(written):
    """QGIS builds without a Parquet driver open sites.gpkg: same columns, rows, values and geometry."""
    import geopandas as gpd
    import pyogrio

    info = pyogrio.read_info(written / "sites.gpkg", layer="sites")
    assert info["driver"] == "GPKG" and info["crs"] == "EPSG:4326"
    assert [*info["fields"], "geometry"] == output_columns("sites.gpkg") == output_columns("sites.parquet")
    gpkg, parquet = gpd.read_file(written / "sites.gpkg", layer="sites"), gpd.read_parquet(written / "sites.parquet")
    assert len(gpkg) == len(parquet) == info["features"]
    assert (gpkg["site_id"] == parquet["site_id"]).all() and (gpkg["eligible"] == parquet["eligible"]).all()
    for col in ("capacity_kwp", "surface_tilt_deg", "energy_mwh", "capex_cny"):
        np.testing.assert_allclose(gpkg[col], parquet[col])
    np.testing.assert_array_equal(gpkg["commission_date"].isna(), parquet["commission_date"].isna())
    assert gpkg.geometry.geom_equals_exact(parquet.geometry, tolerance=1e-9).all()


def test_plain_decimals_by_hand():
    text = plain_decimals([33163831.4, 2.5e-5, -0.0004, math.nan, math.inf, -math.inf, 1234.5678], 3)
    assert text.tolist() == ["33163831.400", "0.000", "0.000", "", "inf", "-inf", "1234.568"]
    assert plain_decimals([3.31638e7, -0.4, 0.5, 1.5], 0).tolist() == ["33163800", "0", "0", "2"]


def _pandas_csv_text(table: pd.DataFrame, decimals: dict[str, int]) -> str:
    """What csv_text wrote before it had a path of its own: pandas' to_csv of the table with the decimals applied."""
    out = table.copy()
    for col, places in decimals.items():
        if col in out.columns:
            out[col] = plain_decimals(out[col], places)
    return out.to_csv(index=False, lineterminator="\n")


def _csv_tables() -> list[tuple[pd.DataFrame, dict[str, int]]]:
    text = ["a", "b,c", 'say "hi"', "", "line\nbreak", "\u4e2d\u6587", " lead", "x"]
    n = len(text)
    plain = pd.DataFrame(
        {
            "year": np.arange(2026, 2026 + n),
            "big": np.array([2**62, -(2**40), 0, 1, 2, 3, 4, 5], dtype=np.int64),
            "u": np.arange(n, dtype=np.uint8),
            "ok": [True, False] * (n // 2),
            "kwp": [33163831.4, 2.5e-5, -0.0004, math.nan, math.inf, -math.inf, 1234.5678, 0.5],
            "money": np.array([1.5, 2.5, -0.5, 1e17, 3, 4, 5, 6], dtype=np.float32),
            "int_in_decimals": np.arange(n),
            "bool_in_decimals": [True, False] * (n // 2),
            "text": pd.array(text, dtype="str"),
            "text_na": pd.array([None, *text[1:]], dtype="str"),
            "objects": pd.Series(["s", 1, 2.5, None, math.nan, True, 1e20, "t,u"], dtype=object),
        },
        index=[5, 3, 9, 9, 1, 0, 2, 7],  # never written
    )
    decimals = {"kwp": 3, "money": 0, "int_in_decimals": 2, "bool_in_decimals": 1, "absent": 4}
    return [
        (plain, decimals),
        (plain.iloc[:0], decimals),  # header only
        (plain[["text"]], {}),
        (plain.assign(when=pd.to_datetime("2026-01-01") + pd.to_timedelta(np.arange(n), unit="D")), decimals),
        (plain.assign(free_float=np.linspace(0, 1e-7, n)), decimals),  # a float column without decimals
        (plain.assign(nullable=pd.array([1, None, *range(n - 2)], dtype="Int64")), decimals),
        (plain.assign(cat=pd.Categorical(["p", "q"] * (n // 2))), decimals),
        (plain.set_axis([*plain.columns[:-1], 7], axis=1), {}),  # a label that is not a string
        (plain[["kwp", "kwp"]], {}),  # a label twice
    ]


@pytest.mark.parametrize("case", range(len(_csv_tables())))
def test_csv_text_writes_what_pandas_writes(case):
    """csv_text writes plain tables without pandas' to_csv machinery: byte for byte what to_csv writes, over every
    kind of column it takes itself (ints, bools, text with quotes, commas, line breaks and missing values, objects,
    decimals of ints, bools and float32) and those it leaves to pandas (dates, floats without decimals, nullable
    ints, categories, labels that are not unique strings)."""
    table, decimals = _csv_tables()[case]
    assert csv_text(table, decimals) == _pandas_csv_text(table, decimals)


def test_csv_text_by_hand(monkeypatch):
    """A plain table, by hand; and written without DataFrame.to_csv (the path that keeps a comparison's many small
    files cheap)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a plain table went through DataFrame.to_csv")

    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    table = pd.DataFrame(
        {"id": pd.array(["s1", "s,2", None], dtype="str"), "kwp": [1.23456, -0.0001, math.nan], "n": [1, 2, 3]}
    )
    assert csv_text(table, {"kwp": 2}) == 'id,kwp,n\ns1,1.23,1\n"s,2",0.00,2\n,,3\n'


def test_every_csv_float_column_has_decimals_and_csv_files_are_plain(written):
    table = output_schema()
    csv_floats = table[table["file"].str.endswith(".csv") & (table["type"] == "float")]
    assert (csv_floats["decimals"] != "").all(), csv_floats.loc[csv_floats["decimals"] == "", "column"].tolist()
    assert (table.loc[~table.index.isin(csv_floats.index), "decimals"] == "").all()
    money = {"capex_cny", "om_cny", "replacement_cny", "revenue_cny"}
    assert all(csv_decimals("annual.csv")[c] == 0 for c in money)
    for name in ("annual.csv", "stage_durations.csv", "transformers.csv"):
        raw = pd.read_csv(written / name, dtype=str, keep_default_na=False)
        for col, places in csv_decimals(name).items():
            pattern = r"-?\d+" + (rf"\.\d{{{places}}}" if places else "") + "|inf|"
            assert raw[col].str.fullmatch(pattern).all(), (name, col, raw[col].head(3).tolist())
    assert "e+" not in (written / "annual.csv").read_text()


def test_units_in_names(written):
    """Unit suffixes are consistent: utilisation in percent, angles in degrees."""
    summary = json.loads((written / "summary.json").read_text(encoding="utf-8"))
    for name, r in summary["resources"].items():
        assert {"utilisation_percent", "utilisation_horizon_percent"} <= set(r) and "utilization" not in r, name
        assert 0 <= r["utilisation_percent"] <= 100
    assert {"surface_tilt_deg", "surface_azimuth_deg"} <= set(output_columns("sites.parquet"))
    assert not (REPO / "docs" / "outputs.md").read_text(encoding="utf-8").count("utiliz")


def test_read_run_names_a_missing_schema_column(written, tmp_path):
    copy = tmp_path / "run"
    copy.mkdir()
    for f in written.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    annual = pd.read_csv(copy / "annual.csv").drop(columns="revenue_cny")
    annual.to_csv(copy / "annual.csv", index=False)
    with pytest.raises(InputError, match="annual.csv: damaged: its content differs from what pvsim wrote"):
        read_run(copy)  # the manifest catches the change first
    # as another pvsim version would write it: the manifest matches, the schema does not
    files = {
        f.name: sha256_of(f)
        for f in copy.iterdir()
        if f.is_file() and f.name != MANIFEST and not f.name.startswith(".")
    }
    write_manifest(copy, "run", files)
    with pytest.raises(InputError, match="revenue_cny"):
        read_run(copy)
    back = read_run(written)
    assert list(back.annual.columns) == output_columns("annual.csv")


def test_writer_refuses_a_result_that_does_not_match_the_schema(tiny_run, tmp_path):
    _, result = tiny_run
    from dataclasses import replace

    broken = replace(result, annual=result.annual.drop(columns="om_cny"))
    with pytest.raises(RuntimeError, match="om_cny"):
        broken.write(tmp_path / "run")
    assert not (tmp_path / "run").exists() and not list(tmp_path.iterdir())  # nothing half-written
    extra = replace(result, summary={**result.summary, "not_in_the_schema": 1})
    with pytest.raises(RuntimeError, match="not_in_the_schema"):
        extra.write(tmp_path / "run")


def test_jsonable_rounds_to_ten_significant_digits_and_drops_non_finite():
    assert jsonable(1 / 3) == 0.3333333333
    assert jsonable({"a": math.nan, "b": np.float32(math.inf), 3: np.int64(7)}) == {"a": None, "b": None, "3": 7}
    assert jsonable(pd.Timestamp("2026-03-01 12:00")) == "2026-03-01"


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write(path, "first")
    assert path.read_text() == "first" and (path.stat().st_mode & 0o777) == 0o666 & ~current_umask()

    def fails(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(path, fails)
    assert path.read_text() == "first" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_folder_keeps_the_previous_folder_on_error(tmp_path):
    folder = tmp_path / "out"
    atomic_folder(folder, lambda tmp: (tmp / "x.csv").write_text("1"))
    assert (folder / "x.csv").read_text() == "1"

    def fails(tmp):
        (tmp / "x.csv").write_text("2")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_folder(folder, fails)
    assert (folder / "x.csv").read_text() == "1" and [p.name for p in tmp_path.iterdir()] == ["out"]
    assert sorted(p.name for p in folder.iterdir()) == ["pvsim-manifest.json", "x.csv"]
