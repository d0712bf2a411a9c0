"""uploadEventFile, uploadExposantPlan (multipart uploads) and GET /files/<id>."""

from __future__ import annotations

import hashlib
import json

import pytest

import models
from models import Role
from tests.api.conftest import SMALL_LIMIT, minimal_pdf, rows
from tests.conftest import error_codes
from tests.factories import gid

UPLOAD_EVENT_FILE = """mutation($e: ID!, $kind: EventFileKind!, $file: Upload!) {
  uploadEventFile(eventId: $e, kind: $kind, file: $file) { id filename contentType size sha256 url uploadedAt }
}"""
UPLOAD_PLAN = """mutation($m: ID!, $file: Upload!) {
  uploadExposantPlan(memberId: $m, file: $file) { id filename size url }
}"""
BOUNDARY = "agora-test-boundary"
NODE = "query($id: ID!) { node(id: $id) { id } }"
AUDIT = """query($id: ID!) { event(id: $id) { auditLog(first: 1, action: "file.upload") {
  edges { node { after } } } } }"""
EVENT_FILES = """query($id: ID!) { event(id: $id) { programme { id filename } guide { id } exposants { company plan { id url } } } }"""


@pytest.fixture
def salon(factory, db):
    president = factory.user()
    event = factory.event(president=president)
    exposant = factory.member(event, Role.EXPOSANT, company="Bob & Co")
    participant = factory.member(event, Role.PARTICIPANT)
    return {
        "president": president,
        "event": event,
        "exposant": exposant,
        "exposant_user": db.get(models.User, exposant.user_id),
        "participant_user": db.get(models.User, participant.user_id),
    }


def _stored_files(settings):
    folder = settings.storage_dir
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_upload_the_programme_and_download_it(gql, factory, db, upload, client, settings, salon):
    # given
    pdf = minimal_pdf("Programme")
    # when
    body = upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        pdf,
        "programme 2027.pdf",
        factory.token(salon["president"]),
    )
    # then
    assert "errors" not in body, body
    file = body["data"]["uploadEventFile"]
    assert (file["filename"], file["contentType"], file["size"]) == (
        "programme 2027.pdf",
        "application/pdf",
        len(pdf),
    )
    assert file["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert file["url"] == f"/files/{file['id']}"
    (stored,) = rows(db, models.StoredFile)
    assert (stored["kind"], stored["event_id"], stored["sha256"]) == (
        "PROGRAMME",
        salon["event"].id,
        file["sha256"],
    )
    path = settings.storage_dir / stored["storage_key"]
    assert path.read_bytes() == pdf
    assert stored["filename"] not in stored["storage_key"]
    # every member sees it on the event and downloads it
    participant = factory.token(salon["participant_user"])
    event = gql.ok(EVENT_FILES, {"id": gid("Event", salon["event"])}, participant)["event"]
    assert event["programme"] == {"id": file["id"], "filename": "programme 2027.pdf"}
    response = client.get(file["url"], headers={"Authorization": f"Bearer {participant}"})
    assert response.status_code == 200
    assert response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    assert "programme%202027.pdf" in response.headers["content-disposition"]


def test_a_new_upload_replaces_the_current_file(gql, factory, db, upload, client, settings, salon):
    token = factory.token(salon["president"])
    variables = {"e": gid("Event", salon["event"]), "kind": "GUIDE"}
    first = upload(UPLOAD_EVENT_FILE, variables, "file", minimal_pdf("v1"), "guide.pdf", token)[
        "data"
    ]["uploadEventFile"]
    programme = upload(
        UPLOAD_EVENT_FILE, {**variables, "kind": "PROGRAMME"}, "file", minimal_pdf(), "p.pdf", token
    )["data"]["uploadEventFile"]
    (old_key,) = [r["storage_key"] for r in rows(db, models.StoredFile) if r["kind"] == "GUIDE"]
    second = upload(UPLOAD_EVENT_FILE, variables, "file", minimal_pdf("v2"), "guide-v2.pdf", token)[
        "data"
    ]["uploadEventFile"]
    event = gql.ok(EVENT_FILES, {"id": gid("Event", salon["event"])}, token)["event"]
    assert event["guide"] == {"id": second["id"]}
    assert event["programme"] == {"id": programme["id"], "filename": "p.pdf"}
    # the replaced guide is gone, row and bytes: its old id is as unknown as any other
    assert sorted(r["kind"] for r in rows(db, models.StoredFile)) == ["GUIDE", "PROGRAMME"]
    assert old_key not in _stored_files(settings)
    participant = {"Authorization": f"Bearer {factory.token(salon['participant_user'])}"}
    old = client.get(first["url"], headers=participant)
    assert old.status_code == 404
    assert old.json()["error"]["code"] == "NOT_FOUND"
    assert client.get(second["url"], headers=participant).status_code == 200
    body = gql(NODE, {"id": first["id"]}, token)
    assert error_codes(body) == ["NOT_FOUND"]
    # and the audit entry of the new upload names the file it replaced
    log = gql.ok(AUDIT, {"id": gid("Event", salon["event"])}, token)["event"]["auditLog"]
    assert log["edges"][0]["node"]["after"]["replaces"] == [first["id"]]


def test_a_new_stand_plan_replaces_only_that_exposants_plan(
    gql, factory, db, upload, client, salon
):
    other = factory.member(salon["event"], Role.EXPOSANT)
    token = factory.token(salon["president"])
    plans = [
        upload(UPLOAD_PLAN, {"m": gid("Member", member)}, "file", minimal_pdf(), "plan.pdf", token)[
            "data"
        ]["uploadExposantPlan"]
        for member in (salon["exposant"], other, salon["exposant"])
    ]
    headers = {"Authorization": f"Bearer {factory.token(salon['participant_user'])}"}
    statuses = [client.get(plan["url"], headers=headers).status_code for plan in plans]
    assert statuses == [404, 200, 200]
    assert len(rows(db, models.StoredFile)) == 2


def test_downloads_are_attachments_in_a_sandbox(factory, db, upload, client, salon):
    # given a PDF that would run a script if a browser showed it inline
    scripted = minimal_pdf().replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
    )
    file = upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        scripted,
        "programme.pdf",
        factory.token(salon["president"]),
    )["data"]["uploadEventFile"]
    # when
    headers = {"Authorization": f"Bearer {factory.token(salon['participant_user'])}"}
    response = client.get(file["url"], headers=headers)
    # then the browser saves it rather than opening it, and would run nothing of it anyway
    assert response.status_code == 200
    assert response.content == scripted
    assert response.headers["content-disposition"] == 'attachment; filename="programme.pdf"'
    assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    calendar = client.get(f"/events/{gid('Event', salon['event'])}/programme.ics", headers=headers)
    assert calendar.status_code == 200
    assert calendar.headers["content-disposition"].startswith("attachment")
    assert calendar.headers["content-security-policy"] == "sandbox; default-src 'none'"


