"""Service-level routes: /health and the landing page."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from app.db import SessionDep

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


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def landing(request: Request) -> str:
    """A plain front page with the service's entry points (the map page comes later)."""
    base = str(request.base_url).rstrip("/")
    links = [
        ("API documentation (OpenAPI)", "/docs"),
        ("Sites (GeoJSON)", "/api/v1/sites"),
        ("Health", "/health"),
        ("OpenAPI document", "/openapi.json"),
    ]
    items = "".join(f'<li><a href="{base}{href}">{label}</a></li>' for label, href in links)
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Foncier</title>"
        "</head><body><h1>Foncier</h1><p>Foncier industriel : friches, sites clés en main, "
        f"terrains viabilisés.</p><ul>{items}</ul></body></html>"
    )
