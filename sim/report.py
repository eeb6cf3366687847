"""A self-contained HTML report of one run folder (``pvsim report RUN_DIR``).

The report is one file, ``report.html``, written into the run folder atomically (temporary file, then rename). It
needs nothing else to open: the figures are inline base64 PNGs, the style is inline, and the page references no
external resource (no CDN, no web font, no network), so it opens offline and can be mailed around. A one-line inline
script marks the page as rendered (``data-report="ready"`` on ``<html>``), which the browser test checks.

Sections: key figures (sites, MWp, GWh, kt CO2 net and gross, capex, LCOE, NPV, cost per tonne, milestones), the
whole-county pilot coverage against its minimums, charts (capacity online by type, energy and CO2 by
year, resource utilisation and waits), a map of the sites built, and tables (capacity by type, outcomes, stages).
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

from ._config import PILOT_LABELS, PILOT_TARGETS_PERCENT
from ._io import atomic_write
from .errors import InputError
from .results import OUTPUT_FILES, RunResult, read_run

REPORT_NAME = "report.html"

_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
  font-size:15px;color:#222;margin:0;background:#fff}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:34px 0 10px;border-bottom:2px solid #0072B2;padding-bottom:4px}
p.meta{color:#555;margin:2px 0;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;margin-top:16px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;background:#f7f9fb}
.card .v{font-size:22px;font-weight:bold;color:#0b3d63}
.card .k{font-size:13px;color:#444}
.card .s{font-size:12px;color:#666}
table{border-collapse:collapse;margin:8px 0 4px;font-size:14px}
th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:right}
th{background:#eef2f6}
td.l,th.l{text-align:left}
td.ok{color:#00734d;font-weight:bold}
td.no{color:#b03c00;font-weight:bold}
figure{margin:10px 0 18px}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:13px;color:#555;margin-top:4px}
footer{margin-top:40px;color:#777;font-size:12px}
"""


# --------------------------------------------------------------------------------------------- formatting


