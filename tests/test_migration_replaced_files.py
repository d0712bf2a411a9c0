"""The migration that stops serving replaced files deletes the older uploads already there."""

from __future__ import annotations

from sqlalchemy import text

from app.migrate import upgrade
from tests.test_migrations import AT, END, fresh_engine  # noqa: F401  (the fixture)

BEFORE_REPLACED_FILES = "c7e3a9d5f204"

# (id, kind, member_id): two guides and a programme of the event, two plans of member 1, one
# plan of member 2.
_FILES = [
    (1, "GUIDE", None),
    (2, "PROGRAMME", None),
    (3, "GUIDE", None),
    (4, "PLAN", 1),
    (5, "PLAN", 2),
    (6, "PLAN", 1),
]


def test_only_the_newest_file_of_each_kind_and_owner_stays(fresh_engine):  # noqa: F811
    # given: a database from before, where every upload was kept
    upgrade(fresh_engine, BEFORE_REPLACED_FILES)
    with fresh_engine.begin() as conn:
        for user_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO app_user (id, email, full_name, is_admin, created_at) "
                    "VALUES (:id, :email, 'A', false, :at)"
                ),
                {"id": user_id, "email": f"u{user_id}@example.org", "at": AT},
            )
        conn.execute(
            text(
                "INSERT INTO event (id, name, description, location, starts_at, ends_at, "
                "timezone, created_at) VALUES (1, 'E', '', '', :at, :end, 'UTC', :at)"
            ),
            {"at": AT, "end": END},
        )
        for member_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO member (id, event_id, user_id, role, company, created_at) "
                    "VALUES (:id, 1, :id, 'EXPOSANT', '', :at)"
                ),
                {"id": member_id, "at": AT},
            )
        for file_id, kind, member_id in _FILES:
            conn.execute(
                text(
                    "INSERT INTO stored_file (id, event_id, kind, member_id, filename, "
                    "content_type, size, sha256, storage_key, uploaded_at) VALUES "
                    "(:id, 1, :kind, :member, 'f.pdf', 'application/pdf', 1, '0', :key, :at)"
                ),
                {"id": file_id, "kind": kind, "member": member_id, "key": f"k{file_id}", "at": AT},
            )
    # when
    upgrade(fresh_engine)
    # then
    with fresh_engine.connect() as conn:
        kept = conn.execute(text("SELECT id FROM stored_file ORDER BY id")).scalars().all()
    assert kept == [2, 3, 5, 6]
