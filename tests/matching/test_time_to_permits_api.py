"""GET /api/v1/sites/{site_id}/time-to-permits: the estimator over a site's stored dossier."""

SITE = "08105_09"


def _dossier(client, headers, **statuses):
    for code, status in statuses.items():
        r = client.put(
            f"/api/v1/sites/{SITE}/procedures/{code}", json={"status": status}, headers=headers
        )
        assert r.status_code in (200, 201), r.text


def test_turnkey_site_gives_the_domain_figures(client, staff):
    # Everything done but the environmental authorisation, the building permit and their purges.
    _dossier(
        client,
        staff,
        P1="not_needed",
        P2="done",
        P3="done",
        P4="done",
        P5="not_needed",
        P8="not_needed",
        P6="todo",
        P11="todo",
        P9="todo",
        P10="todo",
    )
    r = client.get(f"/api/v1/sites/{SITE}/time-to-permits", params={"icpe": "autorisation"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["months"] == {"min": 7.75, "typical": 11.0, "max": 21.0}
    assert body["critical_path"] == ["P6", "P11"]
    assert {p["code"] for p in body["remaining"]} == {"P6", "P9", "P10", "P11"}


def test_grid_connection_is_a_works_delay(client, staff):
    _dossier(client, staff, P4="done")
    r = client.get(
        f"/api/v1/sites/{SITE}/time-to-permits",
        params={"icpe": "declaration", "grid_min": 6, "grid_typical": 12, "grid_max": 18},
    )
    body = r.json()
    assert [w["code"] for w in body["works_delays"]] == ["P12"]
    assert "P12" not in body["critical_path"]


def test_bad_parameters_are_422(client):
    r = client.get(f"/api/v1/sites/{SITE}/time-to-permits", params={"icpe": "maybe"})
    assert r.status_code == 422
    assert "autorisation" in r.json()["errors"][0]["allowed"]
    r = client.get(f"/api/v1/sites/{SITE}/time-to-permits", params={"grid_min": 3})
    assert r.status_code == 422
    assert client.get("/api/v1/sites/08105_NOPE/time-to-permits").status_code == 404
