"""member display name: an event names its members itself; e-mails stored normalised

Each member gets its own `display_name`, the name its event shows, filled from its account's
name as it stands now; from here on an event's staff change that name and never the
account's (`app_user.full_name`), which belongs to the person across events. It comes after
the head rather than in the reserved, empty b4d2e6f81a37, at which databases may already
stand.

The column is added in place with a default of '' (SQLite adds a NOT NULL column without
copying the table only with a default; copying `member` would, with its foreign keys on,
delete the rows that refer to it) and filled in the same step. PostgreSQL then drops the
default, so no insert can leave the name out; SQLite keeps it (dropping it means that copy),
which the application never relies on: it always writes the name.

E-mails are compared in their normalised form from now on (NFKC, lowercase; kernel/emails.py).
Stored ones were already stripped and lowercased; one that NFKC spells otherwise (full-width
letters, ligatures) is rewritten to that form, unless another account already holds it: that
one is a look-alike of the other, is left as it is, and can no longer be logged in to (a login
names the account the normalised address spells), which is what it deserves.

Revision ID: e2b7d4a9c315
Revises: d9f1b3c6e852
Create Date: 2026-12-07 13:30:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e2b7d4a9c315'
down_revision: str | None = 'd9f1b3c6e852'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normalized(email: str) -> str:
    # kernel.emails.normalize_email as of this revision: a migration keeps its own copy.
    once = unicodedata.normalize("NFKC", email).strip().lower()
    return unicodedata.normalize("NFKC", once)


def upgrade() -> None:
    op.add_column(
        'member',
        sa.Column('display_name', sa.String(length=200), server_default='', nullable=False),
    )
    op.execute(
        "UPDATE member SET display_name = "
        "(SELECT app_user.full_name FROM app_user WHERE app_user.id = member.user_id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('member', 'display_name', server_default=None)

    bind = op.get_bind()
    users = sa.table('app_user', sa.column('id', sa.Integer), sa.column('email', sa.String))
    taken = {email for (_, email) in bind.execute(sa.select(users.c.id, users.c.email))}
    for user_id, email in bind.execute(sa.select(users.c.id, users.c.email)).all():
        normalized = _normalized(email)
        if normalized != email and normalized not in taken:
            bind.execute(users.update().where(users.c.id == user_id).values(email=normalized))
            taken.discard(email)
            taken.add(normalized)


def downgrade() -> None:
    # The e-mails keep their normalised form: the older code reads them just as well. A plain
    # DROP COLUMN (SQLite 3.35 and later take it in place), not a batch's copy of `member`.
    op.execute("ALTER TABLE member DROP COLUMN display_name")
