"""The county's input layers: their schema as data, the readers, column and category mapping, and CRS handling.

- Schema: ``sim/tables/inputs.csv`` holds one row per column of each input (``sites``, ``transformers``,
  ``feeders``, ``exclusions``): type, unit, required / optional / ignored, default, allowed values and meaning. It
  drives :func:`check_columns` (every missing or invalid column reported at once, in one line), ``docs/inputs.md``
  (:func:`inputs_markdown`, ``pvsim schema --inputs``) and ``pvsim template`` (:func:`write_template`).
- Readers (:func:`read_input`): GeoPackage, GeoJSON, Shapefile and anything else GDAL reads (through pyogrio),
  GeoParquet (through ``geopandas.read_parquet``: the GDAL inside pyogrio has no Parquet driver), and CSV / XLSX
  point tables with ``lon``/``lat`` (or ``x``/``y`` and a declared CRS) for transformer ledgers.
- Mapping: ``data.columns`` renames the user's columns to the project's (:func:`map_columns`; Shapefile names cut at
  10 characters are recognised), ``data.site_type_map`` maps the user's categories to site types
  (:func:`map_categories`).
- CRS: a layer's CRS may be declared or overridden per input (``data.sites_crs`` ...): an EPSG code (CGCS2000
  EPSG:4490 and its Gauss-Krueger zones EPSG:4491-4554 go through pyproj) or ``GCJ-02`` / ``BD-09``, the offset
  coordinates of Chinese web maps, converted to WGS 84 on reading (:mod:`sim.coordinates`).
  :func:`check_layers_agree` warns when sites and transformers disagree by a GCJ-02-sized shift.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from ._config import SITE_TYPES, TABLES
from ._io import atomic_write, gdal_write, new_files
from .coordinates import (  # noqa: F401
    CHINA_BOX,
    FROM_WGS84,
    TO_WGS84,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    transform_geometries,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from .errors import InputError, InputNote, InputWarning

Frame = TypeVar("Frame", bound=pd.DataFrame)  # a layer's table: a GeoDataFrame stays one through the checks

INPUTS = ("sites", "transformers", "feeders", "lines", "exclusions")
#: Geometry columns of point tables (CSV, XLSX, Parquet without geometry), which ``data.columns`` may also map.
POINT_COLUMNS = ("lon", "lat", "x", "y")
POINT_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
SHAPEFILE_SUFFIXES = (".shp", ".dbf", ".shz")
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SHAPEFILE_NAME_LENGTH = 10
MAX_ID_LENGTH = 200
SHOWN_ROWS = 5


# --------------------------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Column:
    """One column of an input layer, as ``sim/tables/inputs.csv`` describes it."""

    input: str
    column: str
    type: str  # id, str, float, date, geometry
    unit: str
    required: str  # required, optional, ignored
    default: str
    allowed: str
    example: str
    meaning: str

    @property
    def numeric(self) -> bool:
        return self.type == "float"

    def allowed_values(self) -> tuple[str, ...]:
        """The allowed values of a text column (``a|b``, ``@site_types`` or ``@land_classes``); empty where any text
        goes."""
        if self.type != "str" or not self.allowed:
            return ()
        if self.allowed == "@site_types":
            return tuple(SITE_TYPES)
        if self.allowed == "@land_classes":
            return tuple(land_class_table().index)
        if self.allowed == "@lv_cables":
            return tuple(lv_cable_table().index)
        if self.allowed == "@mv_conductors":
            return tuple(mv_conductor_table().index)
        return tuple(self.allowed.split("|"))

    def interval(self) -> tuple[float, float, bool, bool] | None:
        """``(low, high, low_closed, high_closed)`` of a numeric column's allowed interval, e.g. ``[0, 360)``."""
        m = re.fullmatch(r"([\[(])\s*([-\d.inf]+)\s*,\s*([-\d.inf]+)\s*([\])])", self.allowed or "")
        if not self.numeric or m is None:
            return None
        return float(m.group(2)), float(m.group(3)), m.group(1) == "[", m.group(4) == "]"


LAND_CLASS_FILE = Path(__file__).parent / "tables" / "land_classes.csv"


@lru_cache(maxsize=1)
def land_class_table() -> pd.DataFrame:
    """``sim/tables/land_classes.csv``: the land classes of the Third National Land Survey a sites layer may carry
    (``land_class``), indexed by name, with the site types whose arrays each may hold (``allowed_site_types``:
    ``a|b``, ``all``, or empty for none), the condition and the source."""
    return pd.read_csv(LAND_CLASS_FILE, dtype=str, keep_default_na=False).set_index("land_class")


LV_CABLE_FILE = Path(__file__).parent / "tables" / "lv_cables.csv"


@lru_cache(maxsize=1)
def lv_cable_table() -> pd.DataFrame:
    """``sim/tables/lv_cables.csv``: the low-voltage cable and overhead-conductor types a ``lines`` layer may name
    (``cable_type``), indexed by name: ``construction`` (cable, overhead), ``r_ohm_per_km``, ``x_ohm_per_km``,
    ``c_nf_per_km``, ``max_i_ka`` (ampacity) and the source of each row."""
    table = pd.read_csv(LV_CABLE_FILE, dtype={"cable_type": str, "construction": str, "source": str})
    return table.set_index("cable_type")


MV_CONDUCTOR_FILE = Path(__file__).parent / "tables" / "mv_conductors.csv"


@lru_cache(maxsize=1)
def mv_conductor_table() -> pd.DataFrame:
    """``sim/tables/mv_conductors.csv``: the 10 kV conductor and cable types a ``feeders`` layer may name
    (``conductor_type``), indexed by name, with the columns of :func:`lv_cable_table`."""
    table = pd.read_csv(MV_CONDUCTOR_FILE, dtype={"conductor_type": str, "construction": str, "source": str})
    return table.set_index("conductor_type")


