"""The report of a comparison folder (``pvsim report COMPARE_DIR``): what was compared and how, a ranking table
with 95 % confidence intervals, paired differences against the baseline with a cue for which direction is better,
trajectories with bands, maps of what each strategy builds (when the scenario's sites can be read), and the
assumptions of the scenario.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..labels import by_replications, check_lang, headed, label, parenthesised
from ..metrics import Metric, in_lang, unit_label
from . import _html as h
from ._context import Context, assumption_rows, load_context, programme_items


def _strategy(name: str, lang: str) -> str:
    from ..plotting.compare import strategy_label

    return strategy_label(name, lang)


def _mean_ci(mean: float, low: float, high: float, metric: Metric) -> str:
    """``mean ± half-width of the 95 % CI`` in the metric's display unit (``-`` where there is no value)."""
    if not math.isfinite(mean):
        return "-"
    digits = metric.decimals
    text = f"{mean / metric.divisor:,.{digits}f}"
    if math.isfinite(low) and math.isfinite(high):
        text += f" ± {(high - low) / 2 / metric.divisor:,.{digits}f}"
    return text


def ranking_metric(metrics: list[Metric]) -> Metric:
    """The metric the strategies are ranked by: net CO2 avoided (the programme's purpose), else the first."""
    return next((m for m in metrics if m.name == "co2_avoided_t"), metrics[0])


def _cell(row, m: Metric, lang: str) -> str:
    """A metric's mean ± CI half-width; a milestone some replications never reached says so."""
    text = _mean_ci(
        float(row[f"{m.name}_mean"]), float(row[f"{m.name}_ci95_low"]), float(row[f"{m.name}_ci95_high"]), m
    )
    if m.kind != "milestone" or f"{m.name}_n" not in row.index:
        return text
    n, reached = int(row["n"]), int(row[f"{m.name}_n"])
    if reached == 0:
        return label("label.not_reached", lang)
    return text if reached == n else f"{text} ({label('label.not_reached_in', lang, k=n - reached, n=n)})"


def _ranking_table(comparison, metrics: list[Metric], lang: str) -> str:
    cur = comparison.currency
    key = ranking_metric(metrics)
    order = comparison.table.loc[comparison.strategies, f"{key.name}_mean"].astype(float)
    ranked = order.sort_values(ascending=key.better == "lower", na_position="last").index.tolist()
    rows = []
    for rank, name in enumerate(ranked, start=1):
        row = comparison.table.loc[name]
        rows.append(
            [
                str(rank),
                _strategy(name, lang) + parenthesised(name, lang),
                f"{int(row['n'])}",
                *[_cell(row, m, lang) for m in metrics],
            ]
        )
    header = [
        label("label.rank", lang),
        label("label.strategy", lang),
        "n",
        *[headed(label(f"metric.{m.name}", lang, default=m.label), unit_label(m, lang, cur), lang) for m in metrics],
    ]
    caption = "label.ranking_single" if comparison.replications == 1 else "caption.ranking"
    return f"<p>{h.e(label(caption, lang, metric=label(f'metric.{key.name}', lang, default=key.label)))}</p>" + h.table(
        header, rows, left=2
    )


def _cue(metric: Metric, mean: float, excludes_zero: bool, lang: str) -> tuple[str, str]:
    """(text, css class) saying whether a difference is better, worse or not resolved."""
    if not excludes_zero or not math.isfinite(mean) or metric.better == "none":
        return (label("label.no_difference", lang) if not excludes_zero else "", "")
    better = (mean > 0) == (metric.better == "higher")
    return (f"▲ {label('label.better', lang)}", "ok") if better else (f"▼ {label('label.worse', lang)}", "no")


def _paired_table(comparison, metrics: list[Metric], lang: str) -> str:
    intro = by_replications(
        "caption.paired",
        comparison.replications,
        lang,
        baseline=_strategy(comparison.baseline, lang),
        n=comparison.replications,
    )
    return f"<p>{h.e(intro)}</p>" + paired_table(
        comparison.paired,
        comparison.strategies,
        comparison.baseline,
        metrics,
        lang,
        currency=comparison.currency,
        single=comparison.replications == 1,
    )


