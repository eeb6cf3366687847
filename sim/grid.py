"""Transformers: checks (the schema is :mod:`sim.inputs`), hosting capacity and export limits, local load, assignment
of sites.

Units: a transformer's rating is in kVA and is taken as kW at unity power factor (an assumption); hosting capacity,
export limits and existing PV (``existing_pv_kw``, the AC rating of the inverters already connected) are AC kW; a
site asks its transformer for its AC capacity, ``capacity_kwp / dc_ac_ratio`` (:func:`ac_capacity_kw`), so that the
hosting rule compares like with like.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import inputs, powerflow
from .errors import InputError
from .powerflow import CAUSES
from .timebase import days_in_year

#: Connection levels of a transformer, as the input schema (``sim/tables/inputs.csv``) allows them.
CONNECTION_LEVELS = next(c for c in inputs.schema("transformers") if c.column == "connection_level").allowed_values()


def check_transformers(gdf: gpd.GeoDataFrame, file: Path | str) -> gpd.GeoDataFrame:
    """Schema checks of the transformer layer (:func:`sim.inputs.check_columns`: every column of
    ``sim/tables/inputs.csv``); returns a cleaned copy with defaults filled."""
    if len(gdf) == 0:
        raise InputError("the transformer layer is empty", file=file, allowed="at least one transformer point")
    out = inputs.check_columns(gdf, "transformers", file, what="transformer")
    geom_types = set(out.geometry.geom_type.dropna().unique())
    if not geom_types <= {"Point"}:
        raise InputError(
            "transformers must be points", file=file, field="geometry", value=sorted(geom_types), allowed="Point"
        )
    return out


def ac_capacity_kw(capacity_kwp, dc_ac_ratio: float):
    """AC (inverter) capacity [kW] of PV of ``capacity_kwp`` [kWp DC] at ``dc_ac_ratio``: what a site asks of its
    transformer's hosting capacity."""
    return np.asarray(capacity_kwp, dtype=float) / dc_ac_ratio


def hosting_table(
    transformers: gpd.GeoDataFrame,
    *,
    hosting_share_percent: float,
    export_limit_percent: float | None,
    customers: pd.Series | None = None,
    load_mwh_per_customer_year: float = 0.0,
) -> pd.DataFrame:
    """Per transformer: hosting limit for new PV, export limit [kW AC] and local load [MWh/year].

    ``hosting_limit_kw = max(0, rating_kva * share - existing_pv_kw)``: PV on a transformer, including what is under
    construction, stays within ``share`` of its rating (Henan 2023 rule, 80 %), all in AC kW.
    ``export_limit_kw = rating_kva * export_share``: the reverse power flow through the transformer may reach
    ``export_share`` of its rating (100 %: its thermal rating); the hourly output of all PV on it, the existing PV
    (``existing_pv_kw``) at its hourly output included, minus the local load (:func:`hourly_load_kw_per_mwh`) above
    it is curtailed (:mod:`sim.accounting`). The scenario keeps ``export_share >= share`` (one consistent pair).
    ``hosting_limit_cause`` is "rule" (``worst_bus_voltage_pu`` and ``worst_line_loading_percent`` NaN): the
    power-flow method (:func:`sim.powerflow.county_hosting`) replaces them on the ``lv`` rows.
    ``customers`` (per transformer id; a ``customers`` column of the
    ledger takes precedence) times ``load_mwh_per_customer_year`` is the transformer's yearly load
    ``load_mwh_per_year``.
    """
    t = pd.DataFrame(transformers.drop(columns="geometry")).set_index("transformer_id")
    share = hosting_share_percent / 100.0
    t["hosting_share_percent"] = hosting_share_percent
    t["hosting_limit_kw"] = np.maximum(0.0, t["rating_kva"] * share - t["existing_pv_kw"])
    # what limits each transformer: "rule" here; the power-flow method (sim.powerflow) replaces the lv rows with its
    # limit, its cause (voltage, line, transformer) and the flow at the limit
    t["hosting_limit_cause"] = "rule"
    t["worst_bus_voltage_pu"] = np.nan
    t["worst_line_loading_percent"] = np.nan
    t["network"] = ""  # power flow: each row's network, "lines" / "feeders" (from the layer) or "synthetic"
    t["feeders_of"] = ""  # power flow: the mv entry whose 10 kV feeders an lv transformer hangs on
    if export_limit_percent is None:
        t["export_limit_kw"] = np.inf
    else:
        t["export_limit_kw"] = t["rating_kva"] * export_limit_percent / 100.0
    counted = (customers if customers is not None else pd.Series(dtype=float)).reindex(t.index).fillna(0.0)
    if "customers" in t.columns:
        given = pd.to_numeric(t["customers"], errors="coerce")
        counted = given.where(given.notna() & (given >= 0), counted)
    t["customers"] = counted.astype(float)
    t["load_mwh_per_year"] = t["customers"] * load_mwh_per_customer_year
    return t


