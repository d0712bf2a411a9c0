"""rate limit counter: failed logins counted across workers

Revision ID: b7d1c0a4e9f2
Revises: 7d3f1c2a9b40
Create Date: 2026-12-02 17:40:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b7d1c0a4e9f2'
down_revision: str | None = '7d3f1c2a9b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rate_limit_counter',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter')),
    )


def downgrade() -> None:
    op.drop_table('rate_limit_counter')
