"""The fast paths of issue #27 give what the plain code they replaced gave: each is pinned here against a small
hand-computed case or the plain version of the same rule (ties, repeats and growth included)."""

from __future__ import annotations

import numpy as np

from sim.rollout.setup import GridState, HeldSites


def _grid(free_kw: list[float]) -> GridState:
    n = len(free_kw)
    return GridState(
        free_kw=np.array(free_kw, dtype=float),
        undisclosed_kw=np.zeros(n),
        rating_kva=np.ones(n),
        share_percent=np.full(n, 100.0),
        pending_upgrades=np.zeros(n, dtype=np.int64),
        upgrade_scheduled=np.zeros(n, dtype=bool),
        lead_time_days=np.zeros(n),
        when_full="wait_upgrade",
        upgrade_factor=2.0,
        cost_cny_per_kva=0.0,
        max_upgrades_per_year=None,
    )


def test_held_sites_hand_computed():
    # transformers 0 and 1 full; sites 7 (t0, 5 kW), 3 (t1, 2 kW), 9 (t0, 1 kW) held in that order
    grid = _grid([0.0, 0.0])
    transformer = {7: 0, 3: 1, 9: 0}
    hosting = {7: 5.0, 3: 2.0, 9: 1.0}
    held = HeldSites()
    for site in (7, 3, 9):
        held.append(site, transformer[site])

    def room(site: int) -> bool:
        return hosting[site] <= grid.free_kw[transformer[site]] + 1e-9

    assert held.pop_first_with_room(grid, room) is None
    assert held.transformers() == [0, 1]  # each once, in the order of its first held site
    grid.reopen(1, 2.0)  # t1 gets 2 kW: site 3 fits
    grid.undisclosed_kw[0] = 1.0
    grid.disclose()  # t0 gets 1 kW: site 9 fits, 7 (held before 3) does not
    assert held.pop_first_with_room(grid, room) == 3
    assert held.pop_first_with_room(grid, room) == 9
    assert held.pop_first_with_room(grid, room) is None
    assert list(held) == [7] and len(held) == 1
    grid.reopen(0, 4.0)  # 5 kW open on t0
    assert held.pop_first_with_room(grid, room) == 7
    assert not held


def test_held_to_ask_leaves_out_only_asks_that_do_nothing():
    """Under the rule the office asks about the first held site of each transformer whose upgrade is not on its way:
    sites 7 (t0), 3 (t1), 9 (t0), 4 (t2) held; t1's upgrade is scheduled and t2 has a planned one pending, so only
    site 7 (t0) is asked about, and asking it schedules t0's upgrade as asking every held site would have. Under
    ``hosting_when_full="drop"`` no one is asked; under power flow every held site."""
    from types import SimpleNamespace

    from sim.rollout.model import _held_to_ask

    grid = _grid([0.0, 0.0, 0.0])
    held = HeldSites()
    for site, t in ((7, 0), (3, 1), (9, 0), (4, 2)):
        held.append(site, t)
    world = SimpleNamespace(grid=grid)
    assert _held_to_ask(world, held) == [7, 3, 4]
    grid.upgrade_scheduled[1] = True
    grid.pending_upgrades[2] = 1
    assert _held_to_ask(world, held) == [7]
    assert held.transformers([False, True, True]) == [1, 2] and held.first_per_transformer([0, 0, 1]) == [4]
    grid.when_full = "drop"
    assert _held_to_ask(world, held) == []
    grid.when_full = "wait_upgrade"
    grid.screens = [None, None, None]  # power flow: each held site, in the order held
    assert _held_to_ask(world, held) == [7, 3, 9, 4]


