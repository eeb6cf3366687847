"""RunResult: what one run produced, and the atomic writing of the output folder.

Output folder contract (read by the notebooks, ``pvsim compare`` and ``pvsim report``):

- ``summary.json``: scenario, strategy, seed, version, totals, resources, milestones, pilot coverage, input hash;
- ``sites.parquet``: GeoParquet, one row per candidate site;
- ``annual.csv``: one row per calendar year of the horizon;
- ``events.parquet``: the rollout's event log.

Writing is atomic: everything goes into a hidden temporary folder beside the target, which is renamed into place
only when complete; an error or Ctrl-C removes it and leaves any previous output untouched.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputError

OUTPUT_FILES = ("summary.json", "sites.parquet", "annual.csv", "events.parquet")


def jsonable(value: Any) -> Any:
    """Plain JSON types; NaN/inf become None; floats keep 6 significant decimals for stable, readable files."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return None
        return float(f"{v:.10g}")
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    if value is pd.NaT:
        return None
    return str(value)


def summary_json(summary: dict) -> str:
    return json.dumps(jsonable(summary), indent=2, ensure_ascii=False) + "\n"


@dataclass
class RunResult:
    """One run: ``summary`` (dict), ``sites`` (GeoDataFrame), ``annual`` and ``events`` (DataFrames)."""

    summary: dict
    sites: gpd.GeoDataFrame
    annual: pd.DataFrame
    events: pd.DataFrame
    site_years: pd.DataFrame | None = None
    stage_durations: pd.DataFrame | None = None
    transformers: pd.DataFrame | None = None
    """Per transformer: hosting limits before and after upgrades and the PV built (``transformers.csv``)."""
    timings: dict | None = None
    """Wall seconds per pipeline step (not written: outputs must not depend on the machine)."""

    def write(self, out_dir: str | Path) -> Path:
        """Write the output folder atomically and return its path."""
        return write_outputs(self, Path(out_dir))

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        keys = ["scenario", "strategy", "sites_built", "capacity_built_kwp", "energy_mwh", "co2_avoided_t"]
        rows = "".join(f"<tr><td>{k}</td><td>{self.summary.get(k)}</td></tr>" for k in keys)
        return f"<table>{rows}</table>"


def _write_files(result: RunResult, folder: Path) -> None:
    (folder / "summary.json").write_text(summary_json(result.summary), encoding="utf-8")
    sites = result.sites.copy()
    sites.index.name = None
    sites = sites.reset_index(drop=True)
    sites.to_parquet(folder / "sites.parquet", index=False)
    result.annual.to_csv(folder / "annual.csv", index=False, float_format="%.6g", lineterminator="\n")
    result.events.reset_index(drop=True).to_parquet(folder / "events.parquet", index=False)
    if result.transformers is not None:
        result.transformers.to_csv(folder / "transformers.csv", index=False, float_format="%.6g",
                                   lineterminator="\n")
    if result.stage_durations is not None:
        result.stage_durations.to_csv(folder / "stage_durations.csv", index=False, float_format="%.6g",
                                      lineterminator="\n")


def write_outputs(result: RunResult, out_dir: Path) -> Path:
    """Atomic write: temp folder beside ``out_dir``, renamed into place when complete."""
    out_dir = out_dir.expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("output path exists and is a file", file=out_dir, field="--out",
                         allowed="a folder path (created if missing)")
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror or exc})", file=out_dir,
                         field="--out") from None
    try:
        _write_files(result, tmp)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.replace(out_dir, old / "prev")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"cannot write the outputs ({exc.strerror or exc})", file=out_dir, field="--out") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def read_run(folder: str | Path) -> RunResult:
    """Load an output folder written by :meth:`RunResult.write`."""
    folder = Path(folder)
    missing = [f for f in OUTPUT_FILES if not (folder / f).exists()]
    if missing:
        raise InputError("not a pvsim output folder", file=folder, value=missing, allowed=", ".join(OUTPUT_FILES))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    sites = gpd.read_parquet(folder / "sites.parquet")
    if "site_id" in sites.columns:
        sites = sites.set_index("site_id", drop=False)
        sites.index.name = None
    annual = pd.read_csv(folder / "annual.csv")
    events = pd.read_parquet(folder / "events.parquet")
    stage = folder / "stage_durations.csv"
    trans = folder / "transformers.csv"
    return RunResult(summary=summary, sites=sites, annual=annual, events=events,
                     stage_durations=pd.read_csv(stage) if stage.exists() else None,
                     transformers=pd.read_csv(trans) if trans.exists() else None)
