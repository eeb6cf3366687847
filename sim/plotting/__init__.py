"""Figures of pvsim: one run (:mod:`sim.plotting.run`) and a strategy comparison (:mod:`sim.plotting.compare`), in
the one style of :mod:`sim.plotting.style` (Okabe-Ito palette, 120 dpi, 10.5 pt fonts).

Every figure function returns (or, for the comparison, writes as PNG) a matplotlib ``Figure`` built with the object
API, so they are safe in threads, Dask workers and the report; in a notebook a returned figure displays itself.
"""

from .compare import (
    bands_figure,
    build_maps_figure,
    metric_bars_figure,
    paired_differences_figure,
    plot_bands,
    plot_build_maps,
    plot_metric_bars,
    plot_paired_differences,
    strategy_label,
    write_figures,
)
from .run import (
    LOADING_CLASSES,
    add_scale_bar_and_north_arrow,
    county_map,
    agrivoltaic_tradeoff,
    build_difference_map,
    budget_by_year,
    candidate_map,
    capacity_timeline,
    co2_by_year,
    energy_by_year,
    energy_co2_by_year,
    loading_class_labels,
    monthly_capacity_by_type,
    pilot_coverage,
    resource_utilisation,
    resources_table,
    run_figures,
    site_map,
    sites_by_type,
    sites_in_stage,
    stage_durations,
    stage_occupancy,
    township_map,
    transformer_loading,
    transformer_map,
    transformer_points_of,
)
from .style import (
    CJK_MISSING_NOTE,
    DPI,
    FONT_PT,
    OKABE_ITO,
    SITE_TYPE_COLOURS,
    SITE_TYPE_LABELS,
    cjk_font,
    line_styles,
    ordered_types,
    palette,
    png_bytes,
    save_png,
    site_type_colour,
    site_type_label,
    thousands,
)

__all__ = [
    "CJK_MISSING_NOTE", "DPI", "FONT_PT", "LOADING_CLASSES", "add_scale_bar_and_north_arrow", "bands_figure",
    "build_maps_figure", "cjk_font", "county_map", "metric_bars_figure", "paired_differences_figure", "strategy_label", "OKABE_ITO", "SITE_TYPE_COLOURS", "SITE_TYPE_LABELS",
    "agrivoltaic_tradeoff", "budget_by_year", "build_difference_map", "candidate_map", "capacity_timeline", "co2_by_year",
    "energy_by_year", "energy_co2_by_year", "line_styles", "loading_class_labels", "monthly_capacity_by_type",
    "ordered_types", "palette", "pilot_coverage", "plot_bands", "plot_build_maps", "plot_metric_bars",
    "plot_paired_differences", "png_bytes", "resource_utilisation", "resources_table", "run_figures", "save_png",
    "site_map", "site_type_colour", "site_type_label", "sites_by_type", "sites_in_stage", "stage_durations",
    "stage_occupancy", "thousands", "township_map", "transformer_loading", "transformer_map", "transformer_points_of", "write_figures",
]
