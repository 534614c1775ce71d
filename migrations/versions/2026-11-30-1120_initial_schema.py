"""Initial schema: PostGIS, territories, parcels (partitioned), sites, dossier, keys, audit.

Revision ID: 080ebdf019df
Revises:
Create Date: 2026-11-30 11:20:43.092598+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "080ebdf019df"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every département code (COG): one parcel partition each, plus a default partition.
DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + [
    "2A",
    "2B",
    "971",
    "972",
    "973",
    "974",
    "976",
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "api_key",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'territory_staff') = (epci_siren IS NOT NULL)",
            name=op.f("ck_api_key_staff_epci"),
        ),
        sa.CheckConstraint(
            "role IN ('investor', 'territory_staff', 'admin')", name=op.f("ck_api_key_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_key_digest")),
    )
    op.create_geospatial_table(
        "departement",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("nom", sa.String(), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departement")),
    )
    op.create_geospatial_index(
        "idx_departement_geom",
        "departement",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_departement_region_code"), "departement", ["region_code"], unique=False
    )
    op.create_geospatial_table(
        "epci",
        sa.Column("siren", sa.String(length=9), nullable=False),
        sa.Column("nom", sa.String(), nullable=False),
        sa.Column("nature_juridique", sa.String(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("siren", name=op.f("pk_epci")),
    )
    op.create_geospatial_index(
        "idx_epci_geom", "epci", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_geospatial_table(
        "parcel",
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("idu", sa.String(length=14), nullable=False),
        sa.Column("commune", sa.String(length=5), nullable=False),
        sa.Column("prefixe", sa.String(length=3), nullable=False),
        sa.Column("section", sa.String(length=2), nullable=False),
        sa.Column("numero", sa.String(length=4), nullable=False),
        sa.Column("contenance", sa.Integer(), nullable=True),
        sa.Column("arpente", sa.Boolean(), nullable=True),
        sa.Column("source_created", sa.Date(), nullable=True),
        sa.Column("source_updated", sa.Date(), nullable=True),
        sa.Column("geom_repaired", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("departement", "idu", name=op.f("pk_parcel")),
        postgresql_partition_by="LIST (departement)",
    )
    op.create_geospatial_index(
        "idx_parcel_geom",
        "parcel",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_parcel_commune"), "parcel", ["commune"], unique=False)
    for code in DEPARTEMENTS:
        op.execute(
            f"CREATE TABLE parcel_{code.lower()} PARTITION OF parcel FOR VALUES IN ('{code}')"
        )
    op.execute("CREATE TABLE parcel_default PARTITION OF parcel DEFAULT")
    op.create_geospatial_table(
        "region",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("nom", sa.String(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
    )
    op.create_geospatial_index(
        "idx_region_geom",
        "region",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "territoire_industrie",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("nom", sa.String(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territoire_industrie")),
    )
    op.create_geospatial_index(
        "idx_territoire_industrie_geom",
        "territoire_industrie",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "commune",
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.Column("nom", sa.String(), nullable=False),
        sa.Column("departement_code", sa.String(length=3), nullable=False),
        sa.Column("typecom", sa.String(length=4), nullable=False),
        sa.Column("parent_insee", sa.String(length=5), nullable=True),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column("pmun", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["epci_siren"],
            ["epci.siren"],
            name=op.f("fk_commune_epci_siren_epci"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("insee", name=op.f("pk_commune")),
    )
    op.create_geospatial_index(
        "idx_commune_geom",
        "commune",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_commune_departement_code"), "commune", ["departement_code"], unique=False
    )
    op.create_index(op.f("ix_commune_epci_siren"), "commune", ["epci_siren"], unique=False)
    op.create_table(
        "territoire_industrie_epci",
        sa.Column("territoire_id", sa.String(length=16), nullable=False),
        sa.Column("epci_siren", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["territoire_id"],
            ["territoire_industrie.id"],
            name=op.f("fk_territoire_industrie_epci_territoire_id_territoire_industrie"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "territoire_id", "epci_siren", name=op.f("pk_territoire_industrie_epci")
        ),
    )
    op.create_index(
        op.f("ix_territoire_industrie_epci_epci_siren"),
        "territoire_industrie_epci",
        ["epci_siren"],
        unique=False,
    )
    op.create_geospatial_table(
        "site",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("site_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("site_nom", sa.Text(), nullable=False),
        sa.Column("site_type", sa.Text(), nullable=True),
        sa.Column("site_adresse", sa.Text(), nullable=True),
        sa.Column("site_identif_date", sa.Date(), nullable=True),
        sa.Column("site_actu_date", sa.Date(), nullable=True),
        sa.Column("site_url", sa.Text(), nullable=True),
        sa.Column("site_ademe_url", sa.Text(), nullable=True),
        sa.Column("site_securite", sa.Text(), nullable=True),
        sa.Column("site_occupation", sa.Text(), nullable=True),
        sa.Column("site_statut", sa.Text(), nullable=True),
        sa.Column("site_projet_url", sa.Text(), nullable=True),
        sa.Column("site_reconv_annee", sa.SmallInteger(), nullable=True),
        sa.Column("site_reconv_type", sa.Text(), nullable=True),
        sa.Column("activite_libelle", sa.Text(), nullable=True),
        sa.Column("activite_code", sa.Text(), nullable=True),
        sa.Column("activite_fin_annee", sa.SmallInteger(), nullable=True),
        sa.Column("comm_nom", sa.Text(), nullable=False),
        sa.Column("comm_insee", sa.String(length=5), nullable=False),
        sa.Column("bati_type", sa.Text(), nullable=True),
        sa.Column("bati_nombre", sa.Integer(), nullable=True),
        sa.Column("bati_surface", sa.Integer(), nullable=True),
        sa.Column("bati_pollution", sa.Text(), nullable=True),
        sa.Column("bati_vacance", sa.Text(), nullable=True),
        sa.Column("bati_patrimoine", sa.Text(), nullable=True),
        sa.Column("bati_etat", sa.Text(), nullable=True),
        sa.Column("local_ancien_annee", sa.SmallInteger(), nullable=True),
        sa.Column("local_recent_annee", sa.SmallInteger(), nullable=True),
        sa.Column("proprio_type", sa.Text(), nullable=True),
        sa.Column("proprio_personne", sa.Text(), nullable=True),
        sa.Column("proprio_nom", sa.Text(), nullable=True),
        sa.Column("sol_pollution_annee", sa.SmallInteger(), nullable=True),
        sa.Column("sol_pollution_existe", sa.Text(), nullable=True),
        sa.Column("sol_pollution_origine", sa.Text(), nullable=True),
        sa.Column("sol_pollution_commentaire", sa.Text(), nullable=True),
        sa.Column("sol_depollution_fiche", sa.Text(), nullable=True),
        sa.Column("unite_fonciere_surface", sa.Integer(), nullable=True),
        sa.Column("unite_fonciere_refcad", sa.Text(), nullable=True),
        sa.Column("urba_zone_type", sa.Text(), nullable=True),
        sa.Column("urba_zone_lib", sa.Text(), nullable=True),
        sa.Column("urba_zone_formdomi", sa.Text(), nullable=True),
        sa.Column("urba_zaer", sa.Text(), server_default="inconnu", nullable=False),
        sa.Column("urba_doc_type", sa.Text(), nullable=True),
        sa.Column("desserte_distance", sa.Text(), nullable=True),
        sa.Column("desserte_commentaire", sa.Text(), nullable=True),
        sa.Column("source_nom", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_producteur", sa.Text(), nullable=True),
        sa.Column("source_contact", sa.Text(), nullable=True),
        sa.Column("eco_site_id", sa.Text(), nullable=True),
        sa.Column("eco_site_type", sa.Text(), nullable=True),
        sa.Column("site_vocadomi", sa.Text(), nullable=True),
        sa.Column("site_etat", sa.Text(), nullable=True),
        sa.Column("site_surf_brute", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("site_surf_utile", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("site_quali_territoire", sa.Text(), nullable=True),
        sa.Column("site_voca_industrielle", sa.String(length=3), nullable=True),
        sa.Column("reseau_eau_potable", sa.String(length=3), nullable=True),
        sa.Column("reseau_assainissement", sa.String(length=3), nullable=True),
        sa.Column("reseau_gaz", sa.String(length=3), nullable=True),
        sa.Column("reseau_electrique", sa.String(length=3), nullable=True),
        sa.Column("reseau_fibre_optique", sa.String(length=3), nullable=True),
        sa.Column("reseau_fret_ferroviaire", sa.String(length=3), nullable=True),
        sa.Column("reseau_fluvial", sa.String(length=3), nullable=True),
        sa.Column("autoroute_nom", sa.Text(), nullable=True),
        sa.Column("autoroute_echang_dist", sa.Float(), nullable=True),
        sa.Column("gare_fret_nom", sa.Text(), nullable=True),
        sa.Column("gare_fret_dist", sa.Float(), nullable=True),
        sa.Column("port_nom", sa.Text(), nullable=True),
        sa.Column("port_dist", sa.Float(), nullable=True),
        sa.Column("aeroport_nom", sa.Text(), nullable=True),
        sa.Column("aeroport_dist", sa.Float(), nullable=True),
        sa.Column("terr_id", sa.Text(), nullable=True),
        sa.Column("terr_maitrise_fonc", sa.Text(), nullable=True),
        sa.Column("terr_stade_amngt", sa.Text(), nullable=True),
        sa.Column("terr_stade_comm", sa.Text(), nullable=True),
        sa.Column("terr_etat_occup", sa.Text(), nullable=True),
        sa.Column("terr_usage", sa.Text(), nullable=True),
        sa.Column("terr_cle_en_main", sa.String(length=3), nullable=True),
        sa.Column("terr_m2_prix", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("power_mw", sa.Float(), nullable=True),
        sa.Column("water_m3_day", sa.Float(), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column("departement_code", sa.String(length=3), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("published", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("geom_approximate", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "point",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('friche', 'turnkey', 'serviced_plot')", name=op.f("ck_site_kind")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_site_version")),
        sa.ForeignKeyConstraint(
            ["comm_insee"], ["commune.insee"], name=op.f("fk_site_comm_insee_commune")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("site_id", name=op.f("uq_site_site_id")),
    )
    op.create_geospatial_index(
        "idx_site_geom", "site", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_geospatial_index(
        "idx_site_point",
        "site",
        ["point"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_site_area_m2"), "site", ["area_m2"], unique=False)
    op.create_index(op.f("ix_site_comm_insee"), "site", ["comm_insee"], unique=False)
    op.create_index(op.f("ix_site_departement_code"), "site", ["departement_code"], unique=False)
    op.create_index(op.f("ix_site_epci_siren"), "site", ["epci_siren"], unique=False)
    op.create_index(op.f("ix_site_kind"), "site", ["kind"], unique=False)
    op.create_index(op.f("ix_site_site_statut"), "site", ["site_statut"], unique=False)
    op.create_index(op.f("ix_site_site_type"), "site", ["site_type"], unique=False)
    op.create_table(
        "procedure",
        sa.Column("site_pk", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("document_ref", sa.Text(), nullable=True),
        sa.Column("document_url", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('done', 'in_progress', 'todo', 'not_needed')",
            name=op.f("ck_procedure_status"),
        ),
        sa.ForeignKeyConstraint(
            ["site_pk"], ["site.id"], name=op.f("fk_procedure_site_pk_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_pk", "code", name=op.f("pk_procedure")),
    )
    op.create_table(
        "site_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("site_pk", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("api_key_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_pk"], ["site.id"], name=op.f("fk_site_change_site_pk_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_change")),
    )
    op.create_index(op.f("ix_site_change_site_pk"), "site_change", ["site_pk"], unique=False)
    op.create_table(
        "site_parcel",
        sa.Column("site_pk", sa.BigInteger(), nullable=False),
        sa.Column("idu", sa.String(length=14), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_pk"], ["site.id"], name=op.f("fk_site_parcel_site_pk_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_pk", "idu", name=op.f("pk_site_parcel")),
    )
    op.create_index(op.f("ix_site_parcel_idu"), "site_parcel", ["idu"], unique=False)
    # Local part of generated site ids (<INSEE>_FON<n>), unique across communes.
    op.execute("CREATE SEQUENCE site_local_seq")
    op.create_index(
        "ix_site_live",
        "site",
        ["published", "kind"],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_site_live", table_name="site")
    op.execute("DROP SEQUENCE IF EXISTS site_local_seq")
    op.drop_index(op.f("ix_site_parcel_idu"), table_name="site_parcel")
    op.drop_table("site_parcel")
    op.drop_index(op.f("ix_site_change_site_pk"), table_name="site_change")
    op.drop_table("site_change")
    op.drop_table("procedure")
    op.drop_index(op.f("ix_site_site_type"), table_name="site")
    op.drop_index(op.f("ix_site_site_statut"), table_name="site")
    op.drop_index(op.f("ix_site_kind"), table_name="site")
    op.drop_index(op.f("ix_site_epci_siren"), table_name="site")
    op.drop_index(op.f("ix_site_departement_code"), table_name="site")
    op.drop_index(op.f("ix_site_comm_insee"), table_name="site")
    op.drop_index(op.f("ix_site_area_m2"), table_name="site")
    op.drop_geospatial_index(
        "idx_site_point", table_name="site", postgresql_using="gist", column_name="point"
    )
    op.drop_geospatial_index(
        "idx_site_geom", table_name="site", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("site")
    op.drop_index(
        op.f("ix_territoire_industrie_epci_epci_siren"), table_name="territoire_industrie_epci"
    )
    op.drop_table("territoire_industrie_epci")
    op.drop_index(op.f("ix_commune_epci_siren"), table_name="commune")
    op.drop_index(op.f("ix_commune_departement_code"), table_name="commune")
    op.drop_geospatial_index(
        "idx_commune_geom", table_name="commune", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("commune")
    op.drop_geospatial_index(
        "idx_territoire_industrie_geom",
        table_name="territoire_industrie",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("territoire_industrie")
    op.drop_geospatial_index(
        "idx_region_geom", table_name="region", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("region")
    op.drop_index(op.f("ix_parcel_commune"), table_name="parcel")
    op.drop_geospatial_index(
        "idx_parcel_geom", table_name="parcel", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("parcel")
    op.drop_geospatial_index(
        "idx_epci_geom", table_name="epci", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("epci")
    op.drop_index(op.f("ix_departement_region_code"), table_name="departement")
    op.drop_geospatial_index(
        "idx_departement_geom",
        table_name="departement",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("departement")
    op.drop_table("api_key")
