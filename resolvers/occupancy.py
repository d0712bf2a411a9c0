"""Who is in: the distinct members granted entry to each session, and to the session running
now in each room. Batched reads for the loaders, one statement for many sessions or rooms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

import models
from models import ScanStatus
from resolvers.id_sets import among


def attendance_by_session(db: Session, session_ids: list[int]) -> dict[int, int]:
    """Distinct members granted entry, per session (sessions without any are absent)."""
    A = models.RoomAccess
    rows = db.execute(
        select(A.session_id, func.count(distinct(col(A.member_id))))
        .where(among(col(A.session_id), session_ids), col(A.status) == ScanStatus.GRANTED)
        .group_by(col(A.session_id))
    ).all()
    return dict(rows)


def occupancy_by_room(db: Session, room_ids: list[int], now: datetime) -> dict[int, int]:
    """Distinct members granted entry to the session running now, per room: the session's
    admitted count (kept by the scan log's triggers), so a door display's every push reads
    one row per room, not the session's every grant."""
    S = models.EventSession
    rows = db.execute(
        select(S.room_id, S.admitted).where(
            among(col(S.room_id), room_ids),
            col(S.starts_at) <= now,
            col(S.ends_at) > now,
            col(S.admitted) > 0,
        )
    ).all()
    return dict(rows)
