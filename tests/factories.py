"""Small real geometries and site payloads for tests."""

from typing import Any

# A 100 m × 100 m square in Charleville-Mézières (08105, CA Ardenne Métropole), near the
# Ardennes friches, in WGS84 and in Lambert-93.
CHARLEVILLE_SQUARE = [
    [
        [4.7200, 49.7700],
        [4.72139, 49.7700],
        [4.72139, 49.7709],
        [4.7200, 49.7709],
        [4.7200, 49.7700],
    ]
]


def polygon(coords: list[Any] | None = None) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coords or CHARLEVILLE_SQUARE}


def site_feature(**props: Any) -> dict[str, Any]:
    """A friche in Charleville-Mézières; override properties or pass geometry=."""
    geometry = props.pop("geometry", None) or polygon()
    extra = props.pop("feature", {})
    properties = {
        "kind": "friche",
        "site_nom": "Ancienne fonderie de test",
        "site_type": "friche industrielle",
        "comm_insee": "08105",
        **props,
    }
    return {"type": "Feature", "geometry": geometry, "properties": properties, **extra}
