"""Retention: removing the bulky personal data of events that ended long ago.

What goes, per event that ended more than N days ago: its scan log, its stand visits, its
audit entries (but not earlier `retention.run` entries: they are the record that data was
removed), and the refresh tokens of its members.

Refresh tokens belong to users, not to events: a user may be in several events at once. The
tokens of an event are those of the users whose every link to the platform (a membership, or
presiding an event) is to an event being purged, and who are not admins (admins work across
events). Deleting them logs out people who have nothing left to do here; nobody still taking
part in a running, coming or recent event loses a login. A user reached through several purged
events counts under the one that ended last.

Each event is purged in its own transaction, rows deleted in batches, with one `retention.run`
audit entry carrying the counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, or_, select

import models
from kernel.errors import BadUserInputError
from resolvers import audit
from resolvers.context import Context

BATCH_SIZE = 1000
RETENTION_RUN = "retention.run"
# The kinds of rows removed, in the order they are reported; the keys of the audit entry's counts.
KINDS = ("scan_log", "stand_visits", "refresh_tokens", "audit_entries")
LABELS = {
    "scan_log": "scan log",
    "stand_visits": "stand visits",
    "refresh_tokens": "refresh tokens",
    "audit_entries": "audit entries",
}


@dataclass
class EventPurge:
    """What retention removes of one event: a row count per kind (and whose tokens)."""

    event: models.Event
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    token_user_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def cutoff_days(older_than_days: int) -> timedelta:
    if older_than_days < 0:
        raise BadUserInputError("--older-than-days is a number of days, 0 or more.")
    return timedelta(days=older_than_days)


def ended_events(ctx: Context, *, older_than_days: int) -> list[models.Event]:
    """Events that ended more than `older_than_days` days before now, oldest first."""
    before = ctx.now - cutoff_days(older_than_days)
    stmt = (
        select(models.Event)
        .where(col(models.Event.ends_at) < before)
        .order_by(col(models.Event.ends_at), col(models.Event.id))
    )
    return list(ctx.db.exec(stmt))


def _chunks(values: list[int]) -> Iterator[list[int]]:
    # Bounded IN lists: SQLite caps the parameters of one statement.
    for start in range(0, len(values), BATCH_SIZE):
        yield values[start : start + BATCH_SIZE]


def _conditions_of(kind: str, purge: EventPurge) -> Iterator[list[Any]]:
    """The conditions that, one after the other, pick an event's rows of a kind."""
    if kind == "refresh_tokens":
        for user_ids in _chunks(purge.token_user_ids):
            yield [col(models.RefreshToken.user_id).in_(user_ids)]
        return
    model = MODEL_OF_KIND[kind]
    where = [model.event_id == purge.event.id]
    if kind == "audit_entries":
        # Earlier runs' entries stay: they are the record that this data was removed.
        where.append(col(models.AuditEntry.action) != RETENTION_RUN)
    yield where


def _count_by_event(ctx: Context, model: Any, event_ids: list[int], *extra: Any) -> dict[int, int]:
    stmt = (
        select(model.event_id, func.count())
        .where(col(model.event_id).in_(event_ids), *extra)
        .group_by(model.event_id)
    )
    return dict(ctx.db.exec(stmt).all())


