"""addMember, importMembers (API and CLI), revokeBadge, reissueBadge, invitations."""

from __future__ import annotations

import pytest
from sqlmodel import select

import models
from app import cli
from models import Role
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import gid

ADD = """mutation($e: ID!, $input: MemberInput!) {
  addMember(eventId: $e, input: $input) { id fullName role company email badge { code revoked } event { id } }
}"""
IMPORT = """mutation($e: ID!, $file: Upload!) {
  importMembers(eventId: $e, file: $file) { created updated errors { line message } }
}"""
REVOKE = """mutation($m: ID!) { revokeBadge(memberId: $m) { id badge { code revoked } } }"""
REISSUE = """mutation($m: ID!) { reissueBadge(memberId: $m) { id badge { code revoked } } }"""
SET_PASSWORD = """mutation($t: String!, $p: String!) {
  setPasswordWithToken(token: $t, password: $p) { accessToken user { email } }
}"""
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"""

CSV = (
    "\ufeffemail,full_name,role,company\n"
    "ada@example.org,Ada Lovelace,PARTICIPANT,\n"
    "bob@example.org,Bob Stand,EXPOSANT,Bob & Co\n"
    "not-an-email,Nobody,PARTICIPANT,\n"
    "cid@example.org,Cid,ORGANIZER,\n"
    "\n"
    "dan@example.org,Dan,controlleur_des_badges,\n"
    "ada@example.org,Ada again,EXPOSANT,\n"
)


@pytest.fixture
def event_with_president(factory):
    president = factory.user()
    return factory.event(president=president), president


def _member_input(**kw):
    values = {
        "email": "New@Example.org",
        "fullName": "Nina New",
        "role": "PARTICIPANT",
        "company": "ACME",
    }
    values.update(kw)
    return values


def test_add_member_creates_the_user_and_a_badge(gql, factory, db, event_with_president):
    event, president = event_with_president
    data = gql.ok(
        ADD, {"e": gid("Event", event), "input": _member_input()}, factory.token(president)
    )
    member = data["addMember"]
    assert (member["fullName"], member["role"], member["company"], member["email"]) == (
        "Nina New",
        "PARTICIPANT",
        "ACME",
        "new@example.org",
    )
    assert member["badge"]["revoked"] is False
    assert member["badge"]["code"].startswith("AGB-")
    db.expire_all()
    user = db.exec(select(models.User).where(models.User.email == "new@example.org")).one()
    assert user.password_hash is None
    (stored,) = rows(db, models.Member)
    assert (stored["event_id"], stored["user_id"], stored["role"]) == (
        event.id,
        user.id,
        "PARTICIPANT",
    )
    assert [b["code"] for b in rows(db, models.Badge)] == [member["badge"]["code"]]


def test_gestionnaire_adds_an_existing_user(gql, factory, db, event_with_president):
    event, _ = event_with_president
    gestionnaire = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    known = factory.user(email="known@example.org", name="Known")
    data = gql.ok(
        ADD,
        {
            "e": gid("Event", event),
            "input": _member_input(email="known@example.org", role="EXPOSANT"),
        },
        factory.token(db.get(models.User, gestionnaire.user_id)),
    )
    # The event's name for the member is the one given; the account keeps its own (issue 26).
    assert data["addMember"]["fullName"] == "Nina New"
    assert rows(db, models.Member)[-1]["user_id"] == known.id
    db.expire_all()
    assert db.get(models.User, known.id).full_name == "Known"


@pytest.mark.parametrize("role", ["ADMIN", "ORGANIZER", "MEMBER"])
def test_add_member_refuses_roles_members_cannot_hold(gql, factory, db, event_with_president, role):
    event, president = event_with_president
    body = gql(
        ADD, {"e": gid("Event", event), "input": _member_input(role=role)}, factory.token(president)
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (
        body["errors"][0]["message"]
        == f"{role} is not a member role; use one of GESTIONNAIRE_DES_SALLES, CONTROLLEUR_DES_BADGES, PARTICIPANT, EXPOSANT."
    )
    assert rows(db, models.Member) == []
    assert len(rows(db, models.User)) == 1


def test_add_member_refusals_change_nothing(gql, factory, db, event_with_president):
    event, president = event_with_president
    existing = factory.member(event, Role.PARTICIPANT, user=factory.user(email="dup@example.org"))
    participant_user = db.get(models.User, existing.user_id)
    outsider = factory.user()
    factory.event(president=outsider)
    before = rows(db, models.Member), rows(db, models.User), rows(db, models.Badge)
    body = gql(
        ADD,
        {"e": gid("Event", event), "input": _member_input(email="dup@example.org")},
        factory.token(president),
    )
    assert error_codes(body) == ["CONFLICT"]
    assert (
        body["errors"][0]["message"]
        == "dup@example.org is already a member of this event (PARTICIPANT)."
    )
    body = gql(
        ADD,
        {"e": gid("Event", event), "input": _member_input(email="bad email")},
        factory.token(president),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = gql(
        ADD, {"e": gid("Event", event), "input": _member_input()}, factory.token(participant_user)
    )
    assert error_codes(body) == ["FORBIDDEN"]
    body = gql(ADD, {"e": gid("Event", event), "input": _member_input()}, factory.token(outsider))
    assert error_codes(body) == ["NOT_FOUND"]
    assert (rows(db, models.Member), rows(db, models.User), rows(db, models.Badge)) == before


def test_invitation_token_sets_a_password_once(
    gql, factory, db, event_with_president, cli_env, capsys
):
    event, president = event_with_president
    gql.ok(ADD, {"e": gid("Event", event), "input": _member_input()}, factory.token(president))
    # when the operator prints an invitation
    assert cli.main(["invite", "--email", "new@example.org"]) == 0
    token = capsys.readouterr().out.strip()
    # then the new member sets a password with it, is logged in, and can log in again
    data = gql.ok(SET_PASSWORD, {"t": token, "p": "a good password"})["setPasswordWithToken"]
    assert data["user"]["email"] == "new@example.org"
    assert gql.ok(LOGIN, {"e": "new@example.org", "p": "a good password"})["login"]["accessToken"]
    body = gql(SET_PASSWORD, {"t": token, "p": "another password"})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (
        body["errors"][0]["message"]
        == "This invitation is not valid or has expired; ask the organizers for a new one."
    )


def test_invitation_refuses_a_short_password_and_keeps_the_token(gql, factory, db, cli_env, capsys):
    factory.user(email="x@example.org")
    assert cli.main(["invite", "--email", "x@example.org"]) == 0
    token = capsys.readouterr().out.strip()
    before = rows(db, models.User)
    body = gql(SET_PASSWORD, {"t": token, "p": "short"})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert rows(db, models.User) == before


def test_import_members_keeps_good_rows_and_reports_bad_ones(
    gql, factory, db, upload, event_with_president
):
    event, president = event_with_president
    # when
    body = upload(
        IMPORT,
        {"e": gid("Event", event)},
        "file",
        CSV.encode(),
        "members.csv",
        factory.token(president),
        "text/csv",
    )
    # then
    assert "errors" not in body, body
    report = body["data"]["importMembers"]
    assert (report["created"], report["updated"]) == (3, 0)
    assert report["errors"] == [
        {"line": 4, "message": "'not-an-email' is not an email address."},
        {
            "line": 5,
            "message": "ORGANIZER is not a member role; use one of GESTIONNAIRE_DES_SALLES, CONTROLLEUR_DES_BADGES, PARTICIPANT, EXPOSANT.",
        },
        {"line": 8, "message": "ada@example.org is already on line 2."},
    ]
    db.expire_all()
    users = {u.id: u for u in db.exec(select(models.User))}
    members = {
        users[m["user_id"]].email: (m["role"], m["company"]) for m in rows(db, models.Member)
    }
    assert members == {
        "ada@example.org": ("PARTICIPANT", ""),
        "bob@example.org": ("EXPOSANT", "Bob & Co"),
        "dan@example.org": ("CONTROLLEUR_DES_BADGES", ""),
    }
    assert len(rows(db, models.Badge)) == 3


def test_importing_the_same_file_twice_changes_nothing(
    gql, factory, db, upload, event_with_president
):
    event, president = event_with_president
    token = factory.token(president)
    upload(
        IMPORT, {"e": gid("Event", event)}, "file", CSV.encode(), "members.csv", token, "text/csv"
    )
    before = rows(db, models.Member), rows(db, models.User), rows(db, models.Badge)
    report = upload(
        IMPORT, {"e": gid("Event", event)}, "file", CSV.encode(), "members.csv", token, "text/csv"
    )["data"]["importMembers"]
    assert (report["created"], report["updated"], len(report["errors"])) == (0, 0, 3)
    assert (rows(db, models.Member), rows(db, models.User), rows(db, models.Badge)) == before
    # a changed company is an update
    changed = CSV.replace("Bob & Co", "Bob SARL")
    report = upload(
        IMPORT,
        {"e": gid("Event", event)},
        "file",
        changed.encode(),
        "members.csv",
        token,
        "text/csv",
    )["data"]["importMembers"]
    assert (report["created"], report["updated"]) == (0, 1)


@pytest.mark.parametrize(
    ("_case", "content", "message"),
    [
        (
            "bad header",
            b"mail,name\nx@example.org,X\n",
            "The first line must be the header email,full_name,role[,company] (found mail,name).",
        ),
        (
            "not utf-8",
            "email,full_name,role\nzoé@example.org,Zoé,PARTICIPANT\n".encode("latin-1"),
            "The file is not UTF-8 text; save the CSV as UTF-8.",
        ),
    ],
)
def test_import_refuses_files_it_cannot_read(
    gql, factory, db, upload, event_with_president, _case, content, message
):
    event, president = event_with_president
    body = upload(
        IMPORT,
        {"e": gid("Event", event)},
        "file",
        content,
        "m.csv",
        factory.token(president),
        "text/csv",
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == message
    assert rows(db, models.Member) == []


def test_import_forbidden_and_not_found(gql, factory, db, upload, event_with_president):
    event, _ = event_with_president
    exposant = factory.member(event, Role.EXPOSANT)
    before = rows(db, models.Member)
    body = upload(
        IMPORT,
        {"e": gid("Event", event)},
        "file",
        CSV.encode(),
        "m.csv",
        factory.token(db.get(models.User, exposant.user_id)),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    other_president = factory.user()
    factory.event(president=other_president)
    body = upload(
        IMPORT,
        {"e": gid("Event", event)},
        "file",
        CSV.encode(),
        "m.csv",
        factory.token(other_president),
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.Member) == before


def test_import_from_the_cli_shares_the_rules(
    factory, db, event_with_president, cli_env, capsys, tmp_path
):
    event, _ = event_with_president
    path = tmp_path / "members.csv"
    path.write_text(CSV, encoding="utf-8")
    assert cli.main(["import-members", gid("Event", event), str(path)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[0] == "3 created, 0 updated, 3 refused."
    assert "line 4: 'not-an-email' is not an email address." in out.out
    assert "Importing" in out.err  # the progress bar
    assert len(rows(db, models.Member)) == 3
    # the numeric id works too, and a second run changes nothing
    assert cli.main(["import-members", str(event.id), str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "0 created, 0 updated, 3 refused."
    assert cli.main(["import-members", "999999", str(path)]) == 1
    assert "No event has the id 999999." in capsys.readouterr().err


def test_revoke_and_reissue_badges(gql, factory, db, event_with_president):
    event, president = event_with_president
    member = factory.member(event, Role.PARTICIPANT)
    old_code = factory.badge(member).code
    token = factory.token(president)
    revoked = gql.ok(REVOKE, {"m": gid("Member", member)}, token)["revokeBadge"]
    assert revoked["badge"] == {"code": old_code, "revoked": True}
    reissued = gql.ok(REISSUE, {"m": gid("Member", member)}, token)["reissueBadge"]
    assert reissued["badge"]["revoked"] is False
    assert reissued["badge"]["code"] != old_code
    badges = rows(db, models.Badge)
    assert [(b["code"] == old_code, b["revoked_at"] is not None) for b in badges] == [
        (True, True),
        (False, False),
    ]
    # reissuing a valid badge revokes it too
    again = gql.ok(REISSUE, {"m": gid("Member", member)}, token)["reissueBadge"]["badge"]["code"]
    assert [b["revoked_at"] is not None for b in rows(db, models.Badge)] == [True, True, False]
    assert rows(db, models.Badge)[-1]["code"] == again


def test_badge_refusals_change_nothing(gql, factory, db, event_with_president):
    event, president = event_with_president
    member = factory.member(event, Role.PARTICIPANT)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    token = factory.token(president)
    gql.ok(REVOKE, {"m": gid("Member", member)}, token)
    before = rows(db, models.Badge)
    body = gql(REVOKE, {"m": gid("Member", member)}, token)
    assert error_codes(body) == ["CONFLICT"]
    assert body["errors"][0]["message"] == "This member's badge is already revoked; reissue one."
    for query in (REVOKE, REISSUE):
        body = gql(
            query,
            {"m": gid("Member", member)},
            factory.token(db.get(models.User, controller.user_id)),
        )
        assert error_codes(body) == ["FORBIDDEN"]
        body = gql(query, {"m": "TWVtYmVyOjk5OTk"}, token)
        assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.Badge) == before
