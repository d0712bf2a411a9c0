"""setContactSharing and Member.sharesContact: a participant who does not share its contact
stays a lead (name, company, counted in the stats) without its email, on every path an exposant
reads: the scanVisitor answer, the visit list, the member and its user, and the leads CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

import models
from models import Role
from tests.conftest import error_codes
from tests.factories import gid

SET_SHARING = """mutation($e: ID!, $share: Boolean!) {
  setContactSharing(eventId: $e, share: $share) { id sharesContact }
}"""
SCAN_VISITOR = """mutation($e: ID!, $code: String!) {
  scanVisitor(eventId: $e, code: $code) { id participant { fullName company email } }
}"""
STATS = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  totalVisits uniqueVisitors csvUrl
  visits { edges { node { participant {
    id fullName company email sharesContact user { fullName email }
  } } } }
} } } }"""
MEMBER = """query($id: ID!) { node(id: $id) { ... on Member {
  fullName company email sharesContact user { email } } } }"""


@pytest.fixture
def stand(factory):
    """An exposant who scanned Ada (who will say no) and Bob (who keeps sharing)."""
    president = factory.user()
    event = factory.event(president=president)
    exposant = factory.member(event, Role.EXPOSANT, company="Stand A")
    ada = factory.member(
        event,
        Role.PARTICIPANT,
        user=factory.user(name="Ada", email="ada@example.org"),
        company="Analytical",
    )
    bob = factory.member(
        event, Role.PARTICIPANT, user=factory.user(name="Bob", email="bob@example.org")
    )
    factory.visit(exposant, ada)
    factory.visit(exposant, bob, scanned_at=models.utcnow() - timedelta(minutes=5))
    return event, president, exposant, ada, bob


def _token(factory, member):
    return factory.token(factory.db.get(models.User, member.user_id))


def _stop_sharing(gql, factory, event, member) -> dict:
    return gql.ok(SET_SHARING, {"e": gid("Event", event), "share": False}, _token(factory, member))


def test_participant_stops_and_resumes_sharing_its_contact(gql, factory, db, stand):
    # given
    event, _, _, ada, _ = stand
    assert gql.ok(MEMBER, {"id": gid("Member", ada)}, _token(factory, ada))["node"]["sharesContact"]
    # when
    answer = _stop_sharing(gql, factory, event, ada)["setContactSharing"]
    # then
    assert answer == {"id": gid("Member", ada), "sharesContact": False}
    db.expire_all()
    assert db.get(models.Member, ada.id).shares_contact is False
    # and back
    again = gql.ok(SET_SHARING, {"e": gid("Event", event), "share": True}, _token(factory, ada))
    assert again["setContactSharing"]["sharesContact"] is True
    db.expire_all()
    assert db.get(models.Member, ada.id).shares_contact is True


@pytest.mark.parametrize("_case", ["exposant", "president", "outsider"])
def test_only_a_participant_of_the_event_sets_its_sharing(gql, factory, db, stand, _case):
    event, president, exposant, ada, _ = stand
    token = {
        "exposant": _token(factory, exposant),
        "president": factory.token(president),
        "outsider": factory.token(factory.user()),
    }[_case]
    body = gql(SET_SHARING, {"e": gid("Event", event), "share": False}, token)
    assert error_codes(body) == (["NOT_FOUND"] if _case == "outsider" else ["FORBIDDEN"])
    db.expire_all()
    assert db.get(models.Member, ada.id).shares_contact is True
    assert db.get(models.Member, exposant.id).shares_contact is True


def test_exposant_stats_keep_the_lead_without_its_email(gql, factory, stand):
    # given
    event, _, exposant, ada, _ = stand
    _stop_sharing(gql, factory, event, ada)
    # when
    body = gql(STATS, {"id": gid("Member", exposant)}, _token(factory, exposant))
    # then: both visits count; Ada's name and company are there, her email is not
    stats = body["data"]["node"]["exposantStats"]
    assert (stats["totalVisits"], stats["uniqueVisitors"]) == (2, 2)
    people = {
        e["node"]["participant"]["fullName"]: e["node"]["participant"]
        for e in stats["visits"]["edges"]
    }
    assert people["Ada"]["company"] == "Analytical"
    assert people["Ada"]["sharesContact"] is False
    assert people["Ada"]["email"] is None
    assert people["Ada"]["user"] == {"fullName": "Ada", "email": None}
    assert people["Bob"]["email"] == "bob@example.org"
    assert people["Bob"]["user"]["email"] == "bob@example.org"
    refused = {tuple(e["path"][-2:]) for e in body["errors"]}
    assert refused == {("participant", "email"), ("user", "email")}
    assert set(error_codes(body)) == {"FORBIDDEN"}


def test_member_read_directly_hides_the_email_from_the_exposant_only(gql, factory, stand):
    event, president, exposant, ada, _ = stand
    _stop_sharing(gql, factory, event, ada)
    as_exposant = gql(MEMBER, {"id": gid("Member", ada)}, _token(factory, exposant))
    assert as_exposant["data"]["node"]["fullName"] == "Ada"
    assert as_exposant["data"]["node"]["email"] is None
    assert as_exposant["data"]["node"]["user"] == {"email": None}
    # the organizer and the participant itself still read it
    for token in (factory.token(president), _token(factory, ada)):
        node = gql.ok(MEMBER, {"id": gid("Member", ada)}, token)["node"]
        assert node["email"] == node["user"]["email"] == "ada@example.org"


def test_a_new_scan_answers_without_the_email(gql, factory, stand):
    event, _, exposant, ada, _ = stand
    _stop_sharing(gql, factory, event, ada)
    body = gql(
        SCAN_VISITOR,
        {"e": gid("Event", event), "code": factory.badge(ada).code},
        _token(factory, exposant),
    )
    assert body["data"]["scanVisitor"]["participant"] == {
        "fullName": "Ada",
        "company": "Analytical",
        "email": None,
    }
    assert error_codes(body) == ["FORBIDDEN"]


def test_leads_csv_leaves_the_email_empty(client, gql, factory, stand):
    event, _, exposant, ada, _ = stand
    _stop_sharing(gql, factory, event, ada)
    token = _token(factory, exposant)
    url = gql(STATS, {"id": gid("Member", exposant)}, token)["data"]["node"]["exposantStats"][
        "csvUrl"
    ]
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_name = {r["full_name"]: r for r in rows}
    assert set(by_name) == {"Ada", "Bob"}
    assert by_name["Ada"]["email"] == ""
    assert by_name["Ada"]["company"] == "Analytical"
    assert by_name["Bob"]["email"] == "bob@example.org"
