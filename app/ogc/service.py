"""The OGC documents (landing page, conformance, collections, queryables, tilesets) and the bodies
of items pages, assembled around what :mod:`app.ogc.repository` returns.

Links are absolute, made from the request's base URL, so that the service works behind any prefix.
"""

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from app.ogc import repository, tiles
from app.ogc.collections import COLLECTIONS, JSON_TYPES, Collection
from app.ogc.dependencies import CRS_LIST, ItemsQuery, encode_cursor
from app.ogc.errors import NotFound

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"

#: Every conformance class the service implements, in one list (STYLE.md §3.12); the tests check
#: each of them.
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
]

#: Seconds a collection's extent is reused before it is measured again.
EXTENT_TTL = 300.0


def link(href: str, rel: str, type_: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    """Return one link object."""
    out: dict[str, Any] = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    out.update(extra)
    return out


def get_collection(collection_id: str) -> Collection:
    """Return the collection called ``collection_id``, or raise 404."""
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(
            f"no collection {collection_id!r}; the collections are {', '.join(COLLECTIONS)}"
        )
    return found


def landing(base: str) -> dict[str, Any]:
    """Return the landing page."""
    return {
        "title": "Foncier — OGC API",
        "description": "Industrial land in France (friches, turnkey sites), cadastre parcels, "
        "territories and polluted sites, as OGC API - Features (GeoJSON, CQL2, CRS) and "
        "OGC API - Tiles (Mapbox Vector Tiles).",
        "links": [
            link(f"{base}", "self", JSON, "This document"),
            link(f"{base}?f=html", "alternate", HTML, "This document as HTML"),
            link(f"{base}/api", "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(f"{base}/api.html", "service-doc", HTML, "The API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
            link(f"{base}/collections", "data", JSON, "The collections"),
            link(
                f"{base}/tileMatrixSets",
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                JSON,
                "Tile matrix sets",
            ),
        ],
    }


def conformance() -> dict[str, Any]:
    """Return the conformance declaration."""
    return {"conformsTo": CONFORMANCE}


def _extent(
    conn: repository.Connection, collection: Collection, cache: dict[str, Any]
) -> dict[str, Any]:
    hit = cache.get(collection.id)
    if hit is not None and time.monotonic() - hit[0] < EXTENT_TTL:
        return hit[1]  # type: ignore[no-any-return]
    value = repository.extent(conn, collection)
    cache[collection.id] = (time.monotonic(), value)
    return value


def collection_doc(
    conn: repository.Connection, collection: Collection, base: str, cache: dict[str, Any]
) -> dict[str, Any]:
    """Return the description of one collection."""
    url = f"{base}/collections/{collection.id}"
    doc: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "extent": _extent(conn, collection, cache),
        "storageCrs": CRS_LIST[0].uri,
        "crs": [c.uri for c in CRS_LIST],
        "links": [
            link(url, "self", JSON, "This collection"),
            link(f"{url}?f=html", "alternate", HTML, "This collection as HTML"),
            link(f"{url}/items", "items", GEOJSON, "The features"),
            link(f"{url}/items?f=html", "items", HTML, "The features as HTML"),
            link(
                f"{url}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                "Queryable properties",
            ),
            link(
                f"{url}/schema",
                "http://www.opengis.net/def/rel/ogc/1.0/schema",
                SCHEMA_JSON,
                "Schema of the features",
            ),
            # GDAL's OAPIF driver takes its fields from this link (rel compared case-sensitively
            # by GDAL 3.6, case-insensitively by RFC 8288) instead of guessing them from the
            # first page, where a property null in every feature would become a string field.
            link(
                f"{url}/feature-schema",
                "describedBy",
                SCHEMA_JSON,
                "JSON Schema of one GeoJSON Feature",
            ),
            link(
                f"{url}/tiles",
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                JSON,
                "Vector tilesets",
            ),
        ],
    }
    if collection.datetime_prop:
        doc["x-ogc-datetime-property"] = collection.datetime_prop
    return doc


def collections_doc(
    conn: repository.Connection, base: str, cache: dict[str, Any]
) -> dict[str, Any]:
    """Return the list of collections."""
    return {
        "links": [
            link(f"{base}/collections", "self", JSON, "The collections"),
            link(f"{base}/collections?f=html", "alternate", HTML, "The collections as HTML"),
        ],
        "collections": [collection_doc(conn, c, base, cache) for c in COLLECTIONS.values()],
    }


def _property_schema(collection: Collection, name: str) -> dict[str, Any]:
    prop = collection.by_name[name]
    schema: dict[str, Any] = {"title": prop.title or name, **JSON_TYPES[prop.kind]}
    return schema


def queryables(collection: Collection, base: str) -> dict[str, Any]:
    """Return the queryables (JSON Schema) of a collection: every public property and geometry."""
    url = f"{base}/collections/{collection.id}/queryables"
    properties: dict[str, Any] = {
        "geometry": {
            "title": "Geometry",
            "format": collection.geometry_format,
            "x-ogc-role": "primary-geometry",
        }
    }
    for prop in collection.props:
        properties[prop.name] = _property_schema(collection, prop.name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": collection.title,
        "properties": properties,
        "additionalProperties": False,
    }


def schema(collection: Collection, base: str) -> dict[str, Any]:
    """Return the schema of the features (OGC API - Features Part 5 style, roles included)."""
    doc = queryables(collection, base)
    doc["$id"] = f"{base}/collections/{collection.id}/schema"
    props = doc["properties"]
    id_prop = collection.id_sql.split(".")[-1]
    if id_prop in props:
        props[id_prop]["x-ogc-role"] = "id"
    if collection.datetime_prop:
        props[collection.datetime_prop]["x-ogc-role"] = "primary-instant"
    doc.pop("additionalProperties")
    return doc


def feature_schema(collection: Collection, base: str) -> dict[str, Any]:
    """Return the JSON Schema of one GeoJSON Feature of a collection (its ``describedBy``)."""
    props = {p.name: _property_schema(collection, p.name) for p in collection.props}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/feature-schema",
        "title": f"{collection.title}: GeoJSON Feature",
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": JSON_TYPES["integer" if collection.id_kind == "integer" else "string"],
            "geometry": {"type": ["object", "null"], "format": collection.geometry_format},
            "properties": {"type": "object", "properties": props},
        },
    }


