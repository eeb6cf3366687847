"""Transformers: checks (the schema is :mod:`sim.inputs`), hosting capacity and export limits, assignment of sites."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import inputs
from .errors import InputError

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
        raise InputError("transformers must be points", file=file, field="geometry",
                         value=sorted(geom_types), allowed="Point")
    return out


def hosting_table(transformers: gpd.GeoDataFrame, *, hosting_share_percent: float,
                  export_limit_percent: float | None, dc_ac_ratio: float) -> pd.DataFrame:
    """Per transformer: hosting limit for new PV and export limit [kW].

    ``hosting_limit_kw = max(0, rating_kva * share - existing_pv_kw)``: PV on a transformer, including what is under
    construction, stays within ``share`` of its rating (Henan 2023 rule, 80 %; kVA taken as kW at unity power factor).
    ``export_limit_kw = max(0, rating_kva * export_share - existing_pv_kw / dc_ac_ratio)``: the hourly output of the new
    sites above it is curtailed; the existing PV is taken at its inverter-limited peak, a conservative choice.
    """
    t = pd.DataFrame(transformers.drop(columns="geometry")).set_index("transformer_id")
    share = hosting_share_percent / 100.0
    t["hosting_share_percent"] = hosting_share_percent
    t["hosting_limit_kw"] = np.maximum(0.0, t["rating_kva"] * share - t["existing_pv_kw"])
    if export_limit_percent is None:
        t["export_limit_kw"] = np.inf
    else:
        t["export_limit_kw"] = np.maximum(0.0, t["rating_kva"] * export_limit_percent / 100.0
                                          - t["existing_pv_kw"] / dc_ac_ratio)
    return t


def check_feeders(gdf: gpd.GeoDataFrame, file: Path | str) -> gpd.GeoDataFrame:
    """Schema checks of the 10 kV feeder layer (lines with ``feeder_id`` and ``substation``)."""
    out = inputs.check_columns(gdf, "feeders", file, what="feeder")
    out = out[~(out.geometry.isna() | out.geometry.is_empty)]
    kinds = set(out.geometry.geom_type.unique())
    if not kinds <= {"LineString", "MultiLineString"}:
        raise InputError("feeders must be lines", file=file, field="geometry", value=sorted(kinds),
                         allowed="LineString, MultiLineString")
    return out


def assign_transformers(sites_local: gpd.GeoDataFrame, transformers_local: gpd.GeoDataFrame,
                        level: pd.Series, feeders_local: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The transformer each site connects to (all frames in the same projected CRS).

    Low-voltage sites go to the nearest ``lv`` distribution transformer. Medium-voltage sites connect to a 10 kV
    feeder: with a feeder layer, to the nearest feeder line, whose substation's ``mv`` entry carries the hosting
    limit (distance = to the line); without one, to the nearest ``mv`` transformer point.

    Returns a DataFrame on the sites' index with ``transformer_id``, ``feeder_id`` and
    ``distance_to_transformer_m`` ("" and inf where nothing of that level exists).
    """
    out = pd.DataFrame(index=sites_local.index,
                       data={"transformer_id": "", "feeder_id": "", "distance_to_transformer_m": np.inf})
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


def _assign_by_feeder(out: pd.DataFrame, points: gpd.GeoSeries, transformers_local: gpd.GeoDataFrame,
                      feeders_local: gpd.GeoDataFrame, crs) -> None:
    left = gpd.GeoDataFrame(geometry=points, crs=crs)
    right = feeders_local[["feeder_id", "substation", "geometry"]].reset_index(drop=True)
    joined = gpd.sjoin_nearest(left, right, how="left", distance_col="distance_to_transformer_m")
    joined = joined[~joined.index.duplicated(keep="first")]
    mv = transformers_local[transformers_local["connection_level"] == "mv"]
    by_substation = mv.drop_duplicates("substation").set_index("substation")["transformer_id"]
    out.loc[joined.index, "transformer_id"] = (
        by_substation.reindex(joined["substation"].astype(str)).fillna("").astype(str).to_numpy())
    out.loc[joined.index, "feeder_id"] = joined["feeder_id"].astype(str).to_numpy()
    dist = joined["distance_to_transformer_m"].to_numpy(float)
    out.loc[joined.index, "distance_to_transformer_m"] = np.where(
        out.loc[joined.index, "transformer_id"].to_numpy() != "", dist, np.inf)


def added_hosting_kw(transformers: pd.DataFrame, upgrades: pd.DataFrame | None) -> pd.Series:
    """Hosting capacity the rollout's upgrades added to each transformer [kW] (0 where none), indexed like
    ``transformers``."""
    if upgrades is None or len(upgrades) == 0:
        return pd.Series(0.0, index=transformers.index)
    added = upgrades.groupby("transformer_id")["added_hosting_kw"].sum()
    return added.reindex(transformers.index).fillna(0.0).astype(float)


def export_limits_after_upgrades(transformers: pd.DataFrame, upgrades: pd.DataFrame | None, *,
                                 hosting_share_percent: float, export_limit_percent: float | None) -> pd.DataFrame:
    """Transformers whose rating the rollout raised get the export limit of their new rating [kW].

    An upgrade adds ``added_hosting_kw = added_kva x hosting_share``, so the rating grew by ``added_hosting_kw /
    hosting_share`` and the export limit by that times ``export_limit_percent``. The limit is raised for the whole
    horizon: the sites that need the extra room connect only after the upgrade, so the years before it are not
    affected. Returns a copy; ``transformers`` is not modified.
    """
    added = added_hosting_kw(transformers, upgrades)
    if export_limit_percent is None or not added.any():
        return transformers
    out = transformers.copy()
    added_kva = added / (hosting_share_percent / 100.0)
    out["export_limit_kw"] = out["export_limit_kw"] + added_kva * export_limit_percent / 100.0
    return out


LOADING_COLUMNS = ("feeder_id", "substation", "connection_level", "rating_kva", "existing_pv_kw", "hosting_limit_kw",
                   "added_hosting_kw", "hosting_limit_final_kw", "export_limit_kw", "built_kwp", "sites_built",
                   "dropped_hosting_kwp", "loading_percent")


def transformer_loading(transformers: pd.DataFrame, upgrades: pd.DataFrame | None, sites: pd.DataFrame,
                        *, export_limits: pd.DataFrame | None = None) -> pd.DataFrame:
    """The one definition of transformer loading: per transformer, the new PV built on it [kWp] as a share of its
    hosting limit after the rollout's upgrades [kW].

    ``transformers`` is the hosting table (indexed by ``transformer_id``), ``upgrades`` the rollout's upgrades
    (``transformer_id, added_hosting_kw``), ``sites`` the run's sites with ``transformer_id, capacity_kwp,
    status``. ``export_limits`` (optional) is the table after :func:`export_limits_after_upgrades`, whose
    ``export_limit_kw`` is reported. Columns: :data:`LOADING_COLUMNS` (those present), plus ``transformer_id``;
    ``loading_percent = 100 x built_kwp / hosting_limit_final_kw`` (NaN where the final limit is 0).
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
    t["sites_built"] = built.groupby("transformer_id").size().reindex(t.index).fillna(0).astype(int)
    t["dropped_hosting_kwp"] = dropped.groupby("transformer_id")["capacity_kwp"].sum().reindex(t.index).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["loading_percent"] = np.where(t["hosting_limit_final_kw"] > 0,
                                        100.0 * t["built_kwp"] / t["hosting_limit_final_kw"], np.nan)
    t.index.name = "transformer_id"
    return t[[c for c in LOADING_COLUMNS if c in t.columns]].reset_index()
