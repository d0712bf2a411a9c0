"""Property-based fuzzing of the whole schema over HTTP: an admin on the demo event sends
queries and mutations that hypothesis-graphql builds from the schema, with arguments drawn
from real ids, real badge codes, times with and without offsets, and junk. Whatever comes
back, it is never our fault: no 500, no INTERNAL_SERVER_ERROR, no stack trace.

Bounded (a few hundred examples, derandomised so a run is repeatable) to stay well under a
minute per database.
"""

from __future__ import annotations

from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, strategies
from sqlmodel import select

import models
from app.context import acting_in
from kernel.ids import encode
from schema import schema as agora_schema
from seed import seed

# Files cannot be sent in a JSON body; uploads have their own tests.
NO_JSON = {"uploadEventFile", "uploadExposantPlan", "importMembers"}
EXAMPLES = 150

ID_TYPES = {
    "Event": models.Event,
    "Room": models.Room,
    "Session": models.EventSession,
    "Member": models.Member,
    "Annonce": models.Annonce,
    "Question": models.Question,
    "Visit": models.Visit,
    "RoomAccess": models.RoomAccess,
    "RoomAssignment": models.RoomAssignment,
    "File": models.StoredFile,
    "User": models.User,
}


def _strings(values: list[str]) -> st.SearchStrategy[graphql.StringValueNode]:
    junk = st.sampled_from(
        ["", "x", "Room:1", encode("Room", 2**40), encode("Event", 10**23), "🎟️", "0" * 40]
    )
    return st.one_of(st.sampled_from(values), junk).map(nodes.String)


def _times() -> st.SearchStrategy[graphql.StringValueNode]:
    return st.sampled_from(
        [
            "2026-05-04T10:00:00+02:00",
            "2026-05-04T10:00:00Z",
            "2030-01-01T00:00:00Z",
            "2026-12-01T00:00:00",  # no offset
            "yesterday",
            "0001-01-01T00:00:00Z",
        ]
    ).map(nodes.String)


@pytest.fixture
def fuzz_target(start_server: Any, db: Any, settings: Any, factory: Any) -> dict[str, Any]:
    seed(db, acting_in(db, settings))
    ids = [
        encode(name, row.id)
        for name, model in ID_TYPES.items()
        for row in db.exec(select(model)).all()
    ]
    codes = [b.code for b in db.exec(select(models.Badge)).all()]
    admin = db.exec(select(models.User).where(models.User.is_admin)).first()
    return {
        "base": start_server(),
        "token": factory.token(admin),
        "scalars": {
            "ID": _strings(ids),
            "DateTime": _times(),
            "Decimal": st.sampled_from(["0", "12.50", "-3", "1e400", "abc"]).map(nodes.String),
        },
        "codes": codes,
    }


def _check(client: httpx.Client, token: str, document: str) -> None:
    response = client.post(
        "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code < 500, (document, response.text)
    assert "Traceback" not in response.text, document
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, (document, body)
    assert all(codes), (document, body)


def _fields(root: graphql.GraphQLObjectType | None) -> list[str]:
    assert root is not None
    return sorted(set(root.fields) - NO_JSON)


@pytest.mark.parametrize("kind", ["queries", "mutations"])
def test_fuzzing_the_schema_never_finds_our_fault(fuzz_target, kind):
    core = agora_schema._schema
    build = strategies.queries if kind == "queries" else strategies.mutations
    root = core.query_type if kind == "queries" else core.mutation_type
    documents = build(core, fields=_fields(root), custom_scalars=fuzz_target["scalars"])

    with httpx.Client(base_url=fuzz_target["base"], timeout=30) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(document=documents)
        def run(document: str) -> None:
            _check(client, fuzz_target["token"], document)

        run()
