"""The scenario file: typed, validated models, loading, defaults and the generated key reference.

A scenario is a YAML file. Every section is a strict pydantic model (unknown keys are rejected with the list of the
valid ones); every quantity carries its unit in its key; file paths are resolved against the scenario file's folder.
Section models live beside the module that uses them and are composed here.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
import types
import typing
import warnings
import zoneinfo
from pathlib import Path
from typing import Any, Literal, overload

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ._config import MOUNTS, SITE_TYPES, Mount, SiteType, StrictModel
from ._io import is_regular_file
from ._yaml import load_yaml, quote_hint
from .carbon import CarbonConfig
from .economics import EconomicsConfig
from .energy import SystemConfig
from .errors import InputError
from .inputs import column_names, parse_crs
from .planning import PlanningConfig
from .rollout import OperationConfig, RolloutConfig
from .weather import WeatherConfig


class ExclusionConfig(StrictModel):
    """One exclusion layer: sites that intersect it (after the buffer) are not eligible."""

    layer: str = Field(description="layer name in the exclusions file (GeoPackage layer)")
    file: Path | None = Field(None, description="file holding the layer; default: data.sites_file")
    buffer_m: float = Field(0.0, ge=0, le=50_000, description="buffer around the layer's geometries")
    applies_to: list[SiteType] | Literal["all"] = Field(
        "all", description="site types the exclusion applies to, or 'all'"
    )
    reason: str | None = Field(None, description="label written to sites.exclusion_reason; default: the layer name")


CrsSetting = str | int | None


class DataConfig(StrictModel):
    """Where the county's layers are, how their columns and categories map to pvsim's, and their coordinates.
    Every layer's columns: docs/inputs.md (`pvsim schema --inputs`)."""

    sites_file: Path = Field(
        description="GeoPackage, GeoJSON, Shapefile or GeoParquet with the candidate sites (polygons)"
    )
    sites_layer: str | None = Field("sites", description="layer of the candidate sites (None for single-layer files)")
    grid_file: Path | None = Field(None, description="file with the transformers and feeders; default: sites_file")
    transformers_file: Path | None = Field(
        None,
        description="file with the transformers: a vector file, or a CSV / XLSX ledger with lon/lat (or x/y "
        "and transformers_crs) columns; default: grid_file, then sites_file",
    )
    transformers_layer: str | None = Field("transformers", description="layer of the transformers (points)")
    feeders_layer: str | None = Field(
        None,
        description="layer of 10 kV feeder lines in grid_file (medium-voltage sites connect to the nearest "
        "feeder, limited by its substation's mv transformer); None: nearest mv transformer point",
    )
    lines_file: Path | None = Field(
        None,
        description="file with the low-voltage lines (a Shapefile or GeoParquet of its own); default: grid_file, "
        "then sites_file",
    )
    lines_layer: str | None = Field(
        None,
        description="layer of low-voltage lines (LineStrings with transformer_id and cable_type): under "
        "grid.hosting_method power_flow each transformer with lines gets its network from them (sim/powerflow.py), "
        "the others a synthetic one; None: no line layer (every network synthetic)",
    )
    exclusions: list[ExclusionConfig] = Field(default_factory=list, description="exclusion layers")
    columns: dict[Literal["sites", "transformers", "feeders", "lines"], dict[str, str]] = Field(
        default_factory=dict,
        description="per input, pvsim's column name -> the column in your file, e.g. "
        "{sites: {site_id: OBJECTID, roof_tilt_deg: slope}}",
    )
    site_type_map: dict[str, SiteType] = Field(
        default_factory=dict,
        description="your categories in the site_type column (land-use codes, OSM tags, "
        "local names; quote codes like '0101') -> pvsim's site types",
    )
    sites_crs: CrsSetting = Field(
        None,
        description="declare or override the sites' CRS: an EPSG code (4490 CGCS2000, "
        "4491-4554 its Gauss-Krueger zones) or GCJ-02 / BD-09 "
        "(converted to WGS 84); None: the file's own",
    )
    transformers_crs: CrsSetting = Field(None, description="the same for the transformers (needed for x/y columns)")
    feeders_crs: CrsSetting = Field(None, description="the same for the feeder lines")
    lines_crs: CrsSetting = Field(None, description="the same for the low-voltage lines")
    exclusions_crs: CrsSetting = Field(None, description="the same for every exclusion layer")

    @field_validator("sites_crs", "transformers_crs", "feeders_crs", "lines_crs", "exclusions_crs")
    @classmethod
    def _known_crs(cls, v: CrsSetting) -> CrsSetting:
        parse_crs(v)  # ValueError naming what is allowed
        return v

    @field_validator("site_type_map", mode="before")
    @classmethod
    def _codes_as_text(cls, v: Any) -> Any:
        return {str(k).strip(): val for k, val in v.items()} if isinstance(v, dict) else v

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for input_name, mapping in v.items():
            valid = column_names(input_name, with_points=True)
            unknown = [k for k in mapping if k not in valid]
            if unknown:
                close = difflib.get_close_matches(unknown[0], valid, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ValueError(
                    f"{input_name}.{unknown[0]} is not a {input_name} column{hint}; the keys are pvsim's "
                    f"names, the values yours; allowed: {', '.join(valid)}"
                )
        return v


class SiteTypeOverride(StrictModel):
    """Per-site-type overrides of `sim/tables/site_types.csv` (omitted keys keep the table's value)."""

    usable_area_percent: float | None = Field(None, gt=0, le=100, description="share of the polygon usable for PV")
    power_density_w_per_m2: float | None = Field(None, gt=0, le=300, description="DC peak power per m2 of usable area")
    mount: Mount | None = Field(None, description="mount type: " + ", ".join(MOUNTS))
    surface_tilt_deg: float | None = Field(None, ge=0, le=90, description="module tilt where the layer gives none")
    surface_azimuth_deg: float | None = Field(None, ge=0, lt=360, description="module azimuth (180 = south)")
    gcr: float | None = Field(None, ge=0, le=0.9, description="ground coverage ratio of racked rows")
    height_m: float | None = Field(None, ge=0, le=30, description="height of the lowest module edge")
    tracking: bool | None = Field(None, description="single-axis tracking")
    bifaciality: float | None = Field(None, ge=0, le=1, description="rear/front efficiency ratio")
    capex_cny_per_w: float | None = Field(None, gt=0, le=20, description="installed cost")
    om_cny_per_kw_year: float | None = Field(None, ge=0, le=500, description="O&M cost")


class SitingConfig(StrictModel):
    """Eligibility and sizing rules."""

    include_types: list[SiteType] | None = Field(None, description="site types considered (default: all)")
    min_capacity_kwp: float = Field(3.0, ge=0, description="sites smaller than this are not eligible")
    max_site_capacity_kwp: float = Field(
        6000.0, gt=0, description="capacity cap of one site (10 kV distributed PV up to 6 MW, NEA 2025)"
    )
    lv_max_kwp: float = Field(
        400.0, gt=0, description="sites up to this size connect to a 10/0.4 kV transformer, larger ones at 10 kV"
    )
    max_transformer_distance_m: float = Field(
        3000.0, gt=0, description="sites farther than this from any suitable transformer are not eligible"
    )
    agrivoltaic_min_crop_light_percent: float | None = Field(
        None, ge=0, le=100, description="minimum open-field light on crops under agrivoltaic arrays (bounds GCR)"
    )
    site_types: dict[SiteType, SiteTypeOverride] = Field(
        default_factory=dict, description="per-type overrides of the site-type table"
    )


class GridConfig(StrictModel):
    """Hosting capacity and export limits of the transformers."""

    hosting_share_percent: float = Field(
        80.0,
        gt=0,
        le=200,
        description="PV on a transformer, incl. under construction, <= this share of its rating (Henan 2023: 80 %)",
    )
    export_limit_percent: float | None = Field(
        100.0,
        gt=0,
        le=200,
        description="reverse power flow through a transformer may reach this share of its "
        "rating (100: its thermal rating); hourly export (new PV output minus local load) above it is curtailed "
        "(None: no limit)",
    )
    hosting_method: Literal["rule", "power_flow"] = Field(
        "rule",
        description="how a transformer's hosting limit is decided: rule, hosting_share_percent of its rating less its "
        "existing PV; power_flow, AC power flows (backward/forward sweep, sim/powerflow.py) at each network's worst "
        "hour (largest net export): per low-voltage transformer its LV network (the lines layer, else a minimum "
        "spanning tree over it and its sites, cable NAYY 4x150 SE), per substation (its mv entry) its 10 kV feeders "
        "(the feeders layer, else a minimum spanning tree over the substation and its distribution transformers, "
        "each feeder_id of the ledger on its own branches, the medium-voltage sites tapping its nearest bus, "
        "conductor 149-AL1/24-ST1A 10.0) with the distribution transformers' net load on "
        "them; the limit is the largest new PV that keeps every bus <= voltage_max_pu (LV) or mv_voltage_max_pu "
        "(10 kV) and every cable and the transformer within their thermal ratings. The rollout screens each "
        "application with the PV already reserved plus the site's own: on its LV network and on its substation's "
        "feeders",
    )
    voltage_max_pu: float = Field(
        1.07,
        gt=1.0,
        le=1.2,
        allow_inf_nan=False,
        description="highest bus voltage of a low-voltage network the power_flow method allows [pu of 400 V]: "
        "GB/T 12325-2008 limits the supply voltage deviation of three-phase supply at 20 kV and below to +-7 % and "
        "of 220 V single-phase supply to +7 % / -10 % of nominal, so +7 %",
    )
    mv_voltage_max_pu: float = Field(
        1.07,
        gt=1.0,
        le=1.2,
        allow_inf_nan=False,
        description="highest bus voltage of a substation's 10 kV feeders the power_flow method allows [pu of 10 kV]: "
        "GB/T 12325-2008 limits the supply voltage deviation of three-phase supply at 20 kV and below to +-7 % of "
        "nominal, so +7 % (the 10 kV busbar at 1.0 pu: each level checked against its own band, the 10/0.4 kV "
        "transformers' taps set for their own)",
    )
    allow_hosting_above_rating: bool = Field(
        False,
        description="allow hosting_share_percent or export_limit_percent above 100 (a deliberate override: "
        "the Henan 2023 rule caps PV at 80 % of the rating)",
    )
    curtailment_sharing: Literal["pro_rata", "new_first"] = Field(
        "pro_rata",
        description="how a transformer's hourly export above its limit is shared: pro_rata, in "
        "proportion to each PV system's output, the PV connected before the programme (existing_pv_kw, at its "
        "hourly output) included; new_first: the programme's new PV is curtailed first, the existing PV keeps its "
        "output (a what-if: existing systems hold earlier connection agreements)",
    )
    system_utilisation_percent: float | None = Field(
        None,
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="system-level solar utilisation rate [%] applied on top of the local export limit: this share "
        "of what the transformers pass is used, the rest is curtailed by the system (null: none). National solar "
        "utilisation: 96.1 % in H1 2024, 93.4 % in H1 2025 (National New Energy Consumption Monitoring and Early "
        "Warning Centre); the utilisation red line was relaxed to 90 %",
    )
    load_mwh_per_customer_year: float | None = Field(
        None,
        ge=0,
        allow_inf_nan=False,
        description="yearly electricity use of each customer of a transformer ledger's 'customers' column beyond "
        "the buildings of the sites layer (whose loads are sim/tables/site_loads.csv or the layer's "
        "load_kwh_per_year) [MWh], with the BDEW H0 household shape; local load offsets export hour by hour. "
        "Default (None): the rural_home load of sim/tables/site_loads.csv (1.08 MWh, He & Reiner 2014)",
    )

    @model_validator(mode="after")
    def _check_above_rating(self):
        for name in ("hosting_share_percent", "export_limit_percent"):
            value = getattr(self, name)
            if value is not None and value > 100 and not self.allow_hosting_above_rating:
                raise ValueError(
                    f"{name} = {value} is above 100 % of the transformer rating; allowed: <= 100, or "
                    "set grid.allow_hosting_above_rating: true to override"
                )
        return self

    @model_validator(mode="after")
    def _check_consistent_pair(self):
        # one consistent pair of rules: the grid company approves PV on a transformer only up to what the transformer
        # may export; approving 80 % of the rating while limiting export to 50 % would connect PV it then curtails
        if self.export_limit_percent is not None and self.export_limit_percent < self.hosting_share_percent:
            raise ValueError(
                f"export_limit_percent ({self.export_limit_percent:g}) is below hosting_share_percent "
                f"({self.hosting_share_percent:g}): the grid company would approve PV the transformer may not export; "
                f"allowed: export_limit_percent >= hosting_share_percent (set grid.hosting_share_percent: "
                f"{self.export_limit_percent:g} for a tighter reverse-power-flow rule)"
            )
        return self


class Scenario(StrictModel):
    """A whole scenario file."""

    name: str = Field(description="short name, used in output folder names")
    description: str = Field("", description="free text")
    start_date: dt.date = Field(dt.date(2026, 1, 1), description="first day of the programme")
    time_zone: str | None = Field(
        None,
        description="IANA time zone of the county (local dates and clock hours, e.g. Asia/Shanghai); null: "
        "the zone at the centre of the sites",
    )
    country: str | None = Field(
        None,
        description="ISO 3166-1 alpha-2 code of the county's country (CN, DE, AU, ...); null: from the sites' "
        "location (the time zone there and the IANA zone.tab). It decides the defaults of holidays, currency, "
        "China's rules and the grid factor that the scenario leaves unset (sim/country.py)",
    )
    pilot_coverage: bool = Field(
        True,
        description="report coverage of China's whole-county rooftop pilot (NEA 2021 minimums by roof "
        "category); false for a county outside the programme: no pilot figures, and the pilot_quota strategy is "
        "refused",
    )
    horizon_years: int = Field(25, ge=1, le=60, description="years simulated from start_date (build + operation)")
    seed: int = Field(0, ge=0, description="seed of the run's SeedSequence")
    strategy: str = Field("max_yield", description="siting strategy: a built-in name or 'module:function'")
    data: DataConfig = Field(description="where the county's layers are")
    weather: WeatherConfig = Field(default_factory=WeatherConfig, description="weather source")
    system: SystemConfig = Field(default_factory=SystemConfig, description="PV system losses and inverter")
    siting: SitingConfig = Field(default_factory=SitingConfig, description="eligibility and sizing")
    grid: GridConfig = Field(default_factory=GridConfig, description="hosting capacity and export limits")
    rollout: RolloutConfig = Field(default_factory=RolloutConfig, description="the SimPy rollout model")
    operation: OperationConfig = Field(default_factory=OperationConfig, description="degradation and failures")
    carbon: CarbonConfig = Field(default_factory=CarbonConfig, description="emission factors and method")
    economics: EconomicsConfig = Field(default_factory=EconomicsConfig, description="tariffs and discounting")
    planning: PlanningConfig = Field(
        default_factory=PlanningConfig, description="the optimising strategies optimal and multi_year_plan"
    )

    _path: Path | None = PrivateAttr(None)
    _overrides: dict = PrivateAttr(default_factory=dict)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; must be an IANA name such as Asia/Shanghai or Europe/Madrid, or null"
            ) from None
        return v

    @field_validator("country")
    @classmethod
    def _known_country(cls, v: str | None) -> str | None:
        from sim.country import country_codes

        if v is None:
            return v
        code = str(v).strip().upper()
        if code not in country_codes():
            raise ValueError(
                f"unknown country code {v!r}; must be an ISO 3166-1 alpha-2 code such as CN, DE or AU, "
                "or null (from the sites' location)"
            )
        return code

    @field_validator("strategy")
    @classmethod
    def _strategy_form(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("strategy must be a built-in name or 'module:function'")
        return v

    @property
    def path(self) -> Path | None:
        """The scenario file this was loaded from (None when built in code)."""
        return self._path

    @property
    def overrides(self) -> dict[str, Any]:
        """The changes made to the file's values (``--set``, ``--param``, :meth:`with_changes`, the keyword
        arguments of :func:`load_scenario`), in the order given: dotted key -> value (``{"rollout.crews": 4}``)."""
        return copy.deepcopy(self._overrides)

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths are resolved against."""
        return self._path.parent if self._path is not None else Path.cwd()

    def with_changes(self, changes: dict[str, Any], *, option: str | None = None) -> Scenario:
        """A validated copy with ``changes`` applied (dotted keys, e.g. ``{"rollout.crews": 4}``; a mapping for a
        section merges into it). Unknown keys and bad values raise :class:`InputError` like the file would; with
        ``option`` (e.g. ``"--set"``) the error names the option."""
        raw = merge_changes(
            self.model_dump(mode="python", exclude_unset=True), changes, field_prefix=f"{option} " if option else ""
        )
        changed = scenario_from_dict(raw, path=self._path, label=option)
        changed._overrides = {**self._overrides, **dotted(changes)}
        return changed

    def with_location_defaults(self, changes: dict[str, Any]) -> Scenario:
        """A validated copy with the defaults its location decided (:func:`sim.country.apply_location`; dotted keys
        the scenario left unset). Unlike :meth:`with_changes`, these are not recorded as the user's overrides."""
        raw = merge_changes(self.model_dump(mode="python", exclude_unset=True), changes, field_prefix="")
        changed = scenario_from_dict(raw, path=self._path)
        changed._overrides = dict(self._overrides)
        return changed

    @overload
    def resolve(self, p: Path | str) -> Path: ...

    @overload
    def resolve(self, p: None) -> None: ...

    def resolve(self, p: Path | str | None) -> Path | None:
        """Resolve a path of the scenario against its folder."""
        if p is None:
            return None
        p = Path(p).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()


# --------------------------------------------------------------------------------------------- loading


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class at ``loc`` inside ``model`` (for listing valid keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return None
        if part not in fields:
            # dict[str, Model]: the key is a free name; stay on the value model
            continue
        current = _inner_model(fields[part].annotation)
        if current is None:
            return None
    return current if hasattr(current, "model_fields") else None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


#: The valid keys an unknown-key error lists, at most this many characters (the rest: `pvsim schema`).
KEY_LIST_CHARS = 600


def _key_list(valid: list[str]) -> str | None:
    """``a, b, c`` of the valid keys, cut at :data:`KEY_LIST_CHARS` with how many more and where they are listed."""
    shown: list[str] = []
    for key in valid:
        if len(", ".join([*shown, key])) > KEY_LIST_CHARS:
            return ", ".join(shown) + f" and {len(valid) - len(shown)} more (pvsim schema, docs/scenarios.md)"
        shown.append(key)
    return ", ".join(shown) or None


def format_validation_error(err: ValidationError, model: type[BaseModel], file: Path | str | None) -> InputError:
    """Turn the first pydantic error into one clear :class:`InputError` line."""
    first = err.errors()[0]
    loc = tuple(first.get("loc", ()))
    field = ".".join(str(p) for p in loc) or "(top level)"
    kind = first.get("type", "")
    value = first.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        valid = sorted(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=2, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        return InputError(f"'{loc[-1]}' is not a valid key{hint}", file=file, field=field, allowed=_key_list(valid))
    if kind == "missing":
        return InputError("required key is missing", file=file, field=field)
    msg = first.get("msg", "invalid value")
    msg = msg.removeprefix("Value error, ")
    allowed = None
    ctx = first.get("ctx") or {}
    if "expected" in ctx:
        allowed = str(ctx["expected"])
        msg = "invalid value"
    if isinstance(value, dict):
        value = None
    return InputError(msg, file=file, field=field, value=value, allowed=allowed)


def load_scenario(path: str | Path, **overrides: Any) -> Scenario:
    """Read and validate a scenario file.

    ``overrides`` change keys before validation: top-level values (``seed=3``, ``strategy="random"``), sections
    merged key by key (``rollout={"crews": 2}`` keeps the other rollout keys of the file), or dotted keys passed as
    a dict (``**{"rollout.crews": 2}``).
    Raises :class:`InputError` with the file, the key, the bad value and what is allowed.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("scenario file not found", file=path)
    if path.is_dir():
        raise InputError("expected a scenario YAML file, got a folder", file=path)
    if not is_regular_file(path):
        raise InputError(
            "not a plain file (a device, a FIFO or a socket is never read)", file=path, allowed="a scenario YAML file"
        )
    try:
        raw, surprises = load_yaml(path.read_text(encoding="utf-8"), file=path)
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) file", file=path) from None
    if raw is None:
        raise InputError("the scenario file is empty", file=path)
    if not isinstance(raw, dict):
        raise InputError("a scenario must be a mapping of keys to values", file=path, value=type(raw).__name__)
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        scenario = scenario_from_dict(merge_changes(raw, given), path=path)
    except InputError as exc:
        raise quote_hint(exc, surprises) from None
    scenario._overrides = dotted(given)
    return scenario


def dotted(changes: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``changes`` with every mapping given for a section spelt out as dotted keys, as :func:`merge_changes`
    applies them: ``{"rollout": {"crews": 2}}`` -> ``{"rollout.crews": 2}``."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(dotted(value, prefix=f"{name}."))
        else:
            out[name] = copy.deepcopy(value)
    return out


def merge_changes(raw: dict, changes: dict[str, Any], *, field_prefix: str = "") -> dict:
    """A copy of ``raw`` with ``changes`` applied: a key may be dotted (``"rollout.crews"``) and a mapping given for a
    section is merged into it key by key (``rollout={"crews": 2}`` changes the crews and keeps the rest)."""
    out = copy.deepcopy(raw)
    for key, value in changes.items():
        parts = str(key).split(".")
        if any(not p for p in parts):
            raise InputError(
                "empty part in a dotted key",
                field=f"{field_prefix}{key}",
                allowed="keys like rollout.crews (see 'pvsim schema')",
            )
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise InputError(
                    f"'{where}' is a value, not a section",
                    field=f"{field_prefix}{key}",
                    value=child,
                    allowed=f"a key of a section, not below '{where}'",
                )
            node = child
        leaf = parts[-1]
        if isinstance(value, dict) and isinstance(node.get(leaf), dict):
            node[leaf] = merge_changes(node[leaf], value, field_prefix=f"{field_prefix}{'.'.join(parts)}.")
        else:
            node[leaf] = copy.deepcopy(value)
    return out


def parse_assignment(text: str, option: str = "--set", surprises: dict[str, str] | None = None) -> tuple[str, Any]:
    """``"rollout.crews=12"`` -> ``("rollout.crews", 12)``: the value is read as YAML (numbers, true/false, null,
    lists ``[a, b]``), as in the scenario file. ``surprises``: filled with dotted key -> text where YAML 1.1 read a
    plain scalar as a boolean (``NO``), for the "quote it" hint of :func:`sim._yaml.quote_hint`."""
    key, sep, value = str(text).partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError("expected KEY=VALUE", field=option, value=text, allowed="e.g. rollout.crews=12")
    if value.strip() == "":
        raise InputError("no value given", field=f"{option} {key}", value=text, allowed="KEY=VALUE")
    parsed, found = load_yaml(value, field=f"{option} {key}")
    if surprises is not None:
        surprises.update({".".join(p for p in (key, path) if p): text for path, text in found.items()})
    return key, parsed


def scenario_from_dict(raw: dict, *, path: Path | None = None, label: str | None = None) -> Scenario:
    """Validate a scenario given as a dict (``path`` sets the folder relative paths are resolved against; errors
    name ``label`` before the key when given, e.g. ``--set rollout.crews``)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        error = format_validation_error(err, Scenario, path)
        if label is not None:
            error = InputError(
                error.detail,
                file=path,
                field=f"{label} {error.field}" if error.field else label,
                value=error.value,
                allowed=error.allowed,
            )
        raise error from None
    scenario._path = Path(path).resolve() if path is not None else None
    _warn_prices_in_another_currency(scenario, path)
    return scenario


#: Money keys whose defaults are CNY figures: every price (``*_cny_per_*``) of these sections with a default, the
#: mechanism price (its default comes from the CNY auction table) and, per site type, the table's columns.
_CNY_PRICE_SECTIONS = ("economics", "rollout")
_CNY_TABLE_KEYS = ("economics.mechanism_price_cny_per_kwh",)
_CNY_SITE_TYPE_KEYS = ("capex_cny_per_w", "om_cny_per_kw_year")


def _warn_prices_in_another_currency(scenario: Scenario, path: Path | None) -> None:
    """A run labelled in another currency than CNY whose prices are still the shipped CNY defaults is wrong: say
    which keys are left (an :class:`InputWarning`, an error with ``--strict``)."""
    from .errors import InputWarning

    currency = scenario.economics.currency
    if currency == "CNY":
        return
    left = []
    for section in _CNY_PRICE_SECTIONS:
        model = getattr(scenario, section)
        left += [
            f"{section}.{name}"
            for name, field in type(model).model_fields.items()
            if "_cny_per_" in name
            and name not in model.model_fields_set
            and (field.default is not None or f"{section}.{name}" in _CNY_TABLE_KEYS)
        ]
    for site_type in scenario.siting.include_types or SITE_TYPES:
        given = scenario.siting.site_types.get(site_type)
        left += [
            f"siting.site_types.{site_type}.{k}"
            for k in _CNY_SITE_TYPE_KEYS
            if given is None or getattr(given, k) is None
        ]
    if left:
        where = f"{path}: " if path is not None else ""
        warnings.warn(
            f"{where}economics.currency: {currency} labels the money figures, but {len(left)} price(s) "
            f"keep their CNY defaults: {', '.join(left[:4])}{' ...' if len(left) > 4 else ''}; give them "
            f"in {currency}",
            InputWarning,
            stacklevel=2,
        )


# --------------------------------------------------------------------------------------------- as run

#: The scenario as a run, comparison or sweep ran it, in its output folder (see :func:`as_run_yaml`).
AS_RUN_FILE = "scenario.yaml"


def as_run(scenario: Scenario, *, strategy: str | None = None, seed: int | None = None) -> dict:
    """The scenario exactly as run, as plain YAML types: every key with its value (defaults included), the changes
    applied, the run's ``strategy`` and ``seed`` when given, and every file path absolute (so the file reads the
    same data wherever it is copied)."""
    raw = _plain(scenario.model_dump(mode="python"), scenario)
    if strategy is not None:
        raw["strategy"] = strategy
    if seed is not None:
        raw["seed"] = int(seed)
    return raw


def _plain(value: Any, scenario: Scenario) -> Any:
    if isinstance(value, Path):
        return str(scenario.resolve(value))
    if isinstance(value, dict):
        return {str(k): _plain(v, scenario) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, scenario) for v in value]
    if value is None or isinstance(value, (bool, int, float, str, dt.date)):
        return value
    return str(value)


def as_run_yaml(scenario: Scenario, *, strategy: str | None = None, seed: int | None = None) -> str:
    """:func:`as_run` as the text of ``scenario.yaml`` in an output folder: a scenario file that ``pvsim run``
    accepts as it is and that gives the same run. Deterministic (no time stamp): the same scenario gives the same
    bytes."""
    import yaml

    header = (
        f"# The scenario {scenario.name} exactly as pvsim ran it: every key (defaults included), the changes of\n"
        "# --set / --param applied (summary.json lists them as overrides) and file paths made absolute.\n"
    )
    return header + yaml.safe_dump(
        as_run(scenario, strategy=strategy, seed=seed),
        sort_keys=False,
        allow_unicode=True,
        width=110,
        default_flow_style=False,
    )


# --------------------------------------------------------------------------------------------- reference

UNIT_SUFFIXES = [
    ("_kgco2e_per_kwh", "kgCO2e/kWh"),
    ("_mwh_per_customer_year", "MWh/customer/yr"),
    ("_months", "months"),
    ("_kgco2_per_kwh", "kgCO2/kWh"),
    ("_cny_per_kw_year", "CNY/kW/yr"),
    ("_cny_per_kwp_year", "CNY/kWp/yr"),
    ("_cny_per_kwh", "CNY/kWh"),
    ("_cny_per_w", "CNY/W"),
    ("_cny_per_km", "CNY/km"),
    ("_kwp_per_day", "kWp/crew-day"),
    ("_kwh_per_m2_day", "kWh/m2/day"),
    ("_w_per_m2", "W/m2"),
    ("_m_per_s", "m/s"),
    ("_days_before", "days"),
    ("_days_after", "days"),
    ("_percent_per_year", "%/yr"),
    ("_percent_per_c", "%/°C"),
    ("_percent_by_month", "% (12 months)"),
    ("_per_day", "1/day"),
    ("_per_year", "1/year"),
    ("_percent", "%"),
    ("_years", "years"),
    ("_days", "days"),
    ("_kwp", "kWp"),
    ("_kva", "kVA"),
    ("_pu", "pu"),
    ("_kw", "kW"),
    ("_cny", "CNY"),
    ("_deg", "°"),
    ("_m2", "m2"),
    ("_m", "m"),
    ("_c", "°C"),
    ("_s", "s"),
]


def unit_of(key: str) -> str:
    for suffix, unit in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return unit
    return "-"


def _type_name(annotation: Any) -> str:
    text = repr(annotation) if not isinstance(annotation, type) else annotation.__name__
    text = re.sub(r"\bsim\.(?:[a-z_]+\.)+", "", text)  # sim.rollout.config.StageConfig -> StageConfig
    for noise in ("typing.", "datetime.", "pathlib.", "<class '", "'>"):
        text = text.replace(noise, "")
    return text.replace("NoneType", "None")


def _default_text(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(section)"
        return repr(value)
    default = field.default
    if isinstance(default, dt.date):
        return default.isoformat()
    if isinstance(default, BaseModel):
        return "(section)"
    return repr(default)


def _walk(model: type[BaseModel], prefix: str, rows: list[tuple[str, str, str, str, str]], seen: set) -> None:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = _inner_model(field.annotation)
        rows.append((key, _type_name(field.annotation), unit_of(name), _default_text(field), field.description or ""))
        if inner is not None and (inner, key) not in seen:
            seen.add((inner, key))
            origin = typing.get_origin(field.annotation)
            if origin is dict or (
                isinstance(field.annotation, types.UnionType) is False and "dict[" in repr(field.annotation)
            ):
                _walk(inner, f"{key}.<name>.", rows, seen)
            elif origin is list or "list[" in repr(field.annotation):
                _walk(inner, f"{key}[].", rows, seen)
            else:
                _walk(inner, f"{key}.", rows, seen)


def reference_rows(model: type[BaseModel] | None = None) -> list[tuple[str, str, str, str, str]]:
    """(key, type, unit, default, meaning) for every key of the scenario file (or of another file's ``model``,
    e.g. :class:`sim.study.StudyConfig`)."""
    rows: list[tuple[str, str, str, str, str]] = []
    _walk(model or Scenario, "", rows, set())
    return rows


def markdown_table(rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    """The lines of the Markdown table of :func:`reference_rows`."""
    lines = ["| key | type | unit | default | meaning |", "|---|---|---|---|---|"]
    for key, typ, unit, default, meaning in rows:
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in (key, typ, unit, default, meaning)]
        lines.append("| `" + cells[0] + "` | " + " | ".join(cells[1:]) + " |")
    return lines


def reference_markdown() -> str:
    """The scenario key reference as Markdown (``docs/scenarios.md`` is this text; a test keeps them equal)."""
    lines = [
        "# Scenario file reference",
        "",
        "Generated from the models in `sim/` by `pvsim schema > docs/scenarios.md`; a test keeps this file in step.",
        "Every quantity carries its unit in its key. Paths are relative to the scenario file's folder.",
        "Durations (`duration`, `repair`...) take `dist` (fixed, uniform, triangular, exponential, lognormal) and",
        "`value_days`, `low_days`/`high_days`, `low_days`/`mode_days`/`high_days`, `mean_days` or `mean_days`/`sigma`.",
        "",
        *markdown_table(reference_rows()),
    ]
    return "\n".join(lines) + "\n"
