"""GET /api/v1/parcels: the demo cadastre (Épinay-sur-Orge, Paris 18e, Marigné-Laillé)."""


def test_parcels_of_a_commune_with_counts(client):
    body = client.get("/api/v1/parcels", params={"commune": "91216", "limit": 10}).json()
    assert body["numberMatched"] == 4241
    assert body["numberReturned"] == 10
    assert any(link["rel"] == "next" for link in body["links"])
    feature = body["features"][0]
    assert feature["id"].startswith("91216")
    assert feature["properties"]["section"] == feature["id"][8:10]
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_parcel_by_idu_and_its_area_in_lambert93(client):
    r = client.get("/api/v1/parcels/91216000AB0037")
    assert r.status_code == 200
    props = r.json()["properties"]
    assert props["idu"] == "91216000AB0037"
    assert props["contenance"] > 0
    assert abs(props["area_m2"] - props["contenance"]) / props["contenance"] < 0.1


def test_parcel_at_a_point(client):
    feature = client.get("/api/v1/parcels/91216000AB0037").json()
    from shapely.geometry import shape

    point = shape(feature["geometry"]).representative_point()
    body = client.get("/api/v1/parcels", params={"lon": point.x, "lat": point.y}).json()
    assert [f["id"] for f in body["features"]] == ["91216000AB0037"]


def test_parcels_in_a_bbox(client):
    body = client.get("/api/v1/parcels", params={"bbox": "2.32,48.67,2.33,48.68"}).json()
    assert body["numberMatched"] > 0
    assert all(f["id"].startswith("91216") for f in body["features"])


def test_parcel_errors_name_the_field(client):
    assert client.get("/api/v1/parcels/91216000ZZ9999").status_code == 404
    r = client.get("/api/v1/parcels/9121600")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "idu"
    r = client.get("/api/v1/parcels")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "commune"
    r = client.get("/api/v1/parcels", params={"lon": 2.3})
    assert r.json()["errors"][0]["field"] == "lat"
