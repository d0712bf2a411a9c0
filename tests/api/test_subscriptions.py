"""Live updates over graphql-transport-ws against a real server: pushed from each write's news,
under the same @allow as everything else, checked again before every push."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from websockets.exceptions import InvalidStatus

import models
from kernel import security
from kernel.settings import Settings
from models import PaymentStatus, Role, ScanStatus, SessionKind
from resolvers import news
from tests.factories import gid
from tests.live_client import LiveClient
from tests.live_data import (
    ANNONCES,
    ANSWER,
    ASK,
    IMPORT,
    OCCUPANCY,
    PUBLISH,
    QUESTIONS,
    REASSIGN,
    SCAN,
    SET_ACCESS,
    SET_STATUS,
    UPVOTE,
    post,
    scan,
    token_of,
)
from tests.live_server import serve

# --- pushes ----------------------------------------------------------------------------------


def test_room_occupancy_pushes_the_state_then_each_scan(live_server, factory, db, door):
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        # given: the state on subscribing
        state = {"title": door.talk.title, "status": "PAS_ENCORE"}
        assert client.data(op)["roomOccupancy"] == {
            "occupancy": 0,
            "capacity": 40,
            "room": {"name": door.room.name},
            "session": state,
            "lastScan": None,
        }
        # when: a badge is scanned at the door
        assert scan(live_server, door, door.guest, factory) == "GRANTED"
        # then
        assert client.data(op)["roomOccupancy"] == {
            "occupancy": 1,
            "capacity": 40,
            "room": {"name": door.room.name},
            "session": state,
            "lastScan": {"status": "GRANTED", "member": {"id": gid("Member", door.guest)}},
        }
        # and a denied one is pushed too, occupancy unchanged
        stranger = factory.member(factory.event(), Role.PARTICIPANT)
        assert scan(live_server, door, stranger, factory) == "DENIED"
        pushed = client.data(op)["roomOccupancy"]
        assert (pushed["occupancy"], pushed["lastScan"]) == (
            1,
            {"status": "DENIED", "member": None},
        )


def test_room_occupancy_follows_the_session_status(live_server, factory, db, door):
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        assert client.data(op)["roomOccupancy"]["session"]["status"] == "PAS_ENCORE"
        post(live_server, SET_STATUS, {"s": gid("Session", door.talk)}, door.organizer)
        pushed = client.data(op)["roomOccupancy"]
        assert (pushed["session"]["status"], pushed["lastScan"]) == ("EN_COURS", None)


def test_room_occupancy_resets_when_the_session_ends(live_server, factory, db, door):
    # given: a session ending in a moment, with one member in, and the next one right after
    soon = factory.room(door.event, capacity=10)
    now = models.utcnow()
    ending = factory.session(
        soon, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(seconds=2)
    )
    after = factory.session(
        soon, starts_at=ending.ends_at, ends_at=ending.ends_at + timedelta(hours=1)
    )
    factory.scan(soon, door.guest, controller=door.controller, session=ending)
    with LiveClient(live_server) as client:
        client.init(door.organizer)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", soon)})
        first = client.data(op)["roomOccupancy"]
        assert (first["occupancy"], first["session"]["title"]) == (1, ending.title)
        # when: time passes, with no scan and no write
        # then: the next session starts, empty
        pushed = client.data(op, timeout=6)["roomOccupancy"]
        assert (pushed["occupancy"], pushed["session"]["title"], pushed["lastScan"]) == (
            0,
            after.title,
            None,
        )


def test_annonces_reach_the_roles_they_target_only(live_server, factory, db, door):
    # given: a participant and an exposant, both subscribed
    exposant = factory.member(door.event, Role.EXPOSANT)
    with LiveClient(live_server) as guest, LiveClient(live_server) as stand:
        guest.init(token_of(factory, db, door.guest))
        stand.init(token_of(factory, db, exposant))
        g = guest.subscribe(ANNONCES, {"id": gid("Event", door.event)})
        s = stand.subscribe(ANNONCES, {"id": gid("Event", door.event)})
        time.sleep(0.5)  # both subscriptions have taken their starting point
        # when: an annonce for exposants, then one for all
        event_id = gid("Event", door.event)
        post(
            live_server,
            PUBLISH,
            {"e": event_id, "t": "EXPOSANTS", "title": "Stands"},
            door.organizer,
        )
        post(
            live_server, PUBLISH, {"e": event_id, "t": "ALL", "title": "Bienvenue"}, door.organizer
        )
        # then: the participant sees only the second, the exposant both, in order
        assert guest.data(g)["annoncePublished"] == {
            "title": "Bienvenue",
            "target": "ALL",
            "createdBy": {"fullName": "Claire"},
        }
        assert [stand.data(s)["annoncePublished"]["title"] for _ in range(2)] == [
            "Stands",
            "Bienvenue",
        ]
        guest.nothing_for(g, 0.5)


def test_question_updates_push_asked_answered_and_upvoted(live_server, factory, db, door):
    token = token_of(factory, db, door.guest)
    with LiveClient(live_server) as client:
        client.init(token)
        op = client.subscribe(QUESTIONS, {"id": gid("Session", door.talk)})
        time.sleep(0.5)
        asked = post(live_server, ASK, {"s": gid("Session", door.talk), "t": "Slides ?"}, token)
        q = asked["askQuestion"]["id"]
        expected = {"text": "Slides ?", "isAnswered": False, "answer": None, "upvotes": 0}
        assert client.data(op)["questionUpdates"] == expected
        post(live_server, UPVOTE, {"q": q}, token)
        assert client.data(op)["questionUpdates"] == {**expected, "upvotes": 1}
        post(live_server, ANSWER, {"q": q}, door.organizer)
        assert client.data(op)["questionUpdates"] == {
            **expected,
            "upvotes": 1,
            "isAnswered": True,
            "answer": "Oui",
        }


def test_news_of_another_event_is_not_pushed(live_server, factory, db, door):
    # given: a second event with its own door and controller
    other = factory.event()
    hall = factory.room(other)
    factory.session(hall)
    keeper = factory.member(other, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(keeper, hall)
    visitor = factory.member(other, Role.PARTICIPANT)
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(op)
        # when: a scan at the other event's door
        variables = {"r": gid("Room", hall), "c": factory.badge(visitor).code}
        post(live_server, SCAN, variables, token_of(factory, db, keeper))
        # then: nothing here; a scan here still arrives
        client.nothing_for(op, 0.7)
        scan(live_server, door, door.guest, factory)
        assert client.data(op)["roomOccupancy"]["occupancy"] == 1


def test_a_rolled_back_write_pushes_nothing(live_server, factory, db, door, engine):
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(op)

        def write_scan(db: Session) -> None:
            db.add(
                models.RoomAccess(
                    event_id=door.event.id,
                    room_id=door.room.id,
                    session_id=door.talk.id,
                    member_id=door.guest.id,
                    code="x",
                    controller_id=door.controller.id,
                    scanned_by_id=door.controller.user_id,
                    status=ScanStatus.GRANTED,
                    scanned_at=models.utcnow(),
                )
            )
            db.flush()
            news.publish(db, "room", door.room.id)

        # when: a scan is written and announced, then rolled back
        with Session(engine) as tx:
            write_scan(tx)
            tx.rollback()
        # then: nothing is pushed
        client.nothing_for(op, 0.7)
        # while the same write committed is
        with Session(engine) as tx:
            write_scan(tx)
            tx.commit()
        assert client.data(op)["roomOccupancy"]["occupancy"] == 1


def test_quiet_subscriptions_cost_no_statement(live_server, factory, db, door, count_statements):
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        ops = [
            client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)}),
            client.subscribe(ANNONCES, {"id": gid("Event", door.event)}),
            client.subscribe(QUESTIONS, {"id": gid("Session", door.talk)}),
        ]
        client.data(ops[0])
        time.sleep(0.3)
        # when nothing happens for a while
        with count_statements() as statements:
            client.nothing_for(ops[1], 1.5)
        # then the server sends no statement at all
        assert statements == []


def _five_displays_see_one_scan(
    live_server: str, factory: Any, door: Any, count_statements: Any, query: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Five displays of the door's controller on one socket, past their first push, then one
    scan at the door: what each was pushed, and the statements the server ran meanwhile."""
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        ops = [client.subscribe(query, {"id": gid("Room", door.room)}) for _ in range(5)]
        for op in ops:
            client.data(op)
        with count_statements() as statements:
            assert scan(live_server, door, door.guest, factory) == "GRANTED"
            pushed = [client.data(op, timeout=5)["roomOccupancy"] for op in ops]
    return pushed, statements


