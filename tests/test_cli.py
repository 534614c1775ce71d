"""The CLI: `foncier keys create` prints the key last; the key works against the API."""

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from app.cli import cli


def test_keys_create_prints_a_working_staff_key_last(client, database_url, monkeypatch):
    monkeypatch.setenv("FONCIER_DATABASE_URL", database_url)
    from app.config import get_settings
    from app.db.session import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    result = CliRunner().invoke(
        cli,
        [
            "keys",
            "create",
            "--role",
            "territory_staff",
            "--epci",
            "200041630",
            "--label",
            "cli test",
        ],
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("fon_")
    engine = create_engine(database_url)
    try:
        r = client.get(
            "/api/v1/sites", params={"published": False}, headers={"Authorization": f"Bearer {key}"}
        )
        assert r.status_code == 200
    finally:
        with engine.begin() as conn:  # the CLI committed for real: clean up
            conn.execute(text("DELETE FROM api_key WHERE label = 'cli test'"))
        engine.dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_keys_create_refuses_staff_without_epci():
    result = CliRunner().invoke(cli, ["keys", "create", "--role", "territory_staff"])
    assert result.exit_code != 0
    assert "--epci" in result.output


def test_demo_load_prints_its_summary(session, monkeypatch):
    """The CLI renders the loader's report (the load itself is tested in test_demo.py)."""
    from app.demo import service as demo_service
    from tests.conftest import DATA_DIR

    report = demo_service.load_demo(session, data_dir=DATA_DIR, with_territories=False)
    monkeypatch.setattr(demo_service, "load_demo", lambda *_, **__: report)
    monkeypatch.setattr("app.db.session_scope", _fake_scope(session))
    result = CliRunner().invoke(cli, ["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Ardennes friches: 0 imported, 164 unchanged, 0 kept as edited here" in result.output
    assert "cadastre parcels: 15205 rows" in result.output


def _fake_scope(session):
    from contextlib import contextmanager

    @contextmanager
    def scope(*_args, **_kwargs):
        yield session

    return scope
