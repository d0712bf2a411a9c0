"""The programme as an iCalendar feed (RFC 5545), for calendar apps, and the feed tokens in
its address.

Calendar apps cannot send headers, so the feed's address carries a token of its own: one per
user and event, long-lived, good for nothing but reading that feed, and ended by a new one
(`rotate_feed_token`). It is derived with the server's secret key from a random nonce kept in
`calendar_feed`, beside the token's digest (which finds the feed from its address): the
database alone never yields a working address, and `icalUrl` can show the same address on
every read. A new secret key ends every feed address, as it ends every access token; the
next `icalUrl` read gives a working one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select, update

import models
from kernel import security
from kernel.errors import UnauthenticatedError
from kernel.settings import Settings
from resolvers import lookup
from resolvers.context import Context

FEED = models.CalendarFeed
FEED_TABLE = FEED.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
# Binds the derived tokens to this one use of the secret key.
FEED_PURPOSE = b"agora calendar feed\n"
NOT_A_FEED = (
    "This calendar address is not valid, or no longer: a new one was made with "
    "rotateCalendarToken. Copy the event's icalUrl into your calendar app again."
)


def _token(settings: Settings, nonce: str) -> str:
    mac = hmac.new(settings.secret_key.encode(), FEED_PURPOSE + nonce.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def _insert(dialect: str) -> Any:
    return pg_insert(FEED_TABLE) if dialect == "postgresql" else sqlite_insert(FEED_TABLE)


def _known_feeds(
    ctx: Context, user_id: int, event_id: int
) -> dict[int, models.CalendarFeed | None]:
    """The user's feeds read in this request, by event, `event_id`'s among them."""
    known: dict[int, models.CalendarFeed | None] = ctx.db.info.setdefault(
        f"calendar_feeds:{user_id}", {}
    )
    if event_id not in known:
        # A list of events asks each one's address in turn: the events this request has read
        # are read together, in one statement.
        ids = {event_id} | {
            e.id
            for e in ctx.db.identity_map.values()
            if isinstance(e, models.Event) and e.id is not None and e.id not in known
        }
        rows = ctx.db.exec(
            select(FEED).where(FEED.user_id == user_id, col(FEED.event_id).in_(ids))
        ).all()
        known.update(dict.fromkeys(ids))
        known.update({row.event_id: row for row in rows})
    return known


def feed_token(ctx: Context, event: models.Event) -> str:
    """The viewer's token for `event`'s feed, made on its first read."""
    user_id = ctx.require_viewer().user_id
    assert event.id is not None
    known = _known_feeds(ctx, user_id, event.id)
    feed = known[event.id]
    if feed is not None:
        token = _token(ctx.settings, feed.nonce)
        if feed.token_hash == security.digest(token):
            return token
    nonce = _keep_feed(ctx, user_id, event.id, feed)
    token = _token(ctx.settings, nonce)
    known[event.id] = FEED(
        user_id=user_id, event_id=event.id, nonce=nonce, token_hash=security.digest(token)
    )
    return token


def _keep_feed(ctx: Context, user_id: int, event_id: int, known: models.CalendarFeed | None) -> str:
    """The nonce of the user's feed of the event, the feed made if there is none, its digest
    brought up to the current key. On a connection of its own: the read that asks (a query)
    writes nothing in its own transaction, which may be read-only or a stale snapshot."""
    engine = ctx.db.get_bind().engine
    with engine.begin() as conn:
        if known is None:
            nonce = security.new_secret()
            made = conn.execute(
                _insert(engine.dialect.name)
                .values(
                    user_id=user_id,
                    event_id=event_id,
                    nonce=nonce,
                    token_hash=security.digest(_token(ctx.settings, nonce)),
                    created_at=models.utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["user_id", "event_id"])
                .returning(FEED_TABLE.c.nonce)
            ).first()
            if made is not None:
                return nonce
        # Made meanwhile by another request, or made under another secret key.
        mine = (FEED_TABLE.c.user_id == user_id) & (FEED_TABLE.c.event_id == event_id)
        nonce = str(conn.execute(select(FEED_TABLE.c.nonce).where(mine)).scalar_one())
        conn.execute(
            update(FEED_TABLE)
            .where(mine)
            .values(token_hash=security.digest(_token(ctx.settings, nonce)))
        )
        return nonce


def rotate_feed_token(ctx: Context, *, event_id: int) -> models.Event:
    """A new token for the viewer's feed of the event: the address with the old one stops
    working at once."""
    event = lookup.get_event(ctx, event_id=event_id)
    user_id = ctx.require_viewer().user_id
    nonce = security.new_secret()
    fresh = {"nonce": nonce, "token_hash": security.digest(_token(ctx.settings, nonce))}
    ctx.db.exec(
        _insert(ctx.db.get_bind().dialect.name)
        .values(user_id=user_id, event_id=event_id, created_at=models.utcnow(), **fresh)
        .on_conflict_do_update(index_elements=["user_id", "event_id"], set_=fresh)
    )
    ctx.commit()
    ctx.db.info.pop(f"calendar_feeds:{user_id}", None)
    return event


def feed_reader(ctx: Context, *, token: str, event_id: int) -> models.User:
    """Whose feed of the event the address's token opens; UNAUTHENTICATED for any other token
    (another event's feed, a replaced one, an access token)."""
    feed = ctx.db.exec(select(FEED).where(FEED.token_hash == security.digest(token))).first()
    user = ctx.db.get(models.User, feed.user_id) if feed is not None else None
    if feed is None or feed.event_id != event_id or user is None:
        raise UnauthenticatedError(NOT_A_FEED)
    return user


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
