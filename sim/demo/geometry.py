"""Shape helpers of the demo county, vectorised, in local metres (UTM, origin at the county centre).

Footprints are drawn as closed rings around 0 (rotated rectangles, irregular octagons) and moved to their centres
by `SitePlacer`, which puts them down without overlaps: batched proposals checked against an STRtree, only the
rejected ones are re-proposed.
"""

from __future__ import annotations

import math

import numpy as np
import shapely


def rotate(u, w, ang_rad):
    """Offsets ``(u, w)`` rotated counter-clockwise by ``ang_rad`` [rad]."""
    c, s = np.cos(ang_rad), np.sin(ang_rad)
    return u * c - w * s, u * s + w * c


def ring_areas(x, y):
    """Areas [m2] of the closed rings whose vertex coordinates are the rows of ``x`` and ``y`` (shoelace)."""
    return 0.5 * np.abs(np.sum(x[:, :-1] * y[:, 1:] - x[:, 1:] * y[:, :-1], axis=1))


def rectangle_rings(width, depth, rot_deg):
    """(n, 5, 2) closed rings of width x depth rectangles rotated counter-clockwise by ``rot_deg``, centred on 0."""
    su = np.array([0.5, -0.5, -0.5, 0.5, 0.5])
    sw = np.array([0.5, 0.5, -0.5, -0.5, 0.5])
    u = np.asarray(width)[:, None] * su
    v = np.asarray(depth)[:, None] * sw
    x, y = rotate(u, v, np.radians(np.asarray(rot_deg))[:, None])
    return np.stack([x, y], axis=-1)


def irregular_octagon_rings(rng, width, depth, rot_deg, jitter, area):
    """(n, 9, 2) irregular octagons around a width x depth rectangle (corners and edge midpoints pulled in radially
    by up to ``jitter``), rotated, then scaled to exactly ``area`` [m2]. Star-shaped around 0, hence always simple."""
    n = len(width)
    su = np.array([0.5, 0.5, 0.0, -0.5, -0.5, -0.5, 0.0, 0.5])
    sw = np.array([0.0, 0.5, 0.5, 0.5, 0.0, -0.5, -0.5, -0.5])
    f = 1.0 - rng.uniform(0.0, 1.0, (n, 8)) * np.asarray(jitter)[:, None]
    u = np.asarray(width)[:, None] * su * f
    v = np.asarray(depth)[:, None] * sw * f
    x, y = rotate(u, v, np.radians(np.asarray(rot_deg))[:, None])
    x = np.concatenate([x, x[:, :1]], axis=1)
    y = np.concatenate([y, y[:, :1]], axis=1)
    k = np.sqrt(np.asarray(area) / ring_areas(x, y))[:, None]
    return np.stack([x * k, y * k], axis=-1)


