"""ZAN: yearly NAF-land consumption per commune and EPCI (Cerema file), and its territories.

Revision ID: d5b9f3a7c2e4
Revises: c4a8e2f6b1d3
Create Date: 2026-11-30 14:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5b9f3a7c2e4"
down_revision: str | None = "c4a8e2f6b1d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zan_territory",
        sa.Column("territory_type", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("nom", sa.Text(), nullable=True),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column("surface_m2", sa.Float(), nullable=True),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("millesime", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "territory_type IN ('commune', 'epci')",
            name=op.f("ck_zan_territory_territory_type"),
        ),
        sa.PrimaryKeyConstraint("territory_type", "code", name=op.f("pk_zan_territory")),
    )
    op.create_index(
        op.f("ix_zan_territory_epci_siren"), "zan_territory", ["epci_siren"], unique=False
    )
    op.create_table(
        "zan_consumption",
        sa.Column("territory_type", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("total_m2", sa.Float(), nullable=False),
        sa.Column("activite_m2", sa.Float(), nullable=True),
        sa.Column("habitat_m2", sa.Float(), nullable=True),
        sa.Column("mixte_m2", sa.Float(), nullable=True),
        sa.Column("route_m2", sa.Float(), nullable=True),
        sa.Column("ferroviaire_m2", sa.Float(), nullable=True),
        sa.Column("inconnu_m2", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("millesime", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "territory_type IN ('commune', 'epci')",
            name=op.f("ck_zan_consumption_territory_type"),
        ),
        sa.CheckConstraint("total_m2 >= 0", name=op.f("ck_zan_consumption_total_non_negative")),
        sa.ForeignKeyConstraint(
            ["territory_type", "code"],
            ["zan_territory.territory_type", "zan_territory.code"],
            name=op.f("fk_zan_consumption_territory_zan_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_type", "code", "year", name=op.f("pk_zan_consumption")),
    )


def downgrade() -> None:
    op.drop_table("zan_consumption")
    op.drop_index(op.f("ix_zan_territory_epci_siren"), table_name="zan_territory")
    op.drop_table("zan_territory")
