"""What a report knows beyond the output tables: the scenario (the programme and the assumptions behind the money and
carbon figures) and the county's map layers (:func:`sim.sites.map_layers`).

Both come from the folder itself: ``scenario.yaml`` (the scenario exactly as run, ``--set`` changes applied) and
``layers.gpkg``, which every run, comparison and sweep writes, so that a copied folder gives the same report
anywhere. ``--scenario`` / ``scenario=`` overrides them (its own layers; its input files are hashed as the run
hashed them, :func:`sim.pipeline.inputs_sha256`, and when they differ from the run's the report says so). A folder
written before pvsim kept the scenario falls back on the path it records (``scenario_file``) when that file still
exists, else on ``scenarios/<name>.yaml`` near the working directory or the folder when its input files hash to the
run's ``inputs_sha256``. A report without a scenario, or whose layers cannot be read, still renders (sites only,
and a note).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..labels import (
    COLON,
    in_currency,
    joined,
    label,
    money,
    parenthesised,
    quantity,
    quantity_range,
    track_label,
    with_unit,
)

if TYPE_CHECKING:
    from ..scenario import Scenario


@dataclass
class Context:
    scenario: Scenario | None = None
    layers: dict = field(default_factory=dict)
    inputs_differ: bool = False
    layer_error: str | None = None
    as_run: bool = False
    """The scenario is the folder's own ``scenario.yaml`` (the run as made)."""

    def notes(self, lang: str) -> list[str]:
        out = []
        if self.scenario is None:
            out.append(label("report.no_scenario", lang))
        if self.inputs_differ:
            out.append(label("report.scenario_changed", lang))
        if self.layer_error:
            out.append(f"{label('report.no_layers', lang)} ({self.layer_error})")
        if lang == "zh":
            from ..plotting import CJK_MISSING_NOTE, cjk_font

            if cjk_font() is None:
                out.append(CJK_MISSING_NOTE)
        return out


def _as_run(folder: Path | None):
    """The folder's ``scenario.yaml`` (the scenario as run), or None; its warnings were given when it ran."""
    import warnings

    from ..results import AS_RUN_FILE
    from ..scenario import load_scenario

    if folder is None or not (Path(folder) / AS_RUN_FILE).is_file():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return load_scenario(Path(folder) / AS_RUN_FILE)
        except InputError:
            return None


def _scenario_from(value, recorded: dict, folder: Path | None):
    from ..scenario import Scenario, load_scenario

    if isinstance(value, Scenario):
        return value
    if value is not None:
        return load_scenario(value)
    path = recorded.get("scenario_file")
    if path and Path(path).is_file():
        try:
            return load_scenario(path)
        except InputError:
            return None
    return _scenario_by_name(recorded, folder)


def _scenario_by_name(recorded: dict, folder: Path | None):
    """``scenarios/<name>.yaml`` near the working directory or the folder, if it is the run's (same input hash)."""
    from ..pipeline import inputs_sha256
    from ..scenario import load_scenario

    name, digest = recorded.get("scenario"), recorded.get("inputs_sha256")
    if not name or not digest:
        return None
    roots = [Path.cwd(), *(list(Path(folder).resolve().parents)[:3] if folder is not None else [])]
    for candidate in dict.fromkeys(root / "scenarios" / f"{name}.yaml" for root in roots):
        if candidate.is_file():
            try:
                scenario = load_scenario(candidate)
            except InputError:
                continue
            if inputs_sha256(scenario) == digest:
                return scenario
    return None


def load_context(scenario, recorded: dict, folder: Path | None = None) -> Context:
    """The report's :class:`Context` from ``scenario`` (path, Scenario or None) and the folder's recorded
    ``summary.json`` / ``comparison.json`` (for ``scenario``, ``scenario_file`` and ``inputs_sha256``)."""
    from ..pipeline import inputs_sha256
    from ..results import LAYERS_FILE, read_layers
    from ..sites import map_layers

    own = _as_run(folder) if scenario is None else None
    sc = own if own is not None else _scenario_from(scenario, recorded, folder)
    ctx = Context(scenario=sc, as_run=own is not None)
    kept = Path(folder) / LAYERS_FILE if folder is not None else None
    if sc is not None and own is None:
        recorded_hash = recorded.get("inputs_sha256")
        ctx.inputs_differ = bool(recorded_hash) and inputs_sha256(sc) != recorded_hash
    if (own is not None or sc is None) and kept is not None and kept.is_file():
        ctx.layers = read_layers(kept)
        return ctx
    if sc is None:
        return ctx
    try:
        ctx.layers = map_layers(sc)
    except InputError as exc:
        ctx.layer_error = str(exc)
    return ctx


