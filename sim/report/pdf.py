"""A report as an A4 PDF (``pvsim report FOLDER --pdf``), printed offline by a headless Chromium (the browser the
report tests already use) with the report's own print stylesheet: tables and figures kept whole, headings kept with
what follows them. No network, no extra Python dependency; without a Chromium the option is refused in one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .._io import atomic_write
from ..errors import InputError

#: Names of a Chromium executable, tried in order (``PVSIM_CHROMIUM`` first when set).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    "--no-pdf-header-footer",
)
TIMEOUT_S = 300


def find_browser() -> str | None:
    """The Chromium to print with: ``$PVSIM_CHROMIUM``, else the first of :data:`BROWSERS` on the PATH."""
    given = os.environ.get("PVSIM_CHROMIUM")
    if given:
        return given if Path(given).is_file() else shutil.which(given)
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def write_pdf(html_path: str | Path, out: str | Path | None = None) -> Path:
    """Print the report ``html_path`` to ``out`` (default: the same name with ``.pdf``), atomically; returns it.
    Raises :class:`InputError` when no Chromium is installed or it fails."""
    html_path = Path(html_path).resolve()
    out = Path(out) if out else html_path.with_suffix(".pdf")
    browser = find_browser()
    if browser is None:
        raise InputError(
            "no headless Chromium to print the PDF with",
            field="--pdf",
            allowed="install chromium (apt-get install chromium) or set PVSIM_CHROMIUM",
        )

    def print_to(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="pvsim-chromium-") as profile:
            try:
                done = subprocess.run(
                    [browser, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html_path.as_uri()],
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT_S,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise InputError(
                    f"Chromium could not print the report ({type(exc).__name__})", file=html_path, field="--pdf"
                ) from None
        if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            raise InputError(
                f"Chromium could not print the report (exit {done.returncode})", file=html_path, field="--pdf"
            )

    atomic_write(out, print_to)
    return out
