"""Questions asked during a session, their answers and upvotes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, timestamp


class Question(SQLModel, table=True):
    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint("upvotes >= 0", name="upvotes_not_negative"),
        Index("ix_question_session_id_asked_at", "session_id", "asked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="member.id", index=True)
    text: str = Field(sa_type=Text)
    asked_at: datetime = created_timestamp()
    answer: str | None = Field(default=None, sa_type=Text)
    answered_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    answered_at: datetime | None = timestamp(default=None)
    # Denormalised count of QuestionUpvote rows, kept in the same transaction, for sorting.
    upvotes: int = 0
    # Moderation: hidden from participants, pinned first in lists.
    is_hidden: bool = False
    is_pinned: bool = False
    # The author is shown to ADMIN and ORGANIZER only.
    is_anonymous: bool = False
    # When it was last hidden, shown, pinned or unpinned: live pushes find moderated questions.
    moderated_at: datetime | None = timestamp(default=None)


class QuestionUpvote(SQLModel, table=True):
    __tablename__ = "question_upvote"

    question_id: int = Field(foreign_key="question.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)
    created_at: datetime = created_timestamp()
