"""Queries on api_key."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiKey


def by_digest(session: Session, digest: str) -> ApiKey | None:
    """Return the live (not revoked) key with this digest, if any."""
    stmt = select(ApiKey).where(ApiKey.digest == digest, ApiKey.revoked_at.is_(None))
    return session.scalars(stmt).one_or_none()


def add(session: Session, key: ApiKey) -> ApiKey:
    """Stage a new key and flush it (assigns its id)."""
    session.add(key)
    session.flush()
    return key


def all_keys(session: Session) -> list[ApiKey]:
    """Return every key, newest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
