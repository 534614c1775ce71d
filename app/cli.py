"""The ``foncier`` command line: database, demo data, imports, keys, server."""

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from app import PROJECT_ROOT

if TYPE_CHECKING:
    from app.config import Settings

# Only click is imported here: the cadastre import's worker processes import this module (it
# is the program's main module) and need nothing else from it; each command imports what it
# uses.


def get_settings() -> "Settings":
    """The process-wide settings (``app.config``, imported on first use)."""
    from app.config import get_settings as settings

    return settings()


def _progress(items: Iterable[Any], label: str) -> Iterable[Any]:
    from tqdm import tqdm

    return tqdm(
        items,
        desc=label,
        unit=" files" if label in ("EPCI", "communes") else " rows",
        file=sys.stderr,
        leave=False,
        mininterval=0.5,
    )


def _alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url or get_settings().database_url
    return config


#: ``--report FILE`` of the import commands.
report_option = click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    default=None,
    help="write the JSON report to this file",
)


def _write_report(path: Path | None, data: dict[str, Any]) -> None:
    """Write an import report as JSON when ``--report`` was given."""
    if path:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group()
def cli() -> None:
    """Foncier: industrial land in France (friches, turnkey sites, serviced plots)."""


@cli.group()
def db() -> None:
    """Database: create, migrate."""


@db.command("create")
def db_create() -> None:
    """Create the database named in FONCIER_DATABASE_URL if it does not exist."""
    from app.db.admin import create_database

    created = create_database(get_settings().database_url)
    click.echo("created" if created else "exists")


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Run the migrations up to REVISION (default: head)."""
    from alembic import command

    command.upgrade(_alembic_config(), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert the migrations down to REVISION ('base' for an empty database)."""
    from alembic import command

    command.downgrade(_alembic_config(), revision)
    click.echo(f"database at {revision}")


@cli.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="folder of the data files (default: the repository's data/)",
)
def demo_load(data_dir: Path | None) -> None:
    """Load territories, the 164 Ardennes friches and the cadastre samples (idempotent)."""
    from app.db import session_scope
    from app.demo.service import load_demo

    with session_scope() as session:
        report = load_demo(
            session, data_dir=data_dir or get_settings().data_dir, progress=_progress
        )
    t = report.territories
    if t:
        click.echo(
            f"territories: {t.regions} régions, {t.departements} départements, "
            f"{t.epcis} EPCI, {t.communes} communes, {t.territoires_industrie} "
            f"Territoires d'industrie ({t.territoire_industrie_epcis} EPCI memberships)"
        )
    click.echo(
        f"Ardennes friches: {report.sites_imported} imported, {report.sites_unchanged} "
        f"unchanged, {report.sites_kept} kept as edited here, {len(report.errors)} errors"
    )
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    c = report.cartofriches
    click.echo(
        f"Cartofriches (CNIG columns): {c['rows']} rows, {c['imported']} imported, "
        f"{c['updated']} updated, {c['unchanged']} unchanged, "
        f"{c['quarantined']} quarantined"
    )
    click.echo(f"polluted-site registers (BASOL, ADEME): {report.polluted_sites} sites")
    p = report.parcels
    click.echo(
        f"cadastre parcels: {p['rows']} rows, {p['imported']} imported, "
        f"{p['updated']} updated, {p['unchanged']} unchanged, {p['deleted']} deleted, "
        f"{p['repaired']} repaired, {p['buildings']} buildings"
    )
    z = report.zan_consumption
    click.echo(
        f"ZAN NAF consumption ({z['file']}): {z['rows']} communes, {z['epcis']} EPCI, "
        f"years {z['years'][0]}–{z['years'][-1]}"
    )
    click.echo(
        f"derived figures (permits, labour pool, scores): {report.derived} sites recomputed, "
        f"{report.derived_total} up to date"
    )


@cli.group()
def derive() -> None:
    """Figures derived from the sites (time to permits, labour pool, mutability, ZAN)."""


@derive.command("refresh")
@click.option("--all", "everything", is_flag=True, help="every site, not only changed ones")
def derive_refresh(everything: bool) -> None:
    """Recompute the stored figures of changed sites (or all): run it daily from cron."""
    from app.db import session_scope
    from app.derived import service

    with session_scope() as session:
        if everything:
            n = service.refresh(session, progress=_progress)
        else:
            n = service.refresh_changed(session, progress=_progress)
            n += service.refresh_stale_permits(session)
    click.echo(f"derived figures recomputed for {n} sites")


@cli.group("import")
def import_() -> None:
    """Import data files."""


@import_.command("cadastre")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@report_option
@click.option(
    "--processes",
    type=click.IntRange(0, 64),
    default=None,
    help="worker processes encoding parcels (default: FONCIER_IMPORT_PROCESSES, else up to 2 "
    "for a file over 64 MB of JSON; 0: none)",
)
def import_cadastre(
    paths: tuple[Path, ...], report_path: Path | None, processes: int | None
) -> None:
    """Import Etalab cadastre parcel files (cadastre-<INSEE>-parcelles.json[.gz]) or folders."""
    from app.db import session_scope
    from app.parcels.service import import_cadastre as run

    if processes is None:
        processes = get_settings().import_processes
    with session_scope() as session:
        report = run(session, paths, progress=_progress, processes=processes)
    data = report.as_dict()
    _write_report(report_path, data)
    click.echo(", ".join(f"{k}: {v}" for k, v in data.items() if k != "errors"))
    for error in report.errors[:20]:
        click.echo(f"  {error['field']}: {error['reason']}", err=True)


