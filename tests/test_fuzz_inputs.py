"""Property-based fuzzing of every mutation's arguments, sent as JSON variables as client apps
send them: values drawn from the schema's own types (input objects, lists, enums, scalars) with
odd unicode, huge and negative numbers, extreme dates and offsets, empty and long lists, real
ids and badge codes of the demo event, by each of its roles. Whatever comes back is never our
fault: no 500, no INTERNAL_SERVER_ERROR, every error coded.

The schema fuzz (tests/test_fuzz.py) writes arguments inline in the document; this one reaches
the paths that only variables take (JSON numbers and strings coerced by the scalars). Bounded
and derandomised, to stay well under twenty seconds per database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from starlette.testclient import TestClient

import models
from app.context import acting_in
from kernel.ids import encode
from schema import schema as agora_schema
from seed import seed
from tests.test_fuzz import ID_TYPES

EXAMPLES = 300
# Files cannot be sent in a JSON body: tests/test_fuzz_multipart.py fuzzes the uploads.
WITH_FILES = {"uploadEventFile", "uploadExposantPlan", "importMembers"}
ROLES = [
    "admin@agora.demo",
    "president@agora.demo",
    "gestionnaire@agora.demo",
    "controlleur@agora.demo",
    "participant@agora.demo",
    "exposant@agora.demo",
]

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",
    "\U0001f39f\ufe0f",
    "\ud800",  # a lone surrogate: JSON can escape it, no UTF-8 can hold it
    "\ufeff",
    "\u0000" * 3,
    "\U0010ffff",
    "Ω" * 300,
    "x" * 3000,
    "\r\n\t",
    "Europe/Paris",
    "../../etc/passwd",
    "https://youtu.be/x",
    "https://www.youtube.com/watch?v=" + "x" * 490,
    "javascript:alert(1)",
    "a@b.c",
    "admin@agora.demo",
    "null",
    "1e400",
]
TIMES = [
    "2026-05-04T10:00:00+02:00",
    "2026-05-04T10:00:00Z",
    "2026-12-01T00:00:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59.999999-23:59",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
    "2026-02-30T10:00:00Z",
    "2026-05-04T24:00:00Z",
    "2026-05-04",
    "yesterday",
    "",
]
DECIMALS = ["0", "12.50", "-3", "-0", "1e400", "1e-400", "NaN", "Infinity", "9" * 40, "0.001", ""]
INTS = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.sampled_from([0, -1, 2**31 - 1, -(2**31), 2**31, 2**63, -(2**64), 10**30]),
)


def _unwrap(t: graphql.GraphQLType) -> graphql.GraphQLType:
    return t.of_type if isinstance(t, graphql.GraphQLNonNull) else t


# The kind of object an ID argument or input field names, by its name.
ID_NAMES = {
    "eventId": "Event",
    "roomId": "Room",
    "sessionId": "Session",
    "memberId": "Member",
    "questionId": "Question",
    "visitId": "Visit",
}


def _id_kind(op: str, name: str) -> str | None:
    """`id` names the object of its operation (updateRoom: a Room, endAssignment: an assignment)."""
    if name in ID_NAMES:
        return ID_NAMES[name]
    if name != "id":
        return None
    return next((kind for kind in ID_TYPES if kind.lower() in op.lower()), None) or (
        "RoomAssignment" if "assignment" in op.lower() else None
    )


class Values:
    """Strategies of JSON values for the schema's input types, mostly well formed (so that the
    use cases run), now and then not."""

    def __init__(self, ids: dict[str, list[str]], codes: list[str], now: datetime) -> None:
        junk = ["", "x", "Room:1", encode("Room", 2**40), encode("Event", 10**23), "0" * 40]
        self.any_id = st.sampled_from(
            sorted({i for found in ids.values() for i in found} | set(junk))
        )
        self.ids = {kind: st.sampled_from(found) for kind, found in ids.items() if found}
        self.texts = st.one_of(
            st.sampled_from(ODD_TEXT + codes), st.text(max_size=40), st.text(min_size=250)
        )
        # Moments around the demo event (today and the next two days), in several offsets.
        self.moments = st.builds(
            lambda minutes, zone: (now + timedelta(minutes=minutes)).astimezone(zone).isoformat(),
            st.integers(-3 * 24 * 60, 4 * 24 * 60),
            st.sampled_from(
                [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-9, minutes=-30))]
            ),
        )

    def of(self, t: graphql.GraphQLType, op: str, name: str) -> st.SearchStrategy[Any]:
        value = self._value(_unwrap(t), op, name)
        return value if isinstance(t, graphql.GraphQLNonNull) else st.one_of(value, st.none())

    def _value(self, t: graphql.GraphQLType, op: str, name: str) -> st.SearchStrategy[Any]:
        if isinstance(t, graphql.GraphQLList):
            return st.lists(self.of(t.of_type, op, name), max_size=4)
        if isinstance(t, graphql.GraphQLEnumType):
            return _mostly(st.sampled_from(sorted(t.values)), st.just("NOT_A_VALUE"))
        if isinstance(t, graphql.GraphQLInputObjectType):
            fields = {n: self.of(f.type, op, n) for n, f in t.fields.items()}
            required = {
                n: fields.pop(n) for n, f in t.fields.items() if graphql.is_non_null_type(f.type)
            }
            return st.fixed_dictionaries(required, optional=fields)
        assert isinstance(t, graphql.GraphQLScalarType), t
        return self._scalar(t.name, op, name)

    def _scalar(self, scalar: str, op: str, name: str) -> st.SearchStrategy[Any]:
        kind = _id_kind(op, name)
        scalars: dict[str, st.SearchStrategy[Any]] = {
            "ID": _mostly(self.ids[kind], self.any_id) if kind in self.ids else self.any_id,
            "String": self.texts,
            "Int": INTS,
            "Float": st.floats(allow_nan=False, allow_infinity=False),
            "Boolean": st.booleans(),
            "DateTime": _mostly(
                self.moments, st.one_of(st.sampled_from(TIMES), st.datetimes().map(str))
            ),
            "Decimal": st.one_of(st.sampled_from(DECIMALS), st.decimals().map(str)),
        }
        # Now and then a scalar of the wrong JSON type, which the scalar's parser must refuse.
        wrong = st.sampled_from([12, -1.5, [], {}, True, None])
        return _mostly(scalars.get(scalar, self.texts), wrong)


def _mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` about three times in four, `rare` else (hypothesis favours small integers, so a
    draw of 0 would be far from rare): most requests get as far as the use case."""
    return st.one_of(usual, usual, usual, rare)


