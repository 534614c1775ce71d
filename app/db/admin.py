"""Create the database of a URL (used by ``foncier db create`` and the tests)."""

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def create_database(url: str, *, drop_first: bool = False) -> bool:
    """Create the database named in ``url`` when missing; return True when created."""
    target = make_url(url)
    name = target.database
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if drop_first:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if exists:
                return False
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            return True
    finally:
        admin.dispose()