def test_the_displays_of_a_door_read_a_scan_once_in_one_statement(
    live_server, factory, db, door, count_statements
):
    # when: one scan at a door five displays watch
    pushed, statements = _five_displays_see_one_scan(
        live_server, factory, door, count_statements, OCCUPANCY
    )
    # then: every display has it
    assert {(p["occupancy"], p["lastScan"]["status"]) for p in pushed} == {(1, "GRANTED")}
    # read once for the five, in one statement: the room, its sessions, the scans after
    # the cursor and what names them; nothing read after it to push
    door_reads = [s for s in statements if "room_access.id >" in s]
    assert len(door_reads) == 1, statements
    assert statements[-1] == door_reads[0], statements


def test_displays_asking_the_same_as_the_same_user_share_one_execution(
    live_server, factory, db, door, count_statements
):
    # given: five displays of one user, asking for the room's event (read when executed)
    query = "subscription($id: ID!) { roomOccupancy(roomId: $id) { room { event { name } } } }"
    # when: one scan at the door
    pushed, statements = _five_displays_see_one_scan(
        live_server, factory, door, count_statements, query
    )
    # then: every display has it, from one execution (one read of the event)
    assert {p["room"]["event"]["name"] for p in pushed} == {door.event.name}
    assert len([s for s in statements if "FROM event" in s]) == 1, statements