@pytest.mark.parametrize(
    ("sent", "stored", "disposition"),
    [
        # U+202E (right-to-left override) made "...fdp.exe" read as "...exe.pdf"
        ("facture\u202efdp.exe", "facturefdp.exe", 'attachment; filename="facturefdp.exe"'),
        (
            "a\u2066b\u2069\u200e\u200fc\u061c\u200b.pdf",
            "abc.pdf",
            'attachment; filename="abc.pdf"',
        ),
        (
            "tab\there\x7f\x1b[31m.pdf",
            "tab here[31m.pdf",
            "attachment; filename*=utf-8''tab%20here%5B31m.pdf",
        ),
        (
            'C:\\Users\\me\\"quoted"  name\u2028.pdf',
            "quoted name .pdf",
            "attachment; filename*=utf-8''quoted%20name%20.pdf",
        ),
        (
            "re\u0301sume\u0301.pdf",
            "r\u00e9sum\u00e9.pdf",
            "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
        ),
        ("\u202e\u200b.pdf", ".pdf", 'attachment; filename=".pdf"'),
        ("\u202e\u2066", "document.pdf", 'attachment; filename="document.pdf"'),
    ],
    ids=[
        "rtl-override",
        "bidi-isolates-and-marks",
        "controls",
        "path-quotes-separators",
        "nfc",
        "only-invisible-stem",
        "nothing-left",
    ],
)
def test_file_names_are_cleaned_of_controls_and_direction_marks(
    factory, db, upload, client, salon, sent, stored, disposition
):
    # given a client that sends the name's characters as they are (httpx would escape some)
    operations = {
        "query": UPLOAD_EVENT_FILE,
        "variables": {"e": gid("Event", salon["event"]), "kind": "GUIDE", "file": None},
    }
    parts = [
        ("operations", None, json.dumps(operations).encode()),
        ("map", None, b'{"0": ["variables.file"]}'),
        ("0", sent, minimal_pdf()),
    ]
    body = bytearray()
    for name, filename, content in parts:
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"'.encode()
        if filename is not None:
            quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
            body += f'; filename="{quoted}"\r\nContent-Type: application/pdf'.encode()
        body += b"\r\n\r\n" + content + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    # when
    response = client.post(
        "/graphql",
        content=bytes(body),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Authorization": f"Bearer {factory.token(salon['president'])}",
        },
    )
    # then
    assert response.status_code == 200, response.text
    file = response.json()["data"]["uploadEventFile"]
    assert file["filename"] == stored
    assert [r["filename"] for r in rows(db, models.StoredFile)] == [stored]
    headers = {"Authorization": f"Bearer {factory.token(salon['participant_user'])}"}
    assert client.get(file["url"], headers=headers).headers["content-disposition"] == disposition


