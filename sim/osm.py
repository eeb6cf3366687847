"""OpenStreetMap extract -> candidate sites layer (``pvsim import-osm``).

Reads an ``.osm`` (XML) or ``.osm.pbf`` extract with pyosmium, which assembles closed ways and multipolygon relations
into areas, and maps each area to a site type with a tag table: ``sim/tables/osm_site_types.csv`` (key, value,
site type, pitched roof, minimum and maximum area, source), first matching row wins, ``*`` matches any value, an
empty site type drops the area (sheds, garages, underground car parks). A user table (CSV or YAML, same columns;
``pvsim import-osm --tags``) is put in front of the shipped one.

The rules use what the tags say a building is (``building``, ``amenity``, ``shop``, ``office``, ``railway``,
``public_transport``, ``man_made``), the land use around it (the pseudo-key :data:`WITHIN_LANDUSE`: the
``landuse`` of the polygon its centre lies in, so a ``building=yes`` in an industrial estate is commercial), and its
size: a row's ``max_area_m2`` passes an area that reaches it on to the next row, so a ``building=yes`` of 550 m2 or
more is a commercial/industrial roof, not a rural home (the table's source column gives the reasoning). Car parks
without a ``parking`` tag are kept as surface lots.

What is kept: areas whose tags match a row with a site type and whose footprint is at least the row's minimum area.
What is dropped, and counted by tag: no matching tag, a tag mapped to nothing, below the minimum area, an outline
that could not be assembled (ways cut by the extract's bounding box lose their outer nodes), and slivers: polygons
inside the extract that touch its bounding box (what a clipping tool leaves of a building cut at the edge).

Pitched roofs (``pitched_roof`` in the table, unless ``roof:shape=flat``) get ``roof_azimuth_deg`` from the
footprint's main axis (minimum rotated rectangle): a gable roof's faces look across the long axis, so of the two
(or, for near-square footprints, four) face directions the one nearest the equator is used (south in the
northern hemisphere, north in the southern). Flat roofs keep NaN (the site
type's default orientation applies). ``building:levels`` is kept as ``building_storeys``, the footprint as
``area_m2`` (the input schema's names).

Ids are ``way_<id>`` or ``relation_<id>``: unique in an extract, and within the characters site ids allow.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pyproj import CRS

from ._config import SITE_TYPES, TABLES
from ._io import atomic_write, gdal_write, new_files
from .errors import InputError
from .sites import equator_azimuth_deg, utm_epsg

TAG_TABLE = TABLES / "osm_site_types.csv"
TAG_COLUMNS = ("key", "value", "site_type", "pitched_roof", "min_area_m2", "max_area_m2")
#: Pseudo-key of the tag table: the ``landuse`` value of the land-use polygon a building's centre lies in (a
#: ``building=yes`` inside ``landuse=industrial`` is a factory or warehouse, not a home).
WITHIN_LANDUSE = "within_landuse"
#: Pseudo-key: the ``amenity`` of the campus (school, university, hospital grounds, not a building) a building's
#: centre lies in. The campus outline itself is context, not a roof.
WITHIN_AMENITY = "within_amenity"
#: Pseudo-key: "yes" on a building of at least :data:`MULTI_STOREY_LEVELS` storeys (``building:levels``).
MULTI_STOREY = "multi_storey"
#: Storeys from which a building is taken as a block (flats or offices) with a flat roof: assumption.
MULTI_STOREY_LEVELS = 4
#: ``amenity`` values whose areas without a ``building`` tag are grounds (campuses), read as context for the
#: buildings on them.
CAMPUS_AMENITIES = frozenset({"school", "university", "college", "kindergarten", "hospital", "clinic"})
#: A polygon inside the extract whose outline comes this close to the bounding box is taken as cut by it [m].
EDGE_TOLERANCE_M = 0.5
#: Rectangles with a long/short side ratio below this have no clear ridge: all four face directions are candidates.
SQUARE_ASPECT = 1.15


@dataclass
class ImportReport:
    """What an import kept and dropped; counts keyed by ``(reason or site type, "key=value")``."""

    extract: str
    out: Path | None = None
    kept: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """Human-readable summary, one line per (site type or reason, tag)."""
        out = [f"{self.extract}: kept {sum(self.kept.values())} sites, dropped {sum(self.dropped.values())}"]
        for (site_type, tag), n in sorted(self.kept.items()):
            out.append(f"  kept     {n:5d}  {site_type:22s} {tag}")
        for (reason, tag), n in sorted(self.dropped.items()):
            out.append(f"  dropped  {n:5d}  {reason:22s} {tag}")
        return out


# --------------------------------------------------------------------------------------------- tag table


def tag_table(user_file: str | Path | None = None) -> pd.DataFrame:
    """The tag -> site-type table: the user's rows (CSV or YAML list of rows) first, then the shipped ones."""
    shipped = _check_table(pd.read_csv(TAG_TABLE, dtype=str, keep_default_na=False), TAG_TABLE)
    if user_file is None:
        return shipped
    path = Path(user_file)
    if not path.exists():
        raise InputError("tag table not found", file=path, field="--tags", allowed="a CSV or YAML file")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            rows = raw if isinstance(raw, list) else raw.get("tags", [])
            # YAML 1.1 reads an unquoted yes/no as a boolean: OSM means the text
            user = pd.DataFrame(
                [
                    {k: ({True: "yes", False: "no"}[v] if isinstance(v, bool) else v) for k, v in r.items()}
                    for r in rows
                ],
                dtype=str,
            )
        else:
            user = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, yaml.YAMLError, AttributeError) as exc:
        raise InputError(
            f"cannot read the tag table ({type(exc).__name__})",
            file=path,
            field="--tags",
            allowed="CSV with columns key,value,site_type[,pitched_roof,min_area_m2,max_area_m2] or a YAML list "
            "of such rows",
        ) from None
    user = user.fillna("")
    for col, default in (
        ("pitched_roof", "false"),
        ("min_area_m2", "0"),
        ("max_area_m2", ""),
        ("source", f"user table {path.name}"),
    ):
        if col not in user.columns:
            user[col] = default
    user = _check_table(user, path)
    return pd.concat([user, shipped], ignore_index=True)