def _document(op: str, field: graphql.GraphQLField) -> str:
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in field.args)
    returned = field.type
    while isinstance(returned, (graphql.GraphQLNonNull, graphql.GraphQLList)):
        returned = returned.of_type
    selection = "" if isinstance(returned, graphql.GraphQLScalarType) else " { __typename }"
    head = f"mutation({declared})" if declared else "mutation"
    call = f"{op}({passed})" if passed else op
    return f"{head} {{ {call}{selection} }}"


@pytest.fixture
def fuzz_inputs(db: Any, settings: Any, factory: Any) -> dict[str, Any]:
    seed(db, acting_in(db, settings))
    ids = {
        name: [encode(name, row.id) for row in db.exec(select(model)).all()]
        for name, model in ID_TYPES.items()
    }
    codes = [b.code for b in db.exec(select(models.Badge)).all()]
    users = db.exec(select(models.User).where(models.User.email.in_(ROLES))).all()  # type: ignore[attr-defined]
    return {
        "values": Values(ids, codes, models.utcnow()),
        "tokens": [factory.token(u) for u in users],
    }


def _check(client: TestClient, token: str, document: str, variables: dict[str, Any]) -> None:
    # ASCII JSON, so that even a lone surrogate is sent (escaped) as a careless client would.
    response = client.post(
        "/graphql",
        content=json.dumps({"query": document, "variables": variables}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code < 500, (document, variables, response.text)
    assert "Traceback" not in response.text, document
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, (document, variables, body)
    assert all(codes), (document, variables, body)


def test_fuzzing_every_mutations_variables_never_finds_our_fault(fuzz_inputs, app):
    mutation = agora_schema._schema.mutation_type
    assert mutation is not None
    values: Values = fuzz_inputs["values"]
    calls = [
        st.tuples(
            st.just(_document(op, field)),
            st.fixed_dictionaries({a: values.of(arg.type, op, a) for a, arg in field.args.items()}),
        )
        for op, field in sorted(mutation.fields.items())
        if op not in WITH_FILES
    ]
    # Server errors are raised here, not turned into a 500 the test might miss.
    with TestClient(app, raise_server_exceptions=True) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(call=st.one_of(calls), token=st.sampled_from(fuzz_inputs["tokens"]))
        def run(call: tuple[str, dict[str, Any]], token: str) -> None:
            document, variables = call
            _check(client, token, document, variables)

        run()