def _num(value: Any, scale: float = 1.0, digits: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    try:
        text = f"{float(value) / scale:,.{digits}f}"
    except (TypeError, ValueError):
        return html.escape(str(value))
    return f"{text} {unit}".strip()


def _e(value: Any) -> str:
    return html.escape("-" if value is None else str(value))


def key_figures(summary: dict) -> list[tuple[str, str, str]]:
    """``(label, value, note)`` of the headline numbers, formatted as in the report."""
    ms = summary.get("milestones") or {}
    horizon = summary.get("horizon_years")
    return [
        ("sites built", f"{int(summary.get('sites_built') or 0):,}",
         (f"of {int(summary.get('sites_eligible') or 0):,} eligible, {int(summary.get('sites_candidate') or 0):,} "
         f"candidates")),
        ("capacity built", _num(summary.get("capacity_built_kwp"), 1000, 1, "MWp"),
         f"of {_num(summary.get('capacity_eligible_kwp'), 1000, 1, 'MWp')} eligible"),
        ("energy", _num(summary.get("energy_mwh"), 1000, 1, "GWh"),
         (f"over {horizon} years; year-1 specific yield {_num(summary.get('specific_yield_kwh_per_kwp'), 1, 0)} "
         f"kWh/kWp")),
        ("CO2 avoided (net)", _num(summary.get("co2_avoided_t"), 1000, 1, "kt"),
         f"gross {_num(summary.get('co2_avoided_gross_t'), 1000, 1, 'kt')}; net of life-cycle emissions"),
        ("capex", _num(summary.get("capex_cny"), 1e6, 1, "M CNY"), "of the sites built"),
        ("LCOE", _num(summary.get("lcoe_cny_per_kwh"), 1, 3, "CNY/kWh"),
         f"NPV {_num(summary.get('npv_cny'), 1e6, 1, 'M CNY')}"),
        ("cost per tonne CO2", _num(summary.get("cost_per_t_co2_cny"), 1, 0, "CNY/t"), "net tonnes"),
        ("curtailed energy", _num(summary.get("curtailed_mwh"), 1, 0, "MWh"), "lost to export limits"),
        ("25 % of target online", _e(ms.get("25%") or "not reached"), "date"),
        ("50 % of target online", _e(ms.get("50%") or "not reached"), "date"),
        ("100 % of target online", _e(ms.get("100%") or "not reached"), f"within {horizon} years"),
    ]


def _cards(summary: dict) -> str:
    return "".join(f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div>'
                   f'<div class="s">{_e(s)}</div></div>' for k, v, s in key_figures(summary))


def warnings_note(summary: dict) -> str:
    """The run's saturation warnings (``summary["warnings"]``) as a note; empty when there are none."""
    items = "".join(f"<li>{_e(w)}</li>" for w in summary.get("warnings") or [])
    return f'<div class="note" id="warnings"><strong>Saturation warnings</strong><ul>{items}</ul></div>' if items \
        else ""


def _table(header: list[str], rows: list[list[Any]], left: int = 1, classes: list[list[str]] | None = None) -> str:
    head = "".join(f'<th class="{"l" if i < left else ""}">{_e(h)}</th>' for i, h in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            cls = ["l"] if i < left else []
            if classes is not None and classes[r][i]:
                cls.append(classes[r][i])
            cells.append(f'<td class="{" ".join(cls)}">{_e(cell)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _pilot_table(coverage: dict) -> str:
    if not coverage:
        return "<p>No pilot categories in this county.</p>"
    rows, classes = [], []
    for name, c in coverage.items():
        met = bool(c.get("met"))
        rows.append([name.replace("_", " "), f"{int(c.get('candidates') or 0):,}", f"{int(c.get('eligible') or 0):,}",
                     f"{int(c.get('built') or 0):,}", _num(c.get("share_percent"), 1, 1, "%"),
                     _num(c.get("target_percent"), 1, 0, "%"), "met" if met else "NOT met"])
        classes.append([""] * 6 + ["ok" if met else "no"])
    return _table(["pilot category", "candidate roofs", "eligible", "built", "share built", "pilot minimum",
                   "target"], rows, classes=classes)


def _resource_table(resources: dict) -> str:
    rows = []
    for name, r in resources.items():
        util = r.get("utilization")
        rows.append([name.replace("_", " "), f"{int(r.get('capacity') or 0):,}",
                     _num(None if util is None else 100 * util, 1, 0, "%"), _num(r.get("mean_wait_days"), 1, 1),
                     _num(r.get("p95_wait_days"), 1, 1), f"{int(r.get('max_queue_length') or 0):,}"])
    return _table(["resource", "units", "utilisation", "mean wait [days]", "95th pct wait [days]", "max queue"], rows)


def _type_table(result: RunResult) -> str:
    from .plotting import ordered_types, site_type_label

    s = result.sites
    built = s["status"].astype(str).eq("operating")
    rows = []
    for t in ordered_types(s["site_type"].unique()):
        sel = s["site_type"].eq(t)
        rows.append([site_type_label(t), f"{int(sel.sum()):,}", f"{int((sel & s['eligible'].astype(bool)).sum()):,}",
                     f"{int((sel & built).sum()):,}", _num(s.loc[sel & built, "capacity_kwp"].sum(), 1000, 2),
                     _num(s.loc[sel & built, "energy_mwh"].sum(), 1000, 1) if "energy_mwh" in s else "-",
                     _num(s.loc[sel & built, "co2_avoided_t"].sum(), 1000, 1) if "co2_avoided_t" in s else "-"])
    return _table(["site type", "candidates", "eligible", "built", "MWp built", "GWh", "kt CO2 (net)"], rows)


def _status_table(summary: dict) -> str:
    labels = {"operating": "built and operating", "declined": "owner declined", "failed": "failed a stage",
              "dropped_hosting": "dropped: no grid hosting capacity", "not_released": "not released (budget/window)",
              "in_progress": "still in progress at the end", "ineligible": "ineligible (exclusions, rules)",
              "not_prioritised": "not in the strategy's order"}
    rows = [[labels.get(k, k), f"{int(v):,}"] for k, v in (summary.get("sites_by_status") or {}).items()]
    return _table(["outcome", "sites"], rows)


def _stage_table(result: RunResult) -> str:
    st = result.stage_durations
    if st is None or len(st) == 0:
        return ""
    rows = [[str(r["stage"]).replace("_", " "), f"{int(r['n']):,}", _num(r["mean_days"], 1, 1),
             _num(r["p50_days"], 1, 1), _num(r["p95_days"], 1, 1)] for _, r in st.iterrows()]
    return ("<h3>Time per stage</h3>" +
            _table(["stage", "sites", "mean [days]", "median [days]", "95th pct [days]"], rows))


def _img(fig, alt: str, caption: str) -> str:
    from .plotting import png_bytes

    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


# --------------------------------------------------------------------------------------------- the report


def _pilot_minimums() -> str:
    return ", ".join(f"{PILOT_LABELS[c]} {v:g} %" for c, v in PILOT_TARGETS_PERCENT.items())


def check_run_folder(run_dir: Path) -> None:
    """Raise :class:`InputError` naming the folder and the missing files if it is not a complete run folder."""
    if not run_dir.is_dir():
        raise InputError("run folder not found", file=run_dir, field="RUN_DIR",
                         allowed="a folder written by 'pvsim run' (" + ", ".join(OUTPUT_FILES) + ")")
    missing = [f for f in OUTPUT_FILES if not (run_dir / f).is_file()]
    if missing:
        raise InputError(f"not a complete pvsim run folder: missing {', '.join(missing)}", file=run_dir,
                         field="RUN_DIR", allowed="a folder written by 'pvsim run' (" + ", ".join(OUTPUT_FILES) + ")")


def render_html(result: RunResult) -> str:
    """The report of ``result`` as one self-contained HTML string."""
    from . import plotting

    s = result.summary
    title = f"pvsim run report: {s.get('scenario')} / {s.get('strategy')} / seed {s.get('seed')}"
    weather = ", ".join(s.get("weather") or []) or "-"
    meta = [
        (f"pvsim {_e(s.get('version'))}; start {_e(s.get('start_date'))}; horizon {_e(s.get('horizon_years'))} years; "
        f"{int(s.get('archetypes') or 0):,} yield archetypes; weather: {_e(weather)}"),
        f"Emission factor ({_e(s.get('emission_factor_method'))}): {_e(s.get('emission_factor_source'))}",
        f"Inputs SHA-256: <code>{_e(s.get('inputs_sha256'))}</code>",
    ]
    figs = [
        ("capacity", plotting.capacity_timeline(result.sites, start_date=s.get("start_date"),
                                             milestones=s.get("milestones")),
         "capacity online by site type, monthly",
         ("Capacity online at the end of each month, by site type, from the commissioning dates of the sites built; "
         "dashed lines mark when 25 / 50 / 100 % of the target capacity was online.")),
        ("energy", plotting.energy_co2_by_year(result.annual), "energy and CO2 avoided by year",
         ("Left: energy delivered per calendar year, with curtailed energy on top. Right: CO2 avoided per year "
         "(net of life-cycle emissions as bars, gross as line) and cumulative net CO2 avoided (right axis).")),
        ("resources", plotting.resource_utilisation(s.get("resources") or {}), "resource utilisation and waits",
         ("Share of time each limited resource was busy, and how long sites waited for it (bar: mean, tick: 95th "
         "percentile). The longest waits show where the queue forms.")),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en" data-report="loading"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>",
        f'<h1 id="title">{_e(title)}</h1>',
        *[f'<p class="meta">{m}</p>' for m in meta],
        '<h2 id="key-figures">Key figures</h2>',
        f'<div class="cards">{_cards(s)}</div>',
        warnings_note(s),
        '<h2 id="pilot">Whole-county pilot coverage</h2>',
        ("<p>Share of candidate roofs of each pilot category with PV, against the pilot's minimum coverage "
         f"(NEA 2021: {_e(_pilot_minimums())}).</p>"),
        _pilot_table(s.get("pilot_coverage") or {}),
        '<h2 id="charts">Rollout, energy and CO2 over time</h2>',
    ]
    for key, fig, alt, caption in figs:
        if key == "resources":
            parts.append('<h2 id="resources">Resources and queues</h2>')
        parts.append(_img(fig, alt, caption))
        if key == "resources":
            parts.append(_resource_table(s.get("resources") or {}))
            parts.append(_stage_table(result))
    parts += [
        '<h2 id="map">Map of the sites built</h2>',
        _img(plotting.site_map(result.sites), "map of candidate and built sites",
             "Candidate sites at their centroids in the local UTM zone: built sites coloured by type, marker area "
             "growing with capacity; sites not built in light grey."),
        '<h2 id="sites">Sites by type and outcome</h2>',
        _type_table(result),
        "<h3>Outcome of every candidate site</h3>",
        _status_table(s),
        ('<footer>Written by <code>pvsim report</code> from the files of the run folder. '
        '<span id="js-marker">Scripts disabled.</span></footer>'),
        "</main>",
        ('<script>document.documentElement.setAttribute("data-report","ready");'
        'document.getElementById("js-marker").textContent="Rendered.";</script>'),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(run_dir: Path) -> Path:
    """Write ``report.html`` into the run folder ``run_dir`` (atomically) and return its path.

    Raises :class:`sim.errors.InputError` naming the folder and the missing files when ``run_dir`` is not a
    complete run folder.
    """
    run_dir = Path(run_dir).expanduser()
    check_run_folder(run_dir)
    result = read_run(run_dir)
    text = render_html(result)
    return atomic_write(run_dir / REPORT_NAME, text)
