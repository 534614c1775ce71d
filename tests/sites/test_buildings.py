"""GET /api/v1/sites/{site_id}/buildings: a site's built footprint from the cadastre buildings."""

from pathlib import Path

from sqlalchemy import text

from app.parcels.service import import_cadastre

EDIGEO = Path(__file__).resolve().parents[1] / "data" / "cadastre-derived-from-edigeo"


def test_built_footprint_of_a_site_drawn_from_parcels(client, session, admin):
    import_cadastre(session, [EDIGEO])
    session.commit()
    # The Cornillon-Confoux (13029) parcel under the most building area.
    idu, expected = session.execute(
        text(
            "SELECT p.idu, sum(ST_Area(ST_Transform(ST_Intersection(b.geom, p.geom), 2154))) "
            "FROM parcel p JOIN building b ON ST_Intersects(b.geom, p.geom) "
            "WHERE p.commune = '13029' GROUP BY p.idu ORDER BY 2 DESC LIMIT 1"
        )
    ).one()
    r = client.post(
        "/api/v1/sites/from-parcels",
        headers=admin,
        json={"parcels": [idu], "properties": {"kind": "serviced_plot", "site_nom": "Lot bâti"}},
    )
    assert r.status_code == 201, r.text
    resp = client.get(f"/api/v1/sites/{r.json()['id']}/buildings", headers=admin)
    body = resp.json()
    assert resp.status_code == 200, body
    assert body["buildings"] >= 1
    assert abs(body["built_footprint_m2"] - expected) < 1.0
    assert body["built_footprint_m2"] == body["hard_buildings_m2"] + body["light_buildings_m2"]


def test_a_site_without_buildings_loaded_has_none(client):
    body = client.get("/api/v1/sites/08105_09/buildings").json()
    assert body == {
        "site_id": "08105_09",
        "buildings": 0,
        "built_footprint_m2": 0.0,
        "hard_buildings_m2": 0.0,
        "light_buildings_m2": 0.0,
    }
