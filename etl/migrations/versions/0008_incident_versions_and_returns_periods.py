"""incident versions (restatements) and the months each return covers (issue 12)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:30:21.410582

Existing incidents become version 1 of themselves; existing files have no restatements
(`updated_count` 0), so the new reconciliation check holds for every stored row. On SQLite
the check is changed by rebuilding `raw_source_file`, which `etl.warehouse.migrate` runs
with foreign keys off (SQLite's own procedure for a table rebuild), checking them after.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CHECK = "read_count = loaded_count + duplicate_count + rejected_count"
NEW_CHECK = "read_count = loaded_count + updated_count + duplicate_count + rejected_count"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('core_incident_version',
    sa.Column('incident_id', sa.String(length=120), nullable=False),
    sa.Column('force_id', sa.String(length=40), nullable=False),
    sa.Column('force_ref', sa.String(length=80), nullable=False),
    sa.Column('reported_date', sa.Date(), nullable=False),
    sa.Column('occurred_date', sa.Date(), nullable=True),
    sa.Column('offence_code', sa.String(length=40), nullable=True),
    sa.Column('offence_group', sa.String(length=40), nullable=False),
    sa.Column('hate_strand', sa.String(length=40), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=True),
    sa.Column('victim_role', sa.String(length=20), nullable=False),
    sa.Column('victim_id', sa.String(length=40), nullable=True),
    sa.Column('constituency_code', sa.String(length=9), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('suspect_keys', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('outcome_date', sa.Date(), nullable=True),
    sa.Column('is_duplicate', sa.Boolean(), nullable=False),
    sa.Column('duplicate_of', sa.String(length=120), nullable=True),
    sa.Column('duplicate_reason', sa.String(length=200), nullable=True),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('changed_fields', sa.Text(), nullable=True),
    sa.Column('replaced_by_file_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'letter', 'social_media', 'phone', 'in_person', 'online_other', 'unknown')", name=op.f('ck_core_incident_version_channel_vocabulary')),
    sa.CheckConstraint("hate_strand IS NULL OR hate_strand IN ('race', 'religion', 'sexual_orientation', 'disability', 'transgender', 'sex')", name=op.f('ck_core_incident_version_hate_strand_vocabulary')),
    sa.CheckConstraint("offence_group IN ('malicious_communications', 'communications_act', 'harassment', 'stalking', 'threats_to_kill', 'public_order', 'criminal_damage', 'assault', 'hoax', 'burglary_or_trespass', 'other')", name=op.f('ck_core_incident_version_offence_group_vocabulary')),
    sa.CheckConstraint("outcome IN ('under_investigation', 'charged', 'caution', 'community_resolution', 'no_further_action', 'suspect_not_identified', 'victim_declined', 'transferred')", name=op.f('ck_core_incident_version_outcome_vocabulary')),
    sa.CheckConstraint("victim_role IN ('mp', 'candidate', 'mp_staff', 'family', 'councillor', 'other')", name=op.f('ck_core_incident_version_victim_role_vocabulary')),
    sa.CheckConstraint('latitude IS NULL OR (latitude BETWEEN 49.8 AND 60.95)', name=op.f('ck_core_incident_version_latitude_uk')),
    sa.CheckConstraint('longitude IS NULL OR (longitude BETWEEN -8.7 AND 1.8)', name=op.f('ck_core_incident_version_longitude_uk')),
    sa.ForeignKeyConstraint(['constituency_code'], ['ref_constituency.constituency_code'], name=op.f('fk_core_incident_version_constituency_code_ref_constituency')),
    sa.ForeignKeyConstraint(['force_id'], ['ref_force.force_id'], name=op.f('fk_core_incident_version_force_id_ref_force')),
    sa.ForeignKeyConstraint(['replaced_by_file_id'], ['raw_source_file.source_file_id'], name=op.f('fk_core_incident_version_replaced_by_file_id_raw_source_file')),
    sa.ForeignKeyConstraint(['source_file_id'], ['raw_source_file.source_file_id'], name=op.f('fk_core_incident_version_source_file_id_raw_source_file')),
    sa.PrimaryKeyConstraint('incident_id', 'version', name=op.f('pk_core_incident_version')),
    sa.UniqueConstraint('source_file_id', 'source_row', name='uq_core_incident_version_lineage')
    )
    with op.batch_alter_table('core_incident_version', schema=None) as batch_op:
        batch_op.create_index('ix_core_incident_version_replaced', ['replaced_by_file_id'], unique=False)

    with op.batch_alter_table('core_incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('changed_fields', sa.Text(), nullable=True))

    with op.batch_alter_table('raw_source_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('period_start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('period_end_date', sa.Date(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_raw_source_file_reconciles'), type_='check')
        batch_op.create_check_constraint('reconciles', NEW_CHECK)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('raw_source_file', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_raw_source_file_reconciles'), type_='check')
        batch_op.create_check_constraint('reconciles', OLD_CHECK)
        batch_op.drop_column('period_end_date')
        batch_op.drop_column('period_start_date')
        batch_op.drop_column('updated_count')

    with op.batch_alter_table('core_incident', schema=None) as batch_op:
        batch_op.drop_column('changed_fields')
        batch_op.drop_column('version')

    with op.batch_alter_table('core_incident_version', schema=None) as batch_op:
        batch_op.drop_index('ix_core_incident_version_replaced')

    op.drop_table('core_incident_version')
