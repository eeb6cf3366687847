"""Safe writes: the one home of "never lose a file".

- :func:`atomic_write`: one file, written to a temporary file beside it, flushed to disk and renamed into place.
- :func:`atomic_folder`: the files of an output folder (a run, a comparison, a sweep), written into a hidden
  temporary folder inside it and committed under the folder's lock: a manifest in state ``writing`` first, then one
  rename per file, then the manifest in state ``complete``, written last. A reader (:func:`verify_folder`) accepts
  only a complete manifest whose files all have the recorded SHA-256, so a folder killed between two renames is
  never taken for a finished one.
- The manifest (``pvsim-manifest.json``: pvsim's signature, the kind of folder, the state and each file's SHA-256;
  nothing that varies between two runs of the same scenario and seed) is pvsim's mark. A folder without it is not
  pvsim's; a file the manifest does not list is not pvsim's, and no writer replaces or removes it, whatever
  ``--overwrite`` says.
- :func:`folder_lock`: an ``fcntl`` lock (``.pvsim-lock``) held while a command writes a folder; a second writer
  stops at once with "another pvsim is writing here".
- :func:`check_out_folder` and :func:`check_new_file`: the checks before anything is computed or written.

Temporary names start with ``.pvsim-tmp-`` and lie in the target's own folder, so renames stay on one file system
(``os.replace`` is atomic there); leftovers of a killed writer are removed by the next writer of the same place,
under the lock. Files and folders get the permissions of the user's umask (normally 0644 and 0755).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from .errors import InputError

TMP_PREFIX = ".pvsim-tmp-"
LOCK_NAME = ".pvsim-lock"
MANIFEST = "pvsim-manifest.json"
SIGNATURE = "written by pvsim; lists the files pvsim wrote here and their SHA-256 (do not edit)"
_HIDDEN = ".pvsim-"
"""Names pvsim keeps for itself in an output folder (temporaries, the lock)."""


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


def os_error_text(exc: BaseException) -> str:
    """The cause of a failure of the file system in a few words (``No space left on device``)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _tmp_name(name: str) -> str:
    """A temporary name for ``name``; it keeps ``name``'s suffix (GDAL chooses the format by it)."""
    return f"{TMP_PREFIX}{name[:80]}-{secrets.token_hex(4)}{Path(name).suffix[:16]}"


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder; the data is synced already
        _fsync_file(folder)


