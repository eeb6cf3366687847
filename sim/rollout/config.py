"""Settings of the rollout model (scenario sections ``rollout`` and ``operation``) and the names of its stages,
resources and site statuses. The rules these settings drive are in :mod:`sim.rollout`."""

from __future__ import annotations

import math
from datetime import date
from enum import IntEnum
from functools import lru_cache
from typing import Literal, cast

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_serializer, model_validator

from sim._config import SITE_TYPES, Duration, SiteType, StrictModel, triangular
from sim.rollout import calendar as cal

StageName = Literal["consent", "survey_design", "filing", "grid_review", "procurement", "construction", "acceptance"]
STAGES: tuple[str, ...] = StageName.__args__  # type: ignore[attr-defined]
ResourceName = Literal["crews", "reviewers", "inspectors", "surveyors", "om_crews"]
RESOURCES: tuple[str, ...] = ResourceName.__args__  # type: ignore[attr-defined]
# the classes of connection application of the State Grid service rules: household systems (<= 380 V), other
# (non-household) systems at 10(20) kV or 380 V, and multi-point connections (a ``connection_points`` > 1 column)
ApplicationClass = Literal["household", "non_household", "multi_point"]
APPLICATION_CLASSES: tuple[str, ...] = ApplicationClass.__args__  # type: ignore[attr-defined]

# State Grid service limits for distributed PV [working days]: maximum elapsed times for one application under normal
# workload (site survey 2; connection plan 20, multi-point 30; acceptance and connection 10). Source: State Grid
# distributed PV grid-connection service commitments, as summarised in DESIGN.md section 5. A stage whose median
# elapsed time exceeds its limit raises a saturation warning.
SERVICE_LIMIT_WORKING_DAYS: dict[str, dict[str, float]] = {
    "survey_design": {"household": 2.0, "non_household": 2.0, "multi_point": 2.0},
    "grid_review": {"household": 20.0, "non_household": 20.0, "multi_point": 30.0},
    "acceptance": {"household": 10.0, "non_household": 10.0, "multi_point": 10.0},
}


class Step(IntEnum):
    """The steps of a site's way as the event log names them (``RolloutResult.events["stage"]``): the hosting
    screening, which comes first (the office screens a site against the disclosed open capacity before it releases
    it; ``end`` at release), its release, the seven stages of :data:`STAGES`, and the rework of a site that failed
    acceptance. (The numbers are codes, not the order of the way.)"""

    RELEASE = 0
    CONSENT = 1
    HOSTING = 2
    SURVEY_DESIGN = 3
    FILING = 4
    GRID_REVIEW = 5
    PROCUREMENT = 6
    CONSTRUCTION = 7
    ACCEPTANCE = 8
    REWORK = 9


STEP_NAMES: tuple[str, ...] = tuple(step.name.lower() for step in Step)
STAGE_STEPS: tuple[Step, ...] = tuple(Step[name.upper()] for name in STAGES)  # the step of each stage of STAGES
CONTRACT_AT = Step.PROCUREMENT  # the site signs (capex committed) when procurement starts, after grid approval
assert STAGE_STEPS == tuple(step for step in Step if step not in (Step.RELEASE, Step.HOSTING, Step.REWORK))


class Event(IntEnum):
    """What happened at a step (``RolloutResult.events["event"]``): ``wait`` is queueing for a resource or for hosting
    capacity; a site that does not go on ``decline``s (consent), ``fail``s (a later stage) or is ``drop``ped
    (hosting)."""

    START = 0
    END = 1
    WAIT = 2
    DECLINE = 3
    FAIL = 4
    DROP = 5


EVENTS: tuple[str, ...] = tuple(event.name.lower() for event in Event)


class Status(IntEnum):
    """Where a site of the release order stands at the horizon (``RolloutResult.outcomes["status"]``)."""

    NOT_RELEASED = 0
    IN_PROGRESS = 1
    OPERATING = 2
    DECLINED = 3
    FAILED = 4
    DROPPED_HOSTING = 5


STATUSES: tuple[str, ...] = tuple(status.name.lower() for status in Status)

# Ground-mounted / open-air types: foundations or piles in the ground (or pond bed), so no work in the frozen season
# and none on rainy days. Rooftop types (homes, public and government buildings, C&I, guesthouses) are not stopped.
OUTDOOR_SITE_TYPES: tuple[SiteType, ...] = ("agrivoltaic", "greenhouse", "fish_pond", "tourism_carpark")

