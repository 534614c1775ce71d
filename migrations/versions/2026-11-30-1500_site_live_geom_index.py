"""GiST index on the footprint (or point) of live published sites: bbox and tiles of /ogc.

Revision ID: f8a2d4c6e1b7
Revises: e7f1c3a9b5d2
Create Date: 2026-11-30 15:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f8a2d4c6e1b7"
down_revision: str | None = "e7f1c3a9b5d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_site_live_geom ON site USING gist (coalesce(geom, point)) "
        "WHERE published AND deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_site_live_geom")
