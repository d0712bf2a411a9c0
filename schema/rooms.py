"""Rooms: the places of the event, and their capacity."""

from __future__ import annotations

import strawberry

from kernel.ids import decode
from permissions import allowed, subjects
from permissions.rules import EVENT_STAFF
from resolvers import rooms
from schema.info import Info
from schema.types import Room


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
