"""Live data over WebSocket (graphql-transport-ws): pushed when the database has news."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import strawberry

import models
from app.context import Context, Info
from permissions import Allow, Condition, Role, allowed
from permissions.subjects import EVENT_ARG, ROOM_ID_ARG, SESSION_ID_ARG
from resolvers import live
from resolvers.ids import decode
from schema.questions import Question
from schema.scan_types import RoomAccess
from schema.types import CONTROLLER_HERE, EVENT_STAFF, Annonce, Room


@strawberry.type(description="A room's occupancy after a scan at its door.")
class RoomOccupancy:
    room: Room
    occupancy: int = strawberry.field(
        description="Distinct members granted entry to the current session."
    )
    capacity: int
    last_scan: RoomAccess | None = strawberry.field(
        description="The scan that triggered this update."
    )


T = TypeVar("T")


async def _in_thread(ctx: Context, work: Callable[[], T]) -> T:
    """Run `work` on the context's synchronous session in a worker thread, one at a time.

    `work` also loads what the pushed objects' nested fields will ask for, so resolving them
    on the event loop afterwards only reads the loaders' caches."""

    def locked() -> T:
        with ctx.db_lock:
            ctx.loaders.clear()
            try:
                return work()
            finally:
                # End the read transaction (nothing was written): the next poll must see newer
                # commits, and no lock may outlive the poll. Commit keeps loaded objects usable.
                ctx.db.commit()

    return await anyio.to_thread.run_sync(locked)


async def poll(
    ctx: Context, fetch: Callable[[Any], tuple[list[T], Any]], cursor: Any
) -> AsyncGenerator[T, None]:
    """Yield what `fetch(cursor)` finds, every `live_poll_seconds`, forever."""
    try:
        while True:
            await anyio.sleep(ctx.settings.live_poll_seconds)
            rows, cursor = await _in_thread(ctx, lambda c=cursor: fetch(c))
            for row in rows:
                yield row
    finally:
        ctx.db.close()


@strawberry.type
class Subscription:
    @allowed(
        Allow(Role.MEMBER),
        subject=EVENT_ARG,
        subscription=True,
        description="Pushed when an annonce targeted at the viewer's role is published in this event.",
    )
    async def annonce_published(
        self, info: Info, event_id: strawberry.ID
    ) -> AsyncGenerator[Annonce, None]:
        ctx = info.context
        pk = decode("Event", event_id)
        start = await _in_thread(ctx, lambda: live.annonce_cursor(ctx, event_id=pk))

        def fetch(after: int) -> tuple[list[Any], int]:
            rows = live.annonces_after(ctx, event_id=pk, after_id=after)
            ctx.loaders.user_by_id.load_many([a.created_by_id for a in rows])
            ctx.loaders.event_by_id.load(pk)
            return rows, max((a.id for a in rows), default=after)

        async for annonce in poll(ctx, fetch, start):
            yield Annonce.from_model(annonce)

    @allowed(
        *EVENT_STAFF,
        CONTROLLER_HERE,
        subject=ROOM_ID_ARG,
        subscription=True,
        description="Pushed after every scan at this room's door.",
    )
    async def room_occupancy(
        self, info: Info, room_id: strawberry.ID
    ) -> AsyncGenerator[RoomOccupancy, None]:
        ctx = info.context
        pk = decode("Room", room_id)
        start = await _in_thread(ctx, lambda: live.scan_cursor(ctx, room_id=pk))

        def fetch(after: int) -> tuple[list[Any], int]:
            scan = live.newest_scan_after(ctx, room_id=pk, after_id=after)
            if scan is None:
                return [], after
            room = ctx.db.get(models.Room, pk)
            ctx.loaders.member_by_id.load_many(
                [i for i in (scan.member_id, scan.controller_id) if i is not None]
            )
            ctx.loaders.room_by_id.load(pk)
            if scan.session_id is not None:
                ctx.loaders.session_by_id.load(scan.session_id)
            update = RoomOccupancy(
                room=Room.from_model(room),
                occupancy=live.occupancy_now(ctx, room_id=pk),
                capacity=room.capacity,
                last_scan=RoomAccess.from_model(scan),
            )
            return [update], scan.id

        async for update in poll(ctx, fetch, start):
            yield update

    @allowed(
        *EVENT_STAFF,
        Allow(Role.MEMBER, Condition.HAS_SESSION_ACCESS),
        subject=SESSION_ID_ARG,
        subscription=True,
        description="Pushed when a question is asked, answered or upvoted in this session.",
    )
    async def question_updates(
        self, info: Info, session_id: strawberry.ID
    ) -> AsyncGenerator[Question, None]:
        ctx = info.context
        pk = decode("Session", session_id)
        session = await _in_thread(ctx, lambda: ctx.db.get(models.EventSession, pk))
        assert session is not None
        pushed: dict[int, tuple[Any, ...]] = {}

        def fetch(since: Any) -> tuple[list[Any], Any]:
            moment = models.utcnow()
            changed = []
            for q in live.questions_changed_since(ctx, session_id=pk, since=since):
                state = (q.answer, q.answered_at, q.upvotes)
                if q.id is not None and pushed.get(q.id) != state:
                    pushed[q.id] = state
                    changed.append(q)
            ctx.loaders.member_by_id.load_many([q.author_id for q in changed])
            ctx.loaders.user_by_id.load_many(
                [q.answered_by_id for q in changed if q.answered_by_id]
            )
            member = ctx.viewer.member_in(session.event_id) if ctx.viewer else None
            if member is not None and member.id is not None and changed:
                ctx.loaders.upvoted_by_member(member.id).load_many([q.id for q in changed])
            return changed, moment

        async for question in poll(ctx, fetch, models.utcnow()):
            yield Question.from_model(question, session)
