"""Rooms: creating, changing and deleting the rooms of an event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func
from sqlmodel import col, select

import models
from kernel.errors import BadUserInputError, ConflictError
from resolvers import audit
from resolvers.context import Context
from resolvers.text import MAX_DESCRIPTION, optional_text, required_text
from resolvers.visibility import visible_event, visible_in_event


@dataclass(frozen=True)
class RoomValues:
    name: str
    description: str | None
    location: str | None
    capacity: int


ROOM_FIELDS = ("name", "description", "location", "capacity")


def _apply(ctx: Context, room: models.Room, values: RoomValues) -> None:
    name = required_text(values.name, "The room's name", 200)
    if values.capacity <= 0:
        raise BadUserInputError("A room's capacity is a positive number of people.")
    same_name = select(models.Room.id).where(
        models.Room.event_id == room.event_id, func.lower(models.Room.name) == name.lower()
    )
    if room.id is not None:
        same_name = same_name.where(models.Room.id != room.id)
    taken = ctx.db.exec(same_name).first()
    if taken is not None:
        raise ConflictError(f"This event already has a room named “{name}”.")
    room.name = name
    room.description = optional_text(values.description, "The room's description", MAX_DESCRIPTION)
    room.location = optional_text(values.location, "The room's location", 300)
    room.capacity = values.capacity


def create_room(ctx: Context, *, event_id: int, values: RoomValues) -> models.Room:
    """Add a room to an event (names are unique within the event)."""
    event = visible_event(ctx, event_id)
    assert event.id is not None
    room = models.Room(event_id=event.id, name="", capacity=1)
    _apply(ctx, room, values)
    ctx.db.add(room)
    audit.record(
        ctx,
        event_id=event.id,
        action="room.create",
        subject=("Room", room),
        after=audit.snapshot(room, ROOM_FIELDS),
    )
    ctx.commit()
    return room


def update_room(ctx: Context, *, room_id: int, values: RoomValues) -> models.Room:
    room = visible_in_event(ctx, models.Room, room_id, "room")
    before = audit.snapshot(room, ROOM_FIELDS)
    _apply(ctx, room, values)
    audit.record(
        ctx,
        event_id=room.event_id,
        action="room.update",
        subject=("Room", room),
        before=before,
        after=audit.snapshot(room, ROOM_FIELDS),
    )
    ctx.commit()
    return room


class _InRoom(Protocol):
    room_id: int


def _count(ctx: Context, model: type[_InRoom], room_id: int) -> int:
    return ctx.db.exec(
        select(func.count()).select_from(model).where(col(model.room_id) == room_id)
    ).one()


def delete_room(ctx: Context, *, room_id: int) -> bool:
    """Delete a room nothing refers to: sessions, the scan log and staff assignments are never cascaded away."""
    room = visible_in_event(ctx, models.Room, room_id, "room")
    for model, what in (
        (models.EventSession, "session(s)"),
        (models.RoomAccess, "recorded scan(s)"),
        (models.RoomAssignment, "staff assignment(s)"),
    ):
        count = _count(ctx, model, room_id)
        if count:
            raise ConflictError(
                f"The room “{room.name}” still has {count} {what}; it cannot be deleted."
            )
    audit.record(
        ctx,
        event_id=room.event_id,
        action="room.delete",
        subject=("Room", room),
        before=audit.snapshot(room, ROOM_FIELDS),
    )
    ctx.db.delete(room)
    ctx.commit()
    return True