@contextlib.contextmanager
def gdal_write(path: Path) -> Iterator[None]:
    """Writes to ``path`` through GDAL (pyogrio): its failures (a full disk, a read-only folder), which are not
    ``OSError``, become an ``OSError`` naming the file, which the CLI prints as one line."""
    import pyogrio.errors

    try:
        yield
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise OSError(f"GDAL could not write {Path(path).name}: {str(exc).splitlines()[0][:200]}") from exc


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], None], *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically and return ``path``.

    ``data`` is the content (``str`` is written as UTF-8) or a function that writes the temporary file it is given
    (for writers that take a path, such as ``DataFrame.to_parquet`` or GDAL; the temporary name keeps ``path``'s
    suffix). The file is flushed to disk before the rename. It gets permissions ``mode`` (default: 0666 less the
    user's umask, as an ordinary file).
    """
    path = Path(path)
    tmp = path.parent / _tmp_name(path.name)
    try:
        if callable(data):
            data(tmp)
        else:
            tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, (0o666 & ~current_umask()) if mode is None else mode)
        _fsync_file(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
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


def remove_temporaries(folder: Path, name: str | None = None) -> None:
    """Remove leftovers of killed writes into ``folder`` (``.pvsim-tmp-*``, or only those of the file ``name``);
    never anything else."""
    pattern = TMP_PREFIX + (f"{name[:80]}-*" if name else "*")
    for tmp in Path(folder).glob(pattern):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------- manifest


def read_manifest(folder: Path) -> dict | None:
    """The manifest of ``folder``, or None when it has none. A manifest pvsim cannot read (damaged, or a file of
    someone else's under that name) is an :class:`InputError`."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("pvsim") != SIGNATURE or not isinstance(doc.get("files"), dict):
            raise ValueError
    except (ValueError, AttributeError, UnicodeDecodeError):
        raise InputError(
            "not a manifest pvsim can read (damaged, or not written by pvsim)",
            file=path,
            allowed="a folder pvsim wrote; move this folder away and run again",
        ) from None
    return doc


REPORTS = "reports"
"""The manifest's list of the reports ``pvsim report`` wrote into the folder (name -> SHA-256): pvsim's files, which
a later write of the folder replaces or removes (a report of outputs that changed), but not outputs a reader
requires (:func:`verify_folder` checks ``files`` only)."""


def owned_files(doc: dict | None) -> dict[str, str]:
    """Every file a manifest says pvsim wrote: its outputs and its reports."""
    if not doc:
        return {}
    return {**doc.get("files", {}), **(doc.get(REPORTS) or {})}


def record_reports(folder: str | Path, paths: Iterable[Path]) -> None:
    """List the reports ``paths`` that lie in ``folder`` in its manifest (``reports``), with their SHA-256. Call it
    under the folder's lock; a folder without a complete manifest is left as it is."""
    folder = Path(folder)
    doc = read_manifest(folder)
    mine = [Path(p) for p in paths if Path(p).resolve().parent == folder.resolve()]
    if doc is None or doc.get("state") != "complete" or not mine:
        return
    reports = {**(doc.get(REPORTS) or {}), **{p.name: sha256_of(p) for p in mine}}
    write_manifest(folder, doc["kind"], doc["files"], reports=reports)


def write_manifest(
    folder: Path, kind: str, files: dict[str, str], state: str = "complete", reports: dict[str, str] | None = None
) -> None:
    """Write ``folder``'s manifest atomically: ``kind`` of folder, ``state`` (``writing`` or ``complete``) and the
    SHA-256 of each file pvsim wrote (sorted: the same files give the same bytes)."""
    doc = {"pvsim": SIGNATURE, "kind": kind, "state": state, "files": dict(sorted(files.items()))}
    if reports:
        doc[REPORTS] = dict(sorted(reports.items()))
    atomic_write(Path(folder) / MANIFEST, json.dumps(doc, indent=2) + "\n")


def is_pvsim_folder(folder: Path, kind: str) -> bool:
    """Whether ``folder`` carries pvsim's manifest of this ``kind`` (complete or not)."""
    try:
        doc = read_manifest(folder)
    except InputError:
        return False
    return doc is not None and doc.get("kind") == kind


def verify_folder(folder: str | Path, kind: str, what: str = "pvsim output folder") -> dict:
    """The manifest of a complete, undamaged ``folder`` of this ``kind``; otherwise an :class:`InputError` naming
    the folder or the damaged file and what is wrong with it."""
    folder = Path(folder)
    doc = read_manifest(folder)
    if doc is None or doc.get("kind") != kind:
        raise InputError(
            f"not a {what} (it has no {MANIFEST}: written by someone else, or by a pvsim from before manifests)"
            if doc is None
            else f"not a {what} (its manifest is of a {doc.get('kind')})",
            file=folder,
            allowed="a folder pvsim wrote; run again to write one",
        )
    if doc.get("state") != "complete":
        raise InputError(
            f"not a finished {what}: the command that writes it was interrupted (or still runs)",
            file=folder,
            allowed="run the command again (it resumes, and rewrites the folder)",
        )
    for name, digest in doc["files"].items():
        path = folder / name
        if not path.is_file():
            raise InputError("missing: the manifest lists it", file=path, allowed="run the command again")
        if sha256_of(path) != digest:
            raise InputError(
                "damaged: its content differs from what pvsim wrote (truncated or changed)",
                file=path,
                allowed="run the command again (it rewrites the file)",
            )
    return doc


# --------------------------------------------------------------------------------------------- lock


_HELD: dict[str, list] = {}
"""Locks this process holds: real path -> [file descriptor, depth] (a held lock is re-entered, not re-taken)."""


def read_finished(folder: str | Path, kind: str, what: str, tables: Sequence[str], document: str, command: str) -> dict:
    """The JSON ``document`` of a finished ``kind`` folder (a comparison, a sweep) whose manifest is complete and
    lists every file of ``tables``; otherwise an :class:`InputError` naming what is missing or damaged and saying to
    run ``command`` again."""
    folder = Path(folder)
    files = verify_folder(folder, kind, what)["files"]
    missing = [f for f in tables if f not in files]
    if missing:
        raise InputError(
            f"not a finished {what}: missing {', '.join(missing)}",
            file=folder,
            field="FOLDER",
            allowed=f"a folder written by '{command}' (run it again to finish)",
        )
    try:
        return json.loads((folder / document).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"not valid JSON ({str(exc)[:80]})", file=folder / document, allowed=f"run '{command}' again"
        ) from None


def _make_folder(folder: Path, field: str) -> bool:
    """Create ``folder`` (and its parents); whether it was created. A failure is one :class:`InputError`."""
    if folder.is_dir():
        return False
    if folder.exists() or folder.is_symlink():
        raise InputError(
            f"output path exists and is {'a file' if folder.is_file() else 'not a folder'}",
            file=folder,
            field=field,
            allowed="a folder path (created if missing)",
        )
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        if not folder.is_dir():
            raise InputError(
                "a part of the output path is a file, not a folder", file=folder, field=field, allowed="a folder path"
            ) from None
        return False
    except OSError as exc:
        raise InputError(
            f"cannot create the folder ({os_error_text(exc)})",
            file=folder,
            field=field,
            allowed="a folder you can write to",
        ) from None
    return True


@contextlib.contextmanager
def folder_lock(folder: str | Path, *, field: str = "--out") -> Iterator[bool]:
    """Hold the write lock of ``folder`` (created if missing); yields whether this call created the folder.

    A second process that wants the same folder gets an :class:`InputError` at once ("another pvsim is writing
    here"). The lock is ``fcntl.flock`` on ``.pvsim-lock``: the system drops it when the holder dies, however it
    dies. A folder this call created and left empty (an error, Ctrl-C) is removed again.
    """
    folder = Path(folder).expanduser()
    key = os.path.realpath(folder)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield False
        finally:
            _HELD[key][1] -= 1
        return
    created = _make_folder(folder, field)
    try:
        fd = _take_lock(folder / LOCK_NAME)
    except OSError as exc:
        _remove_if_empty(folder, created)
        raise InputError(
            f"cannot write into the folder ({os_error_text(exc)})",
            file=folder,
            field=field,
            allowed="a folder you can write to",
        ) from None
    if fd is None:
        raise InputError(
            "another pvsim is writing here",
            file=folder,
            field=field,
            allowed="wait until it has finished, or another folder",
        )
    _HELD[key] = [fd, 1]
    try:
        yield created
    except BaseException:
        _remove_if_empty(folder, created)
        raise
    finally:
        del _HELD[key]
        (folder / LOCK_NAME).unlink(missing_ok=True)  # removed while still held: no other writer can hold it
        os.close(fd)


def _take_lock(path: Path) -> int | None:
    """An open, ``flock``-ed descriptor of the lock file ``path``, or None when another process holds it. The lock
    is on the file the path names at the moment it is taken (a holder removes the file before it lets go)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the file was removed by its last holder after we opened it: take the new one


def _remove_if_empty(folder: Path, created: bool) -> None:
    """Remove a folder this process created if it holds nothing but pvsim's lock and temporaries."""
    if not created or not folder.is_dir():
        return
    if all(p.name.startswith(_HIDDEN) for p in folder.iterdir()):
        remove_temporaries(folder)
        (folder / LOCK_NAME).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def claim_folder(folder: str | Path, kind: str, *, field: str = "--out") -> Iterator[Path]:
    """Lock ``folder`` for a command that fills it over time (a comparison, a sweep), remove leftovers of killed
    writers, and mark it pvsim's (a manifest in state ``writing``) unless it is marked already; yields the folder.
    On an error or Ctrl-C a folder or mark this call made and nothing else used is removed again."""
    folder = Path(folder).expanduser()
    with folder_lock(folder, field=field):
        remove_temporaries(folder)
        marked = read_manifest(folder) is None
        if marked:
            write_manifest(folder, kind, {}, state="writing")
        try:
            yield folder
        except BaseException:
            if (
                marked
                and (read_manifest(folder) or {}).get("files") == {}
                and all(p.name.startswith(_HIDDEN) or p.name == MANIFEST for p in folder.iterdir())
            ):
                (folder / MANIFEST).unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def new_files(folder: str | Path, names: Iterable[str], *, field: str, allowed: str) -> Iterator[Path]:
    """Lock ``folder`` (created if missing) for a command that adds the new files ``names`` to it (``demo-data``,
    ``import-osm``, ``template``); remove leftovers of killed writers of those files; refuse, under the lock, any of
    them that exists (so two such commands never both find the name free); yields the folder. A second pvsim
    writing the same folder stops at once ("another pvsim is writing here")."""
    folder = Path(folder).expanduser()
    with folder_lock(folder, field=field):
        for name in names:
            remove_temporaries(folder, name)
            check_new_file(folder / name, field=field, allowed=allowed)
        yield folder


# --------------------------------------------------------------------------------------------- folders


def _refuse_foreign(folder: Path, names: Iterable[str], ours: Iterable[str], field: str = "--out") -> None:
    """Refuse (naming the first) any of ``names`` that exists in ``folder`` and is not in pvsim's list ``ours``."""
    mine = set(ours)
    for name in sorted(names):
        path = folder / name
        if (path.exists() or path.is_symlink()) and name not in mine:
            raise InputError(
                "a file pvsim did not write has the name of one of its outputs; pvsim never replaces "
                "it, even with --overwrite",
                file=path,
                field=field,
                allowed="move or rename it, or write to another folder",
            )


def _written_files(tmp: Path) -> dict[str, str]:
    """SHA-256 of each file ``fill`` wrote into ``tmp``, after flushing it to disk (files only, no folders)."""
    written = sorted(p.name for p in tmp.iterdir())
    nested = [n for n in written if not (tmp / n).is_file() or (tmp / n).is_symlink()]
    if nested:
        raise RuntimeError(f"atomic_folder writes plain files only, got {nested}")
    for name in written:
        _fsync_file(tmp / name)
    return {name: sha256_of(tmp / name) for name in written}


def _commit(folder: Path, tmp: Path, kind: str, new: dict[str, str], old: dict[str, str]) -> None:
    """Swap the files of ``tmp`` into ``folder``: the manifest in state ``writing`` (it claims every name about to
    change), one rename per file, pvsim's old files this write did not produce removed, and the complete manifest
    last. Ctrl-C is held back until it is done; a SIGKILL leaves a manifest in state ``writing``, which no reader
    accepts."""
    with _interrupts_held():
        write_manifest(folder, kind, {**old, **new}, state="writing")
        for name in new:
            os.replace(tmp / name, folder / name)
        for name in sorted(set(old) - set(new)):
            (folder / name).unlink(missing_ok=True)
        _fsync_dir(folder)
        write_manifest(folder, kind, new)


def atomic_folder(
    folder: str | Path, fill: Callable[[Path], None], *, kind: str = "output", field: str = "--out"
) -> Path:
    """Write the files of the output folder ``folder`` (created if missing) and return it.

    ``fill(tmp)`` writes the files (no sub-folders) into a temporary folder inside ``folder``; they are then
    committed (:func:`_commit`) under the folder's lock. Files of an earlier write that this one did not produce
    (listed in the old manifest) are removed; every other file is left alone, and a file with the name of a new
    output that the old manifest does not list (a user's) stops the write with :class:`InputError` before anything
    is changed. On any error, or Ctrl-C during ``fill``, the temporary folder is removed and ``folder`` is left as
    it was. Failures of the file system (disk full, read-only) are an :class:`InputError` naming the folder.
    """
    folder = Path(folder).expanduser()
    with folder_lock(folder, field=field):
        remove_temporaries(folder)
        old_doc = read_manifest(folder)
        old = owned_files(old_doc)
        tmp = folder / _tmp_name("write")
        try:
            tmp.mkdir()  # mode 0777 less the umask, unlike mkdtemp's 0700
            fill(tmp)
            new = _written_files(tmp)
            _refuse_foreign(folder, [*new, MANIFEST], [*old, MANIFEST] if old_doc else (), field)
            _commit(folder, tmp, kind, new, old)
        except OSError as exc:
            raise InputError(
                f"cannot write the outputs ({os_error_text(exc)})",
                file=folder,
                field=field,
                allowed="a folder on a disk with space that you can write to",
            ) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


# --------------------------------------------------------------------------------------------- checks before work


NAME_MAX = 255
"""Longest name of one path component on the file systems pvsim writes to (ext4, xfs, tmpfs, NTFS)."""


def _check_names(path: Path, field: str) -> None:
    """Every component of ``path`` fits the file system (``ENAMETOOLONG`` is caught before any work)."""
    for part in path.parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise InputError(
                f"a name in the path is longer than {NAME_MAX} bytes",
                file=str(path)[:120] + "...",
                field=field,
                allowed=f"names of at most {NAME_MAX} bytes",
            )


def _check_protected(target: Path, protected: Iterable[str | Path], out: Path, field: str, folder_too: bool) -> None:
    for path in protected:
        p = Path(path).resolve()
        if target == p or (folder_too and target == p.parent):
            where = "is an input of the scenario" if target == p else f"is the folder of the scenario's input {p.name}"
            raise InputError(
                f"{where}; pvsim never writes among its inputs",
                file=out,
                field=field,
                allowed="another path, e.g. runs/<name>",
            )


def safe_component(text: str, limit: int = 120) -> str:
    """``text`` as one harmless path component: path separators, control characters and other punctuation become
    ``_``, leading dots are dropped (``../../x`` -> ``_.._x``), the length is capped; letters of any script stay."""
    name = re.sub(r"[^\w.=+-]", "_", str(text)).lstrip(".")
    return name.encode("utf-8")[:limit].decode("utf-8", "ignore") or "_"


def check_out_folder(
    out: str | Path,
    *,
    kind: str,
    overwrite: bool = False,
    protected: Iterable[str | Path] = (),
    what: str = "pvsim run folder",
    field: str = "--out",
    names: Iterable[str] = (),
) -> Path:
    """Check an output folder before anything is computed; return it.

    Refused with :class:`InputError` (exit status 2, whatever ``overwrite`` says): ``out`` is a file, or a name in
    it is too long; ``out`` is a ``protected`` path (the scenario, its data files) or the folder one of them is in;
    a file in ``out`` has one of the output ``names`` but pvsim's manifest does not list it (a user's file is never
    replaced). Refused unless ``overwrite``: ``out`` exists, holds something, and has no manifest of this ``kind``
    (pvsim then adds its files to it and removes nothing).
    """
    out = Path(out).expanduser()
    _check_names(out, field)
    _check_protected(out.resolve(), protected, out, field, folder_too=True)
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise InputError(
            f"output path exists and is {'a file' if out.is_file() else 'not a folder'}",
            file=out,
            field=field,
            allowed="a folder path (created if missing)",
        )
    if not out.is_dir():
        return out
    doc = read_manifest(out)
    ours = doc is not None and doc.get("kind") == kind
    if doc is not None and not ours:
        raise InputError(
            f"the folder holds pvsim's {doc.get('kind')} outputs, not a {what}",
            file=out,
            field=field,
            allowed="another folder",
        )
    if not overwrite and not ours:
        contents = sorted(p.name for p in out.iterdir() if not p.name.startswith(_HIDDEN))
        if contents:
            raise InputError(
                f"folder exists, is not empty and is not a {what}",
                file=out,
                field=field,
                value=contents[:3] + (["..."] if len(contents) > 3 else []),
                allowed=f"a new or empty folder, a {what}, or --overwrite (adds pvsim's files and keeps the others)",
            )
    _refuse_foreign(out, [*names, MANIFEST], [*owned_files(doc), MANIFEST] if ours else (), field)
    return out


def check_new_file(
    path: str | Path,
    *,
    field: str,
    protected: Iterable[str | Path] = (),
    is_ours: Callable[[Path], bool] | None = None,
    allowed: str = "a new file name",
) -> Path:
    """Check the path of a single output file before any work; return it.

    Refused with :class:`InputError`: a protected path (the scenario, its data files); a folder, a device or a
    FIFO; an existing file unless ``is_ours(path)`` says pvsim wrote it; a missing parent folder or a parent that
    is a file; a name too long for the file system; a folder that cannot be written to.
    """
    path = Path(path).expanduser()
    _check_names(path, field)
    _check_protected(path.resolve(), protected, path, field, folder_too=False)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=path, field=field, allowed=allowed)
    if (path.exists() or path.is_symlink()) and (
        not path.is_file() or path.is_symlink() or is_ours is None or not is_ours(path)
    ):
        raise InputError(
            "exists and pvsim did not write it; pvsim never replaces a file it did not write",
            file=path,
            field=field,
            allowed=f"{allowed} (or move the file away)",
        )
    parent = path.parent
    if not parent.is_dir():
        cause = "is a file" if parent.exists() else "does not exist"
        raise InputError(f"its folder {cause}", file=path, field=field, allowed="a path in an existing folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("its folder is not writable", file=path, field=field, allowed="a folder you can write to")
    return path


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is a plain file (not a device, a FIFO, a socket or a folder): only those are read or
    hashed."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
