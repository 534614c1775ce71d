"""The dossier: GET/PUT /api/v1/sites/{site_id}/procedures/{code}."""

SITE = "08105_09"


def test_dossier_lists_every_procedure_with_unknown_status(client):
    r = client.get(f"/api/v1/sites/{SITE}/procedures")
    assert r.status_code == 200
    codes = [p["code"] for p in r.json()]
    assert codes[:3] == ["P1", "P2", "P3"] and "P7a" in codes and codes[-1] == "P12"
    assert all(p["status"] is None for p in r.json())


def test_put_creates_then_replaces_an_entry(client, staff):
    body = {
        "status": "done",
        "started_on": "2024-01-10",
        "completed_on": "2024-06-30",
        "document_ref": "Arrêté 2024-118",
        "document_url": "https://example.org/p4.pdf",
        "valid_until": "2029-06-30",
    }
    r = client.put(f"/api/v1/sites/{SITE}/procedures/P4", json=body, headers=staff)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "done"
    assert r.json()["name"].startswith("preventive archaeology")
    r = client.put(
        f"/api/v1/sites/{SITE}/procedures/P4",
        json={**body, "notes": "diagnostic négatif"},
        headers=staff,
    )
    assert r.status_code == 200
    got = client.get(f"/api/v1/sites/{SITE}/procedures/P4").json()
    assert got["notes"] == "diagnostic négatif"
    assert got["completed_on"] == "2024-06-30"
    last = client.get(f"/api/v1/sites/{SITE}/history", headers=staff).json()[-1]
    assert last["action"] == "procedure"
    assert last["after"]["P4"]["notes"] == "diagnostic négatif"


def test_unknown_code_is_404_with_the_known_codes(client, staff):
    r = client.put(f"/api/v1/sites/{SITE}/procedures/P99", json={"status": "todo"}, headers=staff)
    assert r.status_code == 404
    assert "P6" in r.json()["errors"][0]["allowed"]


def test_unknown_status_is_422_with_the_allowed_values(client, staff):
    r = client.put(f"/api/v1/sites/{SITE}/procedures/P6", json={"status": "maybe"}, headers=staff)
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "status"
    assert error["allowed"] == ["done", "in_progress", "todo", "not_needed"]


def test_inconsistent_dates_are_422(client, staff):
    r = client.put(
        f"/api/v1/sites/{SITE}/procedures/P6",
        headers=staff,
        json={"status": "done", "started_on": "2024-05-01", "completed_on": "2024-01-01"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "completed_on"
    assert client.get(f"/api/v1/sites/{SITE}/procedures/P6").json()["status"] is None


def test_dossier_writes_are_territory_scoped(client, other_staff, investor):
    assert (
        client.put(f"/api/v1/sites/{SITE}/procedures/P6", json={"status": "todo"}).status_code
        == 401
    )
    assert (
        client.put(
            f"/api/v1/sites/{SITE}/procedures/P6", json={"status": "todo"}, headers=investor
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/v1/sites/{SITE}/procedures/P6", json={"status": "todo"}, headers=other_staff
        ).status_code
        == 403
    )
