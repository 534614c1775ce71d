"""Service-level routes: /health and the landing page."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from app.db import SessionDep
from app.web import router as web_router
from app.web import service as web_service

router = APIRouter(tags=["system"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, Any]:
    """Report that the service answers, with the PostgreSQL and PostGIS versions."""
    row = session.execute(
        text(
            "SELECT current_setting('server_version') AS pg, postgis_lib_version() AS postgis, "
            "postgis_geos_version() AS geos, postgis_proj_version() AS proj, "
            "(SELECT version_num FROM alembic_version LIMIT 1) AS schema"
        )
    ).one()
    return {
        "status": "ok",
        "database": f"PostgreSQL {row.pg}",
        "postgis": row.postgis,
        "geos": row.geos,
        "proj": row.proj,
        "schema_revision": row.schema,
    }


@router.get("/", include_in_schema=False)
def landing(request: Request) -> Response:
    """The map page for browsers; the service's entry points as JSON for API clients."""
    if web_service.wants_html(request.headers.get("accept")):
        page = web_router.page()
        page.headers["Vary"] = "Accept"
        return page
    base = str(request.base_url).rstrip("/")
    links = [
        ("service-doc", "API documentation (OpenAPI)", "/docs"),
        ("service-desc", "OpenAPI document", "/openapi.json"),
        ("data", "Sites (GeoJSON)", "/api/v1/sites"),
        ("status", "Health", "/health"),
        ("alternate", "Map page (HTML)", "/"),
    ]
    return JSONResponse(
        {
            "title": "Foncier",
            "description": "Foncier industriel : friches, sites clés en main, terrains viabilisés.",
            "links": [
                {"rel": rel, "title": title, "href": f"{base}{href}"} for rel, title, href in links
            ],
        },
        headers={"Vary": "Accept"},
    )
