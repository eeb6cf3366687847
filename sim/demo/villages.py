"""Townships and villages of the demo county (stream "admin"), and how many village sites each village gets
(stream "allocation").

Township seats are spread over the lowland, numbered north to south and west to east; each township's other villages
lie in the seat's Voronoi cell. Townships are the union of the Voronoi cells of their villages, clipped to the
county, so a site's nearest village always lies in the township that contains the site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from .county import CountyRecipe
from .geometry import greedy_spread, random_points_in
from .landscape import Landscape


@dataclass(frozen=True)
class Villages:
    """Villages by township, the seat first. Arrays have one entry per village."""

    x: np.ndarray  # centre [m]
    y: np.ndarray
    township: np.ndarray  # index into township_names
    is_seat: np.ndarray  # the township seat
    names: np.ndarray  # object array of str
    street_angle_deg: np.ndarray  # rotation of the village's street grid [deg, ccw]
    weight: np.ndarray  # relative size (seats about 2.2 x)
    township_names: list[str]
    township_polygons: list  # one per township

    @property
    def n(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class VillageSiteCounts:
    """Number of sites of each village-bound type per village."""

    homes: np.ndarray
    public_buildings: np.ndarray
    party_government: np.ndarray
    guesthouses: np.ndarray


def make_villages(recipe: CountyRecipe, land: Landscape) -> Villages:
    """Seats, the other villages, their order (by township, seat first), names, street angles and sizes."""
    g = recipe.random_stream("admin")
    n_townships = recipe.n_townships
    seat_x, seat_y = _township_seats(g, land, n_townships)
    tnames = township_names(recipe)
    vx, vy, vtown = _villages_around_seats(g, recipe, land, seat_x, seat_y)
    n_vil = recipe.n_villages
    is_seat = np.zeros(n_vil, dtype=bool)
    is_seat[:n_townships] = True
    vorder = np.lexsort((~is_seat, vtown))  # by township, seat first
    vx, vy, vtown, is_seat = vx[vorder], vy[vorder], vtown[vorder], is_seat[vorder]
    others = village_names(g, recipe, int((~is_seat).sum()), set(tnames))
    vnames = np.empty(n_vil, dtype=object)
    vnames[is_seat] = [tnames[i] for i in vtown[is_seat]]
    vnames[~is_seat] = others
    vang = np.clip(g.normal(0.0, 6.0, n_vil), -14.0, 14.0)
    vweight = np.exp(g.normal(0.0, 0.45, n_vil)) * np.where(is_seat, 2.2, 1.0)
    return Villages(
        x=vx,
        y=vy,
        township=vtown,
        is_seat=is_seat,
        names=vnames,
        street_angle_deg=vang,
        weight=vweight,
        township_names=tnames,
        township_polygons=_township_polygons(vx, vy, vtown, land.boundary, n_townships),
    )


def _township_seats(g, land, n_townships):
    """Seats at least 1.2 km inside the lowland, spread as far apart as fits, numbered north to south (4 km bands),
    then west to east."""
    cx_, cy_ = random_points_in(g, land.lowland.buffer(-1_200.0), 4_000)
    d_min = 0.75 * math.sqrt(land.lowland.area / n_townships)
    while True:
        keep = greedy_spread(cx_, cy_, d_min, limit=n_townships)
        if len(keep) == n_townships:
            break
        d_min *= 0.9
    seat_x, seat_y = cx_[keep], cy_[keep]
    order = np.lexsort((seat_x, -np.round(seat_y / 4_000)))
    return seat_x[order], seat_y[order]


def _villages_around_seats(g, recipe, land, seat_x, seat_y):
    """The other villages of each township, spread in the seat's Voronoi cell (400 m inside the lowland where
    possible): (x, y, township index), seats first."""
    n_townships, need = recipe.n_townships, recipe.villages_per_township - 1
    if need <= 0:
        return seat_x.copy(), seat_y.copy(), np.arange(n_townships)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.MultiPoint(np.column_stack([seat_x, seat_y])), extend_to=land.boundary.buffer(5_000), ordered=True
        )
    )
    vx, vy, vtown = [seat_x.copy()], [seat_y.copy()], [np.arange(n_townships)]
    d_vil = 0.60 * math.sqrt(land.lowland.area / recipe.n_villages)
    village_area = land.lowland.buffer(-400.0)
    existing = np.column_stack([seat_x, seat_y])
    for ti in range(n_townships):
        zone = shapely.intersection(cells[ti], village_area)
        if zone.is_empty or zone.area < 1e4:
            zone = shapely.intersection(cells[ti], land.boundary.buffer(-400.0))
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
    return np.concatenate(vx), np.concatenate(vy), np.concatenate(vtown)


def _township_polygons(vx, vy, vtown, boundary, n_townships):
    """Each township: the union of its villages' Voronoi cells, clipped to the county."""
    vcells = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.MultiPoint(np.column_stack([vx, vy])), extend_to=boundary.buffer(5_000), ordered=True
        )
    )
    vcells = shapely.intersection(vcells, boundary)
    return [shapely.make_valid(shapely.union_all(vcells[vtown == ti])) for ti in range(n_townships)]


def township_names(recipe: CountyRecipe) -> list[str]:
    """The recipe's township names, then made-up ones when there are more townships."""
    n = recipe.n_townships
    names = list(recipe.township_names[:n])
    extra = [p + s for s in ("ying", "bao", "tun", "zhuang") for p in recipe.village_name_prefixes]
    i = 0
    while len(names) < n:
        if extra[i] not in names:
            names.append(extra[i])
        i += 1
    return names


def village_names(g, recipe: CountyRecipe, n: int, taken: set[str]) -> list[str]:
    """``n`` distinct prefix+suffix names not in ``taken``, in random order (numbered 2, 3... when they run out)."""
    combos = [p + s for p in recipe.village_name_prefixes for s in recipe.village_name_suffixes]
    combos = [c for c in combos if c not in taken]
    order = g.permutation(len(combos))
    names = [combos[i] for i in order[:n]]
    k = 2
    while len(names) < n:
        names += [f"{combos[i]} {k}" for i in order[: n - len(names)]]
        k += 1
    return names


def allocate_village_sites(
    recipe: CountyRecipe, villages: Villages, scenic_villages: np.ndarray, counts: dict[str, int]
) -> VillageSiteCounts:
    """Homes by village size; a public building in every village first (seats weigh double); party and government
    buildings in every seat first (seats 12 x other villages); guesthouses mostly in the villages next to scenic
    spots."""
    g = recipe.random_stream("allocation")
    n_vil, vweight, is_seat = villages.n, villages.weight, villages.is_seat
    n_home_v = g.multinomial(counts["rural_home"], vweight / vweight.sum())
    n_pub_v = _allocate(
        g, n_vil, counts["public_building"], vweight * np.where(is_seat, 2.0, 1.0), first=np.arange(n_vil)
    )
    n_party_v = _allocate(
        g, n_vil, counts["party_government"], np.where(is_seat, 3.0, 0.25), first=np.flatnonzero(is_seat)
    )
    gh_w = np.full(n_vil, 0.03)
    gh_w[scenic_villages] = 1.0
    n_guest_v = _allocate(g, n_vil, counts["guesthouse"], gh_w)
    return VillageSiteCounts(
        homes=n_home_v, public_buildings=n_pub_v, party_government=n_party_v, guesthouses=n_guest_v
    )


def _allocate(g, n_vil, n, weights, first=None):
    """``n`` sites over the villages: one to each village of ``first`` (a weighted sample of them when ``n`` is
    smaller), the rest multinomially by ``weights``."""
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
