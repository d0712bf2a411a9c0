"""Exposant visits: an exposant scans a participant's badge at its stand, with a note (a lead)."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Final, Literal

from sqlalchemy import delete
from sqlmodel import col, select

import models
from kernel.errors import BadUserInputError, NotFoundError
from models import Role
from resolvers.context import Context
from resolvers.scanning import check_presented_code, find_badge
from resolvers.visibility import visible_in_event

# A participant scanned again this soon is the same visit (a double scan), not a new lead.
REVISIT_WINDOW = timedelta(seconds=60)
MAX_NOTE = 2000
MAX_TAGS = 10
MAX_TAG = 40
RATINGS = range(1, 6)


class _Unchanged(Enum):
    UNCHANGED = "UNCHANGED"


# An updateVisit field left out of the input: the visit keeps what it has.
UNCHANGED: Final = _Unchanged.UNCHANGED
Keep = Literal[_Unchanged.UNCHANGED]


def _check_note(note: str) -> str:
    if len(note) > MAX_NOTE:
        raise BadUserInputError(f"A note holds at most {MAX_NOTE} characters.")
    return note


def scan_visitor(ctx: Context, *, event_id: int, code: str, note: str) -> models.Visit:
    """Record the visit of the participant whose badge the exposant scanned."""
    exposant = ctx.require_viewer().member_in(event_id)
    assert exposant is not None, "the @allow rule admits only exposants of the event"
    _check_note(note)
    check_presented_code(code)
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
        # The double scan's note is the exposant's second thought on the same lead: kept after
        # the first, once (a retried request carries the same note again).
        if note and not _ends_with(recent.note, note):
            recent.note = _check_note(f"{recent.note}\n{note}" if recent.note else note)
            ctx.db.add(recent)
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


def _ends_with(existing: str, note: str) -> bool:
    return existing == note or existing.endswith(f"\n{note}")


def normalise_tags(tags: list[str]) -> list[str]:
    """Tags trimmed and lowercased, duplicates dropped, in alphabetical order (as they are read)."""
    cleaned = {t.strip().lower() for t in tags}
    if "" in cleaned:
        raise BadUserInputError("A tag must not be empty.")
    if any(ord(c) < 32 or ord(c) == 127 for t in cleaned for c in t):
        raise BadUserInputError("A tag is one line of text, without control characters.")
    too_long = sorted(t for t in cleaned if len(t) > MAX_TAG)
    if too_long:
        raise BadUserInputError(
            f"A tag holds at most {MAX_TAG} characters: {too_long[0][:MAX_TAG]}… is too long."
        )
    if len(cleaned) > MAX_TAGS:
        raise BadUserInputError(f"A visit holds at most {MAX_TAGS} tags ({len(cleaned)} given).")
    return sorted(cleaned)


def update_visit(
    ctx: Context,
    *,
    visit_id: int,
    note: str | None | Keep = UNCHANGED,
    rating: int | None | Keep = UNCHANGED,
    tags: list[str] | None | Keep = UNCHANGED,
) -> models.Visit:
    """Qualify one of the exposant's visits: note, rating and tags; a field left out is kept,
    a null one cleared. Everything is checked before anything is written."""
    visit = visible_in_event(ctx, models.Visit, visit_id, "visit")
    if note is not UNCHANGED:
        note = _check_note(note or "")
    if rating is not UNCHANGED and rating is not None and rating not in RATINGS:
        raise BadUserInputError(f"A rating runs from 1 to 5 ({rating} given).")
    if tags is not UNCHANGED:
        tags = normalise_tags(tags or [])
    if note is not UNCHANGED:
        visit.note = note
    if rating is not UNCHANGED:
        visit.rating = rating
    if tags is not UNCHANGED:
        T = models.VisitTag
        ctx.db.execute(delete(T).where(col(T.visit_id) == visit.id))
        assert visit.id is not None
        ctx.db.add_all(T(visit_id=visit.id, tag=t) for t in tags)
        ctx.loaders.tags_by_visit_id.prime(visit.id, tags)
    ctx.db.add(visit)
    ctx.commit()
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