@import_.command("sites-eco")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@report_option
def import_sites_eco(paths: tuple[Path, ...], report_path: Path | None) -> None:
    """Import CNIG Sites économiques (GeoPackage, or SITE-ECO and TERRAIN-ECO CSV tables)."""
    from app.db import session_scope
    from app.sites_eco.service import import_sites_eco as run

    with session_scope() as session:
        report = run(session, paths)
    data = report.as_dict()
    _write_report(report_path, data)
    click.echo(", ".join(f"{k}: {v}" for k, v in data.items() if k not in ("errors", "warnings")))
    for error in report.errors[:20]:
        click.echo(
            f"  {error['table']} row {error['row']}: {error['field']}: {error['reason']}", err=True
        )


@import_.command("zan-consumption")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@report_option
def import_zan_consumption(path: Path, report_path: Path | None) -> None:
    """Import Cerema's NAF-consumption file (one row per commune; .csv or .csv.gz).

    All or nothing: a malformed value stops the import, naming its row and column. Re-importing
    the same file changes nothing; a newer millésime replaces the communes it covers.
    """
    from app.db import session_scope
    from app.errors import AppError
    from app.zan.service import import_consumption

    try:
        with session_scope() as session:
            report = import_consumption(session, path, progress=_progress)
    except AppError as exc:
        details = "".join(f"\n  {e.where or ''}: {e.field}: {e.reason}" for e in exc.errors)
        raise click.ClickException(f"{exc.message}{details}") from None
    _write_report(report_path, report.as_dict())
    click.echo(report.summary())
    if report.unknown_communes:
        click.echo(
            f"  {len(report.unknown_communes)} communes unknown to the commune table (kept): "
            + ", ".join(report.unknown_communes[:10]),
            err=True,
        )
    for warning in report.warnings[:10]:
        click.echo(f"  {warning['where']}: {warning['field']}: {warning['reason']}", err=True)


@cli.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--role", type=click.Choice(["investor", "territory_staff", "admin"]), required=True)
@click.option("--epci", "epci_siren", default=None, help="EPCI SIREN (territory_staff only)")
@click.option("--label", default=None, help="who holds the key (shown in the audit trail)")
def keys_create(role: str, epci_siren: str | None, label: str | None) -> None:
    """Create an API key; the key itself is the last line of the output (shown once)."""
    from app.auth.service import create_key
    from app.db import session_scope
    from app.errors import AppError

    try:
        with session_scope() as session:
            row, clear = create_key(session, role=role, epci_siren=epci_siren, label=label)
            key_id = row.id
    except AppError as exc:
        raise click.UsageError(exc.message) from None
    scope = f" for EPCI {epci_siren}" if epci_siren else ""
    click.echo(f"created key #{key_id}: role {role}{scope}. Store it now, it is not kept:")
    click.echo(clear)


@keys.command("list")
def keys_list() -> None:
    """List API keys (never the keys themselves)."""
    from app.auth.repository import all_keys
    from app.db import session_scope

    with session_scope() as session:
        for k in all_keys(session):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            click.echo(
                f"#{k.id}\t{k.prefix}…\t{k.role}\t{k.epci_siren or '-'}\t{state}\t{k.label or ''}"
            )


@keys.command("revoke")
@click.argument("key_id", type=int)
def keys_revoke(key_id: int) -> None:
    """Revoke a key by its number (see `foncier keys list`)."""
    from app.auth.service import revoke
    from app.db import session_scope

    with session_scope() as session:
        row = revoke(session, key_id=key_id)
    if row is None:
        raise click.UsageError(f"no key #{key_id}")
    click.echo(f"key #{key_id} revoked")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (and print where to find it)."""
    import uvicorn
    from sqlalchemy import text

    from app.db import session_scope

    with session_scope() as session:
        sites = session.execute(
            text("SELECT count(*) FROM site WHERE published AND deleted_at IS NULL")
        ).scalar_one()
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    click.echo(
        f"Foncier: {sites} published sites\n"
        f"  map page       {base}/\n"
        f"  API docs       {base}/docs\n"
        f"  OGC API        {base}/ogc  (QGIS/GDAL: OAPIF:{base}/ogc)\n"
        f"  sites GeoJSON  {base}/api/v1/sites\n"
        f"  health         {base}/health"
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
    )


@import_.command("friches")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@report_option
def import_friches_command(path: Path, report_path: Path | None) -> None:
    """Import a friches file: CNIG Friches CSV v1.0.1-v1.0.6, Cartofriches, GeoJSON (.gz too).

    One transaction: rows with blocking errors go to the quarantine, the rest is upserted on
    site_id (published, kind friche). Prints a one-line summary.
    """
    from app.db import session_scope
    from app.errors import AppError
    from app.imports import service as imports_service

    principal = imports_service.importer(path.name)
    try:
        with session_scope() as session:
            report = imports_service.import_friches(
                session,
                principal,
                path,
                max_vertices=get_settings().max_vertices,
                progress=_progress,
            )
    except Exception as exc:
        # The import rolled back as a whole; log the failed batch in a transaction of its own.
        message = exc.message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
        with session_scope() as session:
            imports_service.record_failure(session, principal, source_name=path.name, error=message)
        if isinstance(exc, AppError):
            details = "".join(f"\n  {e.field}: {e.reason}" for e in exc.errors)
            raise click.ClickException(f"{message}{details}") from None
        raise
    _write_report(report_path, report.as_dict())
    click.echo(report.summary())
    for error in report.errors[:10]:
        click.echo(
            f"  row {error['row']} ({error['site_id'] or '?'}): {error['field']}: "
            f"{error['reason']}",
            err=True,
        )
    if len(report.errors) > 10:
        click.echo(f"  … {len(report.errors) - 10} more errors (see --report)", err=True)


if __name__ == "__main__":
    cli()
