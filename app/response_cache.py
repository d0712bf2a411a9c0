"""Answers to queries served again while nothing they were built from has changed.

A query's answer is a function of the database, of who asks (the access token), of what is
asked (document, variables, operation name) and of the clock. The cache keys an answer by the
request and keeps with it two things, so that serving it again is exact, never stale:

- the database's commit marker, read before the query ran: on PostgreSQL the transaction
  snapshot (`pg_current_snapshot()`: any write that commits anywhere on the server changes it,
  so an equal marker means the database is as it was); on SQLite `PRAGMA data_version` on a
  connection of its own (it changes whenever another connection commits, any process);
- until when the clock keeps it true (`kernel.moments.Clock`): the earliest horizon its
  readers declared (the next local midnight for "today", the next edge of a staff assignment), the
  token's expiry; an answer that read the clock without a horizon is not kept.

Only queries without errors are kept; mutations and subscriptions always run. Reading the
marker costs one round trip on the event loop, instead of the query's statements in a thread.
Concurrent requests for the same answer at the same marker wait for the first one instead of
computing it again (after a write, a burst of readers would otherwise all miss at once).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine
from starlette.responses import Response

import models

# A digest of the request: what a kept answer costs in memory is its body, whatever the size
# of the query text, its variables (used or not) or the token.
Key = bytes


@dataclass(frozen=True, slots=True)
class Entry:
    marker: str
    expires: datetime
    body: bytes


class CommitMarker:
    """Reads the database's commit marker; None when it cannot be read (then nothing is kept)."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url
        self.postgres = url.get_backend_name() == "postgresql"
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._sqlite_path = url.database or ""
        self._pg: psycopg.AsyncConnection[Any] | None = None
        self._pg_lock: asyncio.Lock | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._sqlite_lock = threading.Lock()

    async def read(self) -> str | None:
        try:
            return await self._read_postgres() if self.postgres else self._read_sqlite()
        except (psycopg.Error, sqlite3.Error, OSError):
            await self.close()
            return None

    async def _read_postgres(self) -> str:
        if self._pg_lock is None:
            self._pg_lock = asyncio.Lock()
        async with self._pg_lock:
            if self._pg is None or self._pg.closed:
                self._pg = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            cursor = await self._pg.execute("SELECT pg_current_snapshot()::text")
            row = await cursor.fetchone()
        assert row is not None
        return str(row[0])

    def _read_sqlite(self) -> str:
        # Never writes, so every commit it sees (`data_version` moves) is another connection's.
        with self._sqlite_lock:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(self._sqlite_path, check_same_thread=False)
            row = self._sqlite.execute("PRAGMA data_version").fetchone()
        return str(row[0])

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        with self._sqlite_lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None


class ResponseCache:
    """The most recently used answers of one server process: at most `size` of them and
    `max_bytes` of bodies in all (a large answer is not kept at all past `max_body_bytes`)."""

    def __init__(
        self,
        marker: CommitMarker,
        size: int,
        max_bytes: int = 64 << 20,
        max_body_bytes: int = 1 << 20,
    ) -> None:
        self.marker = marker
        self.size = size
        self.max_bytes = max_bytes
        self.max_body_bytes = max_body_bytes
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self._flights: dict[tuple[Key, str], asyncio.Future[bytes | None]] = {}

    @staticmethod
    def key(
        token: str | None, query: str, variables: dict[str, Any] | None, name: str | None
    ) -> Key:
        digest = hashlib.blake2b(digest_size=32)
        # Each part's length first, so that no two different requests run together alike.
        for part in (
            (token or "").encode(),
            query.encode(),
            orjson.dumps(variables, option=orjson.OPT_SORT_KEYS) if variables else b"",
            (name or "").encode(),
        ):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.digest()

    async def serve(
        self, key: Key, compute: Callable[[], Awaitable[tuple[Response, datetime | None]]]
    ) -> Response:
        """A kept answer if it still holds, else `compute()`'s, kept when it says until when
        it holds (None: not to be kept)."""
        marker = await self.marker.read()
        if marker is None:
            return (await compute())[0]
        entry = self._entries.get(key)
        if entry is not None:
            if entry.marker == marker and models.utcnow() < entry.expires:
                self._entries.move_to_end(key)
                return _answer(entry.body)
            self._drop(key)
        flight = self._flights.get((key, marker))
        if flight is not None:
            shared = await asyncio.shield(flight)
            return _answer(shared) if shared is not None else (await compute())[0]
        flight = asyncio.get_running_loop().create_future()
        self._flights[(key, marker)] = flight
        kept: bytes | None = None
        try:
            response, expires = await compute()
            if expires is not None and len(response.body) <= self.max_body_bytes:
                kept = bytes(response.body)
                self._keep(key, Entry(marker, expires, kept))
            return response
        finally:
            del self._flights[(key, marker)]
            flight.set_result(kept)

    def _keep(self, key: Key, entry: Entry) -> None:
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while len(self._entries) > self.size or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Key) -> None:
        self._bytes -= len(self._entries.pop(key).body)


def _answer(body: bytes) -> Response:
    return Response(body, media_type="application/json")
