"""The database engine and sessions."""

from __future__ import annotations

import time
from typing import Any

from psycopg.types.string import StrDumperUnknown
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

import models  # noqa: F401  (every table registered before any query)
from kernel.errors import BadUserInputError


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if "poolclass" not in kwargs:
        # Recycling keeps connections from outliving server-side idle limits.
        kwargs.update(pool_size=10, max_overflow=10, pool_recycle=1800)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _text_without_nul)
    _check_rested_connections(engine)
    return engine


# A pooled connection that rested longer than this is checked before use (one round trip):
# after a quiet spell, a database restart or dropped connections would otherwise fail the next
# request of every worker. A busy connection is used at once (a ping on every request would
# cost each door's scan a round trip); if the database dropped it, that one request answers
# SERVICE_UNAVAILABLE and the pool renews its connections.
RESTED_SECONDS = 1.0


def _check_rested_connections(engine: Engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, for rested connections only."""
    dialect = engine.dialect

    def rested(_dbapi_connection: Any, record: Any) -> None:
        record.info["rested_since"] = time.monotonic()

    def checked_if_rested(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("rested_since")
        if since is None or time.monotonic() - since < RESTED_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001  (whatever the driver raises: a dead connection)
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the connection did not answer its ping")

    event.listen(engine, "checkin", rested)
    event.listen(engine, "checkout", checked_if_rested)


class _TextDumper(StrDumperUnknown):
    """psycopg's own way of sending text, but a NUL character, which PostgreSQL's text cannot
    hold, is the client's mistake (BAD_USER_INPUT), not a driver error: whatever input carries
    one, in whichever use case, is refused before anything is sent."""

    def dump(self, obj: str) -> bytes | bytearray | memoryview | None:
        if "\x00" in obj:
            raise BadUserInputError(
                "Text cannot contain the NUL character (U+0000): remove it and send again."
            )
        return super().dump(obj)


def _text_without_nul(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.adapters.register_dumper(str, _TextDumper)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: a mutation returns what it wrote without a reload.
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False, autoflush=False)