#: site types whose building is an electricity customer of its transformer (ground-mounted arrays are not)
CUSTOMER_SITE_TYPES = ("rural_home", "public_building", "party_government", "commercial_industrial", "guesthouse")


def customers_per_transformer(sites: pd.DataFrame) -> pd.Series:
    """Customers of each transformer: the buildings of the sites layer connected to it (one customer per roof of
    :data:`CUSTOMER_SITE_TYPES`, eligible or not), indexed by ``transformer_id``. An assumption where the ledger
    has no ``customers`` column: a village transformer also serves homes that are not in the sites layer, so this
    undercounts load and overstates curtailment."""
    roofs = sites[sites["site_type"].isin(CUSTOMER_SITE_TYPES) & (sites["transformer_id"].astype(str) != "")]
    return roofs.groupby("transformer_id").size().astype(float)


LOAD_PROFILE_FILE = Path(__file__).parent / "tables" / "load_profile_h0.csv"
_PERIODS = ("winter", "transition", "summer")
_DAY_TYPES = ("workday", "saturday", "sunday")


@lru_cache(maxsize=1)
def _load_profile_table() -> np.ndarray:
    """The shipped H0 profile as (period, day type, hour) [kW per MWh/year] (``sim/tables/load_profile_h0.csv``)."""
    table = pd.read_csv(LOAD_PROFILE_FILE)
    out = np.full((len(_PERIODS), len(_DAY_TYPES), 24), np.nan)
    for period, day_type, hour, value in zip(
        table["period"], table["day_type"], table["hour"].astype(int), table["load_kw_per_mwh_year"], strict=True
    ):
        out[_PERIODS.index(period), _DAY_TYPES.index(day_type), hour] = value
    if np.isnan(out).any():
        raise InputError(
            "the load profile table lacks rows", file=LOAD_PROFILE_FILE, allowed="3 periods x 3 day types x 24 hours"
        )
    return out


@lru_cache(maxsize=64)
def hourly_load_kw_per_mwh(year: int) -> np.ndarray:
    """Local load [kW] in each hour of calendar ``year`` (8760 or 8784 values, local time) per MWh of yearly
    consumption: the BDEW/VDEW H0 household standard load profile (``sim/tables/load_profile_h0.csv``) with its
    periods (winter 1 November - 20 March, summer 15 May - 14 September, transition otherwise) and day types
    (workday, Saturday, Sunday; public holidays are not distinguished), scaled so that the year sums to 1 MWh."""
    table = _load_profile_table()
    n_days = days_in_year(year)
    days = pd.date_range(date(year, 1, 1), periods=n_days, freq="D")
    md = days.month * 100 + days.day
    period = np.where((md >= 1101) | (md <= 320), 0, np.where((md >= 515) & (md <= 914), 2, 1))
    weekday = days.day_of_week.to_numpy()
    day_type = np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))
    hourly = table[period, day_type].reshape(-1)  # (days x 24,) kW per MWh/year of the source
    return hourly * (1000.0 / hourly.sum())


def check_feeders(gdf: gpd.GeoDataFrame, file: Path | str) -> gpd.GeoDataFrame:
    """Schema checks of the 10 kV feeder layer (lines with ``feeder_id`` and ``substation``)."""
    out = inputs.check_columns(gdf, "feeders", file, what="feeder")
    out = out[~(out.geometry.isna() | out.geometry.is_empty)]
    kinds = set(out.geometry.geom_type.unique())
    if not kinds <= {"LineString", "MultiLineString"}:
        raise InputError(
            "feeders must be lines",
            file=file,
            field="geometry",
            value=sorted(kinds),
            allowed="LineString, MultiLineString",
        )
    return out