def paired_table(
    paired,
    names: list[str],
    baseline: str,
    metrics: list[Metric],
    lang: str,
    first_header: str | None = None,
    verdict_header: str | None = None,
    currency: str = "CNY",
    single: bool = False,
) -> str:
    """Each of ``names`` (strategies, or a sweep's variants) minus ``baseline`` per metric: the difference with its
    95 % CI, which direction is better (the metric table's ``better``) and the verdict. ``paired`` has the columns
    of ``paired_differences.csv`` (``strategy`` naming the one compared)."""
    paired = paired.set_index(["strategy", "metric"])
    direction = {"higher": label("label.higher_better", lang), "lower": label("label.lower_better", lang)}
    rows, classes = [], []
    for name in names:
        if name == baseline:
            continue
        for m in metrics:
            if (name, m.name) not in paired.index:
                continue
            d = paired.loc[(name, m.name)]
            # one replication: a single difference, no interval, so no verdict either way
            text, cls = ("-", "") if single else _cue(m, float(d["mean"]), bool(d["excludes_zero"]), lang)
            rows.append(
                [
                    _strategy(name, lang),
                    label(f"metric.{m.name}", lang, default=m.label),
                    (
                        f"{_mean_ci(float(d['mean']), float(d['ci95_low']), float(d['ci95_high']), m)} "
                        f"{unit_label(m, lang, currency)}"
                    ),
                    direction.get(m.better, "-"),
                    text,
                ]
            )
            classes.append(["", "", "", "", cls])
    header = [
        first_header or label("label.strategy", lang),
        label("label.metric", lang),
        label("label.difference", lang)
        if single
        else label(
            "label.difference_ci", lang, difference=label("label.difference", lang), ci=label("label.ci95", lang)
        ),
        label("label.direction", lang),
        verdict_header or label("label.verdict", lang),
    ]
    return h.table(header, rows, left=2, classes=classes)


def _figures(comparison, ctx: Context, lang: str) -> list[str]:
    from ..plotting import compare as figs

    names, n = comparison.strategies, comparison.replications
    parts = [
        f'<h2 id="trajectories">{h.e(label("report.trajectories", lang))}</h2>',
        h.img(
            figs.bands_figure(comparison.bands, names, n, lang),
            label("report.trajectories", lang),
            by_replications("caption.bands", n, lang),
        ),
        f'<h2 id="metrics">{h.e(by_replications("report.metrics_figure", n, lang))}</h2>',
        h.img(
            figs.metric_bars_figure(comparison.table, names, n, lang, comparison.currency),
            by_replications("report.metrics_figure", n, lang),
            by_replications("caption.bars", n, lang),
        ),
    ]
    if len(names) > 1:
        parts.append(
            h.img(
                figs.paired_differences_figure(
                    comparison.paired, names, comparison.baseline, n, lang, comparison.currency
                ),
                label("report.paired", lang),
                by_replications("caption.paired_figure", n, lang),
            )
        )
    parts.append(f'<h2 id="maps">{h.e(label("report.build_maps", lang))}</h2>')
    parts += _maps(comparison, ctx, lang)
    return parts


def _maps(comparison, ctx: Context, lang: str) -> list[str]:
    from ..experiment import read_built
    from ..plotting import compare as figs

    built = read_built(comparison.out_dir, comparison.strategies)
    sites = _sites(ctx) if len(built) == len(comparison.strategies) else None
    if sites is not None:
        return [
            h.img(
                figs.build_maps_figure(sites, built, comparison.strategies, layers=ctx.layers, lang=lang),
                label("report.build_maps", lang),
                label("caption.build_maps", lang),
            )
        ]
    png = comparison.out_dir / "maps_built_sites.png"
    if png.is_file():  # the maps pvsim compare drew (English), when the sites cannot be read again
        return [h.img_png(png.read_bytes(), label("report.build_maps", lang), label("caption.build_maps", lang))]
    return [h.note(label("report.no_scenario", lang))]


def _sites(ctx: Context):
    """The scenario's candidate sites, or None when there is no scenario or its sites file cannot be read here (a
    folder copied to another machine: the report then shows the maps pvsim compare drew)."""
    import warnings

    from ..errors import InputError
    from ..sites import read_sites

    if ctx.scenario is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_sites(ctx.scenario)
        except InputError:
            return None


def assumptions_section(ctx: Context, summary: dict, lang: str, intro: str | None = None) -> list[str]:
    """The heading and table of the assumptions behind the money and carbon figures (nothing without a scenario)."""
    rows = assumption_rows(ctx, summary, lang) if ctx.scenario is not None else []
    if not rows:
        return []
    return [
        f'<h2 id="assumptions">{h.e(label("report.assumptions", lang))}</h2>',
        *([f"<p>{h.e(intro)}</p>"] if intro else []),
        h.table(
            [label("label.assumption", lang), label("label.value", lang), label("label.source", lang)],
            rows,
            left=3,
            classes=[["", "", "src"] for _ in rows],
        ),
    ]


