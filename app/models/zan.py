"""ZAN: yearly NAF-land consumption of communes and EPCI (DOMAIN.md §4).

Loaded by ``foncier import zan-consumption`` from Cerema's national file (one row per commune,
see ``data/zan/SOURCES.md``). ``zan_territory`` says which territories the loaded millésime
covers, with their area; ``zan_consumption`` holds one row per (territory, year), year Y being
the flow from 1 January Y to 1 January Y+1 (Cerema column ``naf{YY}art{YY+1}``). EPCI rows are
the sums of their communes, computed in SQL at import time, unless the file gives them.
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

#: Territory types that carry a ZAN envelope here.
ZAN_TERRITORY_TYPES = ("commune", "epci")
#: Destinations of NAF consumption in the Cerema file (suffixes act/hab/mix/rou/fer/inc).
ZAN_DESTINATIONS = ("activite", "habitat", "mixte", "route", "ferroviaire", "inconnu")


class ZanTerritory(Base):
    """A commune or EPCI covered by the loaded NAF-consumption file, with its area."""

    __tablename__ = "zan_territory"
    __table_args__ = (
        CheckConstraint(f"territory_type IN {ZAN_TERRITORY_TYPES}", name="territory_type"),
    )

    territory_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: INSEE code (commune) or SIREN (EPCI).
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    nom: Mapped[str | None] = mapped_column(Text)
    #: The commune's EPCI in the file's millésime (``epci24`` …); null for an EPCI row.
    epci_siren: Mapped[str | None] = mapped_column(String(9), index=True)
    #: Area of the territory (Cerema ``surfcom{YYYY}``), m².
    surface_m2: Mapped[float | None] = mapped_column(Float)
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    #: Human-readable origin (file name, producer).
    source: Mapped[str] = mapped_column(Text)
    #: Millésime of the Cerema file: the year of its last flow's end (2024 for ``naf23art24``).
    millesime: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ZanConsumption(Base):
    """NAF consumption of a territory in one year, total and by destination (m²)."""

    __tablename__ = "zan_consumption"
    __table_args__ = (
        CheckConstraint(f"territory_type IN {ZAN_TERRITORY_TYPES}", name="territory_type"),
        CheckConstraint("total_m2 >= 0", name="total_non_negative"),
        ForeignKeyConstraint(
            ["territory_type", "code"],
            ["zan_territory.territory_type", "zan_territory.code"],
            name="fk_zan_consumption_territory_zan_territory",
            ondelete="CASCADE",
        ),
    )

    territory_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    #: Year Y: the flow from 1 January Y to 1 January Y+1.
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    total_m2: Mapped[float] = mapped_column(Float)
    activite_m2: Mapped[float | None] = mapped_column(Float)
    habitat_m2: Mapped[float | None] = mapped_column(Float)
    mixte_m2: Mapped[float | None] = mapped_column(Float)
    route_m2: Mapped[float | None] = mapped_column(Float)
    ferroviaire_m2: Mapped[float | None] = mapped_column(Float)
    inconnu_m2: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    millesime: Mapped[int] = mapped_column(Integer)
