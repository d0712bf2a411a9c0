"""Questions in the room: members ask, staff of the room answer and moderate, members upvote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, case, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

import models
from resolvers import audit, news
from resolvers.errors import ConflictError
from resolvers.id_sets import among
from resolvers.lookup import get_question
from resolvers.pagination import (
    Page,
    SortKey,
    decode_cursor,
    encode_cursor,
    page_size,
    paginate,
)
from resolvers.text import required_text
from resolvers.visibility import visible_in_event

if TYPE_CHECKING:
    from app.context import Context

MAX_QUESTION = 1000
MAX_ANSWER = 5000

Q = models.Question
# 0 for pinned, 1 for the others: pinned questions come first.
PINNED = case((col(Q.is_pinned), 0), else_=1)
# 0 for unanswered, 1 for answered: the next sort key of Session.questions.
ANSWERED = case((col(Q.answered_at).is_(None), 0), else_=1)
ORDER = [
    SortKey(PINNED),
    SortKey(ANSWERED),
    SortKey(col(Q.upvotes), descending=True),
    SortKey(col(Q.asked_at), is_datetime=True),
    SortKey(col(Q.id)),
]


def _key_of(q: models.Question) -> list[object]:
    return [0 if q.is_pinned else 1, 0 if q.answered_at is None else 1, q.upvotes, q.asked_at, q.id]


# What each moderation sets, and the audit action it writes.
MODERATIONS = {
    models.QuestionModeration.HIDE: ("is_hidden", True, "question.hide"),
    models.QuestionModeration.UNHIDE: ("is_hidden", False, "question.unhide"),
    models.QuestionModeration.PIN: ("is_pinned", True, "question.pin"),
    models.QuestionModeration.UNPIN: ("is_pinned", False, "question.unpin"),
}


def session_of(ctx: Context, question: models.Question) -> models.EventSession:
    session = ctx.loaders.session_by_id.load(question.session_id)
    assert session is not None  # the foreign key cascades deletes
    return session


def ask_question(
    ctx: Context, *, session_id: int, text: str, anonymous: bool = False
) -> models.Question:
    """A member with access to the session asks, under its name or anonymously; refused once
    the session has ended."""
    session = visible_in_event(ctx, models.EventSession, session_id, "session")
    body = required_text(text, "The question", MAX_QUESTION)
    if session.status == models.SessionStatus.TERMINE:
        raise ConflictError(f"{session.title} has ended (TERMINE): it takes no more questions.")
    member = ctx.require_viewer().member_in(session.event_id)
    assert member is not None
    assert member.id is not None
    question = Q(
        event_id=session.event_id,
        session_id=session_id,
        author_id=member.id,
        text=body,
        asked_at=ctx.now,
        is_anonymous=anonymous,
    )
    ctx.db.add(question)
    news.publish(ctx.db, "session", session_id)
    ctx.commit()
    return question


def answer_question(ctx: Context, *, question_id: int, answer: str) -> models.Question:
    """Set (or edit) the answer, recording who answered and when."""
    question = get_question(ctx, question_id=question_id)
    question.answer = required_text(answer, "The answer", MAX_ANSWER)
    question.answered_by_id = ctx.require_viewer().user_id
    question.answered_at = ctx.now
    news.publish(ctx.db, "session", question.session_id)
    ctx.commit()
    return question


def moderate_question(
    ctx: Context, *, question_id: int, action: models.QuestionModeration
) -> models.Question:
    """Hide, show, pin or unpin a question; doing what is already done changes nothing."""
    question = get_question(ctx, question_id=question_id)
    column, value, verb = MODERATIONS[action]
    if getattr(question, column) != value:
        audit.record(
            ctx,
            event_id=question.event_id,
            action=verb,
            subject=("Question", question),
            before={column: not value},
            after={column: value},
        )
        setattr(question, column, value)
        question.moderated_at = ctx.now
        news.publish(ctx.db, "session", question.session_id)
        ctx.commit()
    return question


def upvote_question(ctx: Context, *, question_id: int) -> models.Question:
    """Count the viewer's upvote once; a second upvote changes nothing and is no error."""
    question = get_question(ctx, question_id=question_id)
    member = ctx.require_viewer().member_in(question.event_id)
    assert member is not None
    assert member.id is not None
    if ctx.db.get(models.QuestionUpvote, (question.id, member.id)) is None:
        ctx.db.add(models.QuestionUpvote(question_id=question.id, member_id=member.id))
        try:
            ctx.db.flush()
        except IntegrityError:
            # A concurrent request of the same member counted it first; nothing else was written.
            ctx.db.rollback()
        else:
            ctx.db.execute(
                update(Q).where(col(Q.id) == question.id).values(upvotes=col(Q.upvotes) + 1)
            )
            news.publish(ctx.db, "session", question.session_id)
            ctx.commit()
    ctx.db.refresh(question)
    return question


def _filters(answered: bool | None, include_hidden: bool) -> list[ColumnElement[bool]]:
    found = [] if include_hidden else [col(Q.is_hidden).is_(False)]
    if answered is not None:
        found.append(col(Q.answered_at).is_not(None) if answered else col(Q.answered_at).is_(None))
    return found


def list_questions(
    ctx: Context,
    session: models.EventSession,
    *,
    answered: bool | None,
    include_hidden: bool,
    first: int | None,
    after: str | None,
) -> Page[models.Question]:
    """Pinned first, then unanswered, then most upvoted, then oldest (ties by id); hidden ones
    only for moderators (`include_hidden`)."""
    stmt = select(Q).where(Q.session_id == session.id, *_filters(answered, include_hidden))
    return paginate(ctx.db, stmt, keys=ORDER, key_of=_key_of, first=first, after=after)


def check_page(first: int | None, after: str | None) -> None:
    """Refuse a bad `first` or a foreign cursor, whichever parts of the page are read."""
    page_size(first)
    if after is not None:
        decode_cursor(after, ORDER)


def count_by_session(
    db: Session, session_ids: list[int], answered: bool | None, include_hidden: bool
) -> dict[int, int]:
    """How many questions each session has (of one answered state): one GROUP BY."""
    stmt = (
        select(Q.session_id, func.count())
        .where(among(col(Q.session_id), session_ids), *_filters(answered, include_hidden))
        .group_by(col(Q.session_id))
    )
    return dict(db.exec(stmt).all())  # type: ignore[arg-type]


def first_pages(
    db: Session,
    session_ids: list[int],
    answered: bool | None,
    include_hidden: bool,
    first: int | None,
) -> dict[int, tuple[list[models.Question], list[str], bool]]:
    """The first page of each session's questions in one statement (rows ranked per session):
    the items, their cursors, and whether more follow."""
    size = page_size(first)
    rank = (
        func.row_number()
        .over(
            partition_by=col(Q.session_id),
            order_by=[k.column.desc() if k.descending else k.column.asc() for k in ORDER],
        )
        .label("rank")
    )
    ranked = (
        select(col(Q.id).label("id"), rank)
        .where(among(col(Q.session_id), session_ids), *_filters(answered, include_hidden))
        .subquery()
    )
    stmt = (
        select(Q)
        .join(ranked, ranked.c.id == Q.id)
        .where(ranked.c.rank <= size + 1)
        .order_by(col(Q.session_id), ranked.c.rank)
    )
    rows: dict[int, list[models.Question]] = {}
    for q in db.exec(stmt):
        rows.setdefault(q.session_id, []).append(q)
    return {
        sid: (items[:size], [encode_cursor(_key_of(q)) for q in items[:size]], len(items) > size)
        for sid, items in rows.items()
    }
