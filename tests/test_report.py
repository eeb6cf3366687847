"""The HTML report of a run folder: written atomically, self-contained, with the key numbers, and rendered by a real
headless browser without JavaScript errors; and the figure functions of :mod:`sim.plotting`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import plotting
from sim.cli import main
from sim.errors import InputError
from sim.report import REPORT_NAME, key_figures, write_report

from .conftest import scenario_dict, write_scenario

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--mute-audio"]


@pytest.fixture(scope="module")
def run_folder(tiny_county, tmp_path_factory, cache_dir) -> Path:
    folder = tmp_path_factory.mktemp("report_run")
    scenario = sim.load_scenario(write_scenario(folder, scenario_dict(tiny_county)))
    result = sim.run(scenario, cache_dir=cache_dir)
    return result.write(folder / "run")


@pytest.fixture(scope="module")
def report(run_folder) -> Path:
    return write_report(run_folder)


def test_report_written_into_the_run_folder(report, run_folder):
    assert report == run_folder / REPORT_NAME and report.is_file()
    assert not [p for p in run_folder.iterdir() if p.name.startswith(f".{REPORT_NAME}")], "temporary file left"
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")


def test_report_contains_the_key_numbers(report, run_folder):
    text = report.read_text(encoding="utf-8")
    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    assert f"{summary['sites_built']:,}" in text
    assert f"{summary['capacity_built_kwp'] / 1000:,.1f} MWp" in text
    assert f"{summary['energy_mwh'] / 1000:,.1f} GWh" in text
    assert f"{summary['co2_avoided_t'] / 1000:,.1f} kt" in text
    assert f"{summary['co2_avoided_gross_t'] / 1000:,.1f} kt" in text
    assert f"{summary['capex_cny'] / 1e6:,.1f} M CNY" in text
    assert f"{summary['lcoe_cny_per_kwh']:,.3f} CNY/kWh" in text
    assert f"{summary['cost_per_t_co2_cny']:,.0f} CNY/t" in text
    for date in (summary["milestones"] or {}).values():
        if date:
            assert date in text
    for _label, value, _note in key_figures(summary):
        assert value in text
    # pilot coverage table: every category with its share, its minimum and met / not met
    for name, cov in summary["pilot_coverage"].items():
        row = re.search(rf"<tr><td class=\"l\">{name.replace('_', ' ')}</td>(.*?)</tr>", text)
        assert row, name
        cells = row.group(1)
        assert f"{cov['share_percent']:,.1f} %" in cells and f"{cov['target_percent']:,.0f} %" in cells
        assert ("NOT met" not in cells) == bool(cov["met"])


def test_report_is_self_contained(report):
    text = report.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", text), "reference to an external resource"
    assert "@import" not in text and "url(" not in text
    images = re.findall(r'<img [^>]*src="data:image/png;base64,', text)
    assert len(images) >= 4  # capacity, energy/CO2, resources, map
    for heading in ("Key figures", "Whole-county pilot coverage", "Rollout, energy and CO2 over time",
                    "Resources and queues", "Map of the sites built"):
        assert heading in text


def test_rewriting_replaces_the_report(report, run_folder):
    before = report.stat().st_mtime_ns
    again = write_report(run_folder)
    assert again == report and again.stat().st_mtime_ns >= before
    assert sorted(p.name for p in run_folder.iterdir() if p.name.startswith(".")) == []


def test_bad_folder_names_the_folder_and_missing_files(run_folder, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(run_folder / "summary.json", partial / "summary.json")
    with pytest.raises(InputError) as err:
        write_report(partial)
    msg = str(err.value)
    assert str(partial) in msg
    for name in ("sites.parquet", "annual.csv", "events.parquet"):
        assert name in msg
    assert "summary.json" not in msg.split("allowed")[0]
    assert not (partial / REPORT_NAME).exists()
    with pytest.raises(InputError, match="not found"):
        write_report(tmp_path / "nowhere")


def test_cli_report(run_folder, tmp_path, capsys):
    assert main(["report", str(run_folder)]) == 0
    assert str(run_folder / REPORT_NAME) in capsys.readouterr().out
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "sites.parquet" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------- browser


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)


def _js_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Uncaught" in line or ":CONSOLE" in line and "ERROR" in line]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it: apt-get install chromium)")
def test_report_renders_in_a_headless_browser(report, tmp_path):
    from PIL import Image

    url = report.resolve().as_uri()
    shot = tmp_path / "shot.png"
    p = _chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", url)
    assert shot.is_file(), p.stderr[-2000:]
    assert not _js_errors(p.stderr), _js_errors(p.stderr)
    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        assert rgb.size == (1280, 2000)
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "screenshot is (nearly) uniform: blank page"
    white = max(colours)[0] / (1280 * 2000)
    assert white < 0.97, f"page is {white:.0%} one colour"

    p = _chromium(tmp_path, "--dump-dom", url)
    dom = p.stdout
    assert not _js_errors(p.stderr), _js_errors(p.stderr)
    assert 'data-report="ready"' in dom, "the page's inline script did not run"
    assert 'id="js-marker">Rendered.<' in dom
    assert "<h1" in dom and dom.count("<h2") >= 5
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', dom)) >= 4


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it: apt-get install chromium)")
def test_browser_check_catches_script_errors(tmp_path):
    """Negative control: the same check flags a page whose script throws."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><h1>x</h1><script>undefinedFunction();</script></body></html>')
    p = _chromium(tmp_path, "--dump-dom", page.resolve().as_uri())
    assert _js_errors(p.stderr), p.stderr[-2000:]


