"""Database plumbing: declarative base, engine and sessions (see base.py and session.py)."""

from app.db.base import Base, metadata
from app.db.session import SessionDep, get_engine, get_session, session_scope

__all__ = ["Base", "SessionDep", "get_engine", "get_session", "metadata", "session_scope"]
