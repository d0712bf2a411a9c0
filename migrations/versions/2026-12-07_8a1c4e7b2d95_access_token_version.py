"""access token version: a logout ends the access tokens issued before it

An access token carries `app_user.token_version` as it was when the token was issued; the
viewer read every request makes compares them, so moving the version (logout, a refresh
token's reuse) ends every earlier access token at once instead of at its expiry. On
PostgreSQL the update also moves the user's `viewer_standing` (an app_user update does), so a
viewer a server process kept for the door is read again.

Revision ID: 8a1c4e7b2d95
Revises: 3f6a2d9e8b14
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '8a1c4e7b2d95'
down_revision: str | None = '3f6a2d9e8b14'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default: SQLite takes it without copying the table.
    op.add_column(
        'app_user',
        sa.Column('token_version', sa.Integer(), server_default=sa.text('0'), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('token_version')
