"""Exposant visits: an exposant scanned a participant's badge at its stand (a lead)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from models.base import created_timestamp


class Visit(SQLModel, table=True):
    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_exposant_id_scanned_at", "exposant_id", "scanned_at"),
        Index("ix_visit_exposant_id_participant_id", "exposant_id", "participant_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    exposant_id: int = Field(foreign_key="member.id")
    participant_id: int = Field(foreign_key="member.id", index=True)
    scanned_at: datetime = created_timestamp()
    note: str = Field(default="", sa_type=String(2000))
