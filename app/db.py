"""The database engine and sessions."""

from __future__ import annotations

from typing import Any

from psycopg.types.string import StrDumperUnknown
from sqlalchemy import Engine, create_engine, event
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
        # No pre-ping: it is one more round trip on every request. A connection the server has
        # dropped fails one request, and the pool then replaces every connection of that era;
        # recycling keeps connections from outliving server-side idle limits.
        kwargs.update(pool_size=10, max_overflow=10, pool_recycle=1800)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _text_without_nul)
    return engine


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
