"""Human labels and units of reports and figures, in English and Chinese: one table, ``sim/tables/labels.csv``
(``key, en, zh``), and the one way a quantity is written with a unit that rescales (MWh / GWh, t / kt).

Keys are ``<kind>.<name>``: ``unit.MWh``, ``site_type.rural_home``, ``resource.om_crews``, ``status.declined``,
``stage.consent``, ``strategy.max_yield``, ``pilot.public``, ``report.<heading>``, ``label.<text>``. A label may hold
``{placeholders}`` filled by :func:`label`'s keyword arguments. Numbers are the same in every language; only
labels, headings and unit names change.
"""

from __future__ import annotations

import csv
import io
import math
from functools import lru_cache
from importlib import resources

LANGUAGES = ("en", "zh")
TABLE = "tables/labels.csv"

#: Units that rescale: base unit -> steps ``(divisor, unit key)`` from small to large. A value is written in the
#: largest step whose divisor it reaches (3,500 MWh -> 3.50 GWh).
LADDERS: dict[str, tuple[tuple[float, str], ...]] = {
    "kWh": ((1.0, "kWh"), (1e3, "MWh"), (1e6, "GWh"), (1e9, "TWh")),
    "MWh": ((1.0, "MWh"), (1e3, "GWh"), (1e6, "TWh")),
    "kWp": ((1.0, "kWp"), (1e3, "MWp"), (1e6, "GWp")),
    "t": ((1.0, "t"), (1e3, "kt"), (1e6, "Mt")),
    "CNY": ((1.0, "CNY"), (1e3, "kCNY"), (1e6, "MCNY"), (1e9, "BCNY")),
}


#: Chinese official units: money in 万元 / 亿元, tonnes in 万吨 / 亿吨, energy in 万千瓦时 / 亿千瓦时 (capacity as in
#: English). A ladder of ``LADDERS_BY_LANG[lang]`` replaces that of :data:`LADDERS` for its base unit.
LADDERS_BY_LANG: dict[str, dict[str, tuple[tuple[float, str], ...]]] = {
    "zh": {
        "CNY": ((1.0, "CNY"), (1e4, "CNY_1e4"), (1e8, "CNY_1e8")),
        "t": ((1.0, "t"), (1e4, "t_1e4"), (1e8, "t_1e8")),
        "kWh": ((1.0, "kWh"), (1e4, "kWh_1e4"), (1e8, "kWh_1e8")),
        "MWh": ((1e-3, "kWh"), (10.0, "kWh_1e4"), (1e5, "kWh_1e8")),
    },
}


