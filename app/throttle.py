"""Login throttling that keeps the owner in.

Failed logins are counted in three fixed windows: of one account from one client address
(`AGORA_LOGIN_LIMIT_PER_CLIENT`, the limit a guesser meets first), of one account from
everywhere (`AGORA_LOGIN_LIMIT_PER_ACCOUNT`, a higher ceiling against guesses spread over many
addresses) and of one client address across accounts (`AGORA_LOGIN_LIMIT_PER_ADDRESS`). A
guesser at one address thus shuts out only that address: the owner, elsewhere, still logs in,
until the ceiling says that many addresses are guessing at once. Between failures of one
account from one address the wait grows: the first few are free, then 1, 2, 4, ... seconds.

Each attempt takes its place in every count before its password is checked, in one
transaction of single upserts (`INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING`) that
count it only while the count has room: concurrent attempts on one row take turns at its row
lock on PostgreSQL and at the database's write lock on SQLite, so however many arrive at once,
no more passwords are checked than the limit allows. A failure leaves its place taken; a
success gives it back and clears its account's count from that address. The counters live in
the database (`rate_limit_counter`), so every worker and machine serving it counts the same
attempts. The client address is what the server was told (see `FORWARDED_ALLOW_IPS`).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from sqlalchemy import ColumnElement, Engine, and_, case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

import models
from kernel.errors import RateLimitedError
from kernel.settings import Settings

COUNTER = models.RateLimitCounter.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped

# Failures of one account from one address heard without a wait; after them each failure
# doubles the wait before the next attempt, from one second up to `MAX_DELAY_SECONDS`.
FREE_FAILURES = 3
MAX_DELAY_SECONDS = 300
# Spent windows carry nothing (an upsert starts a spent one again), but every address and
# typed e-mail leaves a row: each worker removes the spent ones at most this often.
PURGE_EVERY_SECONDS = 600
PURGE_BATCH = 1000


def delay_after(failures: int) -> int:
    """Seconds before an account's next attempt from one address is heard, after `failures`."""
    if failures <= FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES - 1), MAX_DELAY_SECONDS))


@dataclass(frozen=True)
class _Count:
    limit: RateLimitItem
    key: str
    # Whose failures, as a refusal names them.
    whose: str
    # Whether failures in this count wait ever longer between them.
    grows: bool = False


def _digest(kind: str, text: str) -> str:
    # Any text can be typed as an email: a digest keeps keys short and the table free of it.
    return f"{kind}:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _wait(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds <= 90:
        whole = max(1, math.ceil(seconds))
        return "1 second" if whole == 1 else f"{whole} seconds"
    return f"{minutes} minutes"


def _next_at(hits: ColumnElement[Any], now: float) -> ColumnElement[Any]:
    """When the attempt after the `hits`-th failure is heard, as SQL (`delay_after`)."""
    growing = range(FREE_FAILURES + 1, FREE_FAILURES + 2 + MAX_DELAY_SECONDS.bit_length())
    return case(
        (hits <= FREE_FAILURES, now),
        *[(hits == n, now + delay_after(n)) for n in growing],
        else_=now + MAX_DELAY_SECONDS,
    )


class LoginThrottle:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.engine = engine
        self.insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self.per_client: RateLimitItem = parse(settings.login_limit_per_client)
        self.per_account: RateLimitItem = parse(settings.login_limit_per_account)
        self.per_address: RateLimitItem = parse(settings.login_limit_per_address)
        self.purged_at = 0.0

    def _counts(self, account: str, address: str | None) -> list[_Count]:
        # Always taken in this order (account, address, client): concurrent attempts lock
        # their rows in one order and never wait on each other in a circle.
        counts = [_Count(self.per_account, _digest("account", account), "for this account")]
        if address:
            counts.append(_Count(self.per_address, f"address:{address}", "from your network"))
        counts.append(
            _Count(
                self.per_client,
                _digest("client", f"{account}\n{address or ''}"),
                "for this account from your address",
                grows=True,
            )
        )
        return counts

    def _take(self, count: _Count, now: float) -> Any:
        """One place in `count`, if it has room (and its wait has passed): one upsert."""
        window = now + count.limit.get_expiry()
        fresh = COUNTER.c.expires_at <= now
        hits = case((fresh, 1), else_=COUNTER.c.hits + 1)
        values: dict[str, Any] = {
            "hits": hits,
            "expires_at": case((fresh, window), else_=COUNTER.c.expires_at),
        }
        if count.grows:
            values["next_at"] = _next_at(hits, now)
        stmt = self.insert(COUNTER).values(
            key=count.key, hits=1, expires_at=window, next_at=now if count.grows else 0.0
        )
        return stmt.on_conflict_do_update(
            index_elements=[COUNTER.c.key],
            # Every expression reads the row as it was: a spent window starts again.
            set_=values,
            where=or_(fresh, and_(COUNTER.c.hits < count.limit.amount, COUNTER.c.next_at <= now)),
        ).returning(COUNTER.c.hits)

    def attempt(self, account: str, address: str | None) -> None:
        """Count this attempt as a failure of `account` from `address` before its password is
        checked; RATE_LIMITED, with nothing counted, when a count is spent or its wait runs."""
        now = time.time()
        with self.engine.begin() as conn:
            for count in self._counts(account, address):
                if conn.execute(self._take(count, now)).first() is not None:
                    continue
                row = conn.execute(
                    select(COUNTER.c.hits, COUNTER.c.expires_at, COUNTER.c.next_at).where(
                        COUNTER.c.key == count.key
                    )
                ).one()
                until = row.expires_at if row.hits >= count.limit.amount else row.next_at
                seconds = max(1, math.ceil(until - now))
                # Leaving the block rolls back the places taken in the counts before this one.
                raise RateLimitedError(
                    f"Too many failed logins {count.whose}; try again in {_wait(seconds)}.",
                    retry_after=seconds,
                )
        if now - self.purged_at >= PURGE_EVERY_SECONDS:
            self.purged_at = now
            self._purge(now)

    def _purge(self, now: float) -> None:
        """Remove spent windows, a batch at a time, never waiting on a row an attempt holds."""
        spent = select(COUNTER.c.key).where(COUNTER.c.expires_at <= now).limit(PURGE_BATCH)
        if self.engine.dialect.name == "postgresql":
            spent = spent.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            conn.execute(delete(COUNTER).where(COUNTER.c.key.in_(spent.scalar_subquery())))

    def succeeded(self, account: str, address: str | None) -> None:
        """The attempt was no failure: its places are given back, and its account's count
        from this address (with its wait) starts again."""
        *others, client = self._counts(account, address)
        now = time.time()
        # One statement per row, in `_counts`' order, as `attempt` locks them: a single
        # `key IN (...)` would lock them in whatever order its plan visits them.
        with self.engine.begin() as conn:
            for count in others:
                conn.execute(
                    update(COUNTER)
                    .where(
                        COUNTER.c.key == count.key,
                        COUNTER.c.expires_at > now,
                        COUNTER.c.hits > 0,
                    )
                    .values(hits=COUNTER.c.hits - 1)
                )
            conn.execute(delete(COUNTER).where(COUNTER.c.key == client.key))
