"""Annonces: announcements to the members of an event, by target role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, enum_field, in_values
from models.enums import AnnonceTarget


class Annonce(SQLModel, table=True):
    __tablename__ = "annonce"
    __table_args__ = (
        CheckConstraint(in_values("target", AnnonceTarget), name="target"),
        Index("ix_annonce_event_id_created_at", "event_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    title: str = Field(sa_type=String(200))
    description: str = Field(sa_type=Text)
    target: AnnonceTarget = enum_field()
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = created_timestamp()
    updated_at: datetime = created_timestamp()
