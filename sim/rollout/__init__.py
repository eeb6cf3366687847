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
- ``site_rng(seed, site_id, "adoption")`` (Bass adoption only): one uniform ``u`` per household of the Bass types,
  its unit-exponential draw ``E = -ln(1 - u)``.
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
- Household adoption (``adoption.model``): ``fixed`` is the one-shot consent above (the owner agrees at the end
  of the canvassing visit with the consent stage's ``success_percent``). With ``bass`` the households of
  ``adoption.site_types`` (rural homes) agree or not by the same draw (so the same households agree in the end,
  and the eventual share never exceeds the market share), but a would-be adopter agrees at the time a Bass
  diffusion within its village gives. The village (``township`` + ``village`` of the sites layer; one market where
  the layer has neither) has a market of M_v households, its households in the release order whose draw says they
  agree (expected: its eligible households x the consent share, 43 % for rural homes); A_v(t) of them have a built
  array by day t (neighbours see arrays, not signatures; existing PV is not counted). A would-be adopter's hazard of
  agreeing is h_v(t) = p + q A_v(t) / M_v (``p_per_year``, ``q_per_year``, per day as / 365.25), from the day the
  programme first asks it. Method (exact, event-driven, no polling): h_v is constant between two arrays coming into
  operation, so the village keeps its cumulative hazard H_v(t) piecewise linear; at its first release a household
  fixes its level L = H_v(release) + E with its unit-exponential draw ``E``, and it agrees when H_v reaches L (the
  inverse of the survival function exp(-(H_v(t) - H_v(release))), so with q = 0 it agrees E / p after release).
  The canvassing visit (the consent stage's duration) comes first: a household outside the market declines at its
  end; one whose level is passed agrees then; any other defers: it leaves the office's pipeline and gives back its
  earmark, committed kWp and hosting reservation (logged as a consent ``wait``, status ``declined`` meanwhile) and
  waits for its day. The deferred households of a village share its clock, so they agree in the order of their
  levels: one process per village keeps them in a heap and times only the lowest, re-computing its day each
  time an array of the village comes into operation (work per array: one heap look-up). On that day it comes
  forward (consent ``end``, status ``not_released`` until its office takes it up): its office screens it again (its
  transformer may be full by then: it is then held, and dropped for hosting if still held when the office stops,
  the one way a canvassed site is) and releases it before the later sites of the order (an office at its target
  or past its build window releases none), and it goes on from the survey; its ``release_day`` stays the day it
  was first asked, so its lead time includes the wait. One that has not come forward when the build window closes
  declines then (consent ``decline``). Other site types keep their one-shot consent. The planning expectations
  (:mod:`sim.programme`) keep the eventual share, not its timing.
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
from sim.rollout.setup import village_key

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
    "village_key",
]
