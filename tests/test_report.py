"""The HTML reports: a run report a county's leadership can receive (programme, assumptions, warnings, map with
county layers), a comparison report, the Chinese version; written atomically, self-contained, and rendered by a real
headless browser without JavaScript errors; and the figure functions of :mod:`sim.plotting`."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import plotting
from sim.cli import main
from sim.errors import InputError
from sim.labels import label, quantity, quantity_range
from sim.report import REPORT_NAME, key_figures, run_warnings, write_report

from .conftest import one_programme, scenario_dict, write_scenario

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--mute-audio", "--hide-scrollbars"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def scenario_path(tiny_county, tmp_path_factory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("report_scenario"), scenario_dict(tiny_county))


@pytest.fixture(scope="module")
def run_folder(tiny_run, tmp_path_factory) -> Path:
    """The session's tiny run (the same scenario as ``scenario_path``) written to a folder."""
    return tiny_run[1].write(tmp_path_factory.mktemp("report_run") / "run")


@pytest.fixture
def own_run_folder(run_folder, tmp_path) -> Path:
    """A copy of the run folder for a test that writes reports into it (the shared folder keeps its report)."""
    return Path(shutil.copytree(run_folder, tmp_path / "run"))


def _quick_png(fig, dpi=None) -> bytes:
    """A fixed 1x1 PNG in place of drawing ``fig`` (the figure is built, not drawn)."""
    import io

    from matplotlib import pyplot as plt
    from PIL import Image

    plt.close(fig)
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def quick_figures(monkeypatch):
    """Reports whose figures are built but not drawn (drawing is most of a report's seconds): for the tests that
    read a report's text. The drawn figures are checked by ``test_figures_render``, ``test_report_is_self_contained``
    (the module's ``report``) and the browser tests."""
    monkeypatch.setattr(plotting, "png_bytes", _quick_png)


@pytest.fixture(scope="module")
def report(run_folder, scenario_path) -> Path:
    return write_report(run_folder, scenario=scenario_path)


@pytest.fixture(scope="module")
def report_zh(run_folder, scenario_path) -> Path:
    return write_report(run_folder, scenario=scenario_path, lang="zh", out=run_folder / "report_zh.html")


def test_report_written_into_the_run_folder(report, run_folder):
    assert report == run_folder / REPORT_NAME and report.is_file()
    assert not [p for p in run_folder.iterdir() if p.name.startswith(f".{REPORT_NAME}")], "temporary file left"
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")


def test_units_rescale_by_hand():
    assert quantity(3_500, "MWh") == "3.50 GWh"
    assert quantity(950, "MWh") == "950 MWh"
    assert quantity(34_560, "kWp") == "34.6 MWp"
    assert quantity(1_473_100, "t") == "1.47 Mt"
    assert quantity(82_800, "t") == "82.8 kt"
    assert quantity(299_000_000, "CNY") == "299 million CNY"
    assert quantity(0.0, "MWh") == "0 MWh"
    # Chinese official units: 万千瓦时 / 亿千瓦时, 万吨, 万元 / 亿元; no space before a Chinese unit
    assert quantity(3_500, "MWh", "zh") == "350万千瓦时" and quantity(3.02e6, "MWh", "zh") == "30.2亿千瓦时"
    assert quantity(1_310_000, "t", "zh") == "131万吨" and quantity(5_000, "t", "zh") == "5,000吨"
    assert quantity(3.44e8, "CNY", "zh") == "3.44亿元" and quantity(1.82e7, "CNY", "zh") == "1,820万元"
    assert quantity(34_560, "kWp", "zh") == "34.6兆瓦"
    assert quantity(None, "t") == "-"
    from sim.labels import common_scale

    assert common_scale([431_000, 1_590_000], "MWh") == (1e3, "GWh")  # a column: 431 and 1,590 GWh
    assert common_scale([3_500, 950], "MWh") == (1.0, "MWh")  # village scale: 3,500 and 950 MWh, not 3.5 and 0.95
    assert common_scale([], "t") == (1.0, "t")


def test_report_contains_the_key_numbers(report, run_folder):
    text = report.read_text(encoding="utf-8")
    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    assert f"{summary['sites_built']:,}" in text
    for key, unit in (("capacity_built_kwp", "kWp"), ("energy_mwh", "MWh"), ("co2_avoided_t", "t"),
                      ("co2_avoided_lifecycle_t", "t"), ("capex_cny", "CNY")):
        assert quantity(summary[key], unit) in text, key
    spread = summary["co2_avoided_range_t"]  # a range in one unit, never "769 kt - 1.64 Mt"
    assert quantity_range(spread["low"], spread["high"], "t") in text
    assert quantity(summary["net_cost_per_t_co2_cny"], "CNY/t", decimals=0) in text
    assert f"{summary['lcoe_cny_per_kwh']:,.3f} CNY/kWh" in text
    assert f"{summary['cost_per_t_co2_cny']:,.0f} CNY/t" in text
    for date in (summary["milestones"] or {}).values():
        if date:
            assert date in text
    for _label, value, _note in key_figures(summary):
        assert value in text
    # pilot coverage table: every category with its share, its minimum and met / not met
    for name, cov in summary["pilot_coverage"].items():
        row = re.search(rf"<tr><td class=\"l\">{re.escape(label(f'pilot.{name}'))}</td>(.*?)</tr>", text.replace("&amp;", "&"))
        assert row, name
        cells = row.group(1)
        assert f"{cov['share_percent']:,.1f} %" in cells and f"{cov['target_percent']:,.0f} %" in cells
        assert ("NOT met" not in cells) == bool(cov["met"])


