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
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator

from ._config import MOUNTS, SITE_TYPES, Mount, SiteType, StrictModel  # noqa: F401  (re-exported)
from .carbon import CarbonConfig
from .rollout import OperationConfig, RolloutConfig
from .economics import EconomicsConfig
from .energy import SystemConfig
from .errors import InputError
from .planning import PlanningConfig
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


class DataConfig(StrictModel):
    """Where the county's layers are."""

    sites_file: Path = Field(description="GeoPackage / GeoParquet / shapefile with the candidate sites (polygons)")
    sites_layer: str | None = Field("sites", description="layer of the candidate sites (None for single-layer files)")
    grid_file: Path | None = Field(None, description="file with the transformers; default: sites_file")
    transformers_layer: str | None = Field("transformers", description="layer of the transformers (points)")
    feeders_layer: str | None = Field(
        None, description="layer of 10 kV feeder lines in grid_file (medium-voltage sites connect to the nearest "
                          "feeder, limited by its substation's mv transformer); None: nearest mv transformer point")
    exclusions: list[ExclusionConfig] = Field(default_factory=list, description="exclusion layers")


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
    self_consumption_percent: float | None = Field(None, ge=0, le=100, description="share of energy used on site")


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
        80.0, gt=0, le=200, description="PV on a transformer, incl. under construction, <= this share of its rating (Henan 2023: 80 %)"
    )
    export_limit_percent: float | None = Field(
        100.0, gt=0, le=200, description="hourly export above this share of the rating is curtailed (None: no limit)"
    )


class Scenario(StrictModel):
    """A whole scenario file."""

    name: str = Field(description="short name, used in output folder names")
    description: str = Field("", description="free text")
    start_date: dt.date = Field(dt.date(2026, 1, 1), description="first day of the programme")
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
    planning: PlanningConfig = Field(default_factory=PlanningConfig,
                                     description="the optimising strategies optimal and multi_year_plan")

    _path: Path | None = PrivateAttr(None)

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
    def base_dir(self) -> Path:
        """Folder that relative paths are resolved against."""
        return self._path.parent if self._path is not None else Path.cwd()

    def with_changes(self, changes: dict[str, Any], *, option: str | None = None) -> "Scenario":
        """A validated copy with ``changes`` applied (dotted keys, e.g. ``{"rollout.crews": 4}``; a mapping for a
        section merges into it). Unknown keys and bad values raise :class:`InputError` like the file would; with
        ``option`` (e.g. ``"--set"``) the error names the option."""
        raw = merge_changes(self.model_dump(mode="python", exclude_unset=True), changes,
                            field_prefix=f"{option} " if option else "")
        return scenario_from_dict(raw, path=self._path, label=option)

    def resolve(self, p: Path | str | None) -> Path | None:
        """Resolve a path of the scenario against its folder."""
        if p is None:
            return None
        p = Path(p).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()


# --------------------------------------------------------------------------------------------- loading


def _model_at(model: type, loc: tuple) -> type | None:
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


def _inner_model(annotation: Any) -> type | None:
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def format_validation_error(err: ValidationError, model: type, file: Path | str | None) -> InputError:
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
        return InputError(
            f"'{loc[-1]}' is not a valid key{hint}", file=file, field=field, allowed=", ".join(valid) or None
        )
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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"YAML syntax error at {where}{problem}", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) file", file=path) from None
    if raw is None:
        raise InputError("the scenario file is empty", file=path)
    if not isinstance(raw, dict):
        raise InputError("a scenario must be a mapping of keys to values", file=path, value=type(raw).__name__)
    raw = merge_changes(raw, {k: v for k, v in overrides.items() if v is not None})
    return scenario_from_dict(raw, path=path)


