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

from functools import lru_cache
from importlib import resources
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
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
    - Exported electricity (``export_price_basis``). Since June 2025 new renewable projects, distributed PV
      included, sell at market prices with a contract-for-difference "mechanism price" on part of their output for
      a fixed term (NDRC/NEA 2025 No. 136). ``mechanism`` (default): for ``mechanism_term_years`` from
      commissioning, ``mechanism_share_percent`` of the exported energy earns ``mechanism_price_cny_per_kwh`` and the
      rest the market price; afterwards all of it earns the market price. ``market``: the market price throughout.
      ``coal_benchmark``: ``coal_benchmark_cny_per_kwh`` throughout (the pre-reform rule, for comparison).
      Defaults for the Jibei (Hebei north) grid, where the demo county lies, from the Hebei DRC notice on the
      2025-2026 mechanism-price auction (关于2025-2026年度新能源机制电价竞价工作有关事项的通知, 17 Oct 2025): coal
      benchmark 0.372 CNY/kWh; bids admitted between 0.20 and 0.372 CNY/kWh. The mechanism price defaults to
      published auction results (``sim/tables/mechanism_prices.csv``, :func:`mechanism_price_for`): the province's
      own result where one exists (``mechanism_province``), otherwise the result of a province on the same regional
      grid (for Hebei: Shandong PV 0.225 CNY/kWh, 14 Oct 2025, North China grid), otherwise the mean of the
      results; the range of the published results (Gansu 0.15 to Shandong 0.225), within the province's admitted
      bid range, is the price's uncertainty (``npv_mechanism_price_range_cny`` of the summary). The share and the
      term follow the same rule (:func:`mechanism_share_term_for`): the values the province's own rule fixes for
      every new project, otherwise those of a rule on the same regional grid, otherwise the mean of the values the
      published provincial rules fix, never above the province's maximums. Hebei's rule gives only maximums (at
      most 80 % of a project's energy, at most 12 years for PV) and no award was published, so the Hebei default
      is an assumption: 70 % (the only share a provincial rule fixes: Xinjiang Production and Construction Corps
      draft, Nov 2025) for 11 years (mean of Gansu 12, Yunnan 12, Hunan 10, XPCC 10). The maximums are validated
      (a scenario above them is refused); the range from the lowest fixed value to the maximum (Hebei: 70-80 %,
      10-12 years) is the uncertainty (``npv_mechanism_share_term_range_cny``). The default market price 0.20
      CNY/kWh is an assumption (the lowest price Jibei's auction admits; no published capture price of PV in Jibei
      could be sourced). Give your county's values.
    - ``business_model``: who invests and how money flows between the site owners, the investor, the county budget
      and the grid company (:func:`stakeholder_flows`): ``developer_rents_roofs`` (default, the common model of the
      whole-county pilot: a developer pays ``roof_rent_cny_per_kwp_year`` and sells the self-consumed energy to the
      owner at ``onsite_discount_percent`` below the retail tariff), ``owners_invest``, ``county_invests`` (the
      county budget on the developer's terms). Rent and discount: assumptions (no published figures found).
    - ``avoided_generation_cost_cny_per_kwh``: what a kWh of PV is worth to society in the social abatement cost,
      the generation cost it avoids; default the coal benchmark price (the regulated price of coal-fired power,
      Jibei 0.372 CNY/kWh), not the retail tariff a site owner saves.
    - ``lifetime_years`` and ``residual_value``: economics stop at the horizon; a site commissioned late keeps a
      straight-line residual value ``capex x max(0, 1 - age at the horizon's end / lifetime)``, credited in the last
      horizon year (``none``: no credit, so late sites look worse than over their own life). Default 25 years.
    - ``capex_escalation_percent_per_year``: change of the sites' ``capex_cny`` per year of commissioning after the
      first horizon year [%/year] (negative for falling module prices). Default 0.
    - ``om_escalation_percent_per_year`` / ``tariff_escalation_percent_per_year``: yearly change of O&M cost and of
      the retail tariff and the market and coal benchmark prices after the first horizon year [%/year]; the mechanism
      price is a fixed contract price and does not change. Default 0 (real terms).
    - ``inverter_replacement_year``: age in whole years (calendar year - commissioning year) at which the inverter
      is replaced; ``None`` for never. Assumption: 12.
    - ``inverter_replacement_cny_per_w``: cost of the replacement per W DC [CNY/W]. Assumption: 0.15.
    - ``currency``: ISO 4217 code that labels every money figure of the run (reports, printed summaries,
      ``summary.json``). A label only: keys and columns keep their ``_cny`` suffix, amounts are what the scenario
      gives, and the shipped defaults (tariffs, capex, O&M of the site-type table) are CNY figures, so a run in
      another currency must give its own (a warning lists those still at their defaults).
    """

    currency: str = Field(
        "CNY",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code labelling every money figure (the shipped defaults are CNY)",
    )
    discount_rate_percent: float = Field(6.0, description="real discount rate (assumption)")
    retail_tariff_cny_per_kwh: float | dict[str, float] = Field(
        0.52, description="value of self-consumed energy: one tariff or {site_type: tariff, default: tariff}"
    )
    export_price_basis: Literal["mechanism", "market", "coal_benchmark"] = Field(
        "mechanism",
        description="price of exported energy: mechanism (contract-for-difference price on a share for a term, then market; NDRC/NEA 2025 No. 136), market, or coal_benchmark (the pre-2025 rule)",
    )
    coal_benchmark_cny_per_kwh: float = Field(
        0.372, description="coal benchmark price of the grid (Jibei 0.372, Hebei DRC notice of 17 Oct 2025)"
    )
    mechanism_province: str = Field(
        "Hebei",
        description="province whose published mechanism-price auction result (sim/tables/mechanism_prices.csv) sets the default mechanism price",
    )
    mechanism_price_cny_per_kwh: float | None = Field(
        None,
        description="mechanism price (None: the province's published auction result, else one of its regional grid, else the mean of the results; sim/tables/mechanism_prices.csv)",
    )
    mechanism_share_percent: float | None = Field(
        None,
        description="share of exported energy under the mechanism price (None: the province's rule, else the typical value of the published rules, sim/tables/mechanism_prices.csv; Hebei: assumption 70); at most the province's maximum (Hebei 80)",
    )
    mechanism_term_years: int | None = Field(
        None,
        description="years from commissioning the mechanism price applies (None: the province's rule, else the typical value of the published rules, sim/tables/mechanism_prices.csv; Hebei: assumption 11); at most the province's maximum (Hebei 12 for PV)",
    )
    market_price_cny_per_kwh: float | dict[int, float] = Field(
        0.20,
        description="market price of exported PV energy: one value or {year: price}, linear in between, flat outside (assumption: 0.20, the lowest price Jibei's auction admits)",
    )
    capex_escalation_percent_per_year: float = Field(0.0, description="yearly change of capex for sites built later")
    om_escalation_percent_per_year: float = Field(0.0, description="yearly change of O&M costs")
    tariff_escalation_percent_per_year: float = Field(0.0, description="yearly change of tariffs")
    inverter_replacement_year: int | None = Field(
        12, description="operating year in which inverters are replaced (None: never)"
    )
    inverter_replacement_cny_per_w: float = Field(0.15, description="cost of the inverter replacement")
    business_model: Literal["developer_rents_roofs", "owners_invest", "county_invests"] = Field(
        "developer_rents_roofs",
        description="who invests: developer_rents_roofs (a developer rents the roofs and sells the self-consumed energy to the owners at a discount; the common model of the whole-county pilot), owners_invest (each site owner invests and keeps its bill savings), county_invests (the county budget invests on the developer's terms)",
    )
    roof_rent_cny_per_kwp_year: float = Field(
        40.0,
        ge=0,
        le=1000,
        description="rent the investor pays a site owner per kWp a year when it is not the owner (assumption: 40 CNY/kWp/yr, no published rent of whole-county pilots could be sourced)",
    )
    onsite_discount_percent: float = Field(
        10.0,
        ge=0,
        le=100,
        description="discount on the retail tariff at which a site owner buys the self-consumed energy from an investor that is not the owner (assumption: 10 %, a common energy-management-contract discount; no source found)",
    )
    avoided_generation_cost_cny_per_kwh: float | None = Field(
        None,
        ge=0,
        le=10,
        description="value of a kWh to society in the social abatement cost: the generation cost it avoids (None: the coal benchmark price coal_benchmark_cny_per_kwh, the regulated price of coal-fired generation)",
    )
    lifetime_years: int = Field(25, description="economic life of a site, for its residual value at the horizon")
    residual_value: Literal["straight_line", "none"] = Field(
        "straight_line",
        description="value credited at the horizon for sites younger than their life: straight_line or none",
    )

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
    def _check(self) -> EconomicsConfig:
        if not np.isfinite(self.discount_rate_percent) or not (-50 < self.discount_rate_percent <= 100):
            raise ValueError(f"discount_rate_percent must lie in (-50, 100], got {self.discount_rate_percent}")
        prices = {"coal_benchmark_cny_per_kwh": self.coal_benchmark_cny_per_kwh}
        if self.mechanism_price_cny_per_kwh is not None:
            prices["mechanism_price_cny_per_kwh"] = self.mechanism_price_cny_per_kwh
        market = self.market_price_cny_per_kwh
        prices.update(
            {f"market_price_cny_per_kwh[{y}]": v for y, v in market.items()}
            if isinstance(market, dict)
            else {"market_price_cny_per_kwh": market}
        )
        for name, v in prices.items():
            if not np.isfinite(v) or not (0 <= v <= 10):
                raise ValueError(f"{name} {v} is outside 0..10 (CNY per kWh, not per MWh)")
        if isinstance(market, dict) and not market:
            raise ValueError("market_price_cny_per_kwh must not be an empty mapping")
        _check_mechanism_limits(self.mechanism_province, self.mechanism_share_percent, self.mechanism_term_years)
        if self.lifetime_years < 1:
            raise ValueError(f"lifetime_years must be >= 1, got {self.lifetime_years}")
        for name in (
            "capex_escalation_percent_per_year",
            "om_escalation_percent_per_year",
            "tariff_escalation_percent_per_year",
        ):
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

    def market_price_by_year(self, years) -> np.ndarray:
        """Market price of exported energy [CNY/kWh] in each calendar year (before escalation)."""
        market = self.market_price_cny_per_kwh
        if not isinstance(market, dict):
            return np.full(np.shape(years), float(market))
        knots = sorted(market.items())
        return np.interp(np.asarray(years, float), [float(y) for y, _ in knots], [float(v) for _, v in knots])

    @property
    def price_basis(self) -> str:
        """One line saying how exported and self-consumed energy are valued (for the summary and the report)."""
        if self.export_price_basis == "coal_benchmark":
            export = f"coal benchmark {self.coal_benchmark_cny_per_kwh:g} CNY/kWh"
        else:
            market = self.market_price_cny_per_kwh
            market_text = (
                f"{market:g} CNY/kWh"
                if not isinstance(market, dict)
                else "{" + ", ".join(f"{y}: {v:g}" for y, v in sorted(market.items())) + "} CNY/kWh"
            )
            export = f"market {market_text}"
            if self.export_price_basis == "mechanism":
                export = (
                    f"mechanism price {self.mechanism_price:g} CNY/kWh on "
                    f"{self.mechanism_share:g} % for {self.mechanism_term} years, otherwise {export}"
                )
        tariff = self.retail_tariff_cny_per_kwh
        retail = (
            f"{tariff:g} CNY/kWh"
            if not isinstance(tariff, dict)
            else ", ".join(f"{k} {v:g}" for k, v in tariff.items()) + " CNY/kWh"
        )
        return f"exported: {export}; self-consumed: retail tariff {retail}"

    @property
    def horizon_rule(self) -> str:
        """How sites commissioned late are treated at the horizon (for the summary)."""
        if self.residual_value == "none":
            return "economics stop at the horizon with no residual value"
        return f"straight-line residual value at the horizon over a {self.lifetime_years}-year life"

    def export_price(self, years, age_years, escalation_index=1.0) -> np.ndarray:
        """Price of exported energy [CNY/kWh] per calendar year and site age [whole years since commissioning],
        broadcasting ``years``, ``age_years`` and ``escalation_index`` (the price index of the year, applied to
        market and coal benchmark prices, never to the fixed mechanism price)."""
        years = np.asarray(years, float)
        age = np.asarray(age_years, float)
        index = np.asarray(escalation_index, float)
        if self.export_price_basis == "coal_benchmark":
            return self.coal_benchmark_cny_per_kwh * index * np.ones_like(age * years)
        market = self.market_price_by_year(years) * index
        if self.export_price_basis == "market":
            return market * np.ones_like(age * years)
        mechanism_share = np.where(age < self.mechanism_term, self.mechanism_share / 100.0, 0.0)
        return mechanism_share * self.mechanism_price + (1.0 - mechanism_share) * market

    @property
    def avoided_generation_cost(self) -> float:
        """Value of a kWh to society [CNY/kWh] in the social abatement cost (the coal benchmark unless given)."""
        if self.avoided_generation_cost_cny_per_kwh is not None:
            return float(self.avoided_generation_cost_cny_per_kwh)
        return float(self.coal_benchmark_cny_per_kwh)

    @property
    def investor(self) -> str:
        """The stakeholder that invests under ``business_model`` (a key of :data:`STAKEHOLDERS`)."""
        return {
            "developer_rents_roofs": "developer",
            "owners_invest": "site_owners",
            "county_invests": "county_budget",
        }[self.business_model]

    @property
    def mechanism_price(self) -> float:
        """Mechanism price in use [CNY/kWh]: the scenario's, or the published result :func:`mechanism_price_for`
        gives for ``mechanism_province``."""
        if self.mechanism_price_cny_per_kwh is not None:
            return float(self.mechanism_price_cny_per_kwh)
        return mechanism_price_for(self.mechanism_province)[0]

    @property
    def mechanism_price_source(self) -> str:
        """Where the mechanism price comes from (one line)."""
        if self.mechanism_price_cny_per_kwh is not None:
            return "scenario value"
        return mechanism_price_for(self.mechanism_province)[1]

    @property
    def mechanism_price_range(self) -> tuple[float, float]:
        """Low and high mechanism price [CNY/kWh]: the scenario's value (no range), or the range of the published
        results within the province's admitted bid range."""
        if self.mechanism_price_cny_per_kwh is not None:
            return (float(self.mechanism_price_cny_per_kwh),) * 2
        return mechanism_price_range_for(self.mechanism_province)

    @property
    def mechanism_share(self) -> float:
        """Share of exported energy under the mechanism price [%]: the scenario's, or
        :func:`mechanism_share_term_for` of ``mechanism_province``."""
        if self.mechanism_share_percent is not None:
            return float(self.mechanism_share_percent)
        return mechanism_share_term_for(self.mechanism_province).share_percent

    @property
    def mechanism_term(self) -> int:
        """Years from commissioning the mechanism price applies: the scenario's, or :func:`mechanism_share_term_for`
        of ``mechanism_province``."""
        if self.mechanism_term_years is not None:
            return int(self.mechanism_term_years)
        return mechanism_share_term_for(self.mechanism_province).term_years

    @property
    def mechanism_share_term_source(self) -> str:
        """Where the share and the term come from (one line)."""
        given = [
            name for name in ("mechanism_share_percent", "mechanism_term_years") if getattr(self, name) is not None
        ]
        if len(given) == 2:
            return "scenario values"
        text = mechanism_share_term_for(self.mechanism_province).source
        return text if not given else f"{given[0]}: scenario value; otherwise {text}"

    @property
    def mechanism_share_term_range(self) -> tuple[tuple[float, int], tuple[float, int]]:
        """Low and high (share [%], term [years]): the scenario's values (no range), or the range of
        :func:`mechanism_share_term_for` (a value the scenario gives stays fixed)."""
        if self.mechanism_share_percent is not None and self.mechanism_term_years is not None:
            return ((self.mechanism_share, self.mechanism_term),) * 2
        terms = mechanism_share_term_for(self.mechanism_province)
        shares = (self.mechanism_share,) * 2 if self.mechanism_share_percent is not None else terms.share_range
        years = (self.mechanism_term,) * 2 if self.mechanism_term_years is not None else terms.term_range
        return (shares[0], years[0]), (shares[1], years[1])

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


@lru_cache(maxsize=1)
def mechanism_results() -> pd.DataFrame:
    """Published mechanism-price auction results and provincial rules (``sim/tables/mechanism_prices.csv``), one row
    per province: ``grid_region, technology, price_cny_per_kwh`` (empty where no result could be sourced),
    ``result_date, bid_floor_cny_per_kwh, bid_cap_cny_per_kwh``, ``share_percent, term_years`` (the share and term
    the province's rule fixes for every new project; empty where it only caps them), ``max_share_percent,
    max_term_years, max_source`` (the rule's maximums and the document setting them), ``source``."""
    with resources.files("sim").joinpath("tables/mechanism_prices.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"result_date": str}).set_index("province")


_ROWS: list = [None, {}]  # the table :func:`_rows` last turned into rows, and those rows


def _rows() -> dict[str, dict]:
    """:func:`mechanism_results` by province as plain rows, built once per table (read, never changed: a run's
    prices, shares and terms look them up some 40 times)."""
    table = mechanism_results()
    if _ROWS[0] is not table:
        _ROWS[:] = [table, {str(k): v for k, v in table.to_dict("index").items()}]
    return _ROWS[1]


def _bid_range(province: str) -> tuple[float, float]:
    row = _rows().get(province, {})
    low, high = row.get("bid_floor_cny_per_kwh"), row.get("bid_cap_cny_per_kwh")
    return (float(low) if pd.notna(low) else 0.0), (float(high) if pd.notna(high) else float("inf"))


def _published(province: str, column: str) -> tuple[float, str, list[str]]:
    """A province's figure in ``column`` of the table: its own, else the mean of the provinces' on the same regional
    grid, else the mean of every province's (the one rule for the mechanism price, share and term). Returns the value,
    how it was found (``own``, ``region`` or ``mean``) and the provinces it comes from."""
    rows = _rows()
    given = {k: v for k, v in rows.items() if pd.notna(v[column])}
    if province in given:
        return float(given[province][column]), "own", [province]
    region = rows.get(province, {}).get("grid_region")
    same = [k for k, v in given.items() if region is not None and v["grid_region"] == region]
    if same:
        return float(np.mean([float(given[k][column]) for k in same])), "region", same
    return float(np.mean([float(v[column]) for v in given.values()])), "mean", list(given)


def mechanism_price_for(province: str) -> tuple[float, str]:
    """Default mechanism price [CNY/kWh] of a province and its source: the province's own published result, else
    the mean of those on the same regional grid, else the mean of the published results; within the province's
    admitted bid range where the table gives one."""
    price, how, names = _published(province, "price_cny_per_kwh")
    rows = _rows()
    if how == "own":
        text = f"{province} result: {rows[province]['source']}"
    elif how == "region":
        region = rows[province]["grid_region"]
        cited = "; ".join(f"{k} {float(rows[k]['price_cny_per_kwh']):g}: {rows[k]['source']}" for k in names)
        text = f"mean of the results on the same {region} regional grid, no {province} result ({cited})"
    else:
        text = f"mean of the published results ({', '.join(names)}), no {province} result"
    low, high = _bid_range(province)
    return float(np.clip(price, low, high)), text


def mechanism_price_range_for(province: str) -> tuple[float, float]:
    """Lowest and highest published mechanism price [CNY/kWh], within the province's admitted bid range."""
    prices = mechanism_results()["price_cny_per_kwh"].dropna().to_numpy(float)
    low, high = _bid_range(province)
    return float(np.clip(prices.min(), low, high)), float(np.clip(prices.max(), low, high))


def mechanism_limits(province: str) -> tuple[float, float, str]:
    """Maximum mechanism share [%] and term [years] of a province's rule and the document setting them; 100 % and
    no limit (inf) where the table gives none (NDRC/NEA 2025 No. 136 itself sets no figure)."""
    row = _rows().get(province, {})
    share, term, source = row.get("max_share_percent"), row.get("max_term_years"), row.get("max_source")
    return (
        float(share) if pd.notna(share) else 100.0,
        float(term) if pd.notna(term) else float("inf"),
        str(source) if pd.notna(source) else "no provincial maximum in sim/tables/mechanism_prices.csv",
    )


def _check_mechanism_limits(province: str, share: float | None, term: int | None) -> None:
    """Refuse a share or term of a scenario above the province's maximums (:func:`mechanism_limits`)."""
    max_share, max_term, source = mechanism_limits(province)
    if share is not None and not (np.isfinite(share) and 0 <= share <= max_share):
        raise ValueError(
            f"mechanism_share_percent {share:g} is outside the allowed 0..{max_share:g} % for mechanism_province "
            f"{province} (maximum of {source})"
        )
    if term is not None and not (0 <= term <= max_term):
        allowed = f"0..{max_term:g} years" if np.isfinite(max_term) else ">= 0 years"
        raise ValueError(
            f"mechanism_term_years {term} is outside the allowed {allowed} for mechanism_province {province} "
            f"(maximum of {source})"
        )


class MechanismTerms(NamedTuple):
    """Default mechanism share [%] and term [years] of a province, their ranges (low, high) and source."""

    share_percent: float
    term_years: int
    share_range: tuple[float, float]
    term_range: tuple[int, int]
    source: str


def _whole_years(x: float) -> int:
    return int(np.floor(x + 0.5))


def mechanism_share_term_for(province: str) -> MechanismTerms:
    """Default share and term of the mechanism price for a province, with :func:`_published`'s rule: the values
    its own rule fixes for every new project, else the mean of those on the same regional grid, else the mean of the
    values the published rules fix (terms rounded to whole years); never above the province's maximums. Where the
    province's own rule fixes a value it has no range; otherwise the range runs from the lowest value a published
    rule fixes to the province's maximum (where it gives none: 100 % for the share, the highest fixed term)."""
    max_share, max_term, max_source = mechanism_limits(province)
    rows = _rows()
    out, texts = [], []
    for column, limit, unit in (("share_percent", max_share, "%"), ("term_years", max_term, "years")):
        value, how, names = _published(province, column)
        value = float(min(value, limit))
        fixed = mechanism_results()[column].dropna().to_numpy(float)
        if how == "own":
            low, high, text = value, value, f"{province}'s rule"
        else:
            low, high = min(fixed.min(), value), (limit if np.isfinite(limit) else fixed.max())
            basis = ", ".join(f"{k} {float(rows[k][column]):g}" for k in names)
            text = (
                f"assumption, {basis} (same {rows[province]['grid_region']} regional grid)"
                if how == "region"
                else f"assumption, mean of the values fixed by published rules ({basis})"
            ) + f", none published for {province}"
        out.append((value, (float(low), float(high))))
        texts.append(f"{column.split('_')[0]} {value:g} {unit}: {text}")
    (share, share_range), (term, term_range) = out
    caps = [f"{v:g} {unit}" for v, unit in ((max_share, "%"), (max_term, "years")) if v not in (100.0, float("inf"))]
    limits = [f"at most {' and '.join(caps)} ({max_source})"] if caps else []
    source = "; ".join(texts + limits) + " (sim/tables/mechanism_prices.csv)"
    return MechanismTerms(
        share,
        _whole_years(term),
        share_range,
        (_whole_years(term_range[0]), _whole_years(term_range[1])),
        source,
    )


def discount_factor(years, discount_rate: float):
    """``(1 + r) ** -t`` [-] for ``t = years`` after the base year (scalar or array, fractions allowed): the one
    discounting rule of the model (site money, county totals, the plan's value weights, the experiment's
    ``discounted`` metrics)."""
    return (1.0 + discount_rate) ** -np.asarray(years, dtype=float)


def discount_factors(n_years: int, discount_rate: float) -> np.ndarray:
    """``(1 + r) ** -t`` for ``t = 0 .. n_years - 1`` [-]."""
    return discount_factor(np.arange(n_years, dtype=float), discount_rate)


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
    length = (
        np.ones_like(cash)
        if year_length_years is None
        else np.broadcast_to(np.asarray(year_length_years, dtype=float), cash.shape)
    )
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


def straight_line_residual(capex_cny, age_at_end_years, lifetime_years: float) -> np.ndarray:
    """Residual value [CNY] of an asset ``age_at_end_years`` old at the end of the horizon, written off in a
    straight line over ``lifetime_years``: ``capex x max(0, 1 - age / lifetime)``."""
    age = np.asarray(age_at_end_years, dtype=float)
    return np.asarray(capex_cny, dtype=float) * np.clip(1.0 - age / float(lifetime_years), 0.0, 1.0)


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


#: Stakeholders of the money flows, in the order of the report's table.
STAKEHOLDERS = ("site_owners", "developer", "county_budget", "grid_company")
#: Items of the money flows, in the order of the report's table.
FLOW_ITEMS = (
    "capex",
    "om",
    "replacement",
    "residual_value",
    "export_sales",
    "bill_savings",
    "onsite_energy",
    "roof_rent",
    "grid_upgrades",
)


def stakeholder_flows(
    investor: str,
    *,
    capex,
    om,
    replacement,
    residual,
    export_sales,
    bill_value,
    roof_rent,
    onsite_discount_percent: float,
    grid_upgrade,
) -> dict[str, dict[str, np.ndarray]]:
    """Yearly money flows [CNY] of each stakeholder, by item: ``{stakeholder: {item: values by year}}``; items
    (:data:`FLOW_ITEMS`) ``capex, om, replacement, residual_value, export_sales, bill_savings, onsite_energy,
    roof_rent, grid_upgrades``.

    The ``investor`` (a key of :data:`STAKEHOLDERS`) pays capex, O&M and replacements, keeps the residual value and
    sells the exported energy. The site owners save ``bill_value`` (the self-consumed energy at the retail tariff).
    When the investor is not the owners, it pays them ``roof_rent`` and sells them the self-consumed energy at
    ``onsite_discount_percent`` below the retail tariff: both are transfers, entered once with each sign, so they
    cancel in the total. The grid company pays ``grid_upgrade``. Positive: money in; negative: money out. The sum
    over stakeholders is the programme's cash flow (revenue - costs) less the grid upgrades.
    """
    if investor not in STAKEHOLDERS:
        raise ValueError(f"unknown investor '{investor}'; allowed: {', '.join(STAKEHOLDERS)}")
    zero = np.zeros_like(np.asarray(capex, dtype=float))
    flows: dict[str, dict[str, np.ndarray]] = {name: {} for name in STAKEHOLDERS}
    own = flows[investor]
    own.update(
        {
            "capex": -np.asarray(capex, float),
            "om": -np.asarray(om, float),
            "replacement": -np.asarray(replacement, float),
            "residual_value": np.asarray(residual, float),
            "export_sales": np.asarray(export_sales, float),
        }
    )
    flows["site_owners"]["bill_savings"] = np.asarray(bill_value, float)
    if investor != "site_owners":
        paid = np.asarray(bill_value, float) * (1.0 - onsite_discount_percent / 100.0)
        flows["site_owners"]["onsite_energy"] = -paid
        own["onsite_energy"] = paid
        flows["site_owners"]["roof_rent"] = np.asarray(roof_rent, float)
        own["roof_rent"] = -np.asarray(roof_rent, float)
    flows["grid_company"]["grid_upgrades"] = -np.asarray(grid_upgrade, float) + zero
    return flows


def irr(cash_flows) -> float:
    """Internal rate of return [fraction per year] of yearly ``cash_flows`` (t = 0 undiscounted): the rate at which
    their NPV is 0. NaN where the flows do not change sign or no rate in (-99 %, 1000 %) solves it."""
    from scipy.optimize import brentq

    c = np.asarray(cash_flows, dtype=float)
    if not (np.any(c > 0) and np.any(c < 0)):
        return float("nan")

    def f(r: float) -> float:
        return float(np.sum(c * (1.0 + r) ** -np.arange(len(c), dtype=float)))

    lo, hi = -0.99, 10.0
    if f(lo) * f(hi) > 0:
        return float("nan")
    return float(brentq(f, lo, hi, xtol=1e-12))


def payback_years(cash_flows) -> float:
    """Undiscounted payback [years from the start of year 0] of yearly ``cash_flows``: when their cumulative sum
    first turns non-negative after having been negative, cash accruing evenly within a year. NaN if it never
    does; 0 if it never is negative."""
    c = np.asarray(cash_flows, dtype=float)
    cum = np.cumsum(c)
    if not np.any(cum < 0):
        return 0.0
    last_negative = int(np.flatnonzero(cum < 0)[-1])
    if last_negative == len(c) - 1:
        return float("nan")
    k = last_negative + 1
    return float(k + (-cum[k - 1]) / c[k])
