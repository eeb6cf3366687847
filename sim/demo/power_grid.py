"""The grid of the demo county (stream "grid"): substations, 10/0.4 kV transformers and 10-kV feeders.

Substations (3-5, 110 or 35 kV) stand beside township seats spread over the county. Transformers are placed where
the sites are: about one per 37 sites of a village, at the centroid of an angular sector of its homes, plus about
one per 12 factories in each industrial park. 10-kV feeders run from the nearest substation through their
transformers (split by bearing into feeders of about 12 transformers, each a nearest-neighbour chain). About 8 % of
the transformers have an upgrade to the next standard size planned in 2027-2029. Each substation also gets an
``mv`` entry: the 10-kV side of its main transformers, for sites that connect at 10 kV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .county import CountyRecipe
from .geometry import polar_offsets
from .landscape import Landscape
from .public_commercial import IndustrialParks
from .site_table import SiteTable
from .villages import Villages


@dataclass(frozen=True)
class Substations:
    x: np.ndarray
    y: np.ndarray
    seat_village: np.ndarray  # the township seat each stands beside
    ids: list[str]
    voltage_kv: np.ndarray
    main_transformer_mva: np.ndarray
    n_main_transformers: np.ndarray

    @property
    def capacity_mva(self) -> np.ndarray:
        return self.n_main_transformers * self.main_transformer_mva


@dataclass(frozen=True)
class Grid:
    """Attribute columns (dicts) and geometries [m] of the three grid layers."""

    substations: dict
    substation_points: np.ndarray
    feeders: dict
    feeder_lines: list
    transformers: dict
    transformer_points: np.ndarray


def make_grid(
    recipe: CountyRecipe,
    land: Landscape,
    villages: Villages,
    core_r: np.ndarray,
    sites: SiteTable,
    parks: IndustrialParks,
) -> Grid:
    """Substations, transformers and their ratings, feeders and their ratings, planned upgrades (in this order)."""
    g = recipe.random_stream("grid")
    subs = _substations(g, recipe, land, villages, core_r)
    tx = pd.DataFrame(
        _village_transformers(recipe, sites, villages) + _park_transformers(g, recipe, parks, villages),
        columns=["v", "x", "y", "homes", "industrial"],
    )
    tx["x"] += 4.0  # beside the street, not on a roof's centre
    _rate_transformers(g, recipe, tx)
    feeder_rows, tx = _route_feeders(recipe, tx, subs)
    width = max(2, len(str(len(feeder_rows))))
    feeder_ids = [f"F{f_ + 1:0{width}d}" for f_ in range(len(feeder_rows))]
    frating = g.choice(recipe.feeder_ratings_mva, len(feeder_rows), p=recipe.feeder_rating_shares)
    fgeoms = [r_[1] for r_ in feeder_rows]
    feeders = {
        "feeder_id": feeder_ids,
        "substation": [subs.ids[r_[0]] for r_ in feeder_rows],
        "voltage_kv": np.full(len(feeder_rows), 10, dtype=int),
        "rating_mva": frating,
        "length_km": np.round(shapely.length(np.array(fgeoms, dtype=object)) / 1000.0, 3),
    }
    substations = {
        "substation": subs.ids,
        "name": [f"{villages.names[v]} {kv} kV Substation" for v, kv in zip(subs.seat_village, subs.voltage_kv)],
        "voltage_kv": subs.voltage_kv.astype(int),
        "n_main_transformers": subs.n_main_transformers,
        "main_transformer_mva": subs.main_transformer_mva,
        "total_capacity_mva": subs.capacity_mva,
    }
    return Grid(
        substations=substations,
        substation_points=shapely.points(subs.x, subs.y),
        feeders=feeders,
        feeder_lines=fgeoms,
        transformers=_transformer_columns(g, recipe, tx, subs, feeder_ids, villages),
        transformer_points=np.asarray(
            shapely.points(np.concatenate([tx["x"], subs.x + 25.0]), np.concatenate([tx["y"], subs.y]))
        ),
    )


def _substations(g, recipe, land, villages, core_r):
    """n_townships / 2.5 substations (3-5, at most one per township): at the seat nearest the centre, then at the
    seat farthest from those chosen, 150-500 m outside its core. The first is 110 kV, the others 110 or 35 kV (at
    least one 35 kV among three or more)."""
    n_townships = recipe.n_townships
    n_sub = int(np.clip(round(n_townships / 2.5), 3, 5))
    n_sub = min(n_sub, n_townships) if n_townships >= 1 else 1
    seat_idx = _spread_seats(villages, n_sub)
    vx, vy = villages.x, villages.y
    sub_x, sub_y = [], []
    for v in seat_idx:
        for _ in range(100):
            dx, dy = polar_offsets(g, 1, core_r[v] + 150.0, core_r[v] + 500.0)
            x, y = vx[v] + dx[0], vy[v] + dy[0]
            if shapely.contains_xy(land.inner, x, y) and not shapely.contains_xy(land.reservoir, x, y):
                break
        sub_x.append(x)
        sub_y.append(y)
    n_sub = len(sub_x)
    sub_kv = np.where(np.arange(n_sub) == 0, 110, np.where(g.uniform(size=n_sub) < 0.5, 110, 35))
    if n_sub >= 3 and not (sub_kv == 35).any():
        sub_kv[-1] = 35
    sub_mva = np.where(
        sub_kv == 110, g.choice(recipe.main_transformer_mva_110kv, n_sub), recipe.main_transformer_mva_35kv
    )
    return Substations(
        x=np.array(sub_x),
        y=np.array(sub_y),
        seat_village=seat_idx,
        ids=[f"SS{i + 1:02d}" for i in range(n_sub)],
        voltage_kv=sub_kv,
        main_transformer_mva=sub_mva,
        n_main_transformers=np.full(n_sub, recipe.main_transformers_per_substation),
    )


def _spread_seats(villages, n_sub):
    """Village indices of ``n_sub`` township seats: the one nearest the county centre, then farthest-first."""
    sx_seat = villages.x[villages.is_seat]
    sy_seat = villages.y[villages.is_seat]
    chosen_s = [int(np.argmin(np.hypot(sx_seat, sy_seat)))]
    while len(chosen_s) < n_sub:
        dmin = np.min(
            np.hypot(sx_seat[:, None] - sx_seat[chosen_s][None, :], sy_seat[:, None] - sy_seat[chosen_s][None, :]),
            axis=1,
        )
        chosen_s.append(int(np.argmax(dmin)))
    return np.flatnonzero(villages.is_seat)[chosen_s]


def _village_transformers(recipe, sites, villages):
    """Rows (village, x, y, homes, industrial=False): ``sites_per_transformer`` sites of a village per transformer
    (at least one), each at the centroid of an equal angular sector of the village's homes; a village without homes
    gets its transformers at its centre."""
    n_vil, vx, vy = villages.n, villages.x, villages.y
    c_v = np.bincount(sites.village, minlength=n_vil)
    n_tx_v = np.where(c_v > 0, np.maximum(1, np.round(c_v / recipe.sites_per_transformer)), 0).astype(int)
    is_home = sites.site_type == "rural_home"
    hv = sites.village[is_home]
    hx, hy = sites.x[is_home], sites.y[is_home]
    tx_rows = []
    if len(hv):
        ang_h = np.arctan2(hy - vy[hv], hx - vx[hv])
        hdf = pd.DataFrame({"v": hv, "a": ang_h, "x": hx, "y": hy}).sort_values(["v", "a"], kind="stable")
        rank = hdf.groupby("v").cumcount().to_numpy()
        cnt = np.bincount(hv, minlength=n_vil)[hdf["v"].to_numpy()]
        hdf["grp"] = (rank * n_tx_v[hdf["v"].to_numpy()]) // cnt
        cen = hdf.groupby(["v", "grp"], sort=True).agg(x=("x", "mean"), y=("y", "mean"), n=("x", "size"))
        cen = cen.reset_index()
        for v, x, y, n in zip(cen["v"], cen["x"], cen["y"], cen["n"], strict=True):
            tx_rows.append((int(v), x, y, int(n), False))
    have = {r_[0] for r_ in tx_rows}
    for v in np.flatnonzero(n_tx_v > 0):
        if v not in have:
            for k in range(n_tx_v[v]):
                tx_rows.append((int(v), vx[v] + 30.0 * k, vy[v] + 15.0, 0, False))
    return tx_rows


def _park_transformers(g, recipe, parks, villages):
    """Rows (nearest village, x, y, homes=-1, industrial=True): one per ``factories_per_transformer`` factories of a
    park, within 150 m of its centre."""
    tx_rows = []
    for ti in range(len(parks.x)):
        k_park = int((parks.park_of_factory == ti).sum())
        for _k in range(math.ceil(k_park / recipe.factories_per_transformer)):
            dx, dy = polar_offsets(g, 1, 0.0, 150.0)
            x, y = parks.x[ti] + dx[0], parks.y[ti] + dy[0]
            v = int(np.argmin(np.hypot(villages.x - x, villages.y - y)))
            tx_rows.append((v, x, y, -1, True))
    return tx_rows


def _rate_transformers(g, recipe, tx):
    """Adds ``rating_kva``: the standard size above 9 kVA per home (+-30 %), 200-800 kVA in villages, 630 kVA or more
    in parks; and ``existing_pv_kw``: 0-40 % of the rating, rounded to 1 kW."""
    lv = np.array(recipe.lv_ratings_kva)
    nt = len(tx)
    base_kva = np.maximum(tx["homes"].to_numpy(), 1) * 9.0 * g.uniform(0.8, 1.3, nt)
    rating = lv[np.clip(np.searchsorted(lv, base_kva), 0, 5)]
    rating = np.where(tx["industrial"].to_numpy(), g.choice(lv[4:], nt), np.maximum(rating, 200))
    tx["rating_kva"] = rating.astype(float)
    tx["existing_pv_kw"] = np.round(rating * g.uniform(0.0, recipe.max_existing_pv_share, nt), 0)


def _route_feeders(recipe, tx, subs):
    """Each transformer joins its nearest substation; a substation's transformers are split by bearing into feeders
    of about ``transformers_per_feeder`` (at least 2 per substation, ``min_feeders`` in the county when there are
    transformers enough), each routed as a nearest-neighbour chain from the substation. Returns the feeders
    (substation index, line) and the transformers in feeder order with their ``sub`` and ``feeder`` index."""
    n_sub = len(subs.x)
    tsub = np.argmin(
        np.hypot(tx["x"].to_numpy()[:, None] - subs.x[None, :], tx["y"].to_numpy()[:, None] - subs.y[None, :]), axis=1
    )
    tx["sub"] = tsub
    tx["bearing"] = np.arctan2(tx["y"] - subs.y[tsub], tx["x"] - subs.x[tsub])
    per_sub = np.bincount(tsub, minlength=n_sub)
    n_fd = np.array(
        [min(int(per_sub[s]), max(2, math.ceil(per_sub[s] / recipe.transformers_per_feeder))) for s in range(n_sub)]
    )
    while n_fd.sum() < recipe.min_feeders and (n_fd < per_sub).any():
        n_fd[int(np.argmax(per_sub - n_fd))] += 1
    feeder_rows: list[tuple[int, shapely.LineString]] = []
    tx_order: list[int] = []
    tx_feeder: list[int] = []
    for s in range(n_sub):
        members = tx[tx["sub"] == s].sort_values("bearing", kind="stable").index.to_numpy()
        if len(members) == 0:
            continue
        for chunk in np.array_split(members, n_fd[s]):
            if len(chunk) == 0:
                continue
            chain, line = _nearest_neighbour_chain(tx, list(chunk), np.array([subs.x[s], subs.y[s]]))
            tx_order += chain
            tx_feeder += [len(feeder_rows)] * len(chain)
            feeder_rows.append((s, line))
    tx = tx.loc[tx_order].reset_index(drop=True)
    tx["feeder"] = tx_feeder
    return feeder_rows, tx


def _nearest_neighbour_chain(tx, left, start):
    """Transformers ``left`` (index labels of ``tx``) in the order of a nearest-neighbour walk from ``start``, and
    the line of that walk."""
    cur = start
    pts = [cur.copy()]
    chain = []
    while left:
        P = tx.loc[left, ["x", "y"]].to_numpy()
        j = int(np.argmin(np.hypot(P[:, 0] - cur[0], P[:, 1] - cur[1])))
        chain.append(left.pop(j))
        cur = P[j]
        pts.append(cur.copy())
    return chain, shapely.LineString(np.array(pts))


def _transformer_columns(g, recipe, tx, subs, feeder_ids, villages):
    """The transformers layer: the lv transformers in feeder order (ids TX00001...), then one ``mv`` entry per
    substation (its 10-kV capacity, 3-15 % of it already PV)."""
    nt, n_sub = len(tx), len(subs.x)
    up_date, up_kva = _planned_upgrades(g, recipe, tx)
    mv_rating = subs.capacity_mva * 1000.0
    tnames, vtown = villages.township_names, villages.township
    return {
        "transformer_id": [f"TX{i + 1:05d}" for i in range(nt)] + [f"MV-{s_}" for s_ in subs.ids],
        "feeder_id": [feeder_ids[f_] for f_ in tx["feeder"]] + [None] * n_sub,
        "substation": [subs.ids[s_] for s_ in tx["sub"]] + subs.ids,
        "connection_level": ["lv"] * nt + ["mv"] * n_sub,
        "rating_kva": np.concatenate([tx["rating_kva"].to_numpy(), mv_rating]),
        "existing_pv_kw": np.concatenate(
            [tx["existing_pv_kw"].to_numpy(), np.round(mv_rating * g.uniform(*recipe.mv_existing_pv_share, n_sub), 0)]
        ),
        "planned_upgrade_date": up_date + [None] * n_sub,
        "planned_upgrade_kva": np.concatenate([up_kva, np.zeros(n_sub)]).astype(float),
        "village": [villages.names[v_] for v_ in tx["v"]] + [""] * n_sub,
        "township": [tnames[vtown[v_]] for v_ in tx["v"]] + [tnames[vtown[v_]] for v_ in subs.seat_village],
    }


def _planned_upgrades(g, recipe, tx):
    """``upgrade_share`` of the transformers get a date in the upgrade window (ISO text, else None) and the step to
    the next standard size [kVA] (their own rating again at the largest size; 0 without an upgrade)."""
    nt = len(tx)
    lv = np.array(recipe.lv_ratings_kva)
    first_day, n_days = recipe.upgrade_window
    upgrade = g.uniform(size=nt) < recipe.upgrade_share
    up_days = g.integers(0, n_days, nt)
    up_date = [
        str((pd.Timestamp(first_day) + pd.Timedelta(days=int(d_))).date()) if u_ else None
        for u_, d_ in zip(upgrade, up_days)
    ]
    nxt = lv[np.clip(np.searchsorted(lv, tx["rating_kva"].to_numpy(), side="right"), 0, len(lv) - 1)]
    up_kva = np.where(upgrade, np.where(nxt > tx["rating_kva"], nxt - tx["rating_kva"], tx["rating_kva"]), 0.0)
    return up_date, up_kva
