"""Every text a mutation takes has a maximum, the one docs/api.md ("Input lengths") documents:
one character more is BAD_USER_INPUT naming the limit, and nothing changes.

The texts are found by walking the served schema (every String argument of a mutation and
every String field of its input types, nested or in lists), so a new one without a documented
maximum fails here until the table (and its check) has it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import graphql
import pytest
from sqlalchemy import select
from sqlmodel import Session, SQLModel

import models
from models import AnnonceTarget, Role
from schema import schema as agora_schema
from tests.conftest import PG_URL
from tests.factories import PASSWORD, Factory, gid

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


# Over-long values that are otherwise well formed, so that only their length is wrong.
def _address(n: int) -> str:
    return "a" * (n - len("@example.org")) + "@example.org"


SHAPED: dict[str, Callable[[int], str]] = {
    "EventInput.presidentEmail": _address,
    "MemberInput.email": _address,
    "login(email)": _address,
    "SessionInput.youtubeLiveUrl": lambda n: "https://youtu.be/" + "x" * (n - 17),
}

Path_ = tuple[str | int, ...]


def documented() -> dict[str, int]:
    """The table of docs/api.md's "Input lengths": input -> its maximum."""
    section = DOCS.read_text().split("## Input lengths", 1)[1].split("\n## ", 1)[0]
    return {
        name: int(limit)
        for name, limit in re.findall(r"^\| `([^`]+)` \| (\d+) \|$", section, re.MULTILINE)
    }


def _named(t: graphql.GraphQLType) -> tuple[graphql.GraphQLNamedType, bool]:
    """The named type under `t`, and whether a list wraps it."""
    listed = False
    while isinstance(t, (graphql.GraphQLNonNull, graphql.GraphQLList)):
        listed = listed or isinstance(t, graphql.GraphQLList)
        t = t.of_type
    assert isinstance(t, graphql.GraphQLNamedType)
    return t, listed


def _texts(
    t: graphql.GraphQLType, key: str, path: Path_, seen: frozenset[str]
) -> Iterator[tuple[str, Path_, bool]]:
    named, listed = _named(t)
    if isinstance(named, graphql.GraphQLScalarType) and named.name == "String":
        yield key, path, listed
    elif isinstance(named, graphql.GraphQLInputObjectType) and named.name not in seen:
        inner = (*path, 0) if listed else path
        for name, field in named.fields.items():
            yield from _texts(
                field.type, f"{named.name}.{name}", (*inner, name), seen | {named.name}
            )


def text_inputs() -> list[tuple[str, str, Path_, bool]]:
    """(mutation, input, path in its variables, is a list of texts) for every text input."""
    mutation = agora_schema._schema.mutation_type
    assert mutation is not None
    found = []
    for op, field in mutation.fields.items():
        for arg, argument in field.args.items():
            for key, path, listed in _texts(argument.type, f"{op}({arg})", (arg,), frozenset()):
                found.append((op, key, path, listed))
    return found


def document(op: str) -> str:
    """The mutation `op` with each of its arguments a variable of its own."""
    mutation = agora_schema._schema.mutation_type
    assert mutation is not None
    field = mutation.fields[op]
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in field.args)
    returned, _ = _named(field.type)
    selection = "" if isinstance(returned, graphql.GraphQLScalarType) else " { __typename }"
    if op == "syncScans":
        selection = " { rejected { code message } }"  # a refused scan is reported, not raised
    return f"mutation({declared}) {{ {op}({passed}){selection} }}"


def test_every_text_input_has_a_documented_maximum():
    walked = {key for _, key, _, _ in text_inputs()}
    table = documented()
    missing = sorted(walked - set(table))
    assert missing == [], f"text inputs without a maximum in docs/api.md: {missing}"
    assert sorted(set(table) - walked) == [], "docs/api.md lists inputs the schema has no more"


@dataclass
class Scene:
    factory: Factory
    tokens: dict[str, str | None]
    ids: dict[str, str]
    secrets: dict[str, str]
    code: str
    iso: Callable[[timedelta], str]


@pytest.fixture
def scene(factory: Factory, db: Session) -> Scene:
    """An event running now with one of everything a mutation may name."""
    admin = factory.user(admin=True)
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event)
    talk = factory.session(room)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, room)
    exposant = factory.member(event, Role.EXPOSANT)
    participant = factory.member(event, Role.PARTICIPANT)
    visit = factory.visit(exposant, participant)
    question = factory.question(talk, participant)
    annonce = factory.annonce(event, president, AnnonceTarget.ALL)

    def user(member: models.Member) -> models.User:
        found = db.get(models.User, member.user_id)
        assert found is not None
        return found

    invited = factory.user()
    invited.password_hash = None

    return Scene(
        factory=factory,
        tokens={
            "admin": factory.token(admin),
            "president": factory.token(president),
            "controller": factory.token(user(controller)),
            "exposant": factory.token(user(exposant)),
            "participant": factory.token(user(participant)),
            "nobody": None,
        },
        secrets={
            "email": president.email,
            "refresh": factory.refresh_token(president),
            "invitation": factory.invitation(invited),
        },
        ids={
            "event": gid("Event", event),
            "room": gid("Room", room),
            "talk": gid("Session", talk),
            "visit": gid("Visit", visit),
            "question": gid("Question", question),
            "annonce": gid("Annonce", annonce),
        },
        code=factory.badge(participant).code,
        iso=lambda delta: (factory.now + delta).isoformat(),
    )


