"""Avoided CO2 of PV electricity: grid emission factors, average vs combined margin, life-cycle, net.

Method (CDM small-scale methodology AMS-I.D, grid-connected renewable electricity generation):

    ER_y = BE_y - PE_y - LE_y,        BE_y = EG_y x EF_grid,y

with ``EG_y`` the electricity delivered in year ``y`` [MWh] and ``EF_grid,y`` the grid emission factor [tCO2/MWh =
kgCO2/kWh]. For PV, project emissions ``PE_y`` and leakage ``LE_y`` are 0, so the *gross* avoided emissions are
``EG_y x EF_grid,y``. The *net* figure used here also subtracts the PV electricity's life-cycle emissions
``EG_y x EF_lifecycle`` (manufacturing, transport, installation), which AMS-I.D does not ask for.

``EF_grid`` is either

- ``average``: a published average factor (MEE / NBS, national, regional or provincial; table
  ``sim/tables/grid_emission_factors.csv``, each row with its source), a user's own value, or a trajectory
  ``{year: factor}`` interpolated linearly between years and held flat outside; or
- ``combined_margin``: CDM Tool 07 ``EF_CM = w_OM x EF_OM + w_BM x EF_BM`` with the solar default weights
  ``w_OM = 0.75, w_BM = 0.25``. No official OM/BM values for China's regional grids are shipped (none could be
  sourced for this table), so ``om_kgco2_per_kwh`` and ``bm_kgco2_per_kwh`` must be given in the scenario.

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

#: Largest plausible grid factor [kgCO2/kWh]; a pure lignite grid is about 1.2. Larger values are a unit error
#: (g/kWh or t/kWh typed as kg/kWh).
MAX_FACTOR_KGCO2_PER_KWH = 1.5

#: Life-cycle emission factors of PV electricity [kgCO2e/kWh] and their sources.
LIFECYCLE_BASES: dict[str, tuple[float, str]] = {
    "china_2023": (
        0.0545,
        "MEE, NBS & NEA, Announcement on the 2023 electricity carbon-footprint factors (关于发布2023年电力碳足迹因子数据的公告), "
        "17 Jan 2025: photovoltaic generation 0.0545 kgCO2e/kWh",
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
    between, flat outside) override the table; otherwise the published average of ``scope`` / ``region`` / ``year``
    from ``sim/tables/grid_emission_factors.csv`` is used for every year. ``method: combined_margin`` needs
    ``om_kgco2_per_kwh`` and ``bm_kgco2_per_kwh`` (weights ``om_weight + bm_weight = 1``).

    Life-cycle emissions [kgCO2e/kWh] for the net figure: ``lifecycle_basis`` picks a sourced value
    (``china_2023`` 0.0545, ``ipcc_ar5_rooftop`` 0.041, ``ipcc_ar5_utility`` 0.048); giving
    ``lifecycle_kgco2e_per_kwh`` means ``custom``.
    """

    method: Literal["average", "combined_margin"] = Field("average", description="average (published grid average factor) or combined_margin (CDM Tool 07 OM/BM)")
    scope: Literal["national", "regional", "provincial"] = Field("regional", description="table scope of the factor: national, regional grid, or provincial")
    #: Huailai (Hebei) lies on the North China grid (华北).
    region: str = Field("North", description="region in the table (national; North, Northeast, East, Central, Northwest, Southern, Southwest; provinces)")
    year: int = Field(2023, description="year of the published factor")
    factor_kgco2_per_kwh: float | None = Field(None, description="your own grid factor; overrides the table")
    trajectory: dict[int, float] | None = Field(None, description="{year: kgCO2/kWh} factors, linear in between and flat outside; each year's energy is credited at that year's factor")
    om_kgco2_per_kwh: float | None = Field(None, description="operating-margin factor (combined_margin)")
    bm_kgco2_per_kwh: float | None = Field(None, description="build-margin factor (combined_margin)")
    om_weight: float = Field(0.75, description="operating-margin weight (CDM Tool 07 for solar: 0.75)")
    bm_weight: float = Field(0.25, description="build-margin weight (CDM Tool 07 for solar: 0.25)")
    lifecycle_basis: Literal["china_2023", "ipcc_ar5_rooftop", "ipcc_ar5_utility", "custom"] = Field("china_2023", description="life-cycle emissions of PV electricity: china_2023 (0.0545), ipcc_ar5_rooftop (0.041), ipcc_ar5_utility (0.048), custom")
    lifecycle_kgco2e_per_kwh: float | None = Field(None, description="custom life-cycle factor (sets lifecycle_basis to custom)")

    @model_validator(mode="after")
    def _check(self) -> "CarbonConfig":
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
            missing = [n for n in ("om_kgco2_per_kwh", "bm_kgco2_per_kwh") if getattr(self, n) is None]
            if missing:
                raise ValueError(
                    f"method 'combined_margin' needs {' and '.join(missing)}: no sourced operating/build margin "
                    "values ship with the package; give the values of your grid (e.g. from a registered CDM/CCER "
                    "project document) or use method 'average'"
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
        if self.lifecycle_basis == "custom":
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

    ``knot_years`` / ``knot_kgco2_per_kwh`` define a piecewise-linear curve, held flat before the first and after
    the last knot (a single knot is a constant factor).
    """

    method: str
    source: str
    knot_years: np.ndarray = field(repr=False)
    knot_kgco2_per_kwh: np.ndarray = field(repr=False)

    def by_year(self, years) -> np.ndarray:
        """Factor [kgCO2/kWh = tCO2/MWh] for each calendar year in ``years``."""
        y = np.asarray(years, dtype=float)
        return np.interp(y, self.knot_years.astype(float), self.knot_kgco2_per_kwh.astype(float))


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


def _lookup_average(config: CarbonConfig, table: pd.DataFrame) -> tuple[float, str]:
    avg = table[table["kind"] == "average"]
    in_scope = avg[avg["scope"] == config.scope]
    regions = sorted(in_scope["region"].unique())
    match = in_scope[in_scope["region"].str.lower() == config.region.lower()]
    if match.empty:
        elsewhere = avg[avg["region"].str.lower() == config.region.lower()]["scope"].unique()
        hint = f" ('{config.region}' is listed under scope {', '.join(sorted(elsewhere))})" if len(elsewhere) else ""
        raise InputError(
            f"no {config.scope} average emission factor for region '{config.region}'{hint}",
            field="carbon.region",
            value=config.region,
            allowed=", ".join(regions) + " (or give carbon.factor_kgco2_per_kwh)",
        )
    row = match[match["year"] == config.year]
    if row.empty:
        years = sorted(int(y) for y in match["year"].unique())
        nearest = min(years, key=lambda y: (abs(y - config.year), -y))
        raise InputError(
            f"no {config.scope} average emission factor for {match['region'].iloc[0]} in {config.year}; "
            f"nearest year available: {nearest}",
            field="carbon.year",
            value=config.year,
            allowed=", ".join(str(y) for y in years),
        )
    r = row.iloc[0]
    return float(r["kgco2_per_kwh"]), f"{r['scope']} {r['region']} {int(r['year'])} average: {r['source']}"


def resolve_factor(config: CarbonConfig, table: pd.DataFrame | None = None) -> EmissionFactor:
    """The grid emission factor the scenario asks for.

    Raises :class:`sim.errors.InputError` (field ``carbon.region`` or ``carbon.year``) when the table has no row
    for the region or year, listing what is available and the nearest year; never falls back silently.
    """
    if config.method == "combined_margin":
        om, bm = float(config.om_kgco2_per_kwh), float(config.bm_kgco2_per_kwh)
        cm = config.om_weight * om + config.bm_weight * bm
        src = (
            f"combined margin {config.om_weight:g} x OM {om:g} + {config.bm_weight:g} x BM {bm:g} = {cm:.4f} "
            f"kgCO2/kWh (OM/BM: user values); {CDM_TOOL07_SOURCE}"
        )
        return EmissionFactor("combined_margin", src, np.array([0.0]), np.array([cm]))
    if config.factor_kgco2_per_kwh is not None:
        v = float(config.factor_kgco2_per_kwh)
        return EmissionFactor("average", f"user value {v:g} kgCO2/kWh (carbon.factor_kgco2_per_kwh)",
                              np.array([0.0]), np.array([v]))
    if config.trajectory is not None:
        items = sorted(config.trajectory.items())
        years = np.array([float(y) for y, _ in items])
        vals = np.array([float(v) for _, v in items])
        text = ", ".join(f"{y}: {v:g}" for y, v in items)
        return EmissionFactor("average", f"user trajectory {{{text}}} kgCO2/kWh, linear between years, flat outside",
                              years, vals)
    value, source = _lookup_average(config, load_table() if table is None else table)
    return EmissionFactor("average", source, np.array([float(config.year)]), np.array([value]))


def ams_id_t(energy_mwh, ef_kgco2_per_kwh, lifecycle_kgco2e_per_kwh: float) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray]:
    """Avoided emissions of CDM AMS-I.D, vectorised (any shapes that broadcast, e.g. sites x years).

    Parameters
    ----------
    energy_mwh : electricity delivered to the grid or consumed on site, ``EG_y`` [MWh].
    ef_kgco2_per_kwh : grid emission factor of the same year, ``EF_grid,y`` [kgCO2/kWh = tCO2/MWh].
    lifecycle_kgco2e_per_kwh : life-cycle emissions of the PV electricity [kgCO2e/kWh].

    Returns
    -------
    ``(gross_t, lifecycle_t, net_t)`` [t]: ``gross = EG x EF`` (BE_y, with PE = LE = 0), ``lifecycle = EG x
    EF_lifecycle`` and ``net = gross - lifecycle``.
    """
    if not np.isfinite(lifecycle_kgco2e_per_kwh) or lifecycle_kgco2e_per_kwh < 0:
        raise InputError("life-cycle factor must be a finite number >= 0", field="carbon.lifecycle_kgco2e_per_kwh",
                         value=lifecycle_kgco2e_per_kwh)
    energy = np.asarray(energy_mwh, dtype=float)
    gross = energy * np.asarray(ef_kgco2_per_kwh, dtype=float)  # MWh x kg/kWh = (1000 kWh) x kg/kWh = 1000 kg = t
    life = energy * float(lifecycle_kgco2e_per_kwh)
    return gross, life, gross - life


def avoided_t(energy_mwh_by_year: pd.Series, factor: EmissionFactor, lifecycle_kgco2e_per_kwh: float) -> pd.DataFrame:
    """Avoided emissions per year (AMS-I.D, :func:`ams_id_t`) of a series of yearly energies.

    Parameters
    ----------
    energy_mwh_by_year : electricity delivered to the grid or consumed on site [MWh], indexed by calendar year.
    factor : grid emission factor; each year's energy is credited at that year's factor.
    lifecycle_kgco2e_per_kwh : life-cycle emissions of the PV electricity [kgCO2e/kWh].

    Returns
    -------
    DataFrame indexed like the input with ``gross_t``, ``lifecycle_t`` and ``net_t`` [t].
    """
    ef = factor.by_year(np.asarray(energy_mwh_by_year.index, dtype=float))
    gross, life, net = ams_id_t(energy_mwh_by_year, ef, lifecycle_kgco2e_per_kwh)
    return pd.DataFrame({"gross_t": gross, "lifecycle_t": life, "net_t": net}, index=energy_mwh_by_year.index)


def green_certificates(energy_mwh) -> np.ndarray | int:
    """Green electricity certificates (绿证): one per whole MWh, ``floor(energy_mwh)``."""
    e = np.asarray(energy_mwh, dtype=float)
    out = np.floor(np.maximum(e, 0.0) + 1e-9).astype(np.int64)
    return int(out) if out.ndim == 0 else out


def factor_in_year(config: CarbonConfig, year: int) -> float:
    """The grid factor the scenario credits in calendar ``year`` [kgCO2/kWh] (strategies rank sites with the
    first horizon year's)."""
    return float(resolve_factor(config).by_year(np.array([year]))[0])
