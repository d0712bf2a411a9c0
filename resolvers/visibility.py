"""Finding objects the viewer may know about. Anything of another event is NOT_FOUND, as if absent.

The one home of that rule: the viewer knows an event it belongs to (a member, its president, or
a platform admin: `Viewer.belongs_to`), and every row of it."""

from __future__ import annotations

from functools import cache
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, bindparam, or_, union
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select

import models
from kernel.errors import NotFoundError
from resolvers.context import Context
from resolvers.plain import PlainSelect, attach, columns, width


class InEvent(Protocol):
    """A table model of one event's rows: its id and its event's."""

    id: int | None
    event_id: int


T = TypeVar("T")
M = TypeVar("M", bound=InEvent)


def not_found_message(label: str, pk: int) -> str:
    """The NOT_FOUND message for the `label` with id `pk`: the same whether no such row exists, it
    is of another event, or the viewer may not see it (`Query.node`), so ids cannot be probed."""
    return f"No {label} has the id {pk}."


def known(ctx: Context, row: T | None, event_id: int | None, missing: str) -> T:
    """`row`, when it exists and its event is one of the viewer's; NOT_FOUND (`missing`) else."""
    viewer = ctx.require_viewer()
    if row is None or event_id is None or not viewer.belongs_to(event_id):
        raise NotFoundError(missing)
    return row


def viewer_events(ctx: Context) -> list[ColumnElement[bool]]:
    """The condition that keeps, of the Event rows, those the viewer knows (all, for an admin)."""
    viewer = ctx.require_viewer()
    if viewer.is_admin:
        return []
    member_of = select(models.Member.event_id).where(models.Member.user_id == viewer.user_id)
    return [
        or_(col(models.Event.id).in_(member_of), col(models.Event.president_id) == viewer.user_id)
    ]


def visible_event(ctx: Context, event_id: int) -> models.Event:
    ctx.require_viewer()  # anonymous: UNAUTHENTICATED before anything is read
    event = ctx.db.get(models.Event, event_id)
    return known(ctx, event, event_id, f"No event has the id {event_id}.")


def visible_in_event(ctx: Context, model: type[M], pk: int, label: str) -> M:
    """A row of `model` (with an event_id) that belongs to one of the viewer's events.

    Read with its event in one statement when not already loaded: nearly every field under an
    object reached by id needs the event (its time zone, its president) next."""
    ctx.require_viewer()  # anonymous: UNAUTHENTICATED before anything is read
    row = ctx.db.identity_map.get(identity_key(model, pk))
    if row is None:
        found = _with_event(model).rows(ctx.db, pk=pk)
        if found:
            split = width(model)
            row = attach(ctx.db, model, found[0][:split])
            event = attach(ctx.db, models.Event, found[0][split:])
            assert event is not None
            ctx.loaders.event_by_id.prime(event.id or 0, event)
    event_id = getattr(row, "event_id", None)
    return known(ctx, row, event_id, not_found_message(label, pk))


def event_of_room(ctx: Context, room_id: int) -> int:
    """The event of a room the viewer may know about (NOT_FOUND otherwise). A member's own
    staff assignment at that room names it (assignments are made for rooms of the member's event, and a
    room with assignments cannot be deleted): a controller at its door needs no read of the room.
    Anyone else's answer reads the room, with its event."""
    viewer = ctx.require_viewer()
    for assignment in viewer.assignments:
        if assignment.room_id == room_id:
            return assignment.event_id
    room = visible_in_event(ctx, models.Room, room_id, "room")
    # The loader holds the row for the resolver (the identity map alone keeps it only weakly).
    ctx.loaders.room_by_id.prime(room_id, room)
    return room.event_id


def rooms_showing(ctx: Context, member: models.Member) -> set[int]:
    """The rooms whose staff or scan log name the member (`Room.staff` at some moment,
    `Room.stats` scans as the member or as the controller): where it may be seen beside its room."""
    A, R = models.RoomAssignment, models.RoomAccess
    held = select(A.room_id).where(A.member_id == member.id, col(A.cancelled).is_(False))
    scanned = select(R.room_id).where(
        or_(col(R.member_id) == member.id, col(R.controller_id) == member.id)
    )
    return set(ctx.db.execute(union(held, scanned)).scalars())


def exposants_who_visited(ctx: Context, member: models.Member) -> set[int]:
    """The exposants (member ids) whose visits name the member as their participant."""
    V = models.Visit
    stmt = select(V.exposant_id).where(V.participant_id == member.id).distinct()
    return set(ctx.db.exec(stmt))


@cache
def _with_event(model: type[M]) -> PlainSelect:
    """The columns of the row of `model` with id :pk, then its event's. Built once per model:
    composing a statement costs more than running it."""
    E = models.Event
    return PlainSelect(
        select(*columns(model), *columns(E))
        .join(E, col(E.id) == model.event_id)
        .where(col(model.id) == bindparam("pk"))
    )
