"""POST /api/v1/sites: registration with validation and territory scoping."""

import pytest
from sqlalchemy import func, select

from app.models import Site, SiteChange, SiteParcel
from tests.factories import site_feature


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Site))


def test_staff_registers_a_friche_in_their_epci(client, session, staff):
    payload = site_feature(
        site_statut="friche sans projet",
        terr_m2_prix=12.5,
        unite_fonciere_refcad="08105000AB0001|08105000AB0002",
    )
    r = client.post("/api/v1/sites", json=payload, headers=staff)
    assert r.status_code == 201, r.text
    body = r.json()
    site_id = body["id"]
    assert site_id.startswith("08105_FON")
    assert r.headers["location"].endswith(f"/api/v1/sites/{site_id}")
    assert r.headers["etag"] == '"1"'
    props = body["properties"]
    assert props["epci_siren"] == "200041630"
    assert props["comm_nom"] == "Charleville-Mézières"
    assert props["published"] is False
    assert props["urba_zaer"] == "inconnu"
    assert props["terr_m2_prix"] == 12.5
    # 0.00139° × 0.0009° at 49.77°N ≈ 100 m × 100 m, measured in Lambert-93.
    assert 9_500 < props["area_m2"] < 10_500
    site = session.scalars(select(Site).where(Site.site_id == site_id)).one()
    links = session.scalars(select(SiteParcel.idu).where(SiteParcel.site_pk == site.id)).all()
    assert sorted(links) == ["08105000AB0001", "08105000AB0002"]
    change = session.scalars(select(SiteChange).where(SiteChange.site_pk == site.id)).one()
    assert change.action == "create"
    assert change.actor.startswith("territory_staff:200041630")
    assert change.after["site_nom"] == "Ancienne fonderie de test"


def test_given_site_id_is_kept_and_duplicates_are_409(client, admin):
    payload = {**site_feature(), "id": "08105_ZI-NORD-3"}
    assert client.post("/api/v1/sites", json=payload, headers=admin).status_code == 201
    again = client.post("/api/v1/sites", json=payload, headers=admin)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "id"


def test_a_turnkey_site_with_industry_utilities(client, admin):
    payload = site_feature(
        kind="turnkey",
        site_type=None,
        power_mw=12,
        water_m3_day=800,
        reseau_gaz="oui",
        reseau_fret_ferroviaire="oui",
        autoroute_echang_dist=3.5,
        terr_cle_en_main="oui",
        available_from="2027-03-01",
        published=True,
    )
    payload["properties"].pop("site_type")
    r = client.post("/api/v1/sites", json=payload, headers=admin)
    assert r.status_code == 201, r.text
    props = client.get(f"/api/v1/sites/{r.json()['id']}").json()["properties"]
    assert props["kind"] == "turnkey"
    assert props["power_mw"] == 12
    assert props["reseau_fret_ferroviaire"] == "oui"
    assert props["available_from"] == "2027-03-01"
    assert "terr_m2_prix" not in props


def test_typographic_apostrophes_in_enumerations_are_accepted(client, admin):
    r = client.post(
        "/api/v1/sites", json=site_feature(site_type="friche d\u2019habitat"), headers=admin
    )
    assert r.status_code == 201
    assert r.json()["properties"]["site_type"] == "friche d'habitat"


@pytest.mark.parametrize(
    ("props", "field", "allowed"),
    [
        ({"site_type": "friche lunaire"}, "properties.site_type", "friche industrielle"),
        ({"kind": "castle"}, "properties.kind", "turnkey"),
        ({"site_statut": "abandonnée"}, "properties.site_statut", "friche sans projet"),
        ({"reseau_gaz": "yes"}, "properties.reseau_gaz", "oui"),
    ],
)
def test_unknown_enumeration_values_name_the_field_and_allowed_values(
    client, session, admin, props, field, allowed
):
    before = _count(session)
    r = client.post("/api/v1/sites", json=site_feature(**props), headers=admin)
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == field
    assert allowed in error["allowed"]
    assert _count(session) == before


@pytest.mark.parametrize(
    ("props", "field", "reason"),
    [
        ({"comm_insee": "8105"}, "properties.comm_insee", "pattern"),
        ({"comm_insee": "99999"}, "properties.comm_insee", "not a commune"),
        ({"unite_fonciere_refcad": "08105000AB01"}, "properties.unite_fonciere_refcad", "IDU"),
        ({"proprio_type": "P5a|owner"}, "properties.proprio_type", "catpro3"),
        ({"bati_surface": -3}, "properties.bati_surface", "greater than or equal"),
        ({"colour": "red"}, "properties.colour", "not permitted"),
        ({"site_nom": None}, "properties.site_nom", "required"),
        ({"site_type": None}, "properties.site_type", "required"),
    ],
)
def test_malformed_properties_are_422_naming_the_field(
    client, session, admin, props, field, reason
):
    before = _count(session)
    r = client.post("/api/v1/sites", json=site_feature(**props), headers=admin)
    assert r.status_code == 422, r.text
    error = next(e for e in r.json()["errors"] if e["field"] == field)
    assert reason in error["reason"]
    assert _count(session) == before


def test_malformed_site_id_is_422(client, admin):
    r = client.post("/api/v1/sites", json={**site_feature(), "id": "hello world"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "id"


def test_geometry_far_from_the_declared_commune_is_422(client, admin):
    # The Charleville square declared in Rethel (08362), 40 km away.
    r = client.post("/api/v1/sites", json=site_feature(comm_insee="08362"), headers=admin)
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "properties.comm_insee"
    assert "km from commune Rethel" in error["reason"]


def test_importers_may_register_a_point_only_site_flagged_approximate(session):
    from app.auth.service import Principal
    from app.sites import service
    from app.sites.schemas import SiteCreate

    feature = SiteCreate.model_validate(
        site_feature(geometry={"type": "Point", "coordinates": [4.7207, 49.77045]})
    )
    importer = Principal(role="admin", label="test importer")
    site = service.create_site(session, importer, feature, allow_point=True)
    assert site.geom is None
    assert site.geom_approximate is True
    assert site.area_m2 is None
    text = service.feature_text(session, importer, site)
    assert '"type" : "Point"' in text or '"type":"Point"' in text


def test_the_api_refuses_point_sites(client, admin):
    r = client.post(
        "/api/v1/sites",
        json=site_feature(geometry={"type": "Point", "coordinates": [4.72, 49.77]}),
        headers=admin,
    )
    assert r.status_code == 422
