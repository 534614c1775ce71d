"""REST routes of the site catalogue under /api/v1/sites (thin: parse, call, return)."""

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from app.auth.dependencies import PrincipalDep
from app.config import get_settings
from app.db import SessionDep
from app.derived import service as derived_service
from app.errors import ERROR_RESPONSES
from app.sites import service
from app.sites.dependencies import FiltersDep
from app.sites.schemas import (
    ProcedureRead,
    ProcedureWrite,
    SiteChangeRead,
    SiteCreate,
    SiteFeature,
    SiteFromParcels,
    SitePage,
    SitePatch,
)

GEOJSON = "application/geo+json"
router = APIRouter(prefix="/api/v1/sites", tags=["sites"], responses=ERROR_RESPONSES)

ContentCrs = Annotated[
    str | None,
    Header(
        alias="Content-Crs",
        description="CRS of the submitted geometry, e.g. "
        "<http://www.opengis.net/def/crs/EPSG/0/2154>; CRS84 by default",
    ),
]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="ETag of the version edited")]


def _feature_response(
    text: str, site_etag: str, status_code: int = 200, location: str | None = None
) -> Response:
    headers = {"ETag": site_etag}
    if location:
        headers["Location"] = location
    return Response(text, status_code=status_code, media_type=GEOJSON, headers=headers)


@router.get("", response_model=SitePage, responses={200: {"content": {GEOJSON: {}}}})
def list_sites(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """List the sites the caller may see, as a GeoJSON FeatureCollection (RFC 7946)."""
    limit = min(limit, get_settings().page_max)
    matched, returned, features = service.list_sites(
        session, principal, filters=filters, limit=limit, offset=offset
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
    if offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": GEOJSON,
                "href": str(request.url.include_query_params(offset=max(0, offset - limit))),
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


EXPORT_MEDIA = {
    "cnig-csv": ("text/csv; charset=utf-8", "sites-cnig-friches-v1.0.6.csv"),
    "geojson": (GEOJSON, "sites.geojson"),
    "gpkg": ("application/geopackage+sqlite3", "sites.gpkg"),
}


@router.get(
    "/export",
    responses={
        200: {"content": {"text/csv": {}, GEOJSON: {}, "application/geopackage+sqlite3": {}}}
    },
)
def export_sites(
    session: SessionDep,
    principal: PrincipalDep,
    filters: FiltersDep,
    format: Annotated[  # noqa: A002 (the public parameter name)
        Literal["cnig-csv", "geojson", "gpkg"],
        Query(description="cnig-csv: CNIG Friches v1.0.6 CSV; geojson; gpkg: GeoPackage"),
    ] = "geojson",
) -> Response:
    """Export the sites the caller may see (same filters as the listing), whole."""
    exporter = {
        "cnig-csv": service.export_cnig_csv,
        "geojson": service.export_geojson,
        "gpkg": service.export_gpkg,
    }[format]
    media, filename = EXPORT_MEDIA[format]
    return Response(
        exporter(session, principal, filters=filters),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "", status_code=201, response_model=SiteFeature, responses={201: {"content": {GEOJSON: {}}}}
)
def create_site(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    body: SiteCreate,
    content_crs: ContentCrs = None,
) -> Response:
    """Register a site (a GeoJSON Feature). Staff may only register land of their own EPCI."""
    site = service.create_site(
        session, principal, body, header_crs=content_crs, max_vertices=get_settings().max_vertices
    )
    derived_service.refresh(session, [site.id])
    return _feature_response(
        service.feature_text(session, principal, site),
        service.etag(site),
        201,
        str(request.url_for("get_site", site_id=site.site_id)),
    )


@router.post(
    "/from-parcels",
    status_code=201,
    response_model=SiteFeature,
    responses={201: {"content": {GEOJSON: {}}}},
)
def create_site_from_parcels(
    request: Request, session: SessionDep, principal: PrincipalDep, body: SiteFromParcels
) -> Response:
    """Register a site whose geometry is the union of the given cadastre parcels (IDUs)."""
    site = service.create_from_parcels(
        session, principal, body, max_vertices=get_settings().max_vertices
    )
    derived_service.refresh(session, [site.id])
    return _feature_response(
        service.feature_text(session, principal, site),
        service.etag(site),
        201,
        str(request.url_for("get_site", site_id=site.site_id)),
    )


@router.get(
    "/{site_id}",
    response_model=SiteFeature,
    name="get_site",
    responses={200: {"content": {GEOJSON: {}}}, 304: {"description": "Not modified"}},
)
def get_site(
    site_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    """Return one site as a GeoJSON Feature, with its ETag."""
    site = service.get_visible(session, principal, site_id)
    tag = service.etag(site)
    if if_none_match and tag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    return _feature_response(service.feature_text(session, principal, site), tag)


@router.patch(
    "/{site_id}",
    response_model=SiteFeature,
    responses={200: {"content": {GEOJSON: {}}}, 428: {"description": "If-Match missing"}},
)
def patch_site(
    site_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    body: Annotated[SitePatch, Body(media_type="application/merge-patch+json")],
    if_match: IfMatch = None,
    content_crs: ContentCrs = None,
) -> Response:
    """Merge-patch (RFC 7396) a site's properties and/or geometry; ``If-Match`` is required."""
    site = service.patch_site(
        session,
        principal,
        site_id,
        body,
        if_match=if_match,
        header_crs=content_crs,
        max_vertices=get_settings().max_vertices,
    )
    derived_service.refresh(session, [site.id])
    return _feature_response(service.feature_text(session, principal, site), service.etag(site))


@router.delete("/{site_id}", status_code=204)
def delete_site(
    site_id: str, session: SessionDep, principal: PrincipalDep, if_match: IfMatch = None
) -> Response:
    """Soft-delete a site: it leaves listings, its history stays."""
    service.delete_site(session, principal, site_id, if_match=if_match)
    derived_service.refresh_site_ids(session, [site_id])
    return Response(status_code=204)


@router.get("/{site_id}/history", response_model=list[SiteChangeRead])
def site_history(
    site_id: str, session: SessionDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """Return who changed what on a site, and when (oldest first)."""
    return service.history(session, principal, site_id)


@router.get("/{site_id}/procedures", response_model=list[ProcedureRead])
def list_procedures(
    site_id: str, session: SessionDep, principal: PrincipalDep
) -> list[dict[str, Any]]:
    """Return the site's dossier: every procedure P1–P12, status null when unknown."""
    return service.list_procedures(session, principal, site_id)


@router.get("/{site_id}/procedures/{code}", response_model=ProcedureRead)
def get_procedure(
    site_id: str, code: str, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Return one procedure of the site's dossier."""
    return service.get_procedure(session, principal, site_id, code)


@router.put("/{site_id}/procedures/{code}", response_model=ProcedureRead)
def put_procedure(
    site_id: str,
    code: str,
    body: ProcedureWrite,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> dict[str, Any]:
    """Record the state of one procedure (done, in_progress, todo, not_needed)."""
    entry, created = service.put_procedure(session, principal, site_id, code, body)
    derived_service.refresh_site_ids(session, [site_id])
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return entry


@router.get("/{site_id}/buildings")
def site_buildings(site_id: str, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Cadastre buildings on the site (Etalab ``batiments``, type 01 hard, 02 light) and the
    built footprint in m², measured in the local projected CRS."""
    return service.built_footprint(session, principal, site_id)
