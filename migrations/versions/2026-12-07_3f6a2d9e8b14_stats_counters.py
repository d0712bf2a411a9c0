"""stats counters: the figures the stats show, kept by the writes (models/tally.py)

Every total of the stats was a COUNT or COUNT DISTINCT over the scan log or the visits, so a
dashboard grew with the log (412 ms on the bench event, 2.4 s at five times its scans). These
tables hold the counts instead, per room and quarter-hour (by verdict and reason) and per
exposant and quarter-hour, with the distinct members let in at each room, session and the event, and the distinct
participants each exposant scanned. Triggers keep them in the writing transaction, whoever
writes: an upsert on a counter row is exact under concurrent scans (PostgreSQL locks the row
until the writer commits), and a deletion (retention) takes its rows' counts back. The log is
never updated in place. The backfill counts what is there; `agora stats verify` recounts.

Revision ID: 3f6a2d9e8b14
Revises: 9c5e1d7a3b20
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3f6a2d9e8b14'
down_revision: str | None = '9c5e1d7a3b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The quarter-hour a timestamp falls in: Unix seconds // 900 (SQLite keeps naive UTC text).
PG_QUARTER = 'floor(extract(epoch FROM {t}) / 900)::integer'
SQLITE_QUARTER = "CAST(strftime('%s', {t}) AS INTEGER) / 900"


def _backfill(quarter: str) -> list[str]:
    scans = quarter.format(t='scanned_at')
    return [
        f"""
INSERT INTO scan_count (room_id, quarter, status, reason, event_id, n)
SELECT room_id, {scans}, status, coalesce(reason, ''), event_id, count(*)
  FROM room_access
 GROUP BY room_id, {scans}, status, coalesce(reason, ''), event_id
""",
        """
INSERT INTO room_entrant (room_id, member_id)
SELECT DISTINCT room_id, member_id FROM room_access
 WHERE status = 'GRANTED' AND member_id IS NOT NULL
""",
        """
INSERT INTO event_entrant (event_id, member_id)
SELECT DISTINCT event_id, member_id FROM room_access
 WHERE status = 'GRANTED' AND member_id IS NOT NULL
""",
        """
INSERT INTO session_entrant (session_id, member_id)
SELECT DISTINCT session_id, member_id FROM room_access
 WHERE status = 'GRANTED' AND member_id IS NOT NULL AND session_id IS NOT NULL
""",
        f"""
INSERT INTO visit_count (exposant_id, quarter, n)
SELECT exposant_id, {scans}, count(*) FROM visit GROUP BY exposant_id, {scans}
""",
        """
