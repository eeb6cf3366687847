"""The time zone at a location, offline."""

from __future__ import annotations


def time_zone_at(latitude: float, longitude: float) -> str:
    """IANA time zone at a location [°] (``tzfpy``, offline); ``Etc/GMT±h`` by longitude at sea."""
    from tzfpy import get_tz

    zone = get_tz(float(longitude), float(latitude))
    if zone:
        return zone
    hours = round(float(longitude) / 15.0)
    return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"  # the Etc zones' sign is inverted
