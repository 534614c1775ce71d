"""Each bad-geometry case gets a 422 naming the field, the reason and where; nothing is written."""

import json
import math

import pytest
from pyproj import Transformer
from sqlalchemy import func, select

from app.models import Site
from tests.factories import CHARLEVILLE_SQUARE, polygon, site_feature

BOWTIE = [
    [[4.7200, 49.7700], [4.7214, 49.7709], [4.7214, 49.7700], [4.7200, 49.7709], [4.7200, 49.7700]]
]


def _count(session):
    return session.scalar(select(func.count()).select_from(Site))


def post(client, headers, payload, extra_headers=None):
    return client.post(
        "/api/v1/sites",
        content=json.dumps(payload, allow_nan=True),
        headers={**headers, "Content-Type": "application/json", **(extra_headers or {})},
    )


def assert_geometry_error(response, reason_part, where_part=None):
    assert response.status_code == 422, response.text
    body = response.json()
    error = body["errors"][0]
    assert error["field"] == "geometry"
    assert reason_part in error["reason"], error
    if where_part is not None:
        assert where_part in error.get("where", ""), error
    return error


def test_self_intersection_is_named_with_its_location(client, session, admin):
    before = _count(session)
    r = post(client, admin, site_feature(geometry=polygon(BOWTIE)))
    error = assert_geometry_error(r, "Self-intersection")
    assert error["where"].startswith("[4.72")
    assert r.json()["code"] == "invalid_geometry"
    assert _count(session) == before


def test_unclosed_ring(client, admin):
    ring = CHARLEVILLE_SQUARE[0][:-1]
    r = post(client, admin, site_feature(geometry=polygon([ring])))
    assert_geometry_error(r, "unclosed ring", "coordinates[0]")


def test_empty_geometry(client, admin):
    r = post(client, admin, site_feature(geometry={"type": "Polygon", "coordinates": []}))
    assert_geometry_error(r, "empty geometry")


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [4.72, 49.77]},
        {"type": "LineString", "coordinates": [[4.72, 49.77], [4.73, 49.78]]},
        {"type": "Triangle", "coordinates": []},
    ],
)
def test_wrong_geometry_type(client, admin, geometry):
    r = post(client, admin, site_feature(geometry=geometry))
    error = assert_geometry_error(r, "wrong geometry type")
    assert error["where"] == "type"


def test_nan_coordinate(client, admin):
    ring = [list(p) for p in CHARLEVILLE_SQUARE[0]]
    ring[2] = [math.nan, 49.7709]
    r = post(client, admin, site_feature(geometry=polygon([ring])))
    assert_geometry_error(r, "not a finite number", "coordinates[0][2]")


def test_more_than_100000_vertices(client, admin):
    n = 100_001
    ring = [
        [
            4.72 + 0.001 * math.cos(2 * math.pi * i / n),
            49.77 + 0.001 * math.sin(2 * math.pi * i / n),
        ]
        for i in range(n)
    ]
    ring.append(ring[0])
    r = post(client, admin, site_feature(geometry=polygon([ring])))
    assert_geometry_error(r, "too many vertices")


def test_too_short_ring(client, admin):
    r = post(
        client,
        admin,
        site_feature(geometry=polygon([[[4.72, 49.77], [4.73, 49.77], [4.72, 49.77]]])),
    )
    assert_geometry_error(r, "at least 4 positions")


def test_coordinates_outside_france(client, admin):
    ring = [[x + 10, y] for x, y in CHARLEVILLE_SQUARE[0]]  # in Poland
    r = post(client, admin, site_feature(geometry=polygon([ring])))
    assert_geometry_error(r, "not in France")


def test_swapped_lat_lon_is_detected(client, admin):
    ring = [[y, x] for x, y in CHARLEVILLE_SQUARE[0]]
    r = post(client, admin, site_feature(geometry=polygon([ring])))
    assert_geometry_error(r, "look swapped")


def test_lambert93_without_declaration_is_explained(client, admin):
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    ring = [list(to_l93.transform(x, y)) for x, y in CHARLEVILLE_SQUARE[0]]
    r = post(client, admin, site_feature(geometry=polygon([ring])))
    assert_geometry_error(r, "Lambert-93")


@pytest.mark.parametrize("how", ["crs-member", "content-crs-header"])
def test_lambert93_declared_is_accepted_and_measures_the_same(client, admin, how):
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    ring = [list(to_l93.transform(x, y)) for x, y in CHARLEVILLE_SQUARE[0]]
    payload = site_feature(geometry=polygon([ring]))
    headers = None
    if how == "crs-member":
        payload["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    else:
        headers = {"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/2154>"}
    r = post(client, admin, payload, headers)
    assert r.status_code == 201, r.text
    wgs84 = post(client, admin, site_feature())
    assert wgs84.status_code == 201
    a, b = r.json()["properties"]["area_m2"], wgs84.json()["properties"]["area_m2"]
    assert abs(a - b) / b < 0.001
    x0, y0 = r.json()["geometry"]["coordinates"][0][0][0]
    assert 4.7 < x0 < 4.75 and 49.7 < y0 < 49.8  # stored and served as lon/lat


def test_degrees_declared_as_lambert93_are_refused(client, admin):
    payload = site_feature(feature={"crs": {"type": "name", "properties": {"name": "EPSG:2154"}}})
    r = post(client, admin, payload)
    assert_geometry_error(r, "look like degrees")


def test_unsupported_crs_lists_the_accepted_ones(client, admin):
    payload = site_feature(feature={"crs": {"type": "name", "properties": {"name": "EPSG:32631"}}})
    r = post(client, admin, payload)
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "crs"
    assert any("2154" in a for a in error["allowed"])
