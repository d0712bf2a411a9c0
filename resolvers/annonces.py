"""Annonces: writing, changing and deleting them (who reads which: `permissions.rules.ANNONCE_READERS`)."""

from __future__ import annotations

import models
from models import AnnonceTarget
from resolvers import audit, news
from resolvers.context import Context
from resolvers.text import MAX_DESCRIPTION, required_text
from resolvers.visibility import visible_event, visible_in_event

ANNONCE_FIELDS = ("title", "description", "target")


def create_annonce(
    ctx: Context, *, event_id: int, title: str, description: str, target: AnnonceTarget
) -> models.Annonce:
    """Publish an annonce to the members of an event with the target role."""
    event = visible_event(ctx, event_id)
    assert event.id is not None
    annonce = models.Annonce(
        event_id=event.id,
        title=required_text(title, "The title", 200),
        description=required_text(description, "The description", MAX_DESCRIPTION),
        target=target,
        created_by_id=ctx.require_viewer().user_id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.db.add(annonce)
    audit.record(
        ctx,
        event_id=event.id,
        action="annonce.create",
        subject=("Annonce", annonce),
        after=audit.snapshot(annonce, ANNONCE_FIELDS),
    )
    news.publish(ctx.db, "annonces", event.id)
    ctx.commit()
    return annonce


def update_annonce(
    ctx: Context,
    *,
    annonce_id: int,
    title: str | None = None,
    description: str | None = None,
    target: AnnonceTarget | None = None,
) -> models.Annonce:
    """Change what is given (only the author may: the operation's @allow)."""
    annonce = visible_in_event(ctx, models.Annonce, annonce_id, "annonce")
    before = audit.snapshot(annonce, ANNONCE_FIELDS)
    if title is not None:
        annonce.title = required_text(title, "The title", 200)
    if description is not None:
        annonce.description = required_text(description, "The description", MAX_DESCRIPTION)
    if target is not None:
        annonce.target = target
    annonce.updated_at = ctx.now
    audit.record(
        ctx,
        event_id=annonce.event_id,
        action="annonce.update",
        subject=("Annonce", annonce),
        before=before,
        after=audit.snapshot(annonce, ANNONCE_FIELDS),
    )
    ctx.commit()
    return annonce


def delete_annonce(ctx: Context, *, annonce_id: int) -> bool:
    annonce = visible_in_event(ctx, models.Annonce, annonce_id, "annonce")
    audit.record(
        ctx,
        event_id=annonce.event_id,
        action="annonce.delete",
        subject=("Annonce", annonce),
        before=audit.snapshot(annonce, ANNONCE_FIELDS),
    )
    ctx.db.delete(annonce)
    ctx.commit()
    return True
