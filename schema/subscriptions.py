"""Live data over WebSocket (graphql-transport-ws): pushed as soon as the database has news.

Each subscription follows topics (resolvers/news.py) through its feed and sleeps until news
wakes it, or `live_poll_seconds` pass with none. Awake, it reads what changed on a fresh session
(`AgoraContext.renew`), loading what the pushed objects' nested fields will ask for, so resolving
them afterwards only reads the loaders' caches. The displays of a door on one worker share one
read of it (`Feed.shared`, on the event loop over the worker's reading connections where there
are some) and its update objects, so those asking the same as the same user share one
execution too (schema/shared_pushes.py). Its @allow is checked again before a push whenever the
answer can have changed (permissions/fields.py); a wake with nothing to push yields RECHECK, so
rights lost meanwhile (a reassignment, a changed role, an expired token) end it at once.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import strawberry

import models
from kernel.ids import decode
from permissions import allowed
from permissions.fields import RECHECK, RECHECK_NOW
from permissions.rules import CONTROLLER_HERE, EVENT_STAFF, MEMBER, MEMBER_WITH_ACCESS
from permissions.subjects import (
    EVENT_ARG,
    ROOM_ID_ARG,
    SESSION_ID_ARG,
    readable_annonces,
    sees_hidden_questions,
)
from resolvers import live, news
from resolvers.context import Context, LiveFeed
from schema.annonces import Annonce
from schema.errors import outages
from schema.info import Info
from schema.questions import Question
from schema.rooms import Room
from schema.scans import RoomAccess
from schema.sessions import Session
from schema.shared_pushes import SharedExecutions

# Woken by a session starting or ending, read a moment later, when the state has changed.
BOUNDARY_MARGIN_SECONDS = 0.01


@strawberry.type(
    description="A room's occupancy: on subscribing, after every scan at its door, and when a session starts or ends there."
)
class RoomOccupancy:
    room: Room
    occupancy: int = strawberry.field(
        description="Distinct members granted entry to the session running now (0 between sessions)."
    )
    capacity: int
    session: Session | None = strawberry.field(
        description="The session running in the room now; null between sessions."
    )
    last_scan: RoomAccess | None = strawberry.field(
        description="The scan that triggered this update; null for the state on subscribing and when a session starts or ends."
    )
    # One update reaches every display of the door on a worker: executed once for those that
    # ask the same as the same user (schema/shared_pushes.py).
    executions: strawberry.Private[SharedExecutions] = dataclasses.field(
        default_factory=SharedExecutions
    )


T = TypeVar("T")


# A read that finds the database out of reach is tried again, this long apart at most: a
# display waits out an outage and goes on, instead of ending its subscription.
OUTAGE_RETRY_SECONDS = 1.0


async def _through_outages(read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, tried again while the database cannot be reached (logged once an outage)."""
    delay = 0.25
    while True:
        try:
            return await read()
        except Exception as exc:
            if not outages.is_outage(exc):
                raise
            outages.refusal(exc)
        await anyio.sleep(delay * random.uniform(0.5, 1.0))
        delay = min(delay * 2, OUTAGE_RETRY_SECONDS)


async def _in_thread(ctx: Context, work: Callable[[], T]) -> T:
    """Run `work` on a fresh session (and clock, loaders, viewer) in a worker thread."""

    def run() -> T:
        with ctx.db_lock:
            ctx.renew()
            try:
                return work()
            finally:
                # End the read transaction: no lock outlives the read. Loaded objects stay usable.
                ctx.db.commit()

    return await _through_outages(
        partial(anyio.to_thread.run_sync, run, limiter=ctx.thread_limiter)
    )


def _feed(ctx: Context, topics: Iterable[str]) -> LiveFeed:
    # The WebSocket transport gives each subscription its own context and feed.
    assert ctx.feed is not None
    ctx.feed.follow(topics)
    return ctx.feed


def _rights_topics(ctx: Context, event_id: int) -> list[str]:
    """The news that may shrink the viewer's rights in this event: their user, their membership."""
    viewer = ctx.require_viewer()
    topics = [news.key("user", viewer.user_id)]
    member = viewer.member_in(event_id)
    if member is not None and member.id is not None:
        topics.append(news.key("member", member.id))
    return topics


async def _until_news(ctx: Context, feed: LiveFeed, wake_at: datetime | None = None) -> bool:
    """True when news woke the subscription, False when its time came (a poll, a boundary)."""
    timeout = ctx.settings.live_poll_seconds
    if wake_at is not None:
        until = (wake_at - models.utcnow()).total_seconds() + BOUNDARY_MARGIN_SECONDS
        timeout = max(0.0, min(timeout, until))
    return await feed.wait(timeout)


