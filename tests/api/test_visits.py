"""scanVisitor and updateVisitNote: exposant leads, double scans, refused badges, and the email
an exposant may read only after scanning that participant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

import models
from models import Role
from resolvers.badges import new_code
from tests.conftest import error_codes
from tests.factories import gid

SCAN_VISITOR = """mutation($e: ID!, $code: String!, $note: String) {
  scanVisitor(eventId: $e, code: $code, note: $note) {
    id note scannedAt participant { id fullName email }
  }
}"""
UPDATE_NOTE = """mutation($v: ID!, $note: String!) { updateVisitNote(visitId: $v, note: $note) { id note } }"""
MEMBER_EMAIL = """query($id: ID!) { node(id: $id) { ... on Member { email } } }"""


@pytest.fixture
def stand(factory):
    event = factory.event()
    exposant = factory.member(event, Role.EXPOSANT, company="ACME")
    participant = factory.member(event, Role.PARTICIPANT)
    token = factory.token(factory.db.get(models.User, exposant.user_id))
    return event, exposant, participant, token


def _visits(db) -> list[models.Visit]:
    db.expire_all()
    return list(db.exec(select(models.Visit).order_by(col(models.Visit.id))))


def _scan_visitor(gql, event, code, token, note=None):
    return gql(SCAN_VISITOR, {"e": gid("Event", event), "code": code, "note": note}, token)


def test_exposant_records_a_visit_with_a_note(gql, factory, db, stand):
    # given
    event, exposant, participant, token = stand
    user = db.get(models.User, participant.user_id)
    # when
    body = _scan_visitor(gql, event, factory.badge(participant).code, token, note="Wants a demo")
    # then
    assert "errors" not in body
    visit = body["data"]["scanVisitor"]
    assert visit["note"] == "Wants a demo"
    assert visit["participant"] == {
        "id": gid("Member", participant),
        "fullName": user.full_name,
        "email": user.email,
    }
    [row] = _visits(db)
    assert visit["id"] == gid("Visit", row)
    assert (row.exposant_id, row.participant_id, row.event_id, row.note) == (
        exposant.id,
        participant.id,
        event.id,
        "Wants a demo",
    )


def test_email_is_readable_only_after_scanning(gql, factory, db, stand):
    # given
    event, _exposant, participant, token = stand
    other = factory.member(event, Role.EXPOSANT)
    other_token = factory.token(db.get(models.User, other.user_id))
    email = db.get(models.User, participant.user_id).email
    member_id = {"id": gid("Member", participant)}
    # when: before the scan
    before = gql(MEMBER_EMAIL, member_id, token)
    _scan_visitor(gql, event, factory.badge(participant).code, token)
    after = gql(MEMBER_EMAIL, member_id, token)
    stranger = gql(MEMBER_EMAIL, member_id, other_token)
    # then
    # Until its scan no list shows an exposant the participant: as if absent, email and all.
    assert before["data"]["node"] is None
    assert error_codes(before) == ["NOT_FOUND"]
    assert after == {"data": {"node": {"email": email}}}
    assert stranger["data"]["node"] is None
    assert error_codes(stranger) == ["NOT_FOUND"]


def test_same_participant_within_a_minute_is_the_same_visit(gql, factory, db, stand):
    event, _exposant, participant, token = stand
    code = factory.badge(participant).code
    first = _scan_visitor(gql, event, code, token, note="first")["data"]["scanVisitor"]
    again = _scan_visitor(gql, event, code, token, note="again")["data"]["scanVisitor"]
    # The same visit; the second scan's note is appended, not dropped (issue 14).
    assert {k: v for k, v in again.items() if k != "note"} == {
        k: v for k, v in first.items() if k != "note"
    }
    assert again["note"] == "first\nagain"
    [row] = _visits(db)
    assert row.note == "first\nagain"


def test_same_participant_after_a_minute_is_a_new_visit(gql, factory, db, stand):
    event, exposant, participant, token = stand
    old = factory.visit(exposant, participant, scanned_at=models.utcnow() - timedelta(seconds=61))
    visit = _scan_visitor(gql, event, factory.badge(participant).code, token)["data"]["scanVisitor"]
    assert visit["id"] != gid("Visit", old)
    assert len(_visits(db)) == 2


def _revoked(factory, event, participant):
    badge = factory.badge(participant)
    badge.revoked_at = models.utcnow()
    factory._save(badge)
    return badge.code


def _superseded(factory, event, participant):
    old = factory.badge(participant).code
    factory._save(models.Badge(member_id=participant.id, code=new_code()))
    return old


def _other_event(factory, event, participant):
    return factory.badge(factory.member(factory.event(), Role.PARTICIPANT)).code


def _staff(factory, event, participant):
    return factory.badge(factory.member(event, Role.CONTROLLEUR_DES_BADGES)).code


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        pytest.param(lambda *_: "AGB-nobody", "NOT_FOUND", "No badge has this code.", id="unknown"),
        pytest.param(
            _revoked,
            "BAD_USER_INPUT",
            "This badge was revoked: ask the participant for the badge they hold now.",
            id="revoked",
        ),
        pytest.param(
            _superseded,
            "BAD_USER_INPUT",
            "This badge was revoked: ask the participant for the badge they hold now.",
            id="superseded",
        ),
        pytest.param(
            _other_event, "BAD_USER_INPUT", "This badge is for another event.", id="other_event"
        ),
        pytest.param(
            _staff,
            "BAD_USER_INPUT",
            "Only participants' badges are scanned at a stand.",
            id="staff",
        ),
    ],
)
def test_badge_that_makes_no_lead_is_refused(gql, factory, db, stand, make, code, message):
    # given
    event, _exposant, participant, token = stand
    badge_code = make(factory, event, participant)
    # when
    body = _scan_visitor(gql, event, badge_code, token)
    # then
    assert error_codes(body) == [code]
    assert body["errors"][0]["message"] == message
    assert body["data"] is None
    assert _visits(db) == []


@pytest.mark.parametrize(
    "role", [Role.PARTICIPANT, Role.CONTROLLEUR_DES_BADGES, Role.GESTIONNAIRE_DES_SALLES]
)
def test_only_exposants_scan_visitors(gql, factory, db, stand, role):
    event, _exposant, participant, _token = stand
    other = factory.member(event, role)
    body = _scan_visitor(
        gql,
        event,
        factory.badge(participant).code,
        factory.token(db.get(models.User, other.user_id)),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert _visits(db) == []


def test_exposant_of_another_event_cannot_scan_here(gql, factory, db, stand):
    event, _exposant, participant, _token = stand
    elsewhere = factory.member(factory.event(), Role.EXPOSANT)
    body = _scan_visitor(
        gql,
        event,
        factory.badge(participant).code,
        factory.token(db.get(models.User, elsewhere.user_id)),
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert _visits(db) == []


def test_exposant_updates_its_own_visit_note(gql, factory, db, stand):
    _event, exposant, participant, token = stand
    visit = factory.visit(exposant, participant, note="old")
    data = gql.ok(UPDATE_NOTE, {"v": gid("Visit", visit), "note": "Call back Monday"}, token)
    assert data["updateVisitNote"] == {"id": gid("Visit", visit), "note": "Call back Monday"}
    assert _visits(db)[0].note == "Call back Monday"


def test_another_exposant_cannot_update_the_note(gql, factory, db, stand):
    event, exposant, participant, _token = stand
    visit = factory.visit(exposant, participant, note="old")
    other = factory.member(event, Role.EXPOSANT)
    body = gql(
        UPDATE_NOTE,
        {"v": gid("Visit", visit), "note": "mine now"},
        factory.token(db.get(models.User, other.user_id)),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert _visits(db)[0].note == "old"


def test_over_long_note_is_bad_input(gql, factory, db, stand):
    _event, exposant, participant, token = stand
    visit = factory.visit(exposant, participant, note="old")
    body = gql(UPDATE_NOTE, {"v": gid("Visit", visit), "note": "x" * 2001}, token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert _visits(db)[0].note == "old"