def test_report_states_the_programme_and_its_assumptions(report, scenario_path):
    text = report.read_text(encoding="utf-8").replace("&amp;", "&")
    sc = sim.load_scenario(scenario_path)
    programme = text[text.index('id="programme"'):text.index('id="assumptions"')]
    assert quantity(sc.rollout.target_capacity_kwp, "kWp") in programme  # the target ...
    assert quantity(sc.rollout.annual_budget_cny, "CNY") in programme  # ... the budget, window and horizon
    assert f"{sc.rollout.build_window_years:g} years" in programme and f"{sc.horizon_years} years" in programme
    assert f"{label('resource.crews')} {sc.rollout.crews}" in programme
    # the target is named in the milestone card ("100 % of the 100 MWp target online")
    assert label("label.milestone", share="100 %", target=quantity(sc.rollout.target_capacity_kwp, "kWp")) in text
    assumptions = text[text.index('id="assumptions"'):text.index('id="pilot"')]
    assert f"{sc.economics.discount_rate_percent:g} %" in assumptions
    assert sc.economics.price_basis in assumptions  # how exported energy is valued
    # the first year's grid factor: North China's 2023 average projected to the start year
    from sim.carbon import factor_in_year

    assert f"{factor_in_year(sc.carbon, sc.start_date.year):.4f} kgCO2/kWh" in assumptions
    assert "0.0545 kgCO2/kWh" in assumptions  # PV life-cycle, China 2023


def test_report_has_human_labels_and_no_test_markers(report):
    text = report.read_text(encoding="utf-8")
    for raw in ("om crews", "om_crews", "dropped_hosting", "Scripts disabled", "Rendered.", "js-marker"):
        assert raw not in text, raw
    assert "O&amp;M crews" in text


def test_warnings_box_lists_saturated_resources_and_missed_milestones(report):
    summary = {"horizon_years": 5, "milestones": {"25%": "2027-01-01", "50%": None, "100%": None},
               "warnings": ["reviewers are 97 % busy over the build window (mean wait 3 days): raise rollout.reviewers "
                            "above 2"],
               "sites_by_status": {"dropped_hosting": 12}, "curtailed_mwh": 0.0,
               "pilot_coverage": {"public": {"met": False, "candidates": 5}, "rural_home": {"met": True}},
               "target_capacity_kwp": 1000.0}
    items = run_warnings(summary)
    assert items[0].startswith("reviewers are 97 % busy")  # the rollout's own warnings come first, as they are
    assert not any("crews" in i for i in items)
    assert sum("was not reached" in i for i in items) == 2
    assert any("12 sites" in i for i in items) and any(label("pilot.public") in i for i in items)
    assert 'id="warnings"' in report.read_text(encoding="utf-8")


def test_report_without_scenario_or_layers_still_renders(run_folder, tmp_path, quick_figures):
    old = tmp_path / "old"  # a run written without its scenario and layers (as through the API before they were kept)
    result = sim.read_run(run_folder)
    result.scenario_as_run, result.layers = None, None
    result.write(old)
    assert not (old / "scenario.yaml").exists() and not (old / "layers.gpkg").exists()
    out = write_report(old, out=tmp_path / "bare.html")
    text = out.read_text(encoding="utf-8")
    assert "--scenario" in text  # says why the programme and the assumptions are missing
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', text)) >= 4  # the map still there


