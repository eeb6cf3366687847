"""Atomic writes: the one home of "write to a temporary file or folder beside the target, then rename".

A reader never sees a half-written file, and an interrupted or failed write leaves the previous version (or
nothing) behind. Temporary names start with a dot and lie in the target's own folder, so the final rename stays on
one file system (``os.replace`` is atomic there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], None], *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically and return ``path``.

    ``data`` is the content (``str`` is written as UTF-8) or a function that writes the temporary file it is given
    (for writers that take a path, such as ``numpy.save`` or ``DataFrame.to_parquet``). The file gets permissions
    ``mode`` (``mkstemp`` alone would make it private to its owner).
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_folder(folder: str | Path, fill: Callable[[Path], None]) -> Path:
    """Create ``folder`` atomically: ``fill(tmp)`` writes the files into a temporary folder beside it, which then
    replaces ``folder`` (an existing folder is moved aside first and removed only once the new one is in place).

    On any error, or an interrupt, the temporary folder is removed and the previous ``folder`` is left as it was.
    """
    folder = Path(folder)
    parent = folder.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=parent))
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes the folder private to its owner
        fill(tmp)
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=parent))
            os.replace(folder, old / "prev")
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
