"""The per-worker end of live news: one listening connection, fanned out to this worker's subscribers.

Write paths publish through `resolvers.news` in their own transaction. On PostgreSQL every
worker with subscribers holds one connection that LISTENs on the news channel (psycopg's async
notifies) and rings the feeds of its subscribers that follow the topic; a scan served by one
worker reaches subscribers on every other. A worker without subscribers lets its connection go
after `live_listen_idle_seconds`: every scan's news would otherwise wake it, and a database
backend, for nobody. On SQLite (one process) committed news comes straight from the
writing thread. A feed only says "look again": the subscriber reads what changed itself, under
its own rights, so a burst of news costs one read. The subscribers of one topic on a worker
share that read (`SharedReads`); on PostgreSQL it runs on the event loop over one of the
worker's reading connections (`Hub.rows`), not in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

import anyio
import psycopg
from sqlalchemy import Engine

from resolvers import news
from resolvers.context import SharedReader
from resolvers.plain import PlainSelect

log = logging.getLogger("agora.live")

T = TypeVar("T")
# Worker threads this worker's subscriptions share for their checks and their reads in a thread
# (SQLite, or a failed reading connection); GraphQL over HTTP has its own pool.
LIVE_THREADS = 4
# Shared reads kept per worker before they are all dropped (one per door with displays).
SHARED_READS = 1000

# How long the listener waits for news before it checks that its connection still answers.
LISTEN_HEALTH_SECONDS = 30.0
# How often the listener looks whether it still has subscribers to listen for.
LISTEN_IDLE_CHECK_SECONDS = 1.0
# A new subscription waits this long at most for its worker to listen; past it, it starts
# anyway (the listener rings every feed once it listens, so nothing is missed for long).
LISTEN_READY_SECONDS = 5.0
# A lost listening connection is tried again soon, and never less often than each second, so
# the displays hear news within a second of the database coming back; the jitter keeps many
# workers from knocking at once.
FIRST_RECONNECT_DELAY = 0.25
MAX_RECONNECT_DELAY = 1.0
# How the listening connection shows in pg_stat_activity, and the reading one.
LISTENER_NAME = "agora-live-listener"
READER_NAME = "agora-live-reader"
# Reading connections per worker: the doors with news are read side by side.
READERS = 4


class Feed:
    """What wakes one subscription: news on a topic it follows, or a nudge from its connection."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._news = asyncio.Event()
        self.topics: set[str] = set()
        # Topics whose news may shrink the subscriber's rights, and whether some came in.
        self.rights: set[str] = set()
        self._rights_news = False
        # Past `ready`: its subscription may have read, so news it might have missed matters.
        self.started = False

    async def ready(self) -> None:
        """Until this worker listens (at most LISTEN_READY_SECONDS), before the subscription's
        first read: news sent from then on reaches it."""
        await self._hub.listening()
        self.started = True

    def follow(self, topics: Iterable[str]) -> None:
        self._hub._follow(self, set(topics) - self.topics)

    def follow_rights(self, topics: Iterable[str]) -> None:
        """Follow news that may take the subscriber's rights away (its user, its membership)."""
        self.rights |= set(topics)
        self.follow(topics)

    def ring(self, rights: bool = False) -> None:
        if rights:
            self._rights_news = True
        self._news.set()

    async def shared(self, topic: str, cursor: int, read: SharedReader[T]) -> T:
        """`await read(cursor, began)`: what happened on `topic` after `cursor`, or what another
        subscriber of this worker read, or is about to read, from the same cursor or an earlier
        one (see `SharedReads`). A scan at a door watched by ten displays is read once, not ten
        times, and the nine others wait on the event loop, not in a thread."""
        return await self._hub.reads.get(topic, cursor, read)

    async def rows(
        self, statement: PlainSelect, began: Callable[[], None] | None, **params: Any
    ) -> list[tuple[Any, ...]] | None:
        """`statement`'s rows read on the event loop (see `Hub.rows`); None: read them in a
        thread."""
        return await self._hub.rows(statement, began, **params)

    def take_rights_news(self) -> bool:
        """True once after news on a rights topic (or a lost connection, which may hide some)."""
        news, self._rights_news = self._rights_news, False
        return news

    async def wait(self, seconds: float) -> bool:
        """Until news (True) or `seconds` pass (False). News arriving while the caller reads
        rings again, so nothing that happens after this returns is missed."""
        try:
            async with asyncio.timeout(seconds):
                await self._news.wait()
        except TimeoutError:
            return False
        self._news.clear()
        return True

    def close(self) -> None:
        self._hub._unfollow(self)


class _SharedRead:
    def __init__(self, cursor: int) -> None:
        self.cursor = cursor
        # News on the key counted when the read began; None while it waits for a thread.
        self.generation: int | None = None
        self.task: asyncio.Future[Any] | None = None