def test_a_renamed_non_pdf_is_refused(gql, factory, db, upload, settings, salon):
    before = _stored_files(settings)
    body = upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        b"PK\x03\x04 this is a zip file",
        "programme.pdf",
        factory.token(salon["president"]),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (
        body["errors"][0]["message"]
        == "Only PDF documents are accepted, and this file is not a PDF."
    )
    assert rows(db, models.StoredFile) == []
    assert _stored_files(settings) == before


def test_an_oversized_file_is_refused(gql, factory, db, small_upload, settings, salon):
    before = _stored_files(settings)
    big = minimal_pdf() + b"%" + b"x" * SMALL_LIMIT
    body = small_upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        big,
        "big.pdf",
        factory.token(salon["president"]),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "The file is too large: at most 2 KB may be uploaded."
    assert rows(db, models.StoredFile) == []
    assert _stored_files(settings) == before
    # a file within the limit passes on the same server
    ok = small_upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        minimal_pdf(),
        "small.pdf",
        factory.token(salon["president"]),
    )
    assert "errors" not in ok


def test_upload_event_file_forbidden_and_not_found(gql, factory, db, upload, salon):
    variables = {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"}
    body = upload(
        UPLOAD_EVENT_FILE,
        variables,
        "file",
        minimal_pdf(),
        "p.pdf",
        factory.token(salon["exposant_user"]),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    outsider = factory.user()
    factory.event(president=outsider)
    body = upload(
        UPLOAD_EVENT_FILE, variables, "file", minimal_pdf(), "p.pdf", factory.token(outsider)
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.StoredFile) == []


def test_exposant_uploads_its_own_plan_for_the_directory(gql, factory, db, upload, client, salon):
    token = factory.token(salon["exposant_user"])
    body = upload(
        UPLOAD_PLAN,
        {"m": gid("Member", salon["exposant"])},
        "file",
        minimal_pdf("Stand"),
        "stand.pdf",
        token,
    )
    assert "errors" not in body, body
    plan = body["data"]["uploadExposantPlan"]
    (stored,) = rows(db, models.StoredFile)
    assert (stored["kind"], stored["member_id"]) == ("PLAN", salon["exposant"].id)
    participant = factory.token(salon["participant_user"])
    directory = gql.ok(EVENT_FILES, {"id": gid("Event", salon["event"])}, participant)["event"][
        "exposants"
    ]
    assert directory == [{"company": "Bob & Co", "plan": {"id": plan["id"], "url": plan["url"]}}]
    assert (
        client.get(plan["url"], headers={"Authorization": f"Bearer {participant}"}).status_code
        == 200
    )


def test_plan_refusals_change_nothing(gql, factory, db, upload, salon):
    other_exposant = factory.member(salon["event"], Role.EXPOSANT)
    participant_member = factory.member(salon["event"], Role.PARTICIPANT)
    cases = [
        (gid("Member", other_exposant), factory.token(salon["exposant_user"]), "FORBIDDEN"),
        (gid("Member", participant_member), factory.token(salon["president"]), "BAD_USER_INPUT"),
        ("TWVtYmVyOjk5OTk", factory.token(salon["president"]), "NOT_FOUND"),
    ]
    for member_id, token, code in cases:
        body = upload(UPLOAD_PLAN, {"m": member_id}, "file", minimal_pdf(), "plan.pdf", token)
        assert error_codes(body) == [code]
    assert rows(db, models.StoredFile) == []


def test_download_needs_a_valid_token_and_membership(factory, db, upload, client, salon):
    file = upload(
        UPLOAD_EVENT_FILE,
        {"e": gid("Event", salon["event"]), "kind": "PROGRAMME"},
        "file",
        minimal_pdf(),
        "p.pdf",
        factory.token(salon["president"]),
    )["data"]["uploadEventFile"]
    outsider = factory.user()
    factory.member(factory.event(), Role.PARTICIPANT, user=outsider)
    assert client.get(file["url"]).status_code == 401
    assert client.get(file["url"], headers={"Authorization": "Bearer nonsense"}).status_code == 401
    response = client.get(
        file["url"], headers={"Authorization": f"Bearer {factory.token(outsider)}"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    token = factory.token(salon["participant_user"])
    for url in ("/files/RmlsZTo5OTk5", "/files/garbage", "/files/..%2F..%2Fetc%2Fpasswd"):
        assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 404


@pytest.mark.parametrize("key", ["../outside.txt", "{data_dir}/outside.txt", "", "."])
def test_download_never_reads_outside_the_storage_folder(factory, db, client, settings, salon, key):
    # given a row whose storage key points outside the folder (it cannot come from an upload)
    secret = settings.data_dir / "outside.txt"
    secret.write_text("not for downloads")
    row = models.StoredFile(
        event_id=salon["event"].id,
        kind="PROGRAMME",
        filename="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        storage_key=key.format(data_dir=settings.data_dir),
    )
    db.add(row)
    db.commit()
    # when
    token = factory.token(salon["participant_user"])
    response = client.get(
        f"/files/{gid('File', row)}", headers={"Authorization": f"Bearer {token}"}
    )
    # then
    assert response.status_code == 404
    assert "not for downloads" not in response.text


def _multipart(client, token, parts, content_type=f"multipart/form-data; boundary={BOUNDARY}"):
    """Posts `parts` ((name, filename or None, bytes)) as one multipart body, as they are."""
    body = bytearray()
    for name, filename, content in parts:
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"'.encode()
        if filename is not None:
            body += f'; filename="{filename}"\r\nContent-Type: application/pdf'.encode()
        body += b"\r\n\r\n" + content + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return client.post(
        "/graphql",
        content=bytes(body),
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
    )


# Each was a 500 that the multipart fuzz (tests/test_fuzz_multipart.py) found.
@pytest.mark.parametrize(
    ("operations", "content_type", "says"),
    [
        (b"null", None, "The multipart `operations` must be one JSON object"),
        (b"12", None, "The multipart `operations` must be one JSON object"),
        (None, "multipart/form-data", "The multipart body could not be read: Missing boundary"),
        (None, "multipart/form-data; boundary=another", "The multipart body could not be read"),
    ],
    ids=["null-operations", "number-operations", "no-boundary", "wrong-boundary"],
)
def test_a_malformed_multipart_body_is_a_400(
    factory, db, client, settings, salon, operations, content_type, says
):
    before = _stored_files(settings)
    well_formed = json.dumps(
        {
            "query": UPLOAD_EVENT_FILE,
            "variables": {"e": gid("Event", salon["event"]), "kind": "GUIDE", "file": None},
        }
    ).encode()
    parts = [
        ("operations", None, operations or well_formed),
        ("map", None, b'{"0": ["variables.file"]}'),
        ("0", "guide.pdf", minimal_pdf()),
    ]
    token = factory.token(salon["president"])
    response = (
        _multipart(client, token, parts, content_type)
        if content_type
        else _multipart(client, token, parts)
    )
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith(says), error["message"]
    assert rows(db, models.StoredFile) == []
    assert _stored_files(settings) == before


def test_a_value_that_is_not_a_file_part_is_bad_user_input(gql, factory, db, client, salon):
    token = factory.token(salon["president"])
    variables = {"e": gid("Event", salon["event"]), "kind": "GUIDE"}
    # a form field without a file name, that the map points at
    operations = json.dumps({"query": UPLOAD_EVENT_FILE, "variables": {**variables, "file": None}})
    parts = [
        ("operations", None, operations.encode()),
        ("map", None, b'{"0": ["variables.file"]}'),
        ("0", None, minimal_pdf()),
    ]
    by_form = _multipart(client, token, parts).json()
    # a string in the JSON variables, where the schema says Upload
    by_json = gql(UPLOAD_EVENT_FILE, {**variables, "file": "guide.pdf"}, token)
    for body in (by_form, by_json):
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert "An Upload is a file part of a multipart request" in body["errors"][0]["message"]
    assert rows(db, models.StoredFile) == []
