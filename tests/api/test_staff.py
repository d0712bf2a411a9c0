"""Staff assignments through the API: assigning, reassigning, ending, reading, and the clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import select

import models
from models import Role
from tests.conftest import error_codes
from tests.factories import gid
from tests.live_server import live_server  # noqa: F401  (fixture)

ASSIGN = """mutation($input: StaffAssignmentInput!) {
  assignStaff(input: $input) {
    id role startsAt endsAt isActive assignedAt cancelled endedAt
    member { id } room { id name } assignedBy { id } endedBy { id }
  }
}"""
REASSIGN = """mutation($memberId: ID!, $roomId: ID!, $at: DateTime, $until: DateTime!) {
  reassignStaff(memberId: $memberId, roomId: $roomId, at: $at, until: $until) {
    id startsAt endsAt isActive room { name } member { id }
  }
}"""
END = """mutation($id: ID!) {
  endAssignment(id: $id) { id startsAt endsAt isActive cancelled endedAt endedBy { id } }
}"""
CURRENT = """query($id: ID!) { node(id: $id) { ... on Member { currentAssignment { id room { name } } } } }"""
ROOM_STAFF = """query($id: ID!, $at: DateTime) {
  room(id: $id) { name staff(at: $at) { id member { id } startsAt endsAt } }
}"""
EVENT_STAFF = """query($id: ID!, $at: DateTime, $all: Boolean) {
  event(id: $id) { staffAssignments(at: $at, all: $all) { id room { name } member { id } cancelled } }
}"""


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Venue:
    event: models.Event
    organizer: models.User
    salle3: models.Room
    salle4: models.Room
    gestionnaire: models.Member
    controller: models.Member
    participant: models.Member


@pytest.fixture
def venue(factory) -> Venue:
    organizer = factory.user(name="Présidente")
    event = factory.event(president=organizer)
    return Venue(
        event=event,
        organizer=organizer,
        salle3=factory.room(event, name="Salle 3"),
        salle4=factory.room(event, name="Salle 4"),
        gestionnaire=factory.member(event, Role.GESTIONNAIRE_DES_SALLES),
        controller=factory.member(event, Role.CONTROLLEUR_DES_BADGES),
        participant=factory.member(event, Role.PARTICIPANT),
    )


def token_of(factory, db, member: models.Member) -> str:
    user = db.get(models.User, member.user_id)
    return factory.token(user)


def slots_of(db, member: models.Member) -> list[models.RoomAssignment]:
    db.expire_all()
    stmt = (
        select(models.RoomAssignment)
        .where(models.RoomAssignment.member_id == member.id)
        .order_by(models.RoomAssignment.starts_at, models.RoomAssignment.id)
    )
    return list(db.exec(stmt))


def slot_input(member, room, starts_at: datetime, ends_at: datetime) -> dict:
    return {
        "input": {
            "memberId": gid("Member", member),
            "roomId": gid("Room", room),
            "startsAt": iso(starts_at),
            "endsAt": iso(ends_at),
        }
    }


# --- assignStaff -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CONTROLLEUR_DES_BADGES, Role.GESTIONNAIRE_DES_SALLES])
def test_organizer_assigns_a_staff_member_to_a_room(gql, factory, db, venue, role):
    # given
    member = venue.controller if role == Role.CONTROLLEUR_DES_BADGES else venue.gestionnaire
    now = models.utcnow()
    # when
    data = gql.ok(
        ASSIGN,
        slot_input(member, venue.salle3, now - timedelta(hours=1), now + timedelta(hours=3)),
        factory.token(venue.organizer),
    )["assignStaff"]
    # then
    assert data["role"] == role.value
    assert data["room"]["name"] == "Salle 3"
    assert data["member"]["id"] == gid("Member", member)
    assert data["assignedBy"]["id"] == gid("User", venue.organizer)
    assert data["isActive"] is True
    assert data["cancelled"] is False
    assert data["endedAt"] is None
    [row] = slots_of(db, member)
    assert row.room_id == venue.salle3.id
    assert row.role == role
    assert row.assigned_by_id == venue.organizer.id
    assert row.starts_at == now - timedelta(hours=1)
    assert row.ends_at == now + timedelta(hours=3)


def test_a_gestionnaire_assigns_staff(gql, factory, db, venue):
    now = models.utcnow()
    data = gql.ok(
        ASSIGN,
        slot_input(venue.controller, venue.salle4, now, now + timedelta(hours=2)),
        token_of(factory, db, venue.gestionnaire),
    )["assignStaff"]
    assert data["assignedBy"]["id"] == gid("User", db.get(models.User, venue.gestionnaire.user_id))
    assert len(slots_of(db, venue.controller)) == 1


@pytest.mark.parametrize(
    ("_case", "who", "code"),
    [
        ("controller", "controller", "FORBIDDEN"),
        ("participant", "participant", "FORBIDDEN"),
        ("anonymous", None, "UNAUTHENTICATED"),
        ("stranger of another event", "stranger", "NOT_FOUND"),
    ],
)
def test_assign_staff_refused_to_others(gql, factory, db, venue, _case, who, code):
    # given
    now = models.utcnow()
    if who == "stranger":
        other = factory.event()
        token = token_of(factory, db, factory.member(other, Role.GESTIONNAIRE_DES_SALLES))
    elif who is None:
        token = None
    else:
        token = token_of(factory, db, getattr(venue, who))
    # when
    body = gql(
        ASSIGN, slot_input(venue.controller, venue.salle3, now, now + timedelta(hours=1)), token
    )
    # then
    assert error_codes(body) == [code]
    assert body["data"] is None
    assert slots_of(db, venue.controller) == []


def test_only_staff_roles_can_be_assigned(gql, factory, db, venue):
    now = models.utcnow()
    exposant = factory.member(venue.event, Role.EXPOSANT)
    for member in (venue.participant, exposant):
        body = gql(
            ASSIGN,
            slot_input(member, venue.salle3, now, now + timedelta(hours=1)),
            factory.token(venue.organizer),
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert (
            "Only gestionnaires des salles and badge controllers hold rooms"
            in body["errors"][0]["message"]
        )
        assert slots_of(db, member) == []


def test_the_room_must_belong_to_the_members_event(gql, factory, db, venue):
    # given: an admin sees both events; the organizer only its own
    admin = factory.user(admin=True)
    elsewhere = factory.room(factory.event(), name="Ailleurs")
    now = models.utcnow()
    variables = slot_input(venue.controller, elsewhere, now, now + timedelta(hours=1))
    # when / then
    body = gql(ASSIGN, variables, factory.token(admin))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (
        body["errors"][0]["message"]
        == "The room Ailleurs belongs to another event than this member."
    )
    body = gql(ASSIGN, variables, factory.token(venue.organizer))
    assert error_codes(body) == ["NOT_FOUND"]
    assert slots_of(db, venue.controller) == []


@pytest.mark.parametrize("length", [timedelta(0), timedelta(minutes=-30)])
def test_a_slot_must_end_after_it_starts(gql, factory, db, venue, length):
    now = models.utcnow()
    body = gql(
        ASSIGN,
        slot_input(venue.controller, venue.salle3, now, now + length),
        factory.token(venue.organizer),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "A slot must end after it starts."
    assert slots_of(db, venue.controller) == []


def test_a_time_without_offset_is_refused(gql, factory, db, venue):
    variables = slot_input(venue.controller, venue.salle3, models.utcnow(), models.utcnow())
    variables["input"]["startsAt"] = "2026-05-04T09:00:00"
    variables["input"]["endsAt"] = "2026-05-04T12:00:00Z"
    body = gql(ASSIGN, variables, factory.token(venue.organizer))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "`startsAt` needs a time zone offset" in body["errors"][0]["message"]
    assert slots_of(db, venue.controller) == []


def test_an_overlapping_slot_is_a_conflict_naming_the_held_room(gql, factory, db, venue):
    # given: salle 3 from 09:00 to 12:00
    nine = datetime(2026, 5, 4, 9, tzinfo=models.utcnow().tzinfo)
    factory.assignment(
        venue.controller, venue.salle3, starts_at=nine, ends_at=nine + timedelta(hours=3)
    )
    token = factory.token(venue.organizer)
    # when: salle 4 from 11:00 to 14:00
    body = gql(
        ASSIGN,
        slot_input(
            venue.controller, venue.salle4, nine + timedelta(hours=2), nine + timedelta(hours=5)
        ),
        token,
    )
    # then
    assert error_codes(body) == ["CONFLICT"]
    assert body["errors"][0]["message"] == (
        "This member already holds Salle 3 from 2026-05-04 09:00 UTC to 2026-05-04 12:00 UTC: one room at a time."
    )
    assert len(slots_of(db, venue.controller)) == 1
    # and a slot starting when the first ends is fine (slots are half-open)
    gql.ok(
        ASSIGN,
        slot_input(
            venue.controller, venue.salle4, nine + timedelta(hours=3), nine + timedelta(hours=5)
        ),
        token,
    )
    assert [s.room_id for s in slots_of(db, venue.controller)] == [venue.salle3.id, venue.salle4.id]


def test_another_members_slot_in_the_same_room_is_no_conflict(gql, factory, db, venue):
    now = models.utcnow()
    factory.assignment(venue.gestionnaire, venue.salle3)
    gql.ok(
        ASSIGN,
        slot_input(venue.controller, venue.salle3, now, now + timedelta(hours=1)),
        factory.token(venue.organizer),
    )
    assert len(slots_of(db, venue.controller)) == 1


# --- reassignStaff -----------------------------------------------------------------------------


def test_reassignment_ends_the_running_slot_where_the_new_one_starts(gql, factory, db, venue):
    # given: in salle 3 since an hour, until an hour from now
    now = models.utcnow()
    running = factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    # when: moved to salle 4 now (no `at`)
    data = gql.ok(
        REASSIGN,
        {
            "memberId": gid("Member", venue.controller),
            "roomId": gid("Room", venue.salle4),
            "until": iso(now + timedelta(hours=4)),
        },
        token_of(factory, db, venue.gestionnaire),
    )["reassignStaff"]
    # then
    assert data["room"]["name"] == "Salle 4"
    assert data["isActive"] is True
    old, new = slots_of(db, venue.controller)
    assert old.id == running.id
    assert old.ends_at == new.starts_at
    assert now <= new.starts_at <= models.utcnow()
    assert new.ends_at == now + timedelta(hours=4)
    assert old.ended_by_id == venue.gestionnaire.user_id
    assert old.ended_at is not None
    assert not old.cancelled
    current = gql.ok(
        CURRENT, {"id": gid("Member", venue.controller)}, factory.token(venue.organizer)
    )
    assert current["node"]["currentAssignment"]["room"]["name"] == "Salle 4"


def test_reassignment_at_a_given_moment(gql, factory, db, venue):
    nine = datetime(2026, 5, 4, 9, tzinfo=models.utcnow().tzinfo)
    factory.assignment(
        venue.controller, venue.salle3, starts_at=nine, ends_at=nine + timedelta(hours=9)
    )
    noon = nine + timedelta(hours=3)
    data = gql.ok(
        REASSIGN,
        {
            "memberId": gid("Member", venue.controller),
            "roomId": gid("Room", venue.salle4),
            "at": "2026-05-04T14:00:00+02:00",
            "until": iso(noon + timedelta(hours=6)),
        },
        factory.token(venue.organizer),
    )["reassignStaff"]
    assert datetime.fromisoformat(data["startsAt"]) == noon
    old, new = slots_of(db, venue.controller)
    assert (old.starts_at, old.ends_at) == (nine, noon)
    assert (new.room_id, new.starts_at, new.ends_at) == (
        venue.salle4.id,
        noon,
        noon + timedelta(hours=6),
    )


def test_reassignment_without_a_running_slot_just_starts_one(gql, factory, db, venue):
    now = models.utcnow()
    gql.ok(
        REASSIGN,
        {
            "memberId": gid("Member", venue.controller),
            "roomId": gid("Room", venue.salle4),
            "at": iso(now),
            "until": iso(now + timedelta(hours=1)),
        },
        factory.token(venue.organizer),
    )
    [slot] = slots_of(db, venue.controller)
    assert (slot.room_id, slot.starts_at) == (venue.salle4.id, now)


def test_reassignment_at_the_start_of_the_running_slot_cancels_it(gql, factory, db, venue):
    nine = datetime(2026, 5, 4, 9, tzinfo=models.utcnow().tzinfo)
    factory.assignment(
        venue.controller, venue.salle3, starts_at=nine, ends_at=nine + timedelta(hours=3)
    )
    gql.ok(
        REASSIGN,
        {
            "memberId": gid("Member", venue.controller),
            "roomId": gid("Room", venue.salle4),
            "at": iso(nine),
            "until": iso(nine + timedelta(hours=3)),
        },
        factory.token(venue.organizer),
    )
    old, new = slots_of(db, venue.controller)
    assert old.cancelled is True
    assert (old.starts_at, old.ends_at) == (nine, nine + timedelta(hours=3))  # kept for the record
    assert (new.room_id, new.starts_at) == (venue.salle4.id, nine)


def test_a_failed_reassignment_keeps_the_running_slot(gql, factory, db, venue):
    # given: salle 3 now, and salle 3 again this evening
    now = models.utcnow()
    factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now + timedelta(hours=5),
        ends_at=now + timedelta(hours=8),
    )
    before = [
        (s.room_id, s.starts_at, s.ends_at, s.cancelled) for s in slots_of(db, venue.controller)
    ]
    # when: moved to salle 4 until late in the evening, over the evening slot
    body = gql(
        REASSIGN,
        {
            "memberId": gid("Member", venue.controller),
            "roomId": gid("Room", venue.salle4),
            "until": iso(now + timedelta(hours=6)),
        },
        factory.token(venue.organizer),
    )
    # then
    assert error_codes(body) == ["CONFLICT"]
    assert "already holds Salle 3" in body["errors"][0]["message"]
    after = [
        (s.room_id, s.starts_at, s.ends_at, s.cancelled) for s in slots_of(db, venue.controller)
    ]
    assert after == before


@pytest.mark.parametrize(
    ("_case", "variables", "code"),
    [
        ("participant", {"who": "participant"}, "BAD_USER_INPUT"),
        ("until before at", {"until": -1}, "BAD_USER_INPUT"),
        ("by a controller", {"token": "controller"}, "FORBIDDEN"),
    ],
)
def test_reassignment_refusals_change_nothing(gql, factory, db, venue, _case, variables, code):
    now = models.utcnow()
    member = getattr(venue, variables.get("who", "controller"))
    factory.assignment(venue.controller, venue.salle3)
    token = (
        token_of(factory, db, venue.controller)
        if variables.get("token") == "controller"
        else factory.token(venue.organizer)
    )
    body = gql(
        REASSIGN,
        {
            "memberId": gid("Member", member),
            "roomId": gid("Room", venue.salle4),
            "until": iso(now + timedelta(hours=variables.get("until", 2))),
        },
        token,
    )
    assert error_codes(body) == [code]
    [slot] = slots_of(db, venue.controller)
    assert slot.room_id == venue.salle3.id
    assert slot.ended_at is None
    assert slots_of(db, venue.participant) == []


# --- endAssignment -----------------------------------------------------------------------------


def test_ending_a_running_slot_ends_it_now_and_keeps_it(gql, factory, db, venue):
    now = models.utcnow()
    slot = factory.assignment(venue.controller, venue.salle3)
    data = gql.ok(
        END, {"id": gid("RoomAssignment", slot)}, token_of(factory, db, venue.gestionnaire)
    )["endAssignment"]
    assert data["isActive"] is False
    assert data["cancelled"] is False
    assert data["endedBy"]["id"] == gid("User", db.get(models.User, venue.gestionnaire.user_id))
    [row] = slots_of(db, venue.controller)
    assert now <= row.ends_at <= models.utcnow()
    assert row.ended_at == row.ends_at
    assert row.assigned_at == slot.assigned_at
    current = gql.ok(
        CURRENT, {"id": gid("Member", venue.controller)}, factory.token(venue.organizer)
    )
    assert current["node"]["currentAssignment"] is None


def test_ending_a_future_slot_cancels_it(gql, factory, db, venue):
    now = models.utcnow()
    slot = factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=4),
    )
    data = gql.ok(END, {"id": gid("RoomAssignment", slot)}, factory.token(venue.organizer))[
        "endAssignment"
    ]
    assert data["cancelled"] is True
    [row] = slots_of(db, venue.controller)
    assert row.cancelled
    assert (row.starts_at, row.ends_at) == (slot.starts_at, slot.ends_at)
    assert row.ended_by_id == venue.organizer.id
    # the cancelled slot no longer holds the room, but stays in the history
    token = factory.token(venue.organizer)
    at_start = iso(now + timedelta(hours=3))
    staff = gql.ok(ROOM_STAFF, {"id": gid("Room", venue.salle3), "at": at_start}, token)
    assert staff["room"]["staff"] == []
    history = gql.ok(EVENT_STAFF, {"id": gid("Event", venue.event), "all": True}, token)
    assert history["event"]["staffAssignments"][0]["cancelled"] is True
    # and no longer blocks the member
    gql.ok(
        ASSIGN,
        slot_input(
            venue.controller, venue.salle4, now + timedelta(hours=2), now + timedelta(hours=4)
        ),
        factory.token(venue.organizer),
    )


def test_ending_a_slot_already_over_returns_it_unchanged(gql, factory, db, venue):
    now = models.utcnow()
    slot = factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now - timedelta(hours=4),
        ends_at=now - timedelta(hours=2),
    )
    data = gql.ok(END, {"id": gid("RoomAssignment", slot)}, factory.token(venue.organizer))[
        "endAssignment"
    ]
    assert data["endedAt"] is None
    [row] = slots_of(db, venue.controller)
    assert (row.ends_at, row.ended_at, row.ended_by_id, row.cancelled) == (
        slot.ends_at,
        None,
        None,
        False,
    )


def test_end_assignment_refused_to_controllers_and_unknown_ids(gql, factory, db, venue):
    slot = factory.assignment(venue.controller, venue.salle3)
    body = gql(END, {"id": gid("RoomAssignment", slot)}, token_of(factory, db, venue.controller))
    assert error_codes(body) == ["FORBIDDEN"]
    body = gql(END, {"id": gid("Room", venue.salle3)}, factory.token(venue.organizer))
    assert error_codes(body) == ["NOT_FOUND"]
    [row] = slots_of(db, venue.controller)
    assert row.ended_at is None
    assert row.ends_at == slot.ends_at


# --- reading -----------------------------------------------------------------------------------


def test_current_assignment_visible_to_staff_and_self_only(gql, factory, db, venue):
    factory.assignment(venue.controller, venue.salle3)
    variables = {"id": gid("Member", venue.controller)}
    for token in (
        factory.token(venue.organizer),
        token_of(factory, db, venue.gestionnaire),
        token_of(factory, db, venue.controller),
    ):
        data = gql.ok(CURRENT, variables, token)
        assert data["node"]["currentAssignment"]["room"]["name"] == "Salle 3"
    body = gql(CURRENT, variables, token_of(factory, db, venue.participant))
    # No list shows a participant the staff: the controller's membership is as if absent.
    assert error_codes(body) == ["NOT_FOUND"]
    assert body["data"]["node"] is None
    # a member holding no staff role has no assignment
    own = gql.ok(
        CURRENT, {"id": gid("Member", venue.participant)}, token_of(factory, db, venue.participant)
    )
    assert own["node"]["currentAssignment"] is None


def test_room_staff_at_a_moment(gql, factory, db, venue):
    now = models.utcnow()
    morning = factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    current = factory.assignment(venue.gestionnaire, venue.salle3)
    token = factory.token(venue.organizer)
    staff_now = gql.ok(ROOM_STAFF, {"id": gid("Room", venue.salle3)}, token)["room"]["staff"]
    assert [s["id"] for s in staff_now] == [gid("RoomAssignment", current)]
    staff_then = gql.ok(
        ROOM_STAFF, {"id": gid("Room", venue.salle3), "at": iso(now - timedelta(hours=2))}, token
    )["room"]["staff"]
    assert [s["id"] for s in staff_then] == [gid("RoomAssignment", morning)]


def test_event_staff_assignments_now_or_all(gql, factory, db, venue):
    now = models.utcnow()
    past = factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    running = factory.assignment(venue.controller, venue.salle4)
    future = factory.assignment(
        venue.gestionnaire,
        venue.salle3,
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    token = factory.token(venue.organizer)
    event_id = gid("Event", venue.event)
    assert [
        a["id"] for a in gql.ok(EVENT_STAFF, {"id": event_id}, token)["event"]["staffAssignments"]
    ] == [gid("RoomAssignment", running)]
    at_past = gql.ok(EVENT_STAFF, {"id": event_id, "at": iso(now - timedelta(hours=2))}, token)
    assert [a["id"] for a in at_past["event"]["staffAssignments"]] == [gid("RoomAssignment", past)]
    everything = gql.ok(EVENT_STAFF, {"id": event_id, "all": True}, token)["event"][
        "staffAssignments"
    ]
    assert [a["id"] for a in everything] == [
        gid("RoomAssignment", s) for s in (future, running, past)
    ]
    body = gql(EVENT_STAFF, {"id": event_id}, token_of(factory, db, venue.controller))
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["event"]["staffAssignments"] is None


def test_room_staff_costs_the_same_statements_for_many_rooms(
    gql, factory, db, venue, count_statements
):
    query = """query($id: ID!) { event(id: $id) { rooms { staff { member { fullName } room { name } assignedBy { fullName } } } } }"""
    token = factory.token(venue.organizer)
    factory.assignment(venue.controller, venue.salle3)

    def cost() -> int:
        with count_statements() as statements:
            gql.ok(query, {"id": gid("Event", venue.event)}, token)
        return len(statements)

    few = cost()
    for _ in range(6):
        room = factory.room(venue.event)
        factory.assignment(factory.member(venue.event, Role.CONTROLLEUR_DES_BADGES), room)
    assert cost() == few


# --- the clock ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "shift", "may_see", "may_not_see"),
    [
        ("moved a minute ago: now in salle 4", timedelta(minutes=-1), "salle4", "salle3"),
        ("moves in a minute: still in salle 3", timedelta(minutes=1), "salle3", "salle4"),
    ],
)
def test_room_access_follows_the_clock_of_a_reassignment(
    gql, factory, db, venue, _case, shift, may_see, may_not_see
):
    # given: the controller holds salle 3 this morning, and is moved to salle 4 at T
    now = models.utcnow()
    factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now - timedelta(hours=3),
        ends_at=now + timedelta(hours=3),
    )
    moment = now + shift
    gql.ok(
        REASSIGN,
        {
            "memberId": gid("Member", venue.controller),
            "roomId": gid("Room", venue.salle4),
            "at": iso(moment),
            "until": iso(now + timedelta(hours=6)),
        },
        factory.token(venue.organizer),
    )
    token = token_of(factory, db, venue.controller)
    # when / then: the controller reads the staff of the room it holds now, and only that one
    allowed_room = getattr(venue, may_see)
    data = gql.ok(ROOM_STAFF, {"id": gid("Room", allowed_room)}, token)["room"]
    assert [s["member"]["id"] for s in data["staff"]] == [gid("Member", venue.controller)]
    body = gql(ROOM_STAFF, {"id": gid("Room", getattr(venue, may_not_see))}, token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["room"]["staff"] is None


# --- concurrency -------------------------------------------------------------------------------


def test_parallel_reassignments_never_overlap(factory, db, venue, live_server):  # noqa: F811
    # PostgreSQL serialises on the member's row lock, SQLite on its database write lock;
    # without either, this test fails on both (slots overlap).
    # given: the controller in salle 3, and a third room to move between
    now = models.utcnow()
    factory.assignment(
        venue.controller,
        venue.salle3,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    salle5 = factory.room(venue.event, name="Salle 5")
    rooms = [venue.salle4, salle5, venue.salle3]
    token = factory.token(venue.organizer)
    until = iso(now + timedelta(hours=8))

    def reassign(i: int) -> dict:
        variables = {
            "memberId": gid("Member", venue.controller),
            "roomId": gid("Room", rooms[i % 3]),
            "until": until,
        }
        with httpx.Client(timeout=30) as client:
            response = client.post(
                live_server,
                json={"query": REASSIGN, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200, response.text
        return response.json()

    # when: ten reassignments of the same member at once
    with ThreadPoolExecutor(max_workers=10) as pool:
        bodies = list(pool.map(reassign, range(10)))

    # then: each succeeded or was refused as a conflict, and no two live slots overlap
    outcomes = ["ok" if "errors" not in b else error_codes(b)[0] for b in bodies]
    assert set(outcomes) <= {"ok", "CONFLICT"}, bodies
    assert "ok" in outcomes
    live = [s for s in slots_of(db, venue.controller) if not s.cancelled]
    assert len(live) == 1 + outcomes.count("ok")
    for a, b in zip(live, live[1:], strict=False):
        assert a.ends_at <= b.starts_at, (a, b)
    assert live[-1].ends_at == now + timedelta(hours=8)


def test_current_assignments_of_a_member_list_cost_the_same_statements(
    gql, factory, db, venue, count_statements
):
    query = """query($id: ID!) { event(id: $id) { members(first: 100) { edges { node {
      currentAssignment { room { name } member { fullName } assignedBy { fullName } }
    } } } } }"""
    token = factory.token(venue.organizer)
    factory.assignment(venue.controller, venue.salle3)

    def cost() -> int:
        with count_statements() as statements:
            gql.ok(query, {"id": gid("Event", venue.event)}, token)
        return len(statements)

    few = cost()
    for _ in range(8):
        room = factory.room(venue.event)
        factory.assignment(factory.member(venue.event, Role.CONTROLLEUR_DES_BADGES), room)
    assert cost() == few
