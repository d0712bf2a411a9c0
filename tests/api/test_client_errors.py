"""A careless client's every mistake is a coded JSON error with the right status, never our fault.

Served for real by uvicorn: what is checked is what goes over the wire.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

import models
from models import Role
from tests.api.conftest import minimal_pdf, rows
from tests.factories import gid

NODE = "query($id: ID!) { node(id: $id) { id } }"
ROOM_STATS = (
    """query($id: ID!, $from: DateTime) { room(id: $id) { stats(from: $from) { totalScans } } }"""
)
SET_STATUS = """mutation($id: ID!, $status: SessionStatus!) { setSessionStatus(id: $id, status: $status) { id } }"""
CREATE_ROOM = """mutation($eventId: ID!, $input: RoomInput!) { createRoom(eventId: $eventId, input: $input) { id } }"""
UPLOAD_PLAN = """mutation($memberId: ID!, $file: Upload!) { uploadExposantPlan(memberId: $memberId, file: $file) { id } }"""


def _big(type_name: str) -> str:
    """A well-formed global id whose number no database column can hold."""
    return base64.urlsafe_b64encode(f"{type_name}:99999999999999999999999".encode()).decode()


def _only_error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


@pytest.fixture
def salon(factory: Any) -> dict[str, Any]:
    admin = factory.user(admin=True)
    event = factory.event(president=admin)
    room = factory.room(event)
    session = factory.session(room)
    exposant = factory.member(event, Role.EXPOSANT)
    return {
        "token": factory.token(admin),
        "event": event,
        "room": room,
        "session": session,
        "exposant": exposant,
    }


def _post(base: str, token: str | None, query: str, variables: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers
    )


@pytest.mark.parametrize(
    ("query", "variables", "says"),
    [
        (NODE, {}, "Expected a value of non-null type 'ID!' to be provided."),
        (NODE, {"id": {"nested": 1}}, "ID cannot represent value"),
        (SET_STATUS, {"id": "x", "status": "NOPE"}, "does not exist in 'SessionStatus' enum"),
        (ROOM_STATS, {"id": "x", "from": "yesterday"}, "Value cannot represent a DateTime"),
        (
            CREATE_ROOM,
            {"eventId": "x", "input": {"name": "A", "capacity": 5, "colour": "red"}},
            "colour",
        ),
        (UPLOAD_PLAN, {"memberId": "x", "file": None}, "Upload!"),
    ],
    ids=["missing", "wrong-type", "bad-enum", "bad-datetime", "unknown-input-field", "null-upload"],
)
def test_variable_mistakes_are_bad_user_input(
    start_server, salon, snapshot, query, variables, says
):
    base = start_server()
    before = snapshot(models.Room, models.EventSession, models.StoredFile)
    response = _post(base, salon["token"], query, variables)
    assert response.status_code == 200
    error = _only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert says in error["message"]
    assert "Traceback" not in response.text
    assert snapshot(models.Room, models.EventSession, models.StoredFile) == before


def test_a_time_without_offset_is_bad_user_input_not_a_crash(start_server, salon, caplog):
    base = start_server()
    response = _post(
        base,
        salon["token"],
        ROOM_STATS,
        {"id": gid("Room", salon["room"]), "from": "2026-12-01T00:00:00"},
    )
    error = _only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`from` needs a time zone offset" in error["message"]
    assert error["path"] == ["room", "stats"]
    assert "unexpected error" not in caplog.text


def test_ids_beyond_the_database_are_not_found_on_graphql(start_server, salon):
    base = start_server()
    for query in (NODE, "query($id: ID!) { room(id: $id) { id } }"):
        response = _post(base, salon["token"], query, {"id": _big("Room")})
        error = _only_error(response)
        assert error["extensions"]["code"] == "NOT_FOUND", error
    answered = _post(base, salon["token"], NODE, {"id": _big("Room")}).json()
    assert answered["data"] == {"node": None}


@pytest.mark.parametrize(
    "path",
    [
        "/files/{File}",
        "/events/{Event}/scans.csv",
        "/events/{Event}/programme.ics",
        "/exposants/{Member}/visits.csv",
    ],
)
def test_ids_beyond_the_database_are_404_on_every_route(start_server, salon, path):
    base = start_server()
    url = base + path.format(File=_big("File"), Event=_big("Event"), Member=_big("Member"))
    response = httpx.get(url, headers={"Authorization": f"Bearer {salon['token']}"})
    assert response.status_code == 404
    assert _only_error(response)["extensions"]["code"] == "NOT_FOUND"


def test_a_body_that_is_not_json_is_a_json_400(start_server):
    base = start_server()
    response = httpx.post(
        f"{base}/graphql", content=b"{query: oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = _only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not valid JSON" in error["message"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ([{"query": "{ __typename }"}, {"query": "{ __typename }"}], "one operation per request"),
        ({"variables": {}}, "no `query`"),
        ({"query": "{ __typename }", "variables": [1]}, "`variables` must be a JSON object"),
        ({"query": "{ __typename }", "operationName": 3}, "`operationName` must be a string"),
        ("just a string", "must be a JSON object"),
    ],
    ids=["batch", "no-query", "variables-list", "operation-name-number", "string"],
)
def test_malformed_requests_are_json_400(start_server, body, says):
    base = start_server()
    response = httpx.post(f"{base}/graphql", json=body)
    assert response.status_code == 400
    error = _only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert says in error["message"]


def test_multipart_without_its_file_is_a_json_400(start_server, salon):
    base = start_server()
    operations = {"query": UPLOAD_PLAN, "variables": {"memberId": "x", "file": None}}
    response = httpx.post(
        f"{base}/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"other": ("plan.pdf", minimal_pdf(), "application/pdf")},
        headers={"Authorization": f"Bearer {salon['token']}"},
    )
    assert response.status_code == 400
    error = _only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "missing" in error["message"]


def test_other_media_types_are_415_and_other_methods_405(start_server):
    base = start_server()
    form = httpx.post(f"{base}/graphql", data={"query": "{ __typename }"})
    assert form.status_code == 415
    assert _only_error(form)["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    put = httpx.put(f"{base}/graphql", json={"query": "{ __typename }"})
    assert put.status_code == 405
    assert _only_error(put)["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    nowhere = httpx.get(f"{base}/nowhere")
    assert nowhere.status_code == 404
    assert _only_error(nowhere)["extensions"]["code"] == "NOT_FOUND"


def test_a_body_over_the_limit_is_413_before_it_is_read(start_server, salon, db):
    base = start_server(max_request_bytes=4096)
    padding = "#" + "x" * 8000 + "\n"
    declared = httpx.post(f"{base}/graphql", json={"query": padding + "{ __typename }"})
    assert declared.status_code == 413
    error = _only_error(declared)
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "4096 bytes" in error["message"]

    def chunks() -> Any:  # no Content-Length: the limit holds while the body streams in
        yield json.dumps({"query": padding}).encode()

    streamed = httpx.post(
        f"{base}/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert _only_error(streamed)["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    upload = httpx.post(
        f"{base}/graphql",
        data={
            "operations": json.dumps(
                {
                    "query": UPLOAD_PLAN,
                    "variables": {"memberId": gid("Member", salon["exposant"]), "file": None},
                }
            ),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("plan.pdf", minimal_pdf("x" * 9000), "application/pdf")},
        headers={"Authorization": f"Bearer {salon['token']}"},
    )
    assert upload.status_code == 413
    assert rows(db, models.StoredFile) == []
    # A small request still goes through.
    assert httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}).json() == {
        "data": {"__typename": "Query"}
    }


def test_cors_for_configured_origins_only(start_server):
    base = start_server(cors_origins=("https://app.example.org",))
    preflight = httpx.options(
        f"{base}/graphql",
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.org"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = httpx.post(
        f"{base}/graphql",
        json={"query": "{ __typename }"},
        headers={"Origin": "https://app.example.org"},
    )
    assert answer.headers["access-control-allow-origin"] == "https://app.example.org"
    assert "access-control-allow-credentials" not in answer.headers
    stranger = httpx.post(
        f"{base}/graphql",
        json={"query": "{ __typename }"},
        headers={"Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in stranger.headers


def test_no_cors_by_default(start_server):
    base = start_server()
    preflight = httpx.options(
        f"{base}/graphql",
        headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
    assert _only_error(preflight)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_any_origin_never_with_credentials(start_server):
    base = start_server(cors_origins=("*",))
    answer = httpx.post(
        f"{base}/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://x.example"}
    )
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


@pytest.mark.parametrize(
    "path",
    ["variables.file.__class__", "variables.file.x.y", "variables", "query", "variables.file.0"],
)
def test_a_multipart_map_to_no_variable_s_place_is_a_json_400(start_server, salon, path):
    base = start_server()
    operations = {"query": UPLOAD_PLAN, "variables": {"memberId": "x", "file": None}}
    response = httpx.post(
        f"{base}/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": [path]})},
        files={"0": ("plan.pdf", minimal_pdf(), "application/pdf")},
        headers={"Authorization": f"Bearer {salon['token']}"},
    )
    assert response.status_code == 400
    error = _only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "multipart `map`" in error["message"]
