"""session admitted count: the seats a session has given, kept by the database

The door's capacity rule needs the number of distinct members already let in to the session.
Counted from the scan log on every scan, it costs more the fuller the room (an index scan
over every grant of the session, under the session's lock). `session.admitted` holds that
number: triggers on room_access keep it exact whoever writes the log (the door, offline sync,
a bulk load, retention), and `agora_scan` reads it with the session row it locks anyway,
looking a member up in the log only when the room is full (a returning member is let back
in). `agora_scan` and `agora_recorded_scan` are also declared to return one row, so that the
statement that joins the answer's member and session to the scan plans index lookups.

Revision ID: 5b2e9d7c1f03
Revises: c4e8a2f61d37
Create Date: 2026-12-04 03:00:00
"""

from collections.abc import Sequence
from types import ModuleType

import sqlalchemy as sa
from alembic import op


revision: str = '5b2e9d7c1f03'
down_revision: str | None = 'c4e8a2f61d37'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDED = 'agora_recorded_scan(integer, text)'

BACKFILL = """
UPDATE session SET admitted = (
    SELECT count(DISTINCT ra.member_id) FROM room_access ra
     WHERE ra.session_id = session.id AND ra.status = 'GRANTED'
)
"""

# A grant admits a member the first time only: counted when no earlier grant of that member
# for that session exists (earlier by id, so that a multi-row insert counts each member once).
# Rows of the scan log are never updated. A deletion frees the seat of a member left without a
# grant: PostgreSQL recounts the sessions a statement touched (its row triggers would all see
# the statement's every deletion), SQLite decrements row by row.
PG_TRIGGERS = r"""
CREATE FUNCTION agora_count_admission() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.status = 'GRANTED' AND NEW.session_id IS NOT NULL AND NEW.member_id IS NOT NULL
       AND NOT EXISTS (
           SELECT 1 FROM room_access ra
            WHERE ra.session_id = NEW.session_id AND ra.status = 'GRANTED'
              AND ra.member_id = NEW.member_id AND ra.id < NEW.id
       ) THEN
        UPDATE session SET admitted = admitted + 1 WHERE id = NEW.session_id;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION agora_recount_admissions() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE session s SET admitted = (
        SELECT count(DISTINCT ra.member_id) FROM room_access ra
         WHERE ra.session_id = s.id AND ra.status = 'GRANTED'
    )
    WHERE s.id IN (SELECT DISTINCT g.session_id FROM gone g WHERE g.status = 'GRANTED');
    RETURN NULL;
END
$fn$;

CREATE TRIGGER room_access_admits AFTER INSERT ON room_access
    FOR EACH ROW EXECUTE FUNCTION agora_count_admission();
CREATE TRIGGER room_access_removed AFTER DELETE ON room_access
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION agora_recount_admissions();
"""

SQLITE_TRIGGERS = [
    """
CREATE TRIGGER room_access_admits AFTER INSERT ON room_access
WHEN NEW.status = 'GRANTED' AND NEW.session_id IS NOT NULL AND NEW.member_id IS NOT NULL
 AND NOT EXISTS (
     SELECT 1 FROM room_access ra
      WHERE ra.session_id = NEW.session_id AND ra.status = 'GRANTED'
        AND ra.member_id = NEW.member_id AND ra.id < NEW.id
 )
BEGIN
    UPDATE session SET admitted = admitted + 1 WHERE id = NEW.session_id;
END
""",
    # SQLite runs a row trigger as each row goes: the last grant of a member to go frees its seat.
    """
CREATE TRIGGER room_access_removed AFTER DELETE ON room_access
WHEN OLD.status = 'GRANTED' AND OLD.session_id IS NOT NULL AND OLD.member_id IS NOT NULL
 AND NOT EXISTS (
     SELECT 1 FROM room_access ra
      WHERE ra.session_id = OLD.session_id AND ra.status = 'GRANTED'
        AND ra.member_id = OLD.member_id
 )
BEGIN
    UPDATE session SET admitted = admitted - 1 WHERE id = OLD.session_id;
END
""",
]

