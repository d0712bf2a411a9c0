"""createSession, updateSession, setSessionStatus, deleteSession."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import models
from models import PaymentStatus, Role, SessionKind
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import gid

FIELDS = "id title kind isPaid price status startsAt endsAt speakerName youtubeLiveUrl room { id }"
CREATE = f"""mutation($e: ID!, $input: SessionInput!) {{ createSession(eventId: $e, input: $input) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: SessionInput!) {{ updateSession(id: $id, input: $input) {{ {FIELDS} }} }}"""
STATUS = """mutation($id: ID!, $s: SessionStatus!) { setSessionStatus(id: $id, status: $s) { id status } }"""
DELETE = """mutation($id: ID!) { deleteSession(id: $id) }"""


@pytest.fixture
def setup(factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, name="Salle 1")
    other_room = factory.room(event, name="Salle 2")
    gestionnaire = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    factory.assignment(gestionnaire, room)
    return {
        "president": president,
        "event": event,
        "room": room,
        "other_room": other_room,
        "gestionnaire": db.get(models.User, gestionnaire.user_id),
        "t0": event.starts_at + timedelta(hours=2),
    }


def _input(s, room=None, **kw):
    t0 = s["t0"]
    values = {
        "roomId": gid("Room", room or s["room"]),
        "title": "Keynote",
        "kind": "CONFERENCE",
        "startsAt": t0.isoformat(),
        "endsAt": (t0 + timedelta(hours=1)).isoformat(),
        "speakerName": "Ada",
    }
    values.update(kw)
    return values


def test_president_creates_a_paid_atelier(gql, factory, db, setup):
    s = setup
    data = gql.ok(
        CREATE,
        {
            "e": gid("Event", s["event"]),
            "input": _input(
                s, kind="ATELIER", isPaid=True, price="25.50", youtubeLiveUrl="https://youtu.be/abc"
            ),
        },
        factory.token(s["president"]),
    )
    session = data["createSession"]
    assert (session["kind"], session["isPaid"], session["price"], session["status"]) == (
        "ATELIER",
        True,
        "25.50",
        "PAS_ENCORE",
    )
    assert session["youtubeLiveUrl"] == "https://youtu.be/abc"
    assert session["room"]["id"] == gid("Room", s["room"])
    (stored,) = rows(db, models.EventSession)
    assert (stored["room_id"], stored["price"], stored["is_paid"]) == (
        s["room"].id,
        Decimal("25.50"),
        True,
    )


def test_gestionnaire_creates_sessions_in_its_room_only(gql, factory, db, setup):
    s = setup
    token = factory.token(s["gestionnaire"])
    gql.ok(CREATE, {"e": gid("Event", s["event"]), "input": _input(s)}, token)
    before = rows(db, models.EventSession)
    body = gql(
        CREATE, {"e": gid("Event", s["event"]), "input": _input(s, room=s["other_room"])}, token
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert "assigned to this room now" in body["errors"][0]["message"]
    assert rows(db, models.EventSession) == before


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.CONTROLLEUR_DES_BADGES, Role.EXPOSANT])
def test_other_members_cannot_create_sessions(gql, factory, db, setup, role):
    s = setup
    member = factory.member(s["event"], role)
    factory.assignment(member, s["room"]) if role == Role.CONTROLLEUR_DES_BADGES else None
    body = gql(
        CREATE,
        {"e": gid("Event", s["event"]), "input": _input(s)},
        factory.token(db.get(models.User, member.user_id)),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert rows(db, models.EventSession) == []


def test_create_session_in_a_room_of_another_event(gql, factory, db, setup):
    s = setup
    admin = factory.user(admin=True)
    other_event = factory.event(president=factory.user())
    foreign_room = factory.room(other_event)
    body = gql(
        CREATE,
        {"e": gid("Event", s["event"]), "input": _input(s, room=foreign_room)},
        factory.token(admin),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (
        body["errors"][0]["message"] == f"The room “{foreign_room.name}” belongs to another event."
    )
    body = gql(
        CREATE,
        {"e": gid("Event", s["event"]), "input": _input(s, room=foreign_room)},
        factory.token(s["president"]),
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.EventSession) == []


@pytest.mark.parametrize(
    ("_case", "override", "message"),
    [
        (
            "paid conference",
            {"isPaid": True, "price": "10"},
            "A conference is free for all: it is never paid.",
        ),
        ("priced conference", {"price": "10"}, "A conference is free for all: it is never paid."),
        (
            "paid atelier without price",
            {"kind": "ATELIER", "isPaid": True, "price": "0"},
            "A paid atelier needs a price above 0.",
        ),
        (
            "free atelier with price",
            {"kind": "ATELIER", "price": "5"},
            "A free session has no price: set isPaid, or a price of 0.",
        ),
        (
            "negative price",
            {"kind": "ATELIER", "isPaid": True, "price": "-5"},
            "The price must be a positive amount.",
        ),
        (
            "not youtube",
            {"youtubeLiveUrl": "https://vimeo.com/123"},
            "The live link must be a YouTube address (https://www.youtube.com/… or https://youtu.be/…).",
        ),
        (
            "youtube over http",
            {"youtubeLiveUrl": "http://www.youtube.com/watch?v=x"},
            "The live link must be a YouTube address (https://www.youtube.com/… or https://youtu.be/…).",
        ),
        (
            "lookalike host",
            {"youtubeLiveUrl": "https://youtube.com.evil.org/x"},
            "The live link must be a YouTube address (https://www.youtube.com/… or https://youtu.be/…).",
        ),
        ("blank title", {"title": " "}, "The session's title cannot be empty."),
    ],
)
def test_create_session_refuses_bad_input(gql, factory, db, setup, _case, override, message):
    s = setup
    body = gql(
        CREATE,
        {"e": gid("Event", s["event"]), "input": _input(s, **override)},
        factory.token(s["president"]),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == message
    assert rows(db, models.EventSession) == []


def test_sessions_lie_within_the_event_and_end_after_they_start(gql, factory, db, setup):
    s = setup
    event = s["event"]
    token = factory.token(s["president"])
    outside = _input(
        s,
        startsAt=(event.starts_at - timedelta(hours=1)).isoformat(),
        endsAt=(event.starts_at + timedelta(hours=1)).isoformat(),
    )
    body = gql(CREATE, {"e": gid("Event", event), "input": outside}, token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("A session lies within its event's dates")
    backwards = _input(s, startsAt=s["t0"].isoformat(), endsAt=s["t0"].isoformat())
    body = gql(CREATE, {"e": gid("Event", event), "input": backwards}, token)
    assert body["errors"][0]["message"] == "A session must end after it starts."
    assert rows(db, models.EventSession) == []


def test_two_sessions_never_overlap_in_one_room(gql, factory, db, setup):
    s = setup
    factory.session(s["room"], title="Atelier du matin", starts_at=s["t0"] + timedelta(minutes=30))
    before = rows(db, models.EventSession)
    body = gql(
        CREATE, {"e": gid("Event", s["event"]), "input": _input(s)}, factory.token(s["president"])
    )
    assert error_codes(body) == ["CONFLICT"]
    message = body["errors"][0]["message"]
    assert message.startswith("This room already has “Atelier du matin” from ")
    assert message.endswith("two sessions never overlap in one room.")
    assert rows(db, models.EventSession) == before
    # back to back is fine, and so is the same slot in another room
    gql.ok(
        CREATE,
        {
            "e": gid("Event", s["event"]),
            "input": _input(s, endsAt=(s["t0"] + timedelta(minutes=30)).isoformat()),
        },
        factory.token(s["president"]),
    )
    gql.ok(
        CREATE,
        {"e": gid("Event", s["event"]), "input": _input(s, room=s["other_room"])},
        factory.token(s["president"]),
    )
    assert len(rows(db, models.EventSession)) == 3


def test_update_session(gql, factory, db, setup):
    s = setup
    session = factory.session(s["room"], starts_at=s["t0"])
    data = gql.ok(
        UPDATE,
        {"id": gid("Session", session), "input": _input(s, title="Renamed", room=s["other_room"])},
        factory.token(s["president"]),
    )
    assert data["updateSession"]["title"] == "Renamed"
    assert data["updateSession"]["room"]["id"] == gid("Room", s["other_room"])
    (stored,) = rows(db, models.EventSession)
    assert (stored["title"], stored["room_id"]) == ("Renamed", s["other_room"].id)


def test_update_session_does_not_overlap_with_itself_but_with_others(gql, factory, db, setup):
    s = setup
    session = factory.session(s["room"], starts_at=s["t0"])
    factory.session(s["room"], title="Plus tard", starts_at=s["t0"] + timedelta(hours=2))
    token = factory.token(s["president"])
    gql.ok(
        UPDATE,
        {
            "id": gid("Session", session),
            "input": _input(s, endsAt=(s["t0"] + timedelta(minutes=90)).isoformat()),
        },
        token,
    )
    before = rows(db, models.EventSession)
    body = gql(
        UPDATE,
        {
            "id": gid("Session", session),
            "input": _input(s, endsAt=(s["t0"] + timedelta(hours=3)).isoformat()),
        },
        token,
    )
    assert error_codes(body) == ["CONFLICT"]
    assert "“Plus tard”" in body["errors"][0]["message"]
    assert rows(db, models.EventSession) == before


def test_gestionnaire_changes_only_sessions_of_its_room_and_moves_them_only_there(
    gql, factory, db, setup
):
    s = setup
    mine = factory.session(s["room"], starts_at=s["t0"])
    theirs = factory.session(s["other_room"], starts_at=s["t0"])
    token = factory.token(s["gestionnaire"])
    gql.ok(UPDATE, {"id": gid("Session", mine), "input": _input(s, title="OK")}, token)
    before = rows(db, models.EventSession)
    body = gql(
        UPDATE, {"id": gid("Session", theirs), "input": _input(s, room=s["other_room"])}, token
    )
    assert error_codes(body) == ["FORBIDDEN"]
    body = gql(
        UPDATE,
        {
            "id": gid("Session", mine),
            "input": _input(
                s,
                room=s["other_room"],
                startsAt=(s["t0"] + timedelta(hours=3)).isoformat(),
                endsAt=(s["t0"] + timedelta(hours=4)).isoformat(),
            ),
        },
        token,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert (
        body["errors"][0]["message"]
        == "You may move a session only to a room you are assigned to right now."
    )
    for query, variables in (
        (STATUS, {"id": gid("Session", theirs), "s": "EN_COURS"}),
        (DELETE, {"id": gid("Session", theirs)}),
    ):
        assert error_codes(gql(query, variables, token)) == ["FORBIDDEN"]
    assert rows(db, models.EventSession) == before


def test_gestionnaire_assignment_that_ended_no_longer_counts(gql, factory, db, setup):
    s = setup
    member = factory.member(s["event"], Role.GESTIONNAIRE_DES_SALLES)
    factory.assignment(
        member,
        s["room"],
        starts_at=factory.now - timedelta(hours=3),
        ends_at=factory.now - timedelta(hours=1),
    )
    session = factory.session(s["room"], starts_at=s["t0"])
    before = rows(db, models.EventSession)
    body = gql(
        STATUS,
        {"id": gid("Session", session), "s": "EN_COURS"},
        factory.token(db.get(models.User, member.user_id)),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert rows(db, models.EventSession) == before


def test_update_session_refusals_change_nothing(gql, factory, db, setup):
    s = setup
    session = factory.session(s["room"], starts_at=s["t0"])
    token = factory.token(s["president"])
    before = rows(db, models.EventSession)
    body = gql(
        UPDATE, {"id": gid("Session", session), "input": _input(s, isPaid=True, price="3")}, token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = gql(UPDATE, {"id": "U2Vzc2lvbjo5OTk", "input": _input(s)}, token)
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.EventSession) == before


def test_status_moves_forward_only(gql, factory, db, setup):
    s = setup
    session = factory.session(s["room"], starts_at=s["t0"])
    token = factory.token(s["gestionnaire"])
    assert (
        gql.ok(STATUS, {"id": gid("Session", session), "s": "EN_COURS"}, token)["setSessionStatus"][
            "status"
        ]
        == "EN_COURS"
    )
    for backwards in ("PAS_ENCORE", "EN_COURS"):
        body = gql(STATUS, {"id": gid("Session", session), "s": backwards}, token)
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert (
            body["errors"][0]["message"]
            == "The session is EN_COURS; its status only moves forward (PAS_ENCORE → EN_COURS → TERMINE)."
        )
    assert rows(db, models.EventSession)[0]["status"] == "EN_COURS"
    assert (
        gql.ok(STATUS, {"id": gid("Session", session), "s": "TERMINE"}, token)["setSessionStatus"][
            "status"
        ]
        == "TERMINE"
    )
    assert rows(db, models.EventSession)[0]["status"] == "TERMINE"


def test_delete_session(gql, factory, db, setup):
    s = setup
    session = factory.session(s["room"], starts_at=s["t0"])
    factory.question(session, factory.member(s["event"], Role.PARTICIPANT))
    assert gql.ok(DELETE, {"id": gid("Session", session)}, factory.token(s["gestionnaire"])) == {
        "deleteSession": True
    }
    assert rows(db, models.EventSession) == []
    assert rows(db, models.Question) == []


def test_delete_session_refused_once_scanned_or_paid(gql, factory, db, setup):
    s = setup
    scanned = factory.session(s["room"], title="Scanned", starts_at=s["t0"])
    paid = factory.session(
        s["other_room"],
        title="Paid",
        kind=SessionKind.ATELIER,
        price=Decimal("10"),
        starts_at=s["t0"],
    )
    participant = factory.member(s["event"], Role.PARTICIPANT)
    controller = factory.member(s["event"], Role.CONTROLLEUR_DES_BADGES)
    db.add(
        models.RoomAccess(
            event_id=s["event"].id,
            room_id=s["room"].id,
            session_id=scanned.id,
            member_id=participant.id,
            code="x",
            controller_id=controller.id,
            scanned_by_id=controller.user_id,
            status="GRANTED",
        )
    )
    db.commit()
    factory.access(paid, participant, PaymentStatus.PAID)
    before = (
        rows(db, models.EventSession),
        rows(db, models.SessionAccess),
        rows(db, models.RoomAccess),
    )
    token = factory.token(s["president"])
    body = gql(DELETE, {"id": gid("Session", scanned)}, token)
    assert error_codes(body) == ["CONFLICT"]
    assert (
        body["errors"][0]["message"]
        == "“Scanned” has 1 recorded scan(s); the scan log is kept, so it cannot be deleted."
    )
    body = gql(DELETE, {"id": gid("Session", paid)}, token)
    assert error_codes(body) == ["CONFLICT"]
    assert body["errors"][0]["message"] == "1 member(s) paid for “Paid”; it cannot be deleted."
    assert (
        rows(db, models.EventSession),
        rows(db, models.SessionAccess),
        rows(db, models.RoomAccess),
    ) == before


def test_a_paid_atelier_someone_paid_for_cannot_be_made_free(gql, factory, db, setup):
    s = setup
    atelier = factory.session(
        s["room"], title="Reliure", kind=SessionKind.ATELIER, price=Decimal("10"), starts_at=s["t0"]
    )
    factory.access(atelier, factory.member(s["event"], Role.PARTICIPANT), PaymentStatus.PAID)
    before = rows(db, models.EventSession)
    for override in ({"kind": "CONFERENCE"}, {"kind": "ATELIER", "isPaid": False}):
        body = gql(
            UPDATE,
            {"id": gid("Session", atelier), "input": _input(s, **override)},
            factory.token(s["president"]),
        )
        assert error_codes(body) == ["CONFLICT"]
        assert (
            body["errors"][0]["message"]
            == "1 member(s) paid for “Reliure”; it cannot be made free."
        )
    assert rows(db, models.EventSession) == before
    data = gql.ok(
        UPDATE,
        {
            "id": gid("Session", atelier),
            "input": _input(s, kind="ATELIER", isPaid=True, price="12"),
        },
        factory.token(s["president"]),
    )
    assert data["updateSession"]["price"] == "12.00"


def test_times_in_refusals_are_in_the_event_zone_and_name_it(gql, factory, db):
    # given: a salon in Paris (UTC+2 in May), a session from 09:00 to 10:00 UTC
    president = factory.user()
    event = factory.event(
        president=president,
        timezone="Europe/Paris",
        starts_at=datetime(2026, 5, 4, 6, tzinfo=UTC),
        ends_at=datetime(2026, 5, 6, 18, tzinfo=UTC),
    )
    room = factory.room(event)
    nine = datetime(2026, 5, 4, 9, tzinfo=UTC)
    factory.session(room, title="Ouverture", starts_at=nine, ends_at=nine + timedelta(hours=1))
    s = {"room": room, "t0": nine}
    # when
    clash = gql(CREATE, {"e": gid("Event", event), "input": _input(s)}, factory.token(president))
    outside = gql(
        CREATE,
        {"e": gid("Event", event), "input": _input({"room": room, "t0": nine + timedelta(days=5)})},
        factory.token(president),
    )
    # then
    assert clash["errors"][0]["message"] == (
        "This room already has “Ouverture” from 2026-05-04 11:00 Europe/Paris to "
        "2026-05-04 12:00 Europe/Paris; two sessions never overlap in one room."
    )
    assert outside["errors"][0]["message"] == (
        "A session lies within its event's dates (2026-05-04 08:00 Europe/Paris to "
        "2026-05-06 20:00 Europe/Paris)."
    )
