"""Exposant visits: an exposant scans a participant's badge at its stand, with a note (a lead)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

import models
from models import Role
from resolvers.errors import BadUserInputError, ForbiddenError, NotFoundError
from resolvers.scanning import find_badge
from resolvers.visibility import visible_in_event

if TYPE_CHECKING:
    from app.context import Context

# A participant scanned again this soon is the same visit (a double scan), not a new lead.
REVISIT_WINDOW = timedelta(seconds=60)
MAX_NOTE = 2000


def _check_note(note: str) -> str:
    if len(note) > MAX_NOTE:
        raise BadUserInputError(f"A note holds at most {MAX_NOTE} characters.")
    return note


def scan_visitor(ctx: Context, *, event_id: int, code: str, note: str) -> models.Visit:
    """Record the visit of the participant whose badge the exposant scanned."""
    viewer = ctx.require_viewer()
    exposant = viewer.member_in(event_id)
    if exposant is None or exposant.role != Role.EXPOSANT:
        raise ForbiddenError("Only exposants of this event scan visitors.")
    _check_note(note)
    match = find_badge(ctx, code.strip())
    if match is None:
        raise NotFoundError("No badge has this code.")
    if not match.is_current:
        raise BadUserInputError(
            "This badge was revoked: ask the participant for the badge they hold now."
        )
    participant = match.member
    if participant.event_id != event_id:
        raise BadUserInputError("This badge is for another event.")
    if participant.role != Role.PARTICIPANT:
        raise BadUserInputError("Only participants' badges are scanned at a stand.")
    # One exposant's scans of one participant are decided one at a time (PostgreSQL row lock),
    # so a double scan from two devices still makes one visit.
    ctx.db.exec(
        select(models.Member.id)
        .where(models.Member.id == exposant.id)
        .with_for_update(key_share=True)
    )
    V = models.Visit
    recent = ctx.db.exec(
        select(V)
        .where(
            V.exposant_id == exposant.id,
            V.participant_id == participant.id,
            col(V.scanned_at) > ctx.now - REVISIT_WINDOW,
        )
        .order_by(col(V.scanned_at).desc())
        .limit(1)
    ).first()
    if recent is not None:
        ctx.commit()
        return recent
    assert exposant.id is not None
    assert participant.id is not None
    visit = models.Visit(
        event_id=event_id,
        exposant_id=exposant.id,
        participant_id=participant.id,
        scanned_at=ctx.now,
        note=note,
    )
    ctx.db.add(visit)
    ctx.commit()
    ctx.loaders.member_by_id.prime(participant.id, participant)
    return visit


def set_contact_sharing(ctx: Context, *, event_id: int, share: bool) -> models.Member:
    """The participant says whether exposants who scan its badge may read its email."""
    mine = ctx.require_viewer().member_in(event_id)
    assert mine is not None, "the @allow rule admits only participants of the event"
    member = ctx.db.get(models.Member, mine.id)
    assert member is not None
    member.shares_contact = share
    ctx.db.add(member)
    ctx.commit()
    return member


def update_visit_note(ctx: Context, *, visit_id: int, note: str) -> models.Visit:
    """Replace the note of one of the exposant's visits."""
    visit = visible_in_event(ctx, models.Visit, visit_id, "visit")
    visit.note = _check_note(note)
    ctx.db.add(visit)
    ctx.commit()
    return visit
