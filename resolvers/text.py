"""Small checks of free-text input shared by the use cases.

Every text a mutation takes has a maximum (docs/api.md, "Input lengths"), checked before it
reaches the database: SQLite stores any length in a VARCHAR column, and PostgreSQL's refusal
would be an unexpected error rather than the client's."""

from __future__ import annotations

from kernel.errors import BadUserInputError

# Descriptions live in TEXT columns, which hold any length: this is ours, a few pages of text.
MAX_DESCRIPTION = 20_000


def required_text(value: str | None, label: str, max_length: int) -> str:
    """`value` stripped; BAD_USER_INPUT when empty or longer than the column allows."""
    text = (value or "").strip()
    if not text:
        raise BadUserInputError(f"{label} cannot be empty.")
    return optional_text(text, label, max_length)


def optional_text(value: str | None, label: str, max_length: int | None = None) -> str:
    """`value` stripped ("" for None); BAD_USER_INPUT, naming `label`, when it holds a NUL
    character (which PostgreSQL's text cannot) or is longer than `max_length` characters."""
    text = (value or "").strip()
    if "\x00" in text:
        raise BadUserInputError(f"{label} cannot contain the NUL character (U+0000).")
    if max_length is not None:
        bounded(text, label, max_length)
    return text


def bounded(value: str, label: str, max_length: int) -> str:
    """`value` as it is (a password or a token is never trimmed); BAD_USER_INPUT, naming
    `label`, when it is longer than `max_length` characters."""
    if len(value) > max_length:
        raise BadUserInputError(
            f"{label} is too long ({len(value)} characters; at most {max_length})."
        )
    return value
