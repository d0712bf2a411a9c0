"""Memberships: a user's one role in an event, under the name that event knows them by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, true
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, enum_field, in_values, timestamp
from models.enums import EVENT_ROLES, Role


class Member(SQLModel, table=True):
    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        CheckConstraint(in_values("role", EVENT_ROLES), name="role"),
        Index("ix_member_event_id_role", "event_id", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: Role = enum_field()
    # The name the event shows for this member, its own: the account's name (User.full_name)
    # belongs to the person, and one event's staff never change it.
    display_name: str = Field(sa_type=String(200))
    company: str = Field(default="", sa_type=String(200))
    checked_in_at: datetime | None = timestamp(default=None)
    # Whether exposants who scan this participant may read its email (the participant decides).
    shares_contact: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    created_at: datetime = created_timestamp()
