"""Questions in the room: members ask, staff of the room answer and moderate, members upvote."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

import models
from kernel.errors import ConflictError
from resolvers import audit, news, question_pages
from resolvers.context import Context
from resolvers.lookup import get_question
from resolvers.pagination import (
    Page,
    decode_cursor,
    page_size,
    paginate,
)
from resolvers.text import required_text
from resolvers.visibility import visible_in_event

MAX_QUESTION = 1000
MAX_ANSWER = 5000

Q = models.Question

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
    assert question.id is not None
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
    stmt = select(Q).where(
        Q.session_id == session.id, *question_pages.filters(answered, include_hidden)
    )
    return paginate(
        ctx.db,
        stmt,
        keys=question_pages.ORDER,
        key_of=question_pages.key_of,
        first=first,
        after=after,
    )


def check_page(first: int | None, after: str | None) -> None:
    """Refuse a bad `first` or a foreign cursor, whichever parts of the page are read."""
    page_size(first)
    if after is not None:
        decode_cursor(after, question_pages.ORDER)
