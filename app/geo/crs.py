"""Coordinate reference systems used by Foncier (DOMAIN.md §3, "Coordinate systems").

Storage and output are WGS84 (EPSG:4326, served in CRS84 lon/lat order in GeoJSON). Areas and
distances are measured in the legal projected CRS of the place: Lambert-93 (EPSG:2154) in
mainland France and Corsica, and the RGAF09/RGFG95/RGR92/RGM04 UTM zones overseas.
"""

import re

STORAGE_SRID = 4326
LAMBERT93 = 2154
WEB_MERCATOR = 3857

#: Projected CRS by overseas département code (DOMAIN.md §3).
OVERSEAS_SRID = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}

#: Input CRS accepted for submitted geometries, by EPSG code.
ACCEPTED_INPUT_SRIDS = (4326, LAMBERT93)

_CRS_PATTERNS = (
    re.compile(r"^EPSG:(\d+)$", re.I),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.I),
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$", re.I),
)
_CRS84 = {
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "http://www.opengis.net/def/crs/ogc/1.3/crs84",
    "https://www.opengis.net/def/crs/ogc/1.3/crs84",
    "crs84",
    "ogc:crs84",
}


def local_srid(insee: str) -> int:
    """Return the legal projected SRID for a commune INSEE code (Lambert-93 unless overseas)."""
    return OVERSEAS_SRID.get(insee[:3], LAMBERT93)


def departement_of(insee: str) -> str:
    """Return the département code of an INSEE commune code or IDU (``971``… overseas)."""
    return insee[:3] if insee.startswith("97") else insee[:2]


def parse_crs(name: str) -> int | None:
    """Return the EPSG code named by ``name`` (EPSG:n, OGC URN or URI, CRS84), or None."""
    value = name.strip().strip("<>")
    if value.lower() in _CRS84:
        return STORAGE_SRID
    for pattern in _CRS_PATTERNS:
        match = pattern.match(value)
        if match:
            return int(match.group(1))
    return None
