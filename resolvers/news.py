"""News for live subscriptions: a write path announces what it changed, inside its transaction.

`publish(db, "room", room_id)` says "something happened at this room" and nothing more; each
subscriber reads what it may see itself. On PostgreSQL it is a NOTIFY in the write's own
transaction, so the news leaves only if the write commits and reaches every worker listening on
the database (app/live.py). SQLite has no NOTIFY and serves one process: the news waits for the
session's commit and goes to the listeners registered in this process for that database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import event, text
from sqlmodel import Session

CHANNEL = "agora_live"

# room: a scan at its door, a session of it created, moved, started or ended.
# session: a question asked, answered or upvoted in it.
# annonces: an annonce published in that event.
# member / user: the rights of that membership / user may have shrunk (role, room, paid access,
# presidency): their subscriptions check their rights again.
Topic = Literal["room", "session", "annonces", "member", "user"]

_PENDING = "agora_live_news"
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")

# Database URL -> callbacks of this process that deliver committed SQLite news.
LocalSink = Callable[[list[str]], None]
_sinks: dict[str, tuple[LocalSink, ...]] = {}
_sinks_lock = threading.Lock()


def key(topic: Topic, pk: int) -> str:
    return f"{topic}:{pk}"


def publish(db: Session, topic: Topic, pk: int | None) -> None:
    """Announce news about `topic` `pk` when (and only if) the current transaction commits."""
    if pk is None:
        return
    payload = key(topic, pk)
    bind = db.get_bind()
    if bind.dialect.name == "postgresql":
        db.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload})
        return
    pending: set[str] | None = db.info.get(_PENDING)
    if pending is None:
        pending = db.info[_PENDING] = set()
        event.listen(db, "after_commit", _deliver)
        event.listen(db, "after_transaction_end", _forget)
    pending.add(payload)


def _url_of(db: Session) -> str:
    return str(db.get_bind().engine.url)


def _deliver(db: Session) -> None:
    # A savepoint's commit is not the write's: wait for the outermost transaction.
    if db.in_nested_transaction():
        return
    pending: set[str] = db.info.get(_PENDING) or set()
    if not pending:
        return
    payloads = sorted(pending)
    pending.clear()
    for sink in _sinks.get(_url_of(db), ()):
        sink(payloads)


def _forget(db: Session, transaction: Any) -> None:
    # The outermost transaction ended without a commit (rolled back or closed): its news was
    # never true. After a commit `_deliver` has already emptied the set.
    if transaction.parent is None:
        pending: set[str] | None = db.info.get(_PENDING)
        if pending:
            pending.clear()


def add_local_sink(database_url: str, sink: LocalSink) -> None:
    """Deliver committed SQLite news about this database to `sink` (called in the writer's thread)."""
    with _sinks_lock:
        _sinks[database_url] = (*_sinks.get(database_url, ()), sink)


def remove_local_sink(database_url: str, sink: LocalSink) -> None:
    with _sinks_lock:
        remaining = tuple(s for s in _sinks.get(database_url, ()) if s is not sink)
        if remaining:
            _sinks[database_url] = remaining
        else:
            _sinks.pop(database_url, None)
