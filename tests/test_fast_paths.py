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
    grid.give_back(1, 2.0)  # t1 gets 2 kW: site 3 fits
    grid.undisclosed_kw[0] = 1.0
    grid.disclose()  # t0 gets 1 kW: site 9 fits, 7 (held before 3) does not
    assert held.pop_first_with_room(grid, room) == 3
    assert held.pop_first_with_room(grid, room) == 9
    assert held.pop_first_with_room(grid, room) is None
    assert list(held) == [7] and len(held) == 1
    grid.give_back(0, 4.0)  # 5 kW open on t0
    assert held.pop_first_with_room(grid, room) == 7
    assert not held


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
            grid.give_back(int(rng.integers(0, n_t)), float(rng.choice([0.5, 1.0])))
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
    assert popped > 200 and len(plain) > 50  # the case exercises the rule
