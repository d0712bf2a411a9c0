"""Questions asked during a session: asking, answering, moderating, upvoting (the `Question`
type and its list are in `schema/types.py`)."""

from __future__ import annotations

import strawberry

from kernel.ids import decode
from permissions import allowed, subjects
from permissions.rules import (
    ADMIN,
    GESTIONNAIRE_HERE,
    MEMBER_WITH_ACCESS,
    ORGANIZER,
)
from resolvers import questions
from schema.enums import QuestionModeration
from schema.info import Info
from schema.types import Question


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
