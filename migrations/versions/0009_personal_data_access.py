"""personal data access log: who was shown which personal data, when and how

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-22 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('personal_data_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_personal_data_access_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_access'))
    )
    with op.batch_alter_table('personal_data_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_data_access_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_personal_data_access_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_personal_data_access_subject', ['subject_type', 'subject', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('personal_data_access', schema=None) as batch_op:
        batch_op.drop_index('ix_personal_data_access_subject')
        batch_op.drop_index(batch_op.f('ix_personal_data_access_user_id'))
        batch_op.drop_index(batch_op.f('ix_personal_data_access_at'))

    op.drop_table('personal_data_access')
