"""Keys that cannot go stale: the version from the package metadata (with the commit), the yield cache key and the
comparison's resume key as hashes of what they depend on."""

from __future__ import annotations

import importlib.metadata
import json
import shutil

import pandas as pd

import sim
from sim import energy, experiment, provenance
from sim._io import atomic_folder


def test_version_is_the_package_metadata_with_the_commit():
    base = importlib.metadata.version("pvsim")
    commit = provenance.git_commit()
    assert sim.__version__ == (f"{base}+g{commit}" if commit else base)
    if commit:
        assert len(commit) == 12 and all(c in "0123456789abcdef" for c in commit)


def test_yield_cache_key_follows_the_code_that_makes_the_profiles(tmp_path, monkeypatch):
    """A changed line in a file the profiles come from, or another pvlib, is another cache key; the archetype table
    and the system settings still count."""
    table = pd.DataFrame([{"mount": "roof_parallel", "surface_tilt": 25.0, "surface_azimuth": 180.0, "gcr": None,
                           "height_m": None, "tracking": False, "bifaciality": 0.0}])
    system = energy.SystemConfig()
    key = energy._table_hash(table, system)
    assert energy._table_hash(table, system) == key
    copy = tmp_path / "energy.py"
    shutil.copy(energy.PROFILE_CODE_FILES[0], copy)
    monkeypatch.setattr(energy, "PROFILE_CODE_FILES", (copy, *energy.PROFILE_CODE_FILES[1:]))
    assert energy._table_hash(table, system) == key  # same bytes, same key
    copy.write_text(copy.read_text() + "\n# a change of the physics\n")
    assert energy._table_hash(table, system) != key
    monkeypatch.undo()
    monkeypatch.setattr(energy, "package_versions", lambda names: [f"{n}==0" for n in names])
    assert energy._table_hash(table, system) != key
    monkeypatch.undo()
    assert energy._table_hash(table.assign(surface_tilt=30.0), system) != key


def test_a_stored_run_is_redone_when_the_code_changes(tmp_path, monkeypatch):
    """The resume key holds the code hash: a run stored by other code (or other package versions) is not reused."""
    identity = experiment._run_identity("max_yield", 0, 7, "in", "set")
    assert identity["code_sha256"] == provenance.code_sha256()
    folder = tmp_path / "rep0"

    def fill(tmp):
        for name in experiment.RUN_FILES:
            (tmp / name).write_text("x")
        (tmp / "run.json").write_text(json.dumps(identity))

    atomic_folder(folder, fill, kind=experiment.RUN_KIND)  # a finished run, as pvsim commits it
    assert experiment._is_done(folder, identity)
    monkeypatch.setattr(experiment, "code_sha256", lambda: "other code")
    assert not experiment._is_done(folder, experiment._run_identity("max_yield", 0, 7, "in", "set"))


def test_code_hash_covers_modules_tables_and_package_versions(monkeypatch):
    files = provenance.PACKAGE_DIR.rglob("*")
    names = {p.suffix for p in files if p.is_file() and "__pycache__" not in p.parts}
    assert {".py", ".csv"} <= names
    before = provenance.code_sha256()
    provenance.code_sha256.cache_clear()
    monkeypatch.setattr(provenance, "package_versions", lambda names=(): ["pvlib==0"])
    assert provenance.code_sha256() != before
    provenance.code_sha256.cache_clear()
