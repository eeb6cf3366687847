"""Outputs as data: the schema table drives the writer, the reader and docs/outputs.md; a real run writes exactly
the columns it lists; JSON rounding; atomic writes."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim._io import atomic_folder, atomic_write
from sim.errors import InputError
from sim.results import (
    OPTIONAL_FILES,
    OUTPUT_FILES,
    jsonable,
    output_columns,
    output_schema,
    outputs_markdown,
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


def test_read_run_names_a_missing_schema_column(written, tmp_path):
    copy = tmp_path / "run"
    copy.mkdir()
    for f in written.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    annual = pd.read_csv(copy / "annual.csv").drop(columns="revenue_cny")
    annual.to_csv(copy / "annual.csv", index=False)
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
    assert path.read_text() == "first" and (path.stat().st_mode & 0o777) == 0o644

    def fails(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(path, fails)
    assert path.read_text() == "first" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_folder_keeps_the_previous_folder_on_error(tmp_path):
    folder = tmp_path / "out"
    atomic_folder(folder, lambda tmp: (tmp / "x.csv").write_text("1"))
    assert (folder / "x.csv").read_text() == "1" and (folder.stat().st_mode & 0o777) == 0o755

    def fails(tmp):
        (tmp / "x.csv").write_text("2")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_folder(folder, fails)
    assert (folder / "x.csv").read_text() == "1" and [p.name for p in tmp_path.iterdir()] == ["out"]
