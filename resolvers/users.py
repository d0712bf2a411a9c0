"""Users: accounts that can log in (operators create them from the CLI)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

import models
from kernel import security
from kernel.errors import BadUserInputError, ConflictError, NotFoundError
from resolvers.auth import normalize_email, validate_password


def find_by_email(db: Session, email: str) -> models.User | None:
    return db.exec(select(models.User).where(models.User.email == normalize_email(email))).first()


def validate_email(email: str) -> str:
    email = normalize_email(email)
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > 254:
        raise BadUserInputError(f"{email!r} is not an email address.")
    return email


def create_user(
    db: Session, *, email: str, full_name: str, password: str | None = None, is_admin: bool = False
) -> models.User:
    email = validate_email(email)
    if not full_name.strip():
        raise BadUserInputError("A user needs a name.")
    if find_by_email(db, email) is not None:
        raise ConflictError(f"A user with the email {email} already exists.")
    if password is not None:
        validate_password(password)
    user = models.User(
        email=email,
        full_name=full_name.strip(),
        password_hash=security.hash_password(password) if password is not None else None,
        is_admin=is_admin,
    )
    db.add(user)
    db.flush()
    return user


def set_password(db: Session, *, email: str, password: str) -> models.User:
    user = find_by_email(db, email)
    if user is None:
        raise NotFoundError(f"No user has the email {normalize_email(email)}.")
    validate_password(password)
    user.password_hash = security.hash_password(password)
    return user


INVITATION_DAYS = 7


def issue_invitation(db: Session, *, email: str, now: datetime) -> str:
    """A fresh one-time token that lets the user set a password (any earlier one stops working)."""
    user = find_by_email(db, email)
    if user is None:
        raise NotFoundError(f"No user has the email {normalize_email(email)}.")
    token = security.new_secret()
    user.password_token_hash = security.digest(token)
    user.password_token_expires_at = now + timedelta(days=INVITATION_DAYS)
    return token