def merge_changes(raw: dict, changes: dict[str, Any], *, field_prefix: str = "") -> dict:
    """A copy of ``raw`` with ``changes`` applied: a key may be dotted (``"rollout.crews"``) and a mapping given for a
    section is merged into it key by key (``rollout={"crews": 2}`` changes the crews and keeps the rest)."""
    out = copy.deepcopy(raw)
    for key, value in changes.items():
        parts = str(key).split(".")
        if any(not p for p in parts):
            raise InputError("empty part in a dotted key", field=f"{field_prefix}{key}",
                             allowed="keys like rollout.crews (see 'pvsim schema')")
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise InputError(f"'{where}' is a value, not a section", field=f"{field_prefix}{key}",
                                 value=child, allowed=f"a key of a section, not below '{where}'")
            node = child
        leaf = parts[-1]
        if isinstance(value, dict) and isinstance(node.get(leaf), dict):
            node[leaf] = merge_changes(node[leaf], value, field_prefix=f"{field_prefix}{'.'.join(parts)}.")
        else:
            node[leaf] = copy.deepcopy(value)
    return out


def parse_assignment(text: str, option: str = "--set") -> tuple[str, Any]:
    """``"rollout.crews=12"`` -> ``("rollout.crews", 12)``: the value is read as YAML (numbers, true/false, null,
    lists ``[a, b]``), as in the scenario file."""
    key, sep, value = str(text).partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError("expected KEY=VALUE", field=option, value=text, allowed="e.g. rollout.crews=12")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        raise InputError("the value is not valid YAML", field=f"{option} {key}", value=value) from None
    if value.strip() == "":
        raise InputError("no value given", field=f"{option} {key}", value=text, allowed="KEY=VALUE")
    return key, parsed


def scenario_from_dict(raw: dict, *, path: Path | None = None, label: str | None = None) -> Scenario:
    """Validate a scenario given as a dict (``path`` sets the folder relative paths are resolved against; errors
    name ``label`` before the key when given, e.g. ``--set rollout.crews``)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        error = format_validation_error(err, Scenario, path)
        if label is not None:
            error = InputError(error.detail, file=path, field=f"{label} {error.field}" if error.field else label,
                               value=error.value, allowed=error.allowed)
        raise error from None
    scenario._path = Path(path).resolve() if path is not None else None
    return scenario


# --------------------------------------------------------------------------------------------- reference

UNIT_SUFFIXES = [
    ("_kgco2e_per_kwh", "kgCO2e/kWh"),
    ("_kgco2_per_kwh", "kgCO2/kWh"),
    ("_cny_per_kw_year", "CNY/kW/yr"),
    ("_cny_per_kwh", "CNY/kWh"),
    ("_cny_per_w", "CNY/W"),
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
    ("_percent", "%"),
    ("_years", "years"),
    ("_days", "days"),
    ("_kwp", "kWp"),
    ("_kva", "kVA"),
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


def _walk(model: type, prefix: str, rows: list[tuple[str, str, str, str, str]], seen: set) -> None:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = _inner_model(field.annotation)
        rows.append((key, _type_name(field.annotation), unit_of(name), _default_text(field), field.description or ""))
        if inner is not None and (inner, key) not in seen:
            seen.add((inner, key))
            origin = typing.get_origin(field.annotation)
            if origin is dict or (isinstance(field.annotation, types.UnionType) is False and "dict[" in repr(field.annotation)):
                _walk(inner, f"{key}.<name>.", rows, seen)
            elif origin is list or "list[" in repr(field.annotation):
                _walk(inner, f"{key}[].", rows, seen)
            else:
                _walk(inner, f"{key}.", rows, seen)


def reference_rows() -> list[tuple[str, str, str, str, str]]:
    """(key, type, unit, default, meaning) for every key of the scenario file."""
    rows: list[tuple[str, str, str, str, str]] = []
    _walk(Scenario, "", rows, set())
    return rows


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
        "| key | type | unit | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for key, typ, unit, default, meaning in reference_rows():
        cells = [key, typ, unit, default, meaning]
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in cells]
        lines.append("| `" + cells[0] + "` | " + " | ".join(cells[1:]) + " |")
    return "\n".join(lines) + "\n"
