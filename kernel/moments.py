"""Times sent by clients: always with an offset, kept in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.errors import BadUserInputError

# The moments an event, a session, a slot or a scan may fall in: anything outside is a typo
# (1970, 9999), and the far ends of the calendar overflow once moved to UTC.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def aware(moment: datetime, label: str) -> datetime:
    """`moment` in UTC; BAD_USER_INPUT when it has no offset (ambiguous across time zones) or
    falls outside the years 2000 to 2099."""
    if moment.utcoffset() is None:
        raise BadUserInputError(
            f"{label} needs a time zone offset, for example 2026-05-04T12:00:00Z or …+02:00."
        )
    out_of_range = BadUserInputError(
        f"{label} must fall between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)."
    )
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise out_of_range from None
    if not EARLIEST <= utc < LATEST:
        raise out_of_range
    return utc


def zone_of(timezone: str) -> ZoneInfo:
    """An event's zone; an unknown name (refused on input) falls back to UTC."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    """The instant the day of `moment` began in `zone`, as UTC."""
    day = moment.astimezone(zone).date()
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local(moment: datetime, timezone: str) -> str:
    """A time for a message to a person: the event's wall clock, its zone named
    ("2026-05-04 11:00 Europe/Paris"), as people on site read the programme."""
    zone = zone_of(timezone)
    return f"{moment.astimezone(zone).strftime('%Y-%m-%d %H:%M')} {zone.key}"


class Clock:
    """The request's moment, and until when an answer built on it stays true.

    A query's response may be served again to the same token while the database is unchanged
    (`app.response_cache`), but only until the first instant at which something it read of the
    clock could read otherwise. `read()` is the plain reading: nothing is known of how long its
    use holds, so the response is not reused at all. A reader that knows its horizon takes
    `peek()` and then declares it with `holds_until` (the next boundary of a staff assignment, the
    event's next local midnight)."""

    __slots__ = ("_now", "expires", "volatile")

    def __init__(self, now: datetime) -> None:
        self._now = now
        # The earliest horizon declared; None while no reading has declared one.
        self.expires: datetime | None = None
        # True once any reading came without a horizon.
        self.volatile = False

    def read(self) -> datetime:
        self.volatile = True
        return self._now

    def peek(self) -> datetime:
        """Now, for a reader that calls `holds_until` with the horizon of what it decides."""
        return self._now

    def holds_until(self, boundary: datetime | None) -> None:
        """What was decided from `peek()` stays true until `boundary` (None: for ever)."""
        if boundary is not None and (self.expires is None or boundary < self.expires):
            self.expires = boundary

    def reusable_until(self) -> datetime | None:
        """Until when a response built on this clock may be served again; None: not at all.
        A response that never read the clock holds until the data changes (`datetime.max`)."""
        if self.volatile:
            return None
        return self.expires or datetime.max.replace(tzinfo=UTC)
