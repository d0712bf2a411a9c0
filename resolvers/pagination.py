"""Relay-style keyset pagination: bounded pages, opaque cursors that stay valid as rows arrive."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session

from kernel.errors import BadUserInputError

T = TypeVar("T")

DEFAULT_PAGE = 50
MAX_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total_count: int


@dataclass(frozen=True)
class SortKey:
    column: Any
    descending: bool = False
    is_datetime: bool = False


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError
        return [
            datetime.fromisoformat(v) if k.is_datetime else v
            for k, v in zip(keys, raw, strict=True)
        ]
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadUserInputError(f"The cursor {cursor!r} is not one this list gave out.") from exc


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the sort order (lexicographic over the keys)."""
    clause: ColumnElement[bool] = false()
    for i in reversed(range(len(keys))):
        key, value = keys[i], values[i]
        beyond = key.column < value if key.descending else key.column > value
        ties = [keys[j].column == values[j] for j in range(i)]
        clause = or_(and_(*ties, beyond) if ties else beyond, clause)
    return clause


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0:
        raise BadUserInputError("`first` cannot be negative.")
    return min(first, MAX_PAGE)


def paginate(
    db: Session,
    stmt: Select[Any],
    *,
    keys: Sequence[SortKey],
    key_of: Callable[[Any], Sequence[Any]],
    first: int | None,
    after: str | None,
    total: int | None = None,
) -> Page[Any]:
    """One page of `stmt` (a select of one entity, filtered) and its total count: two statements,
    or one when the caller already counted the same rows (`total`)."""
    size = page_size(first)
    if total is None:
        total = db.execute(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        ).scalar_one()
    ordered = stmt.order_by(*[k.column.desc() if k.descending else k.column.asc() for k in keys])
    if after is not None:
        ordered = ordered.where(_after(keys, decode_cursor(after, keys)))
    rows = list(db.execute(ordered.limit(size + 1)).scalars())
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor(key_of(row)) for row in items],
        has_next=len(rows) > size,
        has_previous=after is not None,
        total_count=total,
    )
