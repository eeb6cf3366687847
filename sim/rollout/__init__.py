"""The rollout model: a discrete-event simulation (SimPy) of the county's PV programme. Time unit: days.

The programme office releases sites in the strategy's priority order (``release_mode``): limited by a yearly budget
(``budget``), all at once (``all_at_start``) or at random (``poisson``). Each released site then goes through the
stages ``consent -> survey_design -> filing -> grid_review -> [hosting check] -> procurement -> construction ->
acceptance`` and starts operating; during operation its inverter fails now and then and waits for an O&M crew.

Modules: :mod:`sim.rollout.config` (settings, defaults, names of stages, resources and statuses),
:mod:`sim.rollout.model` (the SimPy processes and :func:`simulate`; its docstring describes their shape),
:mod:`sim.rollout.observe` (what the processes record, and the :class:`RolloutResult` tables) and
:mod:`sim.rollout.calendar` (the work calendar). This docstring states the model's rules, once.

Random numbers (common random numbers across strategies):

- ``site_rng(seed, site_id, "stages")``: 14 uniforms per site, drawn at once in a fixed order (for each stage of
  :data:`STAGES`: its duration, then its success); durations are the inverse CDF (``Duration.ppf``) of the stage's
  distribution at the duration uniform, so a site gets the same durations and outcomes whatever the order of release
  or the strategy.
- ``site_rng(seed, site_id, "operation")``: first time to failure, then per failure: repair time, next time to failure.
- run-level ``stream(seed, "rollout", "weather")``: the rainy days (same for every site and strategy);
  ``stream(seed, "rollout", "release")``: Poisson inter-release times.

Rules (assumptions, stated once):

- Budget (``release_mode="budget"``): a site is released only when its whole capex can be committed from the current
  year's pot (a ``Container`` holding ``annual_budget_cny`` at the start and refilled to it every 1 January before the
  build window closes; with ``budget_carry_over`` the unspent money is kept instead). So the programme gets one year's
  budget per pot of :func:`budget_pot_days` (one pot more than whole years of window when the start is not 1 January),
  and :func:`total_budget_cny` is their sum: the programme's total budget, computed there only. The office keeps to the
  priority order: it waits for money for the next site and does not skip to cheaper ones; a single site dearer than
  the annual budget (without carry-over) can never be funded and stays ``not_released``. The money of a site that
  later declines, fails or is dropped for hosting is returned: into the pot if it is returned in the calendar year it
  was committed, or (with carry-over) in any later year; without carry-over, money returned in a later year lapses
  with that year's budget. ``spend_by_year[y]`` is the capex committed in year ``y`` minus what of it was returned, so
  it never exceeds the annual budget without carry-over. In ``all_at_start`` and ``poisson`` modes money is no
  constraint (``spend_by_year`` is still kept).
- Capacity target: the office stops releasing when the committed capacity (released, not declined/failed/dropped)
  reaches ``target_capacity_kwp``, and resumes if a site drops out; it stops for good at the end of the build window.
- Hosting: right after its grid review a site reserves its ``capacity_kwp`` against the remaining hosting capacity
  [kW] of its transformer (kWp compared with kW: conservative, no DC/AC ratio); the reservation holds from approval
  on (under construction counts, as in Henan's 2023 rule) and is given back if the site fails later. When the
  transformer is full: ``drop`` drops the site; ``wait_upgrade`` waits for the transformer's planned upgrade, or, if
  none is pending, the grid company schedules one ``upgrade_lead_time_days`` after the first site had to wait, raising
  the rating by ``upgrade_factor`` (at most one such unplanned upgrade per transformer; a site that still does not
  fit when no upgrade is pending any more is dropped).
- Calendar (``calendar_enabled``): office stages (survey_design, filing, grid_review, acceptance) count working days
  of the office calendar: no work on the public holidays of ``holidays_country`` (China: New Year, Spring Festival,
  Qingming, Labour Day, Dragon Boat, Mid-Autumn, National Day, with the State Council's extra days off) nor, if
  ``office_weekends_off``, on weekend days other than official make-up working days. Construction counts working
  days of the site calendar: no work during the Spring Festival shutdown (``spring_festival_shutdown``: crews go
  home for about three weeks, longer than the offices' holiday), for ``outdoor_site_types`` none in the frozen season
  or on rainy days, none on weekends if ``construction_weekends_off`` and none on public holidays if
  ``construction_holidays_off``. Consent and procurement count calendar days.
  A crew stays with its site over non-working days. The stage durations of the State Grid service limits are in
  working days, so they are counted that way.
- Resources: a stage holds its resource for ``resource_busy_percent`` of its duration, from its start (a reviewer
  works half a day on an application whose service limit is 20 working days; a crew stays for the whole build).
- Operation: times to inverter failure are exponential (``inverter_mtbf_years``) counted in operating time; a failed
  site waits for an O&M crew (``RolloutConfig.om_crews``, one pool for the county) then for the repair time
  (``OperationConfig.repair``, calendar days). Downtime is cut at the horizon and split by calendar year.
- Resource statistics: utilisation = busy time / (capacity x horizon); waits are those of requests granted before
  the horizon (including zero waits).
"""

from sim.rollout.config import (
    OUTDOOR_SITE_TYPES,
    RESOURCES,
    STAGES,
    STATUSES,
    OperationConfig,
    ResourceName,
    RolloutConfig,
    StageConfig,
    StageName,
    budget_pot_days,
    build_window_end_day,
    total_budget_cny,
)
from sim.rollout.model import check_inputs, simulate
from sim.rollout.observe import RolloutResult

__all__ = [
    "OUTDOOR_SITE_TYPES",
    "RESOURCES",
    "STAGES",
    "STATUSES",
    "OperationConfig",
    "ResourceName",
    "RolloutConfig",
    "RolloutResult",
    "StageConfig",
    "StageName",
    "budget_pot_days",
    "build_window_end_day",
    "check_inputs",
    "simulate",
    "total_budget_cny",
]
