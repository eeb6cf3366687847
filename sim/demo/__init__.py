"""Synthetic demo county: a Huailai-like county of Hebei with candidate PV sites, a grid and exclusion layers.

`make_demo_county` writes one GeoPackage whose layers feed `sim.sites` and `sim.grid`:

``county_boundary, townships, villages, sites, substations, feeders, transformers, exclusion_basic_farmland,
exclusion_ecological, river, reservoir``

Everything is laid out in metres in the UTM zone of the centre (EPSG:32650 for Huailai, about 40.4 N 115.5 E) and
written in EPSG:4326 (coordinates rounded to 1e-7 degree, about 1 cm). The output depends only on the arguments:
every random draw comes from a named stream of `sim.rng.stream(seed, "demo", <part>)`.

Layout, in order: an irregular county (~35 km x 33 km, ~950 km2) with mountains (ecological red line) in the north, a
reservoir with a wetland at its inlet in the south-east and a river crossing from the west through the reservoir;
township seats and villages in the lowland; townships are the union of the Voronoi cells of their villages (so a
site's nearest village always lies in the township that contains the site). Sites are placed as polygons without
overlaps (>= 2 m apart): village buildings near village centres, then ground and industrial sites outside the
village cores (batched proposals checked against an STRtree, only rejected ones are re-proposed), then rural homes
on each village's jittered street lattice (courtyard rows facing south). Transformers are placed where the sites
are (about one per 37 sites), 10-kV feeders run from the nearest substation through their transformers.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from sim.rng import stream
from sim.sites import utm_epsg

from .county import (AREA_LOGNORMAL, INDUSTRIES, LAYERS, LV_RATINGS_KVA, SITE_AREA_RANGES_M2, SITE_TYPE_SHARES,
                     TOWNSHIP_NAMES, VILLAGE_NAME_PREFIXES, VILLAGE_NAME_SUFFIXES, CountyRecipe)
from .geometry import (SitePlacer, blob_polygon, greedy_spread, irregular_octagon_rings, polar_offsets,
                       random_points_in, rectangle_rings, rectangle_sides, rotate)

__all__ = ["make_demo_county", "SITE_TYPE_SHARES", "SITE_AREA_RANGES_M2", "LAYERS"]

_PREFIX, _SUFFIX, _INDUSTRIES = VILLAGE_NAME_PREFIXES, VILLAGE_NAME_SUFFIXES, INDUSTRIES
_LV_RATINGS_KVA = np.array(LV_RATINGS_KVA)

_HOME_PITCH_X_M, _HOME_PITCH_Y_M = 24.0, 22.0   # courtyard plot of a rural home (E-W x N-S)
_GAP_M = 2.0                                      # minimum distance between two sites


def _lognormal_area(rng, site_type, n):
    med, sig = AREA_LOGNORMAL[site_type]
    lo, hi = SITE_AREA_RANGES_M2[site_type]
    return np.clip(med * np.exp(rng.normal(0.0, sig, n)), lo * 1.005, hi * 0.995)



# ----------------------------------------------------------------------------------------------------------------

def _type_counts(n_sites: int) -> dict[str, int]:
    return CountyRecipe(n_sites=n_sites).site_counts()


def _village_names(rng, n, taken):
    combos = [p + s for p in _PREFIX for s in _SUFFIX]
    combos = [c for c in combos if c not in taken]
    order = rng.permutation(len(combos))
    names = [combos[i] for i in order[:n]]
    k = 2
    while len(names) < n:
        names += [f"{combos[i]} {k}" for i in order[: n - len(names)]]
        k += 1
    return names


def _township_names(n):
    names = list(TOWNSHIP_NAMES[:n])
    extra = [p + s for s in ("ying", "bao", "tun", "zhuang") for p in _PREFIX]
    i = 0
    while len(names) < n:
        if extra[i] not in names:
            names.append(extra[i])
        i += 1
    return names


def make_demo_county(path, *, n_sites: int = 3500, seed: int = 20260101, center_lat: float = 40.40,
                     center_lon: float = 115.50, n_townships: int = 9, villages_per_township: int = 6) -> dict:
    """Write the synthetic demo county to the GeoPackage ``path`` (replaced if it exists).

    Parameters
    ----------
    path : str or Path
        Output ``.gpkg`` file.
    n_sites : int
        Number of candidate sites (all nine site types when >= 9), default 3,500.
    seed : int
        Seed of every random draw; the same arguments give identical layers.
    center_lat, center_lon : float
        County centre [°]; the layout is built in the UTM zone of this point.
    n_townships, villages_per_township : int
        Administrative layout (township seats count as villages).

    Returns
    -------
    dict
        Number of features per layer, plus ``"utm_epsg"`` (the projected CRS used for the layout).
    """
    if int(n_sites) < 1:
        raise ValueError(f"n_sites must be >= 1, got {n_sites}")
    if int(n_townships) < 1 or int(villages_per_township) < 1:
        raise ValueError("n_townships and villages_per_township must be >= 1, got "
                         f"{n_townships} and {villages_per_township}")
    if not (-80.0 <= center_lat <= 84.0 and -180.0 <= center_lon <= 180.0):
        raise ValueError(f"center_lat/center_lon out of the UTM range: {center_lat}, {center_lon}")
    n_sites, n_townships, villages_per_township = int(n_sites), int(n_townships), int(villages_per_township)
    layers = _build(n_sites, int(seed), float(center_lat), float(center_lon), n_townships, villages_per_township)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    counts = {}
    for name in LAYERS:
        gdf = layers[name]
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        counts[name] = len(gdf)
    counts["utm_epsg"] = layers["_epsg"]
    return counts


def _build(n_sites, seed, center_lat, center_lon, n_townships, villages_per_township):  # noqa: C901 (one recipe)
    epsg = utm_epsg(center_lon, center_lat)
    fwd = Transformer.from_crs(4326, epsg, always_xy=True)
    inv = Transformer.from_crs(epsg, 4326, always_xy=True)
    ox, oy = fwd.transform(center_lon, center_lat)

    def rng(part):
        return stream(seed, "demo", part)

    # ---------------- physical geography (local metres, origin at the centre) ----------------
    g = rng("geography")
    a_m, b_m = 19_000.0, 16_000.0
    t = np.linspace(0.0, 2 * np.pi, 180, endpoint=False)
    r = a_m * b_m / np.sqrt((b_m * np.cos(t)) ** 2 + (a_m * np.sin(t)) ** 2)
    f = np.ones_like(t)
    for k in range(2, 8):
        f += g.uniform(0.02, 0.07) / (k / 2) * np.sin(k * t + g.uniform(0, 2 * np.pi))
    for k in range(9, 30, 3):   # a ragged outline, like an administrative border following ridges and fields
        f += g.uniform(0.004, 0.012) * np.sin(k * t + g.uniform(0, 2 * np.pi))
    boundary = shapely.Polygon(np.column_stack([r * f * np.cos(t), r * f * np.sin(t)]))
    boundary = shapely.segmentize(shapely.make_valid(boundary), 250.0)
    if boundary.geom_type != "Polygon":
        boundary = max(shapely.get_parts(boundary), key=lambda p: p.area)
    inner = boundary.buffer(-5.0)

    # mountains of the ecological red line in the north
    xs = np.linspace(-2 * a_m, 2 * a_m, 161)
    ph1, ph2 = g.uniform(0, 2 * np.pi, 2)
    y_edge = 0.40 * b_m + 1_600 * np.sin(xs / 5_000 + ph1) + 700 * np.sin(xs / 1_700 + ph2)

    def edge_y(x):
        return np.interp(x, xs, y_edge)

    mountain = shapely.Polygon(np.vstack([np.column_stack([xs, y_edge]), [[2 * a_m, 3 * b_m], [-2 * a_m, 3 * b_m]]]))
    mountain = shapely.intersection(mountain, boundary)
    # reservoir in the south-east
    res_cx, res_cy, res_rot = 0.36 * a_m, -0.30 * b_m, 18.0 + g.uniform(-6, 6)
    reservoir = blob_polygon(g, res_cx, res_cy, 5_200, 1_900, n=40, amp=0.10, rot_deg=res_rot)
    reservoir = shapely.intersection(reservoir, boundary.buffer(-900.0))
    if reservoir.geom_type != "Polygon":
        reservoir = max(shapely.get_parts(reservoir), key=lambda p: p.area)
    ex, ey = rotate(np.array([-5_000.0, 5_000.0]), np.zeros(2), math.radians(res_rot))
    inlet = (res_cx + ex[0], res_cy + ey[0])
    outlet = (res_cx + ex[1], res_cy + ey[1])
    # river: from the west edge, meandering into the reservoir, out towards the south-east
    rx = np.linspace(-1.35 * a_m, inlet[0], 40)
    frac = (rx - rx[0]) / (rx[-1] - rx[0])
    meander = 900 * np.sin(rx / 2_300 + g.uniform(0, 6)) * np.sin(np.pi * frac)
    ry = (-0.02 * b_m) * (1 - frac) + inlet[1] * frac + meander
    ox2 = np.linspace(outlet[0], outlet[0] + 0.9 * a_m, 15)
    frac2 = (ox2 - ox2[0]) / (ox2[-1] - ox2[0])
    oy2 = outlet[1] - 0.45 * b_m * frac2 + 500 * np.sin(ox2 / 1_800) * np.sin(np.pi * frac2)
    river_line = shapely.LineString(np.vstack([np.column_stack([rx, ry]), np.column_stack([ox2, oy2])]))
    river = shapely.line_merge(shapely.intersection(river_line, boundary))
    if river.geom_type != "LineString":
        river = max(shapely.get_parts(river), key=lambda p: p.length)
    river_water = river.buffer(12.0)            # the river bed itself: no site on it
    wetland = shapely.intersection(shapely.difference(reservoir.buffer(1_300.0), reservoir),
                                   shapely.Point(inlet).buffer(3_800.0))
    wetland = shapely.intersection(wetland, boundary)
    eco = shapely.union(mountain, wetland)
    lowland = shapely.difference(shapely.difference(boundary, eco), reservoir.buffer(150.0))
    shapely.prepare(eco)
    shapely.prepare(lowland)

    # ---------------- townships and villages ----------------
    g = rng("admin")
    n_vil = n_townships * villages_per_township
    seat_area = lowland.buffer(-1_200.0)
    cx_, cy_ = random_points_in(g, seat_area, 4_000)
    d_min = 0.75 * math.sqrt(lowland.area / n_townships)
    while True:
        keep = greedy_spread(cx_, cy_, d_min, limit=n_townships)
        if len(keep) == n_townships:
            break
        d_min *= 0.9
    seat_x, seat_y = cx_[keep], cy_[keep]
    order = np.lexsort((seat_x, -np.round(seat_y / 4_000)))      # number townships north to south, west to east
    seat_x, seat_y = seat_x[order], seat_y[order]
    tnames = _township_names(n_townships)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(np.column_stack([seat_x, seat_y])),
                                                        extend_to=boundary.buffer(5_000), ordered=True))
    vx, vy, vtown = [seat_x.copy()], [seat_y.copy()], [np.arange(n_townships)]
    d_vil = 0.60 * math.sqrt(lowland.area / n_vil)
    village_area = lowland.buffer(-400.0)
    existing = np.column_stack([seat_x, seat_y])
    for ti in range(n_townships):
        need = villages_per_township - 1
        if need <= 0:
            continue
        zone = shapely.intersection(cells[ti], village_area)
        if zone.is_empty or zone.area < 1e4:
            zone = shapely.intersection(cells[ti], boundary.buffer(-400.0))
        px, py = random_points_in(g, zone, 3_000)
        d = d_vil
        while True:
            keep = greedy_spread(px, py, d, existing=existing, limit=need)
            if len(keep) == need or d < 150:
                break
            d *= 0.85
        if len(keep) < need:
            raise RuntimeError("cannot fit the villages of a township; use fewer villages_per_township")
        vx.append(px[keep])
        vy.append(py[keep])
        vtown.append(np.full(len(keep), ti))
        existing = np.vstack([existing, np.column_stack([px[keep], py[keep]])])
    vx, vy, vtown = np.concatenate(vx), np.concatenate(vy), np.concatenate(vtown)
    is_seat = np.zeros(n_vil, dtype=bool)
    is_seat[:n_townships] = True
    vorder = np.lexsort((~is_seat, vtown))                         # by township, seat first
    vx, vy, vtown, is_seat = vx[vorder], vy[vorder], vtown[vorder], is_seat[vorder]
    others = _village_names(g, int((~is_seat).sum()), set(tnames))
    vnames = np.empty(n_vil, dtype=object)
    vnames[is_seat] = [tnames[i] for i in vtown[is_seat]]
    vnames[~is_seat] = others
    vang = np.clip(g.normal(0.0, 6.0, n_vil), -14.0, 14.0)      # street-grid rotation of each village [deg, ccw]
    vweight = np.exp(g.normal(0.0, 0.45, n_vil)) * np.where(is_seat, 2.2, 1.0)
    vcells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(np.column_stack([vx, vy])),
                                                         extend_to=boundary.buffer(5_000), ordered=True))
    vcells = shapely.intersection(vcells, boundary)
    townships = []
    for ti in range(n_townships):
        poly = shapely.make_valid(shapely.union_all(vcells[vtown == ti]))
        townships.append(poly)

    # ---------------- scenic spots ----------------
    g = rng("scenic")
    spots = []  # (name, x, y, great_wall)
    xs_try = g.uniform(-0.6 * a_m, 0.6 * a_m, 200)
    gw = 0
    gw_names = ("Great Wall Beacon Towers Scenic Area", "Great Wall Ruins Trail")
    mountain_core = mountain.buffer(-600.0)
    for x in xs_try:
        y = float(edge_y(x)) + 900.0
        if shapely.contains_xy(mountain_core, x, y) and all(abs(x - s[1]) > 6_000 for s in spots):
            spots.append((gw_names[gw], float(x), y, True))
            gw += 1
            if gw == 2:
                break
    ring = reservoir.exterior
    for name, fr in (("Guanting Lake Wetland Park", 0.20), ("Guanting Lake Sailing Base", 0.55)):
        for k in range(40):
            p = shapely.line_interpolate_point(ring, (fr + 0.02 * k) % 1.0, normalized=True)
            dx, dy = p.x - res_cx, p.y - res_cy
            L = math.hypot(dx, dy)
            x, y = p.x + 450 * dx / L, p.y + 450 * dy / L
            if shapely.contains_xy(lowland, x, y) and not shapely.contains_xy(eco, x, y):
                spots.append((name, x, y, False))
                break
    px, py = random_points_in(g, lowland.buffer(-1_500.0), 50)
    for x, y in zip(px, py):
        if all(math.hypot(x - s[1], y - s[2]) > 5_000 for s in spots):
            spots.append(("Tianmo Desert Park", float(x), float(y), False))
            break
    spot_xy = np.array([[s[1], s[2]] for s in spots])
    spot_gw = np.array([s[3] for s in spots])
    scenic_v = set()
    for sx, sy in spot_xy:
        scenic_v.update(np.argsort(np.hypot(vx - sx, vy - sy))[:2].tolist())
    scenic_v = np.array(sorted(scenic_v))

    # ---------------- counts ----------------
    counts = _type_counts(n_sites)
    g = rng("allocation")
    n_home_v = g.multinomial(counts["rural_home"], vweight / vweight.sum())

    def alloc(n, weights, first=None):
        out = np.zeros(n_vil, dtype=int)
        if first is not None and n >= len(first):
            out[first] += 1
            n -= len(first)
        elif first is not None:
            pick = g.choice(first, size=n, replace=False, p=weights[first] / weights[first].sum())
            out[pick] += 1
            n = 0
        if n > 0:
            out += g.multinomial(n, weights / weights.sum())
        return out

    n_pub_v = alloc(counts["public_building"], vweight * np.where(is_seat, 2.0, 1.0), first=np.arange(n_vil))
    n_party_v = alloc(counts["party_government"], np.where(is_seat, 3.0, 0.25),
                      first=np.flatnonzero(is_seat))
    gh_w = np.full(n_vil, 0.03)
    gh_w[scenic_v] = 1.0
    n_guest_v = alloc(counts["guesthouse"], gh_w)

    # footprints of village buildings (drawn now: the village core must make room for them)
    g = rng("village_buildings")
    vb_types = np.repeat(np.array(["public_building", "party_government", "guesthouse"]),
                         [counts["public_building"], counts["party_government"], counts["guesthouse"]])
    vb_village = np.concatenate([np.repeat(np.arange(n_vil), n_pub_v), np.repeat(np.arange(n_vil), n_party_v),
                                 np.repeat(np.arange(n_vil), n_guest_v)])
    vb_area = np.concatenate([_lognormal_area(g, t_, int((vb_types == t_).sum()))
                              for t_ in ("public_building", "party_government", "guesthouse")])
    vb_w, vb_d = rectangle_sides(g, vb_area, 1.3, 2.8)
    vb_rot = vang[vb_village] + np.clip(g.normal(0.0, 4.0, len(vb_area)), -10, 10)
    vb_bld_area = np.bincount(vb_village, weights=vb_area, minlength=n_vil)
    core_r = (np.sqrt(n_home_v * _HOME_PITCH_X_M * _HOME_PITCH_Y_M * 1.3 / np.pi)
              + np.sqrt(vb_bld_area * 4.0 / np.pi) + 40.0)

    water = [river_water, reservoir]
    placer = SitePlacer(inner, water, _GAP_M)

    def propose_village(sel_village, grow):
        def propose(idx, attempt):
            v = sel_village[idx]
            dx, dy = polar_offsets(g, len(idx), 0.0, core_r[v] * (0.85 + grow * attempt))
            return vx[v] + dx, vy[v] + dy
        return propose

    vb_geom, vb_x, vb_y = placer.place(rectangle_rings(vb_w, vb_d, vb_rot), propose_village(vb_village, 0.08),
                                       min_area=np.array([SITE_AREA_RANGES_M2[t_][0] for t_ in vb_types]),
                                       what="village buildings")

    # ---------------- permanent basic farmland (~25 % of the farmland) ----------------
    g = rng("farmland")
    cores = shapely.buffer(shapely.points(vx, vy), core_r + 40.0)
    farm_base = shapely.difference(lowland, shapely.union_all(cores))
    target = 0.25 * farm_base.area
    n_blobs = 6
    bx, by = random_points_in(g, farm_base.buffer(-800.0), 400)
    keep = greedy_spread(bx, by, 5_000.0, limit=n_blobs)
    bx, by = bx[keep], by[keep]
    shapes = [(g.uniform(0.8, 1.25), g.uniform(0.6, 1.0), g.uniform(0, 180)) for _ in range(len(bx))]
    seeds_ = [int(s) for s in g.integers(0, 2**31, len(bx))]
    scale = math.sqrt(target / (len(bx) * np.pi)) * 1.1
    for _ in range(6):
        blobs = [blob_polygon(np.random.default_rng(s_), x, y, scale * sx, scale * sy, amp=0.18, rot_deg=rt)
                 for s_, x, y, (sx, sy, rt) in zip(seeds_, bx, by, shapes)]
        farmland = shapely.intersection(shapely.union_all(blobs), farm_base)
        scale *= math.sqrt(target / max(farmland.area, 1.0)) ** 0.9
    farmland_parts = [p for p in shapely.get_parts(farmland) if p.area > 50_000.0]
    farmland_parts.sort(key=lambda p: -p.area)
    farmland = shapely.union_all(farmland_parts)

    # ---------------- ground and industrial sites ----------------
    g = rng("ground")
    core_discs = list(shapely.get_parts(cores))
    no_farmland = core_discs + list(farmland_parts)   # factories, ponds and car parks stay off basic farmland

    def lowland_points(n):
        return random_points_in(g, lowland, n)

    ground_parts = []   # (type, geoms, x, y)

    # commercial & industrial: parks beside township seats, some beside large villages
    n_ci = counts["commercial_industrial"]
    if n_ci:
        park_x, park_y = [], []
        for ti in range(n_townships):
            s = np.flatnonzero(is_seat & (vtown == ti))[0]
            for _ in range(200):
                dx, dy = polar_offsets(g, 1, core_r[s] + 500.0, core_r[s] + 1_600.0)
                x, y = vx[s] + dx[0], vy[s] + dy[0]
                if shapely.contains_xy(lowland, x, y) and np.min(np.hypot(vx - x, vy - y) - core_r) > 250:
                    break
            park_x.append(x)
            park_y.append(y)
        park_x, park_y = np.array(park_x), np.array(park_y)
        in_park = g.uniform(size=n_ci) < 0.78
        park = g.integers(0, n_townships, n_ci)
        anchor_v = g.choice(n_vil, size=n_ci, p=vweight / vweight.sum())
        area = _lognormal_area(g, "commercial_industrial", n_ci)
        w, d = rectangle_sides(g, area, 1.4, 3.2)
        rot = np.clip(g.normal(0.0, 8.0, n_ci), -25, 25)
        park_n = np.bincount(park[in_park], minlength=n_townships)
        park_r = np.sqrt(park_n * 9_000.0 * 2.5 / np.pi) + 200.0

        def propose_ci(idx, attempt):
            n = len(idx)
            x = np.empty(n)
            y = np.empty(n)
            ip = in_park[idx]
            dx, dy = polar_offsets(g, n, 0.0, park_r[park[idx]] * (1 + 0.15 * attempt))
            x[ip], y[ip] = park_x[park[idx][ip]] + dx[ip], park_y[park[idx][ip]] + dy[ip]
            v = anchor_v[idx][~ip]
            dx, dy = polar_offsets(g, len(v), core_r[v] + 150, core_r[v] + 900 * (1 + 0.15 * attempt))
            x[~ip], y[~ip] = vx[v] + dx, vy[v] + dy
            return x, y

        geo, x, y = placer.place(rectangle_rings(w, d, rot), propose_ci,
                                 min_area=SITE_AREA_RANGES_M2["commercial_industrial"][0], extra=no_farmland,
                                 avoid=eco,
                                 what="commercial_industrial sites")
        ground_parts.append(("commercial_industrial", geo, x, y, rot, {"park": np.where(in_park, park, -1)}))
    else:
        park_x = park_y = np.empty(0)
        park = in_park = np.empty(0, dtype=int)

    # agrivoltaic farmland parcels; about a sixth deliberately in permanent basic farmland
    n_ag = counts["agrivoltaic"]
    if n_ag:
        area = _lognormal_area(g, "agrivoltaic", n_ag)
        w, d = rectangle_sides(g, area, 1.0, 2.8)
        rot = g.uniform(-45, 45, n_ag)
        anchor_v = g.choice(n_vil, size=n_ag, p=np.sqrt(vweight) / np.sqrt(vweight).sum())
        in_bf = np.zeros(n_ag, dtype=bool)
        in_bf[: max(1, int(round(n_ag / 6)))] = True
        bf_pts = random_points_in(g, farmland, 4_000) if not farmland.is_empty else (np.zeros(0), np.zeros(0))

        def propose_ag(idx, attempt):
            n = len(idx)
            if attempt >= 10:
                return lowland_points(n)
            v = anchor_v[idx]
            dx, dy = polar_offsets(g, n, core_r[v] + 150.0, core_r[v] + 2_600.0 * (1 + 0.15 * attempt))
            x, y = vx[v] + dx, vy[v] + dy
            f_ = in_bf[idx] & (attempt < 6) & (len(bf_pts[0]) > 0)
            if f_.any():
                pick = g.integers(0, len(bf_pts[0]), int(f_.sum()))
                x[f_], y[f_] = bf_pts[0][pick], bf_pts[1][pick]
            return x, y

        geo, x, y = placer.place(irregular_octagon_rings(g, w, d, rot, np.full(n_ag, 0.25), area), propose_ag,
                                 min_area=SITE_AREA_RANGES_M2["agrivoltaic"][0],
                                 extra=core_discs, avoid=shapely.union(eco, farmland),
                                 may_enter=in_bf | (g.uniform(size=n_ag) < 0.2), what="agrivoltaic sites")
        ground_parts.append(("agrivoltaic", geo, x, y, rot, {}))

    # fish ponds along the river; about a quarter reach into the 100 m river buffer
    n_fp = counts["fish_pond"]
    if n_fp:
        area = _lognormal_area(g, "fish_pond", n_fp)
        w, d = rectangle_sides(g, area, 1.0, 2.2)
        half = 0.5 * np.hypot(w, d)
        close = np.zeros(n_fp, dtype=bool)
        close[: max(1, int(round(n_fp / 4)))] = True
        L = river.length

        def propose_fp(idx, attempt):
            n = len(idx)
            s = g.uniform(0.02, 0.98, n) * L
            p0 = shapely.line_interpolate_point(river, s)
            p1 = shapely.line_interpolate_point(river, s + 20.0)
            x0, y0 = shapely.get_x(p0), shapely.get_y(p0)
            tx, ty = shapely.get_x(p1) - x0, shapely.get_y(p1) - y0
            tl = np.hypot(tx, ty) + 1e-9
            side = np.where(g.uniform(size=n) < 0.5, -1.0, 1.0)
            gap = np.where(close[idx] & (attempt < 30), g.uniform(10.0, 60.0, n),
                           g.uniform(80.0, 1_200.0, n) * (1 + 0.1 * attempt))
            off = half[idx] + gap
            return x0 - side * ty / tl * off, y0 + side * tx / tl * off

        rot = g.uniform(-30, 30, n_fp)
        geo, x, y = placer.place(irregular_octagon_rings(g, w, d, rot, np.full(n_fp, 0.12), area), propose_fp,
                                 min_area=SITE_AREA_RANGES_M2["fish_pond"][0],
                                 extra=no_farmland, avoid=eco, max_rounds=150, what="fish_pond sites")
        ground_parts.append(("fish_pond", geo, x, y, rot, {}))

    # greenhouses in clusters of rows (long east-west solar greenhouses)
    n_gh = counts["greenhouse"]
    if n_gh:
        n_cl = max(1, int(round(n_gh / 14)))
        cl_v = g.choice(n_vil, size=n_cl, p=vweight / vweight.sum())
        dx, dy = polar_offsets(g, n_cl, core_r[cl_v] + 250.0, core_r[cl_v] + 1_200.0)
        cl_x, cl_y = vx[cl_v] + dx, vy[cl_v] + dy
        cl_rot = g.uniform(-6, 6, n_cl)
        cl = np.sort(g.integers(0, n_cl, n_gh))
        k_in = pd.Series(cl).groupby(cl).cumcount().to_numpy()
        n_in = np.bincount(cl, minlength=n_cl)
        area = _lognormal_area(g, "greenhouse", n_gh)
        w = np.clip(area / g.uniform(8.0, 16.0, n_gh), 40.0, 160.0)
        d = area / w
        rot = cl_rot[cl]
        col, row = k_in % 3, k_in // 3
        gu = (col - 1) * 172.0
        gw_ = (row - (np.ceil(n_in[cl] / 3) - 1) / 2) * 50.0
        gx, gy = rotate(gu, gw_, np.radians(rot))
        cl_r = np.sqrt(n_in * 172 * 50 / np.pi) + 100

        def propose_gh(idx, attempt):
            c = cl[idx]
            if attempt == 0:
                return cl_x[c] + gx[idx], cl_y[c] + gy[idx]
            if attempt >= 12:
                return lowland_points(len(idx))
            dx, dy = polar_offsets(g, len(idx), 0.0, cl_r[c] * (1 + 0.25 * attempt))
            return cl_x[c] + dx, cl_y[c] + dy

        geo, x, y = placer.place(rectangle_rings(w, d, rot), propose_gh,
                                 min_area=SITE_AREA_RANGES_M2["greenhouse"][0], extra=core_discs, avoid=eco,
                                 what="greenhouse sites")
        ground_parts.append(("greenhouse", geo, x, y, rot, {}))

    # car parks at scenic spots; those of the Great Wall lie in the mountains (ecological red line)
    n_cp = counts["tourism_carpark"]
    if n_cp:
        order_sp = np.concatenate([np.flatnonzero(spot_gw), np.flatnonzero(~spot_gw)])
        # one car park per spot first (Great Wall spots first), the rest mostly at the lakeside and desert park
        sp_w = np.where(spot_gw, 0.25, 1.0)
        cp_spot = np.concatenate([order_sp[: min(n_cp, len(order_sp))],
                                  g.choice(len(spots), size=max(0, n_cp - len(order_sp)), p=sp_w / sp_w.sum())])
        first = np.zeros(n_cp, dtype=bool)
        first[: min(n_cp, len(order_sp))] = True
        area = _lognormal_area(g, "tourism_carpark", n_cp)
        w, d = rectangle_sides(g, area, 1.0, 2.5)
        rot = g.uniform(-40, 40, n_cp)

        def propose_cp(idx, attempt):
            s = cp_spot[idx]
            dx, dy = polar_offsets(g, len(idx), 0.0, 700.0 * (1 + 0.25 * attempt))
            at_spot = first[idx] & spot_gw[s] & (attempt < 3)
            dx[at_spot] *= 0.05 * attempt
            dy[at_spot] *= 0.05 * attempt
            return spot_xy[s, 0] + dx, spot_xy[s, 1] + dy

        geo, x, y = placer.place(irregular_octagon_rings(g, w, d, rot, np.full(n_cp, 0.05), area), propose_cp,
                                 min_area=SITE_AREA_RANGES_M2["tourism_carpark"][0], extra=no_farmland,
                                 avoid=eco, may_enter=spot_gw[cp_spot], what="tourism_carpark sites")
        ground_parts.append(("tourism_carpark", geo, x, y, rot, {"spot": cp_spot}))

    # ---------------- rural homes on each village's street lattice ----------------
    g = rng("homes")
    home_geom, home_x, home_y, home_rot, home_area = [], [], [], [], []
    todo = np.flatnonzero(n_home_v > 0)
    mult = 1.6
    occupied_tree = placer.obstacle_tree()
    for _round in range(8):
        if len(todo) == 0:
            break
        parts = []
        for v in todo:
            K = int(n_home_v[v] * mult) + 25
            s = int(math.ceil(math.sqrt(K * 1.7) / 2)) + 1
            ii, jj = np.meshgrid(np.arange(-s, s + 1), np.arange(-s, s + 1))
            u, w_ = ii.ravel() * _HOME_PITCH_X_M, jj.ravel() * _HOME_PITCH_Y_M
            th = np.arctan2(w_, u)
            p1, p2 = g.uniform(0, 2 * np.pi, 2)
            key = np.hypot(u, w_) / (1 + 0.22 * np.sin(2 * th + p1) + 0.12 * np.sin(3 * th + p2)) \
                + g.uniform(0, 6, len(u))
            sel = np.argsort(key, kind="stable")[:K]
            parts.append(pd.DataFrame({"v": v, "u": u[sel], "w": w_[sel], "key": key[sel]}))
        cand = pd.concat(parts, ignore_index=True)
        n = len(cand)
        v = cand["v"].to_numpy()
        ang = np.radians(vang[v])
        du = g.uniform(-0.9, 0.9, n)
        dw = g.uniform(-3.0, 3.0, n)
        x_, y_ = rotate(cand["u"].to_numpy() + du, cand["w"].to_numpy() + dw, ang)
        x_, y_ = vx[v] + x_, vy[v] + y_
        area = _lognormal_area(g, "rural_home", n)
        dd = np.clip(g.uniform(7.5, 11.0, n), area / 20.0, area / 10.0)
        ww = area / dd
        rot = np.clip(vang[v] + np.clip(g.normal(0.0, 2.0, n), -6, 6), -20, 20)
        geo = shapely.polygons(rectangle_rings(ww, dd, rot) + np.stack([x_, y_], -1)[:, None, :])
        bad = ~shapely.contains(inner, geo)
        bad[occupied_tree.query(geo, predicate="dwithin", distance=_GAP_M)[0]] = True
        cand["ok"] = ~bad
        cand["i"] = np.arange(n)
        okc = cand[cand["ok"]].sort_values(["v", "key"], kind="stable")
        rank = okc.groupby("v").cumcount().to_numpy()
        chosen = okc[rank < n_home_v[okc["v"].to_numpy()]]
        got = np.bincount(chosen["v"].to_numpy(), minlength=n_vil)
        done = todo[got[todo] >= n_home_v[todo]]
        take = chosen[np.isin(chosen["v"].to_numpy(), done)]["i"].to_numpy()
        home_geom.append(geo[take])
        home_x.append(x_[take])
        home_y.append(y_[take])
        home_rot.append(rot[take])
        home_area.append(area[take])
        todo = np.setdiff1d(todo, done)
        mult *= 2.0
    if len(todo):
        raise RuntimeError("could not fit the rural homes of some villages; use fewer sites")
    home_geom = np.concatenate(home_geom) if home_geom else np.empty(0, dtype=object)
    home_x = np.concatenate(home_x) if home_x else np.empty(0)
    home_y = np.concatenate(home_y) if home_y else np.empty(0)
    home_rot = np.concatenate(home_rot) if home_rot else np.empty(0)

    # ---------------- site table ----------------
    g = rng("attributes")
    geom = np.concatenate([home_geom, vb_geom] + [p[1] for p in ground_parts])
    sx = np.concatenate([home_x, vb_x] + [p[2] for p in ground_parts])
    sy = np.concatenate([home_y, vb_y] + [p[3] for p in ground_parts])
    stype = np.concatenate([np.full(len(home_geom), "rural_home"), vb_types]
                           + [np.full(len(p[1]), p[0]) for p in ground_parts]).astype(object)
    srot = np.concatenate([home_rot, vb_rot] + [p[4] for p in ground_parts])
    n = len(geom)
    # nearest village (townships are unions of village Voronoi cells: this is also the containing township)
    near = np.empty(n, dtype=int)
    for c0 in range(0, n, 20_000):
        dd_ = np.hypot(sx[c0:c0 + 20_000, None] - vx[None, :], sy[c0:c0 + 20_000, None] - vy[None, :])
        near[c0:c0 + 20_000] = np.argmin(dd_, axis=1)
    type_rank = {t_: i for i, t_ in enumerate(SITE_TYPE_SHARES)}
    trank = np.array([type_rank[t_] for t_ in stype])
    order = np.lexsort((np.arange(n), trank, near))
    geom, sx, sy, stype, srot, near, trank = (a[order] for a in (geom, sx, sy, stype, srot, near, trank))
    k_in = pd.DataFrame({"v": near, "t": trank}).groupby(["v", "t"]).cumcount().to_numpy()
    vname = vnames[near]
    tname = np.array(tnames, dtype=object)[vtown[near]]
    seat = is_seat[near]

    pub_seat = ("{T} Central Primary School", "{T} Middle School", "{T} Health Centre", "{T} Kindergarten",
                "{T} Cultural Station")
    pub_vil = ("{V} Village Committee", "{V} Primary School", "{V} Clinic", "{V} Elderly Care Centre")
    party_seat = ("{T} Town Government", "{T} Town Party Committee", "{T} Police Station", "{T} Tax Office",
                  "{T} Power Supply Station", "{T} Judicial Office")
    industry = g.integers(0, len(_INDUSTRIES), n)
    spot_names = [s[0] for s in spots]
    cp_spot_of = np.full(n, -1)
    if n_cp:
        # carparks keep their spot (ground_parts entries are in placement order)
        all_spot = np.full(len(sx), -1)
        start = len(home_geom) + len(vb_geom)
        for p in ground_parts:
            if p[0] == "tourism_carpark":
                all_spot_part = p[5]["spot"]
                all_spot[start:start + len(p[1])] = all_spot_part
            start += len(p[1])
        cp_spot_of = all_spot[order]
    cp_k = pd.Series(cp_spot_of).groupby(cp_spot_of).cumcount().to_numpy() + 1

    names = []
    for i in range(n):
        t_, V, T, k = stype[i], vname[i], tname[i], int(k_in[i])
        if t_ == "rural_home":
            names.append(f"{V} home {k + 1:04d}")
        elif t_ == "public_building":
            if seat[i]:
                names.append(pub_seat[k].format(T=T) if k < len(pub_seat) else f"{T} No.{k - 3} Primary School")
            else:
                names.append(pub_vil[k].format(V=V) if k < len(pub_vil) else f"{V} public building {k + 1:02d}")
        elif t_ == "party_government":
            if seat[i]:
                names.append(party_seat[k].format(T=T) if k < len(party_seat)
                             else f"{T} Government Office {k + 1:02d}")
            else:
                names.append(f"{V} Party-Masses Service Centre" if k == 0 else f"{V} government building {k + 1:02d}")
        elif t_ == "commercial_industrial":
            names.append(f"{V} {_INDUSTRIES[industry[i]]} {k + 1:02d}")
        elif t_ == "agrivoltaic":
            names.append(f"{V} farmland parcel {k + 1:02d}")
        elif t_ == "greenhouse":
            names.append(f"{V} greenhouse {k + 1:03d}")
        elif t_ == "fish_pond":
            names.append(f"{V} fish pond {k + 1:02d}")
        elif t_ == "tourism_carpark":
            names.append(f"{spot_names[cp_spot_of[i]]} car park {cp_k[i]}")
        else:
            names.append(f"{V} guesthouse {k + 1:02d}")

    is_home = stype == "rural_home"
    pitched = is_home | (stype == "guesthouse") | (stype == "greenhouse") | (stype == "commercial_industrial")
    roof = pitched | (stype == "public_building") | (stype == "party_government")
    tilt = np.full(n, np.nan)
    tilt[is_home] = np.clip(g.normal(25.0, 3.0, is_home.sum()), 20.0, 30.0)
    flat_home = is_home & (g.uniform(size=n) < 0.10)       # some rural homes have flat roofs
    tilt[flat_home] = np.nan
    m = stype == "guesthouse"
    tilt[m] = np.clip(g.normal(24.0, 3.0, m.sum()), 20.0, 30.0)
    m = stype == "greenhouse"
    tilt[m] = np.clip(g.normal(27.0, 3.0, m.sum()), 22.0, 32.0)   # south slope of a solar greenhouse
    m = stype == "commercial_industrial"
    tilt[m] = np.round(g.uniform(3.0, 10.0, m.sum()), 0)           # low-pitch metal roofs
    azimuth = np.where(roof, np.mod(180.0 - srot, 360.0), np.nan)
    storeys = np.full(n, -1)
    draws = g.uniform(size=n)
    storeys[is_home] = np.where(draws[is_home] < 0.12, 2, 1)
    m = stype == "public_building"
    storeys[m] = g.integers(2, 5, m.sum())
    m = stype == "party_government"
    storeys[m] = g.integers(2, 6, m.sum())
    m = stype == "commercial_industrial"
    storeys[m] = np.where(draws[m] < 0.8, 1, 2)
    m = stype == "guesthouse"
    storeys[m] = g.integers(1, 4, m.sum())
    storeys[stype == "greenhouse"] = 1
    site_ids = [f"S{i + 1:06d}" for i in range(n)]
    area_m2 = np.round(shapely.area(geom), 1)

    def to_wgs84(arr):
        def f_(xy):
            lon, lat = inv.transform(xy[:, 0] + ox, xy[:, 1] + oy)
            return np.round(np.column_stack([lon, lat]), 7)
        return shapely.transform(np.asarray(arr, dtype=object), f_)

    def frame(data, geoms):
        return gpd.GeoDataFrame(data, geometry=list(to_wgs84(geoms)), crs="EPSG:4326")

    sites = frame({
        "site_id": site_ids, "site_type": stype.astype(str), "township": tname.astype(str),
        "village": vname.astype(str), "name": names,
        "roof_tilt_deg": np.round(tilt, 1), "roof_azimuth_deg": np.round(azimuth, 1),
        "building_storeys": pd.Series(storeys, dtype="Int64").mask(storeys <= 0),
        "area_m2": area_m2,
    }, geom)

    # ---------------- grid: substations, transformers, feeders ----------------
    g = rng("grid")
    n_sub = int(np.clip(round(n_townships / 2.5), 3, 5))
    n_sub = min(n_sub, n_townships) if n_townships >= 1 else 1
    sx_seat = vx[is_seat]
    sy_seat = vy[is_seat]
    first_ = int(np.argmin(np.hypot(sx_seat, sy_seat)))
    chosen_s = [first_]
    while len(chosen_s) < n_sub:
        dmin = np.min(np.hypot(sx_seat[:, None] - sx_seat[chosen_s][None, :],
                               sy_seat[:, None] - sy_seat[chosen_s][None, :]), axis=1)
        chosen_s.append(int(np.argmax(dmin)))
    seat_idx = np.flatnonzero(is_seat)[chosen_s]
    sub_x, sub_y = [], []
    for v in seat_idx:
        for _ in range(100):
            dx, dy = polar_offsets(g, 1, core_r[v] + 150.0, core_r[v] + 500.0)
            x, y = vx[v] + dx[0], vy[v] + dy[0]
            if shapely.contains_xy(inner, x, y) and not shapely.contains_xy(reservoir, x, y):
                break
        sub_x.append(x)
        sub_y.append(y)
    sub_x, sub_y = np.array(sub_x), np.array(sub_y)
    n_sub = len(sub_x)
    sub_ids = [f"SS{i + 1:02d}" for i in range(n_sub)]
    sub_kv = np.where(np.arange(n_sub) == 0, 110, np.where(g.uniform(size=n_sub) < 0.5, 110, 35))
    if n_sub >= 3 and not (sub_kv == 35).any():
        sub_kv[-1] = 35
    sub_mva = np.where(sub_kv == 110, g.choice([31.5, 40.0], n_sub), 20.0)
    sub_units = np.full(n_sub, 2)
    substations = frame({
        "substation": sub_ids,
        "name": [f"{vnames[v]} {kv} kV Substation" for v, kv in zip(seat_idx, sub_kv)],
        "voltage_kv": sub_kv.astype(int), "n_main_transformers": sub_units,
        "main_transformer_mva": sub_mva,
        "total_capacity_mva": sub_units * sub_mva,
    }, shapely.points(sub_x, sub_y))

    # lv transformers: about one per 37 sites of a village, at the centroid of an angular sector of its homes
    c_v = np.bincount(near, minlength=n_vil)
    n_tx_v = np.where(c_v > 0, np.maximum(1, np.round(c_v / 37.0)), 0).astype(int)
    hv = near[is_home]
    hx, hy = sx[is_home], sy[is_home]
    tx_rows = []
    if len(hv):
        ang_h = np.arctan2(hy - vy[hv], hx - vx[hv])
        hdf = pd.DataFrame({"v": hv, "a": ang_h, "x": hx, "y": hy}).sort_values(["v", "a"], kind="stable")
        rank = hdf.groupby("v").cumcount().to_numpy()
        cnt = np.bincount(hv, minlength=n_vil)[hdf["v"].to_numpy()]
        hdf["grp"] = (rank * n_tx_v[hdf["v"].to_numpy()]) // cnt
        cen = hdf.groupby(["v", "grp"], sort=True).agg(x=("x", "mean"), y=("y", "mean"), n=("x", "size"))
        for (v, _grp), row in cen.iterrows():
            tx_rows.append((int(v), row["x"], row["y"], int(row["n"]), False))
    have = {r_[0] for r_ in tx_rows}
    for v in np.flatnonzero(n_tx_v > 0):
        if v not in have:   # a village without homes still has one transformer at its centre
            for k in range(n_tx_v[v]):
                tx_rows.append((int(v), vx[v] + 30.0 * k, vy[v] + 15.0, 0, False))
    # industrial transformers: one per ~12 factories of a park
    if n_ci:
        for ti in range(len(park_x)):
            k_park = int((in_park & (park == ti)).sum())
            for k in range(int(math.ceil(k_park / 12))):
                dx, dy = polar_offsets(g, 1, 0.0, 150.0)
                x, y = park_x[ti] + dx[0], park_y[ti] + dy[0]
                v = int(np.argmin(np.hypot(vx - x, vy - y)))
                tx_rows.append((v, x, y, -1, True))
    tx = pd.DataFrame(tx_rows, columns=["v", "x", "y", "homes", "industrial"])
    tx["x"] += 4.0  # beside the street, not on a roof's centre
    nt = len(tx)
    base_kva = np.maximum(tx["homes"].to_numpy(), 1) * 9.0 * g.uniform(0.8, 1.3, nt)
    idx_r = np.searchsorted(_LV_RATINGS_KVA, base_kva)
    rating = _LV_RATINGS_KVA[np.clip(idx_r, 0, 5)]
    ind = tx["industrial"].to_numpy()
    rating = np.where(ind, g.choice(_LV_RATINGS_KVA[4:], nt), np.maximum(rating, 200))
    tx["rating_kva"] = rating.astype(float)
    tx["existing_pv_kw"] = np.round(rating * g.uniform(0.0, 0.4, nt), 0)
    # feeders: lv transformers to the nearest substation, split by bearing into feeders of about 12 transformers
    tsub = np.argmin(np.hypot(tx["x"].to_numpy()[:, None] - sub_x[None, :],
                              tx["y"].to_numpy()[:, None] - sub_y[None, :]), axis=1)
    tx["sub"] = tsub
    tx["bearing"] = np.arctan2(tx["y"] - sub_y[tsub], tx["x"] - sub_x[tsub])
    n_fd = np.array([min(int((tsub == s).sum()), max(2, int(math.ceil((tsub == s).sum() / 12))))
                     for s in range(n_sub)])
    while n_fd.sum() < 8 and (n_fd < np.bincount(tsub, minlength=n_sub)).any():
        s = int(np.argmax(np.bincount(tsub, minlength=n_sub) - n_fd))
        n_fd[s] += 1
    feeder_rows, tx_order, tx_feeder = [], [], []
    fid = 0
    for s in range(n_sub):
        members = tx[tx["sub"] == s].sort_values("bearing", kind="stable").index.to_numpy()
        if len(members) == 0:
            continue
        for chunk in np.array_split(members, n_fd[s]):
            if len(chunk) == 0:
                continue
            fid += 1
            cur = np.array([sub_x[s], sub_y[s]])
            left = list(chunk)
            pts = [cur.copy()]
            chain = []
            while left:
                P = tx.loc[left, ["x", "y"]].to_numpy()
                j = int(np.argmin(np.hypot(P[:, 0] - cur[0], P[:, 1] - cur[1])))
                chain.append(left.pop(j))
                cur = P[j]
                pts.append(cur.copy())
            feeder_rows.append((fid, s, shapely.LineString(np.array(pts))))
            tx_order += chain
            tx_feeder += [fid] * len(chain)
    width = max(2, len(str(fid)))
    feeder_ids = {f_: f"F{f_:0{width}d}" for f_, _, _ in feeder_rows}
    frating = g.choice([6.0, 8.0, 10.0], len(feeder_rows), p=[0.3, 0.5, 0.2])
    fgeoms = [r_[2] for r_ in feeder_rows]
    feeders = frame({
        "feeder_id": [feeder_ids[r_[0]] for r_ in feeder_rows],
        "substation": [sub_ids[r_[1]] for r_ in feeder_rows],
        "voltage_kv": np.full(len(feeder_rows), 10, dtype=int), "rating_mva": frating,
        "length_km": np.round(shapely.length(np.array(fgeoms, dtype=object)) / 1000.0, 3),
    }, fgeoms)
    tx = tx.loc[tx_order].reset_index(drop=True)
    tx["feeder"] = tx_feeder
    nt = len(tx)
    upgrade = g.uniform(size=nt) < 0.08
    up_days = g.integers(0, 3 * 365, nt)
    up_date = [str((pd.Timestamp("2027-01-01") + pd.Timedelta(days=int(d_))).date()) if u_ else None
               for u_, d_ in zip(upgrade, up_days)]
    nxt = _LV_RATINGS_KVA[np.clip(np.searchsorted(_LV_RATINGS_KVA, tx["rating_kva"].to_numpy(), side="right"), 0, 7)]
    up_kva = np.where(upgrade, np.where(nxt > tx["rating_kva"], nxt - tx["rating_kva"], tx["rating_kva"]), 0.0)
    mv_rating = sub_units * sub_mva * 1000.0
    tdata = {
        "transformer_id": [f"TX{i + 1:05d}" for i in range(nt)] + [f"MV-{s_}" for s_ in sub_ids],
        "feeder_id": [feeder_ids[f_] for f_ in tx["feeder"]] + [None] * n_sub,
        "substation": [sub_ids[s_] for s_ in tx["sub"]] + sub_ids,
        "connection_level": ["lv"] * nt + ["mv"] * n_sub,
        "rating_kva": np.concatenate([tx["rating_kva"].to_numpy(), mv_rating]),
        "existing_pv_kw": np.concatenate([tx["existing_pv_kw"].to_numpy(),
                                          np.round(mv_rating * g.uniform(0.03, 0.15, n_sub), 0)]),
        "planned_upgrade_date": up_date + [None] * n_sub,
        "planned_upgrade_kva": np.concatenate([up_kva, np.zeros(n_sub)]).astype(float),
        "village": [vnames[v_] for v_ in tx["v"]] + [""] * n_sub,
        "township": [tnames[vtown[v_]] for v_ in tx["v"]] + [tnames[vtown[v_]] for v_ in seat_idx],
    }
    transformers = frame(tdata, shapely.points(np.concatenate([tx["x"], sub_x + 25.0]),
                                               np.concatenate([tx["y"], sub_y])))

    # ---------------- remaining layers ----------------
    county = frame({"name": ["Demo County (Huailai-like)"], "area_km2": [round(boundary.area / 1e6, 1)],
                    "utm_epsg": [epsg]}, [boundary])
    tws = frame({"township_id": [f"T{i + 1:02d}" for i in range(n_townships)], "name": tnames,
                 "area_km2": [round(p.area / 1e6, 2) for p in townships]}, townships)
    villages = frame({"village_id": [f"V{i + 1:03d}" for i in range(n_vil)], "name": list(vnames),
                      "township": [tnames[i] for i in vtown], "is_township_seat": is_seat,
                      "n_sites": np.bincount(near, minlength=n_vil)}, shapely.points(vx, vy))
    bf = frame({"parcel_id": [f"BF{i + 1:02d}" for i in range(len(farmland_parts))],
                "name": [f"Permanent basic farmland block {i + 1}" for i in range(len(farmland_parts))],
                "area_ha": [round(p.area / 1e4, 1) for p in farmland_parts]}, farmland_parts)
    eco_parts = [mountain, wetland]
    ecol = frame({"zone_id": ["ECO1", "ECO2"],
                  "name": ["Northern mountains ecological protection red line", "Guanting reservoir inlet wetland"],
                  "kind": ["mountain", "wetland"],
                  "area_km2": [round(p.area / 1e6, 2) for p in eco_parts]}, eco_parts)
    riv = frame({"name": ["Yongding River (Sanggan)"], "length_km": [round(river.length / 1e3, 2)]}, [river])
    res = frame({"name": ["Guanting Reservoir"], "area_km2": [round(reservoir.area / 1e6, 2)]}, [reservoir])
    return {"county_boundary": county, "townships": tws, "villages": villages, "sites": sites,
            "substations": substations, "feeders": feeders, "transformers": transformers,
            "exclusion_basic_farmland": bf, "exclusion_ecological": ecol, "river": riv, "reservoir": res,
            "_epsg": epsg}