def blob_polygon(rng, cx, cy, r_x, r_y, n=48, amp=0.12, rot_deg=0.0):
    """One irregular closed blob (an ellipse with random radial harmonics 2..5) around (cx, cy)."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, 6):
        r += amp / (k - 1) * rng.uniform(0.3, 1.0) * np.sin(k * t + rng.uniform(0, 2 * np.pi))
    x, y = rotate(r_x * r * np.cos(t), r_y * r * np.sin(t), math.radians(rot_deg))
    return shapely.Polygon(np.column_stack([cx + x, cy + y]))


def largest_polygon(geom):
    """``geom`` if it is a Polygon, else its part of largest area."""
    if geom.geom_type != "Polygon":
        geom = max(shapely.get_parts(geom), key=lambda p: p.area)
    return geom


def longest_line(geom):
    """``geom`` if it is a LineString, else its longest part."""
    if geom.geom_type != "LineString":
        geom = max(shapely.get_parts(geom), key=lambda p: p.length)
    return geom


def rectangle_sides(rng, area, aspect_lo, aspect_hi):
    """Width (long side) and depth of rectangles of ``area`` with an aspect ratio drawn in [lo, hi]."""
    aspect = rng.uniform(aspect_lo, aspect_hi, len(area))
    d = np.sqrt(area / aspect)
    return area / d, d


def polar_offsets(rng, n, r_lo, r_hi):
    """``n`` offsets uniform in area over the annuli r_lo..r_hi [m] (scalars or arrays of length n)."""
    r = np.sqrt(rng.uniform(np.broadcast_to(r_lo, n) ** 2, np.broadcast_to(r_hi, n) ** 2))
    t = rng.uniform(0.0, 2 * np.pi, n)
    return r * np.cos(t), r * np.sin(t)


def random_points_in(rng, poly, n, batch=4096):
    """``n`` uniform random points inside ``poly`` (rejection sampling on its bounding box)."""
    x0, y0, x1, y1 = poly.bounds
    shapely.prepare(poly)
    xs, ys = [], []
    got = 0
    for _ in range(200):
        x = rng.uniform(x0, x1, batch)
        y = rng.uniform(y0, y1, batch)
        ok = shapely.contains_xy(poly, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
        if got >= n:
            break
    if got < n:
        raise RuntimeError("the demo county has no room left for random points in a zone; use fewer sites")
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def greedy_spread(x, y, d_min, existing=None, limit=None):
    """Indices of points kept in order so that each is >= d_min from every kept one (and from ``existing``)."""
    kept: list[int] = []
    ex = np.empty((0, 2)) if existing is None else np.asarray(existing, dtype=float).reshape(-1, 2)
    pts = ex.copy()
    for i in range(len(x)):
        if pts.size == 0 or np.min(np.hypot(pts[:, 0] - x[i], pts[:, 1] - y[i])) >= d_min:
            kept.append(i)
            pts = np.vstack([pts, [x[i], y[i]]])
            if limit is not None and len(kept) >= limit:
                break
    return np.array(kept, dtype=int)


class SitePlacer:
    """Places polygons inside ``region`` without overlaps: each keeps ``gap_m`` from the ``water`` obstacles and from
    every polygon placed before. Batched proposals, STRtree checks, re-proposal of the rejected ones only."""

    def __init__(self, region, water, gap_m):
        self.region = region
        shapely.prepare(self.region)
        self.water = list(water)
        self.gap_m = gap_m
        self.placed: list[np.ndarray] = []

    def occupied(self):
        """Every polygon placed so far."""
        return np.concatenate(self.placed) if self.placed else np.empty(0, dtype=object)

    def obstacle_tree(self):
        """STRtree of the water obstacles and of every polygon placed so far."""
        return shapely.STRtree(np.concatenate([np.array(self.water, dtype=object), self.occupied()]))

    def conflicts(self, cand, extra=()):
        """Boolean mask: candidate outside the region or within ``gap_m`` of an obstacle or a placed site."""
        bad = ~shapely.contains(self.region, cand)
        others = np.concatenate([np.array(self.water + list(extra), dtype=object), self.occupied()])
        if len(others):
            tree = shapely.STRtree(others)
            hit = tree.query(cand, predicate="dwithin", distance=self.gap_m)[0]
            bad[hit] = True
        return bad

    def place(
        self,
        shapes_rel,
        propose,
        *,
        extra=(),
        avoid=None,
        may_enter=None,
        min_area=None,
        shrink_after=40,
        max_rounds=120,
        what="sites",
    ):
        """``shapes_rel`` (n, k, 2) rings around 0; ``propose(idx, attempt) -> (x, y)`` centres for pending ``idx``.
        Centres inside ``avoid`` are refused unless ``may_enter[i]``. Sites still pending after ``shrink_after``
        rounds shrink by 10 % (linear) per round, never below ``min_area`` [m2]. Returns (geometries, x, y)."""
        n = len(shapes_rel)
        shapes_rel = np.array(shapes_rel, dtype=float)
        if min_area is not None:
            floor = np.sqrt(np.minimum(1.0, min_area * 1.01 / ring_areas(shapes_rel[..., 0], shapes_rel[..., 1])))
        geoms = np.empty(n, dtype=object)
        cx = np.full(n, np.nan)
        cy = np.full(n, np.nan)
        pending = np.arange(n)
        if avoid is not None:
            shapely.prepare(avoid)
        for attempt in range(max_rounds):
            if len(pending) == 0:
                break
            x, y = propose(pending, attempt)
            rel = shapes_rel[pending]
            if min_area is not None and attempt > shrink_after:
                k = np.maximum(0.9 ** (attempt - shrink_after), floor[pending])
                rel = rel * k[:, None, None]
            cand = shapely.polygons(rel + np.stack([x, y], axis=-1)[:, None, :])
            bad = self.conflicts(cand, extra)
            if avoid is not None:
                inside = shapely.contains_xy(avoid, x, y)
                if may_enter is not None:
                    inside &= ~may_enter[pending]
                bad |= inside
            ok = self._first_of_each_clash(cand, np.flatnonzero(~bad))
            geoms[pending[ok]] = cand[ok]
            cx[pending[ok]] = x[ok]
            cy[pending[ok]] = y[ok]
            self.placed.append(cand[ok])
            pending = np.delete(pending, ok)
        if len(pending):
            raise RuntimeError(
                f"could not place {len(pending)} {what} without overlaps in the demo county; use fewer sites"
            )
        return geoms, cx, cy

    def _first_of_each_clash(self, cand, ok):
        """``ok`` without the candidates that clash with an earlier one of the same batch (the later one waits)."""
        if len(ok) > 1:
            tree = shapely.STRtree(cand[ok])
            a, b = tree.query(cand[ok], predicate="dwithin", distance=self.gap_m)
            later = np.unique(np.maximum(a, b)[a != b])
            ok = np.delete(ok, later)
        return ok
