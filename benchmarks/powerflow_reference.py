"""Regenerate ``tests/data/powerflow_reference.json``: pandapower's Newton-Raphson on random radial LV and 10 kV
networks, the independent reference for sim.powerflow's own backward/forward sweep (tests/test_powerflow.py,
tests/test_feeders.py).

pandapower is not a dependency of pvsim: its releases that run under pandas 3 (3.2 and later) pin pandas 2.x, and
those that allow pandas 3 (3.1 and earlier) fail in their result tables under it. Install it on its own, without
its dependencies, in an environment that already runs pvsim::

    pip install --no-deps "pandapower==3.5.6" && python benchmarks/powerflow_reference.py

(or in a separate environment with pandapower 3.5.6 and its own dependencies, pandas 2, and pvsim's: the figures
agree to the digits stored). Each network is stored with its inputs (so the tests need neither pandapower nor this
file's random stream) and pandapower's bus voltages [pu], line loadings [%], transformer loading [%] and transformer
P/Q [MW, Mvar].

``networks``: transformers' LV networks. The pandapower model is the one the method assumes: 10 kV slack at 1.0 pu,
a 10/0.4 kV transformer of vk 4 % and vkr 1.2 % without magnetising branch, cables as pi sections (NAYY 4x150 SE,
or in every other network each cable of a type drawn from sim/tables/lv_cables.csv), constant-power loads and PV at
unity power factor.

``mv_networks``: substations' 10 kV feeders (``sim.powerflow.MV``), modelled as the method assumes: the
substation's 10 kV busbar is the ext_grid at 1.0 pu, no transformer (the main transformers are a thermal limit
only: their loading is |S at the slack| / rating, from pandapower's ext_grid P and Q), lines as pi sections
(149-AL1/24-ST1A 10.0, or in every other network each line of a type drawn from sim/tables/mv_conductors.csv),
constant-power loads and PV at unity power factor; the transformer P/Q stored are the ext_grid's.

The last line: ``reference: networks=N buses=B mv_networks=N mv_buses=B pandapower=VERSION``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "tests" / "data" / "powerflow_reference.json"


def networks(seed: int = 20261203, count: int = 12) -> list[dict]:
    """Random radial networks: 1-25 sites within 600 m, loads, existing PV and new PV, ratings 100-630 kVA; a few
    heavy ones push the voltage to 1.1 pu and the cables past their ampacity."""
    rng = np.random.default_rng(seed)
    return [_case(rng, int(rng.integers(1, 26)), "lv", k % 2 == 1, 600, [100, 200, 315, 400, 630], (5, 20, 30, 15))
            for k in range(count)]


def mv_networks(seed: int = 20261226, count: int = 8) -> list[dict]:
    """Random radial 10 kV feeders: 1-30 buses within 15 km, loads of 0-800 kW a bus, 0-3 MW at the busbar, existing
    PV 0-5 MW and new PV 0-1.5 MW a bus, main transformers of 6.3-40 MVA; the last two with ten times the new PV
    (0-15 MW a bus) push the voltage past 1.07 pu and lines past their ampacity."""
    rng = np.random.default_rng(seed)
    return [{"level": "mv", **_case(rng, int(rng.integers(1, 31)), "mv", k % 2 == 1, 7500,
                                    [6300, 10000, 20000, 31500, 40000],
                                    (800, 3000, 5000, 15000 if k >= count - 2 else 1500))}
            for k in range(count)]


def _case(rng, n: int, level: str, typed: bool, half_span_m: float, ratings: list[float],
          max_kw: tuple[float, float, float, float]) -> dict:
    """A random case of ``n`` sites within ``half_span_m`` of the busbar: a rating of ``ratings``, each site's load,
    the busbar's load, the existing PV and each site's new PV up to ``max_kw`` (in that order); ``typed``: each
    cable of a type drawn from the level's table (sim/tables/lv_cables.csv or mv_conductors.csv: the line layer's
    or the feeder layer's case)."""
    load, busbar, existing, pv = max_kw
    return {
        "sites_xy_m": rng.uniform(-half_span_m, half_span_m, (n, 2)).round(1).tolist(),
        "rating_kva": float(rng.choice(ratings)),
        "load_kw": rng.uniform(0, load, n).round(3).tolist(),
        "busbar_load_kw": round(float(rng.uniform(0, busbar)), 3),
        "existing_kw": round(float(rng.uniform(0, existing)), 3),
        "output_per_kw_ac": rng.uniform(0.5, 0.9, n).round(4).tolist(),
        "pv_kw": [0.0, *rng.uniform(0, pv, n).round(3).tolist()],
        "cable_types": rng.choice(cable_types(level), n).tolist() if typed else None,
    }


def cable_types(level: str = "lv") -> list[str]:
    return sorted(_cable_table(level).index)


def _cable_table(level: str):
    from sim.inputs import lv_cable_table, mv_conductor_table

    return mv_conductor_table() if level == "mv" else lv_cable_table()


def network(case: dict):
    """The case's :class:`sim.powerflow.Network` (also used by tests/test_powerflow.py and tests/test_feeders.py):
    an LV network, or a 10 kV one (``level`` "mv")."""
    from dataclasses import replace

    from sim import powerflow as pf

    level = case.get("level", "lv")
    net = pf.synthetic_network((0.0, 0.0), np.array(case["sites_xy_m"]), rating_kva=case["rating_kva"],
                               load_kw=np.array(case["load_kw"]), busbar_load_kw=case["busbar_load_kw"],
                               existing_kw=case["existing_kw"], output_per_kw_ac=np.array(case["output_per_kw_ac"]),
                               level=pf.MV if level == "mv" else pf.LV)
    if not case.get("cable_types"):
        return net
    table = _cable_table(level).loc[case["cable_types"]]
    return replace(net, **{c: table[c].to_numpy(float) for c in ("r_ohm_per_km", "x_ohm_per_km", "c_nf_per_km",
                                                                   "max_i_ka")})


