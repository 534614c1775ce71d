"""Uploads: ``POST /api/v1/imports`` accepts a file and returns at once; the import runs after
the response, in its own transaction, with the uploader's rights (staff: rows outside their
EPCI are quarantined as "outside your territory", never written).

Kinds: CNIG Friches (CSV or GeoJSON, every version, Cartofriches) → ``friches``; CNIG Sites
économiques (a GeoPackage with ``site_eco``/``terrain_eco`` layers, or their CSV tables) →
``sites-eco``.
"""

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth import service as auth_service
from app.auth.service import Principal
from app.errors import FieldError, InvalidInput, NotFound
from app.imports import service as friches_service
from app.models import ImportBatch
from app.sites_eco import service as sites_eco_service

log = logging.getLogger(__name__)

UPLOAD_KINDS = ("friches", "sites-eco")
_ECO_COLUMNS = (b"terr_id", b"site_vocadomi", b"site_comm_insee")


def detect_kind(name: str, data: bytes) -> str:
    """Tell a CNIG Sites économiques file from a friches file by its name and first line."""
    lowered = name.lower()
    if lowered.endswith(".gpkg"):
        return "sites-eco"
    if lowered.endswith((".csv", ".csv.gz", ".txt")):
        head = data[:4096].split(b"\n", 1)[0]
        if any(col in head for col in _ECO_COLUMNS):
            return "sites-eco"
    return "friches"


def accept(
    session: Session, principal: Principal, *, name: str, data: bytes, kind: str | None
) -> ImportBatch:
    """Check the caller and the file, and queue its import; return the new batch."""
    auth_service.require_writer(principal)
    if not data:
        raise InvalidInput("empty file", errors=[FieldError("file", "the file is empty")])
    chosen = kind or detect_kind(name, data)
    if chosen not in UPLOAD_KINDS:
        raise InvalidInput(
            "unknown kind",
            errors=[
                FieldError("kind", f"unknown import kind {chosen!r}", allowed=list(UPLOAD_KINDS))
            ],
        )
    batch = ImportBatch(
        kind=chosen,
        source_name=name,
        status="queued",
        api_key_id=principal.key_id,
        epci_siren=principal.epci_siren if not principal.is_admin else None,
    )
    session.add(batch)
    session.flush()
    return batch


def run(
    factory: sessionmaker[Session], principal: Principal, *, batch_id: int, name: str, data: bytes
) -> None:
    """Import an accepted upload in its own transaction; record the outcome on its batch."""
    try:
        with factory() as session:
            batch = session.get(ImportBatch, batch_id)
            assert batch is not None
            batch.status, batch.started_at = "running", datetime.now(UTC)
            if batch.kind == "sites-eco":
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / Path(name).name
                    path.write_bytes(data)
                    report: Any = sites_eco_service.import_sites_eco(
                        session, [path], principal=principal, batch=batch
                    )
            else:
                report = friches_service.import_upload(
                    session, principal, name=name, data=data, batch=batch
                )
            batch.status, batch.finished_at = "done", datetime.now(UTC)
            batch.report = report.as_dict()
            session.commit()
    except Exception as exc:  # the whole file failed: nothing of it is written
        log.exception("import %s failed", batch_id)
        with factory() as session:
            batch = session.get(ImportBatch, batch_id)
            if batch is not None:
                batch.status, batch.finished_at = "failed", datetime.now(UTC)
                batch.error = getattr(exc, "message", None) or str(exc)
                errors = getattr(exc, "errors", None)
                if errors:
                    batch.report = {
                        "errors": [{"field": e.field, "reason": e.reason} for e in errors]
                    }
                session.commit()


def _visible(principal: Principal, batch: ImportBatch) -> bool:
    if principal.is_admin:
        return True
    if principal.role == "territory_staff":
        return batch.epci_siren == principal.epci_siren or batch.api_key_id == principal.key_id
    return False


def get(session: Session, principal: Principal, batch_id: int) -> ImportBatch:
    """Return an import the caller may see (admins: all; staff: their EPCI's)."""
    auth_service.require_writer(principal)
    batch = session.get(ImportBatch, batch_id)
    if batch is None or not _visible(principal, batch):
        raise NotFound(f"no import {batch_id}")
    return batch


def recent(session: Session, principal: Principal, *, limit: int = 50) -> list[ImportBatch]:
    """Return the caller's recent imports, newest first."""
    auth_service.require_writer(principal)
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if not principal.is_admin:
        stmt = stmt.where(ImportBatch.epci_siren == principal.epci_siren)
    return list(session.scalars(stmt))
