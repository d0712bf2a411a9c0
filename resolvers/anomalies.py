"""Badge anomalies: one badge granted at two rooms too close in time to be one person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

import models
from kernel.errors import BadUserInputError
from models import ScanStatus
from resolvers.context import Context

# A day: beyond it "too close in time" means nothing, and the pairs would be every move.
MAX_WITHIN_MINUTES = 1440
# The answer is bounded like every list a client can ask for: the newest pairs first.
MAX_ANOMALIES = 500


@dataclass(frozen=True)
class BadgeAnomaly:
    member: models.Member
    first: models.RoomAccess
    second: models.RoomAccess


def _seconds_between(
    ctx: Context, later: ColumnElement[datetime], earlier: ColumnElement[datetime]
) -> ColumnElement[Any]:
    if ctx.db.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    # SQLite keeps naive UTC text; julianday reads it as days.
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def list_badge_anomalies(
    ctx: Context, event: models.Event, *, within_minutes: int
) -> list[BadgeAnomaly]:
    """Pairs of consecutive grants of one member's badge at two different rooms less than
    `within_minutes` apart, newest second scan first, in one statement."""
    if not 0 < within_minutes <= MAX_WITHIN_MINUTES:
        raise BadUserInputError(
            f"withinMinutes must be between 1 and {MAX_WITHIN_MINUTES} (a day)."
        )
    A = models.RoomAccess
    # An offline scan synced later counts at the moment the device saw the badge.
    seen_at = func.coalesce(A.client_scanned_at, A.scanned_at)
    partition_by, order_by = col(A.member_id), (seen_at, col(A.id))
    granted = (
        select(
            col(A.id).label("id"),
            col(A.member_id).label("member_id"),
            col(A.room_id).label("room_id"),
            seen_at.label("seen_at"),
            func.lag(col(A.id)).over(partition_by=partition_by, order_by=order_by).label("prev_id"),
            func.lag(col(A.room_id))
            .over(partition_by=partition_by, order_by=order_by)
            .label("prev_room_id"),
            func.lag(seen_at)
            .over(partition_by=partition_by, order_by=order_by)
            .label("prev_seen_at"),
        )
        .where(
            col(A.event_id) == event.id,
            col(A.status) == ScanStatus.GRANTED,
            col(A.member_id).is_not(None),
        )
        .subquery()
    )
    first = aliased(A, name="first_access")
    second = aliased(A, name="second_access")
    rows = ctx.db.execute(
        select(models.Member, first, second)
        .select_from(granted)
        .join(first, col(first.id) == granted.c.prev_id)
        .join(second, col(second.id) == granted.c.id)
        .join(models.Member, col(models.Member.id) == granted.c.member_id)
        .where(
            and_(
                granted.c.prev_room_id.is_not(None),
                granted.c.prev_room_id != granted.c.room_id,
                _seconds_between(ctx, granted.c.seen_at, granted.c.prev_seen_at)
                < within_minutes * 60,
            )
        )
        .order_by(granted.c.seen_at.desc(), granted.c.id.desc())
        .limit(MAX_ANOMALIES)
    ).all()
    for member, _, _ in rows:
        assert member.id is not None
        ctx.loaders.member_by_id.prime(member.id, member)
    return [BadgeAnomaly(member=m, first=f, second=s) for m, f, s in rows]
