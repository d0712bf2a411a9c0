"""replaced files are no longer served

(Reserved in the chain of revisions; its changes come with the work it names.)

Revision ID: d9f1b3c6e852
Revises: c7e3a9d5f204
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

revision: str = 'd9f1b3c6e852'
down_revision: str | None = 'c7e3a9d5f204'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
