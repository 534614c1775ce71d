"""The dossier of a site: one row per procedure P1–P12 of DOMAIN.md §5."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

PROCEDURE_STATUSES = ("done", "in_progress", "todo", "not_needed")


class Procedure(Base):
    """State of one study or procedure for a site (codes in app/data/procedures.csv)."""

    __tablename__ = "procedure"
    __table_args__ = (CheckConstraint(f"status IN {PROCEDURE_STATUSES}", name="status"),)

    site_pk: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    #: End of validity (an opinion, an authorisation or a diagnostic can lapse).
    valid_until: Mapped[date | None] = mapped_column(Date)
    document_ref: Mapped[str | None] = mapped_column(Text)
    document_url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