INSERT INTO exposant_visitor (exposant_id, participant_id)
SELECT DISTINCT exposant_id, participant_id FROM visit
""",
    ]


# PostgreSQL: a row trigger per insert (the door writes one row a statement); a statement
# trigger per deletion, which sees the statement's every deleted row at once.
PG_TRIGGERS = r"""
CREATE FUNCTION agora_tally_scan() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO scan_count AS c (room_id, quarter, status, reason, event_id, n)
    VALUES (NEW.room_id, floor(extract(epoch FROM NEW.scanned_at) / 900)::integer, NEW.status,
            coalesce(NEW.reason, ''), NEW.event_id, 1)
    ON CONFLICT (room_id, quarter, status, reason) DO UPDATE SET n = c.n + 1;
    IF NEW.status = 'GRANTED' AND NEW.member_id IS NOT NULL THEN
        INSERT INTO room_entrant (room_id, member_id) VALUES (NEW.room_id, NEW.member_id)
        ON CONFLICT DO NOTHING;
        INSERT INTO event_entrant (event_id, member_id) VALUES (NEW.event_id, NEW.member_id)
        ON CONFLICT DO NOTHING;
        IF NEW.session_id IS NOT NULL THEN
            INSERT INTO session_entrant (session_id, member_id)
            VALUES (NEW.session_id, NEW.member_id) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION agora_untally_scans() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE scan_count c SET n = c.n - g.n
      FROM (SELECT room_id, floor(extract(epoch FROM scanned_at) / 900)::integer AS quarter,
                   status, coalesce(reason, '') AS reason, count(*) AS n
              FROM gone GROUP BY 1, 2, 3, 4) g
     WHERE c.room_id = g.room_id AND c.quarter = g.quarter AND c.status = g.status
       AND c.reason = g.reason;
    DELETE FROM scan_count c WHERE c.n <= 0 AND c.room_id IN (SELECT DISTINCT room_id FROM gone);
    DELETE FROM room_entrant e
     USING (SELECT DISTINCT room_id, member_id FROM gone
             WHERE status = 'GRANTED' AND member_id IS NOT NULL) g
     WHERE e.room_id = g.room_id AND e.member_id = g.member_id
       AND NOT EXISTS (SELECT 1 FROM room_access ra
                        WHERE ra.room_id = g.room_id AND ra.member_id = g.member_id
                          AND ra.status = 'GRANTED');
    DELETE FROM event_entrant e
     USING (SELECT DISTINCT event_id, member_id FROM gone
             WHERE status = 'GRANTED' AND member_id IS NOT NULL) g
     WHERE e.event_id = g.event_id AND e.member_id = g.member_id
       AND NOT EXISTS (SELECT 1 FROM room_access ra
                        WHERE ra.event_id = g.event_id AND ra.member_id = g.member_id
                          AND ra.status = 'GRANTED');
    DELETE FROM session_entrant e
     USING (SELECT DISTINCT session_id, member_id FROM gone
             WHERE status = 'GRANTED' AND member_id IS NOT NULL AND session_id IS NOT NULL) g
     WHERE e.session_id = g.session_id AND e.member_id = g.member_id
       AND NOT EXISTS (SELECT 1 FROM room_access ra
                        WHERE ra.session_id = g.session_id AND ra.member_id = g.member_id
                          AND ra.status = 'GRANTED');
    RETURN NULL;
END
$fn$;

