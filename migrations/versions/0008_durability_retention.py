"""durability and retention: survey response idempotency keys, erased-personal-data mark on cases,
salted commitments of audit reasons

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-23 03:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_data_erased_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('reason_digest', sa.String(length=64), nullable=True))

    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            'uq_survey_responses_survey_idempotency', ['survey_id', 'idempotency_key']
        )


def downgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_constraint('uq_survey_responses_survey_idempotency', type_='unique')
        batch_op.drop_column('request_hash')
        batch_op.drop_column('idempotency_key')

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_column('reason_digest')
        batch_op.drop_column('reason_salt')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('personal_data_erased_at')
