"""Events: listing what the viewer belongs to, creating and changing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, or_, select

import models
from kernel.errors import BadUserInputError, ConflictError
from kernel.moments import aware
from resolvers import audit, news, visibility
from resolvers.context import Context
from resolvers.text import MAX_DESCRIPTION, optional_text, required_text
from resolvers.users import create_user, find_by_email, validate_email
from resolvers.visibility import visible_event

# The columns' lengths: IANA names are far shorter; an address, as RFC 5321 bounds it.
MAX_TIMEZONE = 64
MAX_EMAIL = 254

EVENT_FIELDS = (
    "name",
    "description",
    "location",
    "starts_at",
    "ends_at",
    "timezone",
    "president_id",
)


def list_events(ctx: Context) -> list[models.Event]:
    """The events the viewer belongs to or presides (every event for an admin), soonest first."""
    stmt = (
        select(models.Event)
        .where(*visibility.viewer_events(ctx))
        .order_by(col(models.Event.starts_at), col(models.Event.id))
    )
    return list(ctx.db.exec(stmt))


@dataclass(frozen=True)
class EventValues:
    """What createEvent and updateEvent receive (president_email None: leave it as it is)."""

    name: str
    description: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str | None
    president_email: str | None = None


def _validated(values: EventValues) -> dict[str, Any]:
    aware(values.starts_at, "startsAt")
    aware(values.ends_at, "endsAt")
    if values.ends_at <= values.starts_at:
        raise BadUserInputError("An event must end after it starts.")
    tz = optional_text(values.timezone, "The time zone", MAX_TIMEZONE) or "UTC"
    optional_text(values.president_email, "The president's email", MAX_EMAIL)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadUserInputError(
            f"{tz!r} is not a time zone; use an IANA name such as Europe/Paris."
        ) from exc
    return {
        "name": required_text(values.name, "The event's name", 200),
        "description": optional_text(
            values.description, "The event's description", MAX_DESCRIPTION
        ),
        "location": optional_text(values.location, "The event's location", 300),
        "starts_at": values.starts_at.astimezone(UTC),
        "ends_at": values.ends_at.astimezone(UTC),
        "timezone": tz,
    }


def _president(ctx: Context, email: str) -> models.User:
    """The user with this email, created without a password (an invitation sets it) if new."""
    user = find_by_email(ctx.db, email)
    if user is not None:
        return user
    email = validate_email(email)
    return create_user(ctx.db, email=email, full_name=email.split("@")[0])


def create_event(ctx: Context, *, values: EventValues) -> models.Event:
    """Create an event and name its president."""
    fields = _validated(values)
    event = models.Event(**fields)
    if values.president_email:
        event.president_id = _president(ctx, values.president_email).id
    ctx.db.add(event)
    ctx.db.flush()
    assert event.id is not None
    audit.record(
        ctx,
        event_id=event.id,
        action="event.create",
        subject=("Event", event),
        after=audit.snapshot(event, EVENT_FIELDS),
    )
    ctx.commit()
    return event


def update_event(ctx: Context, *, event_id: int, values: EventValues) -> models.Event:
    """Change an event; its sessions must still lie within its dates."""
    event = visible_event(ctx, event_id)
    fields = _validated(values)
    outside = ctx.db.exec(
        select(models.EventSession)
        .where(
            models.EventSession.event_id == event_id,
            or_(
                col(models.EventSession.starts_at) < fields["starts_at"],
                col(models.EventSession.ends_at) > fields["ends_at"],
            ),
        )
        .order_by(col(models.EventSession.starts_at))
    ).first()
    if outside is not None:
        raise ConflictError(
            f"The session “{outside.title}” would fall outside the event's new dates; move it first."
        )
    before = audit.snapshot(event, EVENT_FIELDS)
    president_id = event.president_id
    if values.president_email:
        president_id = _president(ctx, values.president_email).id
    for name, value in fields.items():
        setattr(event, name, value)
    if president_id != event.president_id:
        news.publish(ctx.db, "user", event.president_id)
    event.president_id = president_id
    audit.record(
        ctx,
        event_id=event_id,
        action="event.update",
        subject=("Event", event),
        before=before,
        after=audit.snapshot(event, EVENT_FIELDS),
    )
    ctx.commit()
    return event
