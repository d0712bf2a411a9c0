"""Calendar feeds: the read-only address at which one user's calendar app reads one event's
programme."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_timestamp


class CalendarFeed(SQLModel, table=True):
    """One user's feed of one event. The token in its address is derived from `nonce` with the
    server's secret key, so the database alone never yields a working address; `token_hash`
    finds the feed from the address. A new nonce (rotateCalendarToken) ends the old address."""

    __tablename__ = "calendar_feed"
    __table_args__ = (UniqueConstraint("user_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    nonce: str = Field(sa_type=String(64))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = created_timestamp()
