"""Import batches (one per file imported or uploaded) and their quarantined rows."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

IMPORT_KINDS = ("cadastre", "friches", "sites-eco", "polluted-sites", "geojson")
IMPORT_STATUSES = ("queued", "running", "done", "failed")


class ImportBatch(Base):
    """One import of one file: who, what, when, and the report of what happened to each row."""

    __tablename__ = "import_batch"
    __table_args__ = (
        CheckConstraint(f"kind IN {IMPORT_KINDS}", name="kind"),
        CheckConstraint(f"status IN {IMPORT_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="queued", server_default="queued")
    api_key_id: Mapped[int | None] = mapped_column(BigInteger)
    #: Territory scope of an upload by staff: rows outside it are quarantined.
    epci_siren: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: {rows, imported, updated, unchanged, quarantined, errors: [{row, field, reason}], ...}
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    error: Mapped[str | None] = mapped_column(Text)


class QuarantineRow(Base):
    """A row that could not be imported, with its reasons; staff can fix and re-submit it."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[str | None] = mapped_column(Text, index=True)
    #: Owner EPCI when it could be derived (so that staff see their territory's rows).
    epci_siren: Mapped[str | None] = mapped_column(String(9), index=True)
    #: The row as read from the file (column → text), to fix and re-submit.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    #: [{field, reason}] — blocking errors.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_site_id: Mapped[str | None] = mapped_column(Text)
