"""Self-contained HTML reports (``pvsim report FOLDER``): of one run (:mod:`sim.report.run`), of a strategy
comparison (:mod:`sim.report.compare`) or of a what-if sweep (:mod:`sim.report.sweep`), in English or Chinese (``lang="zh"``: labels, headings and units from
``sim/tables/labels.csv``; numbers unchanged).

A report is one file (default ``FOLDER/report.html``, in Chinese ``FOLDER/report.zh.html``), written atomically, with inline PNG figures and inline
style and no external resource, so it opens offline and can be mailed around.
"""

from __future__ import annotations

from pathlib import Path

from ._html import REPORT_NAME, report_name
from .run import check_run_folder, key_figures, render_html, run_warnings, write_report

__all__ = [
    "REPORT_NAME",
    "check_run_folder",
    "is_comparison_folder",
    "key_figures",
    "render_html",
    "report_name",
    "run_warnings",
    "write_any_report",
    "write_comparison_report",
    "write_report",
    "write_sweep_report",
]


def is_comparison_folder(folder: Path) -> bool:
    """Whether ``folder`` was written by ``pvsim compare`` (it holds ``comparison.json``)."""
    return (Path(folder) / "comparison.json").is_file()


def write_comparison_report(folder: str | Path, **kwargs) -> Path:
    from .compare import write_comparison_report as write

    return write(folder, **kwargs)


def write_sweep_report(folder: str | Path, **kwargs) -> Path:
    from .sweep import write_sweep_report as write

    return write(folder, **kwargs)


def write_any_report(
    folder: str | Path, *, lang: str = "en", scenario=None, out: str | Path | None = None, pdf: bool = False
) -> Path:
    """The report of a sweep folder (:func:`sim.sweeps.is_sweep_folder`), of a comparison folder (it holds
    ``comparison.json``) or of a run folder; returns its path. A sweep is told first: it holds comparison folders
    below it, not at its top. ``pdf``: also print it to an A4 PDF beside it (:func:`sim.report.pdf.write_pdf`).

    A report written into the folder is written under the folder's lock (a pvsim writing the folder at the same time
    stops, or this one does) and listed with its SHA-256 in the folder's manifest (``reports``), as pvsim's file."""
    import contextlib

    from .._io import folder_lock, record_reports

    folder = Path(folder).expanduser()
    inside = out is None or Path(out).expanduser().resolve().parent == folder.resolve()
    with folder_lock(folder, field="FOLDER") if inside and folder.is_dir() else contextlib.nullcontext():
        path = _write_one(folder, lang=lang, scenario=scenario, out=out)
        written = [path]
        if pdf:
            from .pdf import write_pdf

            written.append(write_pdf(path))
        if inside:
            record_reports(folder, written)
    return path


def _write_one(folder: Path, *, lang: str, scenario, out: str | Path | None) -> Path:
    from ..study import is_study_folder
    from ..sweeps import is_sweep_folder

    if is_study_folder(folder):
        from .study import write_study_report

        return write_study_report(folder, lang=lang, out=out)
    if is_sweep_folder(folder):
        return write_sweep_report(folder, lang=lang, scenario=scenario, out=out)
    if is_comparison_folder(folder):
        return write_comparison_report(folder, lang=lang, scenario=scenario, out=out)
    return write_report(folder, lang=lang, scenario=scenario, out=out)
