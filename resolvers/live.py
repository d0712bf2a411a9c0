"""What live subscriptions push: news since a cursor, read from the database.

A subscription reads these when news wakes it (resolvers/news.py) or, rarely, on its own; each
read is one or two indexed statements bounded by `LIVE_BATCH`. The rows come from the database,
never from the notification, so every worker pushes the same thing, under each viewer's rights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, or_, select

import models
from resolvers.annonces import targets_for

if TYPE_CHECKING:
    from app.context import Context

LIVE_BATCH = 100


def annonce_cursor(ctx: Context, *, event_id: int) -> int:
    """The newest annonce id of the event now: only later ones are pushed."""
    newest = ctx.db.exec(
        select(func.max(models.Annonce.id)).where(models.Annonce.event_id == event_id)
    ).one()
    return newest or 0


def annonces_after(ctx: Context, *, event_id: int, after_id: int) -> list[models.Annonce]:
    """Annonces published after `after_id` that target the viewer's role, oldest first."""
    stmt = (
        select(models.Annonce)
        .where(models.Annonce.event_id == event_id, col(models.Annonce.id) > after_id)
        .order_by(col(models.Annonce.id))
        .limit(LIVE_BATCH)
    )
    rows = list(ctx.db.exec(stmt))
    targets = targets_for(ctx, event_id)
    return [a for a in rows if targets is None or a.target in targets]


# A write commits a moment after its timestamp is taken: look back this far on every poll and
# let the caller drop what it already pushed.
LOOKBACK = timedelta(seconds=5)


def scan_cursor(ctx: Context, *, room_id: int) -> int:
    """The newest scan id at this room's door now: only later scans are pushed."""
    newest = ctx.db.exec(
        select(func.max(models.RoomAccess.id)).where(models.RoomAccess.room_id == room_id)
    ).one()
    return newest or 0


def scans_after(ctx: Context, *, room_id: int, after_id: int) -> list[models.RoomAccess]:
    """Scans at this room's door after `after_id`, oldest first, at most LIVE_BATCH."""
    stmt = (
        select(models.RoomAccess)
        .where(models.RoomAccess.room_id == room_id, col(models.RoomAccess.id) > after_id)
        .order_by(col(models.RoomAccess.id))
        .limit(LIVE_BATCH)
    )
    return list(ctx.db.exec(stmt))


@dataclass(frozen=True)
class RoomState:
    # The session running in the room now (sessions never overlap in a room).
    session: models.EventSession | None
    # Distinct members granted entry to it.
    occupancy: int
    # When the state changes with no scan: the running session ends or the next one starts.
    next_change: datetime | None


def room_state(ctx: Context, *, room_id: int) -> RoomState:
    S = models.EventSession
    now = ctx.now
    # The running session and the next one are the first two not yet over.
    ahead = list(
        ctx.db.exec(
            select(S)
            .where(S.room_id == room_id, col(S.ends_at) > now)
            .order_by(col(S.starts_at))
            .limit(2)
        )
    )
    running = next((s for s in ahead if s.starts_at <= now), None)
    upcoming = next((s for s in ahead if s.starts_at > now), None)
    moments = [
        m
        for m in (running.ends_at if running else None, upcoming.starts_at if upcoming else None)
        if m is not None
    ]
    # The running session's own count of members let in (as Room.occupancy reads it).
    occupancy = running.admitted if running is not None else 0
    return RoomState(session=running, occupancy=occupancy, next_change=min(moments, default=None))


def questions_changed_since(
    ctx: Context, *, session_id: int, since: datetime
) -> list[models.Question]:
    """Questions of the session asked, answered, moderated or upvoted at or after
    `since - LOOKBACK`."""
    Q, U = models.Question, models.QuestionUpvote
    start = since - LOOKBACK
    upvoted = select(U.question_id).where(col(U.created_at) >= start)
    stmt = (
        select(Q)
        .where(
            Q.session_id == session_id,
            or_(
                col(Q.asked_at) >= start,
                col(Q.answered_at) >= start,
                col(Q.moderated_at) >= start,
                col(Q.id).in_(upvoted),
            ),
        )
        .order_by(col(Q.id))
        .limit(LIVE_BATCH)
        # The long-lived session already holds these rows: read their current values.
        .execution_options(populate_existing=True)
    )
    return list(ctx.db.exec(stmt))
