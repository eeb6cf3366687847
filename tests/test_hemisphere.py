"""Equator-facing defaults in both hemispheres: site-type azimuths, roof faces from OSM footprints, and a warning
when a scenario turns fixed arrays towards the pole."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import shapely

from sim import sites
from sim.errors import InputWarning
from sim.osm import roof_azimuth_deg
from sim.scenario import scenario_from_dict

from .conftest import scenario_dict


@pytest.mark.parametrize("azimuth, latitude, want", [
    (180.0, 40.0, 180.0), (180.0, -33.9, 0.0), (135.0, -33.9, 45.0), (225.0, -33.9, 315.0), (90.0, -33.9, 90.0),
    (180.0, 0.0, 180.0)])
def test_table_azimuths_turn_to_the_equator(azimuth, latitude, want):
    assert sites.to_hemisphere(azimuth, latitude) == pytest.approx(want)


@pytest.mark.parametrize("azimuth, latitude, pole", [
    (0.0, 40.0, True), (180.0, 40.0, False), (180.0, -33.9, True), (0.0, -33.9, False), (90.0, -33.9, False),
    (91.0, -33.9, True), (269.0, 40.0, False), (271.0, 40.0, True)])
def test_faces_pole(azimuth, latitude, pole):
    assert bool(sites.faces_pole(azimuth, latitude)) is pole


def test_roof_face_nearest_the_equator():
    """A 20 m x 8 m gable roof with an east-west ridge: faces 180 and 0; the equator-facing one is kept."""
    house = shapely.box(0, 0, 20, 8)
    assert roof_azimuth_deg([house], np.array([True]), latitude=48.1)[0] == 180.0
    assert roof_azimuth_deg([house], np.array([True]), latitude=-33.9)[0] == 0.0


def _scenario(tmp_path, **site_types):
    raw = scenario_dict(tmp_path / "sites.gpkg")
    raw.setdefault("siting", {})["site_types"] = site_types
    return scenario_from_dict(raw, path=tmp_path / "s.yaml")


def test_default_azimuths_face_the_equator_unless_the_user_set_them(tmp_path):
    scenario = _scenario(tmp_path, public_building={"surface_azimuth_deg": 170.0})
    types = pd.Series(["public_building", "agrivoltaic", "rural_home"])
    table = np.array([170.0, 180.0, 180.0])
    assert sites.default_azimuths(scenario, types, table, -33.9).tolist() == [170.0, 0.0, 0.0]
    assert sites.default_azimuths(scenario, types, table, 40.4).tolist() == [170.0, 180.0, 180.0]


def test_a_pole_facing_fixed_azimuth_is_warned(tmp_path):
    scenario = _scenario(tmp_path, public_building={"surface_azimuth_deg": 180.0})
    with pytest.warns(InputWarning, match="faces the pole"):
        sites.warn_pole_facing(scenario, -33.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sites.warn_pole_facing(scenario, 40.4)  # south-facing in the north: no word
