"""Sessions of the programme (conferences and ateliers) and who may enter paid ones."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, enum_field, in_values, timestamp
from models.enums import PaymentStatus, SessionKind, SessionStatus


class EventSession(SQLModel, table=True):
    __tablename__ = "session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(in_values("kind", SessionKind), name="kind"),
        CheckConstraint(in_values("status", SessionStatus), name="status"),
        CheckConstraint("kind = 'ATELIER' OR NOT is_paid", name="conference_is_free"),
        CheckConstraint("(is_paid AND price > 0) OR (NOT is_paid AND price = 0)", name="price"),
        Index("ix_session_room_id_starts_at", "room_id", "starts_at"),
        Index("ix_session_event_id_starts_at", "event_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    room_id: int = Field(foreign_key="room.id")
    title: str = Field(sa_type=String(300))
    description: str = Field(default="", sa_type=Text)
    speaker_name: str = Field(default="", sa_type=String(200))
    kind: SessionKind = enum_field()
    is_paid: bool = False
    price: Decimal = Field(default=Decimal("0"), sa_type=Numeric(10, 2))
    status: SessionStatus = enum_field(default=SessionStatus.PAS_ENCORE)
    starts_at: datetime = timestamp()
    ends_at: datetime = timestamp()
    youtube_live_url: str | None = Field(default=None, sa_type=String(500))
    # Distinct members let in so far, kept by triggers on room_access (migration 5b2e9d7c1f03):
    # the door's capacity rule reads it instead of counting the scan log.
    admitted: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})

    @property
    def requires_payment(self) -> bool:
        return self.kind == SessionKind.ATELIER and self.is_paid


class SessionAccess(SQLModel, table=True):
    """A member's access to a paid atelier, as marked by staff (there is no payment gateway)."""

    __tablename__ = "session_access"
    __table_args__ = (
        UniqueConstraint("session_id", "member_id"),
        CheckConstraint(in_values("payment_status", PaymentStatus), name="payment_status"),
        CheckConstraint("amount_paid >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True)
    payment_status: PaymentStatus = enum_field()
    amount_paid: Decimal = Field(default=Decimal("0"), sa_type=Numeric(10, 2))
    paid_at: datetime | None = timestamp(default=None)
    marked_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_timestamp()

    @property
    def has_access(self) -> bool:
        return self.payment_status in (PaymentStatus.PAID, PaymentStatus.FREE)
