"""Cadastre buildings (Etalab ``batiments`` layer), partitioned by département like parcels.

The layer has no stable id: a commune's buildings are replaced as a whole on each import.
"""

import uuid
from datetime import date

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Date, Identity, PrimaryKeyConstraint, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.geo.crs import STORAGE_SRID


class Building(Base):
    """A building footprint (``type`` 01 = hard building, 02 = light building)."""

    __tablename__ = "building"
    __table_args__ = (
        PrimaryKeyConstraint("departement", "id"),
        {"postgresql_partition_by": "LIST (departement)"},
    )

    departement: Mapped[str] = mapped_column(String(3))
    id: Mapped[int] = mapped_column(BigInteger, Identity())
    commune: Mapped[str] = mapped_column(String(5), index=True)
    type: Mapped[str | None] = mapped_column(String(2))
    nom: Mapped[str | None] = mapped_column(Text)
    source_updated: Mapped[date | None] = mapped_column(Date)
    #: Hash of the source feature: a commune whose buildings all hash the same is left as is.
    source_hash: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