def ladder(base_unit: str, lang: str = "en") -> tuple[tuple[float, str], ...] | None:
    """The steps ``(divisor, unit key)`` of a unit that rescales, in ``lang`` (None if it does not rescale)."""
    return LADDERS_BY_LANG.get(lang, {}).get(base_unit) or LADDERS.get(base_unit)


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    with io.TextIOWrapper(resources.files("sim").joinpath(TABLE).open("rb"), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    bad = [row["key"] for row in rows if None in row or any(not row.get(lang) for lang in LANGUAGES)]
    if bad:
        raise RuntimeError(f"sim/{TABLE}: rows with a missing or extra (unquoted comma) field: {', '.join(bad)}")
    table = {row["key"]: {lang: row[lang] for lang in LANGUAGES} for row in rows}
    if len(table) != len(rows):
        raise RuntimeError(f"sim/{TABLE}: a key is listed twice")
    return table


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        from .errors import InputError

        raise InputError("unknown report language", field="--lang", value=lang, allowed=", ".join(LANGUAGES))
    return lang


def label(key: str, lang: str = "en", default: str | None = None, **values) -> str:
    """The label ``key`` in ``lang`` with ``values`` filled in; ``default`` (or the key's name with spaces) when
    the table has no such key."""
    row = _table().get(key)
    if row is None:
        text = default if default is not None else key.split(".", 1)[-1].replace("_", " ")
    else:
        text = row[check_lang(lang)] or row["en"]
    return text.format(**values) if values else text


#: Between a label and what it labels: a colon and a space in English, the full-width colon in Chinese.
COLON = {"en": ": ", "zh": "："}


def parenthesised(text: str, lang: str = "en") -> str:
    """`` (text)`` in English, ``（text）`` in Chinese."""
    return f"（{text}）" if check_lang(lang) == "zh" else f" ({text})"


def headed(name: str, unit_text: str, lang: str = "en") -> str:
    """A table header with its unit: ``name [unit]`` in English, ``name（unit）`` in Chinese."""
    return f"{name}（{unit_text}）" if check_lang(lang) == "zh" else f"{name} [{unit_text}]"


#: How a list is joined, and its parts: the enumeration comma and the semicolon in Chinese.
LIST_SEP = {"en": ", ", "zh": "、"}
PART_SEP = {"en": "; ", "zh": "；"}


def joined(items, lang: str = "en", *, parts: bool = False) -> str:
    """``items`` as one list in ``lang``'s punctuation (``parts``: clauses, joined by a semicolon)."""
    return (PART_SEP if parts else LIST_SEP)[check_lang(lang)].join(str(i) for i in items)


def track_label(name: str, lang: str = "en") -> str:
    """A programme track's name in ``lang`` (``track.<name>`` in the label table, else the name as given)."""
    return label(f"track.{name}", lang, default=name)


def by_replications(key: str, replications: int, lang: str = "en", **values) -> str:
    """The label ``key``, or ``<key>_single`` with one replication (no confidence interval to speak of)."""
    single = f"{key}_single"
    return label(single if replications == 1 and single in _table() else key, lang, **values)


def has_label(key: str) -> bool:
    return key in _table()


def keys(kind: str) -> list[str]:
    """The names of one kind of key (``site_type``, ``strategy`` ...) in table order."""
    prefix = kind + "."
    return [k[len(prefix) :] for k in _table() if k.startswith(prefix)]


def unit(name: str, lang: str = "en") -> str:
    """A unit's name in ``lang`` (``unit("MWh", "zh")`` -> 兆瓦时); unknown units are returned as given."""
    return label(f"unit.{name}", lang, default=name)


def decimals_for(value: float) -> int:
    """Decimals that keep about three significant digits: 3.46, 34.6, 346, 3,456."""
    a = abs(value)
    if a == 0 or a >= 1000:
        return 0
    return 2 if a < 10 else (1 if a < 100 else 0)


def rescale(value: float, base_unit: str, lang: str = "en") -> tuple[float, str]:
    """``(value / divisor, unit key)`` in the largest step of the unit's ladder (in ``lang``) the value reaches."""
    steps = ladder(base_unit, lang)
    if steps is None or value is None or not math.isfinite(value):
        return value, base_unit
    divisor, name = steps[0]
    for d, n in steps:
        if abs(value) >= d:
            divisor, name = d, n
    return value / divisor, name


def quantity(value: float | None, base_unit: str, lang: str = "en", decimals: int | None = None) -> str:
    """``value`` (in ``base_unit``) written with thousands separators in a unit that rescales:
    ``quantity(3500, "MWh")`` -> ``3.50 GWh``. ``None`` / NaN -> ``-``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    scaled, name = rescale(float(value), base_unit, lang)
    digits = decimals_for(scaled) if decimals is None else decimals
    return f"{scaled:,.{digits}f}{_UNIT_SEP[lang]}{unit(name, lang)}".strip()


#: Between a number and its unit: a space in English, none in Chinese (101兆瓦, 3.44亿元).
_UNIT_SEP = {"en": " ", "zh": ""}


def with_unit(number: object, name: str, lang: str = "en") -> str:
    """A number already written (``"5"``) with a unit that does not rescale: ``5 years`` / ``5年``."""
    return f"{number}{_UNIT_SEP[check_lang(lang)]}{unit(name, lang)}"


def quantity_range(low: float | None, high: float | None, base_unit: str, lang: str = "en") -> str:
    """A range in one unit, that of its larger end: ``quantity_range(769e3, 1.64e6, "t")`` -> ``0.77-1.64 Mt``
    (never ``769 kt - 1.64 Mt``)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "-"
    largest = max(abs(float(low)), abs(float(high)))
    top, name = rescale(largest, base_unit, lang)
    divisor = largest / top if top else 1.0
    digits = decimals_for(top)
    return f"{float(low) / divisor:,.{digits}f}-{float(high) / divisor:,.{digits}f}{_UNIT_SEP[lang]}{unit(name, lang)}"


COLUMN_MIN = 10.0
"""A column or axis takes the largest unit in which its largest value is still at least this (1,590 GWh rather
than 1.59 TWh, so that its smaller values keep their digits: 431 GWh, not 0.43 TWh)."""


def common_scale(values, base_unit: str, lang: str = "en") -> tuple[float, str]:
    """``(divisor, unit key)`` for a whole axis or table column: the largest unit of the ladder (in ``lang``) in
    which the largest of ``values`` is at least :data:`COLUMN_MIN`."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(finite) if finite else 0.0
    steps = ladder(base_unit, lang) or ((1.0, base_unit),)
    divisor, name = steps[0]
    for d, n in steps:
        if top >= COLUMN_MIN * d:
            divisor, name = d, n
    return divisor, name


def in_currency(text: str, currency: str | None, lang: str = "en") -> str:
    """``text`` with its CNY money labels in ``currency`` (the scenario's ``economics.currency``: a label only, the
    values are the same). In Chinese the yuan (元, as in 万元 or 元/千瓦时) becomes the currency's Chinese name
    (``currency.EUR``: 欧元), or its ISO code where the label table has none."""
    if not currency or currency == "CNY":
        return text
    text = text.replace("CNY", currency)
    if lang == "zh":
        text = text.replace("元", label(f"currency.{currency}", "zh", default=currency))
    return text


def money(
    value: float | None, base_unit: str, lang: str = "en", currency: str | None = "CNY", decimals: int | None = None
) -> str:
    """:func:`quantity` of a money figure (``base_unit`` ``CNY``, ``CNY/kWh``, ``CNY/t`` ...) labelled in
    ``currency`` (:func:`in_currency`): ``money(3.44e8, "CNY", "en", "EUR")`` -> ``344 million EUR``."""
    return in_currency(quantity(value, base_unit, lang, decimals), currency, lang)


#: The rollout's and the programme's warnings (``summary["warnings"]``, written in English by
#: :mod:`sim.rollout.observe` and :func:`sim.programme.held_back_by`) read back for another language: a pattern per
#: kind of warning -> its ``warntext.*`` label. A warning no pattern reads is shown as written.
_NUMBER = r"[\d,.]+"
WARNING_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "shortfall",
        (
            rf"(?:track (?P<track>\S+)|the programme) built (?P<built>{_NUMBER}) of its (?P<target>{_NUMBER}) "
            r"MWp target \((?P<pct>\d+) %\): held back by (?P<cause>.+)"
        ),
    ),
    (
        "busy",
        (
            r"(?P<name>\w+) are (?P<pct>\d+) % busy over (?P<period>the horizon|the build window) \(mean wait "
            r"(?P<wait>\d+) days\): raise rollout\.(?P=name) above (?P<cap>\d+)(?P<pacing>"
            r"(?: or a lower rollout\.max_sites_in_pipeline)?)"
        ),
    ),
    (
        "queued",
        (
            r"(?P<n>\d+) requests for (?P<name>\w+) are still queued at the horizon \(mean wait (?P<wait>\d+) "
            r"days, censored\): raise rollout\.(?P=name) above (?P<cap>\d+)"
        ),
    ),
    (
        "service_limit",
        (
            rf"(?P<stage>\w+) of (?P<cls>\w+) applications takes a median (?P<days>{_NUMBER}) working days, "
            rf"above the State Grid service limit of (?P<limit>{_NUMBER}): (?:raise rollout\.(?P<resource>\w+)"
            r"|(?P<shorten>shorten the stage))(?P<pipeline>(?: or set rollout\.max_sites_in_pipeline)?)"
        ),
    ),
)
_CAUSES: tuple[tuple[str, str], ...] = (
    ("time", rf"time: (?P<kwp>{_NUMBER}) kWp still in progress at the horizon"),
    (
        "budget",
        (
            rf"budget: (?P<committed>{_NUMBER}) of (?P<total>{_NUMBER}) committed, too little left for the "
            rf"cheapest site not released \((?P<next>{_NUMBER})\)"
        ),
    ),
    (
        "strategy",
        (
            rf"strategy: it released every site of its order; (?P<n>{_NUMBER}) eligible sites \((?P<kwp>"
            rf"{_NUMBER}) kWp\) were left out of the order(?P<hosting>.*)"
        ),
    ),
    ("sites", rf"sites: every eligible site was released \((?P<kwp>{_NUMBER}) kWp\)(?P<hosting>.*)"),
    ("window", rf"build window: it closed with (?P<n>{_NUMBER}) sites \((?P<kwp>{_NUMBER}) kWp\) not released .*"),
)


def warning_text(text: str, lang: str = "en") -> str:
    """A warning of ``summary["warnings"]`` in ``lang`` (as written in English, or when no pattern reads it)."""
    import re

    if check_lang(lang) == "en":
        return text
    for kind, pattern in WARNING_PATTERNS:
        m = re.fullmatch(pattern, text)
        if m:
            return _warning_part(kind, m.groupdict(), lang, re)
    return text


def _warning_part(kind: str, g: dict, lang: str, re) -> str:
    if kind == "shortfall":
        who = (
            label("warntext.track", lang, track=track_label(g["track"], lang))
            if g["track"]
            else label("warntext.programme", lang)
        )
        cause = next(
            (_cause(k, m.groupdict(), lang) for k, p in _CAUSES if (m := re.fullmatch(p, g["cause"]))), g["cause"]
        )
        return label(
            "warntext.shortfall", lang, who=who, built=g["built"], target=g["target"], pct=g["pct"], cause=cause
        )
    if kind in ("busy", "queued"):
        period = label(
            "warntext.period_horizon" if g.get("period") == "the horizon" else "warntext.period_window", lang
        )
        return label(
            f"warntext.{kind}",
            lang,
            resource=label(f"resource.{g['name']}", lang),
            period=period,
            pacing=label("warntext.pacing", lang) if g.get("pacing") else "",
            **{k: v for k, v in g.items() if k not in ("period", "pacing")},
        )
    relief = label("warntext.raise", lang, name=g["resource"]) if g["resource"] else label("warntext.shorten", lang)
    if g["pipeline"]:
        relief += label("warntext.or_pipeline", lang)
    return label(
        "warntext.service_limit",
        lang,
        stage=label(f"stage.{g['stage']}", lang),
        cls=label(f"site_type.{g['cls']}", lang, default=g["cls"]),
        days=g["days"],
        limit=g["limit"],
        relief=relief,
    )


def _cause(kind: str, g: dict, lang: str) -> str:
    import re

    hosting = g.pop("hosting", "") or ""
    m = re.fullmatch(r"; (?P<kwp>[\d,.]+) kWp dropped for lack of hosting capacity", hosting)
    extra = label("warntext.hosting", lang, kwp=m["kwp"]) if m else hosting
    return label(f"warntext.{kind}", lang, hosting=extra, **g)
