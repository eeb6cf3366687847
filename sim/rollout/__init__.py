"""The rollout model: a discrete-event simulation (SimPy) of the county's PV programme. Time unit: days.

The programme office releases sites in the strategy's priority order (``release_mode``): limited by a yearly budget
(``budget``), all at once (``all_at_start``) or at random (``poisson``), and, with ``max_sites_in_pipeline``, no
faster than its pipeline takes them, and only sites whose transformer shows room in the latest disclosure of open
hosting capacity (the screening comes before anyone is asked). Each released site then goes through ``consent ->
survey_design -> filing -> grid_review -> [contract] procurement -> construction -> acceptance [-> rework ->
acceptance]`` and starts operating; during operation its inverter fails now and then and
waits for an O&M crew.

Modules: :mod:`sim.rollout.config` (settings, defaults, names of stages, resources and statuses),
:mod:`sim.rollout.model` (the SimPy processes and :func:`simulate`; its docstring describes their shape),
:mod:`sim.rollout.setup` (the input checks and the world one run's processes share),
:mod:`sim.rollout.observe` (what the processes record, and the :class:`RolloutResult` tables) and
:mod:`sim.rollout.calendar` (the work calendar). This docstring states the model's rules, once.

Random numbers (common random numbers across strategies):

- ``site_rng(seed, site_id, "stages")``: 16 uniforms per site, drawn at once in a fixed order (for each stage of
  :data:`STAGES`: its duration, then its success; then the rework's duration and whether its re-inspection fails);
  durations are the inverse CDF (``Duration.ppf``) of the stage's distribution at the duration uniform, so a site
  gets the same durations and outcomes whatever the order of release or the strategy.
- ``site_rng(seed, site_id, "operation")``: first time to failure, then per failure: repair time, next time to failure.
- run-level ``stream(seed, "rollout", "weather")``: the rainy days (same for every site and strategy);
  ``stream(seed, "rollout", "release")``: Poisson inter-release times.

Rules (assumptions, stated once):

- Budget (``release_mode="budget"``): the office releases a site only when its whole capex fits in what of the
  current year's pot is not yet earmarked for released sites (a ``Container`` holding ``annual_budget_cny`` at the
  start and refilled to it every 1 January before the build window closes; with ``budget_carry_over`` the unspent
  money is kept instead). The money is committed when the site signs, after grid approval (at the start of
  procurement), taken from the pot of that year. So the programme gets one year's budget per pot of
  :func:`budget_pot_days`, and :func:`total_budget_cny` is their sum, computed there only. The office keeps to the
  priority order: it waits for money for the next site and does not skip to cheaper ones; a single site dearer than
  the annual budget (without carry-over) can never be funded and stays ``not_released``. A site that declines or is
  dropped at the hosting screening gives its earmark back; committed money of a site that fails before
  construction ends (an order that falls through) is returned: into the pot if it is returned in the calendar year
  it was committed, or (with carry-over) in any later year; otherwise it lapses. A site abandoned after
  construction keeps its capex spent. ``spend_by_year[y]`` is the capex committed in year ``y`` minus what of it was
  returned, so it never exceeds the annual budget without carry-over; ``budget`` tabulates per year the money put
  in, committed, spent (capex when construction ends, rework when done), returned and lapsed (a year's unspent
  money at the next refill without carry-over, and what is left in the pot at the horizon). In ``all_at_start``
  and ``poisson`` modes money is no constraint (the table is still kept).
- Capacity target: the office stops releasing when the committed capacity (released, not declined/failed/dropped)
  reaches ``target_capacity_kwp``, and resumes if a site drops out; it stops for good at the end of the build window.
- Tracks (``tracks``): one office per track, each releasing only its own site types in the release order (the
  pipeline orders each track with its own strategy), with its own pot (its ``annual_budget_cny`` and carry-over,
  the rules above) and its own target; all offices share the crews, surveyors, reviewers, inspectors, O&M crews,
  the release pacing and the grid's hosting capacity. Sites of types in no track stay ``not_released``. The
  offices start in the order of the tracks, so at a tie the first track's site takes a free crew first. The budget
  table and ``spend_by_year`` add up the tracks; ``tracks`` in the result holds each track's own.
- Release pacing (``max_sites_in_pipeline``): the office releases the next site only while fewer released sites than
  that are between release and contract (sites held for hosting capacity are never released, so not counted); a
  site signing or dropping out makes room. Without it a year's budget can be
  released on one day, and the office stages queue behind each other.
- Hosting screening before canvassing (NEA 2025 distributed PV rules: grid companies publish the open hosting
  capacity of their transformers quarterly and screen applications against it): the office screens each site, in
  priority order, against the latest disclosure of its transformer (for medium-voltage sites the substation entry
  that carries the feeder's limit) less what is reserved since, before anyone is asked: a site whose AC capacity
  (``hosting_kw``, else ``capacity_kwp``) fits is released with that capacity reserved (held through approval and
  construction, as in Henan's 2023 rule); one that does not fit is held (never canvassed: a transformer whose
  disclosed open capacity is zero, a red zone, takes no application at all) and released once a later
  disclosure shows room, before the later sites of the order. Capacity freed by upgrades coming into service or by
  approved sites that fail later opens only at the next disclosure (every ``disclosure_interval_months``, on the
  first of the month); a reservation of an owner who declines goes back at once (no application was made). Sites
  still held when the office stops (the build window closes, or the horizon) are ``dropped_hosting``; the event
  log shows the screening as the ``hosting`` step (``start`` at the first look, ``wait`` if held, ``end`` at
  release, ``drop``).
- Upgrades: with ``hosting_when_full="wait_upgrade"`` a site held on a full transformer makes the grid company
  schedule the transformer's one unplanned upgrade (unless one, planned or unplanned, is on its way), raising the
  rating by ``upgrade_factor`` after ``upgrade_lead_time`` (the inverse CDF at the transformer's own uniform, stream
  ``("transformer", id, "upgrade")``); at most ``max_upgrades_per_year`` are scheduled per calendar year, further
  requests wait for the next 1 January of the build window, oldest first. Planned upgrades of the ledger take
  effect on their date and do not count against the limit. Each upgrade costs the grid company
  ``upgrade_cost_cny_per_kva`` per added kVA.
- Office effort: a stage's resource works ``effort_days_by_class`` working days on one application of its class
  (household: rural homes at <= 380 V; multi_point: ``connection_points`` > 1; non_household: the rest), at the
  start of the stage, within the stage's elapsed duration (whose maximum is the State Grid service limit); where a
  stage gives no effort, its resource is held for ``resource_busy_percent`` of the duration. Queues form only when
  applications arrive faster than the staff can serve them.
- Rework: a site that fails acceptance is repaired by a construction crew (``rework_days``, costing
  ``rework_cost_percent`` of its capex) and inspected again; if it fails again it is abandoned (status ``failed`` at
  ``acceptance``) with its capex spent.
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
- Operation: times to inverter failure are exponential (``inverter_mtbf_years``) counted in operating time; a failed
  site waits for an O&M crew (``RolloutConfig.om_crews``, one pool for the county) then for the repair time
  (``OperationConfig.repair``, calendar days). Downtime is cut at the horizon and split by calendar year.
- Resource statistics: utilisation = busy time / (capacity x period): over the period in use, the build window and
  the horizon; waits are those of every request made before the horizon, a request still queued at the horizon
  counting with its wait so far (censored, counted in ``n_censored``).
- Saturation warnings: a resource more than 90 % busy over the build window (O&M crews: over the horizon) or with
  requests still queued at the horizon, or an office stage whose median elapsed working days exceed the State Grid
  service limit of the application class, gives a warning naming what would relieve it.
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