def valid(op: str, s: Scene) -> tuple[dict[str, Any], str]:
    """Variables with which `op` succeeds, and who sends them."""
    event = {
        "name": "Salon",
        "description": "",
        "location": "",
        "startsAt": s.iso(timedelta(days=-1)),
        "endsAt": s.iso(timedelta(days=2)),
        "timezone": "Europe/Paris",
        "presidentEmail": "president@example.org",
    }
    room = {"name": "Salle B", "description": "", "location": "", "capacity": 10}
    session = {
        "roomId": s.ids["room"],
        "title": "Atelier",
        "description": "",
        "speakerName": "",
        "kind": "CONFERENCE",
        "startsAt": s.iso(timedelta(hours=3)),
        "endsAt": s.iso(timedelta(hours=4)),
        "youtubeLiveUrl": "https://youtu.be/abc",
    }
    scan = {"roomId": s.ids["room"], "code": s.code, "clientScanId": "scan-1"}
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "createEvent": ({"input": event}, "admin"),
        "updateEvent": ({"id": s.ids["event"], "input": event}, "admin"),
        "createRoom": ({"eventId": s.ids["event"], "input": room}, "president"),
        "updateRoom": ({"id": s.ids["room"], "input": room}, "president"),
        "createSession": ({"eventId": s.ids["event"], "input": session}, "president"),
        "updateSession": ({"id": s.ids["talk"], "input": session}, "president"),
        "addMember": (
            {
                "eventId": s.ids["event"],
                "input": {"email": "new@example.org", "fullName": "Nouveau", "role": "PARTICIPANT"},
            },
            "president",
        ),
        "createAnnonce": (
            {"eventId": s.ids["event"], "title": "T", "description": "D", "target": "ALL"},
            "president",
        ),
        "updateAnnonce": ({"id": s.ids["annonce"], "title": "T", "description": "D"}, "president"),
        "askQuestion": ({"sessionId": s.ids["talk"], "text": "Pourquoi ?"}, "participant"),
        "answerQuestion": ({"questionId": s.ids["question"], "answer": "Parce que."}, "president"),
        "scanBadge": ({"input": scan}, "controller"),
        "syncScans": ({"scans": [scan]}, "controller"),
        "scanVisitor": ({"eventId": s.ids["event"], "code": s.code, "note": ""}, "exposant"),
        "updateVisit": (
            {"id": s.ids["visit"], "input": {"note": "", "tags": ["chaud"]}},
            "exposant",
        ),
        "updateVisitNote": ({"visitId": s.ids["visit"], "note": "À rappeler"}, "exposant"),
        "login": ({"email": s.secrets["email"], "password": PASSWORD}, "nobody"),
        "refreshToken": ({"refreshToken": s.secrets["refresh"]}, "nobody"),
        "logout": ({"refreshToken": s.secrets["refresh"]}, "nobody"),
        "setPasswordWithToken": (
            {"token": s.secrets["invitation"], "password": "a new password"},
            "nobody",
        ),
    }
    return cases[op]


def _set(variables: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(variables)
    place: Any = changed
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    return changed


def everything(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after a refused mutation."""
    db.rollback()
    return {
        table.name: sorted(map(tuple, db.execute(select(table)).all()), key=repr)
        for table in SQLModel.metadata.sorted_tables
    }


CASES = [
    pytest.param(op, key, path, listed, id=f"{op}:{key}") for op, key, path, listed in text_inputs()
]


@pytest.mark.parametrize(("op", "key", "path", "listed"), CASES)
def test_one_character_too_many_is_bad_user_input_and_changes_nothing(
    gql, db, scene, op, key, path, listed
):
    # given
    limit = documented()[key]
    variables, sender = valid(op, scene)
    text = SHAPED.get(key, lambda n: "x" * n)(limit + 1)
    assert len(text) == limit + 1
    too_long = _set(variables, path, [text] if listed else text)
    before = everything(db)
    # when
    body = gql(document(op), too_long, scene.tokens[sender])
    # then
    if op == "syncScans":
        assert "errors" not in body, body
        (rejected,) = body["data"]["syncScans"]["rejected"]
        errors = [{"message": rejected["message"], "extensions": {"code": rejected["code"]}}]
    else:
        errors = body.get("errors", [])
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], body
    assert str(limit) in errors[0]["message"], errors[0]["message"]
    assert everything(db) == before
    # and the same operation with every text within its limit succeeds
    answered = gql(document(op), variables, scene.tokens[sender])
    assert "errors" not in answered, answered


def test_a_nul_character_in_a_text_is_bad_user_input_on_every_database(gql, db, scene):
    # given a description with U+0000, which PostgreSQL's text cannot hold
    variables, sender = valid("createRoom", scene)
    variables = _set(variables, ("input", "description"), "avant\x00après")
    before = everything(db)
    # when
    body = gql(document("createRoom"), variables, scene.tokens[sender])
    # then
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "The room's description cannot contain the NUL character (U+0000)."
    )
    assert everything(db) == before


@pytest.mark.skipif(not PG_URL, reason="SQLite's text holds a NUL character as it is")
def test_a_nul_character_never_reaches_postgresql_whatever_the_input(gql, db, scene):
    # given a text that no use case checks itself (the fuzz found it: a 500 before)
    variables, sender = valid("updateVisitNote", scene)
    before = everything(db)
    # when
    body = gql(document("updateVisitNote"), {**variables, "note": "\x00"}, scene.tokens[sender])
    # then
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "NUL character (U+0000)" in body["errors"][0]["message"]
    assert everything(db) == before
