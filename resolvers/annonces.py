"""Annonces: what each viewer reads, and (later) writing them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import models
from models import AnnonceTarget, Role

if TYPE_CHECKING:
    from app.context import Context


def targets_for(ctx: Context, event_id: int) -> set[AnnonceTarget] | None:
    """The targets the viewer reads in this event; None means all of them (organizer, admin)."""
    viewer = ctx.require_viewer()
    if viewer.is_admin or viewer.presides(event_id):
        return None
    role = viewer.role_in(event_id)
    if role is None:
        return set()
    if role == Role.GESTIONNAIRE_DES_SALLES:
        # Gestionnaires run the event with the president and see every annonce.
        return None
    return {AnnonceTarget.ALL, models.enums.TARGET_OF_ROLE[role]}


def list_for_viewer(ctx: Context, event: models.Event) -> list[models.Annonce]:
    """Annonces targeted at the viewer's role, newest first."""
    assert event.id is not None
    annonces = ctx.loaders.annonces_by_event_id.load(event.id)
    targets = targets_for(ctx, event.id)
    return annonces if targets is None else [a for a in annonces if a.target in targets]
