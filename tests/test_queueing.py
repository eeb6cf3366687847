"""Queueing validation of the rollout model against M/M/c theory (Erlang C).

Poisson releases, exponential construction on ``c`` crews, every other stage instant, no calendar, unlimited hosting:
the crews form an M/M/c queue, and the mean wait for a crew must match the Erlang C formula.

At utilisation 0.9 the plain sample mean of the waits of N customers has a relative standard error of about
10 % for N = 50,000 (the waits are strongly autocorrelated), so a 5 % test on it would need millions of customers.
The test therefore uses a control variate (Lavenberg & Welch 1981): the same arrivals and service times fed to a
single server c times as fast (an M/M/1 queue, whose mean wait rho / (c mu - lambda) is known exactly) give waits
that move with the simulated ones; the estimate ``W_sim - beta (W_1 - E[W_1])``, beta from batch means, has a
relative standard error below 1 %. The simulated waits themselves come from the model's output (construction end
times); only the service times are re-drawn from the documented per-site streams to feed the control.
"""

from __future__ import annotations

import heapq
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim._config import Duration, fixed
from sim.rollout import STAGES, OperationConfig, RolloutConfig, StageConfig, simulate
from sim.rng import site_rng

MEAN_SERVICE_DAYS = 2.0
CREWS = 2
N_SITES = 20_000
SEED = 20240611


def erlang_c_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C): C(c, a) / (c mu - lam), a = lam / mu."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise ValueError("unstable queue")
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - rho)
    return tail / (head + tail) / (c * mu - lam)


def _mm1_waits(arrivals: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Lindley recursion of a single FIFO server."""
    w = np.zeros(len(arrivals))
    for i in range(1, len(arrivals)):
        w[i] = max(0.0, w[i - 1] + service[i - 1] - (arrivals[i] - arrivals[i - 1]))
    return w


def _mmc_waits(arrivals: np.ndarray, service: np.ndarray, c: int) -> np.ndarray:
    """Kiefer-Wolfowitz recursion of a FIFO c-server queue."""
    free = [0.0] * c
    w = np.empty(len(arrivals))
    for i, (a, s) in enumerate(zip(arrivals, service)):
        f = heapq.heappop(free)
        begin = f if f > a else a
        w[i] = begin - a
        heapq.heappush(free, begin + s)
    return w


def _mmc_config(rho: float) -> RolloutConfig:
    lam = rho * CREWS / MEAN_SERVICE_DAYS
    stages = {st: StageConfig(duration=fixed(0), success_percent=100, resource=None) for st in STAGES}
    stages["construction"] = StageConfig(
        duration=Duration(dist="exponential", mean_days=MEAN_SERVICE_DAYS), success_percent=100, resource="crews"
    )
    return RolloutConfig(
        release_mode="poisson",
        poisson_rate_per_day=lam,
        crews=CREWS,
        stages=stages,
        calendar_enabled=False,
        crew_productivity_kwp_per_day={"default": 1e12},  # capacity adds nothing to the construction time
        build_window_years=1000,
    )


def _run(rho: float):
    config = _mmc_config(rho)
    ids = [f"s{i:05d}" for i in range(N_SITES)]
    sites = pd.DataFrame(
        {"site_type": "rural_home", "capacity_kwp": 1.0, "capex_cny": 1.0, "transformer_id": "T"}, index=ids
    )
    transformers = pd.DataFrame({"hosting_limit_kw": [np.inf], "hosting_share_percent": [100.0]}, index=["T"])
    horizon_years = math.ceil(N_SITES / config.poisson_rate_per_day / 365 * 1.1) + 1
    result = simulate(sites, ids, transformers, config, OperationConfig(inverter_mtbf_years=None), seed=SEED,
                      start_date=date(2020, 1, 1), horizon_years=horizon_years)
    return config, ids, result


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.7, 0.8, 0.9])
def test_erlang_c_mean_wait_mmc(rho):
    config, ids, result = _run(rho)
    assert (result.outcomes["status"] == "operating").all()
    ev = result.events[result.events["stage"] == "construction"]
    start = ev[ev["event"] == "start"].set_index("site_id")["time_days"]
    end = ev[ev["event"] == "end"].set_index("site_id")["time_days"]
    # service times from the documented per-site stream: 2 uniforms per stage, duration first
    k = STAGES.index("construction")
    dur = config.stage("rural_home", "construction").duration
    u = np.array([site_rng(SEED, sid, "stages").random(2 * len(STAGES))[2 * k] for sid in ids])
    service = pd.Series(dur.ppf(u), index=ids)

    order = start.sort_values().index
    arrivals = start.loc[order].to_numpy()
    svc = service.loc[order].to_numpy()
    w_sim = (end.loc[order] - start.loc[order]).to_numpy() - svc
    assert w_sim.min() > -1e-6
    # the model's own statistic agrees with the waits read from its event log
    assert result.resources["crews"]["mean_wait_days"] == pytest.approx(w_sim.mean(), rel=1e-6, abs=1e-9)
    # ... and with an independent FIFO c-server recursion on the same inputs
    np.testing.assert_allclose(w_sim, _mmc_waits(arrivals, svc, CREWS), atol=1e-6)

    lam, mu = config.poisson_rate_per_day, 1.0 / MEAN_SERVICE_DAYS
    expected = erlang_c_mean_wait(lam, mu, CREWS)
    w_ctrl = _mm1_waits(arrivals, svc / CREWS)
    e_ctrl = (lam / (CREWS * mu)) / (CREWS * mu - lam)  # M/M/1 with service rate c mu: rho / (mu' - lam)
    batches = 40
    n = len(w_sim) - len(w_sim) % batches
    b_sim = w_sim[:n].reshape(batches, -1).mean(axis=1)
    b_ctrl = w_ctrl[:n].reshape(batches, -1).mean(axis=1)
    beta = np.cov(b_sim, b_ctrl)[0, 1] / np.var(b_ctrl, ddof=1)
    estimate = w_sim.mean() - beta * (w_ctrl.mean() - e_ctrl)
    rel = estimate / expected - 1
    assert abs(rel) < 0.05, (
        f"rho={rho}, c={CREWS}, N={len(w_sim)}: Erlang C mean wait {expected:.4f} d, simulated {estimate:.4f} d "
        f"(control-variate estimate; raw sample mean {w_sim.mean():.4f} d), error {rel * 100:+.2f} %"
    )
    # the raw mean is noisy but must be in the right region
    assert abs(w_sim.mean() / expected - 1) < 0.35, (expected, w_sim.mean())


def test_erlang_c_formula_known_values():
    # M/M/1: Wq = rho / (mu - lam)
    assert erlang_c_mean_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    # M/M/2, lam = 1.6, mu = 1: C = 0.7111, Wq = C / 0.4
    assert erlang_c_mean_wait(1.6, 1.0, 2) == pytest.approx(0.711111 / 0.4, rel=1e-5)
