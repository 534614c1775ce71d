"""The read pool of a real server (``app.main.lifespan``): autocommit psycopg connections without a
session. The in-process tests read on their session's connection instead; both must answer the
same bytes and headers, and a pooled connection the server lost must not fail a request."""

import urllib.error
import urllib.request

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.db.session import READ_POOL_NAME

#: Sites tiles of the Ardennes demo (Charleville-Mézières), an empty one, and an EPCI tile.
SITE_Z12 = "/collections/sites/tiles/WebMercatorQuad/12/2101/1393"
SITE_Z8 = "/collections/sites/tiles/WebMercatorQuad/8/131/87"
EMPTY = "/collections/sites/tiles/WebMercatorQuad/12/0/0"
EPCI_Z6 = "/collections/epci/tiles/WebMercatorQuad/6/32/22"


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _lower(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers), error.read()


def _lower(headers: object) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", [SITE_Z12, SITE_Z8, EPCI_Z6])
def test_pooled_tiles_equal_the_in_process_ones_byte_for_byte(
    live_server: str, client: TestClient, path: str
) -> None:
    status, headers, body = _get(live_server + path)
    local = client.get("/ogc" + path, headers={"Accept-Encoding": "identity"})
    assert status == local.status_code == 200
    assert body == local.content and len(body) > 100
    assert headers["content-type"] == local.headers["content-type"]
    assert headers["etag"] == local.headers["etag"]
    assert headers["cache-control"] == local.headers["cache-control"]


def test_pooled_tiles_answer_304_204_and_404(live_server: str) -> None:
    status, headers, _ = _get(live_server + SITE_Z12)
    assert status == 200 and headers["cache-control"] == "public, max-age=60"
    status, again, body = _get(live_server + SITE_Z12, **{"If-None-Match": headers["etag"]})
    assert (status, body, again["etag"]) == (304, b"", headers["etag"])
    status, headers, body = _get(live_server + EMPTY)
    assert (status, body, headers["cache-control"]) == (204, b"", "public, max-age=60")
    assert _get(live_server + "/collections/sites/tiles/WebMercatorQuad/2/9/0")[0] == 404
    assert _get(live_server + "/collections/sites/tiles/WebMercatorQuad/x/0/0")[0] == 404


def test_pooled_pages_and_documents_equal_the_in_process_ones(
    live_server: str, client: TestClient
) -> None:
    for path in ("/collections/sites/items?limit=5", "/collections/regions"):
        status, _, body = _get(live_server + path)
        local = client.get("/ogc" + path)
        assert status == local.status_code == 200
        pooled, here = orjson.loads(body), local.json()
        for doc in (pooled, here):
            doc.pop("timeStamp", None)
        assert _relative(pooled, live_server) == _relative(here, "http://testserver/ogc")


def test_a_request_survives_pooled_connections_the_server_lost(
    live_server: str, engine: Engine
) -> None:
    status, _, before = _get(live_server + SITE_Z12)
    assert status == 200
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": READ_POOL_NAME},
        ).scalar_one()
    assert killed >= 1
    status, _, after = _get(live_server + SITE_Z12)
    assert status == 200 and after == before
    assert _get(live_server + "/collections/sites/items?limit=1")[0] == 200


def _relative(doc: object, base: str) -> object:
    """The document with its absolute links made relative to ``base``."""
    if isinstance(doc, dict):
        return {k: _relative(v, base) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_relative(v, base) for v in doc]
    if isinstance(doc, str):
        return doc.replace(base, "")
    return doc