# stages done in offices (grid company, bureaux): they count working days of the office calendar
OFFICE_STAGES = ("survey_design", "filing", "grid_review", "acceptance")


class StageConfig(StrictModel):
    """One stage of a site's path. In ``RolloutConfig.site_type_stages`` a key left out inherits the default stage."""

    duration: Duration | None = Field(
        None,
        description="duration of the stage [days; working days for office stages and construction when the "
        "calendar is on]; for construction the crew's set-up, capacity / productivity is added; unset: inherited",
    )
    success_percent: float = Field(
        100.0,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="chance that the site passes the stage (consent: the owner agrees); otherwise it declines/fails",
    )
    resource: ResourceName | None = Field(
        None,
        description="shared resource the stage needs (crews, reviewers, inspectors, surveyors, om_crews) or "
        "null for none",
    )
    resource_busy_percent: float = Field(
        100.0,
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="share of the stage's duration during which the resource is busy with the site, taken at the "
        "start; not used where effort_days_by_class is given",
    )
    effort_days_by_class: dict[ApplicationClass, float] | None = Field(
        None,
        description="working time [working days] the resource spends on one application, by application "
        "class (household, non_household, multi_point), taken at the start of the stage and at most its duration; "
        "replaces resource_busy_percent; classes left out keep the default",
    )

    @field_validator("effort_days_by_class")
    @classmethod
    def _check_effort(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        for key, value in (v or {}).items():
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"effort of {key!r} must be a finite number >= 0 [working days], got {value}")
        return v

    @model_serializer(mode="wrap")
    def _only_set_keys(self, handler):
        # a dump keeps only the keys that were given, so that dumping and re-loading a config does not turn
        # inherited values into overrides
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


@lru_cache(maxsize=1)  # built once: callers only read the settings (model_copy makes new ones)
def _default_stages() -> dict[StageName, StageConfig]:
    return {
        # assumption: weeks of village meetings and household visits. Households: 43 % agree, the adoption share a
        # 2023 survey of 169 households in 36 villages found in Shandong, the most saturated province (Carbon
        # Footprints 2024;3:7, doi:10.20517/cf.2023.50); other owners: _default_site_type_stages
        "consent": StageConfig(duration=triangular(7, 21, 60), success_percent=43.0),
        # State Grid service limit: site survey within 2 working days (design done alongside); the limit is the
        # maximum for one application: assumption, a typical survey takes 0.5-2 (mode 1) working days
        # assumption: a surveyor's visit and design take 2 h for a home, a day for other roofs, 2 days multi-point
        "survey_design": StageConfig(
            duration=triangular(0.5, 1, 2),
            resource="surveyors",
            effort_days_by_class={"household": 0.25, "non_household": 1.0, "multi_point": 2.0},
        ),
        # assumption: project filing (bei'an) with the county development and reform bureau
        "filing": StageConfig(duration=triangular(3, 5, 10)),
        # State Grid service limit: connection plan within 20 working days (30 multi-point); assumption: a typical
        # plan takes 5-20 (mode 10) working days
        # assumption: a reviewer spends 1 h on a household application (standard 380 V scheme), half a day on a
        # non-household one, a day on a multi-point one
        "grid_review": StageConfig(
            duration=triangular(5, 10, 20),
            resource="reviewers",
            effort_days_by_class={"household": 0.125, "non_household": 0.5, "multi_point": 1.0},
        ),
        # assumption: ordering and delivery of modules and inverters; metering and contracts (State Grid limit 10
        # working days) run in parallel; 2 % of orders fall through
        "procurement": StageConfig(duration=triangular(10, 20, 45), success_percent=98.0),
        # set-up/mobilisation of the crew [working days]; capacity_kwp / crew_productivity_kwp_per_day is added
        "construction": StageConfig(duration=triangular(0.5, 1, 3), resource="crews"),
        # State Grid service limit: acceptance and connection within 10 working days; assumption: typically 3-10
        # (mode 5) working days
        # assumption: an inspector spends 2 h on a home, a working day on other sites
        # a failed acceptance means rework (RolloutConfig.rework_days, rework_cost_percent), then re-inspection
        "acceptance": StageConfig(
            duration=triangular(3, 5, 10),
            success_percent=99.0,
            resource="inspectors",
            effort_days_by_class={"household": 0.25, "non_household": 1.0, "multi_point": 1.0},
        ),
    }


