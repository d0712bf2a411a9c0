"""Badges: the codes members present at the doors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, timestamp


class Badge(SQLModel, table=True):
    """A badge code. A member keeps its history: the newest unrevoked badge is the valid one."""

    __tablename__ = "badge"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    code: str = Field(sa_type=String(64), unique=True)
    issued_at: datetime = created_timestamp()
    revoked_at: datetime | None = timestamp(default=None)
