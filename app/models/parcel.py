"""Cadastre parcels (Etalab cadastre, DOMAIN.md §2 "IDU"), partitioned by département.

France holds about 90 M parcels; one LIST partition per département keeps each index at
0.3–1.5 M rows and lets a département be reloaded or detached alone. The partitions themselves are
created by the migration (and ``parcel_default`` catches any code not listed).
"""

import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Date, DateTime, Integer, PrimaryKeyConstraint, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.geo.crs import STORAGE_SRID


class Parcel(Base):
    """A cadastre parcel: IDU = INSEE (5) + prefix (3) + section (2) + number (4)."""

    __tablename__ = "parcel"
    __table_args__ = (
        PrimaryKeyConstraint("departement", "idu"),
        {"postgresql_partition_by": "LIST (departement)"},
    )

    departement: Mapped[str] = mapped_column(String(3))
    idu: Mapped[str] = mapped_column(String(14))
    commune: Mapped[str] = mapped_column(String(5), index=True)
    prefixe: Mapped[str] = mapped_column(String(3))
    section: Mapped[str] = mapped_column(String(2))
    numero: Mapped[str] = mapped_column(String(4))
    #: Area in m² as given by the DGFiP (``contenance``); may be absent in the source.
    contenance: Mapped[int | None] = mapped_column(Integer)
    arpente: Mapped[bool | None] = mapped_column(Boolean)
    source_created: Mapped[date | None] = mapped_column(Date)
    source_updated: Mapped[date | None] = mapped_column(Date)
    #: MD5 of the source feature's text: an unchanged parcel is skipped without parsing it.
    source_hash: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    #: The source geometry was invalid and repaired with ST_MakeValid.
    geom_repaired: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
