"""Event.auditLog: every privileged change leaves one entry, written with the change."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import models
from models import AnnonceTarget, PaymentStatus, Role, SessionKind
from resolvers.audit import ACTIONS
from tests.api.conftest import minimal_pdf, rows
from tests.conftest import error_codes
from tests.factories import Factory, gid

LOG = """query($id: ID!, $first: Int, $after: String, $action: String) {
  event(id: $id) {
    auditLog(first: $first, after: $after, action: $action) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id at action subjectId before after actor { id fullName } } }
    }
  }
}"""

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    event: models.Event
    president: models.User
    room: models.Room
    other_room: models.Room
    session: models.EventSession
    atelier: models.EventSession
    participant: models.Member
    controller: models.Member
    assignment: models.RoomAssignment
    annonce: models.Annonce


def build(factory: Factory) -> World:
    president = factory.user(name="La Présidente")
    event = factory.event(president=president)
    room = factory.room(event, name="Salle 3", capacity=10)
    other_room = factory.room(event, name="Salle 4", capacity=10)
    start = factory.now + timedelta(hours=2)
    session = factory.session(room, starts_at=start, title="Ouverture")
    atelier = factory.session(
        other_room, starts_at=start, kind=SessionKind.ATELIER, price=Decimal("20")
    )
    participant = factory.member(event, Role.PARTICIPANT)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    assignment = factory.assignment(controller, room)
    annonce = factory.annonce(event, president, AnnonceTarget.ALL, title="Bienvenue")
    return World(
        event,
        president,
        room,
        other_room,
        session,
        atelier,
        participant,
        controller,
        assignment,
        annonce,
    )


def log(gql: Any, token: str, event: models.Event, **variables: Any) -> dict[str, Any]:
    data = gql.ok(LOG, {"id": gid("Event", event), **variables}, token)
    return data["event"]["auditLog"]


def entries(gql: Any, token: str, event: models.Event, **variables: Any) -> list[dict[str, Any]]:
    return [e["node"] for e in log(gql, token, event, **variables)["edges"]]


def _utc(moment: Any) -> str:
    return moment.astimezone(models.utcnow().tzinfo).isoformat()


def _session_input(w: World, **changes: Any) -> dict[str, Any]:
    s = w.session
    values = {
        "roomId": gid("Room", w.room),
        "title": s.title,
        "kind": "CONFERENCE",
        "startsAt": s.starts_at.isoformat(),
        "endsAt": s.ends_at.isoformat(),
    }
    return {**values, **changes}


@dataclass(frozen=True)
class Case:
    query: str
    variables: Callable[[World], dict[str, Any]]
    action: str
    subject: Callable[[World], str | None]
    before: Callable[[World], dict[str, Any] | None]
    after: Callable[[World], dict[str, Any] | None]


ROOM_INPUT = {"name": "Salle 9", "capacity": 12}
CASES = {
    "session.update": Case(
        "mutation($id: ID!, $i: SessionInput!) { updateSession(id: $id, input: $i) { id } }",
        lambda w: {"id": gid("Session", w.session), "i": _session_input(w, title="Keynote")},
        "session.update",
        lambda w: gid("Session", w.session),
        lambda _w: {"title": "Ouverture"},
        lambda _w: {"title": "Keynote"},
    ),
    "session.move": Case(
        "mutation($id: ID!, $i: SessionInput!) { updateSession(id: $id, input: $i) { id } }",
        lambda w: {
            "id": gid("Session", w.session),
            "i": _session_input(
                w,
                roomId=gid("Room", w.other_room),
                startsAt=(w.session.starts_at + timedelta(hours=3)).isoformat(),
                endsAt=(w.session.ends_at + timedelta(hours=3)).isoformat(),
            ),
        },
        "session.update",
        lambda w: gid("Session", w.session),
        lambda w: {
            "room_id": gid("Room", w.room),
            "starts_at": _utc(w.session.starts_at),
            "ends_at": _utc(w.session.ends_at),
        },
        lambda w: {
            "room_id": gid("Room", w.other_room),
            "starts_at": _utc(w.session.starts_at + timedelta(hours=3)),
            "ends_at": _utc(w.session.ends_at + timedelta(hours=3)),
        },
    ),
    "session.status": Case(
        "mutation($id: ID!) { setSessionStatus(id: $id, status: EN_COURS) { id } }",
        lambda w: {"id": gid("Session", w.session)},
        "session.status",
        lambda w: gid("Session", w.session),
        lambda _w: {"status": "PAS_ENCORE"},
        lambda _w: {"status": "EN_COURS"},
    ),
    "session.delete": Case(
        "mutation($id: ID!) { deleteSession(id: $id) }",
        lambda w: {"id": gid("Session", w.session)},
        "session.delete",
        lambda w: gid("Session", w.session),
        lambda w: {
            "room_id": gid("Room", w.room),
            "title": "Ouverture",
            "description": "",
            "speaker_name": "",
            "kind": "CONFERENCE",
            "is_paid": False,
            "price": "0.00",
            "starts_at": _utc(w.session.starts_at),
            "ends_at": _utc(w.session.ends_at),
            "youtube_live_url": None,
        },
        lambda _w: None,
    ),
    "event.update": Case(
        "mutation($id: ID!, $i: EventInput!) { updateEvent(id: $id, input: $i) { id } }",
        lambda w: {
            "id": gid("Event", w.event),
            "i": {
                "name": "Salon 2027",
                "location": "Lyon",
                "startsAt": w.event.starts_at.isoformat(),
                "endsAt": w.event.ends_at.isoformat(),
            },
        },
        "event.update",
        lambda w: gid("Event", w.event),
        lambda w: {"name": w.event.name, "location": ""},
        lambda _w: {"name": "Salon 2027", "location": "Lyon"},
    ),
    "room.create": Case(
        "mutation($e: ID!, $i: RoomInput!) { createRoom(eventId: $e, input: $i) { id } }",
        lambda w: {"e": gid("Event", w.event), "i": ROOM_INPUT},
        "room.create",
        lambda _w: None,  # a new id: checked as a Room id below
        lambda _w: None,
        lambda _w: {"name": "Salle 9", "description": "", "location": "", "capacity": 12},
    ),
    "room.update": Case(
        "mutation($id: ID!, $i: RoomInput!) { updateRoom(id: $id, input: $i) { id } }",
        lambda w: {"id": gid("Room", w.room), "i": {"name": "Salle 3", "capacity": 80}},
        "room.update",
        lambda w: gid("Room", w.room),
        lambda _w: {"capacity": 10},
        lambda _w: {"capacity": 80},
    ),
    "badge.revoke": Case(
        "mutation($m: ID!) { revokeBadge(memberId: $m) { id } }",
        lambda w: {"m": gid("Member", w.participant)},
        "badge.revoke",
        lambda w: gid("Member", w.participant),
        lambda _w: {"revoked": False},
        lambda _w: {"revoked": True},
    ),
    "access.mark": Case(
        "mutation($s: ID!, $m: ID!) { setSessionAccess(sessionId: $s, memberId: $m, paymentStatus: PAID) { hasAccess } }",
        lambda w: {"s": gid("Session", w.atelier), "m": gid("Member", w.participant)},
        "access.mark",
        lambda _w: None,
        lambda _w: None,
        lambda w: {
            "session_id": gid("Session", w.atelier),
            "member_id": gid("Member", w.participant),
            "payment_status": "PAID",
            "amount_paid": "20.00",
        },
    ),
    "staff.end": Case(
        "mutation($id: ID!) { endAssignment(id: $id) { id } }",
        lambda w: {"id": gid("RoomAssignment", w.assignment)},
        "staff.end",
        lambda w: gid("RoomAssignment", w.assignment),
        lambda w: {"ends_at": _utc(w.assignment.ends_at)},
        lambda _w: {"ends_at": "<now>"},
    ),
    "annonce.update": Case(
        '($id: ID!) { updateAnnonce(id: $id, title: "Nouveau titre") { id } }',
        lambda w: {"id": gid("Annonce", w.annonce)},
        "annonce.update",
        lambda w: gid("Annonce", w.annonce),
        lambda _w: {"title": "Bienvenue"},
        lambda _w: {"title": "Nouveau titre"},
    ),
    "annonce.delete": Case(
        "mutation($id: ID!) { deleteAnnonce(id: $id) }",
        lambda w: {"id": gid("Annonce", w.annonce)},
        "annonce.delete",
        lambda w: gid("Annonce", w.annonce),
        lambda _w: {"title": "Bienvenue", "description": "…", "target": "ALL"},
        lambda _w: None,
    ),
    "annonce.create": Case(
        '($e: ID!) { createAnnonce(eventId: $e, title: "T", description: "D", target: EXPOSANTS) { id } }',
        lambda w: {"e": gid("Event", w.event)},
        "annonce.create",
        lambda _w: None,
        lambda _w: None,
        lambda _w: {"title": "T", "description": "D", "target": "EXPOSANTS"},
    ),
    "member.add": Case(
        '($e: ID!) { addMember(eventId: $e, input: {email: "new@example.org", fullName: "New", role: EXPOSANT, company: "ACME"}) { id } }',
        lambda w: {"e": gid("Event", w.event)},
        "member.add",
        lambda _w: None,
        lambda _w: None,
        lambda _w: {
            "email": "new@example.org",
            "full_name": "New",
            "role": "EXPOSANT",
            "company": "ACME",
        },
    ),
}


def _query(case: Case) -> str:
    return case.query if case.query.startswith("mutation") else "mutation" + case.query


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_change_writes_its_entry(gql, factory, key):
    # given
    w = build(factory)
    case = CASES[key]
    token = factory.token(w.president)
    # when
    body = gql.ok(_query(case), case.variables(w), token)
    # then
    found = entries(gql, token, w.event)
    assert len(found) == 1, found
    entry = found[0]
    assert entry["action"] == case.action
    assert entry["actor"] == {"id": gid("User", w.president), "fullName": "La Présidente"}
    expected_subject = case.subject(w)
    if expected_subject is not None:
        assert entry["subjectId"] == expected_subject
    else:
        # Created by the change: the entry names the new object.
        new_id = next(iter(body.values()))
        new_id = new_id.get("id") if isinstance(new_id, dict) else None
        assert entry["subjectId"] is not None
        if new_id is not None:
            assert entry["subjectId"] == new_id
    assert entry["before"] == case.before(w)
    after = case.after(w)
    if after is not None and "<now>" in after.values():
        assert set(entry["after"]) == set(after)
        assert entry["after"]["ends_at"] < _utc(w.assignment.ends_at)
    else:
        assert entry["after"] == after


def test_reissue_names_no_badge_code(gql, factory, db):
    w = build(factory)
    token = factory.token(w.president)
    old = factory.badge(w.participant)
    gql.ok(
        "mutation($m: ID!) { reissueBadge(memberId: $m) { id } }",
        {"m": gid("Member", w.participant)},
        token,
    )
    [entry] = entries(gql, token, w.event)
    new = factory.badge(w.participant)
    assert entry["action"] == "badge.reissue"
    # The old badge was valid and the new one is too: only the issue moment changed.
    assert set(entry["before"]) == set(entry["after"]) == {"badge_issued_at"}
    assert entry["before"]["badge_issued_at"] < entry["after"]["badge_issued_at"]
    text = str(entry)
    assert old.code not in text
    assert new.code not in text


def test_reassign_records_the_slot_it_ends_and_the_one_it_starts(gql, factory):
    w = build(factory)
    token = factory.token(w.president)
    until = (factory.now + timedelta(hours=4)).isoformat()
    data = gql.ok(
        "mutation($m: ID!, $r: ID!, $u: DateTime!) { reassignStaff(memberId: $m, roomId: $r, until: $u) { id } }",
        {"m": gid("Member", w.controller), "r": gid("Room", w.other_room), "u": until},
        token,
    )
    [entry] = entries(gql, token, w.event)
    assert entry["action"] == "staff.reassign"
    assert entry["subjectId"] == data["reassignStaff"]["id"]
    assert entry["before"]["room_id"] == gid("Room", w.room)
    assert entry["after"]["room_id"] == gid("Room", w.other_room)
    assert "member_id" not in entry["after"]  # the same member: not a change


def test_assign_records_the_new_slot(gql, factory):
    w = build(factory)
    token = factory.token(w.president)
    start = factory.now + timedelta(days=1)
    data = gql.ok(
        "mutation($i: StaffAssignmentInput!) { assignStaff(input: $i) { id } }",
        {
            "i": {
                "memberId": gid("Member", w.controller),
                "roomId": gid("Room", w.other_room),
                "startsAt": start.isoformat(),
                "endsAt": (start + timedelta(hours=2)).isoformat(),
            }
        },
        token,
    )
    [entry] = entries(gql, token, w.event)
    assert (entry["action"], entry["subjectId"], entry["before"]) == (
        "staff.assign",
        data["assignStaff"]["id"],
        None,
    )
    assert entry["after"]["room_id"] == gid("Room", w.other_room)
    assert entry["after"]["member_id"] == gid("Member", w.controller)


def test_upload_and_room_delete_are_recorded(gql, factory, upload):
    w = build(factory)
    token = factory.token(w.president)
    room = factory.room(w.event, name="Salle vide")
    upload(
        "mutation($e: ID!, $f: Upload!) { uploadEventFile(eventId: $e, kind: GUIDE, file: $f) { id } }",
        {"e": gid("Event", w.event)},
        "f",
        minimal_pdf(),
        "guide.pdf",
        token,
    )
    gql.ok("mutation($id: ID!) { deleteRoom(id: $id) }", {"id": gid("Room", room)}, token)
    deleted, uploaded = entries(gql, token, w.event)
    assert (deleted["action"], deleted["subjectId"], deleted["after"]) == (
        "room.delete",
        gid("Room", room),
        None,
    )
    assert deleted["before"]["name"] == "Salle vide"
    assert uploaded["action"] == "file.upload"
    assert uploaded["after"]["kind"] == "GUIDE"
    assert uploaded["after"]["filename"] == "guide.pdf"


def test_import_records_role_changes_only_for_what_changed(gql, factory, db, upload):
    w = build(factory)
    token = factory.token(w.president)
    user = db.get(models.User, w.participant.user_id)
    csv = f"email,full_name,role\n{user.email},{user.full_name},EXPOSANT\n".encode()
    report = upload(
        "mutation($e: ID!, $f: Upload!) { importMembers(eventId: $e, file: $f) { updated } }",
        {"e": gid("Event", w.event)},
        "f",
        csv,
        "members.csv",
        token,
    )
    assert report["data"]["importMembers"]["updated"] == 1
    [entry] = entries(gql, token, w.event)
    assert entry["action"] == "member.update"
    assert entry["subjectId"] == gid("Member", w.participant)
    assert (entry["before"], entry["after"]) == ({"role": "PARTICIPANT"}, {"role": "EXPOSANT"})
    # The same file again changes nothing, and writes nothing.
    upload(
        "mutation($e: ID!, $f: Upload!) { importMembers(eventId: $e, file: $f) { updated } }",
        {"e": gid("Event", w.event)},
        "f",
        csv,
        "members.csv",
        token,
    )
    assert len(entries(gql, token, w.event)) == 1


def test_create_event_is_recorded_in_the_new_event(gql, factory):
    admin = factory.user(admin=True)
    start = factory.now + timedelta(days=10)
    data = gql.ok(
        "mutation($i: EventInput!) { createEvent(input: $i) { id } }",
        {
            "i": {
                "name": "Congrès",
                "startsAt": start.isoformat(),
                "endsAt": (start + timedelta(days=1)).isoformat(),
            }
        },
        factory.token(admin),
    )
    event_id = data["createEvent"]["id"]
    body = gql.ok(LOG, {"id": event_id}, factory.token(admin))
    [edge] = body["event"]["auditLog"]["edges"]
    assert edge["node"]["action"] == "event.create"
    assert edge["node"]["subjectId"] == event_id
    assert edge["node"]["after"]["name"] == "Congrès"


def test_refused_and_failed_changes_write_nothing(gql, factory, db):
    w = build(factory)
    token = factory.token(w.president)
    participant_user = db.get(models.User, w.participant.user_id)
    # Refused by permission.
    body = gql(
        "mutation($m: ID!) { revokeBadge(memberId: $m) { id } }",
        {"m": gid("Member", w.participant)},
        factory.token(participant_user),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    # Bad input after part of the change was applied in memory (the title, then the dates).
    body = gql(
        "mutation($id: ID!, $i: SessionInput!) { updateSession(id: $id, input: $i) { id } }",
        {
            "id": gid("Session", w.session),
            "i": _session_input(w, title="X", endsAt=w.session.starts_at.isoformat()),
        },
        token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    # A conflict found after the entry was added: the transaction is rolled back whole.
    other = factory.room(w.event, name="Salle 5")
    body = gql(
        "mutation($id: ID!, $i: RoomInput!) { updateRoom(id: $id, input: $i) { id } }",
        {"id": gid("Room", other), "i": {"name": "Salle 3", "capacity": 3}},
        token,
    )
    assert error_codes(body) == ["CONFLICT"]
    # A status that cannot move backwards.
    gql.ok(
        "mutation($id: ID!) { setSessionStatus(id: $id, status: TERMINE) { id } }",
        {"id": gid("Session", w.session)},
        token,
    )
    body = gql(
        "mutation($id: ID!) { setSessionStatus(id: $id, status: EN_COURS) { id } }",
        {"id": gid("Session", w.session)},
        token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    # then: only the one change that happened is in the log
    assert [e["action"] for e in entries(gql, token, w.event)] == ["session.status"]
    assert len(rows(db, models.AuditEntry)) == 1


def test_a_change_rolled_back_after_its_entry_writes_none(gql, factory, db):
    w = build(factory)
    token = factory.token(w.president)
    factory.access(w.atelier, w.participant, PaymentStatus.PAID)
    # A paid atelier cannot be deleted: refused after the use case began.
    body = gql(
        "mutation($id: ID!) { deleteSession(id: $id) }", {"id": gid("Session", w.atelier)}, token
    )
    assert error_codes(body) == ["CONFLICT"]
    assert rows(db, models.AuditEntry) == []


@pytest.mark.parametrize(
    "role",
    [Role.GESTIONNAIRE_DES_SALLES, Role.CONTROLLEUR_DES_BADGES, Role.PARTICIPANT, Role.EXPOSANT],
)
def test_other_roles_cannot_read_the_log(gql, factory, db, role):
    w = build(factory)
    member = factory.member(w.event, role)
    body = gql(
        LOG, {"id": gid("Event", w.event)}, factory.token(db.get(models.User, member.user_id))
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["event"]["auditLog"] is None


def test_admin_reads_the_log(gql, factory):
    w = build(factory)
    gql.ok(
        "mutation($m: ID!) { revokeBadge(memberId: $m) { id } }",
        {"m": gid("Member", w.participant)},
        factory.token(w.president),
    )
    found = entries(gql, factory.token(factory.user(admin=True)), w.event)
    assert [e["action"] for e in found] == ["badge.revoke"]


def _many_changes(gql, factory, w: World, n: int) -> None:
    token = factory.token(w.president)
    for i in range(n):
        gql.ok(
            "mutation($id: ID!, $i: RoomInput!) { updateRoom(id: $id, input: $i) { id } }",
            {"id": gid("Room", w.room), "i": {"name": "Salle 3", "capacity": 20 + i}},
            token,
        )
        if i % 2:
            gql.ok(
                "mutation($id: ID!, $t: String!) { updateAnnonce(id: $id, title: $t) { id } }",
                {"id": gid("Annonce", w.annonce), "t": f"Titre {i}"},
                token,
            )


def test_pages_newest_first_and_filters_by_action(gql, factory):
    w = build(factory)
    token = factory.token(w.president)
    _many_changes(gql, factory, w, 6)
    first = log(gql, token, w.event, first=4)
    assert first["totalCount"] == 9
    assert first["pageInfo"]["hasNextPage"] is True
    rest = log(gql, token, w.event, first=10, after=first["pageInfo"]["endCursor"])
    assert rest["pageInfo"]["hasNextPage"] is False
    nodes = [e["node"] for e in first["edges"] + rest["edges"]]
    assert len(nodes) == 9
    assert (nodes[0]["action"], nodes[0]["after"]) == ("annonce.update", {"title": "Titre 5"})
    assert (nodes[1]["action"], nodes[1]["after"]) == ("room.update", {"capacity": 25})
    assert nodes[-1]["after"] == {"capacity": 20}
    assert [n["at"] for n in nodes] == sorted((n["at"] for n in nodes), reverse=True)
    annonces = log(gql, token, w.event, action="annonce.update")
    assert annonces["totalCount"] == 3
    assert [e["node"]["after"]["title"] for e in annonces["edges"]] == [
        "Titre 5",
        "Titre 3",
        "Titre 1",
    ]
    assert log(gql, token, w.event, action="staff.end")["totalCount"] == 0


def test_bad_page_arguments_are_bad_user_input(gql, factory):
    w = build(factory)
    token = factory.token(w.president)
    for variables in ({"first": -1}, {"after": "not-a-cursor"}, {"action": "room.paint"}):
        body = gql(LOG, {"id": gid("Event", w.event), **variables}, token)
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["data"]["event"]["auditLog"] is None


def test_statement_count_does_not_grow_with_the_log(gql, factory, count_statements):
    small, large = build(factory), build(factory)
    _many_changes(gql, factory, small, 1)
    _many_changes(gql, factory, large, 12)
    counts = []
    for w in (small, large):
        # A second actor in the large log: actors are loaded in one batch.
        token = factory.token(w.president)
        with count_statements() as statements:
            gql.ok(LOG, {"id": gid("Event", w.event), "first": 50}, token)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_no_operation_edits_the_log():
    sdl = (ROOT / "schema.graphql").read_text()
    mutation = sdl[sdl.index("type Mutation") :]
    mutation = mutation[: mutation.index("\n}")]
    assert not re.search(r"\b\w*[aA]udit\w*\(", mutation)


def _literals_in_code() -> set[str]:
    """Every "domain.verb" string in the use cases and the wiring, but the list itself."""
    found: set[str] = set()
    for path in [*(ROOT / "resolvers").glob("*.py"), *(ROOT / "app").glob("*.py")]:
        if path.name == "audit.py":
            continue
        found |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', path.read_text()))
    return found


def _listed_in_docs() -> set[str]:
    text = (ROOT / "docs" / "organizers.md").read_text()
    section = text[text.index("## Audit log") :]
    section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else len(section)]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", section, flags=re.MULTILINE))


def test_docs_list_exactly_the_actions_the_code_writes():
    # record() refuses any action outside ACTIONS, and each of them is written somewhere.
    assert set(ACTIONS) <= _literals_in_code(), sorted(set(ACTIONS) - _literals_in_code())
    assert _listed_in_docs() == set(ACTIONS)


def test_an_unknown_action_is_never_written(factory, db, settings):
    from app.context import AgoraContext
    from kernel.moments import Clock
    from resolvers import audit

    w = build(factory)
    ctx = AgoraContext(db=db, settings=settings, clock=Clock(models.utcnow()))
    with pytest.raises(ValueError, match="room.paint"):
        audit.record(ctx, event_id=w.event.id, action="room.paint", subject=None, actor_id=None)
