"""Candidate sites: checks of the sites layer, capacity from area, grid connection and eligibility (reading, the
schema, column mapping and CRS handling are :mod:`sim.inputs`).

Steps (:func:`prepare_sites`): :func:`read_sites` -> :func:`size_sites` -> crop-light design of agrivoltaic layouts
(:mod:`sim.agrivoltaics`) -> :func:`connect_sites` -> :func:`decide_eligibility`, the one place that decides
eligibility."""

from __future__ import annotations

import warnings
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from . import agrivoltaics, inputs
from . import grid as gridmod
from . import load as loadmod
from .errors import InputError, InputWarning
from .scenario import Scenario


@lru_cache(maxsize=1)
def site_type_table() -> pd.DataFrame:
    """The shipped site-type defaults (``sim/tables/site_types.csv``), indexed by site type."""
    with resources.files("sim").joinpath("tables/site_types.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh)
    for col in ("pilot_category", "source"):
        table[col] = table[col].fillna("").astype(str)
    table["tracking"] = table["tracking"].astype(str).str.lower().eq("true")
    return table.set_index("site_type")


def site_type_parameters(scenario: Scenario) -> pd.DataFrame:
    """The site-type table with the scenario's overrides applied (a new frame)."""
    table = site_type_table().copy()
    for site_type, override in scenario.siting.site_types.items():
        for key, value in override.model_dump(exclude_none=True).items():
            table.loc[site_type, key] = value
    return table


# --------------------------------------------------------------------------------------------- reading


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone holding ``lon``/``lat`` [°]: 326xx north of the equator (and on it), 327xx
    south. Zones are 6° wide, numbered 1..60 eastwards from 180° W; a zone's western meridian belongs to it, and 180°
    is the meridian -180° (zone 1). The Norway and Svalbard exceptions are not applied."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


def local_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """The UTM zone (WGS 84) holding the layer's centre: areas and distances are computed there."""
    return CRS.from_epsg(utm_epsg(*_center_lonlat(gdf)))


def _center_lonlat(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    crs = gdf.crs
    geo = gdf if crs is not None and crs.is_geographic and crs.to_epsg() == 4326 else gdf.to_crs(4326)
    minx, miny, maxx, maxy = geo.total_bounds
    return float((minx + maxx) / 2), float((miny + maxy) / 2)


def check_sites(gdf: gpd.GeoDataFrame, file: Path, *, strict: bool = False) -> gpd.GeoDataFrame:
    """Schema (:func:`sim.inputs.check_columns`), geometry and CRS checks of the sites layer; returns a cleaned copy
    indexed by ``site_id``."""
    if len(gdf) == 0:
        raise InputError("the sites layer is empty", file=file, allowed="at least one candidate site polygon")
    inputs.check_crs(gdf, file, "sites")
    out = inputs.check_columns(gdf, "sites", file, what="site")
    missing = out.geometry.isna() | out.geometry.is_empty
    if missing.any():
        raise InputError(
            f"site {out['site_id'][missing].iloc[0]} has an empty geometry",
            file=file,
            field="geometry",
            allowed="a polygon per site",
        )
    types_ = set(out.geometry.geom_type.unique())
    if not types_ <= {"Polygon", "MultiPolygon"}:
        raise InputError(
            "sites must be polygons (roof outlines, parcels)",
            file=file,
            field="geometry",
            value=sorted(types_ - {"Polygon", "MultiPolygon"}),
            allowed="Polygon, MultiPolygon",
        )
    invalid = ~out.geometry.is_valid
    if invalid.any():
        ids = out["site_id"][invalid]
        msg = f"{file}: geometry: {len(ids)} invalid polygon(s) (first: {ids.iloc[0]}) repaired with shapely.make_valid"
        if strict:
            raise InputError(
                f"{len(ids)} invalid polygon(s), first {ids.iloc[0]} (--strict forbids repairs)",
                file=file,
                field="geometry",
                allowed="valid polygons",
            )
        warnings.warn(msg, InputWarning, stacklevel=2)
        repaired = shapely.make_valid(np.asarray(out.geometry[invalid], dtype=object))
        polys = [
            shapely.union_all([g for g in shapely.get_parts(r) if g.geom_type in ("Polygon", "MultiPolygon")])
            if r.geom_type == "GeometryCollection"
            else r
            for r in repaired
        ]
        out.loc[invalid.to_numpy(), "geometry"] = np.array(polys, dtype=object)
    return out.set_index("site_id", drop=False)


# --------------------------------------------------------------------------------------------- preparation


def _exclusion_mask(scenario: Scenario, sites_local: gpd.GeoDataFrame, crs: CRS) -> pd.Series:
    """Reason of exclusion per site ('' where none), from the scenario's exclusion layers."""
    reason = pd.Series("", index=sites_local.index, dtype=object)
    for i, exc in enumerate(scenario.data.exclusions):
        layer = inputs.read_input(inputs.source_for(scenario, "exclusions", i))
        if len(layer) == 0:
            continue
        found = layer.to_crs(crs).geometry
        geoms = shapely.make_valid(np.asarray(found[~(found.isna() | found.is_empty)], dtype=object))
        if exc.buffer_m > 0:
            geoms = shapely.buffer(geoms, exc.buffer_m)
        applies = (
            sites_local.index
            if exc.applies_to == "all"
            else sites_local.index[sites_local["site_type"].isin(exc.applies_to)]
        )
        if len(applies) == 0:
            continue
        tree = shapely.STRtree(geoms)
        hit_idx = np.unique(
            tree.query(np.asarray(sites_local.geometry.loc[applies], dtype=object), predicate="intersects")[0]
        )
        hit = applies[hit_idx]
        label = exc.reason or exc.layer
        free = reason.loc[hit] == ""
        reason.loc[hit[free.to_numpy()]] = label
    return reason


def read_sites(scenario: Scenario, *, strict: bool = False) -> gpd.GeoDataFrame:
    """The scenario's candidate sites, read and checked (EPSG:4326, indexed by ``site_id``)."""
    source = inputs.source_for(scenario, "sites")
    raw = inputs.map_categories(inputs.read_input(source), "site_type", scenario.data.site_type_map)
    return check_sites(raw, source.file, strict=strict)


def county_location(sites: gpd.GeoDataFrame) -> tuple[float, float]:
    """Centre of the sites' bounding box as ``(latitude, longitude)`` [°], where the weather is taken."""
    lon, lat = _center_lonlat(sites)
    return lat, lon


def equator_azimuth_deg(latitude: float) -> float:
    """Azimuth of the equator seen from ``latitude`` [°, clockwise from north]: 180 (south) on and north of the
    equator, 0 (north) south of it."""
    return 180.0 if latitude >= 0 else 0.0


def tracker_axis_azimuth_deg(latitude: float) -> float:
    """Default axis azimuth of the (horizontal) single-axis trackers at ``latitude`` [°, clockwise from north]: a
    north-south axis, pointing to the equator (:func:`equator_azimuth_deg`: 180 on and north of the equator, 0
    south of it), at every latitude.

    Sources: the horizontal north-south single-axis tracker is the usual utility-scale tracker, turning east to
    west (pvlib ``tracking.singleaxis``: with ``axis_azimuth`` 180 a positive rotation turns the modules west);
    the axis azimuth is measured along the axis, so it points to the equator in both hemispheres (for a horizontal
    axis 0 and 180 give the same module orientations, only the sign of the rotation angle differs). At high
    latitudes a north-south axis still collects more than an east-west one: a pvlib clear-sky year (Ineichen,
    Hay-Davies) on a horizontal axis turning +-55° gives north-south / east-west = 1.04 at 45° N, 1.01 at 60° N,
    1.05 at 65° N and 1.05 at 70° N, and horizontal north-south trackers are built that far north (European
    Energy's 44 MW plant north of Skive, Denmark, about 56.6° N, 37 MW of it on horizontal single-axis trackers,
    as reNEWS reported it). A tilted or two-axis tracker, better still there, is not a horizontal single-axis
    tracker and not modelled here."""
    return equator_azimuth_deg(latitude)


def to_hemisphere(azimuth_deg, latitude: float):
    """A northern-hemisphere orientation turned to the same orientation relative to the equator at ``latitude``
    [°]: unchanged on and north of the equator; south of it mirrored across the east-west line, ``(180 - a) mod
    360`` (180 south -> 0 north, 135 south-east -> 45 north-east, 90 east stays east)."""
    a = np.asarray(azimuth_deg, float)
    return a if latitude >= 0 else np.mod(180.0 - a, 360.0)


def faces_pole(azimuth_deg, latitude: float):
    """Whether an orientation [°] looks more than 90° away from the equator at ``latitude`` (towards the pole)."""
    off = np.abs(np.mod(np.asarray(azimuth_deg, float) - equator_azimuth_deg(latitude) + 180.0, 360.0) - 180.0)
    return off > 90.0


def default_azimuths(scenario: Scenario, site_types: pd.Series, table_deg: np.ndarray, latitude: float) -> np.ndarray:
    """Each site's default module azimuth [°]: the site-type table's azimuths are written for the northern
    hemisphere (180 = equator-facing) and turned to face the equator south of it (:func:`to_hemisphere`); an
    azimuth the scenario sets for a site type (``siting.site_types.<type>.surface_azimuth_deg``) is the user's and
    kept as given (:func:`warn_pole_facing` says when it faces the pole)."""
    own = [t for t, o in scenario.siting.site_types.items() if getattr(o, "surface_azimuth_deg", None) is not None]
    return np.where(site_types.isin(own).to_numpy(), table_deg, to_hemisphere(table_deg, latitude))


def warn_pole_facing(scenario: Scenario, latitude: float) -> None:
    """One InputWarning per site type whose fixed (not tracking) arrays the scenario turns towards the pole."""
    table = site_type_parameters(scenario)
    for site_type, override in scenario.siting.site_types.items():
        azimuth = getattr(override, "surface_azimuth_deg", None)
        if azimuth is None or bool(table.loc[site_type, "tracking"]) or not faces_pole(azimuth, latitude):
            continue
        warnings.warn(
            f"siting.site_types.{site_type}.surface_azimuth_deg = {azimuth:g} faces the pole at latitude "
            f"{latitude:.2f} (the equator is at azimuth {equator_azimuth_deg(latitude):.0f}): its fixed "
            "arrays will yield far less; leave it unset for equator-facing arrays",
            InputWarning,
            stacklevel=3,
        )


def size_sites(scenario: Scenario, sites: gpd.GeoDataFrame, local: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Area, capacity, mount, orientation, layout, capex and O&M of every site from its type's parameters.

    ``local`` is ``sites`` in the local projected CRS (areas are never computed in degrees). Returns a copy.
    """
    params = site_type_parameters(scenario).loc[sites["site_type"]]
    params.index = sites.index
    out = sites.copy()
    out["area_m2"] = local.geometry.area.to_numpy()
    out["pilot_category"] = params["pilot_category"].astype(str)
    out["mount"] = params["mount"].astype(str)
    cap = out["area_m2"] * params["usable_area_percent"] / 100.0 * params["power_density_w_per_m2"] / 1000.0
    out["capacity_kwp"] = np.minimum(cap, scenario.siting.max_site_capacity_kwp).round(2)
    roof = out["mount"].isin(["roof_parallel", "greenhouse"])
    latitude = county_location(sites)[0]
    azimuth = default_azimuths(scenario, out["site_type"], params["surface_azimuth_deg"].to_numpy(float), latitude)
    out["surface_tilt"] = np.where(
        roof & out["roof_tilt_deg"].notna(), out["roof_tilt_deg"], params["surface_tilt_deg"]
    ).astype(float)
    out["surface_azimuth"] = np.where(out["roof_azimuth_deg"].notna() & roof, out["roof_azimuth_deg"], azimuth).astype(
        float
    )
    # racks on flat roofs face the equator whatever the building's orientation
    for col in ("gcr", "height_m", "bifaciality"):
        out[col] = params[col].astype(float)
    out["tracking"] = params["tracking"].astype(bool)
    out["capex_cny"] = (out["capacity_kwp"] * 1000.0 * params["capex_cny_per_w"]).round(2)
    out["om_cny_per_kw_year"] = params["om_cny_per_kw_year"].astype(float)
    out["load_kwh_per_year"] = loadmod.annual_load_kwh(out).to_numpy(float)
    out["lv_only"] = params["connection"].eq("lv").to_numpy()
    return out


def connect_sites(
    scenario: Scenario, sites: gpd.GeoDataFrame, local: gpd.GeoDataFrame, crs: CRS
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Connection level (``lv`` up to ``siting.lv_max_kwp`` or where the type connects at low voltage, else
    ``mv``) and the transformer (and feeder) each site connects to. Returns ``(sites copy, transformers)``."""
    out = sites.copy()
    level = pd.Series(
        np.where(out["lv_only"] | (out["capacity_kwp"] <= scenario.siting.lv_max_kwp), "lv", "mv"), index=out.index
    )
    out["connection_level"] = level
    source = inputs.source_for(scenario, "transformers")
    transformers = gridmod.check_transformers(inputs.read_input(source), source.file)
    inputs.check_layers_agree(
        sites, transformers, sites_file=scenario.resolve(scenario.data.sites_file), transformers_file=source.file
    )
    feeders = None
    if scenario.data.feeders_layer is not None:
        fsource = inputs.source_for(scenario, "feeders")
        feeders = gridmod.check_feeders(inputs.read_input(fsource), fsource.file).to_crs(crs)
    assigned = gridmod.assign_transformers(local, transformers.to_crs(crs), level, feeders)
    out["transformer_id"] = assigned["transformer_id"]
    out["feeder_id"] = assigned["feeder_id"]
    out["distance_to_transformer_m"] = assigned["distance_to_transformer_m"].round(1)
    return out.drop(columns="lv_only"), transformers


def _land_classes(sites: pd.DataFrame) -> pd.Series:
    if "land_class" not in sites.columns:
        return pd.Series("", index=sites.index, dtype=object)
    return sites["land_class"].fillna("").astype(str)


def land_class_allows(sites: pd.DataFrame) -> pd.Series:
    """Whether each site's land class (optional ``land_class`` column, Third National Land Survey) allows its type's
    arrays (``sim/tables/land_classes.csv``, after 自然资办发〔2023〕12号: none on cultivated land or permanent basic
    farmland; other agricultural land, forest, grassland, ponds and facility agriculture for the types that keep
    the land in its use, under the conditions the table names; construction land for everything). The conditions
    themselves (clearance, spacing, crop light) are the site type's own rules. A site without a land class is not
    restricted."""
    table = inputs.land_class_table()
    land = _land_classes(sites)
    allowed = pd.Series(True, index=sites.index)
    for land_class, row in table.iterrows():
        here = land.eq(str(land_class))
        if not here.any():
            continue
        types = str(row["allowed_site_types"])
        if types != "all":
            allowed[here] = sites.loc[here, "site_type"].isin(types.split("|") if types else [])
    return allowed


def decide_eligibility(
    scenario: Scenario, sites: gpd.GeoDataFrame, local: gpd.GeoDataFrame, crs: CRS
) -> gpd.GeoDataFrame:
    """The one place that decides which sites are eligible: adds ``exclusion_reason`` and ``eligible``. Reasons are
    tested in this order and the first that applies is recorded: ``type_not_included``, an exclusion layer's
    ``reason`` (or name), ``land_class_<class>`` (:func:`land_class_allows`), ``below_min_capacity``,
    ``no_10kV_connection_point_in_grid_data`` / ``no_lv_transformer_in_grid_data`` (the grid layers hold no
    connection point of the site's voltage level at all: a 10 kV site with an LV-only ledger),
    ``no_transformer_within_distance``, ``crop_light_below_minimum``.

    ``crop_light_below_minimum`` applies where :func:`sim.agrivoltaics.design_for_crop_light` found no layout that
    passes (column ``crop_light_ok``; absent means the rule was not evaluated). Returns a copy.
    """
    out = sites.copy()
    reason = pd.Series("", index=out.index, dtype=object)

    def mark(mask, label) -> None:
        free = (reason == "") & mask
        reason[free] = label[free] if isinstance(label, pd.Series) else label

    if scenario.siting.include_types is not None:
        mark(~out["site_type"].isin(scenario.siting.include_types), "type_not_included")
    excl = _exclusion_mask(scenario, local, crs)
    mark(excl != "", excl)
    mark(~land_class_allows(out), "land_class_" + _land_classes(out))
    mark(out["capacity_kwp"] < scenario.siting.min_capacity_kwp, "below_min_capacity")
    # a level the grid layers hold no connection point of is the cause, not the distance to one
    nowhere = ~np.isfinite(out["distance_to_transformer_m"].to_numpy(float))
    level = out["connection_level"].astype(str)
    mark(nowhere & level.eq("mv").to_numpy(), "no_10kV_connection_point_in_grid_data")
    mark(nowhere & level.eq("lv").to_numpy(), "no_lv_transformer_in_grid_data")
    mark(
        out["distance_to_transformer_m"] > scenario.siting.max_transformer_distance_m, "no_transformer_within_distance"
    )
    if "crop_light_ok" in out:
        mark(~out["crop_light_ok"].astype(bool), "crop_light_below_minimum")
        out = out.drop(columns="crop_light_ok")
    out["exclusion_reason"] = reason.astype(str)
    out["eligible"] = out["exclusion_reason"].eq("")
    if not out["eligible"].any():
        reasons = ", ".join(f"{k} {v}" for k, v in out["exclusion_reason"].value_counts().items())
        raise InputError(
            f"no eligible site among {len(out)} candidates ({reasons})",
            file=scenario.resolve(scenario.data.sites_file),
            field="siting",
            allowed="check the exclusion layers, siting.max_transformer_distance_m, siting.min_capacity_kwp, "
            "that the grid data has a connection point of each voltage level the sites need (lv and mv, "
            "or siting.lv_max_kwp) and that the sites and the transformers cover the same area",
        )
    return out


def prepare_sites(
    scenario: Scenario, candidates: gpd.GeoDataFrame | None = None, *, strict: bool = False, weather_year=None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read the sites and transformers, size every site, design agrivoltaic layouts for crop light, connect the
    sites to the grid and decide their eligibility.

    ``candidates`` are the checked sites of :func:`read_sites` (read here when None). ``weather_year`` is the
    weather the crop light of agrivoltaic layouts is computed with (:mod:`sim.agrivoltaics`); without it the
    crop-light columns and rule are left out. Returns ``(sites, transformers)``: the sites GeoDataFrame in
    EPSG:4326 indexed by ``site_id`` (columns in ``docs/outputs.md``, ``sites.parquet``), and the transformer
    table from :func:`sim.grid.hosting_table`.
    """
    sites = read_sites(scenario, strict=strict) if candidates is None else candidates
    crs = local_crs(sites)
    local = sites.to_crs(crs)
    out = size_sites(scenario, sites, local)
    warn_pole_facing(scenario, county_location(sites)[0])
    if weather_year is not None:
        out = agrivoltaics.design_for_crop_light(
            out, weather_year, scenario.system, scenario.siting.agrivoltaic_min_crop_light_percent
        )
    out, transformers = connect_sites(scenario, out, local, crs)
    out = decide_eligibility(scenario, out, local, crs)
    transformers_table = gridmod.hosting_table(
        transformers,
        hosting_share_percent=scenario.grid.hosting_share_percent,
        export_limit_percent=scenario.grid.export_limit_percent,
        customers=gridmod.customers_per_transformer(out),
    )
    # the transformers' local load is the sites' own loads plus the ledger's other customers (sim.load), the load
    # the sites self-consume from
    other_kwh = (
        None if scenario.grid.load_mwh_per_customer_year is None else 1000.0 * scenario.grid.load_mwh_per_customer_year
    )
    transformers_table["load_mwh_per_year"] = (
        loadmod.transformer_load_by_shape(out, transformers_table, other_kwh).sum(axis=1) / 1000.0
    )
    out.index.name = None
    return out, transformers_table


#: Context layers of a county map, looked up by these names in the sites file (the demo county has them).
BOUNDARY_LAYER = "county_boundary"
TOWNSHIPS_LAYER = "townships"
SEATS_LAYER = "villages"
"""A point layer of the sites file whose rows with ``is_township_seat`` true are the township seats (``township``:
the township's name), as the demo county holds; the township map labels each township at its seat."""


def _seats(villages: gpd.GeoDataFrame) -> dict:
    """``{"seats": points with a ``township`` column}`` from a villages layer that marks its township seats."""
    if not {"is_township_seat", "township"} <= set(villages.columns) or villages.crs is None:
        return {}
    seats = villages[villages["is_township_seat"].astype(bool) & villages.geom_type.eq("Point")]
    return {"seats": seats[["township", "geometry"]].reset_index(drop=True)} if len(seats) else {}


def transformer_points(scenario: Scenario) -> gpd.GeoDataFrame:
    """Each transformer at its own position (``transformer_id`` and a point), from the scenario's grid data."""
    source = inputs.source_for(scenario, "transformers")
    table = gridmod.check_transformers(inputs.read_input(source), source.file)
    points = table[["transformer_id", "geometry"]].copy()
    points["transformer_id"] = points["transformer_id"].astype(str)
    return points.set_geometry(points.geometry.representative_point()).reset_index(drop=True)


def map_layers(scenario: Scenario) -> dict:
    """The county's context layers for maps, read from the scenario's files: ``boundary`` and ``townships`` (from
    the sites file, where it has layers of those names), ``seats`` (the township seats of its :data:`SEATS_LAYER`,
    where it marks them), ``transformers`` (each transformer's position and id, from the grid data) and
    ``exclusions`` (a list of ``(reason, GeoDataFrame)``,
    each layer as the scenario names it, buffered by its ``buffer_m`` in the local UTM zone). Layers that are
    missing are left out; an unreadable file raises :class:`InputError`."""
    sites_file = scenario.resolve(scenario.data.sites_file)
    out: dict = {}
    try:
        names = {str(n) for n in pyogrio.list_layers(sites_file)[:, 0]}
    except Exception:  # noqa: BLE001 - not a multi-layer file (or unreadable): no context layers
        names = set()
    for key, name in (("boundary", BOUNDARY_LAYER), ("townships", TOWNSHIPS_LAYER)):
        if name in names:
            out[key] = inputs.read_layer(sites_file, name, what=name, field=name, file_field="data.sites_file")
    if SEATS_LAYER in names:
        out.update(
            _seats(
                inputs.read_layer(
                    sites_file, SEATS_LAYER, what=SEATS_LAYER, field=SEATS_LAYER, file_field="data.sites_file"
                )
            )
        )
    out["transformers"] = transformer_points(scenario)
    exclusions = []
    for i, exc in enumerate(scenario.data.exclusions):
        file = scenario.resolve(exc.file) if exc.file is not None else sites_file
        layer = inputs.read_layer(
            file,
            exc.layer,
            what="exclusion",
            field=f"data.exclusions[{i}].layer",
            file_field=f"data.exclusions[{i}].file",
        )
        if len(layer) == 0 or layer.crs is None:
            continue
        if exc.buffer_m > 0:
            local = layer.to_crs(local_crs(layer))
            layer = local.set_geometry(local.geometry.buffer(exc.buffer_m))
        exclusions.append((exc.reason or exc.layer, layer))
    out["exclusions"] = exclusions
    return out
