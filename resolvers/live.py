"""What live subscriptions push: news since a cursor, read from the database.

Subscribers on any worker see the same rows, so live updates never depend on which process
handled the write. Each poll is one or two indexed statements bounded by `LIVE_BATCH`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

import models
from resolvers.annonces import targets_for

if TYPE_CHECKING:
    from app.context import Context

LIVE_BATCH = 100


def annonce_cursor(ctx: Context, *, event_id: int) -> int:
    """The newest annonce id of the event now: only later ones are pushed."""
    newest = ctx.db.exec(
        select(func.max(models.Annonce.id)).where(models.Annonce.event_id == event_id)
    ).one()
    return newest or 0


def annonces_after(ctx: Context, *, event_id: int, after_id: int) -> list[models.Annonce]:
    """Annonces published after `after_id` that target the viewer's role, oldest first."""
    stmt = (
        select(models.Annonce)
        .where(models.Annonce.event_id == event_id, col(models.Annonce.id) > after_id)
        .order_by(col(models.Annonce.id))
        .limit(LIVE_BATCH)
    )
    rows = list(ctx.db.exec(stmt))
    targets = targets_for(ctx, event_id)
    return [a for a in rows if targets is None or a.target in targets]
