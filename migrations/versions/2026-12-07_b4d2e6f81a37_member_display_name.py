"""member display name: an event names its members itself

(Reserved in the chain of revisions; its changes come with the work it names.)

Revision ID: b4d2e6f81a37
Revises: 8a1c4e7b2d95
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

revision: str = 'b4d2e6f81a37'
down_revision: str | None = '8a1c4e7b2d95'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
