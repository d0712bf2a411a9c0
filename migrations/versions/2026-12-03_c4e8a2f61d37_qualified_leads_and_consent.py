"""qualified leads and consent: a visit's rating and tags, a member's contact sharing

Revision ID: c4e8a2f61d37
Revises: e3a91f5c27d8
Create Date: 2026-12-03 19:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c4e8a2f61d37'
down_revision: str | None = 'e3a91f5c27d8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'rating', 'rating IS NULL OR (rating >= 1 AND rating <= 5)'
        )
    op.create_table(
        'visit_tag',
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ['visit_id'], ['visit.id'], name=op.f('fk_visit_tag_visit_id_visit'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('visit_id', 'tag', name=op.f('pk_visit_tag')),
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        # Existing members keep sharing, as they did before they could choose.
        batch_op.add_column(
            sa.Column('shares_contact', sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('shares_contact')
    op.drop_table('visit_tag')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint('rating', type_='check')
        batch_op.drop_column('rating')