@lru_cache(maxsize=1)  # built once: callers only read the settings (model_copy makes new ones)
def _default_site_type_stages() -> dict[SiteType, dict[StageName, StageConfig]]:
    # Consent by owner (every other type keeps the household 43 % of _default_stages):
    # - party_government, public_building: assumptions; the whole-county pilot (NEA, June 2021) sets coverage floors
    #   of 50 % and 40 % of their roofs, which the county's own offices and public bodies are told to meet, so
    #   nearly all agree (100 %, 95 %); no survey of public owners' consent was found
    # - commercial_industrial: assumption 75 %; searched for a consent or adoption rate of C&I owners in Chinese
    #   county programmes and found none
    # - agrivoltaic, greenhouse, fish_pond, tourism_carpark: assumption 75 %: collective or business land users
    #   leasing land or roofs to a developer; no survey found
    return {
        "party_government": {"consent": StageConfig(success_percent=100.0)},
        "public_building": {"consent": StageConfig(success_percent=95.0)},
        "commercial_industrial": {"consent": StageConfig(success_percent=75.0)},
        "agrivoltaic": {"consent": StageConfig(success_percent=75.0)},
        "greenhouse": {"consent": StageConfig(success_percent=75.0)},
        "fish_pond": {"consent": StageConfig(success_percent=75.0)},
        "tourism_carpark": {"consent": StageConfig(success_percent=75.0)},
    }


def _default_productivity() -> dict[str, float]:
    # assumptions [kWp per crew-day]: a rooftop crew builds a 20-30 kWp home in about a day; ground-mounted and pond
    # arrays with prefabricated racks go faster per kWp; steel canopies and greenhouses are slower.
    return {
        "default": 30.0,
        "rural_home": 30.0,
        "guesthouse": 30.0,
        "public_building": 40.0,
        "party_government": 40.0,
        "commercial_industrial": 60.0,
        "agrivoltaic": 80.0,
        "fish_pond": 80.0,
        "greenhouse": 50.0,
        "tourism_carpark": 40.0,
    }


class TrackConfig(StrictModel):
    """One track of a programme split into tracks (``RolloutConfig.tracks``): its own site types, strategy, money and
    target; all tracks share the crews, offices (surveyors, reviewers, inspectors, release pacing) and the grid."""

    name: str = Field(..., min_length=1, description="name of the track (unique)")
    site_types: list[SiteType] = Field(
        ...,
        min_length=1,
        description="site types the track builds (no type may be "
        "in two tracks; sites of types in no track are not released)",
    )
    strategy: str | None = Field(None, description="siting strategy of the track (null: the scenario's)")
    annual_budget_cny: float = Field(
        ..., gt=0, allow_inf_nan=False, description="capex the track can commit per calendar year (budget mode)"
    )
    target_capacity_kwp: float = Field(
        ...,
        gt=0,
        allow_inf_nan=False,
        description="the track stops releasing when its committed capacity reaches it; basis of its milestones",
    )
    budget_carry_over: bool | None = Field(
        None, description="the track's unspent budget is kept for the next year (null: rollout.budget_carry_over)"
    )


def _default_adoption_types() -> list[SiteType]:
    return ["rural_home"]


class AdoptionConfig(StrictModel):
    """How households decide (``rollout.adoption``): ``fixed`` (a one-shot draw at the end of the canvassing visit,
    at the consent stage's ``success_percent``) or ``bass`` (the same households agree in the end, but when follows a
    Bass diffusion within their village; the rule is stated in :mod:`sim.rollout`).

    Sources of the defaults: p = 0.03 and q = 0.38 per year are the mean coefficients of innovation and imitation
    over 213 published Bass fits (Sultan, Farley & Lehmann 1990, J. Marketing Research 27(1):70-77), the usual
    reference values. Fits for rooftop PV markets span them: NREL's dGen steps each US state's residential PV market
    along a Bass curve with state-calibrated p and q (dGen ``diffusion_functions_elec.py``, table not shipped with
    the open-source code); India's residential solar water heaters, the proxy for its rooftop PV, gave p = 0.00105,
    q = 0.122 (da Silva et al. 2022, J. Sustain. Dev. Energy Water Environ. Syst. 10(4) 1100423). Those are
    markets without door-to-door canvassing; here the clock starts when the programme first asks the household,
    so p is the programme's push: an assumption within the published range. Searched for Bass fits of Chinese
    rural household PV under the whole-county programme and found none."""

    model: Literal["fixed", "bass"] = Field(
        "fixed",
        description="fixed: a household decides once, at the end of the canvassing visit (consent success_percent); "
        "bass: the households that would agree (the same draws) agree at the time a Bass process within their "
        "village gives: hazard p + q x (built arrays of the village's market) / (the village's market)",
    )
    p_per_year: float = Field(
        0.03,
        gt=0,
        allow_inf_nan=False,
        description="Bass coefficient of innovation [1/year]: a would-be adopter's rate of agreeing once asked, "
        "before any neighbour has built (mean of 213 Bass fits, Sultan, Farley & Lehmann 1990)",
    )
    q_per_year: float = Field(
        0.38,
        ge=0,
        allow_inf_nan=False,
        description="Bass coefficient of imitation [1/year]: added to the rate in proportion to the share of the "
        "village's market whose arrays are built (mean of 213 Bass fits, Sultan, Farley & Lehmann 1990)",
    )
    site_types: list[SiteType] = Field(
        default_factory=_default_adoption_types,
        min_length=1,
        description="site types whose owners decide by the Bass process (households: rural homes); other types keep "
        "their one-shot consent",
    )


