"""GET /api/v1/sites: a GeoJSON FeatureCollection of what the caller may see."""

import pytest

from tests.factories import site_feature


def test_anonymous_sees_the_164_published_ardennes_friches(client):
    r = client.get("/api/v1/sites", params={"limit": 10000})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] >= 164
    assert body["numberReturned"] == len(body["features"]) >= 164
    feature = next(f for f in body["features"] if f["id"] == "08362_04")
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "MultiPolygon"
    props = feature["properties"]
    assert props["site_id"] == "08362_04"
    assert props["comm_insee"] == "08362"
    assert props["epci_siren"] == "200043156"
    assert props["kind"] == "friche"
    assert props["geompoint"].startswith("POINT(")
    assert "terr_m2_prix" not in props  # confidential
    assert "id" not in props and "geom" not in props


def test_paging_links_and_counts(client):
    first = client.get("/api/v1/sites", params={"limit": 50}).json()
    assert first["numberReturned"] == 50
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(nxt).json()
    assert second["numberMatched"] == first["numberMatched"]
    ids_1 = {f["id"] for f in first["features"]}
    ids_2 = {f["id"] for f in second["features"]}
    assert not ids_1 & ids_2
    assert any(link["rel"] == "prev" for link in second["links"])
    last = client.get(
        "/api/v1/sites", params={"limit": 50, "offset": first["numberMatched"] - 50}
    ).json()
    assert not any(link["rel"] == "next" for link in last["links"])


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"commune": "08105"}, lambda p: p["comm_insee"] == "08105"),
        ({"epci": "200043156"}, lambda p: p["epci_siren"] == "200043156"),
        ({"departement": "08"}, lambda p: p["departement_code"] == "08"),
        ({"kind": "friche"}, lambda p: p["kind"] == "friche"),
        ({"site_type": "friche ferroviaire"}, lambda p: p["site_type"] == "friche ferroviaire"),
        ({"site_statut": "friche sans projet"}, lambda p: p["site_statut"] == "friche sans projet"),
        ({"surface_min_ha": 5}, lambda p: (p["area_m2"] or 0) >= 50_000),
        ({"surface_max_ha": 0.1}, lambda p: p["area_m2"] is not None and p["area_m2"] <= 1_000),
        (
            {"surface_min_ha": 1, "surface_max_ha": 2},
            lambda p: 10_000 <= (p["area_m2"] or 0) <= 20_000,
        ),
    ],
)
def test_filters_narrow_the_list(client, params, check):
    everything = client.get("/api/v1/sites", params={"limit": 10000}).json()
    body = client.get("/api/v1/sites", params={**params, "limit": 10000}).json()
    assert body["numberMatched"] > 0
    assert all(check(f["properties"]) for f in body["features"])
    expected = sum(1 for f in everything["features"] if check(f["properties"]))
    assert body["numberMatched"] == expected


@pytest.mark.parametrize(
    "params", [{"kind": "turnkey"}, {"departement": "973"}, {"commune": "91216"}]
)
def test_filters_without_matches_return_an_empty_collection(client, params):
    body = client.get("/api/v1/sites", params=params).json()
    assert body["numberMatched"] == 0
    assert body["features"] == []


def test_bbox_filter_keeps_sites_inside(client):
    # Around Rethel (08362).
    body = client.get("/api/v1/sites", params={"bbox": "4.30,49.48,4.42,49.53"}).json()
    assert body["numberMatched"] > 0
    assert {f["properties"]["comm_insee"] for f in body["features"]} <= {
        "08362",
        "08368",
        "08008",
        "08262",
    }


def test_territoire_industrie_filter(client, session):
    from sqlalchemy import text

    ti = session.execute(
        text("SELECT territoire_id FROM territoire_industrie_epci WHERE epci_siren = '200041630'")
    ).scalar()
    assert ti, "CA Ardenne Métropole belongs to a Territoire d'industrie"
    body = client.get("/api/v1/sites", params={"territoire_industrie": ti, "limit": 10000}).json()
    assert body["numberMatched"] > 0
    members = set(
        session.execute(
            text("SELECT epci_siren FROM territoire_industrie_epci WHERE territoire_id = :t"),
            {"t": ti},
        ).scalars()
    )
    assert {f["properties"]["epci_siren"] for f in body["features"]} <= members


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "castle"}, "kind.0"),
        ({"site_type": "friche lunaire"}, "site_type.0"),
        ({"commune": "8105"}, "commune"),
        ({"epci": "12"}, "epci"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "5,50,4,49"}, "bbox"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, params, field):
    r = client.get("/api/v1/sites", params=params)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors[0]["field"] == field
    assert errors[0]["reason"]


def test_bad_enum_filter_lists_the_allowed_values(client):
    r = client.get("/api/v1/sites", params={"kind": "castle"})
    assert set(r.json()["errors"][0]["allowed"]) == {"friche", "turnkey", "serviced_plot"}


def test_drafts_are_visible_to_their_territory_and_admins_only(
    client, staff, other_staff, investor, admin
):
    created = client.post("/api/v1/sites", json=site_feature(), headers=staff)
    assert created.status_code == 201
    site_id = created.json()["id"]
    params = {"commune": "08105", "limit": 10000}

    def ids(headers):
        body = client.get("/api/v1/sites", params=params, headers=headers).json()
        return {f["id"] for f in body["features"]}

    assert site_id in ids(staff)
    assert site_id in ids(admin)
    assert site_id not in ids({})
    assert site_id not in ids(investor)
    assert site_id not in ids(other_staff)
    assert client.get(f"/api/v1/sites/{site_id}").status_code == 404
    assert client.get(f"/api/v1/sites/{site_id}", headers=other_staff).status_code == 404
    assert client.get(f"/api/v1/sites/{site_id}", headers=staff).status_code == 200
