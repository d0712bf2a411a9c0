"""The scan log: every badge presented at a room door, granted or denied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, enum_field, in_values, timestamp
from models.enums import DenyReason, ScanStatus


class RoomAccess(SQLModel, table=True):
    __tablename__ = "room_access"
    __table_args__ = (
        CheckConstraint(in_values("status", ScanStatus), name="status"),
        CheckConstraint(
            f"(status = 'GRANTED' AND reason IS NULL) OR (status = 'DENIED' AND {in_values('reason', DenyReason)})",
            name="reason",
        ),
        # A retried or re-synced scan with the same device id is recorded once per scanner.
        UniqueConstraint("scanned_by_id", "client_scan_id"),
        Index("ix_room_access_room_id_scanned_at", "room_id", "scanned_at"),
        Index("ix_room_access_event_id_scanned_at", "event_id", "scanned_at"),
        Index("ix_room_access_session_id_status_member_id", "session_id", "status", "member_id"),
        Index("ix_room_access_member_id", "member_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    room_id: int = Field(foreign_key="room.id")
    session_id: int | None = Field(default=None, foreign_key="session.id")
    member_id: int | None = Field(default=None, foreign_key="member.id")
    # The code as presented, kept for denied attempts that matched nobody.
    code: str = Field(sa_type=String(128))
    controller_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    scanned_by_id: int = Field(foreign_key="app_user.id")
    status: ScanStatus = enum_field()
    reason: DenyReason | None = enum_field(default=None)
    scanned_at: datetime = created_timestamp()
    client_scanned_at: datetime | None = timestamp(default=None)
    client_scan_id: str | None = Field(default=None, sa_type=String(100))
