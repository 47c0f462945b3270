"""screenshots of pages with claims

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scanner.store.schema

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screenshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("captured_at", scanner.store.schema.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken", sa.String(length=10), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("boxes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("warc_file", sa.Text(), nullable=False),
        sa.Column("warc_record_id", sa.String(length=80), nullable=False),
        sa.Column("warc_offset", sa.BigInteger(), nullable=False),
        sa.Column("warc_length", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_screenshots_snapshot_id_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenshots")),
    )
    with op.batch_alter_table("screenshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screenshots_snapshot_id"), ["snapshot_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("screenshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screenshots_snapshot_id"))
    op.drop_table("screenshots")
