"""Reference registers of polluted sites (BASOL, ADEME sites à responsable défaillant)."""

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Float, Identity, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.geo.crs import STORAGE_SRID


class PollutedSite(Base):
    """A polluted or potentially polluted site of a public register, as a point."""

    __tablename__ = "polluted_site"
    __table_args__ = (UniqueConstraint("register", "register_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: ``basol`` or ``ademe-srd``.
    register: Mapped[str] = mapped_column(String(16))
    register_id: Mapped[str] = mapped_column(Text)
    nom: Mapped[str | None] = mapped_column(Text)
    comm_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    commune_nom: Mapped[str | None] = mapped_column(Text)
    statut: Mapped[str | None] = mapped_column(Text)
    surface_m2: Mapped[float | None] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(Text)
    #: ``exact`` (the register's coordinates) or ``commune`` (only the commune is known: the
    #: point is the commune's point on surface, and proximity rules ignore it).
    position_precision: Mapped[str] = mapped_column(
        String(8), default="exact", server_default="exact"
    )
    #: The register's other attributes, unchanged.
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
