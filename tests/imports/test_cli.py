"""`foncier import friches FILE --report FILE`: one transaction, a summary line, a JSON report,
and a failed batch logged when the file cannot be read. The CLI commits for real: the tests
clean up after themselves."""

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, text

from app.cli import cli
from tests.imports.helpers import CNIG_DIR, cnig_row, write_csv


@pytest.fixture
def committed(engine, database_url, monkeypatch) -> Iterator[Engine]:
    """Point the CLI at the (built) test database; delete what it committed afterwards."""
    from app.config import get_settings
    from app.db.session import get_engine

    monkeypatch.setenv("FONCIER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    own = create_engine(database_url)
    yield own
    with own.begin() as conn:
        conn.execute(text("DELETE FROM site WHERE site_id LIKE '08105_CLI%'"))
        conn.execute(
            text(
                "DELETE FROM import_batch WHERE source_name IN ('cli.csv', "
                "'220829_fichier-valide.csv')"
            )
        )
    own.dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_import_friches_prints_a_summary_and_writes_the_report(committed, tmp_path):
    rows = [cnig_row(site_id="08105_CLI1"), cnig_row(site_id="08105_CLI2", site_statut="x")]
    path = write_csv(tmp_path / "cli.csv", rows, sep=";")
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["import", "friches", str(path), "--report", str(report_path)])
    assert result.exit_code == 0, result.output
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("cli.csv: 2 rows, 1 imported, 0 updated, 0 unchanged, 1 quarantined")
    report = json.loads(report_path.read_text())
    assert {"rows", "imported", "updated", "unchanged", "quarantined", "warnings", "errors"} <= set(
        report
    )
    assert report["rows"] == sum(
        report[k] for k in ("imported", "updated", "unchanged", "quarantined")
    )
    assert report["errors"][0] == {
        "row": 2,
        "site_id": "08105_CLI2",
        "field": "site_statut",
        "reason": report["errors"][0]["reason"],
    }
    with committed.connect() as conn:
        published, actor = conn.execute(
            text(
                "SELECT s.published, c.actor FROM site s JOIN site_change c ON c.site_pk = s.id "
                "WHERE s.site_id = '08105_CLI1'"
            )
        ).one()
        status = conn.execute(
            text("SELECT status FROM import_batch WHERE id = :id"), {"id": report["batch_id"]}
        ).scalar_one()
    assert published and actor == "admin #None (import friches cli.csv)"
    assert status == "done"

    again = CliRunner().invoke(cli, ["import", "friches", str(path)])
    assert "0 imported, 0 updated, 1 unchanged, 1 quarantined" in again.stdout


def test_an_unreadable_file_fails_as_a_whole_and_is_logged(committed):
    path = CNIG_DIR / "220829_fichier-valide.csv"
    result = CliRunner().invoke(cli, ["import", "friches", str(path)])
    assert result.exit_code == 1
    assert "transposed" in result.output
    with committed.connect() as conn:
        status, error = conn.execute(
            text(
                "SELECT status, error FROM import_batch "
                "WHERE source_name = '220829_fichier-valide.csv'"
            )
        ).one()
    assert status == "failed" and "transposed" in error
