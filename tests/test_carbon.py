"""Carbon accounting: AMS-I.D by hand, factor table, combined margin, trajectories, life-cycle, input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.carbon import (
    LIFECYCLE_BASES,
    PATHS,
    CarbonConfig,
    ams_id_t,
    avoided_t,
    footprint_uplift,
    green_certificates,
    lifecycle_avoided_t,
    load_table,
    path_table,
    resolve_factor,
    resolve_factors,
)
from sim.errors import InputError

from .conftest import path_factor


def _series(values: dict[int, float]) -> pd.Series:
    return pd.Series(values, dtype=float)


def test_national_2023_gross_by_hand():
    """1,000 MWh x 0.5306 kgCO2/kWh = 1,000,000 kWh x 0.5306 kg = 530,600 kg = 530.6 t."""
    factor = resolve_factor(CarbonConfig(scope="national", region="national", year=2023, factor_basis="fixed_ex_ante"))
    out = avoided_t(_series({2024: 1000.0}), factor, 0.0)
    assert out.loc[2024, "co2_avoided_t"] == pytest.approx(530.6, abs=1e-9)
    assert ams_id_t(1000.0, 0.5306) == pytest.approx(530.6, abs=1e-9)
    assert factor.method == "average"
    assert "2023" in factor.source and "MEE" in factor.source


def test_units_kwh_mwh_kg_t_consistent():
    """The same energy in kWh x kg/kWh / 1000 gives kg -> t, matching the MWh route."""
    factor = resolve_factor(CarbonConfig(scope="regional", region="North", year=2023))
    energy_kwh = 2_345_678.0
    kg = energy_kwh * float(factor.by_year([2030])[0])
    out = avoided_t(_series({2030: energy_kwh / 1000.0}), factor, 0.0)
    assert out.loc[2030, "co2_avoided_t"] == pytest.approx(kg / 1000.0, rel=1e-12)


def test_default_is_north_china_2023_and_table_values():
    cfg = CarbonConfig()
    assert (cfg.scope, cfg.region, cfg.year, cfg.factor_basis, cfg.path) == ("regional", "North", 2023, "projected",
                                                                               "central")
    assert resolve_factor(cfg).by_year([2023])[0] == pytest.approx(0.6361)
    table = load_table()
    assert set(table["kind"]) == {"average", "footprint", "operating_margin"}  # no build-margin row: none sourced
    assert table["source"].str.len().min() > 40
    v = table.set_index(["scope", "region", "year"])["kgco2_per_kwh"]
    assert v[("provincial", "Hebei", 2022)] == pytest.approx(0.7252)
    assert v[("regional", "Southwest", 2022)] == pytest.approx(0.2268)
    assert v[("national", "national", 2022)] == pytest.approx(0.5366)
    for r in ("North", "Northeast", "East", "Central", "Northwest", "Southern", "Southwest"):
        assert {2022, 2023} <= set(table[table["region"] == r]["year"])


def test_combined_margin_by_hand():
    """EF_CM = 0.75 x 0.90 + 0.25 x 0.60 = 0.675 + 0.150 = 0.825 kgCO2/kWh; 200 MWh -> 165 t."""
    cfg = CarbonConfig(method="combined_margin", om_kgco2_per_kwh=0.90, bm_kgco2_per_kwh=0.60)
    factor = resolve_factor(cfg)
    assert factor.method == "combined_margin"
    assert "Tool 07" in factor.source or "tool 07" in factor.source
    out = avoided_t(_series({2026: 200.0}), factor, 0.0)
    assert out.loc[2026, "co2_avoided_t"] == pytest.approx(165.0)


def test_combined_margin_takes_the_latest_sourced_om_edition():
    """North's 2016-edition OM (2012-2014 data) from the table: EF_CM = 0.75 x OM + 0.25 x 0.5."""
    table = load_table()
    om = table[(table["kind"] == "operating_margin") & (table["region"] == "North")]
    assert om["year"].tolist() == [2016] and "2016" in om["source"].iloc[0]
    factor = resolve_factor(CarbonConfig(method="combined_margin", bm_kgco2_per_kwh=0.5))
    assert factor.by_year([2030])[0] == pytest.approx(0.75 * float(om["kgco2_per_kwh"].iloc[0]) + 0.25 * 0.5)
    assert "2016 edition" in factor.source and "BM: user value" in factor.source
    with pytest.raises(InputError, match="operating margin"):
        resolve_factor(CarbonConfig(method="combined_margin", region="Southwest", bm_kgco2_per_kwh=0.5))