def _check_table(table: pd.DataFrame, file: Path) -> pd.DataFrame:
    missing = [c for c in ("key", "value", "site_type") if c not in table.columns]
    if missing:
        raise InputError(
            "tag table lacks columns",
            file=file,
            field=", ".join(missing),
            allowed="columns key, value, site_type (optional pitched_roof, min_area_m2, max_area_m2)",
        )
    out = table.copy()
    for col in ("key", "value", "site_type"):
        out[col] = out[col].astype(str).str.strip()
    bad = out.index[(out["site_type"] != "") & ~out["site_type"].isin(SITE_TYPES)]
    if len(bad):
        raise InputError(
            "unknown site type in the tag table",
            file=file,
            field=f"site_type (row {bad[0] + 2})",
            value=out.loc[bad[0], "site_type"],
            allowed="empty (drop) or " + ", ".join(SITE_TYPES),
        )
    out["pitched_roof"] = out["pitched_roof"].astype(str).str.strip().str.lower().isin(("true", "yes", "1"))
    area = pd.to_numeric(out["min_area_m2"].replace("", "0"), errors="coerce")
    if area.isna().any() or (area < 0).any():
        row = int(np.flatnonzero((area.isna() | (area < 0)).to_numpy())[0])
        raise InputError(
            "bad minimum area in the tag table",
            file=file,
            field=f"min_area_m2 (row {row + 2})",
            value=out["min_area_m2"].iloc[row],
            allowed="a number of m2 >= 0",
        )
    out["min_area_m2"] = area.astype(float)
    raw_max = out["max_area_m2"] if "max_area_m2" in out else pd.Series("", index=out.index)
    top = pd.to_numeric(raw_max.astype(str).str.strip().replace("", "inf"), errors="coerce")
    if top.isna().any() or (top <= out["min_area_m2"]).any():
        row = int(np.flatnonzero((top.isna() | (top <= out["min_area_m2"])).to_numpy())[0])
        raise InputError(
            "bad maximum area in the tag table",
            file=file,
            field=f"max_area_m2 (row {row + 2})",
            value=raw_max.iloc[row],
            allowed="empty (no limit) or a number of m2 above min_area_m2",
        )
    out["max_area_m2"] = top.astype(float)
    return out


