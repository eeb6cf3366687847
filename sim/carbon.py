"""Avoided CO2 of PV electricity: grid emission factors year by year (published history, then a projection with
low, central and high paths), the CDM AMS-I.D reduction, a life-cycle comparison, green certificates.

Method (CDM small-scale methodology AMS-I.D, grid-connected renewable electricity generation):

    ER_y = BE_y - PE_y - LE_y,        BE_y = EG_y x EF_grid,y

with ``EG_y`` the electricity delivered in year ``y`` [MWh] and ``EF_grid,y`` the grid emission factor of that year
[tCO2/MWh = kgCO2/kWh]. For PV, project emissions ``PE_y`` and leakage ``LE_y`` are 0, so ``ER_y = EG_y x
EF_grid,y``: this is ``co2_avoided_t``. Combustion-only grid factors are never mixed with life-cycle figures: the
separate ``co2_avoided_lifecycle_t = EG_y x (EF_grid,footprint,y - EF_PV,lifecycle)`` compares a life-cycle grid
factor with PV's life-cycle factor, in ONE scope: the grid's life-cycle factor is the credited factor itself (its
scope, region, path, or the user's own value) times the ratio of the national carbon-footprint factor to the
national average of the same year (:func:`footprint_uplift`, 0.6205 / 0.5306 in 2023), so a user's own factor
flows into both figures and the life-cycle figure never exceeds AMS-I.D by mixing a national footprint with a
regional or user factor.

``EF_grid,y`` (``carbon.method: average``, the default) follows ``carbon.factor_basis``:

- ``projected`` (default): the published averages of the scope and region (MEE / NBS; table
  ``sim/tables/grid_emission_factors.csv``, each row with its source) up to ``carbon.year``, linear between
  published years and flat before the first; after ``carbon.year`` the factor follows one of three named
  published pathways to 2060 (``sim/tables/grid_factor_paths.csv``, each anchor with its publication, year and
  figure), in proportion to the pathway's coal share of power generation and anchored at the latest published
  factor: ``EF_y = EF_year x rel(y) / rel(year)``. ``central`` (default) follows the IEA (2021) China roadmap's
  Announced Pledges Scenario, the pathway of China's stated policy (CO2 peak before 2030, neutrality before
  2060); ``low`` its Accelerated Transition Scenario; ``high`` the China Electricity Council's 2014 outlook to
  2030, extrapolated. ``co2_avoided_t`` uses ``carbon.path``; ``co2_avoided_range_t`` reports all three;
- ``fixed_ex_ante``: the factor of ``carbon.year``, fixed ex ante and renewed at each CDM crediting period
  (``crediting_period_years``: 7 years, renewable twice, or 10 years) at the path's factor of ``carbon.year`` plus
  the elapsed periods (the latest one published when the period starts).

A user's own ``factor_kgco2_per_kwh`` (one value) or ``trajectory`` ``{year: factor}`` (linear in between, flat
outside) replaces the table; ``method: combined_margin`` uses CDM Tool 07 ``EF_CM = w_OM x EF_OM + w_BM x EF_BM``
(solar weights 0.75 / 0.25). The latest edition of MEE's regional baseline factors for emission-reduction projects
whose values could be sourced is the 2016 edition's operating margin (2012-2014 data), shipped in the table. A 2024
edition exists (its OM calculation note says the 2024 OM uses 2020-2022 data; found via search of public pages for
"2024年减排项目中国区域电网二氧化碳基准线排放因子"), but its values were not found; searches for the 2019 and 2024
editions' North China OM/BM values ("2019年度减排项目中国区域电网基准线排放因子 华北 EF_grid,OM EF_grid,BM", "China
regional grid baseline emission factor build margin North China") returned no figures. So ``bm_kgco2_per_kwh``
must be given (and ``om_kgco2_per_kwh`` overrides the table's OM). User values and the combined margin have no
paths: low = central = high.

Units: MWh x kgCO2/kWh = t CO2 (1 MWh = 1000 kWh, 1 t = 1000 kg).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from sim._config import StrictModel
from sim.errors import InputError

TABLE_PATH = Path(__file__).parent / "tables" / "grid_emission_factors.csv"
PATHS_TABLE = Path(__file__).parent / "tables" / "grid_factor_paths.csv"
#: Projection paths of the grid factor after the last published year, named by the CO2 they lead to.
PATHS = ("low", "central", "high")

#: Largest plausible grid factor [kgCO2/kWh]; a pure lignite grid is about 1.2. Larger values are a unit error
#: (g/kWh or t/kWh typed as kg/kWh).
MAX_FACTOR_KGCO2_PER_KWH = 1.5

#: Life-cycle emission factors of PV electricity [kgCO2e/kWh] and their sources.
LIFECYCLE_BASES: dict[str, tuple[float, str]] = {
    "china_2023": (
        0.0545,
        (
            "MEE, NBS & NEA, Announcement on the 2023 electricity carbon-footprint factors (关于发布2023年电力碳足迹因子数据的公告), "
            "17 Jan 2025: photovoltaic generation 0.0545 kgCO2e/kWh"
        ),
    ),
    "ipcc_ar5_rooftop": (
        0.041,
        "IPCC AR5 WGIII (2014) Annex III, Table A.III.2: life-cycle emissions, PV rooftop, median 41 gCO2eq/kWh",
    ),
    "ipcc_ar5_utility": (
        0.048,
        "IPCC AR5 WGIII (2014) Annex III, Table A.III.2: life-cycle emissions, PV utility, median 48 gCO2eq/kWh",
    ),
}

CDM_TOOL07_SOURCE = (
    "CDM methodological tool 07 'Tool to calculate the emission factor for an electricity system': combined margin "
    "EF_CM = w_OM x EF_OM + w_BM x EF_BM, default weights for wind and solar w_OM = 0.75, w_BM = 0.25"
)


def _check_factor(name: str, value: float) -> None:
    if not np.isfinite(value) or value < 0 or value > MAX_FACTOR_KGCO2_PER_KWH:
        raise ValueError(
            f"'{name}' = {value} kgCO2/kWh is outside 0..{MAX_FACTOR_KGCO2_PER_KWH}; "
            "a likely unit error (give kg per kWh, e.g. 0.5306, not g/kWh)"
        )


class CarbonConfig(StrictModel):
    """Scenario section ``carbon``: which grid emission factor credits the PV electricity.

    Precedence: ``factor_kgco2_per_kwh`` (one value for every year) or ``trajectory`` ({year: kgCO2/kWh}, linear in
    between, flat outside) override the table; otherwise the published averages of ``scope`` / ``region`` up to
    ``year`` and, with ``factor_basis: projected``, a projection along ``path`` after it (module docstring).
    ``method: combined_margin`` needs ``bm_kgco2_per_kwh`` (and takes ``om_kgco2_per_kwh`` or the table's latest
    sourced OM edition; weights ``om_weight + bm_weight = 1``).

    Life-cycle emissions of PV electricity [kgCO2e/kWh] for the life-cycle comparison: ``lifecycle_basis`` picks a
    sourced value (``china_2023`` 0.0545, ``ipcc_ar5_rooftop`` 0.041, ``ipcc_ar5_utility`` 0.048); giving
    ``lifecycle_kgco2e_per_kwh`` means ``custom``.
    """

    method: Literal["average", "combined_margin"] = Field(
        "average", description="average (published grid average factor) or combined_margin (CDM Tool 07 OM/BM)"
    )
    scope: Literal["national", "regional", "provincial"] = Field(
        "regional", description="table scope of the factor: national, regional grid, or provincial"
    )
    #: Huailai (Hebei) lies on the North China grid (华北).
    region: str = Field(
        "North",
        description="region in the table (national; North, Northeast, East, Central, Northwest, Southern, Southwest; provinces)",
    )
    year: int = Field(
        2023,
        description="last published year used: the projection starts after it (projected), or the factor of every year (fixed_ex_ante)",
    )
    factor_basis: Literal["projected", "fixed_ex_ante"] = Field(
        "projected",
        description="projected: published history, then the path's pathway; fixed_ex_ante: the factor of 'year', renewed at each CDM crediting period (crediting_period_years)",
    )
    crediting_period_years: Literal[7, 10] = Field(
        7,
        description="fixed_ex_ante: length of a CDM crediting period (7 years, renewable twice, or 10 years fixed); the factor is renewed at each period's start",
    )
    crediting_start_year: int | None = Field(
        None, description="fixed_ex_ante: first year of the first crediting period (None: the scenario's start year)"
    )
    path: Literal["low", "central", "high"] = Field(
        "central",
        description="projection path whose result is co2_avoided_t (sim/tables/grid_factor_paths.csv); all three are reported in co2_avoided_range_t",
    )
    factor_kgco2_per_kwh: float | None = Field(None, description="your own grid factor; overrides the table")
    factor_source: str | None = Field(
        None,
        description="where factor_kgco2_per_kwh comes from, said with it (summary.json emission_factor_source); "
        "set by the location when the factor is the country's row of sim/tables/country_grid_factors.csv",
    )
    trajectory: dict[int, float] | None = Field(
        None,
        description="{year: kgCO2/kWh} factors, linear in between and flat outside; each year's energy is credited at that year's factor",
    )
    om_kgco2_per_kwh: float | None = Field(None, description="operating-margin factor (combined_margin)")
    bm_kgco2_per_kwh: float | None = Field(None, description="build-margin factor (combined_margin)")
    om_weight: float = Field(0.75, description="operating-margin weight (CDM Tool 07 for solar: 0.75)")
    bm_weight: float = Field(0.25, description="build-margin weight (CDM Tool 07 for solar: 0.25)")
    lifecycle_basis: Literal["china_2023", "ipcc_ar5_rooftop", "ipcc_ar5_utility", "custom"] = Field(
        "china_2023",
        description="life-cycle emissions of PV electricity: china_2023 (0.0545), ipcc_ar5_rooftop (0.041), ipcc_ar5_utility (0.048), custom",
    )
    lifecycle_kgco2e_per_kwh: float | None = Field(
        None, description="custom life-cycle factor (sets lifecycle_basis to custom)"
    )

    @model_validator(mode="after")
    def _check(self) -> CarbonConfig:
        for name in ("factor_kgco2_per_kwh", "om_kgco2_per_kwh", "bm_kgco2_per_kwh", "lifecycle_kgco2e_per_kwh"):
            v = getattr(self, name)
            if v is not None:
                _check_factor(name, v)
        if self.trajectory is not None:
            if not self.trajectory:
                raise ValueError("'trajectory' must list at least one {year: kgCO2/kWh} pair")
            for y, v in self.trajectory.items():
                _check_factor(f"trajectory[{y}]", v)
        if self.factor_kgco2_per_kwh is not None and self.trajectory is not None:
            raise ValueError("give either 'factor_kgco2_per_kwh' or 'trajectory', not both")
        if self.factor_source is not None and self.factor_kgco2_per_kwh is None:
            raise ValueError("'factor_source' says where 'factor_kgco2_per_kwh' comes from: give the factor too")
        for name in ("om_weight", "bm_weight"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0 or v > 1:
                raise ValueError(f"'{name}' must lie in 0..1, got {v}")
        if abs(self.om_weight + self.bm_weight - 1.0) > 1e-9:
            raise ValueError(
                f"om_weight + bm_weight must be 1, got {self.om_weight} + {self.bm_weight} = "
                f"{self.om_weight + self.bm_weight}"
            )
        if self.method == "combined_margin":
            if self.bm_kgco2_per_kwh is None:
                raise ValueError(
                    "method 'combined_margin' needs bm_kgco2_per_kwh: no build-margin value of MEE's regional "
                    "baseline factors could be sourced for the package; give your grid's value (e.g. from a "
                    "registered CDM/CCER project document) or use method 'average'"
                )
            if self.factor_kgco2_per_kwh is not None or self.trajectory is not None:
                raise ValueError(
                    "method 'combined_margin' is computed from om/bm values; remove 'factor_kgco2_per_kwh' / "
                    "'trajectory' or use method 'average'"
                )
        else:
            given = [n for n in ("om_kgco2_per_kwh", "bm_kgco2_per_kwh") if getattr(self, n) is not None]
            if given:
                raise ValueError(f"{', '.join(given)} only apply to method 'combined_margin' (method is 'average')")
        if self.lifecycle_kgco2e_per_kwh is not None and self.lifecycle_basis != "custom":
            if "lifecycle_basis" in self.model_fields_set:
                raise ValueError(
                    f"'lifecycle_kgco2e_per_kwh' is given but lifecycle_basis is '{self.lifecycle_basis}'; "
                    "set lifecycle_basis: custom or drop the value"
                )
            # a value without a basis means a custom value
            object.__setattr__(self, "lifecycle_basis", "custom")
        if self.lifecycle_basis == "custom" and self.lifecycle_kgco2e_per_kwh is None:
            raise ValueError("lifecycle_basis 'custom' needs 'lifecycle_kgco2e_per_kwh'")
        return self

    @property
    def lifecycle_factor_kgco2e_per_kwh(self) -> float:
        """Life-cycle emission factor of PV electricity in use [kgCO2e/kWh]."""
        if self.lifecycle_kgco2e_per_kwh is not None:  # a custom value (the validator set the basis to custom)
            return float(self.lifecycle_kgco2e_per_kwh)
        return LIFECYCLE_BASES[self.lifecycle_basis][0]

    @property
    def lifecycle_source(self) -> str:
        if self.lifecycle_basis == "custom":
            return "user value (scenario carbon.lifecycle_kgco2e_per_kwh)"
        return LIFECYCLE_BASES[self.lifecycle_basis][1]


@dataclass(frozen=True)
class EmissionFactor:
    """A grid emission factor as a function of calendar year.

    ``knot_years`` / ``knot_kgco2_per_kwh`` define a piecewise-linear curve, held flat before the first knot; after
    the last knot the factor changes by ``change_percent_per_year`` each year (0: held flat). A single knot with no
    change is a constant factor.
    """

    method: str
    source: str
    knot_years: np.ndarray = field(repr=False)
    knot_kgco2_per_kwh: np.ndarray = field(repr=False)
    change_percent_per_year: float = 0.0

    def by_year(self, years) -> np.ndarray:
        """Factor [kgCO2/kWh = tCO2/MWh] for each calendar year in ``years``."""
        y = np.asarray(years, dtype=float)
        knots_y = self.knot_years.astype(float)
        out = np.interp(y, knots_y, self.knot_kgco2_per_kwh.astype(float))
        after = y > knots_y[-1]
        if self.change_percent_per_year and np.any(after):
            growth = (1.0 + self.change_percent_per_year / 100.0) ** (y[after] - knots_y[-1])
            out[after] = float(self.knot_kgco2_per_kwh[-1]) * growth
        return out


@lru_cache(maxsize=4)
def _read_table(path: str) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"scope": str, "region": str, "kind": str, "source": str})
    need = {"scope", "region", "year", "kind", "kgco2_per_kwh", "source"}
    missing = need - set(table.columns)
    if missing:
        raise InputError("emission-factor table lacks columns", file=path, field=", ".join(sorted(missing)))
    return table


def load_table(path: str | Path = TABLE_PATH) -> pd.DataFrame:
    """The emission-factor table (a copy): ``scope, region, year, kind, kgco2_per_kwh, source``."""
    return _read_table(str(path)).copy()


def _region_rows(config: CarbonConfig, table: pd.DataFrame) -> pd.DataFrame:
    """The published averages of the scenario's scope and region (every year), or a one-line error listing what is
    available."""
    avg = table[table["kind"] == "average"]
    in_scope = avg[avg["scope"] == config.scope]
    match = in_scope[in_scope["region"].str.lower() == config.region.lower()]
    if match.empty:
        elsewhere = avg[avg["region"].str.lower() == config.region.lower()]["scope"].unique()
        hint = f" ('{config.region}' is listed under scope {', '.join(sorted(elsewhere))})" if len(elsewhere) else ""
        raise InputError(
            f"no {config.scope} average emission factor for region '{config.region}'{hint}",
            field="carbon.region",
            value=config.region,
            allowed=", ".join(sorted(in_scope["region"].unique())) + " (or give carbon.factor_kgco2_per_kwh)",
        )
    return match.sort_values("year")


def _lookup_average(config: CarbonConfig, table: pd.DataFrame) -> pd.DataFrame:
    """Published averages of the scope and region up to ``config.year``, which must itself be published."""
    match = _region_rows(config, table)
    if not (match["year"] == config.year).any():
        years = sorted(int(y) for y in match["year"].unique())
        nearest = min(years, key=lambda y: (abs(y - config.year), -y))
        raise InputError(
            f"no {config.scope} average emission factor for {match['region'].iloc[0]} in {config.year}; "
            f"nearest year available: {nearest}",
            field="carbon.year",
            value=config.year,
            allowed=", ".join(str(y) for y in years),
        )
    return match[match["year"] <= config.year]


@lru_cache(maxsize=2)
def _read_paths(path: str) -> pd.DataFrame:
    table = pd.read_csv(path)
    missing = {"path", "pathway", "year", "relative_to_2020", "source"} - set(table.columns)
    if missing or set(table["path"]) != set(PATHS):
        raise InputError(
            "grid-factor path table lacks columns or paths",
            file=path,
            field=", ".join(sorted(missing)) or "path",
            allowed=", ".join(PATHS),
        )
    return table.sort_values(["path", "year"])


def path_table(path: str | Path = PATHS_TABLE) -> pd.DataFrame:
    """The grid-factor paths (a copy): ``path, pathway, year, relative_to_2020, source``, each anchor year's
    grid-factor level relative to 2020 on a named published pathway (``sim/tables/grid_factor_paths.csv``)."""
    return _read_paths(str(path)).copy()


def path_relative(name: str, years, path: str | Path = PATHS_TABLE) -> np.ndarray:
    """Level of the grid factor on path ``name`` relative to 2020 in each of ``years`` [-]: linear between the
    pathway's anchor years, flat after the last."""
    rows = _read_paths(str(path))
    rows = rows[rows["path"] == name]
    return np.interp(
        np.asarray(years, dtype=float), rows["year"].to_numpy(float), rows["relative_to_2020"].to_numpy(float)
    )


