"""updateVisit (note, rating, tags), a rescan's note kept, exposantStats.byTag and the leads
CSV's rating and tags columns."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import col, select

import models
from models import Role
from tests.conftest import error_codes
from tests.factories import gid

UPDATE = """mutation($id: ID!, $input: VisitInput!) {
  updateVisit(id: $id, input: $input) { id note rating tags }
}"""
SCAN_VISITOR = """mutation($e: ID!, $code: String!, $note: String) {
  scanVisitor(eventId: $e, code: $code, note: $note) { id note }
}"""
STATS = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  totalVisits byTag { tag count } csvUrl
  visits { edges { node { id rating tags } } }
} } } }"""


@pytest.fixture
def stand(factory):
    event = factory.event()
    exposant = factory.member(event, Role.EXPOSANT, company="ACME")
    participant = factory.member(event, Role.PARTICIPANT)
    visit = factory.visit(exposant, participant, note="first talk")
    token = factory.token(factory.db.get(models.User, exposant.user_id))
    return event, exposant, participant, visit, token


def _row(db, visit) -> tuple[str, int | None, list[str]]:
    db.expire_all()
    row = db.get(models.Visit, visit.id)
    tags = db.exec(
        select(models.VisitTag.tag)
        .where(models.VisitTag.visit_id == visit.id)
        .order_by(col(models.VisitTag.tag))
    ).all()
    return row.note, row.rating, list(tags)


def _update(gql, visit, token, **input_):
    return gql(UPDATE, {"id": gid("Visit", visit), "input": input_}, token)


def test_exposant_rates_and_tags_a_lead_normalised(gql, db, stand):
    # given
    _, _, _, visit, token = stand
    # when
    body = _update(gql, visit, token, rating=4, tags=["  Hot ", "hot", "Budget 2027", "demo"])
    # then: trimmed, lowercase, once each, alphabetical; the note is kept
    assert "errors" not in body
    assert body["data"]["updateVisit"] == {
        "id": gid("Visit", visit),
        "note": "first talk",
        "rating": 4,
        "tags": ["budget 2027", "demo", "hot"],
    }
    assert _row(db, visit) == ("first talk", 4, ["budget 2027", "demo", "hot"])


def test_absent_fields_stay_and_null_clears(gql, db, stand):
    _, _, _, visit, token = stand
    _update(gql, visit, token, rating=5, tags=["a", "b"])
    # a field left out keeps its value
    kept = _update(gql, visit, token, note="call monday")["data"]["updateVisit"]
    assert (kept["note"], kept["rating"], kept["tags"]) == ("call monday", 5, ["a", "b"])
    # null clears each
    cleared = _update(gql, visit, token, note=None, rating=None, tags=None)["data"]["updateVisit"]
    assert (cleared["note"], cleared["rating"], cleared["tags"]) == ("", None, [])
    assert _row(db, visit) == ("", None, [])


