"""Members of events: reading them (adding and importing come with the programme work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, or_, select

import models
from models import Role
from resolvers.errors import BadUserInputError
from resolvers.pagination import Page, SortKey, paginate

if TYPE_CHECKING:
    from app.context import Context


def memberships_of(ctx: Context, user: models.User) -> list[models.Member]:
    """A user's memberships (the policy lets only the user itself or an admin ask)."""
    viewer = ctx.require_viewer()
    if user.id == viewer.user_id:
        return sorted(viewer.memberships.values(), key=lambda m: m.event_id)
    stmt = (
        select(models.Member)
        .where(models.Member.user_id == user.id)
        .order_by(col(models.Member.event_id))
    )
    return list(ctx.db.exec(stmt))


def list_exposants(ctx: Context, event: models.Event) -> list[models.Member]:
    """The salon directory: the event's exposants by company."""
    stmt = (
        select(models.Member)
        .where(models.Member.event_id == event.id, models.Member.role == Role.EXPOSANT)
        .order_by(col(models.Member.company), col(models.Member.id))
    )
    return list(ctx.db.exec(stmt))


def list_members(
    ctx: Context,
    event: models.Event,
    *,
    role: Role | None,
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[models.Member]:
    """The event's members, oldest membership first, filtered by role and by name/email/company."""
    stmt = select(models.Member).where(models.Member.event_id == event.id)
    if role is not None:
        if role not in models.EVENT_ROLES:
            raise BadUserInputError(
                f"{role.value} is not a role members hold; use one of {', '.join(r.value for r in models.EVENT_ROLES)}."
            )
        stmt = stmt.where(models.Member.role == role)
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        users = select(models.User.id).where(
            or_(col(models.User.full_name).ilike(pattern), col(models.User.email).ilike(pattern))
        )
        stmt = stmt.where(
            or_(col(models.Member.user_id).in_(users), col(models.Member.company).ilike(pattern))
        )
    return paginate(
        ctx.db,
        stmt,
        keys=[SortKey(models.Member.id)],
        key_of=lambda m: [m.id],
        first=first,
        after=after,
    )