def path_pathway(name: str, path: str | Path = PATHS_TABLE) -> str:
    """Name of the published pathway path ``name`` follows (e.g. ``IEA APS``)."""
    rows = _read_paths(str(path))
    return str(rows.loc[rows["path"] == name, "pathway"].iloc[0])


def _project(years: np.ndarray, values: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Knots of a published series followed by path ``name``: after the last published year ``y0`` the factor is
    ``EF_y0 x rel(y) / rel(y0)`` (:func:`path_relative`), anchored at the latest published value."""
    rows = _read_paths(str(PATHS_TABLE))
    anchors = rows.loc[(rows["path"] == name) & (rows["year"] > years[-1]), "year"].to_numpy(float)
    scale = float(values[-1]) / float(path_relative(name, [years[-1]])[0])
    return np.r_[years, anchors], np.r_[values, scale * path_relative(name, anchors)]


def _published(config: CarbonConfig, table: pd.DataFrame) -> dict[str, EmissionFactor]:
    rows = _lookup_average(config, table)
    years = rows["year"].to_numpy(float)
    values = rows["kgco2_per_kwh"].to_numpy(float)
    last = rows.iloc[-1]
    cite = f"{last['scope']} {last['region']} average, published {', '.join(str(int(y)) for y in years)}"
    out = {}
    for p in PATHS:
        knot_years, knot_values = _project(years, values, p)
        projected = EmissionFactor(
            "average",
            f"{cite}, then the {p} path in proportion to the "
            f"{path_pathway(p)} pathway to 2060 (sim/tables/grid_factor_paths.csv"
            f"{', consistent with stated national policy' if p == 'central' else ''}"
            f"); latest: {last['source']}",
            knot_years,
            knot_values,
        )
        out[p] = projected if config.factor_basis == "projected" else _ex_ante(projected, config)
    return out


def _ex_ante(projected: EmissionFactor, config: CarbonConfig) -> EmissionFactor:
    """The factor fixed ex ante and renewed at each crediting period (CDM: 7 years, renewable twice, or 10 years):
    in period ``p`` (``crediting_period_years`` long from ``crediting_start_year``) the factor of year
    ``carbon.year + p x period`` on the path, the latest one published when the period starts."""
    start = int(config.crediting_start_year if config.crediting_start_year is not None else config.year + 1)
    n = config.crediting_period_years
    years = np.arange(start, start + 100, dtype=float)
    reference = config.year + n * ((years - start) // n)
    return EmissionFactor(
        "average",
        f"fixed ex ante at {config.year} ({projected.by_year([config.year])[0]:.4f}), "
        f"renewed every {n} years from {start} at the factor of {config.year} + {n} "
        f"x period on the path (CDM crediting periods); {projected.source}",
        years,
        projected.by_year(reference),
    )


def _combined_margin(config: CarbonConfig, table: pd.DataFrame) -> EmissionFactor:
    om_source = "user value"
    om = config.om_kgco2_per_kwh
    if om is None:
        rows = table[(table["kind"] == "operating_margin") & (table["region"].str.lower() == config.region.lower())]
        if rows.empty:
            raise InputError(
                f"no published operating margin for region '{config.region}' in the table",
                field="carbon.om_kgco2_per_kwh",
                allowed="your grid's OM value, or a region with a sourced OM: "
                + ", ".join(sorted(table.loc[table["kind"] == "operating_margin", "region"])),
            )
        row = rows.sort_values("year").iloc[-1]
        om, om_source = float(row["kgco2_per_kwh"]), f"{int(row['year'])} edition: {row['source']}"
    if config.bm_kgco2_per_kwh is None:  # CarbonConfig refuses combined_margin without it
        raise ValueError("method 'combined_margin' needs bm_kgco2_per_kwh")
    bm = float(config.bm_kgco2_per_kwh)
    cm = config.om_weight * float(om) + config.bm_weight * bm
    src = (
        f"combined margin {config.om_weight:g} x OM {float(om):g} + {config.bm_weight:g} x BM {bm:g} = {cm:.4f} "
        f"kgCO2/kWh (OM: {om_source}; BM: user value); {CDM_TOOL07_SOURCE}"
    )
    return EmissionFactor("combined_margin", src, np.array([0.0]), np.array([cm]))


def resolve_factors(config: CarbonConfig, table: pd.DataFrame | None = None) -> dict[str, EmissionFactor]:
    """The grid emission factor on each path (``low``, ``central``, ``high``; the same factor on all three for user
    values, the combined margin and ``fixed_ex_ante``).

    Raises :class:`sim.errors.InputError` (field ``carbon.region`` or ``carbon.year``) when the table has no row
    for the region or year, listing what is available and the nearest year; never falls back silently.
    """
    table = load_table() if table is None else table
    if config.method == "combined_margin":
        factor = _combined_margin(config, table)
    elif config.factor_kgco2_per_kwh is not None:
        v = float(config.factor_kgco2_per_kwh)
        said = f"{v:g} kgCO2/kWh ({config.factor_source})" if config.factor_source else None
        factor = EmissionFactor(
            "average",
            said or f"user value {v:g} kgCO2/kWh (carbon.factor_kgco2_per_kwh)",
            np.array([0.0]),
            np.array([v]),
        )
    elif config.trajectory is not None:
        items = sorted(config.trajectory.items())
        text = ", ".join(f"{y}: {v:g}" for y, v in items)
        factor = EmissionFactor(
            "average",
            f"user trajectory {{{text}}} kgCO2/kWh, linear between years, flat outside",
            np.array([float(y) for y, _ in items]),
            np.array([float(v) for _, v in items]),
        )
    else:
        return _published(config, table)
    return {p: factor for p in PATHS}


def resolve_factor(config: CarbonConfig, table: pd.DataFrame | None = None) -> EmissionFactor:
    """The grid emission factor ``co2_avoided_t`` is credited at (the scenario's ``path``)."""
    return resolve_factors(config, table)[config.path]


def footprint_uplift(table: pd.DataFrame | None = None) -> tuple[float, str]:
    """Ratio of the national grid's published carbon-footprint (life-cycle, CO2e) factor to its published
    combustion-only average of the same year, the latest year with both [-], and its derivation: the life-cycle
    grid factor of any scope (regional, provincial, a user's own) is its combustion-only factor times this ratio,
    so that the life-cycle comparison keeps the scope and the source of the AMS-I.D figure."""
    table = load_table() if table is None else table
    national = table[(table["scope"] == "national") & (table["region"] == "national")]
    foot = national[national["kind"] == "footprint"].set_index("year")["kgco2_per_kwh"]
    avg = national[national["kind"] == "average"].set_index("year")["kgco2_per_kwh"]
    year = max(set(foot.index) & set(avg.index))
    ratio = float(foot[year]) / float(avg[year])
    return ratio, (
        f"national carbon-footprint factor {float(foot[year]):g} / national average {float(avg[year]):g} "
        f"kgCO2/kWh in {int(year)} = {ratio:.4f}"
    )


def lifecycle_grid_factor(factor: EmissionFactor, table: pd.DataFrame | None = None) -> EmissionFactor:
    """The grid's life-cycle (carbon-footprint) factor on the scope, source and path of ``factor`` (the one
    ``co2_avoided_t`` is credited at): ``factor x`` :func:`footprint_uplift`."""
    ratio, how = footprint_uplift(table)
    return EmissionFactor(
        "footprint",
        f"the credited grid factor x {how}",
        factor.knot_years,
        factor.knot_kgco2_per_kwh * ratio,
        factor.change_percent_per_year,
    )


def ams_id_t(energy_mwh, ef_kgco2_per_kwh) -> np.ndarray:
    """Emission reduction of CDM AMS-I.D, ``ER_y = EG_y x EF_grid,y`` [t] (PE = LE = 0 for PV), vectorised over
    any shapes that broadcast (e.g. sites x years).

    ``energy_mwh`` : electricity delivered to the grid or consumed on site ``EG_y`` [MWh];
    ``ef_kgco2_per_kwh`` : grid emission factor of the same year [kgCO2/kWh = tCO2/MWh].
    """
    return np.asarray(energy_mwh, dtype=float) * np.asarray(ef_kgco2_per_kwh, dtype=float)  # MWh x kg/kWh = t


def lifecycle_avoided_t(energy_mwh, grid_footprint_kgco2e_per_kwh, pv_lifecycle_kgco2e_per_kwh: float) -> np.ndarray:
    """Life-cycle comparison [tCO2e]: ``EG_y x (EF_grid,footprint,y - EF_PV,lifecycle)``; both factors are
    life-cycle (carbon-footprint) figures, never a combustion-only grid factor."""
    if not np.isfinite(pv_lifecycle_kgco2e_per_kwh) or pv_lifecycle_kgco2e_per_kwh < 0:
        raise InputError(
            "life-cycle factor must be a finite number >= 0",
            field="carbon.lifecycle_kgco2e_per_kwh",
            value=pv_lifecycle_kgco2e_per_kwh,
        )
    difference = np.asarray(grid_footprint_kgco2e_per_kwh, dtype=float) - float(pv_lifecycle_kgco2e_per_kwh)
    return np.asarray(energy_mwh, dtype=float) * difference


def avoided_t(
    energy_mwh_by_year: pd.Series,
    factor: EmissionFactor,
    pv_lifecycle_kgco2e_per_kwh: float,
    footprint: EmissionFactor | None = None,
) -> pd.DataFrame:
    """Avoided emissions per year of a series of yearly energies [MWh] indexed by calendar year: ``co2_avoided_t``
    (AMS-I.D, :func:`ams_id_t`, each year at that year's factor) and ``co2_avoided_lifecycle_t``
    (:func:`lifecycle_avoided_t` against ``footprint``, default :func:`lifecycle_grid_factor` of ``factor``)."""
    years = np.asarray(energy_mwh_by_year.index, dtype=float)
    footprint = lifecycle_grid_factor(factor) if footprint is None else footprint
    return pd.DataFrame(
        {
            "co2_avoided_t": ams_id_t(energy_mwh_by_year, factor.by_year(years)),
            "co2_avoided_lifecycle_t": lifecycle_avoided_t(
                energy_mwh_by_year, footprint.by_year(years), pv_lifecycle_kgco2e_per_kwh
            ),
        },
        index=energy_mwh_by_year.index,
    )


def green_certificates(energy_mwh) -> np.ndarray | int:
    """Green electricity certificates (绿证): one per whole MWh, ``floor(energy_mwh)``. For a programme, apply it to
    the programme's energy (cumulated over time), not to each site and year."""
    e = np.asarray(energy_mwh, dtype=float)
    out = np.floor(np.maximum(e, 0.0) + 1e-9).astype(np.int64)
    return int(out) if out.ndim == 0 else out


def factor_in_year(config: CarbonConfig, year: int) -> float:
    """The grid factor the scenario credits in calendar ``year`` [kgCO2/kWh] (strategies rank sites with the
    first horizon year's)."""
    return float(resolve_factor(config).by_year(np.array([year]))[0])
