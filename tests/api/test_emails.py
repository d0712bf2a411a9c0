"""E-mails are normalised (NFKC, lowercase) and refused when they hold an invisible character
or one that passes for another (issue 26): a look-alike of an existing address never makes a
second account, wherever an address comes in (addMember, importMembers, createEvent's
president, the command line) and a login finds the account the address spells."""

from __future__ import annotations

import pytest
from sqlmodel import select

import models
from app import cli
from models import Role
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import PASSWORD, gid

ADD = """mutation($e: ID!, $input: MemberInput!) {
  addMember(eventId: $e, input: $input) { id email user { id } }
}"""
IMPORT = """mutation($e: ID!, $file: Upload!) {
  importMembers(eventId: $e, file: $file) { created updated errors { line message } }
}"""
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }"""
CREATE_EVENT = (
    """mutation($input: EventInput!) { createEvent(input: $input) { id president { id } } }"""
)

ADMIN = "admin@agora.example"

# Spellings of ADMIN that a reader cannot tell from it, and what is said of each.
REFUSED = [
    pytest.param(
        "\u0430dmin@agora.example",
        "The e-mail address '\u0430dmin@agora.example' mixes Cyrillic and Latin letters in "
        "“\u0430dmin”; each part of an address (before the @, and each name between dots after "
        "it) must be written in one script.",
        id="cyrillic_a",
    ),
    pytest.param(
        "admin@\u0430gora.example",
        "The e-mail address 'admin@\u0430gora.example' mixes Cyrillic and Latin letters in "
        "“\u0430gora”; each part of an address (before the @, and each name between dots after "
        "it) must be written in one script.",
        id="cyrillic_a_in_domain",
    ),
    pytest.param(
        "ad\u200bmin@agora.example",
        "The e-mail address 'ad\\u200bmin@agora.example' contains a space, an invisible or a "
        "control character (U+200B ZERO WIDTH SPACE); type the address again without it.",
        id="zero_width_space",
    ),
    pytest.param(
        "admin\u00a0@agora.example",
        "The e-mail address 'admin\\xa0@agora.example' contains a space, an invisible or a "
        "control character (U+00A0 NO-BREAK SPACE); type the address again without it.",
        id="nbsp",
    ),
    pytest.param(
        "admin\n@agora.example",
        "The e-mail address 'admin\\n@agora.example' contains a space, an invisible or a "
        "control character (U+000A); type the address again without it.",
        id="newline",
    ),
    pytest.param(
        "\u0430\u0440\u0440@agora.example",
        "The e-mail address '\u0430\u0440\u0440@agora.example' is written in Cyrillic letters "
        "that all look like Latin ones (“\u0430\u0440\u0440” reads as “app”); type it in Latin "
        "letters.",
        id="all_cyrillic_lookalikes",
    ),
    pytest.param(
        "ad\u2215min@agora.example",
        "The e-mail address 'ad\u2215min@agora.example' contains U+2215 DIVISION SLASH: outside "
        "ASCII, an address may hold only letters, digits and accents.",
        id="division_slash",
    ),
]
# Spellings that normalise to ADMIN itself: they find its account.
SAME = [
    pytest.param("ａｄｍｉｎ@agora.example", id="full_width"),
    pytest.param("ADMIN@AGORA.EXAMPLE", id="upper_case"),
    pytest.param("admin@agora\u2024example", id="one_dot_leader"),
    pytest.param("\u00a0admin@agora.example\n", id="surrounding_spaces"),
]


@pytest.fixture
def setting(factory):
    """An event, a gestionnaire's token, and the admin's account (ADMIN)."""
    event = factory.event()
    staff = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    admin = factory.user(email=ADMIN, name="Ada Admin", admin=True)
    return event, factory.token(factory.db.get(models.User, staff.user_id)), admin


def _add(gql, event, token, email):
    values = {"email": email, "fullName": "Someone", "role": "PARTICIPANT"}
    return gql(ADD, {"e": gid("Event", event), "input": values}, token)


@pytest.mark.parametrize(("email", "message"), REFUSED)
def test_add_member_refuses_a_look_alike(gql, db, setting, email, message):
    # given
    event, token, _ = setting
    before = (rows(db, models.User), rows(db, models.Member))
    # when
    body = _add(gql, event, token, email)
    # then
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith(message)
    assert (rows(db, models.User), rows(db, models.Member)) == before


@pytest.mark.parametrize("email", SAME)
def test_add_member_finds_the_account_an_address_spells(gql, db, setting, email):
    # given
    event, token, admin = setting
    # when
    member = _add(gql, event, token, email)["data"]["addMember"]
    # then
    assert member["email"] == ADMIN
    assert member["user"]["id"] == gid("User", admin)
    assert [u["email"] for u in rows(db, models.User) if u["email"].startswith(("ad", "ａ"))] == [
        ADMIN
    ]


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("élodie.müller@exemple.fr", id="accented_latin"),
        pytest.param("иван@пример.рф", id="cyrillic"),
        pytest.param("иван@example.org", id="cyrillic_before_the_at"),
        pytest.param("γιώργος@example.gr", id="greek"),
        pytest.param("山田たろう@example.jp", id="han_with_hiragana"),
    ],
)
def test_single_script_addresses_pass(gql, db, setting, email):
    event, token, _ = setting
    member = _add(gql, event, token, email)["data"]["addMember"]
    assert member["email"] == email
    db.expire_all()
    assert db.exec(select(models.User).where(models.User.email == email)).one()


def test_import_refuses_look_alikes_line_by_line(db, upload, setting):
    # given
    event, token, admin = setting
    lines = ["email,full_name,role"]
    lines += ["\u0430dmin@agora.example,Cyrillic,PARTICIPANT"]
    lines += ["ad\u200bmin@agora.example,Zero width,PARTICIPANT"]
    lines += ['"admin\n@agora.example",Newline,PARTICIPANT']
    lines += ["ａｄｍｉｎ@agora.example,Full width,PARTICIPANT"]
    users = rows(db, models.User)
    # when
    body = upload(
        IMPORT,
        {"e": gid("Event", event)},
        "file",
        ("\n".join(lines) + "\n").encode(),
        "members.csv",
        token,
        "text/csv",
    )
    # then
    report = body["data"]["importMembers"]
    assert (report["created"], report["updated"]) == (1, 0)
    assert [(e["line"], e["message"].split(" ")[3]) for e in report["errors"]] == [
        (2, "'\u0430dmin@agora.example'"),
        (3, "'ad\\u200bmin@agora.example'"),
        (5, "'admin\\n@agora.example'"),
    ]
    assert rows(db, models.User) == users
    (member,) = [m for m in rows(db, models.Member) if m["role"] == "PARTICIPANT"]
    assert (member["user_id"], member["display_name"]) == (admin.id, "Full width")


def test_login_finds_the_account_an_address_spells(gql, setting):
    _, _, admin = setting
    body = gql(LOGIN, {"e": "ＡＤＭＩＮ@agora.example", "p": PASSWORD})
    assert body["data"]["login"]["user"]["id"] == gid("User", admin)
    refused = gql(LOGIN, {"e": "ad\u200bmin@agora.example", "p": PASSWORD})
    assert error_codes(refused) == ["UNAUTHENTICATED"]


def test_a_president_is_no_look_alike_account(gql, db, factory, setting):
    # given
    _, _, admin = setting
    users = rows(db, models.User)
    values = {
        "name": "Salon",
        "startsAt": "2027-03-01T08:00:00+01:00",
        "endsAt": "2027-03-03T19:00:00+01:00",
        "timezone": "Europe/Paris",
    }
    # when
    refused = gql(
        CREATE_EVENT,
        {"input": {**values, "presidentEmail": "\u0430dmin@agora.example"}},
        factory.token(admin),
    )
    same = gql(
        CREATE_EVENT,
        {"input": {**values, "presidentEmail": "ａｄｍｉｎ@agora.example"}},
        factory.token(admin),
    )
    # then
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    assert same["data"]["createEvent"]["president"]["id"] == gid("User", admin)
    assert rows(db, models.User) == users


def test_the_command_line_refuses_a_look_alike(db, setting, cli_env, capsys):
    # given
    users = rows(db, models.User)
    # when
    code = cli.main(
        [
            "create-user",
            "--email",
            "\u0430dmin@agora.example",
            "--password",
            PASSWORD,
            "--name",
            "X",
        ]
    )
    # then
    assert code != 0
    assert "mixes Cyrillic and Latin letters" in capsys.readouterr().err
    assert rows(db, models.User) == users
