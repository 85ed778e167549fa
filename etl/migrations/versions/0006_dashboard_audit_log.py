"""dashboard audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:10:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'app_audit_event',
        sa.Column('event_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_name', sa.String(length=120), nullable=False),
        sa.Column('role', sa.String(length=60), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('page', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.CheckConstraint(
            "action IN ('sign_in', 'sign_out', 'view_incidents', 'upload', 'download', "
            "'refused')", name='audit_action_vocabulary'),
        sa.PrimaryKeyConstraint('event_id'),
    )
    with op.batch_alter_table('app_audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_app_audit_event_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('app_audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_app_audit_event_at')
    op.drop_table('app_audit_event')