def test_a_copied_run_folder_reports_the_programme_as_run(tiny_county, tmp_path, cache_dir, monkeypatch,
                                                          quick_figures):
    """The run as made: --set changes are applied in the folder's scenario.yaml and listed as overrides, and a copy
    of the folder on a machine without the county's data gives the report of the programme as run, with its map."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(tiny_county, data / "county.gpkg")
    scenario = write_scenario(tmp_path, scenario_dict(data / "county.gpkg"))
    monkeypatch.setenv("PVSIM_CACHE_DIR", str(cache_dir))
    assert main(["run", str(scenario), "-o", str(tmp_path / "run"), "-q", "--set", "rollout.crews=3",
                 "--set", "rollout.om_crews=2"]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["overrides"] == {"rollout.crews": 3, "rollout.om_crews": 2}
    recorded = {Path(f["path"]).name: f["sha256"] for f in summary["inputs"]}
    assert recorded == {"county.gpkg": hashlib.sha256((data / "county.gpkg").read_bytes()).hexdigest(),
                        "scenario.yaml": hashlib.sha256(scenario.read_bytes()).hexdigest()}
    copy = tmp_path / "elsewhere" / "run"
    shutil.copytree(tmp_path / "run", copy)
    shutil.rmtree(data)
    scenario.unlink()  # neither the scenario file nor the data are there any more
    text = write_report(copy).read_text(encoding="utf-8").replace("&amp;", "&")
    programme = text[text.index('id="programme"'):text.index('id="assumptions"')]
    assert f"{label('resource.crews')} 3," in programme and f"{label('resource.om_crews')} 2" in programme
    assert "rollout.crews = 3; rollout.om_crews = 2" in programme
    assert label("report.no_scenario") not in text and label("report.no_layers") not in text
    assert 'id="assumptions"' in text


def test_the_scenario_option_still_overrides_the_folders_scenario(run_folder, scenario_path, tmp_path, quick_figures):
    other = sim.load_scenario(scenario_path).with_changes({"rollout.crews": 17})
    text = write_report(run_folder, scenario=other, out=tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"{label('resource.crews')} 17," in text
    own = write_report(run_folder, out=tmp_path / "own.html").read_text(encoding="utf-8")
    assert f"{label('resource.crews')} {sim.load_scenario(scenario_path).rollout.crews}," in own


def test_report_is_self_contained(report):
    text = report.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", text), "reference to an external resource"
    assert "@import" not in text and "url(" not in text
    images = re.findall(r'<img [^>]*src="data:image/png;base64,', text)
    assert len(images) >= 4  # capacity, energy/CO2, resources, map
    for key in ("report.programme", "report.key_figures", "report.warnings", "report.assumptions", "report.pilot",
                "report.resources", "report.map"):
        assert label(key) in text.replace("&amp;", "&"), key


def test_chinese_report_same_numbers_chinese_labels(run_folder, scenario_path, tmp_path, quick_figures):
    zh = write_report(run_folder, scenario=scenario_path, lang="zh", out=tmp_path / "zh.html").read_text(
        encoding="utf-8")
    assert '<html lang="zh-CN"' in zh
    for key in ("report.run_title", "report.programme", "report.key_figures", "report.map"):
        assert label(key, "zh") in zh
    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    for _label, value, _note in key_figures(summary, "zh"):
        assert value in zh
    # the same number in the units Chinese officials use (亿千瓦时 = 10^8 kWh)
    energy = quantity(summary["energy_mwh"], "MWh", "zh")
    value = float(re.match(r"[\d.,]+", energy).group(0).replace(",", "")) * {"亿千瓦时": 1e5, "万千瓦时": 10.0}[
        energy.lstrip("0123456789.,")]
    assert value == pytest.approx(summary["energy_mwh"], rel=0.01) and energy in zh


def test_chinese_report_is_its_own_file_with_official_units(own_run_folder, capsys, quick_figures):
    """``--lang zh`` writes report.zh.html and never replaces the English report.html; money in 万元 / 亿元, CO2 in
    万吨, energy in 万千瓦时 / 亿千瓦时, Chinese punctuation."""
    run_folder = own_run_folder
    assert main(["report", str(run_folder)]) == 0
    english = (run_folder / REPORT_NAME).read_bytes()
    assert main(["report", str(run_folder), "--lang", "zh"]) == 0
    assert "report.zh.html" in capsys.readouterr().out
    assert (run_folder / REPORT_NAME).read_bytes() == english
    zh = _text_of(run_folder / "report.zh.html")
    assert '<html lang="zh-CN"' in zh and "亿元" in zh and "万吨" in zh and "千瓦时" in zh
    for western in ("million CNY", " Mt", " kt", " GWh", " TWh", "CNY"):
        assert western not in zh, western
    assert not re.search(r"\[[^\]<]{0,12}[\u4e00-\u9fff][^\]<]{0,12}\]", zh), "units in Chinese brackets: （万元）"
    bottom = re.sub(r"<[^>]+>", "", zh[zh.index('id="bottom"'):zh.index('id="warnings"')])
    assert "。" in bottom and "（" in bottom and not re.search(r"[\u4e00-\u9fff][(),;:]|[(),;:][\u4e00-\u9fff]", bottom)


def test_chinese_labels_use_chinese_punctuation():
    from sim.labels import _table

    cjk_next_to_ascii = re.compile(r"[\u4e00-\u9fff][(),;:]|[(),;:][\u4e00-\u9fff]")
    bad = [key for key, row in _table().items() if cjk_next_to_ascii.search(re.sub(r"\{[^}]*\}", "", row["zh"]))]
    assert not bad, bad


def test_every_label_has_both_languages():
    from sim.labels import LANGUAGES, _table
    from sim.metrics import bars
    from sim.rollout.config import RESOURCES, STAGES, STATUSES
    from sim.strategies import REGISTRY

    table = _table()
    assert all(row[lang] for row in table.values() for lang in LANGUAGES)
    needed = [f"resource.{r}" for r in RESOURCES] + [f"stage.{s}" for s in STAGES] + \
        [f"strategy.{s}" for s in REGISTRY] + [f"site_type.{t}" for t in plotting.SITE_TYPE_COLOURS] + \
        [f"status.{s}" for s in (*STATUSES, "ineligible", "not_prioritised")] + \
        [f"metric.{m.name}" for m in bars()]
    assert [k for k in needed if k not in table] == []
    with pytest.raises(InputError, match="--lang"):
        label("report.map", "fr")


def test_cjk_font_found_at_run_time():
    family = plotting.cjk_font()
    if shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout:
        assert family is not None, plotting.CJK_MISSING_NOTE
    if family is not None:
        from matplotlib import font_manager

        font = font_manager.fontManager.findfont(font_manager.FontProperties(family=family))
        assert "DejaVu" not in font


def test_rewriting_replaces_the_report(own_run_folder, scenario_path, quick_figures):
    """Writing the report again replaces a stale file by the report (atomically: a new file, no temporaries)."""
    run_folder = own_run_folder
    report = write_report(run_folder, scenario=scenario_path)
    html = report.read_text(encoding="utf-8")
    report.write_text("stale", encoding="utf-8")
    inode = report.stat().st_ino
    again = write_report(run_folder, scenario=scenario_path)
    assert again == report and report.read_text(encoding="utf-8") == html
    assert report.stat().st_ino != inode
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


def test_cli_report(own_run_folder, tmp_path, capsys, quick_figures):
    run_folder = own_run_folder
    assert main(["report", str(run_folder)]) == 0
    captured = capsys.readouterr()
    assert str(run_folder / REPORT_NAME) in captured.out and "kB" in captured.out
    assert "pvsim: drawing" in captured.err  # a status line: the figures take seconds
    with pytest.raises(SystemExit) as exit_:  # argparse checks the choice before any work
        main(["report", str(run_folder), "--lang", "fr"])
    assert exit_.value.code == 2
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "sites.parquet" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------- comparison


def in_euros(raw: dict) -> dict:
    """``raw`` with its money in EUR: the currency and every price the CNY-default warning names."""
    from sim._config import SITE_TYPES

    raw = json.loads(json.dumps(raw, default=str))
    raw.setdefault("economics", {}).update(
        currency="EUR", retail_tariff_cny_per_kwh=0.25, coal_benchmark_cny_per_kwh=0.10,
        mechanism_price_cny_per_kwh=0.09, market_price_cny_per_kwh=0.08, inverter_replacement_cny_per_w=0.05,
        roof_rent_cny_per_kwp_year=5.0)
    raw.setdefault("rollout", {})["upgrade_cost_cny_per_kva"] = 60.0
    raw["rollout"]["line_reinforcement_cost_cny_per_km"] = 12_000.0
    raw["rollout"]["mv_line_reinforcement_cost_cny_per_km"] = 36_000.0
    raw.setdefault("siting", {})["site_types"] = {t: {"capex_cny_per_w": 0.6, "om_cny_per_kw_year": 8.0}
                                                  for t in SITE_TYPES}
    return raw


def _text_of(page: Path) -> str:
    """A report's text without its inline images."""
    return re.sub(r'src="data:image/png;base64,[^"]*"', "", page.read_text(encoding="utf-8"))


