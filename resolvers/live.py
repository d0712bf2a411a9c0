"""What live subscriptions push: news since a cursor, read from the database.

A subscription reads these when news wakes it (resolvers/news.py) or, rarely, on its own; each
read is one or two indexed statements bounded by `LIVE_BATCH`. The rows come from the database,
never from the notification, so every worker pushes the same thing, under each viewer's rights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, literal_column
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

import models
from resolvers.context import Context
from resolvers.plain import PlainSelect, attach, columns, width

LIVE_BATCH = 100


def annonce_cursor(ctx: Context, *, event_id: int) -> int:
    """The newest annonce id of the event now: only later ones are pushed."""
    newest = ctx.db.exec(
        select(func.max(models.Annonce.id)).where(models.Annonce.event_id == event_id)
    ).one()
    return newest or 0


def annonces_after(ctx: Context, *, event_id: int, after_id: int) -> list[models.Annonce]:
    """Annonces published after `after_id`, oldest first (what each viewer reads of them is
    the policy's: `permissions.subjects.readable_annonces`)."""
    stmt = (
        select(models.Annonce)
        .where(models.Annonce.event_id == event_id, col(models.Annonce.id) > after_id)
        .order_by(col(models.Annonce.id))
        .limit(LIVE_BATCH)
    )
    return list(ctx.db.exec(stmt))


# A write commits a moment after its timestamp is taken: look back this far on every poll and
# let the caller drop what it already pushed.
LOOKBACK = timedelta(seconds=5)


def scan_cursor(ctx: Context, *, room_id: int) -> int:
    """The newest scan id at this room's door now: only later scans are pushed."""
    newest = ctx.db.exec(
        select(func.max(models.RoomAccess.id)).where(models.RoomAccess.room_id == room_id)
    ).one()
    return newest or 0


@dataclass(frozen=True)
class RoomState:
    # The session running in the room now (sessions never overlap in a room).
    session: models.EventSession | None
    # Distinct members granted entry to it.
    occupancy: int
    # When the state changes with no scan: the running session ends or the next one starts.
    next_change: datetime | None


@dataclass(frozen=True)
class DoorNews:
    """A door as its displays show it: the room, its state, and the scans after a cursor with
    what names them (their members, the members' users, their sessions)."""

    room: models.Room
    state: RoomState
    scans: list[models.RoomAccess]
    members: list[models.Member]
    users: list[models.User]
    sessions: list[models.EventSession]


def _door_statement() -> PlainSelect:
    # One row per scan after the cursor (one row when there is none): the room, the first two
    # sessions not yet over (the running one and the next), the scan, its member and that
    # member's user, its controller and theirs, its session.
    R, S, A, M, U = models.Room, models.EventSession, models.RoomAccess, models.Member, models.User
    # Numbers written in the statement: PlainSelect takes named parameters only.
    room: BindParameter[int] = bindparam("room_id")
    now = bindparam("now", type_=S.__table__.c.ends_at.type)  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped

    def ahead(offset: int) -> Any:
        return (
            select(S.id)
            .where(S.room_id == room, col(S.ends_at) > now)
            .order_by(col(S.starts_at))
            .offset(literal_column(str(offset)))
            .limit(literal_column("1"))
            .scalar_subquery()
        )

    scans = (
        select(A.id)
        .where(A.room_id == room, col(A.id) > bindparam("after"))
        .order_by(col(A.id))
        .limit(literal_column(str(LIVE_BATCH)))
        .offset(literal_column("0"))
    )
    first, second, scan_session = aliased(S), aliased(S), aliased(S)
    member, member_user, controller, controller_user = (
        aliased(M),
        aliased(U),
        aliased(M),
        aliased(U),
    )
    statement = (
        select(
            *columns(R),
            *(getattr(first, c.key) for c in columns(S)),
            *(getattr(second, c.key) for c in columns(S)),
            *columns(A),
            *(getattr(member, c.key) for c in columns(M)),
            *(getattr(member_user, c.key) for c in columns(U)),
            *(getattr(controller, c.key) for c in columns(M)),
            *(getattr(controller_user, c.key) for c in columns(U)),
            *(getattr(scan_session, c.key) for c in columns(S)),
        )
        .select_from(R)
        .outerjoin(first, col(first.id) == ahead(0))
        .outerjoin(second, col(second.id) == ahead(1))
        .outerjoin(A, col(A.id).in_(scans))
        .outerjoin(member, col(member.id) == A.member_id)
        .outerjoin(member_user, col(member_user.id) == member.user_id)
        .outerjoin(controller, col(controller.id) == A.controller_id)
        .outerjoin(controller_user, col(controller_user.id) == controller.user_id)
        .outerjoin(scan_session, col(scan_session.id) == A.session_id)
        .where(R.id == room)
        .order_by(col(A.id))
    )
    return PlainSelect(statement)


DOOR = _door_statement()
# The models of a door row's parts, in order: each part is attached as its model.
_DOOR_PARTS: tuple[type[Any], ...] = (
    models.Room,
    models.EventSession,
    models.EventSession,
    models.RoomAccess,
    models.Member,
    models.User,
    models.Member,
    models.User,
    models.EventSession,
)
_DOOR_CUTS = list(accumulate((width(m) for m in _DOOR_PARTS), initial=0))
_DOOR_SLICES = [
    (model, slice(start, end))
    for model, start, end in zip(_DOOR_PARTS, _DOOR_CUTS, _DOOR_CUTS[1:], strict=False)
]


def door_after(ctx: Context, *, room_id: int, after_id: int) -> DoorNews | None:
    """The door of this room now and its scans after `after_id`, oldest first, at most
    LIVE_BATCH, in one statement; None when the room is gone."""
    now = ctx.now
    return door_from(ctx.db, DOOR.rows(ctx.db, **door_params(room_id, after_id, now)), now)


def door_params(room_id: int, after_id: int, now: datetime) -> dict[str, Any]:
    """The parameters of DOOR (the door of `room_id` at `now`, its scans after `after_id`)."""
    return {"room_id": room_id, "after": after_id, "now": now}


def door_from(db: Session, rows: list[tuple[Any, ...]], now: datetime) -> DoorNews | None:
    """The door in DOOR's rows, its objects attached to `db`; None when the room is gone."""
    scans: list[models.RoomAccess] = []
    members: dict[int, models.Member] = {}
    users: dict[int, models.User] = {}
    sessions: dict[int, models.EventSession] = {}
    room: models.Room | None = None
    ahead: list[models.EventSession] = []
    for row in rows:
        found = [attach(db, model, row[part]) for model, part in _DOOR_SLICES]
        room = found[0]
        ahead = [s for s in found[1:3] if s is not None]
        scan = found[3]
        if scan is None:
            continue
        scans.append(scan)
        for m in (found[4], found[6]):
            if m is not None:
                members[m.id or 0] = m
        for u in (found[5], found[7]):
            if u is not None:
                users[u.id or 0] = u
        if found[8] is not None:
            sessions[found[8].id or 0] = found[8]
    if room is None:
        return None
    return DoorNews(
        room,
        _state(ahead, now),
        scans,
        list(members.values()),
        list(users.values()),
        list(sessions.values()),
    )


def _state(ahead: list[models.EventSession], now: datetime) -> RoomState:
    """The room's state from its first two sessions not yet over."""
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