class RolloutConfig(StrictModel):
    """Settings of the rollout model (scenario section ``rollout``). Defaults are assumptions unless a source is named
    in :func:`_default_stages`."""

    release_mode: Literal["budget", "all_at_start", "poisson"] = Field(
        "budget",
        description="how the programme office releases sites in priority order: as the yearly budget "
        "allows, all at once, or at random (Poisson) times",
    )
    annual_budget_cny: float = Field(
        150e6,
        gt=0,
        allow_inf_nan=False,
        description="capex that can be committed per calendar year (budget mode); assumption",
    )
    budget_carry_over: bool = Field(False, description="unspent budget is kept for the next year (else it lapses)")
    poisson_rate_per_day: float = Field(
        5.0, gt=0, allow_inf_nan=False, description="mean releases per day (poisson mode)"
    )
    build_window_years: float = Field(
        5.0, gt=0, allow_inf_nan=False, description="no site is released after this time from the start date"
    )
    target_capacity_kwp: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="stop releasing when the committed capacity reaches it (null: no target); basis of milestones",
    )
    max_sites_in_pipeline: int | None = Field(
        None,
        ge=1,
        description="release pacing: the office releases the next site only while fewer released sites "
        "than this are in its pipeline (consent, survey, filing, grid review: released and not yet "
        "under contract; sites held for hosting capacity are not released, so not counted); null: no pacing (a "
        "year's budget can be released on 1 January)",
    )

    tracks: list[TrackConfig] = Field(
        default_factory=list,
        description="split the programme into tracks, each with its own site types, strategy "
        "(null: the run's), yearly budget and target, sharing the crews, offices (release pacing included) and grid; "
        "annual_budget_cny and target_capacity_kwp are then the sums of the tracks' (leave them out); sites of "
        "types in no track are not released; the optimising strategies plan each track within its own money and "
        "target; empty: one "
        "programme",
    )

    crews: int = Field(6, ge=0, description="number of construction crews (count)")
    reviewers: int = Field(2, ge=0, description="number of grid-company engineers reviewing applications (count)")
    inspectors: int = Field(2, ge=0, description="number of acceptance inspectors (count)")
    surveyors: int = Field(3, ge=0, description="number of site surveyors/designers (count)")
    om_crews: int = Field(2, ge=0, description="number of O&M crews repairing inverters during operation (count)")
    crew_productivity_kwp_per_day: dict[str, float] = Field(
        default_factory=_default_productivity,
        description="kWp one crew installs per working day, by site type, with a 'default'; assumptions",
    )

    stages: dict[StageName, StageConfig] = Field(
        default_factory=_default_stages,
        description="settings of the stages consent, survey_design, filing, grid_review, procurement, construction, "
        "acceptance (State Grid service limits: survey 2, connection plan 20, acceptance 10 working days); keys "
        "left out keep their defaults",
    )
    site_type_stages: dict[SiteType, dict[StageName, StageConfig]] = Field(
        default_factory=_default_site_type_stages,
        description="per site type overrides of stage settings, layered over `stages` key by key",
    )

    adoption: AdoptionConfig = Field(
        default_factory=lambda: AdoptionConfig.model_validate({}),
        description="how households decide: fixed (one-shot consent draw, the default) or bass (a Bass diffusion "
        "within each village: uptake grows as neighbours' arrays are built)",
    )

    disclosure_interval_months: int = Field(
        3,
        ge=1,
        le=12,
        description="the grid company publishes the open hosting capacity of each transformer this "
        "often (months; 3 = quarterly, NEA 2025 distributed PV rules); capacity freed by upgrades or by sites that "
        "give up their reservation is open to new applications from the next publication",
    )
    rework_days: Duration = Field(
        default_factory=lambda: triangular(3, 7, 15),
        description="repair of a site that failed acceptance, by a construction crew, before re-inspection [working "
        "days]; assumption",
    )
    rework_cost_percent: float = Field(
        5.0,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="cost of that repair as a share of the site's capex [%]; assumption",
    )

    hosting_when_full: Literal["wait_upgrade", "drop"] = Field(
        "wait_upgrade",
        description="a site the office holds because its transformer has no disclosed room makes the "
        "grid company schedule an upgrade of the transformer (wait_upgrade), or only waits for capacity given back "
        "(drop: sites still held when the build window closes are dropped, never canvassed)",
    )
    upgrade_lead_time: Duration = Field(
        default_factory=lambda: triangular(365, 730, 1095),
        description="time from the grid company scheduling an unplanned transformer upgrade to its service [days]; "
        "assumption: 1-3 years, mode 2: a distribution-network project enters the grid company's investment plan "
        "(provincial rural-grid plans approved yearly, NDRC Measures for Rural Power Grid Reconstruction and "
        "Upgrading Projects, 2016) before it is built; no published distribution of county transformer upgrade "
        "lead times was found",
    )
    upgrade_factor: float = Field(
        2.0,
        gt=1,
        allow_inf_nan=False,
        description="rating multiplier of such an unplanned upgrade (ratio; e.g. 200 kVA -> 400 kVA); assumption",
    )
    upgrade_cost_cny_per_kva: float = Field(
        500.0,
        ge=0,
        allow_inf_nan=False,
        description="cost of an upgrade per added kVA, borne by the grid company [CNY/kVA]; assumption (transformer, "
        "switchgear and installation); published figures found are programme totals with lines included, an upper "
        "bound: Zhejiang's 2015-2017 rural-grid round built or replaced 1,558 distribution transformers of 560 MVA "
        "for about 1.4 bn CNY with 35 kV stations and lines (Zhejiang Provincial Government, 29 Sep 2017), about "
        "2,500 CNY/kVA all-in",
    )
    line_reinforcement_cost_cny_per_km: float = Field(
        100_000.0,
        ge=0,
        allow_inf_nan=False,
        description="cost of a line reinforcement under grid.hosting_method power_flow (a second low-voltage cable "
        "of the same type laid in parallel on the sections from the transformer to a site held by a bus voltage or "
        "a cable), per km of section, borne by the grid company [CNY/km]; assumption: no published unit cost of "
        "0.4 kV line reconstruction was found (searched: State Grid typical costs, 0.4 kV 线路改造 造价); an upper "
        "bound from a programme total: State Grid Sichuan's 2016 first batch of rural-grid works, 3.36 bn CNY for "
        "23,009 km of low-voltage lines with 5,798 km of 10 kV lines, 6,791 transformers and 113,200 meters, is "
        "146,000 CNY per km of low-voltage line all-in",
    )
    mv_line_reinforcement_cost_cny_per_km: float = Field(
        300_000.0,
        ge=0,
        allow_inf_nan=False,
        description="cost of a 10 kV line reinforcement under grid.hosting_method power_flow (a second conductor of "
        "the same type in parallel on the feeder sections from the substation to a site, or to the distribution "
        "transformer of a site, held by a 10 kV bus voltage or conductor), per km of section, borne by the grid "
        "company [CNY/km]; assumption: no published unit cost of 10 kV line construction was found (searched: "
        "配电网工程典型造价 10kV 架空线路, 10千伏线路 每公里 造价, 10 kV line cost per km China); the published "
        "programme figures bracket it: Liaocheng's 2008 rural-grid works rebuilt 468 km of 10 kV lines for 9.8 "
        "million CNY (about 21,000 CNY/km, reconstruction only, Dazhong net, 21 Oct 2008), and State Grid "
        "Sichuan's 2016 first batch, 3.36 bn CNY for 5,798 km of 10 kV and 23,009 km of low-voltage lines, "
        "6,791 transformers and 113,200 meters, is at most 580,000 CNY per km of 10 kV line all-in",
    )
    max_upgrades_per_year: int | None = Field(
        10,
        ge=0,
        description="unplanned upgrades the grid company schedules in the county per calendar year; "
        "requests beyond it wait for the next year (null: no limit); about 9 per county and year in Zhejiang's "
        "2015-2017 rural-grid round (1,558 transformers in two years over about 90 county-level districts, Zhejiang "
        "Provincial Government, 29 Sep 2017), rounded up",
    )

    calendar_enabled: bool = Field(
        True,
        description="use the work calendar (public holidays, weekends, Spring Festival shutdown, frozen "
        "season, rain); off: every day is a working day",
    )
    holidays_country: str | None = Field(
        "CN",
        description="country whose public holidays and weekend days the calendar follows (ISO 3166-1 alpha-2 "
        "code, from the holidays package; China's include the State Council's extra days off and make-up working "
        "days); null: no public holidays, Saturday and Sunday are the weekend",
    )
    holidays_subdivision: str | None = Field(
        None, description="province or state code for regional holidays (holidays package); null: national only"
    )
    office_weekends_off: bool = Field(
        True,
        description="office stages do not progress on weekend days (except make-up working days); they never "
        "progress on public holidays",
    )
    construction_weekends_off: bool = Field(
        False, description="crews do not work on weekend days (except make-up working days)"
    )
    construction_holidays_off: bool = Field(
        False, description="crews do not work on public holidays (the Spring Festival shutdown applies anyway)"
    )
    state_grid_service_limits: bool = Field(
        True,
        description="compare the office stages with State Grid's service limits for distributed PV and warn "
        "where the median exceeds them (China); false elsewhere (default from the county's country)",
    )
    spring_festival_shutdown: bool = Field(
        True,
        description="construction stops around the Spring Festival (crews go home for the New Year; the "
        "days are spring_festival_shutdown_days_before/after); a construction rule for Chinese counties, set "
        "false elsewhere",
    )
    outdoor_site_types: list[SiteType] = Field(
        default_factory=lambda: list(OUTDOOR_SITE_TYPES),
        description="ground-mounted types whose construction stops in the frozen season and on rainy days",
    )
    frozen_season_start_month_day: str = Field(
        "12-15", description="first day (MM-DD) of the frozen-ground season; assumption for northern Hebei"
    )
    frozen_season_end_month_day: str = Field("02-28", description="last day (MM-DD) of the frozen-ground season")
    rain_day_percent_by_month: list[float] = Field(
        default_factory=lambda: [3.0, 4.0, 7.0, 10.0, 17.0, 27.0, 40.0, 33.0, 20.0, 10.0, 5.0, 3.0],
        description="share of days, January to December, with rain that stops outdoor work (Huailai-like, summer "
        "rainy); assumption",
    )
    spring_festival_shutdown_days_before: int = Field(
        7, ge=0, description="days before the Spring Festival from which nobody works (days); assumption"
    )
    spring_festival_shutdown_days_after: int = Field(
        15,
        ge=0,
        description="days after the Spring Festival until which nobody works (days; the Lantern "
        "Festival is day 14); assumption",
    )

    @field_validator("tracks")
    @classmethod
    def _check_tracks(cls, v: list[TrackConfig]) -> list[TrackConfig]:
        seen_types: dict[str, str] = {}
        names = [track.name for track in v]
        if len(set(names)) != len(names):
            raise ValueError(f"track names must be unique, got {names}")
        for track in v:
            for site_type in track.site_types:
                if site_type in seen_types:
                    raise ValueError(
                        f"site type {site_type!r} is in tracks {seen_types[site_type]!r} and "
                        f"{track.name!r}; each type may be in one track only"
                    )
                seen_types[site_type] = track.name
        return v

    @model_validator(mode="after")
    def _programme_from_tracks(self) -> RolloutConfig:
        """With tracks, the programme's budget and target are the sums of the tracks' (given at the programme level
        too, they must agree)."""
        if not self.tracks:
            return self
        for name in ("annual_budget_cny", "target_capacity_kwp"):
            total = float(sum(getattr(track, name) for track in self.tracks))
            given = getattr(self, name)
            if name in self.model_fields_set and given is not None and not math.isclose(given, total):
                raise ValueError(
                    f"{name}: with tracks the programme's value is the sum of the tracks' ({total:g}); "
                    f"got {given:g}: change the tracks' {name}, or leave it out"
                )
            self.__dict__[name] = total  # not an assignment: it would validate the model again
        return self

    @field_validator("holidays_country")
    @classmethod
    def _check_country(cls, v: str | None) -> str | None:
        if v is not None and v.upper() not in cal.supported_countries():
            raise ValueError(
                f"unknown country code {v!r}; must be an ISO 3166-1 alpha-2 code the holidays package "
                "knows (e.g. CN, DE, ES, US) or null"
            )
        return None if v is None else v.upper()

    @field_validator("crew_productivity_kwp_per_day")
    @classmethod
    def _check_productivity(cls, v: dict[str, float]) -> dict[str, float]:
        allowed = set(SITE_TYPES) | {"default"}
        for key, value in v.items():
            if key not in allowed:
                raise ValueError(f"unknown site type {key!r}; must be one of: default, {', '.join(SITE_TYPES)}")
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"productivity of {key!r} must be a finite number > 0 [kWp/crew-day], got {value}")
        if "default" not in v:
            v = {**v, "default": _default_productivity()["default"]}
        return v

    @field_validator("rain_day_percent_by_month")
    @classmethod
    def _check_rain(cls, v: list[float]) -> list[float]:
        if len(v) != 12:
            raise ValueError(f"needs 12 values (January to December), got {len(v)}")
        for x in v:
            if not (np.isfinite(x) and 0 <= x <= 100):
                raise ValueError(f"each value must be a percentage in 0..100, got {x}")
        return v

    @field_validator("frozen_season_start_month_day", "frozen_season_end_month_day")
    @classmethod
    def _check_md(cls, v: str) -> str:
        cal.parse_month_day(v)
        return v

    def stage(self, site_type: str, stage: str) -> StageConfig:
        """The effective settings of ``stage`` for ``site_type``, in layers, each overriding only the keys it sets:
        default stage <- ``stages`` <- default site-type overrides <- ``site_type_stages``. (So giving
        ``site_type_stages`` for one type keeps the default overrides of the others.)"""
        key, kind = cast(StageName, stage), cast(SiteType, site_type)  # checked by the models' Literal keys
        out = _default_stages()[key]
        layers = (
            self.stages.get(key),
            _default_site_type_stages().get(kind, {}).get(key),
            self.site_type_stages.get(kind, {}).get(key),
        )
        for layer in layers:
            if layer is not None:
                update = {k: getattr(layer, k) for k in layer.model_fields_set}
                if "resource_busy_percent" in update and "effort_days_by_class" not in update:
                    update["effort_days_by_class"] = None  # a busy share given on its own replaces the effort
                out = out.model_copy(update=update)
        if out.duration is None:
            out = out.model_copy(update={"duration": _default_stages()[key].duration})
        return out

    def effort_days(self, site_type: str, stage: str, application_class: str) -> float | None:
        """Working days of the stage's resource for one application of ``application_class`` (None: the stage
        uses ``resource_busy_percent``). Classes the settings leave out keep the default stage's effort."""
        settings = self.stage(site_type, stage)
        if settings.effort_days_by_class is None:
            return None
        name = cast(ApplicationClass, application_class)
        default = _default_stages()[cast(StageName, stage)].effort_days_by_class or {}
        return float(settings.effort_days_by_class.get(name, default.get(name, 1.0)))

    def productivity(self, site_type: str) -> float:
        """Installation rate of one crew [kWp/crew-day] for ``site_type``."""
        p = self.crew_productivity_kwp_per_day
        return float(p.get(site_type, p["default"]))


