"""A narrow table of the facts the ranking reads (site_match), one row per site.

Revision ID: e7f1c3a9b5d2
Revises: d5b9f3a7c2e4
Create Date: 2026-11-30 14:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "e7f1c3a9b5d2"
down_revision: str | None = "d5b9f3a7c2e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLOATS = (
    "area_ha",
    "buildings_m2",
    "power_mw",
    "water_m3_day",
    "motorway_km",
    "freight_station_km",
    "port_km",
    "price_m2",
    "sobriety_score",
    "labour_10km",
    "labour_20km",
    "labour_30km",
    "labour_50km",
    "months_none",
    "months_declaration",
    "months_enregistrement",
    "months_autorisation",
)


def upgrade() -> None:
    op.create_table(
        "site_match",
        sa.Column("site_pk", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.String(length=80, collation="C"), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("departement_code", sa.String(length=3), nullable=False),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column(
            "point",
            Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        *[sa.Column(name, sa.Float(), nullable=True) for name in FLOATS[:7]],
        sa.Column("gas", sa.Boolean(), nullable=True),
        sa.Column("rail_siding", sa.Boolean(), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=True),
        *[sa.Column(name, sa.Float(), nullable=True) for name in FLOATS[7:]],
        sa.ForeignKeyConstraint(
            ["site_pk"], ["site.id"], name=op.f("fk_site_match_site_pk_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_pk", name=op.f("pk_site_match")),
    )
    op.create_index(op.f("ix_site_match_live"), "site_match", ["live"], unique=False)
    op.create_index(
        op.f("ix_site_match_departement_code"), "site_match", ["departement_code"], unique=False
    )
    op.create_index(op.f("ix_site_match_epci_siren"), "site_match", ["epci_siren"], unique=False)
    op.create_index(
        "ix_site_match_point_geog",
        "site_match",
        [sa.text("(point::geography)")],
        unique=False,
        postgresql_using="gist",
    )
    # Filled from the sites and their derived figures (app.derived refreshes it afterwards).
    op.execute(
        """
        INSERT INTO site_match
        SELECT s.id, s.site_id, s.published AND s.deleted_at IS NULL, s.kind,
               s.departement_code, s.epci_siren, s.point,
               COALESCE(s.area_m2, s.unite_fonciere_surface::float8) / 10000::float8,
               s.bati_surface::float8, s.power_mw, s.water_m3_day,
               s.autoroute_echang_dist, s.gare_fret_dist, s.port_dist,
               CASE s.reseau_gaz WHEN 'oui' THEN true WHEN 'non' THEN false END,
               CASE s.reseau_fret_ferroviaire WHEN 'oui' THEN true WHEN 'non' THEN false END,
               s.available_from, s.terr_m2_prix::float8, d.sobriety_score,
               d.labour_10km, d.labour_20km, d.labour_30km, d.labour_50km,
               (SELECT typical_months FROM site_permits p
                 WHERE p.site_pk = s.id AND p.icpe = 'none'),
               (SELECT typical_months FROM site_permits p
                 WHERE p.site_pk = s.id AND p.icpe = 'declaration'),
               (SELECT typical_months FROM site_permits p
                 WHERE p.site_pk = s.id AND p.icpe = 'enregistrement'),
               (SELECT typical_months FROM site_permits p
                 WHERE p.site_pk = s.id AND p.icpe = 'autorisation')
        FROM site s LEFT JOIN site_derived d ON d.site_pk = s.id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_site_match_point_geog", table_name="site_match", postgresql_using="gist")
    op.drop_index(op.f("ix_site_match_epci_siren"), table_name="site_match")
    op.drop_index(op.f("ix_site_match_departement_code"), table_name="site_match")
    op.drop_index(op.f("ix_site_match_live"), table_name="site_match")
    op.drop_table("site_match")
