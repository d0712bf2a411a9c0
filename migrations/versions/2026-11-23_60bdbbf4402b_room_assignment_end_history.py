"""room assignment end history: who ended a slot early, when, and cancelled slots

Revision ID: 60bdbbf4402b
Revises: 33becbe789f7
Create Date: 2026-11-23 20:10:32.645994
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '60bdbbf4402b'
down_revision: str | None = '33becbe789f7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('room_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('cancelled', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_room_assignment_ended_by_id_app_user'), 'app_user', ['ended_by_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('room_assignment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_room_assignment_ended_by_id_app_user'), type_='foreignkey')
        batch_op.drop_column('cancelled')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('ended_by_id')