def test_a_shared_push_is_each_viewer_s_own(live_server, factory, db, door):
    # given: the president's displays and the controller's, asking for the scanned member's
    # email, which the president may read and the controller may not
    query = """subscription($id: ID!) { roomOccupancy(roomId: $id) {
      lastScan { member { email } } } }"""
    guest_email = db.get(models.User, door.guest.user_id).email
    with LiveClient(live_server) as boss, LiveClient(live_server) as keeper:
        boss.init(door.organizer)
        keeper.init(door.controller_token)
        bosses = [boss.subscribe(query, {"id": gid("Room", door.room)}) for _ in range(3)]
        mine = keeper.subscribe(query, {"id": gid("Room", door.room)})
        for op in bosses:
            boss.data(op)
        keeper.data(mine)
        for _ in range(2):
            # when: a scan at the door
            assert scan(live_server, door, door.guest, factory) == "GRANTED"
            # then: the president's displays show the email, the controller's is refused it
            emails = {
                boss.data(op, timeout=5)["roomOccupancy"]["lastScan"]["member"]["email"]
                for op in bosses
            }
            assert emails == {guest_email}
            refused = keeper.next_for(mine, timeout=5)["payload"]
            assert refused["data"]["roomOccupancy"]["lastScan"]["member"]["email"] is None
            assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


# --- rights, checked at subscribe and before each push ---------------------------------------


@pytest.mark.parametrize(
    ("query", "arg", "code"),
    [
        pytest.param(OCCUPANCY, "room", "FORBIDDEN", id="participant_at_a_door"),
        pytest.param(OCCUPANCY, "other_room", "NOT_FOUND", id="door_of_another_event"),
        pytest.param(ANNONCES, "other_event", "NOT_FOUND", id="annonces_of_another_event"),
        pytest.param(QUESTIONS, "paid", "FORBIDDEN", id="paid_atelier_without_access"),
    ],
)
def test_subscribe_is_refused_without_the_right(live_server, factory, db, door, query, arg, code):
    other = factory.event()
    paid = factory.session(factory.room(door.event), kind=SessionKind.ATELIER, price=Decimal("20"))
    ids = {
        "room": gid("Room", door.room),
        "other_room": gid("Room", factory.room(other)),
        "other_event": gid("Event", other),
        "paid": gid("Session", paid),
    }
    with LiveClient(live_server) as client:
        client.init(token_of(factory, db, door.guest))
        op = client.subscribe(query, {"id": ids[arg]})
        errors = client.errors(op)
        assert [e["extensions"]["code"] for e in errors] == [code]
        assert errors[0]["message"]


def test_a_reassigned_controller_stops_receiving_the_old_room(live_server, factory, db, door):
    annex = factory.room(door.event, name="Annexe")
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(op)
        # when: an organizer moves the controller to the annex
        until = (models.utcnow() + timedelta(hours=2)).isoformat()
        variables = {"m": gid("Member", door.controller), "r": gid("Room", annex), "until": until}
        post(live_server, REASSIGN, variables, door.organizer)
        # then: the old room's subscription ends at once, without waiting for a scan
        errors = client.errors(op, timeout=5)
        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
        assert "Your rights here changed" in errors[0]["message"]
        # and the new room is theirs
        mine = client.subscribe(OCCUPANCY, {"id": gid("Room", annex)})
        assert client.data(mine)["roomOccupancy"]["room"] == {"name": "Annexe"}


