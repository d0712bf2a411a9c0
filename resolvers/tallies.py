"""The stats' counters (models/tally.py) recounted from the scan log and the visits.

The database keeps the counters as rows are written; `verify` recounts every one of them from
the rows themselves and reports each difference, `repair` writes the recount in their place.
On PostgreSQL a repair holds off new scans and visits (SHARE lock on both tables) until it
commits, so that no write falls between the recount and its replacement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, cast, delete, extract, func, insert, literal, select, text
from sqlmodel import Session, col

import models
from models import ScanStatus
from models.tally import QUARTER_SECONDS


def quarter_of(db: Session, moment: Any) -> Any:
    """The UTC quarter-hour a timestamp column falls in (Unix seconds // 900), as the
    counters' triggers compute it."""
    if db.get_bind().dialect.name == "postgresql":
        seconds: Any = cast(func.floor(extract("epoch", moment)), Integer)
    else:
        seconds = cast(func.strftime("%s", moment), Integer)
    return seconds // QUARTER_SECONDS


@dataclass(frozen=True)
class Counter:
    """One counter table: its key columns, and the statement that counts it from the rows."""

    table: Any
    keys: tuple[str, ...]
    recount: Select[*tuple[Any, ...]]


def _counters(db: Session) -> list[Counter]:
    A, V = models.RoomAccess, models.Visit
    granted = (col(A.status) == ScanStatus.GRANTED, col(A.member_id).is_not(None))
    scan_quarter = quarter_of(db, A.scanned_at)
    reason = func.coalesce(col(A.reason), "")
    visit_quarter = quarter_of(db, V.scanned_at)
    return [
        Counter(
            models.ScanCount.__table__,  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
            ("room_id", "quarter", "status", "reason", "event_id"),
            select(
                col(A.room_id), scan_quarter, col(A.status), reason, col(A.event_id), func.count()
            ).group_by(col(A.room_id), scan_quarter, col(A.status), reason, col(A.event_id)),
        ),
        Counter(
            models.RoomEntrant.__table__,  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
            ("room_id", "member_id"),
            select(col(A.room_id), col(A.member_id)).where(*granted).distinct(),
        ),
        Counter(
            models.EventEntrant.__table__,  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
            ("event_id", "member_id"),
            select(col(A.event_id), col(A.member_id)).where(*granted).distinct(),
        ),
        Counter(
            models.SessionEntrant.__table__,  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
            ("session_id", "member_id"),
            select(col(A.session_id), col(A.member_id))
            .where(*granted, col(A.session_id).is_not(None))
            .distinct(),
        ),
        Counter(
            models.VisitCount.__table__,  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
            ("exposant_id", "quarter"),
            select(col(V.exposant_id), visit_quarter, func.count()).group_by(
                col(V.exposant_id), visit_quarter
            ),
        ),
        Counter(
            models.ExposantVisitor.__table__,  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
            ("exposant_id", "participant_id"),
            select(col(V.exposant_id), col(V.participant_id)).distinct(),
        ),
    ]


@dataclass(frozen=True)
class Difference:
    """A counter row that does not match the rows it counts (0: no such row)."""

    table: str
    key: tuple[Any, ...]
    kept: int
    counted: int


def _values(db: Session, counter: Counter) -> dict[tuple[Any, ...], int]:
    """Key -> count; a pair table's rows count 1 each."""
    width = len(counter.keys)
    counted = len(counter.recount.selected_columns) > width
    return {
        tuple(row[:width]): int(row[width]) if counted else 1 for row in db.execute(counter.recount)
    }


def _kept(db: Session, counter: Counter) -> dict[tuple[Any, ...], int]:
    table = counter.table
    columns = [table.c[k] for k in counter.keys]
    amount = table.c.n if "n" in table.c else literal(1)
    return {tuple(row[:-1]): int(row[-1]) for row in db.execute(select(*columns, amount))}


def verify(db: Session) -> Iterator[Difference]:
    """Every counter row that differs from a recount of the scan log and the visits."""
    for counter in _counters(db):
        kept, counted = _kept(db, counter), _values(db, counter)
        for key in sorted(kept.keys() | counted.keys(), key=repr):
            if kept.get(key, 0) != counted.get(key, 0):
                yield Difference(counter.table.name, key, kept.get(key, 0), counted.get(key, 0))


def repair(db: Session) -> None:
    """Every counter replaced by its recount (in the caller's transaction)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("LOCK TABLE room_access, visit IN SHARE MODE"))
    for counter in _counters(db):
        table = counter.table
        db.execute(delete(table))
        names = [*counter.keys, "n"] if "n" in table.c else list(counter.keys)
        db.execute(insert(table).from_select(names, counter.recount))