async def _read_alone(
    ctx: Context, work: Callable[[Context], T], began: Callable[[], None] | None = None
) -> T:
    """`work` on a context of its own (`AgoraContext.reader`), in one of the subscriptions' threads:
    a read that several subscriptions share belongs to none of them. `began` is called once a
    thread is free, just before the read leaves for it."""

    def run() -> T:
        reader = ctx.reader()
        try:
            return work(reader)
        finally:
            reader.db.close()

    told = began

    async def once() -> T:
        nonlocal told
        async with ctx.thread_limiter:
            call, told = told, None
            if call is not None:
                call()  # once, even when the read is tried again
            # The subscriptions' limiter is held: anyio's own only stands aside.
            return await anyio.to_thread.run_sync(run)

    return await _through_outages(once)


@dataclass(frozen=True)
class _DoorRead:
    """What the displays of one door read on news: the same for every subscriber."""

    door: live.DoorNews | None  # None: the room is gone
    # One per scan, made once for all the displays that share the read.
    updates: list[RoomOccupancy]


def _occupancy(
    room: models.Room, state: live.RoomState, scan: models.RoomAccess | None
) -> RoomOccupancy:
    running = state.session
    return RoomOccupancy(
        room=Room.from_model(room),
        occupancy=state.occupancy,
        capacity=room.capacity,
        session=Session.from_model(running) if running is not None else None,
        last_scan=RoomAccess.from_model(scan) if scan is not None else None,
    )


def _read_door(ctx: Context, room_id: int, after: int) -> _DoorRead:
    return _door_read(live.door_after(ctx, room_id=room_id, after_id=after))


def _door_read(door: live.DoorNews | None) -> _DoorRead:
    if door is None:
        return _DoorRead(None, [])
    return _DoorRead(door, [_occupancy(door.room, door.state, scan) for scan in door.scans])