def test_a_controller_s_subscription_ends_with_the_staff_slot(live_server, factory, db, door):
    # given: a controller whose slot at a door ends in two seconds, and one staying on
    hall = factory.room(door.event, name="Hall")
    factory.session(hall)
    keeper = factory.member(door.event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(keeper, hall, ends_at=models.utcnow() + timedelta(seconds=2))
    relief = factory.member(door.event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(relief, hall)
    hall_door = dataclasses.replace(
        door, room=hall, controller=relief, controller_token=token_of(factory, db, relief)
    )
    with LiveClient(live_server) as client:
        client.init(token_of(factory, db, keeper))
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", hall)})
        client.data(op)
        # when: the slot is over, then a badge is scanned there
        time.sleep(2.5)
        assert scan(live_server, hall_door, door.guest, factory) == "GRANTED"
        # then: the scan is not pushed; the subscription ends
        errors = client.errors(op, timeout=5)
        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
        assert "Your rights here changed" in errors[0]["message"]


def test_a_revoked_paid_access_ends_the_question_feed(live_server, factory, db, door):
    atelier = factory.session(
        factory.room(door.event), kind=SessionKind.ATELIER, price=Decimal("15")
    )
    factory.access(atelier, door.guest, PaymentStatus.PAID)
    with LiveClient(live_server) as client:
        client.init(token_of(factory, db, door.guest))
        op = client.subscribe(QUESTIONS, {"id": gid("Session", atelier)})
        time.sleep(0.5)
        # when: staff mark the access as not paid after all
        variables = {"s": gid("Session", atelier), "m": gid("Member", door.guest), "p": "PENDING"}
        post(live_server, SET_ACCESS, variables, door.organizer)
        # then
        assert [e["extensions"]["code"] for e in client.errors(op, timeout=5)] == ["FORBIDDEN"]


def test_a_role_taken_away_ends_the_subscriptions(live_server, factory, db, door):
    # given: a gestionnaire watching a door
    user = factory.user(email="gina@example.org", name="Gina")
    gestionnaire = factory.member(door.event, Role.GESTIONNAIRE_DES_SALLES, user=user)
    with LiveClient(live_server) as client:
        client.init(token_of(factory, db, gestionnaire))
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(op)
        # when: an import makes her a participant
        csv = "email,full_name,role,company\ngina@example.org,Gina,PARTICIPANT,\n"
        response = httpx.post(
            live_server,
            data={
                "operations": json.dumps(
                    {"query": IMPORT, "variables": {"e": gid("Event", door.event), "file": None}}
                ),
                "map": '{"0": ["variables.file"]}',
            },
            files={"0": ("members.csv", csv.encode(), "text/csv")},
            headers={"Authorization": f"Bearer {door.organizer}"},
        )
        assert response.json()["data"]["importMembers"] == {"updated": 1}
        # then
        assert [e["extensions"]["code"] for e in client.errors(op, timeout=5)] == ["FORBIDDEN"]


def test_an_expiring_token_ends_its_subscriptions(live_server, factory, db, door, settings):
    # given: a token that expires in about two seconds
    lifetime = timedelta(minutes=settings.access_token_minutes)
    issued = models.utcnow() - lifetime + timedelta(seconds=2)
    token = security.issue_access_token(settings, door.controller.user_id, issued)
    with LiveClient(live_server) as client:
        ack = client.init(token.token)
        assert ack["payload"]["expiresAt"] == token.expires_at.replace(microsecond=0).isoformat()
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(op)
        # then: when it expires, the subscription ends with UNAUTHENTICATED, then the socket
        errors = client.errors(op, timeout=6)
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
        assert "expired" in errors[0]["message"]
        closed = client.closed()
        assert closed.code == 4401
        assert "reconnect" in closed.reason


# --- the connection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(None, "send", id="no_token"),
        pytest.param("garbage", "invalid", id="garbage"),
        pytest.param("expired", "expired", id="expired"),
    ],
)
def test_connection_init_without_a_valid_token_is_refused(
    live_server, factory, settings, token, reason
):
    user = factory.user()
    if token == "expired":
        issued = models.utcnow() - timedelta(minutes=settings.access_token_minutes + 1)
        token = security.issue_access_token(settings, user.id, issued).token
    with LiveClient(live_server) as client:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        client.send({"type": "connection_init", "payload": payload})
        closed = client.closed()
        assert closed.code == 4401
        assert reason in closed.reason


