"""viewer standing: a version of what the permission checks read about a user

The door reads its viewer (user, memberships, presidencies, staff slots) on every scan: one
round trip and a quarter of a millisecond of a worker's time. A server process may instead keep
the viewer it read for a user, if the door's own statement checks that nothing of it changed
since: `viewer_standing.version`, moved by triggers on PostgreSQL whenever a user row, a
membership's role or event, a staff slot or a presidency changes. A check-in (member
`checked_in_at`) moves nothing. SQLite reads its viewer every time and has no triggers.

Revision ID: 9c5e1d7a3b20
Revises: 5b2e9d7c1f03
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '9c5e1d7a3b20'
down_revision: str | None = '5b2e9d7c1f03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_TRIGGERS = r"""
CREATE FUNCTION agora_standing_moved(p_user_id integer) RETURNS void LANGUAGE sql AS $fn$
    INSERT INTO viewer_standing AS s (user_id, version)
    SELECT p_user_id, 1 WHERE EXISTS (SELECT 1 FROM app_user u WHERE u.id = p_user_id)
    ON CONFLICT (user_id) DO UPDATE SET version = s.version + 1;
$fn$;

CREATE FUNCTION agora_user_standing() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM agora_standing_moved(NEW.id);
    RETURN NULL;
END
$fn$;

CREATE FUNCTION agora_member_standing() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM agora_standing_moved(OLD.user_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM agora_standing_moved(NEW.user_id);
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION agora_slot_standing() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM agora_standing_moved(m.user_id) FROM member m WHERE m.id = OLD.member_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM agora_standing_moved(m.user_id) FROM member m WHERE m.id = NEW.member_id;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION agora_presidency_standing() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.president_id IS NOT NULL THEN
        PERFORM agora_standing_moved(OLD.president_id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.president_id IS NOT NULL THEN
        PERFORM agora_standing_moved(NEW.president_id);
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER app_user_standing AFTER UPDATE ON app_user
    FOR EACH ROW EXECUTE FUNCTION agora_user_standing();
CREATE TRIGGER member_standing AFTER INSERT OR DELETE OR UPDATE OF role, event_id, user_id
    ON member FOR EACH ROW EXECUTE FUNCTION agora_member_standing();
CREATE TRIGGER room_assignment_standing AFTER INSERT OR DELETE OR UPDATE ON room_assignment
    FOR EACH ROW EXECUTE FUNCTION agora_slot_standing();
CREATE TRIGGER event_standing AFTER INSERT OR DELETE OR UPDATE OF president_id ON event
    FOR EACH ROW EXECUTE FUNCTION agora_presidency_standing();
"""

PG_DROP = r"""
DROP TRIGGER IF EXISTS app_user_standing ON app_user;
DROP TRIGGER IF EXISTS member_standing ON member;
DROP TRIGGER IF EXISTS room_assignment_standing ON room_assignment;
DROP TRIGGER IF EXISTS event_standing ON event;
DROP FUNCTION IF EXISTS agora_user_standing();
DROP FUNCTION IF EXISTS agora_member_standing();
DROP FUNCTION IF EXISTS agora_slot_standing();
DROP FUNCTION IF EXISTS agora_presidency_standing();
DROP FUNCTION IF EXISTS agora_standing_moved(integer);
"""


def upgrade() -> None:
    op.create_table(
        'viewer_standing',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['app_user.id'],
            name=op.f('fk_viewer_standing_user_id_app_user'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_viewer_standing')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_TRIGGERS)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_DROP)
    op.drop_table('viewer_standing')
