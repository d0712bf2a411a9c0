"""moderateQuestion (hide, unhide, pin, unpin) and anonymous questions, through the API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session

import models
from models import Role, SessionStatus
from tests.conftest import error_codes
from tests.factories import Factory, gid
from tests.live_client import LiveClient
from tests.live_data import post, token_of

MODERATE = """mutation($q: ID!, $a: QuestionModeration!) {
  moderateQuestion(id: $q, action: $a) { id isHidden isPinned }
}"""
LIST = """query($s: ID!, $answered: Boolean, $first: Int, $after: String) {
  session(id: $s) {
    questions(answered: $answered, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id text isHidden isPinned } }
    }
  }
}"""
NODE = """query($id: ID!) { node(id: $id) { ... on Question { id text isHidden } } }"""
ASK = """mutation($s: ID!, $t: String!, $anon: Boolean) {
  askQuestion(sessionId: $s, text: $t, anonymous: $anon) { id isAnonymous }
}"""
AUTHOR = """query($id: ID!) { node(id: $id) { ... on Question { isAnonymous author { id } } } }"""
UPVOTE = """mutation($q: ID!) { upvoteQuestion(questionId: $q) { upvotes } }"""
LOG = """query($id: ID!) {
  event(id: $id) { auditLog { edges { node { action subjectId before after actor { id } } } } }
}"""


@dataclass
class Hall:
    event: models.Event
    president: models.User
    admin: models.User
    room: models.Room
    talk: models.EventSession
    gestionnaire_here: models.Member
    gestionnaire_away: models.Member
    alice: models.Member
    bob: models.Member
    first: models.Question
    second: models.Question
    third: models.Question


@pytest.fixture
def hall(factory: Factory) -> Hall:
    president = factory.user(name="Claire")
    event = factory.event(president=president)
    room = factory.room(event, name="Salle 3")
    other = factory.room(event, name="Salle 4")
    talk = factory.session(room, title="Keynote", status=SessionStatus.EN_COURS)
    here = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    away = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    factory.assignment(here, room)
    factory.assignment(away, other)
    alice = factory.member(event, Role.PARTICIPANT)
    bob = factory.member(event, Role.PARTICIPANT)
    return Hall(
        event=event,
        president=president,
        admin=factory.user(admin=True),
        room=room,
        talk=talk,
        gestionnaire_here=here,
        gestionnaire_away=away,
        alice=alice,
        bob=bob,
        first=factory.question(talk, alice, "Première ?"),
        second=factory.question(talk, bob, "Deuxième ?"),
        third=factory.question(talk, alice, "Troisième ?"),
    )


def _token(factory: Factory, db: Session, hall: Hall, who: str) -> str:
    if who == "admin":
        return factory.token(hall.admin)
    if who == "president":
        return factory.token(hall.president)
    return token_of(factory, db, getattr(hall, who))


def _texts(gql, token: str, hall: Hall, **variables) -> tuple[int, list[str]]:
    data = gql.ok(LIST, {"s": gid("Session", hall.talk), **variables}, token)
    page = data["session"]["questions"]
    return page["totalCount"], [e["node"]["text"] for e in page["edges"]]


def _moderate(gql, token: str, question: models.Question, action: str) -> dict:
    return gql(MODERATE, {"q": gid("Question", question), "a": action}, token)


@pytest.mark.parametrize("who", ["admin", "president", "gestionnaire_here"])
def test_moderators_hide_and_pin(gql, factory, db, hall, who):
    token = _token(factory, db, hall, who)
    hidden = _moderate(gql, token, hall.second, "HIDE")
    assert hidden["data"]["moderateQuestion"] == {
        "id": gid("Question", hall.second),
        "isHidden": True,
        "isPinned": False,
    }
    pinned = _moderate(gql, token, hall.third, "PIN")
    assert pinned["data"]["moderateQuestion"]["isPinned"] is True
    db.expire_all()
    assert db.get(models.Question, hall.second.id).is_hidden is True
    assert db.get(models.Question, hall.third.id).is_pinned is True


@pytest.mark.parametrize("who", ["gestionnaire_away", "alice"])
def test_others_cannot_moderate(gql, factory, db, hall, who):
    body = _moderate(gql, _token(factory, db, hall, who), hall.second, "HIDE")
    assert error_codes(body) == ["FORBIDDEN"]
    db.expire_all()
    assert db.get(models.Question, hall.second.id).is_hidden is False


def test_a_hidden_question_is_gone_for_participants_only(gql, factory, db, hall):
    moderator = factory.token(hall.president)
    _moderate(gql, moderator, hall.second, "HIDE")
    alice = token_of(factory, db, hall.alice)
    # Lists and counts, with or without the answered filter.
    assert _texts(gql, alice, hall) == (2, ["Première ?", "Troisième ?"])
    assert _texts(gql, alice, hall, answered=False)[0] == 2
    assert _texts(gql, alice, hall, first=1)[0] == 2
    # By id, and for an upvote: as if it did not exist.
    node = gql(NODE, {"id": gid("Question", hall.second)}, alice)
    assert error_codes(node) == ["NOT_FOUND"]
    upvote = gql(UPVOTE, {"q": gid("Question", hall.second)}, alice)
    assert error_codes(upvote) == ["NOT_FOUND"]
    # Moderators still see it, marked.
    for who in ("admin", "president", "gestionnaire_here"):
        token = _token(factory, db, hall, who)
        assert _texts(gql, token, hall)[0] == 3
        data = gql.ok(NODE, {"id": gid("Question", hall.second)}, token)
        assert data["node"]["isHidden"] is True
    # Unhidden, it is back for everyone.
    _moderate(gql, moderator, hall.second, "UNHIDE")
    assert _texts(gql, alice, hall)[0] == 3


def test_pinned_questions_come_first_and_pages_follow(gql, factory, db, hall):
    moderator = factory.token(hall.president)
    _moderate(gql, moderator, hall.third, "PIN")
    alice = token_of(factory, db, hall.alice)
    assert _texts(gql, alice, hall)[1] == ["Troisième ?", "Première ?", "Deuxième ?"]
    data = gql.ok(LIST, {"s": gid("Session", hall.talk), "first": 1}, alice)
    page = data["session"]["questions"]
    assert [e["node"]["text"] for e in page["edges"]] == ["Troisième ?"]
    rest = gql.ok(
        LIST,
        {"s": gid("Session", hall.talk), "first": 5, "after": page["pageInfo"]["endCursor"]},
        alice,
    )["session"]["questions"]
    assert [e["node"]["text"] for e in rest["edges"]] == ["Première ?", "Deuxième ?"]
    _moderate(gql, moderator, hall.third, "UNPIN")
    assert _texts(gql, alice, hall)[1] == ["Première ?", "Deuxième ?", "Troisième ?"]


def test_moderation_is_audited_once_per_change(gql, factory, db, hall):
    token = token_of(factory, db, hall.gestionnaire_here)
    _moderate(gql, token, hall.second, "HIDE")
    _moderate(gql, token, hall.second, "HIDE")  # already hidden: nothing changes
    _moderate(gql, token, hall.third, "PIN")
    _moderate(gql, token, hall.third, "UNPIN")
    _moderate(gql, token, hall.second, "UNHIDE")
    data = gql.ok(LOG, {"id": gid("Event", hall.event)}, factory.token(hall.president))
    found = [e["node"] for e in data["event"]["auditLog"]["edges"]]
    user = gid("User", db.get(models.User, hall.gestionnaire_here.user_id))
    assert [(e["action"], e["subjectId"], e["before"], e["after"]) for e in found] == [
        (
            "question.unhide",
            gid("Question", hall.second),
            {"is_hidden": True},
            {"is_hidden": False},
        ),
        ("question.unpin", gid("Question", hall.third), {"is_pinned": True}, {"is_pinned": False}),
        ("question.pin", gid("Question", hall.third), {"is_pinned": False}, {"is_pinned": True}),
        ("question.hide", gid("Question", hall.second), {"is_hidden": False}, {"is_hidden": True}),
    ]
    assert {e["actor"]["id"] for e in found} == {user}


def test_refused_and_unknown_moderation_change_nothing(gql, factory, db, hall):
    alice = token_of(factory, db, hall.alice)
    assert error_codes(_moderate(gql, alice, hall.first, "PIN")) == ["FORBIDDEN"]
    moderator = factory.token(hall.president)
    body = gql(MODERATE, {"q": gid("Room", hall.room), "a": "PIN"}, moderator)
    assert error_codes(body) == ["NOT_FOUND"]
    body = gql(MODERATE, {"q": gid("Question", hall.first), "a": "DELETE"}, moderator)
    assert body["errors"]
    assert "DELETE" in body["errors"][0]["message"]
    data = gql.ok(LOG, {"id": gid("Event", hall.event)}, moderator)
    assert data["event"]["auditLog"]["edges"] == []
    db.expire_all()
    assert db.get(models.Question, hall.first.id).is_pinned is False


def test_anonymous_author_is_known_to_admin_and_organizer_only(gql, factory, db, hall):
    alice = token_of(factory, db, hall.alice)
    asked = gql.ok(ASK, {"s": gid("Session", hall.talk), "t": "Anonyme ?", "anon": True}, alice)
    question = asked["askQuestion"]["id"]
    assert asked["askQuestion"]["isAnonymous"] is True
    for who in ("admin", "president"):
        data = gql.ok(AUTHOR, {"id": question}, _token(factory, db, hall, who))
        assert data["node"] == {"isAnonymous": True, "author": {"id": gid("Member", hall.alice)}}
    for who in ("gestionnaire_here", "gestionnaire_away", "alice", "bob"):
        body = gql(AUTHOR, {"id": question}, _token(factory, db, hall, who))
        assert error_codes(body) == ["FORBIDDEN"], who
        assert body["data"]["node"] == {"isAnonymous": True, "author": None}


def test_a_named_question_keeps_its_author_rules(gql, factory, db, hall):
    alice = token_of(factory, db, hall.alice)
    asked = gql.ok(ASK, {"s": gid("Session", hall.talk), "t": "Signée ?"}, alice)
    question = asked["askQuestion"]["id"]
    assert asked["askQuestion"]["isAnonymous"] is False
    for who in ("president", "gestionnaire_away", "alice"):
        data = gql.ok(AUTHOR, {"id": question}, _token(factory, db, hall, who))
        assert data["node"]["author"] == {"id": gid("Member", hall.alice)}
    body = gql(AUTHOR, {"id": question}, token_of(factory, db, hall.bob))
    assert error_codes(body) == ["FORBIDDEN"]


def test_anonymous_authors_in_a_list_cost_no_extra_statement(
    gql, factory, db, hall, count_statements
):
    query = (
        """query($s: ID!) { session(id: $s) { questions { edges { node { author { id } } } } } }"""
    )
    president = factory.token(hall.president)
    with count_statements() as few:
        gql.ok(query, {"s": gid("Session", hall.talk)}, president)
    for i in range(8):
        q = factory.question(hall.talk, hall.bob, f"Q{i}")
        q.is_anonymous = i % 2 == 0
        db.add(q)
    db.commit()
    with count_statements() as many:
        gql.ok(query, {"s": gid("Session", hall.talk)}, president)
    assert len(many) == len(few)


# --- live pushes -------------------------------------------------------------------------

QUESTIONS = "subscription($id: ID!) { questionUpdates(sessionId: $id) { text isHidden isPinned } }"


def test_moderation_is_pushed_and_hidden_questions_only_to_moderators(
    live_server, factory, db, door
):
    # given: a question, a participant and the president (a moderator) subscribed
    guest = token_of(factory, db, door.guest)
    session = gid("Session", door.talk)
    asked = post(live_server, ASK, {"s": session, "t": "Visible ?"}, guest)
    q = asked["askQuestion"]["id"]
    with LiveClient(live_server) as member, LiveClient(live_server) as moderator:
        member.init(guest)
        moderator.init(door.organizer)
        m = member.subscribe(QUESTIONS, {"id": session})
        o = moderator.subscribe(QUESTIONS, {"id": session})
        time.sleep(0.5)
        # when: pinned, then hidden
        post(live_server, MODERATE, {"q": q, "a": "PIN"}, door.organizer)
        pinned = {"text": "Visible ?", "isHidden": False, "isPinned": True}
        assert member.data(m)["questionUpdates"] == pinned
        assert moderator.data(o)["questionUpdates"] == pinned
        post(live_server, MODERATE, {"q": q, "a": "HIDE"}, door.organizer)
        # then: the moderator sees it hidden; the participant hears nothing of it
        assert moderator.data(o)["questionUpdates"] == {**pinned, "isHidden": True}
        member.nothing_for(m, 0.7)
        # and a new question still reaches the participant
        post(live_server, ASK, {"s": session, "t": "Autre ?"}, guest)
        assert member.data(m)["questionUpdates"]["text"] == "Autre ?"


def test_the_session_ended_questions_stay_moderatable(gql, factory, db, hall):
    hall.talk.status = SessionStatus.TERMINE
    hall.talk.ends_at = factory.now - timedelta(minutes=1)
    hall.talk.starts_at = factory.now - timedelta(hours=1)
    db.add(hall.talk)
    db.commit()
    body = _moderate(gql, factory.token(hall.president), hall.first, "HIDE")
    assert body["data"]["moderateQuestion"]["isHidden"] is True
