"""Staff assignments: assigning a gestionnaire or controller to a room, moving and ending it
(the `RoomAssignment` type is in `schema/types.py`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from kernel.ids import decode
from permissions import allowed, subjects
from permissions.rules import EVENT_STAFF
from resolvers import staff
from schema.info import Info
from schema.types import RoomAssignment


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
