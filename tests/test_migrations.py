"""The migrations run up, down and up again on an empty database."""

from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from app.cli import _alembic_config
from app.db.admin import create_database


def test_migrations_up_down_up(database_url):
    url = make_url(database_url)
    scratch = url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)
    create_database(scratch, drop_first=True)
    config = _alembic_config(scratch)
    engine = create_engine(scratch)
    try:
        command.upgrade(config, "head")
        tables = set(inspect(engine).get_table_names())
        assert {
            "site",
            "parcel",
            "parcel_08",
            "procedure",
            "api_key",
            "site_change",
            "commune",
            "epci",
            "territoire_industrie",
        } <= tables
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version", "spatial_ref_sys"}
        command.upgrade(config, "head")
        assert "site" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