def baseline_summary(comparison) -> dict:
    """``summary.json`` of the baseline's replication 0 (grid factor and weather of the comparison's runs)."""
    import json

    from ..experiment import run_dir

    path = run_dir(comparison.out_dir, comparison.baseline, 0) / "summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def identical_note(runs: pd.DataFrame, strategies: list[str], release_mode: str | None, lang: str) -> str | None:
    """Why every strategy gave the same results, when they did (the metrics of each replication equal across
    strategies): with every site released on day one (``rollout.release_mode: all_at_start``) the release order,
    the one thing a strategy decides, changes nothing; otherwise the budget, pace and grid did not make the order
    matter. None when the strategies differ or there is one."""
    if len(strategies) < 2 or runs.empty:
        return None
    metrics = [
        c
        for c in runs.columns
        if c not in ("strategy", "replication", "seed", "path", "held_back_by")
        and pd.api.types.is_numeric_dtype(runs[c])
    ]
    for _, rep in runs.groupby("replication"):
        values = rep[metrics].round(9)
        if len(values.drop_duplicates()) > 1:
            return None
    key = "label.identical_all_at_start" if release_mode == "all_at_start" else "label.identical_order_free"
    return label(key, lang)


def render_comparison_html(
    comparison, *, lang: str = "en", ctx: Context | None = None, recorded: dict | None = None
) -> str:
    """The comparison report as one self-contained HTML string."""
    ctx = ctx or Context()
    recorded = recorded or {}
    from ..plotting.compare import shown_metrics

    metrics = [in_lang(m, lang) for m in shown_metrics(comparison.table, comparison.strategies)]
    title = label("report.compare_title", lang)
    meta = label(
        "caption.compare_meta",
        lang,
        scenario=recorded.get("scenario", "-"),
        n=comparison.replications,
        baseline=_strategy(comparison.baseline, lang),
        k=len(comparison.strategies),
    )
    from .compare_runs import comparison_warnings, replaced_note, tracks_and_pilot

    replaced = replaced_note(recorded, lang)
    rollout = getattr(ctx.scenario, "rollout", None)
    same = identical_note(comparison.runs, comparison.strategies, getattr(rollout, "release_mode", None), lang)
    body = [
        f'<h1 id="title">{h.e(title)}</h1>',
        f'<p class="meta">{h.e(meta)}</p>',
        *[h.note(n) for n in ctx.notes(lang)],
        *([h.note(replaced)] if replaced else []),
        *([h.note(same)] if same else []),
        h.warnings_box(
            label("report.compare_warnings", lang),
            comparison_warnings(comparison.out_dir, comparison.strategies, comparison.replications, lang, _strategy),
            label("report.no_compare_warnings", lang),
        ),
    ]
    if ctx.scenario is not None:
        recorded_run = {
            "strategy": comparison.baseline,
            **({"overrides": recorded["overrides"]} if "overrides" in recorded else {}),
        }
        items = [it for it in programme_items(ctx, recorded_run, lang) if it[0] != label("label.strategy", lang)]
        body += [f'<h2 id="programme">{h.e(label("report.programme", lang))}</h2>', h.definitions(items)]
    body += [f'<h2 id="ranking">{h.e(label("report.ranking", lang))}</h2>', _ranking_table(comparison, metrics, lang)]
    if len(comparison.strategies) > 1:
        body += [f'<h2 id="paired">{h.e(label("report.paired", lang))}</h2>', _paired_table(comparison, metrics, lang)]
    tracks = tracks_and_pilot(comparison.out_dir, comparison.strategies, comparison.replications, lang, _strategy)
    if tracks:
        body += [f'<h2 id="tracks">{h.e(label("report.tracks_pilot", lang))}</h2>', tracks]
    body += _figures(comparison, ctx, lang)
    body += assumptions_section(ctx, baseline_summary(comparison), lang)
    return h.page(f"{title}: {recorded.get('scenario', '')}", lang, body, h.footer(lang))


def write_comparison_report(
    folder: str | Path, *, lang: str = "en", scenario=None, out: str | Path | None = None
) -> Path:
    """Write the report of the comparison folder ``folder`` (default ``folder/report.html``, atomically)."""
    import json

    from .._io import atomic_write
    from ..experiment import read_comparison

    check_lang(lang)
    folder = Path(folder).expanduser()
    comparison = read_comparison(folder)
    recorded = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    ctx = load_context(scenario, recorded, folder)
    text = render_comparison_html(comparison, lang=lang, ctx=ctx, recorded=recorded)
    return atomic_write(Path(out) if out else folder / h.report_name(lang), text)