def test_combined_margin_needs_a_build_margin():
    with pytest.raises(ValueError, match="bm_kgco2_per_kwh"):
        CarbonConfig(method="combined_margin", om_kgco2_per_kwh=0.9)
    with pytest.raises(ValueError, match="combined_margin"):
        CarbonConfig(om_kgco2_per_kwh=0.9)  # om given with method average


def test_weights_must_sum_to_one():
    with pytest.raises(ValueError, match="must be 1"):
        CarbonConfig(method="combined_margin", om_kgco2_per_kwh=0.9, bm_kgco2_per_kwh=0.6, om_weight=0.5,
                     bm_weight=0.25)


def test_trajectory_linear_between_flat_outside():
    """{2025: 0.6, 2035: 0.4}: 2030 -> 0.5; 2027 -> 0.6 - 0.02 x 2 = 0.56; 2020 -> 0.6; 2040 -> 0.4.

    Energy 100 MWh per year in 2024, 2027, 2030, 2040 -> 60 + 56 + 50 + 40 = 206 t.
    """
    factor = resolve_factor(CarbonConfig(trajectory={2035: 0.4, 2025: 0.6}))
    np.testing.assert_allclose(factor.by_year([2020, 2025, 2027, 2030, 2035, 2040]),
                               [0.6, 0.6, 0.56, 0.5, 0.4, 0.4])
    out = avoided_t(_series({2024: 100.0, 2027: 100.0, 2030: 100.0, 2040: 100.0}), factor, 0.0)
    np.testing.assert_allclose(out["co2_avoided_t"].to_numpy(), [60.0, 56.0, 50.0, 40.0])
    assert out["co2_avoided_t"].sum() == pytest.approx(206.0)


def test_user_factor_overrides_table():
    factor = resolve_factor(CarbonConfig(region="Atlantis", factor_kgco2_per_kwh=0.8))
    assert factor.by_year([2000, 2050]).tolist() == [0.8, 0.8]
    assert "user" in factor.source


def test_lifecycle_compares_footprint_with_footprint():
    """1,000 MWh in 2024 on the national grid: AMS-I.D at the 2023 average 0.5306 carried along the central path;
    the life-cycle grid factor is the same factor x 0.6205 / 0.5306 (the national footprint over the national
    average of 2023), so 1,000 x (f x 0.6205 / 0.5306 - 0.0545) t CO2e: never the combustion-only factor minus a
    life-cycle one, never a national footprint against a regional average."""
    cfg = CarbonConfig(scope="national", region="national", year=2023)
    assert cfg.lifecycle_factor_kgco2e_per_kwh == pytest.approx(0.0545)
    f2024 = path_factor(2024, ef_last=0.5306)
    out = avoided_t(_series({2024: 1000.0}), resolve_factor(cfg), cfg.lifecycle_factor_kgco2e_per_kwh)
    assert out.loc[2024, "co2_avoided_t"] == pytest.approx(1000 * f2024)
    assert out.loc[2024, "co2_avoided_lifecycle_t"] == pytest.approx(1000 * (f2024 * 0.6205 / 0.5306 - 0.0545))
    assert footprint_uplift()[0] == pytest.approx(0.6205 / 0.5306)
    assert lifecycle_avoided_t(1000.0, 0.6205, 0.0545) == pytest.approx(566.0)
    with pytest.raises(InputError, match="life-cycle"):
        lifecycle_avoided_t(1.0, 0.6, -0.1)


