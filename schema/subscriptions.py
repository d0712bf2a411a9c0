"""Live data over WebSocket (graphql-transport-ws): pushed when the database has news."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import strawberry

from app.context import Context, Info
from permissions import Allow, Role, allowed
from permissions.subjects import EVENT_ARG
from resolvers import live
from resolvers.ids import decode
from schema.types import Annonce

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
