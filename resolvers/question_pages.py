"""The order of a session's questions, and its pages: pinned first, then unanswered, then most
upvoted, then oldest (ties by id). One session's page is `questions.list_questions`; the first
pages of many sessions at once, and their counts, are read here for the loaders."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

import models
from resolvers.id_sets import among
from resolvers.pagination import SortKey, encode_cursor, page_size

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


def key_of(q: models.Question) -> list[object]:
    return [0 if q.is_pinned else 1, 0 if q.answered_at is None else 1, q.upvotes, q.asked_at, q.id]


def filters(answered: bool | None, include_hidden: bool) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [] if include_hidden else [col(Q.is_hidden).is_(False)]
    if answered is not None:
        found.append(col(Q.answered_at).is_not(None) if answered else col(Q.answered_at).is_(None))
    return found


def count_by_session(
    db: Session, session_ids: list[int], answered: bool | None, include_hidden: bool
) -> dict[int, int]:
    """How many questions each session has (of one answered state): one GROUP BY."""
    stmt = (
        select(Q.session_id, func.count())
        .where(among(col(Q.session_id), session_ids), *filters(answered, include_hidden))
        .group_by(col(Q.session_id))
    )
    return dict(db.exec(stmt).all())


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
        .where(among(col(Q.session_id), session_ids), *filters(answered, include_hidden))
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
        sid: (items[:size], [encode_cursor(key_of(q)) for q in items[:size]], len(items) > size)
        for sid, items in rows.items()
    }
