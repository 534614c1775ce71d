"""Import batches and quarantine, polluted-site registers, cadastre buildings, parcel hashes.

Revision ID: f02eb2d4244f
Revises: 080ebdf019df
Create Date: 2026-11-30 11:42:56.976356+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "f02eb2d4244f"
down_revision: str | None = "080ebdf019df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: One building partition per département, as for parcels (initial schema).
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
    op.create_geospatial_table(
        "building",
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("commune", sa.String(length=5), nullable=False),
        sa.Column("type", sa.String(length=2), nullable=True),
        sa.Column("nom", sa.Text(), nullable=True),
        sa.Column("source_updated", sa.Date(), nullable=True),
        sa.Column("source_hash", sa.UUID(), nullable=True),
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
        sa.PrimaryKeyConstraint("departement", "id", name=op.f("pk_building")),
        postgresql_partition_by="LIST (departement)",
    )
    op.create_geospatial_index(
        "idx_building_geom",
        "building",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_building_commune"), "building", ["commune"], unique=False)
    op.create_table(
        "import_batch",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="queued", nullable=False),
        sa.Column("api_key_id", sa.BigInteger(), nullable=True),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "report", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('cadastre', 'friches', 'sites-eco', 'polluted-sites', 'geojson')",
            name=op.f("ck_import_batch_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_import_batch_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_geospatial_table(
        "polluted_site",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("register", sa.String(length=16), nullable=False),
        sa.Column("register_id", sa.Text(), nullable=False),
        sa.Column("nom", sa.Text(), nullable=True),
        sa.Column("comm_insee", sa.String(length=5), nullable=True),
        sa.Column("commune_nom", sa.Text(), nullable=True),
        sa.Column("statut", sa.Text(), nullable=True),
        sa.Column("surface_m2", sa.Float(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column(
            "position_precision", sa.String(length=8), server_default="exact", nullable=False
        ),
        sa.Column(
            "properties", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
        sa.Column(
            "geom",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polluted_site")),
        sa.UniqueConstraint(
            "register", "register_id", name=op.f("uq_polluted_site_register_register_id")
        ),
    )
    op.create_geospatial_index(
        "idx_polluted_site_geom",
        "polluted_site",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_polluted_site_comm_insee"), "polluted_site", ["comm_insee"], unique=False
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=True),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_site_id", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_quarantine_batch_id_import_batch"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_index(op.f("ix_quarantine_batch_id"), "quarantine", ["batch_id"], unique=False)
    op.create_index(op.f("ix_quarantine_epci_siren"), "quarantine", ["epci_siren"], unique=False)
    op.create_index(op.f("ix_quarantine_site_id"), "quarantine", ["site_id"], unique=False)
    op.add_column("parcel", sa.Column("source_hash", sa.UUID(), nullable=True))
    for code in DEPARTEMENTS:
        op.execute(
            f"CREATE TABLE building_{code.lower()} PARTITION OF building FOR VALUES IN ('{code}')"
        )
    op.execute("CREATE TABLE building_default PARTITION OF building DEFAULT")
    # The legal projected CRS of a département (DOMAIN.md §3; app/geo/crs.py says the same).
    op.execute(
        """
        CREATE FUNCTION foncier_local_srid(departement text) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT CASE departement WHEN '971' THEN 5490 WHEN '972' THEN 5490
                 WHEN '973' THEN 2972 WHEN '974' THEN 2975 WHEN '976' THEN 4471 ELSE 2154 END
        $$
        """
    )
    # GeoJSON → geometry that yields NULL instead of raising: the fallback of bulk imports when
    # one row of a file is unreadable (the fast path calls ST_GeomFromGeoJSON directly).
    op.execute(
        """
        CREATE FUNCTION foncier_try_geojson(doc text) RETURNS geometry
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
        BEGIN
          RETURN ST_SetSRID(ST_GeomFromGeoJSON(doc), 4326);
        EXCEPTION WHEN OTHERS THEN
          RETURN NULL;
        END $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS foncier_try_geojson(text)")
    op.execute("DROP FUNCTION IF EXISTS foncier_local_srid(text)")
    op.drop_column("parcel", "source_hash")
    op.drop_index(op.f("ix_quarantine_site_id"), table_name="quarantine")
    op.drop_index(op.f("ix_quarantine_epci_siren"), table_name="quarantine")
    op.drop_index(op.f("ix_quarantine_batch_id"), table_name="quarantine")
    op.drop_table("quarantine")
    op.drop_index(op.f("ix_polluted_site_comm_insee"), table_name="polluted_site")
    op.drop_geospatial_index(
        "idx_polluted_site_geom",
        table_name="polluted_site",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("polluted_site")
    op.drop_table("import_batch")
    op.drop_index(op.f("ix_building_commune"), table_name="building")
    op.drop_geospatial_index(
        "idx_building_geom", table_name="building", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("building")
