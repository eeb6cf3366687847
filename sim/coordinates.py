"""GCJ-02 and BD-09, the offset coordinates of Chinese web maps (AMap and Tencent; Baidu), to and from WGS 84.

The published transforms of the open-source converters (coordtransform, eviltransform, PRCoords): GCJ-02 is WGS 84
plus an offset of 300-700 m across China (inverted iteratively to sub-millimetre), BD-09 a further closed-form
rotation and shift of GCJ-02. Outside a box around China every transform is the identity. Degrees in, degrees out;
vectorised over arrays. :mod:`sim.inputs` converts declared ``GCJ-02`` / ``BD-09`` layers with them.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

# The published GCJ-02 obfuscation (the "standard" transform of the open-source converters coordtransform,
# eviltransform, PRCoords): an offset in metres from polynomials and sines of (lon - 105, lat - 35), turned into
# degrees on the Krasovsky 1940 ellipsoid; the identity outside a box around China.
_GCJ_A_M = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # lon_min, lat_min, lon_max, lat_max [°]


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Inside the box where the GCJ-02 and BD-09 transforms apply (they are the identity outside it)."""
    lon_min, lat_min, lon_max, lat_max = CHINA_BOX
    return (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)


def _gcj_offset_deg(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat_m = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon_m = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = np.radians(lat)
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    dlat = dlat_m * 180.0 / ((_GCJ_A_M * (1.0 - _GCJ_EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = dlon_m * 180.0 / (_GCJ_A_M / np.sqrt(magic) * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 -> GCJ-02 [°] (the published forward transform; the identity outside China)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _gcj_offset_deg(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, *, tolerance_deg: float = 1e-10, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> WGS 84 [°]. The forward transform has no closed-form inverse: the usual fixed-point iteration
    (start at ``gcj - offset(gcj)``, then subtract ``forward(wgs) - gcj`` until it is below ``tolerance_deg``,
    1e-10° is about 0.01 mm) reaches sub-millimetre agreement in a handful of steps."""
    g_lon, g_lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _gcj_offset_deg(g_lon, g_lat)
    w_lon, w_lat = g_lon - dlon, g_lat - dlat
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if max(np.max(np.abs(e_lon), initial=0.0), np.max(np.abs(e_lat), initial=0.0)) < tolerance_deg:
            break
    inside = in_china(g_lon, g_lat)
    return np.where(inside, w_lon, g_lon), np.where(inside, w_lat, g_lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) -> GCJ-02 [°], the published closed form (the identity outside China). It is not the exact
    inverse of :func:`gcj02_to_bd09`: a round trip is good to about 0.2 m across China, well within the accuracy
    of web-map data."""
    b_lon, b_lat = np.asarray(lon, float), np.asarray(lat, float)
    x, y = b_lon - 0.0065, b_lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    inside = in_china(b_lon, b_lat)
    return np.where(inside, z * np.cos(theta), b_lon), np.where(inside, z * np.sin(theta), b_lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09 [°] (the published forward transform; the identity outside China)."""
    g_lon, g_lat = np.asarray(lon, float), np.asarray(lat, float)
    z = np.hypot(g_lon, g_lat) + 0.00002 * np.sin(g_lat * _BD_X_PI)
    theta = np.arctan2(g_lat, g_lon) + 0.000003 * np.cos(g_lon * _BD_X_PI)
    inside = in_china(g_lon, g_lat)
    return (np.where(inside, z * np.cos(theta) + 0.0065, g_lon), np.where(inside, z * np.sin(theta) + 0.006, g_lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> WGS 84 [°]: the closed form to GCJ-02, then the iterative inverse of GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 -> BD-09 [°]."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


TO_WGS84 = {"GCJ-02": gcj02_to_wgs84, "BD-09": bd09_to_wgs84}
FROM_WGS84 = {"GCJ-02": wgs84_to_gcj02, "BD-09": wgs84_to_bd09}


def transform_geometries(geoms: gpd.GeoSeries, fn) -> np.ndarray:
    """Every vertex of ``geoms`` through ``fn(lon, lat) -> (lon, lat)`` (e.g. :data:`TO_WGS84` ``["GCJ-02"]``)."""

    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = fn(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms.to_numpy(), apply)
