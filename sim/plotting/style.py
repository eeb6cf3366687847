"""The one look of every pvsim figure: palette, resolution, font sizes, site-type colours and labels, the figure and
axes helpers, and PNG output.

Figures use matplotlib's object API (``Figure`` + Agg canvas): no pyplot, no global state, safe in threads, in Dask
workers and in the report. Conventions: axes carry their quantity and unit, fonts are at least 10 pt, large numbers
get thousands separators, and colours come from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), one fixed colour per site type.

Chinese text (township and strategy names, ``--lang zh`` labels): :func:`cjk_font` finds an installed CJK font at
run time (Noto Sans CJK, Source Han Sans, WenQuanYi, Microsoft YaHei, SimHei, PingFang; also fonts installed after
matplotlib built its font cache) and :func:`use_cjk_fallback`, called when this module is imported, appends it to
matplotlib's font families after DejaVu Sans: Latin text keeps DejaVu Sans, glyphs it lacks come from the CJK font.
Where no CJK font is installed, :data:`CJK_MISSING_NOTE` says how to install one.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .._io import atomic_write
from ..labels import label

#: Okabe & Ito (2008), "Color Universal Design": the one palette of the package.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
#: Order in which a series of categories (strategies) takes the palette's colours: neighbours differ most
#: (blue / sky blue and orange / vermillion kept apart).
SERIES_ORDER: tuple[str, ...] = (
    "blue",
    "orange",
    "bluish_green",
    "reddish_purple",
    "sky_blue",
    "vermillion",
    "black",
    "yellow",
)
LINE_STYLES: tuple[str, ...] = ("-", "--", "-.", ":")
GREY = "#999999"
LIGHT_GREY = "#d9d9d9"
GRID_COLOUR = "#e3e3e3"

#: Resolution of every figure [dots per inch]: a 9-inch run figure is about 1,100 px wide, the width of the report's
#: text column, so it is shown at about 1:1.
DPI = 120
#: Base font size [pt] of tick labels, legends and annotations; axis labels get half a point more, titles TITLE_PT.
FONT_PT = 10.5
TITLE_PT = 12.0

#: Site types in display order (rooftops first, then farms, then tourism) with a fixed colour each. Okabe-Ito has
#: eight colours and black is kept for outlines and text; commercial & industrial takes the wine of Paul Tol's
#: colour-blind-safe "muted" scheme (#882255), and greenhouses (few sites, little capacity) neutral grey.
SITE_TYPE_COLOURS: dict[str, str] = {
    "rural_home": OKABE_ITO["orange"],
    "public_building": OKABE_ITO["sky_blue"],
    "party_government": OKABE_ITO["blue"],
    "commercial_industrial": "#882255",
    "agrivoltaic": OKABE_ITO["bluish_green"],
    "greenhouse": GREY,
    "fish_pond": OKABE_ITO["reddish_purple"],
    "tourism_carpark": OKABE_ITO["vermillion"],
    "guesthouse": OKABE_ITO["yellow"],
}
#: Display label of each site type in English (all languages: ``sim/tables/labels.csv``, :func:`site_type_label`).
SITE_TYPE_LABELS: dict[str, str] = {t: label(f"site_type.{t}") for t in SITE_TYPE_COLOURS}


#: CJK font families, in order of preference (simplified Chinese first), and the font files that hold them.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Droid Sans Fallback",
)
_CJK_FILES = re.compile(
    r"(NotoSansCJK|NotoSansSC|SourceHanSans|wqy|msyh|simhei|PingFang|DroidSansFallback)", re.IGNORECASE
)
CJK_MISSING_NOTE = (
    "No CJK font is installed: Chinese text in figures shows as boxes. Install one, e.g. "
    "'apt-get install fonts-noto-cjk' (Debian/Ubuntu) or Noto Sans CJK SC from notofonts.github.io."
)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font (see :data:`CJK_FAMILIES`), or None when there is none.

    Fonts installed after matplotlib built its font cache are found by their file names and registered."""

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = known()
    if found is None:
        for path in sorted(font_manager.findSystemFonts()):
            if _CJK_FILES.search(Path(path).name):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


