"""The report of a sweep folder (``pvsim report SWEEP_DIR``, written by ``pvsim sweep``): per strategy, the variants
as rows (the swept keys and their values) with the mean ± 95 % CI half-width of each metric, each variant's paired
difference against the first variant with the better / worse cue, and the sweep's figures in the report's language;
then the assumptions of the scenario when it can be found.

It is the comparison report's machinery (:mod:`sim.report.compare`, :mod:`sim.plotting.compare`) with the variants
of one strategy in place of strategies (:func:`sim.sweeps.strategy_view`).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..labels import by_replications, check_lang, headed, joined, label, parenthesised
from ..metrics import Metric, in_lang, unit_label
from . import _html as h
from ._context import Context, load_context, programme_items
from .compare import _mean_ci, _strategy, assumptions_section, baseline_summary, paired_table


def _value(value) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)


def _variants_table(table, variants, params: list[str], metrics: list[Metric], lang: str, currency: str = "CNY") -> str:
    """A row per variant: its label, the value of each swept key, n and each metric's mean ± CI half-width."""
    rows = []
    for record in variants.to_dict(orient="records"):
        name = record["variant"]
        row = table.loc[name]
        rows.append(
            [
                name,
                *[_value(record.get(k)) for k in params],
                f"{int(row['n'])}",
                *[
                    _mean_ci(
                        float(row[f"{m.name}_mean"]),
                        float(row[f"{m.name}_ci95_low"]),
                        float(row[f"{m.name}_ci95_high"]),
                        m,
                    )
                    for m in metrics
                ],
            ]
        )
    header = [
        label("label.variant", lang),
        *params,
        "n",
        *[
            headed(label(f"metric.{m.name}", lang, default=m.label), unit_label(m, lang, currency), lang)
            for m in metrics
        ],
    ]
    return h.table(header, rows, left=1 + len(params))


def _figures(result, comparisons, strategy: str, table, paired, anchor: str, lang: str) -> list[str]:
    from ..plotting import compare as figs
    from ..sweeps import PAIRED_TITLE, strategy_bands

    labels, n = list(result.variants["variant"]), result.replications
    parts = [
        f'<h3 id="{anchor}-figures">{h.e(label("report.sweep_figures", lang))}</h3>',
        h.img(
            figs.metric_bars_figure(table, labels, n, lang, result.currency),
            by_replications("report.metrics_figure", n, lang),
            by_replications("caption.sweep_bars", n, lang),
        ),
    ]
    if len(labels) > 1:
        figure = figs.paired_differences_figure(
            paired, labels, labels[0], n, lang, result.currency, title_key=PAIRED_TITLE
        )
        parts.append(
            h.img(figure, label("report.sweep_paired", lang), by_replications("caption.sweep_paired_figure", n, lang))
        )
    parts.append(
        h.img(
            figs.bands_figure(strategy_bands(comparisons, labels, strategy), labels, n, lang),
            label("report.trajectories", lang),
            by_replications("caption.sweep_bands", n, lang),
        )
    )
    return parts


def _strategy_section(result, comparisons, strategy: str, k: int, lang: str) -> list[str]:
    from ..plotting.compare import shown_metrics
    from ..sweeps import strategy_view

    labels = list(result.variants["variant"])
    table, paired = strategy_view(result, strategy)
    metrics = [in_lang(m, lang) for m in shown_metrics(table, labels)]
    anchor = f"strategy-{k}"
    heading = label("report.sweep_strategy", lang, strategy=_strategy(strategy, lang) + parenthesised(strategy, lang))
    parts = [
        f'<h2 id="{anchor}">{h.e(heading)}</h2>',
        f'<h3 id="{anchor}-variants">{h.e(label("report.variants", lang))}</h3>',
        f"<p>{h.e(by_replications('caption.variants', result.replications, lang))}</p>",
        _variants_table(table, result.variants, list(result.params), metrics, lang, result.currency),
    ]
    if len(labels) > 1:
        intro = by_replications(
            "caption.sweep_paired", result.replications, lang, base=labels[0], n=result.replications
        )
        parts += [
            f'<h3 id="{anchor}-paired">{h.e(label("report.sweep_paired", lang))}</h3>',
            f"<p>{h.e(intro)}</p>",
            paired_table(
                paired,
                labels,
                labels[0],
                metrics,
                lang,
                first_header=label("label.variant", lang),
                verdict_header=label("label.verdict_first_variant", lang),
                currency=result.currency,
                single=result.replications == 1,
            ),
        ]
    return parts + _figures(result, comparisons, strategy, table, paired, anchor, lang)


