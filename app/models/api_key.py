"""API keys: only a SHA-256 digest is stored; the clear key is shown once at creation."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

ROLES = ("investor", "territory_staff", "admin")


class ApiKey(Base):
    """A bearer key with its role; territory staff keys carry their EPCI."""

    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint("(role = 'territory_staff') = (epci_siren IS NOT NULL)", name="staff_epci"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: First characters of the key, shown in lists to tell keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    epci_siren: Mapped[str | None] = mapped_column(String(9))
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
