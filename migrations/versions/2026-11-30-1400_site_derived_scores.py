"""Derived site figures for ranking and layers: mutability, ZAN take, labour pool, time to permits.

Revision ID: c4a8e2f6b1d3
Revises: f02eb2d4244f
Create Date: 2026-11-30 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4a8e2f6b1d3"
down_revision: str | None = "f02eb2d4244f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_derived",
        sa.Column("site_pk", sa.BigInteger(), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
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
    op.drop_table("site_permits")
    op.drop_table("site_derived")
