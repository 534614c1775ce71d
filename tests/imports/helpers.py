"""Small CNIG Friches files for the import tests, and checks shared by them."""

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import PROJECT_ROOT
from app.auth.service import Principal
from app.imports import service as imports_service
from app.imports.service import ImportReport
from app.models import Site
from app.sites import cnig

#: Copies of ../shared/data (tests/imports/data/SOURCES.md) and the repository's demo data.
FIXTURES = Path(__file__).resolve().parent / "data"
CNIG_DIR = FIXTURES / "cnig-friches"
CARTOFRICHES = PROJECT_ROOT / "data" / "friches" / "cartofriches"
ARDENNES = PROJECT_ROOT / "data" / "friches" / "obs-friches-ardennes"

ADMIN = Principal(role="admin", label="import friches test")

#: A 100 m square in Charleville-Mézières (08105), as in tests/factories.py, in WKT.
SQUARE_WKT = "POLYGON ((4.72 49.77, 4.72139 49.77, 4.72139 49.7709, 4.72 49.7709, 4.72 49.77))"
INSIDE_POINT = "POINT (4.7207 49.7704)"


def cnig_row(**overrides: Any) -> dict[str, str]:
    """A valid CNIG Friches v1.0.6 row in Charleville-Mézières (override any column)."""
    row = dict.fromkeys(cnig.field_names(), "")
    row.update(
        site_id="08105_T001",
        site_nom="Ancienne fonderie de test",
        site_type="friche industrielle",
        site_identif_date="2024-01-15",
        site_actu_date="2025-03-01",
        site_statut="friche sans projet",
        comm_nom="Charleville-Mézières",
        comm_insee="08105",
        urba_zaer="non",
        source_nom="Test",
        geompoint=INSIDE_POINT,
        geomsurf=SQUARE_WKT,
    )
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> Path:
    """Write rows as CSV (gzip-compressed when the name ends with .gz)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(
        buffer, fieldnames=columns or list(rows[0]), delimiter=sep, extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def write_geojson(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    """Write a FeatureCollection (gzip-compressed when the name ends with .gz)."""
    data = json.dumps({"type": "FeatureCollection", **extra, "features": features}).encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def run(session: Session, path: Path, principal: Principal = ADMIN) -> ImportReport:
    """Import a file and check the report's invariant."""
    report = imports_service.import_friches(session, principal, path)
    assert report.rows == report.imported + report.updated + report.unchanged + report.quarantined
    return report


def site(session: Session, site_id: str) -> Site:
    """Return a site by its CNIG id, fresh from the database."""
    session.expire_all()
    return session.scalars(select(Site).where(Site.site_id == site_id)).one()


def warnings_of(s: Site, field: str) -> list[str]:
    """Return the reasons of a site's warnings on one field."""
    return [w["reason"] for w in s.warnings or [] if w["field"] == field]


def errors_of(report: ImportReport, field: str) -> list[str]:
    """Return the reasons of a report's errors on one field."""
    return [e["reason"] for e in report.errors if e["field"] == field]
