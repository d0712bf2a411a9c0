"""audit log; question moderation (hidden, pinned) and anonymous questions

Revision ID: e3a91f5c27d8
Revises: b7d1c0a4e9f2
Create Date: 2026-12-03 18:45:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e3a91f5c27d8'
down_revision: str | None = 'b7d1c0a4e9f2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('subject_id', sa.String(length=200), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['app_user.id'], name=op.f('fk_audit_entry_actor_id_app_user')
        ),
        sa.ForeignKeyConstraint(
            ['event_id'], ['event.id'], name=op.f('fk_audit_entry_event_id_event')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    )
    op.create_index('ix_audit_entry_event_id_id', 'audit_entry', ['event_id', 'id'])
    op.create_index(
        'ix_audit_entry_event_id_action_id', 'audit_entry', ['event_id', 'action', 'id']
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        for name in ('is_hidden', 'is_pinned', 'is_anonymous'):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
        batch_op.add_column(sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('moderated_at')
        batch_op.drop_column('is_anonymous')
        batch_op.drop_column('is_pinned')
        batch_op.drop_column('is_hidden')
    op.drop_index('ix_audit_entry_event_id_action_id', table_name='audit_entry')
    op.drop_index('ix_audit_entry_event_id_id', table_name='audit_entry')
    op.drop_table('audit_entry')
