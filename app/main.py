"""Application factory: engine in the lifespan, routers, error handlers, middleware."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from app import system
from app.config import get_settings
from app.db.session import get_engine, make_read_pool, make_sessionmaker
from app.errors import install_handlers
from app.imports.router import router as imports_router
from app.matching.router import router as matching_router
from app.middleware import BodySizeLimit
from app.mutability.router import router as mutability_router
from app.ogc.errors import install_handlers as install_ogc_handlers
from app.ogc.router import router as ogc_router
from app.parcels.router import router as parcels_router
from app.pollution.router import router as pollution_router
from app.sites.router import router as sites_router
from app.uploads.router import router as uploads_router
from app.web.router import router as web_router
from app.web.router import static_files
from app.zan.router import router as zan_router

DESCRIPTION = """
Industrial land in France — friches (brownfields), sites clés en main (turnkey sites) and
serviced plots — catalogued by the territories that offer them and matched to investors' projects.

Reading is open; writing needs `Authorization: Bearer <key>` (`foncier keys create`).
Errors name the field and the reason.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the engine, the session factory and the read pool unless a test injected its own.

    ``read_pool`` serves the read-only OGC layer: autocommit psycopg connections, so that a tile
    or a page costs its one statement, without a session, a ping or BEGIN and ROLLBACK.
    """
    if getattr(app.state, "sessionmaker", None) is not None:
        yield
        return
    app.state.sessionmaker = make_sessionmaker(get_engine())
    app.state.read_pool = make_read_pool()
    try:
        yield
    finally:
        app.state.read_pool.close()
        app.state.read_pool = None


def create_app() -> FastAPI:
    """Build the Foncier application."""
    settings = get_settings()
    app = FastAPI(title="Foncier", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.sessionmaker = None
    app.state.read_pool = None
    install_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        overrides={"/api/v1/imports": settings.max_upload_bytes},
    )
    app.include_router(system.router)
    app.include_router(sites_router)
    app.include_router(parcels_router)
    app.include_router(pollution_router)
    app.include_router(imports_router)
    app.include_router(uploads_router)
    app.include_router(matching_router)
    app.include_router(ogc_router)
    install_ogc_handlers(app)
    app.include_router(zan_router)
    app.include_router(mutability_router)
    app.include_router(web_router)
    app.mount("/static", static_files(), name="static")
    return app