def test_subscribe_before_connection_init_is_refused(live_server, factory, door):
    with LiveClient(live_server) as client:
        client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        assert client.closed().code == 4401


def test_the_token_may_come_in_the_handshake_header(live_server, factory, db, door):
    with LiveClient(live_server, token=door.controller_token) as client:
        client.init(None)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        assert client.data(op)["roomOccupancy"]["capacity"] == 40


def test_queries_go_over_http_not_the_socket(live_server, factory, door):
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe("{ me { fullName } }")
        errors = client.errors(op)
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
        assert "subscriptions" in errors[0]["message"]


@pytest.fixture
def strict_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """A server with small live limits and one allowed browser origin."""
    strict = dataclasses.replace(
        settings,
        live_max_subscriptions=2,
        live_max_connections=2,
        live_init_timeout_seconds=0.5,
        cors_origins=("https://door.example",),
    )
    with serve(strict, engine) as url:
        yield url


def test_subscriptions_per_connection_are_limited(strict_server, factory, db, door):
    with LiveClient(strict_server) as client:
        client.init(door.controller_token)
        first = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        second = client.subscribe(ANNONCES, {"id": gid("Event", door.event)})
        client.data(first)
        third = client.subscribe(QUESTIONS, {"id": gid("Session", door.talk)})
        errors = client.errors(third)
        assert [e["extensions"]["code"] for e in errors] == ["CONFLICT"]
        assert "2 subscriptions" in errors[0]["message"]
        # once one completes, there is room again
        client.complete(second)
        time.sleep(0.2)
        again = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        assert client.data(again)["roomOccupancy"]["capacity"] == 40


def test_connections_per_user_are_limited(strict_server, factory, db, door):
    first, second = LiveClient(strict_server), LiveClient(strict_server)
    try:
        first.init(door.controller_token)
        second.init(door.controller_token)
        with LiveClient(strict_server) as third:
            third.send(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {door.controller_token}"},
                }
            )
            closed = third.closed()
            assert (closed.code, "2 live connections" in closed.reason) == (4403, True)
        # another user is not counted against this one
        with LiveClient(strict_server) as other:
            other.init(door.organizer)
        # once one closes, the user may connect again
        first.close()
        time.sleep(0.3)
        with LiveClient(strict_server) as again:
            again.init(door.controller_token)
    finally:
        first.close()
        second.close()


def test_a_silent_connection_is_closed_after_the_init_timeout(strict_server):
    with LiveClient(strict_server) as client:
        assert client.closed(timeout=5).code == 4408


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        pytest.param(None, True, id="no_origin_not_a_browser"),
        pytest.param("same", True, id="same_origin"),
        pytest.param("https://door.example", True, id="listed_origin"),
        pytest.param("https://evil.example", False, id="other_origin"),
    ],
)
def test_browser_origins_are_checked_at_the_handshake(
    strict_server, factory, door, origin, accepted
):
    if origin == "same":
        origin = strict_server.removesuffix("/graphql")
    if not accepted:
        with pytest.raises(InvalidStatus) as refused:
            LiveClient(strict_server, origin=origin)
        assert refused.value.response.status_code == 403
        return
    with LiveClient(strict_server, origin=origin) as client:
        client.init(door.controller_token)


def test_listed_origins_may_call_the_api_over_http(strict_server):
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    listed = httpx.options(strict_server, headers={"Origin": "https://door.example", **preflight})
    assert listed.headers["access-control-allow-origin"] == "https://door.example"
    other = httpx.options(strict_server, headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_setting_is_checked():
    from kernel.settings import SettingsError, load_settings

    env = {"AGORA_SECRET_KEY": "x" * 40, "AGORA_DATA_DIR": "/tmp/agora-settings-test"}
    ok = load_settings(
        {**env, "AGORA_CORS_ORIGINS": "https://A.example:443, http://b.example:8080"}
    )
    assert ok.cors_origins == ("https://a.example", "http://b.example:8080")
    assert load_settings(env).cors_origins == ()
    with pytest.raises(SettingsError, match="AGORA_CORS_ORIGINS"):
        load_settings({**env, "AGORA_CORS_ORIGINS": "https://a.example/path"})
    with pytest.raises(SettingsError, match="AGORA_LIVE_MAX_SUBSCRIPTIONS"):
        load_settings({**env, "AGORA_LIVE_MAX_SUBSCRIPTIONS": "0"})
