"""replaced files are no longer served

An upload of a programme, guide or stand plan now deletes the file it replaces (row and bytes),
so a replaced document's id answers NOT_FOUND like any absent one. Before, every upload was
kept and the newest of a kind was the current one, the older ones still downloadable by id.
This deletes those older rows: only the newest of each kind per event (per exposant for stand
plans) stays. No column changes. Their bytes stay in the storage folder, unreachable (files are
served by row only); the migration does not know that folder. The downgrade restores nothing.

Revision ID: d9f1b3c6e852
Revises: c7e3a9d5f204
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'd9f1b3c6e852'
down_revision: str | None = 'c7e3a9d5f204'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # GROUP BY puts the NULL member_id of an event's own documents in one group per event
    # and kind, on SQLite and PostgreSQL alike.
    op.execute(
        """
DELETE FROM stored_file
 WHERE id NOT IN (SELECT max(id) FROM stored_file GROUP BY event_id, kind, member_id)
"""
    )


def downgrade() -> None:
    pass
