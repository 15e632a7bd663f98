"""Distances between points and a cheap bounding-box pre-filter.

We use the spherical great-circle distance rather than the ellipsoidal
geodesic: it is many times faster (we rank hundreds of activities per search)
and its error, at most ~0.5% and usually far less, is well below what matters
for "how far is this activity from me" and below the uncertainty of a postcode
centroid anyway.
"""

from __future__ import annotations

import math

from geopy.distance import EARTH_RADIUS, great_circle

__all__ = [
    "EARTH_RADIUS_KM",
    "KM_PER_DEGREE_LAT",
    "KM_PER_DEGREE_LON_EQUATOR",
    "bounding_box",
    "distance_km",
]

# The same radius great_circle uses, so bounding_box agrees with distance_km.
EARTH_RADIUS_KM: float = EARTH_RADIUS

# Kilometres per degree, for the equirectangular squared distances that search and matching
# compute in SQL and numpy (plain arithmetic, exact enough within a region). One pair of
# constants, so every path filters and orders identically.
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320

# Widen boxes by a hair so points exactly at the radius survive rounding.
_MARGIN = 1.0 + 1e-9


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS84 points."""
    return great_circle((lat1, lon1), (lat2, lon2)).km


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) containing every point within ``km``.

    Meant as an indexable SQL pre-filter before the exact distance_km check.
    The longitude half-width is asin(sin(d) / cos(lat)), not d / cos(lat):
    the widest point of the circle lies poleward of its centre, where a degree
    of longitude is shorter, so the naive formula would cut off the edges.
    Near a pole or across the antimeridian the full longitude range is
    returned (still correct, just less selective; never the case in the UK).
    """
    if km < 0 or not math.isfinite(km):
        raise ValueError(f"km must be a finite, non-negative number, not {km!r}")
    angle = km / EARTH_RADIUS_KM * _MARGIN  # angular radius in radians
    dlat = math.degrees(angle)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        # The circle contains a pole, so it spans every longitude.
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180.0 or max_lon > 180.0:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, min_lon, max_lon
