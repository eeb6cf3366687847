"""The report of a study folder (``pvsim report STUDY_DIR``, written by ``pvsim study``): the province view. Per
variant: the province's totals per strategy with 95 % CIs (:func:`sim.study.province_totals`), a ranking table of
the counties by the winner's kg CO2 per CNY with each county's winning strategy (:func:`sim.study.county_winners`),
and a map of the counties shaded by winning strategy and by kg CO2 per CNY. Each county's own report is
``pvsim report STUDY_DIR/counties/<county>``.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..labels import check_lang, headed, label, parenthesised
from ..metrics import METRICS, in_lang, unit_label
from . import _html as h
from .compare import _mean_ci, _strategy


def _totals_table(totals, lang: str, currency: str) -> str:
    from ..study import CO2_PER_CNY, PROVINCE_METRICS

    metrics = [in_lang(METRICS[m], lang) for m in PROVINCE_METRICS]
    rows = []
    for strategy, row in totals.iterrows():
        ratio = row[f"{CO2_PER_CNY}_mean"], row[f"{CO2_PER_CNY}_ci95_low"], row[f"{CO2_PER_CNY}_ci95_high"]
        rows.append(
            [
                _strategy(str(strategy), lang) + parenthesised(str(strategy), lang),
                f"{int(row['n'])}",
                *[
                    _mean_ci(row[f"{m.name}_mean"], row[f"{m.name}_ci95_low"], row[f"{m.name}_ci95_high"], m)
                    for m in metrics
                ],
                _ratio(*ratio),
            ]
        )
    header = [
        label("label.strategy", lang),
        "n",
        *[
            headed(label(f"metric.{m.name}", lang, default=m.label), unit_label(m, lang, currency), lang)
            for m in metrics
        ],
        label("label.co2_kg_per_cny", lang),
    ]
    return h.table(header, rows)


def _ratio(mean: float, low: float = math.nan, high: float = math.nan) -> str:
    if not math.isfinite(mean):
        return "-"
    return f"{mean:.3f}" + (f" ± {(high - low) / 2:.3f}" if math.isfinite(low) and math.isfinite(high) else "")


def _ranking(winners, lang: str, currency: str) -> str:
    co2 = in_lang(METRICS["co2_avoided_t"], lang)
    ranked = winners.sort_values("co2_kg_per_cny", ascending=False, kind="mergesort", na_position="last")
    rows = [
        [
            str(k),
            str(r["county"]),
            _strategy(str(r["winner"]), lang),
            f"{r['co2_avoided_t'] / co2.divisor:,.{co2.decimals}f}",
            _ratio(float(r["co2_kg_per_cny"])),
        ]
        for k, (_, r) in enumerate(ranked.iterrows(), start=1)
    ]
    header = [
        label("label.rank", lang),
        label("label.county", lang),
        label("label.winner", lang),
        headed(label("metric.co2_avoided_t", lang), unit_label(co2, lang, currency), lang),
        label("label.co2_kg_per_cny", lang),
    ]
    return h.table(header, rows, left=3)


def render_study_html(runs, doc: dict, counties: dict[str, Path], *, lang: str = "en") -> str:
    """The province report as one self-contained HTML string."""
    from ..plotting.province import county_boundaries, province_map
    from ..study import county_winners, province_totals

    title = label("report.study_title", lang)
    currency = doc.get("currency") or "CNY"
    meta = label(
        "caption.study_meta",
        lang,
        study=doc.get("study", "-"),
        c=len(counties),
        k=len(doc["strategies"]),
        n=doc["replications"],
    )
    body = [f'<h1 id="title">{h.e(title)}</h1>', f'<p class="meta">{h.e(meta)}</p>']
    boundaries = county_boundaries(counties)
    for variant in dict.fromkeys(runs["variant"]):
        winners = county_winners(runs, variant)
        if len(set(runs["variant"])) > 1:
            body.append(f"<h2>{h.e(label('label.variant', lang))}: {h.e(variant)}</h2>")
        body += [
            f"<h3>{h.e(label('report.province_totals', lang))}</h3>",
            f"<p>{h.e(label('caption.province_totals', lang, n=doc['replications']))}</p>",
            _totals_table(province_totals(runs, variant), lang, currency),
            f"<h3>{h.e(label('report.county_ranking', lang))}</h3>",
            f"<p>{h.e(label('caption.county_ranking', lang))}</p>",
            _ranking(winners, lang, currency),
        ]
        if boundaries is not None:
            body.append(
                h.img(
                    province_map(winners, boundaries, list(doc["strategies"]), lang),
                    label("report.province_map", lang),
                    label("caption.province_map", lang),
                )
            )
    return h.page(f"{title}: {doc.get('study', '')}", lang, body, h.footer(lang))


def write_study_report(folder: str | Path, *, lang: str = "en", out: str | Path | None = None) -> Path:
    """Write the province report of the study folder ``folder`` (default ``folder/report.html``, atomically)."""
    from .._io import atomic_write
    from ..study import read_study

    check_lang(lang)
    folder = Path(folder).expanduser()
    runs, doc = read_study(folder)
    counties = {c["county"]: folder / c["folder"] for c in doc["counties"]}
    text = render_study_html(runs, doc, counties, lang=lang)
    return atomic_write(Path(out) if out else folder / h.report_name(lang), text)
