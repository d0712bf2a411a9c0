"""member display name: an event names its members itself

Empty: reserved for that work, which did not land with it. Databases may already stand at this
revision, so the display name must come in a new revision after the head, not here.

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
