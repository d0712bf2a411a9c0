"""Questions in the room through the API: asking, answering, upvoting, the list, who sees authors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

import models
from models import PaymentStatus, Role, SessionKind, SessionStatus
from tests.conftest import error_codes
from tests.factories import gid
from tests.live_server import live_server  # noqa: F401  (fixture)

ASK = """mutation($s: ID!, $text: String!) {
  askQuestion(sessionId: $s, text: $text) {
    id text askedAt isAnswered answer upvotes upvotedByMe session { id } author { id }
  }
}"""
ANSWER = """mutation($q: ID!, $a: String!) {
  answerQuestion(questionId: $q, answer: $a) { id isAnswered answer answeredAt answeredBy { id } }
}"""
UPVOTE = """mutation($q: ID!) { upvoteQuestion(questionId: $q) { id upvotes upvotedByMe } }"""
LIST = """query($s: ID!, $answered: Boolean, $first: Int, $after: String) {
  session(id: $s) {
    questions(answered: $answered, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id text upvotes isAnswered upvotedByMe } }
    }
  }
}"""
AUTHORS = """query($s: ID!) {
  session(id: $s) { questions { edges { node { id author { id } } } } }
}"""


@dataclass
class Hall:
    event: models.Event
    organizer: models.User
    room: models.Room
    other_room: models.Room
    conference: models.EventSession
    atelier: models.EventSession
    gestionnaire_here: models.Member
    gestionnaire_away: models.Member
    controller: models.Member
    alice: models.Member
    bob: models.Member


@pytest.fixture
def hall(factory) -> Hall:
    organizer = factory.user()
    event = factory.event(president=organizer)
    room = factory.room(event, name="Salle 3")
    other_room = factory.room(event, name="Salle 4")
    hall = Hall(
        event=event,
        organizer=organizer,
        room=room,
        other_room=other_room,
        conference=factory.session(room, title="Keynote", status=SessionStatus.EN_COURS),
        atelier=factory.session(
            room,
            title="Atelier payant",
            kind=SessionKind.ATELIER,
            price=Decimal("30"),
            starts_at=factory.now + timedelta(hours=2),
        ),
        gestionnaire_here=factory.member(event, Role.GESTIONNAIRE_DES_SALLES),
        gestionnaire_away=factory.member(event, Role.GESTIONNAIRE_DES_SALLES),
        controller=factory.member(event, Role.CONTROLLEUR_DES_BADGES),
        alice=factory.member(event, Role.PARTICIPANT),
        bob=factory.member(event, Role.PARTICIPANT),
    )
    factory.assignment(hall.gestionnaire_here, room)
    factory.assignment(hall.gestionnaire_away, other_room)
    factory.assignment(hall.controller, room)
    return hall


def tok(factory, db, member: models.Member) -> str:
    return factory.token(db.get(models.User, member.user_id))


def questions_in(db, session: models.EventSession) -> list[models.Question]:
    db.expire_all()
    stmt = (
        select(models.Question)
        .where(models.Question.session_id == session.id)
        .order_by(models.Question.id)
    )
    return list(db.exec(stmt))


# --- askQuestion -------------------------------------------------------------------------------


def test_a_participant_asks_a_question(gql, factory, db, hall):
    # when
    data = gql.ok(
        ASK,
        {"s": gid("Session", hall.conference), "text": "  Les slides seront-elles en ligne ?\n"},
        tok(factory, db, hall.alice),
    )["askQuestion"]
    # then
    assert data["text"] == "Les slides seront-elles en ligne ?"
    assert data["isAnswered"] is False
    assert data["answer"] is None
    assert data["upvotes"] == 0
    assert data["upvotedByMe"] is False
    assert data["session"]["id"] == gid("Session", hall.conference)
    assert data["author"]["id"] == gid("Member", hall.alice)
    [row] = questions_in(db, hall.conference)
    assert row.text == "Les slides seront-elles en ligne ?"
    assert row.author_id == hall.alice.id
    assert row.event_id == hall.event.id
    assert data["id"] == gid("Question", row)


def test_a_paid_atelier_takes_questions_only_from_those_who_paid(gql, factory, db, hall):
    factory.access(hall.atelier, hall.bob, PaymentStatus.PAID)
    factory.access(hall.atelier, hall.alice, PaymentStatus.PENDING)
    variables = {"s": gid("Session", hall.atelier), "text": "Faut-il un ordinateur ?"}
    # a participant who has not paid, and a controller with no access: refused
    for member in (hall.alice, hall.controller):
        body = gql(ASK, variables, tok(factory, db, member))
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"] is None
    assert questions_in(db, hall.atelier) == []
    # the participant who paid asks
    gql.ok(ASK, variables, tok(factory, db, hall.bob))
    assert [q.author_id for q in questions_in(db, hall.atelier)] == [hall.bob.id]


@pytest.mark.parametrize(
    ("_case", "text", "message"),
    [
        ("empty", "", "The question cannot be empty."),
        ("blank", "   \n\t ", "The question cannot be empty."),
        ("too long", "x" * 1001, "The question is too long (1001 characters; at most 1000)."),
    ],
)
def test_question_text_must_be_meaningful_and_bounded(gql, factory, db, hall, _case, text, message):
    body = gql(
        ASK, {"s": gid("Session", hall.conference), "text": text}, tok(factory, db, hall.alice)
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == message
    assert questions_in(db, hall.conference) == []


def test_a_question_of_exactly_the_limit_is_accepted(gql, factory, db, hall):
    text = "y" * 1000
    gql.ok(
        ASK,
        {"s": gid("Session", hall.conference), "text": f" {text} "},
        tok(factory, db, hall.alice),
    )
    assert [q.text for q in questions_in(db, hall.conference)] == [text]


def test_a_finished_session_takes_no_more_questions(gql, factory, db, hall):
    ended = factory.session(hall.other_room, title="Table ronde", status=SessionStatus.TERMINE)
    body = gql(
        ASK, {"s": gid("Session", ended), "text": "Encore une ?"}, tok(factory, db, hall.alice)
    )
    assert error_codes(body) == ["CONFLICT"]
    assert (
        body["errors"][0]["message"]
        == "Table ronde has ended (TERMINE): it takes no more questions."
    )
    assert questions_in(db, ended) == []


@pytest.mark.parametrize(
    ("_case", "who", "code"),
    [
        ("anonymous", None, "UNAUTHENTICATED"),
        ("member of another event", "stranger", "NOT_FOUND"),
        ("the organizer, who is no member", "organizer", "FORBIDDEN"),
    ],
)
def test_ask_question_refused_outside_the_audience(gql, factory, db, hall, _case, who, code):
    if who == "stranger":
        token = tok(factory, db, factory.member(factory.event(), Role.PARTICIPANT))
    elif who == "organizer":
        token = factory.token(hall.organizer)
    else:
        token = None
    body = gql(ASK, {"s": gid("Session", hall.conference), "text": "Bonjour ?"}, token)
    assert error_codes(body) == [code]
    assert questions_in(db, hall.conference) == []


# --- answerQuestion ----------------------------------------------------------------------------


def test_the_gestionnaire_of_the_room_answers_then_edits(gql, factory, db, hall):
    # given
    question = factory.question(hall.conference, hall.alice, "Les slides ?")
    token = tok(factory, db, hall.gestionnaire_here)
    gestionnaire_user = gid("User", db.get(models.User, hall.gestionnaire_here.user_id))
    # when
    first = gql.ok(ANSWER, {"q": gid("Question", question), "a": " Oui, ce soir. "}, token)[
        "answerQuestion"
    ]
    # then
    assert first["isAnswered"] is True
    assert first["answer"] == "Oui, ce soir."
    assert first["answeredBy"]["id"] == gestionnaire_user
    [row] = questions_in(db, hall.conference)
    assert (row.answer, row.answered_by_id) == ("Oui, ce soir.", hall.gestionnaire_here.user_id)
    answered_at = row.answered_at
    assert answered_at is not None
    # when: answering again edits the answer, and the organizer may do it too
    gql.ok(
        ANSWER,
        {"q": gid("Question", question), "a": "Oui, demain matin."},
        factory.token(hall.organizer),
    )
    [row] = questions_in(db, hall.conference)
    assert row.answer == "Oui, demain matin."
    assert row.answered_by_id == hall.organizer.id
    assert row.answered_at >= answered_at


@pytest.mark.parametrize("who", ["gestionnaire_away", "controller", "alice"])
def test_answer_refused_to_others(gql, factory, db, hall, who):
    question = factory.question(hall.conference, hall.alice)
    body = gql(
        ANSWER, {"q": gid("Question", question), "a": "Non."}, tok(factory, db, getattr(hall, who))
    )
    assert error_codes(body) == ["FORBIDDEN"]
    [row] = questions_in(db, hall.conference)
    assert (row.answer, row.answered_by_id, row.answered_at) == (None, None, None)


def test_an_empty_answer_is_refused(gql, factory, db, hall):
    question = factory.question(hall.conference, hall.alice)
    body = gql(ANSWER, {"q": gid("Question", question), "a": "  "}, factory.token(hall.organizer))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "The answer cannot be empty."
    assert questions_in(db, hall.conference)[0].answer is None


# --- upvoteQuestion ----------------------------------------------------------------------------


def test_upvotes_count_once_per_member(gql, factory, db, hall):
    question = factory.question(hall.conference, hall.alice)
    variables = {"q": gid("Question", question)}
    bob = tok(factory, db, hall.bob)
    # when: bob upvotes twice, the controller once
    first = gql.ok(UPVOTE, variables, bob)["upvoteQuestion"]
    second = gql.ok(UPVOTE, variables, bob)["upvoteQuestion"]
    third = gql.ok(UPVOTE, variables, tok(factory, db, hall.controller))["upvoteQuestion"]
    # then
    assert (first["upvotes"], first["upvotedByMe"]) == (1, True)
    assert (second["upvotes"], second["upvotedByMe"]) == (1, True)
    assert third["upvotes"] == 2
    [row] = questions_in(db, hall.conference)
    assert row.upvotes == 2
    voters = db.exec(
        select(models.QuestionUpvote.member_id).where(
            models.QuestionUpvote.question_id == question.id
        )
    ).all()
    assert sorted(voters) == sorted([hall.bob.id, hall.controller.id])
    listed = gql.ok(LIST, {"s": gid("Session", hall.conference)}, tok(factory, db, hall.alice))
    assert listed["session"]["questions"]["edges"][0]["node"]["upvotedByMe"] is False


def test_parallel_upvotes_of_one_member_count_once(factory, db, hall, live_server):  # noqa: F811
    # given
    question = factory.question(hall.conference, hall.alice)
    token = tok(factory, db, hall.bob)

    def upvote(_: int) -> dict:
        with httpx.Client(timeout=30) as client:
            response = client.post(
                live_server,
                json={"query": UPVOTE, "variables": {"q": gid("Question", question)}},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        return response.json()

    # when: the same member's phone retries eight times at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(upvote, range(8)))

    # then: no error, one upvote
    assert [b.get("errors") for b in bodies] == [None] * 8
    assert {b["data"]["upvoteQuestion"]["upvotes"] for b in bodies} == {1}
    assert questions_in(db, hall.conference)[0].upvotes == 1
    assert len(db.exec(select(models.QuestionUpvote)).all()) == 1


def test_upvote_needs_access_to_the_session(gql, factory, db, hall):
    factory.access(hall.atelier, hall.bob, PaymentStatus.PAID)
    question = factory.question(hall.atelier, hall.bob)
    body = gql(UPVOTE, {"q": gid("Question", question)}, tok(factory, db, hall.alice))
    assert error_codes(body) == ["FORBIDDEN"]
    assert questions_in(db, hall.atelier)[0].upvotes == 0
    body = gql(UPVOTE, {"q": gid("Question", question)}, factory.token(hall.organizer))
    assert error_codes(body) == ["FORBIDDEN"]
    assert db.exec(select(models.QuestionUpvote)).all() == []


# --- Session.questions -------------------------------------------------------------------------


def test_questions_unanswered_first_then_by_upvotes_then_oldest(gql, factory, db, hall):
    # given
    now = factory.now
    made = {}
    for name, minutes_ago, upvotes, answered in [
        ("old, 1 vote", 50, 1, False),
        ("new, 3 votes", 10, 3, False),
        ("older, 3 votes", 40, 3, False),
        ("answered, 9 votes", 30, 9, True),
        ("newest, 0 votes", 5, 0, False),
        ("answered, 0 votes", 45, 0, True),
    ]:
        q = factory.question(hall.conference, hall.alice, name)
        q.asked_at = now - timedelta(minutes=minutes_ago)
        q.upvotes = upvotes
        if answered:
            q.answer, q.answered_at = "Oui.", now
        db.add(q)
        db.commit()
        made[name] = q
    token = tok(factory, db, hall.bob)
    expected = [
        "older, 3 votes",
        "new, 3 votes",
        "old, 1 vote",
        "newest, 0 votes",
        "answered, 9 votes",
        "answered, 0 votes",
    ]
    # when: one page at a time, two by two
    seen, after = [], None
    while True:
        page = gql.ok(
            LIST, {"s": gid("Session", hall.conference), "first": 2, "after": after}, token
        )["session"]["questions"]
        assert page["totalCount"] == 6
        seen += [e["node"]["text"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert seen == expected
    unanswered = gql.ok(LIST, {"s": gid("Session", hall.conference), "answered": False}, token)
    assert [e["node"]["text"] for e in unanswered["session"]["questions"]["edges"]] == expected[:4]
    assert unanswered["session"]["questions"]["totalCount"] == 4
    answered = gql.ok(LIST, {"s": gid("Session", hall.conference), "answered": True}, token)
    assert [e["node"]["text"] for e in answered["session"]["questions"]["edges"]] == expected[4:]


def test_a_cursor_from_elsewhere_is_refused(gql, factory, db, hall):
    body = gql(
        LIST, {"s": gid("Session", hall.conference), "after": "bm9wZQ"}, tok(factory, db, hall.bob)
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


def test_questions_of_a_paid_atelier_hidden_from_those_without_access(gql, factory, db, hall):
    factory.access(hall.atelier, hall.bob, PaymentStatus.PAID)
    factory.question(hall.atelier, hall.bob)
    variables = {"s": gid("Session", hall.atelier)}
    for member in (hall.alice, hall.controller):
        body = gql(LIST, variables, tok(factory, db, member))
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"]["session"]["questions"] is None
    for token in (
        tok(factory, db, hall.bob),
        tok(factory, db, hall.gestionnaire_away),
        factory.token(hall.organizer),
    ):
        assert gql.ok(LIST, variables, token)["session"]["questions"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("_case", "viewer", "sees_authors_of"),
    [
        ("the author sees only its own", "alice", {"alice"}),
        ("another author sees only its own", "bob", {"bob"}),
        ("a participant who asked nothing sees none", "carol", set()),
        ("a controller sees none", "controller", set()),
        ("a gestionnaire sees all", "gestionnaire_away", {"alice", "bob"}),
        ("the organizer sees all", "organizer", {"alice", "bob"}),
    ],
)
def test_authors_are_shown_to_staff_and_to_the_author_only(
    gql, factory, db, hall, _case, viewer, sees_authors_of
):
    # given
    mine = factory.question(hall.conference, hall.alice, "Alice demande")
    theirs = factory.question(hall.conference, hall.bob, "Bob demande")
    if viewer == "organizer":
        token = factory.token(hall.organizer)
    elif viewer == "carol":
        token = tok(factory, db, factory.member(hall.event, Role.PARTICIPANT))
    else:
        token = tok(factory, db, getattr(hall, viewer))
    # when
    body = gql(AUTHORS, {"s": gid("Session", hall.conference)}, token)
    # then
    authors = {
        e["node"]["id"]: e["node"]["author"] for e in body["data"]["session"]["questions"]["edges"]
    }
    for name, question in (("alice", mine), ("bob", theirs)):
        author = authors[gid("Question", question)]
        if name in sees_authors_of:
            assert author == {"id": gid("Member", getattr(hall, name))}
        else:
            assert author is None
    forbidden = [e for e in body.get("errors", []) if e["extensions"]["code"] == "FORBIDDEN"]
    assert len(forbidden) == 2 - len(sees_authors_of)
    assert all(e["path"][-1] == "author" for e in forbidden)


def test_question_list_costs_the_same_statements_for_5_or_50(
    gql, factory, db, hall, count_statements
):
    query = """query($s: ID!) { session(id: $s) { questions(first: 100) { totalCount edges { node {
      id text upvotes upvotedByMe isAnswered author { fullName } answeredBy { fullName } session { title room { name } }
    } } } } }"""
    token = factory.token(hall.organizer)
    factory.member(hall.event, Role.PARTICIPANT, user=hall.organizer)  # so upvotedByMe has a member

    def cost(n: int) -> int:
        while len(questions_in(db, hall.conference)) < n:
            q = factory.question(hall.conference, hall.alice if n % 2 else hall.bob)
            q.answer, q.answered_by_id, q.answered_at = "Oui.", hall.organizer.id, factory.now
            db.add(q)
            db.commit()
        with count_statements() as statements:
            data = gql.ok(query, {"s": gid("Session", hall.conference)}, token)
        assert len(data["session"]["questions"]["edges"]) == n
        return len(statements)

    assert cost(5) == cost(50)