class OperationConfig(StrictModel):
    """Operation settings (scenario section ``operation``). The O&M crew count is ``RolloutConfig.om_crews`` (it is a
    resource of the same programme, sized with the others)."""

    degradation_first_year_percent: float = Field(
        1.0, ge=0, le=100, description="loss of output in the first year (light-induced); assumption"
    )
    degradation_percent_per_year: float = Field(
        0.5, ge=0, le=100, description="loss of output per year after the first (median, Jordan & Kurtz 2013)"
    )
    inverter_mtbf_years: float | None = Field(
        10.0,
        gt=0,
        allow_inf_nan=False,
        description="mean operating time between inverter failures (null: no failures); assumption",
    )
    repair: Duration = Field(
        default_factory=lambda: triangular(2, 5, 15),
        description="time to repair once an O&M crew is free (MTTR) [days]; assumption",
    )


# ---------------------------------------------------------------------------------------------------------------
# What the settings imply for a run


def build_window_end_day(start_date: date, build_window_years: float, horizon_years: int | None = None) -> float:
    """Time [days since ``start_date``] from which no site is released: the end of the build window, or the horizon
    if that comes first (``horizon_years=None``: no horizon)."""
    start = cal.as_date(start_date)
    window_end = cal.days_since(start, cal.add_years(start, build_window_years))
    if horizon_years is None:
        return window_end
    return min(cal.days_since(start, cal.add_years(start, horizon_years)), window_end)


