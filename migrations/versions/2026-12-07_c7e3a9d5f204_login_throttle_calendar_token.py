"""login throttle per account and address; calendar feed tokens

(Reserved in the chain of revisions; its changes come with the work it names.)

Revision ID: c7e3a9d5f204
Revises: b4d2e6f81a37
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

revision: str = 'c7e3a9d5f204'
down_revision: str | None = 'b4d2e6f81a37'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
