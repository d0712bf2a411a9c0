"""Events."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, String, Text
from sqlmodel import Field, SQLModel

from kernel.moments import local_midnight, zone_of
from models.base import created_timestamp, timestamp


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=Text)
    location: str = Field(default="", sa_type=String(300))
    starts_at: datetime = timestamp()
    ends_at: datetime = timestamp()
    timezone: str = Field(default="UTC", sa_type=String(64))
    president_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    created_at: datetime = created_timestamp()

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone; an unknown name (refused on input) falls back to UTC."""
        return zone_of(self.timezone)

    def midnight(self, moment: datetime) -> datetime:
        """The instant the event's local day of `moment` began, as UTC (its stats' "today")."""
        return local_midnight(moment, self.zone)
