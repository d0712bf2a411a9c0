"""Property-based fuzzing of the multipart route (GraphQL uploads): bodies built part by part
with random `operations`, `map` and file parts (names, file names, types and bytes, parts left
out, repeated or out of order, bodies cut short or over the size limit), sent by a president
who may upload. The answer is always one a client can act on: 200 (with coded errors, if
any), 400, 413 or 415; never a 500, never an uncoded error.

Bounded and derandomised, to stay well under twenty seconds per database.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.main import create_app
from models import Role
from tests.api.conftest import minimal_pdf
from tests.factories import gid

EXAMPLES = 250
BOUNDARY = "fuzz-boundary-7d1c"
ANSWERS = {200, 400, 413, 415}
UPLOAD_LIMIT = 4096
REQUEST_LIMIT = 8192

UPLOADS = {
    "event": "mutation($e: ID!, $k: EventFileKind!, $file: Upload!) "
    "{ uploadEventFile(eventId: $e, kind: $k, file: $file) { id filename } }",
    "plan": "mutation($m: ID!, $file: Upload!) { uploadExposantPlan(memberId: $m, file: $file) { id } }",
    "import": "mutation($e: ID!, $file: Upload!) { importMembers(eventId: $e, file: $file) { created } }",
    "many": "mutation($e: ID!, $files: [Upload!]!) "
    "{ a: uploadEventFile(eventId: $e, kind: GUIDE, file: $files) { id } }",
    "query": "{ __typename }",
}

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
PATHS = st.sampled_from(
    [
        "variables.file",
        "variables.files.0",
        "variables.files.7",
        "variables.file.0",
        "variables.e",
        "variables.nope",
        "variables",
        "variables.__proto__",
        "variables.file.__class__",
        "query",
        "operations.variables.file",
        "0.variables.file",
        "variables..file",
        "",
    ]
)
ODD_NAMES = st.sampled_from(
    [
        "programme.pdf",
        "",
        "../../etc/passwd",
        "C:\\fakepath\\plan.pdf",
        "a\u202egnp.pdf",
        "\x00.pdf",
        'quote".pdf',
        "é" * 300,
        "\r\nX-Injected: 1",
        "%00.pdf",
        "\U0001f39f.pdf",
    ]
)
CONTENTS = st.one_of(
    st.just(minimal_pdf()),
    st.just(minimal_pdf()),
    st.binary(max_size=64).map(lambda b: b"%PDF-" + b),
    st.binary(max_size=256),
    st.just(b"email,full_name,role\nnew@example.org,New,PARTICIPANT\n"),
    st.just(b"email,full_name,role\n\x00,\xff\xfe,ADMIN\n"),
    st.just(b"%PDF-" + b"x" * UPLOAD_LIMIT),  # one upload over the limit
    st.just(b"%PDF-" + b"x" * REQUEST_LIMIT),  # a request over the limit
)


@dataclasses.dataclass
class Part:
    name: str
    content: bytes
    filename: str | None = None
    content_type: str | None = None


def _operations(ids: dict[str, str]) -> tuple[st.SearchStrategy[bytes], st.SearchStrategy[bytes]]:
    """Well-formed operations (an upload the president may make, or a near miss), and junk."""
    variables = st.fixed_dictionaries(
        {
            "e": st.sampled_from([ids["event"], ids["other"], "x", ""]),
            "m": st.sampled_from([ids["exposant"], ids["event"], "x"]),
            "k": st.sampled_from(["PROGRAMME", "GUIDE", "PLAN", "NOPE"]),
            "file": st.sampled_from([None, "not a file", 0, {}]),
        },
        optional={"files": st.sampled_from([None, [], [None], [None, None]])},
    )
    well_formed = st.builds(
        lambda query, values: json.dumps({"query": query, "variables": values}).encode(),
        st.sampled_from(list(UPLOADS.values())),
        variables,
    )
    junk = st.one_of(
        JSON.map(lambda v: json.dumps(v).encode()),
        st.builds(lambda op: b"[" + op + b"]", well_formed),  # a batch
        st.binary(max_size=32),
    )
    return well_formed, junk


def _map() -> st.SearchStrategy[bytes]:
    odd = st.dictionaries(
        st.sampled_from(["0", "1", "file"]), st.lists(PATHS, max_size=3), max_size=2
    ).map(lambda m: json.dumps(m).encode())
    return st.one_of(odd, JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=16))


def _file(names: st.SearchStrategy[str]) -> st.SearchStrategy[Part]:
    return st.builds(
        Part,
        name=names,
        content=CONTENTS,
        filename=st.one_of(st.just("programme.pdf"), ODD_NAMES),
        content_type=st.one_of(
            st.none(), st.sampled_from(["application/pdf", "text/csv", "image/png", "x/\x01"])
        ),
    )


def _encode(parts: list[Part], cut: int | None) -> bytes:
    body = bytearray()
    for part in parts:
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{part.name}"'.encode()
        if part.filename is not None:
            quoted = part.filename.replace('"', "%22")
            body += f'; filename="{quoted}"'.encode("utf-8", "surrogatepass")
        if part.content_type is not None:
            body += f"\r\nContent-Type: {part.content_type}".encode()
        body += b"\r\n\r\n" + part.content + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return bytes(body[:cut]) if cut is not None else bytes(body)


# What one request gets wrong, if anything (the first, nothing, is drawn most often).
FLAWS = ["none", "operations", "map", "files", "missing", "order", "content type", "cut"]


def _requests(ids: dict[str, str]) -> st.SearchStrategy[tuple[bytes, str]]:
    """A request with at most one flaw, so that most get as far as the use case and each
    flaw is met on its own."""
    good_operations, junk_operations = _operations(ids)
    good_file = _file(st.just("0"))

    @st.composite
    def build(draw: st.DrawFn) -> tuple[bytes, str]:
        flaw = draw(st.sampled_from(FLAWS))
        operations = draw(junk_operations if flaw == "operations" else good_operations)
        files_map = draw(_map()) if flaw == "map" else b'{"0": ["variables.file"]}'
        files = [draw(good_file)]
        if flaw == "files":
            files = draw(st.lists(_file(st.sampled_from(["0", "1", "file", "", "é"])), max_size=3))
        parts = [Part("operations", operations), Part("map", files_map), *files]
        if flaw == "missing":
            parts.pop(draw(st.integers(0, len(parts) - 1)))
        if flaw == "order":
            parts = draw(st.permutations(parts))
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
        if flaw == "content type":
            content_type = draw(
                st.sampled_from(
                    [
                        "multipart/form-data",  # no boundary
                        "multipart/form-data; boundary=another",
                        "multipart/mixed; boundary=" + BOUNDARY,
                        "text/plain",
                    ]
                )
            )
        cut = draw(st.integers(0, 400)) if flaw == "cut" else None  # a body cut short
        return _encode(parts, cut), content_type

    return build()


@pytest.fixture
def multipart_target(factory: Any, settings: Any, engine: Any, db: Any) -> dict[str, Any]:
    president = factory.user()
    event = factory.event(president=president)
    exposant = factory.member(event, Role.EXPOSANT)
    other = factory.event()
    small = dataclasses.replace(
        settings, max_upload_bytes=UPLOAD_LIMIT, max_request_bytes=REQUEST_LIMIT
    )
    return {
        "app": create_app(small, engine),
        "token": factory.token(president),
        "ids": {
            "event": gid("Event", event),
            "exposant": gid("Member", exposant),
            "other": gid("Event", other),
        },
    }


def test_fuzzing_the_multipart_route_never_finds_our_fault(multipart_target):
    token = multipart_target["token"]
    # Server errors are raised here, not turned into a 500 the test might miss.
    with TestClient(multipart_target["app"], raise_server_exceptions=True) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(request=_requests(multipart_target["ids"]))
        def run(request: tuple[bytes, str]) -> None:
            body, content_type = request
            response = client.post(
                "/graphql",
                content=body,
                headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
            )
            assert response.status_code in ANSWERS, (request, response.status_code, response.text)
            assert "Traceback" not in response.text
            answer = response.json()
            errors = answer.get("errors", []) if isinstance(answer, dict) else []
            codes = [e.get("extensions", {}).get("code") for e in errors]
            assert "INTERNAL_SERVER_ERROR" not in codes, (request, answer)
            assert all(codes), (request, answer)

        run()
