"""The core checks of the OGC API - Features Part 1 conformance suite (ETS ogcapi-features-1.0,
TEAM Engine), ported to pytest, plus the points QGIS and GDAL rely on, one test each."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.ogc.collections import COLLECTIONS
from app.ogc.service import CONFORMANCE

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"


def _links(doc: dict[str, Any], rel: str) -> list[dict[str, Any]]:
    return [lk for lk in doc["links"] if lk["rel"] == rel]


# --- ETS: /conf/core/root-op, root-success -------------------------------------------------


def test_landing_page_links_service_desc_doc_conformance_data(client: TestClient) -> None:
    response = client.get("/ogc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    rels = {lk["rel"]: lk for lk in doc["links"]}
    for rel in ("self", "service-desc", "service-doc", "conformance", "data"):
        assert rel in rels, rel
    assert rels["service-desc"]["type"] == OPENAPI
    assert rels["service-desc"]["href"].endswith("/ogc/api")
    assert rels["data"]["href"].endswith("/ogc/collections")
    # Every link the landing page gives is served.
    for lk in doc["links"]:
        path = lk["href"].split("testserver", 1)[1]
        assert client.get(path).status_code == 200, path


# --- ETS: /conf/core/api-definition-op, api-definition-success -------------------------------


def test_api_definition_is_openapi_3_with_its_media_type(client: TestClient) -> None:
    response = client.get("/ogc/api")
    assert response.status_code == 200
    assert response.headers["content-type"] == OPENAPI
    doc = response.json()
    assert doc["openapi"].startswith("3.0")
    assert "/collections/{collectionId}" in doc["paths"]
    for cid in COLLECTIONS:
        assert f"/collections/{cid}/items" in doc["paths"]


def test_limit_is_declared_in_components_parameters_with_default_and_maximum(
    client: TestClient,
) -> None:
    """QGIS and GDAL take their page size only from components.parameters.limit."""
    doc = client.get("/ogc/api").json()
    limit = doc["components"]["parameters"]["limit"]
    assert limit["name"] == "limit" and limit["in"] == "query"
    assert limit["schema"]["default"] == 10
    assert limit["schema"]["maximum"] == 10_000
    params = doc["paths"]["/collections/sites/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/limit"} in params


def _gdal_page_size(doc: dict[str, Any], items_path: str, gdal_default: int = 1000) -> int:
    """GDAL's DeterminePageSizeFromAPI (ogroapifdriver.cpp, GDAL >= 3.7), ported."""
    maximum = default = -1
    for param in doc["paths"][items_path]["get"]["parameters"]:
        ref = param.get("$ref", "")
        if "limit" in ref and ref.startswith("#"):
            node: Any = doc
            for part in ref[2:].split("/"):
                node = node[part]
            maximum = node["schema"].get("maximum", -1)
            default = node["schema"].get("default", -1)
    if default > 0 and maximum > 0:
        return min(max(gdal_default, default), maximum)
    return maximum if maximum > 0 else gdal_default


def test_gdal_derives_a_page_size_of_1000_from_the_api_document(client: TestClient) -> None:
    doc = client.get("/ogc/api").json()
    for cid in COLLECTIONS:
        assert _gdal_page_size(doc, f"/collections/{cid}/items") == 1000


