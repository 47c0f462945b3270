"""every category of a sentence on its finding and its claim

A sentence that several rules flag is one finding (and one claim) carrying every category
it was flagged for, the main one first. Rows written before hold their one category.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("findings", "claims"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("categories", sa.JSON(), nullable=False, server_default="[]")
            )


def downgrade() -> None:
    for table in ("claims", "findings"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("categories")
