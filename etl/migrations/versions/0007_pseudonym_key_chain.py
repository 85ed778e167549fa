"""pseudonym key chain (key rotation)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'meta_pseudonym_key',
        sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('retired_key', sa.Text(), nullable=True),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('position'),
    )


def downgrade() -> None:
    op.drop_table('meta_pseudonym_key')
