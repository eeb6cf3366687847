"""Property-based tests (hypothesis) on physics, accounting and the rollout's conservation laws."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import carbon
from sim.accounting import account
from sim.carbon import CarbonConfig
from sim.rollout import STATUSES, OperationConfig, RolloutConfig, simulate
from sim.economics import EconomicsConfig
from sim.energy import specific_yield
from sim.weather import (BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C, BEIJING_WIND_SPEED_M_PER_S,
                         synthetic_year)

from .conftest import lifecycle_factor

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LAT, LON, ALT = 40.4, 115.5, 500.0


@pytest.fixture(scope="module")
def weather():
    return synthetic_year(LAT, LON, ALT, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C, BEIJING_WIND_SPEED_M_PER_S,
                          year=2023, seed=3)


@SETTINGS
@given(tilt=st.floats(0, 90), azimuth=st.floats(0, 359.9), losses=st.floats(0, 40), dc_ac=st.floats(0.9, 1.6))
def test_energy_is_never_negative_and_below_the_irradiance_bound(weather, tilt, azimuth, losses, dc_ac):
    ac = specific_yield(weather.data, LAT, LON, ALT, tilt, azimuth, losses_percent=losses, dc_ac_ratio=dc_ac)
    assert (ac >= 0).all()
    # 1 kWp of modules of efficiency eta covers 1/eta m2 at 1 kW/m2: its output is bounded by the plane-of-array
    # irradiance [kWh/m2] x area x eta = POA [kWh/m2] per kWp, times a cold-cell bonus (gamma 0.37 %/K up to
    # 25 + 40 K below STC); hourly, the inverter caps it at 1/dc_ac per kWp
    times = weather.data.index + pd.Timedelta(minutes=30)
    sun = pvlib.solarposition.get_solarposition(times, LAT, LON, ALT)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, sun["apparent_zenith"].to_numpy(), sun["azimuth"].to_numpy(), weather.data["dni"].to_numpy(),
        weather.data["ghi"].to_numpy(), weather.data["dhi"].to_numpy(), albedo=0.2, model="isotropic")["poa_global"]
    bound_kwh = np.nansum(poa) / 1000.0 * (1 + 0.0037 * 40) * 1.15  # 15 % for the Perez sky vs isotropic
    assert ac.sum() <= bound_kwh
    assert ac.max() <= 1.0 / dc_ac + 1e-6


def _accounts(capacities, limit_kw, profile):
    n = len(capacities)
    ids = [f"s{i}" for i in range(n)]
    sites = pd.DataFrame({"site_type": "public_building", "capacity_kwp": capacities, "archetype": 0,
                          "transformer_id": "T", "capex_cny": np.asarray(capacities) * 3100.0,
                          "om_cny_per_kw_year": 40.0, "load_kwh_per_year": 0.0,
                          "pilot_category": "public", "eligible": True}, index=ids)
    outcomes = pd.DataFrame({"status": "operating",
                             "commission_date": pd.Timestamp("2026-03-01")}, index=ids)
    downtime = pd.DataFrame({"site_id": pd.Series([], dtype=object), "year": pd.Series([], dtype=int),
                             "downtime_days": pd.Series([], dtype=float)})
    transformers = pd.DataFrame({"export_limit_kw": [limit_kw]}, index=["T"])
    return account(sites, outcomes, downtime, [profile], transformers, start_date=date(2026, 1, 1), horizon_years=3,
                   degradation_first_year_percent=1.0, degradation_percent_per_year=0.5, carbon=CarbonConfig(),
                   economics=EconomicsConfig())


@pytest.fixture(scope="module")
def profile(weather):
    return specific_yield(weather.data, LAT, LON, ALT, 30, 180).to_numpy(np.float32)[:, None]


@SETTINGS
@given(caps=st.lists(st.floats(1, 500), min_size=1, max_size=4), limit=st.floats(10, 2000),
       grow=st.floats(1.0, 3.0), which=st.integers(0, 3))
def test_energy_monotone_in_capacity(profile, caps, limit, grow, which):
    which = which % len(caps)
    base = _accounts(caps, limit, profile)
    bigger = list(caps)
    bigger[which] *= grow
    more = _accounts(bigger, limit, profile)
    assert (base.site_years["energy_mwh"] >= 0).all()
    assert more.totals["energy_mwh"] >= base.totals["energy_mwh"] - 1e-9
    assert more.sites.loc[f"s{which}", "energy_mwh"] >= base.sites.loc[f"s{which}", "energy_mwh"] - 1e-9


@SETTINGS
@given(energy=st.lists(st.floats(0, 1e6), min_size=1, max_size=10), k=st.floats(0, 100))
def test_co2_is_linear_in_energy(energy, k):
    years = pd.Index(range(2026, 2026 + len(energy)))
    e = pd.Series(energy, index=years)
    factor = carbon.resolve_factor(CarbonConfig())
    lc = lifecycle_factor("china_2023")
    a = carbon.avoided_t(e, factor, lc)
    b = carbon.avoided_t(e * k, factor, lc)
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy() * k, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(a["co2_avoided_t"].to_numpy(), e.to_numpy() * factor.by_year(years), rtol=1e-12)


@SETTINGS
@given(n=st.integers(1, 25), seed=st.integers(0, 10_000), mode=st.sampled_from(["budget", "all_at_start", "poisson"]),
       when_full=st.sampled_from(["wait_upgrade", "drop"]), limit=st.floats(20, 400),
       caps=st.lists(st.floats(5, 150), min_size=25, max_size=25))
def test_rollout_conservation(n, seed, mode, when_full, limit, caps):
    ids = [f"x{i:02d}" for i in range(n)]
    sites = pd.DataFrame({"site_type": "rural_home", "capacity_kwp": caps[:n]}, index=ids)
    sites["transformer_id"] = ["A" if i % 2 else "B" for i in range(n)]
    sites["capex_cny"] = sites["capacity_kwp"] * 3100.0
    transformers = pd.DataFrame({"hosting_limit_kw": [limit, limit / 2], "hosting_share_percent": [80.0, 80.0],
                                 "planned_upgrade_date": [pd.NaT, pd.NaT], "planned_upgrade_kva": [0.0, 0.0],
                                 "rating_kva": [limit / 0.8, limit / 1.6]}, index=["A", "B"])
    config = RolloutConfig(release_mode=mode, hosting_when_full=when_full, annual_budget_cny=2e6,
                           poisson_rate_per_day=0.5, build_window_years=2)
    r = simulate(sites, ids, transformers, config, OperationConfig(), seed=seed, start_date=date(2026, 1, 1),
                 horizon_years=4)
    # every released site ends in exactly one terminal state
    assert list(r.outcomes.index) == ids
    assert r.outcomes["status"].isin(STATUSES).all()
    operating = r.outcomes["status"] == "operating"
    assert r.outcomes.loc[operating, "commission_date"].notna().all()
    assert r.outcomes.loc[~operating, "commission_date"].isna().all()
    # built capacity never exceeds the hosting limit (plus upgrades that took effect)
    added = r.upgrades.groupby("transformer_id")["added_hosting_kw"].sum() if len(r.upgrades) else pd.Series(dtype=float)
    built = sites.loc[operating[operating].index].groupby("transformer_id")["capacity_kwp"].sum()
    for t, kw in built.items():
        assert kw <= transformers.loc[t, "hosting_limit_kw"] + added.get(t, 0.0) + 1e-6
    # budget mode: yearly spend within the budget
    if mode == "budget":
        assert all(v <= 2e6 + 1e-6 for v in r.spend_by_year.values())
