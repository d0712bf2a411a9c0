"""Uploaded files: an event's documents and the exposants' stand plans."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, in_values
from models.enums import FILE_KINDS


class StoredFile(SQLModel, table=True):
    """An uploaded document; the bytes live in file storage. There is at most one of a kind per
    event (per exposant for stand plans): a new upload deletes the one it replaces, row and
    bytes, so a replaced document is never served again."""

    __tablename__ = "stored_file"
    __table_args__ = (
        CheckConstraint(in_values("kind", FILE_KINDS), name="kind"),
        CheckConstraint("(kind = 'PLAN') = (member_id IS NOT NULL)", name="plan_has_member"),
        Index("ix_stored_file_event_id_kind", "event_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The event whose members may download it.
    event_id: int = Field(foreign_key="event.id")
    kind: str = Field(sa_type=String(16))
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    filename: str = Field(sa_type=String(255))
    content_type: str = Field(sa_type=String(100))
    size: int
    sha256: str = Field(sa_type=String(64))
    storage_key: str = Field(sa_type=String(255), unique=True)
    uploaded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    uploaded_at: datetime = created_timestamp()
