"""The sites layer of the demo county (stream "attributes"): every placed site, ordered by village then site type,
with its township, village, name and roof.

Roofs: pitched roofs of rural homes (20-30 degrees, about 10 % flat) and guesthouses (20-30 degrees), low-pitch
metal roofs of commercial_industrial (3-10 degrees), the south slope of solar greenhouses (22-32 degrees); flat roofs
of public_building and party_government; no roof on ground sites (agrivoltaic, fish_pond, tourism_carpark). A roof
faces 180 - rotation (pvlib convention, 180 = south).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .county import CountyRecipe
from .placement import PlacedSites
from .tourism import ScenicSpots
from .villages import Villages


@dataclass(frozen=True)
class SiteTable:
    """Sites in their final order. ``columns`` are the attributes of the sites layer."""

    geoms: np.ndarray
    x: np.ndarray
    y: np.ndarray
    site_type: np.ndarray
    village: np.ndarray  # index of the nearest village (whose township contains the site)
    columns: dict


def make_site_table(
    recipe: CountyRecipe, families: list[PlacedSites], villages: Villages, spots: ScenicSpots
) -> SiteTable:
    """Sites of every family (in the order given), ordered by nearest village, then site type, then that order;
    names, roofs, storeys, ids S000001... and areas [m2]."""
    g = recipe.random_stream("attributes")
    geom, sx, sy, stype, srot, near, type_rank, spot = _ordered_sites(recipe, families, villages)
    names = _site_names(g, recipe, stype, near, type_rank, spot, villages, spots)
    tilt, azimuth, storeys = _roofs(g, recipe, stype, srot)
    columns = {
        "site_id": [f"S{i + 1:06d}" for i in range(len(geom))],
        "site_type": stype.astype(str),
        "township": np.array(villages.township_names, dtype=object)[villages.township[near]].astype(str),
        "village": villages.names[near].astype(str),
        "name": names,
        "roof_tilt_deg": np.round(tilt, 1),
        "roof_azimuth_deg": np.round(azimuth, 1),
        "building_storeys": pd.Series(storeys, dtype="Int64").mask(storeys <= 0),
        "area_m2": np.round(shapely.area(geom), 1),
        "land_class": _land_classes(recipe, stype),
    }
    return SiteTable(geoms=geom, x=sx, y=sy, site_type=stype, village=near, columns=columns)


#: Land classes of the agrivoltaic parcels of the demo (Third National Land Survey classes) and their shares: most
#: lowland fields are cultivated land (no arrays, 自然资办发〔2023〕12号); vineyards and orchards, grassland and
#: unused land take elevated arrays. Shares are assumptions of the synthetic county.
AGRIVOLTAIC_LAND_SHARES = {"cultivated_land": 0.6, "orchard": 0.15, "grassland": 0.15, "unused_land": 0.1}
#: The land class of the other site types: buildings and car parks on construction land, greenhouses on facility
#: agricultural land, ponds on water surface.
LAND_CLASS_OF_TYPE = {"greenhouse": "facility_agricultural_land", "fish_pond": "water_surface"}


def _land_classes(recipe: CountyRecipe, stype: np.ndarray) -> np.ndarray:
    """Land class of each site; the agrivoltaic parcels' from their own stream ("land_class"), so that adding the
    column changed no other attribute."""
    out = np.array([LAND_CLASS_OF_TYPE.get(t, "construction_land") for t in stype], dtype=object)
    farm = np.flatnonzero(stype == "agrivoltaic")
    g = recipe.random_stream("land_class")
    out[farm] = g.choice(list(AGRIVOLTAIC_LAND_SHARES), size=len(farm), p=list(AGRIVOLTAIC_LAND_SHARES.values()))
    return out.astype(str)


def _ordered_sites(recipe, families, villages):
    """(geoms, x, y, type, rotation, nearest village, type rank, scenic spot or -1) of all sites, ordered by nearest
    village, site type (its rank in the type shares), then family order."""
    geom = np.concatenate([p.geoms for p in families])
    sx = np.concatenate([p.x for p in families])
    sy = np.concatenate([p.y for p in families])
    stype = np.concatenate([p.site_type for p in families]).astype(object)
    srot = np.concatenate([p.rot_deg for p in families])
    spot = np.concatenate([np.full(len(p), -1) if p.spot is None else p.spot for p in families])
    n = len(geom)
    near = np.empty(n, dtype=int)
    for c0 in range(0, n, 20_000):
        dd_ = np.hypot(
            sx[c0 : c0 + 20_000, None] - villages.x[None, :], sy[c0 : c0 + 20_000, None] - villages.y[None, :]
        )
        near[c0 : c0 + 20_000] = np.argmin(dd_, axis=1)
    type_rank = {t_: i for i, t_ in enumerate(recipe.site_type_shares)}
    trank = np.array([type_rank[t_] for t_ in stype])
    order = np.lexsort((np.arange(n), trank, near))
    return tuple(a[order] for a in (geom, sx, sy, stype, srot, near, trank, spot))


def _site_names(g, recipe, stype, near, trank, spot, villages, spots):
    """``<village> home 0007``, ``<town> Town Government``, ``<village> Winery 02``, ``<spot> car park 3``...: numbered
    within each village and type (car parks within their spot)."""
    k_in = pd.DataFrame({"v": near, "t": trank}).groupby(["v", "t"]).cumcount().to_numpy()
    industry = g.integers(0, len(recipe.industries), len(stype))
    spot_k = pd.Series(spot).groupby(spot).cumcount().to_numpy() + 1
    vname = villages.names[near]
    tname = np.array(villages.township_names, dtype=object)[villages.township[near]]
    seat = villages.is_seat[near]
    return [
        _site_name(
            recipe,
            stype[i],
            vname[i],
            tname[i],
            int(k_in[i]),
            seat[i],
            recipe.industries[industry[i]],
            spots.names[spot[i]] if spot[i] >= 0 else None,
            spot_k[i],
        )
        for i in range(len(stype))
    ]


def _site_name(recipe, t_, V, T, k, seat, industry, spot_name, spot_k):
    """Name of the ``k``-th (from 0) site of type ``t_`` of village ``V`` in township ``T``."""
    if t_ == "rural_home":
        return f"{V} home {k + 1:04d}"
    if t_ == "public_building":
        if seat:
            return (
                recipe.seat_public_buildings[k].format(T=T)
                if k < len(recipe.seat_public_buildings)
                else f"{T} No.{k - 3} Primary School"
            )
        return (
            recipe.village_public_buildings[k].format(V=V)
            if k < len(recipe.village_public_buildings)
            else f"{V} public building {k + 1:02d}"
        )
    if t_ == "party_government":
        if seat:
            return (
                recipe.seat_government_buildings[k].format(T=T)
                if k < len(recipe.seat_government_buildings)
                else f"{T} Government Office {k + 1:02d}"
            )
        return f"{V} Party-Masses Service Centre" if k == 0 else f"{V} government building {k + 1:02d}"
    if t_ == "commercial_industrial":
        return f"{V} {industry} {k + 1:02d}"
    if t_ == "tourism_carpark":
        return f"{spot_name} car park {spot_k}"
    if t_ == "agrivoltaic":
        return f"{V} farmland parcel {k + 1:02d}"
    if t_ == "greenhouse":
        return f"{V} greenhouse {k + 1:03d}"
    if t_ == "fish_pond":
        return f"{V} fish pond {k + 1:02d}"
    return f"{V} guesthouse {k + 1:02d}"


def _roofs(g, recipe, stype, srot):
    """Roof tilt [deg] (NaN when flat or no roof), azimuth [deg] (NaN without a roof) and storeys (-1 without a
    building)."""
    n = len(stype)
    is_home = stype == "rural_home"
    pitched = is_home | (stype == "guesthouse") | (stype == "greenhouse") | (stype == "commercial_industrial")
    roof = pitched | (stype == "public_building") | (stype == "party_government")
    tilt = np.full(n, np.nan)
    tilt[is_home] = np.clip(g.normal(25.0, 3.0, is_home.sum()), 20.0, 30.0)
    flat_home = is_home & (g.uniform(size=n) < recipe.flat_roof_home_share)
    tilt[flat_home] = np.nan
    m = stype == "guesthouse"
    tilt[m] = np.clip(g.normal(24.0, 3.0, m.sum()), 20.0, 30.0)
    m = stype == "greenhouse"
    tilt[m] = np.clip(g.normal(27.0, 3.0, m.sum()), 22.0, 32.0)  # south slope of a solar greenhouse
    m = stype == "commercial_industrial"
    tilt[m] = np.round(g.uniform(3.0, 10.0, m.sum()), 0)  # low-pitch metal roofs
    azimuth = np.where(roof, np.mod(180.0 - srot, 360.0), np.nan)
    return tilt, azimuth, _storeys(g, recipe, stype)


def _storeys(g, recipe, stype):
    """Homes 1 (12 % 2), public buildings 2-4, party and government 2-5, factories 1 (20 % 2), guesthouses 1-3,
    greenhouses 1; -1 for ground sites."""
    n = len(stype)
    is_home = stype == "rural_home"
    storeys = np.full(n, -1)
    draws = g.uniform(size=n)
    storeys[is_home] = np.where(draws[is_home] < recipe.two_storey_home_share, 2, 1)
    m = stype == "public_building"
    storeys[m] = g.integers(2, 5, m.sum())
    m = stype == "party_government"
    storeys[m] = g.integers(2, 6, m.sum())
    m = stype == "commercial_industrial"
    storeys[m] = np.where(draws[m] < 0.8, 1, 2)
    m = stype == "guesthouse"
    storeys[m] = g.integers(1, 4, m.sum())
    storeys[stype == "greenhouse"] = 1
    return storeys
