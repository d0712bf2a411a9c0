"""Login throttling: failed attempts counted per account and per client address.

The counting is the `limits` library's fixed windows. On SQLite (one laptop, usually one
worker) the counters live in the worker's memory; on PostgreSQL, where several workers or
machines serve one database, they live in the `rate_limit_counter` table so that a guesser
cannot spread attempts across workers. Only failures count, so a venue full of staff logging
in behind one address is never refused; a successful login clears its account's count.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import SQLAlchemyError

import models
from kernel.errors import RateLimitedError
from kernel.settings import Settings

COUNTER = models.RateLimitCounter.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped


class DatabaseStorage(Storage):
    """`limits` counters in PostgreSQL: one upserted row per key and window."""

    STORAGE_SCHEME = None

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        fresh = COUNTER.c.expires_at <= now
        stmt = (
            pg_insert(COUNTER)
            .values(key=key, hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[COUNTER.c.key],
                # Both expressions read the row as it was: a spent window starts again.
                set_={
                    "hits": case((fresh, amount), else_=COUNTER.c.hits + amount),
                    "expires_at": case((fresh, now + expiry), else_=COUNTER.c.expires_at),
                },
            )
            .returning(COUNTER.c.hits)
        )
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def _row(self, key: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                select(COUNTER.c.hits, COUNTER.c.expires_at).where(
                    COUNTER.c.key == key, COUNTER.c.expires_at > time.time()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(COUNTER)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(COUNTER).where(COUNTER.c.key == key))


def _account(email: str) -> str:
    # Any text can be typed as an email: a digest keeps keys short and the table free of it.
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _wait(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds <= 90:
        return f"{max(1, math.ceil(seconds))} seconds"
    return f"{minutes} minutes"


class LoginThrottle:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        storage: Storage = (
            DatabaseStorage(engine) if engine.dialect.name == "postgresql" else MemoryStorage()
        )
        self.limiter = FixedWindowRateLimiter(storage)
        self.per_account: RateLimitItem = parse(settings.login_limit_per_account)
        self.per_address: RateLimitItem = parse(settings.login_limit_per_address)

    def _refuse(self, limit: RateLimitItem, key: str, whose: str) -> None:
        if self.limiter.test(limit, "login", key):
            return
        reset_at = self.limiter.get_window_stats(limit, "login", key).reset_time
        seconds = max(1, math.ceil(reset_at - time.time()))
        raise RateLimitedError(
            f"Too many failed logins {whose}; try again in {_wait(seconds)}.", retry_after=seconds
        )

    def check(self, account: str, address: str | None) -> None:
        """RATE_LIMITED when either count is spent, before the password is even checked."""
        self._refuse(self.per_account, _account(account), "for this account")
        if address:
            self._refuse(self.per_address, f"address:{address}", "from your network")

    def failed(self, account: str, address: str | None) -> None:
        self.limiter.hit(self.per_account, "login", _account(account))
        if address:
            self.limiter.hit(self.per_address, "login", f"address:{address}")

    def succeeded(self, account: str) -> None:
        self.limiter.clear(self.per_account, "login", _account(account))
