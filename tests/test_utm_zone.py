"""`sim.sites.utm_epsg`: the WGS 84 UTM zone of a point, checked against the UTM definition.

UTM zone n (1..60) covers the longitudes [-180 + 6 (n - 1), -180 + 6 n) and has its central meridian at -183 + 6 n;
EPSG:326nn is its northern-hemisphere CRS (false northing 0), EPSG:327nn the southern one (false northing 10,000 km).
"""

from __future__ import annotations

import pytest
from pyproj import CRS

from sim.sites import utm_epsg


@pytest.mark.parametrize(("lon", "lat", "expected"), [
    (115.5, 40.4, 32650),          # Huailai: zone 50 spans 114..120 E
    (-180.0, 10.0, 32601),         # the western edge of zone 1
    (180.0, 10.0, 32601),          # 180 E is the meridian 180 W: zone 1 again
    (179.999, 10.0, 32660),        # zone 60 spans 174..180 E
    (-174.0, 10.0, 32602),         # a zone boundary belongs to the zone east of it
    (-174.0001, 10.0, 32601),
    (0.0, 51.48, 32631),           # Greenwich: zone 31 spans 0..6 E
    (-0.0001, 51.48, 32630),
    (6.0, 45.0, 32632),
    (18.4, -33.9, 32734),          # Cape Town: zone 34, southern hemisphere
    (151.2, -33.87, 32756),        # Sydney: zone 56 south
    (-157.8, 21.3, 32604),         # Honolulu: zone 4 spans 162..156 W
    (-70.6, -33.4, 32719),         # Santiago: zone 19 south
    (3.0, 0.0, 32631),             # the equator counts as north
    (3.0, -1e-9, 32731),
])
def test_utm_epsg_known_points(lon, lat, expected):
    assert utm_epsg(lon, lat) == expected


@pytest.mark.parametrize("zone", [1, 2, 30, 31, 50, 59, 60])
@pytest.mark.parametrize("offset", [-2.999, 0.0, 2.999])
def test_utm_epsg_matches_the_epsg_definition(zone, offset):
    """The returned CRS has its central meridian within 3 degrees of the point, and the right false northing."""
    lon = -183.0 + 6.0 * zone + offset
    for lat, false_northing in ((45.0, 0.0), (-45.0, 10_000_000.0)):
        crs = CRS.from_epsg(utm_epsg(lon, lat))
        params = {p.name: p.value for p in crs.coordinate_operation.params}
        assert params["Longitude of natural origin"] == pytest.approx(-183.0 + 6.0 * zone)
        assert params["False northing"] == pytest.approx(false_northing)
