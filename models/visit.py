"""Exposant visits: an exposant scanned a participant's badge at its stand (a lead)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlmodel import Field, SQLModel

from models.base import created_timestamp


class Visit(SQLModel, table=True):
    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_exposant_id_scanned_at", "exposant_id", "scanned_at"),
        Index("ix_visit_exposant_id_participant_id", "exposant_id", "participant_id"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    exposant_id: int = Field(foreign_key="member.id")
    participant_id: int = Field(foreign_key="member.id", index=True)
    scanned_at: datetime = created_timestamp()
    note: str = Field(default="", sa_type=String(2000))
    # The exposant's grade of the lead, 1 (cold) to 5 (hot); null when not graded.
    rating: int | None = Field(default=None, sa_type=Integer)


class VisitTag(SQLModel, table=True):
    """One label an exposant put on a visit; a row per tag, so tags count with one GROUP BY."""

    __tablename__ = "visit_tag"

    visit_id: int = Field(foreign_key="visit.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(sa_type=String(40), primary_key=True)
