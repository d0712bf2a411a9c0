"""Security primitives: password hashing (argon2), JWT access tokens (PyJWT), opaque secrets."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kernel.settings import Settings

JWT_ALGORITHM = "HS256"
_hasher = PasswordHasher()
# Verifying against this keeps login timing the same for unknown emails.
_DUMMY_HASH = _hasher.hash("agora-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """An opaque random secret (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """How secrets (refresh and invitation tokens) are stored: only their SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


class InvalidToken(Exception):
    """The access token is missing a claim, expired, tampered with, or not ours."""


@dataclass(frozen=True)
class AccessToken:
    token: str
    user_id: int
    expires_at: datetime
    # The user's token version when it was issued (`app_user.token_version`).
    version: int = 0


def issue_access_token(
    settings: Settings, user_id: int, now: datetime, version: int = 0
) -> AccessToken:
    expires_at = now + timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "tv": version,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "typ": "access",
    }
    token = jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)
    return AccessToken(token=token, user_id=user_id, expires_at=expires_at, version=version)


def read_access_token(settings: Settings, token: str) -> int:
    """The user id an access token speaks for; raises InvalidToken otherwise."""
    return decode_access_token(settings, token).user_id


# Tokens already verified, by (signing key, token): a client sends the same token with every
# request for its whole life, and verifying it (PyJWT: base64, JSON, HMAC, claims) costs more
# than many a request's own work. Only expiry can change a verified token's verdict, and it
# is checked on every use.
_VERIFIED: dict[tuple[str, str], AccessToken] = {}
_VERIFIED_LOCK = threading.Lock()
VERIFIED_TOKENS = 4096
EXPIRED = "The access token has expired; refresh it or log in again."


def decode_access_token(settings: Settings, token: str) -> AccessToken:
    """Who an access token speaks for and until when; raises InvalidToken otherwise."""
    key = (settings.secret_key, token)
    verified = _VERIFIED.get(key)
    if verified is None:
        verified = _verify_access_token(settings, token)
        with _VERIFIED_LOCK:
            if len(_VERIFIED) >= VERIFIED_TOKENS:
                del _VERIFIED[next(iter(_VERIFIED))]  # the oldest: a bound, not a recency order
            _VERIFIED[key] = verified
    elif verified.expires_at <= datetime.now(UTC):
        raise InvalidToken(EXPIRED)
    return verified


def _verify_access_token(settings: Settings, token: str) -> AccessToken:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken(EXPIRED) from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The access token is invalid.") from exc
    if claims.get("typ") != "access":
        raise InvalidToken("The access token is invalid.")
    try:
        user_id = int(claims["sub"])
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        version = int(claims.get("tv", 0))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidToken("The access token is invalid.") from exc
    return AccessToken(token=token, user_id=user_id, expires_at=expires_at, version=version)
