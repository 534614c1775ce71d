def test_health_reports_database_and_postgis_versions(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"].startswith("PostgreSQL ")
    assert body["postgis"][0].isdigit()
    assert body["schema_revision"]


def test_openapi_and_docs_are_served(client):
    spec = client.get("/openapi.json").json()
    assert "/api/v1/sites" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert client.get("/docs").status_code == 200
    assert "Foncier" in client.get("/").text


def test_oversized_body_is_refused_with_413(client, admin):
    big = b"{" + b" " * (17 * 1024 * 1024) + b"}"
    r = client.post(
        "/api/v1/sites", content=big, headers={**admin, "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["errors"][0]["field"] == "body"