def match_tags(tags: dict[str, str], table: pd.DataFrame, area_m2: float | None = None) -> int | None:
    """Index of the first table row whose key is in ``tags`` with the row's value (or any value for ``*``).

    With ``area_m2``, a row whose ``max_area_m2`` the area reaches is passed over (the size rule: a big
    ``building=yes`` is no home), while a row whose ``min_area_m2`` it falls short of still matches (and the area
    is then dropped as below the minimum)."""
    tops = table["max_area_m2"].to_numpy() if "max_area_m2" in table else np.full(len(table), np.inf)
    for i, key, value, top in zip(table.index, table["key"], table["value"], tops):
        have = tags.get(key)
        if have is not None and (value == "*" or have == value) and (area_m2 is None or area_m2 < top):
            return int(i)
    return None


# --------------------------------------------------------------------------------------------- reading


#: how to get pyosmium, an optional dependency that only ``pvsim import-osm`` needs (pyproject's ``osm`` extra)
OSM_INSTALL = "pip install 'pvsim[osm]'"


def _osmium():
    """The ``osmium`` module (pyosmium), or an :class:`InputError` naming the command that installs it."""
    try:
        import osmium
    except ImportError:
        raise InputError(f"pvsim import-osm needs pyosmium, which is not installed: {OSM_INSTALL}") from None
    return osmium


def _read_areas(path: Path, table: pd.DataFrame) -> tuple[list[dict], list[tuple[str, str]], tuple | None]:
    """Assembled areas with a matching tag row (dicts), the candidates whose outline could not be built
    (``(id, tag)``), and the extract's bounding box ``(west, south, east, north)`` if the file states one."""
    osmium = _osmium()  # imported here: only the import needs it

    try:
        processor = osmium.FileProcessor(str(path)).with_areas()
        box = processor.header.box()
        bounds = (
            (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat) if box.valid() else None
        )
        wkb = osmium.geom.WKBFactory()
        areas: list[dict[str, Any]] = []
        candidates: dict[str, str] = {}
        built: set[str] = set()
        for obj in processor:
            if obj.is_area():
                tags = dict(obj.tags)
                row = match_tags(tags, table)
                oid = f"{'way' if obj.from_way() else 'relation'}_{obj.orig_id()}"
                if row is None and "landuse" not in tags and not _is_campus(tags):
                    areas.append({"id": oid, "tags": tags, "row": None, "geometry": None})
                    continue
                try:
                    geom = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(obj)))
                except RuntimeError:  # osmium: invalid area (broken ring, missing node locations)
                    if row is None:  # land use read only as context: counted as unmatched, as before
                        areas.append({"id": oid, "tags": tags, "row": None, "geometry": None})
                    continue
                built.add(oid)
                areas.append({"id": oid, "tags": tags, "row": row, "geometry": geom})
            elif obj.is_way() or (obj.is_relation() and obj.tags.get("type") == "multipolygon"):
                tags = dict(obj.tags)
                row = match_tags(tags, table)
                if row is not None:
                    candidates[f"{'way' if obj.is_way() else 'relation'}_{obj.id}"] = _tag_label(
                        table, row, tags, sized=False
                    )
    except RuntimeError as exc:
        raise InputError(
            f"cannot read the OpenStreetMap extract ({exc})",
            file=path,
            field="EXTRACT",
            allowed=".osm (XML) or .osm.pbf",
        ) from None
    broken = [(oid, tag) for oid, tag in candidates.items() if oid not in built]
    return areas, broken, bounds


