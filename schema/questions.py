"""Questions asked during a session (the `Question` type and its pages): asking, answering,
moderating, upvoting."""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from kernel.ids import decode, encode
from permissions import Subject, allowed, subjects
from permissions.rules import (
    ADMIN,
    EVENT_STAFF,
    GESTIONNAIRE_HERE,
    MEMBER_AUTHOR,
    MEMBER_WITH_ACCESS,
    ORGANIZER,
)
from resolvers import questions
from schema.enums import QuestionModeration
from schema.fields import field
from schema.info import Info
from schema.loading import maybe
from schema.members import Member
from schema.node import Node, PageInfo
from schema.sessions import Session
from schema.users import User, event_user


@strawberry.type(description="A question asked during a session, with its answer and upvotes.")
class Question(Node):
    text: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    upvotes: int
    is_hidden: bool = strawberry.field(
        description="Hidden by a moderator: then only moderators (ADMIN, ORGANIZER, the room's gestionnaire) see it at all."
    )
    is_pinned: bool = strawberry.field(description="Pinned by a moderator: listed first.")
    is_anonymous: bool = strawberry.field(
        description="Asked anonymously: `author` is shown to ADMIN and ORGANIZER only."
    )
    model: strawberry.Private[models.Question]
    session_model: strawberry.Private[models.EventSession]

    @classmethod
    def from_model(cls, q: models.Question, session: models.EventSession) -> Question:
        assert q.id is not None
        return cls(
            id=strawberry.ID(encode("Question", q.id)),
            text=q.text,
            asked_at=q.asked_at,
            answer=q.answer,
            answered_at=q.answered_at,
            upvotes=q.upvotes,
            is_hidden=q.is_hidden,
            is_pinned=q.is_pinned,
            is_anonymous=q.is_anonymous,
            model=q,
            session_model=session,
        )

    @classmethod
    def load(cls, info: Info, q: models.Question) -> Question:
        return cls.from_model(q, questions.session_of(info.context, q))

    def subject(self) -> Subject:
        return subjects.question_subject(self.model, self.session_model)

    @strawberry.field
    def session(self) -> Session:
        return Session.from_model(self.session_model)

    @strawberry.field
    def is_answered(self) -> bool:
        return self.model.answered_at is not None

    @allowed(
        *EVENT_STAFF,
        MEMBER_AUTHOR,
        subject=lambda _ctx, q, _kwargs: subjects.question_author_subject(q.model, q.session_model),
        description="Who asked: shown to staff and to the author only; for an anonymous question, to ADMIN and ORGANIZER only.",
    )
    def author(self, info: Info) -> Member | None:
        return maybe(info.context.loaders.member_by_id, self.model.author_id, Member.from_model)

    @field(description="Who wrote the answer (the last one to edit it).")
    def answered_by(self, info: Info) -> User | None:
        return event_user(info, self.model.answered_by_id, self.model.event_id)

    @field(description="True when the viewer has upvoted it.")
    def upvoted_by_me(self, info: Info) -> bool:
        member = info.context.require_viewer().member_in(self.model.event_id)
        if member is None or member.id is None or self.model.id is None:
            return False
        return info.context.loaders.upvoted_by_member(member.id).load(self.model.id)


@strawberry.type
class QuestionEdge:
    cursor: str
    node: Question


@strawberry.type(
    description="A page of questions: pinned first, then unanswered, then most upvoted, then oldest. Hidden questions are left out, except for moderators."
)
class QuestionConnection:
    """Each part is read when asked for, batched across the sessions of the answer: a
    programme asking `questions { totalCount }` under 400 sessions runs one GROUP BY."""

    session_model: strawberry.Private[models.EventSession]
    answered: strawberry.Private[bool | None]
    first: strawberry.Private[int | None]
    after: strawberry.Private[str | None]
    _page: strawberry.Private[list[tuple[list[models.Question], list[str], bool]]]

    @classmethod
    def for_session(
        cls,
        session: models.EventSession,
        answered: bool | None,
        first: int | None,
        after: str | None,
    ) -> QuestionConnection:
        questions.check_page(first, after)
        return cls(session_model=session, answered=answered, first=first, after=after, _page=[])

    def _rows(self, info: Info) -> tuple[list[models.Question], list[str], bool]:
        if not self._page:
            session_id = self.session_model.id
            assert session_id is not None
            hidden = subjects.sees_hidden_questions(info.context, self.session_model)
            if self.after is None:
                loader = info.context.loaders.first_questions_by_session_id(
                    self.answered, hidden, self.first
                )
                self._page.append(loader.load(session_id))
            else:
                page = questions.list_questions(
                    info.context,
                    self.session_model,
                    answered=self.answered,
                    include_hidden=hidden,
                    first=self.first,
                    after=self.after,
                )
                self._page.append((page.items, page.cursors, page.has_next))
        return self._page[0]

    @strawberry.field
    def page_info(self, info: Info) -> PageInfo:
        _, cursors, has_next = self._rows(info)
        return PageInfo(
            has_next_page=has_next,
            has_previous_page=self.after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )

    @strawberry.field
    def edges(self, info: Info) -> list[QuestionEdge]:
        items, cursors, _ = self._rows(info)
        return [
            QuestionEdge(cursor=c, node=Question.from_model(q, self.session_model))
            for c, q in zip(cursors, items, strict=True)
        ]

    @strawberry.field
    def total_count(self, info: Info) -> int:
        assert self.session_model.id is not None
        hidden = subjects.sees_hidden_questions(info.context, self.session_model)
        loader = info.context.loaders.question_count_by_session_id(self.answered, hidden)
        return loader.load(self.session_model.id)


@strawberry.type
class QuestionMutation:
    @allowed(
        MEMBER_WITH_ACCESS,
        subject=subjects.SESSION_ID_ARG,
        description="Ask a question in a session the viewer may attend (at most 1000 characters; not once the session is TERMINE). With `anonymous`, only ADMIN and ORGANIZER see who asked.",
    )
    def ask_question(
        self,
        info: Info,
        session_id: strawberry.ID,
        text: str,
        anonymous: bool | None = False,
    ) -> Question:
        q = questions.ask_question(
            info.context,
            session_id=decode("Session", session_id),
            text=text,
            anonymous=bool(anonymous),
        )
        return Question.load(info, q)

    @allowed(
        ADMIN,
        ORGANIZER,
        GESTIONNAIRE_HERE,
        subject=subjects.QUESTION_ARG,
        description="Answer a question, or edit the answer; records who answered and when.",
    )
    def answer_question(self, info: Info, question_id: strawberry.ID, answer: str) -> Question:
        q = questions.answer_question(
            info.context, question_id=decode("Question", question_id), answer=answer
        )
        return Question.load(info, q)

    @allowed(
        ADMIN,
        ORGANIZER,
        GESTIONNAIRE_HERE,
        subject=subjects.QUESTION_ID_ARG,
        description="Hide a question from participants or show it again, pin it first or unpin it; written to the audit log. Doing what is already done changes nothing.",
    )
    def moderate_question(
        self, info: Info, id: strawberry.ID, action: QuestionModeration
    ) -> Question | None:
        q = questions.moderate_question(
            info.context, question_id=decode("Question", id), action=action
        )
        return Question.load(info, q)

    @allowed(
        MEMBER_WITH_ACCESS,
        subject=subjects.QUESTION_ARG,
        description="Upvote a question once; upvoting again changes nothing.",
    )
    def upvote_question(self, info: Info, question_id: strawberry.ID) -> Question:
        q = questions.upvote_question(info.context, question_id=decode("Question", question_id))
        return Question.load(info, q)