def test_a_users_factor_flows_into_both_co2_figures():
    """carbon.factor_kgco2_per_kwh 0.07: AMS-I.D 1,000 MWh x 0.07 = 70 t; life cycle 1,000 x (0.07 x 0.6205 /
    0.5306 - 0.0545) = 27.36 t, below the AMS-I.D figure (it exceeded it when a national footprint was used)."""
    cfg = CarbonConfig(factor_kgco2_per_kwh=0.07)
    out = avoided_t(_series({2030: 1000.0}), resolve_factor(cfg), cfg.lifecycle_factor_kgco2e_per_kwh)
    assert out.loc[2030, "co2_avoided_t"] == pytest.approx(70.0)
    assert out.loc[2030, "co2_avoided_lifecycle_t"] == pytest.approx(1000 * (0.07 * 0.6205 / 0.5306 - 0.0545))
    assert out.loc[2030, "co2_avoided_lifecycle_t"] < out.loc[2030, "co2_avoided_t"]


def test_paths_follow_their_cited_pathways():
    """North: published 0.6776 (2022) and 0.6361 (2023); then each path in proportion to its pathway's coal share of
    generation. Central (IEA APS, 63 % in 2020 -> 47 % in 2030): level 1 - 0.3 x (1 - 47/63) = 0.9238 in 2023,
    47/63 x 25/30 = 0.6217 in 2035, so 2035 = 0.6361 x 0.6217 / 0.9238 = 0.4281 kgCO2/kWh; 0 from 2060."""
    factors = resolve_factors(CarbonConfig())
    assert factors["central"].by_year([2035])[0] == pytest.approx(0.6361 * (47 / 63 * 25 / 30) / (1 - 0.3 * (16 / 63)))
    assert factors["central"].by_year([2035])[0] == pytest.approx(0.4281, abs=5e-5)
    for path in PATHS:
        f = factors[path].by_year([2022, 2023, 2024, 2030, 2035, 2045, 2060])
        assert f[:2] == pytest.approx([0.6776, 0.6361])
        assert f[2:] == pytest.approx([path_factor(y, path) for y in (2024, 2030, 2035, 2045, 2060)], rel=1e-9)
    assert factors["central"].by_year([2060, 2070]) == pytest.approx([0.0, 0.0])
    low, central, high = (factors[p].by_year([2040])[0] for p in ("low", "central", "high"))
    assert low < central < high < 0.6361
    assert "IEA APS" in factors["central"].source and "national policy" in factors["central"].source
    table = path_table()
    assert table["source"].str.len().gt(40).all()


def test_fixed_ex_ante_is_renewed_at_each_crediting_period():
    """Fixed ex ante from 2026 with 7-year crediting periods: 2023's 0.6361 for 2026-2032, then the central path's
    2030 value for 2033-2039 and its 2037 value for 2040-2046; 10-year periods: 0.6361 for 2026-2035, then 2033's."""
    seven = resolve_factors(CarbonConfig(factor_basis="fixed_ex_ante", crediting_start_year=2026))["central"]
    assert seven.by_year([2026, 2032]) == pytest.approx([0.6361, 0.6361])
    assert seven.by_year([2033, 2039]) == pytest.approx([path_factor(2030)] * 2)
    assert seven.by_year([2040, 2046]) == pytest.approx([path_factor(2037)] * 2)
    ten = resolve_factors(CarbonConfig(factor_basis="fixed_ex_ante", crediting_start_year=2026,
                                       crediting_period_years=10))["central"]
    assert ten.by_year([2035, 2036]) == pytest.approx([0.6361, path_factor(2033)])


def test_lifecycle_bases():
    assert CarbonConfig(lifecycle_basis="ipcc_ar5_rooftop").lifecycle_factor_kgco2e_per_kwh == pytest.approx(0.041)
    assert CarbonConfig(lifecycle_basis="ipcc_ar5_utility").lifecycle_factor_kgco2e_per_kwh == pytest.approx(0.048)
    custom = CarbonConfig(lifecycle_kgco2e_per_kwh=0.03)
    assert custom.lifecycle_basis == "custom" and custom.lifecycle_factor_kgco2e_per_kwh == 0.03
    with pytest.raises(ValueError, match="custom"):
        CarbonConfig(lifecycle_basis="custom")
    with pytest.raises(ValueError, match="custom"):
        CarbonConfig(lifecycle_basis="ipcc_ar5_utility", lifecycle_kgco2e_per_kwh=0.03)
    assert all(len(src) > 40 for _, src in LIFECYCLE_BASES.values())