CREATE FUNCTION agora_tally_visit() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO visit_count AS c (exposant_id, quarter, n)
    VALUES (NEW.exposant_id, floor(extract(epoch FROM NEW.scanned_at) / 900)::integer, 1)
    ON CONFLICT (exposant_id, quarter) DO UPDATE SET n = c.n + 1;
    INSERT INTO exposant_visitor (exposant_id, participant_id)
    VALUES (NEW.exposant_id, NEW.participant_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION agora_untally_visits() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE visit_count c SET n = c.n - g.n
      FROM (SELECT exposant_id, floor(extract(epoch FROM scanned_at) / 900)::integer AS quarter,
                   count(*) AS n
              FROM gone GROUP BY 1, 2) g
     WHERE c.exposant_id = g.exposant_id AND c.quarter = g.quarter;
    DELETE FROM visit_count c
     WHERE c.n <= 0 AND c.exposant_id IN (SELECT DISTINCT exposant_id FROM gone);
    DELETE FROM exposant_visitor e
     USING (SELECT DISTINCT exposant_id, participant_id FROM gone) g
     WHERE e.exposant_id = g.exposant_id AND e.participant_id = g.participant_id
       AND NOT EXISTS (SELECT 1 FROM visit v
                        WHERE v.exposant_id = g.exposant_id
                          AND v.participant_id = g.participant_id);
    RETURN NULL;
END
$fn$;

CREATE TRIGGER room_access_tallied AFTER INSERT ON room_access
    FOR EACH ROW EXECUTE FUNCTION agora_tally_scan();
CREATE TRIGGER room_access_untallied AFTER DELETE ON room_access
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION agora_untally_scans();
CREATE TRIGGER visit_tallied AFTER INSERT ON visit
    FOR EACH ROW EXECUTE FUNCTION agora_tally_visit();
CREATE TRIGGER visit_untallied AFTER DELETE ON visit
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION agora_untally_visits();
"""

# A counter row is updated by every scan of its room and quarter: room on its page for the new
# version (a heap-only update, no index touched) and a vacuum every thousand dead versions, so
# that a busy door leaves the table compact instead of a trail of dead rows to read past.
PG_STORAGE = [
    f'ALTER TABLE {table} SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, '
    'autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.05)'
    for table in ('scan_count', 'visit_count')
]

PG_DROP = [
    'DROP TRIGGER IF EXISTS room_access_tallied ON room_access',
    'DROP TRIGGER IF EXISTS room_access_untallied ON room_access',
    'DROP TRIGGER IF EXISTS visit_tallied ON visit',
    'DROP TRIGGER IF EXISTS visit_untallied ON visit',
    'DROP FUNCTION IF EXISTS agora_tally_scan()',
    'DROP FUNCTION IF EXISTS agora_untally_scans()',
    'DROP FUNCTION IF EXISTS agora_tally_visit()',
    'DROP FUNCTION IF EXISTS agora_untally_visits()',
]

_SCAN_KEY = (
    "room_id = {r}.room_id AND status = {r}.status AND reason = coalesce({r}.reason, '') "
    "AND quarter = CAST(strftime('%s', {r}.scanned_at) AS INTEGER) / 900"
)
_VISIT_KEY = (
    "exposant_id = {r}.exposant_id "
    "AND quarter = CAST(strftime('%s', {r}.scanned_at) AS INTEGER) / 900"
)

# SQLite runs a row trigger as each row goes.
SQLITE_TRIGGERS = [
    """
CREATE TRIGGER room_access_tallied AFTER INSERT ON room_access
BEGIN
    INSERT INTO scan_count (room_id, quarter, status, reason, event_id, n)
    VALUES (NEW.room_id, CAST(strftime('%s', NEW.scanned_at) AS INTEGER) / 900, NEW.status,
            coalesce(NEW.reason, ''), NEW.event_id, 1)
    ON CONFLICT (room_id, quarter, status, reason) DO UPDATE SET n = n + 1;
    INSERT OR IGNORE INTO room_entrant (room_id, member_id)
    SELECT NEW.room_id, NEW.member_id WHERE NEW.status = 'GRANTED' AND NEW.member_id IS NOT NULL;
    INSERT OR IGNORE INTO event_entrant (event_id, member_id)
    SELECT NEW.event_id, NEW.member_id WHERE NEW.status = 'GRANTED' AND NEW.member_id IS NOT NULL;
    INSERT OR IGNORE INTO session_entrant (session_id, member_id)
    SELECT NEW.session_id, NEW.member_id
     WHERE NEW.status = 'GRANTED' AND NEW.member_id IS NOT NULL AND NEW.session_id IS NOT NULL;
END
""",
    f"""
CREATE TRIGGER room_access_untallied AFTER DELETE ON room_access
BEGIN
    UPDATE scan_count SET n = n - 1 WHERE {_SCAN_KEY.format(r='OLD')};
    DELETE FROM scan_count WHERE {_SCAN_KEY.format(r='OLD')} AND n <= 0;
    DELETE FROM room_entrant
     WHERE OLD.status = 'GRANTED' AND room_id = OLD.room_id AND member_id = OLD.member_id
       AND NOT EXISTS (SELECT 1 FROM room_access ra
                        WHERE ra.room_id = OLD.room_id AND ra.member_id = OLD.member_id
                          AND ra.status = 'GRANTED');
    DELETE FROM event_entrant
     WHERE OLD.status = 'GRANTED' AND event_id = OLD.event_id AND member_id = OLD.member_id
       AND NOT EXISTS (SELECT 1 FROM room_access ra
                        WHERE ra.event_id = OLD.event_id AND ra.member_id = OLD.member_id
                          AND ra.status = 'GRANTED');
    DELETE FROM session_entrant
     WHERE OLD.status = 'GRANTED' AND session_id = OLD.session_id AND member_id = OLD.member_id
       AND NOT EXISTS (SELECT 1 FROM room_access ra
                        WHERE ra.session_id = OLD.session_id AND ra.member_id = OLD.member_id
                          AND ra.status = 'GRANTED');
END
""",
    """
CREATE TRIGGER visit_tallied AFTER INSERT ON visit
BEGIN
    INSERT INTO visit_count (exposant_id, quarter, n)
    VALUES (NEW.exposant_id, CAST(strftime('%s', NEW.scanned_at) AS INTEGER) / 900, 1)
    ON CONFLICT (exposant_id, quarter) DO UPDATE SET n = n + 1;
    INSERT OR IGNORE INTO exposant_visitor (exposant_id, participant_id)
    VALUES (NEW.exposant_id, NEW.participant_id);
END
""",
    f"""
CREATE TRIGGER visit_untallied AFTER DELETE ON visit
BEGIN
    UPDATE visit_count SET n = n - 1 WHERE {_VISIT_KEY.format(r='OLD')};
    DELETE FROM visit_count WHERE {_VISIT_KEY.format(r='OLD')} AND n <= 0;
    DELETE FROM exposant_visitor
     WHERE exposant_id = OLD.exposant_id AND participant_id = OLD.participant_id
       AND NOT EXISTS (SELECT 1 FROM visit v
                        WHERE v.exposant_id = OLD.exposant_id
                          AND v.participant_id = OLD.participant_id);
END
""",
]

SQLITE_DROP = [
    'DROP TRIGGER IF EXISTS room_access_tallied',
    'DROP TRIGGER IF EXISTS room_access_untallied',
    'DROP TRIGGER IF EXISTS visit_tallied',
    'DROP TRIGGER IF EXISTS visit_untallied',
]


def _pair_table(name: str, left: str, left_table: str, right: str) -> None:
    """A table of distinct pairs: a room or an exposant, and a member."""
    op.create_table(
        name,
        sa.Column(left, sa.Integer(), nullable=False),
        sa.Column(right, sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            [left], [f'{left_table}.id'], name=op.f(f'fk_{name}_{left}_{left_table}')
        ),
        sa.ForeignKeyConstraint([right], ['member.id'], name=op.f(f'fk_{name}_{right}_member')),
        sa.PrimaryKeyConstraint(left, right, name=op.f(f'pk_{name}')),
    )


def upgrade() -> None:
    op.create_table(
        'scan_count',
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_scan_count_event_id_event')),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_scan_count_room_id_room')),
        sa.PrimaryKeyConstraint('room_id', 'quarter', 'status', 'reason', name=op.f('pk_scan_count')),
    )
    op.create_index('ix_scan_count_event_id_quarter', 'scan_count', ['event_id', 'quarter'])
    _pair_table('room_entrant', 'room_id', 'room', 'member_id')
    _pair_table('event_entrant', 'event_id', 'event', 'member_id')
    _pair_table('session_entrant', 'session_id', 'session', 'member_id')
    op.create_table(
        'visit_count',
        sa.Column('exposant_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['exposant_id'], ['member.id'], name=op.f('fk_visit_count_exposant_id_member')
        ),
        sa.PrimaryKeyConstraint('exposant_id', 'quarter', name=op.f('pk_visit_count')),
    )
    _pair_table('exposant_visitor', 'exposant_id', 'member', 'participant_id')
    postgres = op.get_bind().dialect.name == 'postgresql'
    for statement in _backfill(PG_QUARTER if postgres else SQLITE_QUARTER):
        op.execute(statement)
    if postgres:
        for statement in PG_STORAGE:
            op.execute(statement)
        op.execute(PG_TRIGGERS)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for statement in PG_DROP if postgres else SQLITE_DROP:
        op.execute(statement)
    op.drop_table('exposant_visitor')
    op.drop_table('visit_count')
    op.drop_index('ix_scan_count_event_id_quarter', table_name='scan_count')
    op.drop_table('scan_count')
    op.drop_table('room_entrant')
    op.drop_table('event_entrant')
    op.drop_table('session_entrant')
