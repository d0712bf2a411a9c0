"""scanBadge: who may scan, the door's verdict (every reason, first failing rule wins), the scan
log, check-in, idempotent retries, capacity under parallel scans, and a fixed statement cost."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlmodel import col, func, select

import models
from models import DenyReason, PaymentStatus, Role, ScanStatus, SessionKind
from resolvers.badges import new_code
from tests.conftest import PG_URL, error_codes
from tests.factories import PASSWORD, gid
from tests.live_data import REASSIGN

SCAN = """mutation($input: ScanInput!) {
  scanBadge(input: $input) {
    status reason duplicate
    member { id } session { id } room { id }
    access { id status reason scannedAt clientScannedAt
             controller { id } member { id } session { id } room { id } }
  }
}"""


@dataclass
class Door:
    event: models.Event
    room: models.Room
    session: models.EventSession
    controller: models.Member
    token: str


def _door(factory, *, capacity: int = 50, **session_kw) -> Door:
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, capacity=capacity)
    session = factory.session(room, **session_kw)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, room)
    user = factory.db.get(models.User, controller.user_id)
    return Door(event, room, session, controller, factory.token(user))


def _scan(gql, door: Door, code: str, token: str | None = None, **extra) -> dict:
    variables = {"input": {"roomId": gid("Room", door.room), "code": code, **extra}}
    return gql(SCAN, variables, door.token if token is None else token)


def _log(db) -> list[models.RoomAccess]:
    db.expire_all()
    return list(db.exec(select(models.RoomAccess).order_by(col(models.RoomAccess.id))))


def test_assigned_controller_scans_a_participant_in(gql, factory, db):
    # given
    door = _door(factory)
    participant = factory.member(door.event, Role.PARTICIPANT)
    seen = "2026-01-02T03:04:05+00:00"
    # when
    body = _scan(gql, door, factory.badge(participant).code, scannedAt=seen)
    # then
    result = body["data"]["scanBadge"]
    assert "errors" not in body
    assert result["status"] == "GRANTED"
    assert result["reason"] is None
    assert result["duplicate"] is False
    assert result["member"] == {"id": gid("Member", participant)}
    assert result["session"] == {"id": gid("Session", door.session)}
    assert result["room"] == {"id": gid("Room", door.room)}
    assert result["access"]["controller"] == {"id": gid("Member", door.controller)}
    assert result["access"]["clientScannedAt"] == seen
    [row] = _log(db)
    assert result["access"]["id"] == gid("RoomAccess", row)
    assert (row.status, row.reason) == (ScanStatus.GRANTED, None)
    assert (row.member_id, row.session_id, row.room_id) == (
        participant.id,
        door.session.id,
        door.room.id,
    )
    assert (row.controller_id, row.scanned_by_id) == (door.controller.id, door.controller.user_id)
    assert row.client_scanned_at.isoformat() == seen
    assert abs(row.scanned_at - models.utcnow()) < timedelta(minutes=1)
    db.refresh(participant)
    assert participant.checked_in_at == row.scanned_at


def test_first_granted_scan_sets_checked_in_at_and_later_ones_keep_it(gql, factory, db):
    # given
    door = _door(factory)
    participant = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(participant).code
    _scan(gql, door, "nobody")
    assert participant.checked_in_at is None
    # when
    first = _scan(gql, door, code)["data"]["scanBadge"]
    again = _scan(gql, door, code)["data"]["scanBadge"]
    # then
    assert first["status"] == again["status"] == "GRANTED"
    db.refresh(participant)
    rows = _log(db)
    assert participant.checked_in_at == rows[1].scanned_at


def test_the_answer_names_the_member_as_checked_in_by_this_scan(gql, factory, db):
    # given
    door = _door(factory)
    participant = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(participant).code
    query = """mutation($input: ScanInput!) { scanBadge(input: $input) {
      status member { checkedInAt } access { scannedAt } } }"""
    variables = {"input": {"roomId": gid("Room", door.room), "code": code}}
    # when
    first = gql(query, variables, door.token)["data"]["scanBadge"]
    again = gql(query, variables, door.token)["data"]["scanBadge"]
    # then: the first scan checks in, and says so; a later one keeps the first moment
    assert first["status"] == "GRANTED"
    assert first["member"]["checkedInAt"] == first["access"]["scannedAt"]
    assert again["member"]["checkedInAt"] == first["access"]["scannedAt"]


def _revoked(factory, door):
    member = factory.member(door.event, Role.PARTICIPANT)
    badge = factory.badge(member)
    badge.revoked_at = models.utcnow()
    factory._save(badge)
    return member, badge.code


def _superseded(factory, door):
    member = factory.member(door.event, Role.PARTICIPANT)
    old = factory.badge(member).code
    factory._save(models.Badge(member_id=member.id, code=new_code()))
    return member, old


def _other_event(factory, door):
    other = factory.event()
    member = factory.member(other, Role.PARTICIPANT)
    return None, factory.badge(member).code


@pytest.mark.parametrize(
    ("make", "reason", "named"),
    [
        pytest.param(
            lambda _f, _d: (None, "AGB-nothing-like-this"), "UNKNOWN_BADGE", False, id="unknown"
        ),
        pytest.param(_revoked, "REVOKED_BADGE", True, id="revoked"),
        pytest.param(_superseded, "REVOKED_BADGE", True, id="superseded_by_reissue"),
        pytest.param(_other_event, "WRONG_EVENT", False, id="member_of_another_event"),
    ],
)
def test_badge_that_opens_no_door_is_denied_and_logged(gql, factory, db, make, reason, named):
    # given
    door = _door(factory)
    member, code = make(factory, door)
    # when
    result = _scan(gql, door, code)["data"]["scanBadge"]
    # then
    assert (result["status"], result["reason"]) == ("DENIED", reason)
    assert result["member"] == ({"id": gid("Member", member)} if named else None)
    [row] = _log(db)
    assert (row.status, row.reason) == (ScanStatus.DENIED, DenyReason(reason))
    assert row.member_id == (member.id if named else None)
    assert row.code == code
    assert row.session_id == door.session.id
    assert row.controller_id == door.controller.id
    if member is not None:
        db.refresh(member)
        assert member.checked_in_at is None


def test_revoked_badge_of_another_event_is_revoked_first(gql, factory, db):
    # given: two rules fail; the first one in the documented order wins
    door = _door(factory)
    other = factory.event()
    stranger = factory.member(other, Role.PARTICIPANT)
    badge = factory.badge(stranger)
    badge.revoked_at = models.utcnow()
    factory._save(badge)
    # when
    result = _scan(gql, door, badge.code)["data"]["scanBadge"]
    # then
    assert (result["status"], result["reason"], result["member"]) == (
        "DENIED",
        "REVOKED_BADGE",
        None,
    )
    assert _log(db)[0].member_id is None


def test_unknown_badge_wins_over_no_session(gql, factory, db):
    door = _door(factory)
    door.session.starts_at = factory.now + timedelta(hours=3)
    door.session.ends_at = factory.now + timedelta(hours=4)
    factory._save(door.session)
    result = _scan(gql, door, "AGB-unknown")["data"]["scanBadge"]
    assert result["reason"] == "UNKNOWN_BADGE"
    assert result["session"] is None


@pytest.mark.parametrize(
    ("starts_in", "lasts", "status", "reason"),
    [
        pytest.param(
            timedelta(minutes=10),
            timedelta(hours=1),
            "GRANTED",
            None,
            id="opens_15_min_before_start",
        ),
        pytest.param(
            timedelta(minutes=20), timedelta(hours=1), "DENIED", "NO_SESSION", id="too_early"
        ),
        pytest.param(
            timedelta(hours=-2), timedelta(hours=1), "DENIED", "NO_SESSION", id="already_over"
        ),
    ],
)
def test_door_opens_only_around_a_session(gql, factory, db, starts_in, lasts, status, reason):
    # given
    door = _door(
        factory, starts_at=models.utcnow() + starts_in, ends_at=models.utcnow() + starts_in + lasts
    )
    participant = factory.member(door.event, Role.PARTICIPANT)
    # when
    result = _scan(gql, door, factory.badge(participant).code)["data"]["scanBadge"]
    # then
    assert (result["status"], result["reason"]) == (status, reason)
    [row] = _log(db)
    assert row.status == status
    assert row.session_id == (door.session.id if status == "GRANTED" else None)
    db.refresh(participant)
    assert (participant.checked_in_at is not None) == (status == "GRANTED")


def test_running_session_wins_over_the_next_one_whose_doors_open(gql, factory, db):
    door = _door(
        factory,
        starts_at=models.utcnow() - timedelta(minutes=50),
        ends_at=models.utcnow() + timedelta(minutes=5),
    )
    following = factory.session(door.room, starts_at=models.utcnow() + timedelta(minutes=5))
    participant = factory.member(door.event, Role.PARTICIPANT)
    result = _scan(gql, door, factory.badge(participant).code)["data"]["scanBadge"]
    assert result["session"] == {"id": gid("Session", door.session)}
    assert following.id != door.session.id


@pytest.mark.parametrize(
    ("payment", "status", "reason"),
    [
        pytest.param(None, "DENIED", "NOT_PAID", id="no_access"),
        pytest.param(PaymentStatus.PENDING, "DENIED", "NOT_PAID", id="pending"),
        pytest.param(PaymentStatus.PAID, "GRANTED", None, id="paid"),
        pytest.param(PaymentStatus.FREE, "GRANTED", None, id="free"),
    ],
)
def test_paid_atelier_needs_paid_or_free_access(gql, factory, db, payment, status, reason):
    # given
    door = _door(factory, kind=SessionKind.ATELIER, price=Decimal("25.00"))
    participant = factory.member(door.event, Role.PARTICIPANT)
    if payment is not None:
        factory.access(door.session, participant, payment)
    # when
    result = _scan(gql, door, factory.badge(participant).code)["data"]["scanBadge"]
    # then
    assert (result["status"], result["reason"]) == (status, reason)
    [row] = _log(db)
    assert (row.status, row.session_id, row.member_id) == (status, door.session.id, participant.id)


def test_free_atelier_and_conference_need_no_access_row(gql, factory, db):
    door = _door(factory, kind=SessionKind.ATELIER)
    participant = factory.member(door.event, Role.PARTICIPANT)
    result = _scan(gql, door, factory.badge(participant).code)["data"]["scanBadge"]
    assert result["status"] == "GRANTED"


def test_full_room_denies_new_members_but_readmits_granted_ones(gql, factory, db):
    # given: a room of two seats
    door = _door(factory, capacity=2)
    ada, bob, cyd = (factory.member(door.event, Role.PARTICIPANT) for _ in range(3))
    for member in (ada, bob):
        assert (
            _scan(gql, door, factory.badge(member).code)["data"]["scanBadge"]["status"] == "GRANTED"
        )
    # when
    cyd_result = _scan(gql, door, factory.badge(cyd).code)["data"]["scanBadge"]
    ada_again = _scan(gql, door, factory.badge(ada).code)["data"]["scanBadge"]
    # then
    assert (cyd_result["status"], cyd_result["reason"]) == ("DENIED", "ROOM_FULL")
    assert (ada_again["status"], ada_again["reason"]) == ("GRANTED", None)
    rows = _log(db)
    assert [(r.member_id, r.status) for r in rows] == [
        (ada.id, "GRANTED"),
        (bob.id, "GRANTED"),
        (cyd.id, "DENIED"),
        (ada.id, "GRANTED"),
    ]
    db.refresh(cyd)
    assert cyd.checked_in_at is None


def test_capacity_counts_the_session_not_earlier_sessions_of_the_room(gql, factory, db):
    door = _door(factory, capacity=1)
    earlier = factory.session(
        door.room,
        starts_at=factory.now - timedelta(hours=3),
        ends_at=factory.now - timedelta(hours=2),
    )
    ada, bob = (factory.member(door.event, Role.PARTICIPANT) for _ in range(2))
    factory.scan(door.room, ada, controller=door.controller, session=earlier)
    result = _scan(gql, door, factory.badge(bob).code)["data"]["scanBadge"]
    assert result["status"] == "GRANTED"


def test_same_client_scan_id_returns_the_first_result_and_writes_nothing(gql, factory, db):
    # given
    door = _door(factory)
    participant = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(participant).code
    first = _scan(gql, door, code, clientScanId="dev1-0001")["data"]["scanBadge"]
    # when: a retry, even with another code, is the same scan
    again = _scan(gql, door, code, clientScanId="dev1-0001")["data"]["scanBadge"]
    other = _scan(gql, door, "AGB-else", clientScanId="dev1-0001")["data"]["scanBadge"]
    # then
    assert first["duplicate"] is False
    assert again["duplicate"] is other["duplicate"] is True
    assert again["access"] == other["access"] == first["access"]
    assert (again["status"], other["status"]) == ("GRANTED", "GRANTED")
    rows = _log(db)
    assert len(rows) == 1
    assert rows[0].client_scan_id == "dev1-0001"


def test_client_scan_ids_are_per_scanner(gql, factory, db):
    door = _door(factory)
    second = factory.member(door.event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(second, door.room)
    token = factory.token(db.get(models.User, second.user_id))
    participant = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(participant).code
    a = _scan(gql, door, code, clientScanId="0001")["data"]["scanBadge"]
    b = _scan(gql, door, code, token=token, clientScanId="0001")["data"]["scanBadge"]
    assert (a["duplicate"], b["duplicate"]) == (False, False)
    assert [r.controller_id for r in _log(db)] == [door.controller.id, second.id]


def test_over_long_client_scan_id_is_bad_input(gql, factory, db):
    door = _door(factory)
    body = _scan(gql, door, "x", clientScanId="x" * 101)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "clientScanId" in body["errors"][0]["message"]
    assert _log(db) == []


def test_over_long_code_is_logged_as_unknown(gql, factory, db):
    door = _door(factory)
    result = _scan(gql, door, "https://example.org/" + "x" * 300)["data"]["scanBadge"]
    assert result["reason"] == "UNKNOWN_BADGE"
    assert len(_log(db)[0].code) == 128


def _not_assigned_now(factory, door):
    other = factory.member(door.event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(
        other,
        door.room,
        starts_at=factory.now + timedelta(hours=1),
        ends_at=factory.now + timedelta(hours=2),
    )
    return factory.db.get(models.User, other.user_id)


def _assigned_elsewhere(factory, door):
    other = factory.member(door.event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(other, factory.room(door.event))
    return factory.db.get(models.User, other.user_id)


def _participant(factory, door):
    return factory.db.get(models.User, factory.member(door.event, Role.PARTICIPANT).user_id)


def _gestionnaire(factory, door):
    member = factory.member(door.event, Role.GESTIONNAIRE_DES_SALLES)
    factory.assignment(member, door.room)
    return factory.db.get(models.User, member.user_id)


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(_not_assigned_now, id="controller_assigned_later"),
        pytest.param(_assigned_elsewhere, id="controller_of_another_room"),
        pytest.param(_participant, id="participant"),
        pytest.param(_gestionnaire, id="gestionnaire_of_the_room"),
    ],
)
def test_only_the_rooms_controller_now_or_organizers_may_scan(gql, factory, db, who):
    # given
    door = _door(factory)
    participant = factory.member(door.event, Role.PARTICIPANT)
    token = factory.token(who(factory, door))
    # when
    body = _scan(gql, door, factory.badge(participant).code, token=token)
    # then
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == (
        "Only admins, the event's organizer or badge controllers assigned to this room now "
        "may do this (Mutation.scanBadge)."
    )
    assert body["data"] is None
    assert _log(db) == []


def test_anonymous_scan_is_unauthenticated(gql, factory, db):
    door = _door(factory)
    body = _scan(gql, door, "x", token="")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert _log(db) == []


def test_room_of_an_event_the_viewer_is_not_in_is_not_found(gql, factory, db):
    door = _door(factory)
    other = _door(factory)
    body = _scan(gql, other, "x", token=door.token)
    assert error_codes(body) == ["NOT_FOUND"]
    assert _log(db) == []


def test_a_slot_naming_a_room_of_another_event_opens_no_door(gql, factory, db):
    # given: a controller whose slot (data written around the API) names another event's room
    door = _door(factory)
    other_room = factory.room(factory.event(president=factory.user()))
    factory.session(other_room)
    factory.assignment(door.controller, other_room)
    code = factory.badge(factory.member(door.event, Role.PARTICIPANT)).code
    variables = {"input": {"roomId": gid("Room", other_room), "code": code}}
    # when
    body = gql(SCAN, variables, door.token)
    # then: the room is not one of the controller's event; nothing is judged or logged
    assert error_codes(body) == ["NOT_FOUND"]
    assert _log(db) == []


def test_organizer_who_is_a_member_scans_as_that_member(gql, factory, db):
    # given: the president also holds a membership (gestionnaire) in the event
    door = _door(factory)
    president = db.get(models.User, door.event.president_id)
    membership = factory.member(door.event, Role.GESTIONNAIRE_DES_SALLES, user=president)
    participant = factory.member(door.event, Role.PARTICIPANT)
    # when
    result = _scan(gql, door, factory.badge(participant).code, token=factory.token(president))
    # then
    assert result["data"]["scanBadge"]["access"]["controller"] == {"id": gid("Member", membership)}
    assert _log(db)[0].scanned_by_id == president.id


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_organizer_or_admin_without_membership_is_told_to_scan_as_a_member(gql, factory, db, role):
    # given: the @allow lets them in, but the scan log must name a member who scanned
    door = _door(factory)
    user = (
        db.get(models.User, door.event.president_id)
        if role == "organizer"
        else factory.user(admin=True)
    )
    # when
    body = _scan(gql, door, "x", token=factory.token(user))
    # then
    assert error_codes(body) == ["CONFLICT"]
    assert body["errors"][0]["message"].startswith("Scan as a member of the event")
    assert _log(db) == []


def test_admin_member_of_the_event_may_scan_any_room(gql, factory, db):
    door = _door(factory)
    admin = factory.user(admin=True)
    factory.member(door.event, Role.PARTICIPANT, user=admin)
    participant = factory.member(door.event, Role.PARTICIPANT)
    result = _scan(gql, door, factory.badge(participant).code, token=factory.token(admin))
    assert result["data"]["scanBadge"]["status"] == "GRANTED"


# --- cost: a fixed number of statements whatever the size of the event --------------------


def _bulk_event(factory, db, door: Door, members: int, scans: int) -> None:
    users = [
        models.User(
            email=f"bulk{uuid.uuid4().hex}@example.org", full_name="Bulk", password_hash="x"
        )
        for _ in range(members)
    ]
    db.add_all(users)
    db.flush()
    rows = [
        models.Member(
            event_id=door.event.id, user_id=u.id, role=Role.PARTICIPANT, display_name="Bulk"
        )
        for u in users
    ]
    db.add_all(rows)
    db.flush()
    db.add_all(models.Badge(member_id=m.id, code=new_code()) for m in rows)
    db.add_all(
        models.RoomAccess(
            event_id=door.event.id,
            room_id=door.room.id,
            session_id=door.session.id,
            member_id=rows[i % members].id,
            code="c",
            controller_id=door.controller.id,
            scanned_by_id=door.controller.user_id,
            status=ScanStatus.GRANTED,
        )
        for i in range(scans)
    )
    for i in range(20):
        factory.room(door.event)
        factory.session(door.room, starts_at=factory.now + timedelta(days=1, hours=i))
    db.commit()


def _statements_of_a_scan(gql, factory, count_statements, door: Door) -> list[str]:
    participant = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(participant).code
    with count_statements() as statements:
        result = _scan(gql, door, code, clientScanId=uuid.uuid4().hex)["data"]["scanBadge"]
    assert result["status"] == "GRANTED"
    return statements


def test_a_scan_costs_the_same_statements_in_a_small_and_a_large_event(
    gql, factory, db, count_statements
):
    # given
    small = _door(factory, capacity=5000)
    large = _door(factory, capacity=5000)
    _bulk_event(factory, db, large, members=400, scans=2000)
    # when
    few = _statements_of_a_scan(gql, factory, count_statements, small)
    many = _statements_of_a_scan(gql, factory, count_statements, large)
    # then
    assert len(few) == len(many)
    if db.get_bind().dialect.name == "postgresql":
        # The viewer (user with memberships, presidencies and staff slots: the controller's
        # slot names the room's event), then the door itself in ONE statement: the room,
        # `agora_scan` (verdict, log, check-in and the NOTIFY for the door's live subscribers)
        # and the member and session the answer names.
        door = [s for s in many if "room_access" in s or "badge" in s or "agora_scan" in s]
        assert len(door) == 1, "\n".join(many)
        assert "agora_scan" in door[0]
        assert not any("pg_notify" in s for s in many), "\n".join(many)
        assert len(many) <= 2, "\n".join(many)
    else:
        # The viewer with its staff slots, the room, the clientScanId, the badge with its
        # member, the session, the seats, the check-in, the insert.
        assert len(many) <= 8, "\n".join(many)


def test_a_controller_s_next_scans_reuse_its_viewer(gql, factory, db, count_statements):
    # given: a controller's first scan, which reads its viewer
    door = _door(factory)
    first = _statements_of_a_scan(gql, factory, count_statements, door)
    # when: the next scans
    again = _statements_of_a_scan(gql, factory, count_statements, door)
    assert _statements_of_a_scan(gql, factory, count_statements, door) == again
    # then: on PostgreSQL the door's statement alone (it checks that the viewer still holds)
    if db.get_bind().dialect.name == "postgresql":
        assert len(first) == 2, "\n".join(first)
        assert len(again) == 1, "\n".join(again)
        assert "agora_scan" in again[0]
        assert "viewer_standing" in again[0]
    else:
        # SQLite reads the viewer every time.
        assert len(again) == len(first)


def test_a_logged_out_controller_s_token_no_longer_opens_the_door(gql, factory, db):
    # given: a controller whose viewer the server may keep (an earlier scan), logged in
    door = _door(factory)
    user = db.get(models.User, door.controller.user_id)
    login = """mutation($e: String!, $p: String!) {
      login(email: $e, password: $p) { accessToken refreshToken } }"""
    pair = gql.ok(login, {"e": user.email, "p": PASSWORD})["login"]
    session_of_the_door = Door(
        door.event, door.room, door.session, door.controller, pair["accessToken"]
    )
    guest = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(guest).code
    assert _scan(gql, session_of_the_door, code)["data"]["scanBadge"]["status"] == "GRANTED"
    # when
    gql.ok("mutation($t: String!) { logout(refreshToken: $t) }", {"t": pair["refreshToken"]})
    # then: the next scan with that access token is refused, and nothing is logged
    logged = len(_log(db))
    assert error_codes(_scan(gql, session_of_the_door, code)) == ["UNAUTHENTICATED"]
    assert len(_log(db)) == logged


CONTROLLER_OF_THE_SCAN = """mutation($input: ScanInput!) {
  scanBadge(input: $input) { status access { controller { company checkedInAt } } }
}"""


def test_the_scan_names_its_controller_as_the_controller_is_now(gql, factory, db):
    # given: a controller whose viewer the server may keep (an earlier scan)
    door = _door(factory)
    guest = factory.member(door.event, Role.PARTICIPANT)
    assert _scan(gql, door, factory.badge(guest).code)["data"]["scanBadge"]["status"] == "GRANTED"
    # when: the controller's company changes and they check in themselves (neither moves
    # what their permissions depend on)
    controller = db.get(models.Member, door.controller.id)
    controller.company = "Sécurité Plus"
    controller.checked_in_at = models.utcnow().replace(microsecond=0)
    db.commit()
    other = factory.member(door.event, Role.PARTICIPANT)
    variables = {"input": {"roomId": gid("Room", door.room), "code": factory.badge(other).code}}
    answer = gql.ok(CONTROLLER_OF_THE_SCAN, variables, door.token)["scanBadge"]
    # then: the answer names the controller as they are now
    assert answer["access"]["controller"]["company"] == "Sécurité Plus"
    assert answer["access"]["controller"]["checkedInAt"] is not None


TWO_SCANS = """mutation($a: ScanInput!, $b: ScanInput!) {
  a: scanBadge(input: $a) { status reason }
  b: scanBadge(input: $b) { status reason }
}"""


@pytest.mark.skipif(not PG_URL, reason="only PostgreSQL reuses a viewer between requests")
def test_a_standing_that_moves_between_two_scans_of_one_mutation_logs_each_once(gql, factory, db):
    # given: a controller whose viewer the server keeps (an earlier scan), and a standing that
    # moves as soon as the first scan of the next mutation commits (as when the president
    # gives the controller another slot at that moment)
    door = _door(factory)
    first, second = (factory.badge(factory.member(door.event, Role.PARTICIPANT)) for _ in "ab")
    assert _scan(gql, door, first.code)["data"]["scanBadge"]["status"] == "GRANTED"
    moves = f"""
        CREATE FUNCTION test_standing_moves() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE viewer_standing SET version = version + 1
             WHERE user_id = {door.controller.user_id};
            RETURN NULL;
        END $$;
        CREATE TRIGGER test_standing_moves AFTER INSERT ON room_access
            FOR EACH ROW EXECUTE FUNCTION test_standing_moves();
    """
    db.execute(text(moves))
    db.commit()
    try:
        # when: one mutation scans two badges
        room = gid("Room", door.room)
        variables = {"a": {"roomId": room, "code": first.code}}
        variables["b"] = {"roomId": room, "code": second.code}
        answer = gql(TWO_SCANS, variables, door.token)
    finally:
        db.execute(text("DROP TRIGGER test_standing_moves ON room_access"))
        db.execute(text("DROP FUNCTION test_standing_moves()"))
        db.commit()
    # then: both answered as logged, each scan logged once
    assert "errors" not in answer, answer["errors"]
    assert answer["data"]["a"]["status"] == answer["data"]["b"]["status"] == "GRANTED"
    codes = sorted(r.code for r in _log(db))
    assert codes == sorted([first.code, first.code, second.code])


@pytest.mark.parametrize("change", ["reassigned", "demoted"])
def test_a_scan_goes_by_the_controller_s_standing_as_it_is_now(gql, factory, db, change):
    # given: a controller whose scans have gone through (its viewer is known)
    door = _door(factory)
    annex = factory.room(door.event, name="Annexe")
    factory.session(annex)
    guest = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(guest).code
    assert _scan(gql, door, code)["data"]["scanBadge"]["status"] == "GRANTED"
    # when: an organizer moves the controller to the annex, or takes the role away
    if change == "reassigned":
        president = factory.token(db.get(models.User, door.event.president_id))
        until = (models.utcnow() + timedelta(hours=2)).isoformat()
        moved = {"m": gid("Member", door.controller), "r": gid("Room", annex), "until": until}
        gql.ok(REASSIGN, moved, president)
    else:
        db.get(models.Member, door.controller.id).role = Role.PARTICIPANT
        db.commit()
    if change == "reassigned":
        # then: the annex's door is theirs at once
        there = Door(door.event, annex, door.session, door.controller, door.token)
        assert _scan(gql, there, code)["data"]["scanBadge"]["status"] == "GRANTED"
    logged = len(_log(db))
    # and the old door refuses the controller, and logs nothing
    assert error_codes(_scan(gql, door, code)) == ["FORBIDDEN"]
    assert len(_log(db)) == logged


# --- capacity under parallel scans (PostgreSQL: SQLite serializes writers anyway) --------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app):
    """The real app served by uvicorn on 127.0.0.1, so requests really run side by side."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.skipif(
    not PG_URL, reason="row locks under concurrency are PostgreSQL's; SQLite serializes writers"
)
def test_fifty_parallel_scans_for_the_last_ten_seats_grant_exactly_ten(factory, db, live_server):
    # given: 40 of 50 seats taken, 50 new members at the door at once
    door = _door(factory, capacity=50)
    seated = [factory.member(door.event, Role.PARTICIPANT) for _ in range(40)]
    for member in seated:
        factory.scan(door.room, member, controller=door.controller, session=door.session)
    waiting = [factory.badge(factory.member(door.event, Role.PARTICIPANT)).code for _ in range(50)]
    barrier = threading.Barrier(50)

    def scan(code: str) -> dict:
        variables = {"input": {"roomId": gid("Room", door.room), "code": code}}
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            response = client.post(
                f"{live_server}/graphql",
                json={"query": SCAN, "variables": variables},
                headers={"Authorization": f"Bearer {door.token}"},
            )
        return response.json()

    # when
    with ThreadPoolExecutor(max_workers=50) as pool:
        bodies = list(pool.map(scan, waiting))
    # then
    assert all("errors" not in b for b in bodies), [b["errors"] for b in bodies if "errors" in b]
    verdicts = [
        (b["data"]["scanBadge"]["status"], b["data"]["scanBadge"]["reason"]) for b in bodies
    ]
    assert verdicts.count(("GRANTED", None)) == 10
    assert verdicts.count(("DENIED", "ROOM_FULL")) == 40
    db.expire_all()
    granted = db.exec(
        select(func.count(func.distinct(models.RoomAccess.member_id))).where(
            models.RoomAccess.session_id == door.session.id,
            models.RoomAccess.status == ScanStatus.GRANTED,
        )
    ).one()
    assert granted == 50
    assert len(_log(db)) == 90


