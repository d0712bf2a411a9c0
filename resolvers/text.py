"""Small checks of free-text input shared by the programme's use cases."""

from __future__ import annotations

from kernel.errors import BadUserInputError


def required_text(value: str | None, label: str, max_length: int) -> str:
    """`value` stripped; BAD_USER_INPUT when empty or longer than the column allows."""
    text = (value or "").strip()
    if not text:
        raise BadUserInputError(f"{label} cannot be empty.")
    return optional_text(text, label, max_length)


def optional_text(value: str | None, label: str, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if max_length is not None and len(text) > max_length:
        raise BadUserInputError(
            f"{label} is too long ({len(text)} characters; at most {max_length})."
        )
    return text
