"""Audit trail of every write to a site or its dossier."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class SiteChange(Base):
    """Who changed what on a site, when, with the values before and after."""

    __tablename__ = "site_change"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    #: ``create``, ``update``, ``delete``, ``procedure``.
    action: Mapped[str] = mapped_column(String(16))
    api_key_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