def test_service_doc_is_html(client: TestClient) -> None:
    response = client.get("/ogc/api.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# --- ETS: /conf/core/conformance-op, conformance-success -----------------------------------


def test_conformance_declares_core_geojson_html_oas30(client: TestClient) -> None:
    doc = client.get("/ogc/conformance").json()
    for cls in ("core", "geojson", "html", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{cls}" in doc["conformsTo"]
    assert doc["conformsTo"] == CONFORMANCE


def test_conformance_declares_all_four_filter_classes(client: TestClient) -> None:
    """Without all four, QGIS filters on the client side (it downloads everything)."""
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    for cls in (
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    ):
        assert cls in conforms, cls


def test_conformance_declares_crs(client: TestClient) -> None:
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms


# --- ETS: /conf/core/fc-md-op, fc-md-success, fc-md-links, fc-md-items ------------------------


def test_collections_have_ids_without_dots_links_extent_and_crs(client: TestClient) -> None:
    doc = client.get("/ogc/collections").json()
    assert _links(doc, "self")
    ids = [c["id"] for c in doc["collections"]]
    assert ids == list(COLLECTIONS)
    assert {
        "sites",
        "parcels",
        "epci",
        "territoires_industrie",
        "communes",
        "polluted_sites",
    } <= set(ids)
    for coll in doc["collections"]:
        assert "." not in coll["id"]
        items = [lk for lk in _links(coll, "items") if lk["type"] == GEOJSON]
        assert items and items[0]["href"].endswith(f"/collections/{coll['id']}/items")
        assert coll["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        assert coll["crs"][0] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        assert "http://www.opengis.net/def/crs/EPSG/0/2154" in coll["crs"]
        assert "http://www.opengis.net/def/crs/EPSG/0/3857" in coll["crs"]
        assert "http://www.opengis.net/def/crs/EPSG/0/4326" in coll["crs"]
        x0, y0, x1, y1 = coll["extent"]["spatial"]["bbox"][0]
        assert -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90


def test_collection_document_equals_its_entry_in_the_list(client: TestClient) -> None:
    listed = {c["id"]: c for c in client.get("/ogc/collections").json()["collections"]}
    for cid in ("sites", "parcels"):
        assert client.get(f"/ogc/collections/{cid}").json() == listed[cid]


def test_sites_have_a_temporal_extent_on_their_update_date(client: TestClient) -> None:
    coll = client.get("/ogc/collections/sites").json()
    start, end = coll["extent"]["temporal"]["interval"][0]
    assert start <= end


# --- ETS: /conf/core/fc-op, fc-response, fc-links, fc-numberMatched, fc-numberReturned -------


def test_items_are_a_geojson_feature_collection_with_counts_and_links(client: TestClient) -> None:
    response = client.get("/ogc/collections/sites/items")
    assert response.status_code == 200
    assert response.headers["content-type"] == GEOJSON
    doc = response.json()
    assert doc["type"] == "FeatureCollection"
    assert doc["numberReturned"] == len(doc["features"]) == 10  # the default limit
    assert doc["numberMatched"] > 10
    assert _links(doc, "self") and _links(doc, "next")
    assert _links(doc, "next")[0]["type"] == GEOJSON
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["id"], str)
        assert feature["geometry"]["type"] in ("Point", "MultiPolygon")
        assert feature["properties"]["site_id"] == feature["id"]


def test_every_collection_serves_items_counted(client: TestClient) -> None:
    for cid in COLLECTIONS:
        doc = client.get(f"/ogc/collections/{cid}/items", params={"limit": 3}).json()
        assert doc["numberReturned"] == len(doc["features"]) <= 3, cid
        assert doc["numberMatched"] >= doc["numberReturned"], cid


def test_limit_is_respected(client: TestClient) -> None:
    doc = client.get("/ogc/collections/sites/items", params={"limit": 25}).json()
    assert doc["numberReturned"] == 25 == len(doc["features"])


def test_limit_above_the_maximum_is_clamped_not_refused(client: TestClient) -> None:
    response = client.get("/ogc/collections/regions/items", params={"limit": 1_000_000})
    assert response.status_code == 200
    doc = response.json()
    assert doc["numberReturned"] == doc["numberMatched"] == len(doc["features"])
    sites = client.get("/ogc/collections/sites/items", params={"limit": 20_000}).json()
    assert sites["numberReturned"] == min(sites["numberMatched"], 10_000)


def test_the_last_page_has_no_next_link(client: TestClient) -> None:
    doc = client.get("/ogc/collections/regions/items", params={"limit": 1000}).json()
    assert not _links(doc, "next")


# --- ETS: /conf/core/f-op, f-success --------------------------------------------------------


def test_feature_by_id(client: TestClient) -> None:
    first = client.get("/ogc/collections/sites/items", params={"limit": 1}).json()["features"][0]
    response = client.get(f"/ogc/collections/sites/items/{first['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == GEOJSON
    feature = response.json()
    assert feature["id"] == first["id"]
    assert feature["properties"] == first["properties"]
    assert _links(feature, "self") and _links(feature, "collection")


def test_feature_by_id_in_a_partitioned_and_an_integer_keyed_collection(client: TestClient) -> None:
    for cid in ("parcels", "polluted_sites"):
        first = client.get(f"/ogc/collections/{cid}/items", params={"limit": 1}).json()
        fid = first["features"][0]["id"]
        assert client.get(f"/ogc/collections/{cid}/items/{fid}").json()["id"] == fid


def test_unknown_collection_and_feature_are_404_ogc_exceptions(client: TestClient) -> None:
    for path in (
        "/ogc/collections/nope",
        "/ogc/collections/nope/items",
        "/ogc/collections/sites/items/nope",
        "/ogc/collections/polluted_sites/items/abc",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "NotFound"
        assert response.json()["description"]


# --- ETS: /conf/core/query-param-invalid, query-param-unknown -------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": "0"},
        {"limit": "-1"},
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "0,50,1,40"},
        {"datetime": "yesterday"},
        {"datetime": "../.."},
        {"crs": "EPSG:9999"},
        {"bbox-crs": "EPSG:27572", "bbox": "1,2,3,4"},
        {"sortby": "nope"},
        {"properties": "nope"},
        {"filter": "kind = "},
        {"filter": "nope = 1"},
        {"filter": "area_m2 = 'big'"},
        {"filter-lang": "ecql"},
        {"cursor": "!!!"},
        {"area_m2": "big"},
        {"unknown": "1"},
        {"offset": "10"},
    ],
)
def test_invalid_or_unknown_parameter_is_400_with_an_ogc_exception(
    client: TestClient, params: dict[str, str]
) -> None:
    response = client.get("/ogc/collections/sites/items", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "InvalidParameterValue"
    assert body["description"]


def test_unknown_parameter_on_documents_is_400(client: TestClient) -> None:
    for path in ("/ogc", "/ogc/collections", "/ogc/conformance", "/ogc/collections/sites"):
        response = client.get(path, params={"foo": "1"})
        assert response.status_code == 400, path
        assert response.json()["code"] == "InvalidParameterValue"


def test_validation_elsewhere_keeps_the_rest_api_422(client: TestClient) -> None:
    response = client.get("/api/v1/sites", params={"limit": "abc"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


# --- HTTP: HEAD, ETag, Cache-Control, gzip, HTML ------------------------------------------


def test_head_answers_the_headers_of_get_without_a_body(client: TestClient) -> None:
    get = client.get("/ogc/collections/sites/items", params={"limit": 5})
    head = client.head("/ogc/collections/sites/items", params={"limit": 5})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["etag"] == get.headers["etag"]
    for path in (
        "/ogc",
        "/ogc/collections",
        "/ogc/collections/sites/tiles/WebMercatorQuad/5/16/11",
    ):
        assert client.head(path).status_code == 200, path


def test_etag_and_cache_control_and_304(client: TestClient) -> None:
    first = client.get("/ogc/collections/epci/items", params={"limit": 2})
    etag = first.headers["etag"]
    assert "max-age=" in first.headers["cache-control"]
    again = client.get(
        "/ogc/collections/epci/items", params={"limit": 2}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    other = client.get("/ogc/collections/epci/items", params={"limit": 3})
    assert other.headers["etag"] != etag


def test_large_pages_are_gzip_compressed(client: TestClient) -> None:
    response = client.get(
        "/ogc/collections/communes/items",
        params={"limit": 1000},
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["numberReturned"] == 1000  # the client decompressed it
    small = client.get("/ogc", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 200


def test_html_views_by_f_or_accept(client: TestClient) -> None:
    for path in (
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/sites",
        "/ogc/collections/sites/items",
        "/ogc/collections/sites/queryables",
    ):
        response = client.get(path, params={"f": "html"})
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in response.text
    browser = client.get(
        "/ogc/collections/sites/items",
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert browser.headers["content-type"].startswith("text/html")
    first = client.get("/ogc/collections/sites/items", params={"limit": 1}).json()["features"][0]
    one = client.get(f"/ogc/collections/sites/items/{first['id']}", params={"f": "html"})
    assert first["properties"]["site_nom"].split("'")[0][:20] in one.text.replace("&#x27;", "'")
    assert client.get("/ogc", params={"f": "xml"}).status_code == 406


def test_collections_are_described_by_the_schema_of_one_geojson_feature(
    client: TestClient,
) -> None:
    links = client.get("/ogc/collections/sites").json()["links"]
    (described,) = [lk for lk in links if lk["rel"] == "describedBy"]
    assert described["type"] == "application/schema+json"
    response = client.get(described["href"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["properties"]["type"]["enum"] == ["Feature"]
    props = schema["properties"]["properties"]["properties"]
    assert list(props) == [p.name for p in COLLECTIONS["sites"].props]
    assert props["area_m2"]["type"] == "number" and props["site_actu_date"]["format"] == "date"
    api = client.get("/ogc/api").json()
    assert "/collections/sites/feature-schema" in api["paths"]
