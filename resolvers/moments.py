"""Times sent by clients: always with an offset, kept in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resolvers.errors import BadUserInputError


def aware(moment: datetime, label: str) -> datetime:
    """`moment` in UTC; BAD_USER_INPUT when it has no offset (ambiguous across time zones)."""
    if moment.utcoffset() is None:
        raise BadUserInputError(
            f"{label} needs a time zone offset, for example 2026-05-04T12:00:00Z or …+02:00."
        )
    return moment.astimezone(UTC)


def zone_of(timezone: str) -> ZoneInfo:
    """An event's zone; an unknown name (refused on input) falls back to UTC."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime, timezone: str) -> str:
    """A time for a message to a person: the event's wall clock, its zone named
    ("2026-05-04 11:00 Europe/Paris"), as people on site read the programme."""
    zone = zone_of(timezone)
    return f"{moment.astimezone(zone).strftime('%Y-%m-%d %H:%M')} {zone.key}"