class SharedReads:
    """Reads made on news, shared by the subscribers of one worker that woke for it.

    A read stands for its key as it was after the news counted when the read began, from its
    cursor on. A subscriber woken by that news or earlier news, whose own cursor is not behind
    the read's, takes the read's answer and keeps what lies past its cursor: as if it had read
    itself. A read still waiting for a thread has not begun, so it answers for any news: under
    load, a burst of scans at one door costs one read, not one per scan. Each read runs as its
    own task, so a subscriber that leaves meanwhile takes nothing from the others waiting."""

    def __init__(self, generations: Counter[str]) -> None:
        self._generations = generations
        self._reads: dict[str, _SharedRead] = {}

    async def get(self, key: str, cursor: int, read: SharedReader[T]) -> T:
        needed = self._generations[key]
        entry = self._reads.get(key)
        if (
            entry is None
            or entry.cursor > cursor
            or (entry.generation is not None and entry.generation < needed)
        ):
            if len(self._reads) >= SHARED_READS:
                self._reads.clear()
            entry = _SharedRead(cursor)
            entry.task = asyncio.ensure_future(read(cursor, partial(self._began, key, entry)))
            entry.task.add_done_callback(partial(self._settled, key, entry))
            self._reads[key] = entry
        assert entry.task is not None
        return await asyncio.shield(entry.task)

    def _began(self, key: str, entry: _SharedRead) -> None:
        entry.generation = self._generations[key]

    def _settled(self, key: str, entry: _SharedRead, task: asyncio.Future[Any]) -> None:
        # A failed read is not kept: the next subscriber reads again.
        if (task.cancelled() or task.exception() is not None) and self._reads.get(key) is entry:
            del self._reads[key]

    def clear(self) -> None:
        self._reads.clear()