def _tag_label(table: pd.DataFrame, row: int, tags: dict[str, str], *, sized: bool = True) -> str:
    """The rule that typed an area: ``key=value`` of its row, with the row's size range where it has one (and
    ``sized``: an outline that could not be built has no size)."""
    key = str(table["key"].to_numpy()[row])
    within = {WITHIN_LANDUSE: "within landuse", WITHIN_AMENITY: "within amenity"}
    label = f"{within.get(key, key)}={tags.get(key, '')}"
    if not sized:
        return label
    top = float(table["max_area_m2"].to_numpy(float)[row]) if "max_area_m2" in table else np.inf
    low = float(table["min_area_m2"].to_numpy(float)[row])
    if np.isfinite(top):
        return f"{label} (< {top:g} m2)"
    if key in ("building", WITHIN_LANDUSE) and str(table["value"].to_numpy()[row]) in ("yes", "*") and low > 100:
        return f"{label} (>= {low:g} m2)"
    return label


def _main_tag(tags: dict[str, str]) -> str:
    for key in ("building", "amenity", "landuse", "parking", "tourism", "leisure", "natural", "highway"):
        if key in tags:
            return f"{key}={tags[key]}"
    return "untagged" if not tags else f"{min(tags)}=..."


# --------------------------------------------------------------------------------------------- geometry


def roof_azimuth_deg(polygons, pitched: np.ndarray, latitude: float = 90.0) -> np.ndarray:
    """Azimuth of the roof face nearest the equator for pitched roofs (south on and north of the equator, north
    south of it, at ``latitude`` [°]), from the minimum rotated rectangle of each footprint given in metres (x east,
    y north) [°, clockwise from north, 180 = south]; NaN where not pitched.

    A gable roof's faces look across the long axis: candidates are the two directions perpendicular to it, or all
    four side normals when the rectangle is nearly square (long/short < :data:`SQUARE_ASPECT`).
    """
    geoms = np.asarray(polygons, dtype=object)
    out = np.full(len(geoms), np.nan)
    for i in np.flatnonzero(np.asarray(pitched, bool)):
        rect = shapely.minimum_rotated_rectangle(geoms[i])
        xy = np.asarray(rect.exterior.coords)[:4]
        edges = np.diff(np.vstack([xy, xy[:1]]), axis=0)
        lengths = np.hypot(edges[:, 0], edges[:, 1])
        if lengths.min() <= 0:
            continue
        long_edge = edges[int(np.argmax(lengths))]
        axis = math.degrees(math.atan2(long_edge[0], long_edge[1])) % 180.0  # bearing of the ridge
        sides = [(axis + 90.0) % 360.0, (axis + 270.0) % 360.0]
        if lengths.max() / lengths.min() < SQUARE_ASPECT:
            sides += [axis % 360.0, (axis + 180.0) % 360.0]
        faces = np.array(sides)
        off_equator = np.abs((faces - equator_azimuth_deg(latitude) + 180.0) % 360.0 - 180.0)
        out[i] = round(float(faces[int(np.argmin(off_equator))]), 1) % 360.0
    return out


def _storeys(value: str | None) -> float:
    try:
        n = float(str(value).replace(",", ".").strip())
    except (TypeError, ValueError):
        return np.nan
    return n if 0 < n < 200 else np.nan


# --------------------------------------------------------------------------------------------- import