def test_a_eur_run_shows_no_cny(tiny_county, tmp_path, cache_dir, monkeypatch, capsys, quick_figures):
    """Money is labelled in the scenario's currency everywhere: the printed summary, summary.json's text fields and
    the run report in English and Chinese (万欧元, never 元 alone)."""
    path = write_scenario(tmp_path, in_euros(scenario_dict(tiny_county, horizon_years=6)))
    monkeypatch.setenv("PVSIM_CACHE_DIR", str(cache_dir))
    assert main(["run", str(path), "-o", str(tmp_path / "run"), "-q", "--strict"]) == 0  # no CNY price left
    printed = capsys.readouterr().out
    assert "EUR" in printed and "CNY" not in printed
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert "EUR/kWh" in summary["price_basis"] and "CNY" not in summary["price_basis"]
    en = _text_of(write_report(tmp_path / "run"))
    assert "EUR" in en and "CNY" not in en
    zh = _text_of(write_report(tmp_path / "run", lang="zh"))
    assert "欧元" in zh and not re.search(r"(?<!欧)元", zh) and "CNY" not in zh


@pytest.fixture(scope="module")
def comparison_folder(tiny_county, tmp_path_factory, cache_dir) -> tuple[Path, Path]:
    """2 strategies x 2 replications of the tiny county (5 years) and its scenario file."""
    folder = tmp_path_factory.mktemp("report_compare")
    raw = scenario_dict(tiny_county, horizon_years=5)
    raw["rollout"] = {"release_mode": "poisson", "poisson_rate_per_day": 1.0}
    path = write_scenario(folder, raw)
    sim.compare(sim.load_scenario(path), ["max_yield", "grid_headroom"], 2, out_dir=folder / "cmp", workers=1,
                progress=False, cache_dir=cache_dir)
    return folder / "cmp", path


@pytest.mark.slow
def test_comparison_report(comparison_folder, capsys):
    folder, _scenario = comparison_folder
    assert main(["report", str(folder)]) == 0  # the folder records its scenario: no --scenario needed
    path = folder / REPORT_NAME
    text = path.read_text(encoding="utf-8").replace("&amp;", "&")
    assert label("report.compare_title") in text and label("report.programme") in text
    table = pd.read_csv(folder / "comparison.csv", index_col="strategy")
    for name in ("max_yield", "grid_headroom"):
        assert f"{label(f'strategy.{name}')} ({name})" in text  # ranking names strategies
        co2 = table.loc[name, "co2_avoided_t_mean"] / 1000
        assert f"{co2:,.1f} ± " in text  # mean ± CI half-width in kt
    paired = text[text.index('id="paired"'):text.index('id="trajectories"')]
    assert label("label.higher_better") in paired and label("label.lower_better") in paired
    assert any(label(k) in paired for k in ("label.better", "label.worse", "label.no_difference"))
    for key in ("report.ranking", "report.paired", "report.trajectories", "report.build_maps", "report.assumptions"):
        assert label(key) in text, key
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', text)) == 4
    assert "http://" not in text and "https://" not in text


@pytest.mark.slow
def test_comparison_figures_name_strategies_and_skip_empty_panels(comparison_folder):
    from sim.plotting import compare as cfig

    c = sim.read_comparison(comparison_folder[0])
    fig = cfig.metric_bars_figure(c.table, c.strategies, c.replications)
    shown = cfig.shown_metrics(c.table, c.strategies)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(shown)
    ticks = [t.get_text() for t in visible[0].get_yticklabels()]
    assert ticks == [cfig.strategy_label(s) for s in c.strategies]  # names on the axis, not numbers
    for m in shown:  # no all-zero panel
        assert (c.table[f"{m.name}_mean"].abs() > 0).any()
    if (c.table["curtailed_mwh_mean"] == 0).all():
        assert "curtailed_mwh" not in [m.name for m in shown]
    fig.canvas.draw()  # nothing clipped: every tick label inside the figure
    width, height = fig.canvas.get_width_height()
    for ax in visible:
        lo, hi = sorted(ax.get_xlim())
        xticks = [t for t in ax.get_xticklabels() if lo <= t.get_position()[0] <= hi]  # the ticks that are drawn
        for t in (*ax.get_yticklabels(), *xticks, ax.title):
            if t.get_text():
                box = t.get_window_extent()
                assert box.x0 >= -1 and box.x1 <= width + 1 and box.y0 >= -1 and box.y1 <= height + 1, t.get_text()


# --------------------------------------------------------------------------------------------- browser


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)


def _js_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Uncaught" in line or ":CONSOLE" in line and "ERROR" in line]


def _map_png(dom: str, section: str):
    """The first inline PNG after ``id="<section>"`` in the rendered DOM, as a PIL image."""
    import base64
    import io

    from PIL import Image

    data = re.search(r'src="data:image/png;base64,([^"]+)"', dom[dom.index(f'id="{section}"'):]).group(1)
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")


