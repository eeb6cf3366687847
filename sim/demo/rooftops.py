"""Rural homes of the demo county (stream "homes"), placed last, on each village's jittered street lattice.

Each home stands on a courtyard plot (24 m x 22 m by default) of a lattice turned with the village's streets, rows
facing south; the plots nearest the centre (in a lobed, slightly noisy distance) are taken first. A footprint of
7.5-11 m depth is jittered on its plot and kept when it lies inside the county and clear of the water and of every
site placed before. A village still short of homes tries again with twice as many plots, up to 8 rounds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely

from .county import CountyRecipe
from .geometry import SitePlacer, rectangle_rings, rotate
from .landscape import Landscape
from .placement import PlacedSites
from .villages import Villages


def place_rural_homes(
    recipe: CountyRecipe, villages: Villages, n_home_v: np.ndarray, land: Landscape, placer: SitePlacer
) -> PlacedSites:
    """``n_home_v`` homes in each village, in rounds over the villages that are not complete yet."""
    g = recipe.random_stream("homes")
    home_geom: list[np.ndarray] = []
    home_x: list[np.ndarray] = []
    home_y: list[np.ndarray] = []
    home_rot: list[np.ndarray] = []
    todo = np.flatnonzero(n_home_v > 0)
    mult = 1.6
    obstacles = placer.obstacle_tree()
    for _round in range(8):
        if len(todo) == 0:
            break
        cand = _lattice_plots(g, recipe, n_home_v, todo, mult)
        geo, x_, y_, rot = _home_footprints(g, recipe, villages, cand)
        bad = ~shapely.contains(land.inner, geo)
        bad[obstacles.query(geo, predicate="dwithin", distance=recipe.site_gap_m)[0]] = True
        done, take = _complete_villages(cand, ~bad, n_home_v, todo, villages.n)
        home_geom.append(geo[take])
        home_x.append(x_[take])
        home_y.append(y_[take])
        home_rot.append(rot[take])
        todo = np.setdiff1d(todo, done)
        mult *= 2.0
    if len(todo):
        raise RuntimeError("could not fit the rural homes of some villages; use fewer sites")

    def joined(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    return PlacedSites.of_type(
        "rural_home", joined(home_geom, object), joined(home_x), joined(home_y), joined(home_rot)
    )


def _lattice_plots(g, recipe, n_home_v, todo, mult):
    """For each village of ``todo``: its ``mult`` x needed + 25 best plots, as lattice offsets (u east, w north,
    before turning) [m] and their sorting key."""
    plot_x, plot_y = recipe.home_plot_m
    parts = []
    for v in todo:
        K = int(n_home_v[v] * mult) + 25
        s = math.ceil(math.sqrt(K * 1.7) / 2) + 1
        ii, jj = np.meshgrid(np.arange(-s, s + 1), np.arange(-s, s + 1))
        u, w_ = ii.ravel() * plot_x, jj.ravel() * plot_y
        th = np.arctan2(w_, u)
        p1, p2 = g.uniform(0, 2 * np.pi, 2)
        key = np.hypot(u, w_) / (1 + 0.22 * np.sin(2 * th + p1) + 0.12 * np.sin(3 * th + p2)) + g.uniform(0, 6, len(u))
        sel = np.argsort(key, kind="stable")[:K]
        parts.append(pd.DataFrame({"v": v, "u": u[sel], "w": w_[sel], "key": key[sel]}))
    return pd.concat(parts, ignore_index=True)


def _home_footprints(g, recipe, villages, cand):
    """A home on each candidate plot: jittered up to 0.9 m along and 3 m across the street, log-normal area,
    7.5-11 m deep, turned with the street grid (+-6 degrees, within +-20). Returns (polygons, x, y, rot_deg)."""
    n = len(cand)
    v = cand["v"].to_numpy()
    vang = villages.street_angle_deg
    du = g.uniform(-0.9, 0.9, n)
    dw = g.uniform(-3.0, 3.0, n)
    x_, y_ = rotate(cand["u"].to_numpy() + du, cand["w"].to_numpy() + dw, np.radians(vang[v]))
    x_, y_ = villages.x[v] + x_, villages.y[v] + y_
    area = recipe.draw_footprint_areas(g, "rural_home", n)
    dd = np.clip(g.uniform(7.5, 11.0, n), area / 20.0, area / 10.0)
    ww = area / dd
    rot = np.clip(vang[v] + np.clip(g.normal(0.0, 2.0, n), -6, 6), -20, 20)
    geo = shapely.polygons(rectangle_rings(ww, dd, rot) + np.stack([x_, y_], -1)[:, None, :])
    return geo, x_, y_, rot


def _complete_villages(cand, fits, n_home_v, todo, n_vil):
    """Villages of ``todo`` whose fitting plots cover their homes, and the candidates they take (their best
    fitting plots by key)."""
    cand = cand.assign(ok=fits, i=np.arange(len(cand)))
    okc = cand[cand["ok"]].sort_values(["v", "key"], kind="stable")
    rank = okc.groupby("v").cumcount().to_numpy()
    chosen = okc[rank < n_home_v[okc["v"].to_numpy()]]
    got = np.bincount(chosen["v"].to_numpy(), minlength=n_vil)
    done = todo[got[todo] >= n_home_v[todo]]
    take = chosen[np.isin(chosen["v"].to_numpy(), done)]["i"].to_numpy()
    return done, take
