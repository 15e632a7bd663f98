from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic, great_circle

from spdirectory.geo import bounding_box, distance_km

LEEDS_TOWN_HALL = (53.799965, -1.549725)  # LS1 3AD
BRADFORD_CITY_HALL = (53.792313, -1.753292)  # BD1 1HY
CHARING_CROSS = (51.5074, -0.1278)
EDINBURGH = (55.9533, -3.1883)


def test_same_point_is_zero() -> None:
    assert distance_km(*LEEDS_TOWN_HALL, *LEEDS_TOWN_HALL) == 0.0


def test_leeds_to_bradford() -> None:
    km = distance_km(*LEEDS_TOWN_HALL, *BRADFORD_CITY_HALL)
    assert 13.0 < km < 14.0


def test_london_to_edinburgh() -> None:
    assert 525 < distance_km(*CHARING_CROSS, *EDINBURGH) < 540


def test_symmetric() -> None:
    there = distance_km(*LEEDS_TOWN_HALL, *EDINBURGH)
    back = distance_km(*EDINBURGH, *LEEDS_TOWN_HALL)
    assert there == pytest.approx(back, rel=1e-12)


def test_close_to_ellipsoidal_distance() -> None:
    # The spherical shortcut must stay within 0.5% of the WGS84 geodesic.
    for a, b in [(LEEDS_TOWN_HALL, BRADFORD_CITY_HALL), (CHARING_CROSS, EDINBURGH)]:
        assert distance_km(*a, *b) == pytest.approx(geodesic(a, b).km, rel=0.005)


@pytest.mark.parametrize("lat", [-45.0, 0.0, 50.0, 53.8, 58.6, 70.0])
@pytest.mark.parametrize("km", [0.5, 5.0, 25.0, 200.0])
def test_bounding_box_contains_the_whole_circle(lat: float, km: float) -> None:
    lon = -1.55
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
    for bearing in range(0, 360, 3):
        point = great_circle(kilometers=km).destination((lat, lon), bearing)
        assert distance_km(lat, lon, point.latitude, point.longitude) == pytest.approx(km)
        assert min_lat <= point.latitude <= max_lat, bearing
        assert min_lon <= point.longitude <= max_lon, bearing


@pytest.mark.parametrize("lat", [0.0, 53.8, 70.0])
def test_bounding_box_is_tight(lat: float) -> None:
    lon, km = -1.55, 25.0
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
    circle = [
        great_circle(kilometers=km).destination((lat, lon), bearing / 10) for bearing in range(3600)
    ]
    # The box touches the circle on every side (to ~1 m), so it filters well.
    tolerance = 1e-5
    assert max(p.latitude for p in circle) == pytest.approx(max_lat, abs=tolerance)
    assert min(p.latitude for p in circle) == pytest.approx(min_lat, abs=tolerance)
    assert max(p.longitude for p in circle) == pytest.approx(max_lon, abs=tolerance)
    assert min(p.longitude for p in circle) == pytest.approx(min_lon, abs=tolerance)
    # At high latitude a degree of longitude is short, so the box is wider.
    assert (max_lon - min_lon) >= (max_lat - min_lat) * 0.99 / math.cos(math.radians(lat))


def test_bounding_box_zero_radius_is_the_point() -> None:
    box = bounding_box(53.8, -1.55, 0)
    assert box == pytest.approx((53.8, 53.8, -1.55, -1.55))


def test_bounding_box_near_pole_spans_all_longitudes() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(89.9, 10.0, 50.0)
    assert (min_lon, max_lon) == (-180.0, 180.0)
    assert max_lat == 90.0
    assert min_lat < 89.9


def test_bounding_box_across_antimeridian_spans_all_longitudes() -> None:
    min_lat, max_lat, min_lon, max_lon = bounding_box(-17.7, 179.9, 50.0)
    assert (min_lon, max_lon) == (-180.0, 180.0)
    assert min_lat < -17.7 < max_lat


@pytest.mark.parametrize("km", [-1.0, math.inf, math.nan])
def test_bounding_box_rejects_bad_radius(km: float) -> None:
    with pytest.raises(ValueError, match="km must be"):
        bounding_box(53.8, -1.55, km)
