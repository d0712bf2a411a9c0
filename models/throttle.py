"""Login-throttle counters, in the database so that every worker (and, on PostgreSQL, every
machine) serving it counts the same attempts."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    """One fixed window of one count: failed logins of an account, of a client address, or of
    an account from one client address."""

    __tablename__ = "rate_limit_counter"

    key: str = Field(sa_type=String(300), primary_key=True)
    hits: int
    # Seconds since the epoch: when the window ends, and when the next attempt is heard (the
    # growing delay between failures of one account from one address).
    expires_at: float = Field(sa_type=Float)
    next_at: float = Field(sa_type=Float, default=0.0, sa_column_kwargs={"server_default": "0"})
