"""The programme as an iCalendar feed (RFC 5545), for calendar apps."""

from __future__ import annotations

from icalendar import Calendar, Event
from sqlmodel import col, select

import models
from resolvers.context import Context


def programme_ics(ctx: Context, event: models.Event) -> bytes:
    """One VEVENT per session, its room as LOCATION, times in the event's time zone. The caller
    has found the event and checked the viewer may read its programme."""
    tz = event.zone
    S, R = models.EventSession, models.Room
    rows = ctx.db.exec(
        select(S, R)
        .join(R, col(R.id) == S.room_id)
        .where(S.event_id == event.id)
        .order_by(col(S.starts_at), col(S.id))
    ).all()
    cal = Calendar()
    cal.add("prodid", "-//Agora//Programme//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", event.name)
    cal.add("x-wr-timezone", event.timezone)
    for session, room in rows:
        vevent = Event()
        vevent.add("uid", f"session-{session.id}-event-{event.id}@agora")
        vevent.add("dtstamp", ctx.now)
        vevent.add("dtstart", session.starts_at.astimezone(tz))
        vevent.add("dtend", session.ends_at.astimezone(tz))
        vevent.add("summary", session.title)
        vevent.add("location", f"{room.name} — {room.location}" if room.location else room.name)
        details = [f"Intervenant : {session.speaker_name}"] if session.speaker_name else []
        if session.description:
            details.append(session.description)
        if details:
            vevent.add("description", "\n\n".join(details))
        vevent.add("categories", [str(session.kind)])
        cal.add_component(vevent)
    cal.add_missing_timezones()
    ics: bytes = cal.to_ical()  # unannotated in icalendar
    return ics
