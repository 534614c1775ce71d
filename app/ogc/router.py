"""Routes of the OGC API under ``/ogc`` (thin: parse, call the service, answer).

Every route answers GET and HEAD, negotiates JSON or HTML, and sends a weak ``ETag`` (a hash of
the body) with ``Cache-Control``; ``If-None-Match`` gets a 304. Large bodies are gzip-compressed
here at a fast level (the application's middleware, at level 9, would cost more than the query).
"""

import zlib
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import psycopg
import xxhash
from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from psycopg_pool import ConnectionPool

from app.ogc import html, openapi, service, tiles
from app.ogc.collections import Collection
from app.ogc.dependencies import (
    ItemsQuery,
    check_known,
    output_format,
    parse_crs,
    parse_items_query,
)
from app.ogc.errors import NotFound
from app.ogc.repository import Connection

router = APIRouter(prefix="/ogc", include_in_schema=False)
GET = ["GET", "HEAD"]
#: Above this size the body is compressed here (level 1) rather than by the middleware (level 9).
FAST_GZIP_FROM = 256 * 1024
DOC_MAX_AGE = 3600


T = TypeVar("T")


def read(request: Request, query: Callable[[Connection], T]) -> T:
    """Run ``query`` on a connection for one read-only request, in the endpoint's own thread.

    The OGC layer never writes, so it skips the commit-or-rollback dependency (``SessionDep``),
    whose setup and teardown each cost a thread hop. In production the connection comes from
    the read pool (``app.main.lifespan``): autocommit psycopg, no session, no ping, no
    BEGIN/ROLLBACK around the one statement. A pooled connection found dead (the server
    restarted) is replaced and the query run again: it only reads. Tests inject only
    ``sessionmaker``, bound to their rolled-back transaction, whose connection is used instead.
    """
    pool: ConnectionPool | None = getattr(request.app.state, "read_pool", None)
    if pool is None:
        with request.app.state.sessionmaker() as session:
            return query(session.connection().connection.dbapi_connection)
    with pool.connection() as conn:
        try:
            return query(conn)
        except psycopg.OperationalError:
            if not conn.broken:
                raise
    pool.check()  # the others may be dead too: replace them before trying again
    with pool.connection() as conn:
        return query(conn)


def base_url(request: Request) -> str:
    """Return the absolute URL of ``/ogc`` for this request."""
    return str(request.base_url).rstrip("/") + "/ogc"


def _extent_cache(request: Request) -> dict[str, Any]:
    cache = getattr(request.app.state, "ogc_extents", None)
    if cache is None:
        cache = {}
        request.app.state.ogc_extents = cache
    return cache


