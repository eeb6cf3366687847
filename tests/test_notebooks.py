"""Every notebook in notebooks/ runs top to bottom on the bundled data without an error.

Each is executed with nbclient on a fresh ``python3`` kernel, with ``notebooks/`` as working directory and a
temporary ``PVSIM_CACHE_DIR`` (shared by the four, so the yield profiles are computed once). Marked ``slow`` so that
``pytest -m "not slow"`` can leave them out; they run by default.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 240


def test_notebooks_are_present_and_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    names = [p.name for p in NOTEBOOKS]
    for expected in ("01_run_and_explore.ipynb", "02_compare_strategies.ipynb", "03_maps.ipynb",
                     "04_agrivoltaics.ipynb"):
        assert expected in names
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has saved outputs"


#: Modules a notebook may import from pvsim: the public API (``dir(sim)``), the figures and the physics modules.
PUBLIC_MODULES = {"sim", "sim.plotting", "sim.energy", "sim.agrivoltaics", "sim.weather"}


def _code(path: Path) -> str:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return re.sub(r"#.*$", "", code, flags=re.M)  # comments may name internals


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_use_only_the_public_api_and_no_warning_filters(path):
    code = _code(path)
    imported = set(re.findall(r"^\s*from (sim[\w.]*) import", code, re.M))
    imported |= set(re.findall(r"^\s*import (sim[\w.]*)", code, re.M))
    imported |= {f"sim.{m}" for m in re.findall(r"^\s*from sim import ([\w, ]+)", code, re.M)
                 for m in (x.strip() for x in m.split(","))}
    assert imported - {"sim"} <= PUBLIC_MODULES - {"sim"}, imported - PUBLIC_MODULES
    used = set(re.findall(r"\bsim\.(\w+)", code))
    import sim

    public = set(dir(sim)) | {m.split(".")[1] for m in PUBLIC_MODULES if "." in m}
    assert used <= public, used - public
    assert "filterwarnings" not in code and "simplefilter" not in code, "notebooks must need no warning filters"
    assert "mkdtemp" not in code, "use tempfile.TemporaryDirectory and clean it up"


@pytest.fixture(scope="module")
def notebook_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nb_cache")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, notebook_cache, monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PVSIM_CACHE_DIR", str(notebook_cache))
    scratch = tmp_path / "tmp"  # the kernel's temporary folder: must be empty again at the end
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.delenv("PVSIM_COMPARISON_DIR", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    stderr = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"{path.name} wrote to stderr (warnings?): {stderr}"
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("pvsim-")], "temporary folder left behind"
    print(f"{path.name}: {seconds:.1f} s")  # a figure, not an assertion: the machine may be shared
