"""Room assignments (staff assignments): a gestionnaire or controller holds one room for a span of time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, false
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, enum_field, in_values, timestamp
from models.enums import STAFF_ROLES, Role


class RoomAssignment(SQLModel, table=True):
    """Never deleted: ending an assignment early shortens it, ending one not yet begun cancels it."""

    __tablename__ = "room_assignment"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(in_values("role", STAFF_ROLES), name="role"),
        Index("ix_room_assignment_member_id_starts_at", "member_id", "starts_at"),
        Index("ix_room_assignment_room_id_starts_at", "room_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    room_id: int = Field(foreign_key="room.id")
    role: Role = enum_field()
    starts_at: datetime = timestamp()
    ends_at: datetime = timestamp()
    assigned_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    assigned_at: datetime = created_timestamp()
    # Who cut the assignment short (endAssignment, reassignStaff) and when that was recorded.
    ended_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    ended_at: datetime | None = timestamp(default=None)
    # Ended before it began: kept for the record, but it never held the room.
    cancelled: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    def covers(self, moment: datetime) -> bool:
        return not self.cancelled and self.starts_at <= moment < self.ends_at
