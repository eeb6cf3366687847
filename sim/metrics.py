"""The metrics a strategy comparison reports: one table of their names, labels, units, and how they are printed and
plotted (read by :mod:`sim.experiment` for the tables and the printed summary, and by
:mod:`sim.plotting.compare` for the figures).

The rows are ``sim/tables/metrics.csv``, then one coverage metric per whole-county pilot category, generated from
:data:`sim._config.PILOT_TARGETS_PERCENT`. Columns of the table:

- ``metric``: name (column prefix in ``comparison.csv``, row of ``paired_differences.csv``);
- ``kind`` and ``key``: where a run's value comes from: ``summary`` (``summary.json[key]``), ``milestone`` (years
  from the start date to ``summary.json["milestones"][key]``), ``discounted`` (``annual.csv[key]`` summed over the
  horizon, year ``t`` after the start discounted by ``(1 + r)^-t`` at ``economics.discount_rate_percent``: the
  objective of the ``multi_year_plan`` strategy) or ``pilot`` (``summary.json["pilot_coverage"][key]
  ["share_percent"]``);
- ``label``, ``unit``: plain-text label and unit of the values (``comparison.json``);
- ``figure_title``: panel title in figures (matplotlib mathtext allowed, e.g. ``CO$_2$``);
- ``display_unit``, ``divisor``: printed and plotted values are ``value / divisor``, in ``display_unit``;
- ``decimals``, ``printed_header``: how ``pvsim compare`` prints the metric; ``printed``: whether it does;
- ``csv_decimals``: decimals of its values (in ``unit``) in the comparison's CSV files (plain decimals, money to the
  unit, energies to the kWh);
- ``bar``: whether the comparison figures (metric bars, paired differences) show it;
- ``better``: which direction is better for the county (``higher``, ``lower``, or ``none`` where it depends, such
  as capex, which grows with what is built); the comparison report's cue.

Row order is the order of the columns in ``comparison.csv``, of the printed table and of the figure panels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from . import labels
from ._config import PILOT_TARGETS_PERCENT

TABLE = "tables/metrics.csv"
KINDS = ("summary", "milestone", "discounted", "pilot")
BETTER = ("higher", "lower", "none")
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class Metric:
    """One row of the metric table (see the module docstring for the meaning of the fields)."""

    name: str
    kind: str
    key: str
    label: str
    figure_title: str
    unit: str
    display_unit: str
    divisor: float
    decimals: int
    csv_decimals: int
    printed_header: str
    printed: bool
    bar: bool
    better: str = "none"


def _metric(row: dict[str, str]) -> Metric:
    try:
        metric = Metric(
            name=row["metric"],
            kind=row["kind"],
            key=row["key"],
            label=row["label"],
            figure_title=row["figure_title"],
            unit=row["unit"],
            display_unit=row["display_unit"],
            divisor=float(row["divisor"]),
            decimals=int(row["decimals"]),
            csv_decimals=int(row["csv_decimals"]),
            printed_header=row["printed_header"],
            printed=_BOOLEANS[row["printed"].strip().lower()],
            bar=_BOOLEANS[row["bar"].strip().lower()],
            better=row.get("better") or "none",
        )
    except (KeyError, ValueError) as exc:
        raise RuntimeError(f"sim/{TABLE}: bad row {row} ({type(exc).__name__}: {exc})") from None
    if metric.kind not in KINDS or metric.divisor == 0 or metric.better not in BETTER:
        raise RuntimeError(
            f"sim/{TABLE}: bad row {row} (kind one of {', '.join(KINDS)}; divisor not 0; better one "
            f"of {', '.join(BETTER)})"
        )
    return metric


def _pilot_metric(category: str) -> Metric:
    label = f"pilot coverage {category.replace('_', ' ')}"
    return Metric(
        name=f"pilot_{category}_percent",
        kind="pilot",
        key=category,
        label=label,
        figure_title=label,
        unit="%",
        display_unit="%",
        divisor=1.0,
        decimals=1,
        csv_decimals=2,
        printed_header=label,
        printed=False,
        bar=False,
        better="higher",
    )


def load_metrics() -> dict[str, Metric]:
    """The metric table: name -> :class:`Metric`, in table order (the shipped rows, then the pilot categories)."""
    with io.TextIOWrapper(resources.files("sim").joinpath(TABLE).open("rb"), encoding="utf-8", newline="") as fh:
        rows = [_metric(row) for row in csv.DictReader(fh)]
    rows += [_pilot_metric(cat) for cat in PILOT_TARGETS_PERCENT]
    metrics = {m.name: m for m in rows}
    if len(metrics) != len(rows):
        raise RuntimeError(f"sim/{TABLE}: a metric is listed twice")
    return metrics


METRICS: dict[str, Metric] = load_metrics()
"""Every compared metric, in table order."""


def of_kind(kind: str) -> dict[str, Metric]:
    """The metrics of one ``kind`` (``summary``, ``milestone``, ``pilot``), in table order."""
    return {name: m for name, m in METRICS.items() if m.kind == kind}


def in_currency(metric: Metric, currency: str = "CNY") -> Metric:
    """``metric`` with its texts (label, units, headers, title) in ``currency`` instead of CNY (the scenario's
    ``economics.currency``: a label, the values are the same)."""
    if currency == "CNY":
        return metric
    texts = ("label", "figure_title", "unit", "display_unit", "printed_header")
    changes: dict[str, Any] = {k: labels.in_currency(getattr(metric, k), currency) for k in texts}
    return replace(metric, **changes)


def printed(currency: str = "CNY") -> list[Metric]:
    """The metrics ``pvsim compare`` prints, in table order (money labelled in ``currency``)."""
    return [in_currency(m, currency) for m in METRICS.values() if m.printed]


def bars(currency: str = "CNY") -> list[Metric]:
    """The metrics the comparison figures show, in table order (money labelled in ``currency``)."""
    return [in_currency(m, currency) for m in METRICS.values() if m.bar]


def unit_label(metric: Metric, lang: str = "en", currency: str | None = "CNY") -> str:
    """The metric's display unit in ``lang`` with money in ``currency`` (:func:`sim.labels.in_currency`): ``million
    EUR``, ``百万欧元``."""
    return labels.in_currency(labels.unit(metric.display_unit, lang), currency, lang)


#: Display units Chinese officials use in place of the table's: display unit -> (divisor from the metric's unit, unit
#: key, decimals): CO2 in 万吨, energy in 亿千瓦时, money in 亿元.
ZH_DISPLAY = {"kt": (1e4, "t_1e4", 1), "GWh": (1e5, "kWh_1e8", 2), "million CNY": (1e8, "CNY_1e8", 2)}


def in_lang(metric: Metric, lang: str = "en") -> Metric:
    """``metric`` shown in ``lang``'s official units (:data:`ZH_DISPLAY` in Chinese; unchanged in English)."""
    if lang != "zh" or metric.display_unit not in ZH_DISPLAY:
        return metric
    divisor, unit, decimals = ZH_DISPLAY[metric.display_unit]
    return replace(metric, divisor=divisor, display_unit=unit, decimals=decimals)
