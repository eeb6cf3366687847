"""Benchmark of the vectorised yield engine against one pvlib ModelChain per site.

Run: ``python benchmarks/yield.py``. Prints one line per N (distinct orientations, mixed mounts) and a last line
``ms_per_orientation=<ms at N=10000> speedup_vs_modelchain=<ratio> peak_rss_mb=<MB>``.
Targets: <= 0.5 ms per orientation-year, >= 100x faster than ModelChain, <= 2 GB peak RSS.
"""

from __future__ import annotations

import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.energy import SystemConfig, archetype_profiles  # noqa: E402
from sim.weather import (  # noqa: E402
    BEIJING_GHI_KWH_PER_M2_DAY,
    BEIJING_TEMP_AIR_C,
    BEIJING_WIND_SPEED_M_PER_S,
    synthetic_year,
)

LAT, LON, ALT = 39.9, 116.4, 50.0
MOUNTS = ("roof_parallel", "fixed_rack", "carport", "fishery", "greenhouse")
REPEATS = 2


def orientations(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n distinct monofacial orientations (tilt/azimuth/mount/GCR combinations)."""
    return pd.DataFrame({
        "mount": rng.choice(MOUNTS, n),
        "surface_tilt": rng.uniform(0, 60, n),
        "surface_azimuth": rng.uniform(60, 300, n),
        "gcr": rng.uniform(0.2, 0.6, n),
        "height_m": 1.0,
        "tracking": False,
        "bifaciality": 0.0,
    })


def modelchain_seconds_per_site(weather, n_sites: int, rng: np.random.Generator) -> float:
    """Time one PVWatts ModelChain per site (solar position and transposition redone each time, as per-site code
    would)."""
    data = weather.data.copy()
    data.index = data.index + pd.Timedelta("30min")  # mid-interval stamps for the sun
    location = pvlib.location.Location(LAT, LON, altitude=ALT, tz="Etc/GMT-8")
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]
    t0 = time.perf_counter()
    for tilt, az in zip(rng.uniform(0, 60, n_sites), rng.uniform(60, 300, n_sites)):
        system = pvlib.pvsystem.PVSystem(
            surface_tilt=tilt, surface_azimuth=az, albedo=0.2,
            module_parameters={"pdc0": 1.0, "gamma_pdc": -0.0037},
            inverter_parameters={"pdc0": 1.0 / 1.2 / 0.96, "eta_inv_nom": 0.96},
            losses_parameters={}, temperature_model_parameters=params)
        mc = pvlib.modelchain.ModelChain(system, location, transposition_model="perez", aoi_model="physical",
                                         spectral_model="no_loss", losses_model="pvwatts")
        mc.run_model(data)
    return (time.perf_counter() - t0) / n_sites


def main() -> None:
    warnings.simplefilter("ignore")
    weather = synthetic_year(LAT, LON, ALT, BEIJING_GHI_KWH_PER_M2_DAY, BEIJING_TEMP_AIR_C,
                             BEIJING_WIND_SPEED_M_PER_S, year=2023, seed=0)
    rng = np.random.default_rng(2023)
    system = SystemConfig()
    mc_s = modelchain_seconds_per_site(weather, 20, rng)
    print(f"modelchain: {mc_s * 1000:.1f} ms per site-year (mean of 20 sites)")
    ms = float("nan")
    for n in (10, 1_000, 10_000):
        table = orientations(n, rng)
        walls, cpus = [], []
        profiles = None
        for _ in range(REPEATS):  # best of REPEATS: the machine may be shared
            profiles = None  # free the previous result before timing the next run
            t0, c0 = time.perf_counter(), time.process_time()
            profiles = archetype_profiles(weather, table, system)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        dt = min(walls)
        ms = dt / n * 1000
        annual = profiles.sum(axis=0)
        print(f"N={n}: {dt:.3f} s wall (best of {REPEATS}), {ms:.3f} ms per orientation-year wall, "
              f"{min(cpus) / n * 1000:.3f} ms CPU, speedup {mc_s * 1000 / ms:.0f}x, "
              f"annual yield {annual.min():.0f}..{annual.max():.0f} kWh/kWp, profiles {profiles.nbytes / 1e6:.0f} MB")
        del profiles
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB
    print(f"ms_per_orientation={ms:.3f} speedup_vs_modelchain={mc_s * 1000 / ms:.0f} peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
