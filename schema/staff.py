"""Staff assignments (the `RoomAssignment` type): assigning a gestionnaire or controller to a
room, moving and ending it."""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from kernel.ids import decode, encode
from permissions import Role, Subject, allowed, subjects
from permissions.rules import EVENT_STAFF
from resolvers import staff
from schema.fields import field
from schema.info import Info
from schema.loading import one
from schema.members import Member
from schema.node import Node
from schema.rooms import Room
from schema.users import User, event_user


@strawberry.type(
    description="A staff member's assignment in one room. Never deleted: ended assignments keep their history."
)
class RoomAssignment(Node):
    role: Role = strawberry.field(description="The member's role when assigned.")
    starts_at: datetime
    ends_at: datetime = strawberry.field(
        description="When the assignment ends (or ended: endAssignment and reassignStaff shorten it)."
    )
    assigned_at: datetime
    cancelled: bool = strawberry.field(
        description="Ended before it began: kept for the record, it never held the room."
    )
    ended_at: datetime | None = strawberry.field(
        description="When someone ended or cancelled the assignment early; null when it runs its course."
    )
    model: strawberry.Private[models.RoomAssignment]

    @classmethod
    def from_model(cls, a: models.RoomAssignment) -> RoomAssignment:
        assert a.id is not None
        return cls(
            id=strawberry.ID(encode("RoomAssignment", a.id)),
            role=models.Role(a.role),
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            assigned_at=a.assigned_at,
            cancelled=a.cancelled,
            ended_at=a.ended_at,
            model=a,
        )

    def subject(self) -> Subject:
        return subjects.assignment_subject(self.model)

    @strawberry.field
    def member(self, info: Info) -> Member:
        return one(info.context.loaders.member_by_id, self.model.member_id, Member.from_model)

    @strawberry.field
    def room(self, info: Info) -> Room:
        return one(info.context.loaders.room_by_id, self.model.room_id, Room.from_model)

    @field(description="True while the assignment runs (at the time of the request).")
    def is_active(self, info: Info) -> bool:
        return self.model.covers(info.context.now)

    @field(description="Who made the assignment.")
    def assigned_by(self, info: Info) -> User | None:
        return event_user(info, self.model.assigned_by_id, self.model.event_id)

    @field(description="Who ended or cancelled the assignment early, if anyone.")
    def ended_by(self, info: Info) -> User | None:
        return event_user(info, self.model.ended_by_id, self.model.event_id)


@strawberry.input(description="A room for a staff member, from `startsAt` to `endsAt`.")
class StaffAssignmentInput:
    member_id: strawberry.ID
    room_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime


ASSIGNED_MEMBER = subjects.by_id(
    "Member", models.Member, lambda kw: kw["input"].member_id, subjects.member_subject
)


@strawberry.type
class StaffMutation:
    @allowed(
        *EVENT_STAFF,
        subject=ASSIGNED_MEMBER,
        description="Assign a gestionnaire or controller to a room from startsAt to endsAt; one room at a time (CONFLICT names the overlapping assignment).",
    )
    def assign_staff(self, info: Info, input: StaffAssignmentInput) -> RoomAssignment:
        assignment = staff.assign_staff(
            info.context,
            member_id=decode("Member", input.member_id),
            room_id=decode("Room", input.room_id),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
        )
        return RoomAssignment.from_model(assignment)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.MEMBER_ARG,
        description="Move a staff member to another room from `at` (default now): the running assignment ends at `at`, a new one starts; one room at a time.",
    )
    def reassign_staff(
        self,
        info: Info,
        *,
        member_id: strawberry.ID,
        room_id: strawberry.ID,
        at: datetime | None = None,
        until: datetime,
    ) -> RoomAssignment:
        assignment = staff.reassign_staff(
            info.context,
            member_id=decode("Member", member_id),
            room_id=decode("Room", room_id),
            at=at,
            until=until,
        )
        return RoomAssignment.from_model(assignment)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.ASSIGNMENT_ARG,
        description="End a running assignment now, or cancel one not yet begun. An assignment already over is returned unchanged.",
    )
    def end_assignment(self, info: Info, id: strawberry.ID) -> RoomAssignment:
        assignment = staff.end_assignment(info.context, assignment_id=decode("RoomAssignment", id))
        return RoomAssignment.from_model(assignment)
