"""Routes of the map page: the client-side routes return the page shell; assets are mounted
at ``/static`` by ``app.main`` (``/`` itself is content-negotiated in ``app.system``)."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.web import service

router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The built bundle and the page's other static files."""
    return StaticFiles(directory=service.STATIC_DIR)


def page() -> HTMLResponse:
    """The page shell (the client script renders the view named by the URL)."""
    return HTMLResponse(service.page_html(), headers={"Cache-Control": "no-cache"})


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(site_id: str) -> HTMLResponse:
    """A site's page (geometry, parcels, attributes, dossier, pollution, history)."""
    return page()


@router.get("/staff", response_class=HTMLResponse)
def staff_page() -> HTMLResponse:
    """The staff view: API key, site from cadastre parcels, uploads, quarantine."""
    return page()
