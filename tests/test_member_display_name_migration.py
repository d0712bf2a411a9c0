"""Migration e2b7d4a9c315: each member takes its account's name as the event's name for it,
and stored e-mails take their normalised form where no other account holds it."""

from __future__ import annotations

from sqlalchemy import text

from app.migrate import downgrade, upgrade
from tests.test_migrations import AT, END, fresh_engine  # noqa: F401  (the fixture)

BEFORE_DISPLAY_NAME = "d9f1b3c6e852"
# id, e-mail as an older release stored it (stripped, lowercase), name.
_USERS = [
    (1, "alice@example.org", "Alice"),
    (2, "ｂｏｂ@example.org", "Bob"),  # full-width: normalised to bob@example.org
    (3, "ａlice@example.org", "Alias"),  # normalised, it would be Alice's: left as it is
]


def test_members_take_their_accounts_names_and_emails_are_normalised(fresh_engine):  # noqa: F811
    # given
    upgrade(fresh_engine, BEFORE_DISPLAY_NAME)
    with fresh_engine.begin() as conn:
        for user_id, email, name in _USERS:
            conn.execute(
                text(
                    "INSERT INTO app_user (id, email, full_name, is_admin, created_at) "
                    "VALUES (:id, :email, :name, false, :at)"
                ),
                {"id": user_id, "email": email, "name": name, "at": AT},
            )
        conn.execute(
            text(
                "INSERT INTO event (id, name, description, location, starts_at, ends_at, "
                "timezone, created_at) VALUES (1, 'E', '', '', :at, :end, 'UTC', :at)"
            ),
            {"at": AT, "end": END},
        )
        for user_id, *_ in _USERS:
            conn.execute(
                text(
                    "INSERT INTO member (id, event_id, user_id, role, company, created_at) "
                    "VALUES (:id, 1, :id, 'PARTICIPANT', '', :at)"
                ),
                {"id": user_id, "at": AT},
            )
    # when
    upgrade(fresh_engine)
    # then
    with fresh_engine.connect() as conn:
        names = conn.execute(text("SELECT id, display_name FROM member ORDER BY id")).all()
        emails = conn.execute(text("SELECT id, email FROM app_user ORDER BY id")).all()
    assert [tuple(r) for r in names] == [(1, "Alice"), (2, "Bob"), (3, "Alias")]
    assert [tuple(r) for r in emails] == [
        (1, "alice@example.org"),
        (2, "bob@example.org"),
        (3, "ａlice@example.org"),
    ]
    # and back: the members and their other columns survive the column's removal
    downgrade(fresh_engine, BEFORE_DISPLAY_NAME)
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM member")).scalar_one() == 3
