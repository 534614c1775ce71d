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
