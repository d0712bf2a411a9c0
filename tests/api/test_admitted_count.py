"""The seats a session has given (`session.admitted`): exact whoever writes the scan log.

The door reads the count instead of counting the scan log, and `Room.occupancy` reports it, so
a scan log written in bulk (several rows in one statement) or cut down (retention) must leave it
equal to the distinct members granted entry.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select

import models
from models import Role
from tests.factories import gid

OCCUPANCY = "query($id: ID!) { room(id: $id) { occupancy } }"
SCAN = """mutation($input: ScanInput!) { scanBadge(input: $input) { status reason } }"""


def _full_room(factory):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, capacity=2)
    session = factory.session(room)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, room)
    people = [factory.member(event, Role.PARTICIPANT) for _ in range(3)]
    return president, room, session, controller, people


def _occupancy(gql, factory, president, room) -> int:
    token = factory.token(president)
    return gql(OCCUPANCY, {"id": gid("Room", room)}, token)["data"]["room"]["occupancy"]


def _scan(gql, factory, controller, room, member) -> tuple[str, str | None]:
    user = factory.db.get(models.User, controller.user_id)
    variables = {"input": {"roomId": gid("Room", room), "code": factory.badge(member).code}}
    answer = gql(SCAN, variables, factory.token(user))["data"]["scanBadge"]
    return answer["status"], answer["reason"]


def test_a_bulk_written_log_counts_each_member_once(gql, factory, db):
    # given: three grants in one statement, two of them the same member
    president, room, session, controller, (a, b, c) = _full_room(factory)
    factory.scans(room, [a, b, a], controller=controller, session=session)
    # then
    assert _occupancy(gql, factory, president, room) == 2
    # the room (capacity 2) is full for a newcomer, and lets a returning member back in
    assert _scan(gql, factory, controller, room, c) == ("DENIED", "ROOM_FULL")
    assert _scan(gql, factory, controller, room, a) == ("GRANTED", None)
    assert _occupancy(gql, factory, president, room) == 2


def test_removing_log_rows_frees_the_seats_of_members_left_without_a_grant(gql, factory, db):
    # given
    president, room, session, controller, (a, b, c) = _full_room(factory)
    factory.scans(room, [a, b, a], controller=controller, session=session)
    a_rows = [r for r in _grants(db, session) if r.member_id == a.id]
    # when: one of a's two grants goes, a is still in
    db.execute(delete(models.RoomAccess).where(col(models.RoomAccess.id) == a_rows[0].id))
    db.commit()
    # then
    assert _occupancy(gql, factory, president, room) == 2
    # when: every grant of b goes, in one statement with a's last one
    gone = [a_rows[1].id, *(r.id for r in _grants(db, session) if r.member_id == b.id)]
    db.execute(delete(models.RoomAccess).where(col(models.RoomAccess.id).in_(gone)))
    db.commit()
    # then: both seats are free again
    assert _occupancy(gql, factory, president, room) == 0
    assert _scan(gql, factory, controller, room, c) == ("GRANTED", None)
    assert _occupancy(gql, factory, president, room) == 1


def test_denied_scans_and_other_sessions_take_no_seat(gql, factory, db):
    # given
    president, room, session, controller, (a, b, c) = _full_room(factory)
    later = factory.session(room, starts_at=session.ends_at)
    factory.scans(
        room,
        [a, b],
        controller=controller,
        session=session,
        status=models.ScanStatus.DENIED,
        reason=models.DenyReason.NOT_PAID,
    )
    factory.scans(room, [a, b], controller=controller, session=later)
    # then: the running session has let nobody in
    assert _occupancy(gql, factory, president, room) == 0
    assert _scan(gql, factory, controller, room, c) == ("GRANTED", None)
    assert _occupancy(gql, factory, president, room) == 1


def _grants(db, session) -> list[models.RoomAccess]:
    db.expire_all()
    RA = models.RoomAccess
    rows = db.exec(
        select(RA)
        .where(RA.session_id == session.id, RA.status == models.ScanStatus.GRANTED)
        .order_by(col(RA.id))
    )
    return list(rows)
