"""Global object ids: opaque to clients, typed, and decoded in one place."""

from __future__ import annotations

import base64
import binascii

from kernel.errors import NotFoundError

# Primary keys are SQL INTEGER columns: a number beyond them names nothing (and would make
# the database driver fail rather than find no row).
MAX_PK = 2**31 - 1


def encode(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_any(global_id: str) -> tuple[str, int] | None:
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, text = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        # At most ten digits: int() of a huge digit string is itself costly.
        pk = int(text) if len(text) <= 10 else 0
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (type_name, pk) if 0 < pk <= MAX_PK else None


def decode(type_name: str, global_id: str) -> int:
    """The primary key behind a global id of `type_name`; NOT_FOUND for anything else."""
    decoded = decode_any(str(global_id))
    if decoded is None or decoded[0] != type_name:
        raise NotFoundError(f"No {type_name.lower()} has the id {global_id!r}.")
    return decoded[1]


def optional_pk(type_name: str, global_id: str | None) -> int | None:
    return None if global_id is None else decode(type_name, global_id)