def test_held_sites_equal_a_full_scan():
    """Random holds, reservations (open capacity shrinks), give-backs and disclosures: the first held site with room
    is always the one a scan of the whole list in order finds."""
    rng = np.random.default_rng(5)
    n_t = 4
    grid = _grid([0.0] * n_t)
    transformer = rng.integers(0, n_t, 400)
    hosting = rng.choice([1.0, 2.0, 3.0], 400)  # repeated sizes: ties on one transformer
    held, plain = HeldSites(), []

    def room(site: int) -> bool:
        return bool(hosting[site] <= grid.free_kw[transformer[site]] + 1e-9)

    next_site, popped = 0, 0
    for _ in range(3000):
        action = rng.choice(4, p=[0.4, 0.1, 0.1, 0.4])
        if action == 0 and next_site < 400:  # screening: held without room (as _screen), else reserved
            if room(next_site):
                grid.free_kw[transformer[next_site]] -= hosting[next_site]
            else:
                held.append(next_site, int(transformer[next_site]))
                plain.append(next_site)
            next_site += 1
        elif action == 1:
            grid.reopen(int(rng.integers(0, n_t)), float(rng.choice([0.5, 1.0])))
        elif action == 2:
            grid.undisclosed_kw[rng.integers(0, n_t)] += 1.0
            if rng.random() < 0.5:
                grid.disclose()
        else:
            expected = next((s for s in plain if room(s)), None)
            got = held.pop_first_with_room(grid, room)
            assert got == expected
            if got is not None:
                plain.remove(got)
                grid.free_kw[transformer[got]] -= hosting[got]  # the screening's reservation
                popped += 1
        assert list(held) == plain
        assert held.transformers() == list(dict.fromkeys(int(transformer[s]) for s in plain))
    assert popped > 200 and len(plain) > 50  # the case exercises the rule


def test_release_order_by_track_hand_computed():
    """Tracks take their sites in their strategy's order, track after track, then the sites of types in no track in
    the sites' order; a strategy shared by two tracks and sites of equal type (ties) keep their places."""
    from types import SimpleNamespace

    import pandas as pd

    from sim.pipeline import release_order

    eligible = pd.DataFrame(
        {"site_type": ["rural_home", "fish_pond", "rural_home", "guesthouse", "greenhouse", "fish_pond"]},
        index=pd.Index(["a", "b", "c", "d", "e", "f"], dtype="str"),
    )
    tracks = [
        SimpleNamespace(strategy=None, site_types=["rural_home"]),
        SimpleNamespace(strategy="max_yield", site_types=["fish_pond", "greenhouse"]),
    ]
    prepared = SimpleNamespace(
        scenario=SimpleNamespace(rollout=SimpleNamespace(tracks=tracks)),
        orders={"pilot_quota": ["f", "c", "d", "a", "b", "e"], "max_yield": ["e", "b", "a", "f", "d", "c"]},
        eligible=eligible,
        derived={},  # the preparation's memo (where the eligible sites' types are kept)
    )
    order = release_order(prepared, "pilot_quota", seed=1)
    assert order == ["c", "a", "e", "b", "f", "d"]
    assert all(type(s) is str for s in order)


def _downtime(outages, open_failures, n_sites, year_starts, horizon_days):
    from types import SimpleNamespace

    from sim.rollout.observe import _downtime_table

    collector = SimpleNamespace(downtime=outages, open_failures=open_failures)
    site_ids = np.array([f"s{i}" for i in range(n_sites)], dtype=object)
    return _downtime_table(collector, site_ids, 2026, year_starts, horizon_days)


def test_downtime_table_hand_computed():
    # years start at day 0 (2026), 365 (2027) and 730 (2028); the horizon is day 1000
    outages = [(0, 300.0, 400.0), (1, 700.0, 800.0), (0, 360.0, 370.0), (3, 100.0, 100.0), (4, 1200.0, 1300.0)]
    table = _downtime(outages, {2: 990.0}, 5, [365.0, 730.0], 1000.0)
    assert table.to_dict("list") == {
        "site_id": ["s0", "s0", "s1", "s1", "s2"],
        "year": [2026, 2027, 2027, 2028, 2028],
        "downtime_days": [70.0, 40.0, 30.0, 70.0, 10.0],  # zero-length and after-horizon outages leave no row
    }
    empty = _downtime([(3, 100.0, 100.0)], {}, 5, [365.0], 1000.0)
    assert empty.empty and list(empty.columns) == ["site_id", "year", "downtime_days"]


