"""Figures derived from a site's attributes, stored so that ranking and map layers read them in SQL.

They are recomputed by the pure rules (``app.matching``, ``app.mutability``, ``app.zan``) whenever a
site or its dossier changes, and in bulk by ``foncier derive refresh``. ``computed_on`` says as of
which day: a procedure *in progress* shortens the time to permits as days pass.
"""

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
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


class SiteMatch(Base):
    """The facts the ranking reads, one narrow row per site (``app.matching.sql``).

    A copy of site columns and derived figures in plain float8/bool/date columns: PostgreSQL
    scans 100 000 of these rows (~100 bytes each) in milliseconds, where the wide ``site`` row
    with its CNIG texts and geometry would cost a hundred. Rebuilt by ``app.derived`` with
    every refresh of a site.
    """

    __tablename__ = "site_match"
    __table_args__ = (
        Index("ix_site_match_point_geog", text("(point::geography)"), postgresql_using="gist"),
    )

    site_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    #: Byte-order collation: ties are broken by site_id as Python sorts strings.
    site_id: Mapped[str] = mapped_column(String(80, collation="C"))
    #: Published and not deleted: offered to investors.
    live: Mapped[bool] = mapped_column(Boolean, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    departement_code: Mapped[str] = mapped_column(String(3), index=True)
    epci_siren: Mapped[str | None] = mapped_column(String(9), index=True)
    point = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    area_ha: Mapped[float | None] = mapped_column(Float)
    buildings_m2: Mapped[float | None] = mapped_column(Float)
    power_mw: Mapped[float | None] = mapped_column(Float)
    water_m3_day: Mapped[float | None] = mapped_column(Float)
    gas: Mapped[bool | None] = mapped_column(Boolean)
    rail_siding: Mapped[bool | None] = mapped_column(Boolean)
    motorway_km: Mapped[float | None] = mapped_column(Float)
    freight_station_km: Mapped[float | None] = mapped_column(Float)
    port_km: Mapped[float | None] = mapped_column(Float)
    available_from: Mapped[date | None] = mapped_column(Date)
    price_m2: Mapped[float | None] = mapped_column(Float)
    sobriety_score: Mapped[float | None] = mapped_column(Float)
    labour_10km: Mapped[float | None] = mapped_column(Float)
    labour_20km: Mapped[float | None] = mapped_column(Float)
    labour_30km: Mapped[float | None] = mapped_column(Float)
    labour_50km: Mapped[float | None] = mapped_column(Float)
    #: Typical months to permits per ICPE regime (Seveso = autorisation, permits.Project).
    months_none: Mapped[float | None] = mapped_column(Float)
    months_declaration: Mapped[float | None] = mapped_column(Float)
    months_enregistrement: Mapped[float | None] = mapped_column(Float)
    months_autorisation: Mapped[float | None] = mapped_column(Float)
