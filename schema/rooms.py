"""Rooms: the places of the event (the `Room` type), and their capacity."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from kernel.ids import decode, encode
from kernel.moments import aware
from permissions import Subject, allowed, subjects
from permissions.rules import CONTROLLER_HERE, EVENT_STAFF, ROOM_STATS_RULES
from resolvers import rooms
from resolvers import stats as stats_resolvers
from schema.fields import field
from schema.info import Info
from schema.lazy import LazyClass
from schema.loading import one, required
from schema.node import Node
from schema.sessions import Session

if TYPE_CHECKING:
    from schema.events import Event
    from schema.staff import RoomAssignment
    from schema.stats import RoomStats

_event: LazyClass[Event] = LazyClass("Event", strawberry.lazy("schema.events"))
_assignment: LazyClass[RoomAssignment] = LazyClass(
    "RoomAssignment", strawberry.lazy("schema.staff")
)
_room_stats: LazyClass[RoomStats] = LazyClass("RoomStats", strawberry.lazy("schema.stats"))


@strawberry.type(description="A room of the event: the place is the set of its rooms.")
class Room(Node):
    name: str
    description: str
    location: str
    capacity: int
    model: strawberry.Private[models.Room]

    @classmethod
    def from_model(cls, r: models.Room) -> Room:
        assert r.id is not None
        return cls(
            id=strawberry.ID(encode("Room", r.id)),
            name=r.name,
            description=r.description,
            location=r.location,
            capacity=r.capacity,
            model=r,
        )

    def subject(self) -> Subject:
        return subjects.room_subject(self.model)

    @strawberry.field
    def event(self, info: Info) -> Annotated[Event, strawberry.lazy("schema.events")]:
        return one(info.context.loaders.event_by_id, self.model.event_id, _event().from_model)

    @field(description="The room's sessions, by start time.")
    def sessions(self, info: Info) -> list[Session]:
        assert self.model.id is not None
        return [
            Session.from_model(s)
            for s in info.context.loaders.sessions_by_room_id.load(self.model.id)
        ]

    @allowed(
        *EVENT_STAFF,
        CONTROLLER_HERE,
        description="The staff holding this room at `at` (default now).",
    )
    def staff(
        self, info: Info, at: datetime | None = None
    ) -> list[Annotated[RoomAssignment, strawberry.lazy("schema.staff")]] | None:
        assert self.model.id is not None
        moment = info.context.now if at is None else aware(at, "`at`")
        loader = info.context.loaders.staff_by_room_id_at(moment)
        return [_assignment().from_model(a) for a in loader.load(self.model.id)]

    @field(description="The session running now in this room, if any.")
    def current_session(self, info: Info) -> Session | None:
        found = stats_resolvers.current_session(info.context, self.model)
        return Session.from_model(found) if found is not None else None

    @field(description="The next session to start in this room, if any.")
    def next_session(self, info: Info) -> Session | None:
        found = stats_resolvers.next_session(info.context, self.model)
        return Session.from_model(found) if found is not None else None

    @field(description="Distinct members granted entry to the current session (0 when none runs).")
    def occupancy(self, info: Info) -> int:
        assert self.model.id is not None
        return info.context.loaders.occupancy_by_room_id.load(self.model.id)

    @allowed(
        *ROOM_STATS_RULES,
        description="Scans at this room's door, optionally from `from` (included) to `to` (excluded).",
    )
    def stats(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> Annotated[RoomStats, strawberry.lazy("schema.stats")] | None:
        # Offsets checked first: a naive time cannot be compared with an aware one.
        from_ = None if from_ is None else aware(from_, "`from`")
        to = None if to is None else aware(to, "`to`")
        stats_resolvers.check_period(from_, to)
        event = required(info.context.loaders.event_by_id, self.model.event_id)
        return _room_stats().for_room(self.model, event, from_, to)


@strawberry.input(description="A room's details; capacity is a positive number of people.")
class RoomInput:
    name: str
    description: str | None = ""
    location: str | None = ""
    capacity: int

    def values(self) -> rooms.RoomValues:
        return rooms.RoomValues(
            name=self.name,
            description=self.description,
            location=self.location,
            capacity=self.capacity,
        )


@strawberry.type
class RoomMutation:
    @allowed(*EVENT_STAFF, subject=subjects.EVENT_ARG, description="Add a room to the event.")
    def create_room(self, info: Info, event_id: strawberry.ID, input: RoomInput) -> Room:
        room = rooms.create_room(
            info.context, event_id=decode("Event", event_id), values=input.values()
        )
        return Room.from_model(room)

    @allowed(*EVENT_STAFF, subject=subjects.ROOM_ARG, description="Change a room.")
    def update_room(self, info: Info, id: strawberry.ID, input: RoomInput) -> Room:
        room = rooms.update_room(info.context, room_id=decode("Room", id), values=input.values())
        return Room.from_model(room)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.ROOM_ARG,
        description="Delete a room; refused (CONFLICT) while sessions, scans or staff assignments refer to it.",
    )
    def delete_room(self, info: Info, id: strawberry.ID) -> bool:
        return rooms.delete_room(info.context, room_id=decode("Room", id))
