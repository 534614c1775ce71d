"""Structural checks of submitted GeoJSON geometries, before PostGIS sees them.

PostGIS answers topology questions (``ST_IsValidReason``); this module catches what PostGIS would
reject with an obscure message or silently accept: wrong type, malformed nesting, NaN or infinite
numbers, unclosed or too-short rings, empty geometries, too many vertices, and coordinates that are
not in France or look swapped (lat, lon instead of lon, lat).
"""

import math
from dataclasses import dataclass
from typing import Any

#: Boxes (lon_min, lat_min, lon_max, lat_max) of mainland France with Corsica, and overseas.
FRANCE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "metropole": (-5.6, 41.2, 9.9, 51.2),
    "guadeloupe": (-61.9, 15.8, -60.9, 16.6),
    "martinique": (-61.3, 14.3, -60.7, 14.9),
    "guyane": (-54.7, 2.0, -51.5, 5.9),
    "reunion": (55.1, -21.5, 55.9, -20.8),
    "mayotte": (44.9, -13.1, 45.4, -12.5),
}

#: Rough box of mainland France in Lambert-93 metres, to spot projected input declared as degrees.
LAMBERT93_BOX = (50_000.0, 6_000_000.0, 1_300_000.0, 7_200_000.0)

POLYGONAL_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class GeometryIssue(Exception):
    """A submitted geometry is unusable: ``where`` is a JSON path below the geometry."""

    reason: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.reason} at {self.where}" if self.where else self.reason


def _positions(coords: Any, depth: int, path: str) -> list[tuple[str, list[Any]]]:
    """Return (path, ring) pairs, checking the nesting depth of ``coords``."""
    if not isinstance(coords, list):
        raise GeometryIssue("coordinates must be nested arrays", path)
    if depth == 1:
        return [(path, coords)]
    rings: list[tuple[str, list[Any]]] = []
    for i, part in enumerate(coords):
        rings.extend(_positions(part, depth - 1, f"{path}[{i}]"))
    return rings


def check_structure(
    geometry: Any, *, allowed_types: tuple[str, ...] = POLYGONAL_TYPES, max_vertices: int = 100_000
) -> int:
    """Check a GeoJSON geometry object's shape; return its vertex count or raise GeometryIssue."""
    if not isinstance(geometry, dict):
        raise GeometryIssue("geometry must be a GeoJSON object")
    gtype = geometry.get("type")
    if gtype not in allowed_types:
        raise GeometryIssue(
            f"wrong geometry type {gtype!r}: expected one of {', '.join(allowed_types)}", "type"
        )
    coords = geometry.get("coordinates")
    if coords is None:
        raise GeometryIssue("missing coordinates", "coordinates")
    if coords == [] or coords == [[]]:
        raise GeometryIssue("empty geometry", "coordinates")
    depth = {"Point": 1, "Polygon": 3, "MultiPolygon": 4}[gtype]
    if gtype == "Point":
        rings = [("coordinates", [coords])]
    else:
        rings = _positions(coords, depth - 1, "coordinates")
    vertices = 0
    for path, ring in rings:
        if gtype != "Point":
            if len(ring) == 0:
                raise GeometryIssue("empty ring", path)
        for j, pos in enumerate(ring):
            where = f"{path}[{j}]" if gtype != "Point" else path
            if not isinstance(pos, list) or not 2 <= len(pos) <= 3:
                raise GeometryIssue("a position must be an array of 2 or 3 numbers", where)
            for value in pos:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise GeometryIssue(f"coordinate {value!r} is not a number", where)
                if not math.isfinite(value):
                    raise GeometryIssue(f"coordinate {value} is not a finite number (NaN)", where)
        vertices += len(ring)
        if vertices > max_vertices:
            raise GeometryIssue(f"too many vertices: more than {max_vertices}", "coordinates")
        if gtype != "Point":
            if len(ring) < 4:
                raise GeometryIssue(
                    f"a polygon ring needs at least 4 positions, got {len(ring)}", path
                )
            if ring[0][:2] != ring[-1][:2]:
                raise GeometryIssue(
                    "unclosed ring: first and last positions differ "
                    f"({ring[0][:2]} vs {ring[-1][:2]})",
                    path,
                )
    return vertices


def bbox_of(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """Return (xmin, ymin, xmax, ymax) of a structurally valid GeoJSON geometry."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if c and isinstance(c[0], int | float):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        else:
            for part in c:
                walk(part)

    walk(geometry["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def _inside(b: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= b[0] and box[1] <= b[1] and b[2] <= box[2] and b[3] <= box[3]


def check_in_france(bbox: tuple[float, float, float, float], *, declared_srid: int) -> None:
    """Check that a WGS84 bbox lies in France; name swapped axes or undeclared Lambert-93."""
    if any(_inside(bbox, box) for box in FRANCE_BOXES.values()):
        return
    swapped = (bbox[1], bbox[0], bbox[3], bbox[2])
    if any(_inside(swapped, box) for box in FRANCE_BOXES.values()):
        raise GeometryIssue(
            "coordinates look swapped: they read as (latitude, longitude) but GeoJSON "
            "positions are (longitude, latitude)",
            "coordinates",
        )
    if declared_srid == 4326 and _inside(bbox, LAMBERT93_BOX):
        raise GeometryIssue(
            "coordinates look like Lambert-93 metres (EPSG:2154): declare the CRS "
            "(a 'crs' member or the Content-Crs header)",
            "coordinates",
        )
    raise GeometryIssue(
        f"coordinates are not in France (bbox {', '.join(f'{v:.5f}' for v in bbox)})",
        "coordinates",
    )
