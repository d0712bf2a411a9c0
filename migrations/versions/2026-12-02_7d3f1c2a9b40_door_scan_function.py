"""door scan function: the verdict and its scan-log entry in one round trip (PostgreSQL)

The rules are those of resolvers/scanning.py (`_judge`, `_record`), which SQLite runs in
Python; the test suite runs the same scans on both. Each statement in a PL/pgSQL function takes
a fresh snapshot under READ COMMITTED, so the seat count after the session lock sees every
grant committed before the lock was obtained, as the Python path does with its separate
statements.

Revision ID: 7d3f1c2a9b40
Revises: 60bdbbf4402b
Create Date: 2026-12-02 17:20:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '7d3f1c2a9b40'
down_revision: str | None = '60bdbbf4402b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# What both functions answer: whether it is a duplicate, then the scan-log row.
RESULT_COLUMNS = """(
    duplicate boolean,
    id integer,
    event_id integer,
    room_id integer,
    session_id integer,
    member_id integer,
    code text,
    controller_id integer,
    scanned_by_id integer,
    status text,
    reason text,
    scanned_at timestamptz,
    client_scanned_at timestamptz,
    client_scan_id text
)"""

RECORDED_FUNCTION = r"""
CREATE OR REPLACE FUNCTION agora_recorded_scan(p_scanned_by_id integer, p_client_scan_id text)
RETURNS TABLE {columns}
LANGUAGE sql STABLE AS $fn$
    SELECT true, ra.id, ra.event_id, ra.room_id, ra.session_id, ra.member_id, ra.code::text,
           ra.controller_id, ra.scanned_by_id, ra.status::text, ra.reason::text, ra.scanned_at,
           ra.client_scanned_at, ra.client_scan_id::text
    FROM room_access ra
    WHERE ra.scanned_by_id = p_scanned_by_id AND ra.client_scan_id = p_client_scan_id;
$fn$;
""".replace("{columns}", RESULT_COLUMNS)

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
LANGUAGE plpgsql VOLATILE AS $fn$
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
    v_taken integer;
    v_already boolean;
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
        SELECT s.id, s.kind, s.is_paid INTO v_session, v_kind, v_is_paid
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
    ELSE
        SELECT count(DISTINCT ra.member_id), coalesce(bool_or(ra.member_id = v_member), false)
          INTO v_taken, v_already
          FROM room_access ra
         WHERE ra.session_id = v_session AND ra.status = 'GRANTED';
        IF NOT v_already AND v_taken >= p_capacity THEN
            v_reason := 'ROOM_FULL';
        ELSE
            v_status := 'GRANTED';
        END IF;
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
""".replace("{columns}", RESULT_COLUMNS)


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(RECORDED_FUNCTION)
        op.execute(SCAN_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'DROP FUNCTION IF EXISTS agora_scan(integer, integer, integer, text, text, '
            'timestamptz, interval, integer, integer, timestamptz, timestamptz, text)'
        )
        op.execute('DROP FUNCTION IF EXISTS agora_recorded_scan(integer, text)')
