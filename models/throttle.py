"""Rate-limit counters shared by every worker that serves one PostgreSQL database."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    """One fixed window of one limit (`limits` key, e.g. failed logins of one account)."""

    __tablename__ = "rate_limit_counter"

    key: str = Field(sa_type=String(300), primary_key=True)
    hits: int
    # Seconds since the epoch, as the `limits` library counts its windows.
    expires_at: float = Field(sa_type=Float)
