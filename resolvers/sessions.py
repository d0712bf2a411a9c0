"""Sessions of the programme: creating, changing, moving through their status, deleting; and
marking who may enter a paid atelier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from sqlalchemy import func
from sqlmodel import col, select

import models
from kernel.errors import BadUserInputError, ConflictError, NotFoundError
from kernel.moments import aware, local
from models import PaymentStatus, SessionKind, SessionStatus
from models.enums import SESSION_STATUS_ORDER
from resolvers import audit, news
from resolvers.context import Context
from resolvers.text import MAX_DESCRIPTION, optional_text, required_text
from resolvers.visibility import visible_event, visible_in_event

SESSION_FIELDS = (
    "room_id",
    "title",
    "description",
    "speaker_name",
    "kind",
    "is_paid",
    "price",
    "starts_at",
    "ends_at",
    "youtube_live_url",
)
ACCESS_FIELDS = ("session_id", "member_id", "payment_status", "amount_paid")
YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"})
MAX_PRICE = Decimal("99999999.99")


@dataclass(frozen=True)
class SessionValues:
    room_id: int
    title: str
    description: str | None
    speaker_name: str | None
    kind: SessionKind
    is_paid: bool | None
    price: Decimal | None
    starts_at: datetime
    ends_at: datetime
    youtube_live_url: str | None


def youtube_url(value: str | None) -> str | None:
    """A YouTube https URL, or None when empty; BAD_USER_INPUT for anything else."""
    url = (value or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or (parts.hostname or "").lower() not in YOUTUBE_HOSTS:
        raise BadUserInputError(
            "The live link must be a YouTube address (https://www.youtube.com/… or https://youtu.be/…)."
        )
    if len(url) > 500:
        raise BadUserInputError("The live link is too long (at most 500 characters).")
    return url


def _price(values: SessionValues) -> tuple[bool, Decimal]:
    is_paid = bool(values.is_paid)
    try:
        price = Decimal(values.price if values.price is not None else 0)
    except (InvalidOperation, TypeError) as exc:
        raise BadUserInputError("The price must be a number.") from exc
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise BadUserInputError("The price must be a positive amount.")
    if price != price.quantize(Decimal("0.01")):
        raise BadUserInputError("The price has at most two decimals.")
    if values.kind == SessionKind.CONFERENCE and (is_paid or price != 0):
        raise BadUserInputError("A conference is free for all: it is never paid.")
    if is_paid and price <= 0:
        raise BadUserInputError("A paid atelier needs a price above 0.")
    if not is_paid and price != 0:
        raise BadUserInputError("A free session has no price: set isPaid, or a price of 0.")
    return is_paid, price.quantize(Decimal("0.01"))


def _lock_room(ctx: Context, room_id: int) -> models.Room:
    # The room row is the lock that serialises overlap checks of one room (PostgreSQL).
    room = ctx.db.exec(
        select(models.Room).where(models.Room.id == room_id).with_for_update()
    ).first()
    if room is None:
        raise NotFoundError(f"No room has the id {room_id}.")
    return room


def _check_room_free(ctx: Context, session: models.EventSession) -> None:
    S = models.EventSession
    stmt = select(S).where(
        S.room_id == session.room_id,
        col(S.starts_at) < session.ends_at,
        col(S.ends_at) > session.starts_at,
    )
    if session.id is not None:
        stmt = stmt.where(S.id != session.id)
    other = ctx.db.exec(stmt.order_by(col(S.starts_at))).first()
    if other is not None:
        zone = visible_event(ctx, session.event_id).timezone
        raise ConflictError(
            f"This room already has “{other.title}” from {local(other.starts_at, zone)} to "
            f"{local(other.ends_at, zone)}; two sessions never overlap in one room."
        )


def _apply(ctx: Context, session: models.EventSession, values: SessionValues) -> None:
    event = visible_event(ctx, session.event_id)
    room = visible_in_event(ctx, models.Room, values.room_id, "room")
    if room.event_id != event.id:
        raise BadUserInputError(f"The room “{room.name}” belongs to another event.")
    starts_at, ends_at = aware(values.starts_at, "startsAt"), aware(values.ends_at, "endsAt")
    if ends_at <= starts_at:
        raise BadUserInputError("A session must end after it starts.")
    if starts_at < event.starts_at or ends_at > event.ends_at:
        raise BadUserInputError(
            f"A session lies within its event's dates ({local(event.starts_at, event.timezone)} "
            f"to {local(event.ends_at, event.timezone)})."
        )
    is_paid, price = _price(values)
    session.title = required_text(values.title, "The session's title", 300)
    session.description = optional_text(
        values.description, "The session's description", MAX_DESCRIPTION
    )
    session.speaker_name = optional_text(values.speaker_name, "The speaker's name", 200)
    session.kind = values.kind
    session.is_paid = is_paid
    session.price = price
    session.starts_at = starts_at
    session.ends_at = ends_at
    session.youtube_live_url = youtube_url(values.youtube_live_url)
    locked = _lock_room(ctx, values.room_id)
    assert locked.id is not None
    session.room_id = locked.id
    _check_room_free(ctx, session)


def create_session(ctx: Context, *, event_id: int, values: SessionValues) -> models.EventSession:
    """Add a session to the programme, in one room of the event, overlapping no other."""
    session = models.EventSession(
        event_id=event_id,
        room_id=values.room_id,
        title="",
        kind=values.kind,
        starts_at=values.starts_at,
        ends_at=values.ends_at,
    )
    _apply(ctx, session, values)
    ctx.db.add(session)
    audit.record(
        ctx,
        event_id=event_id,
        action="session.create",
        subject=("Session", session),
        after=audit.snapshot(session, SESSION_FIELDS),
    )
    news.publish(ctx.db, "room", session.room_id)
    ctx.commit()
    return session


def update_session(ctx: Context, *, session_id: int, values: SessionValues) -> models.EventSession:
    session = visible_in_event(ctx, models.EventSession, session_id, "session")
    stays_paid = values.kind == SessionKind.ATELIER and bool(values.is_paid)
    if session.requires_payment and not stays_paid:
        _refuse_if_paid_accesses(ctx, session, "made free")
    before = audit.snapshot(session, SESSION_FIELDS)
    _apply(ctx, session, values)
    audit.record(
        ctx,
        event_id=session.event_id,
        action="session.update",
        subject=("Session", session),
        before=before,
        after=audit.snapshot(session, SESSION_FIELDS),
    )
    news.publish(ctx.db, "room", session.room_id)
    ctx.commit()
    return session


def set_session_status(
    ctx: Context, *, session_id: int, status: SessionStatus
) -> models.EventSession:
    """Move a session forward: PAS_ENCORE, then EN_COURS, then TERMINE."""
    session = visible_in_event(ctx, models.EventSession, session_id, "session")
    current = SessionStatus(session.status)
    if SESSION_STATUS_ORDER[status] <= SESSION_STATUS_ORDER[current]:
        raise BadUserInputError(
            f"The session is {current.value}; its status only moves forward "
            "(PAS_ENCORE → EN_COURS → TERMINE)."
        )
    audit.record(
        ctx,
        event_id=session.event_id,
        action="session.status",
        subject=("Session", session),
        before={"status": current.value},
        after={"status": status.value},
    )
    session.status = status
    news.publish(ctx.db, "room", session.room_id)
    ctx.commit()
    return session


def _refuse_if_paid_accesses(ctx: Context, session: models.EventSession, change: str) -> None:
    paid = ctx.db.exec(
        select(func.count())
        .select_from(models.SessionAccess)
        .where(
            models.SessionAccess.session_id == session.id,
            models.SessionAccess.payment_status == PaymentStatus.PAID,
        )
    ).one()
    if paid:
        raise ConflictError(f"{paid} member(s) paid for “{session.title}”; it cannot be {change}.")


def delete_session(ctx: Context, *, session_id: int) -> bool:
    """Delete a session no one was scanned into and no one paid for (its questions go with it)."""
    session = visible_in_event(ctx, models.EventSession, session_id, "session")
    scans = ctx.db.exec(
        select(func.count())
        .select_from(models.RoomAccess)
        .where(models.RoomAccess.session_id == session.id)
    ).one()
    if scans:
        raise ConflictError(
            f"“{session.title}” has {scans} recorded scan(s); the scan log is kept, so it cannot be deleted."
        )
    _refuse_if_paid_accesses(ctx, session, "deleted")
    audit.record(
        ctx,
        event_id=session.event_id,
        action="session.delete",
        subject=("Session", session),
        before=audit.snapshot(session, SESSION_FIELDS),
    )
    ctx.db.delete(session)
    news.publish(ctx.db, "room", session.room_id)
    ctx.commit()
    return True


def set_session_access(
    ctx: Context,
    *,
    session_id: int,
    member_id: int,
    payment_status: PaymentStatus,
    amount_paid: Decimal | None,
) -> models.SessionAccess:
    """Mark a member's access to a paid atelier (no payment gateway: staff mark it)."""
    session = visible_in_event(ctx, models.EventSession, session_id, "session")
    member = visible_in_event(ctx, models.Member, member_id, "member")
    if member.event_id != session.event_id:
        raise NotFoundError(f"No member of this event has the id {member_id}.")
    if not session.requires_payment:
        raise BadUserInputError(
            f"“{session.title}” is open to every member; only paid ateliers need access marks."
        )
    if payment_status == PaymentStatus.PAID:
        amount = Decimal(session.price if amount_paid is None else amount_paid)
        if not amount.is_finite() or amount <= 0 or amount > MAX_PRICE:
            raise BadUserInputError("A paid access needs the amount paid, above 0.")
    else:
        amount = Decimal(amount_paid or 0)
        if amount != 0:
            raise BadUserInputError(
                f"Only a PAID access carries an amount; {payment_status.value} has none."
            )
    access = ctx.db.exec(
        select(models.SessionAccess).where(
            models.SessionAccess.session_id == session.id,
            models.SessionAccess.member_id == member.id,
        )
    ).first()
    before: dict[str, object] | None = None
    if access is None:
        assert session.id is not None
        assert member.id is not None
        access = models.SessionAccess(
            session_id=session.id, member_id=member.id, payment_status=payment_status
        )
        ctx.db.add(access)
    else:
        before = audit.snapshot(access, ACCESS_FIELDS)
    access.payment_status = payment_status
    access.amount_paid = amount.quantize(Decimal("0.01"))
    access.paid_at = ctx.now if payment_status == PaymentStatus.PAID else None
    access.marked_by_id = ctx.require_viewer().user_id
    access.updated_at = ctx.now
    audit.record(
        ctx,
        event_id=session.event_id,
        action="access.mark",
        # The access row: its first entry (its creation) names its session and member.
        subject=("SessionAccess", access),
        before=before,
        after=audit.snapshot(access, ACCESS_FIELDS),
    )
    news.publish(ctx.db, "member", member.id)
    ctx.commit()
    return access
