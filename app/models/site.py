"""Sites: friches, turnkey sites and serviced plots, with their CNIG fields.

Column names are those of the CNIG Friches standard v1.0.6 (``site_*``, ``bati_*``, ``sol_*``,
``urba_*`` …) and of CNIG Sites économiques v2024-10 (``reseau_*``, ``*_dist``, ``terr_*``), so that
imports and exports map one to one (DOMAIN.md §3). Where the two standards use the same name for
different things (``site_type``), the Sites économiques one is prefixed ``eco_``. Columns that no
standard defines (power, water, availability, kind, publication) carry plain English names.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.geo.crs import STORAGE_SRID

SITE_KINDS = ("friche", "turnkey", "serviced_plot")


class Site(Base):
    """A piece of land offered to industry (one row per CNIG ``site_id``)."""

    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint(f"kind IN {SITE_KINDS}", name="kind"),
        CheckConstraint("version >= 1", name="version"),
        # The public listing reads published, live sites: keep that subset small to scan.
        Index("ix_site_live", "published", "kind", postgresql_where=text("deleted_at IS NULL")),
        # Radius searches (matching: point and radius in km) measure on the spheroid.
        Index("ix_site_point_geog", text("(point::geography)"), postgresql_using="gist"),
        # OGC API bbox filters and vector tiles of the published sites (app/ogc).
        Index(
            "ix_site_live_geom",
            text("coalesce(geom, point)"),
            postgresql_using="gist",
            postgresql_where=text("published AND deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    #: Public id: CNIG ``site_id`` = ``<INSEE>_<local id>``.
    site_id: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)

    # --- CNIG Friches v1.0.6 ---------------------------------------------------------------
    site_nom: Mapped[str] = mapped_column(Text)
    site_type: Mapped[str | None] = mapped_column(Text, index=True)
    site_adresse: Mapped[str | None] = mapped_column(Text)
    site_identif_date: Mapped[date | None] = mapped_column(Date)
    site_actu_date: Mapped[date | None] = mapped_column(Date)
    site_url: Mapped[str | None] = mapped_column(Text)
    site_ademe_url: Mapped[str | None] = mapped_column(Text)
    site_securite: Mapped[str | None] = mapped_column(Text)
    site_occupation: Mapped[str | None] = mapped_column(Text)
    site_statut: Mapped[str | None] = mapped_column(Text, index=True)
    site_projet_url: Mapped[str | None] = mapped_column(Text)
    site_reconv_annee: Mapped[int | None] = mapped_column(SmallInteger)
    site_reconv_type: Mapped[str | None] = mapped_column(Text)
    activite_libelle: Mapped[str | None] = mapped_column(Text)
    activite_code: Mapped[str | None] = mapped_column(Text)
    activite_fin_annee: Mapped[int | None] = mapped_column(SmallInteger)
    comm_nom: Mapped[str] = mapped_column(Text)
    comm_insee: Mapped[str] = mapped_column(String(5), ForeignKey("commune.insee"), index=True)
    bati_type: Mapped[str | None] = mapped_column(Text)
    bati_nombre: Mapped[int | None] = mapped_column(Integer)
    bati_surface: Mapped[int | None] = mapped_column(Integer)
    bati_pollution: Mapped[str | None] = mapped_column(Text)
    bati_vacance: Mapped[str | None] = mapped_column(Text)
    bati_patrimoine: Mapped[str | None] = mapped_column(Text)
    bati_etat: Mapped[str | None] = mapped_column(Text)
    local_ancien_annee: Mapped[int | None] = mapped_column(SmallInteger)
    local_recent_annee: Mapped[int | None] = mapped_column(SmallInteger)
    proprio_type: Mapped[str | None] = mapped_column(Text)
    proprio_personne: Mapped[str | None] = mapped_column(Text)
    proprio_nom: Mapped[str | None] = mapped_column(Text)
    sol_pollution_annee: Mapped[int | None] = mapped_column(SmallInteger)
    sol_pollution_existe: Mapped[str | None] = mapped_column(Text)
    sol_pollution_origine: Mapped[str | None] = mapped_column(Text)
    sol_pollution_commentaire: Mapped[str | None] = mapped_column(Text)
    sol_depollution_fiche: Mapped[str | None] = mapped_column(Text)
    unite_fonciere_surface: Mapped[int | None] = mapped_column(Integer)
    unite_fonciere_refcad: Mapped[str | None] = mapped_column(Text)
    urba_zone_type: Mapped[str | None] = mapped_column(Text)
    urba_zone_lib: Mapped[str | None] = mapped_column(Text)
    urba_zone_formdomi: Mapped[str | None] = mapped_column(Text)
    urba_zaer: Mapped[str] = mapped_column(Text, default="inconnu", server_default="inconnu")
    urba_doc_type: Mapped[str | None] = mapped_column(Text)
    desserte_distance: Mapped[str | None] = mapped_column(Text)
    desserte_commentaire: Mapped[str | None] = mapped_column(Text)
    source_nom: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    source_producteur: Mapped[str | None] = mapped_column(Text)
    source_contact: Mapped[str | None] = mapped_column(Text)

    # --- CNIG Sites économiques v2024-10: SITE-ECO (the zone) ------------------------------
    eco_site_id: Mapped[str | None] = mapped_column(Text)
    eco_site_type: Mapped[str | None] = mapped_column(Text)
    site_vocadomi: Mapped[str | None] = mapped_column(Text)
    site_etat: Mapped[str | None] = mapped_column(Text)
    site_surf_brute: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    site_surf_utile: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    site_quali_territoire: Mapped[str | None] = mapped_column(Text)
    site_voca_industrielle: Mapped[str | None] = mapped_column(String(3))
    reseau_eau_potable: Mapped[str | None] = mapped_column(String(3))
    reseau_assainissement: Mapped[str | None] = mapped_column(String(3))
    reseau_gaz: Mapped[str | None] = mapped_column(String(3))
    reseau_electrique: Mapped[str | None] = mapped_column(String(3))
    reseau_fibre_optique: Mapped[str | None] = mapped_column(String(3))
    #: Rail siding (embranchement ferroviaire) serving the site.
    reseau_fret_ferroviaire: Mapped[str | None] = mapped_column(String(3))
    reseau_fluvial: Mapped[str | None] = mapped_column(String(3))
    autoroute_nom: Mapped[str | None] = mapped_column(Text)
    #: Distances in km (CNIG Sites économiques units).
    autoroute_echang_dist: Mapped[float | None] = mapped_column(Float)
    gare_fret_nom: Mapped[str | None] = mapped_column(Text)
    gare_fret_dist: Mapped[float | None] = mapped_column(Float)
    port_nom: Mapped[str | None] = mapped_column(Text)
    port_dist: Mapped[float | None] = mapped_column(Float)
    aeroport_nom: Mapped[str | None] = mapped_column(Text)
    aeroport_dist: Mapped[float | None] = mapped_column(Float)

    # --- CNIG Sites économiques: TERRAIN-ECO (the plot) -------------------------------------
    terr_id: Mapped[str | None] = mapped_column(Text)
    terr_maitrise_fonc: Mapped[str | None] = mapped_column(Text)
    terr_stade_amngt: Mapped[str | None] = mapped_column(Text)
    terr_stade_comm: Mapped[str | None] = mapped_column(Text)
    terr_etat_occup: Mapped[str | None] = mapped_column(Text)
    terr_usage: Mapped[str | None] = mapped_column(Text)
    terr_cle_en_main: Mapped[str | None] = mapped_column(String(3))
    #: Price per m² in euros: confidential (never shown to anonymous callers).
    terr_m2_prix: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    # --- Industry needs not covered by the standards ---------------------------------------
    power_mw: Mapped[float | None] = mapped_column(Float)
    water_m3_day: Mapped[float | None] = mapped_column(Float)
    available_from: Mapped[date | None] = mapped_column(Date)

    # --- Derived and bookkeeping -------------------------------------------------------------
    #: Owner EPCI, derived from ``comm_insee`` (commune → EPCI membership).
    epci_siren: Mapped[str | None] = mapped_column(String(9), index=True)
    departement_code: Mapped[str] = mapped_column(String(3), index=True)
    #: Area in m², computed by PostGIS in the legal projected CRS (Lambert-93 in mainland France).
    area_m2: Mapped[float | None] = mapped_column(Float, index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    #: Deviations noticed when the site was imported ([{field, reason}]), kept with the site.
    warnings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))
    #: The footprint is only a point (no polygon or parcels known yet).
    geom_approximate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))
    #: Representative point (CNIG ``geompoint``): given, or ST_PointOnSurface of ``geom``.
    point = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)


class SiteParcel(Base):
    """A cadastre parcel that makes up a site (IDU; the parcel row may be loaded later)."""

    __tablename__ = "site_parcel"

    site_pk: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    idu: Mapped[str] = mapped_column(String(14), primary_key=True, index=True)