# As in 7d3f1c2a9b40 (whose result columns stand for {columns}), but the seats are read from
# session.admitted (see above).
SCAN_FUNCTION = r"""
CREATE OR REPLACE FUNCTION agora_scan(
    p_room_id integer,
    p_event_id integer,
    p_capacity integer,
    p_code text,
    p_logged_code text,
    p_at timestamptz,
    p_window interval,
    p_controller_id integer,
    p_scanned_by_id integer,
    p_now timestamptz,
    p_client_scanned_at timestamptz,
    p_client_scan_id text
) RETURNS TABLE {columns}
LANGUAGE plpgsql VOLATILE ROWS 1 AS $fn$
#variable_conflict use_column
DECLARE
    v_badge integer;
    v_revoked timestamptz;
    v_newest integer;
    v_member integer;
    v_member_event integer;
    v_current boolean;
    v_session integer;
    v_kind text;
    v_is_paid boolean;
    v_status text := 'DENIED';
    v_reason text;
    v_named integer;
    v_admitted integer;
    v_id integer;
BEGIN
    -- A retried clientScanId answers the first scan's entry (duplicate = true); nothing is
    -- judged again.
    IF p_client_scan_id IS NOT NULL THEN
        RETURN QUERY SELECT * FROM agora_recorded_scan(p_scanned_by_id, p_client_scan_id);
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;

    -- The badge, its member, and whether it is the member's newest (only that one opens doors).
    SELECT b.id, b.revoked_at, m.id, m.event_id,
           (SELECT max(n.id) FROM badge n WHERE n.member_id = b.member_id)
      INTO v_badge, v_revoked, v_member, v_member_event, v_newest
      FROM badge b JOIN member m ON m.id = b.member_id
     WHERE b.code = p_code;
    v_current := v_badge IS NOT NULL AND v_revoked IS NULL AND v_badge = v_newest;

    -- The session the door admits to; locked (FOR NO KEY UPDATE) when seats may be counted, so
    -- concurrent grants for it are counted one after the other.
    IF v_current AND v_member_event = p_event_id THEN
        SELECT s.id, s.kind, s.is_paid, s.admitted INTO v_session, v_kind, v_is_paid, v_admitted
          FROM session s
         WHERE s.room_id = p_room_id AND s.starts_at <= p_at + p_window AND s.ends_at > p_at
         ORDER BY s.starts_at LIMIT 1
           FOR NO KEY UPDATE;
    ELSE
        SELECT s.id, s.kind, s.is_paid INTO v_session, v_kind, v_is_paid
          FROM session s
         WHERE s.room_id = p_room_id AND s.starts_at <= p_at + p_window AND s.ends_at > p_at
         ORDER BY s.starts_at LIMIT 1;
    END IF;

    -- A member of another event is not named in this event's scan log.
    IF v_badge IS NOT NULL AND v_member_event = p_event_id THEN
        v_named := v_member;
    END IF;

    -- The first failing rule wins.
    IF v_badge IS NULL THEN
        v_reason := 'UNKNOWN_BADGE';
    ELSIF NOT v_current THEN
        v_reason := 'REVOKED_BADGE';
    ELSIF v_member_event <> p_event_id THEN
        v_reason := 'WRONG_EVENT';
    ELSIF v_session IS NULL THEN
        v_reason := 'NO_SESSION';
    ELSIF v_kind = 'ATELIER' AND v_is_paid AND NOT EXISTS (
        SELECT 1 FROM session_access a
         WHERE a.session_id = v_session AND a.member_id = v_member
           AND a.payment_status IN ('PAID', 'FREE')
    ) THEN
        v_reason := 'NOT_PAID';
    ELSIF v_admitted >= p_capacity AND NOT EXISTS (
        -- Full: only a member already let in to this session may come back in.
        SELECT 1 FROM room_access ra
         WHERE ra.session_id = v_session AND ra.status = 'GRANTED' AND ra.member_id = v_member
    ) THEN
        v_reason := 'ROOM_FULL';
    ELSE
        v_status := 'GRANTED';
    END IF;

    INSERT INTO room_access AS ra (
        event_id, room_id, session_id, member_id, code, controller_id, scanned_by_id,
        status, reason, scanned_at, client_scanned_at, client_scan_id
    ) VALUES (
        p_event_id, p_room_id, v_session, v_named, p_logged_code, p_controller_id,
        p_scanned_by_id, v_status, v_reason, p_now, p_client_scanned_at, p_client_scan_id
    )
    ON CONFLICT ON CONSTRAINT uq_room_access_scanned_by_id_client_scan_id DO NOTHING
    RETURNING ra.id INTO v_id;

    IF v_id IS NULL THEN
        -- A concurrent retry of the same clientScanId committed first: answer its entry.
        RETURN QUERY SELECT * FROM agora_recorded_scan(p_scanned_by_id, p_client_scan_id);
        RETURN;
    END IF;

    -- The member's first granted scan at the event (offline scans may arrive late: the earliest).
    IF v_status = 'GRANTED' THEN
        UPDATE member m SET checked_in_at = p_at
         WHERE m.id = v_member AND (m.checked_in_at IS NULL OR m.checked_in_at > p_at);
    END IF;

    -- News for live subscriptions (resolvers/news.py: channel agora_live, "room:<id>"), sent
    -- only if this transaction commits.
    PERFORM pg_notify('agora_live', 'room:' || p_room_id);

    RETURN QUERY SELECT false, v_id, p_event_id, p_room_id, v_session, v_named,
        p_logged_code, p_controller_id, p_scanned_by_id, v_status, v_reason, p_now,
        p_client_scanned_at, p_client_scan_id;
END
$fn$;
"""


def _door_scan_function() -> ModuleType:
    """Revision 7d3f1c2a9b40, which installed agora_scan: its result columns and first body."""
    script = op.get_context().script
    assert script is not None
    return script.get_revision('7d3f1c2a9b40').module


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite takes one with a constant default): a batch copy of the table
    # would have to drop `session` under the scan log's foreign keys.
    op.add_column(
        'session', sa.Column('admitted', sa.Integer(), server_default=sa.text('0'), nullable=False)
    )
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_TRIGGERS)
        columns = _door_scan_function().RESULT_COLUMNS
        op.execute(SCAN_FUNCTION.replace('{columns}', columns))
        op.execute(f'ALTER FUNCTION {RECORDED} ROWS 1')
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS room_access_admits ON room_access')
        op.execute('DROP TRIGGER IF EXISTS room_access_removed ON room_access')
        op.execute('DROP FUNCTION IF EXISTS agora_count_admission()')
        op.execute('DROP FUNCTION IF EXISTS agora_recount_admissions()')
        # CREATE OR REPLACE also puts the planner's row estimate back to its default.
        op.execute(_door_scan_function().SCAN_FUNCTION)
        op.execute(f'ALTER FUNCTION {RECORDED} ROWS 1000')
    else:
        op.execute('DROP TRIGGER IF EXISTS room_access_admits')
        op.execute('DROP TRIGGER IF EXISTS room_access_removed')
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.drop_column('admitted')
