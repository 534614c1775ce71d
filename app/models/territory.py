"""Reference territories: régions, départements, EPCI, communes, Territoires d'industrie.

Loaded by ``foncier demo load`` / ``foncier territories load`` from data/admin and
data/territoires-industrie (sources in their SOURCES.md); read-only for the API.
"""

from geoalchemy2 import Geography, Geometry
from sqlalchemy import Computed, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.geo.crs import STORAGE_SRID


class Region(Base):
    """A région (INSEE code)."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    nom: Mapped[str]
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))


class Departement(Base):
    """A département (INSEE code, ``2A``/``2B`` for Corsica, ``971``… overseas)."""

    __tablename__ = "departement"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    nom: Mapped[str]
    region_code: Mapped[str | None] = mapped_column(String(3), index=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))


class Epci(Base):
    """An intercommunality with its own taxation (SIREN, 9 digits): it registers land."""

    __tablename__ = "epci"

    siren: Mapped[str] = mapped_column(String(9), primary_key=True)
    nom: Mapped[str]
    nature_juridique: Mapped[str | None]
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))


class Commune(Base):
    """A commune (INSEE code), or a municipal arrondissement of Paris, with its EPCI membership."""

    __tablename__ = "commune"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    nom: Mapped[str]
    departement_code: Mapped[str] = mapped_column(String(3), index=True)
    #: ``COM`` a commune, ``ARM`` a municipal arrondissement (its parent in ``parent_insee``).
    typecom: Mapped[str] = mapped_column(String(4), default="COM")
    parent_insee: Mapped[str | None] = mapped_column(String(5))
    epci_siren: Mapped[str | None] = mapped_column(
        String(9), ForeignKey("epci.siren", ondelete="SET NULL"), index=True
    )
    #: Municipal population (INSEE, via the DGCL EPCI composition file).
    pmun: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))
    #: A point inside the commune, on the spheroid: the labour pool sums communes by distance.
    centroid = mapped_column(
        Geography("POINT", srid=STORAGE_SRID, spatial_index=True),
        Computed("ST_PointOnSurface(geom)::geography", persisted=True),
    )
    #: The same point in Lambert-93 (meaningful in mainland France and Corsica only): distances
    #: there are measured in the legal projected CRS, cheaply and index-assisted.
    centroid_l93 = mapped_column(
        Geometry("POINT", srid=2154, spatial_index=True),
        Computed("ST_Transform(ST_PointOnSurface(geom), 2154)", persisted=True),
    )


class TerritoireIndustrie(Base):
    """A Territoire d'industrie (ANCT programme 2023–2027), id like ``ti-2801``."""

    __tablename__ = "territoire_industrie"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    nom: Mapped[str]
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))


class TerritoireIndustrieEpci(Base):
    """Membership of an EPCI in a Territoire d'industrie."""

    __tablename__ = "territoire_industrie_epci"

    territoire_id: Mapped[str] = mapped_column(
        ForeignKey("territoire_industrie.id", ondelete="CASCADE"), primary_key=True
    )
    epci_siren: Mapped[str] = mapped_column(String(9), primary_key=True, index=True)
