"""The audit log: who changed what in an event, written with the change, never edited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from models.base import created_timestamp


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        # auditLog pages newest first within one event, optionally of one action.
        Index("ix_audit_entry_event_id_id", "event_id", "id"),
        Index("ix_audit_entry_event_id_action_id", "event_id", "action", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    at: datetime = created_timestamp()
    # None when no user acted (the retention command run by an operator).
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(sa_type=String(64))
    subject_id: str | None = Field(default=None, sa_type=String(200))
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