def test_downtime_table_equals_the_running_sums():
    """Against the plain loop it replaced (a running sum per site-year, outage after outage): the same floats."""
    from bisect import bisect_right

    rng = np.random.default_rng(2)
    year_starts, horizon = [365.0, 730.25, 1095.5, 1460.75], 1600.0
    starts = rng.uniform(0, 1700, 300)
    outages = [(int(s), float(a), float(a + d)) for s, a, d in zip(rng.integers(0, 20, 300), starts,
                                                                     rng.exponential(40, 300))]
    open_failures = {21: 1500.3, 22: 10.7}
    expected: dict[tuple[str, int], float] = {}
    bounds = [0.0, *year_starts]
    for site, t_from, t_to in outages + [(i, t, horizon) for i, t in open_failures.items()]:
        t_to = min(t_to, horizon)
        k = bisect_right(bounds, t_from) - 1
        while t_from < t_to:
            end = min(t_to, bounds[k + 1] if k + 1 < len(bounds) else np.inf)
            expected[(f"s{site}", 2026 + k)] = expected.get((f"s{site}", 2026 + k), 0.0) + (end - t_from)
            t_from, k = end, k + 1
    table = _downtime(outages, open_failures, 23, year_starts, horizon)
    got = {(s, int(y)): d for s, y, d in table.itertuples(index=False)}
    assert got == expected and len(got) > 50
    assert list(table["site_id"]) == sorted(table["site_id"])


def test_shape_index_per_distinct_type():
    """Each site's row of the hourly shapes, found once per distinct type (sim/tables/site_loads.csv)."""
    from sim.load import shape_index, shape_names

    names = shape_names()
    types = np.array(["rural_home", "fish_pond", "rural_home", "greenhouse", "fish_pond"], dtype=object)
    expected = [names.index(s) for s in ("household", "aeration", "household", "greenhouse", "aeration")]
    assert shape_index(types).tolist() == expected
    assert shape_index(np.array([], dtype=object)).tolist() == []


def test_paused_gc_restores_the_collector():
    import gc

    import pytest

    from sim._runtime import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it paused for the outer one
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a collector paused by the caller stays paused
    finally:
        gc.enable()


def test_write_gpkg_through_arrow_is_the_same_file(tmp_path):
    """A new GeoPackage written through Arrow has the bytes of the one written feature by feature."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    from sim.results import GPKG_TIMESTAMP, write_gpkg

    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c"], "capacity_kwp": [1.5, 2.0, float("nan")], "n": [1, 2, 3],
         "built": [True, False, True], "day": pd.to_datetime(["2026-01-02", "2027-03-04", None])},
        geometry=[shapely.Point(115.5, 40.4), shapely.Point(115.6, 40.5), shapely.Point(115.7, 40.6)],
        crs=4326,
    )
    write_gpkg(sites, tmp_path / "arrow.gpkg")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        sites.to_file(tmp_path / "rows.gpkg", layer="sites", driver="GPKG", engine="pyogrio", use_arrow=False)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    assert (tmp_path / "arrow.gpkg").read_bytes() == (tmp_path / "rows.gpkg").read_bytes()



def test_triangular_ppf_of_one_draw_is_the_vectorised_one():
    """One probability goes through the formula as a float (NumPy scalars, not 0-d arrays): the same number as an
    array of probabilities gives, bit for bit, at the mode's threshold, at 0 and near 1, with the mode at either end
    and with no spread. By hand: triangular(1, 2, 5)
    at q = 0.25 (threshold 1/4): 1 + sqrt(0.25 x 4 x 1) = 2."""
    from sim._config import triangular

    assert triangular(1.0, 2.0, 5.0).ppf(0.25) == 2.0
    rng = np.random.default_rng(9)
    qs = np.r_[0.0, 0.25, 1 / 3, 0.5, 1 - 2**-53, rng.random(200)]
    cases = [(0.5, 1.0, 3.0), (2.0, 2.0, 9.0), (2.0, 9.0, 9.0), (4.0, 4.0, 4.0), (0.3, 1.7, 4.9)]
    cases += [tuple(np.sort(rng.uniform(0.1, 30.0, 3))) for _ in range(20)]  # products that round
    for low, mode, high in cases:
        dist = triangular(low, mode, high)
        vector = dist.ppf(qs)
        one = [dist.ppf(float(q)) for q in qs]
        assert all(type(v) is float for v in one)
        assert np.array_equal(vector, one)