def osm_sites(extract: str | Path, tags_file: str | Path | None = None) -> tuple[gpd.GeoDataFrame, ImportReport]:
    """Candidate sites (EPSG:4326) from an OpenStreetMap extract, and the report of what was kept and dropped."""
    path = Path(extract)
    if not path.exists():
        raise InputError(
            "OpenStreetMap extract not found", file=path, field="EXTRACT", allowed="an existing .osm or .osm.pbf file"
        )
    table = tag_table(tags_file)
    areas, broken, bounds = _read_areas(path, table)
    report = ImportReport(extract=path.name)
    for _, tag in broken:
        report.dropped[("outline cut/invalid", tag)] += 1
    for a in areas:
        if a["geometry"] is None:
            report.dropped[("no matching tag", _main_tag(a["tags"]))] += 1
    shaped = [a for a in areas if a["geometry"] is not None]
    if not shaped:
        return _empty_sites(), report
    gdf = gpd.GeoDataFrame(shaped, geometry="geometry", crs=4326)
    centre = gdf.geometry.union_all().centroid
    local = gdf.to_crs(CRS.from_epsg(utm_epsg(centre.x, centre.y)))
    area = local.geometry.area.to_numpy()
    tags = _with_landuse_context(local)
    row_idx, labels, keep = _type_areas(tags, area, table, report)
    sliver = _cut_at_edge(local, bounds) & keep
    for tag in labels[sliver]:
        report.dropped[("cut at extract edge", tag)] += 1
    keep &= ~sliver
    gdf, local, row_idx, area, labels = gdf[keep], local[keep], row_idx[keep], area[keep], labels[keep]
    tags = [t for t, k in zip(tags, keep) if k]
    flat = np.array([t.get("roof:shape", "") == "flat" for t in tags], bool)
    pitched = table["pitched_roof"].to_numpy()[row_idx] & ~flat
    sites = gpd.GeoDataFrame(
        {
            "site_id": gdf["id"].to_numpy(),
            "site_type": table["site_type"].to_numpy()[row_idx],
            "name": [t.get("name", "") for t in tags],
            "village": [t.get("addr:village", t.get("addr:city", "")) for t in tags],
            "township": [t.get("addr:suburb", "") for t in tags],
            "roof_tilt_deg": np.nan,
            "roof_azimuth_deg": roof_azimuth_deg(local.geometry.to_numpy(), pitched, latitude=centre.y),
            "building_storeys": [_storeys(t.get("building:levels")) for t in tags],
            "area_m2": np.round(area, 1),
            "osm_tag": labels,
        },
        geometry=gdf.geometry.to_numpy(),
        crs=4326,
    ).sort_values("site_id", ignore_index=True)
    for st, tag in zip(sites["site_type"], sites["osm_tag"]):
        report.kept[(st, tag)] += 1
    return sites, report


def _is_campus(tags: dict[str, str]) -> bool:
    """Grounds of a school, university or hospital (an ``amenity`` area that is not a building)."""
    return tags.get("amenity") in CAMPUS_AMENITIES and "building" not in tags


def _with_landuse_context(local: gpd.GeoDataFrame) -> list[dict[str, str]]:
    """Each area's tags, buildings' with :data:`WITHIN_LANDUSE` and :data:`WITHIN_AMENITY` added: the ``landuse``
    of the smallest land-use polygon, and the ``amenity`` of the smallest campus, their centre lies in; and
    :data:`MULTI_STOREY` on buildings of :data:`MULTI_STOREY_LEVELS` storeys or more."""
    tags = [dict(t) for t in local["tags"]]
    is_building = np.array(["building" in t for t in tags], bool)
    for t, building in zip(tags, is_building):
        if building and _storeys(t.get("building:levels")) >= MULTI_STOREY_LEVELS:
            t[MULTI_STOREY] = "yes"
    for pseudo, key, is_zone in (
        (WITHIN_LANDUSE, "landuse", lambda t: "landuse" in t),
        (WITHIN_AMENITY, "amenity", _is_campus),
    ):
        zone = np.array([is_zone(t) for t in tags], bool)
        if not zone.any() or not is_building.any():
            continue
        zones = local[zone].copy()
        zones["zone_value"] = [t[key] for t, z in zip(tags, zone) if z]
        zones["zone_area"] = zones.geometry.area
        centres = gpd.GeoDataFrame(geometry=local[is_building].geometry.representative_point(), crs=local.crs)
        hits = gpd.sjoin(centres, zones[["zone_value", "zone_area", "geometry"]], predicate="within", how="inner")
        smallest = hits.sort_values("zone_area").groupby(level=0)["zone_value"].first()
        positions = {label: k for k, label in enumerate(local.index)}
        for label, value in smallest.items():
            tags[positions[label]][pseudo] = str(value)
    return tags