def items_body(
    conn: repository.Connection,
    collection: Collection,
    q: ItemsQuery,
    *,
    self_url: str,
    base: str,
    query: list[tuple[str, str]],
) -> tuple[bytes, repository.Page]:
    """Return the FeatureCollection of one page as bytes (the features are passed through)."""
    page = repository.items_page(conn, collection, q)
    url = f"{base}/collections/{collection.id}"
    rest = [(k, v) for k, v in query if k not in ("cursor", "f")]
    links = [
        link(self_url, "self", GEOJSON, "This page"),
        link(f"{url}/items?{urlencode([*rest, ('f', 'html')])}", "alternate", HTML, "As HTML"),
        link(url, "collection", JSON, "The collection"),
    ]
    if page.next_keys is not None:
        cursor = encode_cursor(
            {"k": page.next_keys, "n": page.matched, "s": repository.order(collection, q).signature}
        )
        links.append(
            link(
                f"{url}/items?{urlencode([*rest, ('cursor', cursor)])}",
                "next",
                GEOJSON,
                "Next page",
            )
        )
    head = orjson.dumps(
        {
            "type": "FeatureCollection",
            "numberMatched": page.matched,
            "numberReturned": page.returned,
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links,
        }
    )
    return head[:-1] + b',"features":[' + page.features + b"]}", page


def feature_body(
    conn: repository.Connection,
    collection: Collection,
    feature_id: str,
    q: ItemsQuery,
    *,
    base: str,
) -> bytes:
    """Return one Feature with its links, or raise 404."""
    body = repository.feature(conn, collection, feature_id, q.crs)
    if body is None:
        raise NotFound(f"no feature {feature_id!r} in {collection.id}")
    url = f"{base}/collections/{collection.id}"
    links = orjson.dumps(
        [
            link(f"{url}/items/{feature_id}", "self", GEOJSON, "This feature"),
            link(f"{url}/items/{feature_id}?f=html", "alternate", HTML, "As HTML"),
            link(url, "collection", JSON, "The collection"),
        ]
    )
    return body[:-1] + b',"links":' + links + b"}"


def tilesets(collection: Collection, base: str) -> dict[str, Any]:
    """Return the list of the collection's tilesets (one: WebMercatorQuad)."""
    return {"tilesets": [tileset(collection, base)]}


def tileset(collection: Collection, base: str) -> dict[str, Any]:
    """Return the description of the collection's WebMercatorQuad tileset."""
    url = f"{base}/collections/{collection.id}/tiles/{tiles.TMS_ID}"
    return {
        "title": f"{collection.title} (vector tiles)",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": tiles.TMS_URI,
        "tileMatrixSetLimits": [
            {
                "tileMatrix": str(z),
                "minTileRow": 0,
                "maxTileRow": (1 << z) - 1,
                "minTileCol": 0,
                "maxTileCol": (1 << z) - 1,
            }
            for z in range(collection.tile_minzoom, collection.tile_maxzoom + 1)
        ],
        "layers": [
            {
                "id": collection.id,
                "dataType": "vector",
                "minTileMatrix": str(collection.tile_minzoom),
                "maxTileMatrix": str(collection.tile_maxzoom),
            }
        ],
        "links": [
            link(url, "self", JSON, "This tileset"),
            link(
                f"{base}/tileMatrixSets/{tiles.TMS_ID}",
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                JSON,
                "WebMercatorQuad",
            ),
            link(f"{url}/tilejson.json", "describedby", JSON, "TileJSON"),
            link(
                f"{url}/{{tileMatrix}}/{{tileCol}}/{{tileRow}}",
                "item",
                tiles.MVT,
                "Tiles (z/x/y)",
                templated=True,
            ),
        ],
    }


def tilejson(
    conn: repository.Connection, collection: Collection, base: str, cache: dict[str, Any]
) -> dict[str, Any]:
    """Return the TileJSON of a collection."""
    spatial = _extent(conn, collection, cache).get("spatial")
    url = f"{base}/collections/{collection.id}/tiles/{tiles.TMS_ID}/{{z}}/{{x}}/{{y}}"
    return tiles.tilejson(collection, tiles_url=url, bbox=spatial["bbox"][0] if spatial else None)


def tile(conn: repository.Connection, collection: Collection, z: int, x: int, y: int) -> bytes:
    """Return one vector tile; 404 outside the tile matrix set or the collection's zooms."""
    if not (0 <= z <= tiles.MAX_ZOOM) or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
        raise NotFound(f"tile {z}/{x}/{y} is outside WebMercatorQuad")
    if not collection.tile_minzoom <= z <= collection.tile_maxzoom:
        raise NotFound(
            f"{collection.id} is tiled from zoom {collection.tile_minzoom} to "
            f"{collection.tile_maxzoom} (tileMatrixSetLimits)"
        )
    return repository.tile(
        conn,
        collection,
        bounds_3857=tiles.tile_bounds(z, x, y),
        bounds_4326=tiles.lonlat_bounds(z, x, y, margin=64 / 4096),
        simplify=tiles.simplify_tolerance(z),
    )
