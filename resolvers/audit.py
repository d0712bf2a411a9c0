"""The audit log: the one place that writes entries, and the one that reads them.

Use cases call `record(...)` before their commit, so an entry exists exactly when its change
does: a refused or rolled-back change leaves none. Nothing updates or deletes an entry except
the retention command, which removes whole ended events' logs.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

import models
from kernel.errors import BadUserInputError
from kernel.ids import encode
from resolvers.context import Context
from resolvers.pagination import Page, SortKey, paginate

# Every action an entry can carry (docs/organizers.md lists the same, a test keeps them equal).
ACTIONS = frozenset(
    {
        "event.create",
        "event.update",
        "file.upload",
        "room.create",
        "room.update",
        "room.delete",
        "session.create",
        "session.update",
        "session.status",
        "session.delete",
        "member.add",
        "member.update",
        "badge.revoke",
        "badge.reissue",
        "access.mark",
        "staff.assign",
        "staff.reassign",
        "staff.end",
        "annonce.create",
        "annonce.update",
        "annonce.delete",
        "question.hide",
        "question.unhide",
        "question.pin",
        "question.unpin",
        "retention.run",
    }
)

A = models.AuditEntry
ORDER = [SortKey(col(A.id), descending=True)]


def plain(value: Any) -> Any:
    """A column value as JSON can hold it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        # One instant, one text: values read back from SQLite and given by clients compare equal.
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# Foreign keys are shown as the global ids clients know, not as database keys.
REFERENCES = {
    "room_id": "Room",
    "session_id": "Session",
    "member_id": "Member",
    "president_id": "User",
    "created_by_id": "User",
}


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a row, as JSON values (taken before a change, compared after)."""
    found = {}
    for name in fields:
        value = getattr(row, name)
        if name in REFERENCES and value is not None:
            value = encode(REFERENCES[name], value)
        found[name] = plain(value)
    return found


def record(
    ctx: Context,
    *,
    event_id: int,
    action: str,
    subject: tuple[str, Any] | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None | bool = True,
) -> models.AuditEntry | None:
    """Add the entry of a change to the caller's transaction; only the fields that changed are
    kept. A change that changed nothing writes nothing. `subject` is (GraphQL type name, row);
    `actor_id=True` means the viewer (none on the command line)."""
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not an audit action (resolvers.audit.ACTIONS).")
    if before is not None and after is not None:
        changed = [k for k in after if before.get(k) != after[k]]
        changed += [k for k in before if k not in after]
        if not changed:
            return None
        before = {k: before[k] for k in changed if k in before}
        after = {k: after[k] for k in changed if k in after}
    if actor_id is True:
        # The command line acts with no viewer: its entries have no actor.
        viewer = ctx.viewer
        actor_id = viewer.user_id if viewer is not None else None
    subject_id = None
    if subject is not None:
        type_name, row = subject
        if row.id is None:
            ctx.db.flush()  # a row created by this change: its id names it
        subject_id = encode(type_name, row.id)
    entry = A(
        event_id=event_id,
        at=ctx.now,
        actor_id=actor_id or None,
        action=action,
        subject_id=subject_id,
        before=before or None,
        after=after or None,
    )
    ctx.db.add(entry)
    return entry


def list_entries(
    ctx: Context,
    event: models.Event,
    *,
    action: str | None,
    first: int | None,
    after: str | None,
) -> Page[models.AuditEntry]:
    """The event's entries, newest first, optionally of one action."""
    stmt = select(A).where(A.event_id == event.id)
    if action is not None:
        if action not in ACTIONS:
            raise BadUserInputError(
                f"{action!r} is not an audit action; use one of {', '.join(sorted(ACTIONS))}."
            )
        stmt = stmt.where(A.action == action)
    return paginate(ctx.db, stmt, keys=ORDER, key_of=lambda e: [e.id], first=first, after=after)