def budget_pot_days(start_date: date, build_window_years: float, horizon_years: int | None = None) -> list[float]:
    """Times [days since ``start_date``] at which the programme gets a year's budget (``release_mode="budget"``): the
    start itself, then every 1 January before the build window closes (see :func:`build_window_end_day`).

    This is what the model puts into its pot (the first budget at the start, the others in ``_budget_year``), so a
    start after 1 January gets one pot more than the window has whole years: 5 pots for a 5-year window from
    1 January 2026 (2026-2030), 6 from 15 July 2026 (the start, then 1 January 2027-2031)."""
    start = cal.as_date(start_date)
    window_end = build_window_end_day(start, build_window_years, horizon_years)
    days = [0.0]
    year = start.year + 1
    while (day := cal.days_since(start, date(year, 1, 1))) < window_end:
        days.append(day)
        year += 1
    return days


def total_budget_cny(
    config: RolloutConfig, start_date: date, horizon_years: int | None = None, annual_cny: float | None = None
) -> float | None:
    """The programme's (or with ``annual_cny`` one track's) total budget [CNY]: ``annual_budget_cny`` for each pot
    of :func:`budget_pot_days`, the most it can commit over the build window (with or without carry-over); None
    unless ``release_mode="budget"``."""
    if config.release_mode != "budget":
        return None
    pots = budget_pot_days(start_date, config.build_window_years, horizon_years)
    return float(config.annual_budget_cny if annual_cny is None else annual_cny) * len(pots)


