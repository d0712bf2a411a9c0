"""Counters of the scan log and the stand visits, kept by the database as rows are written.

The stats read these instead of counting the log, so a dashboard costs the same on the fifth
day of a salon as on the first. Triggers on `room_access` and `visit` (migration 3f6a2d9e8b14)
update them in the writing transaction, whoever writes (the door, offline sync, a bulk load,
retention); `agora stats verify` recounts them from the log and reports any difference.

Time is bucketed by UTC quarter-hour (`quarter` = Unix seconds // 900): every UTC offset in use
is a multiple of 15 minutes, so a quarter folds into exactly one local hour of any event's
time zone (resolvers/stats.py), and a local midnight is always a quarter's start.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String
from sqlmodel import Field, SQLModel

QUARTER_SECONDS = 900


class ScanCount(SQLModel, table=True):
    """Scans at one room's door in one quarter-hour, with one verdict and reason."""

    __tablename__ = "scan_count"
    __table_args__ = (Index("ix_scan_count_event_id_quarter", "event_id", "quarter"),)

    room_id: int = Field(foreign_key="room.id", primary_key=True)
    quarter: int = Field(
        primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False}
    )
    status: str = Field(primary_key=True, sa_type=String(32))
    # '' for a grant: a primary key column cannot be null.
    reason: str = Field(primary_key=True, sa_type=String(32))
    event_id: int = Field(foreign_key="event.id")
    n: int = Field(sa_type=Integer)


class RoomEntrant(SQLModel, table=True):
    """A member granted entry at a room's door at least once (its distinct members)."""

    __tablename__ = "room_entrant"

    room_id: int = Field(foreign_key="room.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class EventEntrant(SQLModel, table=True):
    """A member granted entry at any of the event's doors at least once (checked in)."""

    __tablename__ = "event_entrant"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class SessionEntrant(SQLModel, table=True):
    """A member granted entry to a session at least once (its no-shows are the others)."""

    __tablename__ = "session_entrant"

    session_id: int = Field(foreign_key="session.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class VisitCount(SQLModel, table=True):
    """An exposant's stand visits in one quarter-hour."""

    __tablename__ = "visit_count"

    exposant_id: int = Field(foreign_key="member.id", primary_key=True)
    quarter: int = Field(
        primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False}
    )
    n: int = Field(sa_type=Integer)


class ExposantVisitor(SQLModel, table=True):
    """A participant an exposant has scanned at least once (its distinct visitors)."""

    __tablename__ = "exposant_visitor"

    exposant_id: int = Field(foreign_key="member.id", primary_key=True)
    participant_id: int = Field(foreign_key="member.id", primary_key=True)
