"""Times sent by clients: always with an offset, kept in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from resolvers.errors import BadUserInputError


def aware(moment: datetime, label: str) -> datetime:
    """`moment` in UTC; BAD_USER_INPUT when it has no offset (ambiguous across time zones)."""
    if moment.utcoffset() is None:
        raise BadUserInputError(
            f"{label} needs a time zone offset, for example 2026-05-04T12:00:00Z or …+02:00."
        )
    return moment.astimezone(UTC)
