"""Queries on items: CQL2 filters give the same features as the equivalent SQL; bbox, datetime,
property equality, sortby, properties, CRS and keyset paging behave as the standards say."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.ogc.collections import COLLECTIONS

LIVE = "s.published AND s.deleted_at IS NULL"


def _ids(client: TestClient, cid: str, **params: Any) -> list[Any]:
    response = client.get(f"/ogc/collections/{cid}/items", params={"limit": 10_000, **params})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["numberMatched"] == doc["numberReturned"] == len(doc["features"])
    return [f["id"] for f in doc["features"]]


def _sql_ids(session: Session, sql: str, **params: Any) -> list[Any]:
    return list(session.execute(text(sql), params).scalars())


@pytest.mark.parametrize(
    ("cql", "where"),
    [
        ("kind = 'friche'", "s.kind = 'friche'"),
        ("area_m2 > 10000 AND area_m2 <= 50000", "s.area_m2 > 10000 AND s.area_m2 <= 50000"),
        ("area_m2 >= 2.5e4 OR bati_nombre = 3", "s.area_m2 >= 25000 OR s.bati_nombre = 3"),
        ("NOT (kind = 'friche') OR area_m2 < 500", "NOT (s.kind = 'friche') OR s.area_m2 < 500"),
        ("site_adresse IS NULL", "s.site_adresse IS NULL"),
        ("site_adresse IS NOT NULL", "s.site_adresse IS NOT NULL"),
        ("comm_nom LIKE 'CHARLEVILLE%'", "s.comm_nom LIKE 'CHARLEVILLE%'"),
        ("CASEI(comm_nom) LIKE CASEI('rethel%')", "lower(s.comm_nom) LIKE 'rethel%'"),
        ("area_m2 BETWEEN 1000 AND 2000", "s.area_m2 BETWEEN 1000 AND 2000"),
        ("departement_code IN ('08', '91')", "s.departement_code IN ('08', '91')"),
        ("site_actu_date >= DATE('2025-01-01')", "s.site_actu_date >= DATE '2025-01-01'"),
        ("site_actu_date < '2022-01-01'", "s.site_actu_date < DATE '2022-01-01'"),
        ("unite_fonciere_surface > area_m2", "s.unite_fonciere_surface > s.area_m2"),
        ("geom_approximate = true", "s.geom_approximate"),
        (
            "S_INTERSECTS(geometry, BBOX(4.6, 49.7, 4.8, 49.8))",
            "ST_Intersects(coalesce(s.geom, s.point), ST_MakeEnvelope(4.6, 49.7, 4.8, 49.8, 4326))",
        ),
        (
            "S_WITHIN(geometry, POLYGON((4 49, 5 49, 5 50, 4 50, 4 49)))",
            "ST_Within(coalesce(s.geom, s.point), "
            "ST_GeomFromText('POLYGON((4 49, 5 49, 5 50, 4 50, 4 49))', 4326))",
        ),
        (
            "S_INTERSECTS(geometry, POINT(4.7201 49.7620)) OR kind = 'turnkey'",
            "ST_Intersects(coalesce(s.geom, s.point), ST_SetSRID(ST_MakePoint(4.7201, 49.7620), "
            "4326)) OR s.kind = 'turnkey'",
        ),
    ],
)
def test_cql2_text_gives_the_same_sites_as_sql(
    client: TestClient, session: Session, cql: str, where: str
) -> None:
    expected = _sql_ids(
        session, f"SELECT s.site_id FROM site s WHERE {LIVE} AND ({where}) ORDER BY s.site_id"
    )
    assert _ids(client, "sites", filter=cql) == expected
    assert expected or cql.startswith("S_INTERSECTS(geometry, POINT")  # the filters select


def test_cql2_selects_something_and_not_everything(client: TestClient, session: Session) -> None:
    total = _sql_ids(session, f"SELECT count(*) FROM site s WHERE {LIVE}")[0]
    some = _ids(client, "sites", filter="kind = 'friche' AND area_m2 > 10000")
    assert 0 < len(some) < total


def test_cql2_json_equals_cql2_text(client: TestClient) -> None:
    as_json = (
        '{"op": "and", "args": [{"op": "=", "args": [{"property": "kind"}, "friche"]},'
        '{"op": ">", "args": [{"property": "area_m2"}, 10000]}]}'
    )
    assert _ids(client, "sites", filter=as_json, **{"filter-lang": "cql2-json"}) == _ids(
        client, "sites", filter="kind = 'friche' AND area_m2 > 10000"
    )


def test_cql2_values_are_bound_not_interpolated(client: TestClient, session: Session) -> None:
    """A quote in a value is data: no injection, no SQL error."""
    nasty = "x' OR '1'='1"
    assert _ids(client, "sites", filter=f"site_nom = '{nasty.replace(chr(39), chr(39) * 2)}'") == []
    assert _ids(client, "sites", site_nom=nasty) == []


def test_cql2_on_parcels_and_integer_ids(client: TestClient, session: Session) -> None:
    expected = _sql_ids(
        session,
        "SELECT p.idu FROM parcel p WHERE p.contenance > 5000 AND p.commune = '91216' "
        "ORDER BY p.departement, p.idu",
    )
    assert _ids(client, "parcels", filter="contenance > 5000 AND commune = '91216'") == expected
    assert expected
    ids = _sql_ids(
        session, "SELECT ps.id FROM polluted_site ps WHERE ps.register = 'basol' ORDER BY ps.id"
    )
    assert _ids(client, "polluted_sites", filter="register = 'basol'") == ids


def test_filter_crs_lambert93(client: TestClient) -> None:
    in_l93 = "S_INTERSECTS(geometry, BBOX(820000, 6960000, 840000, 6980000))"
    in_lonlat = "S_INTERSECTS(geometry, BBOX(4.6, 49.6, 4.9, 49.9))"
    l93 = _ids(
        client,
        "sites",
        filter=in_l93,
        **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/2154"},
    )
    assert l93
    assert set(l93) <= set(_ids(client, "sites", filter=in_lonlat))


def test_property_equality_filter(client: TestClient, session: Session) -> None:
    expected = _sql_ids(
        session,
        f"SELECT s.site_id FROM site s WHERE {LIVE} AND s.comm_insee = '08105' "
        "AND s.kind = 'friche' ORDER BY s.site_id",
    )
    assert expected
    assert _ids(client, "sites", comm_insee="08105", kind="friche") == expected


def test_bbox_returns_the_features_that_intersect_it(client: TestClient, session: Session) -> None:
    expected = _sql_ids(
        session,
        f"SELECT s.site_id FROM site s WHERE {LIVE} AND ST_Intersects(coalesce(s.geom, s.point), "
        "ST_MakeEnvelope(4.6, 49.7, 4.8, 49.8, 4326)) ORDER BY s.site_id",
    )
    assert expected
    assert _ids(client, "sites", bbox="4.6,49.7,4.8,49.8") == expected
    # EPSG:4326 is latitude first; Lambert-93 metres are transformed.
    assert (
        _ids(
            client,
            "sites",
            bbox="49.7,4.6,49.8,4.8",
            **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"},
        )
        == expected
    )
    assert set(expected) & set(
        _ids(
            client,
            "sites",
            bbox="800000,6950000,860000,6990000",
            **{"bbox-crs": "EPSG:2154"},
        )
    )


def test_datetime_instant_and_intervals(client: TestClient, session: Session) -> None:
    def sql(where: str) -> list[Any]:
        return _sql_ids(
            session, f"SELECT s.site_id FROM site s WHERE {LIVE} AND {where} ORDER BY s.site_id"
        )

    assert _ids(client, "sites", datetime="2025-12-15") == sql("s.site_actu_date = '2025-12-15'")
    assert _ids(client, "sites", datetime="2023-01-01/..") == sql(
        "s.site_actu_date >= '2023-01-01'"
    )
    assert _ids(client, "sites", datetime="../2021-06-30T00:00:00Z") == sql(
        "s.site_actu_date <= '2021-06-30'"
    )
    closed = _ids(client, "sites", datetime="2021-01-01/2022-12-31")
    assert closed == sql("s.site_actu_date BETWEEN '2021-01-01' AND '2022-12-31'")
    assert closed


def test_sortby_and_properties(client: TestClient, session: Session) -> None:
    doc = client.get(
        "/ogc/collections/sites/items",
        params={"sortby": "-area_m2,+site_nom", "properties": "area_m2,site_nom", "limit": 50},
    ).json()
    areas = [f["properties"]["area_m2"] for f in doc["features"]]
    assert areas == sorted(areas, reverse=True)
    assert set(doc["features"][0]["properties"]) == {"area_m2", "site_nom"}
    top = _sql_ids(
        session,
        f"SELECT max(s.area_m2) FROM site s WHERE {LIVE}",
    )[0]
    assert areas[0] == pytest.approx(top)


def _walk(client: TestClient, cid: str, **params: Any) -> tuple[list[Any], int]:
    url = f"/ogc/collections/{cid}/items"
    ids: list[Any] = []
    doc = client.get(url, params=params).json()
    matched = doc["numberMatched"]
    while True:
        ids += [f["id"] for f in doc["features"]]
        nxt = [lk["href"] for lk in doc["links"] if lk["rel"] == "next"]
        if not nxt:
            return ids, matched
        doc = client.get(nxt[0].split("testserver", 1)[1]).json()
        assert doc["numberMatched"] == matched


def test_keyset_paging_returns_every_feature_once(client: TestClient, session: Session) -> None:
    ids, matched = _walk(client, "sites", limit=700)
    assert len(ids) == matched == len(set(ids))
    assert ids == _sql_ids(session, f"SELECT s.site_id FROM site s WHERE {LIVE} ORDER BY 1")


def test_keyset_paging_with_sortby_and_nulls(client: TestClient, session: Session) -> None:
    ids, matched = _walk(client, "sites", limit=500, sortby="-bati_surface")
    assert len(ids) == matched == len(set(ids))
    expected = _sql_ids(
        session,
        f"SELECT s.site_id FROM site s WHERE {LIVE} "
        "ORDER BY s.bati_surface DESC NULLS LAST, s.site_id",
    )
    assert ids == expected


def test_keyset_paging_on_partitioned_parcels(client: TestClient) -> None:
    ids, matched = _walk(client, "parcels", limit=1000, filter="commune = '91216'")
    assert len(ids) == matched == len(set(ids)) > 1000


def test_cursor_of_another_sort_is_refused(client: TestClient) -> None:
    doc = client.get("/ogc/collections/sites/items", params={"limit": 5}).json()
    nxt = next(lk["href"] for lk in doc["links"] if lk["rel"] == "next")
    cursor = nxt.split("cursor=")[1]
    response = client.get(
        "/ogc/collections/sites/items", params={"cursor": cursor, "sortby": "area_m2"}
    )
    assert response.status_code == 400


def test_crs_2154_and_3857_transform_and_say_so(client: TestClient, session: Session) -> None:
    first = client.get("/ogc/collections/polluted_sites/items", params={"limit": 1}).json()
    fid = first["features"][0]["id"]
    for srid in (2154, 3857):
        uri = f"http://www.opengis.net/def/crs/EPSG/0/{srid}"
        response = client.get(f"/ogc/collections/polluted_sites/items/{fid}", params={"crs": uri})
        assert response.headers["content-crs"] == f"<{uri}>"
        x, y = response.json()["geometry"]["coordinates"]
        ex, ey = session.execute(
            text(
                "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, :srid) AS g "
                "FROM polluted_site WHERE id = :id) q"
            ),
            {"srid": srid, "id": fid},
        ).one()
        assert (x, y) == (pytest.approx(ex, abs=0.01), pytest.approx(ey, abs=0.01))


def test_crs_epsg_4326_is_latitude_first_and_crs84_longitude_first(client: TestClient) -> None:
    url = "/ogc/collections/polluted_sites/items"
    crs84 = client.get(url, params={"limit": 1})
    assert crs84.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    lon, lat = crs84.json()["features"][0]["geometry"]["coordinates"]
    epsg = client.get(url, params={"limit": 1, "crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    assert epsg.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    assert epsg.json()["features"][0]["geometry"]["coordinates"] == [lat, lon]
    assert 41 < lat < 52 and -6 < lon < 10  # France


def test_queryables_and_schema(client: TestClient) -> None:
    for cid, coll in COLLECTIONS.items():
        response = client.get(f"/ogc/collections/{cid}/queryables")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/schema+json"
        doc = response.json()
        assert doc["type"] == "object"
        assert doc["$id"].endswith(f"/collections/{cid}/queryables")
        assert set(doc["properties"]) == {"geometry", *(p.name for p in coll.props)}
        schema = client.get(f"/ogc/collections/{cid}/schema").json()
        roles = {p.get("x-ogc-role") for p in schema["properties"].values()}
        assert "primary-geometry" in roles
    sites = client.get("/ogc/collections/sites/queryables").json()["properties"]
    assert sites["area_m2"]["type"] == "number"
    assert sites["site_actu_date"] == {
        "title": "site_actu_date",
        "type": "string",
        "format": "date",
    }
    assert "permits_typical_months" in sites and "mutability_index" in sites


def test_sites_never_show_the_price_nor_owner_personal_data(client: TestClient) -> None:
    doc = client.get("/ogc/collections/sites/items", params={"limit": 100}).json()
    names = set(doc["features"][0]["properties"])
    for hidden in ("terr_m2_prix", "proprio_nom", "source_contact", "published", "deleted_at"):
        assert hidden not in names
        assert client.get(
            "/ogc/collections/sites/items", params={"properties": hidden}
        ).status_code == (400)
    assert "terr_m2_prix" not in client.get("/ogc/collections/sites/queryables").text
    tile = client.get("/ogc/collections/sites/tiles/WebMercatorQuad/5/16/11")
    assert b"terr_m2_prix" not in tile.content and b"proprio_nom" not in tile.content


def test_every_site_column_is_published_or_excluded_on_purpose() -> None:
    """A new column of ``site`` must be classified before it can reach the OGC layer."""
    from app.models import Site
    from app.ogc.collections import SITE_EXCLUDED

    published = {p.name for p in COLLECTIONS["sites"].props}
    for column in Site.__table__.columns:
        assert (column.name in published) != (column.name in SITE_EXCLUDED), column.name


def test_unpublished_and_deleted_sites_are_not_served(client: TestClient, session: Session) -> None:
    site_id = _sql_ids(session, f"SELECT s.site_id FROM site s WHERE {LIVE} LIMIT 1")[0]
    assert client.get(f"/ogc/collections/sites/items/{site_id}").status_code == 200
    before = client.get("/ogc/collections/sites/items", params={"limit": 1}).json()
    session.execute(text("UPDATE site SET published = false WHERE site_id = :id"), {"id": site_id})
    session.commit()  # releases the savepoint: the 404 below rolls back only its own
    assert client.get(f"/ogc/collections/sites/items/{site_id}").status_code == 404
    after = client.get("/ogc/collections/sites/items", params={"limit": 1}).json()
    assert after["numberMatched"] == before["numberMatched"] - 1
    assert site_id not in _ids(client, "sites")


def test_scores_come_from_site_derived_and_site_permits(
    client: TestClient, session: Session
) -> None:
    pk, site_id = session.execute(
        text(f"SELECT s.id, s.site_id FROM site s WHERE {LIVE} ORDER BY s.site_id LIMIT 1")
    ).one()
    session.execute(
        text(
            "INSERT INTO site_derived (site_pk, computed_on, mutability_index, naf_new_m2, "
            "sobriety_score) VALUES (:pk, current_date, 61.5, 0, 1.0) "
            "ON CONFLICT (site_pk) DO UPDATE SET mutability_index = 61.5"
        ),
        {"pk": pk},
    )
    session.execute(
        text(
            "INSERT INTO site_permits VALUES (:pk, 'none', 6, 8, 12, current_date), "
            "(:pk, 'autorisation', 12, 20, 30, current_date) "
            "ON CONFLICT (site_pk, icpe) DO UPDATE SET typical_months = excluded.typical_months"
        ),
        {"pk": pk},
    )
    session.commit()
    props = client.get(f"/ogc/collections/sites/items/{site_id}").json()["properties"]
    assert props["mutability_index"] == 61.5
    assert props["permits_typical_months"] == 8
    expected = _sql_ids(
        session,
        f"SELECT s.site_id FROM site s JOIN site_derived d ON d.site_pk = s.id WHERE {LIVE} "
        "AND d.mutability_index > 60 ORDER BY 1",
    )
    assert site_id in expected
    assert _ids(client, "sites", filter="mutability_index > 60") == expected
