"""The OpenAPI 3.0 document of the OGC API, written by hand because clients read it.

QGIS and GDAL take their page size only from ``components.parameters.limit`` (its ``default`` and
``maximum``), and GDAL looks for the items path of each collection; FastAPI's generated document
(``/openapi.json``) describes neither the way they expect, so the OGC routes are left out of it.
"""

from typing import Any

from app.ogc.collections import COLLECTIONS, JSON_TYPES
from app.ogc.dependencies import CRS_LIST, ITEMS_PARAMS, LIMIT_DEFAULT, LIMIT_MAX

_REF = "#/components/parameters/"


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
        **extra,
    }


PARAMETERS: dict[str, Any] = {
    "limit": _param(
        "limit",
        f"Features per page: {LIMIT_DEFAULT} by default; a value above {LIMIT_MAX} is clamped "
        f"to {LIMIT_MAX}.",
        {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
    ),
    "bbox": _param(
        "bbox",
        "Only features whose geometry intersects minx,miny,maxx,maxy (in bbox-crs, CRS84 by "
        "default).",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    ),
    "bbox-crs": _param(
        "bbox-crs",
        "CRS of bbox.",
        {"type": "string", "format": "uri", "enum": [c.uri for c in CRS_LIST]},
    ),
    "crs": _param(
        "crs",
        "CRS of the returned geometries (EPSG:4326 is latitude first).",
        {"type": "string", "format": "uri", "enum": [c.uri for c in CRS_LIST]},
    ),
    "datetime": _param(
        "datetime",
        "An instant or an interval (RFC 3339, '..' for open ends) on the collection's date.",
        {"type": "string"},
    ),
    "properties": _param(
        "properties",
        "Comma-separated list of the properties to return.",
        {"type": "array", "items": {"type": "string"}},
    ),
    "sortby": _param(
        "sortby",
        "Comma-separated properties, each prefixed by + (ascending, default) or - (descending).",
        {"type": "array", "items": {"type": "string"}},
    ),
    "filter": _param("filter", "A CQL2 filter (see the queryables).", {"type": "string"}),
    "filter-lang": _param(
        "filter-lang",
        "Language of filter ('cql-text', the draft name GDAL 3.6 uses, means cql2-text).",
        {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"], "default": "cql2-text"},
    ),
    "filter-crs": _param(
        "filter-crs",
        "CRS of the geometries in filter.",
        {"type": "string", "format": "uri", "enum": [c.uri for c in CRS_LIST]},
    ),
    "cursor": _param(
        "cursor", "Opaque position of the next page (from the 'next' link).", {"type": "string"}
    ),
    "f": _param("f", "Output format.", {"type": "string", "enum": ["json", "html"]}),
    "collectionId": {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": list(COLLECTIONS)},
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    },
}


def _json(description: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": {"type": "object"}}}}


_ERRORS = {
    "400": _json("Invalid or unknown query parameter (OGC exception)"),
    "404": _json("Not found (OGC exception)"),
}


def _get(summary: str, op_id: str, params: list[Any], responses: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": op_id,
            "tags": ["OGC API"],
            "parameters": params,
            "responses": {**responses, **_ERRORS},
        }
    }


def document(base: str) -> dict[str, Any]:
    """Return the OpenAPI 3.0 document of ``/ogc`` (``base`` is the absolute URL of ``/ogc``)."""
    ref = [{"$ref": _REF + "f"}]
    paths: dict[str, Any] = {
        "/": _get("Landing page", "getLandingPage", ref, {"200": _json("Landing page")}),
        "/conformance": _get(
            "Conformance classes", "getConformance", ref, {"200": _json("Conformance")}
        ),
        "/api": _get("This document", "getApi", ref, {"200": _json("OpenAPI 3.0")}),
        "/collections": _get("Collections", "getCollections", ref, {"200": _json("Collections")}),
        "/collections/{collectionId}": _get(
            "A collection",
            "describeCollection",
            [{"$ref": _REF + "collectionId"}, *ref],
            {"200": _json("Collection")},
        ),
        "/tileMatrixSets": _get(
            "Tile matrix sets", "getTileMatrixSets", ref, {"200": _json("Tile matrix sets")}
        ),
    }
    for cid, collection in COLLECTIONS.items():
        props = [
            _param(p.name, f"Only features whose {p.name} equals this value.", JSON_TYPES[p.kind])
            for p in collection.props
        ]
        items = [{"$ref": _REF + n} for n in ITEMS_PARAMS]
        paths[f"/collections/{cid}/items"] = _get(
            f"Features of {cid}",
            f"getFeatures_{cid}",
            [*items, *props],
            {"200": _json("A GeoJSON FeatureCollection", "application/geo+json")},
        )
        paths[f"/collections/{cid}/items/{{featureId}}"] = _get(
            f"One feature of {cid}",
            f"getFeature_{cid}",
            [{"$ref": _REF + "featureId"}, {"$ref": _REF + "crs"}, *ref],
            {"200": _json("A GeoJSON Feature", "application/geo+json")},
        )
        for path, summary, operation in (
            ("queryables", "Queryables", "getQueryables"),
            ("schema", "Schema", "getSchema"),
            ("feature-schema", "Schema of one GeoJSON Feature", "getFeatureSchema"),
        ):
            paths[f"/collections/{cid}/{path}"] = _get(
                f"{summary} of {cid}",
                f"{operation}_{cid}",
                ref,
                {"200": _json("JSON Schema", "application/schema+json")},
            )
        paths[f"/collections/{cid}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"] = _get(
            f"Vector tile of {cid}",
            f"getTile_{cid}",
            [
                {"name": n, "in": "path", "required": True, "schema": {"type": "integer"}}
                for n in ("z", "x", "y")
            ],
            {
                "200": {
                    "description": "Mapbox Vector Tile",
                    "content": {"application/vnd.mapbox-vector-tile": {}},
                },
                "204": {"description": "No feature in this tile"},
            },
        )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Foncier — OGC API Features and Tiles",
            "version": "1.0.0",
            "description": "Industrial land in France as OGC API - Features (Parts 1, 2, 3) and "
            "OGC API - Tiles.",
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"parameters": PARAMETERS},
    }
