"""REST routes of the cadastre: /api/v1/parcels (read-only, GeoJSON built by PostGIS)."""

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.db import SessionDep
from app.errors import ERROR_RESPONSES, FieldError, InvalidInput, NotFound
from app.parcels import repository
from app.sites.cnig import IDU_RE
from app.sites.dependencies import parse_bbox

GEOJSON = "application/geo+json"
router = APIRouter(prefix="/api/v1/parcels", tags=["parcels"], responses=ERROR_RESPONSES)


@router.get("", responses={200: {"content": {GEOJSON: {}}}})
def list_parcels(
    request: Request,
    session: SessionDep,
    commune: Annotated[str | None, Query(pattern=r"^(?:\d{2}|2[AB])\d{3}$")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Parcels of a commune, of a bbox, or the parcel at a point (lon, lat), as GeoJSON."""
    where: list[str] = []
    params: dict[str, object] = {}
    if commune:
        where.append("p.commune = :commune")
        where.append(
            "p.departement = left(:commune, CASE WHEN :commune LIKE '97%' THEN 3 ELSE 2 END)"
        )
        params["commune"] = commune
    box = parse_bbox(bbox)
    if box:
        where.append("p.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
        params.update(zip(("x0", "y0", "x1", "y1"), box, strict=True))
    if (lon is None) != (lat is None):
        raise InvalidInput(
            "lon and lat go together",
            errors=[
                FieldError("lat" if lat is None else "lon", "required with the other coordinate")
            ],
        )
    if lon is not None:
        where.append("ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))")
        params.update(lon=lon, lat=lat)
    if not where:
        raise InvalidInput(
            "a filter is required",
            errors=[
                FieldError(
                    "commune", "give commune, bbox, or lon and lat: France has 90 million parcels"
                )
            ],
        )
    matched, returned, features = repository.parcel_feature_page(
        session, where=where, params=params, limit=limit, offset=offset
    )
    links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    if offset + limit < matched:
        links.append(
            {
                "rel": "next",
                "type": GEOJSON,
                "href": str(request.url.include_query_params(offset=offset + limit)),
            }
        )
    head = json.dumps(
        {
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": returned,
            "links": links,
        }
    )
    return Response(head[:-1] + ', "features": ' + features + "}", media_type=GEOJSON)


@router.get("/{idu}", responses={200: {"content": {GEOJSON: {}}}})
def get_parcel(idu: str, session: SessionDep) -> Response:
    """One parcel by its 14-character IDU."""
    if not IDU_RE.match(idu):
        raise InvalidInput(
            "malformed IDU",
            errors=[
                FieldError(
                    "idu", "expected 14 characters: INSEE (5), prefix (3), section (2), number (4)"
                )
            ],
        )
    feature = repository.parcel_feature(session, idu)
    if feature is None:
        raise NotFound(f"no parcel {idu} in the cadastre loaded here")
    return Response(feature, media_type=GEOJSON)
