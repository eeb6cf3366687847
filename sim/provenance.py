"""Where results come from: the package version (one place: the package metadata, i.e. ``pyproject.toml``) with the
git commit where the package runs from a checkout, and hashes of the code that produces results, for the keys of
caches and resumable comparisons (a key that hashes what it depends on cannot go stale the way a hand-bumped
version string does)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: third-party packages whose versions change results (yields, plans, draws, calendars), hashed into the keys
RESULT_PACKAGES = ("numpy", "pandas", "scipy", "pvlib", "simpy", "highspy", "holidays")


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The short commit of the checkout the package runs from (``None`` when installed from a wheel, when git is
    missing, or outside a checkout of pvsim)."""
    if not (PACKAGE_DIR.parent / "pyproject.toml").is_file():
        return None
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=PACKAGE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


@lru_cache(maxsize=1)
def version() -> str:
    """The package version from its metadata, with ``+g<commit>`` (a PEP 440 local label) in a git checkout."""
    try:
        base = importlib.metadata.version("pvsim")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        base = "0+unknown"
    commit = git_commit()
    return f"{base}+g{commit}" if commit and "+" not in base else base


def files_sha256(paths: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """sha256 of the files' names (relative to the package) and bytes, in sorted order, then of ``extra``."""
    h = hashlib.sha256()
    named = []
    for path in (Path(p).resolve() for p in paths):
        named.append((str(path.relative_to(PACKAGE_DIR) if path.is_relative_to(PACKAGE_DIR) else path.name), path))
    for name, path in sorted(named):
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for text in extra:
        h.update(text.encode() + b"\0")
    return h.hexdigest()


def package_versions(names: Iterable[str] = RESULT_PACKAGES) -> list[str]:
    """``name==version`` of each installed package of ``names`` (``name==absent`` if not installed)."""
    out = []
    for name in names:
        try:
            out.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name}==absent")
    return out


@lru_cache(maxsize=1)
def code_sha256() -> str:
    """sha256 of everything a run's results depend on besides its inputs and settings: every module and table of
    the package and the versions of :data:`RESULT_PACKAGES`."""
    files = [
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix in (".py", ".csv") and "__pycache__" not in p.parts
    ]
    return files_sha256(files, package_versions())