@pytest.mark.skipif(
    not PG_URL, reason="concurrent writers are PostgreSQL's; SQLite serializes them"
)
def test_parallel_retries_of_one_scan_record_it_once(factory, db, live_server):
    # given: a scanner retrying the same scan ten times at once
    door = _door(factory)
    code = factory.badge(factory.member(door.event, Role.PARTICIPANT)).code
    barrier = threading.Barrier(10)
    variables = {"input": {"roomId": gid("Room", door.room), "code": code, "clientScanId": "r-1"}}

    def scan(_: int) -> dict:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return client.post(
                f"{live_server}/graphql",
                json={"query": SCAN, "variables": variables},
                headers={"Authorization": f"Bearer {door.token}"},
            ).json()

    # when
    with ThreadPoolExecutor(max_workers=10) as pool:
        bodies = list(pool.map(scan, range(10)))
    # then
    assert all("errors" not in b for b in bodies), bodies
    results = [b["data"]["scanBadge"] for b in bodies]
    assert sorted(r["duplicate"] for r in results) == [False] + [True] * 9
    assert {r["access"]["id"] for r in results} == {results[0]["access"]["id"]}
    assert len(_log(db)) == 1


def test_device_time_without_offset_is_bad_input(gql, factory, db):
    door = _door(factory)
    participant = factory.member(door.event, Role.PARTICIPANT)
    body = _scan(gql, door, factory.badge(participant).code, scannedAt="2026-01-02T03:04:05")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("scannedAt needs a time zone offset")
    assert _log(db) == []


def test_reissued_badge_opens_the_door_and_the_old_one_no_longer(gql, factory, db):
    # given: the gestionnaire reissues a participant's badge through the API
    door = _door(factory)
    participant = factory.member(door.event, Role.PARTICIPANT)
    old = factory.badge(participant).code
    gestionnaire = factory.member(door.event, Role.GESTIONNAIRE_DES_SALLES)
    staff_token = factory.token(db.get(models.User, gestionnaire.user_id))
    gql.ok(
        "mutation($m: ID!) { reissueBadge(memberId: $m) { id } }",
        {"m": gid("Member", participant)},
        staff_token,
    )
    db.expire_all()
    new = factory.badge(participant).code
    # when
    with_old = _scan(gql, door, old)["data"]["scanBadge"]
    with_new = _scan(gql, door, new)["data"]["scanBadge"]
    # then
    assert (with_old["status"], with_old["reason"]) == ("DENIED", "REVOKED_BADGE")
    assert (with_new["status"], with_new["reason"]) == ("GRANTED", None)
    assert [r.status for r in _log(db)] == ["DENIED", "GRANTED"]
