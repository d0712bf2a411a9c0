"""People who can log in, and their refresh tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, text
from sqlmodel import Field, SQLModel

from models.base import created_timestamp, timestamp


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(254), unique=True, index=True)
    full_name: str = Field(sa_type=String(200))
    password_hash: str | None = Field(default=None, sa_type=String(255))
    is_admin: bool = False
    # An invitation or reset token, stored hashed; set by operators, used once.
    password_token_hash: str | None = Field(default=None, sa_type=String(64), unique=True)
    password_token_expires_at: datetime | None = timestamp(default=None)
    created_at: datetime = created_timestamp()
    # Access tokens carry the version they were issued at; a logout or a stolen refresh token's
    # reuse moves it, which ends every access token issued before, at once.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})


class RefreshToken(SQLModel, table=True):
    """One refresh token of a login chain. Rotated on use; reuse of a spent one revokes the chain."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_type=String(64), unique=True)
    family: str = Field(sa_type=String(32), index=True)
    created_at: datetime = created_timestamp()
    expires_at: datetime = timestamp()
    used_at: datetime | None = timestamp(default=None)
    revoked_at: datetime | None = timestamp(default=None)


class ViewerStanding(SQLModel, table=True):
    """How many times what the permission checks read about a user has changed: their user
    row, memberships (role, event), staff assignments and presidencies. Kept by triggers on
    PostgreSQL, where a server process may reuse a viewer it read before as long as this
    number has not moved (the door's statement checks it); no row means 0."""

    __tablename__ = "viewer_standing"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    version: int = Field(sa_type=BigInteger, default=0)