def pandapower_flow(case: dict) -> dict:
    from sim import powerflow as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "numba cannot be imported"
        import pandapower as pp
    net = network(case)
    m = len(net.parent)
    # pandapower's plural create_* functions: the single-element ones fail on empty tables under pandas 3
    ppn = pp.create_empty_network()
    pp.create_buses(ppn, m + 1, np.r_[pf.MV_KV, np.full(m, pf.LV_KV)])
    ppn.ext_grid = pd.DataFrame({"name": [None], "bus": [0], "vm_pu": 1.0, "va_degree": 0.0, "slack_weight": 1.0,
                                 "in_service": True, "controllable": False}).astype(ppn.ext_grid.dtypes.to_dict())
    pp.create_transformers_from_parameters(ppn, [0], [1], sn_mva=net.rating_kva / 1000.0, vn_hv_kv=pf.MV_KV,
                                           vn_lv_kv=pf.LV_KV, vk_percent=pf.TRAFO_VK_PERCENT,
                                           vkr_percent=pf.TRAFO_VKR_PERCENT, pfe_kw=0.0, i0_percent=0.0)
    if m > 1:
        pp.create_lines_from_parameters(ppn, 1 + net.parent[1:], 1 + np.arange(1, m), length_km=net.length_km,
                                        r_ohm_per_km=net.r_ohm_per_km, x_ohm_per_km=net.x_ohm_per_km,
                                        c_nf_per_km=net.c_nf_per_km, max_i_ka=net.max_i_ka)
    pp.create_loads(ppn, 1 + np.arange(m), p_mw=net.load_kw / 1000.0)
    injection = np.asarray(case["pv_kw"]) * net.output_per_kw_ac
    injection[0] += net.existing_kw
    pp.create_sgens(ppn, 1 + np.arange(m), p_mw=injection / 1000.0)
    pp.runpp(ppn, numba=False, calculate_voltage_angles=False, tolerance_mva=1e-10)
    return {
        "vm_pu": ppn.res_bus["vm_pu"].to_numpy()[1:].round(10).tolist(),
        "line_loading_percent": (ppn.res_line["loading_percent"].to_numpy().round(8).tolist() if m > 1 else []),
        "trafo_loading_percent": round(float(ppn.res_trafo["loading_percent"].iloc[0]), 8),
        "trafo_p_mw": round(float(ppn.res_trafo["p_hv_mw"].iloc[0]), 10),
        "trafo_q_mvar": round(float(ppn.res_trafo["q_hv_mvar"].iloc[0]), 10),
    }


def pandapower_mv_flow(case: dict) -> dict:
    """pandapower's flow of a 10 kV case: the busbar (bus 0) the ext_grid at 1.0 pu, no transformer; the main
    transformers' loading and flow from the ext_grid's P and Q."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "numba cannot be imported"
        import pandapower as pp
    net = network(case)
    m = len(net.parent)
    ppn = pp.create_empty_network()
    pp.create_buses(ppn, m, net.kv)
    ppn.ext_grid = pd.DataFrame({"name": [None], "bus": [0], "vm_pu": 1.0, "va_degree": 0.0, "slack_weight": 1.0,
                                 "in_service": True, "controllable": False}).astype(ppn.ext_grid.dtypes.to_dict())
    if m > 1:
        pp.create_lines_from_parameters(ppn, net.parent[1:], np.arange(1, m), length_km=net.length_km,
                                        r_ohm_per_km=net.r_ohm_per_km, x_ohm_per_km=net.x_ohm_per_km,
                                        c_nf_per_km=net.c_nf_per_km, max_i_ka=net.max_i_ka)
    pp.create_loads(ppn, np.arange(m), p_mw=net.load_kw / 1000.0)
    injection = np.asarray(case["pv_kw"]) * net.output_per_kw_ac
    injection[0] += net.existing_kw
    pp.create_sgens(ppn, np.arange(m), p_mw=injection / 1000.0)
    pp.runpp(ppn, numba=False, calculate_voltage_angles=False, tolerance_mva=1e-10)
    p, q = (float(ppn.res_ext_grid[c].iloc[0]) for c in ("p_mw", "q_mvar"))
    return {
        "vm_pu": ppn.res_bus["vm_pu"].to_numpy().round(10).tolist(),
        "line_loading_percent": (ppn.res_line["loading_percent"].to_numpy().round(8).tolist() if m > 1 else []),
        "trafo_loading_percent": round(100.0 * float(np.hypot(p, q)) / (net.rating_kva / 1000.0), 8),
        "trafo_p_mw": round(p, 10),
        "trafo_q_mvar": round(q, 10),
    }


def main() -> None:
    import pandapower

    cases = networks()
    for case in cases:
        case["pandapower"] = pandapower_flow(case)
    mv = mv_networks()
    for case in mv:
        case["pandapower"] = pandapower_mv_flow(case)
    OUT.write_text(json.dumps({"pandapower": pandapower.__version__, "networks": cases, "mv_networks": mv},
                              indent=None) + "\n")
    buses = sum(len(c["sites_xy_m"]) + 1 for c in cases)
    mv_buses = sum(len(c["sites_xy_m"]) + 1 for c in mv)
    print(f"reference: networks={len(cases)} buses={buses} mv_networks={len(mv)} mv_buses={mv_buses} "
          f"pandapower={pandapower.__version__}")


if __name__ == "__main__":
    main()
