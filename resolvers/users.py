"""Users: accounts that can log in (operators create them from the CLI)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

import models
from kernel import emails, security
from kernel.errors import ConflictError, NotFoundError
from resolvers.auth import normalize_email, validate_password
from resolvers.text import required_text

# The column's length (models/user.py), the same as a member's display name.
USER_NAME_LENGTH = 200


def find_by_email(db: Session, email: str) -> models.User | None:
    return db.exec(select(models.User).where(models.User.email == normalize_email(email))).first()


def validate_email(email: str) -> str:
    """The address normalised as it is stored (kernel/emails.py); BAD_USER_INPUT when it is
    empty, too long, no address, or holds a character that hides or passes for another."""
    return emails.checked_email(required_text(email, "The e-mail address", emails.MAX_LENGTH))


def create_user(
    db: Session, *, email: str, full_name: str, password: str | None = None, is_admin: bool = False
) -> models.User:
    email = validate_email(email)
    name = required_text(full_name, "A user's name", USER_NAME_LENGTH)
    if find_by_email(db, email) is not None:
        raise ConflictError(f"A user with the email {email} already exists.")
    if password is not None:
        validate_password(password)
    user = models.User(
        email=email,
        full_name=name,
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