def check_lines(gdf: gpd.GeoDataFrame, source, transformer_ids: pd.Index, crs) -> gpd.GeoDataFrame:
    """Schema checks of the low-voltage line layer (``source``: its :class:`sim.inputs.Source`): columns, line
    geometry, each ``transformer_id`` a transformer's, and each transformer's lines one connected network (vertices
    within :data:`sim.powerflow.SNAP_M` meet). Returns the lines in ``crs`` (a projected CRS)."""
    where = f"{source.file} (layer {source.layer})" if source.layer else source.file
    out = inputs.check_columns(gdf, "lines", where, what="line")
    out = out[~(out.geometry.isna() | out.geometry.is_empty)]
    kinds = set(out.geometry.geom_type.unique())
    if not kinds <= {"LineString", "MultiLineString"}:
        raise InputError(
            "lines must be lines",
            file=where,
            field="geometry",
            value=sorted(kinds),
            allowed="LineString, MultiLineString",
        )
    tid = out["transformer_id"].astype(str)
    unknown = ~tid.isin(transformer_ids.astype(str))
    if unknown.any():
        rows = np.flatnonzero(unknown.to_numpy())
        raise InputError(
            f"unknown transformer in row{'s' if len(rows) > 1 else ''} {', '.join(str(r + 1) for r in rows[:5])}{' ...' if len(rows) > 5 else ''}",
            file=where,
            field="transformer_id",
            value=sorted(set(tid[unknown]))[:5],
            allowed="a transformer_id of the transformers layer",
        )
    local = out.to_crs(crs)
    row_no = np.flatnonzero(~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()) + 1  # the file's rows
    local["row_in_file"] = row_no
    for t, group in local.groupby(tid.to_numpy(), sort=True):
        graph = powerflow.line_graph(line_coords(gpd.GeoSeries(group.geometry)))
        if graph.component.max(initial=0) == 0:
            continue
        piece = np.concatenate([[k] * len(getattr(g, "geoms", [g])) for k, g in enumerate(group.geometry)])
        first = graph.component[graph.edges[:, 0]] if len(graph.edges) else graph.component
        apart = sorted({int(piece[r]) for r in graph.row[first != first[0]]}) if len(graph.edges) else [1]
        numbers = [int(group["row_in_file"].iloc[k]) for k in [0, *apart]]
        raise InputError(
            f"the lines of transformer {t} are not one connected network: row"
            f"{'s' if len(numbers) > 2 else ''} {', '.join(map(str, numbers[1:6]))}"
            f"{' ...' if len(numbers) > 6 else ''} {'do' if len(numbers) > 2 else 'does'} not meet the line of row "
            f"{numbers[0]}",
            file=where,
            field="geometry",
            value=t,
            allowed=f"lines of one transformer that meet at shared vertices (within {powerflow.SNAP_M:g} m)",
        )
    return local


def line_coords(geometry: gpd.GeoSeries) -> list[np.ndarray]:
    """The polylines of a line geometry column (each part of a MultiLineString its own), in order [CRS units]."""
    parts = []
    for geom in geometry:
        for part in getattr(geom, "geoms", [geom]):
            parts.append(np.asarray(part.coords, float)[:, :2])
    return parts


def lines_by_transformer(local: gpd.GeoDataFrame) -> dict[str, tuple[list[np.ndarray], pd.DataFrame]]:
    """Per transformer id, its polylines [m] and each polyline's cable (a row of
    :func:`sim.inputs.lv_cable_table`), for :func:`sim.powerflow.county_hosting`."""
    table = inputs.lv_cable_table()
    out = {}
    for t, rows in local.groupby(local["transformer_id"].astype(str).to_numpy(), sort=True):
        coords, types = [], []
        for geom, cable in zip(rows.geometry, rows["cable_type"].astype(str), strict=True):
            parts = line_coords(gpd.GeoSeries([geom]))
            coords += parts
            types += [cable] * len(parts)
        out[str(t)] = (coords, table.loc[types].reset_index(drop=True))
    return out