def _check_in_browser(page: Path, tmp_path: Path, map_section: str, min_images: int = 4) -> str:
    """Screenshot and DOM of ``page`` in headless Chromium: no script error, not blank, every image decoded (at
    least ``min_images``), a non-blank map (or first figure after ``map_section``); returns the DOM."""
    from PIL import Image

    url = page.resolve().as_uri()
    shot = tmp_path / f"{page.stem}.png"
    p = _chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", url)
    assert shot.is_file(), p.stderr[-2000:]
    assert not _js_errors(p.stderr), _js_errors(p.stderr)
    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        assert rgb.size == (1280, 2000)
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "screenshot is (nearly) uniform: blank page"
    assert max(colours)[0] / (1280 * 2000) < 0.97, "page is nearly one colour"
    p = _chromium(tmp_path, "--dump-dom", url)
    dom = p.stdout
    assert not _js_errors(p.stderr), _js_errors(p.stderr)
    assert 'data-report="ready"' in dom, "the page's inline script did not run"
    n_images = len(re.findall(r"<img ", dom))
    assert n_images >= min_images and f'data-images="{n_images}"' in dom, "an image did not decode in the browser"
    map_image = _map_png(dom, map_section)
    assert len(map_image.getcolors(maxcolors=1 << 20) or range(1 << 20)) > 20, "the map is blank"
    return dom


BROWSER = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it: apt-get install "
                                                      "chromium fonts-noto-cjk)")


@pytest.mark.slow
@BROWSER
def test_run_report_renders_in_a_headless_browser(report, tmp_path):
    dom = _check_in_browser(report, tmp_path, "map")
    assert "<h1" in dom and dom.count("<h2") >= 8


@pytest.mark.slow
@BROWSER
def test_chinese_report_renders_in_a_headless_browser(report_zh, tmp_path):
    dom = _check_in_browser(report_zh, tmp_path, "map")
    assert label("report.run_title", "zh") in dom and label("report.map", "zh") in dom
    assert len(CJK.findall(dom)) > 200, "little Chinese text in the page"


@pytest.mark.slow
@BROWSER
def test_comparison_report_renders_in_a_headless_browser(comparison_folder, tmp_path):
    from sim.report import write_any_report

    page = write_any_report(comparison_folder[0], lang="zh", out=tmp_path / "cmp_zh.html")
    dom = _check_in_browser(page, tmp_path, "maps")
    assert label("report.compare_title", "zh") in dom and CJK.search(dom)


@pytest.fixture(scope="module")
def sweep_folder(tiny_county, tmp_path_factory, cache_dir) -> Path:
    """2 variants (1 and 8 crews) x 1 strategy x 2 replications of the tiny county (6 years)."""
    folder = tmp_path_factory.mktemp("report_sweep")
    raw = one_programme(scenario_dict(tiny_county, horizon_years=6))
    raw["rollout"]["target_capacity_kwp"] = 40_000  # within the tiny county's reach in every replication
    scenario = sim.load_scenario(write_scenario(folder, raw))
    sim.sweep(scenario, {"rollout.crews": [1, 8]}, ["max_carbon_per_cny"], 2, out_dir=folder / "sweep", workers=1,
              progress=False, cache_dir=cache_dir)
    return folder / "sweep"


@pytest.mark.slow
def test_sweep_report(sweep_folder, capsys):
    from sim.metrics import METRICS

    assert main(["report", str(sweep_folder)]) == 0  # a sweep folder, told before its variants' comparison folders
    assert "wrote" in capsys.readouterr().out
    text = (sweep_folder / REPORT_NAME).read_text(encoding="utf-8")
    assert label("report.sweep_title") in text and label("report.programme") in text
    assert label("report.assumptions") in text  # the scenario was found from the variants' comparison.json
    section = text[text.index('id="strategy-0"'):text.index('id="strategy-0-paired"')]
    assert "max_carbon_per_cny" in section
    summary = pd.read_csv(sweep_folder / "sweep_summary.csv").set_index("variant")
    co2 = METRICS["co2_avoided_t"]
    for variant, crews in (("rollout.crews=1", 1), ("rollout.crews=8", 8)):
        # the variant's row: its label, what it changes (the swept value), n, mean ± CI half-width in kt
        row = summary.loc[variant]
        half = (row["co2_avoided_t_ci95_high"] - row["co2_avoided_t_ci95_low"]) / 2 / co2.divisor
        cells = f'<td class="l">{variant}</td><td class="l">{crews}</td><td class="">2</td>'
        assert cells in section, variant
        assert f"{row['co2_avoided_t_mean'] / co2.divisor:,.1f} ± {half:,.1f}" in section
    # the paired difference of 8 crews against 1 crew, by hand from the tidy runs, with its direction cue
    runs = pd.read_csv(sweep_folder / "sweep_runs.csv")
    slow, fast = (runs[runs["rollout.crews"] == c].set_index("replication")["years_to_50pct"] for c in (1, 8))
    paired = text[text.index('id="strategy-0-paired"'):text.index('id="strategy-0-figures"')]
    years = METRICS["years_to_50pct"]
    assert f"{(fast - slow).mean() / years.divisor:,.{years.decimals}f} ± " in paired
    assert label("label.lower_better") in paired and label("label.higher_better") in paired
    assert label("label.verdict_first_variant") in paired
    assert any(label(k) in paired for k in ("label.better", "label.worse", "label.no_difference"))
    figures = text[text.index('id="strategy-0-figures"'):text.index('id="tracks"')]
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', figures)) == 3  # bars, paired, bands
    tracks = text[text.index('id="tracks"'):]  # pilot coverage per variant, as in the comparison report
    for variant in ("rollout.crews=1", "rollout.crews=8"):
        assert f"{label('label.variant')}: {variant}" in tracks
    assert label("pilot.rural_home") in tracks and re.search(r"\(\d / 2\)", tracks)
    assert not re.search(r"https?://|src=\"(?!data:)", text)  # self-contained