def test_unknown_region_lists_available():
    with pytest.raises(InputError) as e:
        resolve_factor(CarbonConfig(region="Huabei"))
    assert e.value.field == "carbon.region"
    for r in ("North", "Northeast", "Southwest"):
        assert r in str(e.value)


def test_region_in_other_scope_is_pointed_out():
    with pytest.raises(InputError, match="provincial"):
        resolve_factor(CarbonConfig(scope="regional", region="Hebei", year=2022))


def test_missing_year_lists_years_and_nearest():
    with pytest.raises(InputError) as e:
        resolve_factor(CarbonConfig(scope="provincial", region="Hebei", year=2025))
    assert e.value.field == "carbon.year"
    msg = str(e.value)
    assert "nearest year available: 2022" in msg and "2022" in e.value.allowed
    with pytest.raises(InputError, match="nearest year available: 2023"):
        resolve_factor(CarbonConfig(region="North", year=2030))
    with pytest.raises(InputError, match="nearest year available: 2022"):
        resolve_factor(CarbonConfig(region="North", year=2019))


def test_case_insensitive_region():
    assert resolve_factor(CarbonConfig(region="north", year=2022)).by_year([2022])[0] == pytest.approx(0.6776)


@pytest.mark.parametrize("kwargs", [
    {"factor_kgco2_per_kwh": 2.0},
    {"factor_kgco2_per_kwh": -0.1},
    {"factor_kgco2_per_kwh": 530.6},
    {"trajectory": {2025: 0.5, 2030: 2.0}},
    {"method": "combined_margin", "om_kgco2_per_kwh": 900.0, "bm_kgco2_per_kwh": 0.6},
])
def test_implausible_factors_rejected(kwargs):
    with pytest.raises(ValueError, match="unit error"):
        CarbonConfig(**kwargs)


def test_factor_and_trajectory_conflict_and_unknown_key():
    with pytest.raises(ValueError, match="not both"):
        CarbonConfig(factor_kgco2_per_kwh=0.5, trajectory={2025: 0.5})
    with pytest.raises(ValueError):
        CarbonConfig(regoin="North")


def test_green_certificates_one_per_whole_mwh():
    assert green_certificates(999.99) == 999
    assert green_certificates(1000.0) == 1000
    assert green_certificates(0.3 * 10) == 3  # 2.9999999999999996 MWh from float arithmetic
    np.testing.assert_array_equal(green_certificates(np.array([0.0, 1.5, 12.0])), [0, 1, 12])


def test_the_lifecycle_factor_names_its_source():
    from sim.carbon import CarbonConfig

    assert "MEE, NBS & NEA" in CarbonConfig(lifecycle_basis="china_2023").lifecycle_source
    assert "scenario" in CarbonConfig(lifecycle_basis="custom", lifecycle_kgco2e_per_kwh=0.05).lifecycle_source


def test_a_grid_factor_may_be_anything_from_0_to_1_5_kg_per_kwh_inclusive():
    """The unit check's bounds (0..1.5 kgCO2/kWh) are inclusive: a zero factor (a hydro grid) and 1.5 pass, a
    hair outside either fails naming the key."""
    from pydantic import ValidationError

    from sim.carbon import MAX_FACTOR_KGCO2_PER_KWH

    for ok in (0.0, MAX_FACTOR_KGCO2_PER_KWH):
        assert CarbonConfig(factor_kgco2_per_kwh=ok).factor_kgco2_per_kwh == ok
        assert CarbonConfig(trajectory={2026: ok}).trajectory == {2026: ok}
    for bad in (-1e-9, MAX_FACTOR_KGCO2_PER_KWH + 1e-9, float("nan")):
        with pytest.raises(ValidationError, match="factor_kgco2_per_kwh"):
            CarbonConfig(factor_kgco2_per_kwh=bad)
