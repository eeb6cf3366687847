"""Safe writes: the one home of "never lose a file".

- :func:`atomic_write`: one file, written to a temporary file beside it and renamed into place.
- :func:`atomic_folder`: a folder of files pvsim writes (a run folder). A new folder is filled under a temporary
  name beside it and renamed into place. An existing folder is never replaced as a whole: the new files are written
  into a hidden temporary folder inside it and then renamed over pvsim's files one by one (Ctrl-C is held back for
  those few renames), so files a user put there (a report, notes) stay where they are.
- :func:`check_out_folder`: the checks before anything is computed or written: ``--out`` may not be a file, the
  scenario's folder or a data file; a folder that exists, is not empty and is not pvsim's needs ``--overwrite``.

A reader never sees a half-written file, and an interrupted or failed write leaves the previous files (or nothing)
behind. Temporary names start with ``.pvsim-tmp-`` and lie in the target's own folder, so renames stay on one file
system (``os.replace`` is atomic there). Files and folders get the permissions of the user's umask (normally
0644 and 0755), as any program's files would.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import InputError

TMP_PREFIX = ".pvsim-tmp-"


def current_umask() -> int:
    """The process's umask (read from ``/proc`` where it can be, so that it is never changed, even briefly)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_name(name: str) -> str:
    return f"{TMP_PREFIX}{name}-{secrets.token_hex(4)}"


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], None], *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically and return ``path``.

    ``data`` is the content (``str`` is written as UTF-8) or a function that writes the temporary file it is given
    (for writers that take a path, such as ``numpy.save`` or ``DataFrame.to_parquet``). The file gets permissions
    ``mode`` (default: 0666 less the user's umask, as an ordinary file).
    """
    path = Path(path)
    tmp = path.parent / (_tmp_name(path.name) + ".tmp")
    try:
        if callable(data):
            data(tmp)
        else:
            tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, (0o666 & ~current_umask()) if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C back (in the main thread) until the block is done, then raise it: a commit of a few renames is
    never left half-way by an interrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def remove_temporaries(folder: Path) -> None:
    """Remove leftovers of writes into ``folder`` that were killed (``.pvsim-tmp-*``); never anything else."""
    for tmp in Path(folder).glob(TMP_PREFIX + "*"):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def atomic_folder(folder: str | Path, fill: Callable[[Path], None], *, stale: Iterable[str] = ()) -> Path:
    """Write the files of ``folder``: ``fill(tmp)`` writes them (files only, no sub-folders) into a temporary folder.

    A new ``folder`` is the temporary folder renamed into place. Into an existing ``folder`` each file is renamed
    over the one of the same name; files named in ``stale`` that this write did not produce (an optional output of
    an earlier run) are removed; every other file in the folder is left alone. On any error, or an interrupt
    during ``fill``, the temporary folder is removed and ``folder`` is left as it was.
    """
    folder = Path(folder)
    if folder.exists():
        remove_temporaries(folder)
        tmp = folder / _tmp_name("write")
    else:
        parent = folder.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = parent / _tmp_name(folder.name)
    tmp.mkdir()  # mode 0777 less the umask, unlike mkdtemp's 0700
    try:
        fill(tmp)
        written = sorted(p.name for p in tmp.iterdir())
        nested = [n for n in written if (tmp / n).is_dir()]
        if nested:
            raise RuntimeError(f"atomic_folder writes files only, got folder(s) {nested}")
        with _interrupts_held():
            if tmp.parent == folder:
                for name in written:
                    os.replace(tmp / name, folder / name)
                for name in sorted(set(stale) - set(written)):
                    if (folder / name).is_file():
                        (folder / name).unlink()
                tmp.rmdir()
            else:
                os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def check_out_folder(out: str | Path, *, is_ours: Callable[[Path], bool], overwrite: bool = False,
                     protected: Iterable[str | Path] = (), what: str = "pvsim run folder",
                     field: str = "--out") -> Path:
    """Check an output folder before anything is computed; return it.

    Refused with :class:`InputError` (exit status 2, whatever ``overwrite`` says): ``out`` is a file; ``out`` is a
    ``protected`` path (the scenario, its data files) or the folder one of them is in. Refused unless
    ``overwrite``: ``out`` exists, holds something, and ``is_ours(out)`` is false (pvsim then adds its files to it
    and removes nothing).
    """
    out = Path(out).expanduser()
    target = out.resolve()
    for path in protected:
        p = Path(path).resolve()
        if target == p or target == p.parent:
            where = "is an input of the scenario" if target == p else f"is the folder of the scenario's input {p.name}"
            raise InputError(f"{where}; pvsim never writes among its inputs", file=out, field=field,
                             allowed="another folder, e.g. runs/<name>")
    if out.exists() and not out.is_dir():
        raise InputError("output path exists and is a file", file=out, field=field,
                         allowed="a folder path (created if missing)")
    if out.is_dir() and not overwrite and not is_ours(out):
        contents = sorted(p.name for p in out.iterdir() if not p.name.startswith(TMP_PREFIX))
        if contents:
            raise InputError(f"folder exists, is not empty and is not a {what}", file=out, field=field,
                             value=contents[:3] + (["..."] if len(contents) > 3 else []),
                             allowed=f"a new or empty folder, a {what}, or --overwrite (adds pvsim's files and "
                             "keeps the others)")
    return out
