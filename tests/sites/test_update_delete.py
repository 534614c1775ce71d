"""PATCH (merge patch with If-Match), DELETE (soft) and the history of a site."""

from tests.factories import CHARLEVILLE_SQUARE, polygon

MERGE = {"Content-Type": "application/merge-patch+json"}
# A published "friche sans projet" of Charleville-Mézières (CA Ardenne Métropole).
SITE = "08105_09"


def _etag(client, site_id, headers=None):
    r = client.get(f"/api/v1/sites/{site_id}", headers=headers or {})
    assert r.status_code == 200
    return r.headers["etag"]


def test_get_returns_a_feature_with_etag_and_304_when_unchanged(client):
    r = client.get(f"/api/v1/sites/{SITE}")
    assert r.status_code == 200
    assert r.json()["type"] == "Feature" and r.json()["id"] == SITE
    tag = r.headers["etag"]
    again = client.get(f"/api/v1/sites/{SITE}", headers={"If-None-Match": tag})
    assert again.status_code == 304


def test_unknown_site_is_404(client):
    r = client.get("/api/v1/sites/08105_NOPE")
    assert r.status_code == 404
    assert r.json()["code"] == "site_not_found"


def test_patch_needs_if_match(client, staff):
    r = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"properties": {"site_statut": "friche avec projet"}},
        headers={**staff, **MERGE},
    )
    assert r.status_code == 428


def test_patch_with_current_etag_updates_and_bumps_the_version(client, staff):
    tag = _etag(client, SITE)
    r = client.patch(
        f"/api/v1/sites/{SITE}",
        json={
            "properties": {
                "site_statut": "friche avec projet",
                "power_mw": 4.5,
                "site_adresse": None,
            }
        },
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["site_statut"] == "friche avec projet"
    assert props["power_mw"] == 4.5
    assert props["site_adresse"] is None  # merge patch: null removes
    assert props["version"] == int(tag.strip('"')) + 1
    assert r.headers["etag"] != tag
    history = client.get(f"/api/v1/sites/{SITE}/history", headers=staff).json()
    last = history[-1]
    assert last["action"] == "update"
    assert last["before"]["site_statut"] == "friche sans projet"
    assert last["after"]["site_statut"] == "friche avec projet"
    assert last["after"]["power_mw"] == 4.5
    assert last["actor"].startswith("territory_staff:200041630")


def test_stale_etag_is_412_and_changes_nothing(client, staff):
    tag = _etag(client, SITE)
    ok = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"properties": {"power_mw": 1}},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"properties": {"power_mw": 99}},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert stale.status_code == 412
    assert stale.headers["etag"] == ok.headers["etag"]
    assert client.get(f"/api/v1/sites/{SITE}").json()["properties"]["power_mw"] == 1


def test_patch_geometry_recomputes_area_and_keeps_history(client, staff):
    tag = _etag(client, SITE)
    before_area = client.get(f"/api/v1/sites/{SITE}").json()["properties"]["area_m2"]
    r = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"geometry": polygon()},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    area = r.json()["properties"]["area_m2"]
    assert 9_500 < area < 10_500 != before_area
    last = client.get(f"/api/v1/sites/{SITE}/history", headers=staff).json()[-1]
    assert last["before"]["geometry"]["type"] == "MultiPolygon"
    # Stored as given, snapped to the 1e-7° grid (the ring may start at another vertex).
    stored = {tuple(p) for p in last["after"]["geometry"]["coordinates"][0][0]}
    assert stored == {tuple(p) for p in CHARLEVILLE_SQUARE[0]}


def test_staff_cannot_move_a_site_out_of_their_epci(client, staff):
    tag = _etag(client, SITE)
    rethel = [[[4.36, 49.50], [4.3614, 49.50], [4.3614, 49.5009], [4.36, 49.5009], [4.36, 49.50]]]
    r = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"geometry": polygon(rethel), "properties": {"comm_insee": "08362"}},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert r.status_code == 403
    r = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"geometry": polygon(rethel)},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert r.status_code in (403, 422)
    assert client.get(f"/api/v1/sites/{SITE}").headers["etag"] == tag


def test_required_properties_cannot_be_nulled(client, staff):
    tag = _etag(client, SITE)
    r = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"properties": {"site_nom": None}},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "properties.site_nom"


def test_soft_delete_hides_the_site_and_keeps_its_history(client, staff, admin):
    tag = _etag(client, SITE)
    r = client.delete(f"/api/v1/sites/{SITE}", headers={**staff, "If-Match": tag})
    assert r.status_code == 204
    assert client.get(f"/api/v1/sites/{SITE}").status_code == 404
    ids = {f["id"] for f in client.get("/api/v1/sites", params={"limit": 10000}).json()["features"]}
    assert SITE not in ids
    assert client.delete(f"/api/v1/sites/{SITE}", headers=admin).status_code == 404


def test_anonymous_history_hides_actors(client, staff):
    tag = _etag(client, SITE)
    client.patch(
        f"/api/v1/sites/{SITE}",
        json={"properties": {"terr_m2_prix": 30}},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    public = client.get(f"/api/v1/sites/{SITE}/history").json()
    assert public[0]["action"] == "create"
    assert all(entry["actor"] is None for entry in public)
    assert all("terr_m2_prix" not in (entry["after"] or {}) for entry in public)
    private = client.get(f"/api/v1/sites/{SITE}/history", headers=staff).json()
    assert private[-1]["after"]["terr_m2_prix"] == 30


def test_staff_geometry_reaching_outside_their_epci_is_403(client, session, staff):
    # Starts in Charleville-Mézières (so the commune check passes) and runs 40 km to Rethel,
    # in another EPCI.
    sliver = [[[4.7200, 49.7700], [4.7214, 49.7700], [4.3600, 49.5000], [4.7200, 49.7700]]]
    tag = _etag(client, SITE)
    r = client.patch(
        f"/api/v1/sites/{SITE}",
        json={"geometry": polygon(sliver)},
        headers={**staff, **MERGE, "If-Match": tag},
    )
    assert r.status_code == 403
    assert "outside your EPCI 200041630" in r.json()["message"]
    assert client.get(f"/api/v1/sites/{SITE}").headers["etag"] == tag
    from tests.factories import site_feature

    created = client.post(
        "/api/v1/sites", json=site_feature(geometry=polygon(sliver)), headers=staff
    )
    assert created.status_code == 403