def respond(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    max_age: int,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Answer with ETag, Cache-Control, conditional GET, HEAD and fast gzip for large bodies."""
    etag = f'W/"{xxhash.xxh3_64_hexdigest(body)}"'
    out = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept",
        **(headers or {}),
    }
    match = request.headers.get("if-none-match")
    if match and (match.strip() == "*" or etag in [m.strip() for m in match.split(",")]):
        return Response(status_code=304, headers=out)
    if len(body) >= FAST_GZIP_FROM and "gzip" in request.headers.get("accept-encoding", ""):
        compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        body = compressor.compress(body) + compressor.flush()
        out["Content-Encoding"] = "gzip"
        out["Vary"] = "Accept, Accept-Encoding"
    if request.method == "HEAD":
        out["Content-Length"] = str(len(body))
        return Response(status_code=status_code, media_type=media_type, headers=out)
    return Response(body, status_code=status_code, media_type=media_type, headers=out)


def _doc(
    request: Request, doc: dict[str, Any], title: str, *, media: str, max_age: int
) -> Response:
    if output_format(request) == "html":
        return respond(request, html.document(title, doc).encode(), service.HTML, max_age=max_age)
    return respond(request, orjson.dumps(doc), media, max_age=max_age)


def _plain(request: Request) -> None:
    check_known(request, {"f"})


@router.api_route("", methods=GET)
@router.api_route("/", methods=GET)
def landing(request: Request) -> Response:
    """Landing page: links to the API definition, conformance and collections."""
    _plain(request)
    doc = service.landing(base_url(request))
    return _doc(request, doc, "Foncier — OGC API", media=service.JSON, max_age=DOC_MAX_AGE)


@router.api_route("/conformance", methods=GET)
def conformance(request: Request) -> Response:
    """The conformance classes implemented."""
    _plain(request)
    doc = service.conformance()
    doc["links"] = [service.link(base_url(request) + "/conformance", "self", service.JSON)]
    return _doc(request, doc, "Conformance", media=service.JSON, max_age=DOC_MAX_AGE)


@router.api_route("/api", methods=GET)
def api(request: Request) -> Response:
    """The OpenAPI 3.0 document of this API (HTML: Swagger UI)."""
    _plain(request)
    if output_format(request) == "html":
        return api_html(request)
    body = orjson.dumps(openapi.document(base_url(request)))
    return respond(request, body, service.OPENAPI, max_age=DOC_MAX_AGE)


@router.api_route("/api.html", methods=GET)
def api_html(request: Request) -> Response:
    """The API documentation (Swagger UI over ``/ogc/api``)."""
    page = get_swagger_ui_html(
        openapi_url=base_url(request) + "/api?f=json", title="Foncier OGC API"
    )
    return respond(request, bytes(page.body), service.HTML, max_age=DOC_MAX_AGE)


@router.api_route("/collections", methods=GET)
def collections(request: Request) -> Response:
    """The collections, with their extents and CRS."""
    _plain(request)
    doc = read(
        request,
        lambda conn: service.collections_doc(conn, base_url(request), _extent_cache(request)),
    )
    return _doc(request, doc, "Collections", media=service.JSON, max_age=60)


@router.api_route("/collections/{collection_id}", methods=GET)
def collection(request: Request, collection_id: str) -> Response:
    """One collection."""
    _plain(request)
    coll = service.get_collection(collection_id)
    doc = read(
        request,
        lambda conn: service.collection_doc(conn, coll, base_url(request), _extent_cache(request)),
    )
    return _doc(request, doc, coll.title, media=service.JSON, max_age=60)


def _schema(
    request: Request,
    collection_id: str,
    build: Callable[[Collection, str], dict[str, Any]],
    title: str,
) -> Response:
    """A JSON Schema document of a collection, built by ``build(collection, base)``."""
    _plain(request)
    coll = service.get_collection(collection_id)
    doc = build(coll, base_url(request))
    return _doc(
        request, doc, f"{title} of {coll.id}", media=service.SCHEMA_JSON, max_age=DOC_MAX_AGE
    )


@router.api_route("/collections/{collection_id}/queryables", methods=GET)
def queryables(request: Request, collection_id: str) -> Response:
    """The properties a filter may use (JSON Schema)."""

    def build(coll: Collection, base: str) -> dict[str, Any]:
        return service.queryables(coll, base) | {"links": []}

    return _schema(request, collection_id, build, "Queryables")


@router.api_route("/collections/{collection_id}/schema", methods=GET)
def schema(request: Request, collection_id: str) -> Response:
    """The schema of the features (JSON Schema)."""
    return _schema(request, collection_id, service.schema, "Schema")


@router.api_route("/collections/{collection_id}/feature-schema", methods=GET)
def feature_schema(request: Request, collection_id: str) -> Response:
    """The schema of one GeoJSON Feature (JSON Schema; the collection's ``describedBy``)."""
    return _schema(request, collection_id, service.feature_schema, "Feature schema")


def _crs_header(q: ItemsQuery) -> dict[str, str]:
    return {"Content-Crs": f"<{q.crs.uri}>"}


@router.api_route("/collections/{collection_id}/items", methods=GET)
def items(request: Request, collection_id: str) -> Response:
    """One page of features (GeoJSON), filtered and keyset-paged."""
    coll = service.get_collection(collection_id)
    q = parse_items_query(request, coll)
    body, _ = read(
        request,
        lambda conn: service.items_body(
            conn,
            coll,
            q,
            self_url=str(request.url),
            base=base_url(request),
            query=list(request.query_params.multi_items()),
        ),
    )
    if q.format == "html":
        page = html.features(f"{coll.title}: features", orjson.loads(body))
        return respond(request, page.encode(), service.HTML, max_age=coll.max_age)
    return respond(request, body, service.GEOJSON, max_age=coll.max_age, headers=_crs_header(q))


@router.api_route("/collections/{collection_id}/items/{feature_id}", methods=GET)
def item(request: Request, collection_id: str, feature_id: str) -> Response:
    """One feature (GeoJSON)."""
    coll = service.get_collection(collection_id)
    check_known(request, {"f", "crs"})
    q = ItemsQuery(format=output_format(request))
    raw = request.query_params.get("crs")
    if raw is not None:
        q.crs = parse_crs(raw, "crs")
    body = read(
        request,
        lambda conn: service.feature_body(conn, coll, feature_id, q, base=base_url(request)),
    )
    if q.format == "html":
        page = html.features(f"{coll.id} {feature_id}", orjson.loads(body))
        return respond(request, page.encode(), service.HTML, max_age=coll.max_age)
    return respond(request, body, service.GEOJSON, max_age=coll.max_age, headers=_crs_header(q))


@router.api_route("/tileMatrixSets", methods=GET)
def tile_matrix_sets(request: Request) -> Response:
    """The tile matrix sets offered (WebMercatorQuad)."""
    _plain(request)
    base = base_url(request)
    doc = {
        "tileMatrixSets": [
            {
                "id": tiles.TMS_ID,
                "title": "Google Maps Compatible for the World",
                "uri": tiles.TMS_URI,
                "links": [
                    service.link(f"{base}/tileMatrixSets/{tiles.TMS_ID}", "self", service.JSON)
                ],
            }
        ],
        "links": [service.link(f"{base}/tileMatrixSets", "self", service.JSON)],
    }
    return _doc(request, doc, "Tile matrix sets", media=service.JSON, max_age=DOC_MAX_AGE)


def _tms(tms_id: str) -> None:
    if tms_id != tiles.TMS_ID:
        raise NotFound(f"no tile matrix set {tms_id!r}; use {tiles.TMS_ID}")


@router.api_route("/tileMatrixSets/{tms_id}", methods=GET)
def tile_matrix_set(request: Request, tms_id: str) -> Response:
    """The definition of WebMercatorQuad."""
    _plain(request)
    _tms(tms_id)
    return _doc(request, tiles.tile_matrix_set(), tiles.TMS_ID, media=service.JSON, max_age=86400)


@router.api_route("/collections/{collection_id}/tiles", methods=GET)
def tilesets(request: Request, collection_id: str) -> Response:
    """The vector tilesets of a collection."""
    _plain(request)
    coll = service.get_collection(collection_id)
    doc = service.tilesets(coll, base_url(request))
    doc["links"] = []
    return _doc(request, doc, f"Tilesets of {coll.id}", media=service.JSON, max_age=DOC_MAX_AGE)


@router.api_route("/collections/{collection_id}/tiles/{tms_id}", methods=GET)
def tileset(request: Request, collection_id: str, tms_id: str) -> Response:
    """The collection's WebMercatorQuad tileset."""
    _plain(request)
    coll = service.get_collection(collection_id)
    _tms(tms_id)
    doc = service.tileset(coll, base_url(request))
    return _doc(request, doc, doc["title"], media=service.JSON, max_age=DOC_MAX_AGE)


@router.api_route("/collections/{collection_id}/tiles/{tms_id}/tilejson.json", methods=GET)
def tilejson(request: Request, collection_id: str, tms_id: str) -> Response:
    """TileJSON 3.0 of the collection's vector tiles (MapLibre, OpenLayers, QGIS)."""
    _plain(request)
    coll = service.get_collection(collection_id)
    _tms(tms_id)
    doc = read(
        request,
        lambda conn: service.tilejson(conn, coll, base_url(request), _extent_cache(request)),
    )
    return respond(request, orjson.dumps(doc), service.JSON, max_age=coll.max_age)


def _tile_index(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise NotFound(f"{name}: {raw!r} is not a tile index") from None


@router.api_route("/collections/{collection_id}/tiles/{tms_id}/{z}/{x}/{y}", methods=GET)
def tile(request: Request, collection_id: str, tms_id: str, z: str, x: str, y: str) -> Response:
    """One Mapbox Vector Tile (z/x/y); 204 when no feature falls in it."""
    _plain(request)
    coll = service.get_collection(collection_id)
    _tms(tms_id)
    index = _tile_index(z, "z"), _tile_index(x, "x"), _tile_index(y.split(".")[0], "y")
    body = read(request, lambda conn: service.tile(conn, coll, *index))
    if not body:
        return Response(
            status_code=204,
            headers={"Cache-Control": f"public, max-age={coll.max_age}"},
        )
    return respond(request, body, tiles.MVT, max_age=coll.max_age)
