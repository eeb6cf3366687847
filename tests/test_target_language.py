"""No target, no target language; identical strategies say why (issue 25 point 6)."""

from __future__ import annotations

import pandas as pd

from sim.report.compare import identical_note
from sim.report.run import key_figures, run_warnings


def _summary(target):
    return {"horizon_years": 3, "target_capacity_kwp": target,
            "milestones": {"25%": "2026-03-01", "50%": "2026-06-01", "90%": None, "95%": None, "100%": None},
            "pilot_coverage": {"party_government": {"candidates": 0, "met": False, "share_percent": 0},
                               "rural_home": {"candidates": 10, "met": False, "share_percent": 5}}}


def test_without_a_target_the_milestones_are_of_the_capacity_released():
    warnings = run_warnings(_summary(None))
    missed = [w for w in warnings if "not" in w and "%" in w and "pilot" not in w]
    assert len(missed) == 3 and all("capacity released" in w and "target was" not in w for w in missed)
    card = key_figures(_summary(None))[-1]
    assert "capacity released" in card[0] and "no capacity target" in card[2]


def test_with_a_target_the_milestones_are_of_the_target():
    warnings = run_warnings(_summary(2000.0), target_kwp=2000.0)
    assert sum("of the target was not reached" in w for w in warnings) == 3
    assert "target" in key_figures(_summary(2000.0), target_kwp=2000.0)[-1][0]


def test_a_pilot_category_without_roofs_is_not_missed():
    warnings = " ".join(run_warnings(_summary(None)))
    assert "rural homes" in warnings.lower() or "rural" in warnings.lower()
    assert "government" not in warnings.lower()


def test_identical_strategies_say_why():
    runs = pd.DataFrame({"strategy": ["a", "b", "a", "b"], "replication": [0, 0, 1, 1], "seed": [1, 1, 2, 2],
                         "capacity_kwp": [10.0, 10.0, 12.0, 12.0], "co2_t": [5.0, 5.0, 6.0, 6.0]})
    assert "day one" in identical_note(runs, ["a", "b"], "all_at_start", "en")
    assert "did not make the order" in identical_note(runs, ["a", "b"], "budget", "en")
    differ = runs.assign(co2_t=[5.0, 5.1, 6.0, 6.0])
    assert identical_note(differ, ["a", "b"], "all_at_start", "en") is None
    assert identical_note(runs[runs.strategy == "a"], ["a"], "all_at_start", "en") is None
