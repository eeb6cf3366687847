"""What a comparison report reads from its runs' own ``summary.json`` files: the warnings of each strategy over its
replications (target missed, sites dropped for grid hosting, pilot minimums missed, saturated resources), and the
results per programme track and per pilot category. Used by the comparison and sweep reports.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..labels import COLON, joined, label, quantity, track_label, warning_text
from . import _html as h


def run_summaries(out_dir: Path, strategy: str, replications: int) -> list[dict]:
    """The ``summary.json`` of every replication of ``strategy`` that the folder holds, in replication order."""
    from ..experiment import run_dir

    out = []
    for rep in range(replications):
        path = run_dir(Path(out_dir), strategy, rep) / "summary.json"
        if path.is_file():
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def strategy_warnings(name: str, summaries: list[dict], lang: str) -> list[str]:
    """A strategy's warnings over its replications, each with how many replications it applies to."""
    n, out = len(summaries), []
    missed = sum(1 for s in summaries if not (s.get("milestones") or {}).get("100%"))
    if missed:
        out.append(label("warn.target_missed", lang, k=missed, n=n))
    dropped = [int((s.get("sites_by_status") or {}).get("dropped_hosting") or 0) for s in summaries]
    if any(dropped):
        mean = sum(dropped) / n
        out.append(
            label("warn.dropped", lang, mean=f"{mean:,.{1 if mean < 10 else 0}f}", k=sum(1 for d in dropped if d), n=n)
        )
    categories: dict[str, int] = {}
    for s in summaries:
        for cat, cov in (s.get("pilot_coverage") or {}).items():
            categories[cat] = categories.get(cat, 0) + (0 if cov.get("met") else 1)
    for cat, k in categories.items():
        if k:
            out.append(label("warn.pilot", lang, name=label(f"pilot.{cat}", lang), k=k, n=n))
    texts: dict[str, list] = {}  # the same warning in every replication, whatever its figures: text, count
    for s in summaries:
        for w in s.get("warnings") or []:
            short = warning_text(w, lang).split(" (")[0].split("（")[0]
            texts.setdefault(re.sub(r"[\d,.]+", "#", short), [short, 0])[1] += 1
    out += [label("warn.saturated", lang, text=text, k=k, n=n) for text, k in texts.values()]
    return [f"{name}{COLON[lang]}{w}" for w in out]


def comparison_warnings(
    out_dir: Path, strategies: list[str], replications: int, lang: str, labeller=lambda name, lang: name
) -> list[str]:
    """Every strategy's warnings (``labeller`` names it in ``lang``)."""
    out = []
    for name in strategies:
        out += strategy_warnings(labeller(name, lang), run_summaries(out_dir, name, replications), lang)
    return out


def tracks_and_pilot(
    out_dir: Path, strategies: list[str], replications: int, lang: str, labeller=lambda name, lang: name
) -> str:
    """Two tables: per strategy and track, the mean capacity built against the track's target and the replications
    that reached it; per strategy, the mean pilot coverage of each category against its minimum (and how many
    replications met it)."""
    track_rows, pilot_rows = [], []
    for name in strategies:
        summaries = run_summaries(out_dir, name, replications)
        n = len(summaries) or 1
        for track, t in (summaries[0].get("by_track") or {}).items() if summaries else []:
            built = [s["by_track"][track]["capacity_built_kwp"] for s in summaries]
            reached = sum(1 for s in summaries if (s["by_track"][track].get("milestones") or {}).get("100%"))
            track_rows.append(
                [
                    labeller(name, lang),
                    track_label(track, lang),
                    quantity(sum(built) / n, "kWp", lang),
                    quantity(t.get("target_capacity_kwp"), "kWp", lang),
                    f"{reached} / {n}",
                ]
            )
        cells = []
        for cat, cov in (summaries[0].get("pilot_coverage") or {}).items() if summaries else []:
            share = sum(float(s["pilot_coverage"][cat].get("share_percent") or 0.0) for s in summaries) / n
            met = sum(1 for s in summaries if s["pilot_coverage"][cat].get("met"))
            cells.append(f"{share:,.1f} % ({met} / {n})")
        if cells:
            pilot_rows.append([labeller(name, lang), *cells])
    parts = []
    if track_rows:
        parts.append(
            h.table(
                [
                    label(k, lang)
                    for k in ("label.strategy", "label.track", "label.capacity", "label.target", "label.reached_in")
                ],
                track_rows,
                left=2,
            )
        )
    if pilot_rows:
        cats = list(run_summaries(out_dir, strategies[0], replications)[0].get("pilot_coverage") or {})
        header = [label("label.strategy", lang), *[label(f"pilot.{c}", lang) for c in cats]]
        parts.append(f"<p>{h.e(label('caption.pilot_compare', lang))}</p>" + h.table(header, pilot_rows))
    return "".join(parts)


def replaced_note(recorded: dict, lang: str) -> str | None:
    """What an earlier comparison in the same folder held, when this one replaced it (``comparison.json``
    ``replaced``)."""
    old = recorded.get("replaced")
    if not old:
        return None
    return label(
        "report.replaced", lang, strategies=joined(old.get("strategies") or [], lang), n=old.get("replications")
    )
