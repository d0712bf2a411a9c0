"""Logging in: access tokens, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select, update

import models
from kernel import emails, security
from kernel.errors import BadUserInputError, UnauthenticatedError
from resolvers.context import Context
from resolvers.text import bounded

# Our secrets are 43 characters: room for another encoding of one, not for a megabyte to hash.
MAX_SECRET = 256
MAX_PASSWORD = 256


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime
    user: models.User


def normalize_email(email: str) -> str:
    return emails.normalize_email(email)


def _issue_pair(ctx: Context, user: models.User, family: str) -> TokenPair:
    assert user.id is not None
    refresh = security.new_secret()
    ctx.db.add(
        models.RefreshToken(
            user_id=user.id,
            token_hash=security.digest(refresh),
            family=family,
            expires_at=ctx.now + timedelta(days=ctx.settings.refresh_token_days),
        )
    )
    access = security.issue_access_token(ctx.settings, user.id, ctx.now, user.token_version)
    return TokenPair(access.token, refresh, access.expires_at, user)


def login(ctx: Context, *, email: str, password: str) -> TokenPair:
    """Check the credentials and start a new token chain.

    Each attempt counts as a failure (of the account from the client address, of the account,
    of the address) before the password is checked, and a success takes it back: past a
    limit, or before a failure's wait has passed, the answer is RATE_LIMITED without the
    password being checked at all, however many attempts arrive at once.
    """
    # Refused before counting as an attempt: an input that cannot be anyone's changes nothing.
    bounded(email, "The e-mail address", emails.MAX_LENGTH)
    bounded(password, "The password", MAX_PASSWORD)
    account, address, throttle = normalize_email(email), ctx.client_address, ctx.login_throttle
    if throttle is not None:
        throttle.attempt(account, address)
    user = ctx.db.exec(select(models.User).where(models.User.email == account)).first()
    if not security.verify_password(user.password_hash if user else None, password) or user is None:
        raise UnauthenticatedError("Wrong email or password.")
    if throttle is not None:
        throttle.succeeded(account, address)
    pair = _issue_pair(ctx, user, family=secrets.token_hex(16))
    ctx.commit()
    ctx.act_as(user)
    return pair


def _revoke_family(ctx: Context, family: str, user_id: int) -> None:
    """Revoke the chain's refresh tokens and end the user's access tokens issued so far."""
    ctx.db.exec(
        update(models.User)
        .where(col(models.User.id) == user_id)
        .values(token_version=models.User.token_version + 1)
    )
    ctx.db.exec(
        update(models.RefreshToken)
        .where(
            col(models.RefreshToken.family) == family, col(models.RefreshToken.revoked_at).is_(None)
        )
        .values(revoked_at=ctx.now)
    )


def refresh(ctx: Context, *, refresh_token: str) -> TokenPair:
    """Spend a refresh token for a new pair. A token spent twice is theft: the chain is revoked."""
    bounded(refresh_token, "The refresh token", MAX_SECRET)
    stmt = select(models.RefreshToken).where(
        models.RefreshToken.token_hash == security.digest(refresh_token)
    )
    # Row lock: two concurrent refreshes of one token must not both succeed.
    token = ctx.db.exec(stmt.with_for_update()).first()
    if token is None or token.revoked_at is not None or token.expires_at <= ctx.now:
        raise UnauthenticatedError("This refresh token is not valid; log in again.")
    if token.used_at is not None:
        _revoke_family(ctx, token.family, token.user_id)
        ctx.commit()
        raise UnauthenticatedError(
            "This refresh token was already used; every session of this login is now revoked. Log in again."
        )
    token.used_at = ctx.now
    user = ctx.db.get(models.User, token.user_id)
    if user is None:
        raise UnauthenticatedError("This refresh token is not valid; log in again.")
    pair = _issue_pair(ctx, user, family=token.family)
    ctx.commit()
    ctx.act_as(user)
    return pair


def logout(ctx: Context, *, refresh_token: str) -> bool:
    """Revoke the chain of this refresh token. True when something was revoked."""
    bounded(refresh_token, "The refresh token", MAX_SECRET)
    stmt = select(models.RefreshToken).where(
        models.RefreshToken.token_hash == security.digest(refresh_token)
    )
    token = ctx.db.exec(stmt).first()
    if token is None or token.revoked_at is not None:
        return False
    _revoke_family(ctx, token.family, token.user_id)
    ctx.commit()
    return True


def validate_password(password: str) -> None:
    if len(password) < 8:
        raise BadUserInputError("A password needs at least 8 characters.")
    if len(password) > MAX_PASSWORD:
        raise BadUserInputError(f"A password has at most {MAX_PASSWORD} characters.")


def set_password_with_token(ctx: Context, *, token: str, password: str) -> TokenPair:
    """Spend an invitation (or reset) token: set the password and log the user in."""
    bounded(token, "The invitation token", MAX_SECRET)
    stmt = select(models.User).where(models.User.password_token_hash == security.digest(token))
    user = ctx.db.exec(stmt.with_for_update()).first()
    expires_at = user.password_token_expires_at if user is not None else None
    if user is None or expires_at is None or expires_at <= ctx.now:
        raise UnauthenticatedError(
            "This invitation is not valid or has expired; ask the organizers for a new one."
        )
    validate_password(password)
    user.password_hash = security.hash_password(password)
    user.password_token_hash = None
    user.password_token_expires_at = None
    pair = _issue_pair(ctx, user, family=secrets.token_hex(16))
    ctx.commit()
    ctx.act_as(user)
    return pair