@lru_cache(maxsize=1)
def schema_table() -> pd.DataFrame:
    """``sim/tables/inputs.csv``: one row per column of each input."""
    table = pd.read_csv(TABLES / "inputs.csv", dtype=str, keep_default_na=False)
    bad = sorted(set(table["input"]) - set(INPUTS))
    if bad:
        raise RuntimeError(f"sim/tables/inputs.csv names unknown inputs {bad}")
    return table


def schema(input_name: str) -> list[Column]:
    """The columns of one input, in the table's order."""
    rows = schema_table()[schema_table()["input"] == input_name]
    return [Column(**{str(k): v for k, v in row.items()}) for row in rows.to_dict("records")]


def column_names(input_name: str, *, with_points: bool = False) -> tuple[str, ...]:
    """Names of an input's attribute columns (``with_points``: also ``lon, lat, x, y`` of point tables)."""
    names = tuple(c.column for c in schema(input_name) if c.type != "geometry")
    return names + (POINT_COLUMNS if with_points and input_name == "transformers" else ())


def inputs_markdown() -> str:
    """The input reference ``docs/inputs.md``, generated from the schema table (a test keeps them equal)."""
    lines = [
        "# Input reference",
        "",
        (
            "Generated from `sim/tables/inputs.csv` by `pvsim schema --inputs > docs/inputs.md`; a test keeps this file "
            "in step. The same table drives the checks of every layer and `pvsim template DIR`, which writes input "
            "files with these columns and one example row each, and a scenario that `pvsim validate` accepts."
        ),
        "",
        (
            "- **Formats.** Sites, feeders and exclusions: GeoPackage (`data.*_layer` names the layer), GeoJSON, "
            "Shapefile or GeoParquet. Transformers: the same, or a CSV / XLSX ledger with one row per transformer and "
            "its location in `lon`/`lat` [°] (or `x`/`y` [m] with `data.transformers_crs`), in "
            "`data.transformers_file`."
        ),
        (
            "- **Your column names.** `data.columns` maps the names below to yours, per input: "
            "`{sites: {site_id: OBJECTID, roof_tilt_deg: slope}, transformers: {transformer_id: id, rating_kva: kVA}}`. "
            "Shapefile field names cut at 10 characters (`roof_tilt_`) are recognised with a warning. Columns pvsim "
            "does not know are listed once in a note."
        ),
        (
            "- **Your categories.** `data.site_type_map` maps the values of your `site_type` column (land-use codes, "
            "OSM tags, local names) to site types: `{'0101': agrivoltaic, 'building=house': rural_home}` (quote codes: "
            "YAML reads an unquoted `0101` as the octal number 65)."
        ),
        (
            "- **Coordinates.** Every layer needs a CRS; `data.sites_crs`, `data.transformers_crs`, "
            "`data.feeders_crs` and `data.exclusions_crs` declare or override it: an EPSG code (CGCS2000 is 4490, its "
            "Gauss-Krueger zones 4491-4554) or `GCJ-02` (AMap, Tencent) / `BD-09` (Baidu), the offset coordinates of "
            "Chinese web maps (GCJ-02 is 300-700 m off WGS 84 across China, BD-09 more), converted to WGS 84 on reading "
            "with the published transforms (GCJ-02 inverted iteratively to sub-millimetre; BD-09 -> GCJ-02 in closed "
            "form, good to 0.2 m; both are the identity outside China). A warning names the likely fix when sites and "
            "transformers disagree by such a shift."
        ),
        (
            "- **Checks.** Text in a numeric column is an error naming the column, the rows and the values; every "
            "missing or invalid column is reported at once, in one line. `required`: the column must be there; "
            "`optional`: the default applies where the column or a value is missing; `ignored`: known, not used. "
            "Type `id`: any text without control characters, unique (ids never become file names)."
        ),
        "",
    ]
    for input_name in INPUTS:
        lines += [
            f"## `{input_name}`",
            "",
            "| column | type | unit | required | default | allowed | meaning |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in schema(input_name):
            allowed = ", ".join(c.allowed_values()) if c.allowed.startswith("@") else c.allowed
            cells = [f"`{c.column}`", c.type, c.unit, c.required, c.default, allowed, c.meaning]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- checks


def _rows_text(rows: np.ndarray, values: pd.Series, ids: pd.Series | None) -> str:
    """``rows 2 (T9), 7 (T14): 'a', 'b'``, 1-based, the first few."""
    shown = []
    for r in rows[:SHOWN_ROWS]:
        label = f"{r + 1}" + (f" ({ids.iloc[r]})" if ids is not None and str(ids.iloc[r]) else "")
        shown.append(label)
    more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
    vals = ", ".join(repr(_plain(values.iloc[r])) for r in rows[:SHOWN_ROWS])
    return f"row{'s' if len(rows) > 1 else ''} {', '.join(shown)}{more}: {vals}"


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _as_text(series: pd.Series) -> pd.Series:
    """Text of a column: integral numbers without ``.0`` (ids and codes read from numeric fields), None as ''."""
    s = series
    if pd.api.types.is_float_dtype(s) and s.dropna().mod(1).eq(0).all():
        s = s.astype("Int64")
    text = s.astype(object).where(s.notna(), "")
    return text.astype(str).str.strip()


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | series.astype(object).astype(str).str.strip().eq("")


def _check_ids(col: Column, series: pd.Series, singular: str) -> tuple[pd.Series, list[str]]:
    text = _as_text(series)
    problems = []
    empty = np.flatnonzero(_blank(series).to_numpy())
    if len(empty):
        problems.append(f"{singular} without an id in {_rows_text(empty, text, None)}")
    bad = np.flatnonzero((text.str.contains(r"[\x00-\x1f\x7f]") | (text.str.len() > MAX_ID_LENGTH)).to_numpy())
    if len(bad):
        problems.append(
            f"ids with control characters or over {MAX_ID_LENGTH} characters in {_rows_text(bad, text, None)}"
        )
    dup = np.flatnonzero((text.duplicated(keep=False) & text.ne("")).to_numpy())
    if len(dup):
        problems.append(f"duplicate {singular} id in {_rows_text(dup, text, None)}")
    return text, problems


def _check_numbers(col: Column, series: pd.Series, ids: pd.Series | None) -> tuple[pd.Series, list[str]]:
    values = (
        pd.to_numeric(series, errors="coerce").astype(float)
        if series.dtype == object or pd.api.types.is_string_dtype(series)
        else series.astype(float)
    )
    blank = _blank(series)
    problems = []
    text = np.flatnonzero((values.isna() & ~blank).to_numpy())
    if len(text):
        hint = DECIMAL_COMMA_HINT if _decimal_commas(series.iloc[text]) else ""
        problems.append(f"text in a numeric column [{col.unit}] in {_rows_text(text, series, ids)}{hint}")
    if col.required == "required" and blank.any():
        problems.append(f"empty in {_rows_text(np.flatnonzero(blank.to_numpy()), series, ids)}; a value is required")
    interval = col.interval()
    if interval is not None:
        lo, hi, lo_closed, hi_closed = interval
        with np.errstate(invalid="ignore"):
            inside = ((values >= lo) if lo_closed else (values > lo)) & ((values <= hi) if hi_closed else (values < hi))
        out = np.flatnonzero((values.notna() & ~inside).to_numpy())
        if len(out):
            problems.append(f"out of range {col.allowed} [{col.unit}] in {_rows_text(out, values, ids)}")
    if col.default and _is_number(col.default):
        values = values.fillna(float(col.default))
    return values, problems


#: Said after a numeric column whose text cells look like numbers written with a decimal comma ("1,5").
DECIMAL_COMMA_HINT = " (decimal commas? write 1.5 rather than 1,5: save the table with '.' as the decimal separator)"


def _decimal_commas(cells: pd.Series) -> bool:
    """Whether some cells are numbers written with a decimal comma (``-116,5``, ``1 234,5``)."""
    return bool(cells.astype(str).str.strip().str.replace(" ", "").str.fullmatch(r"-?\d+,\d+").any())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_text(col: Column, series: pd.Series, ids: pd.Series | None) -> tuple[pd.Series, list[str]]:
    text = _as_text(series)
    if col.default:
        text = text.where(text.ne(""), col.default)
    allowed = col.allowed_values()
    problems = []
    if col.required == "required" and text.eq("").any():
        problems.append(f"empty in {_rows_text(np.flatnonzero(text.eq('').to_numpy()), text, ids)}")
    if allowed:
        bad = ~text.isin(allowed) & text.ne("")
        if bad.any():
            what = "unknown site type" if col.allowed == "@site_types" else f"unknown {col.column.replace('_', ' ')}"
            hint = " (map your categories with data.site_type_map)" if col.allowed == "@site_types" else ""
            problems.append(f"{what} {_values_text(text, bad, ids)}; allowed: {', '.join(allowed)}{hint}")
    return text, problems


def _values_text(text: pd.Series, bad: pd.Series, ids: pd.Series | None) -> str:
    """``'0101' in 15 rows (36 (S000036), 85 (S000085) ...), 'x' in row 4 (S4)``: distinct values, the first few."""
    parts = []
    values = list(dict.fromkeys(text[bad]))
    for value in values[:SHOWN_ROWS]:
        rows = np.flatnonzero((text == value).to_numpy())
        first = ", ".join(f"{r + 1}" + (f" ({ids.iloc[r]})" if ids is not None else "") for r in rows[:3])
        parts.append(
            f"{value!r} in {len(rows)} row{'s' if len(rows) > 1 else ''} ({first}{' ...' if len(rows) > 3 else ''})"
        )
    more = f" and {len(values) - SHOWN_ROWS} more values" if len(values) > SHOWN_ROWS else ""
    return ", ".join(parts) + more


def _check_dates(col: Column, series: pd.Series, ids: pd.Series | None) -> tuple[pd.Series, list[str]]:
    dates = pd.to_datetime(series, errors="coerce")
    given = series.notna() & (series.astype(str).str.len() > 0)
    bad = np.flatnonzero((given & dates.isna()).to_numpy())
    problems = [f"unreadable date in {_rows_text(bad, series, ids)}; allowed: {col.allowed}"] if len(bad) else []
    return dates, problems


def check_columns(frame: Frame, input_name: str, file: Path | str, *, what: str | None = None) -> Frame:
    """The schema's checks of one input layer; returns a copy with every known column typed and defaults filled.

    All problems (missing required columns, text in numeric columns, values out of range or not allowed, bad or
    duplicate ids, unreadable dates) are collected and raised as one :class:`InputError` line naming the columns,
    the rows and the values. Columns the schema does not know are kept and listed once in an :class:`InputNote`.
    """
    columns = [c for c in schema(input_name) if c.type != "geometry"]
    singular = what or input_name.rstrip("s")
    missing = [c.column for c in columns if c.required == "required" and c.column not in frame.columns]
    problems: list[tuple[str, str]] = []
    if missing:
        present = [str(c) for c in frame.columns if c != "geometry"]
        problems.append(
            (
                ", ".join(missing),
                (
                    f"required column{'s' if len(missing) > 1 else ''} missing (the "
                    f"file has {', '.join(present) or 'no attribute columns'}; map yours "
                    f"with data.columns.{input_name})"
                ),
            )
        )
    out = frame.copy()
    id_col = next((c.column for c in columns if c.type == "id"), None)
    ids = _as_text(out[id_col]) if id_col in out.columns else None
    for col in columns:
        if col.required == "ignored":
            continue
        if col.column not in out.columns:
            if col.required != "required":
                out[col.column] = _missing_column(col)
            continue
        check = {
            "id": lambda c, s, i: _check_ids(c, s, singular),
            "float": _check_numbers,
            "str": _check_text,
            "date": _check_dates,
        }[col.type]
        out[col.column], found = check(col, out[col.column], ids)
        problems += [(col.column, msg) for msg in found]
    if problems:
        detail = problems[0][1] if len(problems) == 1 else "; ".join(f"{c}: {m}" for c, m in problems)
        raise InputError(detail, file=file, field=", ".join(dict.fromkeys(c for c, _ in problems)))
    note_unknown_columns(frame, input_name, file)
    return out


def _missing_column(col: Column) -> Any:
    if col.type == "float":
        return float(col.default) if _is_number(col.default) else np.nan
    if col.type == "date":
        return pd.NaT
    return col.default


def note_unknown_columns(frame: pd.DataFrame, input_name: str, file: Path | str) -> None:
    """One note listing the columns the schema does not know, with the schema column each may have meant."""
    if input_name == "exclusions":
        return  # exclusion layers are read for their geometry only
    known = set(column_names(input_name))
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else "geometry"
    unknown = [str(c) for c in frame.columns if c not in known and c != geometry and c not in POINT_COLUMNS]
    if not unknown:
        return
    shown = []
    for name in unknown:
        guess = _guess_column(name, input_name)
        shown.append(f"{name} (did you mean {guess}? map it with data.columns.{input_name}.{guess})" if guess else name)
    warnings.warn(
        f"{file}: {input_name}: columns pvsim does not use: {', '.join(shown)} (the {input_name} "
        "columns are listed in docs/inputs.md)",
        InputNote,
        stacklevel=3,
    )


def _guess_column(name: str, input_name: str) -> str | None:
    candidates = [c for c in column_names(input_name)]
    truncated = [c for c in candidates if len(c) > SHAPEFILE_NAME_LENGTH and c[:SHAPEFILE_NAME_LENGTH] == name]
    if len(truncated) == 1:
        return truncated[0]
    close = difflib.get_close_matches(name.lower(), candidates, n=1, cutoff=0.75)
    return close[0] if close else None


# --------------------------------------------------------------------------------------------- mapping


def map_columns(
    frame: Frame, input_name: str, mapping: dict[str, str] | None, file: Path | str, *, shapefile: bool = False
) -> Frame:
    """Rename the user's columns to the project's: ``mapping`` is ``{project_name: user_name}``
    (``data.columns.<input>``). In a Shapefile, a field whose name is a schema column cut at 10 characters
    (``roof_tilt_``) is read as that column, with a warning. Returns a copy."""
    mapping = dict(mapping or {})
    lacking = {k: v for k, v in mapping.items() if v not in frame.columns}
    if lacking:
        present = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise InputError(
            f"the file has no column {', '.join(repr(v) for v in lacking.values())} (columns: {present})",
            file=file,
            field=", ".join(f"data.columns.{input_name}.{k}" for k in lacking),
        )
    out = frame.drop(columns=[k for k, v in mapping.items() if k in frame.columns and k != v])
    out = out.rename(columns={v: k for k, v in mapping.items()})
    if shapefile:
        out = _recognise_truncated(out, input_name, file, set(mapping))
    return out


def _recognise_truncated(frame: Frame, input_name: str, file: Path | str, mapped: set) -> Frame:
    renames = {}
    for name in column_names(input_name, with_points=True):
        cut = name[:SHAPEFILE_NAME_LENGTH]
        if len(name) <= SHAPEFILE_NAME_LENGTH or name in frame.columns or name in mapped or cut not in frame.columns:
            continue
        if sum(c[:SHAPEFILE_NAME_LENGTH] == cut for c in column_names(input_name)) == 1:
            renames[cut] = name
    if renames:
        pairs = ", ".join(f"{k} as {v}" for k, v in renames.items())
        mapping = ", ".join(f"{v}: {k}" for k, v in renames.items())
        warnings.warn(
            f"{file}: {input_name}: read the Shapefile field(s) {pairs} (Shapefile field names are cut at "
            f"{SHAPEFILE_NAME_LENGTH} characters); to say so explicitly: data.columns: {{{input_name}: "
            f"{{{mapping}}}}}",
            InputWarning,
            stacklevel=3,
        )
    return frame.rename(columns=renames)


def map_categories(frame: Frame, column: str, mapping: Mapping[str, str] | None) -> Frame:
    """Replace the user's categories in ``column`` by the project's (``data.site_type_map``); values not in the
    mapping are kept as they are (and checked by the schema). Returns a copy."""
    if not mapping or column not in frame.columns:
        return frame
    out = frame.copy()
    text = _as_text(out[column])
    out[column] = text.map(lambda v: mapping.get(v, v))
    return out


# --------------------------------------------------------------------------------------------- CRS

#: Names of the offset coordinate systems of Chinese web maps (case and the hyphen do not matter).
WEB_MAP_CRS = {"GCJ-02": "GCJ-02", "GCJ02": "GCJ-02", "BD-09": "BD-09", "BD09": "BD-09"}
CRS_ALLOWED = (
    "an EPSG code (4326 WGS 84, 4490 CGCS2000, 4491-4554 its Gauss-Krueger zones, 326xx UTM ...) or GCJ-02 / BD-09"
)


def parse_crs(value: str | int | None) -> str | CRS | None:
    """``'GCJ-02'`` / ``'BD-09'``, a :class:`pyproj.CRS` (from an EPSG code or any pyproj input), or None.
    Raises ValueError naming what is allowed."""
    if value is None:
        return None
    key = str(value).strip().upper().replace("_", "-")
    if key in WEB_MAP_CRS or key.replace("-", "") in WEB_MAP_CRS:
        return WEB_MAP_CRS.get(key) or WEB_MAP_CRS[key.replace("-", "")]
    try:
        return CRS.from_user_input(int(value) if str(value).strip().isdigit() else str(value).strip())
    except CRSError:
        raise ValueError(f"unknown CRS {value!r}; allowed: {CRS_ALLOWED}") from None


def declare_crs(
    gdf: gpd.GeoDataFrame, setting: str | int | None, file: Path | str, field: str, what: str
) -> gpd.GeoDataFrame:
    """Apply a declared CRS (``data.<input>_crs``) and check the layer's coordinates.

    An EPSG code (or any pyproj CRS) sets or overrides the layer's CRS; ``GCJ-02`` / ``BD-09`` mean the
    coordinates are web-map degrees, converted here to WGS 84 (EPSG:4326). Without a setting the layer must
    declare its CRS. Geographic coordinates must look like degrees."""
    crs = parse_crs(setting)
    out = gdf
    if isinstance(crs, CRS):
        out = gdf.set_crs(crs, allow_override=True)
    elif isinstance(crs, str):
        if gdf.crs is not None and not gdf.crs.is_geographic:
            raise InputError(
                f"the {what} layer is in a projected CRS ({gdf.crs.name}) but {field} says {crs}",
                file=file,
                field=field,
                value=setting,
                allowed=f"{crs} only for longitudes and latitudes in degrees",
            )
        out = gdf.set_crs(4326, allow_override=True)
    check_crs(out, file, what)
    if isinstance(crs, str):
        out = out.copy()
        out[out.geometry.name] = gpd.GeoSeries(
            transform_geometries(out.geometry, TO_WGS84[crs]), index=out.index, crs=4326
        )
    return out


def check_crs(gdf: gpd.GeoDataFrame, file: Path | str, what: str) -> None:
    """A layer must declare its CRS, and geographic coordinates must look like degrees."""
    if gdf.crs is None:
        raise InputError(
            f"the {what} layer has no CRS",
            file=file,
            field="crs",
            allowed="a layer with a declared CRS (e.g. EPSG:4326 or a UTM / CGCS2000 zone), or declare "
            f"it with data.{what.split()[0].rstrip('s')}s_crs",
        )
    if len(gdf) and (gdf.geometry.isna() | gdf.geometry.is_empty).all():
        raise InputError(
            f"every geometry of the {what} layer is empty or null",
            file=file,
            field="geometry",
            value=f"{len(gdf)} rows",
            allowed="a layer whose features have geometries",
        )
    if gdf.crs.is_geographic and len(gdf):
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
            raise InputError(
                f"coordinates are labelled as degrees ({gdf.crs.to_string()}) but look like projected metres",
                file=file,
                field="crs",
                value=[round(float(v), 1) for v in (minx, miny)],
                allowed="longitudes in [-180, 180] and latitudes in [-90, 90], or the layer's true projected CRS",
            )


# --------------------------------------------------------------------------------------------- readers


#: OpenStreetMap extracts: not layers to read, but inputs of ``pvsim import-osm``.
OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz")


@dataclass(frozen=True)
class Source:
    """Where one input layer comes from, with the scenario keys that name it (for error messages)."""

    input: str
    file: Path
    layer: str | None
    file_field: str
    layer_field: str
    crs: str | int | None = None
    crs_field: str = "crs"
    columns: dict | None = None

    @property
    def what(self) -> str:
        return {"sites": "sites", "transformers": "transformer", "feeders": "feeder", "lines": "line"}.get(
            self.input, "exclusion"
        )


def read_input(source: Source) -> gpd.GeoDataFrame:
    """Read one input layer: the file (any supported format), the column mapping, the geometry of point tables and
    the declared CRS (web-map coordinates converted to WGS 84). The schema's checks are :func:`check_columns`."""
    path = source.file
    if not path.exists():
        raise InputError(f"{source.what} file not found", file=path, field=source.file_field)
    if path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(
            f"an OpenStreetMap extract is not a {source.what} layer",
            file=path,
            field=source.file_field,
            allowed="convert it first: pvsim import-osm "
            f"{path.name} --out DIR, then {source.file_field}: DIR/sites.gpkg",
        )
    suffix = path.suffix.lower()
    if suffix in POINT_TABLE_SUFFIXES:
        table = _read_table(path, source)
        gdf = points_from_table(map_columns(table, source.input, source.columns, path), source, list(table.columns))
    elif suffix in PARQUET_SUFFIXES:
        table = _read_parquet(path, source)
        mapped = map_columns(table, source.input, source.columns, path)
        gdf = mapped if isinstance(mapped, gpd.GeoDataFrame) else points_from_table(mapped, source, list(table.columns))
    else:
        _check_grid_layer_in_sites_file(source)
        gdf = map_columns(
            read_layer(path, source.layer, what=source.what, field=source.layer_field, file_field=source.file_field),
            source.input,
            source.columns,
            path,
            shapefile=suffix in SHAPEFILE_SUFFIXES,
        )
    return declare_crs(
        gdf, source.crs, path, source.crs_field, f"{source.what}s" if source.input != "sites" else "sites"
    )


def _check_grid_layer_in_sites_file(source: Source) -> None:
    """A scenario without a grid file or ledger looks for the transformers in the sites file: where that file has
    no such layer, say that the ledger is missing (rather than reading the sites as transformers and listing the
    sites' columns as the wrong ones)."""
    if source.input != "transformers" or source.file_field != "data.sites_file":
        return
    try:
        layers = [str(name) for name in pyogrio.list_layers(source.file)[:, 0]]
    except Exception:  # noqa: BLE001 - unreadable (any GDAL error): read_layer says so
        return
    if source.layer not in layers:
        raise InputError(
            "no transformer ledger: the scenario names no data.transformers_file or data.grid_file, "
            f"and the sites file has no layer {source.layer!r}",
            file=source.file,
            field="data.transformers_file",
            value=", ".join(layers),
            allowed="data.transformers_file: a CSV / XLSX ledger (transformer_id, lon, lat, rating_kva) "
            "or a point layer; or data.grid_file with a transformers layer",
        )


def read_layer(path: Path, layer: str | None, *, what: str, field: str, file_field: str) -> gpd.GeoDataFrame:
    """Read one vector layer through pyogrio, with errors that name the file (and its key ``file_field``) or the
    layer (``field``)."""
    if not path.exists():
        raise InputError(f"{what} file not found", file=path, field=file_field)
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # noqa: BLE001 - pyogrio raises DataSourceError and friends for unreadable files
        raise InputError(
            f"cannot read {what} file ({type(exc).__name__})",
            file=path,
            field=file_field,
            allowed="a GeoPackage, GeoJSON, Shapefile, GeoParquet, or a CSV / XLSX point table for transformers",
        ) from None
    if layer is not None and len(layers) > 1 and layer not in layers:
        raise InputError(
            f"layer not found in the {what} file", file=path, field=field, value=layer, allowed=", ".join(layers)
        )
    use_layer = layer if (layer in layers) else None
    try:
        gdf = gpd.read_file(path, layer=use_layer, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - any reader failure of a user's file becomes one InputError line
        raise InputError(
            f"cannot read {what} layer ({type(exc).__name__}: {str(exc)[:80]})", file=path, field=field
        ) from None
    return gdf


def _read_parquet(path: Path, source: Source) -> pd.DataFrame:
    def damaged(exc: Exception) -> InputError:  # pyarrow's errors on a damaged file become one InputError line
        return InputError(
            f"cannot read {source.what} file ({type(exc).__name__}: {str(exc)[:80]})",
            file=path,
            field=source.file_field,
            allowed="a GeoParquet file",
        )

    try:
        return gpd.read_parquet(path)
    except ValueError:  # no GeoParquet metadata: a plain table (of points, for transformers)
        pass
    except Exception as exc:  # noqa: BLE001
        raise damaged(exc) from None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001
        raise damaged(exc) from None


def _read_table(path: Path, source: Source) -> pd.DataFrame:
    """A CSV or XLSX table, every cell as text (ids keep leading zeros; the schema converts the numbers)."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
        else:
            table = _read_csv(path)
    except Exception as exc:  # noqa: BLE001 - parser errors, bad zip files, bad encodings: one InputError line
        raise InputError(
            f"cannot read {source.what} table ({type(exc).__name__}: {str(exc)[:80]})",
            file=path,
            field=source.file_field,
            allowed="a CSV (UTF-8 or GB 18030) or an XLSX workbook with a header row",
        ) from None
    table.columns = [str(c).strip() for c in table.columns]
    return table


#: Encodings tried in order: UTF-8 (with or without a byte-order mark), then GB 18030, which Excel on Chinese
#: Windows writes (a superset of GBK and GB 2312).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def _read_csv(path: Path) -> pd.DataFrame:
    for encoding in CSV_ENCODINGS:
        try:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, sep=None, engine="python"
            )
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", b"", 0, 1, f"not {' or '.join(CSV_ENCODINGS)}")


def points_from_table(table: pd.DataFrame, source: Source, file_columns: list | None = None) -> gpd.GeoDataFrame:
    """Point geometries from ``lon``/``lat`` [°] (WGS 84 unless a CRS is declared) or ``x``/``y`` (a CRS must be
    declared); text in them is an error naming the rows."""
    path = source.file
    if {"lon", "lat"} <= set(table.columns):
        xcol, ycol = "lon", "lat"
    elif {"x", "y"} <= set(table.columns):
        xcol, ycol = "x", "y"
        if source.crs is None:
            raise InputError(
                "x/y coordinates need a declared CRS", file=path, field=source.crs_field, allowed=CRS_ALLOWED
            )
    else:
        present = ", ".join(str(c) for c in (table.columns if file_columns is None else file_columns))
        raise InputError(
            f"a table of {source.input} needs lon and lat (or x and y) columns (the table has "
            f"{present}; map yours with data.columns.{source.input}.lon / .lat)",
            file=path,
            field="lon, lat",
        )
    problems = []
    coords = {}
    for name in (xcol, ycol):
        col = Column(source.input, name, "float", "°" if name in ("lon", "lat") else "m", "required", "", "", "", "")
        coords[name], found = _check_numbers(col, table[name], None)
        problems += [(name, msg) for msg in found]
    if problems:  # name every bad column at once, not only the coordinates
        for col in schema(source.input):
            if col.type == "float" and col.required != "ignored" and col.column in table.columns:
                problems += [(col.column, msg) for msg in _check_numbers(col, table[col.column], None)[1]]
        raise InputError(
            "; ".join(f"{c}: {m}" for c, m in problems),
            file=path,
            field=", ".join(dict.fromkeys(c for c, _ in problems)),
        )
    crs = 4326 if source.crs is None else None
    geometry = gpd.points_from_xy(coords[xcol], coords[ycol])
    return gpd.GeoDataFrame(table.drop(columns=[xcol, ycol]), geometry=geometry, crs=crs)


def data_files(path: Path) -> list[Path]:
    """The files that make up one input file (a Shapefile's sidecars), for hashing the inputs."""
    if path.suffix.lower() in (".shp", ".dbf", ".shx"):
        return [p for p in (path.with_suffix(s) for s in SHAPEFILE_SIDECARS) if p.exists()] or [path]
    return [path]


# --------------------------------------------------------------------------------------------- agreement


def _median_nearest_m(site_xy: np.ndarray, trans_xy: np.ndarray) -> float:
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(trans_xy).query(site_xy)
    return float(np.median(dist))


#: When converting one layer by a web-map shift brings the median distance from a site to its nearest transformer
#: below this share of the unshifted median, and by at least :data:`SHIFT_MIN_GAIN_M`, the layers disagree.
SHIFT_RATIO = 0.5
SHIFT_MIN_GAIN_M = 100.0
#: Fewer sites or transformers than this say too little about a systematic shift: the check is skipped.
SHIFT_MIN_POINTS = (20, 5)


def check_layers_agree(
    sites: gpd.GeoDataFrame, transformers: gpd.GeoDataFrame, *, sites_file: Path | str, transformers_file: Path | str
) -> dict[str, float]:
    """Warn (one :class:`InputWarning` line) when the sites and the transformers disagree by a GCJ-02- or
    BD-09-sized shift: the median distance from a site to its nearest transformer falls sharply when one layer
    is converted. Returns the median distances [m] of every variant tried (for tests and the curious)."""
    if len(sites) < SHIFT_MIN_POINTS[0] or len(transformers) < SHIFT_MIN_POINTS[1]:
        return {}
    s = sites.geometry.to_crs(4326).representative_point()
    t = transformers.geometry.to_crs(4326)
    found = (~(t.isna() | t.is_empty)).to_numpy()
    s_lon, s_lat, t_lon, t_lat = s.x.to_numpy(), s.y.to_numpy(), t.x.to_numpy()[found], t.y.to_numpy()[found]
    if not (in_china(s_lon, s_lat).any() and in_china(t_lon, t_lat).any()):
        return {}
    lon0, lat0 = float(np.median(s_lon)), float(np.median(s_lat))
    zone = int((lon0 + 180.0) // 6.0) % 60 + 1
    to_m = Transformer.from_crs(4326, (32600 if lat0 >= 0 else 32700) + zone, always_xy=True)
    site_xy = np.column_stack(to_m.transform(s_lon, s_lat))
    variants = {"as read": (t_lon, t_lat)}
    for name in ("GCJ-02", "BD-09"):
        variants[f"transformers {name}"] = TO_WGS84[name](t_lon, t_lat)
        variants[f"sites {name}"] = FROM_WGS84[name](t_lon, t_lat)  # moving the transformers the other way
    medians = {k: _median_nearest_m(site_xy, np.column_stack(to_m.transform(*v))) for k, v in variants.items()}
    base = medians["as read"]
    best = min((k for k in medians if k != "as read"), key=lambda k: medians[k])
    if medians[best] < SHIFT_RATIO * base and base - medians[best] > SHIFT_MIN_GAIN_M:
        layer, name = best.split()
        file = transformers_file if layer == "transformers" else sites_file
        warnings.warn(
            f"{file}: the {layer} look like {name} web-map coordinates: the median distance from a site "
            f"to its nearest transformer is {base:,.0f} m as read and {medians[best]:,.0f} m with the "
            f"{layer} converted from {name}; declare data.{layer}_crs: {name}",
            InputWarning,
            stacklevel=2,
        )
    return medians


def _first_file(data, own: str) -> tuple[str, Path]:
    """The first file given of ``data.<own>``, ``data.grid_file``, ``data.sites_file``, and its key."""
    return next(
        (f"data.{k}", getattr(data, k)) for k in (own, "grid_file", "sites_file") if getattr(data, k) is not None
    )


def source_for(scenario, input_name: str, index: int | None = None) -> Source:
    """The :class:`Source` of one input of a scenario: its file (transformers: ``data.transformers_file``, else
    ``data.grid_file``, else ``data.sites_file``; feeders: ``data.grid_file``, else ``data.sites_file``; lines:
    ``data.lines_file``, else ``data.grid_file``, else ``data.sites_file``;
    exclusion ``index``: its ``file``, else ``data.sites_file``), layer, declared CRS and column mapping."""
    data = scenario.data
    columns = data.columns.get(input_name)
    if input_name == "sites":
        return Source(
            "sites",
            scenario.resolve(data.sites_file),
            data.sites_layer,
            "data.sites_file",
            "data.sites_layer",
            data.sites_crs,
            "data.sites_crs",
            columns,
        )
    if input_name == "transformers":
        key, file = _first_file(data, "transformers_file")
        return Source(
            "transformers",
            scenario.resolve(file),
            data.transformers_layer,
            key,
            "data.transformers_layer",
            data.transformers_crs,
            "data.transformers_crs",
            columns,
        )
    if input_name == "feeders":
        key, file = (
            ("data.grid_file", data.grid_file) if data.grid_file is not None else ("data.sites_file", data.sites_file)
        )
        return Source(
            "feeders",
            scenario.resolve(file),
            data.feeders_layer,
            key,
            "data.feeders_layer",
            data.feeders_crs,
            "data.feeders_crs",
            columns,
        )
    if input_name == "lines":
        key, file = _first_file(data, "lines_file")
        return Source(
            "lines",
            scenario.resolve(file),
            data.lines_layer,
            key,
            "data.lines_layer",
            data.lines_crs,
            "data.lines_crs",
            columns,
        )
    exc = data.exclusions[index]
    file_key = f"data.exclusions[{index}].file" if exc.file is not None else "data.sites_file"
    return Source(
        "exclusions",
        scenario.resolve(exc.file or data.sites_file),
        exc.layer,
        file_key,
        f"data.exclusions[{index}].layer",
        data.exclusions_crs,
        "data.exclusions_crs",
    )


# --------------------------------------------------------------------------------------------- template

TEMPLATE_FILES = ("county.gpkg", "transformers.csv", "scenario.yaml")
#: Offsets [m] east and north of the template's location: the example site's corner and size, the transformer.
_TEMPLATE_SITE_M, _TEMPLATE_SIDE_M, _TEMPLATE_TRANSFORMER_M = (0.0, 0.0), 14.0, (60.0, 0.0)

TEMPLATE_SCENARIO = """\
# A pvsim scenario written by `pvsim template`. county.gpkg and transformers.csv hold one example row each, with
# every column pvsim reads: replace them with your county's, then run `pvsim validate scenario.yaml`.
# Every key: docs/scenarios.md (`pvsim schema`); every column: docs/inputs.md (`pvsim schema --inputs`).
name: my_county
start_date: 2026-01-01
horizon_years: 25
seed: 0
strategy: max_yield

data:
  sites_file: county.gpkg
  sites_layer: sites
  transformers_file: transformers.csv   # or delete this line to use the transformers layer of county.gpkg
  feeders_layer: feeders
  exclusions:
    - layer: exclusions                 # e.g. permanent basic farmland, ecological red line
      reason: excluded
  # columns:                            # your column names, per input
  #   sites: {{site_id: OBJECTID, site_type: DLBM, roof_tilt_deg: slope}}
  #   transformers: {{transformer_id: id, rating_kva: kVA, lon: lng, lat: lat}}
  # site_type_map:                      # your categories -> pvsim's site types (quote codes)
  #   '0101': agrivoltaic
  #   building=house: rural_home
  # sites_crs: 4490                     # EPSG code, or GCJ-02 / BD-09 for coordinates from Chinese web maps
  # transformers_crs: GCJ-02

weather:
{weather}"""


def _template_weather(lon: float, lat: float) -> str:
    """The template's weather block: the nearest weather preset when one lies close enough to the location, else a
    note saying what to give (no county runs on another place's climate)."""
    from .weather import PRESET_MAX_DISTANCE_KM, PRESETS, distance_km

    near = sorted((distance_km(lat, lon, p.latitude, p.longitude), name) for name, p in PRESETS.items())
    if near and near[0][0] <= PRESET_MAX_DISTANCE_KM:
        return (
            f"  source: synthetic\n  synthetic:\n    preset: {near[0][1]}   # {near[0][0]:.0f} km away; or your "
            "county's own monthly_* values, or source: file / pvgis\n"
        )
    return (
        "  source: synthetic           # no shipped preset lies within "
        f"{PRESET_MAX_DISTANCE_KM:.0f} km: give your county's\n"
        "  synthetic:                   # 12 monthly means (January..December), or source: file / pvgis\n"
        "    monthly_ghi_kwh_per_m2_day: []\n    monthly_temp_air_c: []\n    monthly_wind_speed_m_per_s: []\n"
    )


def _template_layers(lon: float, lat: float) -> dict[str, gpd.GeoDataFrame]:
    """One example row per layer (every non-ignored column of the schema), around ``lon``/``lat`` [°]."""
    from shapely.geometry import LineString, Point, box

    utm = CRS.from_epsg((32600 if lat >= 0 else 32700) + int((lon + 180.0) // 6.0) % 60 + 1)
    x0, y0 = Transformer.from_crs(4326, utm, always_xy=True).transform(lon, lat)
    sx, sy = _TEMPLATE_SITE_M
    tx, ty = _TEMPLATE_TRANSFORMER_M
    geometry = {
        "sites": box(x0 + sx, y0 + sy, x0 + sx + _TEMPLATE_SIDE_M, y0 + sy + _TEMPLATE_SIDE_M),
        "transformers": Point(x0 + tx, y0 + ty),
        "feeders": LineString([(x0 + tx, y0 + ty - 500.0), (x0 + tx, y0 + ty)]),
    }
    layers = {}
    for name, geom in geometry.items():
        row = {c.column: _example_value(c) for c in schema(name) if c.type != "geometry" and c.required != "ignored"}
        layers[name] = gpd.GeoDataFrame([row], geometry=[geom], crs=utm).to_crs(4326)
    layers["exclusions"] = gpd.GeoDataFrame({"name": pd.Series([], dtype=str)}, geometry=[], crs=4326)
    return layers


def _example_value(col: Column) -> Any:
    return float(col.example) if col.type == "float" and col.example else col.example


def write_template(folder: Path | str, *, lon: float = 116.40, lat: float = 39.90) -> list[Path]:
    """Write ``county.gpkg`` (every layer: sites, transformers, feeders, exclusions), ``transformers.csv`` (the
    same transformer as a CSV ledger) and ``scenario.yaml`` into ``folder``, with one example row per layer at
    ``lon``/``lat`` [°]; ``pvsim validate`` accepts them as written. Existing files are never overwritten."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError("the template folder is a file", file=folder, allowed="a folder (created if missing)")
    taken = [name for name in TEMPLATE_FILES if (folder / name).exists()]
    if taken:
        raise InputError(
            f"the folder already holds {', '.join(taken)}",
            file=folder,
            allowed="a new or empty folder (pvsim template never overwrites files)",
        )
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        raise InputError(
            "location out of range",
            field="--lon/--lat",
            value=[lon, lat],
            allowed="longitude -180..180, latitude -80..84 (UTM)",
        )
    layers = _template_layers(lon, lat)

    def write_gpkg(tmp: Path) -> None:  # tmp keeps the .gpkg suffix GDAL wants; atomic_write renames it
        for name, layer in layers.items():
            extra: dict[str, Any] = {"geometry_type": "Polygon"} if len(layer) == 0 else {}
            with gdal_write(folder / "county.gpkg"):
                layer.to_file(tmp, layer=name, driver="GPKG", **extra)

    t = layers["transformers"]
    ledger = pd.DataFrame(t.drop(columns="geometry"))
    ledger.insert(1, "lon", t.geometry.x.round(7))
    ledger.insert(2, "lat", t.geometry.y.round(7))
    paths: list[Path] = []
    with new_files(folder, TEMPLATE_FILES, field="DIR", allowed="a new or empty folder"):
        try:  # all three or none: the files are new (checked under the lock), so removing them loses nothing
            paths.append(atomic_write(folder / "county.gpkg", write_gpkg))
            paths.append(atomic_write(folder / "transformers.csv", ledger.to_csv(index=False, lineterminator="\n")))
            paths.append(
                atomic_write(folder / "scenario.yaml", TEMPLATE_SCENARIO.format(weather=_template_weather(lon, lat)))
            )
        except BaseException:
            for path in paths:
                path.unlink(missing_ok=True)
            raise
    return paths
