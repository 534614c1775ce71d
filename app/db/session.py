"""Engine and session factories.

A request is one transaction: :func:`get_session` commits when the endpoint returns and rolls
back when it raises. Services ``flush`` and never ``commit`` (STYLE.md §3.3). The CLI uses
:func:`session_scope` with the same rule.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import ConnectionPool
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings

#: ``application_name`` of the read pool's connections.
READ_POOL_NAME = "foncier-read"


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    """Return the (cached) engine for ``url`` or the configured database."""
    settings = get_settings()
    return create_engine(
        url or settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


def make_read_pool(url: str | None = None) -> ConnectionPool:
    """Return an open pool of autocommit psycopg connections for read-only endpoints (OGC).

    No session, no transaction and no ping before each use: a small vector tile costs its one
    statement. A connection found dead is replaced by the caller (``app.ogc.router.read``).
    The connections are named ``READ_POOL_NAME`` in ``pg_stat_activity``.
    """
    settings = get_settings()
    conninfo = (
        make_url(url or settings.database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    return ConnectionPool(
        conninfo,
        min_size=1,
        max_size=settings.db_pool_size + settings.db_max_overflow,
        kwargs={"autocommit": True, "application_name": READ_POOL_NAME},
        name=READ_POOL_NAME,
        open=True,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine``."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def get_session(request: Request) -> Iterator[Session]:
    """Yield the request's session; commit on success, roll back on error."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """Open a session for a CLI command: commit at the end, roll back on error."""
    with make_sessionmaker(engine or get_engine())() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