def _token_owners(ctx: Context, events: list[models.Event]) -> dict[int, int]:
    """User id -> the purged event its refresh tokens count under (users linked to no other
    event, admins excepted), the last of theirs to end."""
    purged = {e.id: e for e in events}
    event_ids = list(purged)
    candidates = select(models.Member.user_id).where(col(models.Member.event_id).in_(event_ids))
    led = select(models.Event.president_id).where(col(models.Event.id).in_(event_ids))
    links: dict[int, set[int]] = {}
    member_links = select(models.Member.user_id, models.Member.event_id).where(
        or_(col(models.Member.user_id).in_(candidates), col(models.Member.user_id).in_(led))
    )
    president_links = select(models.Event.president_id, models.Event.id).where(
        or_(
            col(models.Event.president_id).in_(candidates),
            col(models.Event.president_id).in_(led),
        )
    )
    for stmt in (member_links, president_links):
        for user_id, event_id in ctx.db.exec(stmt):
            # Matched by IN: a president; an event's primary key.
            assert user_id is not None
            assert event_id is not None
            links.setdefault(user_id, set()).add(event_id)
    admins = set(
        ctx.db.exec(
            select(models.User.id).where(
                models.User.is_admin,
                or_(col(models.User.id).in_(candidates), col(models.User.id).in_(led)),
            )
        )
    )
    owners: dict[int, int] = {}
    for user_id, linked in links.items():
        if user_id in admins or not linked <= purged.keys():
            continue
        last = max((purged[e] for e in linked), key=lambda e: (e.ends_at, e.id))
        assert last.id is not None
        owners[user_id] = last.id
    return owners


def plan_purge(ctx: Context, *, older_than_days: int) -> list[EventPurge]:
    """What retention would remove, per ended event (all of them, even those with nothing)."""
    events = ended_events(ctx, older_than_days=older_than_days)
    if not events:
        return []
    plans = {e.id: EventPurge(event=e) for e in events}
    event_ids = [e.id for e in events if e.id is not None]
    for kind in ("scan_log", "stand_visits"):
        for event_id, count in _count_by_event(ctx, MODEL_OF_KIND[kind], event_ids).items():
            plans[event_id].counts[kind] = count
    audit_counts = _count_by_event(
        ctx, models.AuditEntry, event_ids, col(models.AuditEntry.action) != RETENTION_RUN
    )
    for event_id, count in audit_counts.items():
        plans[event_id].counts["audit_entries"] = count
    owners = _token_owners(ctx, events)
    for user_id, event_id in owners.items():
        plans[event_id].token_user_ids.append(user_id)
    for user_ids in _chunks(list(owners)):
        tokens = (
            select(models.RefreshToken.user_id, func.count())
            .where(col(models.RefreshToken.user_id).in_(user_ids))
            .group_by(col(models.RefreshToken.user_id))
        )
        for user_id, count in ctx.db.exec(tokens):
            plans[owners[user_id]].counts["refresh_tokens"] += count
    return list(plans.values())


def totals(plans: Iterable[EventPurge]) -> dict[str, int]:
    result = dict.fromkeys(KINDS, 0)
    for purge in plans:
        for kind, count in purge.counts.items():
            result[kind] += count
    return result


MODEL_OF_KIND: dict[str, Any] = {
    "scan_log": models.RoomAccess,
    "stand_visits": models.Visit,
    "refresh_tokens": models.RefreshToken,
    "audit_entries": models.AuditEntry,
}


def execute_purge(
    ctx: Context, plans: list[EventPurge], *, progress: Callable[[int], object] | None = None
) -> dict[str, int]:
    """Delete what `plan_purge` found, one transaction per event, in batches of BATCH_SIZE
    rows, with that event's `retention.run` audit entry (the counts deleted). Events with
    nothing to remove get no entry. Returns the counts deleted, per kind."""
    deleted = dict.fromkeys(KINDS, 0)
    for purge in plans:
        if purge.total == 0:
            continue
        assert purge.event.id is not None
        done = dict.fromkeys(KINDS, 0)
        for kind in KINDS:
            model = MODEL_OF_KIND[kind]
            for where in _conditions_of(kind, purge):
                while True:
                    batch = list(
                        ctx.db.exec(
                            select(model.id).where(*where).order_by(model.id).limit(BATCH_SIZE)
                        )
                    )
                    if not batch:
                        break
                    ctx.db.execute(delete(model).where(col(model.id).in_(batch)))
                    done[kind] += len(batch)
                    if progress is not None:
                        progress(len(batch))
        audit.record(
            ctx,
            event_id=purge.event.id,
            action=RETENTION_RUN,
            subject=("Event", purge.event),
            after=done,
            actor_id=None,
        )
        ctx.commit()
        for kind, count in done.items():
            deleted[kind] += count
    return deleted