def use_cjk_fallback() -> str | None:
    """Make the CJK font (if any) the fallback of DejaVu Sans: ``font.family`` becomes ``["DejaVu Sans", <CJK
    font>, "sans-serif"]`` (matplotlib falls back glyph by glyph along that list); returns the CJK font's name."""
    family = cjk_font()
    if family is not None:
        families = list(matplotlib.rcParams["font.family"])
        if family not in families:
            matplotlib.rcParams["font.family"] = ["DejaVu Sans", family, *[f for f in families if f != "DejaVu Sans"]]
    return family


use_cjk_fallback()


# --------------------------------------------------------------------------------------------- colours and labels


def site_type_colour(site_type: str) -> str:
    return SITE_TYPE_COLOURS.get(site_type, GREY)


def site_type_label(site_type: str, lang: str = "en") -> str:
    """The human label of a site type in ``lang`` (``sim/tables/labels.csv``)."""
    return label(f"site_type.{site_type}", lang)


def ordered_types(types) -> list[str]:
    """The site types in ``types`` in display order (known types first, then the others sorted)."""
    present = set(types)
    known = [t for t in SITE_TYPE_COLOURS if t in present]
    return known + sorted(present - set(known))


def palette(names: list[str]) -> dict[str, str]:
    """A fixed colour per name (strategy), in the order given."""
    return {name: OKABE_ITO[SERIES_ORDER[i % len(SERIES_ORDER)]] for i, name in enumerate(names)}


def line_styles(names: list[str]) -> dict[str, str]:
    """A line style per name (a second cue besides colour)."""
    return {name: LINE_STYLES[i % len(LINE_STYLES)] for i, name in enumerate(names)}


# --------------------------------------------------------------------------------------------- figures and axes


def _figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _fig_ax(ax, w: float, h: float):
    """``(figure, axes)``: a new ``w`` x ``h`` inch figure with one axes, or the figure of the given ``ax``."""
    if ax is None:
        fig = _figure(w, h)
        return fig, fig.add_subplot()
    return ax.figure, ax


def _style(ax, grid_axis: str = "both") -> None:
    """Font sizes, a light grid along ``grid_axis`` ("x", "y", "both"; "" for none), no top/right spines.

    Call it before setting a label or title with an explicit ``fontsize``, which then wins."""
    ax.tick_params(labelsize=FONT_PT)
    ax.xaxis.label.set_size(FONT_PT + 0.5)
    ax.yaxis.label.set_size(FONT_PT + 0.5)
    ax.title.set_size(TITLE_PT)
    if grid_axis:
        ax.grid(True, axis=grid_axis, color=GRID_COLOUR, linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=FONT_PT + 1, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def thousands(decimals: int = 0) -> FuncFormatter:
    """Tick formatter with thousands separators (``12,500``)."""
    return FuncFormatter(lambda x, _pos: f"{x:,.{decimals}f}")


def _auto_thousands(ax, axis: str = "y") -> None:
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    span = abs(hi - lo)
    decimals = 0 if span >= 10 else (1 if span >= 1 else 2)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(thousands(decimals))


# --------------------------------------------------------------------------------------------- PNG


def png_bytes(fig: Figure, dpi: int | None = None) -> bytes:
    """The figure rendered to PNG bytes (no software tag, so the same figure gives the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or DPI, metadata={"Software": None})
    return buf.getvalue()


def save_png(fig: Figure, path: str | Path, dpi: int | None = None) -> Path:
    """Write the figure to ``path`` as PNG, atomically (:func:`sim._io.atomic_write`); returns the path."""
    return atomic_write(path, png_bytes(fig, dpi))
