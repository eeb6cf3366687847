"""The page frame shared by the run and comparison reports: inline style, escaping, cards, tables, figures, the
warnings box, and the atomic write. A report is one self-contained file: inline PNG figures, inline style, no
external resource (no CDN, no web font, no network), so it opens offline and can be mailed around. One tiny inline
script marks the page as rendered (``data-report="ready"`` on ``<html>``, invisible), which the browser tests check.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from ..labels import label

REPORT_NAME = "report.html"


def report_name(lang: str = "en") -> str:
    """The report's default file in its folder: ``report.html`` in English, ``report.<lang>.html`` in another
    language, so that a Chinese report never replaces the English one."""
    return REPORT_NAME if lang == "en" else f"report.{lang}.html"


CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",
  "PingFang SC","WenQuanYi Zen Hei",sans-serif;font-size:15px;color:#222;margin:0;background:#fff}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:34px 0 10px;border-bottom:2px solid #0072B2;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
p.meta{color:#555;margin:2px 0;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px;margin-top:16px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;background:#f7f9fb}
.card .v{font-size:22px;font-weight:bold;color:#0b3d63}
.card .k{font-size:13px;color:#444}
.card .s{font-size:12px;color:#666}
.bottom{font-size:17px;line-height:1.45;margin:6px 0 10px}
.bottom p{margin:4px 0}
.box{border-left:5px solid #E69F00;background:#fff8e6;padding:8px 14px;margin:14px 0}
.box.ok{border-left-color:#009E73;background:#eefaf5}
.box h3{margin:4px 0 6px}
.box ul{margin:4px 0 4px 18px;padding:0}
dl.prog{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:8px 0}
dl.prog dt{color:#444}
dl.prog dd{margin:0;font-weight:bold}
table{border-collapse:collapse;margin:8px 0 4px;font-size:14px}
th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:right}
td:not(.l){white-space:nowrap}
th{background:#eef2f6}
td.l,th.l{text-align:left}
td.l{min-width:6em}
td.ok,span.ok{color:#00734d;font-weight:bold}
td.no,span.no{color:#b03c00;font-weight:bold}
td.src{text-align:left;font-size:12px;color:#555;max-width:520px}
figure{margin:10px 0 18px}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:13px;color:#555;margin-top:4px}
footer{margin-top:40px;color:#777;font-size:12px}
.tw{overflow-x:auto;max-width:100%}
@media (max-width:700px){main{padding:12px 10px 40px}h1{font-size:21px}.bottom{font-size:15px}
  .cards{grid-template-columns:repeat(2,minmax(0,1fr))}dl.prog{grid-template-columns:1fr}dl.prog dd{margin-bottom:6px}}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{body{font-size:10pt}main{max-width:none;padding:0}h1{font-size:18pt}h2{font-size:13pt;margin-top:18px}
  h2,h3,h2+p,h3+p{break-after:avoid;page-break-after:avoid}
  table,figure,.card,.box,.bottom,dl.prog{break-inside:avoid;page-break-inside:avoid}
  thead{display:table-header-group}tr{break-inside:avoid}.tw{overflow:visible}
  figure img{max-width:100%;max-height:245mm;border:0}.cards{grid-template-columns:repeat(3,1fr)}}
"""


def e(value: Any) -> str:
    """HTML-escaped text (``-`` for None)."""
    return html.escape("-" if value is None else str(value))


def page(title: str, lang: str, body: list[str], footer: str) -> str:
    """The whole page: head with inline style, ``body`` parts in ``<main>``, footer, the ready marker."""
    html_lang = "zh-CN" if lang == "zh" else "en"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html_lang}" data-report="loading"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>",
        *body,
        f"<footer>{footer}</footer>",
        "</main>",
        _READY_SCRIPT,
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


#: Marks the page as rendered, counts the images the browser decoded and says whether the page is wider than the
#: window (a phone must not scroll sideways; wide tables scroll inside their own box) (invisible; read by the
#: browser tests).
_READY_SCRIPT = (
    '<script>window.addEventListener("load",function(){var d=document.documentElement;'
    'd.setAttribute("data-images",[].filter.call(document.images,function(i){'
    "return i.complete&&i.naturalWidth>0;}).length);"
    'd.setAttribute("data-wider",d.scrollWidth>window.innerWidth+1?"1":"0");'
    'd.setAttribute("data-report","ready");});</script>'
)


def cards(items: list[tuple[str, str, str]]) -> str:
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{e(k)}</div><div class="v">{e(v)}</div><div class="s">{e(s)}</div></div>'
            for k, v, s in items
        )
        + "</div>"
    )


def table(header: list[str], rows: list[list[Any]], left: int = 1, classes: list[list[str]] | None = None) -> str:
    """A table; the first ``left`` columns left-aligned; ``classes`` per cell (``ok``, ``no``, ``src``)."""
    head = "".join(f'<th class="{"l" if i < left else ""}">{e(h)}</th>' for i, h in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            cls = ["l"] if i < left else []
            if classes is not None and classes[r][i]:
                cls.append(classes[r][i])
            cells.append(f'<td class="{" ".join(cls)}">{e(cell)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    # wrapped so that a wide table scrolls on a narrow screen instead of widening the page
    return f'<div class="tw"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def sentences(items: list[str]) -> str:
    """The bottom line: a few plain sentences, each on its own line."""
    return '<div class="bottom" id="bottom">' + "".join(f"<p>{e(t)}</p>" for t in items) + "</div>"


def definitions(items: list[tuple[str, str]]) -> str:
    return '<dl class="prog">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items) + "</dl>"


def warnings_box(title: str, items: list[str], none_text: str) -> str:
    """A visible box listing the run's warnings (a green box saying there are none, when there are none)."""
    if not items:
        return f'<div class="box ok" id="warnings"><h3>{e(title)}</h3><p>{e(none_text)}</p></div>'
    lis = "".join(f"<li>{e(item)}</li>" for item in items)
    return f'<div class="box" id="warnings"><h3>{e(title)}</h3><ul>{lis}</ul></div>'


def note(text: str) -> str:
    return f'<div class="box"><p>{e(text)}</p></div>'


def img_png(data: bytes, alt: str, caption: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f'<figure><img alt="{e(alt)}" src="data:image/png;base64,{b64}"><figcaption>{e(caption)}</figcaption></figure>'
    )


def img(fig, alt: str, caption: str) -> str:
    """A matplotlib figure as an inline PNG with its caption."""
    from ..plotting import png_bytes

    return img_png(png_bytes(fig), alt, caption)


def footer(lang: str) -> str:
    return e(label("report.footer", lang))