@pytest.mark.parametrize("key", ["report.metrics_figure", "caption.paired", "caption.bands", "caption.bars",
                                 "caption.paired_figure", "caption.variants", "caption.sweep_paired",
                                 "caption.sweep_bars", "caption.sweep_paired_figure", "caption.sweep_bands"])
def test_with_one_replication_no_caption_speaks_of_a_confidence_interval(key):
    from sim.labels import by_replications

    for lang in ("en", "zh"):
        many, one = by_replications(key, 5, lang, baseline="b", base="b", n=5), by_replications(key, 1, lang,
                                                                                                baseline="b", base="b",
                                                                                                n=1)
        assert many == label(key, lang, baseline="b", base="b", n=5) if "{" in label(key) else many == label(key, lang)
        assert "95" not in one and "confidence interval excludes" not in one and "置信区间不含" not in one, one


def test_unfinished_sweep_report_names_what_is_missing(tmp_path, capsys):
    """An interrupted sweep (variants started, no sweep.json yet) is told as a sweep, and refused in one line."""
    from sim._io import write_manifest

    (tmp_path / "sweep" / "variants").mkdir(parents=True)
    write_manifest(tmp_path / "sweep", "sweep", {}, state="writing")  # the mark pvsim sweep puts first
    assert main(["report", str(tmp_path / "sweep")]) == 2
    err = capsys.readouterr().err
    assert "not a finished pvsim sweep folder" in err and "run the command again" in err and "Traceback" not in err
    assert not (tmp_path / "sweep" / REPORT_NAME).exists()


@pytest.mark.slow
@BROWSER
def test_sweep_report_renders_in_a_headless_browser(sweep_folder, tmp_path):
    from sim.report import write_any_report

    page = write_any_report(sweep_folder, lang="zh", out=tmp_path / "sweep_zh.html")
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"https?://|src=\"(?!data:)", text)
    dom = _check_in_browser(page, tmp_path, "strategy-0-figures", min_images=3)
    for key in ("report.sweep_title", "report.variants", "report.sweep_paired", "label.verdict_first_variant"):
        assert label(key, "zh") in dom, key
    assert "rollout.crews=1" in dom and "rollout.crews=8" in dom
    assert len(CJK.findall(dom)) > 200, "little Chinese text in the page"


@pytest.mark.slow
@BROWSER
def test_browser_check_catches_script_errors(tmp_path):
    """Negative control: the same check flags a page whose script throws."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><h1>x</h1><script>undefinedFunction();</script></body></html>')
    p = _chromium(tmp_path, "--dump-dom", page.resolve().as_uri())
    assert _js_errors(p.stderr), p.stderr[-2000:]


@pytest.mark.slow
def test_report_timings(run_folder, comparison_folder, tmp_path):
    """``pvsim report`` of a run and of a comparison takes seconds, not minutes (printed for the record)."""
    t0 = time.perf_counter()
    write_report(run_folder, out=tmp_path / "run.html")
    t_run = time.perf_counter() - t0
    from sim.report import write_any_report

    t0 = time.perf_counter()
    write_any_report(comparison_folder[0], out=tmp_path / "cmp.html")
    t_cmp = time.perf_counter() - t0
    print(f"report of a run {t_run:.1f} s, of a comparison {t_cmp:.1f} s")
    assert t_run < 60 and t_cmp < 60


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
    # transformers.csv keeps the schema's decimals: 2 for percentages, 3 for kW
    assert loading[final > 0] == pytest.approx(expected[final > 0], abs=0.005 + 1e-3)
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
    fig = plotting.transformer_map(table, points)
    legend = fig.legends[0]  # a figure legend, beside the map (constrained layout keeps it whole)
    assert "after upgrades" in legend.get_title().get_text()
    assert [t.get_text() for t in legend.get_texts()] == ["< 25 % (1)", "25-75 % (1)", "75-100 % (1)", "> 100 % (0)"]


def test_assumption_sources_are_citations_or_planning_assumptions(scenario_path, run_folder):
    """The source column cites the default's source or says it is a planning assumption (of the scenario file
    when it changes pvsim's default), never the key's help text."""
    from sim.economics import EconomicsConfig
    from sim.report._context import Context, assumption_rows
    from sim.rollout import OperationConfig

    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    help_texts = {f.description for m in (EconomicsConfig, OperationConfig) for f in m.model_fields.values()}
    sc = sim.load_scenario(scenario_path)
    rows = {r[0]: r[2] for r in assumption_rows(Context(scenario=sc), summary, "en")}
    assert not set(rows.values()) & help_texts
    assert rows[label("label.discount_rate")] == label("label.source_default")
    assert "Jordan & Kurtz 2013" in rows[label("label.degradation")]
    # the export price cites its rule and says where this run's mechanism share and term came from (an assumption
    # for Hebei, whose rule gives only maximums)
    export = rows[label("label.export_tariff")]
    assert export.startswith(label("source.mechanism_price")) and export.endswith(summary["mechanism_share_term_source"])
    assert "share 70 %: assumption" in export
    changed = sc.with_changes({"economics.discount_rate_percent": 4.0})
    rows = {r[0]: r[2] for r in assumption_rows(Context(scenario=changed), summary, "zh")}
    assert rows[label("label.discount_rate", "zh")] == label("label.source_scenario", "zh")


@pytest.mark.parametrize("basis", ["mechanism", "market", "coal_benchmark"])
def test_the_reports_price_basis_is_the_economics_one(scenario_path, basis):
    """The report writes the price basis in either language from the label table; in English it is exactly the
    summary's text (sim.economics), so the two cannot drift apart."""
    from sim.report._context import price_basis_text

    econ = sim.load_scenario(scenario_path).with_changes({"economics.export_price_basis": basis}).economics
    assert price_basis_text(econ, "en") == econ.price_basis
    assert "元/千瓦时" in price_basis_text(econ, "zh") and not re.search(r"[a-z]{3}", price_basis_text(econ, "zh"))


