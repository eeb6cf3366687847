"""Farm sites of the demo county (stream "ground", in this order): agrivoltaic farmland parcels, fish ponds along
the river and clusters of solar greenhouses, all outside the village cores and the ecological red line.

Some fall on purpose in an exclusion layer, so that the exclusions matter: about a sixth of the agrivoltaic parcels
are placed inside permanent basic farmland, and about a quarter of the fish ponds reach into a 100 m river buffer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .geometry import irregular_octagon_rings, polar_offsets, random_points_in, rectangle_rings, rectangle_sides, rotate
from .placement import GroundSiteContext, PlacedSites


def place_agrivoltaic(ctx: GroundSiteContext, n_ag: int) -> PlacedSites:
    """Irregular parcels (aspect 1-2.8, turned up to 45 degrees) 150-2,600 m outside the core of a village drawn by
    the square root of its size, anywhere in the lowland after 10 tries. One in six is first proposed at random
    points of basic farmland (6 tries); those and 20 % of the others may lie in it."""
    g, vx, vy, core_r = ctx.g, ctx.villages.x, ctx.villages.y, ctx.core_r
    area = ctx.recipe.draw_footprint_areas(g, "agrivoltaic", n_ag)
    w, d = rectangle_sides(g, area, 1.0, 2.8)
    rot = g.uniform(-45, 45, n_ag)
    sqrt_weight = np.sqrt(ctx.villages.weight)
    anchor_v = g.choice(ctx.villages.n, size=n_ag, p=sqrt_weight / sqrt_weight.sum())
    in_bf = np.zeros(n_ag, dtype=bool)
    in_bf[: max(1, round(n_ag / ctx.recipe.agrivoltaic_in_basic_farmland_one_in))] = True
    farmland = ctx.farmland
    bf_pts = random_points_in(g, farmland, 4_000) if not shapely.is_empty(farmland) else (np.zeros(0), np.zeros(0))

    def propose(idx, attempt):
        n = len(idx)
        if attempt >= 10:
            return ctx.lowland_points(n)
        v = anchor_v[idx]
        dx, dy = polar_offsets(g, n, core_r[v] + 150.0, core_r[v] + 2_600.0 * (1 + 0.15 * attempt))
        x, y = vx[v] + dx, vy[v] + dy
        f_ = in_bf[idx] & (attempt < 6) & (len(bf_pts[0]) > 0)
        if f_.any():
            pick = g.integers(0, len(bf_pts[0]), int(f_.sum()))
            x[f_], y[f_] = bf_pts[0][pick], bf_pts[1][pick]
        return x, y

    rings = irregular_octagon_rings(g, w, d, rot, np.full(n_ag, 0.25), area)
    may_enter_farmland = in_bf | (g.uniform(size=n_ag) < 0.2)
    geo, x, y = ctx.placer.place(
        rings,
        propose,
        min_area=ctx.recipe.min_area("agrivoltaic"),
        extra=ctx.core_discs,
        avoid=shapely.union(ctx.land.ecological, farmland),
        may_enter=may_enter_farmland,
        what="agrivoltaic sites",
    )
    return PlacedSites.of_type("agrivoltaic", geo, x, y, rot)


def place_fish_ponds(ctx: GroundSiteContext, n_fp: int) -> PlacedSites:
    """Irregular ponds (aspect 1-2.2) beside a random point of the river, on either bank: 10-60 m from it for a
    quarter of them (in their first 30 tries), 80-1,200 m for the others. Off basic farmland."""
    g, river = ctx.g, ctx.land.river
    area = ctx.recipe.draw_footprint_areas(g, "fish_pond", n_fp)
    w, d = rectangle_sides(g, area, 1.0, 2.2)
    half = 0.5 * np.hypot(w, d)
    close = np.zeros(n_fp, dtype=bool)
    close[: max(1, round(n_fp / ctx.recipe.fish_ponds_by_the_river_one_in))] = True
    L = river.length

    def propose(idx, attempt):
        n = len(idx)
        s = g.uniform(0.02, 0.98, n) * L
        p0 = shapely.line_interpolate_point(river, s)
        p1 = shapely.line_interpolate_point(river, s + 20.0)
        x0, y0 = shapely.get_x(p0), shapely.get_y(p0)
        tx, ty = shapely.get_x(p1) - x0, shapely.get_y(p1) - y0
        tl = np.hypot(tx, ty) + 1e-9
        side = np.where(g.uniform(size=n) < 0.5, -1.0, 1.0)
        gap = np.where(
            close[idx] & (attempt < 30), g.uniform(10.0, 60.0, n), g.uniform(80.0, 1_200.0, n) * (1 + 0.1 * attempt)
        )
        off = half[idx] + gap
        return x0 - side * ty / tl * off, y0 + side * tx / tl * off

    rot = g.uniform(-30, 30, n_fp)
    geo, x, y = ctx.placer.place(
        irregular_octagon_rings(g, w, d, rot, np.full(n_fp, 0.12), area),
        propose,
        min_area=ctx.recipe.min_area("fish_pond"),
        extra=ctx.cores_and_farmland,
        avoid=ctx.land.ecological,
        max_rounds=150,
        what="fish_pond sites",
    )
    return PlacedSites.of_type("fish_pond", geo, x, y, rot)


def place_greenhouses(ctx: GroundSiteContext, n_gh: int) -> PlacedSites:
    """Long east-west solar greenhouses in clusters of rows (about 14 a cluster), first on their slot in the
    cluster, then anywhere around it, then anywhere in the lowland. They may lie on basic farmland."""
    g = ctx.g
    rows = _greenhouse_clusters(ctx, n_gh)
    cl, cl_x, cl_y, cl_r = rows["cluster"], rows["cluster_x"], rows["cluster_y"], rows["cluster_r"]

    def propose(idx, attempt):
        c = cl[idx]
        if attempt == 0:
            return cl_x[c] + rows["slot_x"][idx], cl_y[c] + rows["slot_y"][idx]
        if attempt >= 12:
            return ctx.lowland_points(len(idx))
        dx, dy = polar_offsets(g, len(idx), 0.0, cl_r[c] * (1 + 0.25 * attempt))
        return cl_x[c] + dx, cl_y[c] + dy

    geo, x, y = ctx.placer.place(
        rectangle_rings(rows["width"], rows["depth"], rows["rot"]),
        propose,
        min_area=ctx.recipe.min_area("greenhouse"),
        extra=ctx.core_discs,
        avoid=ctx.land.ecological,
        what="greenhouse sites",
    )
    return PlacedSites.of_type("greenhouse", geo, x, y, rows["rot"])


def _greenhouse_clusters(ctx, n_gh):
    """Cluster centres 250-1,200 m outside the core of a village drawn by size (turned up to 6 degrees), and each
    greenhouse's slot in its cluster: 3 columns 172 m apart, rows 50 m apart; greenhouses 40-160 m long, 8-16 m
    deep."""
    g, vx, vy, core_r = ctx.g, ctx.villages.x, ctx.villages.y, ctx.core_r
    n_cl = max(1, round(n_gh / ctx.recipe.greenhouses_per_cluster))
    cl_v = g.choice(ctx.villages.n, size=n_cl, p=ctx.villages.weight / ctx.villages.weight.sum())
    dx, dy = polar_offsets(g, n_cl, core_r[cl_v] + 250.0, core_r[cl_v] + 1_200.0)
    cl_rot = g.uniform(-6, 6, n_cl)
    cl = np.sort(g.integers(0, n_cl, n_gh))
    k_in = pd.Series(cl).groupby(cl).cumcount().to_numpy()
    n_in = np.bincount(cl, minlength=n_cl)
    area = ctx.recipe.draw_footprint_areas(g, "greenhouse", n_gh)
    w = np.clip(area / g.uniform(8.0, 16.0, n_gh), 40.0, 160.0)
    rot = cl_rot[cl]
    col, row = k_in % 3, k_in // 3
    gu = (col - 1) * 172.0
    gw_ = (row - (np.ceil(n_in[cl] / 3) - 1) / 2) * 50.0
    gx, gy = rotate(gu, gw_, np.radians(rot))
    return {
        "cluster": cl,
        "cluster_x": vx[cl_v] + dx,
        "cluster_y": vy[cl_v] + dy,
        "cluster_r": np.sqrt(n_in * 172 * 50 / np.pi) + 100,
        "slot_x": gx,
        "slot_y": gy,
        "width": w,
        "depth": area / w,
        "rot": rot,
    }