# --------------------------------------------------------------------------------------------- figures


def test_figures_render(run_folder, tmp_path):
    result = sim.read_run(run_folder)
    figs = plotting.run_figures(result)
    assert "transformers" in figs  # from the run's own transformers.csv
    figs["stages"] = plotting.stage_durations(result.stage_durations)
    for name, fig in figs.items():
        path = plotting.save_png(fig, tmp_path / f"{name}.png")
        assert path.stat().st_size > 5_000, name
        for ax in fig.axes:
            for text in (ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()):
                if text.get_text():
                    assert text.get_fontsize() >= 10, (name, text.get_text())
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary file left"


def test_monthly_capacity_adds_up(run_folder):
    result = sim.read_run(run_folder)
    online = plotting.monthly_capacity_by_type(result.sites, start_date=result.summary["start_date"])
    assert online.index.freqstr in ("ME", "M")
    assert online.iloc[-1].sum() == pytest.approx(result.summary["capacity_built_kwp"], rel=1e-9)
    assert (online.diff().dropna() >= -1e-9).all().all()


def test_transformer_loading_figure_uses_the_runs_table(run_folder):
    """The loading figure and map read the run's transformers.csv (sim.grid.transformer_loading): PV built against
    the hosting limit after upgrades."""
    result = sim.read_run(run_folder)
    built = result.sites[result.sites["status"] == "operating"]
    table = result.transformers
    assert table["built_kwp"].sum() == pytest.approx(built["capacity_kwp"].sum())
    final = table["hosting_limit_final_kw"].to_numpy(float)
    expected = 100.0 * table["built_kw_ac"].to_numpy(float) / final
    loading = table["loading_percent"].to_numpy(float)
    assert loading[final > 0] == pytest.approx(expected[final > 0], rel=1e-5)  # transformers.csv keeps 6 digits
    fig = plotting.transformer_loading(table)
    assert len(fig.axes) == 2
    scatter, bars = fig.axes
    assert "after upgrades" in scatter.get_xlabel() and "after upgrades" in bars.get_xlabel()
    assert sum(p.get_height() for p in bars.patches) == len(table)
    with pytest.raises(ValueError, match="transformer loading table"):
        plotting.transformer_loading(table.drop(columns=["built_kwp"]))


def test_transformer_loading_is_against_the_limit_after_upgrades():
    # b was upgraded from 100 to 200 kW and carries 180 kWp: 90 % of its limit after the upgrade, not 180 %
    table = pd.DataFrame({"transformer_id": ["a", "b", "c"], "hosting_limit_kw": [100.0, 100.0, 50.0],
                          "hosting_limit_final_kw": [100.0, 200.0, 50.0], "built_kwp": [50.0, 180.0, 0.0],
                          "sites_built": [1, 3, 0], "dropped_hosting_kwp": [0.0, 10.0, 0.0],
                          "loading_percent": [50.0, 90.0, 0.0]})
    assert list(plotting.loading_class_labels(table["loading_percent"])) == ["25-75 %", "75-100 %", "< 25 %"]
    scatter, bars = plotting.transformer_loading(table).axes
    xs = sorted(x for c in scatter.collections for x, _y in c.get_offsets())
    assert xs == [50.0, 100.0, 200.0]
    heights = [p.get_height() for p in bars.patches]  # no site dropped per class, then sites dropped per class
    assert heights == [1, 1, 0, 0, 0, 0, 1, 0]
    import geopandas as gpd

    points = gpd.GeoDataFrame({"transformer_id": ["a", "b", "c"]},
                              geometry=gpd.points_from_xy([113.60, 113.62, 113.64], [34.70, 34.71, 34.72]), crs=4326)
    ax = plotting.transformer_map(table, points).axes[0]
    legend = ax.get_legend()
    assert "after upgrades" in legend.get_title().get_text()
    assert [t.get_text() for t in legend.get_texts()] == ["< 25 % (1)", "25-75 % (1)", "75-100 % (1)", "> 100 % (0)"]
