"""POST /api/v1/sites/from-parcels: a site drawn from cadastre parcels (Épinay-sur-Orge)."""

from sqlalchemy import text

PARCELS = ["91216000AB0037", "91216000AB0038", "91216000AB0039"]


def test_site_from_three_parcels_is_their_union(client, session, saclay_staff):
    expected = session.execute(
        text("SELECT sum(ST_Area(ST_Transform(geom, 2154))) FROM parcel WHERE idu = ANY(:i)"),
        {"i": PARCELS},
    ).scalar()
    assert expected and expected > 0, "the demo cadastre of 91216 is loaded"
    r = client.post(
        "/api/v1/sites/from-parcels",
        headers=saclay_staff,
        json={
            "parcels": PARCELS,
            "properties": {"kind": "serviced_plot", "site_nom": "Lot AB 37-39"},
        },
    )
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["comm_insee"] == "91216"
    assert props["epci_siren"] == "200056232"
    assert props["unite_fonciere_refcad"] == "|".join(sorted(PARCELS))
    assert abs(props["area_m2"] - expected) / expected < 0.001


def test_unknown_parcels_are_listed(client, saclay_staff):
    r = client.post(
        "/api/v1/sites/from-parcels",
        headers=saclay_staff,
        json={
            "parcels": [PARCELS[0], "91216000ZZ9999"],
            "properties": {"kind": "serviced_plot", "site_nom": "Lot"},
        },
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors == [
        {"field": "parcels", "reason": "parcel 91216000ZZ9999 is not in the cadastre loaded here"}
    ]


def test_malformed_idu_is_422(client, saclay_staff):
    r = client.post(
        "/api/v1/sites/from-parcels",
        headers=saclay_staff,
        json={
            "parcels": ["91216-AB-37"],
            "properties": {"kind": "serviced_plot", "site_nom": "Lot"},
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "parcels.0"


def test_staff_of_another_epci_cannot_draw_from_these_parcels(client, staff):
    r = client.post(
        "/api/v1/sites/from-parcels",
        headers=staff,
        json={"parcels": PARCELS, "properties": {"kind": "serviced_plot", "site_nom": "Lot"}},
    )
    assert r.status_code == 403