def programme_items(ctx: Context, summary: dict, lang: str) -> list[tuple[str, str]]:
    """``(label, value)`` of the programme: target, budget, build window, horizon, start, strategy, teams."""
    from ..rollout import total_budget_cny

    name = summary.get("strategy") or ""
    items = [(label("label.strategy", lang), label(f"strategy.{name}", lang, default=name) + parenthesised(name, lang))]
    if "overrides" in summary:
        items.append((label("label.overrides", lang), overrides_text(summary.get("overrides") or {}, lang)))
    items.append((label("label.adoption", lang), adoption_text(summary.get("adoption") or {}, lang)))
    sc = ctx.scenario
    if sc is None:
        return items + [
            (label("label.start", lang), str(summary.get("start_date"))),
            (label("label.horizon", lang), with_unit(summary.get("horizon_years"), "years", lang)),
        ]
    r = sc.rollout
    items += [
        (label("label.target", lang), quantity(r.target_capacity_kwp, "kWp", lang) if r.target_capacity_kwp else "-"),
        (label("label.start", lang), sc.start_date.isoformat()),
        (label("label.build_window", lang), with_unit(f"{r.build_window_years:g}", "years", lang)),
        (label("label.horizon", lang), with_unit(sc.horizon_years, "years", lang)),
        (label("label.release_mode", lang), label(f"release.{r.release_mode}", lang)),
    ]
    if r.release_mode == "budget":
        total = total_budget_cny(r, sc.start_date, sc.horizon_years)
        cur = sc.economics.currency
        items += [
            (label("label.budget", lang), money(r.annual_budget_cny, "CNY", lang, cur)),
            (label("label.budget_total", lang), money(total, "CNY", lang, cur)),
        ]
    if r.tracks:
        items.append((label("label.tracks", lang), joined((track_label(t.name, lang) for t in r.tracks), lang)))
    teams = joined(
        (
            f"{label(f'resource.{k}', lang)} {getattr(r, k)}"
            for k in ("crews", "surveyors", "reviewers", "inspectors", "om_crews")
            if hasattr(r, k)
        ),
        lang,
    )
    items.append((label("label.resources", lang), teams))
    return items


def adoption_text(adoption: dict, lang: str) -> str:
    """How households decided in the run (``summary.json`` ``adoption``): one decision at the visit, or the Bass
    diffusion with its p and q and the site types it applies to."""
    from ..plotting import site_type_label

    if adoption.get("model") != "bass":
        return label("adoption.fixed", lang)
    return label(
        "adoption.bass",
        lang,
        p=f"{float(adoption['p_per_year']):g}",
        q=f"{float(adoption['q_per_year']):g}",
        types=joined((site_type_label(t, lang) for t in adoption.get("site_types") or []), lang),
    )


def overrides_text(overrides: dict, lang: str) -> str:
    """``rollout.crews = 4; grid.hosting_share_percent = 100`` (values as in YAML), or a plain "none"."""
    import json

    if not overrides:
        return label("label.no_overrides", lang)
    return joined(
        (f"{k} = {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}" for k, v in overrides.items()),
        lang,
        parts=True,
    )


def assumption_rows(ctx: Context, summary: dict, lang: str) -> list[list[str]]:
    """``[assumption, value, source]`` behind LCOE, NPV, cost per tonne and CO2."""
    sc = ctx.scenario
    method = str(summary.get("emission_factor_method") or "-")
    factor = method
    if sc is not None:
        from ..carbon import factor_in_year

        factor = f"{factor_in_year(sc.carbon, sc.start_date.year):.4f} {label('unit.kgCO2/kWh', lang)}" + parenthesised(
            joined([sc.start_date.year, label(f"method.{method}", lang, default=method)], lang), lang
        )
    rows = [[label("label.grid_factor", lang), factor, str(summary.get("emission_factor_source") or "-")]]
    if sc is None:
        return rows
    return rows + _scenario_rows(sc, summary, lang)


#: Citations of shipped defaults (section, key) -> label of the source (``source.*`` in the label table); a default
#: without one is a planning assumption of pvsim.
DEFAULT_SOURCES = {
    ("operation", "degradation_percent_per_year"): "source.degradation",
    ("economics", "export_price_basis"): "source.mechanism_price",
}


def source_of(sc, section: str, key: str, lang: str) -> str:
    """Where an assumption comes from: "planning assumption (scenario file)" when the scenario gives another value
    than pvsim's default, else the default's citation (:data:`DEFAULT_SOURCES`) or "planning assumption (pvsim
    default)". Never the key's help text."""
    part = getattr(sc, section)
    default = type(part).model_fields[key].get_default(call_default_factory=True)
    if getattr(part, key) != default:
        return label("label.source_scenario", lang)
    cited = DEFAULT_SOURCES.get((section, key))
    return label(cited, lang) if cited else label("label.source_default", lang)


def _export_price_source(sc, summary: dict, lang: str) -> str:
    """The export price's citation, and under the mechanism price the run's own line on where its share and term
    came from (summary ``mechanism_share_term_source``: an assumption where no rule fixes them)."""
    cited = source_of(sc, "economics", "export_price_basis", lang)
    own = summary.get("mechanism_share_term_source")
    return f"{cited}; {own}" if sc.economics.export_price_basis == "mechanism" and own else cited


