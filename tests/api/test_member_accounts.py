"""Tenants own their members, not the platform's users (issue 26): adding or importing a member
with an existing account's e-mail links that account as it is, under the name the event gives.

The attack: a gestionnaire of event A imports and adds, under other names, the e-mails of event
B's president and of the platform admin. Their accounts (name, password, `me`) stay theirs,
event A shows its own names for them, and no answer tells event A the accounts' own data.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import select

import models
from models import Role
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import PASSWORD, gid

ADD = """mutation($e: ID!, $input: MemberInput!) {
  addMember(eventId: $e, input: $input) { id fullName role company email user { id fullName } }
}"""
IMPORT = """mutation($e: ID!, $file: Upload!) {
  importMembers(eventId: $e, file: $file) { created updated errors { line message } }
}"""
LOGIN = """mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) { accessToken user { fullName } }
}"""
ME = "{ me { fullName email memberships { fullName event { id } } } }"
MEMBERS = """query($e: ID!, $search: String) {
  event(id: $e) { members(search: $search) { edges { node { fullName email user { fullName } } } } }
}"""
PRESIDENT = "query($e: ID!) { event(id: $e) { president { fullName } } }"
EXPOSANT_VISITS = """query($e: ID!) {
  event(id: $e) { myMembership { exposantStats { csvUrl visits { edges { node { participant { fullName } } } } } } }
}"""


@pytest.fixture
def tenants(factory):
    """Event A with a gestionnaire; event B with its president; the platform admin."""
    event_a = factory.event(name="Salon A")
    gestionnaire = factory.member(event_a, Role.GESTIONNAIRE_DES_SALLES)
    president_b = factory.user(email="brigitte@b.example", name="Brigitte Bardot")
    event_b = factory.event(name="Salon B", president=president_b)
    admin = factory.user(email="root@platform.example", name="Ada Admin", admin=True)
    staff = factory.db.get(models.User, gestionnaire.user_id)
    return event_a, factory.token(staff), event_b, president_b, admin


def _import(upload, event, token, text):
    body = upload(
        IMPORT, {"e": gid("Event", event)}, "file", text.encode(), "members.csv", token, "text/csv"
    )
    assert "errors" not in body, body
    return body["data"]["importMembers"]


def _accounts_untouched(gql, db, president_b, admin):
    """Both accounts keep their names and passwords, as their owners see them."""
    db.expire_all()
    for user, name in ((president_b, "Brigitte Bardot"), (admin, "Ada Admin")):
        assert db.get(models.User, user.id).full_name == name
        login = gql.ok(LOGIN, {"e": user.email, "p": PASSWORD})["login"]
        assert login["user"]["fullName"] == name
        assert gql.ok(ME, token=login["accessToken"])["me"]["fullName"] == name


def test_an_import_links_other_tenants_accounts_without_renaming_them(
    gql, factory, db, upload, tenants
):
    # given
    event_a, staff_token, event_b, president_b, admin = tenants
    hashes = {u.id: u.password_hash for u in (president_b, admin)}
    # when
    report = _import(
        upload,
        event_a,
        staff_token,
        "email,full_name,role\n"
        "BRIGITTE@b.example,Fake Brigitte,PARTICIPANT\n"
        "root@platform.example,Someone Else,EXPOSANT\n",
    )
    # then
    assert report == {"created": 2, "updated": 0, "errors": []}
    _accounts_untouched(gql, db, president_b, admin)
    assert {u.id: u.password_hash for u in rows_of(db, president_b, admin)} == hashes
    # Event A shows its own names for them, down to their `user`.
    members = gql.ok(MEMBERS, {"e": gid("Event", event_a)}, staff_token)["event"]["members"]
    shown = {e["node"]["email"]: e["node"] for e in members["edges"]}
    assert shown["brigitte@b.example"]["fullName"] == "Fake Brigitte"
    assert shown["brigitte@b.example"]["user"] == {"fullName": "Fake Brigitte"}
    assert shown["root@platform.example"]["fullName"] == "Someone Else"
    assert shown["root@platform.example"]["user"] == {"fullName": "Someone Else"}
    # Event B still shows its president under the account's name.
    president = gql.ok(PRESIDENT, {"e": gid("Event", event_b)}, factory.token(president_b))
    assert president["event"]["president"] == {"fullName": "Brigitte Bardot"}
    # The linked person sees event A's name for them among their memberships, theirs unchanged.
    login = gql.ok(LOGIN, {"e": "brigitte@b.example", "p": PASSWORD})["login"]
    me = gql.ok(ME, token=login["accessToken"])["me"]
    assert me["fullName"] == "Brigitte Bardot"
    assert me["memberships"] == [
        {"fullName": "Fake Brigitte", "event": {"id": gid("Event", event_a)}}
    ]


def rows_of(db, *users):
    db.expire_all()
    return [db.get(models.User, u.id) for u in users]


def test_an_import_again_renames_the_member_not_the_account(gql, db, upload, tenants):
    # given
    event_a, staff_token, _, president_b, admin = tenants
    _import(
        upload, event_a, staff_token, "email,full_name,role\nbrigitte@b.example,First,PARTICIPANT\n"
    )
    # when
    report = _import(
        upload,
        event_a,
        staff_token,
        "email,full_name,role\nbrigitte@b.example,Second,PARTICIPANT\n",
    )
    # then
    assert report == {"created": 0, "updated": 1, "errors": []}
    (member,) = [m for m in rows(db, models.Member) if m["user_id"] == president_b.id]
    assert member["display_name"] == "Second"
    _accounts_untouched(gql, db, president_b, admin)
    entries = db.exec(
        select(models.AuditEntry).where(models.AuditEntry.action == "member.update")
    ).all()
    assert [(e.before["full_name"], e.after["full_name"]) for e in entries] == [("First", "Second")]


def test_an_import_with_a_password_column_changes_no_account(gql, db, upload, factory, tenants):
    # given
    event_a, staff_token, _, president_b, admin = tenants
    before = rows(db, models.User)
    # when
    body = upload(
        IMPORT,
        {"e": gid("Event", event_a)},
        "file",
        b"email,full_name,role,password\nroot@platform.example,Root,PARTICIPANT,hijacked-password\n",
        "members.csv",
        staff_token,
        "text/csv",
    )
    # then
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert rows(db, models.User) == before
    assert gql(LOGIN, {"e": admin.email, "p": "hijacked-password"})["data"] is None
    _accounts_untouched(gql, db, president_b, admin)


def test_add_member_with_a_known_email_answers_only_what_was_given(gql, db, tenants):
    # given
    event_a, staff_token, _, president_b, admin = tenants
    # when
    body = gql(
        ADD,
        {
            "e": gid("Event", event_a),
            "input": {
                "email": "Root@Platform.example",
                "fullName": "Impostor",
                "role": "PARTICIPANT",
            },
        },
        staff_token,
    )
    # then
    assert "errors" not in body, body
    member = body["data"]["addMember"]
    assert (member["fullName"], member["email"], member["company"]) == (
        "Impostor",
        "root@platform.example",
        "",
    )
    assert member["user"]["fullName"] == "Impostor"
    assert "Ada Admin" not in json.dumps(body)
    # A search by the account's own name finds nothing in event A; the event's name finds it.
    search = gql.ok(MEMBERS, {"e": gid("Event", event_a), "search": "ada admin"}, staff_token)
    assert search["event"]["members"]["edges"] == []
    search = gql.ok(MEMBERS, {"e": gid("Event", event_a), "search": "impostor"}, staff_token)
    assert [e["node"]["fullName"] for e in search["event"]["members"]["edges"]] == ["Impostor"]
    _accounts_untouched(gql, db, president_b, admin)


def test_a_new_email_creates_the_account_under_the_name_given(gql, db, tenants):
    event_a, staff_token, _, _, _ = tenants
    gql.ok(
        ADD,
        {
            "e": gid("Event", event_a),
            "input": {"email": "new@example.org", "fullName": "Nina New", "role": "PARTICIPANT"},
        },
        staff_token,
    )
    db.expire_all()
    user = db.exec(select(models.User).where(models.User.email == "new@example.org")).one()
    member = db.exec(select(models.Member).where(models.Member.user_id == user.id)).one()
    assert (user.full_name, member.display_name) == ("Nina New", "Nina New")


def test_exports_and_visits_show_the_events_name(client, gql, factory, db, tenants):
    # given: B's president, linked into A as "Fake Brigitte", visited by A's exposant and scanned
    event_a, staff_token, _, president_b, _ = tenants
    gql.ok(
        ADD,
        {
            "e": gid("Event", event_a),
            "input": {
                "email": president_b.email,
                "fullName": "Fake Brigitte",
                "role": "PARTICIPANT",
            },
        },
        staff_token,
    )
    participant = db.exec(
        select(models.Member).where(models.Member.user_id == president_b.id)
    ).one()
    exposant = factory.member(event_a, Role.EXPOSANT)
    factory.visit(exposant, participant)
    controller = factory.member(event_a, Role.CONTROLLEUR_DES_BADGES)
    factory.scan(factory.room(event_a), participant, controller=controller)
    exposant_token = factory.token(db.get(models.User, exposant.user_id))
    # when
    stats = gql.ok(EXPOSANT_VISITS, {"e": gid("Event", event_a)}, exposant_token)["event"]
    stats = stats["myMembership"]["exposantStats"]
    visits_csv = client.get(stats["csvUrl"], headers={"Authorization": f"Bearer {exposant_token}"})
    scans_csv = client.get(
        f"/events/{gid('Event', event_a)}/scans.csv",
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    # then
    assert [e["node"]["participant"]["fullName"] for e in stats["visits"]["edges"]] == [
        "Fake Brigitte"
    ]
    (_, visit) = list(csv.reader(io.StringIO(visits_csv.content.decode("utf-8-sig"))))
    assert visit[1] == "Fake Brigitte"
    (_, scan) = list(csv.reader(io.StringIO(scans_csv.content.decode("utf-8-sig"))))
    controller_name = db.get(models.User, controller.user_id).full_name
    assert (scan[4], scan[8]) == ("Fake Brigitte", controller_name)
    assert "Brigitte Bardot" not in visits_csv.text + scans_csv.text


LONG = {
    "email": ("x" * 250) + "@b.example",
    "fullName": "N" * 201,
    "company": "C" * 201,
}


@pytest.mark.parametrize("field", sorted(LONG))
def test_member_inputs_have_a_maximum_length(gql, db, tenants, field):
    # given
    event_a, staff_token, _, _, _ = tenants
    before = (rows(db, models.User), rows(db, models.Member))
    values = {"email": "ok@example.org", "fullName": "Ok", "role": "PARTICIPANT", "company": ""}
    values[field] = LONG[field]
    # when
    body = gql(ADD, {"e": gid("Event", event_a), "input": values}, staff_token)
    # then
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "too long" in body["errors"][0]["message"]
    assert (rows(db, models.User), rows(db, models.Member)) == before


def test_a_csv_field_too_long_is_reported_on_its_line(db, upload, tenants):
    event_a, staff_token, _, _, _ = tenants
    report = _import(
        upload,
        event_a,
        staff_token,
        f"email,full_name,role,company\nok@example.org,{'N' * 201},PARTICIPANT,\n"
        f"ok2@example.org,Ok,{'R' * 41},\n",
    )
    assert report["created"] == 0
    assert report["errors"] == [
        {"line": 2, "message": "The member's name is too long (201 characters; at most 200)."},
        {"line": 3, "message": "The role is too long (41 characters; at most 40)."},
    ]
    assert [m for m in rows(db, models.Member) if m["role"] == "PARTICIPANT"] == []


ANNOUNCE = """mutation($e: ID!) {
  createAnnonce(eventId: $e, title: "Bienvenue", description: "Ouverture à 9 h", target: ALL) { createdBy { fullName } }
}"""
ANNONCES = "query($e: ID!) { event(id: $e) { annonces { createdBy { fullName } } } }"


def test_a_member_acting_in_the_event_shows_under_the_events_name(gql, factory, db, tenants):
    # given: the admin, a member of event A under the name "Someone Else"
    event_a, staff_token, event_b, _, admin = tenants
    gql.ok(
        ADD,
        {
            "e": gid("Event", event_a),
            "input": {"email": admin.email, "fullName": "Someone Else", "role": "EXPOSANT"},
        },
        staff_token,
    )
    admin_token = factory.token(admin)
    # when: the admin writes an annonce in A, and one in B (where it is no member)
    created = gql.ok(ANNOUNCE, {"e": gid("Event", event_a)}, admin_token)["createAnnonce"]
    gql.ok(ANNOUNCE, {"e": gid("Event", event_b)}, admin_token)
    # then
    assert created["createdBy"] == {"fullName": "Someone Else"}
    in_a = gql.ok(ANNONCES, {"e": gid("Event", event_a)}, staff_token)["event"]["annonces"]
    assert in_a == [{"createdBy": {"fullName": "Someone Else"}}]
    in_b = gql.ok(ANNONCES, {"e": gid("Event", event_b)}, admin_token)["event"]["annonces"]
    assert in_b == [{"createdBy": {"fullName": "Ada Admin"}}]
    assert gql.ok(ME, token=admin_token)["me"]["fullName"] == "Ada Admin"
