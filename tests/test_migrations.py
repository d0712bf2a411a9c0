"""Migrations produce exactly the models, and upgrade -> downgrade -> upgrade works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from app.db import make_engine
from app.migrate import downgrade, upgrade
from tests.conftest import PG_URL, _postgres_database


@pytest.fixture
def fresh_engine(tmp_path) -> Iterator[Engine]:
    """An empty database of the kind under test, separate from the suite's."""
    if PG_URL:
        with _postgres_database(PG_URL) as url:
            engine = make_engine(url)
            yield engine
            engine.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()


def _pending_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_match_the_models(fresh_engine):
    upgrade(fresh_engine)
    assert _pending_diff(fresh_engine) == []


def test_upgrade_downgrade_upgrade(fresh_engine):
    upgrade(fresh_engine)
    downgrade(fresh_engine)
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
    upgrade(fresh_engine)
    tables = set(inspect(fresh_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


BEFORE_ADMITTED_COUNT = "c4e8a2f61d37"
# Grants of members 1, 2, 1 to session 1; a denial of member 3; a grant to session 2.
_SCAN_LOG = [(1, 1, "GRANTED", None), (1, 2, "GRANTED", None), (1, 1, "GRANTED", None)]
_SCAN_LOG += [(1, 3, "DENIED", "ROOM_FULL"), (2, 3, "GRANTED", None)]


AT, END = "2026-01-01 10:00:00+00:00", "2026-01-01 11:00:00+00:00"


def _a_small_scan_log(fresh_engine: Engine) -> None:
    """Three users and members, one event, room and three sessions, and `_SCAN_LOG` at AT."""
    at, end = AT, END
    with fresh_engine.begin() as conn:
        for user_id in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO app_user (id, email, full_name, is_admin, created_at) "
                    "VALUES (:id, :email, 'A', false, :at)"
                ),
                {"id": user_id, "email": f"u{user_id}@example.org", "at": at},
            )
        conn.execute(
            text(
                "INSERT INTO event (id, name, description, location, starts_at, ends_at, "
                "timezone, created_at) VALUES (1, 'E', '', '', :at, :end, 'UTC', :at)"
            ),
            {"at": at, "end": end},
        )
        conn.execute(
            text(
                "INSERT INTO room (id, event_id, name, description, location, capacity) "
                "VALUES (1, 1, 'R', '', '', 10)"
            )
        )
        for session_id in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO session (id, event_id, room_id, title, description, "
                    "speaker_name, kind, is_paid, price, status, starts_at, ends_at) VALUES "
                    "(:id, 1, 1, 'S', '', '', 'CONFERENCE', false, 0, 'PAS_ENCORE', :at, :end)"
                ),
                {"id": session_id, "at": at, "end": end},
            )
        for member_id in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO member (id, event_id, user_id, role, company, created_at) "
                    "VALUES (:id, 1, :id, 'PARTICIPANT', '', :at)"
                ),
                {"id": member_id, "at": at},
            )
        for session_id, member_id, status, reason in _SCAN_LOG:
            conn.execute(
                text(
                    "INSERT INTO room_access (event_id, room_id, session_id, member_id, code, "
                    "controller_id, scanned_by_id, status, reason, scanned_at) VALUES "
                    "(1, 1, :session, :member, 'c', 1, 1, :status, :reason, :at)"
                ),
                {"session": session_id, "member": member_id, "status": status, "reason": reason}
                | {"at": at},
            )


def test_the_admitted_count_starts_from_the_scan_log_already_there(fresh_engine):
    # given: a database with a scan log, from before session.admitted
    upgrade(fresh_engine, BEFORE_ADMITTED_COUNT)
    _a_small_scan_log(fresh_engine)
    # when
    upgrade(fresh_engine)
    # then
    with fresh_engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT id, admitted FROM session")).all())
    assert counts == {1: 2, 2: 1, 3: 0}


BEFORE_COUNTERS = "9c5e1d7a3b20"


def test_the_stats_counters_start_from_the_log_and_visits_already_there(fresh_engine):
    # given: a scan log and visits (exposant 3 scanned member 1 twice, member 2 once)
    upgrade(fresh_engine, BEFORE_COUNTERS)
    _a_small_scan_log(fresh_engine)
    with fresh_engine.begin() as conn:
        for participant_id, at in ((1, AT), (1, "2026-01-01 10:20:00+00:00"), (2, AT)):
            conn.execute(
                text(
                    "INSERT INTO visit (event_id, exposant_id, participant_id, scanned_at, note) "
                    "VALUES (1, 3, :participant, :at, '')"
                ),
                {"participant": participant_id, "at": at},
            )
    # when
    upgrade(fresh_engine)
    # then
    quarter = 1767261600 // 900  # 2026-01-01 10:00 UTC
    with fresh_engine.connect() as conn:
        scans = conn.execute(
            text("SELECT room_id, quarter, status, reason, event_id, n FROM scan_count")
        ).all()
        entrants = conn.execute(text("SELECT room_id, member_id FROM room_entrant")).all()
        checked_in = conn.execute(text("SELECT event_id, member_id FROM event_entrant")).all()
        admitted = conn.execute(text("SELECT session_id, member_id FROM session_entrant")).all()
        visits = conn.execute(text("SELECT exposant_id, quarter, n FROM visit_count")).all()
        visitors = conn.execute(
            text("SELECT exposant_id, participant_id FROM exposant_visitor")
        ).all()
    assert sorted(scans) == [
        (1, quarter, "DENIED", "ROOM_FULL", 1, 1),
        (1, quarter, "GRANTED", "", 1, 4),
    ]
    assert sorted(entrants) == [(1, 1), (1, 2), (1, 3)]
    assert sorted(checked_in) == [(1, 1), (1, 2), (1, 3)]
    assert sorted(admitted) == [(1, 1), (1, 2), (2, 3)]
    assert sorted(visits) == [(3, quarter, 2), (3, quarter + 1, 1)]
    assert sorted(visitors) == [(3, 1), (3, 2)]