# ---------------------------------------------------------------------------------------------------------------
# One site's work at one stage: the formula the rollout draws with and the plans take the expectation of


def application_classes(sites: pd.DataFrame) -> np.ndarray:
    """The class of each site's connection application (index into :data:`APPLICATION_CLASSES`): ``multi_point``
    where a ``connection_points`` column says more than one, ``household`` for rural homes connected at low voltage
    (<= 380 V; without a ``connection_level`` column every rural home), ``non_household`` otherwise."""
    household = sites["site_type"].to_numpy() == "rural_home"
    if "connection_level" in sites.columns:
        household &= sites["connection_level"].astype(str).to_numpy() == "lv"
    out = np.where(household, APPLICATION_CLASSES.index("household"), APPLICATION_CLASSES.index("non_household"))
    if "connection_points" in sites.columns:
        points = pd.to_numeric(sites["connection_points"], errors="coerce").fillna(1).to_numpy(float)
        out = np.where(points > 1, APPLICATION_CLASSES.index("multi_point"), out)
    return out.astype(np.int64)


def stage_work_days(
    config: RolloutConfig,
    site_type: str,
    stage: str,
    application_class: np.ndarray,
    capacity_kwp: np.ndarray,
    u: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Work of ``stage`` for sites of ``site_type`` at duration uniforms ``u`` [days; working days for office stages
    and construction when the calendar is on], and the part of it the stage's resource is held, from the start.

    The work is the stage's duration distribution at ``u`` (:meth:`Duration.ppf`); construction adds
    ``capacity_kwp / productivity`` and holds its crew for ``resource_busy_percent`` of it; another stage holds its
    resource for the effort of the site's application class (``effort_days_by_class``, at most the work) or, where
    the stage gives no effort, for ``resource_busy_percent`` of the work. The rollout calls it at each site's own
    uniforms; :func:`sim.programme.site_expectations` averages it over the distribution."""
    settings = config.stage(site_type, stage)
    duration = settings.duration
    if duration is None:  # RolloutConfig.stage fills it from the default stage
        raise ValueError(f"stage {stage!r} of {site_type!r} has no duration")
    work = np.asarray(duration.ppf(u), dtype=float)
    if stage == "construction":
        work = work + capacity_kwp / config.productivity(site_type)
        return work, work * settings.resource_busy_percent / 100.0
    held = work * settings.resource_busy_percent / 100.0
    for c, name in enumerate(APPLICATION_CLASSES):
        effort = config.effort_days(site_type, stage, name)
        mine = application_class == c
        if effort is not None and mine.any():
            held = np.where(mine, np.minimum(effort, work), held)
    return work, held