class Hub:
    def __init__(self, engine: Engine, idle_seconds: float = 30.0) -> None:
        self.engine = engine
        # Without subscribers this long, the listener lets its connection go.
        self.idle_seconds = idle_seconds
        # News received per topic on this worker, and reads shared among its subscribers.
        self.generations: Counter[str] = Counter()
        self.reads = SharedReads(self.generations)
        # Worker threads for subscriptions' reads (see AgoraContext.thread_limiter); made on the loop.
        self._limiters: dict[int, anyio.CapacityLimiter] = {}
        self._feeds: defaultdict[str, set[Feed]] = defaultdict(set)
        self._all: set[Feed] = set()
        # Open WebSockets per user on this process (the per-user limit).
        self.connections: Counter[int] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        # PostgreSQL: the idle reading connections, and how many reads may run at once (`rows`).
        self._readers: list[psycopg.AsyncConnection[Any]] = []
        self._reading: asyncio.Semaphore | None = None
        self._listener: asyncio.Task[None] | None = None
        self._listening: asyncio.Event | None = None
        # Set while this worker has subscribers, or had some less than `idle_seconds` ago.
        self._wanted: asyncio.Event | None = None
        self._idle_since: float | None = None
        # Lifespans running: an app served by several test clients at once starts it each time.
        self._runs = 0

    @property
    def database_url(self) -> str:
        return str(self.engine.url)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # One per event loop: an app served by several test clients runs several loops.
        loop = id(asyncio.get_running_loop())
        if loop not in self._limiters:
            self._limiters[loop] = anyio.CapacityLimiter(LIVE_THREADS)
        return self._limiters[loop]

    def feed(self) -> Feed:
        """A new subscription's feed (on the event loop); see `Feed.ready`."""
        feed = Feed(self)
        self._all.add(feed)
        self._idle_since = None
        if self._wanted is not None:
            self._wanted.set()
        return feed

    async def listening(self) -> None:
        """Until this worker listens, at most LISTEN_READY_SECONDS."""
        if self._listening is None or self._listening.is_set():
            return
        try:
            async with asyncio.timeout(LISTEN_READY_SECONDS):
                await self._listening.wait()
        except TimeoutError:
            log.warning("live news: not listening yet; subscribers poll until it is")

    async def start(self) -> None:
        self._runs += 1
        if self._runs > 1:
            return  # one listener is enough
        self._loop = asyncio.get_running_loop()
        if self.engine.dialect.name == "postgresql":
            self._reading = asyncio.Semaphore(READERS)
            self._listening = asyncio.Event()
            self._wanted = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(), name="agora-live-listener")
        else:
            news.add_local_sink(self.database_url, self._from_writer_thread)

    async def stop(self) -> None:
        self._runs -= 1
        if self._runs > 0:
            return
        listener, self._listener = self._listener, None
        if self._loop is asyncio.get_running_loop():
            await self._close_readers()
        if listener is None:
            news.remove_local_sink(self.database_url, self._from_writer_thread)
            return
        loop = listener.get_loop()
        if loop is asyncio.get_running_loop():
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        else:
            # Started by a lifespan on another loop (another test client) that is still running.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(listener.cancel)

    async def rows(
        self, statement: PlainSelect, began: Callable[[], None] | None, **params: Any
    ) -> list[tuple[Any, ...]] | None:
        """`statement`'s rows, read on the event loop over one of this worker's READERS
        reading connections (PostgreSQL, autocommit: each statement sees what is committed);
        `began()` just before it is sent. None where there is no such connection (SQLite) or
        it failed: the caller reads in a thread instead.

        A door's news would otherwise cross to a worker thread and back, each crossing waiting
        for a processor on a busy machine: most of a push's latency went there."""
        reading = self._reading
        if reading is None or asyncio.get_running_loop() is not self._loop:
            return None  # SQLite; or another loop than the listener's (tests' extra clients)
        async with reading:
            if began is not None:
                began()
            reader = self._readers.pop() if self._readers else None
            try:
                if reader is None or reader.closed:
                    reader = await psycopg.AsyncConnection.connect(
                        self._conninfo(), autocommit=True, application_name=READER_NAME
                    )
                rows = await statement.rows_async(reader, self.engine, **params)
            except psycopg.Error as exc:
                log.warning("live news: reading connection failed (%s); reading in a thread", exc)
                if reader is not None:
                    with contextlib.suppress(psycopg.Error):
                        await reader.close()
                return None
            self._readers.append(reader)
            return rows

    async def _close_readers(self) -> None:
        readers, self._readers = self._readers, []
        for reader in readers:
            with contextlib.suppress(psycopg.Error):
                await reader.close()

    def dispatch(self, payloads: Iterable[str]) -> None:
        for payload in payloads:
            # Counted before any subscriber wakes: its read then belongs to this news.
            self.generations[payload] += 1
            for feed in self._feeds.get(payload, ()):
                feed.ring(rights=payload in feed.rights)

    def ring_all(self) -> None:
        # News may have been missed: no shared read made before now stands for what follows,
        # whether or not news on its topic ever came (a read in progress counts as before).
        for topic in set(self.generations) | set(self._feeds):
            self.generations[topic] += 1
        self.reads.clear()
        # A subscription still waiting for the listener has read nothing yet: nothing to redo.
        for feed in self._all:
            if feed.started:
                feed.ring(rights=True)

    def _follow(self, feed: Feed, topics: set[str]) -> None:
        feed.topics |= topics
        for topic in topics:
            self._feeds[topic].add(feed)

    def _unfollow(self, feed: Feed) -> None:
        self._all.discard(feed)
        if not self._all and self._idle_since is None:
            self._idle_since = time.monotonic()
        for topic in feed.topics:
            followers = self._feeds.get(topic)
            if followers is not None:
                followers.discard(feed)
                if not followers:
                    del self._feeds[topic]
        feed.topics.clear()

    def _from_writer_thread(self, payloads: list[str]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # RuntimeError: the loop closed between the check and the call (the server is stopping).
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self.dispatch, payloads)

    def _conninfo(self) -> str:
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _still_wanted(self) -> bool:
        """False once this worker has had no subscriber for `idle_seconds`; a new one wants
        the listener again (`feed`)."""
        if self._all or self._idle_since is None:
            return True
        if time.monotonic() - self._idle_since < self.idle_seconds:
            return True
        assert self._wanted is not None
        self._wanted.clear()
        return False

    async def _listen(self) -> None:
        assert self._wanted is not None
        assert self._listening is not None
        delay = FIRST_RECONNECT_DELAY
        lost_at: float | None = None
        while True:
            await self._wanted.wait()
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo(), autocommit=True, application_name=LISTENER_NAME
                ) as conn:
                    await conn.execute(f"LISTEN {news.CHANNEL}")
                    self._listening.set()
                    if lost_at is not None:
                        log.warning(
                            "live news: listening again after %.1fs", time.monotonic() - lost_at
                        )
                        lost_at = None
                    # News sent while this worker was not listening is lost: every subscriber
                    # looks again from where it was.
                    self.ring_all()
                    delay = FIRST_RECONNECT_DELAY
                    checked = time.monotonic()
                    while self._still_wanted():
                        async for notify in conn.notifies(timeout=LISTEN_IDLE_CHECK_SECONDS):
                            self.dispatch((notify.payload,))
                        if time.monotonic() - checked >= LISTEN_HEALTH_SECONDS:
                            await conn.execute("SELECT 1")
                            checked = time.monotonic()
                    self._listening.clear()
                    # No subscriber left to read for either.
                    await self._close_readers()
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (any failure: reconnect, never die)
                self._listening.clear()
                if lost_at is None:
                    # Once per outage, not once per try.
                    lost_at = time.monotonic()
                    log.warning("live news: listening connection lost (%s); retrying", exc)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, MAX_RECONNECT_DELAY)