def test_print_stylesheet_and_narrow_screens_are_in_every_report(report):
    text = report.read_text(encoding="utf-8")
    assert "@page{size:A4" in text and "@media print" in text
    assert "break-after:avoid" in text and "break-inside:avoid" in text  # headings kept, tables/figures whole
    assert "@media (max-width:700px)" in text
    assert text.count("<table>") == text.count('<div class="tw"><table>')  # every table scrolls in its own box


@pytest.mark.slow
@BROWSER
def test_run_report_fits_a_phone_and_prints_to_an_a4_pdf(report, tmp_path, capsys, monkeypatch):
    p = _chromium(tmp_path, "--window-size=390,1600", "--dump-dom", report.resolve().as_uri())
    assert 'data-report="ready"' in p.stdout and 'data-wider="0"' in p.stdout, "the page scrolls sideways on a phone"
    assert main(["report", str(report.parent), "--pdf"]) == 0
    pdf = report.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and re.search(rb"/MediaBox\s*\[0 0 59[45]\.\d+ 84[12]\.\d+\]", pdf)  # A4
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 3
    monkeypatch.setenv("PVSIM_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert main(["report", str(report.parent), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "--pdf" in err and "chromium" in err and "Traceback" not in err


@pytest.mark.slow
def test_comparison_report_warnings_tracks_and_what_a_rerun_replaced(comparison_folder, tmp_path, cache_dir,
                                                                       capsys):
    """The comparison report has a warnings section and the results per track and pilot category; a target some
    replications missed is said as such; a rerun with other strategies and one replication says what it replaced,
    and has no "95 % CI" header."""
    from sim.experiment import print_comparison

    folder, scenario = comparison_folder
    from sim.report import write_any_report

    text = write_any_report(folder, out=tmp_path / "cmp.html").read_text(encoding="utf-8")
    assert 'id="warnings"' in text and label("report.compare_warnings") in text
    assert label("report.tracks_pilot") in text and label("pilot.rural_home") in text
    rerun = tmp_path / "cmp"
    shutil.copytree(folder, rerun)
    comparison = sim.compare(sim.load_scenario(scenario), ["random"], 1, out_dir=rerun, workers=1, progress=False,
                             cache_dir=cache_dir)
    assert comparison.replaced == {"strategies": ["max_yield", "grid_headroom"], "replications": 2}
    print_comparison(comparison)
    out = capsys.readouterr().out
    assert "replaced the comparison of max_yield, grid_headroom (2 replications)" in out and "95 % CI" not in out
    assert not [line for line in out.splitlines() if line != line.rstrip()]
    page = write_any_report(rerun).read_text(encoding="utf-8")
    assert label("report.replaced", strategies="max_yield, grid_headroom", n=2) in page
    assert label("label.ci95") not in page and "±" not in re.sub(r'src="data:[^"]*"', "", page)
    table = pd.read_csv(rerun / "comparison.csv", index_col="strategy")
    if table.loc["random", "years_to_100pct_n"] == 0:
        assert label("label.not_reached") in page


def test_bands_are_drawn_at_year_end_and_clipped_to_what_is_possible():
    from sim.metrics import METRICS
    from sim.plotting.compare import bands_figure, possible, year_end

    assert list(year_end([2026, 2027]).strftime("%m-%d")) == ["12-31", "12-31"]
    assert list(possible(METRICS["capacity_built_kwp"], pd.Series([-2.0, 3.0]).to_numpy())) == [0.0, 3.0]
    assert list(possible(METRICS["pilot_rural_home_percent"], pd.Series([-1.0, 104.0]).to_numpy())) == [0.0, 100.0]
    assert list(possible(METRICS["net_cost_per_t_co2_cny"], pd.Series([-5.0]).to_numpy())) == [-5.0]
    bands = pd.DataFrame([{"strategy": "a", "year": y, "variable": v, "n": 3, "mean": 1.0, "ci95_low": -4.0,
                           "ci95_high": 2.0} for y in (2026, 2027) for v in ("capacity_online_mwp",
                                                                             "co2_avoided_cumulative_kt")])
    fig = bands_figure(bands, ["a"], 3)
    for ax in fig.axes[:2]:
        band = ax.collections[0].get_paths()[0].vertices
        assert band[:, 1].min() >= 0.0  # the band never goes below zero
        assert pd.Timestamp(ax.lines[0].get_xdata()[0]).strftime("%m-%d") == "12-31"


@pytest.mark.slow
def test_sweep_report_has_a_warnings_section(sweep_folder, tmp_path):
    from sim.report import write_any_report

    text = write_any_report(sweep_folder, out=tmp_path / "s.html").read_text(encoding="utf-8")
    box = text[text.index('id="warnings"'):text.index('id="programme"')]
    assert label("report.compare_warnings") in box
    assert "rollout.crews=1 · " in box  # 1 crew cannot reach the target in 6 years: said, per variant


def test_timeline_labels_stay_above_the_data_and_show_the_targets(run_folder):
    result = sim.read_run(run_folder)
    s = result.summary
    fig = plotting.capacity_timeline(result.sites, start_date=s["start_date"], milestones=s["milestones"],
                                     targets={"programme": 50_000.0})
    ax = fig.axes[0]
    top = max(line.get_ydata().max() for line in ax.lines if len(line.get_ydata()) > 2)
    marks = [t for t in ax.texts if "target" in t.get_text()]
    assert marks and all(t.get_position()[1] > top for t in marks)  # milestone labels never cover the data
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert label("label.target_of", name=label("label.programme"), value="50.0 MWp") in legend


@pytest.mark.parametrize("english, chinese", [
    ("track rooftop_pilot built 9.5 of its 60.0 MWp target (16 %): held back by sites: every eligible site was "
     "released (14,546 kWp); 626 kWp dropped for lack of hosting capacity",
     "屋顶试点板块建成9.5兆瓦，目标60.0兆瓦（16%）；制约因素：站点——全部可建站点均已释放（14,546千瓦）；626千瓦因电网承载力不足而放弃"),
    ("crews are 95 % busy over the build window (mean wait 12 days): raise rollout.crews above 4 or a lower "
     "rollout.max_sites_in_pipeline",
     "施工队在建设期内繁忙95%（平均等待12天）：应将rollout.crews提高到4以上，或降低rollout.max_sites_in_pipeline"),
    ("a warning of a kind no pattern reads", "a warning of a kind no pattern reads"),
])
def test_rollout_warnings_are_translated_in_the_chinese_report(english, chinese):
    from sim.labels import warning_text

    assert warning_text(english, "zh") == chinese and warning_text(english, "en") == english


def test_township_labels_sit_at_the_seat_where_the_data_gives_one():
    """Two square townships (UTM 50N, 10 km): A has its seat in its south-west corner, B none. A's name is written at
    its seat, B's inside its polygon."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    from sim.plotting import township_map

    crs = "EPSG:32650"
    towns = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[box(400_000, 4_470_000, 410_000, 4_480_000),
                                                             box(410_000, 4_470_000, 420_000, 4_480_000)], crs=crs)
    seats = gpd.GeoDataFrame({"township": ["A"]}, geometry=[Point(401_000, 4_471_000)], crs=crs).to_crs(4326)
    sites = gpd.GeoDataFrame({"township": ["A"], "capacity_kwp": [1000.0], "status": ["operating"]},
                             geometry=[Point(405_000, 4_475_000)], crs=crs)
    fig = township_map(sites, towns, seats=seats)
    where = {t.get_text().split("\n")[0]: t.get_position() for t in fig.axes[0].texts}
    assert where["A"] == pytest.approx((401_000, 4_471_000), abs=1.0)  # metres of the local UTM zone
    assert 410_000 < where["B"][0] < 420_000 and 4_470_000 < where["B"][1] < 4_480_000


def test_the_grid_map_draws_each_transformer_at_its_own_position(tiny_county):
    """The run folder keeps each transformer's position (layers.gpkg ``transformers``) as the grid file gives it."""
    import geopandas as gpd

    from sim.sites import map_layers

    layers = map_layers(sim.load_scenario(write_scenario(tiny_county.parent, scenario_dict(tiny_county))))
    given = gpd.read_file(tiny_county, layer="transformers").set_index("transformer_id")
    given = given.to_crs(32650)
    kept = layers["transformers"].set_index("transformer_id").to_crs(32650)
    assert len(kept) == len(given) and kept.geometry.distance(given.geometry.reindex(kept.index)).max() < 0.01
    assert "seats" in layers and set(layers["seats"]["township"]) <= set(layers["townships"]["name"])


def _dom_text(page: Path, tmp_path: Path) -> str:
    """The text of ``page`` as the headless browser rendered it (its DOM after the inline script ran), images out."""
    p = _chromium(tmp_path, "--window-size=1280,2000", "--dump-dom", page.resolve().as_uri())
    assert 'data-report="ready"' in p.stdout and not _js_errors(p.stderr), p.stderr[-2000:]
    return re.sub(r'src="data:image/png;base64,[^"]*"', "", p.stdout).replace("&amp;", "&")


@pytest.mark.slow
@BROWSER
def test_the_done_when_of_issue_21_in_the_browser(tiny_county, run_folder, tmp_path, cache_dir, monkeypatch, capsys):
    """Rendered in headless Chromium: a copied run folder's report states the programme as run; a EUR run shows no
    CNY; the Chinese report is its own file with the official units; the print stylesheet is in the page."""
    # a copy of a run made with --set, without the scenario file or the data
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(tiny_county, data / "county.gpkg")
    monkeypatch.setenv("PVSIM_CACHE_DIR", str(cache_dir))
    scenario = write_scenario(tmp_path, in_euros(scenario_dict(data / "county.gpkg", horizon_years=6)))
    assert main(["run", str(scenario), "-o", str(tmp_path / "run"), "-q", "--set", "rollout.crews=3"]) == 0
    copy = tmp_path / "elsewhere" / "run"
    shutil.copytree(tmp_path / "run", copy)
    shutil.rmtree(data)
    scenario.unlink()
    capsys.readouterr()
    assert main(["report", str(copy)]) == 0 and main(["report", str(copy), "--lang", "zh"]) == 0
    english, chinese = _dom_text(copy / REPORT_NAME, tmp_path), _dom_text(copy / "report.zh.html", tmp_path)
    programme = english[english.index('id="programme"'):english.index('id="assumptions"')]
    assert f"{label('resource.crews')} 3," in programme and "rollout.crews = 3" in programme
    assert label("report.no_scenario") not in english
    assert "EUR" in english and "CNY" not in english  # the EUR run, in the browser
    assert "欧元" in chinese and "CNY" not in chinese and not re.search(r"(?<!欧)元", chinese)
    assert '<html lang="zh-CN"' in chinese and "万" in chinese and "千瓦时" in chinese
    for page in (english, chinese):
        assert "@page{size:A4" in page and "@media print" in page and "break-inside:avoid" in page
    # the CNY run's Chinese report in the official units, beside its English one
    assert main(["report", str(run_folder), "--lang", "zh"]) == 0
    zh = _dom_text(run_folder / "report.zh.html", tmp_path)
    assert "亿元" in zh or "万元" in zh
    assert "万吨" in zh and ("万千瓦时" in zh or "亿千瓦时" in zh) and " GWh" not in zh and "million" not in zh