@pytest.mark.parametrize(
    ("input_", "message", "_case"),
    [
        ({"rating": 0}, "A rating runs from 1 to 5", "rating too low"),
        ({"rating": 6}, "A rating runs from 1 to 5", "rating too high"),
        ({"tags": [f"t{i}" for i in range(11)]}, "at most 10 tags", "too many tags"),
        ({"tags": ["ok", "   "]}, "must not be empty", "empty tag"),
        ({"tags": ["x" * 41]}, "at most 40 characters", "tag too long"),
        ({"tags": ["two\nlines"]}, "without control characters", "control character"),
        ({"note": "n" * 2001, "rating": 3}, "at most 2000 characters", "note too long"),
        ({"rating": 2, "tags": ["fine"] + [""]}, "must not be empty", "good and bad together"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(gql, db, stand, input_, message, _case):
    _, _, _, visit, token = stand
    _update(gql, visit, token, rating=1, tags=["before"])
    body = _update(gql, visit, token, **input_)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]
    assert body["data"]["updateVisit"] is None
    assert _row(db, visit) == ("first talk", 1, ["before"])


def test_ten_distinct_tags_after_dedupe_are_accepted(gql, stand):
    _, _, _, visit, token = stand
    tags = [f"T{i}" for i in range(10)] + [f" t{i}" for i in range(10)]
    body = _update(gql, visit, token, tags=tags)
    assert body["data"]["updateVisit"]["tags"] == sorted(f"t{i}" for i in range(10))


def test_only_the_exposant_who_made_the_visit_updates_it(gql, factory, db, stand):
    event, _, participant, visit, _ = stand
    other = factory.member(event, Role.EXPOSANT)
    for token in (
        factory.token(factory.db.get(models.User, other.user_id)),
        factory.token(factory.db.get(models.User, participant.user_id)),
    ):
        body = _update(gql, visit, token, rating=5, tags=["mine"])
        assert error_codes(body) == ["FORBIDDEN"]
    assert _row(db, visit) == ("first talk", None, [])


def test_a_rescan_within_60_seconds_appends_its_note_once(gql, factory, db):
    # given: a visit just recorded with a note
    event = factory.event()
    exposant = factory.member(event, Role.EXPOSANT)
    participant = factory.member(event, Role.PARTICIPANT)
    token = factory.token(factory.db.get(models.User, exposant.user_id))
    code = factory.badge(participant).code
    variables = {"e": gid("Event", event), "code": code}
    first = gql.ok(SCAN_VISITOR, {**variables, "note": "wants a demo"}, token)["scanVisitor"]
    # when: scanned again at once, with another note, then the same request retried
    again = gql.ok(SCAN_VISITOR, {**variables, "note": "budget in June"}, token)["scanVisitor"]
    retried = gql.ok(SCAN_VISITOR, {**variables, "note": "budget in June"}, token)["scanVisitor"]
    silent = gql.ok(SCAN_VISITOR, {**variables, "note": ""}, token)["scanVisitor"]
    # then: one visit, both notes, the retry not doubled, an empty note changing nothing
    assert again["id"] == retried["id"] == silent["id"] == first["id"]
    assert silent["note"] == "wants a demo\nbudget in June"
    db.expire_all()
    [row] = db.exec(select(models.Visit)).all()
    assert row.note == "wants a demo\nbudget in June"


def test_rescan_note_that_would_overflow_is_refused(gql, factory, db):
    event = factory.event()
    exposant = factory.member(event, Role.EXPOSANT)
    participant = factory.member(event, Role.PARTICIPANT)
    visit = factory.visit(exposant, participant, note="n" * 1990)
    token = factory.token(factory.db.get(models.User, exposant.user_id))
    body = gql(
        SCAN_VISITOR,
        {"e": gid("Event", event), "code": factory.badge(participant).code, "note": "x" * 20},
        token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    db.expire_all()
    assert db.get(models.Visit, visit.id).note == "n" * 1990


def test_by_tag_counts_visits_and_the_csv_carries_rating_and_tags(gql, client, factory, db):
    # given: three visits, two tagged "hot", one "demo" too, one untagged
    event = factory.event()
    exposant = factory.member(event, Role.EXPOSANT)
    other = factory.member(event, Role.EXPOSANT)
    people = [factory.member(event, Role.PARTICIPANT) for _ in range(3)]
    now = models.utcnow()
    visits = [
        factory.visit(exposant, p, scanned_at=now - timedelta(minutes=10 - i))
        for i, p in enumerate(people)
    ]
    theirs = factory.visit(other, people[0])
    token = factory.token(factory.db.get(models.User, exposant.user_id))
    _update(gql, visits[0], token, rating=5, tags=["hot", "demo"])
    _update(gql, visits[1], token, rating=2, tags=["Hot"])
    other_token = factory.token(factory.db.get(models.User, other.user_id))
    _update(gql, theirs, other_token, tags=["hot", "elsewhere"])
    # when
    stats = gql.ok(STATS, {"id": gid("Member", exposant)}, token)["node"]["exposantStats"]
    # then: only this exposant's visits, most used first
    assert stats["byTag"] == [{"tag": "hot", "count": 2}, {"tag": "demo", "count": 1}]
    assert [(e["node"]["rating"], e["node"]["tags"]) for e in stats["visits"]["edges"]] == [
        (None, []),
        (2, ["hot"]),
        (5, ["demo", "hot"]),
    ]
    response = client.get(stats["csvUrl"], headers={"Authorization": f"Bearer {token}"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["scanned_at", "full_name", "email", "company", "note", "rating", "tags"]
    assert [(r[5], r[6]) for r in rows[1:]] == [("", ""), ("2", "hot"), ("5", "demo; hot")]


def test_by_tag_is_empty_without_tags(gql, stand):
    _, exposant, _, _, token = stand
    stats = gql.ok(STATS, {"id": gid("Member", exposant)}, token)["node"]["exposantStats"]
    assert stats["byTag"] == []
    assert stats["visits"]["edges"][0]["node"]["tags"] == []
