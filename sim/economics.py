"""Money: tariffs, LCOE, NPV, simple payback and cost per tonne of CO2.

Discounting convention (used by every function here): cash flows and energies are given per year index
``t = 0, 1, 2, ...`` and discounted by ``(1 + r) ** -t``. For one site, ``t = 0`` is the calendar year of
commissioning: the capex is paid at ``t = 0`` and is therefore undiscounted, and the (partial) first calendar year's
energy and O&M are also at ``t = 0``. For county totals, ``t = 0`` is the first calendar year of the horizon.
Passing zero energy and O&M at ``t = 0`` gives the textbook end-of-year convention, in which
``LCOE = (capex x CRF(r, n) + O&M) / E`` for constant annual O&M and energy (NREL simple LCOE; CRF = r (1 + r)^n /
((1 + r)^n - 1), 1/n at r = 0).

Per-site-type values (capex, O&M per kW, self-consumption share) are columns of the sites table, not settings here.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim._config import StrictModel
from sim.errors import InputError


class EconomicsConfig(StrictModel):
    """Scenario section ``economics``.

    - ``discount_rate_percent``: real discount rate [%/year]. Assumption: 6 %.
    - ``retail_tariff_cny_per_kwh``: value of self-consumed electricity (avoided purchase at the retail tariff)
      [CNY/kWh], one number or ``{site_type: value}`` (a ``default`` key covers unlisted types). Assumption:
      0.52 CNY/kWh, about the first-block residential tariff of Hebei (not verified against the current tariff
      schedule).
    - ``export_tariff_cny_per_kwh``: price of electricity exported to the grid [CNY/kWh]. Default 0.372, the coal
      benchmark price of the Hebei north (Jibei) grid as commonly quoted since the 2019 NDRC benchmark reform;
      assumption, not verified against the NDRC table with the search tool.
    - ``capex_escalation_percent_per_year``: change of the sites' ``capex_cny`` per year of commissioning after the
      first horizon year [%/year] (negative for falling module prices). Default 0.
    - ``om_escalation_percent_per_year`` / ``tariff_escalation_percent_per_year``: yearly change of O&M cost and of
      both tariffs after the first horizon year [%/year]. Default 0 (real terms).
    - ``inverter_replacement_year``: age in whole years (calendar year - commissioning year) at which the inverter
      is replaced; ``None`` for never. Assumption: 12.
    - ``inverter_replacement_cny_per_w``: cost of the replacement per W DC [CNY/W]. Assumption: 0.15.
    - ``currency``: ISO 4217 code that labels every money figure of the run (reports, printed summaries,
      ``summary.json``). A label only: keys and columns keep their ``_cny`` suffix, amounts are what the scenario
      gives, and the shipped defaults (tariffs, capex, O&M of the site-type table) are CNY figures, so a run in
      another currency must give its own (a warning lists those still at their defaults).
    """

    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$",
                          description="ISO 4217 code labelling every money figure (the shipped defaults are CNY)")
    discount_rate_percent: float = Field(6.0, description="real discount rate (assumption)")
    retail_tariff_cny_per_kwh: float | dict[str, float] = Field(0.52, description="value of self-consumed energy: one tariff or {site_type: tariff, default: tariff}")
    export_tariff_cny_per_kwh: float = Field(0.372, description="price of exported energy (Hebei north coal benchmark, unverified)")
    capex_escalation_percent_per_year: float = Field(0.0, description="yearly change of capex for sites built later")
    om_escalation_percent_per_year: float = Field(0.0, description="yearly change of O&M costs")
    tariff_escalation_percent_per_year: float = Field(0.0, description="yearly change of tariffs")
    inverter_replacement_year: int | None = Field(12, description="operating year in which inverters are replaced (None: never)")
    inverter_replacement_cny_per_w: float = Field(0.15, description="cost of the inverter replacement")

    @field_validator("retail_tariff_cny_per_kwh")
    @classmethod
    def _tariff(cls, v):
        values = v.values() if isinstance(v, dict) else [v]
        for x in values:
            if not np.isfinite(x) or x < 0 or x > 10:
                raise ValueError(f"retail tariff {x} CNY/kWh is outside 0..10 (give CNY per kWh, not per MWh)")
        if isinstance(v, dict) and not v:
            raise ValueError("retail_tariff_cny_per_kwh must not be an empty mapping")
        return v

    @model_validator(mode="after")
    def _check(self) -> "EconomicsConfig":
        if not np.isfinite(self.discount_rate_percent) or not (-50 < self.discount_rate_percent <= 100):
            raise ValueError(f"discount_rate_percent must lie in (-50, 100], got {self.discount_rate_percent}")
        if not np.isfinite(self.export_tariff_cny_per_kwh) or not (0 <= self.export_tariff_cny_per_kwh <= 10):
            raise ValueError(
                f"export_tariff_cny_per_kwh {self.export_tariff_cny_per_kwh} is outside 0..10 (CNY per kWh, not MWh)"
            )
        for name in ("capex_escalation_percent_per_year", "om_escalation_percent_per_year",
                     "tariff_escalation_percent_per_year"):
            v = getattr(self, name)
            if not np.isfinite(v) or v <= -100 or v > 100:
                raise ValueError(f"'{name}' must lie in (-100, 100], got {v}")
        if self.inverter_replacement_year is not None and self.inverter_replacement_year < 1:
            raise ValueError(f"inverter_replacement_year must be >= 1 (or null), got {self.inverter_replacement_year}")
        if not np.isfinite(self.inverter_replacement_cny_per_w) or self.inverter_replacement_cny_per_w < 0:
            raise ValueError(f"inverter_replacement_cny_per_w must be >= 0, got {self.inverter_replacement_cny_per_w}")
        return self

    @property
    def discount_rate(self) -> float:
        """Discount rate as a fraction per year."""
        return self.discount_rate_percent / 100.0

    def retail_tariff_for(self, site_types) -> np.ndarray:
        """Retail tariff [CNY/kWh] for each site type in ``site_types``.

        Raises :class:`InputError` naming the types with no tariff when a mapping without ``default`` is given.
        """
        types = np.asarray(site_types, dtype=object)
        tariff = self.retail_tariff_cny_per_kwh
        if not isinstance(tariff, dict):
            return np.full(types.shape, float(tariff))
        missing = sorted({str(t) for t in types} - set(tariff)) if "default" not in tariff else []
        if missing:
            raise InputError(
                "no retail tariff for site type(s) " + ", ".join(missing),
                field="economics.retail_tariff_cny_per_kwh",
                allowed="a value per site type or a 'default' key; given: " + ", ".join(sorted(tariff)),
            )
        return np.array([float(tariff.get(str(t), tariff.get("default", np.nan))) for t in types], dtype=float)


def discount_factors(n_years: int, discount_rate: float) -> np.ndarray:
    """``(1 + r) ** -t`` for ``t = 0 .. n_years - 1`` [-]."""
    return (1.0 + discount_rate) ** -np.arange(n_years, dtype=float)


def escalation(percent_per_year: float, years) -> np.ndarray:
    """Price index ``(1 + p / 100) ** t`` after ``t`` years of a yearly change of ``p`` % [-]."""
    return (1.0 + percent_per_year / 100.0) ** np.asarray(years, dtype=float)


def present_value(values_by_year, discount_rate: float) -> np.ndarray | float:
    """Sum over the last axis of ``values[..., t] / (1 + r) ** t`` (same unit as the values)."""
    v = np.asarray(values_by_year, dtype=float)
    pv = (v * discount_factors(v.shape[-1], discount_rate)).sum(axis=-1)
    return float(pv) if np.ndim(pv) == 0 else pv


def npv(cash_flows, discount_rate: float) -> np.ndarray | float:
    """Net present value [CNY] of ``cash_flows[..., t]`` [CNY], t = 0 undiscounted (investments negative)."""
    return present_value(cash_flows, discount_rate)


def lcoe(capex_cny, om_cny_by_year, energy_kwh_by_year, discount_rate: float) -> np.ndarray | float:
    """Levelised cost of electricity [CNY/kWh].

    ``LCOE = (capex + sum_t OM_t (1+r)^-t) / sum_t E_t (1+r)^-t``, capex paid at t = 0 (undiscounted).

    Parameters
    ----------
    capex_cny : investment [CNY], scalar or shape (n_sites,).
    om_cny_by_year : O&M and other running costs [CNY], shape (n_years,) or (n_sites, n_years).
    energy_kwh_by_year : energy [kWh], same shape as ``om_cny_by_year``.
    discount_rate : fraction per year.

    NaN where the discounted energy is 0.
    """
    capex = np.asarray(capex_cny, dtype=float)
    cost = capex + present_value(om_cny_by_year, discount_rate)
    energy = np.asarray(present_value(energy_kwh_by_year, discount_rate), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(energy > 0, np.asarray(cost, dtype=float) / np.where(energy > 0, energy, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def simple_payback_years(capex_cny, net_cash_cny_by_year, year_length_years=None) -> np.ndarray | float:
    """Undiscounted payback time [years]: when the cumulative net cash flow first reaches the capex.

    Parameters
    ----------
    capex_cny : investment [CNY], scalar or (n_sites,).
    net_cash_cny_by_year : yearly revenue minus running costs [CNY], (n_years,) or (n_sites, n_years).
    year_length_years : duration of each column [years], same shape or broadcastable (e.g. the operating fraction
        of a partial first year); default 1 for every column.

    Cash is assumed to accrue evenly within a column, so the result is interpolated linearly inside the column in
    which the cumulative cash reaches the capex. NaN if it never does within the columns given; 0 if capex <= 0.
    """
    cash = np.atleast_2d(np.asarray(net_cash_cny_by_year, dtype=float))
    capex = np.broadcast_to(np.asarray(capex_cny, dtype=float), cash.shape[:1]).astype(float)
    length = np.ones_like(cash) if year_length_years is None else np.broadcast_to(
        np.asarray(year_length_years, dtype=float), cash.shape)
    cum = np.cumsum(cash, axis=1)
    reached = cum >= capex[:, None]
    # cumulative cash can dip again (replacements): take the first column that reaches capex
    has = reached.any(axis=1)
    k = np.argmax(reached, axis=1)
    rows = np.arange(cash.shape[0])
    before = np.where(k > 0, cum[rows, np.maximum(k - 1, 0)], 0.0)
    elapsed = np.concatenate([np.zeros((cash.shape[0], 1)), np.cumsum(length, axis=1)], axis=1)[rows, k]
    c = cash[rows, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(c > 0, (capex - before) / np.where(c > 0, c, 1.0), 0.0)
    out = elapsed + np.clip(frac, 0.0, 1.0) * length[rows, k]
    out = np.where(has, out, np.nan)
    out = np.where(capex <= 0, 0.0, out)
    return float(out[0]) if np.ndim(capex_cny) == 0 and np.ndim(net_cash_cny_by_year) == 1 else out


def cost_per_t_co2(cost_cny_by_year, co2_t_by_year, discount_rate: float) -> np.ndarray | float:
    """Cost of abatement [CNY/tCO2] = discounted costs / discounted tonnes.

    Both series are per year index t (t = 0 undiscounted: for a site the commissioning year, carrying the capex;
    for the county the first horizon year). Discounting the tonnes with the same rate as the money is the usual
    levelised convention (a tonne later counts less, like a kWh in the LCOE). NaN where discounted tonnes <= 0.
    """
    cost = np.asarray(present_value(cost_cny_by_year, discount_rate), dtype=float)
    tonnes = np.asarray(present_value(co2_t_by_year, discount_rate), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(tonnes > 0, cost / np.where(tonnes > 0, tonnes, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out
