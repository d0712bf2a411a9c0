"""Events: listing and reading what the viewer belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, or_, select

import models

if TYPE_CHECKING:
    from app.context import Context


def list_events(ctx: Context) -> list[models.Event]:
    """The events the viewer belongs to or presides (every event for an admin), soonest first."""
    viewer = ctx.require_viewer()
    stmt = select(models.Event).order_by(col(models.Event.starts_at), col(models.Event.id))
    if not viewer.is_admin:
        member_of = select(models.Member.event_id).where(models.Member.user_id == viewer.user_id)
        stmt = stmt.where(
            or_(col(models.Event.id).in_(member_of), models.Event.president_id == viewer.user_id)
        )
    return list(ctx.db.exec(stmt))
