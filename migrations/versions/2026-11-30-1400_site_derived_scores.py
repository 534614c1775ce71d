"""Derived site figures for ranking and layers: mutability, ZAN take, labour pool, time to permits.

Revision ID: c4a8e2f6b1d3
Revises: f02eb2d4244f
Create Date: 2026-11-30 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects import postgresql

revision: str = "c4a8e2f6b1d3"
down_revision: str | None = "f02eb2d4244f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: PostgreSQL's JIT compiles any plan whose estimated cost is high: on the partitioned cadastre
#: tables that costs seconds per statement (14 s for the derived figures of the demo) and adds
#: 100+ ms to a ranking over 100 000 sites, for queries that run in milliseconds without it.
JIT_OFF = (
    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = off', current_database()); END $$"
)
JIT_DEFAULT = (
    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET jit', current_database()); END $$"
)


def upgrade() -> None:
    op.execute(JIT_OFF)
    op.add_column(
        "commune",
        sa.Column(
            "centroid",
            Geography(geometry_type="POINT", srid=4326, spatial_index=False),
            sa.Computed("ST_PointOnSurface(geom)::geography", persisted=True),
            nullable=True,
        ),
    )
    op.create_index(
        "idx_commune_centroid", "commune", ["centroid"], unique=False, postgresql_using="gist"
    )
    op.add_column(
        "commune",
        sa.Column(
            "centroid_l93",
            Geometry(geometry_type="POINT", srid=2154, spatial_index=False),
            sa.Computed("ST_Transform(ST_PointOnSurface(geom), 2154)", persisted=True),
            nullable=True,
        ),
    )
    op.create_index(
        "idx_commune_centroid_l93",
        "commune",
        ["centroid_l93"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index(
        "ix_site_point_geog",
        "site",
        [sa.text("(point::geography)")],
        unique=False,
        postgresql_using="gist",
    )
    op.create_table(
        "site_derived",
        sa.Column("site_pk", sa.BigInteger(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column(
            "refreshed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("mutability_version", sa.Text(), nullable=True),
        sa.Column("mutability_index", sa.Float(), nullable=True),
        sa.Column("mutability_reliability", sa.Float(), nullable=True),
        sa.Column("mutability", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("naf_new_m2", sa.Float(), nullable=True),
        sa.Column("artificialised_new_m2", sa.Float(), nullable=True),
        sa.Column("sobriety_score", sa.Float(), nullable=True),
        sa.Column("zan", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("labour_10km", sa.Integer(), nullable=True),
        sa.Column("labour_20km", sa.Integer(), nullable=True),
        sa.Column("labour_30km", sa.Integer(), nullable=True),
        sa.Column("labour_50km", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_pk"], ["site.id"], name=op.f("fk_site_derived_site_pk_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_pk", name=op.f("pk_site_derived")),
    )
    op.create_table(
        "site_permits",
        sa.Column("site_pk", sa.BigInteger(), nullable=False),
        sa.Column("icpe", sa.String(length=16), nullable=False),
        sa.Column("min_months", sa.Float(), nullable=False),
        sa.Column("typical_months", sa.Float(), nullable=False),
        sa.Column("max_months", sa.Float(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_pk"], ["site.id"], name=op.f("fk_site_permits_site_pk_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_pk", "icpe", name=op.f("pk_site_permits")),
    )


def downgrade() -> None:
    op.execute(JIT_DEFAULT)
    op.drop_table("site_permits")
    op.drop_table("site_derived")
    op.drop_index("ix_site_point_geog", table_name="site", postgresql_using="gist")
    op.drop_index("idx_commune_centroid_l93", table_name="commune", postgresql_using="gist")
    op.drop_column("commune", "centroid_l93")
    op.drop_index("idx_commune_centroid", table_name="commune", postgresql_using="gist")
    op.drop_column("commune", "centroid")
