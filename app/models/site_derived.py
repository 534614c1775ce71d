"""Figures derived from a site's attributes, stored so that ranking and map layers read them in SQL.

They are recomputed by the pure rules (``app.matching``, ``app.mutability``, ``app.zan``) whenever a
site or its dossier changes, and in bulk by ``foncier derive refresh``. ``computed_on`` says as of
which day: a procedure *in progress* shortens the time to permits as days pass.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Float, ForeignKey, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

#: Radii (km) at which the labour pool (municipal population around a site) is precomputed.
LABOUR_POOL_RADII_KM = (10, 20, 30, 50)

#: ICPE regimes of a project as stored in ``site_permits.icpe``; ``none`` = no ICPE.
PERMIT_REGIMES = (
    "none",
    "declaration",
    "enregistrement",
    "autorisation",
    "seveso_low",
    "seveso_high",
)


class SiteDerived(Base):
    """One row per site: mutability index, ZAN figures, labour pool."""

    __tablename__ = "site_derived"

    site_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    computed_on: Mapped[date] = mapped_column(Date)
    #: When the row was last recomputed: a site updated after it is stale.
    refreshed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    # ADEME Mutafriches, latest version, usage "industrie" (DOMAIN.md §6).
    mutability_version: Mapped[str | None] = mapped_column(Text)
    mutability_index: Mapped[float | None] = mapped_column(Float)
    mutability_reliability: Mapped[float | None] = mapped_column(Float)
    #: The whole answer (seven usages, reliability detail) for display.
    mutability: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # ZAN (DOMAIN.md §4): land take of building on the site.
    naf_new_m2: Mapped[float | None] = mapped_column(Float)
    artificialised_new_m2: Mapped[float | None] = mapped_column(Float)
    sobriety_score: Mapped[float | None] = mapped_column(Float)
    #: The site's ZAN detail (rule applied, host territory headroom) for display.
    zan: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Municipal population (INSEE pmun) of the communes within each radius of the site.
    labour_10km: Mapped[int | None] = mapped_column(Integer)
    labour_20km: Mapped[int | None] = mapped_column(Integer)
    labour_30km: Mapped[int | None] = mapped_column(Integer)
    labour_50km: Mapped[int | None] = mapped_column(Integer)


class SitePermits(Base):
    """Months until permits are final, per ICPE regime of the project (DOMAIN.md §5)."""

    __tablename__ = "site_permits"

    site_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    icpe: Mapped[str] = mapped_column(String(16), primary_key=True)
    min_months: Mapped[float] = mapped_column(Float)
    typical_months: Mapped[float] = mapped_column(Float)
    max_months: Mapped[float] = mapped_column(Float)
    computed_on: Mapped[date] = mapped_column(Date)