def _tracks_and_pilot(result, comparisons: dict, lang: str) -> list[str]:
    """Per variant: each strategy's capacity per programme track against the track's target and its pilot coverage
    (the comparison report's tables, :func:`sim.report.compare_runs.tracks_and_pilot`)."""
    from .compare_runs import tracks_and_pilot

    parts = []
    for variant, c in comparisons.items():
        tables = tracks_and_pilot(c.out_dir, result.strategies, result.replications, lang, _strategy)
        if tables:
            parts += [f"<h3>{h.e(label('label.variant', lang))}: {h.e(variant)}</h3>", tables]
    return [f'<h2 id="tracks">{h.e(label("report.tracks_pilot", lang))}</h2>', *parts] if parts else []


def render_sweep_html(result, comparisons: dict, doc: dict, *, lang: str = "en", ctx: Context | None = None) -> str:
    """The sweep report as one self-contained HTML string."""
    ctx = ctx or Context()
    title = label("report.sweep_title", lang)
    swept = joined(
        (f"{k} = {joined((_value(v) for v in values), lang)}" for k, values in result.params.items()), lang, parts=True
    )
    meta = label(
        "caption.sweep_meta",
        lang,
        scenario=doc.get("scenario", "-"),
        swept=swept,
        v=len(result.variants),
        k=len(result.strategies),
        n=result.replications,
    )
    from .compare_runs import comparison_warnings

    found = [
        f"{variant} · {w}"
        for variant, c in comparisons.items()
        for w in comparison_warnings(c.out_dir, result.strategies, result.replications, lang, _strategy)
    ]
    body = [
        f'<h1 id="title">{h.e(title)}</h1>',
        f'<p class="meta">{h.e(meta)}</p>',
        *[h.note(n) for n in ctx.notes(lang)],
        h.warnings_box(label("report.compare_warnings", lang), found, label("report.no_compare_warnings", lang)),
    ]
    if ctx.scenario is not None:
        recorded = {"overrides": doc["overrides"]} if "overrides" in doc else {}
        items = [it for it in programme_items(ctx, recorded, lang) if it[0] != label("label.strategy", lang)]
        items.append((label("label.swept", lang), swept))
        body += [
            f'<h2 id="programme">{h.e(label("report.programme", lang))}</h2>',
            f"<p>{h.e(label('caption.sweep_programme', lang))}</p>",
            h.definitions(items),
        ]
    for k, strategy in enumerate(result.strategies):
        body += _strategy_section(result, comparisons, strategy, k, lang)
    body += _tracks_and_pilot(result, comparisons, lang)
    first = comparisons[result.variants["variant"].iloc[0]]
    body += assumptions_section(ctx, baseline_summary(first), lang, intro=label("caption.sweep_programme", lang))
    return h.page(f"{title}: {doc.get('scenario', '')}", lang, body, h.footer(lang))


def write_sweep_report(folder: str | Path, *, lang: str = "en", scenario=None, out: str | Path | None = None) -> Path:
    """Write the report of the sweep folder ``folder`` (default ``folder/report.html``, atomically)."""
    from .._io import atomic_write
    from ..sweeps import read_sweep

    check_lang(lang)
    folder = Path(folder).expanduser()
    result, comparisons, doc = read_sweep(folder)
    first = folder / "variants" / str(result.variants["variant"].iloc[0]) / "comparison.json"
    recorded = json.loads(first.read_text(encoding="utf-8"))  # the base scenario's file and input hash
    ctx = load_context(scenario, {**recorded, "scenario": doc.get("scenario")}, folder)
    text = render_sweep_html(result, comparisons, doc, lang=lang, ctx=ctx)
    return atomic_write(Path(out) if out else folder / h.report_name(lang), text)
