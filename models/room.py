"""Rooms: the place of an event is the set of its rooms."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Room(SQLModel, table=True):
    __tablename__ = "room"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        UniqueConstraint("event_id", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    name: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=Text)
    location: str = Field(default="", sa_type=String(300))
    capacity: int
