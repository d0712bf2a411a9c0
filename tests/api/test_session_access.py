"""setSessionAccess (paid ateliers) and Session.accessList."""

from __future__ import annotations

from decimal import Decimal

import pytest

import models
from models import PaymentStatus, Role, SessionKind
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import gid

SET = """mutation($s: ID!, $m: ID!, $p: PaymentStatus!, $a: Decimal) {
  setSessionAccess(sessionId: $s, memberId: $m, paymentStatus: $p, amountPaid: $a) {
    paymentStatus hasAccess amountPaid paidAt member { id } session { id }
  }
}"""
ACCESS_LIST = """query($id: ID!, $p: PaymentStatus) {
  session(id: $id) { accessList(paymentStatus: $p) { paymentStatus amountPaid member { id } } }
}"""


@pytest.fixture
def atelier(factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event)
    session = factory.session(room, kind=SessionKind.ATELIER, price=Decimal("30"), title="Atelier")
    participant = factory.member(event, Role.PARTICIPANT)
    gestionnaire = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    return {
        "president": president,
        "event": event,
        "room": room,
        "session": session,
        "participant": participant,
        "gestionnaire": db.get(models.User, gestionnaire.user_id),
    }


def test_gestionnaire_marks_a_member_paid_then_free(gql, factory, db, atelier):
    a = atelier
    token = factory.token(a["gestionnaire"])
    variables = {"s": gid("Session", a["session"]), "m": gid("Member", a["participant"])}
    paid = gql.ok(SET, {**variables, "p": "PAID"}, token)["setSessionAccess"]
    assert (paid["paymentStatus"], paid["hasAccess"], paid["amountPaid"]) == ("PAID", True, "30.00")
    assert paid["paidAt"] is not None
    assert paid["member"]["id"] == variables["m"]
    (stored,) = rows(db, models.SessionAccess)
    assert (stored["payment_status"], stored["amount_paid"], stored["marked_by_id"]) == (
        "PAID",
        Decimal("30.00"),
        a["gestionnaire"].id,
    )
    free = gql.ok(SET, {**variables, "p": "FREE"}, token)["setSessionAccess"]
    assert (free["paymentStatus"], free["hasAccess"], free["amountPaid"], free["paidAt"]) == (
        "FREE",
        True,
        "0.00",
        None,
    )
    assert len(rows(db, models.SessionAccess)) == 1
    pending = gql.ok(SET, {**variables, "p": "PENDING"}, token)["setSessionAccess"]
    assert (pending["paymentStatus"], pending["hasAccess"]) == ("PENDING", False)


def test_paid_with_a_given_amount(gql, factory, db, atelier):
    a = atelier
    data = gql.ok(
        SET,
        {
            "s": gid("Session", a["session"]),
            "m": gid("Member", a["participant"]),
            "p": "PAID",
            "a": "15.00",
        },
        factory.token(a["president"]),
    )
    assert data["setSessionAccess"]["amountPaid"] == "15.00"


def test_access_list_for_staff_filtered_by_status(gql, factory, db, atelier):
    a = atelier
    other = factory.member(a["event"], Role.PARTICIPANT)
    factory.access(a["session"], a["participant"], PaymentStatus.PAID)
    factory.access(a["session"], other, PaymentStatus.PENDING)
    token = factory.token(a["president"])
    every = gql.ok(ACCESS_LIST, {"id": gid("Session", a["session"])}, token)["session"][
        "accessList"
    ]
    assert [x["paymentStatus"] for x in every] == ["PAID", "PENDING"]
    pending = gql.ok(ACCESS_LIST, {"id": gid("Session", a["session"]), "p": "PENDING"}, token)[
        "session"
    ]["accessList"]
    assert [x["member"]["id"] for x in pending] == [gid("Member", other)]
    body = gql(
        ACCESS_LIST,
        {"id": gid("Session", a["session"])},
        factory.token(db.get(models.User, other.user_id)),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["session"]["accessList"] is None


def test_set_session_access_refusals_change_nothing(gql, factory, db, atelier):
    a = atelier
    factory.access(a["session"], a["participant"], PaymentStatus.PENDING)
    conference = factory.session(a["room"], title="Conf", starts_at=a["session"].ends_at)
    participant_user = db.get(models.User, a["participant"].user_id)
    other_event = factory.event(president=factory.user())
    stranger = factory.member(other_event, Role.PARTICIPANT)
    token = factory.token(a["president"])
    ids = {"s": gid("Session", a["session"]), "m": gid("Member", a["participant"])}
    before = rows(db, models.SessionAccess)
    cases = [
        (
            {**ids, "p": "PAID"},
            factory.token(participant_user),
            "FORBIDDEN",
            "Only admins, the event's organizer or gestionnaires des salles may do this (Mutation.setSessionAccess).",
        ),
        (
            {"s": gid("Session", conference), "m": ids["m"], "p": "PAID"},
            token,
            "BAD_USER_INPUT",
            "“Conf” is open to every member; only paid ateliers need access marks.",
        ),
        (
            {**ids, "p": "PAID", "a": "0"},
            token,
            "BAD_USER_INPUT",
            "A paid access needs the amount paid, above 0.",
        ),
        (
            {**ids, "p": "FREE", "a": "5"},
            token,
            "BAD_USER_INPUT",
            "Only a PAID access carries an amount; FREE has none.",
        ),
        (
            {"s": ids["s"], "m": gid("Member", stranger), "p": "PAID"},
            token,
            "NOT_FOUND",
            f"No member has the id {stranger.id}.",
        ),
        (
            {"s": "U2Vzc2lvbjo5OTk5", "m": ids["m"], "p": "PAID"},
            token,
            "NOT_FOUND",
            "No session has the id 9999.",
        ),
    ]
    for variables, viewer_token, code, message in cases:
        body = gql(SET, variables, viewer_token)
        assert error_codes(body) == [code], variables
        assert body["errors"][0]["message"] == message
    assert rows(db, models.SessionAccess) == before


def test_access_list_statement_count_does_not_grow_with_its_length(
    gql, factory, db, atelier, count_statements
):
    a = atelier
    token = factory.token(a["president"])
    query = """query($id: ID!) { event(id: $id) { sessions { accessList { member { fullName } session { title } } } } }"""
    variables = {"id": gid("Event", a["event"])}
    factory.access(a["session"], a["participant"], PaymentStatus.PAID)
    with count_statements() as few:
        gql.ok(query, variables, token)
    for _ in range(5):
        factory.access(
            a["session"], factory.member(a["event"], Role.PARTICIPANT), PaymentStatus.PENDING
        )
    with count_statements() as many:
        data = gql.ok(query, variables, token)
    assert len(data["event"]["sessions"][0]["accessList"]) == 6
    assert len(many) == len(few)
