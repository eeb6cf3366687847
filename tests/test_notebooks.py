"""Every notebook in notebooks/ runs top to bottom on the bundled data without an error.

Each is executed with nbclient on a fresh ``python3`` kernel, with ``notebooks/`` as working directory and a
temporary ``PVSIM_CACHE_DIR`` (shared by the four, so the yield profiles are computed once). Marked ``slow`` so that
``pytest -m "not slow"`` can leave them out; they run by default.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 240
BUDGET_S = 120  # each notebook must run in under 2 minutes


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


@pytest.fixture(scope="module")
def notebook_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nb_cache")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, notebook_cache, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PVSIM_CACHE_DIR", str(notebook_cache))
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
    assert seconds < BUDGET_S, f"{path.name} took {seconds:.0f} s (budget {BUDGET_S} s)"
    print(f"{path.name}: {seconds:.1f} s")
