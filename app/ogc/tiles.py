"""WebMercatorQuad tile math and the OGC API - Tiles / TileJSON documents (pure: no DB, no HTTP)."""

import math
from typing import Any

from app.ogc.collections import JSON_TYPES, Collection

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"
#: Half the width of the Web Mercator square, in metres.
ORIGIN = 20037508.342789244
MAX_ZOOM = 24
#: France (mainland and Corsica), for the default centre of TileJSON.
FRANCE_CENTER = (2.35, 46.6, 5)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (xmin, ymin, xmax, ymax) of a tile in EPSG:3857 metres."""
    size = 2 * ORIGIN / (1 << z)
    return (
        -ORIGIN + x * size,
        ORIGIN - (y + 1) * size,
        -ORIGIN + (x + 1) * size,
        ORIGIN - y * size,
    )


def to_lonlat(mx: float, my: float) -> tuple[float, float]:
    """Convert Web Mercator metres to longitude and latitude in degrees."""
    lon = mx / ORIGIN * 180.0
    lat = math.degrees(2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2)
    return lon, lat


def lonlat_bounds(z: int, x: int, y: int, margin: float = 0.0) -> tuple[float, float, float, float]:
    """Return the tile's bounds in degrees, grown by ``margin`` (a fraction of the tile)."""
    x0, y0, x1, y1 = tile_bounds(z, x, y)
    pad = (x1 - x0) * margin
    lon0, lat0 = to_lonlat(max(x0 - pad, -ORIGIN), max(y0 - pad, -ORIGIN))
    lon1, lat1 = to_lonlat(min(x1 + pad, ORIGIN), min(y1 + pad, ORIGIN))
    return lon0, lat0, lon1, lat1


def simplify_tolerance(z: int, extent: int = 4096) -> float | None:
    """Tolerance in degrees under which vertices merge in a tile of zoom ``z`` (None if too fine).

    Half a tile pixel (``extent`` pixels a tile) at the equator: simplifying by that before
    ``ST_Transform`` drops vertices ``ST_AsMVTGeom`` would merge anyway, which makes low-zoom
    tiles of communes or EPCIs several times cheaper.
    """
    if z >= 12:
        return None
    return 360.0 / (1 << z) / extent / 2


def tile_matrix_set() -> dict[str, Any]:
    """Return the OGC TileMatrixSet 2.0 definition of WebMercatorQuad."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        size = 2 * ORIGIN / (1 << z)
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": size / 256 / 0.00028,
                "cellSize": size / 256,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-ORIGIN, ORIGIN],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 1 << z,
                "matrixHeight": 1 << z,
            }
        )
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


def tilejson(collection: Collection, *, tiles_url: str, bbox: list[float] | None) -> dict[str, Any]:
    """Return the TileJSON 3.0 document of a collection's vector tiles."""
    fields = {
        name: JSON_TYPES[collection.by_name[name].kind]["type"]
        for name in collection.tile_props
        if name in collection.by_name
    }
    fields.setdefault("id", "integer" if collection.id_kind == "integer" else "string")
    bounds = bbox or [-180.0, -85.0511, 180.0, 85.0511]
    lon, lat, zoom = FRANCE_CENTER
    return {
        "tilejson": "3.0.0",
        "name": collection.id,
        "description": collection.title,
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": collection.tile_minzoom,
        "maxzoom": collection.tile_maxzoom,
        "bounds": bounds,
        "center": [lon, lat, max(zoom, collection.tile_minzoom)],
        "vector_layers": [
            {
                "id": collection.id,
                "description": collection.title,
                "minzoom": collection.tile_minzoom,
                "maxzoom": collection.tile_maxzoom,
                "fields": fields,
            }
        ],
    }