def _type_areas(
    tags: list[dict[str, str]], area: np.ndarray, table: pd.DataFrame, report: ImportReport
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The table row of every area by its tags and size (:func:`match_tags`), its rule label, and whether it is
    kept; the report counts what is dropped: no matching tag (land use read only as context), mapped to nothing,
    below the row's minimum area."""
    rows = np.full(len(tags), -1)
    labels = np.empty(len(tags), dtype=object)
    keep = np.zeros(len(tags), bool)
    for k, (t, a) in enumerate(zip(tags, area)):
        row = None if _is_campus(t) else match_tags(t, table, float(a))
        if row is None:
            reason = (
                "land use: context only"
                if "landuse" in t
                else "campus: context only"
                if _is_campus(t)
                else "no matching tag"
            )
            report.dropped[(reason, _main_tag(t))] += 1
            continue
        rows[k], labels[k] = row, _tag_label(table, row, t)
        if table.at[row, "site_type"] == "":
            report.dropped[("mapped to nothing", labels[k])] += 1
        elif a < float(table["min_area_m2"].to_numpy(float)[row]):
            report.dropped[("below minimum area", labels[k])] += 1
        else:
            keep[k] = True
    return np.where(rows < 0, 0, rows), labels, keep


def _cut_at_edge(local: gpd.GeoDataFrame, bounds: tuple | None) -> np.ndarray:
    """Polygons inside the extract's bounding box that touch it (within :data:`EDGE_TOLERANCE_M`)."""
    if bounds is None or not len(local):
        return np.zeros(len(local), bool)
    if local.crs is None:
        raise ValueError("the OSM sites have no CRS")
    box = gpd.GeoSeries([shapely.box(*bounds)], crs=4326).to_crs(local.crs).iloc[0]
    near_edge = local.geometry.distance(shapely.boundary(box)).to_numpy() <= EDGE_TOLERANCE_M
    inside = local.geometry.within(box.buffer(EDGE_TOLERANCE_M)).to_numpy()
    return near_edge & inside


def _empty_sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site_id": [], "site_type": []}, geometry=[], crs=4326)


def import_osm(extract: str | Path, out_dir: str | Path, tags_file: str | Path | None = None) -> ImportReport:
    """Write ``OUT_DIR/sites.gpkg`` (layer ``sites``) from an OpenStreetMap extract; returns the report.

    The GeoPackage is written to a temporary file and moved into place, so a failed import leaves nothing behind;
    an existing ``sites.gpkg`` is never replaced (InputError).
    """
    sites, report = osm_sites(extract, tags_file)
    if not len(sites):
        raise InputError(
            "no candidate sites in the extract",
            file=extract,
            field="EXTRACT",
            allowed="an extract with buildings or land use the tag table maps (see --tags)",
        )
    out = Path(out_dir)
    target = out / "sites.gpkg"
    if target.exists():  # it may hold layers the user added (transformers): never replace it
        raise InputError(
            "the output GeoPackage already exists",
            file=target,
            field="--out",
            allowed="a folder without sites.gpkg (pvsim import-osm never replaces one: move or delete it)",
        )
    # locked, leftovers of a killed import removed, the name checked again under the lock; a temporary file beside
    # the target (it keeps the .gpkg suffix GDAL wants), renamed into place when complete
    with new_files(out, [target.name], field="--out", allowed="a folder without sites.gpkg"), gdal_write(target):
        atomic_write(target, lambda tmp: sites.to_file(tmp, layer="sites", driver="GPKG", engine="pyogrio"))
    report.out = target
    return report
