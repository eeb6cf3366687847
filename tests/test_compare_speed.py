"""What makes a comparison cheap without changing a result: seed-independent orders computed once, runs of one
release order and seed simulated once, the optimisers solved while the other runs go on, and local workers started
without Dask's malloc setting."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from sim import pipeline, strategies
from sim.experiment import WORKER_ENVIRON, Job, _Group, _needs_solve, _shared_runs, run_tasks
from sim.results import jsonable

from .conftest import scenario_dict, write_scenario
from .test_strategies import CTX, county


def test_seed_independent_strategies_order_the_same_under_any_seed():
    sites = county()
    for name in sorted(strategies.SEED_INDEPENDENT - strategies.PLANNED):
        orders = {tuple(strategies.order_sites(name, sites, replace(CTX, seed=s))) for s in range(1, 6)}
        assert len(orders) == 1, name
    # every other built-in reads the seed: random alone
    assert set(strategies.available()) - strategies.SEED_INDEPENDENT == {"random"}


@pytest.fixture(scope="module")
def prepared(tiny_county, tmp_path_factory, cache_dir):
    """The demo scenario (three tracks) on the tiny county, prepared, its heuristics' orders computed once."""
    import sim

    scenario = sim.load_scenario(write_scenario(tmp_path_factory.mktemp("speed"), scenario_dict(tiny_county)))
    prepared = pipeline.prepare(scenario, cache_dir=cache_dir)
    pipeline.precompute_orders(prepared, sorted(strategies.SEED_INDEPENDENT - strategies.PLANNED))
    return prepared


def test_precomputed_orders_are_the_orders_each_run_computes(prepared):
    for name in strategies.SEED_INDEPENDENT - strategies.PLANNED:
        ctx = pipeline.strategy_context(prepared, 12345)
        assert prepared.orders[name] == strategies.order_sites(name, prepared.eligible, ctx), name
    assert "random" not in prepared.orders and not (strategies.PLANNED & set(prepared.orders))


def _same_order_pair(prepared) -> tuple[str, str]:
    """Two strategies with one release order under the demo's tracks (carbon per CNY within each track)."""
    a, b = "agri_tourism_first", "max_carbon_per_cny"
    assert pipeline.release_order(prepared, a, 1) == pipeline.release_order(prepared, b, 1)
    return a, b


def test_one_simulation_gives_each_strategy_its_own_run(prepared):
    a, b = _same_order_pair(prepared)
    shared = run_tasks(prepared, [a, b], 11)
    for name, payload in zip((a, b), shared, strict=True):
        alone = pipeline.run_prepared(prepared, name, 11)
        assert payload["summary"] == jsonable(alone.summary) and payload["summary"]["strategy"] == name
        assert payload["annual"].equals(alone.annual.reset_index(drop=True))
    with pytest.raises(ValueError, match="same order"):
        pipeline.run_same_order(prepared, ["max_yield", "random"], 11)


def test_a_comparisons_run_keeps_no_event_log_and_cannot_be_written_as_a_run(prepared, tmp_path):
    """tables_only: the summary and tables of the full run, without the event log (made only when read), which a
    run folder needs."""
    from sim.results import write_outputs

    lean = pipeline.run_prepared(prepared, "max_yield", 11, tables_only=True)
    full = pipeline.run_prepared(prepared, "max_yield", 11)
    assert lean.events is None and len(full.events) > 0 and lean.summary == full.summary
    with pytest.raises(ValueError, match="no event log"):
        write_outputs(lean, tmp_path / "run")
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_runs_share_a_task_only_with_one_order_job_and_seed(prepared):
    a, b = _same_order_pair(prepared)
    job = Job(prepared.scenario, [a, b, "max_yield", "random"], 2, a, prepared.scenario.base_dir)
    group = _Group([job], prepared=[prepared])
    todo = [(0, (s, r, 100 + r)) for s in job.names for r in range(2)]
    tasks = _shared_runs(group, todo, run_fn=None)
    assert sorted(sorted(run[0] for run in runs) + [str(runs[0][2])] for _, runs in tasks) == sorted(
        [[a, b, "100"], [a, b, "101"], ["max_yield", "100"], ["max_yield", "101"], ["random", "100"],
         ["random", "101"]]
    )
    # with a user's run function, every run is a call of it
    assert len(_shared_runs(group, todo, run_fn=lambda p, s, seed: None)) == len(todo)


def test_only_runs_ordered_by_an_unsolved_optimiser_wait_for_the_solve(prepared):
    job = Job(prepared.scenario, ["optimal", "max_yield", "random"], 1, "random", prepared.scenario.base_dir)
    group = _Group([job], prepared=[prepared])
    assert [_needs_solve(group, 0, s) for s in job.names] == [True, False, False]


def test_local_workers_start_without_dasks_malloc_trim_threshold():
    import dask
    from distributed.nanny import _get_env_variables

    key = "distributed.nanny.pre-spawn-environ"
    assert _get_env_variables(key).get("MALLOC_TRIM_THRESHOLD_") == os.environ.get("MALLOC_TRIM_THRESHOLD_", "65536")
    with dask.config.set(WORKER_ENVIRON):
        assert "MALLOC_TRIM_THRESHOLD_" not in _get_env_variables(key)
        assert _get_env_variables(key).get("OMP_NUM_THREADS") == os.environ.get("OMP_NUM_THREADS", "1")


@pytest.mark.slow
def test_a_local_workers_environment_has_no_malloc_trim_threshold(monkeypatch):
    from sim.experiment import dask_client

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with dask_client(1, None, 1) as client:
        found = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(found.values()) == [None]


def test_a_solve_is_kept_and_read_back_only_for_the_same_model(tmp_path, monkeypatch):
    """max x1 + 2 x2 + 3 x3 over binaries with x1 + x2 + x3 <= 2: x = (0, 1, 1), objective -5 (by hand)."""
    import numpy as np
    from scipy import sparse

    from sim import planning

    cost, matrix = np.array([-1.0, -2.0, -3.0]), sparse.csr_matrix(np.ones((1, 3)))
    lower, upper, config = np.array([-np.inf]), np.array([2.0]), planning.PlanningConfig()
    x, solution = planning.solve_binary(cost, matrix, lower, upper, config, cache_dir=tmp_path)
    assert x.tolist() == [0.0, 1.0, 1.0] and solution.objective == pytest.approx(-5.0)
    assert len(list(tmp_path.glob("solve_*.npz"))) == 1

    def no_solver(*args, **kwargs):
        raise AssertionError("solved again")

    monkeypatch.setattr(planning, "_solve", no_solver)
    again, kept = planning.solve_binary(cost, matrix, lower, upper, config, cache_dir=tmp_path)
    assert again.tolist() == x.tolist() and kept.record() == solution.record() and np.isnan(kept.seconds)
    # another cost, bound or setting is another model: solved (here: the solver is gone)
    for changed in ((cost * 2, matrix, lower, upper, config), (cost, matrix, lower, np.array([1.0]), config),
                    (cost, matrix, lower, upper, planning.PlanningConfig(mip_rel_gap_percent=0.5))):
        with pytest.raises(AssertionError, match="solved again"):
            planning.solve_binary(*changed, cache_dir=tmp_path)