@strawberry.type
class Subscription:
    @allowed(
        MEMBER,
        subject=EVENT_ARG,
        subscription=True,
        description="Pushed when an annonce targeted at the viewer's role is published in this event.",
    )
    async def annonce_published(
        self, info: Info, event_id: strawberry.ID
    ) -> AsyncGenerator[Annonce, None]:
        ctx = info.context
        pk = decode("Event", event_id)
        # Followed before the starting point is read: an annonce published in between is seen.
        feed = _feed(ctx, [news.key("annonces", pk)])

        def start() -> tuple[list[str], int]:
            return _rights_topics(ctx, pk), live.annonce_cursor(ctx, event_id=pk)

        rights, after = await _in_thread(ctx, start)
        feed.follow_rights(rights)

        def fetch() -> list[models.Annonce]:
            nonlocal after
            published = live.annonces_after(ctx, event_id=pk, after_id=after)
            # Past every one read, pushed or not: those for other roles are not read again.
            after = max((a.id or 0 for a in published), default=after)
            rows = readable_annonces(ctx, published)
            ctx.loaders.user_by_id.load_many([a.created_by_id for a in rows])
            ctx.loaders.event_by_id.load(pk)
            return rows

        while True:
            await _until_news(ctx, feed)
            rows = await _in_thread(ctx, fetch)
            if not rows:
                yield RECHECK
            for annonce in rows:
                yield Annonce.from_model(annonce)

    @allowed(
        *EVENT_STAFF,
        CONTROLLER_HERE,
        subject=ROOM_ID_ARG,
        subscription=True,
        description="The room's occupancy now, then again after every scan at its door and whenever a session starts or ends there.",
    )
    async def room_occupancy(
        self, info: Info, room_id: strawberry.ID
    ) -> AsyncGenerator[RoomOccupancy, None]:
        ctx = info.context
        pk = decode("Room", room_id)
        feed = _feed(ctx, [news.key("room", pk)])

        def start() -> tuple[list[str], int]:
            room = ctx.db.get(models.Room, pk)
            assert room is not None  # the subscribe-time check found it
            return _rights_topics(ctx, room.event_id), live.scan_cursor(ctx, room_id=pk)

        rights, after = await _in_thread(ctx, start)
        feed.follow_rights(rights)
        pushed: tuple[Any, ...] | None = None

        async def read(woken_by_news: bool) -> _DoorRead:
            """Woken by news, the door is read once per worker for all its displays
            (Feed.shared); woken by time (a session's start or end, the poll), alone."""

            async def reading(cursor: int, began: Callable[[], None] | None = None) -> _DoorRead:
                now = models.utcnow()
                params = live.door_params(pk, cursor, now)
                rows = await feed.rows(live.DOOR, began, **params)
                if rows is None:  # SQLite: in a thread
                    return await _read_alone(
                        ctx, partial(_read_door, room_id=pk, after=cursor), began
                    )
                reader = ctx.reader()  # only its identity map: the rows are read
                try:
                    return _door_read(live.door_from(reader.db, rows, now))
                finally:
                    reader.db.close()

            if not woken_by_news:
                return await reading(after)
            return await feed.shared(news.key("room", pk), after, reading)

        def take(read: _DoorRead) -> tuple[list[RoomOccupancy], datetime | None]:
            """One update per new scan; one without a scan when only the state changed. On the
            event loop: everything the updates show was read with the door."""
            nonlocal after, pushed
            door = read.door
            if door is None:
                return [RECHECK_NOW], None  # deleted: the check before the push says so
            room, state = door.room, door.state
            # A read shared from an earlier cursor holds scans this display has pushed.
            new = [
                (s, u) for s, u in zip(door.scans, read.updates, strict=True) if (s.id or 0) > after
            ]
            scans = [s for s, _ in new]
            with ctx.db_lock:
                # Nothing to close or read: the session's last read has ended. The viewer is
                # read again, in a thread, by the check before the push.
                ctx.renew()
            loaders = ctx.loaders
            loaders.room_by_id.prime(pk, room)
            for member in door.members:
                loaders.member_by_id.prime(member.id or 0, member)
            for user in door.users:
                loaders.user_by_id.prime(user.id or 0, user)
            for session in door.sessions:
                loaders.session_by_id.prime(session.id or 0, session)
            running = state.session
            if running is not None:
                loaders.session_by_id.prime(running.id or 0, running)
            if len(door.scans) == live.LIVE_BATCH:
                feed.ring()  # more are waiting: read on at once
            current = (
                running.id if running else None,
                running.status if running else None,
                state.occupancy,
                room.capacity,
            )
            if not scans and current == pushed:
                return [], state.next_change
            pushed = current
            after = max((s.id or 0 for s in scans), default=after)
            return [u for _, u in new] or [_occupancy(room, state, None)], state.next_change

        # The first read is the state on subscribing: a door display is right from the start.
        updates, wake_at = take(await read(woken_by_news=False))
        while True:
            if not updates:
                yield RECHECK
            for update in updates:
                yield update
            woken_by_news = await _until_news(ctx, feed, wake_at)
            updates, wake_at = take(await read(woken_by_news))

    @allowed(
        *EVENT_STAFF,
        MEMBER_WITH_ACCESS,
        subject=SESSION_ID_ARG,
        subscription=True,
        description="Pushed when a question is asked, answered, upvoted or moderated in this session (hidden ones only to moderators).",
    )
    async def question_updates(
        self, info: Info, session_id: strawberry.ID
    ) -> AsyncGenerator[Question, None]:
        ctx = info.context
        pk = decode("Session", session_id)
        feed = _feed(ctx, [news.key("session", pk)])

        def start() -> tuple[list[str], datetime]:
            session = ctx.db.get(models.EventSession, pk)
            assert session is not None  # the subscribe-time check found it
            return _rights_topics(ctx, session.event_id), ctx.now

        rights, since = await _in_thread(ctx, start)
        feed.follow_rights(rights)
        # What was pushed of each question: a question changed twice in a row is pushed twice,
        # one seen again unchanged (the look-back window) is not.
        pushed: dict[int, tuple[Any, ...]] = {}

        def fetch() -> list[Question]:
            nonlocal since
            moment = ctx.now
            session = ctx.loaders.session_by_id.load(pk)
            if session is None:
                return [RECHECK_NOW]  # deleted: the check before the push says so
            changed = []
            hidden_too = sees_hidden_questions(ctx, session)
            for q in live.questions_changed_since(ctx, session_id=pk, since=since):
                if q.is_hidden and not hidden_too:
                    continue
                state = (q.answer, q.answered_at, q.upvotes, q.is_hidden, q.is_pinned)
                if q.id is not None and pushed.get(q.id) != state:
                    pushed[q.id] = state
                    changed.append(q)
            since = moment
            ctx.loaders.member_by_id.load_many([q.author_id for q in changed])
            ctx.loaders.user_by_id.load_many(
                [q.answered_by_id for q in changed if q.answered_by_id]
            )
            member = ctx.viewer.member_in(session.event_id) if ctx.viewer else None
            if member is not None and member.id is not None and changed:
                ctx.loaders.upvoted_by_member(member.id).load_many(
                    [q.id for q in changed if q.id is not None]
                )
            return [Question.from_model(q, session) for q in changed]

        while True:
            await _until_news(ctx, feed)
            questions = await _in_thread(ctx, fetch)
            if not questions:
                yield RECHECK
            for question in questions:
                yield question
