"""The door's rules as one table of cases.

The door judges a scan in two places: in Python (`resolvers.scanning._judge`) on SQLite, and in
the PL/pgSQL function `agora_scan` on PostgreSQL, which answers a scan in one round trip (4.3×
the scans per second of the Python path there). This table is the rules' one statement: every
row runs through the API on each database (CI runs the suite on both), so the two
implementations answer each case alike or the suite fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

import models
from models import PaymentStatus, Role, SessionKind
from resolvers.badges import new_code
from tests.factories import gid

SCAN = (
    """mutation($input: ScanInput!) { scanBadge(input: $input) { status reason member { id } } }"""
)


@dataclass
class Door:
    event: models.Event
    room: models.Room
    session: models.EventSession
    token: str


def _door(factory, *, capacity: int = 50, paid: bool = False, starts_in=timedelta(minutes=-30)):
    event = factory.event()
    room = factory.room(event, capacity=capacity)
    kind = SessionKind.ATELIER if paid else SessionKind.CONFERENCE
    price = Decimal("20") if paid else Decimal("0")
    session = factory.session(room, starts_at=factory.now + starts_in, kind=kind, price=price)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, room)
    token = factory.token(factory.db.get(models.User, controller.user_id))
    return Door(event, room, session, token)


def _participant(factory, door: Door) -> tuple[models.Member, str]:
    member = factory.member(door.event, Role.PARTICIPANT)
    return member, factory.badge(member).code


def _unknown(_factory, _door):
    return None, "AGB-nothing-like-this"


def _revoked(factory, door):
    member, code = _participant(factory, door)
    badge = factory.badge(member)
    badge.revoked_at = models.utcnow()
    factory._save(badge)
    return member, code


def _superseded(factory, door):
    member, old = _participant(factory, door)
    factory._save(models.Badge(member_id=member.id, code=new_code()))
    return member, old


def _of_another_event(factory, door):
    stranger = factory.member(factory.event(), Role.PARTICIPANT)
    return None, factory.badge(stranger).code


def _revoked_of_another_event(factory, door):
    stranger = factory.member(factory.event(), Role.PARTICIPANT)
    badge = factory.badge(stranger)
    badge.revoked_at = models.utcnow()
    factory._save(badge)
    return None, badge.code


def _with_access(status: PaymentStatus) -> Callable:
    def make(factory, door):
        member, code = _participant(factory, door)
        factory.access(door.session, member, status)
        return member, code

    return make


def _full(returning: bool) -> Callable:
    def make(factory, door):
        seated, seated_code = _participant(factory, door)
        factory.scan(
            door.room, seated, controller=_any_controller(factory, door), session=door.session
        )
        if returning:
            return seated, seated_code
        return _participant(factory, door)

    return make


def _any_controller(factory, door) -> models.Member:
    return factory.member(door.event, Role.CONTROLLEUR_DES_BADGES)


@dataclass(frozen=True)
class Case:
    make: Callable
    status: str
    reason: str | None
    # Whether the log names the member (never one of another event).
    named: bool = True
    door: dict | None = None


CASES = {
    "a current badge at a running session": Case(_participant, "GRANTED", None),
    "an unknown code": Case(_unknown, "DENIED", "UNKNOWN_BADGE", named=False),
    "a revoked badge": Case(_revoked, "DENIED", "REVOKED_BADGE"),
    "a badge since reissued": Case(_superseded, "DENIED", "REVOKED_BADGE"),
    "a badge of another event": Case(_of_another_event, "DENIED", "WRONG_EVENT", named=False),
    "revoked before wrong event": Case(
        _revoked_of_another_event, "DENIED", "REVOKED_BADGE", named=False
    ),
    "doors open 15 minutes before": Case(
        _participant, "GRANTED", None, door={"starts_in": timedelta(minutes=10)}
    ),
    "too early": Case(
        _participant, "DENIED", "NO_SESSION", door={"starts_in": timedelta(minutes=20)}
    ),
    "unknown before no session": Case(
        _unknown,
        "DENIED",
        "UNKNOWN_BADGE",
        named=False,
        door={"starts_in": timedelta(hours=3)},
    ),
    "a paid atelier, no access": Case(_participant, "DENIED", "NOT_PAID", door={"paid": True}),
    "a paid atelier, PENDING": Case(
        _with_access(PaymentStatus.PENDING), "DENIED", "NOT_PAID", door={"paid": True}
    ),
    "a paid atelier, PAID": Case(
        _with_access(PaymentStatus.PAID), "GRANTED", None, door={"paid": True}
    ),
    "a paid atelier, FREE": Case(
        _with_access(PaymentStatus.FREE), "GRANTED", None, door={"paid": True}
    ),
    "a full room, a newcomer": Case(
        _full(returning=False), "DENIED", "ROOM_FULL", door={"capacity": 1}
    ),
    "a full room, a member back in": Case(
        _full(returning=True), "GRANTED", None, door={"capacity": 1}
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_door_answers_each_case_as_the_rules_say(gql, factory, case: Case):
    # given
    door = _door(factory, **(case.door or {}))
    member, code = case.make(factory, door)
    # when
    body = gql(SCAN, {"input": {"roomId": gid("Room", door.room), "code": code}}, door.token)
    # then
    answer = body["data"]["scanBadge"]
    assert (answer["status"], answer["reason"]) == (case.status, case.reason)
    named = {"id": gid("Member", member)} if case.named and member is not None else None
    assert answer["member"] == named