def _scenario_rows(sc, summary: dict, lang: str) -> list[list[str]]:
    from ..carbon import LIFECYCLE_BASES
    from ..sites import site_type_parameters

    econ, carbon, op, cur = sc.economics, sc.carbon, sc.operation, sc.economics.currency
    lc_value, lc_source = LIFECYCLE_BASES.get(carbon.lifecycle_basis) or (
        carbon.lifecycle_kgco2e_per_kwh,
        label("label.source_scenario", lang),
    )
    tariff = econ.retail_tariff_cny_per_kwh
    tariff_text = (
        money(tariff, "CNY/kWh", lang, cur, decimals=3)
        if isinstance(tariff, (int, float))
        else ", ".join(f"{k} {v:.3f}" for k, v in tariff.items())
    )
    capex = site_type_parameters(sc)["capex_cny_per_w"]
    capex_given = any(t.capex_cny_per_w is not None for t in sc.siting.site_types.values())
    return [
        [label("label.life_cycle", lang), f"{lc_value:.4f} {label('unit.kgCO2/kWh', lang)}", lc_source],
        [label("label.grid_factor_paths", lang), _paths_text(summary, lang), label("source.grid_factor_paths", lang)],
        [
            label("label.discount_rate", lang),
            f"{econ.discount_rate_percent:g} %",
            source_of(sc, "economics", "discount_rate_percent", lang),
        ],
        [
            label("label.retail_tariff", lang),
            tariff_text,
            source_of(sc, "economics", "retail_tariff_cny_per_kwh", lang),
        ],
        [
            label("label.export_tariff", lang),
            price_basis_text(econ, lang),
            _export_price_source(sc, summary, lang),
        ],
        [
            label("label.horizon_rule", lang),
            label("horizon.none", lang)
            if econ.residual_value == "none"
            else label("horizon.straight_line", lang, n=econ.lifetime_years),
            source_of(sc, "economics", "residual_value", lang),
        ],
        [
            label("label.capex", lang),
            f"{capex.min():.2f}-{capex.max():.2f} {in_currency(label('unit.CNY/W', lang), cur, lang)}",
            label("label.source_scenario", lang)
            if capex_given
            else in_currency(label("source.capex", lang), cur, lang),
        ],
        [
            label("label.degradation", lang),
            label(
                "label.degradation_value",
                lang,
                first=f"{op.degradation_first_year_percent:g} %",
                later=f"{op.degradation_percent_per_year:g} %",
            ),
            _degradation_source(sc, lang),
        ],
        [
            label("label.weather", lang),
            joined((weather_text(w, lang) for w in summary.get("weather") or []), lang) or "-",
            label("label.source_weather", lang),
        ],
    ]


def price_basis_text(econ, lang: str) -> str:
    """How exported and self-consumed energy are valued, in ``lang`` and the scenario's currency (the English text
    is :attr:`sim.economics.EconomicsConfig.price_basis`)."""
    per_kwh = in_currency(label("unit.CNY/kWh", lang), econ.currency, lang)

    def price(value) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {v:g}" for k, v in sorted(value.items())) + "} " + per_kwh
        return f"{value:g}{'' if lang == 'zh' else ' '}{per_kwh}"

    if econ.export_price_basis == "coal_benchmark":
        export = label("price.coal_benchmark", lang, price=price(econ.coal_benchmark_cny_per_kwh))
    else:
        export = label("price.market", lang, price=price(econ.market_price_cny_per_kwh))
        if econ.export_price_basis == "mechanism":
            export = label(
                "price.mechanism",
                lang,
                price=price(econ.mechanism_price),
                share=f"{econ.mechanism_share:g}",
                years=econ.mechanism_term,
                otherwise=export,
            )
    tariff = econ.retail_tariff_cny_per_kwh
    retail = (
        price(tariff)
        if not isinstance(tariff, dict)
        else joined((f"{k} {v:g}" for k, v in tariff.items()), lang) + f" {per_kwh}"
    )
    return label("price.basis", lang, export=export, retail=retail)


def _degradation_source(sc, lang: str) -> str:
    first = source_of(sc, "operation", "degradation_first_year_percent", lang)
    later = source_of(sc, "operation", "degradation_percent_per_year", lang)
    return (
        later
        if first == later
        else joined([later, label("label.first_year", lang) + COLON[lang] + first], lang, parts=True)
    )


def weather_text(text: str, lang: str) -> str:
    """A weather source as the summary records it, in ``lang`` (a synthetic year's recipe; a file's name as is)."""
    import re

    m = re.fullmatch(r"synthetic\(preset (?P<preset>[\w.-]+), seed=(?P<seed>\d+), year=(?P<year>\d+)\)", str(text))
    return label("label.weather_synthetic", lang, **m.groupdict()) if m and lang != "en" else str(text)


def _paths_text(summary: dict, lang: str) -> str:
    """CO2 avoided on the low, central and high grid-factor paths."""
    spread = summary.get("co2_avoided_range_t") or {}
    if not {"low", "high"} <= set(spread):
        return "-"
    text = label("label.co2_paths", lang, range=quantity_range(spread["low"], spread["high"], "t", lang))
    if spread.get("central") is not None:
        text += f"; {label('label.path_central', lang)} {quantity(spread['central'], 't', lang)}"
    return text
