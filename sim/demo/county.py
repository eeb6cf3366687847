"""What the demo county is made of: its layers, the mix and sizes of its sites, its names and its grid ratings.

`CountyRecipe` gathers the arguments of `sim.demo.make_demo_county` and the sizes, shares, names and ratings of the
Huailai-like county in one frozen object that every section of the recipe reads. Every name is made up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.rng import stream

LAYERS = (
    "county_boundary",
    "townships",
    "villages",
    "sites",
    "substations",
    "feeders",
    "transformers",
    "lines",
    "exclusion_basic_farmland",
    "exclusion_ecological",
    "river",
    "reservoir",
)

#: Share of each site type in the candidate list (sums to 1).
SITE_TYPE_SHARES = {
    "rural_home": 0.62,
    "public_building": 0.06,
    "party_government": 0.03,
    "commercial_industrial": 0.06,
    "agrivoltaic": 0.05,
    "greenhouse": 0.08,
    "fish_pond": 0.02,
    "tourism_carpark": 0.02,
    "guesthouse": 0.06,
}
#: Footprint area range of each site type [m2] (polygon area in UTM).
SITE_AREA_RANGES_M2 = {
    "rural_home": (90.0, 220.0),
    "public_building": (300.0, 2_500.0),
    "party_government": (300.0, 3_000.0),
    "commercial_industrial": (1_000.0, 25_000.0),
    "agrivoltaic": (20_000.0, 400_000.0),
    "greenhouse": (500.0, 6_000.0),
    "fish_pond": (10_000.0, 150_000.0),
    "tourism_carpark": (1_500.0, 20_000.0),
    "guesthouse": (150.0, 700.0),
}
#: Median of the log-normal footprint area [m2] and its log-sigma, clipped to the range above.
AREA_LOGNORMAL = {
    "rural_home": (150.0, 0.25),
    "public_building": (900.0, 0.55),
    "party_government": (1_100.0, 0.55),
    "commercial_industrial": (4_500.0, 0.75),
    "agrivoltaic": (55_000.0, 0.7),
    "greenhouse": (1_300.0, 0.5),
    "fish_pond": (35_000.0, 0.6),
    "tourism_carpark": (4_500.0, 0.6),
    "guesthouse": (320.0, 0.4),
}

TOWNSHIP_NAMES = (
    "Shacheng",
    "Tumu",
    "Xinbao",
    "Donghuayuan",
    "Guanting",
    "Ruiyunguan",
    "Sangyuan",
    "Wangjiayuan",
    "Xiaonanxinbu",
    "Beixinbu",
    "Cunrui",
    "Dahuangzhuang",
    "Sunzhuangzi",
    "Zhuguantun",
    "Jimingyi",
)
VILLAGE_NAME_PREFIXES = (
    "Dong",
    "Xi",
    "Nan",
    "Bei",
    "Shang",
    "Xia",
    "Da",
    "Xiao",
    "Qian",
    "Hou",
    "Zhang",
    "Wang",
    "Li",
    "Liu",
    "Chen",
    "Zhao",
    "Ma",
    "Guo",
    "Yang",
    "Sun",
    "Huang",
    "Shi",
    "Bai",
    "Gao",
    "Tai",
    "He",
    "Long",
    "Shuang",
    "Ping",
    "Fu",
    "An",
    "Xin",
    "Gu",
    "Jiu",
    "San",
    "Wu",
    "Qi",
    "Han",
    "Feng",
    "Yu",
)
VILLAGE_NAME_SUFFIXES = (
    "zhuang",
    "ying",
    "bu",
    "tun",
    "gou",
    "wa",
    "zhai",
    "cun",
    "dian",
    "yuan",
    "pu",
    "kou",
    "he",
    "po",
    "tai",
    "qiao",
    "ji",
    "shan",
    "tan",
    "bao",
)
INDUSTRIES = (
    "Winery",
    "Food Processing Plant",
    "Building Materials Factory",
    "Machinery Works",
    "Cold-Chain Warehouse",
    "Logistics Warehouse",
    "Packaging Factory",
    "Feed Mill",
    "Auto Parts Factory",
    "Grape Juice Plant",
)
#: Candidate sites up to which the county keeps its size (``CountyRecipe.half_axes_m``); a larger county is
#: stretched (``CountyRecipe.extent_m``). An assumption of the generator: 50,000 sites fit in the Huailai-sized
#: ellipse (the end-to-end benchmark's county), 100,000 did not (agrivoltaic parcels and fish ponds alone would cover
#: over a third of it).
SITES_AT_FULL_EXTENT = 50_000
#: Standard ratings of 10/0.4 kV distribution transformers [kVA].
LV_RATINGS_KVA = (200, 315, 400, 500, 630, 800, 1000, 1250)


@dataclass(frozen=True)
class CountyRecipe:
    """The demo county to build: the arguments of `make_demo_county`, then its sizes, shares, names and ratings."""

    n_sites: int = 3500
    seed: int = 20260101
    center_lat: float = 40.40
    center_lon: float = 115.50
    n_townships: int = 9
    villages_per_township: int = 6  # township seats count as villages

    # landscape and names
    county_name: str = "Demo County (Huailai-like)"
    half_axes_m: tuple[float, float] = (19_000.0, 16_000.0)  # (E-W, N-S) of the ellipse under the ragged outline
    river_name: str = "Yongding River (Sanggan)"
    reservoir_name: str = "Guanting Reservoir"
    ecological_zone_names: tuple[str, str] = (
        "Northern mountains ecological protection red line",
        "Guanting reservoir inlet wetland",
    )
    great_wall_spots: tuple[str, ...] = ("Great Wall Beacon Towers Scenic Area", "Great Wall Ruins Trail")
    lakeside_spots: tuple[tuple[str, float], ...] = (
        ("Guanting Lake Wetland Park", 0.20),  # (name, where along
        ("Guanting Lake Sailing Base", 0.55),
    )  # the shore, 0..1)
    desert_park: str = "Tianmo Desert Park"
    township_names: tuple[str, ...] = TOWNSHIP_NAMES
    village_name_prefixes: tuple[str, ...] = VILLAGE_NAME_PREFIXES
    village_name_suffixes: tuple[str, ...] = VILLAGE_NAME_SUFFIXES
    industries: tuple[str, ...] = INDUSTRIES
    seat_public_buildings: tuple[str, ...] = (
        "{T} Central Primary School",
        "{T} Middle School",
        "{T} Health Centre",
        "{T} Kindergarten",
        "{T} Cultural Station",
    )
    village_public_buildings: tuple[str, ...] = (
        "{V} Village Committee",
        "{V} Primary School",
        "{V} Clinic",
        "{V} Elderly Care Centre",
    )
    seat_government_buildings: tuple[str, ...] = (
        "{T} Town Government",
        "{T} Town Party Committee",
        "{T} Police Station",
        "{T} Tax Office",
        "{T} Power Supply Station",
        "{T} Judicial Office",
    )

    # sites
    site_type_shares: Mapping[str, float] = field(default_factory=lambda: dict(SITE_TYPE_SHARES))
    site_area_ranges_m2: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(SITE_AREA_RANGES_M2))
    area_lognormal: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(AREA_LOGNORMAL))
    site_gap_m: float = 2.0  # minimum distance between two sites
    home_plot_m: tuple[float, float] = (24.0, 22.0)  # courtyard plot of a rural home (E-W x N-S)
    basic_farmland_share: float = 0.25  # of the farmland (lowland outside village cores)
    basic_farmland_blocks: int = 6
    industrial_park_share: float = 0.78  # of the factories; the others sit beside villages
    agrivoltaic_in_basic_farmland_one_in: int = 6  # one agrivoltaic parcel in six is put in basic farmland
    fish_ponds_by_the_river_one_in: int = 4  # one fish pond in four reaches into a 100 m river buffer
    greenhouses_per_cluster: int = 14
    flat_roof_home_share: float = 0.10
    two_storey_home_share: float = 0.12

    # grid
    lv_ratings_kva: tuple[int, ...] = LV_RATINGS_KVA
    sites_per_transformer: float = 37.0  # of a village
    factories_per_transformer: int = 12  # of an industrial park
    transformers_per_feeder: int = 12
    min_feeders: int = 8  # in the county, when there are enough transformers
    feeder_ratings_mva: tuple[float, ...] = (6.0, 8.0, 10.0)
    feeder_rating_shares: tuple[float, ...] = (0.3, 0.5, 0.2)
    main_transformer_mva_110kv: tuple[float, ...] = (31.5, 40.0)  # one of these per 110 kV substation
    main_transformer_mva_35kv: float = 20.0
    main_transformers_per_substation: int = 2
    max_existing_pv_share: float = 0.4  # of an lv transformer's rating
    mv_existing_pv_share: tuple[float, float] = (0.03, 0.15)  # range, of a substation's 10 kV capacity
    upgrade_share: float = 0.08  # of the lv transformers
    upgrade_window: tuple[str, int] = ("2027-01-01", 3 * 365)  # first day, length in days

    @property
    def extent_m(self) -> tuple[float, float]:
        """Semi-axes of the county's ellipse [m]: ``half_axes_m`` up to :data:`SITES_AT_FULL_EXTENT` sites, beyond that
        stretched by (n_sites / SITES_AT_FULL_EXTENT) ** 0.6 in both directions, so the area grows a little faster
        than the sites (the river, reservoir and village count do not grow with it) and a county of any size has
        room for its ground sites (the agrivoltaic parcels and fish ponds alone take about 3.5 km2 per 1,000
        sites). An assumption of the generator, tried at 100,000 (seeds 1-3), 150,000 and 200,000 sites."""
        stretch = max(1.0, self.n_sites / SITES_AT_FULL_EXTENT) ** 0.6
        return self.half_axes_m[0] * stretch, self.half_axes_m[1] * stretch

    @property
    def n_villages(self) -> int:
        return self.n_townships * self.villages_per_township

    def random_stream(self, part: str) -> np.random.Generator:
        """The random stream of one section of the recipe: ``sim.rng.stream(seed, "demo", part)``."""
        return stream(self.seed, "demo", part)

    def min_area(self, site_type: str) -> float:
        """Smallest footprint [m2] of ``site_type``."""
        return self.site_area_ranges_m2[site_type][0]

    def draw_footprint_areas(self, rng: np.random.Generator, site_type: str, n: int) -> np.ndarray:
        """``n`` log-normal footprint areas [m2] of ``site_type``, kept just inside its area range."""
        med, sig = self.area_lognormal[site_type]
        lo, hi = self.site_area_ranges_m2[site_type]
        return np.clip(med * np.exp(rng.normal(0.0, sig, n)), lo * 1.005, hi * 0.995)

    def site_counts(self) -> dict[str, int]:
        """Number of sites of each type: the shares of ``n_sites`` by largest remainder, at least one of each type
        when ``n_sites`` allows it."""
        types = list(self.site_type_shares)
        raw = np.array([self.site_type_shares[t] for t in types]) * self.n_sites
        base = np.floor(raw).astype(int)
        if self.n_sites >= len(types):
            base = np.maximum(base, 1)
        rest = self.n_sites - base.sum()
        order = np.argsort(-(raw - np.floor(raw)), kind="stable")
        i = 0
        while rest != 0:
            j = order[i % len(types)] if rest > 0 else int(np.argmax(base))
            base[j] += 1 if rest > 0 else -1
            rest += -1 if rest > 0 else 1
            i += 1
        return dict(zip(types, base.tolist()))