def feeders_by_substation(local: gpd.GeoDataFrame) -> powerflow.Feeders:
    """The checked feeder layer (:func:`check_feeders`, in a projected CRS) by substation: its polylines [m], the
    conductor of each (a row of :func:`sim.inputs.mv_conductor_table`) and its feeder id, for
    :func:`sim.powerflow.county_hosting`."""
    table = inputs.mv_conductor_table()
    out = {}
    for sub, rows in local.groupby(local["substation"].astype(str).to_numpy(), sort=True):
        coords, types, ids = [], [], []
        for geom, conductor, fid in zip(
            rows.geometry, rows["conductor_type"].astype(str), rows["feeder_id"].astype(str), strict=True
        ):
            parts = line_coords(gpd.GeoSeries([geom]))
            coords += parts
            types += [conductor] * len(parts)
            ids += [fid] * len(parts)
        out[str(sub)] = (coords, table.loc[types].reset_index(drop=True), np.asarray(ids, dtype=object))
    return powerflow.Feeders(out)


def assign_transformers(
    sites_local: gpd.GeoDataFrame,
    transformers_local: gpd.GeoDataFrame,
    level: pd.Series,
    feeders_local: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """The transformer each site connects to (all frames in the same projected CRS).

    Low-voltage sites go to the nearest ``lv`` distribution transformer. Medium-voltage sites connect to a 10 kV
    feeder: with a feeder layer, to the nearest feeder line, whose substation's ``mv`` entry carries the hosting
    limit (distance = to the line); without one, to the nearest ``mv`` transformer point.

    Returns a DataFrame on the sites' index with ``transformer_id``, ``feeder_id`` and
    ``distance_to_transformer_m`` ("" and inf where nothing of that level exists).
    """
    out = pd.DataFrame(
        index=sites_local.index, data={"transformer_id": "", "feeder_id": "", "distance_to_transformer_m": np.inf}
    )
    points = sites_local.geometry.representative_point()
    for lvl in CONNECTION_LEVELS:
        mask = (level == lvl).to_numpy()
        if lvl == "mv" and feeders_local is not None and len(feeders_local) and mask.any():
            _assign_by_feeder(out, points[mask], transformers_local, feeders_local, sites_local.crs)
            continue
        cands = transformers_local[transformers_local["connection_level"] == lvl]
        if not mask.any() or len(cands) == 0:
            continue
        left = gpd.GeoDataFrame(geometry=points[mask], crs=sites_local.crs)
        right = cands[["transformer_id", "geometry"]].reset_index(drop=True)
        joined = gpd.sjoin_nearest(left, right, how="left", distance_col="distance_to_transformer_m")
        joined = joined[~joined.index.duplicated(keep="first")]
        out.loc[joined.index, "transformer_id"] = joined["transformer_id"].astype(str).to_numpy()
        out.loc[joined.index, "distance_to_transformer_m"] = joined["distance_to_transformer_m"].to_numpy()
        if "feeder_id" in cands.columns:
            fid = cands.set_index("transformer_id")["feeder_id"]
            out.loc[joined.index, "feeder_id"] = fid.reindex(joined["transformer_id"].astype(str)).fillna("").to_numpy()
    return out


def _assign_by_feeder(
    out: pd.DataFrame, points: pd.Series, transformers_local: gpd.GeoDataFrame, feeders_local: gpd.GeoDataFrame, crs
) -> None:
    left = gpd.GeoDataFrame(geometry=points, crs=crs)
    right = feeders_local[["feeder_id", "substation", "geometry"]].reset_index(drop=True)
    joined = gpd.sjoin_nearest(left, right, how="left", distance_col="distance_to_transformer_m")
    joined = joined[~joined.index.duplicated(keep="first")]
    mv = transformers_local[transformers_local["connection_level"] == "mv"]
    by_substation = mv.drop_duplicates("substation").set_index("substation")["transformer_id"]
    out.loc[joined.index, "transformer_id"] = (
        by_substation.reindex(joined["substation"].astype(str)).fillna("").astype(str).to_numpy()
    )
    out.loc[joined.index, "feeder_id"] = joined["feeder_id"].astype(str).to_numpy()
    dist = joined["distance_to_transformer_m"].to_numpy(float)
    out.loc[joined.index, "distance_to_transformer_m"] = np.where(
        out.loc[joined.index, "transformer_id"].to_numpy() != "", dist, np.inf
    )


#: What can set a transformer's hosting limit (``hosting_limit_cause``): the share-of-rating rule, or under the
#: power-flow method (:mod:`sim.powerflow`) the limit its new PV meets first.
HOSTING_CAUSES = ("rule", *CAUSES)


def hosting_limit_by_cause(transformers: pd.DataFrame) -> dict[str, int]:
    """Transformers per cause of their hosting limit (``summary.json`` ``hosting_limit_by_cause``), in the order of
    :data:`HOSTING_CAUSES`, causes without a transformer left out."""
    counts = transformers["hosting_limit_cause"].astype(str).value_counts()
    return {c: int(counts[c]) for c in HOSTING_CAUSES if c in counts.index}


def added_hosting_kw(transformers: pd.DataFrame, upgrades: pd.DataFrame | None) -> pd.Series:
    """Hosting capacity the rollout's upgrades added to each transformer [kW] (0 where none), indexed like
    ``transformers``."""
    if upgrades is None or len(upgrades) == 0:
        return pd.Series(0.0, index=transformers.index)
    added = upgrades.groupby("transformer_id")["added_hosting_kw"].sum()
    return added.reindex(transformers.index).fillna(0.0).astype(float)


def export_limit_steps(
    upgrades: pd.DataFrame | None, *, hosting_share_percent: float, export_limit_percent: float | None
) -> pd.DataFrame:
    """The rises of the transformers' export limits the rollout's upgrades bring, each from the upgrade's date:
    ``transformer_id, date, added_export_kw``. An upgrade adds ``added_hosting_kw = added_kva x hosting_share``, so
    the rating grew by ``added_hosting_kw / hosting_share`` and the export limit by that times
    ``export_limit_percent`` (none without an export limit; a line reinforcement adds none)."""
    columns = ["transformer_id", "date", "added_export_kw"]
    if export_limit_percent is None or upgrades is None or len(upgrades) == 0:
        return pd.DataFrame({c: [] for c in columns})
    if "kind" in upgrades.columns:  # a line reinforcement adds no rating
        upgrades = upgrades[upgrades["kind"].astype(str).ne("reinforcement")]
    added_kva = upgrades["added_hosting_kw"].to_numpy(float) / (hosting_share_percent / 100.0)
    return pd.DataFrame(
        {
            "transformer_id": upgrades["transformer_id"].astype(str).to_numpy(),
            "date": pd.to_datetime(upgrades["date"]).to_numpy(),
            "added_export_kw": added_kva * export_limit_percent / 100.0,
        }
    )


def export_limits_after_upgrades(transformers: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """The export limits in force at the end, after every rise of :func:`export_limit_steps` (for
    ``transformers.csv``); a copy, ``transformers`` is not modified."""
    if len(steps) == 0:
        return transformers
    out = transformers.copy()
    added = steps.groupby("transformer_id")["added_export_kw"].sum()
    out["export_limit_kw"] = out["export_limit_kw"] + added.reindex(out.index).fillna(0.0)
    return out


LOADING_COLUMNS = (
    "feeder_id",
    "substation",
    "connection_level",
    "rating_kva",
    "existing_pv_kw",
    "hosting_limit_kw",
    "hosting_limit_cause",
    "worst_bus_voltage_pu",
    "worst_line_loading_percent",
    "network",
    "feeders_of",
    "added_hosting_kw",
    "hosting_limit_final_kw",
    "export_limit_kw",
    "customers",
    "load_mwh_per_year",
    "built_kwp",
    "built_kw_ac",
    "sites_built",
    "dropped_hosting_kwp",
    "loading_percent",
    "upgrade_cost_cny",
    "upgrade_dates",
    "upgrade_reasons",
    "reinforced_km",
)


def upgrade_reason(row: pd.Series) -> str:
    """Why an upgrade happened, in words: planned in the transformer ledger, or scheduled by the grid company after
    the office held a site on the full transformer, or a line reinforcement after a site was held by a bus voltage
    or a cable (power flow), with the year's plan it entered when the yearly limit deferred it."""
    if row["kind"] == "planned":
        return "planned in the transformer ledger"
    requested = pd.Timestamp(row["requested_date"]).date()
    text = f"scheduled: a site held for lack of hosting capacity since {requested}"
    if row["kind"] == "reinforcement":
        text = (
            f"line reinforcement: a parallel cable on {float(row['reinforced_km']) * 1000.0:.0f} m of the path to "
            f"site {row.get('reinforced_to_site', '')}, held by a bus voltage or a cable since {requested}"
        )
    scheduled = row.get("scheduled_date")
    if pd.notna(scheduled) and pd.Timestamp(scheduled).date() != requested:
        text += f", deferred by the yearly upgrade limit to {pd.Timestamp(scheduled).date()}"
    return text


def upgrade_columns(index: pd.Index, upgrades: pd.DataFrame | None) -> pd.DataFrame:
    """Per transformer (``index``): ``upgrade_cost_cny`` (the grid company's cost of the rollout's upgrades, 0 where
    none), ``upgrade_dates`` (in service, ISO dates joined by "; ") and ``upgrade_reasons`` (:func:`upgrade_reason`,
    in the same order) and ``reinforced_km`` (low-voltage cable reinforced, km of section)."""
    out = pd.DataFrame(
        {"upgrade_cost_cny": 0.0, "upgrade_dates": "", "upgrade_reasons": "", "reinforced_km": 0.0}, index=index
    )
    if upgrades is None or len(upgrades) == 0 or not {"date", "kind", "cost_cny"} <= set(upgrades.columns):
        return out
    ordered = upgrades.sort_values(["transformer_id", "date"], kind="stable")
    for tid, rows in ordered.groupby("transformer_id", sort=False):
        out.loc[tid, "upgrade_cost_cny"] = float(rows["cost_cny"].sum())
        out.loc[tid, "upgrade_dates"] = "; ".join(str(pd.Timestamp(d).date()) for d in rows["date"])
        out.loc[tid, "upgrade_reasons"] = "; ".join(upgrade_reason(r) for _, r in rows.iterrows())
        if "reinforced_km" in rows.columns:
            out.loc[tid, "reinforced_km"] = float(rows["reinforced_km"].fillna(0.0).sum())
    return out


def transformer_loading(
    transformers: pd.DataFrame,
    upgrades: pd.DataFrame | None,
    sites: pd.DataFrame,
    *,
    export_limits: pd.DataFrame | None = None,
    dc_ac_ratio: float = 1.0,
) -> pd.DataFrame:
    """The one definition of transformer loading: per transformer, the AC capacity of the new PV built on it [kW]
    (:func:`ac_capacity_kw` of its kWp at ``dc_ac_ratio``) as a share of its hosting limit after the rollout's
    upgrades [kW].

    ``transformers`` is the hosting table (indexed by ``transformer_id``), ``upgrades`` the rollout's upgrades
    (``transformer_id, added_hosting_kw``), ``sites`` the run's sites with ``transformer_id, capacity_kwp,
    status``. ``export_limits`` (optional) is the table after :func:`export_limits_after_upgrades`, whose
    ``export_limit_kw`` is reported. Columns: :data:`LOADING_COLUMNS` (those present), plus ``transformer_id``;
    ``loading_percent = 100 x built_kw_ac / hosting_limit_final_kw`` (NaN where the final limit is 0).
    """
    t = pd.DataFrame(transformers.drop(columns="geometry", errors="ignore")).copy()
    t["added_hosting_kw"] = added_hosting_kw(t, upgrades)
    t["hosting_limit_final_kw"] = t["hosting_limit_kw"] + t["added_hosting_kw"]
    if export_limits is not None:
        t["export_limit_kw"] = export_limits["export_limit_kw"].reindex(t.index)
    status = sites["status"].astype(str)
    built = sites[status.eq("operating")]
    dropped = sites[status.eq("dropped_hosting")]
    t["built_kwp"] = built.groupby("transformer_id")["capacity_kwp"].sum().reindex(t.index).fillna(0.0)
    t["built_kw_ac"] = ac_capacity_kw(t["built_kwp"].to_numpy(), dc_ac_ratio)
    t["sites_built"] = built.groupby("transformer_id").size().reindex(t.index).fillna(0).astype(int)
    t["dropped_hosting_kwp"] = dropped.groupby("transformer_id")["capacity_kwp"].sum().reindex(t.index).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["loading_percent"] = np.where(
            t["hosting_limit_final_kw"] > 0, 100.0 * t["built_kw_ac"] / t["hosting_limit_final_kw"], np.nan
        )
    t = t.join(upgrade_columns(t.index, upgrades))
    t.index.name = "transformer_id"
    return t[[c for c in LOADING_COLUMNS if c in t.columns]].reset_index()
